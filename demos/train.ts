// Phone-price training in the page: the same data pipeline, model and loop as `npm start`, with live
// loss/accuracy curves, the test confusion matrix and a safetensors download.
import { Chart } from 'chart.js';
import csvText from '../data/mobile-price.csv?raw';
import { buildModel, evaluate, train, VARIANTS, type EpochReport, type ModelConfig } from '../src/classifier';
import { parseCsv, StandardScaler, trainTestSplit } from '../src/data';
import { encodeModelFile } from '../src/model-file';
import { fmt, setupPage, showError, shown } from './common';

const gpu = await setupPage();
const data = parseCsv(csvText, 'data/mobile-price.csv');
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const chart = new Chart($<HTMLCanvasElement>('curves'), {
  type: 'line',
  data: {
    labels: [] as string[],
    datasets: [
      { label: 'training loss', data: [] as number[], borderColor: '#dc2626', yAxisID: 'loss', pointRadius: 0 },
      { label: 'training accuracy', data: [] as number[], borderColor: '#2563eb', yAxisID: 'accuracy', pointRadius: 0 },
    ],
  },
  options: { maintainAspectRatio: false, scales: { x: { title: { display: true, text: 'epoch' } }, loss: { position: 'left' }, accuracy: { position: 'right', min: 0, max: 1, grid: { drawOnChartArea: false } } } },
});
let modelFile: Uint8Array | null = null;

async function run(): Promise<void> {
  if (!gpu) return;
  const button = $<HTMLButtonElement>('train');
  button.disabled = true;
  $<HTMLButtonElement>('download').disabled = true;
  try {
    const variant = $<HTMLSelectElement>('variant').value as 'tuned' | 'baseline';
    const config = { ...VARIANTS[variant], epochs: Number($<HTMLInputElement>('epochs').value), seed: Number($<HTMLInputElement>('seed').value) };
    const split = trainTestSplit(data, { seed: config.seed });
    const scaler = config.standardize ? StandardScaler.fit(split.train) : null;
    const [trainSet, testSet] = scaler ? [scaler.transform(split.train), scaler.transform(split.test)] : [split.train, split.test];
    const modelConfig: ModelConfig = { features: 20, classes: 4, hidden: config.hidden, activation: config.activation, dropout: config.dropout, batchNorm: config.batchNorm };
    const model = buildModel(gpu, modelConfig, config.seed);
    chart.data.labels = [];
    chart.data.datasets.forEach((d) => (d.data = []));
    const reports: EpochReport[] = [];
    await train(gpu, model, trainSet, config, (r) => {
      reports.push(r);
      chart.data.labels!.push(String(r.epoch));
      chart.data.datasets[0]!.data.push(r.loss);
      chart.data.datasets[1]!.data.push(r.accuracy);
      chart.update();
      $('status').textContent = `epoch ${r.epoch}/${config.epochs}: loss ${fmt(r.loss)}, train accuracy ${fmt(r.accuracy)}, ${r.stepsPerSecond.toFixed(0)} steps/s`;
    });
    const test = await evaluate(gpu, model, testSet);
    const table = $('confusion');
    table.innerHTML = `<tr><td></td>${data.classes.map((c) => `<td><b>pred ${c}</b></td>`).join('')}</tr>`;
    test.confusion.forEach((row, i) => {
      table.insertAdjacentHTML('beforeend', `<tr><td><b>true ${data.classes[i]}</b></td>${row.map((n) => `<td>${n}</td>`).join('')}</tr>`);
    });
    $('accuracy').textContent = test.accuracy.toFixed(4);
    const { hidden, activation, dropout, batchNorm, ...training } = config;
    modelFile = encodeModelFile({ model: modelConfig, features: data.features, label: data.label, classes: data.classes, scaler: scaler && { mean: scaler.mean, scale: scaler.scale }, testRows: split.testRows, training, testAccuracy: test.accuracy, state: await model.stateDict() });
    $<HTMLButtonElement>('download').disabled = false;
    shown({ reports, accuracy: test.accuracy, confusion: test.confusion, predictions: test.predictions, testLabels: Array.from(testSet.y), modelBytes: modelFile.length });
  } finally {
    button.disabled = false;
  }
}

$('train').addEventListener('click', () => run().catch(showError));
$('download').addEventListener('click', () => {
  if (!modelFile) return;
  const url = URL.createObjectURL(new Blob([Uint8Array.from(modelFile)], { type: "application/octet-stream" }));
  const a = Object.assign(document.createElement('a'), { href: url, download: 'model.safetensors' });
  a.click();
  URL.revokeObjectURL(url);
});
// Nothing trains until asked: the page shows its controls and waits.
if (gpu) shown({ ready: true });
