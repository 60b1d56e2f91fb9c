// The kernel bench. For each kernel, variant and size: check the output against the float64 CPU
// reference, then time it after warm-up, and run the same workloads (same inputs, shapes, warm-up and
// number of runs, same clock) in TensorFlow.js and jax-js, each on its WebGPU and wasm backends, in
// the same page. The protocol and types are in bench/harness.ts, the shared workloads and their
// references in bench/workloads.ts, the peers in bench/peers-*.ts, the charts in bench/charts.ts.
// `npm run bench` drives this page headless; opened in a browser, its button runs it.
import { buildModel } from '../src/classifier';
import { requestGpu, type Gpu } from '../src/gpu';
import { CrossEntropyLoss, type Linear } from '../src/nn';
import * as ops from '../src/ops';
import { Adam } from '../src/optim';
import { adamInit, adamStep as adamRef } from '../src/reference/optim';
import { batchNorm as batchNormRef } from '../src/reference/batchnorm';
import { dropoutMask } from '../src/reference/dropout';
import { drawCharts } from './bench/charts';
import { compare, FULL, PEERS, QUICK, randomArray, RowSink, summarise, type BenchReport, type BenchRow, type Contender, type Verdict } from './bench/harness';
import { runJax } from './bench/peers-jax';
import { runTfjs } from './bench/peers-tfjs';
import { ADAM, elementwiseSizes, matmulCases, sigmoidCase, softmaxCase, trainingBatches, trainingCase, TUNED, type MatmulCase } from './bench/workloads';

export type { BenchReport, BenchRow } from './bench/harness';

export interface BenchOptions {
  /** Tiny sizes, few samples: proves the bench works (used by npm test). */
  quick?: boolean;
  /** Skip the peers (TensorFlow.js and jax-js). */
  noPeers?: boolean;
  /** Only these peers (default: all). */
  peers?: Contender[];
  log?: (line: string) => void;
}

/** Our rows: the shared protocol's wall clock, and the GPU's timestamps of the same dispatches beside it. */
class Ours {
  private quantisedSeen = false;
  private timestampsSeen = false;

  constructor(
    readonly gpu: Gpu,
    readonly sink: RowSink,
  ) {}

  async time(row: Omit<BenchRow, 'rate' | 'timing' | 'checked' | 'maxError' | 'compileMs' | 'contender'>, record: () => void, check: () => Promise<Verdict>): Promise<void> {
    const { gpu } = this;
    const r = await this.sink.time(
      { ...row, contender: 'wgslgrad' },
      async () => {
        record();
        await gpu.sync();
      },
      check,
    );
    if (!gpu.hasTimestamps) return;
    const times: number[] = [];
    for (let i = 0; i < r.timing.samples; i++) times.push(await gpu.timeDispatches(record));
    r.gpuTiming = summarise(times);
    this.timestampsSeen = true;
    if (times.every((t) => Math.abs(t / 0.1 - Math.round(t / 0.1)) < 1e-6)) this.quantisedSeen = true;
  }

  get timestamps() {
    return { available: this.gpu.hasTimestamps, quantised: this.timestampsSeen ? this.quantisedSeen : null };
  }
}

async function matmulBench(b: Ours, cases: MatmulCase[]) {
  const { gpu } = b;
  for (const m of cases) {
    const { M, N, K, transposeA, transposeB } = m;
    const a = gpu.fromArray(m.a, transposeA ? [K, M] : [M, K]);
    const bT = gpu.fromArray(m.b, transposeB ? [N, K] : [K, N]);
    const c = gpu.empty([M, N]);
    for (const variant of ops.MATMUL_VARIANTS) {
      if (variant === 'vec4' && ops.vec4Unsupported(M, N, K, transposeA, transposeB)) continue;
      if (variant === 'naive' && M * N * K > 300_000_000) continue; // v1 at 1024³ takes seconds a run
      await b.time(
        { kernel: 'matmul', variant: `v${ops.MATMUL_VARIANTS.indexOf(variant) + 1} ${variant}`, size: m.size, flop: 2 * M * N * K },
        () => ops.matmul(a, bT, c, { transposeA, transposeB, variant }),
        async () => m.check(await c.read()),
      );
    }
    [a, bT, c].forEach((t) => t.destroy());
  }
}

async function elementwiseBench(b: Ours, sizes: number[]) {
  const { gpu } = b;
  for (const n of sizes) {
    const sc = sigmoidCase(n);
    const x = gpu.fromArray(sc.x);
    const y = gpu.empty([n]);
    await b.time({ kernel: 'sigmoid', variant: n % 4 === 0 ? 'v2 vec4' : 'v1', size: sc.size, bytes: 8 * n }, () => ops.sigmoid(x, y), async () => sc.check(await y.read()));
    await b.time({ kernel: 'dropout', variant: 'v1 p=0.5', size: `${n}`, bytes: 8 * n }, () => ops.dropout(x, y, { p: 0.5, seed: 7, step: 1 }), async () => {
      const mask = dropoutMask(n, 0.5, 7, 1);
      return compare(await y.read(), Array.from(mask, (m, i) => m * sc.x[i]!), 1e-5);
    });
    x.destroy();
    y.destroy();

    const ce = softmaxCase(n);
    const logits = gpu.fromArray(ce.logits, [ce.N, ce.C]);
    const labels = gpu.fromArray(ce.labels, [ce.N], 'u32');
    const out = { rowLoss: gpu.empty([ce.N]), dlogits: gpu.empty([ce.N, ce.C]), loss: gpu.empty([1]), metrics: gpu.empty([5]) };
    await b.time({ kernel: 'softmax-CE', variant: 'v1 fused', size: ce.size, bytes: 12 * ce.N * ce.C }, () => ops.softmaxCrossEntropy(logits, labels, out), async () => ce.check((await out.loss.read())[0]!, await out.dlogits.read()));
    [logits, labels, out.rowLoss, out.dlogits, out.loss, out.metrics].forEach((t) => t.destroy());

    const channels = 64;
    const rows = Math.max(2, Math.floor(n / channels));
    const bnData = randomArray(rows * channels, n + 2, -2, 2);
    const bx = gpu.fromArray(bnData, [rows, channels]);
    const by = gpu.empty([rows, channels]);
    const ones = new Float32Array(channels).fill(1);
    const zeros = new Float32Array(channels);
    const args = { gamma: gpu.fromArray(ones), beta: gpu.fromArray(zeros), runningMean: gpu.fromArray(zeros), runningVar: gpu.fromArray(ones), mean: gpu.empty([channels]), invstd: gpu.empty([channels]), eps: 1e-5, momentum: 0.1, training: true, trackRunningStats: false };
    await b.time({ kernel: 'batch-norm', variant: 'v1 train', size: `${rows}×${channels}`, bytes: 12 * rows * channels }, () => ops.batchNorm(bx, by, args), async () => {
      const ref = batchNormRef(bnData, { N: rows, C: channels, S: 1, eps: 1e-5, momentum: 0.1, training: true, gamma: ones, beta: zeros, runningMean: zeros, runningVar: ones });
      return compare(await by.read(), ref.y, 1e-3);
    });
    [bx, by, args.gamma, args.beta, args.runningMean, args.runningVar, args.mean, args.invstd].forEach((t) => t.destroy());

    const theta = randomArray(n, n + 3);
    const gradData = randomArray(n, n + 4);
    const zerosN = new Float32Array(n);
    const state = { param: gpu.fromArray(theta), grad: gpu.fromArray(gradData), expAvg: gpu.fromArray(zerosN), expAvgSq: gpu.fromArray(zerosN) };
    const hyper = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false, step: 1 };
    // Checked after the first run (one Adam step from the initial state); later runs keep stepping.
    await b.time({ kernel: 'adam', variant: n % 4 === 0 ? 'v2 vec4' : 'v1', size: `${n}`, bytes: 28 * n }, () => ops.adamStep(state, hyper), async () => {
      const ref = adamInit(theta);
      adamRef(ref, gradData, { ...hyper });
      return compare(await state.param.read(), ref.param, 1e-6);
    });
    Object.values(state).forEach((t) => t.destroy());
  }
}

/** The tuned model's training step, from the workload's shared weights: nn, CrossEntropyLoss, Adam. */
async function trainingStepBench(b: Ours, batch: number) {
  const { gpu } = b;
  const t = trainingCase(batch);
  const model = buildModel(gpu, { features: TUNED[0]!, classes: TUNED.at(-1)!, hidden: TUNED.slice(1, -1), activation: 'sigmoid', dropout: 0, batchNorm: false }, 0);
  const linears = t.weights.map((_, l) => (model as unknown as Record<string, Linear>)[`linear${l + 1}`]!);
  linears.forEach((linear, l) => {
    linear.weight.write(t.weights[l]!);
    linear.bias!.write(t.biases[l]!);
  });
  const lossFn = new CrossEntropyLoss({ gpu });
  const optimizer = new Adam(model.parameters(), { lr: ADAM.lr, betas: [ADAM.beta1, ADAM.beta2], eps: ADAM.eps });
  const x = gpu.fromArray(t.x, [batch, TUNED[0]!]);
  const y = gpu.fromArray(t.labels, [batch], 'u32');
  let firstLoss: number | null = null;
  let lossTensor: ReturnType<CrossEntropyLoss['forward']> | null = null;
  const dispatches = gpu.stats.dispatches;
  let steps = 0;
  const r = await b.sink.time(
    { contender: 'wgslgrad', kernel: 'training step', variant: 'wgslgrad', size: t.size, flop: t.flop },
    async () => {
      optimizer.zeroGrad();
      lossTensor = lossFn.forward(model.forward(x), y);
      lossTensor.backward();
      optimizer.step();
      steps++;
      await gpu.sync();
      // The first run keeps its loss for the check; timed runs read nothing.
      if (firstLoss === null) firstLoss = (await lossTensor.read())[0]!;
    },
    async () => t.check(firstLoss!, await Promise.all(linears.map((l) => l.weight.read())), await Promise.all(linears.map((l) => l.bias!.read()))),
  );
  r.dispatchesPerStep = (gpu.stats.dispatches - dispatches) / steps;
  x.destroy();
  y.destroy();
}

export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const gpu = await requestGpu();
  const quick = options.quick ?? false;
  const protocol = quick ? QUICK : FULL;
  const sink = new RowSink(protocol, options.log);
  const ours = new Ours(gpu, sink);
  const mm = matmulCases(quick);
  await matmulBench(ours, [...mm.forward, ...mm.backward]);
  await matmulBench(ours, mm.square);
  await elementwiseBench(ours, elementwiseSizes(quick));
  for (const batch of trainingBatches(quick)) await trainingStepBench(ours, batch);

  // The peers run the rows they can express as one call of their own: the square and forward
  // matmuls, sigmoid, softmax-CE and the training step.
  const work = {
    matmul: [...mm.square, ...mm.forward],
    sigmoid: elementwiseSizes(quick).map(sigmoidCase),
    softmax: elementwiseSizes(quick).map(softmaxCase),
    training: trainingBatches(quick).map(trainingCase),
  };
  const peers: BenchReport['peers'] = [];
  for (const contender of options.noPeers ? [] : (options.peers ?? PEERS)) {
    try {
      if (contender === 'tfjs-webgpu' || contender === 'tfjs-wasm') await runTfjs(sink, contender === 'tfjs-webgpu' ? 'webgpu' : 'wasm', work);
      else if (contender === 'jax-webgpu' || contender === 'jax-wasm') await runJax(sink, contender === 'jax-webgpu' ? 'webgpu' : 'wasm', work);
      peers.push({ contender, ok: true });
    } catch (error) {
      peers.push({ contender, ok: false, error: error instanceof Error ? error.message : String(error) });
      options.log?.(`${contender}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return {
    schema: 2,
    meta: { browser: navigator.userAgent, date: new Date().toISOString(), quick, protocol, crossOriginIsolated },
    adapter: gpu.adapter,
    timestamps: ours.timestamps,
    rows: sink.rows,
    peers,
    skipped: sink.skipped,
  };
}

declare global {
  interface Window {
    /** run: the bench; show: fill the table and draw the charts from a report. */
    bench?: { run(options?: BenchOptions): Promise<BenchReport>; show(report: BenchReport): void };
    wgslgradBenchLog?: (line: string) => void;
  }
}


// Opened in a browser: a button runs the bench, another shows the last `npm run bench` (the dev
// server serves out/bench.json); either fills the table and draws the charts.
function show(report: BenchReport): void {
  const body = document.querySelector('#results tbody')!;
  body.innerHTML = '';
  for (const r of report.rows) {
    const tr = document.createElement('tr');
    for (const cell of [r.kernel, r.variant, r.size, r.timing.median.toFixed(3), r.timing.p10.toFixed(3), r.timing.p90.toFixed(3), r.gpuTiming ? r.gpuTiming.median.toFixed(3) : '', r.rate, r.checked ? '✓' : '✗']) {
      const td = document.createElement('td');
      td.textContent = cell;
      tr.append(td);
    }
    body.append(tr);
  }
  drawCharts(document.getElementById('charts')!, report);
}

window.bench = { run: (options = {}) => runBench({ ...options, log: (line) => window.wgslgradBenchLog?.(line) }), show };

const status = document.getElementById('status');
const log = (line: string) => status && (status.textContent = line);
const describe = (report: BenchReport) => {
  const failed = report.peers.filter((p) => !p.ok).map((p) => `${p.contender}: ${p.error}`);
  return `${report.adapter.vendor} ${report.adapter.architecture}${report.meta.commit ? `, commit ${report.meta.commit.slice(0, 7)}` : ''}; GPU timestamps ${report.timestamps.available ? (report.timestamps.quantised ? 'quantised' : 'available') : 'unavailable'}${failed.length ? `; not measured: ${failed.join('; ')}` : ''}`;
};

const button = document.getElementById('run') as HTMLButtonElement | null;
button?.addEventListener('click', async () => {
  button.disabled = true;
  try {
    const report = await runBench({ log, quick: (document.getElementById('quick') as HTMLInputElement).checked });
    show(report);
    log(`done on ${describe(report)}`);
  } catch (error) {
    log(`error: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    button.disabled = false;
  }
});

document.getElementById('load')?.addEventListener('click', async () => {
  try {
    const response = await fetch('/out/bench.json');
    if (!response.ok) throw new Error(`no out/bench.json here (HTTP ${response.status}); run \`npm run bench\` and open this page from \`npm run dev\``);
    const report = (await response.json()) as BenchReport;
    if (report.schema !== 2) throw new Error(`out/bench.json has schema ${String(report.schema)}, this page reads 2`);
    show(report);
    log(`out/bench.json of ${report.meta.date}: ${describe(report)}`);
  } catch (error) {
    log(`error: ${error instanceof Error ? error.message : String(error)}`);
  }
});
