// shaders/softmax_cross_entropy.wgsl: fused softmax + cross-entropy (nn.CrossEntropyLoss, mean over
// the batch): each row's loss and d loss / d logits in one pass, then the mean and the epoch metrics.
import type { Gpu } from '../device/gpu';
import { grid1d, loadShader } from '../device/shader';
import { sizeClass, type TuningJob } from '../device/tuner';
import { expectDtype, expectRange, expectRank, expectShape } from '../launch';
import { nllLoss as nllRef, softmaxCrossEntropy as crossEntropyRef } from '../reference/losses';
import { integers, PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type CaseScope, type KernelCase, type Spec } from '../spec/scope';
import { Tensor, type BackwardRule } from '../tensor';
import { combine } from './arithmetic';
import { expectReductionVariant, REDUCTION_VARIANTS, type ReductionVariant } from './reduce';

export const shader = loadShader('softmax_cross_entropy');

/**
 * The metrics tensor's length: running sums of the batch losses, correct rows, counted rows and
 * batches; the first non-finite batch (from 1; 0 if none); the first batch with a label outside
 * [0, C) (from 1; 0 if none), its first such row, and that label's 32 bits as two 16-bit halves.
 */
export const METRICS_LENGTH = 9;

/** The first label outside [0, C) that the metrics recorded, or null: its batch (from 1), row (from 0) and value. */
export function badLabelIn(metrics: ArrayLike<number>, dtype: 'u32' | 'i32'): { batch: number; row: number; label: number } | null {
  const [batch = 0, row = 0, high = 0, low = 0] = Array.from(metrics).slice(5, 9);
  if (batch === 0) return null;
  const bits = high * 65536 + low;
  return { batch, row, label: dtype === 'i32' ? bits | 0 : bits };
}

export interface CrossEntropyOutputs {
  /** [N]: each row's loss (weighted and smoothed; 0 for an ignored row). */
  rowLoss: Tensor;
  /** [N, C]: the logits' gradient for the reduced loss. */
  dlogits: Tensor;
  /** [1]: the reduced loss ('none' writes the mean here, for the metrics). */
  loss: Tensor;
  /** [METRICS_LENGTH]: running sums and the first bad batch and label (METRICS_LENGTH says which slot is which); never cleared here. */
  metrics: Tensor;
  /** [N]: each row's weight in the mean; needed with class weights or ignored rows. */
  rowWeight?: Tensor;
  /** [1]: Σ row weights, the mean's denominator; needed with class weights or ignored rows. */
  norm?: Tensor;
}

export type Reduction = 'mean' | 'sum' | 'none';

export interface CrossEntropyOptions {
  /** [C] class weights (nn.CrossEntropyLoss's weight). */
  weight?: Tensor;
  /** Rows with this label count nowhere (PyTorch's default −100, which u32 labels never hold). */
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
  /** nn.NLLLoss: the logits are log-probabilities already (a log_softmax's output), no softmax is taken (nll_rows); no label smoothing. */
  logProbabilities?: boolean;
  /** Overrides the gradient's scale (default: 1/N for an unweighted mean, 1 for a sum or 'none'). */
  gradScale?: number;
  accumulate?: boolean;
  gradientOnly?: boolean;
  /** The mean's reduction: 'serial' (one invocation) or 'tree' (a workgroup of 256); default: the tuner's pick. */
  variant?: ReductionVariant;
}

const ceUnused = new WeakMap<Tensor['gpu'], Tensor>();

/**
 * Fused softmax + cross-entropy (nn.CrossEntropyLoss with PyTorch's weight, ignore_index,
 * reduction and label_smoothing) and its gradient. Labels are u32 or i32 class indices.
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, out: CrossEntropyOutputs, options: CrossEntropyOptions = {}): void {
  const op = 'softmaxCrossEntropy';
  expectRank(op, 'logits', logits, [2]);
  expectDtype(op, 'logits', logits, 'f32');
  const [N, C] = [logits.shape[0]!, logits.shape[1]!];
  if (labels.dtype !== 'u32' && labels.dtype !== 'i32') throw new Error(`${op}: argument 'labels' expected dtype u32 or i32, got ${labels.dtype}`);
  expectShape(op, 'labels', labels, [N]);
  expectShape(op, 'rowLoss', out.rowLoss, [N]);
  expectShape(op, 'dlogits', out.dlogits, [N, C]);
  expectShape(op, 'loss', out.loss, [1]);
  expectShape(op, 'metrics', out.metrics, [METRICS_LENGTH]);
  const { weight, ignoreIndex = -100, reduction = 'mean', labelSmoothing = 0 } = options;
  if (!['mean', 'sum', 'none'].includes(reduction)) throw new Error(`${op}: argument 'reduction' expected 'mean', 'sum' or 'none', got ${String(reduction)}`);
  expectRange(op, 'ignoreIndex', ignoreIndex, Number.isInteger(ignoreIndex) && ignoreIndex >= -(2 ** 31) && ignoreIndex < 2 ** 31, 'an int32');
  expectRange(op, 'labelSmoothing', labelSmoothing, labelSmoothing >= 0 && labelSmoothing <= 1, 'a number in [0, 1]');
  if (options.logProbabilities && labelSmoothing !== 0) throw new Error(`${op}: label smoothing is cross-entropy's, not NLL's (logProbabilities)`);
  if (weight) {
    expectDtype(op, 'weight', weight, 'f32');
    expectShape(op, 'weight', weight, [C]);
  }
  // u32 labels can only hold a non-negative ignore index; PyTorch's default −100 then ignores nothing.
  const ignore = labels.dtype === 'i32' || ignoreIndex >= 0;
  const weightedMean = reduction !== 'sum' && (weight !== undefined || ignore);
  if (weightedMean) {
    if (!out.rowWeight || !out.norm) throw new Error(`${op}: arguments 'rowWeight' and 'norm' are required for a mean with class weights or an ignore index`);
    expectShape(op, 'rowWeight', out.rowWeight, [N]);
    expectShape(op, 'norm', out.norm, [1]);
  }
  const normalize = weightedMean && reduction === 'mean' && options.gradScale === undefined;
  const gradScale = options.gradScale ?? (reduction === 'mean' && !normalize ? 1 / N : 1);
  expectRange(op, 'gradScale', gradScale, true, 'a finite number');
  const params = { N, C, grad_scale: gradScale, ignore_index: ignoreIndex, one_minus_smoothing: 1 - labelSmoothing, smoothing_over_c: labelSmoothing / C };
  const gpu = logits.gpu;
  // Both means handle every option, so the tuner may pick either; the shape decides.
  const variant = options.variant ?? (options.gradientOnly ? 'serial' : gpu.tuner.choose(crossEntropyTuningKey(N, C), 'serial', () => crossEntropyJob(gpu, N, C)));
  expectReductionVariant(op, variant);
  const [unused0, unused1] = gpu.placeholders;
  // A third unused binding (gpu.placeholders has two): written bindings must not overlap.
  let unused2 = ceUnused.get(gpu);
  if (!unused2) ceUnused.set(gpu, (unused2 = Tensor.empty(gpu, [4], 'f32', 'unused binding 2')));
  // An int32 tensor binds as its 32-bit pattern; the kernel reads labels as i32.
  const labelBits = labels.dtype === 'i32' ? new Tensor(gpu, labels.buffer, labels.shape, 'u32', labels.byteOffset, labels.label) : labels;
  const buffers = { logits, labels: labelBits, class_weight: weight ?? unused0, norm: out.norm ?? unused1, row_loss: out.rowLoss, row_weight: out.rowWeight ?? unused2, dlogits: out.dlogits, loss: out.loss, metrics: out.metrics };
  const constants = { HAS_WEIGHT: weight !== undefined, IGNORE: ignore, NORMALIZE: normalize, WEIGHTED_MEAN: weightedMean, SUM: reduction === 'sum' };
  // Each entry point binds only what it reads (reflected): hand it those of our buffers.
  const run = (name: string, grid: readonly number[], extra: Record<string, boolean> = {}) => {
    const entry = shader.entry(name);
    const args = Object.fromEntries(entry.bindings.map((b) => [b.name, b.name === 'params' ? params : buffers[b.name as keyof typeof buffers]!]));
    gpu.dispatch(entry, args, grid, { ...constants, ...extra });
  };
  if (normalize) run('cross_entropy_normalizer', [1]);
  const rows = options.logProbabilities ? 'nll_rows' : 'cross_entropy_rows';
  run(rows, grid1d(shader.entry(rows), N), { ACCUMULATE: options.accumulate ?? false });
  if (options.gradientOnly) return;
  run(variant === 'tree' ? 'cross_entropy_mean_tree' : 'cross_entropy_mean', [1]);
}

/** The tuner's key for the mean's variant: size classes of N and C. */
export const crossEntropyTuningKey = (N: number, C: number) => `crossEntropyMean N≤${sizeClass(N)} C≤${sizeClass(C)}`;

function crossEntropyJob(gpu: Gpu, N: number, C: number): TuningJob {
  return {
    shape: `${N}×${C}`,
    fallback: 'serial',
    candidates: REDUCTION_VARIANTS,
    prepare() {
      const t = (shape: number[], dtype: 'f32' | 'u32' = 'f32') => Tensor.empty(gpu, shape, dtype, 'tuning cross-entropy');
      const [logits, labels] = [t([N, C]), t([N], 'u32')];
      const out = { rowLoss: t([N]), dlogits: t([N, C]), loss: t([1]), metrics: t([METRICS_LENGTH]) };
      return {
        run: (variant) => softmaxCrossEntropy(logits, labels, out, { variant: variant as ReductionVariant }),
        destroy: () => [logits, labels, ...Object.values(out)].forEach((u) => u.destroy()),
      };
    },
  };
}

export const gradients = {
  /**
   * loss = CE(logits, labels): d loss / d logits ((softmax − onehot) / N for a plain mean) is already
   * computed by the forward. As a term of a larger loss, it is scaled by the upstream gradient: one
   * number for 'mean' and 'sum', one per row for 'none'.
   */
  crossEntropy: (logits: Tensor, labels: Tensor, out: CrossEntropyOutputs, options: CrossEntropyOptions = {}): BackwardRule => (ctx, dloss) => {
    if (dloss !== null) {
      const [N, C] = [logits.shape[0]!, logits.shape[1]!]; // [N, C], as the forward checked
      const { grad, accumulate } = ctx.target(logits);
      const broadcast = options.reduction === 'none' ? { inner: C, bSize: N } : { inner: N * C, bSize: 1 };
      combine(grad, { op: 'mul', a: out.dlogits, b: dloss, broadcast, accumulate });
      return;
    }
    // Hand the forward's gradient buffer over when we can; otherwise write it again through target().
    if (ctx.donate(logits, out.dlogits)) return;
    const { grad, accumulate } = ctx.target(logits);
    softmaxCrossEntropy(logits, labels, { ...out, dlogits: grad }, { ...options, accumulate, gradientOnly: true });
  },
};

const cases: KernelCase[] = [];
// The metrics accumulate, so a case's start at zero (gpu.clear), where other outputs start poisoned.
const zeroedMetrics = (s: CaseScope) => {
  const metrics = s.output([METRICS_LENGTH], 'metrics');
  s.gpu.clear(metrics);
  return metrics;
};
// The mean's v2 (tree) runs the cases marked 'tree' too.
for (const [N, C, scale, ties, tree] of [[1, 1, 3, false, true], [8, 4, 3, false, false], [37, 10, 5, false, true], [256, 10, 4, false, false], [1000, 7, 3, false, true], [5, 3, 1e4, false, false], [3, 1, 1e4, false, false], [70001, 2, 2, false, true], [300, 4, 1, true, true], [257, 3, 3, false, true], [PAST_GRID_LIMIT, 2, 2, false, false]] as const) {
  for (const variant of tree ? (['serial', 'tree'] as const) : (['serial'] as const)) cases.push(
    kernelCase({
      name: `softmax-cross-entropy ${N}×${C}${scale >= 1e4 ? ' logits ±1e4' : ''}${ties ? ' tied logits' : ''}${variant === 'tree' ? ' mean v2 tree' : ''}`,
      entries: ['cross_entropy_rows', variant === 'tree' ? 'cross_entropy_mean_tree' : 'cross_entropy_mean'],
      variant: variant === 'tree' ? 'v1 fused, mean v2 tree' : 'v1 fused',
      dims: { N, C },
      showcase: N === 256 && variant === 'serial',
      setup(s, { N, C }, random) {
        // Tied logits (integers in {−1, 0, 1}) check that accuracy's arg-max takes the first maximum.
        const logits = uniform(random, N * C, -scale, scale).map((v) => (ties ? Math.round(v) : v));
        const labels = integers(random, N, C);
        const out = { rowLoss: s.output([N], 'row loss'), dlogits: s.output([N, C], 'dlogits'), loss: s.output([1], 'loss'), metrics: zeroedMetrics(s) };
        const [lt, yt] = [s.input(logits, [N, C]), s.input(labels, [N], 'u32', 'labels')];
        let runs = 0;
        return {
          run: () => {
            runs++;
            softmaxCrossEntropy(lt, yt, out, { variant });
          },
          check: async () => {
            const expected = crossEntropyRef(logits, labels, N, C);
            const tol = 1e-5 * Math.max(1, scale);
            await s.check('dlogits', out.dlogits, expected.grad, 1e-6 / N + 1e-7, 1e-4);
            await s.check('row loss', out.rowLoss, expected.rowLoss, tol, 1e-5);
            // cross_entropy_mean sums the rows in blocks of 64, 64 blocks, … (one running f32 total
            // was 1.7e-3 off at 4.2 million rows).
            const meanRtol = 4e-6;
            await s.check('loss', out.loss, [expected.loss], tol, meanRtol);
            await s.check('metrics (loss, correct, rows, batches, first non-finite, first bad label: batch, row, label)', out.metrics, [expected.loss * runs, expected.correct * runs, N * runs, runs, 0, 0, 0, 0, 0], tol * runs, meanRtol);
          },
        };
      },
      ...(N === 1000 ? { bench: { sizes: [1e3, 1e4, 1e5, 1e6].map((n) => ({ N: n / 10, C: 10 })), bytes: (d: { N?: number; C?: number }) => 12 * d.N! * d.C! } } : {}),
    }),
  );
}
// Long batches with class weights 0.3 and 0.4: every gradient divides by Σ weights (the normalizer)
// and the loss by it too, so one running float32 total there (3.6e-5 off at 200,000 rows, 7.4e-3 at
// a million) would scale them all. Logits in [−1, 1] keep p − 1 to a few roundings, so each value
// is checked to 4e-6.
for (const variant of ['serial', 'tree'] as const) {
  cases.push(
    kernelCase({
      name: `softmax-cross-entropy 300007×2 weights 0.3 and 0.4: the normalizer and the mean summed in blocks${variant === 'tree' ? ', mean v2 tree' : ''}`,
      entries: ['cross_entropy_normalizer', 'cross_entropy_rows', variant === 'tree' ? 'cross_entropy_mean_tree' : 'cross_entropy_mean'],
      variant: variant === 'tree' ? 'v1 fused, weighted mean v2 tree' : 'v1 fused, weighted mean',
      dims: { N: 300_007, C: 2 },
      setup(s, { N, C }, random) {
        const logits = uniform(random, N * C, -1, 1);
        const labels = integers(random, N, C);
        const options = { weight: [0.3, 0.4] };
        const out = {
          rowLoss: s.output([N], 'row loss'), dlogits: s.output([N, C], 'dlogits'), loss: s.output([1], 'loss'), metrics: zeroedMetrics(s),
          rowWeight: s.output([N], 'row weight'), norm: s.output([1], 'norm'),
        };
        const [lt, yt, wt] = [s.input(logits, [N, C]), s.input(labels, [N], 'u32', 'labels'), s.input(options.weight, [C], 'f32', 'weight')];
        return {
          run: () => softmaxCrossEntropy(lt, yt, out, { weight: wt, variant }),
          check: async () => {
            const expected = crossEntropyRef(logits, labels, N, C, options);
            await s.check('dlogits', out.dlogits, expected.grad, 1e-12, 4e-6);
            await s.check('loss', out.loss, [expected.loss], 0, 4e-6);
          },
        };
      },
    }),
  );
}

// Rows of 60,001 classes (a vocabulary), logits near 0.1: each row's Σ e^(z − max) is added in
// blocks (BlockedSum); with one running total the loss (≈ 11) was 7.6e-5 off, every gradient too. The
// loss within 2e-6 (float32's spacing there is 9.5e-7), the probabilities in the gradient to 4e-6.
cases.push(
  kernelCase({
    name: 'softmax-cross-entropy 2×60001 logits near 0.1: each row\'s sums added in blocks',
    entries: ['cross_entropy_rows', 'cross_entropy_mean'],
    variant: 'v1 fused',
    dims: { N: 2, C: 60_001 },
    setup(s, { N, C }, random) {
      const logits = uniform(random, N * C, 0.1, 0.11);
      const labels = integers(random, N, C);
      const out = { rowLoss: s.output([N], 'row loss'), dlogits: s.output([N, C], 'dlogits'), loss: s.output([1], 'loss'), metrics: zeroedMetrics(s) };
      const [lt, yt] = [s.input(logits, [N, C]), s.input(labels, [N], 'u32', 'labels')];
      return {
        run: () => softmaxCrossEntropy(lt, yt, out, { variant: 'serial' }),
        check: async () => {
          const expected = crossEntropyRef(logits, labels, N, C);
          await s.check('row loss', out.rowLoss, expected.rowLoss, 2e-6, 0);
          await s.check('dlogits', out.dlogits, expected.grad, 1e-12, 4e-6);
        },
      };
    },
  }),
);

// A weighted mean (class weights, an ignored class, label smoothing, int32 labels): the normalizer
// pass sums the rows' weights first, and rows and mean divide by that sum.
// The mean's v2 (tree) takes every option too: it runs these cases as well.
for (const [N, C] of [[1, 2], [37, 10], [70001, 3]] as const) {
  for (const variant of ['serial', 'tree'] as const) cases.push(
    kernelCase({
      name: `softmax-cross-entropy ${N}×${C} weighted, ignore_index 1, smoothing 0.1, int32 labels${variant === 'tree' ? ' mean v2 tree' : ''}`,
      entries: ['cross_entropy_normalizer', 'cross_entropy_rows', variant === 'tree' ? 'cross_entropy_mean_tree' : 'cross_entropy_mean'],
      variant: variant === 'tree' ? 'v1 fused, weighted mean v2 tree' : 'v1 fused, weighted mean',
      dims: { N, C },
      showcase: N === 37 && variant === 'serial',
      setup(s, { N, C }, random) {
        const logits = uniform(random, N * C, -3, 3);
        // Labels in [0, C); every row of class 1 is ignored (one row of N = 1 is kept: label 0).
        const labels = Int32Array.from(integers(random, N, C), (v, i) => (N === 1 ? 0 : i === 0 ? 0 : v));
        const weight = uniform(random, C, 0.25, 2);
        const options = { weight: Array.from(weight), ignoreIndex: 1, labelSmoothing: 0.1 };
        const out = {
          rowLoss: s.output([N], 'row loss'), dlogits: s.output([N, C], 'dlogits'), loss: s.output([1], 'loss'), metrics: zeroedMetrics(s),
          rowWeight: s.output([N], 'row weight'), norm: s.output([1], 'norm'),
        };
        const [lt, yt, wt] = [s.input(logits, [N, C]), s.input(labels, [N], 'i32', 'labels'), s.input(weight, [C], 'f32', 'weight')];
        return {
          run: () => softmaxCrossEntropy(lt, yt, out, { weight: wt, ignoreIndex: 1, labelSmoothing: 0.1, variant }),
          check: async () => {
            const expected = crossEntropyRef(logits, labels, N, C, options);
            // The normalizer and the mean sum in blocks of 64, 64 blocks, … (one running f32 total was
            // 1.7e-4 off at 70,001 rows).
            const sumRtol = 4e-6;
            await s.check('dlogits', out.dlogits, expected.grad, 1e-6 / N + 1e-7, 1e-4 + sumRtol);
            await s.check('row loss', out.rowLoss, expected.rowLoss, 1e-5, 1e-5);
            await s.check('loss', out.loss, [expected.loss], 1e-5, sumRtol);
          },
        };
      },
    }),
  );
}
// nn.NLLLoss's rows (no softmax): plain, and weighted with an ignored class and int32 labels, one
// label outside [0, C) (NaN row, recorded) and a NaN input off the label (does not reach the loss).
for (const [N, C, weighted] of [[1, 1, false], [37, 10, false], [37, 10, true], [70001, 3, true]] as const) {
  cases.push(
    kernelCase({
      name: `nll-loss ${N}×${C}${weighted ? ` weighted, ignore_index 1, int32 labels, a NaN off a label${N < 100 ? ', a bad label' : ''}` : ''}`,
      entries: [...(weighted ? ['cross_entropy_normalizer'] : []), 'nll_rows', 'cross_entropy_mean'],
      variant: weighted ? 'v1, weighted mean' : 'v1',
      dims: { N, C },
      setup(s, { N, C }, random) {
        const input = uniform(random, N * C, -5, 0);
        const labels = Int32Array.from(integers(random, N, C));
        // Row 0 counted (label 0); a NaN off row 4's label; at 37 rows a bad label in row 2 (the mean then NaN).
        const bad = weighted && N < 100;
        if (weighted) [labels[0], input[4 * C + ((labels[4]! + 1) % C)]] = [0, NaN];
        if (bad) labels[2] = C + 2;
        const weight = weighted ? uniform(random, C, 0.25, 2) : undefined;
        const options = weighted ? { weight: Array.from(weight!), ignoreIndex: 1 } : {};
        const out = {
          rowLoss: s.output([N], 'row loss'), dlogits: s.output([N, C], 'd input'), loss: s.output([1], 'loss'), metrics: zeroedMetrics(s),
          ...(weighted ? { rowWeight: s.output([N], 'row weight'), norm: s.output([1], 'norm') } : {}),
        };
        const [xt, yt] = [s.input(input, [N, C]), s.input(labels, [N], weighted ? 'i32' : 'u32', 'labels')];
        const wt = weight ? s.input(weight, [C], 'f32', 'weight') : undefined;
        return {
          run: () => softmaxCrossEntropy(xt, yt, out, { logProbabilities: true, variant: 'serial', ...(weighted ? { weight: wt, ignoreIndex: 1 } : {}) }),
          check: async () => {
            const expected = nllRef(input, labels, N, C, options);
            const sumRtol = 1e-5 + 1e-8 * N;
            await s.check('d input', out.dlogits, expected.grad, 1e-7, 1e-5 + sumRtol);
            await s.check('row loss', out.rowLoss, expected.rowLoss, 1e-6, 1e-6);
            await s.check('loss', out.loss, [expected.loss], 1e-6, sumRtol);
            if (weighted && N < 100) {
              const m = await out.metrics.read();
              s.expect('the bad label recorded: batch 1, row 2', JSON.stringify(badLabelIn(m, 'i32')) === JSON.stringify({ batch: 1, row: 2, label: C + 2 }), [...m].join());
            }
          },
        };
      },
    }),
  );
}
cases.push(
  testCase('nll-loss refuses label smoothing', (s, random) => {
    const out = { rowLoss: s.output([2]), dlogits: s.output([2, 3]), loss: s.output([1]), metrics: s.output([METRICS_LENGTH]) };
    s.expectError('smoothing', () => softmaxCrossEntropy(s.input(uniform(random, 6), [2, 3]), s.input([0, 1], [2], 'u32'), out, { logProbabilities: true, labelSmoothing: 0.1 }), /label smoothing is cross-entropy's, not NLL's/);
  }),
);
// reduction 'sum' (loss Σ rows, gradient unscaled), with dlogits added to a pre-filled gradient
// (ACCUMULATE, as when the logits feed two losses); both reductions of the loss.
for (const variant of ['serial', 'tree'] as const) {
  cases.push(
    testCase(`softmax-cross-entropy 37×10 sum, dlogits accumulated${variant === 'tree' ? ' mean v2 tree' : ''}`, async (s, random) => {
      const [N, C] = [37, 10];
      const [logits, labels, previous] = [uniform(random, N * C, -3, 3), integers(random, N, C), uniform(random, N * C)];
      const out = { rowLoss: s.output([N], 'row loss'), dlogits: s.input(previous, [N, C], 'f32', 'dlogits'), loss: s.output([1], 'loss'), metrics: zeroedMetrics(s) };
      softmaxCrossEntropy(s.input(logits, [N, C]), s.input(labels, [N], 'u32', 'labels'), out, { reduction: 'sum', accumulate: true, variant });
      const expected = crossEntropyRef(logits, labels, N, C, { reduction: 'sum' });
      await s.check('dlogits (accumulated)', out.dlogits, expected.grad.map((v, i) => v + previous[i]!), 1e-6, 1e-5);
      await s.check('row loss', out.rowLoss, expected.rowLoss, 1e-5, 1e-5);
      await s.check('loss (sum)', out.loss, [expected.loss], 1e-5, 1e-5);
    }),
  );
}
// A NaN logit makes its row's loss and gradient NaN (as in PyTorch); a label outside [0, C) too
// (PyTorch raises; a kernel cannot, so the NaN carries the news to the loss guard and the weights).
// The other rows are untouched. With class weights the mean's denominator counts such a row as 1
// (its class has no weight), which sets the other rows' gradients. The metrics name the first bad
// row and its label: here a u32 label past 2^31, whose two 16-bit halves must both come back, and
// a second bad row after it that must not replace it (each row is its own invocation in the tree).
for (const [variant, weighted] of [['serial', false], ['tree', false], ['serial', true], ['tree', true]] as const) {
  cases.push(
    testCase(`softmax-cross-entropy: a NaN logit or a label outside [0, C) makes its row NaN${weighted ? ', class weights' : ''}${variant === 'tree' ? ' mean v2 tree' : ''}`, async (s, random) => {
      const [N, C] = [6, 4];
      const logits = uniform(random, N * C, -3, 3);
      logits[3 * C + 2] = NaN;
      const labels = integers(random, N, C);
      labels[1] = 0x89abcdef;
      labels[4] = 7;
      const out = {
        rowLoss: s.output([N], 'row loss'), dlogits: s.output([N, C], 'dlogits'), loss: s.output([1], 'loss'), metrics: zeroedMetrics(s),
        ...(weighted ? { rowWeight: s.output([N], 'row weight'), norm: s.output([1], 'norm') } : {}),
      };
      const weight = weighted ? uniform(random, C, 0.5, 2) : undefined;
      softmaxCrossEntropy(s.input(logits, [N, C]), s.input(labels, [N], 'u32', 'labels'), out, { variant, ...(weight ? { weight: s.input(weight) } : {}) });
      const expected = crossEntropyRef(logits, labels, N, C, { weight });
      s.expect('the reference has NaN in rows 1, 3 and 4 only', [...expected.rowLoss].map(Number.isNaN).join() === 'false,true,false,true,true,false', [...expected.rowLoss].join());
      await s.check('row loss', out.rowLoss, expected.rowLoss, 1e-5, 1e-5);
      await s.check('dlogits', out.dlogits, expected.grad, 1e-6, 1e-5);
      await s.check('loss', out.loss, [expected.loss], 1e-5, 1e-5);
      if (weight) {
        const rowWeight = [...labels].map((label) => (label < C ? weight[label]! : 1));
        await s.check('row weight', out.rowWeight!, rowWeight, 1e-7, 1e-6);
        await s.check('norm (Σ row weights)', out.norm!, [rowWeight.reduce((a, b) => a + b, 0)], 1e-6, 1e-6);
      }
      const m = await out.metrics.read();
      s.expect('the first bad label: batch 1, row 1, 0x89abcdef', JSON.stringify(badLabelIn(m, 'u32')) === JSON.stringify({ batch: 1, row: 1, label: 0x89abcdef }), [...m].join());
    }),
  );
}
cases.push(
  testCase('softmax-cross-entropy records the first non-finite batch', async (s, random) => {
    const [N, C] = [4, 3];
    const out = { rowLoss: s.output([N]), dlogits: s.output([N, C]), loss: s.output([1]), metrics: zeroedMetrics(s) };
    const labels = s.input(integers(random, N, C), [N], 'u32');
    const finite = s.input(uniform(random, N * C), [N, C]);
    const poisoned = uniform(random, N * C);
    poisoned[5] = NaN;
    const bad = s.input(poisoned, [N, C]);
    for (const logits of [finite, finite, bad, finite, bad]) softmaxCrossEntropy(logits, labels, out);
    const m = await out.metrics.read();
    s.expect('batches', m[3] === 5, `${m[3]}`);
    s.expect('first non-finite batch is the 3rd', m[4] === 3, `${m[4]}`);
    s.expect('no bad label recorded', badLabelIn(m, 'u32') === null, [...m].join());
  }),
  // int32 labels: PyTorch's ignore_index −100 is not a bad label; −1 is, and the first batch that has
  // one keeps the record (the serial mean and the tree).
  ...(['serial', 'tree'] as const).map((variant) =>
    testCase(`softmax-cross-entropy records the first label outside [0, C), int32${variant === 'tree' ? ' mean v2 tree' : ''}`, async (s, random) => {
      const [N, C] = [300, 3];
      const out = { rowLoss: s.output([N]), dlogits: s.output([N, C]), loss: s.output([1]), metrics: zeroedMetrics(s), rowWeight: s.output([N]), norm: s.output([1]) };
      const logits = s.input(uniform(random, N * C), [N, C]);
      const batch = (edit: (labels: Int32Array) => void) => {
        const labels = Int32Array.from(integers(random, N, C));
        edit(labels);
        return s.input(labels, [N], 'i32');
      };
      const batches = [
        batch((l) => l.fill(-100, 0, 40)),
        batch((l) => { l[260] = 3; l[255] = -1; l[7] = -100; }), // in the tree, row 260 is invocation 4's and 255 is 255's
        batch((l) => { l[0] = 5; }),
      ];
      for (const labels of batches) softmaxCrossEntropy(logits, labels, out, { variant });
      const m = await out.metrics.read();
      s.expect('the first bad label: batch 2, row 255, −1', JSON.stringify(badLabelIn(m, 'i32')) === JSON.stringify({ batch: 2, row: 255, label: -1 }), [...m].join());
      s.expect('first non-finite batch is the 2nd', m[4] === 2, `${m[4]}`);
    }),
  ),
  testCase('softmax-cross-entropy bad input is rejected before dispatch', (s, random) => {
    const a = s.input(uniform(random, 6), [2, 3]);
    const out = { rowLoss: s.output([2]), dlogits: s.output([2, 3]), loss: s.output([1]), metrics: s.output([METRICS_LENGTH]) };
    s.expectError('label dtype', () => softmaxCrossEntropy(a, s.input([0, 1], [2]), out), /softmaxCrossEntropy: argument 'labels' expected dtype u32 or i32, got f32/);
    s.expectError('label count', () => softmaxCrossEntropy(a, s.input([0, 1, 2], [3], 'u32'), out), /argument 'labels' expected shape \[2\], got \[3\]/);
    s.expectError('dlogits shape', () => softmaxCrossEntropy(a, s.input([0, 1], [2], 'u32'), { ...out, dlogits: s.output([3, 2]) }), /argument 'dlogits' expected shape \[2, 3\], got \[3, 2\]/);
  }),
);

export const spec: Spec = cases;
