// Init explorer: every torch.nn.init scheme, drawn on the GPU, as a histogram with the formula's
// density (normal, truncated normal, sparse) or bounds (uniform) over it, and the measured
// mean/std/min/max beside the formula's. dirac_ is left out: it needs a 3–5-D convolution weight and
// this page draws a 2-D [fan_out, fan_in] one.
import { Chart } from 'chart.js';
import * as init from '../src/init';
import { erf } from '../src/reference/special';
import { fmt, numberField, setupPage, shown, task } from './common';
import { Tensor } from '../src/tensor';

const gpu = await setupPage();
// mean/std: the values' mean and std; low/high: their bounds (absent: unbounded); loc/scale: the
// underlying normal's μ and σ (truncnormal, sparse); weight: the share of values under the curve (sparse).
type Dist = { kind: 'uniform' | 'normal' | 'constant' | 'truncnormal' | 'sparse'; mean: number; std: number; low?: number; high?: number; loc?: number; scale?: number; weight?: number; text: string };
type Scheme = { name: string; apply: (t: import('../src/tensor').Tensor) => void; dist: (fanIn: number, fanOut: number) => Dist };
const phi = (z: number) => Math.exp(-(z * z) / 2) / Math.sqrt(2 * Math.PI);
const Phi = (z: number) => (1 + erf(z / Math.SQRT2)) / 2;
/** N(μ, σ²) truncated to [a, b]: with α, β = (a − μ)/σ, (b − μ)/σ and Z = Φ(β) − Φ(α), mean μ + σ(φ(α) − φ(β))/Z, variance σ²(1 + (αφ(α) − βφ(β))/Z − ((φ(α) − φ(β))/Z)²). */
function truncNormal(mu: number, sigma: number, a: number, b: number): Dist {
  const [al, be] = [(a - mu) / sigma, (b - mu) / sigma];
  const z = Phi(be) - Phi(al);
  const d = (phi(al) - phi(be)) / z;
  const std = sigma * Math.sqrt(1 + (al * phi(al) - be * phi(be)) / z - d * d);
  return { kind: 'truncnormal', mean: mu + sigma * d, std, low: a, high: b, loc: mu, scale: sigma, text: `φ((x − μ)/σ)/(σZ) on [a, b] = [${a}, ${b}], Z = Φ((b − μ)/σ) − Φ((a − μ)/σ) = ${fmt(z)}; mean μ + σ(φ(α) − φ(β))/Z = ${fmt(mu + sigma * d)}, std ${fmt(std)}` };
}
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
  { name: 'truncNormal_(0, 1, −2, 2)', apply: (t) => init.truncNormal_(t, 0, 1, -2, 2), dist: () => truncNormal(0, 1, -2, 2) },
  { name: 'orthogonal_', apply: (t) => init.orthogonal_(t), dist: (i, o) => ({ kind: 'normal', mean: 0, std: 1 / Math.sqrt(Math.max(i, o)), text: `${o <= i ? 'rows' : 'columns'} orthonormal (a QR on the CPU, of the draws the GPU's fill_normal makes), so the mean square is exactly 1/max(fan_in, fan_out) = 1/${Math.max(i, o)}; elements ≈ N(0, 1/${Math.max(i, o)}), σ ≈ ${fmt(1 / Math.sqrt(Math.max(i, o)))}, |w| ≤ 1` }) },
  { name: 'sparse_(sparsity 0.1, std 0.01)', apply: (t) => init.sparse_(t, 0.1, 0.01), dist: (i, o) => { const f = Math.ceil(0.1 * o) / o; const std = 0.01 * Math.sqrt(1 - f); return { kind: 'sparse', mean: 0, std, loc: 0, scale: 0.01, weight: 1 - f, text: `a spike at 0 (ceil(0.1·fan_out) = ${Math.ceil(0.1 * o)} of each column's ${o}, f = ${fmt(f)}) plus N(0, 0.01²) for the rest (curve scaled by 1 − f); std = 0.01·√(1 − f) = ${fmt(std, 5)}` }; } },
  { name: 'eye_', apply: (t) => init.eye_(t), dist: (i, o) => { const k = Math.min(i, o); const n = i * o; const mean = k / n; return { kind: 'constant', mean, std: Math.sqrt((k - k * mean) / (n - 1)), low: 0, high: 1, text: `the identity: min(fan_in, fan_out) = ${k} ones on the diagonal, zeros elsewhere; mean = ${k}/(${i}·${o}) = ${fmt(mean, 6)}, std = √((k − k·mean)/(n − 1)) = ${fmt(Math.sqrt((k - k * mean) / (n - 1)), 6)}` }; } },
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
  for (const [id, v] of [['m-mean', mean], ['m-std', std], ['m-min', min], ['m-max', max], ['f-mean', d.mean], ['f-std', d.std], ['f-min', d.low ?? -Infinity], ['f-max', d.high ?? Infinity]] as const) {
    document.getElementById(id)!.textContent = Number.isFinite(v) ? fmt(v) : v > 0 ? '+∞' : '−∞';
  }
  document.getElementById('formula')!.textContent = `${scheme.name}: ${d.text}`;

  // 50 bins over the plotted range; densities so the formula's curve shares the axis.
  // A truncated normal is plotted over [a, b] ∩ μ ± 4σ, a sparse one over its normal part's ±4σ.
  const [l, h] = d.kind === 'truncnormal' ? [Math.max(d.low!, d.loc! - 4 * d.scale!), Math.min(d.high!, d.loc! + 4 * d.scale!)] : [d.low ?? d.mean, d.high ?? d.mean];
  const [lo, hi] = d.kind === 'normal' ? [d.mean - 4 * d.std, d.mean + 4 * d.std] : d.kind === 'sparse' ? [d.loc! - 4 * d.scale!, d.loc! + 4 * d.scale!] : h > l ? [l - 0.1 * (h - l), h + 0.1 * (h - l)] : [d.mean - 1, d.mean + 1];
  const bins = 50;
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) {
    const b = Math.floor((v - lo) / width);
    if (b >= 0 && b < bins) counts[b]!++;
  }
  const centres = counts.map((_, b) => lo + (b + 0.5) * width);
  const density = (x: number): number => {
    if (d.kind === 'normal') return phi((x - d.mean) / d.std) / d.std;
    if (d.kind === 'uniform') return x >= d.low! && x <= d.high! ? 1 / (d.high! - d.low!) : 0;
    if (d.kind === 'truncnormal') return x >= d.low! && x <= d.high! ? phi((x - d.loc!) / d.scale!) / (d.scale! * (Phi((d.high! - d.loc!) / d.scale!) - Phi((d.low! - d.loc!) / d.scale!))) : NaN;
    if (d.kind === 'sparse') return (d.weight! * phi((x - d.loc!) / d.scale!)) / d.scale!; // the spike at 0 is the bar above the curve
    return NaN;
  };
  chart.data.labels = centres.map((c) => c.toPrecision(3));
  chart.data.datasets[0]!.data = counts.map((c) => c / (n * width));
  chart.data.datasets[1]!.data = centres.map(density);
  chart.update();
  shown({ values: Array.from(values), mean, std, min, max, formula: d });
}

const run = task(update);
for (const el of [select, input('fan-out'), input('fan-in'), input('seed')]) el.addEventListener('change', run);
await run();
