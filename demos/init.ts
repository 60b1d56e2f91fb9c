// Init explorer: every torch.nn.init scheme, drawn on the GPU, as a histogram with the formula's
// density (normal) or bounds (uniform) over it, and the measured mean/std beside the formula's.
import { Chart } from 'chart.js';
import * as init from '../src/init';
import { fmt, numberField, setupPage, shown, task } from './common';
import { Tensor } from '../src/tensor';

const gpu = await setupPage();
type Scheme = { name: string; apply: (t: import('../src/tensor').Tensor) => void; dist: (fanIn: number, fanOut: number) => { kind: 'uniform' | 'normal' | 'constant'; mean: number; std: number; low?: number; high?: number; text: string } };
const SCHEMES: Scheme[] = [
  { name: 'uniform_(0, 1)', apply: (t) => init.uniform_(t), dist: () => ({ kind: 'uniform', mean: 0.5, std: 1 / Math.sqrt(12), low: 0, high: 1, text: 'U(0, 1)' }) },
  { name: 'normal_(0, 1)', apply: (t) => init.normal_(t), dist: () => ({ kind: 'normal', mean: 0, std: 1, text: 'N(0, 1)' }) },
  { name: 'zeros_', apply: (t) => init.zeros_(t), dist: () => ({ kind: 'constant', mean: 0, std: 0, low: 0, high: 0, text: 'every weight 0' }) },
  { name: 'ones_', apply: (t) => init.ones_(t), dist: () => ({ kind: 'constant', mean: 1, std: 0, low: 1, high: 1, text: 'every weight 1' }) },
  { name: 'constant_(0.3)', apply: (t) => init.constant_(t, 0.3), dist: () => ({ kind: 'constant', mean: 0.3, std: 0, low: 0.3, high: 0.3, text: 'every weight 0.3' }) },
  { name: 'kaimingUniform_ (relu)', apply: (t) => init.kaimingUniform_(t, { nonlinearity: 'relu' }), dist: (i) => { const b = Math.sqrt(6 / i); return { kind: 'uniform', mean: 0, std: b / Math.sqrt(3), low: -b, high: b, text: `U(−b, b), b = gain·√(3/fan_in) = √2·√(3/${i}) = ${fmt(b)}` }; } },
  { name: 'kaimingNormal_ (relu)', apply: (t) => init.kaimingNormal_(t, { nonlinearity: 'relu' }), dist: (i) => ({ kind: 'normal', mean: 0, std: Math.sqrt(2 / i), text: `N(0, σ²), σ = gain/√fan_in = √2/√${i} = ${fmt(Math.sqrt(2 / i))}` }) },
  { name: 'xavierUniform_', apply: (t) => init.xavierUniform_(t), dist: (i, o) => { const a = Math.sqrt(6 / (i + o)); return { kind: 'uniform', mean: 0, std: a / Math.sqrt(3), low: -a, high: a, text: `U(−a, a), a = √(6/(fan_in + fan_out)) = ${fmt(a)}` }; } },
  { name: 'xavierNormal_', apply: (t) => init.xavierNormal_(t), dist: (i, o) => ({ kind: 'normal', mean: 0, std: Math.sqrt(2 / (i + o)), text: `N(0, σ²), σ = √(2/(fan_in + fan_out)) = ${fmt(Math.sqrt(2 / (i + o)))}` }) },
  { name: 'nn.Linear default', apply: (t) => init.kaimingUniform_(t, { a: Math.sqrt(5) }), dist: (i) => { const b = 1 / Math.sqrt(i); return { kind: 'uniform', mean: 0, std: b / Math.sqrt(3), low: -b, high: b, text: `U(−1/√fan_in, 1/√fan_in) = U(−${fmt(b)}, ${fmt(b)})` }; } },
];

const select = document.getElementById('scheme') as HTMLSelectElement;
for (const s of SCHEMES) select.append(new Option(s.name, s.name));
select.value = 'kaimingUniform_ (relu)';
const input = (id: string) => document.getElementById(id) as HTMLInputElement;
const chart = new Chart<'bar' | 'line', number[], string>(document.getElementById('histogram') as HTMLCanvasElement, {
  type: 'bar',
  data: { labels: [] as string[], datasets: [{ type: 'bar', label: 'measured (density)', data: [], backgroundColor: '#93c5fd', barPercentage: 1, categoryPercentage: 1 }, { type: 'line', label: 'formula', data: [], borderColor: '#dc2626', pointRadius: 0 }] },
  options: { maintainAspectRatio: false, scales: { x: { ticks: { maxTicksLimit: 11 } } } },
});

async function update(): Promise<void> {
  if (!gpu) return;
  const scheme = SCHEMES.find((s) => s.name === select.value)!;
  const [fanOut, fanIn, seed] = [numberField('fan-out', { integer: true }), numberField('fan-in', { integer: true }), numberField('seed', { integer: true })];
  const weight = Tensor.empty(gpu, [fanOut, fanIn], 'f32', 'weight');
  init.manualSeed(seed);
  scheme.apply(weight);
  const values = await weight.read();
  weight.destroy();
  const n = values.length;
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = sum / n;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  const std = Math.sqrt(sq / (n - 1));
  const d = scheme.dist(fanIn, fanOut);
  for (const [id, v] of [['m-mean', mean], ['m-std', std], ['m-min', min], ['m-max', max], ['f-mean', d.mean], ['f-std', d.std], ['f-min', d.kind === 'normal' ? -Infinity : d.low!], ['f-max', d.kind === 'normal' ? Infinity : d.high!]] as const) {
    document.getElementById(id)!.textContent = Number.isFinite(v) ? fmt(v) : v > 0 ? '+∞' : '−∞';
  }
  document.getElementById('formula')!.textContent = `${scheme.name}: ${d.text}`;

  // 50 bins over the plotted range; densities so the formula's curve shares the axis.
  const [lo, hi] = d.kind === 'normal' ? [d.mean - 4 * d.std, d.mean + 4 * d.std] : d.kind === 'uniform' ? [d.low! - 0.1 * (d.high! - d.low!), d.high! + 0.1 * (d.high! - d.low!)] : [d.mean - 1, d.mean + 1];
  const bins = 50;
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    const b = Math.floor((v - lo) / width);
    if (b >= 0 && b < bins) counts[b]!++;
  }
  const centres = counts.map((_, b) => lo + (b + 0.5) * width);
  const density = (x: number) => (d.kind === 'normal' ? Math.exp(-(((x - d.mean) / d.std) ** 2) / 2) / (d.std * Math.sqrt(2 * Math.PI)) : d.kind === 'uniform' ? (x >= d.low! && x <= d.high! ? 1 / (d.high! - d.low!) : 0) : NaN);
  chart.data.labels = centres.map((c) => c.toPrecision(3));
  chart.data.datasets[0]!.data = counts.map((c) => c / (n * width));
  chart.data.datasets[1]!.data = centres.map(density);
  chart.update();
  shown({ values: Array.from(values), mean, std, min, max, formula: d });
}

const run = task(update);
for (const el of [select, input('fan-out'), input('fan-in'), input('seed')]) el.addEventListener('change', run);
await run();
