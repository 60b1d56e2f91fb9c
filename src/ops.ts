// The kernels' launchers: each checks its tensors' shapes, dtypes and hyper-parameters, then records
// its dispatches. A bad argument is an Error naming the op, the argument, what was expected and what
// came, and nothing is dispatched.
import { grid1d } from './gpu';
import { kernels } from './kernels';
import { Tensor } from './tensor';

export type Activation = 'none' | 'relu' | 'sigmoid';
export type MatmulVariant = 'naive' | 'blocked' | 'vec4';
export const MATMUL_VARIANTS: readonly MatmulVariant[] = ['naive', 'blocked', 'vec4'];

/** Why v3 (vec4) cannot run this layout, or null when it can. */
export function vec4Unsupported(M: number, N: number, K: number, transposeA: boolean, transposeB: boolean): string | null {
  if (transposeA && transposeB) return 'Aᵀ · Bᵀ has no vec4 layout';
  const [name, value] = transposeA ? ['M', M] : ['K', K];
  return value % 4 === 0 && N % 4 === 0 ? null : `${name} = ${value} and N = ${N} must be multiples of 4`;
}

const ACTIVATION_CODE: Record<Activation, number> = { none: 0, relu: 1, sigmoid: 2 };

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;

function expectDtype(op: string, name: string, t: Tensor, dtype: Tensor['dtype']): void {
  if (t.dtype !== dtype) throw new Error(`${op}: argument '${name}' expected dtype ${dtype}, got ${t.dtype}`);
}

function expectShape(op: string, name: string, t: Tensor, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${op}: argument '${name}' expected shape ${shapeText(shape)}, got ${shapeText(t.shape)}`);
  }
}

function expectRank(op: string, name: string, t: Tensor, ranks: readonly number[]): void {
  if (!ranks.includes(t.shape.length)) throw new Error(`${op}: argument '${name}' expected ${ranks.join(' or ')} dimensions, got shape ${shapeText(t.shape)}`);
}

function expectRange(op: string, name: string, value: number, ok: boolean, expected: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok) throw new Error(`${op}: argument '${name}' expected ${expected}, got ${value}`);
}

function expectSameSize(op: string, tensors: Record<string, Tensor>): void {
  const entries = Object.entries(tensors);
  const [firstName, first] = entries[0]!;
  for (const [name, t] of entries) {
    expectDtype(op, name, t, 'f32');
    if (t.size !== first.size) throw new Error(`${op}: argument '${name}' expected ${first.size} elements (as '${firstName}'), got shape ${shapeText(t.shape)}`);
  }
}

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: Tensor;
  activation?: Activation;
  accumulate?: boolean;
  variant?: MatmulVariant;
}

/** out = act(op(a) · op(b) + bias); with accumulate, out += … instead. */
export function matmul(a: Tensor, b: Tensor, out: Tensor, options: MatmulOptions = {}): void {
  const op = 'matmul';
  const { transposeA = false, transposeB = false, bias, activation = 'none', accumulate = false } = options;
  for (const [name, t] of Object.entries({ a, b, out })) {
    expectRank(op, name, t, [2]);
    expectDtype(op, name, t, 'f32');
  }
  const [M, K] = transposeA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [Kb, N] = transposeB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (Kb !== K) throw new Error(`${op}: argument 'b' expected ${K} ${transposeB ? 'columns' : 'rows'} to match op(a) = ${M}×${K}, got shape ${shapeText(b.shape)}`);
  expectShape(op, 'out', out, [M, N]);
  if (bias) {
    expectDtype(op, 'bias', bias, 'f32');
    expectShape(op, 'bias', bias, [N]);
  }
  if (!(activation in ACTIVATION_CODE)) throw new Error(`${op}: argument 'activation' expected none, relu or sigmoid, got ${activation}`);
  // v3 where its layout allows, else v2. On SwiftShader (lab/profile-page.ts) v3 ran 8×512×256 Bᵀ in
  // 1.21 ms (v2 1.55), 8×128×512 Bᵀ in 0.64 (0.85), 512×256×8 Aᵀ in 2.04 (2.75), 512³ in 142–151 (178).
  const variant = options.variant ?? (vec4Unsupported(M, N, K, transposeA, transposeB) ? 'blocked' : 'vec4');
  if (!MATMUL_VARIANTS.includes(variant)) throw new Error(`${op}: argument 'variant' expected ${MATMUL_VARIANTS.join(', ')}, got ${variant}`);
  const why = variant === 'vec4' && vec4Unsupported(M, N, K, transposeA, transposeB);
  if (why) throw new Error(`${op}: variant 'vec4' cannot run ${M}×${N}×${K}${transposeA ? ' Aᵀ' : ''}${transposeB ? ' Bᵀ' : ''}: ${why}`);
  const placeholder = a.gpu.placeholders[0];
  const scalar = { a, b, bias: bias ?? placeholder, c: out };
  const [entry, args, grid] =
    variant === 'naive' ? ['matmul_naive', scalar, [Math.ceil(N / 8), Math.ceil(M / 8)]]
    : variant === 'blocked' ? ['matmul_blocked', scalar, [Math.ceil(N / 32), Math.ceil(M / 32)]]
    : ['matmul_vec4', { a4: a, b4: b, bias4: bias ?? placeholder, c4: out }, [Math.ceil(N / 64), Math.ceil(M / 8)]];
  a.gpu.dispatch(
    kernels.matmul.entry(entry),
    { params: { M, N, K }, ...args },
    grid,
    { TRANSPOSE_A: transposeA, TRANSPOSE_B: transposeB, HAS_BIAS: bias !== undefined, ACTIVATION: ACTIVATION_CODE[activation], ACCUMULATE: accumulate },
  );
}

/** v2 (vec4, 16 elements per invocation) when n is a multiple of 4; v1 otherwise. */
function elementwise(entryName: string, args: Record<string, Tensor>, n: number, accumulate?: boolean): void {
  const gpu = Object.values(args)[0]!.gpu;
  const constants: Record<string, boolean> = accumulate === undefined ? {} : { ACCUMULATE: accumulate };
  if (n % 4 === 0) {
    const args4 = Object.fromEntries(Object.entries(args).map(([k, t]) => [`${k}4`, t]));
    gpu.dispatch(kernels.activation.entry(`${entryName}_vec4`), { params: { n: n / 4 }, ...args4 }, grid1d(n / 16, 64), constants);
  } else {
    gpu.dispatch(kernels.activation.entry(entryName), { params: { n }, ...args }, grid1d(n, 64), constants);
  }
}

export function sigmoid(x: Tensor, y: Tensor): void {
  expectSameSize('sigmoid', { x, y });
  elementwise('sigmoid_forward', { x, y }, x.size);
}

export function relu(x: Tensor, y: Tensor): void {
  expectSameSize('relu', { x, y });
  elementwise('relu_forward', { x, y }, x.size);
}

/** dx = dy · y · (1 − y), from the forward's output y. */
export function sigmoidBackward(y: Tensor, dy: Tensor, dx: Tensor, accumulate = false): void {
  expectSameSize('sigmoidBackward', { y, dy, dx });
  elementwise('sigmoid_backward', { y_saved: y, dy, dx }, y.size, accumulate);
}

/** dx = dy · [y > 0], from the forward's output y. */
export function reluBackward(y: Tensor, dy: Tensor, dx: Tensor, accumulate = false): void {
  expectSameSize('reluBackward', { y, dy, dx });
  elementwise('relu_backward', { y_saved: y, dy, dx }, y.size, accumulate);
}

export interface CrossEntropyOutputs {
  /** [N]: each row's loss (weighted and smoothed; 0 for an ignored row). */
  rowLoss: Tensor;
  /** [N, C]: the logits' gradient for the reduced loss. */
  dlogits: Tensor;
  /** [1]: the reduced loss ('none' writes the mean here, for the metrics). */
  loss: Tensor;
  /** [5]: running sums of (loss, correct rows, counted rows, batches) and the first non-finite batch (1-based, 0 if none); never cleared here. */
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
  /** Overrides the gradient's scale (default: 1/N for an unweighted mean, 1 for a sum or 'none'). */
  gradScale?: number;
  accumulate?: boolean;
  gradientOnly?: boolean;
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
  expectShape(op, 'metrics', out.metrics, [5]);
  const { weight, ignoreIndex = -100, reduction = 'mean', labelSmoothing = 0 } = options;
  if (!['mean', 'sum', 'none'].includes(reduction)) throw new Error(`${op}: argument 'reduction' expected 'mean', 'sum' or 'none', got ${String(reduction)}`);
  expectRange(op, 'ignoreIndex', ignoreIndex, Number.isInteger(ignoreIndex) && ignoreIndex >= -(2 ** 31) && ignoreIndex < 2 ** 31, 'an int32');
  expectRange(op, 'labelSmoothing', labelSmoothing, labelSmoothing >= 0 && labelSmoothing <= 1, 'a number in [0, 1]');
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
  const [unused0, unused1] = gpu.placeholders;
  // A third unused binding (gpu.placeholders has two): written bindings must not overlap.
  let unused2 = ceUnused.get(gpu);
  if (!unused2) ceUnused.set(gpu, (unused2 = gpu.empty([4], 'f32', 'unused binding 2')));
  // An int32 tensor binds as its 32-bit pattern; the kernel reads labels as i32.
  const labelBits = labels.dtype === 'i32' ? new Tensor(gpu, labels.buffer, labels.shape, 'u32', labels.byteOffset, labels.label) : labels;
  const buffers = { logits, labels: labelBits, class_weight: weight ?? unused0, norm: out.norm ?? unused1, row_loss: out.rowLoss, row_weight: out.rowWeight ?? unused2, dlogits: out.dlogits, loss: out.loss, metrics: out.metrics };
  const constants = { HAS_WEIGHT: weight !== undefined, IGNORE: ignore, NORMALIZE: normalize, WEIGHTED_MEAN: weightedMean, SUM: reduction === 'sum' };
  const sce = kernels.softmaxCrossEntropy;
  // Each entry point binds only what it reads (reflected): hand it those of our buffers.
  const run = (name: string, grid: readonly number[], extra: Record<string, boolean> = {}) => {
    const entry = sce.entry(name);
    const args = Object.fromEntries(entry.bindings.map((b) => [b.name, b.name === 'params' ? params : buffers[b.name as keyof typeof buffers]]));
    gpu.dispatch(entry, args, grid, { ...constants, ...extra });
  };
  if (normalize) run('cross_entropy_normalizer', [1]);
  run('cross_entropy_rows', grid1d(N, 64), { ACCUMULATE: options.accumulate ?? false });
  if (options.gradientOnly) return;
  run('cross_entropy_mean', [1]);
}

export interface DropoutOptions {
  p: number;
  seed: number;
  step: number;
  accumulate?: boolean;
}

/** Inverted dropout with a recomputed Threefry mask; the same call with dy → dx is its backward. */
export function dropout(input: Tensor, output: Tensor, options: DropoutOptions): void {
  const op = 'dropout';
  expectSameSize(op, { input, output });
  const { p, seed, step } = options;
  expectRange(op, 'p', p, p >= 0 && p <= 1, 'a probability in [0, 1]');
  expectRange(op, 'seed', seed, Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32, 'an integer in [0, 2³²)');
  expectRange(op, 'step', step, Number.isInteger(step) && step >= 0 && step < 2 ** 32, 'an integer in [0, 2³²)');
  input.gpu.dispatch(kernels.dropout.entry('dropout'), { params: { n: input.size, p, seed, step }, input, output }, grid1d(input.size, 64), { ACCUMULATE: options.accumulate ?? false });
}

export interface BatchNormArgs {
  gamma: Tensor;
  beta: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
  /** [C] each: written by the forward, read by the backward. */
  mean: Tensor;
  invstd: Tensor;
  eps: number;
  momentum: number;
  training: boolean;
  trackRunningStats: boolean;
}

function batchNormDims(op: string, x: Tensor, args: BatchNormArgs): { N: number; C: number; S: number } {
  expectRank(op, 'x', x, [2, 3, 4]);
  expectDtype(op, 'x', x, 'f32');
  const [N, C] = [x.shape[0]!, x.shape[1]!];
  const S = x.shape.slice(2).reduce((a, b) => a * b, 1);
  for (const name of ['gamma', 'beta', 'runningMean', 'runningVar', 'mean', 'invstd'] as const) {
    expectDtype(op, name, args[name], 'f32');
    expectShape(op, name, args[name], [C]);
  }
  expectRange(op, 'eps', args.eps, args.eps > 0, 'a number > 0');
  expectRange(op, 'momentum', args.momentum, args.momentum >= 0 && args.momentum <= 1, 'a number in [0, 1]');
  if (args.training && N * S === 1) throw new Error(`${op}: expected more than 1 value per channel when training, got input shape ${shapeText(x.shape)}`);
  return { N, C, S };
}

/** y = γ · (x − mean) / √(var + eps) + β per channel; x is [N, C], [N, C, L] or [N, C, H, W]. */
export function batchNorm(x: Tensor, y: Tensor, args: BatchNormArgs): void {
  const op = 'batchNorm';
  const { N, C, S } = batchNormDims(op, x, args);
  expectShape(op, 'y', y, x.shape);
  const params = { N, C, S, eps: args.eps, momentum: args.momentum };
  const constants = { TRAINING: args.training, TRACK_RUNNING_STATS: args.trackRunningStats };
  const bn = kernels.batchnorm;
  const { mean, invstd, gamma, beta } = args;
  x.gpu.dispatch(bn.entry('batchnorm_stats'), { params, x, mean, invstd, running_mean: args.runningMean, running_var: args.runningVar }, grid1d(C, 64), constants);
  x.gpu.dispatch(bn.entry('batchnorm_normalize'), { params, x, mean, invstd, gamma, beta, y }, grid1d(x.size, 64));
}

export interface BatchNormGrads {
  dx: Tensor;
  /** [C] each; the parameter gradients are added to, as in PyTorch. */
  dgamma: Tensor;
  dbeta: Tensor;
  /** [2·C] scratch: per-channel Σdy and Σdy·x̂. */
  sums: Tensor;
  accumulate?: boolean;
}

/** The backward of batchNorm with the same args: dx, and dγ, dβ added into their gradients. */
export function batchNormBackward(x: Tensor, dy: Tensor, args: BatchNormArgs, grads: BatchNormGrads): void {
  const op = 'batchNormBackward';
  const { N, C, S } = batchNormDims(op, x, args);
  expectShape(op, 'dy', dy, x.shape);
  expectShape(op, 'dx', grads.dx, x.shape);
  expectShape(op, 'dgamma', grads.dgamma, [C]);
  expectShape(op, 'dbeta', grads.dbeta, [C]);
  expectShape(op, 'sums', grads.sums, [2 * C]);
  const params = { N, C, S, eps: args.eps, momentum: args.momentum };
  const bn = kernels.batchnorm;
  const { mean, invstd, gamma } = args;
  const { sums, dgamma, dbeta, dx } = grads;
  x.gpu.dispatch(bn.entry('batchnorm_backward_reduce'), { params, x, mean, invstd, dy, sums, dgamma, dbeta }, grid1d(C, 64));
  x.gpu.dispatch(bn.entry('batchnorm_backward_dx'), { params, x, mean, invstd, gamma, dy, sums, dx }, grid1d(x.size, 64), { TRAINING: args.training, ACCUMULATE: grads.accumulate ?? false });
}

/** out[n] = Σ_m x[m, n]: a bias's gradient from its output's gradient. */
export function sumRows(x: Tensor, out: Tensor, accumulate = false): void {
  const op = 'sumRows';
  expectRank(op, 'x', x, [2]);
  expectDtype(op, 'x', x, 'f32');
  const [M, N] = [x.shape[0]!, x.shape[1]!];
  expectShape(op, 'out', out, [N]);
  x.gpu.dispatch(kernels.reduce.entry('sum_rows'), { params: { M, N }, x, out }, grid1d(N, 64), { ACCUMULATE: accumulate });
}

export interface AdamState {
  param: Tensor;
  grad: Tensor;
  expAvg: Tensor;
  expAvgSq: Tensor;
  /** Needed with amsgrad only. */
  maxExpAvgSq?: Tensor;
}

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  /** The step being taken, counting from 1. */
  step: number;
  /** Ascend the gradient instead (PyTorch's maximize). */
  maximize?: boolean;
  /** AdamW: θ ← θ·(1 − lr·weightDecay) before the step, instead of L2 in the gradient. */
  decoupledWeightDecay?: boolean;
}

/**
 * One Adam or AdamW step (torch.optim.Adam / AdamW) over flat parameter, gradient and state buffers.
 * Every constant is computed here in float64 and rounded to float32 once, as PyTorch does in Python.
 */
export function adamStep(state: AdamState, h: AdamHyper): void {
  const op = 'adamStep';
  const { param, grad, expAvg, expAvgSq } = state;
  expectSameSize(op, { param, grad, expAvg, expAvgSq });
  expectRange(op, 'lr', h.lr, h.lr >= 0, 'a number ≥ 0');
  expectRange(op, 'beta1', h.beta1, h.beta1 >= 0 && h.beta1 < 1, 'a number in [0, 1)');
  expectRange(op, 'beta2', h.beta2, h.beta2 >= 0 && h.beta2 < 1, 'a number in [0, 1)');
  expectRange(op, 'eps', h.eps, h.eps >= 0, 'a number ≥ 0');
  expectRange(op, 'weightDecay', h.weightDecay, h.weightDecay >= 0, 'a number ≥ 0');
  expectRange(op, 'step', h.step, Number.isInteger(h.step) && h.step >= 1, 'an integer ≥ 1');
  if (h.amsgrad && !state.maxExpAvgSq) throw new Error(`${op}: argument 'maxExpAvgSq' is required with amsgrad`);
  if (state.maxExpAvgSq) expectSameSize(op, { param, maxExpAvgSq: state.maxExpAvgSq });
  const decoupled = h.decoupledWeightDecay ?? false;
  const params = {
    n: param.size,
    beta1: h.beta1,
    one_minus_beta1: 1 - h.beta1,
    beta2: h.beta2,
    one_minus_beta2: 1 - h.beta2,
    eps: h.eps,
    weight_decay: decoupled ? 0 : h.weightDecay,
    grad_sign: h.maximize ? -1 : 1,
    decay_factor: decoupled ? 1 - h.lr * h.weightDecay : 1,
    step_size: h.lr / (1 - h.beta1 ** h.step),
    bias_correction2_sqrt: Math.sqrt(1 - h.beta2 ** h.step),
  };
  // v2 (vec4, 16 elements per invocation) when the length allows; v1 otherwise.
  const vec4 = param.size % 4 === 0 && (!state.maxExpAvgSq || state.maxExpAvgSq.size % 4 === 0);
  const unused = param.gpu.placeholders[0];
  const buffers = { param, grad, exp_avg: expAvg, exp_avg_sq: expAvgSq, max_exp_avg_sq: state.maxExpAvgSq ?? unused };
  param.gpu.dispatch(
    kernels.adam.entry(vec4 ? 'adam_step_vec4' : 'adam_step'),
    vec4 ? { params: { ...params, n: param.size / 4 }, ...Object.fromEntries(Object.entries(buffers).map(([k, t]) => [`${k}4`, t])) } : { params, ...buffers },
    vec4 ? grid1d(param.size / 16, 64) : grid1d(param.size, 64),
    { AMSGRAD: h.amsgrad },
  );
}

// ── initialisation ──────────────────────────────────────────────────────────────────────────────

export interface RandomKey {
  /** Threefry key word 0: the generator's seed. */
  seed: number;
  /** Threefry key word 1: which draw of that seed (one per initialised tensor). */
  stream: number;
}

function initDispatch(entryName: string, x: Tensor, values: Partial<Record<'low' | 'high' | 'mean' | 'std_dev' | 'value', number>>, key: RandomKey, accumulate = false): void {
  expectDtype('init', 'x', x, 'f32');
  const params = { n: x.size, low: 0, high: 0, mean: 0, std_dev: 0, value: 0, seed: key.seed >>> 0, stream: key.stream >>> 0, ...values };
  x.gpu.dispatch(kernels.init.entry(entryName), { params, x }, grid1d(x.size, 64), entryName === 'fill_constant' ? { ACCUMULATE: accumulate } : {});
}

/** x ~ U(low, high), drawn on the GPU from (seed, stream). */
export function fillUniform(x: Tensor, low: number, high: number, key: RandomKey): void {
  expectRange('fillUniform', 'low', low, true, 'a finite number');
  expectRange('fillUniform', 'high', high, high >= low, `a finite number ≥ low (${low})`);
  initDispatch('fill_uniform', x, { low, high }, key);
}

/** x ~ N(mean, std²), drawn on the GPU from (seed, stream). */
export function fillNormal(x: Tensor, mean: number, std: number, key: RandomKey): void {
  expectRange('fillNormal', 'mean', mean, true, 'a finite number');
  expectRange('fillNormal', 'std', std, std >= 0, 'a number ≥ 0');
  initDispatch('fill_normal', x, { mean, std_dev: std }, key);
}

/** x = value everywhere; with accumulate, x += value. */
export function fillConstant(x: Tensor, value: number, accumulate = false): void {
  expectRange('fillConstant', 'value', value, true, 'a finite number');
  initDispatch('fill_constant', x, { value }, { seed: 0, stream: 0 }, accumulate);
}

// ── optimizers (each one dispatch over a flat buffer) ───────────────────────────────────────────

function expectOptimizerBuffers(op: string, buffers: Record<string, Tensor | undefined>): void {
  const present = Object.fromEntries(Object.entries(buffers).filter(([, t]) => t !== undefined)) as Record<string, Tensor>;
  expectSameSize(op, present);
}

export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** True on the first step: the momentum buffer starts as the gradient. */
  firstStep: boolean;
  maximize?: boolean;
}

export function sgdStep(param: Tensor, grad: Tensor, momentumBuffer: Tensor | undefined, h: SgdHyper): void {
  const op = 'sgdStep';
  expectOptimizerBuffers(op, { param, grad, momentumBuffer });
  if (h.momentum !== 0 && !momentumBuffer) throw new Error(`${op}: argument 'momentumBuffer' is required with momentum`);
  const params = { n: param.size, lr: h.lr, momentum: h.momentum, one_minus_dampening: 1 - h.dampening, weight_decay: h.weightDecay, grad_sign: h.maximize ? -1 : 1, first_step: h.firstStep ? 1 : 0 };
  param.gpu.dispatch(kernels.sgd.entry('sgd_step'), { params, param, grad, momentum_buffer: momentumBuffer ?? param.gpu.placeholders[0] }, grid1d(param.size, 64), { NESTEROV: h.nesterov });
}

/** One Adagrad step; clr = lr / (1 + (t − 1)·lr_decay) is the caller's, computed in float64. */
export function adagradStep(param: Tensor, grad: Tensor, stateSum: Tensor, h: { clr: number; weightDecay: number; eps: number; maximize?: boolean }): void {
  expectOptimizerBuffers('adagradStep', { param, grad, stateSum });
  const params = { n: param.size, clr: h.clr, weight_decay: h.weightDecay, eps: h.eps, grad_sign: h.maximize ? -1 : 1 };
  param.gpu.dispatch(kernels.adagrad.entry('adagrad_step'), { params, param, grad, state_sum: stateSum }, grid1d(param.size, 64));
}

export interface RmspropState {
  squareAvg: Tensor;
  gradAvg?: Tensor;
  momentumBuffer?: Tensor;
}

export function rmspropStep(param: Tensor, grad: Tensor, s: RmspropState, h: { lr: number; alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean; maximize?: boolean }): void {
  const op = 'rmspropStep';
  expectOptimizerBuffers(op, { param, grad, squareAvg: s.squareAvg, gradAvg: s.gradAvg, momentumBuffer: s.momentumBuffer });
  if (h.centered && !s.gradAvg) throw new Error(`${op}: argument 'gradAvg' is required when centered`);
  if (h.momentum > 0 && !s.momentumBuffer) throw new Error(`${op}: argument 'momentumBuffer' is required with momentum`);
  const [unused0, unused1] = param.gpu.placeholders;
  const params = { n: param.size, lr: h.lr, alpha: h.alpha, one_minus_alpha: 1 - h.alpha, eps: h.eps, weight_decay: h.weightDecay, grad_sign: h.maximize ? -1 : 1, momentum: h.momentum };
  param.gpu.dispatch(
    kernels.rmsprop.entry('rmsprop_step'),
    { params, param, grad, square_avg: s.squareAvg, grad_avg: s.gradAvg ?? unused0, momentum_buffer: s.momentumBuffer ?? unused1 },
    grid1d(param.size, 64),
    { CENTERED: h.centered },
  );
}

// Each (β, T)'s table of 1 / (1 − βᵗ), t = 1 … T, computed once in float64 and kept on the GPU.
const ewaCorrections = new WeakMap<Tensor['gpu'], Map<string, Tensor>>();

function ewaCorrection(gpu: Tensor['gpu'], beta: number, T: number): Tensor {
  const tables = ewaCorrections.get(gpu) ?? new Map<string, Tensor>();
  ewaCorrections.set(gpu, tables);
  const key = `${beta}:${T}`;
  let table = tables.get(key);
  if (!table) {
    table = gpu.fromArray(Float64Array.from({ length: T }, (_, t) => 1 / (1 - beta ** (t + 1))), [T], 'f32', `ewa 1/(1 − β^t), β = ${beta}`);
    tables.set(key, table);
  }
  return table;
}

/** Exponentially weighted averages of each row of x (series × steps) into y. */
export function ewa(x: Tensor, y: Tensor, beta: number, biasCorrection: boolean): void {
  const op = 'ewa';
  expectRank(op, 'x', x, [1, 2]);
  expectDtype(op, 'x', x, 'f32');
  expectShape(op, 'y', y, x.shape);
  expectRange(op, 'beta', beta, beta >= 0 && beta < 1, 'a number in [0, 1)');
  const [S, T] = x.shape.length === 1 ? [1, x.shape[0]!] : [x.shape[0]!, x.shape[1]!];
  const inverse_correction = biasCorrection ? ewaCorrection(x.gpu, beta, T) : x.gpu.placeholders[0];
  x.gpu.dispatch(kernels.ewa.entry('ewa'), { params: { S, T, beta, one_minus_beta: 1 - beta }, x, inverse_correction, y }, grid1d(S, 64), { BIAS_CORRECTION: biasCorrection });
}
