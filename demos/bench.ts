// The kernel bench. For each kernel family's bench cases (its spec in src/kernels/<family>.ts), at
// each size: check the output against the float64 CPU reference, then time it after warm-up, and run the same workloads (same inputs, shapes, warm-up and
// number of runs, same clock) in TensorFlow.js and jax-js, each on its WebGPU and wasm backends, in
// the same page. The protocol and types are in bench/harness.ts, the shared workloads and their
// references in bench/workloads.ts, the peers in bench/peers-*.ts, the charts in bench/charts.ts.
// `npm run bench` drives this page headless; opened in a browser, its button runs it.
import { buildModel } from '../src/classifier';
import { requestGpu, type Gpu } from '../src/device/gpu';
import { HOT_USES } from '../src/device/tuner';
import { matmul, matmulDefault, matmulTuningKey, VARIANT_LABEL, type MatmulVariant } from '../src/kernels/matmul';
import { crossEntropyTuningKey, METRICS_LENGTH, softmaxCrossEntropy } from '../src/kernels/softmax_cross_entropy';
import { CrossEntropyLoss, type Linear } from '../src/nn';
import { Adam } from '../src/optim';
import { mulberry32 } from '../src/random';
import { families } from '../src/spec/families';
import { CaseScope } from '../src/spec/scope';
import { Tensor } from '../src/tensor';
import { drawCharts } from './bench/charts';
import { nav, task } from './common';
import { FULL, looksQuantised, PEERS, QUICK, RowSink, summarise, variantText, type BenchReport, type BenchRow, type Contender, type Verdict } from './bench/harness';
import { runJax } from './bench/peers-jax';
import { runTfjs } from './bench/peers-tfjs';
import { ADAM, dimsText, elementwiseSizes, matmulCases, type MatmulCase, type SoftmaxCase, sigmoidCase, softmaxCase, trainingBatches, trainingCase, TUNED } from './bench/workloads';

export type { BenchReport, BenchRow } from './bench/harness';

export interface BenchOptions {
  /** Tiny sizes, few samples: proves the bench works (used by npm test). */
  quick?: boolean;
  /** Skip the peers (TensorFlow.js and jax-js). */
  noPeers?: boolean;
  /** Only these peers (default: all). */
  peers?: Contender[];
  log?: (line: string) => void;
  /** The training step's batch sizes (default: 8 and 256; quick: 8). The GPU bundle adds 512. */
  trainingBatches?: number[];
  /** Aborting it stops the run before its next measurement. */
  signal?: AbortSignal;
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
    if (looksQuantised(times)) this.quantisedSeen = true;
  }

  get timestamps() {
    return { available: this.gpu.hasTimestamps, quantised: this.timestampsSeen ? this.quantisedSeen : null };
  }
}

/**
 * Every family's bench cases, from their specs (src/kernels/<family>.ts): each set up at its bench
 * sizes through a CaseScope, checked against its float64 reference after the first run, then timed.
 */
async function specBench(b: Ours, quick: boolean) {
  for (const family of families) {
    for (const c of family.spec) {
      if (!c.bench || (quick && c.bench.fullOnly)) continue;
      for (const dims of quick ? c.bench.sizes.slice(0, 1) : c.bench.sizes) {
        const scope = new CaseScope(b.gpu);
        try {
          const work = c.setup(scope, dims, mulberry32(1));
          const row = { kernel: family.name, case: c.name, variant: c.variant ?? 'v1', size: dimsText(dims), flop: c.bench.flop?.(dims), bytes: c.bench.bytes?.(dims) };
          await b.time(row, work.run, async () => {
            await work.check();
            const cs = scope.comparisons;
            // a case that compared nothing is a defect, not a pass
            return { maxError: Math.max(0, ...cs.map((x) => x.maxAbsError)), ok: cs.length > 0 && cs.every((x) => x.ok) };
          });
        } finally {
          scope.finish();
        }
      }
    }
  }
}

/**
 * Runs `run` until every key it dispatches is hot, then tunes them, untimed and without the tuner's
 * budget (the picks a long run converges to), so that no timed sample pays for tuning. Samples that
 * tuned were the batch-8 step's p90 of 196 ms against a median of 12.9.
 */
async function tuneFirst(gpu: Gpu, run: () => void) {
  const budget = gpu.tuner.budgetMs;
  gpu.tuner.budgetMs = Infinity;
  try {
    for (let i = 0; i < HOT_USES; i++) run();
    await gpu.sync();
  } finally {
    gpu.tuner.budgetMs = budget;
  }
}

/**
 * One row of a kernel as a user runs it, with no variant named: tuned first, then timed as variant
 * 'auto', naming the pick (the tuner's record for `key`, or `fallback` where the policy is 'fixed').
 * The peers are paired with these rows (scripts/bench-report.ts), not with the fastest of our
 * variant rows, which nobody could choose before they had all run.
 */
async function autoRow(
  b: Ours,
  row: { kernel: string; size: string; flop?: number; bytes?: number },
  run: () => void,
  poison: () => void,
  tuning: { key: string; fallback: string; label: (pick: string) => string },
  check: () => Promise<Verdict>,
) {
  const { gpu } = b;
  await tuneFirst(gpu, run);
  poison(); // the checked run starts from poison, not from the tuning runs' result
  const pick = gpu.tuner.records.get(tuning.key)?.pick ?? tuning.fallback;
  await b.time({ ...row, variant: 'auto', pick: tuning.label(pick) }, run, check);
}

async function autoMatmulBench(b: Ours, cases: MatmulCase[]) {
  const { gpu } = b;
  for (const m of cases) {
    const { M, N, K, transposeA, transposeB } = m;
    const a = Tensor.fromArray(gpu, m.a, transposeA ? [K, M] : [M, K]);
    const bt = Tensor.fromArray(gpu, m.b, transposeB ? [N, K] : [K, N]);
    const out = Tensor.empty(gpu, [M, N]);
    try {
      await autoRow(
        b,
        { kernel: 'matmul', size: m.size, flop: 2 * M * N * K },
        () => matmul(a, bt, out, { transposeA, transposeB }),
        () => out.write(new Float32Array(M * N).fill(NaN)),
        { key: matmulTuningKey(M, N, K, transposeA, transposeB), fallback: matmulDefault(M, N, K, transposeA, transposeB), label: (pick) => VARIANT_LABEL[pick as MatmulVariant] ?? pick },
        async () => m.check(await out.read()),
      );
    } finally {
      for (const t of [a, bt, out]) t.destroy();
    }
  }
}

async function autoCrossEntropyBench(b: Ours, cases: SoftmaxCase[]) {
  const { gpu } = b;
  for (const c of cases) {
    const { N, C } = c;
    const logits = Tensor.fromArray(gpu, c.logits, [N, C]);
    const labels = Tensor.fromArray(gpu, c.labels, [N], 'u32');
    const out = { rowLoss: Tensor.empty(gpu, [N]), dlogits: Tensor.empty(gpu, [N, C]), loss: Tensor.empty(gpu, [1]), metrics: Tensor.empty(gpu, [METRICS_LENGTH]) };
    try {
      await autoRow(
        b,
        { kernel: 'softmax_cross_entropy', size: c.size, bytes: 12 * N * C },
        () => softmaxCrossEntropy(logits, labels, out),
        () => [out.dlogits, out.loss].forEach((t) => t.write(new Float32Array(t.size).fill(NaN))),
        { key: crossEntropyTuningKey(N, C), fallback: 'serial', label: (pick) => (pick === 'tree' ? 'v1 fused, mean v2 tree' : 'v1 fused') },
        async () => c.check((await out.loss.read())[0]!, await out.dlogits.read()),
      );
    } finally {
      for (const t of [logits, labels, ...Object.values(out)]) t.destroy();
    }
  }
}

/** The tuned model's training step, from the workload's shared weights: nn, CrossEntropyLoss, Adam. */
async function trainingStepBench(b: Ours, batch: number) {
  const { gpu } = b;
  const t = trainingCase(batch);
  const model = buildModel(gpu, { features: TUNED[0]!, classes: TUNED.at(-1)!, hidden: TUNED.slice(1, -1), activation: 'sigmoid', dropout: 0, batchNorm: false }, 0);
  const linears = t.weights.map((_, l) => (model as unknown as Record<string, Linear>)[`linear${l + 1}`]!);
  const lossFn = new CrossEntropyLoss({ gpu });
  const x = Tensor.fromArray(gpu, t.x, [batch, TUNED[0]!]);
  const y = Tensor.fromArray(gpu, t.labels, [batch], 'u32');
  let optimizer!: Adam;
  /** The workload's initial weights and a fresh Adam: the checked first step starts from them. */
  const reset = () => {
    linears.forEach((linear, l) => {
      linear.weight.write(t.weights[l]!);
      linear.bias!.write(t.biases[l]!);
    });
    optimizer?.destroy();
    optimizer = new Adam(model.parameters(), { lr: ADAM.lr, betas: [ADAM.beta1, ADAM.beta2], eps: ADAM.eps });
  };
  let lossTensor: ReturnType<CrossEntropyLoss['forward']> | null = null;
  const step = () => {
    optimizer.zeroGrad();
    lossTensor = lossFn.forward(model.forward(x), y);
    lossTensor.backward();
    optimizer.step();
  };
  reset();
  await tuneFirst(gpu, step);
  reset();
  let firstLoss: number | null = null;
  const dispatches = gpu.stats.dispatches - gpu.tuner.stats.dispatches;
  let steps = 0;
  const split = { record: [] as number[], submit: [] as number[], wait: [] as number[] };
  const r = await b.sink.time(
    { contender: 'wgslgrad', kernel: 'training step', variant: 'wgslgrad', size: t.size, flop: t.flop },
    async () => {
      const started = performance.now();
      step();
      const recorded = performance.now();
      gpu.flush();
      const submitted = performance.now();
      await gpu.sync();
      split.record.push(recorded - started);
      split.submit.push(submitted - recorded);
      split.wait.push(performance.now() - submitted);
      steps++;
      // The first run keeps its loss for the check; timed runs read nothing.
      if (firstLoss === null) firstLoss = (await lossTensor!.read())[0]!;
    },
    async () => t.check(firstLoss!, await Promise.all(linears.map((l) => l.weight.read())), await Promise.all(linears.map((l) => l.bias!.read()))),
  );
  // Nothing is left to tune by now; any tuner dispatch would still not be the step's.
  r.dispatchesPerStep = (gpu.stats.dispatches - gpu.tuner.stats.dispatches - dispatches) / steps;
  // The timed samples only: the first run and the warm-ups went through the same function first.
  const timed = (values: number[]) => summarise(values.slice(-r.timing.samples)).median;
  r.stepSplit = { record: timed(split.record), submit: timed(split.submit), wait: timed(split.wait) };
  x.destroy();
  y.destroy();
  optimizer.destroy();
  lossFn.destroy();
  model.destroy();
}

export async function runBench(options: BenchOptions = {}): Promise<BenchReport> {
  const quick = options.quick ?? false;
  // The quick run (npm test) keeps the defaults: tuning compiles every variant, which takes a while
  // on a software adapter; the tuner has its own tests.
  const gpu = await requestGpu({ variantPolicy: quick ? 'fixed' : 'tuned' });
  const protocol = quick ? QUICK : FULL;
  const sink = new RowSink(protocol, options.log, options.signal);
  const ours = new Ours(gpu, sink);
  await specBench(ours, quick);
  // The peers run the rows they can express as one call of their own (the square and forward
  // matmuls, sigmoid, softmax + cross-entropy, the training step), at the sizes our specs timed.
  const timed = new Set(sink.rows.map((r) => `${r.kernel}|${r.size}`));
  const ran = <T extends { size: string }>(kernel: string, cases: T[]) => cases.filter((c) => timed.has(`${kernel}|${c.size}`));
  // one set of inputs and float64 references for our 'auto' rows and the peers
  const matmulWork = ran('matmul', matmulCases());
  const softmaxWork = ran('softmax_cross_entropy', elementwiseSizes.map(softmaxCase));
  await autoMatmulBench(ours, matmulWork);
  await autoCrossEntropyBench(ours, softmaxWork);
  for (const batch of options.trainingBatches ?? trainingBatches(quick)) await trainingStepBench(ours, batch);

  const work = {
    matmul: matmulWork,
    sigmoid: ran('activation', elementwiseSizes.map(sigmoidCase)),
    softmax: softmaxWork,
    training: trainingBatches(quick).map(trainingCase),
  };
  const peers: BenchReport['peers'] = [];
  for (const contender of options.noPeers ? [] : (options.peers ?? PEERS)) {
    try {
      if (contender === 'tfjs-webgpu' || contender === 'tfjs-wasm') await runTfjs(sink, contender === 'tfjs-webgpu' ? 'webgpu' : 'wasm', work);
      else if (contender === 'jax-webgpu' || contender === 'jax-wasm') await runJax(sink, contender === 'jax-webgpu' ? 'webgpu' : 'wasm', work);
      peers.push({ contender, ok: true });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      peers.push({ contender, ok: false, error: error instanceof Error ? error.message : String(error) });
      options.log?.(`${contender}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return {
    schema: 2,
    // In Node (--runtime node) there is no page: no user agent, no cross-origin isolation.
    meta: { browser: globalThis.navigator?.userAgent ?? 'Node', date: new Date().toISOString(), quick, protocol, crossOriginIsolated: globalThis.crossOriginIsolated ?? false },
    adapter: gpu.adapter,
    benchedFamilies: families.filter((f) => f.spec.some((c) => c.bench)).map((f) => f.name),
    timestamps: ours.timestamps,
    rows: sink.rows,
    peers,
    skipped: sink.skipped,
    tuning: { ms: gpu.tuner.stats.ms, picks: Object.fromEntries(gpu.tuner.records) },
  };
}

declare global {
  interface Window {
    /** run: the bench; show: fill the table and draw the charts from a report. */
    /** last: the report the page shows (from its Run button or out/bench.json), for a script or the console. */
    bench?: { run(options?: BenchOptions): Promise<BenchReport>; show(report: BenchReport): void; last?: BenchReport };
    wgslgradBenchLog?: (line: string) => void;
  }
}


/** A spec case's op: its name's words before the variant, size or shape ('relu backward', 'max_pool2d', 'mse loss'). */
function caseOp(name: string): string {
  const words = name.split(' ');
  const end = words.findIndex((w, i) => i > 0 && /^(v\d|n=|\[|\d|showcase|reduction=|bench$)/.test(w));
  return words.slice(0, end < 0 ? undefined : end).join(' ');
}

// Opened in a browser: the site's navigation; a button runs the bench, another shows the last `npm run bench` (the dev
// server serves out/bench.json); either fills the table and draws the charts.
function show(report: BenchReport): void {
  const body = document.querySelector('#results tbody')!;
  body.innerHTML = '';
  // Our rows that share a family, variant and size (sigmoid and ReLU, forward and backward; the three
  // poolings; the two regression losses) name their case's op in the first cell.
  const key = (r: BenchRow) => `${r.kernel}|${r.variant}|${r.size}`;
  const shared = new Map<string, number>();
  for (const r of report.rows) if (r.contender === 'wgslgrad') shared.set(key(r), (shared.get(key(r)) ?? 0) + 1);
  for (const r of report.rows) {
    const tr = document.createElement('tr');
    tr.title = r.case ?? '';
    for (const cell of [r.case && shared.get(key(r))! > 1 ? `${r.kernel} (${caseOp(r.case)})` : r.kernel, variantText(r), r.size, r.timing.median.toFixed(3), r.timing.p10.toFixed(3), r.timing.p90.toFixed(3), r.gpuTiming ? r.gpuTiming.median.toFixed(3) : '', r.rate, r.checked ? '✓' : '✗']) {
      const td = document.createElement('td');
      td.textContent = cell;
      tr.append(td);
    }
    body.append(tr);
  }
  drawCharts(document.getElementById('charts')!, report);
  window.bench!.last = report;
}

// In Node (npm run bench -- --runtime node, the GPU bundle) runBench is imported and there is no page.
if (typeof window !== 'undefined') window.bench = { run: (options = {}) => runBench({ ...options, log: (line) => window.wgslgradBenchLog?.(line) }), show };
if (typeof document !== 'undefined') mountPage();

function mountPage(): void {
  nav();

  const status = document.getElementById('status');
  const log = (line: string) => status && (status.textContent = line);
  const describe = (report: BenchReport) => {
    const failed = report.peers.filter((p) => !p.ok).map((p) => `${p.contender}: ${p.error}`);
    return `${report.adapter.vendor} ${report.adapter.architecture}${report.meta.commit ? `, commit ${report.meta.commit.slice(0, 7)}` : ''}; GPU timestamps ${report.timestamps.available ? (report.timestamps.quantised ? 'quantised' : 'available') : 'unavailable'}${failed.length ? `; not measured: ${failed.join('; ')}` : ''}`;
  };

  async function runFromPage(signal: AbortSignal): Promise<void> {
    document.querySelector('#results tbody')!.innerHTML = '';
    document.getElementById('charts')!.innerHTML = '';
    const report = await runBench({ log, signal, quick: (document.getElementById('quick') as HTMLInputElement).checked });
    show(report);
    log(`done on ${describe(report)}`);
  }
  const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
  $('run').addEventListener('click', task(runFromPage, { controls: [$<HTMLButtonElement>('run'), $<HTMLInputElement>('quick'), $<HTMLButtonElement>('load')], cancel: $<HTMLButtonElement>('cancel'), status: $('status') }));

  document.getElementById('load')?.addEventListener('click', async () => {
    try {
      const response = await fetch('/out/bench.json');
      // The built site's server answers a missing file with index.html (HTTP 200): the type tells.
      const json = /json/.test(response.headers.get('content-type') ?? '');
      if (!response.ok || !json) throw new Error(`no out/bench.json here (${response.ok ? 'the server sent a page instead' : `HTTP ${response.status}`}); run \`npm run bench\` and open this page from \`npm run dev\``);
      const report = (await response.json()) as BenchReport;
      if (report.schema !== 2) throw new Error(`out/bench.json has schema ${String(report.schema)}, this page reads 2`);
      show(report);
      log(`out/bench.json of ${report.meta.date}: ${describe(report)}`);
    } catch (error) {
      log(`error: ${error instanceof Error ? error.message : String(error)}`);
    }
  });
}
