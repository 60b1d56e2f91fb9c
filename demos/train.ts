// Phone-price training in the page: the same data pipeline, model and loop as `npm start`, with live
// loss/accuracy curves, the test confusion matrix and a safetensors download.
import { Chart } from 'chart.js';
import csvText from '../data/mobile-price.csv?raw';
import { buildModel, evaluate, train, VARIANTS, type EpochReport, type ModelConfig } from '../src/classifier';
import { parseCsv, StandardScaler, trainTestSplit } from '../src/data';
import { encodeModelFile } from '../src/model-file';
import { fmt, numberField, setupPage, shown, task } from './common';

const gpu = await setupPage();
const data = parseCsv(csvText, 'data/mobile-price.csv');
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
/** Curves are lines without markers; a single epoch has no line, so it is a marker. */
const onePoint = (ctx: { chart: Chart }) => (ctx.chart.data.labels?.length === 1 ? 5 : 0);
const chart = new Chart($<HTMLCanvasElement>('curves'), {
  type: 'line',
  data: {
    labels: [] as string[],
    datasets: [
      { label: 'training loss', data: [] as number[], borderColor: '#dc2626', backgroundColor: '#dc2626', yAxisID: 'loss', pointRadius: onePoint },
      { label: 'training accuracy', data: [] as number[], borderColor: '#2563eb', backgroundColor: '#2563eb', yAxisID: 'accuracy', pointRadius: onePoint },
    ],
  },
  options: { maintainAspectRatio: false, scales: { x: { title: { display: true, text: 'epoch' } }, loss: { position: 'left' }, accuracy: { position: 'right', min: 0, max: 1, grid: { drawOnChartArea: false } } } },
});
let modelFile: Uint8Array | null = null;

async function run(signal: AbortSignal): Promise<void> {
  if (!gpu) return;
  const config = { ...VARIANTS[$<HTMLSelectElement>('variant').value as 'tuned' | 'baseline'], epochs: numberField('epochs', { integer: true }), seed: numberField('seed', { integer: true }) };
  $<HTMLButtonElement>('download').disabled = true;
  modelFile = null;
  $('confusion').innerHTML = '';
  $('accuracy').textContent = '–';
  $('status').textContent = `epoch 0/${config.epochs}`;
  const split = trainTestSplit(data, { seed: config.seed });
  const scaler = config.standardize ? StandardScaler.fit(split.train) : null;
  const [trainSet, testSet] = scaler ? [scaler.transform(split.train), scaler.transform(split.test)] : [split.train, split.test];
  const modelConfig: ModelConfig = { features: 20, classes: 4, hidden: config.hidden, activation: config.activation, dropout: config.dropout, batchNorm: config.batchNorm };
  const model = buildModel(gpu, modelConfig, config.seed);
  try {
    chart.data.labels = [];
    chart.data.datasets.forEach((d) => (d.data = []));
    const reports: EpochReport[] = [];
    await train(gpu, model, trainSet, config, (r) => {
      signal.throwIfAborted(); // between epochs: the page stays responsive, the run stops at the next
      reports.push(r);
      chart.data.labels!.push(String(r.epoch));
      chart.data.datasets[0]!.data.push(r.loss);
      chart.data.datasets[1]!.data.push(r.accuracy);
      chart.options.scales!.x!.offset = r.epoch === 1; // a lone epoch in the middle, not on the axis
      chart.update();
      $('status').textContent = `epoch ${r.epoch}/${config.epochs}: loss ${fmt(r.loss)}, train accuracy ${fmt(r.accuracy)}, ${r.stepsPerSecond.toFixed(0)} steps/s`;
    });
    const test = await evaluate(gpu, model, testSet);
    const table = $('confusion');
    table.innerHTML = `<tr><td></td>${data.classes.map((c) => `<td><b>pred ${c}</b></td>`).join('')}</tr>`;
    test.confusion?.forEach((row, i) => {
      table.insertAdjacentHTML('beforeend', `<tr><td><b>true ${data.classes[i]}</b></td>${row.map((n) => `<td>${n}</td>`).join('')}</tr>`);
    });
    $('accuracy').textContent = test.accuracy.toFixed(4);
    const { hidden, activation, dropout, batchNorm, ...training } = config;
    modelFile = encodeModelFile({ model: modelConfig, features: data.features, label: data.label, classes: data.classes, scaler: scaler && { mean: scaler.mean, scale: scaler.scale }, testRows: split.testRows, training, testAccuracy: test.accuracy, state: await model.stateDict() });
    $<HTMLButtonElement>('download').disabled = false;
    shown({ reports, accuracy: test.accuracy, confusion: test.confusion, predictions: test.predictions, testLabels: Array.from(testSet.y), modelBytes: modelFile.length });
  } finally {
    model.destroy(); // the next run (a click on Train) builds its own
  }
}

const controls = ['variant', 'epochs', 'seed', 'train'].map((id) => $<HTMLInputElement>(id));
$('train').addEventListener('click', task(run, { controls, cancel: $<HTMLButtonElement>('cancel'), status: $('status') }));
$('download').addEventListener('click', () => {
  if (!modelFile) return;
  const url = URL.createObjectURL(new Blob([Uint8Array.from(modelFile)], { type: "application/octet-stream" }));
  const a = Object.assign(document.createElement('a'), { href: url, download: 'model.safetensors' });
  a.click();
  URL.revokeObjectURL(url);
});
// Nothing trains until asked: the page shows its controls and waits.
if (gpu) shown({ ready: true });
