// MNIST in the page: train MnistCNN with live loss/accuracy curves (read every 10 steps), or load a
// model file; then draw a digit and see the prediction, the probabilities and every layer's feature
// maps, before and after batch-norm, with each channel's running mean and variance.
import { Chart } from 'chart.js';
import { evaluate } from '../src/classifier';
import { MnistCNN } from '../src/cnn';
import { DataLoader, subset, trainTestSplit, type Dataset } from '../src/data';
import { manualSeed } from '../src/init';
import { encodeMnistModel, readMnistModel } from '../src/mnist';
import { CrossEntropyLoss } from '../src/nn';
import { Adam } from '../src/optim';
import { noGrad, Tensor } from '../src/tensor';
import { FieldError, fmt, numberField, setupPage, showError, shown, task } from './common';
import { IMAGE_SHAPE, loadMnist } from './mnist-runner';

const gpu = await setupPage();
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const chart = new Chart($<HTMLCanvasElement>('curves'), {
  type: 'line',
  data: {
    labels: [] as string[],
    datasets: [
      { label: 'training loss (last 10 steps)', data: [] as number[], borderColor: '#dc2626', yAxisID: 'loss', pointRadius: 0 },
      { label: 'training accuracy (last 10 steps)', data: [] as number[], borderColor: '#2563eb', yAxisID: 'accuracy', pointRadius: 0 },
    ],
  },
  options: { maintainAspectRatio: false, scales: { x: { title: { display: true, text: 'step' } }, loss: { position: 'left', min: 0 }, accuracy: { position: 'right', min: 0, max: 1, grid: { drawOnChartArea: false } } } },
});

let model: MnistCNN | null = null;
let modelFile: Uint8Array | null = null;
let values: Record<string, unknown> = {};
const publish = (extra: Record<string, unknown>) => shown((values = { ...values, ...extra }));

async function trainInPage(signal: AbortSignal): Promise<void> {
  if (!gpu) return;
  // Checked against the fields' own limits before anything runs.
  const [epochs, count, seed] = [numberField('epochs', { integer: true }), numberField('digits', { integer: true }), numberField('seed', { integer: true })];
  // Whole batches of 32: the batch buffers are made once.
  if (count % 32 !== 0) throw new FieldError($<HTMLInputElement>('digits'), `training digits must be a multiple of 32 (whole batches); got ${count}.`);
  const data = await loadMnist();
  const split = trainTestSplit(data, { trainSize: 0.8, seed });
  const trainSet: Dataset = subset(split.train, [...Array(count).keys()]);
  manualSeed(seed);
  // Not `model` until it has finished: the one shown and offered for download stays the last
  // finished run's (or loaded file's), also when this run is cancelled.
  const m = new MnistCNN(gpu);
  const lossFn = new CrossEntropyLoss({ gpu });
  const optimizer = new Adam(m.parameters(), { lr: 1e-3 });
  const loader = new DataLoader(trainSet, { batchSize: 32, shuffle: true, seed });
  const x = Tensor.empty(gpu, [32, ...IMAGE_SHAPE], 'f32', 'batch x');
  const y = Tensor.empty(gpu, [32], 'u32', 'batch y');
  try {
    chart.data.labels = [];
    chart.data.datasets.forEach((d) => (d.data = []));
    const curve: { step: number; loss: number; accuracy: number }[] = [];
    let step = 0;
    m.train();
    lossFn.resetMetrics();
    for (let epoch = 1; epoch <= epochs; epoch++) {
      for (const batch of loader.batches(epoch)) {
        signal.throwIfAborted();
        x.write(batch.x);
        y.write(batch.y);
        optimizer.zeroGrad();
        lossFn.forward(m.forward(x), y).backward();
        optimizer.step();
        if (++step % 10 === 0 || step === loader.length * epochs) {
          const r = await lossFn.readMetrics();
          lossFn.resetMetrics();
          curve.push({ step, loss: r.loss, accuracy: r.accuracy });
          chart.data.labels!.push(String(step));
          chart.data.datasets[0]!.data.push(r.loss);
          chart.data.datasets[1]!.data.push(r.accuracy);
          chart.update();
          $('status').textContent = `epoch ${epoch}/${epochs}, step ${step}/${loader.length * epochs}: loss ${fmt(r.loss)}, accuracy ${fmt(r.accuracy)}`;
        }
      }
    }
    $('status').textContent += ' — evaluating on the 2,000 test digits…';
    const test = await evaluate(gpu, m, split.test, 250, IMAGE_SHAPE);
    $('accuracy').textContent = test.accuracy.toFixed(4);
    $('status').textContent = `trained ${step} steps on ${count} digits`;
    replaceModel(m);
    modelFile = encodeMnistModel(await m.stateDict(), { testRows: split.testRows, training: { epochs, batchSize: 32, lr: 1e-3, seed }, testAccuracy: test.accuracy });
    $<HTMLButtonElement>('download').disabled = false;
    publish({ curve, testAccuracy: test.accuracy, trainedSteps: step });
    await predict();
  } finally {
    x.destroy();
    y.destroy();
    optimizer.destroy();
    lossFn.destroy();
    if (model !== m) m.destroy(); // cancelled or failed: the page keeps the last finished model
  }
}

/** The model shown from now on; the one before it is freed. */
function replaceModel(m: MnistCNN): void {
  if (model !== m) model?.destroy();
  model = m;
}

async function loadModel(file: File): Promise<void> {
  if (!gpu) return;
  const saved = readMnistModel(new Uint8Array(await file.arrayBuffer()), file.name);
  const m = new MnistCNN(gpu);
  try {
    m.loadStateDict(saved.state);
  } catch (error) {
    m.destroy();
    throw error;
  }
  replaceModel(m);
  $('accuracy').textContent = `${saved.testAccuracy.toFixed(4)} (recorded in ${file.name})`;
  $('status').textContent = `loaded ${file.name}`;
  publish({ loaded: file.name });
  await predict();
}

// ── drawing ─────────────────────────────────────────────────────────────────────────────────────
const pad = $<HTMLCanvasElement>('pad');
const ink = pad.getContext('2d', { willReadFrequently: true })!;
function clearPad(): void {
  ink.fillStyle = '#000';
  ink.fillRect(0, 0, pad.width, pad.height);
}
clearPad();
let last: [number, number] | null = null;
pad.addEventListener('pointerdown', (e) => {
  last = [e.offsetX, e.offsetY];
  pad.setPointerCapture(e.pointerId);
});
pad.addEventListener('pointermove', (e) => {
  if (!last) return;
  Object.assign(ink, { strokeStyle: '#fff', lineWidth: 22, lineCap: 'round', lineJoin: 'round' });
  ink.beginPath();
  ink.moveTo(...last);
  ink.lineTo(e.offsetX, e.offsetY);
  ink.stroke();
  last = [e.offsetX, e.offsetY];
});
pad.addEventListener('pointerup', () => {
  last = null;
  predict().catch(showError);
});
$('clear').addEventListener('click', () => {
  clearPad();
  predict().catch(showError);
});

/**
 * The drawing as MNIST prepares its digits: the ink's bounding box scaled to fit 20×20, placed in a
 * 28×28 image so that its centre of mass sits at the centre; values in [0, 1].
 */
function digitImage(): Float32Array {
  const { data } = ink.getImageData(0, 0, pad.width, pad.height);
  let [x0, y0, x1, y1] = [pad.width, pad.height, -1, -1];
  for (let i = 0; i < pad.width * pad.height; i++) {
    if (data[i * 4]! < 30) continue;
    const [x, y] = [i % pad.width, Math.floor(i / pad.width)];
    [x0, y0, x1, y1] = [Math.min(x0, x), Math.min(y0, y), Math.max(x1, x), Math.max(y1, y)];
  }
  const image = new Float32Array(28 * 28);
  if (x1 < 0) return image;
  const [w, h] = [x1 - x0 + 1, y1 - y0 + 1];
  const scale = 20 / Math.max(w, h);
  const small = Object.assign(document.createElement('canvas'), { width: 28, height: 28 }).getContext('2d', { willReadFrequently: true })!;
  small.imageSmoothingQuality = 'high';
  small.drawImage(pad, x0, y0, w, h, 14 - (w * scale) / 2, 14 - (h * scale) / 2, w * scale, h * scale);
  const first = small.getImageData(0, 0, 28, 28).data;
  let [mass, mx, my] = [0, 0, 0];
  for (let i = 0; i < 784; i++) {
    const v = first[i * 4]! / 255;
    [mass, mx, my] = [mass + v, mx + v * (i % 28), my + v * Math.floor(i / 28)];
  }
  const [dx, dy] = [Math.round(13.5 - mx / mass), Math.round(13.5 - my / mass)];
  for (let i = 0; i < 784; i++) {
    const [x, y] = [(i % 28) - dx, Math.floor(i / 28) - dy];
    image[i] = x >= 0 && x < 28 && y >= 0 && y < 28 ? first[(y * 28 + x) * 4]! / 255 : 0;
  }
  return image;
}

function paint(canvas: HTMLCanvasElement, plane: ArrayLike<number>, size: number): void {
  let [lo, hi] = [Infinity, -Infinity];
  for (let i = 0; i < size * size; i++) [lo, hi] = [Math.min(lo, plane[i]!), Math.max(hi, plane[i]!)];
  const ctx = canvas.getContext('2d')!;
  const img = ctx.createImageData(size, size);
  for (let i = 0; i < size * size; i++) {
    const v = hi > lo ? Math.round((255 * (plane[i]! - lo)) / (hi - lo)) : 0;
    img.data.set([v, v, v, 255], i * 4);
  }
  const tmp = Object.assign(document.createElement('canvas'), { width: size, height: size });
  tmp.getContext('2d')!.putImageData(img, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, canvas.width, canvas.height);
}

// Each row of feature maps: the layer, what it shows, and for batch-norm the running statistics.
const LAYERS: [string, string][] = [
  ['conv1', 'conv1 — 8 maps, 28×28, before batch-norm'],
  ['bn1', 'bn1 — after batch-norm (eval mode: (x − μ) / √(σ² + ε) · γ + β with the running μ, σ²)'],
  ['pool1', 'relu1 + pool1 — 14×14'],
  ['conv2', 'conv2 — 16 maps, 14×14, before batch-norm'],
  ['bn2', 'bn2 — after batch-norm'],
  ['pool2', 'relu2 + pool2 — 7×7, what fc reads (flattened: 784)'],
];

async function predict(): Promise<void> {
  if (!gpu || !model) return;
  const m = model;
  const image = digitImage();
  paint($<HTMLCanvasElement>('seen'), image, 28);
  m.eval();
  const x = Tensor.fromArray(gpu, image, [1, ...IMAGE_SHAPE], 'f32', 'drawn digit');
  let figures: { logits: number[]; maps: Record<string, number[]>; running: Record<'bn1' | 'bn2', { mean: number[]; variance: number[] }> };
  try {
    const logits = Array.from(await noGrad(() => m.forward(x)).read());
    const maps: Record<string, number[]> = {};
    for (const [name] of LAYERS) maps[name] = Array.from(await (m.maps.get(name) as Tensor).read());
    figures = { logits, maps, running: { bn1: await readStats(m.bn1.runningMean, m.bn1.runningVar), bn2: await readStats(m.bn2.runningMean, m.bn2.runningVar) } };
  } catch (error) {
    if (model !== m) return; // replaced (and freed) while its figures were read: the new model's predict follows
    throw error;
  } finally {
    x.destroy();
  }
  if (model !== m) return;
  const { logits, maps, running } = figures;
  const top = Math.max(...logits);
  const exp = logits.map((v) => Math.exp(v - top));
  const probabilities = exp.map((v) => v / exp.reduce((a, b) => a + b, 0));
  const prediction = probabilities.indexOf(Math.max(...probabilities));
  $('prediction').textContent = String(prediction);
  $('probabilities').innerHTML = probabilities.map((p, d) => `<tr><td>${d}</td><td>${p.toFixed(3)}</td><td><span class="bar" style="width:${Math.round(p * 160)}px"></span></td></tr>`).join('');

  const root = $('maps');
  root.innerHTML = '';
  for (const [name, title] of LAYERS) {
    const t = m.maps.get(name)!;
    const [C, S] = [t.shape[1]!, t.shape[2]!];
    const row = Object.assign(document.createElement('div'), { className: 'layer' });
    row.innerHTML = `<h3>${title}</h3><div class="maps"></div>`;
    for (let c = 0; c < C; c++) {
      const cell = Object.assign(document.createElement('div'), { className: 'map' });
      const canvas = Object.assign(document.createElement('canvas'), { width: S * Math.max(2, Math.round(56 / S)), height: S * Math.max(2, Math.round(56 / S)) });
      paint(canvas, maps[name]!.slice(c * S * S, (c + 1) * S * S), S);
      cell.append(canvas);
      // Each map is drawn from its own min to max, so a batch-norm map (an affine map of its input per
      // channel) looks like its input: the value range under it is what changed.
      const plane = maps[name]!.slice(c * S * S, (c + 1) * S * S);
      const range = `${Math.min(...plane).toFixed(1)}…${Math.max(...plane).toFixed(1)}`;
      const stats = name === 'bn1' || name === 'bn2' ? running[name] : null;
      if (stats) cell.insertAdjacentHTML('beforeend', `${range}<br>μ ${stats.mean[c]!.toFixed(2)}<br>σ² ${stats.variance[c]!.toFixed(2)}`);
      else cell.insertAdjacentHTML('beforeend', `ch ${c}<br>${range}`);
      row.querySelector('.maps')!.append(cell);
    }
    root.append(row);
  }
  publish({ prediction, probabilities, image: Array.from(image), maps, running });
}

async function readStats(mean: Tensor, variance: Tensor): Promise<{ mean: number[]; variance: number[] }> {
  return { mean: Array.from(await mean.read()), variance: Array.from(await variance.read()) };
}

$('train').addEventListener('click', task(trainInPage, { controls: ['train', 'epochs', 'digits', 'seed', 'model-file'].map((id) => $<HTMLButtonElement>(id)), cancel: $<HTMLButtonElement>('cancel'), status: $('status') }));
$<HTMLInputElement>('model-file').addEventListener('change', (e) => {
  const file = (e.target as HTMLInputElement).files?.[0];
  if (file) loadModel(file).catch(showError);
});
$('download').addEventListener('click', () => {
  if (!modelFile) return;
  const url = URL.createObjectURL(new Blob([Uint8Array.from(modelFile)], { type: 'application/octet-stream' }));
  Object.assign(document.createElement('a'), { href: url, download: 'model.safetensors' }).click();
  URL.revokeObjectURL(url);
});
if (gpu) publish({ ready: true });
