// Batch normalisation: the distribution of a batch before and after, the running mean/var over
// training steps, and train vs eval mode, all from batchnorm.wgsl.
import { Chart } from 'chart.js';
import * as init from '../src/init';
import { BatchNorm1d } from '../src/nn';
import { fmt, numberField, setupPage, shown, task } from './common';
import { Tensor } from '../src/tensor';

const gpu = await setupPage();
const C = 4;
const MEANS = [5, -2, 0, 10];
const STDS = [1, 3, 0.5, 6];
const colors = ['#2563eb', '#dc2626', '#16a34a', '#9333ea'];
const bn = gpu ? new BatchNorm1d(C, { gpu }) : null;
const history: { mean: number[]; variance: number[] }[] = [];
let batchesSeen = 0;

const histogramChart = (id: string, title: string) =>
  new Chart(document.getElementById(id) as HTMLCanvasElement, {
    type: 'line',
    data: { labels: [] as string[], datasets: colors.map((c, i) => ({ label: `channel ${i}`, data: [] as number[], borderColor: c, pointRadius: 0 })) },
    options: { maintainAspectRatio: false, plugins: { title: { display: true, text: title } }, scales: { x: { ticks: { maxTicksLimit: 9 } } } },
  });
const before = histogramChart('before', 'input values per channel (histogram)');
const after = histogramChart('after', 'output values per channel (histogram)');
const running = new Chart(document.getElementById('running') as HTMLCanvasElement, {
  type: 'line',
  data: { labels: [] as string[], datasets: colors.flatMap((c, i) => [{ label: `mean ${i}`, data: [] as number[], borderColor: c, pointRadius: 0 }, { label: `var ${i}`, data: [] as number[], borderColor: c, borderDash: [4, 3], pointRadius: 0 }]) },
  options: { maintainAspectRatio: false, plugins: { title: { display: true, text: 'running mean (solid) and var (dashed) by batch' } } },
});

/** A [N, 4] batch, channel c ~ N(MEANS[c], STDS[c]²), drawn on the GPU. */
async function batch(N: number) {
  const x = Tensor.empty(gpu!, [N, C], 'f32', 'batch');
  init.normal_(x);
  const z = await x.read();
  const values = Float32Array.from(z, (v, i) => MEANS[i % C]! + STDS[i % C]! * v);
  x.write(values);
  return { x, values };
}

function histogram(chart: Chart, values: ArrayLike<number>, lo: number, hi: number): void {
  const bins = 40;
  const width = (hi - lo) / bins;
  chart.data.labels = Array.from({ length: bins }, (_, b) => (lo + (b + 0.5) * width).toFixed(1));
  chart.data.datasets.forEach((d, c) => {
    const counts = new Array<number>(bins).fill(0);
    for (let i = c; i < values.length; i += C) {
      const b = Math.floor((values[i]! - lo) / width);
      if (b >= 0 && b < bins) counts[b]!++;
    }
    d.data = counts;
  });
  chart.update();
}

const channelStats = (v: ArrayLike<number>) =>
  Array.from({ length: C }, (_, c) => {
    const xs = Array.from({ length: v.length / C }, (_, r) => v[r * C + c]!);
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return { mean: m, std: Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length) };
  });

async function train(N: number, batches: number): Promise<void> {
  bn!.train();
  for (let i = 0; i < batches; i++) {
    const { x } = await batch(N);
    bn!.forward(x);
    history.push({ mean: Array.from(await bn!.runningMean.read()), variance: Array.from(await bn!.runningVar.read()) });
    x.destroy();
    batchesSeen++;
  }
}

async function show(N: number): Promise<void> {
  if (!gpu || !bn) return;
  const evalMode = (document.getElementById('eval') as HTMLInputElement).checked;
  const { x, values } = await batch(N);
  if (evalMode) bn.eval();
  else bn.train();
  const y = Array.from(await bn.forward(x).read());
  if (!evalMode) {
    history.push({ mean: Array.from(await bn.runningMean.read()), variance: Array.from(await bn.runningVar.read()) });
    batchesSeen++;
  }
  x.destroy();
  histogram(before, values, -15, 30);
  histogram(after, y, -4, 4);
  running.data.labels = history.map((_, i) => String(i + 1));
  running.data.datasets.forEach((d, k) => (d.data = history.map((h) => (k % 2 === 0 ? h.mean : h.variance)[Math.floor(k / 2)]!)));
  running.update();
  const [inStats, outStats] = [channelStats(values), channelStats(y)];
  const last = history.at(-1) ?? { mean: [0, 0, 0, 0], variance: [1, 1, 1, 1] };
  const table = document.getElementById('channels')!;
  table.querySelectorAll('tr.row').forEach((r) => r.remove());
  for (let c = 0; c < C; c++) {
    const tr = document.createElement('tr');
    tr.className = 'row';
    for (const v of [String(c), fmt(inStats[c]!.mean, 3), fmt(inStats[c]!.std, 3), fmt(outStats[c]!.mean, 3), fmt(outStats[c]!.std, 3), fmt(last.mean[c]!, 3), fmt(last.variance[c]!, 3)]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    table.append(tr);
  }
  shown({ input: Array.from(values), output: y, evalMode, runningMean: last.mean, runningVar: last.variance, batches: batchesSeen });
}

// One task trains the batches asked for (20 on load, 10 a click), then shows a batch: a change of
// mode or batch size while it runs shows again when it ends.
let toTrain = 20;
const stepButton = document.getElementById('step') as HTMLButtonElement;
const run = task(
  async () => {
    if (!gpu) return;
    const N = numberField('batch', { integer: true });
    if (toTrain > 0) await train(N, toTrain);
    toTrain = 0;
    await show(N);
  },
  { controls: [stepButton] },
);
document.getElementById('eval')!.addEventListener('change', run);
document.getElementById('batch')!.addEventListener('change', run);
stepButton.addEventListener('click', () => {
  toTrain = 10;
  void run();
});
await run();
