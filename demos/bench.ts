// The kernel bench. For each kernel, variant and size: check the output against the float64 CPU
// reference, then time it after warm-up (GPU time from timestamp queries when the adapter has them,
// else wall clock around submit + onSubmittedWorkDone), and time TensorFlow.js (WebGPU and wasm
// backends) on the same shapes in the same page. `npm run bench` drives this page headless; opened in
// a browser, its button runs it and fills the table.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import * as tfl from '@tensorflow/tfjs-layers';
import { buildModel } from '../src/classifier';
import { requestGpu, type AdapterSummary, type Gpu } from '../src/gpu';
import { CrossEntropyLoss } from '../src/nn';
import * as ops from '../src/ops';
import { Adam } from '../src/optim';
import { adamInit, adamStep as adamRef } from '../src/reference/optim';
import { batchNorm as batchNormRef } from '../src/reference/batchnorm';
import { dropoutMask } from '../src/reference/dropout';
import { matmul as matmulRef, sigmoid as sigmoidRef } from '../src/reference/linalg';
import { softmaxCrossEntropy as crossEntropyRef } from '../src/reference/losses';
import { mulberry32 } from '../src/random';
import type { Tensor } from '../src/tensor';
import { nav, task } from './common';

setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });

export interface Timing {
  median: number;
  p10: number;
  p90: number;
  samples: number;
}

export interface BenchRow {
  kernel: string;
  variant: string;
  size: string;
  /** Work per run: floating-point operations (GFLOP/s) or bytes moved (GB/s). */
  flop?: number;
  bytes?: number;
  /** Ours: whether the output matched the float64 reference before timing; its max |error|. */
  checked?: boolean;
  maxError?: number;
  /** First run (pipeline compile included) minus the median run, ms. */
  compileMs?: number;
  timing: Timing;
  clock: 'gpu-timestamp' | 'wall-clock';
  rate: string;
  dispatchesPerStep?: number;
}

export interface BenchReport {
  adapter: AdapterSummary;
  timestamps: { available: boolean; quantised: boolean | null };
  rows: BenchRow[];
  peers: { backend: string; ok: boolean; error?: string }[];
  skipped: string[];
}

export interface BenchOptions {
  /** Tiny sizes, few samples: proves the bench works (used by npm test). */
  quick?: boolean;
  /** Skip TensorFlow.js. */
  noPeers?: boolean;
  log?: (line: string) => void;
  /** Aborting it stops the run before its next measurement. */
  signal?: AbortSignal;
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

function summarise(times: number[]): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  return { median: percentile(sorted, 0.5), p10: percentile(sorted, 0.1), p90: percentile(sorted, 0.9), samples: sorted.length };
}

function rate(row: Pick<BenchRow, 'flop' | 'bytes'>, ms: number): string {
  if (row.flop) return `${(row.flop / ms / 1e6).toFixed(2)} GFLOP/s`;
  if (row.bytes) return `${(row.bytes / ms / 1e6).toFixed(2)} GB/s`;
  return '';
}

function maxAbsError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i]! - expected[i]!);
    worst = Math.max(worst, Number.isNaN(e) ? Infinity : e);
  }
  return worst;
}

function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

class Bench {
  readonly rows: BenchRow[] = [];
  private quantisedSeen = false;
  private timestampsSeen = false;

  constructor(
    readonly gpu: Gpu,
    readonly options: BenchOptions,
  ) {}

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** Samples to take: about a second of runs, at least 3, at most 30 (5 when quick). */
  private sampleCount(firstMs: number): number {
    return Math.max(3, Math.min(this.options.quick ? 5 : 30, Math.ceil(1000 / Math.max(firstMs, 0.01))));
  }

  /** Times one of our kernels: check first (`check` returns max |error| and whether it passed), then sample. */
  async ours(row: Omit<BenchRow, 'timing' | 'clock' | 'rate'>, record: () => void, check: () => Promise<{ maxError: number; ok: boolean }>): Promise<void> {
    const { gpu } = this;
    this.options.signal?.throwIfAborted();
    const firstStart = performance.now();
    record();
    await gpu.sync();
    const firstMs = performance.now() - firstStart;
    const { maxError, ok } = await check();
    const useTimestamps = gpu.hasTimestamps;
    const times: number[] = [];
    for (let i = 0; i < 2; i++) {
      record();
      await gpu.sync();
    }
    const samples = this.sampleCount(firstMs);
    for (let i = 0; i < samples; i++) {
      if (useTimestamps) {
        times.push(await gpu.timeDispatches(record));
      } else {
        const t = performance.now();
        record();
        await gpu.sync();
        times.push(performance.now() - t);
      }
    }
    if (useTimestamps) {
      this.timestampsSeen = true;
      if (times.every((t) => Math.abs(t / 0.1 - Math.round(t / 0.1)) < 1e-6)) this.quantisedSeen = true;
    }
    const timing = summarise(times);
    const full: BenchRow = { ...row, checked: ok, maxError, compileMs: Math.max(0, firstMs - timing.median), timing, clock: useTimestamps ? 'gpu-timestamp' : 'wall-clock', rate: rate(row, timing.median) };
    this.rows.push(full);
    this.log(`${ok ? '' : 'MISMATCH '}${row.kernel} ${row.variant} ${row.size}: ${timing.median.toFixed(3)} ms ${full.rate}`);
  }

  /**
   * Times a TensorFlow.js op: wall clock until its work is done (WebGPU: its submitted work; wasm:
   * the call). Each sample repeats the op until it spans ≥ 2 ms, so short ops are not lost in the
   * clock's resolution; the time reported is per op.
   */
  async peer(backend: string, row: Omit<BenchRow, 'timing' | 'clock' | 'rate' | 'variant'>, run: () => tf.Tensor): Promise<number> {
    this.options.signal?.throwIfAborted();
    const repeated = async (reps: number) => {
      const t = performance.now();
      for (let i = 0; i < reps; i++) tf.tidy(run).dispose();
      if (backend === 'webgpu') {
        // TensorFlow.js batches dispatches in an open pass: end it and submit, then wait for the GPU.
        // (Submitting with the pass still open would send an invalid command buffer that runs nothing.)
        const b = tf.backend() as unknown as { endComputePassEncoder(): void; submitQueue(): void; commandEncoder: GPUCommandEncoder | null; device: GPUDevice };
        b.endComputePassEncoder();
        if (b.commandEncoder) b.submitQueue();
        await b.device.queue.onSubmittedWorkDone();
      }
      return (performance.now() - t) / reps;
    };
    const firstMs = await repeated(1);
    const times: number[] = [];
    if (firstMs > 2000) {
      times.push(await repeated(1)); // a slow op: one timed run after the first
    } else {
      const reps = Math.min(1000, Math.max(1, Math.ceil(2 / Math.max(await repeated(1), 1e-3))));
      const samples = this.sampleCount(firstMs * reps);
      for (let i = 0; i < samples; i++) times.push(await repeated(reps));
    }
    const timing = summarise(times);
    this.rows.push({ ...row, variant: `tfjs-${backend}`, timing, clock: 'wall-clock', rate: rate(row, timing.median) });
    this.log(`${row.kernel} tfjs-${backend} ${row.size}: ${timing.median.toFixed(3)} ms`);
    return timing.median;
  }

  /** Peer sizes not measured, and why. */
  readonly skipped: string[] = [];

  get timestamps() {
    return { available: this.gpu.hasTimestamps, quantised: this.timestampsSeen ? this.quantisedSeen : null };
  }
}

async function matmulBench(b: Bench, sizes: [number, number, number, boolean, boolean, string][]) {
  const { gpu } = b;
  for (const [M, N, K, transposeA, transposeB, label] of sizes) {
    const aData = randomArray(M * K, M + N);
    const bData = randomArray(K * N, N + K);
    const a = gpu.fromArray(aData, transposeA ? [K, M] : [M, K]);
    const bT = gpu.fromArray(bData, transposeB ? [N, K] : [K, N]);
    const c = gpu.empty([M, N]);
    const expected = matmulRef(aData, bData, { M, N, K, transposeA, transposeB });
    for (const variant of ops.MATMUL_VARIANTS) {
      if (variant === 'vec4' && ops.vec4Unsupported(M, N, K, transposeA, transposeB)) continue;
      if (variant === 'naive' && M * N * K > 300_000_000) continue; // v1 at 1024³ takes seconds a run
      await b.ours(
        { kernel: 'matmul', variant: `v${ops.MATMUL_VARIANTS.indexOf(variant) + 1} ${variant}`, size: `${M}×${N}×${K}${transposeA ? ' Aᵀ' : ''}${transposeB ? ' Bᵀ' : ''}${label}`, flop: 2 * M * N * K },
        () => ops.matmul(a, bT, c, { transposeA, transposeB, variant }),
        async () => {
          const err = maxAbsError(await c.read(), expected);
          return { maxError: err, ok: err <= 1e-6 * K + 1e-5 };
        },
      );
    }
    [a, bT, c].forEach((t) => t.destroy());
  }
}

async function elementwiseBench(b: Bench, sizes: number[]) {
  const { gpu } = b;
  for (const n of sizes) {
    const xData = randomArray(n, n, -4, 4);
    const x = gpu.fromArray(xData);
    const y = gpu.empty([n]);
    await b.ours({ kernel: 'sigmoid', variant: n % 4 === 0 ? 'v2 vec4' : 'v1', size: `${n}`, bytes: 8 * n }, () => ops.sigmoid(x, y), async () => {
      const out = await y.read();
      const err = maxAbsError(out, Array.from(xData, sigmoidRef));
      return { maxError: err, ok: err < 1e-5 };
    });
    await b.ours({ kernel: 'dropout', variant: 'v1 p=0.5', size: `${n}`, bytes: 8 * n }, () => ops.dropout(x, y, { p: 0.5, seed: 7, step: 1 }), async () => {
      const mask = dropoutMask(n, 0.5, 7, 1);
      const err = maxAbsError(await y.read(), Array.from(mask, (m, i) => m * xData[i]!));
      return { maxError: err, ok: err < 1e-5 };
    });
    x.destroy();
    y.destroy();

    const C = 10;
    const N = Math.max(1, Math.floor(n / C));
    const logitsData = randomArray(N * C, n + 1, -3, 3);
    const labelData = Uint32Array.from({ length: N }, (_, i) => (i * 7) % C);
    const logits = gpu.fromArray(logitsData, [N, C]);
    const labels = gpu.fromArray(labelData, [N], 'u32');
    const out = { rowLoss: gpu.empty([N]), dlogits: gpu.empty([N, C]), loss: gpu.empty([1]), metrics: gpu.empty([5]) };
    await b.ours({ kernel: 'softmax-CE', variant: 'v1 fused', size: `${N}×${C}`, bytes: 12 * N * C }, () => ops.softmaxCrossEntropy(logits, labels, out), async () => {
      const ref = crossEntropyRef(logitsData, labelData, N, C);
      const err = Math.max(maxAbsError(await out.loss.read(), [ref.loss]), maxAbsError(await out.dlogits.read(), ref.grad));
      return { maxError: err, ok: err < 1e-4 };
    });
    [logits, labels, out.rowLoss, out.dlogits, out.loss, out.metrics].forEach((t) => t.destroy());

    const channels = 64;
    const rows = Math.max(2, Math.floor(n / channels));
    const bnData = randomArray(rows * channels, n + 2, -2, 2);
    const bx = gpu.fromArray(bnData, [rows, channels]);
    const by = gpu.empty([rows, channels]);
    const ones = new Float32Array(channels).fill(1);
    const zeros = new Float32Array(channels);
    const args = { gamma: gpu.fromArray(ones), beta: gpu.fromArray(zeros), runningMean: gpu.fromArray(zeros), runningVar: gpu.fromArray(ones), mean: gpu.empty([channels]), invstd: gpu.empty([channels]), eps: 1e-5, momentum: 0.1, training: true, trackRunningStats: false };
    await b.ours({ kernel: 'batch-norm', variant: 'v1 train', size: `${rows}×${channels}`, bytes: 12 * rows * channels }, () => ops.batchNorm(bx, by, args), async () => {
      const ref = batchNormRef(bnData, { N: rows, C: channels, S: 1, eps: 1e-5, momentum: 0.1, training: true, gamma: ones, beta: zeros, runningMean: zeros, runningVar: ones });
      const err = maxAbsError(await by.read(), ref.y);
      return { maxError: err, ok: err < 1e-3 };
    });
    [bx, by, args.gamma, args.beta, args.runningMean, args.runningVar, args.mean, args.invstd].forEach((t) => t.destroy());

    const theta = randomArray(n, n + 3);
    const gradData = randomArray(n, n + 4);
    const zerosN = new Float32Array(n);
    const state = { param: gpu.fromArray(theta), grad: gpu.fromArray(gradData), expAvg: gpu.fromArray(zerosN), expAvgSq: gpu.fromArray(zerosN) };
    const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false, step: 1 };
    const variant = n % 4 === 0 ? 'v2 vec4' : 'v1';
    let first = true;
    await b.ours({ kernel: 'adam', variant, size: `${n}`, bytes: 28 * n }, () => ops.adamStep(state, hyper), async () => {
      if (!first) return { maxError: 0, ok: true };
      first = false;
      const ref = adamInit(theta);
      adamRef(ref, gradData, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false });
      const err = maxAbsError(await state.param.read(), ref.param);
      return { maxError: err, ok: err < 1e-6 };
    });
    Object.values(state).forEach((t) => t.destroy());
  }
}

const TUNED = [20, 128, 256, 512, 128, 4];

async function trainingStepBench(b: Bench, steps: number) {
  const { gpu } = b;
  const model = buildModel(gpu, { features: 20, classes: 4, hidden: TUNED.slice(1, -1), activation: 'sigmoid', dropout: 0, batchNorm: false }, 0);
  const lossFn = new CrossEntropyLoss({ gpu });
  const optimizer = new Adam(model.parameters(), { lr: 1e-4 });
  const x = gpu.fromArray(randomArray(160, 1), [8, 20]);
  const y = gpu.fromArray(Uint32Array.from({ length: 8 }, (_, i) => i % 4), [8], 'u32');
  const batch = randomArray(160, 2);
  const step = () => {
    x.write(batch);
    optimizer.zeroGrad();
    lossFn.forward(model.forward(x), y).backward();
    optimizer.step();
  };
  for (let i = 0; i < 3; i++) step();
  await gpu.sync();
  const dispatches = gpu.stats.dispatches;
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    step();
    await gpu.sync();
    times.push(performance.now() - t);
  }
  const timing = summarise(times);
  const flop = 3 * 2 * 8 * TUNED.slice(1).reduce((a, out, i) => a + out * TUNED[i]!, 0);
  b.rows.push({ kernel: 'training step', variant: 'wgslgrad', size: `batch 8, ${TUNED.join('→')}, Adam`, flop, timing, clock: 'wall-clock', rate: rate({ flop }, timing.median), dispatchesPerStep: (gpu.stats.dispatches - dispatches) / steps, checked: true });
}

/** The same model and step in TensorFlow.js: dense sigmoid layers, softmax + cross-entropy, Adam 1e-4. */
async function tfjsTrainingStep(b: Bench, backend: string, steps: number) {
  const model = tfl.sequential();
  TUNED.slice(1).forEach((units, i) => model.add(tfl.layers.dense({ units, inputShape: i === 0 ? [20] : undefined, activation: i + 2 < TUNED.length ? 'sigmoid' : 'softmax' } as never)));
  model.compile({ optimizer: tf.train.adam(1e-4), loss: 'categoricalCrossentropy' });
  const x = tf.tensor2d(randomArray(160, 1), [8, 20]);
  const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 0, 1, 2, 3], 'int32'), 4);
  for (let i = 0; i < 2; i++) await model.trainOnBatch(x, y);
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t = performance.now();
    await model.trainOnBatch(x, y);
    times.push(performance.now() - t);
  }
  const timing = summarise(times);
  b.rows.push({ kernel: 'training step', variant: `tfjs-${backend}`, size: `batch 8, ${TUNED.join('→')}, Adam`, timing, clock: 'wall-clock', rate: '' });
  model.dispose();
  x.dispose();
  y.dispose();
}

/**
 * A backend whose workers fail to start (a minifier that breaks TensorFlow.js's threaded wasm worker,
 * vite.config.ts says how) never settles setBackend: report it instead of hanging the bench.
 */
function settlesWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer = 0;
  const timeout = new Promise<never>((_, reject) => (timer = window.setTimeout(() => reject(new Error(`${what} did not settle in ${ms / 1000} s`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const gpu = await requestGpu();
  const b = new Bench(gpu, options);
  const quick = options.quick ?? false;
  const square = (quick ? [64] : [64, 128, 256, 512, 1024]).map((n): [number, number, number, boolean, boolean, string] => [n, n, n, false, false, '']);
  // The tuned model's step at batch 8: forward x·Wᵀ, dX = dY·W, dW = dYᵀ·x, per layer.
  const layers = TUNED.slice(1).map((out, i) => [TUNED[i]!, out] as const);
  const skinny: [number, number, number, boolean, boolean, string][] = [
    ...layers.map(([inF, out]): [number, number, number, boolean, boolean, string] => [8, out, inF, false, true, ' (forward)']),
    ...layers.slice(1).map(([inF, out]): [number, number, number, boolean, boolean, string] => [8, inF, out, false, false, ' (dX)']),
    ...layers.map(([inF, out]): [number, number, number, boolean, boolean, string] => [out, inF, 8, true, false, ' (dW)']),
  ];
  await matmulBench(b, quick ? skinny.slice(0, 3) : skinny);
  await matmulBench(b, square);
  await elementwiseBench(b, quick ? [1000] : [1e3, 1e4, 1e5, 1e6, 1e7]);
  await trainingStepBench(b, quick ? 3 : 50);

  const peers: BenchReport['peers'] = [];
  if (!options.noPeers) {
    for (const backend of ['webgpu', 'wasm']) {
      try {
        if (!(await settlesWithin(tf.setBackend(backend), 60_000, `tf.setBackend('${backend}')`))) throw new Error(`tf.setBackend('${backend}') failed`);
        await tf.ready();
        for (const [M, N, K, , transposeB, label] of [...square, ...(quick ? [] : skinny.slice(0, layers.length))]) {
          const a = tf.tensor2d(randomArray(M * K, 1), [M, K]);
          const w = tf.tensor2d(randomArray(K * N, 2), transposeB ? [N, K] : [K, N]);
          await b.peer(backend, { kernel: 'matmul', size: `${M}×${N}×${K}${transposeB ? ' Bᵀ' : ''}${label}`, flop: 2 * M * N * K }, () => tf.matMul(a, w, false, transposeB));
          a.dispose();
          w.dispose();
        }
        let slowSoftmax = false; // stop the sweep once a size takes > 3 s a run
        for (const n of quick ? [1000] : [1e3, 1e4, 1e5, 1e6, 1e7]) {
          const x = tf.tensor1d(randomArray(n, n, -4, 4));
          await b.peer(backend, { kernel: 'sigmoid', size: `${n}`, bytes: 8 * n }, () => tf.sigmoid(x));
          x.dispose();
          const N = Math.max(1, Math.floor(n / 10));
          if (slowSoftmax) {
            b.skipped.push(`softmax-CE tfjs-${backend} ${N}×10 (the previous size took over 3 s a run)`);
            continue;
          }
          const logits = tf.tensor2d(randomArray(N * 10, n + 1, -3, 3), [N, 10]);
          const onehot = tf.oneHot(tf.tensor1d(Array.from({ length: N }, (_, i) => (i * 7) % 10), 'int32'), 10);
          slowSoftmax = (await b.peer(backend, { kernel: 'softmax-CE', size: `${N}×10`, bytes: 12 * N * 10 }, () => tf.grad((z: tf.Tensor) => tf.losses.softmaxCrossEntropy(onehot, z))(logits))) > 3000;
          logits.dispose();
          onehot.dispose();
        }
        await tfjsTrainingStep(b, backend, quick ? 2 : backend === 'webgpu' ? 10 : 30);
        peers.push({ backend, ok: true });
      } catch (error) {
        if (options.signal?.aborted) throw error;
        peers.push({ backend, ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
  return { adapter: gpu.adapter, timestamps: b.timestamps, rows: b.rows, peers, skipped: b.skipped };
}

declare global {
  interface Window {
    bench?: { run(options?: BenchOptions): Promise<BenchReport> };
    wgslgradBenchLog?: (line: string) => void;
  }
}

window.bench = { run: (options = {}) => runBench({ ...options, log: (line) => window.wgslgradBenchLog?.(line) }) };

// Opened in a browser: the site's navigation, and a button that runs the bench and fills the table.
nav();
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $('status');
async function runFromPage(signal: AbortSignal): Promise<void> {
  const log = (line: string) => (status.textContent = line);
  const body = document.querySelector('#results tbody')!;
  body.innerHTML = '';
  const report = await runBench({ log, signal, quick: $<HTMLInputElement>('quick').checked });
  for (const r of report.rows) {
    const tr = document.createElement('tr');
    for (const cell of [r.kernel, r.variant, r.size, r.timing.median.toFixed(3), r.timing.p10.toFixed(3), r.timing.p90.toFixed(3), r.rate, r.clock, r.checked === undefined ? '' : r.checked ? '✓' : '✗']) {
      const td = document.createElement('td');
      td.textContent = cell;
      tr.append(td);
    }
    body.append(tr);
  }
  const failed = report.peers.filter((p) => !p.ok).map((p) => `; TensorFlow.js ${p.backend} not measured: ${p.error}`);
  log(`done on ${report.adapter.vendor} ${report.adapter.architecture}; timestamps ${report.timestamps.available ? (report.timestamps.quantised ? 'quantised' : 'available') : 'unavailable (wall clock)'}${failed.join('')}`);
}
$('run').addEventListener('click', task(runFromPage, { controls: [$<HTMLButtonElement>('run'), $<HTMLInputElement>('quick')], cancel: $<HTMLButtonElement>('cancel'), status }));
