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
import { requestGpu, type AdapterSummary, type Gpu } from '../src/device/gpu';
import { CrossEntropyLoss } from '../src/nn';
import { Adam } from '../src/optim';
import { adamInit } from '../src/reference/optim';
import { mlpTrainingStep } from '../src/reference/training';
import { mulberry32 } from '../src/random';
import { families } from '../src/spec/families';
import { CaseScope, type Dims } from '../src/spec/scope';
import { Tensor } from '../src/tensor';

setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });

export interface Timing {
  median: number;
  p10: number;
  p90: number;
  samples: number;
}

export interface BenchRow {
  /** The kernel family (src/kernels/<family>.ts), or 'training step'. */
  kernel: string;
  /** The spec case timed. */
  case?: string;
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
  /** The families whose spec has a bench plan. */
  benchedFamilies: string[];
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

const dimsText = (d: Dims) => Object.entries(d).map(([k, v]) => `${k}=${v}`).join(' ');

/** Every family's bench cases, from their specs: each checked against its reference, then timed. */
async function specBench(b: Bench, quick: boolean) {
  for (const family of families) {
    for (const c of family.spec) {
      if (!c.bench) continue;
      for (const dims of quick ? c.bench.sizes.slice(0, 1) : c.bench.sizes) {
        const scope = new CaseScope(b.gpu);
        try {
          const work = c.setup(scope, dims, mulberry32(1));
          const row = { kernel: family.name, case: c.name, variant: c.variant ?? 'v1', size: dimsText(dims), flop: c.bench.flop?.(dims), bytes: c.bench.bytes?.(dims) };
          await b.ours(row, work.run, async () => {
            await work.check();
            const cs = scope.comparisons;
            return { maxError: Math.max(0, ...cs.map((x) => x.maxAbsError)), ok: cs.length > 0 && cs.every((x) => x.ok) };
          });
        } finally {
          scope.finish();
        }
      }
    }
  }
}

const TUNED = [20, 128, 256, 512, 128, 4];

async function trainingStepBench(b: Bench, steps: number) {
  const { gpu } = b;
  const model = buildModel(gpu, { features: 20, classes: 4, hidden: TUNED.slice(1, -1), activation: 'sigmoid', dropout: 0, batchNorm: false }, 0);
  const lossFn = new CrossEntropyLoss({ gpu });
  const optimizer = new Adam(model.parameters(), { lr: 1e-4 });
  const x = Tensor.fromArray(gpu, randomArray(160, 1), [8, 20]);
  const y = Tensor.fromArray(gpu, Uint32Array.from({ length: 8 }, (_, i) => i % 4), [8], 'u32');
  const batch = randomArray(160, 2);
  const labels = Array.from({ length: 8 }, (_, i) => i % 4);
  const step = () => {
    x.write(batch);
    optimizer.zeroGrad();
    const loss = lossFn.forward(model.forward(x), y);
    loss.backward();
    optimizer.step();
    return loss;
  };
  // Check one step (its loss and every updated parameter) against the float64 reference step first.
  const params = model.parameters();
  const reference = await Promise.all(params.map(async (p) => adamInit(await p.read())));
  const gpuLoss = (await step().read())[0]!;
  const cpuLoss = mlpTrainingStep(reference, TUNED, batch, labels, 'sigmoid', { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false });
  const paramErrors = await Promise.all(params.map(async (p, i) => maxAbsError(await p.read(), reference[i]!.param)));
  const lossError = Math.abs(gpuLoss - cpuLoss);
  const checked = lossError <= 1e-5 * Math.abs(cpuLoss) + 1e-6 && paramErrors.every((e) => e <= 1e-6);
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
  b.rows.push({ kernel: 'training step', variant: 'wgslgrad', size: `batch 8, ${TUNED.join('→')}, Adam`, flop, timing, clock: 'wall-clock', rate: rate({ flop }, timing.median), dispatchesPerStep: (gpu.stats.dispatches - dispatches) / steps, checked, maxError: Math.max(lossError, ...paramErrors) });
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

export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const gpu = await requestGpu();
  const b = new Bench(gpu, options);
  const quick = options.quick ?? false;
  const square = (quick ? [64] : [64, 128, 256, 512, 1024]).map((n): [number, number, number, boolean, boolean, string] => [n, n, n, false, false, '']);
  await specBench(b, quick);
  // The tuned model's step at batch 8: forward x·Wᵀ, dX = dY·W, dW = dYᵀ·x, per layer.
  const layers = TUNED.slice(1).map((out, i) => [TUNED[i]!, out] as const);
  const skinny: [number, number, number, boolean, boolean, string][] = [
    ...layers.map(([inF, out]): [number, number, number, boolean, boolean, string] => [8, out, inF, false, true, ' (forward)']),
  ];
  await trainingStepBench(b, quick ? 3 : 50);

  const peers: BenchReport['peers'] = [];
  if (!options.noPeers) {
    for (const backend of ['webgpu', 'wasm']) {
      try {
        if (!(await tf.setBackend(backend))) throw new Error(`tf.setBackend('${backend}') failed`);
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
          await b.peer(backend, { kernel: 'activation', size: `${n}`, bytes: 8 * n }, () => tf.sigmoid(x));
          x.dispose();
          const N = Math.max(1, Math.floor(n / 10));
          if (slowSoftmax) {
            b.skipped.push(`softmax_cross_entropy tfjs-${backend} ${N}×10 (the previous size took over 3 s a run)`);
            continue;
          }
          const logits = tf.tensor2d(randomArray(N * 10, n + 1, -3, 3), [N, 10]);
          const onehot = tf.oneHot(tf.tensor1d(Array.from({ length: N }, (_, i) => (i * 7) % 10), 'int32'), 10);
          slowSoftmax = (await b.peer(backend, { kernel: 'softmax_cross_entropy', size: `${N}×10`, bytes: 12 * N * 10 }, () => tf.grad((z: tf.Tensor) => tf.losses.softmaxCrossEntropy(onehot, z))(logits))) > 3000;
          logits.dispose();
          onehot.dispose();
        }
        await tfjsTrainingStep(b, backend, quick ? 2 : backend === 'webgpu' ? 10 : 30);
        peers.push({ backend, ok: true });
      } catch (error) {
        peers.push({ backend, ok: false, error: error instanceof Error ? error.message : String(error) });
      }
    }
  }
  return { adapter: gpu.adapter, benchedFamilies: families.filter((f) => f.spec.some((c) => c.bench)).map((f) => f.name), timestamps: b.timestamps, rows: b.rows, peers, skipped: b.skipped };
}

declare global {
  interface Window {
    bench?: { run(options?: BenchOptions): Promise<BenchReport> };
    wgslgradBenchLog?: (line: string) => void;
  }
}

window.bench = { run: (options = {}) => runBench({ ...options, log: (line) => window.wgslgradBenchLog?.(line) }) };

// Opened in a browser: a button runs the bench and fills the table.
const button = document.getElementById('run') as HTMLButtonElement | null;
button?.addEventListener('click', async () => {
  button.disabled = true;
  const status = document.getElementById('status')!;
  const log = (line: string) => (status.textContent = line);
  try {
    const report = await runBench({ log, quick: (document.getElementById('quick') as HTMLInputElement).checked });
    const body = document.querySelector('#results tbody')!;
    body.innerHTML = '';
    for (const r of report.rows) {
      const tr = document.createElement('tr');
      for (const cell of [r.kernel, r.variant, r.size, r.timing.median.toFixed(3), r.timing.p10.toFixed(3), r.timing.p90.toFixed(3), r.rate, r.clock, r.checked === undefined ? '' : r.checked ? '✓' : '✗']) {
        const td = document.createElement('td');
        td.textContent = cell;
        tr.append(td);
      }
      body.append(tr);
    }
    log(`done on ${report.adapter.vendor} ${report.adapter.architecture}; timestamps ${report.timestamps.available ? (report.timestamps.quantised ? 'quantised' : 'available') : 'unavailable (wall clock)'}`);
  } catch (error) {
    log(`error: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    button.disabled = false;
  }
});
