// Operations with autograd (torch.nn.functional): each runs its forward through a kernel family's
// launcher and records the family's backward rule from the gradient table. Called without `out`, an
// op allocates its output (free it with destroy()); modules pass their reused buffers instead, so a
// training step allocates nothing.
import type { Gpu } from './device/gpu';
import type { DType } from './device/shader';
import { gradients } from './gradients';
import { broadcastOver, combine, sameShape, scratchTensor, sumToBroadcast, type Broadcast } from './kernels/arithmetic';
import { type Activation, relu as reluKernel, sigmoid as sigmoidKernel } from './kernels/activation';
import { batchNorm as batchNormKernel, type BatchNormArgs, type BatchNormScratch } from './kernels/batchnorm';
import { dropout as dropoutKernel } from './kernels/dropout';
import { elementwise as elementwiseKernel, expectBound, expectExponent, type ElementwiseExtra, type ElementwiseOp } from './kernels/elementwise';
import { layerNorm as layerNormKernel, type LayerNormArgs } from './kernels/layer_norm';
import { matmul as matmulKernel } from './kernels/matmul';
import * as convOps from './kernels/conv2d';
import * as poolOps from './kernels/pool';
import * as conv3dOps from './kernels/conv3d';
import * as pool3dOps from './kernels/pool3d';
import { gather as gatherKernel, type Picks } from './kernels/gather';
import { expectApproximate, gelu as geluKernel, type GeluApproximate } from './kernels/gelu';
import { sumRows } from './kernels/reduce';
import { compare as compareKernel, expectNumber, where as whereKernel, type Comparison } from './kernels/select';
import { cast, joinHalves, splitHalves } from './kernels/cast';
import { cumsum as cumsumKernel } from './kernels/scan';
import { searchSorted as searchSortedKernel, sortRows as sortRowsKernel } from './kernels/sort';
import { contiguousStrides, expandedLayout, expectLayout, extreme as extremeKernel, gatherSum, gatherSumAt, permutedLayout, reducedLayout, scatter, scratchIndices, type Extreme, type Layout } from './kernels/strided';
import { METRICS_LENGTH, softmaxCrossEntropy, type CrossEntropyOptions, type CrossEntropyOutputs } from './kernels/softmax_cross_entropy';
import { expectKnee, lossShape, OP as REGRESSION_OPS, partialCount, regressionLoss as regressionLossKernel, type Reduction, type RegressionLoss } from './kernels/regression_loss';
import { logSoftmax as logSoftmaxKernel, resolveDim, softmax as softmaxKernel } from './kernels/softmax';
import { leakyRelu as leakyReluKernel, tanh as tanhKernel } from './kernels/tanh_leaky_relu';
import { full, linspaceValues, rand, zerosLike } from './creation';
import { nextRandomKey } from './init';
import { fillConstant } from './kernels/init';
import { expectPair, expectShape, expectTriple, shapeText } from './launch';
import { expectFlag, expectNoArguments, normalizeOptions, show } from './options';
import { composite, giveToView, isGradEnabled, markViewCopy, needsGrad, withoutGrad, opOutput as output, opView, record, registerSumOfProduct, reshapeSources, setAccumulateInto, Tensor, tidy, unmarkViewCopy, upstream } from './tensor';

// Tensor.clone()'s backward adds into a gradient with this (the dropout kernel at p = 0 is the identity).
setAccumulateInto((g, grad) => dropoutKernel(g, grad, { p: 0, seed: 0, step: 0, accumulate: true }));

/** The product of two matrices (torch.mm): F.matmul of 2-D operands, PyTorch's error otherwise. */
export function mm(a: Tensor, b: Tensor, ...unsupported: never[]): Tensor {
  for (const [name, t] of [['self', a], ['mat2', b]] as const) if (t instanceof Tensor && t.shape.length !== 2) throw new Error(`mm: ${name} must be a matrix, got ${shapeText(t.shape)}`);
  if (unsupported.length) throw new Error(`mm: takes two matrices, got ${extraArguments(unsupported)} too (out= is not supported)`);
  return matmul(a, b);
}

/**
 * a @ b (torch.matmul) with d a = dC · bᵀ and d b = aᵀ · dC, for operands of 2 or more dimensions:
 *   a [*, K] @ b [K, N]: one product of a's flattened rows (views in and out);
 *   a [..., M, K] @ b [..., K, N]: a batch of products, the leading dimensions broadcast as F.add's
 *   (one matrix for the whole batch is read in place by every product; an operand spread over part
 *   of it is copied first by F.expand, freed with the output), one dispatch.
 */
export function matmul(a: Tensor, b: Tensor, options: { out?: Tensor } = {}): Tensor {
  expectInput('matmul', a);
  expectInput('matmul', b);
  if (a.shape.length < 2 || b.shape.length < 2) throw new Error(`matmul: expected operands of 2 or more dimensions, got ${shapeText(a.shape)} and ${shapeText(b.shape)} (a vector's products are not supported: F.unsqueeze it to a [1, n] or [n, 1] matrix)`);
  const [M, K] = a.shape.slice(-2) as [number, number];
  const [Kb, N] = b.shape.slice(-2) as [number, number];
  if (Kb !== K) throw new Error(`matmul: a ${shapeText(a.shape)} and b ${shapeText(b.shape)} cannot be multiplied (${K} columns against ${Kb} rows)`);
  if (b.shape.length === 2 && a.shape.length > 2) {
    // One product of a's rows, written into the output's memory seen as 2-D; the output itself (not a
    // view) is what is returned, so it can be destroyed and kept by composite().
    const rows = a.size / K;
    const shape = [...a.shape.slice(0, -1), N];
    const c = givenOut('matmul', options.out, shape) ?? output(a.gpu, shape, 'matmul');
    const flat = matmul(reshape(a, [rows, K]), b, { out: c.reshapeView([rows, N]) });
    return reshape(flat, shape, { out: c });
  }
  if (b.shape.length > 2 || a.shape.length > 2) return batchedMatmul(a, b, options);
  const c = givenOut('matmul', options.out, [M, N]) ?? output(a.gpu, [M, N], 'matmul');
  matmulKernel(a, b, c);
  if (needsGrad([a, b])) record({ name: 'matmul', inputs: [a, b], output: c, backward: gradients.matmul(a, b, c, { transposeB: false, activation: 'none' }) });
  return c;
}

/** torch.bmm: [B, M, K] @ [B, K, N] → [B, M, N], no broadcasting (F.matmul broadcasts). */
export function bmm(a: Tensor, b: Tensor, options: { out?: Tensor } = {}): Tensor {
  expectInput('bmm', a);
  expectInput('bmm', b);
  for (const [name, t] of [['input', a], ['mat2', b]] as const) {
    if (t.shape.length !== 3) throw new Error(`bmm: argument '${name}' expected a 3-D tensor, got ${shapeText(t.shape)}`);
  }
  if (b.shape[0] !== a.shape[0] || b.shape[1] !== a.shape[2]) throw new Error(`bmm: expected mat2 of size [${a.shape[0]}, ${a.shape[2]}, *] for input ${shapeText(a.shape)}, got ${shapeText(b.shape)}`);
  return batchedMatmul(a, b, options);
}

/**
 * a [..., M, K] @ b [..., K, N]: the batch dimensions broadcast, then one batched product of
 * [B, M, K] and [B, K, N] views. An operand with one matrix for the whole batch (a weight shared by
 * it: [M, K], [1, M, K], ...) is read in place by every product (batch stride 0), and its gradient
 * summed over the batch. One spread over part of the batch only ([2, 1, M, K] against [2, 3, K, N])
 * is first copied to the whole batch by F.expand, and its gradient summed back from the copies.
 */
function batchedMatmul(a: Tensor, b: Tensor, options: { out?: Tensor }): Tensor {
  const [M, K] = a.shape.slice(-2) as [number, number];
  const N = b.shape.at(-1)!;
  const [aBatch, bBatch] = [a.shape.slice(0, -2), b.shape.slice(0, -2)];
  const batchShape = broadcastShapes([aBatch, bBatch], () => `matmul: the batch dimensions of ${shapeText(a.shape)} and ${shapeText(b.shape)} (${shapeText(aBatch)} and ${shapeText(bBatch)})${LEADING_SIZES}`);
  const count = (batch: readonly number[]) => batch.reduce((x, y) => x * y, 1);
  const B = count(batchShape);
  // Spread over part of the batch: neither one matrix for all of it nor one per product.
  const partlySpread = (batch: readonly number[]) => count(batch) !== B && count(batch) !== 1;
  const copies: Tensor[] = [];
  // Each operand as [B, rows, columns] (a view), [rows, columns] when shared by the batch, or an expanded copy.
  const batchOf = (t: Tensor, batch: readonly number[], rows: number, columns: number): Tensor => {
    if (count(batch) === B) return reshape(t, [B, rows, columns]);
    if (count(batch) === 1) return reshape(t, [rows, columns]);
    const copy = expand(t, [...batchShape, rows, columns]);
    copies.push(copy);
    return reshape(copy, [B, rows, columns]);
  };
  if (options.out) {
    givenOut('matmul', options.out, [...batchShape, M, N]);
    // The copies live as long as the output that keeps them: not a caller's buffer, reused step after step.
    if (partlySpread(aBatch) || partlySpread(bBatch)) throw new Error(`matmul: 'out' cannot be given when an operand is spread over part of the batch (${shapeText(a.shape)} @ ${shapeText(b.shape)}): the spread copy would outlive the call; leave out 'out', or F.expand the operand yourself`);
  }
  const [a3, b3] = [batchOf(a, aBatch, M, K), batchOf(b, bBatch, K, N)];
  const y = options.out ?? output(a.gpu, [...batchShape, M, N], 'matmul');
  const c3 = y.reshapeView([B, M, N]);
  matmulKernel(a3, b3, c3);
  y.companions.push(...copies);
  if (needsGrad([a3, b3])) {
    const rule = gradients.matmul(a3, b3, c3, { transposeB: false, activation: 'none' });
    record({ name: `matmul(${shapeText(a.shape)} @ ${shapeText(b.shape)})`, inputs: [a3, b3], output: y, backward: (ctx, dy) => rule(ctx, dy && dy.reshapeView([B, M, N])) });
  }
  return y;
}

export interface LinearOptions {
  /** An activation fused into the product's epilogue. */
  activation?: Activation;
  out?: Tensor;
  /** The backward's dz = dy ⊙ act'(y), when an activation is fused. */
  scratch?: Tensor;
  /** The name on the tape, for error messages. */
  name?: string;
}

/**
 * y = act(x · Wᵀ + b) (nn.Linear's map, optionally fused with the activation after it); x [N, in],
 * or [*, in] of any other rank (as PyTorch's: one product of its flattened rows, views in and out).
 */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null, options: LinearOptions = {}): Tensor {
  if (x.shape.length !== 2) return linearOverRows(x, weight, bias, options);
  const { activation = 'none' } = options;
  const y = givenOut(options.name ?? 'linear', options.out, [x.shape[0]!, weight.shape[0]!]) ?? output(x.gpu, [x.shape[0]!, weight.shape[0]!], 'linear');
  matmulKernel(x, weight, y, { transposeB: true, activation, ...(bias ? { bias } : {}) });
  const inputs = bias ? [x, weight, bias] : [x, weight];
  if (needsGrad(inputs)) {
    const backward = gradients.matmul(x, weight, y, { transposeB: true, activation, ...(bias ? { bias } : {}), ...(options.scratch ? { scratch: options.scratch } : {}) });
    record({ name: options.name ?? 'linear', inputs, output: y, backward });
  }
  return y;
}

/** F.linear of x [*, in] (1-D, 3-D or more) as the 2-D product of its rows; out and scratch have y's shape. */
function linearOverRows(x: Tensor, weight: Tensor, bias: Tensor | null, options: LinearOptions): Tensor {
  const [outFeatures, inFeatures] = [weight.shape[0]!, weight.shape[1]!];
  if (x.shape.at(-1) !== inFeatures) throw new Error(`${options.name ?? 'linear'}: input expected shape [*, ${inFeatures}] (in_features), got ${shapeText(x.shape)}`);
  const rows = x.size / inFeatures;
  const { out, scratch, ...rest } = options;
  const shape = [...x.shape.slice(0, -1), outFeatures];
  givenOut(options.name ?? 'linear', out, shape);
  if (scratch) expectShape(options.name ?? 'linear', 'scratch', scratch, shape);
  // The product into the output's memory seen as 2-D; the output itself (not a view) is returned.
  const y = out ?? output(x.gpu, shape, 'linear');
  const flat = linear(reshape(x, [rows, inFeatures]), weight, bias, { ...rest, out: y.reshapeView([rows, outFeatures]), ...(scratch ? { scratch: scratch.reshapeView([rows, outFeatures]) } : {}) });
  return reshape(flat, shape, { out: y });
}

/** sigmoid or relu of x. */
export function activation(kind: 'sigmoid' | 'relu', x: Tensor, options: { out?: Tensor; name?: string } = {}): Tensor {
  const y = givenOut(options.name ?? kind, options.out, x.shape) ?? output(x.gpu, x.shape, kind);
  (kind === 'sigmoid' ? sigmoidKernel : reluKernel)(x, y);
  if (needsGrad([x])) record({ name: options.name ?? kind, inputs: [x], output: y, backward: gradients.activation(kind, x, y) });
  return y;
}

export const sigmoid = (x: Tensor, options: { out?: Tensor } = {}): Tensor => activation('sigmoid', x, options);
export const relu = (x: Tensor, options: { out?: Tensor } = {}): Tensor => activation('relu', x, options);

/** tanh of x (F.tanh). */
export function tanh(x: Tensor, options: { out?: Tensor; name?: string } = {}): Tensor {
  const y = givenOut('tanh', options.out, x.shape) ?? output(x.gpu, x.shape, 'tanh');
  tanhKernel(x, y);
  if (needsGrad([x])) record({ name: options.name ?? 'tanh', inputs: [x], output: y, backward: gradients.tanh(x, y) });
  return y;
}

/** GELU (F.gelu): x · Φ(x) with approximate 'none' (the default), PyTorch's tanh form with 'tanh'. */
export function gelu(x: Tensor, approximate: GeluApproximate = 'none', options: { out?: Tensor; name?: string } = {}): Tensor {
  expectInput('gelu', x);
  expectApproximate('gelu', approximate);
  const y = givenOut('gelu', options.out, x.shape) ?? output(x.gpu, x.shape, 'gelu');
  geluKernel(x, y, approximate);
  if (needsGrad([x])) record({ name: options.name ?? `gelu(approximate='${approximate}')`, inputs: [x], output: y, backward: gradients.gelu(x, y, approximate) });
  return y;
}

/** x where x > 0, negativeSlope · x elsewhere (F.leaky_relu; negativeSlope ≥ 0). */
export function leakyRelu(x: Tensor, negativeSlope = 0.01, options: { out?: Tensor; name?: string } = {}): Tensor {
  const y = givenOut('leakyRelu', options.out, x.shape) ?? output(x.gpu, x.shape, 'leakyRelu');
  leakyReluKernel(x, y, negativeSlope);
  if (needsGrad([x])) record({ name: options.name ?? `leakyRelu(${negativeSlope})`, inputs: [x], output: y, backward: gradients.leakyRelu(x, y, negativeSlope) });
  return y;
}

/** softmax(x) along dim (F.softmax), any dimension; numerically stable (the row's max subtracted). */
export function softmax(x: Tensor, dim: number, options: { out?: Tensor; name?: string } = {}): Tensor {
  return softmaxOrLog(false, x, dim, options);
}

/** log softmax(x) along dim (F.log_softmax), any dimension. */
export function logSoftmax(x: Tensor, dim: number, options: { out?: Tensor; name?: string } = {}): Tensor {
  return softmaxOrLog(true, x, dim, options);
}

function softmaxOrLog(log: boolean, x: Tensor, dim: number, options: { out?: Tensor; name?: string }): Tensor {
  const name = options.name ?? (log ? 'logSoftmax' : 'softmax');
  expectInput(name, x);
  resolveDim(name, x.shape, dim); // before the output is made: an Error leaves nothing behind
  const y = givenOut(name, options.out, x.shape) ?? output(x.gpu, x.shape, name);
  (log ? logSoftmaxKernel : softmaxKernel)(x, y, dim);
  if (needsGrad([x])) record({ name, inputs: [x], output: y, backward: gradients.softmax(x, y, dim, log) });
  return y;
}

export interface RegressionLossOptions {
  reduction?: Reduction;
  /** The loss: [1], or the input's shape for 'none'. */
  out?: Tensor;
  /** 'mean' and 'sum': the first pass's partial sums, [partialCount(n)]. */
  partials?: Tensor;
  name?: string;
}

/** `beta`: SmoothL1's β or Huber's δ, checked by the kernel's launcher. */
function regressionLoss(kind: RegressionLoss, input: Tensor, target: Tensor, options: RegressionLossOptions, beta = 1): Tensor {
  const { reduction = 'mean' } = options;
  const name = options.name ?? REGRESSION_OPS[kind];
  expectOperand(name, 'input', input, false);
  expectOperand(name, 'target', target, false);
  const out = givenOut(name, options.out, lossShape(input.shape, reduction)) ?? output(input.gpu, lossShape(input.shape, reduction), name);
  const partials = reduction === 'none' ? undefined : (options.partials ?? scratchTensor(input.gpu, `${name}.partials`, [partialCount(input.size)]));
  regressionLossKernel(kind, input, target, out, { reduction, beta, ...(partials ? { partials } : {}) });
  if (needsGrad([input, target])) record({ name, inputs: [input, target], output: out, backward: gradients.regressionLoss(kind, input, target, reduction, beta) });
  return out;
}

/** Mean squared error (F.mse_loss): (input − target)², reduced by 'mean' (default), 'sum' or 'none'. */
export const mseLoss = (input: Tensor, target: Tensor, options: RegressionLossOptions = {}): Tensor => regressionLoss('mse', input, target, options);

/** L1 loss (F.l1_loss): |input − target|, reduced by 'mean' (default), 'sum' or 'none'. */
export const l1Loss = (input: Tensor, target: Tensor, options: RegressionLossOptions = {}): Tensor => regressionLoss('l1', input, target, options);

/**
 * Smooth L1 loss (F.smooth_l1_loss): with d = input − target, 0.5 d²/β where |d| < β, |d| − 0.5β
 * elsewhere (β = 0: L1), reduced by 'mean' (default), 'sum' or 'none'; β ≥ 0, default 1.
 * regression_loss.wgsl's SMOOTH_L1, with PyTorch 1.13's gradients (at β = 0 and input = target, −1
 * for both the input and the target, where L1's is 0).
 */
export function smoothL1Loss(input: Tensor, target: Tensor, options: RegressionLossOptions & { beta?: number } = {}): Tensor {
  const { beta = 1, ...rest } = normalizeOptions('smoothL1Loss', options, ['reduction', 'beta', 'out', 'partials', 'name'], {}) as RegressionLossOptions & { beta?: number };
  expectKnee(rest.name ?? 'smoothL1Loss', 'smoothL1', beta);
  return regressionLoss('smoothL1', input, target, rest, beta);
}

/**
 * Huber loss (F.huber_loss): with d = input − target, 0.5 d² where |d| < δ, δ(|d| − 0.5δ)
 * elsewhere (δ times smooth L1 with β = δ), reduced by 'mean' (default), 'sum' or 'none'; δ > 0,
 * default 1. regression_loss.wgsl's HUBER.
 */
export function huberLoss(input: Tensor, target: Tensor, options: RegressionLossOptions & { delta?: number } = {}): Tensor {
  const { delta = 1, ...rest } = normalizeOptions('huberLoss', options, ['reduction', 'delta', 'out', 'partials', 'name'], {}) as RegressionLossOptions & { delta?: number };
  expectKnee(rest.name ?? 'huberLoss', 'huber', delta);
  return regressionLoss('huber', input, target, rest, delta);
}

export interface KLDivOptions {
  /** 'mean' (default: every element's mean, which PyTorch warns of), 'batchmean' (the sum over input.shape[0], the KL divergence), 'sum' or 'none'. */
  reduction?: Reduction | 'batchmean';
  /** The target holds log-probabilities (PyTorch's log_target). */
  logTarget?: boolean;
  log_target?: boolean;
}

let warnedKLDivMean = false;

/**
 * The Kullback-Leibler divergence of input (log-probabilities, nn.LogSoftmax's output) from target
 * (F.kl_div), PyTorch 1.13's: pointwise t · (ln t − input), 0 where t = 0 (xlogy), or with logTarget
 * e^t · (t − input); reduced by 'mean' (default), 'batchmean', 'sum' or 'none'. Composed of F.log,
 * F.where, F.mul, F.sub (F.exp), so its gradients are the autograd's as PyTorch's are: −t (−e^t) for
 * the input; ln t + 1 − input (e^t · (t − input + 1)) for the target, NaN at t = 0 (xlogy's 0 · ∞),
 * as PyTorch 1.13's.
 */
export function klDiv(input: Tensor, target: Tensor, options: KLDivOptions = {}): Tensor {
  const op = 'klDiv';
  expectOperand(op, 'input', input, false);
  expectOperand(op, 'target', target, false);
  const o = normalizeOptions(op, options, ['reduction', 'logTarget'], { log_target: 'logTarget' }) as KLDivOptions;
  const { reduction = 'mean', logTarget = false } = o;
  if (!['mean', 'batchmean', 'sum', 'none'].includes(reduction)) throw new Error(`${op}: argument 'reduction' expected 'mean', 'batchmean', 'sum' or 'none', got ${show(reduction)}`);
  expectFlag(op, 'log_target', logTarget);
  if (input.shape.join() !== target.shape.join()) throw new Error(`${op}: input has shape ${shapeText(input.shape)} and target ${shapeText(target.shape)}; they must be the same (no broadcasting)`);
  if (reduction === 'mean' && !warnedKLDivMean) {
    warnedKLDivMean = true;
    console.warn("klDiv: reduction 'mean' divides the total loss by both the batch size and the support size; 'batchmean' divides only by the batch size, and aligns with the KL div math definition (as PyTorch warns, once here)");
  }
  return composite(() => {
    // t · ln t is 0 · −∞ = NaN at t = 0, where xlogy's 0 is picked; its gradient there stays NaN, as PyTorch's.
    const pointwise = logTarget ? mul(exp(target), sub(target, input)) : sub(where(ne(target, 0), mul(target, log(target)), 0), mul(target, input));
    if (reduction === 'none') return pointwise;
    if (reduction === 'batchmean') return div(sum(pointwise), input.shape[0]!);
    return reduction === 'sum' ? sum(pointwise) : mean(pointwise);
  });
}

// ── composed losses: margin ranking, soft margin, hinge embedding, cosine embedding, Poisson and
// Gaussian NLL. Each is F ops inside composite() (their intermediates the loss's companions), written
// as PyTorch 1.13 writes it, so the autograd's gradients are PyTorch's, boundaries included (a
// clamp at its bound passes the gradient, as clamp_min's). Operands must have the same shape
// (PyTorch broadcasts most of them).

/** A composed loss's options normalised, and its reduction checked ('mean', 'sum' or 'none'). */
function lossOptions<T extends { reduction?: Reduction }>(op: string, options: T, known: readonly string[], aliases: Record<string, string> = {}): T & { reduction: Reduction } {
  const o = normalizeOptions(op, options, ['reduction', ...known], aliases) as T;
  const reduction = o.reduction ?? 'mean';
  if (!['mean', 'sum', 'none'].includes(reduction)) throw new Error(`${op}: argument 'reduction' expected 'mean', 'sum' or 'none', got ${show(reduction)}`);
  return { ...o, reduction };
}

/** Every operand an f32 tensor of the first one's shape, or an Error naming the shapes. */
function expectSameShapes(op: string, operands: Record<string, unknown>): void {
  for (const [name, t] of Object.entries(operands)) expectOperand(op, name, t, false);
  const entries = Object.entries(operands) as [string, Tensor][];
  const [first, firstShape] = [entries[0]![0], entries[0]![1].shape];
  for (const [name, t] of entries.slice(1)) {
    if (t.shape.join() !== firstShape.join()) throw new Error(`${op}: ${first} has shape ${shapeText(firstShape)} and ${name} ${shapeText(t.shape)}; they must be the same (no broadcasting)`);
  }
}

/** A number option, finite, or an Error naming it. */
function expectFiniteOption(op: string, name: string, v: unknown): asserts v is number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: argument '${name}' expected a finite number, got ${show(v)}`);
}

const reduceLoss = (loss: Tensor, reduction: Reduction): Tensor => (reduction === 'none' ? loss : reduction === 'sum' ? sum(loss) : mean(loss));

export interface MarginOptions {
  margin?: number;
  reduction?: Reduction;
}

/**
 * max(0, −target · (input1 − input2) + margin) (F.margin_ranking_loss), target ±1 saying which input
 * should rank higher; margin default 0. Gradients for both inputs and the target.
 */
export function marginRankingLoss(input1: Tensor, input2: Tensor, target: Tensor, options: MarginOptions = {}): Tensor {
  const op = 'marginRankingLoss';
  const { margin = 0, reduction } = lossOptions(op, options, ['margin']);
  expectFiniteOption(op, 'margin', margin);
  expectSameShapes(op, { input1, input2, target });
  return composite(() => reduceLoss(clamp(add(mul(mul(target, -1), sub(input1, input2)), margin), 0), reduction));
}

/**
 * ln(1 + e^(−target · input)) (F.soft_margin_loss), target ±1: F.softplus, so it stays finite where
 * PyTorch's float32 log1p(exp(·)) overflows to ∞ (−target · input past 88.7); the gradient
 * −target · σ(−target · input), as PyTorch's. The target takes no gradient: one that requires it is
 * PyTorch's error.
 */
export function softMarginLoss(input: Tensor, target: Tensor, options: { reduction?: Reduction } = {}): Tensor {
  const op = 'softMarginLoss';
  const { reduction } = lossOptions(op, options, []);
  expectSameShapes(op, { input, target });
  if (target.requiresGrad) throw new Error(`${op}: the target requires grad; PyTorch's "the function 'soft_margin_loss' is not differentiable with respect to argument 'target'"`);
  return composite(() => reduceLoss(softplus(mul(mul(target, -1), input)), reduction));
}

/**
 * input where target is 1, max(0, margin − input) where target is −1 (F.hinge_embedding_loss),
 * margin default 1; PyTorch 1.13's form, so a target other than ±1 gets both terms. The target takes
 * no gradient (it only picks), as PyTorch's.
 */
export function hingeEmbeddingLoss(input: Tensor, target: Tensor, options: MarginOptions = {}): Tensor {
  const op = 'hingeEmbeddingLoss';
  const { margin = 1, reduction } = lossOptions(op, options, ['margin']);
  expectFiniteOption(op, 'margin', margin);
  expectSameShapes(op, { input, target });
  return composite(() => reduceLoss(add(where(ne(target, 1), clamp(sub(margin, input), 0), 0), where(ne(target, -1), input, 0)), reduction));
}

/**
 * 1 − cos(x1, x2) where target is 1, max(0, cos(x1, x2) − margin) where it is −1, 0 elsewhere
 * (F.cosine_embedding_loss), the cosine over each row of [N, D] inputs (target [N]) or over one
 * vector [D] (target [1]: PyTorch's 0-d), as PyTorch 1.13: x1·x2 / √((|x1|² + 1e-12)(|x2|² + 1e-12)).
 * margin default 0. Gradients for both inputs; the target only picks.
 */
export function cosineEmbeddingLoss(input1: Tensor, input2: Tensor, target: Tensor, options: MarginOptions = {}): Tensor {
  const op = 'cosineEmbeddingLoss';
  const { margin = 0, reduction } = lossOptions(op, options, ['margin']);
  expectFiniteOption(op, 'margin', margin);
  for (const [name, t] of Object.entries({ input1, input2, target })) expectOperand(op, name, t, false);
  const rows = input1.shape.length === 2 ? input1.shape[0]! : 1;
  if (input1.shape.length === 2 ? target.shape.join() !== `${rows}` : input1.shape.length !== 1 || target.shape.join() !== '1') {
    throw new Error(`${op}: expected inputs [N, D] with a target [N], or inputs [D] with a target [1], got ${shapeText(input1.shape)} and a target ${shapeText(target.shape)}`);
  }
  if (input2.shape.join() !== input1.shape.join()) throw new Error(`${op}: input1 has shape ${shapeText(input1.shape)} and input2 ${shapeText(input2.shape)}; they must be the same (no broadcasting)`);
  return composite(() => {
    const dim = input1.shape.length - 1;
    const rowSum = (t: Tensor) => reshape(sum(t, dim), [rows]);
    const product = rowSum(mul(input1, input2));
    const denominator = sqrt(mul(add(rowSum(mul(input1, input1)), 1e-12), add(rowSum(mul(input2, input2)), 1e-12)));
    const cos = div(product, denominator);
    const loss = add(where(eq(target, 1), sub(1, cos), 0), where(eq(target, -1), clamp(sub(cos, margin), 0), 0));
    return reduceLoss(loss, reduction);
  });
}

export interface PoissonNLLOptions {
  /** The input is ln λ (default), or λ itself. */
  logInput?: boolean;
  log_input?: boolean;
  /** Adds Stirling's approximation of ln(target!) where target > 1. */
  full?: boolean;
  eps?: number;
  reduction?: Reduction;
}

/**
 * The negative log-likelihood of target under Poisson(λ) (F.poisson_nll_loss): e^input − target ·
 * input with logInput (the default), input − target · ln(input + eps) without; full adds
 * target · ln target − target + ½ ln(2π target) where target > 1. PyTorch 1.13's form, its gradients
 * included (the target's NaN at 0 with full, as PyTorch's).
 */
export function poissonNllLoss(input: Tensor, target: Tensor, options: PoissonNLLOptions = {}): Tensor {
  const op = 'poissonNllLoss';
  const { logInput = true, full = false, eps = 1e-8, reduction } = lossOptions(op, options, ['logInput', 'full', 'eps'], { log_input: 'logInput' });
  expectFlag(op, 'log_input', logInput);
  expectFlag(op, 'full', full);
  expectFiniteOption(op, 'eps', eps);
  expectSameShapes(op, { input, target });
  return composite(() => {
    let loss = logInput ? sub(exp(input), mul(target, input)) : sub(input, mul(target, log(add(input, eps))));
    if (full) {
      const stirling = add(sub(mul(target, log(target)), target), mul(log(mul(target, 2 * Math.PI)), 0.5));
      loss = add(loss, where(gt(target, 1), stirling, 0));
    }
    return reduceLoss(loss, reduction);
  });
}

export interface GaussianNLLOptions {
  /** Adds the constant ½ ln(2π). */
  full?: boolean;
  eps?: number;
  reduction?: Reduction;
}

/**
 * The negative log-likelihood of target under N(input, var) (F.gaussian_nll_loss):
 * ½ (ln max(var, eps) + (input − target)² / max(var, eps)) (+ ½ ln 2π with full). var has the
 * input's shape, or one per row: the input's shape without its last dimension, or with it 1
 * (broadcast over it). As PyTorch 1.13, the clamp at eps is outside the autograd (its no_grad):
 * var's gradient is ½ (1/v − (input − target)²/v²) at v = max(var, eps), clamped or not. PyTorch
 * raises on a negative var; that would need a read from the GPU, so it is clamped to eps here.
 */
export function gaussianNllLoss(input: Tensor, target: Tensor, variance: Tensor, options: GaussianNLLOptions = {}): Tensor {
  const op = 'gaussianNllLoss';
  const { full = false, eps = 1e-6, reduction } = lossOptions(op, options, ['full', 'eps']);
  expectFlag(op, 'full', full);
  expectFiniteOption(op, 'eps', eps);
  expectSameShapes(op, { input, target });
  expectOperand(op, 'var', variance, false);
  const [vs, lead] = [variance.shape.join(), input.shape.slice(0, -1).join()];
  const perRow = vs !== input.shape.join();
  if (perRow && !(vs === lead && input.shape.length > 1) && !(variance.shape.slice(0, -1).join() === lead && variance.shape.at(-1) === 1 && variance.shape.length === input.shape.length)) {
    throw new Error(`${op}: var has shape ${shapeText(variance.shape)}, for an input ${shapeText(input.shape)}; expected the input's shape, or it without its last dimension, or with it 1 (PyTorch: "var is of incorrect size")`);
  }
  return composite(() => {
    const v = perRow && vs === lead ? unsqueeze(variance, -1) : variance;
    // max(var, eps) in value, var in the gradient: max(var, eps) detached, plus var − var (0, with var's
    // gradient). The other way round, var + (max(var, eps) − var).detach(), loses eps to rounding
    // once |var| is large: var = −1 acted as 9.5e-7, and var ≤ −16 gave NaN.
    const clamped = add(clamp(v, eps).detach(), sub(v, v.detach()));
    let loss = mul(add(log(clamped), div(pow(sub(input, target), 2), clamped)), 0.5);
    if (full) loss = add(loss, 0.5 * Math.log(2 * Math.PI));
    return reduceLoss(loss, reduction);
  });
}

/**
 * Binary cross-entropy of probabilities (F.binary_cross_entropy, after a sigmoid): −(t · ln x +
 * (1 − t) · ln(1 − x)), each log clamped at −100 and PyTorch's gradients (regression_loss.wgsl's BCE),
 * reduced by 'mean' (default), 'sum' or 'none'. `weight` rescales each element's loss (broadcast
 * onto the input, as PyTorch's), composed with F.mul before the reduction. An input outside [0, 1]
 * gives NaN, where PyTorch raises (the values are on the GPU).
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: RegressionLossOptions & { weight?: Tensor | null } = {}): Tensor {
  const op = 'binaryCrossEntropy';
  const { weight = null, ...rest } = normalizeOptions(op, options, ['weight', 'reduction', 'out', 'partials', 'name'], {}) as RegressionLossOptions & { weight?: Tensor | null };
  expectOperand(op, 'input', input, false);
  expectOperand(op, 'target', target, false);
  if (weight === null) return regressionLoss('bce', input, target, rest);
  expectOperand(op, 'weight', weight, false);
  const lead = input.shape.length - weight.shape.length;
  if (lead < 0 || weight.shape.some((d, k) => d !== 1 && d !== input.shape[lead + k])) throw new Error(`${op}: weight ${shapeText(weight.shape)} does not broadcast onto the input ${shapeText(input.shape)}`);
  const reduction = rest.reduction ?? 'mean';
  if (rest.out || rest.partials) throw new Error(`${op}: 'out' and 'partials' are not taken with a weight (the weighted loss is composed)`);
  return composite(() => {
    const weighted = mul(regressionLoss('bce', input, target, { reduction: 'none', name: rest.name ?? op }), weight);
    return reduction === 'none' ? weighted : reduction === 'sum' ? sum(weighted) : mean(weighted);
  });
}

/**
 * The sum of x's elements (torch.sum): all of them, a [1] tensor; or over `dim` (one dimension or a
 * list, negative from the end), dropped from the shape unless keepdim. See reduceOver for which.
 */
export function sum(x: Tensor, dim?: number | readonly number[], keepdim = false, ...unsupported: never[]): Tensor {
  expectReduction('sum', x, dim, keepdim, unsupported, ['f32', 'i32', 'u32']);
  if (isInteger(x)) {
    if (dim !== undefined) reducedShape(x, dimsOf('sum', x, dim), keepdim); // its errors before any dispatch
    return throughFloat(x.dtype, [x], ([f]) => sum(f!, dim, keepdim));
  }
  if (dim !== undefined) return reduceOver('sum', x, dim, keepdim);
  const column = x.reshapeView([x.size, 1]);
  const out = output(x.gpu, [1], 'sum');
  sumRows(column, out);
  if (needsGrad([x])) record({ name: 'sum', inputs: [x], output: out, reads: [], backward: gradients.sumOver(x, { inner: x.size, bSize: 1 }, 1) });
  return out;
}

/** The mean of x's elements (torch.mean): all of them, a [1] tensor (their sum, in the Gpu's scratch, times 1 / size), or over `dim` as F.sum. */
export function mean(x: Tensor, dim?: number | readonly number[], keepdim = false, ...unsupported: never[]): Tensor {
  expectReduction('mean', x, dim, keepdim, unsupported);
  if (dim !== undefined) return reduceOver('mean', x, dim, keepdim);
  const out = output(x.gpu, [1], 'mean');
  sumRows(x.reshapeView([x.size, 1]), out, false, undefined, 1 / x.size); // the sum scaled in its last pass
  if (needsGrad([x])) record({ name: 'mean', inputs: [x], output: out, reads: [], backward: gradients.sumOver(x, { inner: x.size, bSize: 1 }, 1 / x.size) });
  return out;
}

/** `out` when given, checked: the result's shape, and, with grad enabled, not a leaf that requires grad (a parameter the op would overwrite; PyTorch's no_grad allows it). */
function givenOut(op: string, out: Tensor | undefined, shape: readonly number[]): Tensor | undefined {
  if (out === undefined) return undefined;
  if (!(out instanceof Tensor)) throw new Error(`${op}: option 'out' expected a Tensor, got ${show(out)}`);
  expectShape(op, 'out', out, shape);
  if (isGradEnabled() && out.requiresGrad && out.node === null) throw new Error(`${op}: 'out' is '${out.label}', a leaf that requires grad (a parameter?): the op would overwrite its values`);
  return out;
}

/** An op's input: an f32 tensor. */
/** A tensor argument of `dtypes` (f32 unless the op only moves memory, as views do), or an Error naming it. */
function expectInput(op: string, x: unknown, dtypes: readonly DType[] = ['f32']): void {
  if (!(x instanceof Tensor)) throw new Error(`${op}: argument 'input' expected a Tensor, got ${show(x)}`);
  if (!dtypes.includes(x.dtype)) throw new Error(`${op}: argument 'input' expected dtype ${dtypes.join(' or ')}, got ${x.dtype}`);
  expectAlive(op, x);
}

/** A destroyed tensor refused before the op makes its output (the dispatch's own check comes after, leaving the output behind). */
function expectAlive(op: string, t: Tensor): void {
  t.gpu.usable(t, op);
}

function expectReduction(op: string, x: Tensor, dim: unknown, keepdim: unknown, unsupported: readonly unknown[], dtypes: readonly DType[] = ['f32']): void {
  expectInput(op, x, dtypes);
  if (unsupported.length) throw new Error(`${op}: takes input, dim and keepdim, got ${extraArguments(unsupported)} too (dtype is not supported)`);
  if (typeof keepdim !== 'boolean') throw new Error(`${op}: argument 'keepdim' expected true or false, got ${show(keepdim)}`);
  if (dim === undefined && keepdim) throw new Error(`${op}: keepdim needs dim (F.${op}(x, [0, 1], true)); without dim every element is reduced to [1]`);
}

/**
 * x summed over `dim` (times 1 / the count for the mean). Where the kept dimensions, other than 1,
 * are one run ([N, C] over 0 or 1, [N, C, H, W] over (0, 2, 3), (2, 3) or (1, 2, 3)), as a spread
 * operand's gradient is (arithmetic.wgsl's sum_to_broadcast, tuned per adapter); otherwise (a middle
 * dimension alone, [N, C, W] over 1) through strided.wgsl's gather_sum.
 */
function reduceOver(op: 'sum' | 'mean', x: Tensor, dim: number | readonly number[], keepdim: boolean): Tensor {
  const dims = dimsOf(op, x, dim);
  const { kept, shape } = reducedShape(x, dims, keepdim);
  const layout = reducedLayout(x.shape, dims);
  expectLayout(op, layout);
  const out = output(x.gpu, shape, op);
  const count = x.size / kept.reduce((p, d) => p * d, 1);
  const scale = op === 'mean' ? 1 / count : 1;
  const name = `${op}(dim=${JSON.stringify(dim)})`;
  const broadcast = broadcastOver(x.shape, kept);
  if (broadcast) {
    sumToBroadcast(out, x, null, broadcast, scale);
    if (needsGrad([x])) record({ name, inputs: [x], output: out, reads: [], backward: gradients.sumOver(x, broadcast, scale) });
  } else {
    // The kept dimensions in two runs or more ([N, C, W] over 1): read through x's strides.
    gatherSum(x, out, layout, scale);
    if (needsGrad([x])) record({ name, inputs: [x], output: out, reads: [], backward: gradients.sumOverDims(x, kept, scale) });
  }
  return out;
}

/** `dim` as a list of x's dimensions, negative ones counted from the end: one dimension or a list, none twice; [] is every one. */
function dimsOf(op: string, x: Tensor, dim: unknown): number[] {
  const rank = x.shape.length;
  const list = typeof dim === 'number' ? [dim] : Array.isArray(dim) ? [...(dim as unknown[])] : null;
  if (!list || !list.every((d) => typeof d === 'number' && Number.isInteger(d) && d >= -rank && d < rank)) {
    throw new Error(`${op}: argument 'dim' expected a dimension of ${shapeText(x.shape)} (${-rank} to ${rank - 1}) or a list of them, got ${JSON.stringify(dim) ?? String(dim)}`);
  }
  if (list.length === 0) return x.shape.map((_, i) => i); // PyTorch: an empty list reduces every dimension
  const dims = (list as number[]).map((d) => (d < 0 ? d + rank : d));
  if (new Set(dims).size !== dims.length) throw new Error(`${op}: dim ${JSON.stringify(list)} names a dimension twice`);
  return dims;
}

/** x's shape with `dims` reduced: as 1s (kept), and as the output's (dropped unless keepdim; [1] when none is left). */
function reducedShape(x: Tensor, dims: readonly number[], keepdim: boolean): { kept: number[]; shape: number[] } {
  const kept = x.shape.map((d, i) => (dims.includes(i) ? 1 : d));
  const dropped = x.shape.filter((_, i) => !dims.includes(i));
  return { kept, shape: keepdim ? kept : dropped.length ? dropped : [1] };
}

// ── max and min ───────────────────────────────────────────────────────────────────────────────────

/** One dimension for max, min, argmax and argmin (PyTorch's take an integer; amax and amin take lists). */
function singleDim(op: string, x: Tensor, dim: unknown): number {
  if (Array.isArray(dim)) throw new Error(`${op}: argument 'dim' expected one dimension (an integer), got ${JSON.stringify(dim)}; over several, F.a${op.replace(/^arg/, '')}(x, ${JSON.stringify(dim)}) gives the values`);
  return dimension(op, 'dim', dim, x.shape);
}

function expectExtremeArguments(op: string, x: Tensor, dim: unknown, keepdim: unknown, unsupported: readonly unknown[]): void {
  expectInput(op, x);
  if (dim instanceof Tensor) throw new Error(`${op}: argument 'dim' expected a dimension, got Tensor ${shapeText(dim.shape)}`);
  if (unsupported.length) throw new Error(`${op}: takes input, dim and keepdim, got ${extraArguments(unsupported)} too (out= is not supported)`);
  if (typeof keepdim !== 'boolean') throw new Error(`${op}: argument 'keepdim' expected true or false, got ${show(keepdim)}`);
  if (dim === undefined && keepdim && (op === 'max' || op === 'min')) throw new Error(`${op}: keepdim needs dim (torch.${op}(x) has none); F.a${op}(x, [], true) keeps every dimension as 1`);
}

/**
 * The max (min) of x over `dims` and, when `withIndices`, where each was found (a new i32 tensor:
 * the first such position, row-major over the reduced dimensions). Its gradient goes to that
 * position; without indices (amax, max over everything) it is shared among the ties, as PyTorch's.
 */
function extremeOver(op: Extreme, name: string, x: Tensor, dims: readonly number[], keepdim: boolean, withIndices: boolean): { values: Tensor; indices: Tensor | null } {
  const { shape } = reducedShape(x, dims, keepdim);
  const layout = reducedLayout(x.shape, dims);
  expectLayout(name, layout);
  const values = output(x.gpu, shape, name);
  const indices = withIndices ? output(x.gpu, shape, `${name} indices`, 'i32') : null;
  extremeKernel(op, x, layout, values, indices ?? scratchIndices(x.gpu, shape));
  if (needsGrad([x])) record({ name, inputs: [x], output: values, saved: indices ? [indices] : [], backward: gradients.extreme(x, layout, values, indices) });
  return { values, indices };
}

/** The largest of x's elements, a [1] tensor (torch.max(x)); its gradient is shared among the ties, as PyTorch's. */
export function max(x: Tensor): Tensor;
/** The largest of x along `dim` and its first index there (torch.max(x, dim, keepdim)): values with a gradient (to that index), indices as i32. */
export function max(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
/** The larger of x and other elementwise (torch.max(a, b)): F.maximum. */
export function max(x: Tensor, other: Tensor): Tensor;
export function max(x: Tensor, dim?: number | Tensor, keepdim = false, ...unsupported: never[]): Tensor | ValuesIndices {
  if (dim instanceof Tensor) return maximum(x, dim, ...(keepdim === false ? unsupported : ([keepdim, ...unsupported] as never[])));
  return extremeCall('max', x, dim, keepdim, unsupported);
}

/** The smallest of x's elements, a [1] tensor (torch.min(x)), its gradient shared among the ties. */
export function min(x: Tensor): Tensor;
/** The smallest of x along `dim` and its first index there (torch.min(x, dim, keepdim)), as F.max. */
export function min(x: Tensor, dim: number, keepdim?: boolean): ValuesIndices;
/** The smaller of x and other elementwise (torch.min(a, b)): F.minimum. */
export function min(x: Tensor, other: Tensor): Tensor;
export function min(x: Tensor, dim?: number | Tensor, keepdim = false, ...unsupported: never[]): Tensor | ValuesIndices {
  if (dim instanceof Tensor) return minimum(x, dim, ...(keepdim === false ? unsupported : ([keepdim, ...unsupported] as never[])));
  return extremeCall('min', x, dim, keepdim, unsupported);
}

function extremeCall(op: Extreme, x: Tensor, dim: number | undefined, keepdim: boolean, unsupported: readonly unknown[]): Tensor | ValuesIndices {
  expectExtremeArguments(op, x, dim, keepdim, unsupported);
  if (dim === undefined) return extremeOver(op, op, x, x.shape.map((_, i) => i), false, false).values;
  const { values, indices } = extremeOver(op, `${op}(dim=${dim})`, x, [singleDim(op, x, dim)], keepdim, true);
  return valuesAndIndices(values, indices!);
}

/** F.max's and F.min's result along a dim: PyTorch's (values, indices) named tuple. */
export interface ValuesIndices {
  values: Tensor;
  indices: Tensor;
  /** values, as PyTorch's x.max(1)[0] */
  readonly 0: Tensor;
  /** indices, as PyTorch's x.max(1)[1] */
  readonly 1: Tensor;
  /** values then indices: const [values, indices] = F.max(x, 1), as PyTorch's tuple unpacking. */
  [Symbol.iterator](): Iterator<Tensor>;
}

/** { values, indices }, with [0], [1] and unpacking as PyTorch's tuple (not enumerable: it prints as the two). */
function valuesAndIndices(values: Tensor, indices: Tensor): ValuesIndices {
  const result = { values, indices };
  Object.defineProperties(result, {
    0: { get: () => result.values },
    1: { get: () => result.indices },
    [Symbol.iterator]: { value: function* () { yield result.values; yield result.indices; } },
  });
  return result as ValuesIndices;
}

// ── sorting: sort, argsort, topk ──────────────────────────────────────────────────────────────────

/** torch.sort's keywords (stable is taken: the order here is always the stable sort's). */
export interface SortOptions {
  dim?: number;
  descending?: boolean;
  stable?: boolean;
}

/** torch.topk's keywords. */
export interface TopkOptions {
  dim?: number;
  largest?: boolean;
  sorted?: boolean;
}

/**
 * The indices (i32) of the first `take` of x's elements along d in sorted order, ties in index
 * order, NaN last (descending: first), as PyTorch's stable sort: shaders/sort.wgsl over x with d
 * moved last, and back. No gradient (the values come through F.gather, which carries it).
 */
function sortedIndices(op: string, x: Tensor, d: number, take: number, descending: boolean): Tensor {
  const last = x.shape.length - 1;
  const n = x.shape[d]!;
  return withoutGrad(() =>
    tidy(() => {
      const order = [...x.shape.keys()].filter((i) => i !== d).concat(d);
      const rowsFirst = d === last ? x : permute(x, order);
      const indices = output(x.gpu, [...rowsFirst.shape.slice(0, -1), take], `${op} indices`, 'i32');
      sortRowsKernel(rowsFirst, indices, x.size / n, n, take, descending);
      return d === last ? indices : unmarkViewCopy(permute(indices, order.map((_, i) => order.indexOf(i))));
    }),
  );
}

/** A sorting op's input and dim: an f32 tensor (an integer one named, with the way to sort it), one dimension. */
function sortInput(op: string, x: unknown, dim: unknown): number {
  if (x instanceof Tensor && x.dtype !== 'f32') throw new Error(`${op}: input '${x.label}' is ${x.dtype}; sorting takes f32 here: F.${op}(F.to(x, 'f32'), …) (exact for integers below 2^24)`);
  expectInput(op, x);
  return dimension(op, 'dim', dim, (x as Tensor).shape);
}

/** The arguments given: trailing undefined ones dropped. */
function trimmed(args: unknown[]): unknown[] {
  while (args.length && args.at(-1) === undefined) args.pop();
  return args;
}

/** Positional keywords or an options object (F.sort(x, 1, true) or F.sort(x, { dim: 1, descending: true })). */
function keywords<O extends object>(op: string, names: readonly (keyof O & string)[], args: readonly unknown[]): O {
  const objectAt = args.findIndex((a) => a !== null && typeof a === 'object' && !(a instanceof Tensor));
  if (objectAt >= 0 && objectAt !== args.length - 1) throw new Error(`${op}: the options object goes last, got ${show(args[objectAt + 1])} after it`);
  const positional = objectAt >= 0 ? args.slice(0, objectAt) : args;
  if (positional.length > names.length) throw new Error(`${op}: takes ${names.join(', ')} after the input, got ${positional.length} arguments (${show(positional.slice(names.length))} too)`);
  const given = objectAt >= 0 ? (normalizeOptions(op, args[objectAt] as object, names) as Record<string, unknown>) : {};
  const o: Record<string, unknown> = {};
  names.forEach((name, i) => {
    if (positional[i] !== undefined && given[name] !== undefined) throw new Error(`${op}: ${name} given twice, as an argument and an option`);
    o[name] = positional[i] ?? given[name];
  });
  return o as O;
}

/**
 * torch.sort(input, dim=-1, descending=False, stable=False): { values, indices } (PyTorch's named
 * tuple: const [values, indices] = F.sort(x)), ties in index order (PyTorch's stable order, whatever
 * `stable` says), NaN last (descending: first). The values' gradient goes back to where each came from.
 */
export function sort(x: Tensor, dim?: number | SortOptions, descending?: boolean | SortOptions, options?: SortOptions): ValuesIndices {
  const o = keywords<SortOptions>('sort', ['dim', 'descending', 'stable'], trimmed([dim, descending, options]));
  const d = sortInput('sort', x, o.dim ?? -1);
  expectFlag('sort', 'descending', o.descending);
  expectFlag('sort', 'stable', o.stable);
  const indices = sortedIndices('sort', x, d, x.shape[d]!, o.descending ?? false);
  return valuesAndIndices(gather(x, d, indices), indices);
}

/** torch.argsort(input, dim=-1, descending=False, stable=False): F.sort's indices alone (i32). */
export function argsort(x: Tensor, dim?: number | SortOptions, descending?: boolean | SortOptions, options?: SortOptions): Tensor {
  const o = keywords<SortOptions>('argsort', ['dim', 'descending', 'stable'], trimmed([dim, descending, options]));
  const d = sortInput('argsort', x, o.dim ?? -1);
  expectFlag('argsort', 'descending', o.descending);
  expectFlag('argsort', 'stable', o.stable);
  return sortedIndices('argsort', x, d, x.shape[d]!, o.descending ?? false);
}

/**
 * torch.topk(input, k, dim=-1, largest=True, sorted=True): the k largest (smallest with largest
 * false) along dim and their indices, in order (sorted false gives the same order), ties to the lower
 * index, NaN as the largest (PyTorch's). The values' gradient goes back to where each came from.
 */
export function topk(x: Tensor, k: number, dim?: number | TopkOptions, largest?: boolean | TopkOptions, sorted?: boolean | TopkOptions, options?: TopkOptions): ValuesIndices {
  const o = keywords<TopkOptions>('topk', ['dim', 'largest', 'sorted'], trimmed([dim, largest, sorted, options]));
  const d = sortInput('topk', x, o.dim ?? -1);
  expectFlag('topk', 'largest', o.largest);
  expectFlag('topk', 'sorted', o.sorted);
  const n = x.shape[d]!;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k > n) throw new Error(`topk: argument 'k' expected an integer from 1 to ${n} (the size of dim ${d} of ${shapeText(x.shape)}), got ${show(k)}${k === 0 ? ' (k = 0 gives empty tensors, which are not supported)' : ''}`);
  const indices = sortedIndices('topk', x, d, k, o.largest ?? true);
  return valuesAndIndices(gather(x, d, indices), indices);
}

export interface SearchSortedOptions {
  /** The last place a value could go among equal elements (PyTorch's right=True, side='right'). */
  right?: boolean;
  side?: 'left' | 'right' | null;
  outInt32?: boolean;
  out_int32?: boolean;
}

/**
 * For each value, the number of elements of its row of sortedSequence before it (torch.searchsorted):
 * the index where it would be inserted to keep the row sorted, the first such (right: the last).
 * sortedSequence is 1-D (one row for every value) or has values' leading dimensions (a row each);
 * ascending, NaN last, as F.sort leaves it. i32 (PyTorch's int64; out_int32 is taken). One dispatch
 * of shaders/sort.wgsl's binary search. An integer sequence or values are compared as float32 (exact
 * below 2^24). No gradient (an index).
 */
export function searchsorted(sortedSequence: Tensor, values: Tensor | number, options: SearchSortedOptions = {}, ...unsupported: never[]): Tensor {
  const op = 'searchsorted';
  if (!(sortedSequence instanceof Tensor)) throw new Error(`${op}: argument 'sorted_sequence' expected a Tensor, got ${show(sortedSequence)}`);
  if (unsupported.length) throw new Error(`${op}: takes sorted_sequence, values and an options object { right, side, out_int32 }, got ${extraArguments(unsupported)} too`);
  const o = normalizeOptions(op, options, ['right', 'side', 'outInt32'], { out_int32: 'outInt32' }, { sorter: null }) as SearchSortedOptions;
  expectFlag(op, 'right', o.right);
  expectFlag(op, 'outInt32', o.outInt32);
  if (o.side != null && o.side !== 'left' && o.side !== 'right') throw new Error(`${op}: side can only be 'left' or 'right', got ${show(o.side)}`);
  if (o.side === 'left' && o.right) throw new Error(`${op}: side and right can't be set to opposites, got side of left while right was True`);
  const right = o.side === 'right' || o.right === true;
  const given = typeof values === 'number' ? null : values;
  if (given !== null && !(given instanceof Tensor)) throw new Error(`${op}: argument 'input' expected a Tensor or a number, got ${show(values)}`);
  for (const [name, t] of [['sorted_sequence', sortedSequence], ['input', given]] as const) {
    if (t && !['f32', 'i32', 'u32'].includes(t.dtype)) throw new Error(`${op}: argument '${name}' expected dtype f32, i32 or u32, got ${t.dtype}`);
    if (t) expectAlive(op, t);
  }
  const s = sortedSequence.shape;
  const shape = given ? given.shape : [1];
  const shared = s.length === 1;
  if (!shared && (s.length !== shape.length || s.slice(0, -1).some((v, k) => v !== shape[k]))) throw new Error(`${op}: boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor ${shapeText(s)} and input value tensor ${shapeText(shape)}`);
  const n = s.at(-1)!;
  const take = shared ? shape.reduce((a, b) => a * b, 1) : shape.at(-1)!;
  const rows = shared ? 1 : sortedSequence.size / n;
  return withoutGrad(() => {
    const converted: Tensor[] = [];
    const asFloat = (t: Tensor) => (t.dtype === 'f32' ? t : (converted[converted.length] = to(t, 'f32')));
    try {
      const sequence = asFloat(sortedSequence);
      // A number as values: a [1] tensor of it (±∞ and NaN too).
      const v = given ? asFloat(given) : (converted[converted.length] = full([1], values as number, { gpu: sortedSequence.gpu }));
      const out = output(sortedSequence.gpu, shape, op, 'i32');
      searchSortedKernel(sequence, v, out, rows, n, take, right, shared);
      return out;
    } finally {
      converted.forEach((t) => t.destroy());
    }
  });
}

/** The bucket of each element of input among 1-D boundaries (torch.bucketize): F.searchsorted(boundaries, input), right as PyTorch's. */
export function bucketize(input: Tensor | number, boundaries: Tensor, options: { right?: boolean; outInt32?: boolean; out_int32?: boolean } = {}, ...unsupported: never[]): Tensor {
  if (boundaries instanceof Tensor && boundaries.shape.length !== 1) throw new Error(`bucketize: boundaries tensor must be 1 dimension, but got dim(${boundaries.shape.length})`);
  if (unsupported.length) throw new Error(`bucketize: takes input, boundaries and an options object { right, out_int32 }, got ${extraArguments(unsupported)} too`);
  const o = normalizeOptions('bucketize', options, ['right', 'outInt32'], { out_int32: 'outInt32' }) as { right?: boolean; outInt32?: boolean };
  return searchsorted(boundaries, input, o);
}

/**
 * numSamples category indices drawn from each row of input (torch.multinomial): [C] or [R, C]
 * non-negative weights, each row's proportional to its probabilities; [numSamples] or [R,
 * numSamples], i32. Without replacement (PyTorch's default), and for one sample, PyTorch's own
 * method: the largest p / q with q ~ Exp(1) (q = −ln u, never 0), so each draw is proportional to
 * p among those left, a category of weight 0 never before the others; with replacement, u · Σp
 * located in each row's running sums by F.searchsorted (the last category with p > 0 if u · Σp
 * rounds up to Σp). p is first divided by its row's largest. Draws come from manualSeed's generator
 * (other streams than PyTorch's). A row PyTorch refuses (an element < 0, NaN or ∞, or all 0) gives
 * −1 in every draw: PyTorch's check would read the GPU.
 */
export function multinomial(input: Tensor, numSamples: number, replacement: boolean | { replacement?: boolean } = false, ...unsupported: never[]): Tensor {
  const op = 'multinomial';
  expectInput(op, input);
  if (unsupported.length) throw new Error(`${op}: takes input, num_samples and replacement, got ${extraArguments(unsupported)} too (generator= is not supported: manualSeed sets the draws)`);
  const withReplacement = typeof replacement === 'boolean' ? replacement : (normalizeOptions(op, replacement, ['replacement']) as { replacement?: boolean }).replacement ?? false;
  expectFlag(op, 'replacement', withReplacement);
  if (input.shape.length !== 1 && input.shape.length !== 2) throw new Error(`${op}: prob_dist must be 1 or 2 dim, got ${shapeText(input.shape)}`);
  if (typeof numSamples !== 'number' || !Number.isInteger(numSamples)) throw new Error(`${op}: argument 'num_samples' expected an integer, got ${show(numSamples)}`);
  if (numSamples <= 0) throw new Error(`${op}: cannot sample n_sample <= 0 samples`);
  const C = input.shape.at(-1)!;
  const R = input.size / C;
  if (!withReplacement && numSamples > C) throw new Error(`${op}: cannot sample n_sample > prob_dist.size(-1) samples without replacement`);
  if (C > 2 ** 24) throw new Error(`${op}: number of categories cannot exceed 2^24`);
  const p = input.shape.length === 1 ? reshape(input, [1, C]) : input;
  const drawn = withoutGrad(() =>
    composite(() => {
      // Judged on the elements (a sum of finite weights can overflow), then divided by the row's
      // largest, so neither the keys nor the running sums underflow or overflow (weights of 2e-38 or
      // 2e38 draw as 1s do). A GPU may flush subnormal weights to 0: those count as 0.
      const largest = amax(p, 1, true);
      const valid = logicalAnd(logicalAnd(ge(amin(p, 1, true), 0), gt(largest, 0)), lt(largest, Infinity));
      const scaled = div(p, where(valid, largest, 1));
      let index: Tensor;
      if (!withReplacement || numSamples === 1) {
        // q = −ln u for u in [0, 1) on a 2^-24 grid: in (0, ∞], so p / q is finite; a category of
        // weight 0 gets −1, below every other key, so it is drawn only once the others are.
        const q = mul(log(rand([R, C], { gpu: input.gpu })), -1);
        const keys = where(gt(scaled, 0), div(scaled, q), -1);
        index = numSamples === 1 ? argmax(keys, 1, true) : sortedIndices(op, keys, 1, numSamples, true);
      } else {
        const running = cumsum(scaled, 1);
        const last = narrow(running, 1, C - 1, 1);
        const at = searchsorted(running, mul(rand([R, numSamples], { gpu: input.gpu }), last), { right: true });
        index = minimum(to(at, 'f32'), to(searchsorted(running, last), 'f32'));
      }
      // The result in its final shape ([n] for a 1-D input), so destroy() frees what it holds.
      const drawnShape = input.shape.length === 1 ? [numSamples] : [R, numSamples];
      return to(reshape(where(valid, index.dtype === 'f32' ? index : to(index, 'f32'), -1), drawnShape), 'i32');
    }),
  );
  return drawn;
}

/** The max of x over `dim` (one dimension or a list; every one when left out or [], kept as 1s with keepdim), torch.amax: its gradient shared among the ties. */
export function amax(x: Tensor, dim?: number | readonly number[], keepdim = false, ...unsupported: never[]): Tensor {
  return amaxCall('amax', 'max', x, dim, keepdim, unsupported);
}

/** The min of x over `dim`, torch.amin, as F.amax. */
export function amin(x: Tensor, dim?: number | readonly number[], keepdim = false, ...unsupported: never[]): Tensor {
  return amaxCall('amin', 'min', x, dim, keepdim, unsupported);
}

function amaxCall(name: string, op: Extreme, x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean, unsupported: readonly unknown[]): Tensor {
  expectExtremeArguments(name, x, dim, keepdim, unsupported);
  const dims = dim === undefined ? x.shape.map((_, i) => i) : dimsOf(name, x, dim);
  return extremeOver(op, dim === undefined ? name : `${name}(dim=${JSON.stringify(dim)})`, x, dims, keepdim, false).values;
}

/** Where x is largest (torch.argmax), an i32 tensor: along `dim`, or over the flattened x ([1]); the first such index. */
export function argmax(x: Tensor, dim?: number, keepdim = false, ...unsupported: never[]): Tensor {
  return argCall('argmax', 'max', x, dim, keepdim, unsupported);
}

/** Where x is smallest (torch.argmin), as F.argmax. */
export function argmin(x: Tensor, dim?: number, keepdim = false, ...unsupported: never[]): Tensor {
  return argCall('argmin', 'min', x, dim, keepdim, unsupported);
}

function argCall(name: string, op: Extreme, x: Tensor, dim: number | undefined, keepdim: boolean, unsupported: readonly unknown[]): Tensor {
  expectExtremeArguments(name, x, dim, keepdim, unsupported);
  const dims = dim === undefined ? x.shape.map((_, i) => i) : [singleDim(name, x, dim)];
  const { shape } = reducedShape(x, dims, keepdim);
  const layout = reducedLayout(x.shape, dims);
  expectLayout(name, layout);
  const indices = output(x.gpu, shape, name, 'i32');
  const values = scratchTensor(x.gpu, `${name}: values`, shape);
  extremeKernel(op, x, layout, values, indices);
  return indices;
}

// ── layout: permute, transpose, cat, stack, unsqueeze, squeeze, expand ──────────────────────────────

/** A dimension of `shape` (negative from the end), or an Error naming the argument. */
function dimension(op: string, name: string, d: unknown, shape: readonly number[]): number {
  const rank = shape.length;
  if (typeof d !== 'number' || !Number.isInteger(d) || d < -rank || d >= rank) throw new Error(`${op}: argument '${name}' expected a dimension of ${shapeText(shape)} (${-rank} to ${rank - 1}), got ${show(d)}`);
  return d < 0 ? d + rank : d;
}

/** x with its dimensions in the order `dims` (torch.permute(x, dims)): a new tensor (PyTorch's is a view; this is its .contiguous()). */
export function permute(x: Tensor, dims: readonly number[], ...unsupported: never[]): Tensor {
  expectInput('permute', x, ['f32', 'i32', 'u32']);
  const rank = x.shape.length;
  if (!Array.isArray(dims)) throw new Error(`permute: argument 'dims' expected a list of ${rank} dimensions (F.permute(x, [${[...x.shape.keys()].reverse().join(', ')}])), got ${show(dims)}${unsupported.length ? ` and ${extraArguments(unsupported)}` : ''}`);
  if (unsupported.length) throw new Error(`permute: takes input and dims, got ${extraArguments(unsupported)} too`);
  if (dims.length !== rank) throw new Error(`permute: dims ${JSON.stringify(dims)} has ${dims.length} entries, and ${shapeText(x.shape)} ${rank} dimensions (PyTorch: the length of dims must match input.dim())`);
  const order = dims.map((d, i) => dimension('permute', `dims[${i}]`, d, x.shape));
  if (new Set(order).size !== rank) throw new Error(`permute: dims ${JSON.stringify(dims)} names a dimension twice`);
  return permuted('permute', x, order);
}

/** x with dimensions dim0 and dim1 swapped (torch.transpose): a new tensor, as F.permute. */
export function transpose(x: Tensor, dim0: number, dim1: number, ...unsupported: never[]): Tensor {
  expectInput('transpose', x, ['f32', 'i32', 'u32']);
  if (unsupported.length) throw new Error(`transpose: takes input, dim0 and dim1, got ${extraArguments(unsupported)} too`);
  const [a, b] = [dimension('transpose', 'dim0', dim0, x.shape), dimension('transpose', 'dim1', dim1, x.shape)];
  return permuted('transpose', x, x.shape.map((_, i) => (i === a ? b : i === b ? a : i)));
}

function permuted(name: string, x: Tensor, order: readonly number[], out?: Tensor): Tensor {
  // Integer tensors (a batchified corpus's data.view(bsz, -1).t()) move as two exact 16-bit halves.
  if (isInteger(x) && !out) return markViewCopy(`F.${name}'s result for '${x.label}'`, throughHalves(x.dtype, [x], ([f]) => permuted(name, f!, order)));
  const layout = permutedLayout(x.shape, order);
  expectLayout(name, layout);
  const y = out ?? markViewCopy(`F.${name}'s result for '${x.label}'`, output(x.gpu, order.map((d) => x.shape[d]!), name));
  gatherSum(x, y, layout);
  if (needsGrad([x])) record({ name, inputs: [x], output: y, reads: [], backward: gradients.permute(x, y, order) });
  return y;
}

/** The tensors of a list argument (cat, stack): a non-empty array of f32 tensors on one device. */
function expectTensorList(op: string, tensors: unknown): Tensor[] {
  if (tensors instanceof Tensor) throw new Error(`${op}: argument 'tensors' expected a list of Tensors (F.${op}([a, b])), got a Tensor ${shapeText(tensors.shape)}`);
  if (!Array.isArray(tensors) || tensors.length === 0) throw new Error(`${op}: argument 'tensors' expected a non-empty list of Tensors, got ${Array.isArray(tensors) ? '[]' : show(tensors)}`);
  tensors.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new Error(`${op}: tensors[${i}] expected a Tensor, got ${show(t)}`);
    if (t.dtype !== tensors[0].dtype) throw new Error(`${op}: tensors[${i}] is ${t.dtype}, tensors[0] ${tensors[0].dtype}: give them one dtype (F.to)`);
    expectAlive(op, t);
    if (t.gpu !== tensors[0].gpu) throw new Error(`${op}: tensors[${i}] is on another device than tensors[0] (another requestGpu())`);
  });
  return tensors as Tensor[];
}

/**
 * The tensors joined along `dim` (torch.cat): the same shape but for that dimension. Each is written
 * into its slice of the output through the output's strides (strided.wgsl's scatter); its gradient
 * is its slice of the output's.
 */
export function cat(tensors: readonly Tensor[], dim = 0, ...unsupported: never[]): Tensor {
  const xs = expectTensorList('cat', tensors);
  if (unsupported.length) throw new Error(`cat: takes tensors and dim, got ${extraArguments(unsupported)} too (out= is not supported)`);
  const first = xs[0]!;
  const d = dimension('cat', 'dim', dim, first.shape);
  xs.forEach((x, i) => {
    if (x.shape.length !== first.shape.length) throw new Error(`cat: tensors must have the same number of dimensions: tensors[0] is ${shapeText(first.shape)}, tensors[${i}] ${shapeText(x.shape)}`);
    const other = x.shape.findIndex((size, k) => k !== d && size !== first.shape[k]);
    if (other >= 0) throw new Error(`cat: sizes of tensors must match except in dimension ${d}: expected size ${first.shape[other]} but got size ${x.shape[other]} for tensor number ${i} in the list (tensors[0] ${shapeText(first.shape)}, tensors[${i}] ${shapeText(x.shape)})`);
  });
  if (isInteger(first)) return throughHalves(first.dtype, xs, (fs) => cat(fs, d));
  const shape = first.shape.map((size, k) => (k === d ? xs.reduce((n, x) => n + x.shape[d]!, 0) : size));
  const y = output(first.gpu, shape, 'cat');
  const strides = contiguousStrides(shape);
  let start = 0;
  for (const x of xs) {
    scatter(x, 0, y, start * strides[d]!, { kept: x.shape.map((size, k) => ({ size, stride: strides[k]! })), reduced: [] });
    start += x.shape[d]!;
  }
  if (needsGrad(xs)) record({ name: `cat(dim=${d})`, inputs: xs, output: y, reads: [], backward: gradients.cat(xs, y, d) });
  return y;
}

/** The tensors, all of one shape, stacked along a new dimension `dim` (torch.stack): F.cat of each viewed with a 1 there. */
export function stack(tensors: readonly Tensor[], dim = 0, ...unsupported: never[]): Tensor {
  const xs = expectTensorList('stack', tensors);
  if (unsupported.length) throw new Error(`stack: takes tensors and dim, got ${extraArguments(unsupported)} too (out= is not supported)`);
  const first = xs[0]!;
  xs.forEach((x, i) => {
    if (x.shape.join() !== first.shape.join()) throw new Error(`stack: expects each tensor to be equal size, but got ${shapeText(first.shape)} at entry 0 and ${shapeText(x.shape)} at entry ${i}`);
  });
  const d = dimension('stack', 'dim', dim, [...first.shape, 1]);
  return cat(xs.map((x) => reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)])), d);
}

/** x with a dimension of size 1 inserted at `dim` (torch.unsqueeze): a view, as F.reshape. */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  expectInput('unsqueeze', x, ['f32', 'i32', 'u32']);
  const d = dimension('unsqueeze', 'dim', dim, [...x.shape, 1]);
  return reshape(x, [...x.shape.slice(0, d), 1, ...x.shape.slice(d)]);
}

/** x without its dimensions of size 1 (torch.squeeze), or without `dim` if that is 1: a view, as F.reshape ([1] when none is left). */
export function squeeze(x: Tensor, dim?: number): Tensor {
  expectInput('squeeze', x, ['f32', 'i32', 'u32']);
  const d = dim === undefined ? null : dimension('squeeze', 'dim', dim, x.shape);
  const shape = x.shape.filter((size, k) => size !== 1 || (d !== null && k !== d));
  return reshape(x, shape.length ? shape : [1]);
}

/**
 * x spread to `shape` (torch.expand): a dimension of size 1 repeated, new dimensions in front, −1
 * keeping a dimension's size. A new tensor (PyTorch's is a view); its gradient sums back.
 */
export function expand(x: Tensor, shape: readonly number[], ...unsupported: never[]): Tensor {
  expectInput('expand', x, ['f32', 'i32', 'u32']);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d))) throw new Error(`expand: argument 'size' expected a list of sizes (F.expand(x, [4, ${x.shape.join(', ')}])), got ${show(shape)}${unsupported.length ? ` and ${extraArguments(unsupported)}` : ''}`);
  if (unsupported.length) throw new Error(`expand: takes input and size, got ${extraArguments(unsupported)} too`);
  const lead = shape.length - x.shape.length;
  if (lead < 0) throw new Error(`expand: ${shapeText(shape)} has ${shape.length} sizes, fewer than the ${x.shape.length} dimensions of ${shapeText(x.shape)}`);
  const target = shape.map((d, i) => {
    const own = i >= lead ? x.shape[i - lead]! : null;
    if (d === -1 && own === null) throw new Error(`expand: −1 at dim ${i} of ${shapeText(shape)}: a new leading dimension needs its size`);
    if (d === -1) return own!;
    if (d < 1) throw new Error(`expand: size ${d} at dim ${i} of ${shapeText(shape)}: sizes must be positive (−1 keeps a dimension)`);
    if (own !== null && own !== 1 && own !== d) throw new Error(`expand: the expanded size ${d} must match the existing size ${own} at non-singleton dimension ${i} (target sizes ${shapeText(shape)}, tensor sizes ${shapeText(x.shape)})`);
    return d;
  });
  if (isInteger(x)) return markViewCopy(`F.expand's result for '${x.label}'`, throughHalves(x.dtype, [x], ([f]) => expand(f!, target)));
  const layout = expandedLayout(x.shape, target);
  expectLayout('expand', layout);
  const y = markViewCopy(`F.expand's result for '${x.label}'`, output(x.gpu, target, 'expand'));
  gatherSum(x, y, layout);
  if (needsGrad([x])) record({ name: 'expand', inputs: [x], output: y, reads: [], backward: gradients.expand(x, y) });
  return y;
}

// ── slicing: narrow, slice, split, chunk, unbind ─────────────────────────────────────────────────────

/** An integer argument, or an Error naming it. */
function expectInteger(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new Error(`${op}: argument '${name}' expected an integer, got ${show(v)}`);
  return v;
}

/**
 * The block of x from `starts`, `sizes` entries every `steps` in each dimension, copied into a new
 * tensor (PyTorch's slices are views: this is their .contiguous()); the gradient goes back to those
 * places, 0 elsewhere (strided.wgsl's gather_sum, then its scatter).
 */
function block(name: string, x: Tensor, starts: readonly number[], sizes: readonly number[], steps: readonly number[]): Tensor {
  const strides = contiguousStrides(x.shape);
  const layout: Layout = { kept: sizes.map((size, k) => ({ size, stride: strides[k]! * steps[k]! })), reduced: [] };
  const offset = starts.reduce((sum, start, k) => sum + start * strides[k]!, 0);
  const y = output(x.gpu, sizes, name);
  gatherSumAt(x, offset, y, 0, y.size, layout);
  if (needsGrad([x])) record({ name, inputs: [x], output: y, reads: [], backward: gradients.slice(x, y, layout, offset) });
  return y;
}

/** x's entries start, start + step, … (length of them) along dimension d, as block(). */
function sliced(name: string, x: Tensor, d: number, start: number, length: number, step: number): Tensor {
  const starts = x.shape.map((_, k) => (k === d ? start : 0));
  const sizes = x.shape.map((size, k) => (k === d ? length : size));
  const steps = x.shape.map((_, k) => (k === d ? step : 1));
  return markViewCopy(`F.${name.split('(')[0]}'s result for '${x.label}'`, block(name, x, starts, sizes, steps));
}

// Copies where PyTorch's are views: marked here (markViewCopy, tensor.ts), refused by the in-place methods.
export { markViewCopy, viewCopyOf } from './tensor';

/** An empty result is an Error here: wgslgrad has no tensors with a dimension of 0. */
function expectNonEmpty(op: string, length: number, what: string): void {
  if (length < 1) throw new Error(`${op}: ${what} would give an empty tensor (a dimension of 0), which wgslgrad does not have`);
}

/**
 * x's entries start … start + length − 1 along `dim` (torch.narrow); a negative start counts from the
 * end. A new tensor, as sliced() says.
 */
export function narrow(x: Tensor, dim: number, start: number, length: number, ...unsupported: never[]): Tensor {
  expectInput('narrow', x, ['f32', 'i32', 'u32']);
  if (unsupported.length) throw new Error(`narrow: takes input, dim, start and length, got ${extraArguments(unsupported)} too`);
  const d = dimension('narrow', 'dim', dim, x.shape);
  const size = x.shape[d]!;
  expectInteger('narrow', 'start', start);
  expectInteger('narrow', 'length', length);
  if (start < -size || start > size) throw new Error(`narrow: start out of range (expected to be in range of [${-size}, ${size}], but got ${start})`);
  const first = start < 0 ? start + size : start;
  if (length < 0) throw new Error(`narrow: length must be non-negative, got ${length}`);
  if (first + length > size) throw new Error(`narrow: start (${first}) + length (${length}) exceeds dimension size (${size}) of ${shapeText(x.shape)} at dim ${d}`);
  expectNonEmpty('narrow', length, `length 0`);
  if (isInteger(x)) return markViewCopy(`F.narrow's result for '${x.label}'`, throughHalves(x.dtype, [x], ([f]) => narrow(f!, d, first, length)));
  return sliced(`narrow(dim=${d}, start=${first}, length=${length})`, x, d, first, length, 1);
}

/**
 * x[..., start:end:step] along `dim`, Python's slice (PyTorch's indexing with a slice): start and end
 * default to the whole dimension, count from the end when negative and are clamped to it; step ≥ 1.
 * A new tensor, as sliced() says.
 */
export function slice(x: Tensor, dim: number, start: number | null = null, end: number | null = null, step = 1, ...unsupported: never[]): Tensor {
  expectInput('slice', x, ['f32', 'i32', 'u32']);
  if (unsupported.length) throw new Error(`slice: takes input, dim, start, end and step, got ${extraArguments(unsupported)} too`);
  const d = dimension('slice', 'dim', dim, x.shape);
  const size = x.shape[d]!;
  const bound = (name: string, v: number | null, fallback: number) => {
    if (v === null || v === undefined) return fallback;
    expectInteger('slice', name, v);
    return Math.min(Math.max(v < 0 ? v + size : v, 0), size);
  };
  const [first, last] = [bound('start', start, 0), bound('end', end, size)];
  expectInteger('slice', 'step', step);
  if (step < 1) throw new Error(`slice: step must be greater than zero, got ${step}`);
  const length = Math.max(0, Math.ceil((last - first) / step));
  expectNonEmpty('slice', length, `${start ?? ''}:${end ?? ''}${step === 1 ? '' : `:${step}`} of size ${size} (dim ${d} of ${shapeText(x.shape)})`);
  if (isInteger(x)) return markViewCopy(`F.slice's result for '${x.label}'`, throughHalves(x.dtype, [x], ([f]) => slice(f!, d, first, last, step)));
  return sliced(`slice(dim=${d}, ${first}:${last}:${step})`, x, d, first, length, step);
}

/**
 * x cut along `dim` (torch.split): into pieces of `splitSize` (the last smaller when it does not
 * divide), or of the sizes listed, which must add up to the dimension. New tensors, as sliced() says.
 */
export function split(x: Tensor, splitSizeOrSections: number | readonly number[], dim = 0, ...unsupported: never[]): Tensor[] {
  expectInput('split', x, ['f32', 'i32', 'u32']);
  if (unsupported.length) throw new Error(`split: takes tensor, split_size_or_sections and dim, got ${extraArguments(unsupported)} too`);
  const d = dimension('split', 'dim', dim, x.shape);
  const size = x.shape[d]!;
  let sizes: number[];
  if (Array.isArray(splitSizeOrSections)) {
    sizes = splitSizeOrSections.map((v, i) => expectInteger('split', `split_size_or_sections[${i}]`, v));
    const total = sizes.reduce((a, b) => a + b, 0);
    if (sizes.some((v) => v < 0) || total !== size) throw new Error(`split: split_with_sizes expects split_sizes to sum exactly to ${size} (input tensor's size at dimension ${d}), but got split_sizes=${show(sizes)}`);
    expectNonEmpty('split', Math.min(...sizes), `a section of 0`);
  } else {
    const each = expectInteger('split', 'split_size_or_sections', splitSizeOrSections);
    if (each < 1) throw new Error(`split: split_size expected a positive integer, got ${each}`);
    sizes = Array.from({ length: Math.ceil(size / each) }, (_, i) => Math.min(each, size - i * each));
  }
  let start = 0;
  return sizes.map((length) => {
    // Integer pieces through narrow's exact halves; each marked as split's either way.
    const piece = isInteger(x) ? markViewCopy(`F.split's result for '${x.label}'`, narrow(x, d, start, length)) : sliced(`split(dim=${d}, ${start}:${start + length})`, x, d, start, length, 1);
    start += length;
    return piece;
  });
}

/** x cut into `chunks` pieces along `dim` (torch.chunk): each ceil(size / chunks), the last smaller, and fewer pieces when that leaves none for the rest. */
export function chunk(x: Tensor, chunks: number, dim = 0, ...unsupported: never[]): Tensor[] {
  expectInput('chunk', x, ['f32', 'i32', 'u32']);
  if (unsupported.length) throw new Error(`chunk: takes input, chunks and dim, got ${extraArguments(unsupported)} too`);
  const d = dimension('chunk', 'dim', dim, x.shape);
  if (expectInteger('chunk', 'chunks', chunks) < 1) throw new Error(`chunk: chunk expects \`chunks\` to be greater than 0, got: ${chunks}`);
  return markViewCopy(`F.chunk's result for '${x.label}'`, split(x, Math.ceil(x.shape[d]! / chunks), d));
}

export type InterpolateMode = 'nearest' | 'nearest-exact' | 'linear' | 'bilinear' | 'area';

export interface InterpolateOptions {
  /** The output's spatial size: one for every axis, or a number for all of them. */
  size?: number | readonly number[] | null;
  /** Or the factor each spatial size is multiplied by (floored). */
  scaleFactor?: number | readonly number[] | null;
  scale_factor?: number | readonly number[] | null;
  mode?: InterpolateMode;
  /** linear and bilinear: corners' centres aligned (the input's first and last samples map to the output's). */
  alignCorners?: boolean | null;
  align_corners?: boolean | null;
  /** With scaleFactor: sample as if the floored size had been asked for (PyTorch's recompute_scale_factor). */
  recomputeScaleFactor?: boolean | null;
  recompute_scale_factor?: boolean | null;
}

/**
 * x resized over its spatial axes, [N, C, L] or [N, C, H, W] (torch.nn.functional.interpolate):
 * 'nearest' takes sample ⌊o · scale⌋ ('nearest-exact' ⌊(o + ½) · scale⌋), 'linear' and 'bilinear'
 * mix the two samples around (o + ½) · scale − ½ (o · (in − 1)/(out − 1) with align_corners), scale
 * in/out, or 1/scale_factor as PyTorch takes it. Separable, so each axis is one F.indexSelect
 * (nearest) or two and a weighted sum (linear): gradients flow back through those ops. 'area' is
 * adaptive average pooling to the output size (pool.wgsl), as PyTorch's.
 */
export function interpolate(x: Tensor, options: InterpolateOptions = {}): Tensor {
  const op = 'interpolate';
  expectInput(op, x);
  const o = normalizeOptions(op, options, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor'], { scale_factor: 'scaleFactor', align_corners: 'alignCorners', recompute_scale_factor: 'recomputeScaleFactor' }, { antialias: false }) as InterpolateOptions;
  const mode = o.mode ?? 'nearest';
  if (!['nearest', 'nearest-exact', 'linear', 'bilinear', 'area'].includes(mode)) throw new Error(`${op}: mode ${show(mode)} is not supported (nearest, nearest-exact, linear for 3-D input, bilinear for 4-D, area; not bicubic or trilinear)`);
  const axes = x.shape.length - 2;
  if (axes !== 1 && axes !== 2) throw new Error(`${op}: input expected [N, C, L] or [N, C, H, W], got ${shapeText(x.shape)}`);
  if (mode === 'linear' && axes !== 1) throw new Error(`${op}: Got ${x.shape.length}D input, but linear mode needs 3D input`);
  if (mode === 'bilinear' && axes !== 2) throw new Error(`${op}: Got ${x.shape.length}D input, but bilinear mode needs 4D input`);
  const interpolating = mode === 'linear' || mode === 'bilinear';
  if (!interpolating && o.alignCorners != null) throw new Error(`${op}: align_corners option can only be set with the interpolating modes: linear | bilinear | bicubic | trilinear`);
  expectFlag(op, 'alignCorners', o.alignCorners ?? undefined);
  expectFlag(op, 'recomputeScaleFactor', o.recomputeScaleFactor ?? undefined);
  const size = o.size ?? null;
  const factor = o.scaleFactor ?? null;
  if ((size === null) === (factor === null)) throw new Error(`${op}: ${size === null ? 'either size or scale_factor should be defined' : 'only one of size or scale_factor should be defined'}`);
  const inSizes = x.shape.slice(2);
  const outSizes = interpolatedShape(x.shape, o).slice(2);
  // 'area' is adaptive average pooling to the output size, as in PyTorch.
  if (mode === 'area') return axes === 1 ? adaptiveAvgPool1d(x, outSizes[0]!) : adaptiveAvgPool2d(x, [outSizes[0]!, outSizes[1]!]);
  // The source position of output sample o along axis k, as PyTorch computes its scale.
  const factors = factor !== null && !o.recomputeScaleFactor ? perAxis(op, factor, 'scale_factor', x.shape) : null;
  const scales = outSizes.map((out, k) => (factors ? 1 / factors[k]! : inSizes[k]! / out));
  const bytes = (x.size / inSizes.reduce((a, b) => a * b, 1)) * outSizes.reduce((a, b) => a * b, 1) * 4;
  if (bytes > x.gpu.limits.maxBufferSize) throw new Error(`${op}: an output of ${shapeText([...x.shape.slice(0, 2), ...outSizes])} (${(bytes / 2 ** 20).toFixed(0)} MiB) exceeds the device's largest buffer (${(x.gpu.limits.maxBufferSize / 2 ** 20).toFixed(0)} MiB)`);
  return composite(() => {
    let y = x;
    for (let k = 0; k < axes; k++) {
      const [d, n, out, scale] = [2 + k, inSizes[k]!, outSizes[k]!, scales[k]!];
      const picks = (positions: number[]) => {
        const index = output(x.gpu, [out], `interpolate positions`, 'i32');
        index.write(positions);
        return indexSelect(y, d, index);
      };
      if (!interpolating) {
        // In float32, as PyTorch computes it: 13 · (30/26) is 14.999… in float64 but 15 in float32.
        const step = Math.fround(scale);
        y = picks(Array.from({ length: out }, (_, i) => Math.min(Math.floor(Math.fround((mode === 'nearest-exact' ? i + 0.5 : i) * step)), n - 1)));
        continue;
      }
      const source = Array.from({ length: out }, (_, i) => (o.alignCorners ? (out > 1 ? ((n - 1) / (out - 1)) * i : 0) : Math.max((i + 0.5) * scale - 0.5, 0)));
      const low = source.map((v) => Math.min(Math.floor(v), n - 1));
      const high = low.map((i) => Math.min(i + 1, n - 1));
      const weightShape = x.shape.map((_, j) => (j === d ? out : 1));
      const weights = (values: number[]) => {
        const w = output(x.gpu, weightShape, 'interpolate weights');
        w.write(values);
        return w;
      };
      const far = source.map((v, i) => v - low[i]!);
      y = add(mul(picks(low), weights(far.map((l) => 1 - l))), mul(picks(high), weights(far)));
    }
    return y;
  });
}

/** size or scale_factor, one per spatial axis of `shape` ([N, C, *]), or an Error naming it. */
function perAxis(op: string, v: number | readonly number[], name: string, shape: readonly number[]): number[] {
  const axes = shape.length - 2;
  const list = typeof v === 'number' ? Array<number>(axes).fill(v) : Array.isArray(v) ? [...v] : [];
  if (list.length !== axes || !list.every((u) => typeof u === 'number' && u > 0 && Number.isFinite(u))) throw new Error(`${op}: ${name} expected a number > 0 or ${axes} of them for input ${shapeText(shape)}, got ${show(v)}`);
  return list;
}

/** F.interpolate's output shape for an input shape [N, C, *] (size, or each size times scale_factor, floored). */
export function interpolatedShape(shape: readonly number[], options: InterpolateOptions): number[] {
  const op = 'interpolate';
  const o = normalizeOptions(op, options, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor'], { scale_factor: 'scaleFactor', align_corners: 'alignCorners', recompute_scale_factor: 'recomputeScaleFactor' }, { antialias: false }) as InterpolateOptions;
  const inSizes = shape.slice(2);
  const outSizes = o.size != null ? perAxis(op, o.size, 'size', shape) : perAxis(op, o.scaleFactor!, 'scale_factor', shape).map((f, k) => Math.floor(inSizes[k]! * f));
  if (o.size != null && !outSizes.every(Number.isInteger)) throw new Error(`${op}: size expected integers, got ${show(o.size)}`);
  if (outSizes.some((v) => v < 1)) throw new Error(`${op}: Input and output sizes should be greater than 0, but got input ${shapeText(inSizes)} and output ${shapeText(outSizes)}`);
  return [...shape.slice(0, 2), ...outSizes];
}

// ── sampling at given positions: affine_grid, grid_sample ──────────────────────────────────────────

/**
 * The sampling grid of a batch of affine maps (torch.nn.functional.affine_grid, the spatial
 * transformer's): for `size` [N, C, H, W] and theta [N, 2, 3] (or [N, C, D, H, W] and [N, 3, 4]),
 * [N, H, W, 2] positions theta · (x, y, 1) over x, y from −1 to 1 (align_corners: the corners'
 * centres; otherwise their outer edges, each axis scaled by (n − 1)/n, as PyTorch computes it). One
 * product of the shared base grid with each thetaᵀ (F.matmul), so theta's gradient is the product's.
 */
export function affineGrid(theta: Tensor, size: readonly number[], alignCorners: boolean | null | { alignCorners?: boolean | null; align_corners?: boolean | null } = null, ...unsupported: never[]): Tensor {
  const op = 'affineGrid';
  if (!(theta instanceof Tensor)) throw new Error(`${op}: argument 'theta' expected a Tensor, got ${show(theta)}`);
  if (theta.dtype !== 'f32') throw new Error(`${op}: Expected theta to have floating point type, but got ${theta.dtype}`);
  expectAlive(op, theta);
  if (unsupported.length) throw new Error(`${op}: takes theta, size and align_corners, got ${extraArguments(unsupported)} too`);
  if (!Array.isArray(size)) throw new Error(`${op}: argument 'size' expected the output's shape, [N, C, H, W] or [N, C, D, H, W] (x.shape: x.size is the element count here), got ${show(size)}`);
  const align = alignCornersOption(op, alignCorners);
  const d = size.length - 2;
  if (d !== 2 && d !== 3) throw new Error(`${op}: affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively. Got size ${shapeText(size)}.`);
  if (theta.shape.length !== 3 || theta.shape[1] !== d || theta.shape[2] !== d + 1) throw new Error(`${op}: Expected a batch of ${d}D affine matrices of shape Nx${d}x${d + 1} for size ${shapeText(size)}. Got ${shapeText(theta.shape)}.`);
  if (!size.every((v) => Number.isInteger(v) && v > 0)) throw new Error(`${op}: Expected non-zero, positive output size. Got ${shapeText(size)}`);
  if (theta.shape[0] !== size[0]) throw new Error(`${op}: theta holds ${theta.shape[0]} matrices for a size of batch ${size[0]} (one per image)`);
  const spatial = size.slice(2);
  // Axis values along each spatial axis; x runs along the last one (W), as in PyTorch's grid.
  const axis = (steps: number) => (steps <= 1 ? Float32Array.of(0) : align ? linspaceValues(-1, 1, steps) : linspaceValues(-1, 1, steps).map((v) => Math.fround(Math.fround(v * (steps - 1)) / steps)));
  const values = spatial.map(axis);
  const P = spatial.reduce((a, b) => a * b, 1);
  const base = new Float32Array(P * (d + 1));
  for (let p = 0; p < P; p++) {
    let rest = p;
    for (let a = d - 1; a >= 0; a--) {
      base[p * (d + 1) + (d - 1 - a)] = values[a]![rest % spatial[a]!]!;
      rest = Math.floor(rest / spatial[a]!);
    }
    base[p * (d + 1) + d] = 1;
  }
  // The product written into the output of the grid's shape, which is returned (a view would leave the product's companions behind at destroy()).
  return composite(() => {
    const b = output(theta.gpu, [P, d + 1], 'affineGrid base grid');
    b.write(base);
    const grid = output(theta.gpu, [size[0]!, ...spatial, d], 'affineGrid');
    const flat = matmul(b, transpose(theta, 1, 2), { out: grid.reshapeView([size[0]!, P, d]) });
    return reshape(flat, grid.shape, { out: grid });
  });
}

export type GridSampleMode = 'bilinear' | 'nearest';
export type GridSamplePadding = 'zeros' | 'border' | 'reflection';

export interface GridSampleOptions {
  /** 'bilinear' (trilinear for 5-D input) or 'nearest' (round half to even, as PyTorch's). */
  mode?: GridSampleMode;
  /** What a position outside the input reads: 'zeros', the 'border' value, or the input mirrored ('reflection'). */
  paddingMode?: GridSamplePadding;
  padding_mode?: GridSamplePadding;
  /** −1 and 1 are the corner samples' centres (else their outer edges: PyTorch's default since 1.3). */
  alignCorners?: boolean | null;
  align_corners?: boolean | null;
}

/**
 * input [N, C, H, W] read at grid [N, H', W', 2]'s positions (torch.nn.functional.grid_sample), x
 * then y from −1 to 1 across the input, giving [N, C, H', W'] (5-D: grid [N, D', H', W', 3], x y z).
 * Composed of F ops, so both gradients are theirs: each position unnormalised, padded (border:
 * clipped, with no gradient on the border or past it, as PyTorch's; reflection: mirrored, then
 * clipped), then for each corner around it the input's channels-last rows picked by F.indexSelect
 * (its deterministic backward), masked where the corner is outside, weighted and summed in
 * PyTorch's order (nw, ne, sw, se). A position that is not finite reads 0 (as PyTorch's on CUDA).
 */
export function gridSample(input: Tensor, grid: Tensor, modeOrOptions?: GridSampleMode | GridSampleOptions, paddingMode?: GridSamplePadding, alignCorners?: boolean | null, ...unsupported: never[]): Tensor {
  const op = 'gridSample';
  expectInput(op, input);
  if (!(grid instanceof Tensor)) throw new Error(`${op}: argument 'grid' expected a Tensor, got ${show(grid)}`);
  if (grid.dtype !== 'f32') throw new Error(`${op}: argument 'grid' expected dtype f32, got ${grid.dtype}`);
  expectAlive(op, grid);
  if (unsupported.length) throw new Error(`${op}: takes input, grid, mode, padding_mode and align_corners, got ${extraArguments(unsupported)} too`);
  // In PyTorch's order (mode may be left undefined before a padding_mode), or one options object.
  const positional = typeof modeOrOptions === 'string' || (modeOrOptions === undefined && (paddingMode !== undefined || alignCorners !== undefined));
  if (!positional && (paddingMode !== undefined || alignCorners !== undefined)) throw new Error(`${op}: give mode, padding_mode and align_corners either in order or as one options object, not both`);
  const o = (positional ? { mode: modeOrOptions, paddingMode, alignCorners } : normalizeOptions(op, modeOrOptions ?? {}, ['mode', 'paddingMode', 'alignCorners'], { padding_mode: 'paddingMode', align_corners: 'alignCorners' })) as GridSampleOptions;
  const mode = o.mode ?? 'bilinear';
  const padding = o.paddingMode ?? 'zeros';
  if (!['bilinear', 'nearest', 'bicubic'].includes(mode)) throw new Error(`${op}: expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: ${show(mode)}`);
  if (mode === ('bicubic' as GridSampleMode)) throw new Error(`${op}: mode 'bicubic' is not supported (bilinear or nearest)`);
  if (!['zeros', 'border', 'reflection'].includes(padding)) throw new Error(`${op}: expected padding_mode to be 'zeros', 'border', or 'reflection', but got: ${show(padding)}`);
  const align = alignCornersOption(op, o.alignCorners ?? null);
  const rank = input.shape.length;
  if ((rank !== 4 && rank !== 5) || grid.shape.length !== rank) throw new Error(`${op}: expected 4D or 5D input and grid with same number of dimensions, but got input with sizes ${shapeText(input.shape)} and grid with sizes ${shapeText(grid.shape)}`);
  if (grid.shape[0] !== input.shape[0]) throw new Error(`${op}: expected grid and input to have same batch size, but got input with sizes ${shapeText(input.shape)} and grid with sizes ${shapeText(grid.shape)}`);
  const d = rank - 2;
  if (grid.shape[rank - 1] !== d) throw new Error(`${op}: expected grid to have size ${d} in last dimension, but got grid with sizes ${shapeText(grid.shape)}`);
  // Rows are indexed in float32, exact to 2^24: a larger batch is sampled in parts.
  const positions = input.shape.slice(2).reduce((a, b) => a * b, 1);
  if (positions > 2 ** 24) throw new Error(`${op}: an input of ${positions} positions per image (${shapeText(input.shape)}) is past the 2^24 this op indexes`);
  const perPart = Math.floor(2 ** 24 / positions);
  const N = input.shape[0]!;
  if (N <= perPart) return sampledAt(input, grid, mode, padding, align);
  return composite(() => {
    const [inputs, grids] = [split(input, perPart, 0), split(grid, perPart, 0)];
    return cat(inputs.map((x, i) => sampledAt(x, grids[i]!, mode, padding, align)), 0);
  });
}

/** align_corners as PyTorch takes it: null (the default, false), a boolean, or in an options object. */
function alignCornersOption(op: string, v: unknown): boolean {
  const value = v !== null && typeof v === 'object' && !Array.isArray(v) ? (normalizeOptions(op, v, ['alignCorners'], { align_corners: 'alignCorners' }) as { alignCorners?: unknown }).alignCorners : v;
  if (value === null || value === undefined) return false;
  expectFlag(op, 'alignCorners', value);
  return value as boolean;
}

function sampledAt(input: Tensor, grid: Tensor, mode: GridSampleMode, padding: GridSamplePadding, align: boolean): Tensor {
  const [N, C, ...sizes] = input.shape as [number, number, ...number[]];
  const d = sizes.length;
  const out = grid.shape.slice(1, -1);
  const rows = N * out.reduce((a, b) => a * b, 1);
  const positions = sizes.reduce((a, b) => a * b, 1);
  const strides = sizes.map((_, a) => sizes.slice(a + 1).reduce((p, s) => p * s, 1));
  const axes = [...sizes.keys()].map((a) => a + 2);
  return composite(() => {
    // The input channels last, a row per position, so each corner is one F.indexSelect of rows.
    const table = reshape(permute(input, [0, ...axes, 1]), [N * positions, C]);
    const g = reshape(grid, [rows, d]);
    // Spatial axis a (0 is D or H) is read by the grid's coordinate d − 1 − a (x is the last axis, W).
    const coordinates = sizes.map((size, a) => sourceIndex(narrow(g, 1, d - 1 - a, 1), size, padding, align));
    const firstRow = output(input.gpu, [rows, 1], 'gridSample image rows');
    firstRow.write(Float32Array.from({ length: rows }, (_, r) => Math.floor(r / (rows / N)) * positions));
    // A corner's rows (its integer coordinates per axis), masked to 0 where it lies outside: the
    // weight's factors masked before their product, so a position that is not finite (NaN weights)
    // sends no NaN back to the row it was redirected to, nor to its other coordinate.
    const corner = (at: Tensor[], factors: Tensor[]) => {
      const inside = at.map((c, a) => logicalAnd(ge(c, 0), le(c, sizes[a]! - 1))).reduce((p, q) => logicalAnd(p, q));
      const row = at.reduce((r, c, a) => add(r, mul(c, strides[a]!)), firstRow);
      const picked = indexSelect(table, 0, reshape(to(where(inside, row, 0), 'i32'), [rows]));
      const weight = factors.map((f) => where(inside, f, 0)).reduce((p, q) => mul(p, q));
      return where(inside, mul(picked, weight), 0);
    };
    let y: Tensor;
    if (mode === 'nearest') {
      // A weight of 1 that reads the grid (where picks the 1), so the grid's gradient is PyTorch's zeros, not none.
      const at = coordinates.map((c) => round(c));
      y = corner(at, [where(zerosLike(at[0]!), at[0]!, 1)]);
    } else {
      const low = coordinates.map((c) => floor(c));
      const toHigh = coordinates.map((c, a) => sub(c, low[a]!));
      const toLow = toHigh.map((t) => sub(1, t));
      const high = low.map((l) => add(l, 1));
      // Corners in PyTorch's order (nw, ne, sw, se: the last axis fastest), each weight the product of
      // the distances to the opposite sides, the first axis's first (south · east for nw).
      const terms = Array.from({ length: 2 ** d }, (_, k) => {
        const far = sizes.map((_, a) => (k >> (d - 1 - a)) & 1);
        return corner(far.map((f, a) => (f ? high[a]! : low[a]!)), far.map((f, a) => (f ? toHigh[a]! : toLow[a]!)));
      });
      y = terms.reduce((p, q) => add(p, q));
    }
    return permute(reshape(y, [N, ...out, C]), [0, d + 1, ...axes.map((a) => a - 1)]);
  });
}

/** A grid coordinate in [−1, 1] as a position along an axis of `size` samples, padded as PyTorch's grid_sampler_compute_source_index. */
function sourceIndex(c: Tensor, size: number, padding: GridSamplePadding, align: boolean): Tensor {
  const x = align ? mul(add(c, 1), Math.fround((size - 1) / 2)) : sub(mul(add(c, 1), Math.fround(size / 2)), 0.5);
  if (padding === 'zeros') return x;
  return clipped(padding === 'border' ? x : reflected(x, align ? 0 : -1, align ? 2 * (size - 1) : 2 * size - 1), size);
}

/** x clamped to [0, size − 1], its gradient 0 on the bounds and past them (PyTorch: "borders are considered out of bounds"). */
function clipped(x: Tensor, size: number): Tensor {
  const inside = logicalAnd(gt(x, 0), lt(x, size - 1));
  return where(inside, x, clamp(x.detach(), 0, size - 1));
}

/** x mirrored into [low/2, high/2] as PyTorch's reflect_coordinates (fmod as x − ⌊x/span⌋·span, exact there). */
function reflected(x: Tensor, twiceLow: number, twiceHigh: number): Tensor {
  // One sample: every position is 0 (where picks the 0, so x's gradient is PyTorch's zeros, not none).
  if (twiceLow === twiceHigh) return where(zerosLike(x), x, 0);
  const [min, span] = [twiceLow / 2, (twiceHigh - twiceLow) / 2];
  // |x − min|'s gradient is 0 at 0 where PyTorch's is 1; that point is on a border, whose gradient the clip zeroes.
  const distance = abs(sub(x, min));
  const flips = floor(div(distance, span));
  const extra = sub(distance, mul(flips, span));
  const even = eq(mul(floor(mul(flips, 0.5)), 2), flips);
  return add(where(even, extra, sub(span, extra)), min);
}

export type PadMode = 'constant' | 'reflect' | 'replicate' | 'circular';

/**
 * x padded (torch.nn.functional.pad(input, pad, mode='constant', value=0)): `pad` holds pairs from
 * the last dimension back ([left, right, top, bottom, …]). 'constant' puts `value` there (a
 * negative pad crops), 'reflect' mirrors x about its edge (the edge itself not repeated),
 * 'replicate' repeats the edge, 'circular' wraps around. Each padded dimension is one op: F.cat
 * with filled blocks for 'constant', F.indexSelect of the mirrored, repeated or wrapped positions
 * otherwise, so gradients flow back through the ops' own rules (a repeated position's add up).
 */
export function pad(x: Tensor, padding: readonly number[], mode: PadMode = 'constant', value: number | null = null, ...unsupported: never[]): Tensor {
  const op = 'pad';
  expectInput(op, x);
  if (unsupported.length) throw new Error(`pad: takes input, pad, mode and value, got ${extraArguments(unsupported)} too`);
  if (!Array.isArray(padding) || !padding.every((p) => Number.isInteger(p))) throw new Error(`pad: argument 'pad' expected a list of integers, pairs from the last dimension back ([left, right, top, bottom, …]), got ${show(padding)}`);
  if (padding.length % 2 !== 0) throw new Error(`pad: Padding length must be divisible by 2, got ${show(padding)}`);
  if (padding.length / 2 > x.shape.length) throw new Error(`pad: Padding length too large: ${padding.length / 2} pairs for the ${x.shape.length} dimensions of ${shapeText(x.shape)}`);
  if (!['constant', 'reflect', 'replicate', 'circular'].includes(mode)) throw new Error(`pad: argument 'mode' expected 'constant', 'reflect', 'replicate' or 'circular', got ${show(mode)}`);
  if (mode !== 'constant' && value !== null && value !== 0) throw new Error(`pad: Padding mode "${mode}" doesn't take in value argument (got ${show(value)})`);
  if (value !== null && typeof value !== 'number') throw new Error(`pad: argument 'value' expected a number, got ${show(value)}`);
  const pairs = Array.from({ length: padding.length / 2 }, (_, k) => ({ d: x.shape.length - 1 - k, before: padding[2 * k]!, after: padding[2 * k + 1]! }));
  for (const { d, before, after } of pairs) {
    const size = x.shape[d]!;
    if (mode === 'constant' && size + before + after <= 0) throw new Error(`pad: The input size ${size}, plus negative padding ${before} and ${after} resulted in a negative output size, which is invalid. Check dimension ${d} of your input ${shapeText(x.shape)}`);
    if (mode !== 'constant' && (before < 0 || after < 0)) throw new Error(`pad: mode '${mode}' takes pads ≥ 0, got (${before}, ${after}) at dimension ${d}`);
    if (mode === 'reflect' && (before >= size || after >= size)) throw new Error(`pad: Padding size should be less than the corresponding input dimension, but got: padding (${before}, ${after}) at dimension ${d} of input ${shapeText(x.shape)}`);
    if (mode === 'circular' && (before > size || after > size)) throw new Error(`pad: Padding value causes wrapping around more than once: (${before}, ${after}) at dimension ${d} of input ${shapeText(x.shape)}`);
  }
  return composite(() => {
    let y = x;
    for (const { d, before, after } of pairs) {
      if (before !== 0 || after !== 0) y = padDimension(y, d, before, after, mode, value ?? 0);
    }
    // No padding at all: a copy, as PyTorch's; a new tensor there too (not a view), even when only cropped.
    return unmarkViewCopy(y === x ? narrow(x, 0, 0, x.shape[0]!) : y);
  });
}

/** x padded along dimension d by `before` and `after` (pad()'s checks made). */
function padDimension(x: Tensor, d: number, before: number, after: number, mode: PadMode, value: number): Tensor {
  const size = x.shape[d]!;
  if (mode === 'constant') {
    const cropped = before < 0 || after < 0 ? narrow(x, d, Math.max(0, -before), size - Math.max(0, -before) - Math.max(0, -after)) : x;
    const block = (length: number) => {
      const shape = [...x.shape];
      shape[d] = length;
      const t = output(x.gpu, shape, `pad value ${value}`);
      if (Number.isFinite(value)) fillConstant(t, value);
      else t.write(new Float32Array(t.size).fill(value)); // NaN and ±∞, which the fill kernel refuses
      return t;
    };
    const parts = [...(before > 0 ? [block(before)] : []), cropped, ...(after > 0 ? [block(after)] : [])];
    return parts.length === 1 ? cropped : cat(parts, d);
  }
  const inside = Array.from({ length: size }, (_, i) => i);
  const positions =
    mode === 'reflect'
      ? [...Array.from({ length: before }, (_, i) => before - i), ...inside, ...Array.from({ length: after }, (_, i) => size - 2 - i)]
      : mode === 'replicate'
        ? [...Array<number>(before).fill(0), ...inside, ...Array<number>(after).fill(size - 1)]
        : [...Array.from({ length: before }, (_, i) => size - before + i), ...inside, ...Array.from({ length: after }, (_, i) => i)];
  const index = output(x.gpu, [positions.length], `pad ${mode} positions`, 'i32');
  index.write(positions);
  return indexSelect(x, d, index);
}

/**
 * x's slice at `index` along `dim`, that dimension removed (torch.select; Python's out[:, -1]): a
 * negative index counts from the end. A 1-D x gives [1] (wgslgrad has no 0-d tensors). A new
 * tensor, as sliced() says.
 */
export function select(x: Tensor, dim: number, index: number, ...unsupported: never[]): Tensor {
  expectInput('select', x, ['f32', 'i32', 'u32']);
  if (unsupported.length) throw new Error(`select: takes input, dim and index, got ${extraArguments(unsupported)} too`);
  const d = dimension('select', 'dim', dim, x.shape);
  const size = x.shape[d]!;
  expectInteger('select', 'index', index);
  if (index < -size || index >= size) throw new Error(`select: index ${index} out of range for tensor of size ${shapeText(x.shape)} at dimension ${d}`);
  const i = index < 0 ? index + size : index;
  if (isInteger(x)) return markViewCopy(`F.select's result for '${x.label}'`, throughHalves(x.dtype, [x], ([f]) => select(f!, d, i)));
  const shape = x.shape.length === 1 ? [1] : x.shape.filter((_, k) => k !== d);
  return reshape(sliced(`select(dim=${d}, index=${i})`, x, d, i, 1, 1), shape);
}

/** x's slices along `dim`, that dimension removed (torch.unbind); a 1-D x gives tensors of shape [1] (wgslgrad has no 0-d tensors). */
export function unbind(x: Tensor, dim = 0, ...unsupported: never[]): Tensor[] {
  expectInput('unbind', x, ['f32', 'i32', 'u32']);
  if (unsupported.length) throw new Error(`unbind: takes input and dim, got ${extraArguments(unsupported)} too`);
  const d = dimension('unbind', 'dim', dim, x.shape);
  if (isInteger(x)) return Array.from({ length: x.shape[d]! }, (_, i) => markViewCopy(`F.unbind's result for '${x.label}'`, select(x, d, i)));
  const shape = x.shape.length === 1 ? [1] : x.shape.filter((_, k) => k !== d);
  return Array.from({ length: x.shape[d]! }, (_, i) => reshape(sliced(`unbind(dim=${d})[${i}]`, x, d, i, 1, 1), shape));
}

// ── convolution and pooling: F.conv2d, F.conv_transpose2d, F.max_pool2d, F.avg_pool2d ─────────────

type Pair = number | readonly [number, number];

/**
 * The module's kernels as functions, each allocating its output; one image [C, H, W] (one volume
 * [C, D, H, W] for a 3-D op's `rank` 5) runs as a batch of one (views).
 */
function onImages(x: Tensor, run: (batched: Tensor) => Tensor, rank = 4): Tensor {
  if (x instanceof Tensor && x.shape.length === rank - 1) {
    const y = run(reshape(x, [1, ...x.shape]));
    return resultView(y, y.shape.slice(1));
  }
  return run(x);
}

/**
 * y, an op's fresh output, under another shape as the op's result: y's companions (max pooling's
 * indices) move to the view, whose destroy() then frees them with the memory (left on y, out of the
 * caller's reach, they stayed: a buffer per call).
 */
function resultView(y: Tensor, shape: readonly number[]): Tensor {
  const view = reshape(y, shape);
  if (view !== y) giveToView(y, view);
  return view;
}

export interface Conv2dArguments {
  stride?: Pair;
  /** Sizes, or PyTorch's 'same' (stride 1) and 'valid'. */
  padding?: Pair | 'same' | 'valid';
  dilation?: Pair;
  groups?: number;
}

/**
 * torch.nn.functional.conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
 * input [N, C_in, H, W] or [C_in, H, W], weight [C_out, C_in/groups, KH, KW] (conv2d.wgsl); a weight
 * or bias that requires no gradient gets none (a fixed filter).
 */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv2dArguments = {}): Tensor {
  const op = 'conv2d';
  expectInput(op, x);
  expectOperand(op, 'weight', weight, false);
  if (bias !== null) expectOperand(op, 'bias', bias, false);
  const o = normalizeOptions(op, options, ['stride', 'padding', 'dilation', 'groups']) as Conv2dArguments;
  const stride = expectPair(op, 'stride', o.stride ?? 1, 1) as [number, number];
  const dilation = expectPair(op, 'dilation', o.dilation ?? 1, 1) as [number, number];
  if (weight.shape.length !== 4) throw new Error(`${op}: weight expected 4 dimensions [C_out, C_in/groups, KH, KW], got ${shapeText(weight.shape)}`);
  const kernel = weight.shape.slice(2) as [number, number];
  const padding = o.padding === 'same' ? convOps.samePadding(op, kernel, stride, dilation) : o.padding === 'valid' ? ([0, 0] as const) : expectPair(op, 'padding', o.padding ?? 0, 0);
  const args: convOps.Conv2dOptions = { stride, padding, dilation, groups: o.groups ?? 1 };
  return onImages(x, (x4) => {
    const g = convOps.conv2dGeometry(x4.shape, weight.shape, args, op);
    const y = output(x.gpu, [g.N, g.C_out, g.OH, g.OW], op);
    convOps.conv2d(x4, weight, bias, y, args, op);
    const inputs = [x4, weight, ...(bias ? [bias] : [])];
    if (needsGrad(inputs)) record({ name: op, inputs, output: y, backward: gradients.conv2d(x4, weight, bias, args, op) });
    return y;
  });
}

/**
 * torch.nn.functional.conv_transpose2d(input, weight, bias=None, stride=1, padding=0,
 * output_padding=0, groups=1, dilation=1): weight [C_in, C_out/groups, KH, KW] (nn.ConvTranspose2d's kernels).
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: { stride?: Pair; padding?: Pair; outputPadding?: Pair; output_padding?: Pair; groups?: number; dilation?: Pair } = {}): Tensor {
  const op = 'convTranspose2d';
  expectInput(op, x);
  expectOperand(op, 'weight', weight, false);
  if (bias !== null) expectOperand(op, 'bias', bias, false);
  const o = normalizeOptions(op, options, ['stride', 'padding', 'outputPadding', 'groups', 'dilation'], { output_padding: 'outputPadding' }) as { stride?: Pair; padding?: Pair; outputPadding?: Pair; groups?: number; dilation?: Pair };
  const [stride, padding, outputPadding, dilation] = [expectPair(op, 'stride', o.stride ?? 1, 1), expectPair(op, 'padding', o.padding ?? 0, 0), expectPair(op, 'output_padding', o.outputPadding ?? 0, 0), expectPair(op, 'dilation', o.dilation ?? 1, 1)];
  if (weight.shape.length !== 4) throw new Error(`${op}: weight expected 4 dimensions [C_in, C_out/groups, KH, KW], got ${shapeText(weight.shape)}`);
  const groups = o.groups ?? 1;
  if (outputPadding.some((p, i) => p >= stride[i]!)) throw new Error(`${op}: output padding must be smaller than stride, but got output_padding=(${outputPadding.join(', ')}) and stride=(${stride.join(', ')})`);
  const args: convOps.Conv2dOptions = { stride, padding, dilation, groups };
  return onImages(x, (x4) => {
    if (x4.shape.length !== 4 || x4.shape[1] !== weight.shape[0]) throw new Error(`${op}: input expected [N, ${weight.shape[0]}, H, W] (weight ${shapeText(weight.shape)}), got ${shapeText(x4.shape)}`);
    const extent = [0, 1].map((i) => (x4.shape[2 + i]! - 1) * stride[i]! - 2 * padding[i]! + dilation[i]! * (weight.shape[2 + i]! - 1) + outputPadding[i]! + 1);
    const y = output(x.gpu, [x4.shape[0]!, weight.shape[1]! * groups, ...extent], op);
    convOps.convTranspose2d(x4, weight, bias, y, args, op);
    const inputs = [x4, weight, ...(bias ? [bias] : [])];
    if (needsGrad(inputs)) record({ name: op, inputs, output: y, reads: [x4, weight], backward: gradients.convTranspose2d(x4, weight, bias, y, args, op) });
    return y;
  });
}

type MaxPool2dArguments = { stride?: Pair | null; padding?: Pair; dilation?: Pair; ceilMode?: false; ceil_mode?: false; returnIndices?: boolean; return_indices?: boolean };

/**
 * torch.nn.functional.max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1,
 * ceil_mode=False, return_indices=False); with return_indices, [output, indices] (u32, h · W + w
 * within each plane, as PyTorch's), else the indices are the output's companion, freed with it.
 */
export function maxPool2d(x: Tensor, kernelSize: Pair, options?: MaxPool2dArguments & { returnIndices?: false; return_indices?: false }): Tensor;
export function maxPool2d(x: Tensor, kernelSize: Pair, options: MaxPool2dArguments): Tensor | [Tensor, Tensor];
export function maxPool2d(x: Tensor, kernelSize: Pair, options: MaxPool2dArguments = {}): Tensor | [Tensor, Tensor] {
  const op = 'maxPool2d';
  expectInput(op, x);
  const o = normalizeOptions(op, options, ['stride', 'padding', 'dilation', 'returnIndices'], { ceil_mode: 'ceilMode', return_indices: 'returnIndices' }, { ceilMode: false }) as MaxPool2dArguments;
  expectFlag(op, 'returnIndices', o.returnIndices);
  const args: poolOps.Pool2dOptions = { kernelSize, stride: o.stride ?? kernelSize, padding: o.padding ?? 0, dilation: o.dilation ?? 1 };
  let indices: Tensor | null = null;
  const y = onImages(x, (x4) => {
    const g = poolOps.pool2dGeometry(x4.shape, args, op);
    const out = output(x.gpu, [g.N, g.C, g.OH, g.OW], op);
    indices = output(x.gpu, out.shape, `${op} indices`, 'u32');
    poolOps.maxPool2d(x4, out, indices, args, op);
    if (needsGrad([x4])) record({ name: op, inputs: [x4], output: out, saved: [indices], reads: [indices], backward: gradients.maxPool2d(x4, indices, args, op) });
    if (!o.returnIndices) out.companions.push(indices);
    return out;
  });
  if (!o.returnIndices) return y;
  const picked = indices! as Tensor;
  return [y, x.shape.length === 3 ? picked.reshapeView(picked.shape.slice(1)) : picked]; // indices take no gradient: a plain view
}

/**
 * torch.nn.functional.avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
 * count_include_pad=True) over [N, C, L] or [C, L] (the distillation tutorial's pooling of a flat
 * representation): F.avgPool2d over [N, C, 1, L], as nn.AvgPool1d.
 */
export function avgPool1d(x: Tensor, kernelSize: number | readonly [number], options: { stride?: number | readonly [number] | null; padding?: number | readonly [number]; ceilMode?: false; ceil_mode?: false; countIncludePad?: boolean; count_include_pad?: boolean } = {}): Tensor {
  const op = 'avgPool1d';
  expectInput(op, x);
  if (x.shape.length !== 2 && x.shape.length !== 3) throw new Error(`${op}: Expected 2D or 3D (batch mode) tensor for input, got ${shapeText(x.shape)}`);
  const o = normalizeOptions(op, options, ['stride', 'padding', 'countIncludePad'], { ceil_mode: 'ceilMode', count_include_pad: 'countIncludePad' }, { ceilMode: false }) as { stride?: number | readonly [number] | null; padding?: number | readonly [number]; countIncludePad?: boolean };
  const one = (name: string, v: unknown, least: number) => {
    const value = Array.isArray(v) && v.length === 1 ? v[0] : v;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < least) throw new Error(`${op}: argument '${name}' expected an integer ≥ ${least} (or a list of one), got ${show(v)}`);
    return value;
  };
  const k = one('kernelSize', kernelSize, 1);
  const [stride, padding] = [one('stride', o.stride ?? k, 1), one('padding', o.padding ?? 0, 0)];
  expectFlag(op, 'count_include_pad', o.countIncludePad);
  const L = x.shape.at(-1)!;
  // In 1-D terms (avgPool2d's own checks would speak of a 1×k kernel).
  if (padding > k / 2) throw new Error(`${op}: pad should be at most half of effective kernel size, but got pad=${padding}, kernel_size=${k} (PyTorch's words)`);
  if (k > L + 2 * padding) throw new Error(`${op}: kernel ${k} is longer than the padded input ${L + 2 * padding} (input ${shapeText(x.shape)}, padding ${padding})`);
  return onSequences(op, x, (x4) => avgPool2d(x4, [1, k], { stride: [1, stride], padding: [0, padding], countIncludePad: o.countIncludePad ?? true }));
}

/**
 * torch.nn.functional.avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
 * count_include_pad=True, divisor_override=None).
 */
export function avgPool2d(x: Tensor, kernelSize: Pair, options: { stride?: Pair | null; padding?: Pair; ceilMode?: false; ceil_mode?: false; countIncludePad?: boolean; count_include_pad?: boolean; divisorOverride?: null; divisor_override?: null } = {}): Tensor {
  const op = 'avgPool2d';
  expectInput(op, x);
  const o = normalizeOptions(op, options, ['stride', 'padding', 'countIncludePad'], { ceil_mode: 'ceilMode', count_include_pad: 'countIncludePad', divisor_override: 'divisorOverride' }, { ceilMode: false, divisorOverride: null }) as { stride?: Pair | null; padding?: Pair; countIncludePad?: boolean };
  expectFlag(op, 'countIncludePad', o.countIncludePad);
  const args: poolOps.Pool2dOptions = { kernelSize, stride: o.stride ?? kernelSize, padding: o.padding ?? 0, countIncludePad: o.countIncludePad ?? true };
  return onImages(x, (x4) => {
    const g = poolOps.pool2dGeometry(x4.shape, args, op);
    const y = output(x.gpu, [g.N, g.C, g.OH, g.OW], op);
    poolOps.avgPool2d(x4, y, args, op);
    if (needsGrad([x4])) record({ name: op, inputs: [x4], output: y, backward: gradients.avgPool2d(x4, args, op) });
    return y;
  });
}

// ── adaptive pooling ─────────────────────────────────────────────────────────────────────────────────

/** An adaptive pool's output_size: one number for both axes, or [h, w], null keeping that input size (PyTorch's None). */
export type AdaptiveSize2d = number | readonly [number | null, number | null];

/** [OH, OW] for an input [N, C, H, W] from output_size, or an Error naming it. */
export function adaptiveOutputSize(op: string, outputSize: unknown, input: readonly number[]): [number, number] {
  return adaptiveSizes(op, outputSize, input, 2) as [number, number];
}

/** The output's spatial sizes for `axes` spatial axes of input [N, C, …] from output_size (a number for all, or one per axis, null keeping that input size), or an Error naming it. */
export function adaptiveSizes(op: string, outputSize: unknown, input: readonly number[], axes: number): number[] {
  const given = typeof outputSize === 'number' ? new Array<number>(axes).fill(outputSize) : Array.isArray(outputSize) && outputSize.length === axes ? outputSize : null;
  const sizes = given?.map((v: unknown, k) => (v === null ? input[2 + k]! : v));
  if (!sizes || !sizes.every((v) => typeof v === 'number' && Number.isInteger(v) && v >= 1)) throw new Error(`${op}: output_size expected an integer ≥ 1 or ${axes === 2 ? 'two' : 'three'} of them (null keeps that input size), got ${show(outputSize)}`);
  return sizes as number[];
}

/** A 1-D adaptive pool's output size: a number or a list of one. */
function adaptiveLength(op: string, outputSize: unknown): number {
  const n = Array.isArray(outputSize) && outputSize.length === 1 ? outputSize[0] : outputSize;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new Error(`${op}: output_size expected an integer ≥ 1 (or a list of one), got ${show(outputSize)}`);
  return n;
}

/** [N, C, L] or one sequence [C, L] as [N, C, 1, L] through `run`, the result back to its rank. */
function onSequences(op: string, x: Tensor, run: (x4: Tensor) => Tensor): Tensor {
  if (x.shape.length !== 2 && x.shape.length !== 3) throw new Error(`${op}: input expected [N, C, L] or one sequence [C, L], got ${shapeText(x.shape)}`);
  const x4 = reshape(x, x.shape.length === 2 ? [1, x.shape[0]!, 1, x.shape[1]!] : [x.shape[0]!, x.shape[1]!, 1, x.shape[2]!]);
  const y4 = run(x4);
  return resultView(y4, x.shape.length === 2 ? [y4.shape[1]!, y4.shape[3]!] : [y4.shape[0]!, y4.shape[1]!, y4.shape[3]!]);
}

/**
 * torch.nn.functional.adaptive_avg_pool2d(input, output_size): output (oh, ow) is the mean of rows
 * ⌊oh·H/OH⌋ to ⌈(oh + 1)·H/OH⌉ and the same columns (pool.wgsl), over [N, C, H, W] or one image.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: AdaptiveSize2d, ...unsupported: never[]): Tensor {
  const op = 'adaptiveAvgPool2d';
  expectInput(op, x);
  expectNoArguments(op, unsupported, 'its arguments are input and output_size');
  return onImages(x, (x4) => adaptiveAvgPool2dOf(op, x4, adaptiveOutputSize(op, outputSize, x4.shape)));
}

function adaptiveAvgPool2dOf(op: string, x4: Tensor, [OH, OW]: [number, number]): Tensor {
  if (x4.shape.length !== 4) throw new Error(`${op}: input expected [N, C, H, W] or one image [C, H, W], got ${shapeText(x4.shape)}`);
  const y = output(x4.gpu, [x4.shape[0]!, x4.shape[1]!, OH, OW], op);
  poolOps.adaptiveAvgPool2d(x4, y, op);
  if (needsGrad([x4])) record({ name: op, inputs: [x4], output: y, backward: gradients.adaptiveAvgPool2d(x4, op) });
  return y;
}

export type AdaptiveMaxPoolArguments = { returnIndices?: boolean; return_indices?: boolean };

/**
 * torch.nn.functional.adaptive_max_pool2d(input, output_size, return_indices=False): the max of each
 * bin; with return_indices [y, indices], each maximum's h·W + w in its plane (u32, as max_pool2d's).
 * The gradient goes to each bin's maximum (the first, where values tie).
 */
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize2d, options?: AdaptiveMaxPoolArguments & { returnIndices?: false; return_indices?: false }): Tensor;
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize2d, options: { returnIndices: true } | { return_indices: true }): [Tensor, Tensor];
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize2d, options: AdaptiveMaxPoolArguments): Tensor | [Tensor, Tensor];
export function adaptiveMaxPool2d(x: Tensor, outputSize: AdaptiveSize2d, options: AdaptiveMaxPoolArguments = {}): Tensor | [Tensor, Tensor] {
  const op = 'adaptiveMaxPool2d';
  expectInput(op, x);
  const o = normalizeOptions(op, options, ['returnIndices'], { return_indices: 'returnIndices' }) as AdaptiveMaxPoolArguments;
  expectFlag(op, 'returnIndices', o.returnIndices);
  let indices: Tensor | null = null;
  const y = onImages(x, (x4) => {
    const out = adaptiveMaxPool2dOf(op, x4, adaptiveOutputSize(op, outputSize, x4.shape), !o.returnIndices);
    indices = out.indices;
    return out.y;
  });
  if (!o.returnIndices) return y;
  const picked = indices! as Tensor;
  return [y, x.shape.length === 3 ? picked.reshapeView(picked.shape.slice(1)) : picked]; // indices take no gradient: a plain view
}

function adaptiveMaxPool2dOf(op: string, x4: Tensor, [OH, OW]: [number, number], indicesWithOutput: boolean): { y: Tensor; indices: Tensor } {
  if (x4.shape.length !== 4) throw new Error(`${op}: input expected [N, C, H, W] or one image [C, H, W], got ${shapeText(x4.shape)}`);
  const y = output(x4.gpu, [x4.shape[0]!, x4.shape[1]!, OH, OW], op);
  const indices = output(x4.gpu, y.shape, `${op} indices`, 'u32');
  poolOps.adaptiveMaxPool2d(x4, y, indices, op);
  if (needsGrad([x4])) record({ name: op, inputs: [x4], output: y, saved: [indices], reads: [indices], backward: gradients.adaptiveMaxPool2d(x4, indices, op) });
  if (indicesWithOutput) y.companions.push(indices);
  return { y, indices };
}

/** torch.nn.functional.adaptive_avg_pool1d(input, output_size) over [N, C, L] or [C, L]: adaptive_avg_pool2d over [N, C, 1, L]. */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number | readonly [number], ...unsupported: never[]): Tensor {
  const op = 'adaptiveAvgPool1d';
  expectInput(op, x);
  expectNoArguments(op, unsupported, 'its arguments are input and output_size');
  const L = adaptiveLength(op, outputSize);
  return onSequences(op, x, (x4) => adaptiveAvgPool2dOf(op, x4, [1, L]));
}

/** torch.nn.functional.adaptive_max_pool1d(input, output_size, return_indices=False) over [N, C, L] or [C, L]; indices are positions along L. */
export function adaptiveMaxPool1d(x: Tensor, outputSize: number | readonly [number], options?: AdaptiveMaxPoolArguments & { returnIndices?: false; return_indices?: false }): Tensor;
export function adaptiveMaxPool1d(x: Tensor, outputSize: number | readonly [number], options: { returnIndices: true } | { return_indices: true }): [Tensor, Tensor];
export function adaptiveMaxPool1d(x: Tensor, outputSize: number | readonly [number], options: AdaptiveMaxPoolArguments): Tensor | [Tensor, Tensor];
export function adaptiveMaxPool1d(x: Tensor, outputSize: number | readonly [number], options: AdaptiveMaxPoolArguments = {}): Tensor | [Tensor, Tensor] {
  const op = 'adaptiveMaxPool1d';
  expectInput(op, x);
  const o = normalizeOptions(op, options, ['returnIndices'], { return_indices: 'returnIndices' }) as AdaptiveMaxPoolArguments;
  expectFlag(op, 'returnIndices', o.returnIndices);
  const L = adaptiveLength(op, outputSize);
  let indices: Tensor | null = null;
  const y = onSequences(op, x, (x4) => {
    const out = adaptiveMaxPool2dOf(op, x4, [1, L], !o.returnIndices);
    indices = out.indices;
    return out.y;
  });
  return o.returnIndices ? [y, (indices! as Tensor).reshapeView(y.shape)] : y;
}

// ── 3-D convolution and pooling: F.conv3d, F.max_pool3d, F.avg_pool3d, F.adaptive_*_pool3d ────────
// The 2-D ops' twins over [N, C, D, H, W] or one volume [C, D, H, W], on conv3d.wgsl and pool3d.wgsl.

type Triple = number | readonly [number, number, number];

export interface Conv3dArguments {
  stride?: Triple;
  /** Sizes, or PyTorch's 'same' (stride 1) and 'valid'. */
  padding?: Triple | 'same' | 'valid';
  dilation?: Triple;
  groups?: number;
}

/**
 * torch.nn.functional.conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
 * input [N, C_in, D, H, W] or [C_in, D, H, W], weight [C_out, C_in/groups, KD, KH, KW] (conv3d.wgsl);
 * a weight or bias that requires no gradient gets none.
 */
export function conv3d(x: Tensor, weight: Tensor, bias: Tensor | null = null, options: Conv3dArguments = {}): Tensor {
  const op = 'conv3d';
  expectInput(op, x);
  expectOperand(op, 'weight', weight, false);
  if (bias !== null) expectOperand(op, 'bias', bias, false);
  const o = normalizeOptions(op, options, ['stride', 'padding', 'dilation', 'groups']) as Conv3dArguments;
  const stride = expectTriple(op, 'stride', o.stride ?? 1, 1);
  const dilation = expectTriple(op, 'dilation', o.dilation ?? 1, 1);
  if (weight.shape.length !== 5) throw new Error(`${op}: weight expected 5 dimensions [C_out, C_in/groups, KD, KH, KW], got ${shapeText(weight.shape)}`);
  const kernel = weight.shape.slice(2) as [number, number, number];
  const padding = o.padding === 'same' ? conv3dOps.samePadding3d(op, kernel, stride, dilation) : o.padding === 'valid' ? ([0, 0, 0] as const) : expectTriple(op, 'padding', o.padding ?? 0, 0);
  const args: conv3dOps.Conv3dOptions = { stride, padding, dilation, groups: o.groups ?? 1 };
  return onImages(
    x,
    (x5) => {
      const g = conv3dOps.conv3dGeometry(x5.shape, weight.shape, args, op);
      const y = output(x.gpu, [g.N, g.C_out, g.OD, g.OH, g.OW], op);
      conv3dOps.conv3d(x5, weight, bias, y, args, op);
      const inputs = [x5, weight, ...(bias ? [bias] : [])];
      if (needsGrad(inputs)) record({ name: op, inputs, output: y, backward: gradients.conv3d(x5, weight, bias, args, op) });
      return y;
    },
    5,
  );
}

type MaxPool3dArguments = { stride?: Triple | null; padding?: Triple; dilation?: Triple; ceilMode?: false; ceil_mode?: false; returnIndices?: boolean; return_indices?: boolean };

/** An op's indices for one volume [C, D, H, W] drop the batch of one, as its output does (a plain view: indices take no gradient). */
const unbatchedIndices = (x: Tensor, indices: Tensor) => (x.shape.length === 4 ? indices.reshapeView(indices.shape.slice(1)) : indices);

/**
 * torch.nn.functional.max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1,
 * ceil_mode=False, return_indices=False); with return_indices, [output, indices] (u32,
 * (d·H + h)·W + w within each volume, as PyTorch's), else the indices are the output's companion.
 */
export function maxPool3d(x: Tensor, kernelSize: Triple, options?: MaxPool3dArguments & { returnIndices?: false; return_indices?: false }): Tensor;
export function maxPool3d(x: Tensor, kernelSize: Triple, options: MaxPool3dArguments): Tensor | [Tensor, Tensor];
export function maxPool3d(x: Tensor, kernelSize: Triple, options: MaxPool3dArguments = {}): Tensor | [Tensor, Tensor] {
  const op = 'maxPool3d';
  expectInput(op, x);
  const o = normalizeOptions(op, options, ['stride', 'padding', 'dilation', 'returnIndices'], { ceil_mode: 'ceilMode', return_indices: 'returnIndices' }, { ceilMode: false }) as MaxPool3dArguments;
  expectFlag(op, 'returnIndices', o.returnIndices);
  const args: pool3dOps.Pool3dOptions = { kernelSize, stride: o.stride ?? kernelSize, padding: o.padding ?? 0, dilation: o.dilation ?? 1 };
  let indices: Tensor | null = null;
  const y = onImages(
    x,
    (x5) => {
      const g = pool3dOps.pool3dGeometry(x5.shape, args, op);
      const out = output(x.gpu, [g.N, g.C, g.OD, g.OH, g.OW], op);
      indices = output(x.gpu, out.shape, `${op} indices`, 'u32');
      pool3dOps.maxPool3d(x5, out, indices, args, op);
      if (needsGrad([x5])) record({ name: op, inputs: [x5], output: out, saved: [indices], reads: [indices], backward: gradients.maxPool3d(x5, indices, args, op) });
      if (!o.returnIndices) out.companions.push(indices);
      return out;
    },
    5,
  );
  return o.returnIndices ? [y, unbatchedIndices(x, indices! as Tensor)] : y;
}

/**
 * torch.nn.functional.avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
 * count_include_pad=True, divisor_override=None).
 */
export function avgPool3d(x: Tensor, kernelSize: Triple, options: { stride?: Triple | null; padding?: Triple; ceilMode?: false; ceil_mode?: false; countIncludePad?: boolean; count_include_pad?: boolean; divisorOverride?: null; divisor_override?: null } = {}): Tensor {
  const op = 'avgPool3d';
  expectInput(op, x);
  const o = normalizeOptions(op, options, ['stride', 'padding', 'countIncludePad'], { ceil_mode: 'ceilMode', count_include_pad: 'countIncludePad', divisor_override: 'divisorOverride' }, { ceilMode: false, divisorOverride: null }) as { stride?: Triple | null; padding?: Triple; countIncludePad?: boolean };
  expectFlag(op, 'countIncludePad', o.countIncludePad);
  const args: pool3dOps.Pool3dOptions = { kernelSize, stride: o.stride ?? kernelSize, padding: o.padding ?? 0, countIncludePad: o.countIncludePad ?? true };
  return onImages(
    x,
    (x5) => {
      const g = pool3dOps.pool3dGeometry(x5.shape, args, op);
      const y = output(x.gpu, [g.N, g.C, g.OD, g.OH, g.OW], op);
      pool3dOps.avgPool3d(x5, y, args, op);
      if (needsGrad([x5])) record({ name: op, inputs: [x5], output: y, backward: gradients.avgPool3d(x5, args, op) });
      return y;
    },
    5,
  );
}

/** An adaptive 3-D pool's output_size: one number for all three axes, or [d, h, w], null keeping that input size (PyTorch's None). */
export type AdaptiveSize3d = number | readonly [number | null, number | null, number | null];

/** A 3-D adaptive pool's input: [N, C, D, H, W] (one volume is made a batch of one before this), or an Error naming `op`. */
function expectVolumes(op: string, x5: Tensor): void {
  if (x5.shape.length !== 5) throw new Error(`${op}: input expected [N, C, D, H, W] or one volume [C, D, H, W], got ${shapeText(x5.shape)}`);
}

/** torch.nn.functional.adaptive_avg_pool3d(input, output_size): each output the mean of its bin (pool3d.wgsl), over [N, C, D, H, W] or one volume. */
export function adaptiveAvgPool3d(x: Tensor, outputSize: AdaptiveSize3d, ...unsupported: never[]): Tensor {
  const op = 'adaptiveAvgPool3d';
  expectInput(op, x);
  expectNoArguments(op, unsupported, 'its arguments are input and output_size');
  return onImages(
    x,
    (x5) => {
      expectVolumes(op, x5);
      const y = output(x5.gpu, [x5.shape[0]!, x5.shape[1]!, ...adaptiveSizes(op, outputSize, x5.shape, 3)], op);
      pool3dOps.adaptiveAvgPool3d(x5, y, op);
      if (needsGrad([x5])) record({ name: op, inputs: [x5], output: y, backward: gradients.adaptiveAvgPool3d(x5, op) });
      return y;
    },
    5,
  );
}

/**
 * torch.nn.functional.adaptive_max_pool3d(input, output_size, return_indices=False): the max of each
 * bin; with return_indices [y, indices], each maximum's (d·H + h)·W + w in its volume (u32).
 */
export function adaptiveMaxPool3d(x: Tensor, outputSize: AdaptiveSize3d, options?: AdaptiveMaxPoolArguments & { returnIndices?: false; return_indices?: false }): Tensor;
export function adaptiveMaxPool3d(x: Tensor, outputSize: AdaptiveSize3d, options: AdaptiveMaxPoolArguments): Tensor | [Tensor, Tensor];
export function adaptiveMaxPool3d(x: Tensor, outputSize: AdaptiveSize3d, options: AdaptiveMaxPoolArguments = {}): Tensor | [Tensor, Tensor] {
  const op = 'adaptiveMaxPool3d';
  expectInput(op, x);
  const o = normalizeOptions(op, options, ['returnIndices'], { return_indices: 'returnIndices' }) as AdaptiveMaxPoolArguments;
  expectFlag(op, 'returnIndices', o.returnIndices);
  let indices: Tensor | null = null;
  const y = onImages(
    x,
    (x5) => {
      expectVolumes(op, x5);
      const out = output(x5.gpu, [x5.shape[0]!, x5.shape[1]!, ...adaptiveSizes(op, outputSize, x5.shape, 3)], op);
      indices = output(x5.gpu, out.shape, `${op} indices`, 'u32');
      pool3dOps.adaptiveMaxPool3d(x5, out, indices, op);
      if (needsGrad([x5])) record({ name: op, inputs: [x5], output: out, saved: [indices], reads: [indices], backward: gradients.adaptiveMaxPool3d(x5, indices, op) });
      if (!o.returnIndices) out.companions.push(indices);
      return out;
    },
    5,
  );
  return o.returnIndices ? [y, unbatchedIndices(x, indices! as Tensor)] : y;
}

// ── cumulative sums ──────────────────────────────────────────────────────────────────────────────────

/** The running sums of x along `dim` (torch.cumsum(x, dim)); the gradient is dy's running sums from the end (scan.wgsl). `dtype` is not supported. */
export function cumsum(x: Tensor, dim: number, ...unsupported: never[]): Tensor {
  expectInput('cumsum', x);
  if (unsupported.length) throw new Error(`cumsum: takes input and dim, got ${extraArguments(unsupported)} too (dtype= and out= are not supported)`);
  const d = dimension('cumsum', 'dim', dim, x.shape);
  const lines = around(x.shape, d);
  const y = output(x.gpu, x.shape, 'cumsum');
  cumsumKernel(x, y, lines);
  if (needsGrad([x])) record({ name: `cumsum(dim=${d})`, inputs: [x], output: y, reads: [], backward: gradients.cumsum(x, y, lines) });
  return y;
}

// ── picking by index: gather, index_select, embedding ──────────────────────────────────────────────

/** An index argument: an i32 tensor (PyTorch's int64). */
function expectIndex(op: string, index: unknown): Tensor {
  if (!(index instanceof Tensor)) throw new Error(`${op}: argument 'index' expected an i32 Tensor, got ${show(index)}`);
  if (index.dtype !== 'i32') throw new Error(`${op}: argument 'index' expected dtype i32 (PyTorch's int64), got ${index.dtype}`);
  return index;
}

/**
 * An Error naming the first index outside [0, n) when index's values are known (uploaded from
 * JavaScript, and written by no GPU work since): PyTorch raises there, where the kernel can only give
 * NaN. An index made on the GPU is not read back to check (that would wait on the GPU).
 */
function expectInRange(op: string, argument: string, index: Tensor, n: number, bound: string): void {
  const range = index.gpu.uploadedRange(index);
  if (!range || (range.max < n && range.min >= 0)) return;
  // The first bad one in order, as PyTorch names it, where the values were kept; else an extreme.
  const first = range.values?.findIndex((v) => v < 0 || v >= n) ?? -1;
  const [value, at] = first >= 0 ? [range.values![first]!, first] : range.max >= n ? [range.max, range.maxAt] : [range.min, range.minAt];
  const position = index.shape.map((_, k) => Math.floor(at / index.shape.slice(k + 1).reduce((p, v) => p * v, 1)) % index.shape[k]!);
  throw new Error(`${op}: ${argument} holds ${value} at [${position.join(', ')}], out of range for ${bound} (valid: 0 to ${n - 1})`);
}

function picked(name: string, x: Tensor, index: Tensor, shape: readonly number[], picks: Picks, options: { out?: Tensor }): Tensor {
  const y = givenOut(name, options.out, shape) ?? output(x.gpu, shape, name);
  gatherKernel(x, index, y, picks);
  if (needsGrad([x])) record({ name, inputs: [x], output: y, saved: [index], reads: [index], backward: gradients.gather(x, index, y, picks) });
  return y;
}

/** x[o, p, q] viewed around dimension d: the sizes before it, at it and after it. */
function around(shape: readonly number[], d: number): { outer: number; n: number; inner: number } {
  const product = (dims: readonly number[]) => dims.reduce((p, v) => p * v, 1);
  return { outer: product(shape.slice(0, d)), n: shape[d]!, inner: product(shape.slice(d + 1)) };
}

/**
 * x's elements picked along `dim` by index (torch.gather): out[i][j] = x[i][index[i][j]] for dim 1.
 * index (i32) has x's rank and x's sizes but along dim, and gives the output its shape. An index
 * outside [0, size) is an Error naming it when the index was uploaded from JavaScript, as PyTorch's;
 * one made on the GPU gives NaN there (a kernel cannot raise). The gradient adds each pick's back to
 * the element it picked.
 */
export function gather(x: Tensor, dim: number, index: Tensor, ...unsupported: never[]): Tensor {
  // u32 labels as the index (the DataLoader's): as i32, the copy freed with the output.
  if (index instanceof Tensor && index.dtype === 'u32') {
    const asI32 = withoutGrad(() => tidy(() => to(to(index, 'f32'), 'i32')));
    const y = gather(x, dim, asI32, ...unsupported);
    y.companions.push(asI32);
    return y;
  }
  expectInput('gather', x);
  const d = dimension('gather', 'dim', dim, x.shape);
  expectIndex('gather', index);
  if (unsupported.length) throw new Error(`gather: takes input, dim and index, got ${extraArguments(unsupported)} too (sparse_grad and out= are not supported)`);
  if (index.shape.length !== x.shape.length) throw new Error(`gather: index ${shapeText(index.shape)} must have as many dimensions as input ${shapeText(x.shape)}`);
  const larger = index.shape.findIndex((size, k) => k !== d && size > x.shape[k]!);
  if (larger >= 0) throw new Error(`gather: Size does not match at dimension ${larger} expected index ${shapeText(index.shape)} to be smaller than self ${shapeText(x.shape)} apart from dimension ${d}`);
  const n = x.shape[d]!;
  expectInRange('gather', 'index', index, n, `dimension ${d} of input ${shapeText(x.shape)}`);
  // An index smaller than x off dimension d reads the block of x from 0 that it covers (as PyTorch):
  // that block is copied first, and freed with the output.
  const smaller = index.shape.some((size, k) => k !== d && size < x.shape[k]!);
  const source = smaller ? block('gather: the block its index covers', x, x.shape.map(() => 0), index.shape.map((size, k) => (k === d ? n : size)), x.shape.map(() => 1)) : x;
  const { outer, inner } = around(source.shape, d);
  const y = picked('gather', source, index, index.shape, { outer, n, k: index.shape[d]!, inner, select: false }, {});
  if (smaller) y.companions.push(source);
  return y;
}

/** The entries of x along `dim` at the positions in index, a 1-D i32 tensor (torch.index_select); one out of range as in gather. */
export function indexSelect(x: Tensor, dim: number, index: Tensor, ...unsupported: never[]): Tensor {
  expectInput('indexSelect', x);
  const d = dimension('indexSelect', 'dim', dim, x.shape);
  expectIndex('indexSelect', index);
  if (unsupported.length) throw new Error(`indexSelect: takes input, dim and index, got ${extraArguments(unsupported)} too (out= is not supported)`);
  if (index.shape.length !== 1) throw new Error(`indexSelect: index expected one dimension, got ${shapeText(index.shape)}`);
  const { outer, n, inner } = around(x.shape, d);
  const shape = x.shape.map((size, k) => (k === d ? index.size : size));
  expectInRange('indexSelect', 'index', index, n, `dimension ${d} of input ${shapeText(x.shape)}`);
  return picked('indexSelect', x, index, shape, { outer, n, k: index.size, inner, select: true }, {});
}

/** F.embedding's and nn.Embedding's options past the ids and the weight. */
export interface EmbeddingOptions {
  /** Lookups of this row give it no gradient (a padding token); negative counts from the end. PyTorch's padding_idx. */
  paddingIdx?: number | null;
  padding_idx?: number | null;
  out?: Tensor;
  name?: string;
}

/** PyTorch's padding_idx options: our spelling, and its defaults for those we do not take. */
export const EMBEDDING_OPTIONS = { aliases: { padding_idx: 'paddingIdx' }, onlyDefault: { max_norm: null, maxNorm: null, norm_type: 2, normType: 2, scale_grad_by_freq: false, scaleGradByFreq: false, sparse: false } };

/** padding_idx as a row in [0, n), negative counting from the end (as PyTorch), or undefined for none. */
export function paddingRow(where: string, value: unknown, n: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -n || value >= n) throw new Error(`${where}: padding_idx expected an integer in [${-n}, ${n}) (within num_embeddings), got ${show(value)}`);
  return value < 0 ? value + n : value;
}

/**
 * weight's rows at the indices in input, any shape of i32 (F.embedding): [...input.shape, D]; an index
 * out of range as in gather. With padding_idx, lookups of that row give it no gradient.
 */
export function embedding(input: Tensor, weight: Tensor, options: EmbeddingOptions = {}): Tensor {
  if (!(input instanceof Tensor) || input.dtype !== 'i32') throw new Error(`embedding: argument 'input' expected an i32 Tensor of indices (PyTorch's int64), got ${input instanceof Tensor ? `dtype ${input.dtype}${weight instanceof Tensor && weight.dtype === 'i32' ? ' (input and weight swapped? F.embedding(ids, weight))' : ''}` : show(input)}`);
  const index = input;
  if (!(weight instanceof Tensor) || weight.dtype !== 'f32') throw new Error(`embedding: argument 'weight' expected an f32 Tensor [num_embeddings, embedding_dim], got ${weight instanceof Tensor ? `dtype ${weight.dtype}` : show(weight)}`);
  if (typeof options === 'number') throw new Error(`embedding: padding_idx goes in the options: F.embedding(input, weight, { padding_idx: ${options} })`);
  const o = normalizeOptions('embedding', options, ['paddingIdx', 'out', 'name'], EMBEDDING_OPTIONS.aliases, EMBEDDING_OPTIONS.onlyDefault) as EmbeddingOptions;
  if (weight.shape.length !== 2) throw new Error(`embedding: weight expected 2 dimensions [num_embeddings, embedding_dim], got ${shapeText(weight.shape)}`);
  const [n, inner] = weight.shape as [number, number];
  const skip = paddingRow('embedding', o.paddingIdx, n);
  expectInRange(o.name ?? 'embedding', 'input', index, n, `weight's ${n} rows (num_embeddings)`);
  return picked(o.name ?? 'embedding', weight, index, [...index.shape, inner], { outer: 1, n, k: index.size, inner, select: true, skip }, o);
}

export type EmbeddingBagMode = 'sum' | 'mean' | 'max';

export interface EmbeddingBagOptions {
  /** With a 1-D input: where each bag starts (i32, from 0, non-decreasing), uploaded from JavaScript. */
  offsets?: Tensor | null;
  mode?: EmbeddingBagMode;
  /** sum only: a weight for each index (f32, the input's shape), with a gradient. */
  perSampleWeights?: Tensor | null;
  per_sample_weights?: Tensor | null;
  /** Indices equal to it are left out of their bag (and of mean's count). */
  paddingIdx?: number | null;
  padding_idx?: number | null;
  /** offsets holds one more entry, the input's length, closing the last bag. */
  includeLastOffset?: boolean;
  include_last_offset?: boolean;
  /** PyTorch's storage hint: accepted, and the gradient is dense (the same updates with SGD). */
  sparse?: boolean;
}

export const EMBEDDING_BAG_OPTIONS = {
  known: ['offsets', 'mode', 'perSampleWeights', 'paddingIdx', 'includeLastOffset', 'sparse'],
  aliases: { per_sample_weights: 'perSampleWeights', padding_idx: 'paddingIdx', include_last_offset: 'includeLastOffset' },
  onlyDefault: { max_norm: null, maxNorm: null, norm_type: 2, normType: 2, scale_grad_by_freq: false, scaleGradByFreq: false },
};

/** Each bag's [start, end) into the flat input: rows of a 2-D input, or offsets' (values read from the upload). */
function bagsOf(op: string, input: Tensor, offsets: Tensor | null | undefined, includeLastOffset: boolean): [number, number][] {
  if (input.shape.length === 2) {
    if (offsets != null) throw new Error(`${op}: offsets has to be None if input is 2D (PyTorch's), got ${offsets instanceof Tensor ? `a Tensor ${shapeText(offsets.shape)}` : show(offsets)}`);
    const [B, L] = input.shape as [number, number];
    return Array.from({ length: B }, (_, b) => [b * L, (b + 1) * L]);
  }
  if (input.shape.length !== 1) throw new Error(`${op}: input expected 1 dimension (with offsets) or 2 (a bag per row), got ${shapeText(input.shape)}`);
  if (!(offsets instanceof Tensor) || offsets.dtype !== 'i32' || offsets.shape.length !== 1) throw new Error(`${op}: a 1-D input needs offsets, a 1-D i32 Tensor of where each bag starts, got ${offsets instanceof Tensor ? `${offsets.dtype} ${shapeText(offsets.shape)}` : show(offsets)}`);
  const values = input.gpu.uploadedRange(offsets)?.values;
  if (!values) throw new Error(`${op}: offsets must be uploaded from JavaScript (Tensor.fromArray or write) and not written on the GPU since: the bags are laid out on the CPU`);
  const N = input.size;
  if (values.length === 0 || values[0] !== 0) throw new Error(`${op}: offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to start from position 0. However, got ${values[0]}`);
  const ends = includeLastOffset ? Array.from(values.subarray(1)) : [...Array.from(values.subarray(1)), N];
  const bags: [number, number][] = ends.map((end, b) => [values[b]!, end]);
  const bad = bags.findIndex(([start, end]) => end < start || end > N);
  if (bad >= 0) throw new Error(`${op}: offsets must be non-decreasing and within the input's ${N} indices${includeLastOffset ? ' (the last, with include_last_offset, the input\'s length)' : ''}: bag ${bad} is [${bags[bad]![0]}, ${bags[bad]![1]})`);
  return bags;
}

/**
 * torch.nn.functional.embedding_bag: each bag's rows of weight summed, averaged or maxed, without
 * the [N, D] of every lookup kept as an output. Composed: the lookups (F.embedding), then a [B, Lmax]
 * layout of each bag's positions (a filler row for the shorter bags: 0 for sum and mean, −∞ for max)
 * picked by one F.indexSelect, then F.sum or F.max over each bag. padding_idx's lookups are masked
 * (left out of mean's count, never the max); an empty bag gives 0, as PyTorch's.
 */
export function embeddingBag(input: Tensor, weight: Tensor, options: EmbeddingBagOptions = {}): Tensor {
  const op = 'embeddingBag';
  if (!(input instanceof Tensor) || input.dtype !== 'i32') throw new Error(`${op}: argument 'input' expected an i32 Tensor of indices (PyTorch's int64), got ${input instanceof Tensor ? `dtype ${input.dtype}` : show(input)}`);
  if (!(weight instanceof Tensor) || weight.dtype !== 'f32' || weight.shape.length !== 2) throw new Error(`${op}: argument 'weight' expected a 2-D f32 Tensor [num_embeddings, embedding_dim], got ${weight instanceof Tensor ? `${weight.dtype} ${shapeText(weight.shape)}` : show(weight)}`);
  const o = normalizeOptions(op, options, EMBEDDING_BAG_OPTIONS.known, EMBEDDING_BAG_OPTIONS.aliases, EMBEDDING_BAG_OPTIONS.onlyDefault) as EmbeddingBagOptions;
  const mode = o.mode ?? 'mean';
  if (!['sum', 'mean', 'max'].includes(mode)) throw new Error(`${op}: argument 'mode' expected 'sum', 'mean' or 'max', got ${show(mode)}`);
  expectFlag(op, 'includeLastOffset', o.includeLastOffset);
  expectFlag(op, 'sparse', o.sparse);
  const [n, D] = weight.shape as [number, number];
  const pad = paddingRow(op, o.paddingIdx, n);
  const psw = o.perSampleWeights ?? null;
  if (psw !== null) {
    if (mode !== 'sum') throw new Error(`${op}: embedding_bag: per_sample_weights was not None. per_sample_weights is only supported for mode='sum' (got mode='${mode}'). Please open a feature request on GitHub.`);
    if (!(psw instanceof Tensor) || psw.dtype !== 'f32' || psw.shape.join() !== input.shape.join()) throw new Error(`${op}: per_sample_weights expected an f32 Tensor of the input's shape ${shapeText(input.shape)}, got ${psw instanceof Tensor ? `${psw.dtype} ${shapeText(psw.shape)}` : show(psw)}`);
  }
  const bags = bagsOf(op, input, o.offsets, o.includeLastOffset ?? false);
  expectInRange(op, 'input', input, n, `weight's ${n} rows (num_embeddings)`);
  const [B, N] = [bags.length, input.size];
  const longest = Math.max(1, ...bags.map(([start, end]) => end - start));
  if (B * longest * D * 4 > input.gpu.limits.maxBufferSize) throw new Error(`${op}: ${B} bags of up to ${longest} indices of ${D} values (${((B * longest * D * 4) / 2 ** 20).toFixed(0)} MiB laid out) exceed the device's largest buffer`);
  return composite(() => {
    const flat = reshape(input, [N]);
    let rows = embedding(flat, weight); // [N, D]
    // 1 for a lookup that counts, 0 for padding_idx's: a [n, 1] table looked up like the rows.
    let counted: Tensor | null = null;
    if (pad !== undefined) {
      const table = output(input.gpu, [n, 1], `${op} padding mask`);
      table.write(Float32Array.from({ length: n }, (_, k) => (k === pad ? 0 : 1)));
      counted = embedding(flat, table);
    }
    if (psw) rows = mul(rows, reshape(psw, [N, 1]));
    if (counted && mode !== 'max') rows = mul(rows, counted);
    if (counted && mode === 'max') rows = where(counted, rows, -Infinity);
    // Each bag's positions in a [B, longest] layout, the filler row N where a bag is shorter.
    const layout = Int32Array.from({ length: B * longest }, (_, k) => {
      const [start, end] = bags[Math.floor(k / longest)]!;
      const at = start + (k % longest);
      return at < end ? at : N;
    });
    const index = output(input.gpu, [B * longest], `${op} layout`, 'i32');
    index.write(layout);
    const filler = output(input.gpu, [1, D], `${op} filler`);
    filler.write(new Float32Array(D).fill(mode === 'max' ? -Infinity : 0));
    const laid = reshape(indexSelect(cat([rows, filler], 0), 0, index), [B, longest, D]);
    if (mode === 'max') {
      const { values } = max(laid, 1);
      return where(gt(values, -Infinity), values, 0); // an empty bag (or one of padding only): 0
    }
    const total = sum(laid, 1);
    if (mode === 'sum') return total;
    let count: Tensor;
    if (counted) {
      const ones = output(input.gpu, [1, 1], `${op} filler count`);
      ones.write([0]);
      count = sum(reshape(indexSelect(cat([counted, ones], 0), 0, index), [B, longest, 1]), 1);
    } else {
      count = output(input.gpu, [B, 1], `${op} counts`);
      count.write(bags.map(([start, end]) => end - start));
    }
    return div(total, clamp(count, 1, null)); // an empty bag: 0 / 1
  });
}

// ── elementwise arithmetic ─────────────────────────────────────────────────────────────────────────

/** A tensor, or a number (PyTorch's Python scalar). */
export type Operand = Tensor | number;

/** Arguments an op does not take, for its error: objects as JSON, a tensor by its shape. */
/** An options object with PyTorch's out= in it, passed where the op takes none. */
const isOutOption = (v: unknown): boolean => v !== null && typeof v === 'object' && !(v instanceof Tensor) && 'out' in v;

function extraArguments(args: readonly unknown[]): string {
  const text = (v: unknown) => (v instanceof Tensor ? `Tensor ${shapeText(v.shape)}` : v);
  return args.map((u) => (u instanceof Tensor ? String(text(u)) : u !== null && typeof u === 'object' ? JSON.stringify(u, (_, v) => text(v)) : show(u))).join(', ');
}

/** Each operand a finite number or an f32 tensor, and not both numbers. */
function expectOperands(op: string, a: unknown, b: unknown): void {
  for (const [name, v] of [['input', a], ['other', b]] as const) {
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new Error(`${op}: argument '${name}' expected a finite number or a Tensor, got ${v}`);
    } else if (!(v instanceof Tensor)) {
      throw new Error(`${op}: argument '${name}' expected a Tensor or a number, got ${show(v)}`);
    } else if (v.dtype !== 'f32') {
      throw new Error(`${op}: argument '${name}' expected dtype f32, got ${v.dtype}`);
    } else {
      expectAlive(op, v);
    }
  }
  if (typeof a === 'number' && typeof b === 'number') throw new Error(`${op}: expected at least one Tensor, got two numbers (${a}, ${b})`);
}

/** The shape PyTorch's broadcasting gives two shapes (aligned from the right, each 1 or equal), or an Error naming them. */
/** The end of the batched ops' broadcasting Errors. */
const LEADING_SIZES = ' do not broadcast: each leading size must match the others or be 1, from the right';

function broadcastShape(op: string, a: readonly number[], b: readonly number[]): number[] {
  return broadcastShapes([a, b], () => `${op}: shapes ${shapeText(a)} and ${shapeText(b)} do not broadcast (PyTorch: the size of tensor a must match the size of tensor b, or be 1, at each dimension from the right)`);
}

/** The shape shapes broadcast to, each size matched or 1 from the right; an Error with failure()'s text otherwise. */
function broadcastShapes(shapes: readonly (readonly number[])[], failure: () => string): number[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const size = (shape: readonly number[], i: number) => shape[shape.length - rank + i] ?? 1;
  return Array.from({ length: rank }, (_, i) => {
    const sizes = new Set(shapes.map((s) => size(s, i)).filter((d) => d !== 1));
    if (sizes.size > 1) throw new Error(failure());
    return [...sizes][0] ?? 1;
  });
}

/** Tensors (and numbers, left as they are) spread to the shape they broadcast to: copies (F.expand) where needed, to be the output's companions. */
function broadcastAll(op: string, operands: readonly (Tensor | number)[]): { operands: (Tensor | number)[]; shape: number[]; copies: Tensor[] } {
  const tensors = operands.filter((t): t is Tensor => t instanceof Tensor);
  const shape = tensors.slice(1).reduce<number[]>((s, t) => broadcastShape(op, s, t.shape), [...tensors[0]!.shape]);
  const copies: Tensor[] = [];
  const spread = (t: Tensor | number) => {
    if (typeof t === 'number' || (t.shape.length === shape.length && t.shape.every((d, i) => d === shape[i]))) return t;
    const copy = expand(t, shape);
    copies.push(copy);
    return copy;
  };
  return { operands: operands.map(spread), shape, copies };
}

/**
 * Which operand is spread over the other's shape (the kernel spreads one, b, whose dimensions other
 * than 1 are one run of a's). Where PyTorch's broadcasting spreads both ([N, 1] with [1, C]) or the
 * spread one is in two runs ([2, 1, 4] over [2, 3, 4]), one or both are first copied to the result's
 * shape by F.expand: those copies are returned to be freed with the op's output (its companions).
 */
function pairOf(op: string, a: Tensor, b: Tensor): { a: Tensor; b: Tensor; big: Tensor; small: Tensor; aIsBig: boolean; broadcast: Broadcast; copies: Tensor[] } {
  const overA = broadcastOver(a.shape, b.shape);
  if (overA) return { a, b, big: a, small: b, aIsBig: true, broadcast: overA, copies: [] };
  const overB = broadcastOver(b.shape, a.shape);
  if (overB) return { a, b, big: b, small: a, aIsBig: false, broadcast: overB, copies: [] };
  const result = broadcastShape(op, a.shape, b.shape);
  const rank = result.length;
  const copies: Tensor[] = [];
  const spread = (t: Tensor): Tensor => {
    const copy = expand(t, result);
    copies.push(copy);
    return copy;
  };
  // a copied unless it has the result's shape; b unless it has it or spreads over it as one run.
  const full = (t: Tensor) => t.shape.length === rank && t.shape.every((d, i) => d === result[i]);
  const first = full(a) ? a : spread(a);
  const second = full(b) || broadcastOver(result, b.shape) !== null ? b : spread(b);
  const pair = pairOf(op, first, second);
  return { ...pair, copies };
}

/** scale·x + offset: a tensor with a number (F.add, F.sub, F.mul); records the backward, scale·dy. */
function affine(op: string, x: Tensor, scale: number, offset: number): Tensor {
  const out = output(x.gpu, x.shape, op);
  combine(out, { op: 'add', a: x, b: null, broadcast: sameShape(x.shape), alpha: scale, offset });
  if (needsGrad([x])) record({ name: op, inputs: [x], output: out, reads: [], backward: gradients.add(x, null, sameShape(x.shape), scale, 0) });
  return out;
}

/** ca·a + cb·b, either operand a number; records the backward. */
function weightedSum(op: string, a: Operand, b: Operand, ca: number, cb: number): Tensor {
  if (typeof b === 'number') return affine(op, a as Tensor, ca, cb * b);
  if (typeof a === 'number') return affine(op, b, cb, ca * a);
  const { big, small, aIsBig, broadcast, copies } = pairOf(op, a, b);
  const [alpha, beta] = aIsBig ? [ca, cb] : [cb, ca];
  const out = output(big.gpu, big.shape, op);
  out.companions.push(...copies);
  combine(out, { op: 'add', a: big, b: small, broadcast, alpha, beta });
  if (needsGrad([big, small])) record({ name: op, inputs: [big, small], output: out, reads: [], backward: gradients.add(big, small, broadcast, alpha, beta) });
  return out;
}

function alphaOption(op: string, options: { alpha?: number }, other: Operand): number {
  // PyTorch's deprecated add(alpha, other) overload (the char-RNN tutorial's p.data.add_(-lr, p.grad.data)).
  if (options instanceof Tensor) throw new Error(`${op}: got a Tensor where the options go: PyTorch's deprecated ${op}(Number alpha, Tensor other) overload${typeof other === 'number' ? ` (x.${op}_(${other}, g))` : ''} is written x.${op}_(g, { alpha: ${typeof other === 'number' ? other : 'alpha'} }) here`);
  const { alpha = 1 } = normalizeOptions(op, options, ['alpha']) as { alpha?: number };
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new Error(`${op}: option 'alpha' expected a finite number, got ${show(alpha)}`);
  return alpha;
}

/** input + alpha · other (torch.add): tensors whose shapes broadcast one onto the other, or a tensor and a number. */
export function add(input: Operand, other: Operand, options: { alpha?: number } = {}): Tensor {
  expectOperands('add', input, other);
  return weightedSum('add', input, other, 1, alphaOption('add', options, other));
}

/** input − alpha · other (torch.sub), broadcast as F.add. */
export function sub(input: Operand, other: Operand, options: { alpha?: number } = {}): Tensor {
  expectOperands('sub', input, other);
  return weightedSum('sub', input, other, 1, -alphaOption('sub', options, other));
}

/** input · other elementwise (torch.mul), broadcast as F.add; a number scales. */
export function mul(input: Operand, other: Operand, ...unsupported: never[]): Tensor {
  expectOperands('mul', input, other);
  if (unsupported.length) throw new Error(`mul: takes two operands, got ${2 + unsupported.length} arguments (${extraArguments(unsupported)} too); ${isOutOption(unsupported[0]) ? 'out= is not taken here: copy the result into a tensor of your own (c.copy_(F.mul(a, b)) under noGrad)' : 'torch.mul has no alpha'}`);
  if (typeof other === 'number') return affine('mul', input as Tensor, other, 0);
  if (typeof input === 'number') return affine('mul', other, input, 0);
  const { big, small, broadcast, copies } = pairOf('mul', input, other);
  const out = output(big.gpu, big.shape, 'mul');
  out.companions.push(...copies);
  combine(out, { op: 'mul', a: big, b: small, broadcast });
  if (needsGrad([big, small])) record({ name: 'mul', inputs: [big, small], output: out, backward: gradients.mul(big, small, broadcast, 1) });
  return out;
}

/**
 * input / other elementwise (torch.div, true division), broadcast as F.add. A number divisor
 * divides, as PyTorch's (a subnormal one, which a GPU may flush to 0, multiplies by its reciprocal
 * instead); a number over a tensor is c / x.
 */
export function div(input: Operand, other: Operand, ...unsupported: never[]): Tensor {
  expectOperands('div', input, other);
  if (unsupported.length) throw new Error(`div: takes two operands, got ${2 + unsupported.length} arguments (${extraArguments(unsupported)} too); ${isOutOption(unsupported[0]) ? 'out= is not taken here: copy the result into a tensor of your own (c.copy_(F.div(a, b)) under noGrad)' : 'rounding_mode is not supported'}`);
  if (typeof other === 'number') {
    if (other === 0) throw new Error(`div: division by the number 0 (PyTorch gives ±inf or NaN for every element); divide by a tensor to get those`);
    if (!(Math.abs(1 / other) <= 3.4e38)) throw new Error(`div: the divisor ${other} is too small for float32: x / ${other} multiplies by ${1 / other}, past ±3.4e38`);
    // Below float32's normal range a GPU may flush the divisor to 0: its reciprocal, which is normal, instead.
    if (Math.abs(other) < 2 ** -126) return affine('div', input as Tensor, 1 / other, 0);
    const x = input as Tensor;
    const out = output(x.gpu, x.shape, 'div');
    combine(out, { op: 'div', a: x, b: null, broadcast: sameShape(x.shape), beta: other });
    if (needsGrad([x])) record({ name: 'div', inputs: [x], output: out, reads: [], backward: gradients.divByNumber(x, other) });
    return out;
  }
  if (typeof input === 'number') return quotient(null, other, 'v', sameShape(other.shape), input);
  const { a, b, aIsBig, broadcast, copies } = pairOf('div', input, other);
  const out = quotient(a, b, aIsBig ? 'v' : 'u', broadcast, 1);
  out.companions.push(...copies);
  return out;
}

/** alpha · u / v, `spread` the operand spread over the other's shape (u null: alpha / v); records the backward. */
function quotient(u: Tensor | null, v: Tensor, spread: 'u' | 'v', broadcast: Broadcast, alpha: number): Tensor {
  const out = output(v.gpu, spread === 'v' ? (u ?? v).shape : v.shape, 'div');
  // The spread operand is the shader's b: a / b, or b / a when the numerator is the one spread.
  if (spread === 'v') combine(out, { op: 'div', a: u, b: v, broadcast, alpha });
  else combine(out, { op: 'rdiv', a: v, b: u, broadcast, alpha });
  const inputs = u ? [u, v] : [v];
  if (needsGrad(inputs)) record({ name: 'div', inputs, output: out, backward: gradients.div(u, v, out, broadcast, spread) });
  return out;
}

/** f(x) elementwise into a new tensor, with its backward (exp, log, sqrt, pow, abs, clamp, maximum, minimum). */
function elementwiseOp(op: ElementwiseOp, name: string, x: Tensor, extra: ElementwiseExtra, unsupported: readonly unknown[]): Tensor {
  expectInput(name, x);
  if (unsupported.length) throw new Error(`${name}: got ${unsupported.length} more argument${unsupported.length > 1 ? 's' : ''} than it takes (${extraArguments(unsupported)}); out= is not supported`);
  const y = output(x.gpu, x.shape, name);
  elementwiseKernel(op, x, y, extra);
  const inputs = extra.other ? [x, extra.other] : [x];
  if (needsGrad(inputs)) record({ name, inputs, output: y, backward: gradients.elementwise(op, x, y, extra) });
  return y;
}

/** e^x elementwise (torch.exp). */
export const exp = (x: Tensor, ...unsupported: never[]): Tensor => elementwiseOp('exp', 'exp', x, {}, unsupported);
/** sin x (torch.sin), to float32's precision for |x| ≤ 10^7 (elementwise.wgsl says how). */
export const sin = (x: Tensor, ...unsupported: never[]): Tensor => elementwiseOp('sin', 'sin', x, {}, unsupported);
/** cos x (torch.cos), as sin. */
export const cos = (x: Tensor, ...unsupported: never[]): Tensor => elementwiseOp('cos', 'cos', x, {}, unsupported);

/** e^x − 1 elementwise (torch.expm1), to float32's relative precision near 0, where F.exp(x) − 1 cancels. */
export const expm1 = (x: Tensor, ...unsupported: never[]): Tensor => elementwiseOp('expm1', 'expm1', x, {}, unsupported);
/** ln(1 + x) elementwise (torch.log1p), to float32's relative precision near 0: −inf at −1, NaN below. */
export const log1p = (x: Tensor, ...unsupported: never[]): Tensor => elementwiseOp('log1p', 'log1p', x, {}, unsupported);

/** ln x elementwise (torch.log): −inf at 0, NaN below, as PyTorch. */
export const log = (x: Tensor, ...unsupported: never[]): Tensor => elementwiseOp('log', 'log', x, {}, unsupported);

/** √x elementwise (torch.sqrt): NaN below 0, as PyTorch. */
export const sqrt = (x: Tensor, ...unsupported: never[]): Tensor => elementwiseOp('sqrt', 'sqrt', x, {}, unsupported);

/**
 * x^exponent elementwise (torch.pow(x, p), x ** p), for a number exponent or a tensor of them
 * (broadcast as F.add, with a gradient for each): a negative x with an integer exponent keeps its
 * sign by parity; with any other exponent it gives NaN, as PyTorch. With a number x, b^exponent for
 * each element (torch.pow(2, e)), its gradient b^e · ln b.
 */
export function pow(x: Tensor | number, exponent: number | Tensor, ...unsupported: never[]): Tensor {
  const name = 'pow';
  if (typeof x === 'number') {
    // torch.pow(b, x): the number b as the base of every element.
    if (!(exponent instanceof Tensor)) throw new Error(`${name}: with a number base, argument 'exponent' expected a Tensor, got ${show(exponent)}`);
    expectExponent(name, x, 'self');
    return elementwiseOp('powBase', name, exponent, { exponent: x }, unsupported);
  }
  if (exponent instanceof Tensor) return twoTensors('powTensor', 'pow', x, exponent, unsupported);
  expectExponent(name, exponent);
  return elementwiseOp('pow', name, x, { exponent }, unsupported);
}

/** −1, 0 or 1 by x's sign elementwise (torch.sign): 0 at ±0 and NaN, as PyTorch 1.13's; its gradient 0. */
export const sign = (x: Tensor, ...unsupported: never[]): Tensor => elementwiseOp('sign', 'sign', x, {}, unsupported);

/** ⌊x⌋ elementwise (torch.floor); its gradient 0, as PyTorch's. */
export const floor = (x: Tensor, ...unsupported: never[]): Tensor => elementwiseOp('floor', 'floor', x, {}, unsupported);

/** ⌈x⌉ elementwise (torch.ceil); its gradient 0. */
export const ceil = (x: Tensor, ...unsupported: never[]): Tensor => elementwiseOp('ceil', 'ceil', x, {}, unsupported);

/** x rounded to the nearest integer, halves to even (torch.round: 2.5 → 2); its gradient 0. `decimals` is not supported. */
export function round(x: Tensor, ...unsupported: never[]): Tensor {
  if (unsupported.length) throw new Error(`round: takes input only, got ${extraArguments(unsupported)} too (PyTorch's decimals= is not supported: F.div(F.round(F.mul(x, 100)), 100) rounds to 2 places)`);
  return elementwiseOp('round', 'round', x, {}, unsupported);
}

/** x with its fraction dropped, toward 0 (torch.trunc); its gradient 0. */
export const trunc = (x: Tensor, ...unsupported: never[]): Tensor => elementwiseOp('trunc', 'trunc', x, {}, unsupported);

/** |x| elementwise (torch.abs); its gradient sign(x), 0 at ±0 (and at NaN), as PyTorch's. */
export const abs = (x: Tensor, ...unsupported: never[]): Tensor => elementwiseOp('abs', 'abs', x, {}, unsupported);

/**
 * x limited to [min, max] elementwise (torch.clamp): either bound may be null (not both), a number or
 * a tensor (broadcast with x as F.add); with min > max every element is max, as PyTorch. The gradient
 * passes to x where min ≤ x ≤ max, bounds included, and to a tensor bound where it was taken.
 */
export function clamp(x: Tensor, min: number | Tensor | null = null, max: number | Tensor | null = null, ...unsupported: never[]): Tensor {
  expectInput('clamp', x);
  for (const [name, bound] of [['min', min], ['max', max]] as const) {
    if (bound instanceof Tensor) expectOperand('clamp', name, bound, false);
    else expectBound('clamp', name, bound);
  }
  if (min === null && max === null) throw new Error(`clamp: at least one of 'min' and 'max' must be a number or a tensor (PyTorch: "At least one of 'min' or 'max' must not be None")`);
  if (!(min instanceof Tensor) && !(max instanceof Tensor)) return elementwiseOp('clamp', 'clamp', x, { low: min, high: max }, unsupported);
  if (unsupported.length) throw new Error(`clamp: got ${unsupported.length} more argument${unsupported.length > 1 ? 's' : ''} than it takes (${extraArguments(unsupported)}); out= is not supported`);
  // A tensor bound: where(x < min, min, x), then where(· > max, max, ·), so each side's gradient goes
  // where it was taken (as PyTorch's; at min = max below both, PyTorch's gives neither a gradient and
  // this gives min one). A number bound on the other side is elementwise clamp's. The masks and the
  // first step are the output's companions.
  [min, max].reduce<readonly number[]>((shape, b) => (b instanceof Tensor ? broadcastShape('clamp', shape, b.shape) : shape), x.shape);
  const made: Tensor[] = [];
  const step = (y: Tensor, bound: number | Tensor | null, side: 'min' | 'max'): Tensor => {
    if (bound === null) return y;
    if (typeof bound === 'number') return elementwiseOp('clamp', 'clamp', y, side === 'min' ? { low: bound, high: null } : { low: null, high: bound }, []);
    const past = side === 'min' ? lt(y, bound) : gt(y, bound);
    made.push(past);
    return where(past, bound, y);
  };
  const lower = step(x, min, 'min');
  if (lower !== x) made.push(lower);
  const y = step(lower, max, 'max');
  if (y === lower) made.pop();
  y.companions.push(...made);
  return y;
}

/** The larger of a and b elementwise (torch.maximum), broadcast as F.add; a NaN on either side gives NaN. A tie halves the gradient between them, as PyTorch's. */
export function maximum(a: Tensor, b: Tensor, ...unsupported: never[]): Tensor {
  return extremeOfTwo('maximum', a, b, unsupported);
}

/** The smaller of a and b elementwise (torch.minimum), as F.maximum. */
export function minimum(a: Tensor, b: Tensor, ...unsupported: never[]): Tensor {
  return extremeOfTwo('minimum', a, b, unsupported);
}

function extremeOfTwo(op: 'maximum' | 'minimum', a: Tensor, b: Tensor, unsupported: readonly unknown[]): Tensor {
  for (const [name, t] of [['input', a], ['other', b]] as const) {
    if (typeof t === 'number') throw new Error(`${op}: argument '${name}' expected a Tensor, got the number ${t} (PyTorch's takes tensors; for a number bound, F.clamp(x, ${op === 'maximum' ? `${t}, null` : `null, ${t}`}))`);
  }
  return twoTensors(op, op, a, b, unsupported);
}

/** An elementwise op of two tensors, broadcast as F.add (F.maximum, F.minimum, F.pow with a tensor exponent). */
function twoTensors(op: 'maximum' | 'minimum' | 'powTensor', name: string, a: Tensor, b: Tensor, unsupported: readonly unknown[]): Tensor {
  expectInput(name, a);
  expectInput(name, b);
  // Both to the result's shape: a spread operand is copied first (F.expand), the copy freed with the output.
  const { operands: [u, v], copies } = broadcastAll(name, [a, b]);
  const y = elementwiseOp(op, name, u as Tensor, { other: v as Tensor }, unsupported);
  y.companions.push(...copies);
  return y;
}

// ── casts, comparisons and where ────────────────────────────────────────────────────────────────────

const isInteger = (x: unknown): boolean => x instanceof Tensor && x.dtype !== 'f32';

/**
 * F.sum of an integer tensor: through float32 and back to its dtype, exact while the values and the
 * sum stay below 2^24 in magnitude, as counts of labels do. No gradient (integer tensors have none);
 * the float copies are freed.
 */
function throughFloat(dtype: DType, inputs: readonly Tensor[], op: (floats: Tensor[]) => Tensor): Tensor {
  return withoutGrad(() => tidy(() => to(op(inputs.map((t) => to(t, 'f32'))), dtype)));
}

/**
 * An op of f32 kernels that only moves values (narrow, select, cat, stack) on integer tensors: run on
 * the words' high and low 16 bits as floats, both exact, and joined back, so every 32-bit value comes
 * through as it was. The op runs on the high halves first, so its argument errors are its own.
 */
function throughHalves(dtype: DType, inputs: readonly Tensor[], op: (floats: Tensor[]) => Tensor): Tensor {
  return withoutGrad(() =>
    tidy(() => {
      const halves = inputs.map((t) => {
        const high = output(t.gpu, t.shape, 'high halves');
        const low = output(t.gpu, t.shape, 'low halves');
        splitHalves(t, high, low);
        return { high, low };
      });
      const high = op(halves.map((h) => h.high));
      const low = op(halves.map((h) => h.low));
      const y = output(high.gpu, high.shape, high.label, dtype);
      joinHalves(high, low, y);
      return y;
    }),
  );
}

/**
 * x as another element type (PyTorch's x.to(dtype), x.float(), x.int(), x.long()): i32/u32 → f32 (exact
 * to 2^24, then the nearest float32), f32 → i32/u32 toward zero (NaN 0, past the range clamped, where
 * PyTorch's is undefined), i32 ↔ u32 the same 32 bits (wrapping, as PyTorch's integer casts). The same
 * dtype gives x itself, as PyTorch's. No gradient: integer tensors have none.
 */
export function to(x: Tensor, dtype: DType, ...unsupported: never[]): Tensor {
  if (!(x instanceof Tensor)) throw new Error(`to: argument 'input' expected a Tensor, got ${show(x)}`);
  if (!['f32', 'i32', 'u32'].includes(dtype)) throw new Error(`to: argument 'dtype' expected 'f32', 'i32' or 'u32' (PyTorch's float32, int32; int64 indices are i32 here), got ${show(dtype)}`);
  if (unsupported.length) throw new Error(`to: takes input and dtype, got ${extraArguments(unsupported)} too`);
  if (x.dtype === dtype) return x;
  const y = output(x.gpu, x.shape, `to(${dtype})`, dtype);
  cast(x, y);
  return y;
}

function expectOperand(op: string, name: string, v: unknown, numbers: boolean): void {
  if (typeof v === 'number' && numbers) return expectNumber(op, name, v);
  if (!(v instanceof Tensor)) throw new Error(`${op}: argument '${name}' expected a Tensor${numbers ? ' or a number' : ''}, got ${show(v)}`);
  if (v.dtype !== 'f32') throw new Error(`${op}: argument '${name}' expected dtype f32, got ${v.dtype}`);
  expectAlive(op, v);
}

function comparison(op: Comparison, input: Tensor, other: Tensor | number, unsupported: readonly unknown[]): Tensor {
  // Integer tensors (F.max's indices against u32 labels: PyTorch's (predicted == labels).sum()) are
  // compared as float32, exact below 2^24; the copies are freed with the mask.
  const converted: Tensor[] = [];
  const floats = [input, other].map((t) => (t instanceof Tensor && t.dtype !== 'f32' ? (converted[converted.length] = to(t, 'f32')) : t));
  try {
    expectOperand(op, 'input', floats[0], false);
    expectOperand(op, 'other', floats[1], true);
    if (unsupported.length) throw new Error(`${op}: takes ${op === 'logicalNot' ? 'input' : 'input and other'}, got ${extraArguments(unsupported)} too (out= is not supported)`);
    const { operands: [a, b], shape, copies } = broadcastAll(op, floats as [Tensor, Tensor | number]);
    const mask = output(input.gpu, shape, op);
    compareKernel(op, a as Tensor, b!, mask);
    for (const copy of copies) copy.destroy(); // read once: nothing keeps them
    return mask;
  } finally {
    converted.forEach((t) => t.destroy());
  }
}

/** 1 where input > other, else 0 (torch.gt; PyTorch's is a bool tensor, this its .float()), broadcast as F.add; other a tensor or a number; NaN gives 0. No gradient. */
export const gt = (input: Tensor, other: Tensor | number, ...unsupported: never[]): Tensor => comparison('gt', input, other, unsupported);
/** 1 where input ≥ other, else 0 (torch.ge), as F.gt. */
export const ge = (input: Tensor, other: Tensor | number, ...unsupported: never[]): Tensor => comparison('ge', input, other, unsupported);
/** 1 where input < other, else 0 (torch.lt), as F.gt. */
export const lt = (input: Tensor, other: Tensor | number, ...unsupported: never[]): Tensor => comparison('lt', input, other, unsupported);
/** 1 where input ≤ other, else 0 (torch.le), as F.gt. */
export const le = (input: Tensor, other: Tensor | number, ...unsupported: never[]): Tensor => comparison('le', input, other, unsupported);
/** 1 where input = other, else 0 (torch.eq), as F.gt. */
export const eq = (input: Tensor, other: Tensor | number, ...unsupported: never[]): Tensor => comparison('eq', input, other, unsupported);
/** 1 where input ≠ other, else 0 (torch.ne), as F.gt; NaN gives 1. */
export const ne = (input: Tensor, other: Tensor | number, ...unsupported: never[]): Tensor => comparison('ne', input, other, unsupported);

/** 1 where both are true (nonzero, NaN too), else 0 (torch.logical_and; PyTorch's is a bool tensor, this its .float()), broadcast as F.add; other a tensor or a number. No gradient. */
export const logicalAnd = (input: Tensor, other: Tensor | number, ...unsupported: never[]): Tensor => comparison('logicalAnd', input, other, unsupported);
/** 1 where either is true (nonzero), else 0 (torch.logical_or), as F.logicalAnd. */
export const logicalOr = (input: Tensor, other: Tensor | number, ...unsupported: never[]): Tensor => comparison('logicalOr', input, other, unsupported);
/** 1 where exactly one is true (nonzero), else 0 (torch.logical_xor), as F.logicalAnd. */
export const logicalXor = (input: Tensor, other: Tensor | number, ...unsupported: never[]): Tensor => comparison('logicalXor', input, other, unsupported);
/** 1 where input is 0 (±0), else 0 (torch.logical_not; NaN is true, so gives 0). No gradient. */
export function logicalNot(input: Tensor, ...unsupported: never[]): Tensor {
  return comparison('logicalNot', input, 0, unsupported);
}

/**
 * input where condition is nonzero, else other (torch.where): condition a mask (F.gt's, or any f32
 * tensor), other a tensor or a number (±∞ too), the three broadcast together. It picks, so an ∞ or
 * NaN on the side not picked reaches neither the output nor where's gradient; each side's gradient is
 * dy where it was picked. (A NaN made by an op before it, sqrt of a negative, still reaches that op's
 * input through its own gradient, as in PyTorch.)
 */
export function where(condition: Tensor, input: Tensor, other: Tensor | number, ...unsupported: never[]): Tensor {
  expectOperand('where', 'condition', condition, false);
  if (typeof input === 'number') throw new Error(`where: argument 'input' expected a Tensor, got the number ${input}; F.where(F.sub(1, condition), other, ${input}) puts a number on that side`);
  expectOperand('where', 'input', input, false);
  expectOperand('where', 'other', other, true);
  if (unsupported.length) throw new Error(`where: takes condition, input and other, got ${extraArguments(unsupported)} too`);
  const { operands: [c, a, b], shape, copies } = broadcastAll('where', [condition, input, other]);
  const y = output(input.gpu, shape, 'where');
  whereKernel(c as Tensor, a as Tensor, b!, y);
  y.companions.push(...copies);
  const sides = typeof b === 'number' ? [a as Tensor] : [a as Tensor, b!];
  if (needsGrad(sides)) record({ name: 'where', inputs: sides, output: y, saved: [c as Tensor], backward: gradients.where(c as Tensor, a as Tensor, typeof b === 'number' ? null : b!, y) });
  return y;
}

// ── composed from the ops above: var, std, logsumexp, layer norm, BCE with logits, SiLU, softplus, ELU ──
// Each is a few F ops inside composite(): their intermediates are the output's companions, kept for
// its backward and freed with it, and the gradient is the ops' own (no new kernel, no new rule).

/** A reduction's dims as dimsOf() reads them, every one when left out. */
const reductionDims = (op: string, x: Tensor, dim: number | readonly number[] | undefined): number[] => (dim === undefined ? [...x.shape.keys()] : dimsOf(op, x, dim));

export interface VarianceOptions {
  /** Bessel's correction: divide by n − correction (PyTorch's default 1). */
  correction?: number;
  /** PyTorch's older spelling: true is correction 1, false 0. */
  unbiased?: boolean;
  keepdim?: boolean;
}

function variance(op: 'var' | 'std', x: Tensor, dim: number | readonly number[] | undefined, options: VarianceOptions): Tensor {
  expectInput(op, x);
  const o = normalizeOptions(op, options, ['correction', 'unbiased', 'keepdim']) as VarianceOptions;
  expectFlag(op, 'unbiased', o.unbiased);
  expectFlag(op, 'keepdim', o.keepdim);
  if (o.unbiased !== undefined && o.correction !== undefined) throw new Error(`${op}: give 'correction' or 'unbiased', not both`);
  const correction = o.correction ?? (o.unbiased === false ? 0 : 1);
  if (!Number.isInteger(correction) || correction < 0) throw new Error(`${op}: argument 'correction' expected an integer ≥ 0, got ${show(correction)}`);
  const dims = reductionDims(op, x, dim);
  const n = dims.reduce((p, d) => p * x.shape[d]!, 1);
  if (n - correction <= 0) throw new Error(`${op}: ${n} element${n > 1 ? 's' : ''} over dims [${dims.join(', ')}] of ${shapeText(x.shape)} with correction ${correction} leave no degrees of freedom (PyTorch gives nan or inf there); pass { correction: 0 } for the population ${op === 'var' ? 'variance' : 'deviation'}`);
  return composite(() => {
    const d = sub(x, mean(x, dims, true));
    const v = mul(sum(mul(d, d), dims, o.keepdim ?? false), 1 / (n - correction));
    if (op === 'var') return v;
    // √v's gradient is ∞ at v = 0 (a constant slice): PyTorch's std gives 0 there, so √ reads 1
    // instead of 0 where v = 0 and the 0 is put back after, keeping ∞ · 0 out of the gradient.
    const positive = gt(v, 0);
    return where(positive, sqrt(where(positive, v, 1)), 0);
  });
}

/** The variance over `dim` (torch.var): Σ(x − mean)² / (n − correction), correction 1 by default; every dimension when dim is left out. */
export const variance_ = (x: Tensor, dim?: number | readonly number[], options: VarianceOptions = {}): Tensor => variance('var', x, dim, options);
export { variance_ as var };

/** The standard deviation over `dim` (torch.std): √var, as F.var. */
export const std = (x: Tensor, dim?: number | readonly number[], options: VarianceOptions = {}): Tensor => variance('std', x, dim, options);

/**
 * log Σ exp(x) over `dim` (torch.logsumexp), shifted by the max (taken without a gradient, and 0
 * where it is ±∞, as PyTorch's) so exp cannot overflow; its gradient is softmax(x)·dy.
 */
export function logsumexp(x: Tensor, dim: number | readonly number[], keepdim = false, ...unsupported: never[]): Tensor {
  expectInput('logsumexp', x);
  if (dim === undefined) throw new Error(`logsumexp: argument 'dim' is required (PyTorch's too): F.logsumexp(x, ${x.shape.length - 1})`);
  if (unsupported.length) throw new Error(`logsumexp: takes input, dim and keepdim, got ${extraArguments(unsupported)} too`);
  expectFlag('logsumexp', 'keepdim', keepdim);
  const dims = reductionDims('logsumexp', x, dim);
  return composite(() => {
    const shift = withoutGrad(() => {
      const top = amax(x, dims, true);
      return where(lt(abs(top), Infinity), top, 0);
    });
    const total = log(sum(exp(sub(x, shift)), dims, keepdim));
    return add(total, keepdim ? shift : reshape(shift, total.shape));
  });
}

/**
 * Layer normalisation over the last dimensions, `normalizedShape` (F.layer_norm): (x − mean) /
 * √(var + eps), the biased variance, then · weight + bias (each of normalizedShape, optional). One
 * kernel each way (shaders/layer_norm.wgsl); each row's mean and 1/√(var + eps) are kept with the
 * output for its backward, as PyTorch's.
 */
export function layerNorm(x: Tensor, normalizedShape: readonly number[], weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5, ...unsupported: never[]): Tensor {
  expectInput('layerNorm', x);
  if (unsupported.length) throw new Error(`layerNorm: takes input, normalized_shape, weight, bias and eps, got ${extraArguments(unsupported)} too`);
  if (!Array.isArray(normalizedShape) || !normalizedShape.length || !normalizedShape.every((d) => Number.isInteger(d) && d > 0)) throw new Error(`layerNorm: argument 'normalized_shape' expected a non-empty list of sizes, got ${show(normalizedShape)}`);
  const k = normalizedShape.length;
  const trailing = x.shape.slice(-k);
  if (x.shape.length < k || trailing.join() !== normalizedShape.join()) throw new Error(`layerNorm: Given normalized_shape=${shapeText(normalizedShape)}, expected input with shape [*, ${normalizedShape.join(', ')}], but got input of size ${shapeText(x.shape)}`);
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t === null) continue;
    expectOperand('layerNorm', name, t, false);
    expectShape('layerNorm', name, t, normalizedShape);
  }
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) throw new Error(`layerNorm: argument 'eps' expected a number > 0, got ${show(eps)}`);
  const N = normalizedShape.reduce((a, b) => a * b, 1);
  const rows = x.size / N;
  const y = output(x.gpu, x.shape, 'layerNorm');
  const args: LayerNormArgs = { N, eps, weight, bias, mean: output(x.gpu, [rows], 'layerNorm mean'), rstd: output(x.gpu, [rows], 'layerNorm rstd') };
  layerNormKernel(x, y, args);
  y.companions.push(args.mean, args.rstd);
  const inputs = [x, weight, bias].filter((t): t is Tensor => t !== null);
  if (needsGrad(inputs)) record({ name: 'layerNorm', inputs, output: y, saved: [args.mean, args.rstd], backward: gradients.layerNorm(x, args) });
  return y;
}

/**
 * Each group of `per` consecutive values of x normalised to mean 0 and variance 1 (the layer-norm
 * kernel over rows of `per`, no affine), output in x's shape: group and instance norm's core.
 */
function normalizedRows(op: string, x: Tensor, per: number, eps: number): Tensor {
  const y = output(x.gpu, x.shape, op);
  const rows = x.size / per;
  const args: LayerNormArgs = { N: per, eps, weight: null, bias: null, mean: output(x.gpu, [rows], `${op} mean`), rstd: output(x.gpu, [rows], `${op} rstd`) };
  layerNormKernel(x, y, args);
  y.companions.push(args.mean, args.rstd);
  if (needsGrad([x])) record({ name: op, inputs: [x], output: y, saved: [args.mean, args.rstd], backward: gradients.layerNorm(x, args) });
  return y;
}

/**
 * torch.nn.functional.local_response_norm(x, size, alpha=1e-4, beta=0.75, k=1.0) (AlexNet's): each
 * value divided by (k + α · the mean of x² over `size` neighbouring channels)^β, the window centred
 * as PyTorch's (size//2 before, (size − 1)//2 after, zeros past the ends, counted in the mean).
 * Composed as PyTorch's: x² laid out [N, 1, C, rest], padded along C, average-pooled (size × 1).
 */
export function localResponseNorm(x: Tensor, size: number, options: { alpha?: number; beta?: number; k?: number } = {}): Tensor {
  const op = 'localResponseNorm';
  expectInput(op, x);
  if (!Number.isInteger(size) || size < 1) throw new Error(`${op}: argument 'size' expected a positive integer, got ${show(size)}`);
  const o = normalizeOptions(op, options, ['alpha', 'beta', 'k']) as { alpha?: number; beta?: number; k?: number };
  const { alpha = 1e-4, beta = 0.75, k = 1 } = o;
  for (const [name, v] of [['alpha', alpha], ['beta', beta], ['k', k]] as const) if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${op}: argument '${name}' expected a finite number, got ${show(v)}`);
  if (x.shape.length < 3) throw new Error(`${op}: Expected 3D or higher dimensionality input (got ${x.shape.length} dimensions)`);
  const [N, C] = x.shape as [number, number];
  const rest = x.size / (N * C);
  return composite(() => {
    const squares = reshape(mul(x, x), [N, 1, C, rest]);
    const padded = pad(squares, [0, 0, Math.floor(size / 2), Math.floor((size - 1) / 2)]);
    const mean = reshape(avgPool2d(padded, [size, 1], { stride: 1 }), x.shape);
    return div(x, pow(add(mul(mean, alpha), k), beta));
  });
}

/**
 * torch.nn.functional.group_norm(input, num_groups, weight=None, bias=None, eps=1e-5): x [N, C, *]
 * normalised over each sample's groups of C / num_groups channels (all their positions), then
 * weight and bias per channel. The normalisation is layer_norm.wgsl's over those contiguous rows.
 */
export function groupNorm(x: Tensor, numGroups: number, weight: Tensor | null = null, bias: Tensor | null = null, eps = 1e-5, ...unsupported: never[]): Tensor {
  const op = 'groupNorm';
  expectInput(op, x);
  if (unsupported.length) throw new Error(`${op}: takes input, num_groups, weight, bias and eps, got ${extraArguments(unsupported)} too`);
  if (x.shape.length < 2) throw new Error(`${op}: input expected [N, C, *], got ${shapeText(x.shape)}`);
  const C = x.shape[1]!;
  if (!Number.isInteger(numGroups) || numGroups < 1 || C % numGroups !== 0) throw new Error(`${op}: Expected number of channels in input to be divisible by num_groups, but got input of shape ${shapeText(x.shape)} and num_groups=${show(numGroups)}`);
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t === null) continue;
    expectOperand(op, name, t, false);
    expectShape(op, name, t, [C]);
  }
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) throw new Error(`${op}: argument 'eps' expected a number > 0, got ${show(eps)}`);
  const channel = [C, ...x.shape.slice(2).map(() => 1)];
  return composite(() => {
    let y = normalizedRows(op, x, x.size / (x.shape[0]! * numGroups), eps);
    if (weight) y = mul(y, reshape(weight, channel));
    if (bias) y = add(y, reshape(bias, channel));
    return y;
  });
}

/**
 * torch.nn.functional.instance_norm(input, weight=None, bias=None, eps=1e-5) without running
 * statistics: each sample's channel normalised over its positions (group norm with a group per channel).
 */
export function instanceNorm(x: Tensor, options: { weight?: Tensor | null; bias?: Tensor | null; eps?: number; runningMean?: null; running_mean?: null; runningVar?: null; running_var?: null; useInputStats?: true; use_input_stats?: true; momentum?: number } = {}): Tensor {
  const o = normalizeOptions('instanceNorm', options, ['weight', 'bias', 'eps', 'momentum'], { running_mean: 'runningMean', running_var: 'runningVar', use_input_stats: 'useInputStats' }, { runningMean: null, runningVar: null, useInputStats: true }) as { weight?: Tensor | null; bias?: Tensor | null; eps?: number };
  expectInput('instanceNorm', x);
  if (x.shape.length < 3) throw new Error(`instanceNorm: input expected [N, C, *] with positions, got ${shapeText(x.shape)}`);
  return groupNorm(x, x.shape[1]!, o.weight ?? null, o.bias ?? null, o.eps ?? 1e-5);
}

// ── more activations, composed: hardtanh, relu6, hardsigmoid, hardswish, mish, prelu ──────────────

/**
 * torch.nn.functional.hardtanh(x, min_val=-1, max_val=1): x clamped, its gradient dy strictly
 * inside (min, max) and 0 at the bounds, as PyTorch's (F.clamp's keeps it at the bounds).
 */
export function hardtanh(x: Tensor, minVal = -1, maxVal = 1, ...unsupported: never[]): Tensor {
  const op = 'hardtanh';
  expectInput(op, x);
  if (unsupported.length) throw new Error(`${op}: takes input, min_val and max_val, got ${extraArguments(unsupported)} too`);
  if (typeof minVal !== 'number' || typeof maxVal !== 'number' || !(minVal <= maxVal)) throw new Error(`${op}: min_val (${show(minVal)}) must be a number ≤ max_val (${show(maxVal)})`);
  return composite(() => where(logicalAnd(gt(x, minVal), lt(x, maxVal)), x, clamp(x.detach(), minVal, maxVal)));
}

/** torch.nn.functional.relu6(x) = hardtanh(x, 0, 6). */
export const relu6 = (x: Tensor): Tensor => hardtanh(x, 0, 6);

/** torch.nn.functional.hardsigmoid(x) = relu6(x + 3) / 6: gradient 1/6 strictly inside (−3, 3). */
export function hardsigmoid(x: Tensor): Tensor {
  expectInput('hardsigmoid', x);
  // (x + 3)/6 as PyTorch's: x/6 + ½ cancels near −3 (3.6e-2 off at −2.999997), x + 3 does not.
  return composite(() => hardtanh(div(add(x, 3), 6), 0, 1));
}

/**
 * torch.nn.functional.hardswish(x) = x · relu6(x + 3) / 6, with PyTorch's gradient at the bounds:
 * x/3 + ½ on [−3, 3), 1 from 3 on, 0 below −3.
 */
export function hardswish(x: Tensor): Tensor {
  expectInput('hardswish', x);
  return composite(() => where(ge(x, -3), where(ge(x, 3), x, mul(mul(x, add(x, 3)), 1 / 6)), 0));
}

/** torch.nn.functional.mish(x) = x · tanh(softplus(x)). */
export function mish(x: Tensor): Tensor {
  expectInput('mish', x);
  return composite(() => mul(x, tanh(softplus(x))));
}

/**
 * torch.nn.functional.prelu(x, weight): x where x > 0, weight · x elsewhere; weight has one value,
 * or one per channel (dimension 1 of x).
 */
export function prelu(x: Tensor, weight: Tensor, ...unsupported: never[]): Tensor {
  const op = 'prelu';
  expectInput(op, x);
  expectOperand(op, 'weight', weight, false);
  if (unsupported.length) throw new Error(`${op}: takes input and weight, got ${extraArguments(unsupported)} too`);
  const channels = x.shape.length >= 2 ? x.shape[1]! : 1;
  if (weight.shape.length !== 1 || (weight.shape[0] !== 1 && weight.shape[0] !== channels)) throw new Error(`${op}: Mismatch of parameter numbers and input channel size. Found parameter numbers = ${weight.size} and channel size = ${channels} (input ${shapeText(x.shape)})`);
  const slope = weight.shape[0] === 1 || x.shape.length < 2 ? weight : reshape(weight, [channels, ...x.shape.slice(2).map(() => 1)]);
  return composite(() => where(gt(x, 0), x, mul(x, slope)));
}

// ── the rest of the common activations, composed: logsigmoid … hardshrink ─────────────────────────

/**
 * torch.nn.functional.logsigmoid(x) = ln σ(x) = −softplus(−x): softplus's threshold keeps it finite
 * (x = −100 gives −100, x = 100 gives −0, never −∞), its gradient σ(−x) everywhere, ½ at 0 as
 * PyTorch's (min(x, 0) − ln(1 + e^−|x|) would give 1 there, through the kinks of min and |x|).
 */
export function logsigmoid(x: Tensor, ...unsupported: never[]): Tensor {
  expectInput('logsigmoid', x);
  if (unsupported.length) throw new Error(`logsigmoid: takes input only, got ${extraArguments(unsupported)} too`);
  return composite(() => mul(softplus(mul(x, -1)), -1));
}

/** torch.nn.functional.softsign(x) = x / (1 + |x|), PyTorch's own composition (gradient 1 at 0). */
export function softsign(x: Tensor, ...unsupported: never[]): Tensor {
  expectInput('softsign', x);
  if (unsupported.length) throw new Error(`softsign: takes input only, got ${extraArguments(unsupported)} too`);
  return composite(() => div(x, add(abs(x), 1)));
}

// SELU's constants, PyTorch's (Klambauer et al. 2017).
const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/**
 * torch.nn.functional.selu(x) = scale · x above 0, scale · α · (e^x − 1) at and below (PyTorch's
 * constants; α · scale one coefficient, as PyTorch's kernel rounds it), gradient scale · α at 0.
 */
export function selu(x: Tensor, ...unsupported: never[]): Tensor {
  expectInput('selu', x);
  if (unsupported.length) throw new Error(`selu: takes input only, got ${extraArguments(unsupported)} too (inplace is not supported)`);
  // exp's argument clamped at 0, as F.elu's: e^x on the side not picked must not be ∞.
  return composite(() => where(gt(x, 0), mul(x, SELU_SCALE), mul(expm1(clamp(x, null, 0)), SELU_ALPHA * SELU_SCALE)));
}

/** CELU's alpha (finite, not 0), or an Error naming `where`. */
export function expectCeluAlpha(where: string, alpha: unknown): void {
  if (alpha !== null && typeof alpha === 'object' && 'alpha' in alpha) throw new Error(`${where}: alpha comes first, as PyTorch's positional argument: new nn.CELU(${show((alpha as { alpha: unknown }).alpha)}, { gpu }) or F.celu(x, ${show((alpha as { alpha: unknown }).alpha)})`);
  if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha === 0) throw new Error(`${where}: argument 'alpha' expected a finite number other than 0 (PyTorch: "ZeroDivisionError: alpha cannot be 0 for CELU"), got ${show(alpha)}`);
}

/** torch.nn.functional.celu(x, alpha=1) = x above 0, α · (e^(x/α) − 1) at and below; gradient e^(x/α) there (1 at 0). */
export function celu(x: Tensor, alpha = 1, ...unsupported: never[]): Tensor {
  expectInput('celu', x);
  if (unsupported.length) throw new Error(`celu: takes input and alpha, got ${extraArguments(unsupported)} too (inplace is not supported)`);
  expectCeluAlpha('celu', alpha);
  // x clamped before the division, so the side not picked reads e^0; x · (1/α) as PyTorch's kernel.
  return composite(() => where(gt(x, 0), x, mul(expm1(mul(clamp(x, null, 0), 1 / alpha)), alpha)));
}

/** torch.nn.functional.glu(x, dim=-1) = a · σ(b), a the first half of x along dim and b the second. */
export function glu(x: Tensor, dim = -1, ...unsupported: never[]): Tensor {
  expectInput('glu', x);
  if (unsupported.length) throw new Error(`glu: takes input and dim, got ${extraArguments(unsupported)} too`);
  const d = dimension('glu', 'dim', dim, x.shape);
  if (x.shape[d]! % 2 !== 0) throw new Error(`glu: Halving dimension must be even, but dimension ${d} is size ${x.shape[d]} (input ${shapeText(x.shape)})`);
  return composite(() => {
    const [a, b] = chunk(x, 2, d) as [Tensor, Tensor];
    return mul(a, sigmoid(b));
  });
}

/** torch.nn.functional.softmin(x, dim) = softmax(−x, dim); dim is required (PyTorch's None guesses one, with a warning). */
export function softmin(x: Tensor, dim: number, ...unsupported: never[]): Tensor {
  expectInput('softmin', x);
  if (unsupported.length) throw new Error(`softmin: takes input and dim, got ${extraArguments(unsupported)} too`);
  dimension('softmin', 'dim', dim, x.shape);
  return composite(() => softmax(mul(x, -1), dim));
}

/**
 * torch.nn.functional.threshold(x, threshold, value): x where x > threshold, else value; the
 * gradient dy where x > threshold, 0 at it. A NaN passes through, as PyTorch's (its test is x ≤ threshold).
 */
export function threshold(x: Tensor, threshold: number, value: number, ...unsupported: never[]): Tensor {
  const op = 'threshold';
  expectInput(op, x);
  if (unsupported.length) throw new Error(`${op}: takes input, threshold and value, got ${extraArguments(unsupported)} too (inplace is not supported)`);
  for (const [name, v] of [['threshold', threshold], ['value', value]] as const) if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`${op}: argument '${name}' expected a number (±∞ included), got ${show(v)}`);
  return composite(() => where(logicalNot(le(x, threshold)), x, value));
}

/** torch.nn.functional.tanhshrink(x) = x − tanh(x). */
export function tanhshrink(x: Tensor, ...unsupported: never[]): Tensor {
  expectInput('tanhshrink', x);
  if (unsupported.length) throw new Error(`tanhshrink: takes input only, got ${extraArguments(unsupported)} too`);
  return composite(() => sub(x, tanh(x)));
}

/** The shrinks' lambd (finite; softshrink's ≥ 0, PyTorch's check), or an Error naming `where`. */
export function expectLambd(where: string, lambd: unknown, nonNegative: boolean): void {
  if (typeof lambd !== 'number' || !Number.isFinite(lambd)) throw new Error(`${where}: argument 'lambd' expected a finite number, got ${show(lambd)}`);
  if (nonNegative && lambd < 0) throw new Error(`${where}: lambda must be greater or equal to 0, but found to be ${lambd}.`);
}

/**
 * torch.nn.functional.softshrink(x, lambd=0.5) = x − λ above λ, x + λ below −λ, 0 between: x −
 * clamp(x, −λ, λ), whose gradient is 0 on [−λ, λ], bounds included, as PyTorch's (clamp's passes there).
 */
export function softshrink(x: Tensor, lambd = 0.5, ...unsupported: never[]): Tensor {
  expectInput('softshrink', x);
  if (unsupported.length) throw new Error(`softshrink: takes input and lambd, got ${extraArguments(unsupported)} too`);
  expectLambd('softshrink', lambd, true);
  return composite(() => sub(x, clamp(x, -lambd, lambd)));
}

/** torch.nn.functional.hardshrink(x, lambd=0.5) = x where |x| > λ, else 0; gradient 0 at ±λ, NaN passed through, as PyTorch's. */
export function hardshrink(x: Tensor, lambd = 0.5, ...unsupported: never[]): Tensor {
  expectInput('hardshrink', x);
  if (unsupported.length) throw new Error(`hardshrink: takes input and lambd, got ${extraArguments(unsupported)} too`);
  expectLambd('hardshrink', lambd, false);
  return composite(() => where(logicalNot(le(abs(x), lambd)), x, 0));
}

// ── vector norms and distances: normalize, cosine similarity, pairwise distance ────────────────────

/** p for a vector norm: a number ≥ 1 or Infinity (PyTorch's p < 1 is not supported), or an Error naming it. */
function expectNormOrder(op: string, p: unknown, what = 'option'): number {
  if (typeof p !== 'number' || !(p >= 1)) throw new Error(`${op}: ${what} 'p' expected a number ≥ 1 or Infinity, got ${show(p)}${typeof p === 'number' && p >= 0 && p < 1 ? ' (p < 1 is not supported)' : ''}`);
  return p;
}

/**
 * The p-norm of x over dimension d (or several): Σ|x|, (Σ|x|^p)^(1/p), max |x|. Its gradient is
 * PyTorch's norm's: sign(x) for p = 1, shared among the ties for ∞, and 0 (not ∞ · 0 = NaN) for a
 * zero vector: the root reads 1 where the sum is 0 and the 0 is put back after, as F.std's.
 */
function vectorNorm(x: Tensor, p: number, d: number | readonly number[], keepdim: boolean): Tensor {
  if (p === Infinity) return amax(abs(x), d, keepdim);
  if (p === 1) return sum(abs(x), d, keepdim);
  const s = sum(p === 2 ? mul(x, x) : pow(abs(x), p), d, keepdim);
  const positive = gt(s, 0);
  const kept = where(positive, s, 1);
  return where(positive, p === 2 ? sqrt(kept) : pow(kept, 1 / p), 0);
}

/**
 * The p-norm of x (torch.norm(x, p, dim, keepdim), torch.linalg.vector_norm(x, ord, dim, keepdim)):
 * over every element ([1]) or over dim (one or a list), keepdim as F.sum's; p = 2 by default ('fro'
 * is 2), 1, any p above, or Infinity. Composed, with PyTorch's gradient (vectorNorm): 0 for a zero
 * vector, shared among the ties for ∞.
 */
export function norm(x: Tensor, p: number | 'fro' = 2, dim?: number | readonly number[], keepdim = false, ...unsupported: never[]): Tensor {
  const op = 'norm';
  expectInput(op, x);
  if (unsupported.length) throw new Error(`${op}: takes input, p, dim and keepdim, got ${extraArguments(unsupported)} too (dtype is not supported)`);
  const order = expectNormOrder(op, p === 'fro' ? 2 : p, 'argument');
  if (typeof keepdim !== 'boolean') throw new Error(`${op}: argument 'keepdim' expected true or false, got ${show(keepdim)}`);
  if (dim === undefined && keepdim) throw new Error(`${op}: keepdim needs dim (F.norm(x, 2, [0, 1], true)); without dim every element is reduced to [1]`);
  const dims = dim === undefined ? x.shape.map((_, i) => i) : dimsOf(op, x, dim);
  return composite(() => vectorNorm(x, order, dims, keepdim));
}

export interface NormalizeOptions {
  /** The norm's order: 2 (default), 1, any number above, or Infinity. */
  p?: number;
  dim?: number;
  /** The smallest divisor (PyTorch's 1e-12): a zero vector stays 0, its gradient dy / eps. */
  eps?: number;
}

/**
 * torch.nn.functional.normalize(x, p=2, dim=1, eps=1e-12) = x / max(‖x‖_p, eps) along dim (PyTorch's
 * formula; clamp's gradient 0 below eps, so a zero vector's gradient is dy / eps, as PyTorch's).
 */
export function normalize(x: Tensor, options: NormalizeOptions = {}, ...unsupported: never[]): Tensor {
  const op = 'normalize';
  expectInput(op, x);
  if (unsupported.length) throw new Error(`${op}: takes input and options { p, dim, eps }, got ${extraArguments(unsupported)} too`);
  const o = normalizeOptions(op, options, ['p', 'dim', 'eps']) as NormalizeOptions;
  const p = expectNormOrder(op, o.p ?? 2);
  const d = dimension(op, 'dim', o.dim ?? 1, x.shape);
  const eps = o.eps ?? 1e-12;
  if (typeof eps !== 'number' || !(eps >= 0)) throw new Error(`${op}: option 'eps' expected a number ≥ 0, got ${show(eps)}`);
  return composite(() => div(x, clamp(vectorNorm(x, p, d, true), eps, null)));
}

/** Both operands as the shape they broadcast to (copies only where they differ from it). */
function broadcastPair(op: string, x1: Tensor, x2: Tensor): [Tensor, Tensor] {
  const shape = broadcastShape(op, x1.shape, x2.shape);
  const spread = (t: Tensor) => (t.shape.join() === shape.join() ? t : expand(t, shape));
  return [spread(x1), spread(x2)];
}

/**
 * torch.nn.functional.cosine_similarity(x1, x2, dim=1, eps=1e-8) = Σ (x1 / c1) · (x2 / c2) along dim,
 * c = max(‖x‖, eps) for each operand on its own, after broadcasting them (PyTorch 1.13's formula, so
 * |y| ≤ 1; not x1 · x2 / max(‖x1‖ · ‖x2‖, eps)). 1.13 clamps the norms without a gradient and its
 * norm's backward then divides by the clamped value, so the gradient of x / c is dy / c − (Σ dy · x)
 * x / c³. Written here as x/c − (x/c) · (s − ŝ)/(2c²), s = Σ x² and ŝ its detached copy: that term
 * is exactly 0 and its gradient is the norm's. A zero vector's gradient is x2/c2 · dy / eps, as PyTorch's.
 */
export function cosineSimilarity(x1: Tensor, x2: Tensor, options: { dim?: number; eps?: number } = {}, ...unsupported: never[]): Tensor {
  const op = 'cosineSimilarity';
  expectOperand(op, 'x1', x1, false);
  expectOperand(op, 'x2', x2, false);
  if (unsupported.length) throw new Error(`${op}: takes x1, x2 and options { dim, eps }, got ${extraArguments(unsupported)} too`);
  const o = normalizeOptions(op, options, ['dim', 'eps']) as { dim?: number; eps?: number };
  const eps = o.eps ?? 1e-8;
  if (typeof eps !== 'number' || !(eps > 0)) throw new Error(`${op}: option 'eps' expected a number > 0, got ${show(eps)}`);
  const d = dimension(op, 'dim', o.dim ?? 1, broadcastShape(op, x1.shape, x2.shape));
  return composite(() => {
    const unit = (x: Tensor) => {
      const s = sum(mul(x, x), d, true);
      const c = withoutGrad(() => clamp(sqrt(s), eps, null));
      const u = div(x, c);
      // s − s.detach() is 0 with s's gradient; where Σx² overflowed to ∞ it would be ∞ − ∞ = NaN, and
      // PyTorch gives 0 there (x/∞), so the term is 0 without a gradient.
      const zero = where(withoutGrad(() => lt(s, Infinity)), sub(s, s.detach()), 0);
      return sub(u, mul(u, div(mul(zero, 0.5), mul(c, c))));
    };
    const [a, b] = broadcastPair(op, x1, x2);
    return sum(mul(unit(a), unit(b)), d);
  });
}

export interface PairwiseDistanceOptions {
  /** The norm's order: 2 (default), 1, any number above, or Infinity. */
  p?: number;
  /** Added to x1 − x2 (PyTorch's 1e-6), so equal vectors are eps · n^(1/p) apart, not 0. */
  eps?: number;
  keepdim?: boolean;
}

/**
 * torch.nn.functional.pairwise_distance(x1, x2, p=2, eps=1e-6, keepdim=False) = ‖x1 − x2 + eps‖_p
 * over the last dimension of their broadcast shape (PyTorch 1.13's formula); the norm's gradient as
 * F.normalize's (0 where x1 − x2 + eps is exactly 0). Two vectors [D] give a [1] tensor (PyTorch: []).
 */
export function pairwiseDistance(x1: Tensor, x2: Tensor, options: PairwiseDistanceOptions = {}, ...unsupported: never[]): Tensor {
  const op = 'pairwiseDistance';
  expectOperand(op, 'x1', x1, false);
  expectOperand(op, 'x2', x2, false);
  if (unsupported.length) throw new Error(`${op}: takes x1, x2 and options { p, eps, keepdim }, got ${extraArguments(unsupported)} too`);
  const o = normalizeOptions(op, options, ['p', 'eps', 'keepdim']) as PairwiseDistanceOptions;
  const p = expectNormOrder(op, o.p ?? 2);
  const eps = o.eps ?? 1e-6;
  if (typeof eps !== 'number' || !Number.isFinite(eps)) throw new Error(`${op}: option 'eps' expected a finite number, got ${show(eps)}`);
  expectFlag(op, 'keepdim', o.keepdim);
  const last = broadcastShape(op, x1.shape, x2.shape).length - 1;
  return composite(() => vectorNorm(add(sub(x1, x2), eps), p, last, o.keepdim ?? false));
}

// ── pixel shuffle: depth to space and back ──────────────────────────────────────────────────────────

/** torch.nn.functional.pixel_shuffle(x, r): [*, C·r², H, W] → [*, C, H·r, W·r] (a permuted copy; the result a view of it). */
export function pixelShuffle(x: Tensor, upscaleFactor: number): Tensor {
  const op = 'pixelShuffle';
  expectInput(op, x);
  const r = expectInteger(op, 'upscale_factor', upscaleFactor);
  if (r < 1) throw new Error(`${op}: upscale_factor expected a positive integer, got ${r}`);
  if (x.shape.length < 3 || x.shape.at(-3)! % (r * r) !== 0) throw new Error(`${op}: pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input.size(-3)=${x.shape.at(-3)} is not divisible by ${r * r} (input ${shapeText(x.shape)})`);
  const lead = x.shape.slice(0, -3);
  const [C, H, W] = [x.shape.at(-3)! / (r * r), x.shape.at(-2)!, x.shape.at(-1)!];
  const k = lead.length;
  // [*, C, r, r, H, W] → [*, C, H, r, W, r], copied, then seen as [*, C, H·r, W·r] (a view of that copy).
  const moved = permute(reshape(x, [...lead, C, r, r, H, W]), [...lead.keys(), k, k + 3, k + 1, k + 4, k + 2]);
  return unmarkViewCopy(reshape(unmarkViewCopy(moved), [...lead, C, H * r, W * r])); // PyTorch's is a new tensor too
}

/** torch.nn.functional.pixel_unshuffle(x, r): [*, C, H·r, W·r] → [*, C·r², H, W] (a permuted copy; the result a view of it). */
export function pixelUnshuffle(x: Tensor, downscaleFactor: number): Tensor {
  const op = 'pixelUnshuffle';
  expectInput(op, x);
  const r = expectInteger(op, 'downscale_factor', downscaleFactor);
  if (r < 1) throw new Error(`${op}: downscale_factor expected a positive integer, got ${r}`);
  if (x.shape.length < 3 || x.shape.at(-2)! % r !== 0 || x.shape.at(-1)! % r !== 0) throw new Error(`${op}: pixel_unshuffle expects height and width to be divisible by downscale_factor, but input ${shapeText(x.shape)} is not with downscale_factor=${r}`);
  const lead = x.shape.slice(0, -3);
  const [C, H, W] = [x.shape.at(-3)!, x.shape.at(-2)! / r, x.shape.at(-1)! / r];
  const k = lead.length;
  // [*, C, H, r, W, r] → [*, C, r, r, H, W], copied, then seen as [*, C·r², H, W].
  const moved = permute(reshape(x, [...lead, C, H, r, W, r]), [...lead.keys(), k, k + 2, k + 4, k + 1, k + 3]);
  return unmarkViewCopy(reshape(unmarkViewCopy(moved), [...lead, C * r * r, H, W])); // PyTorch's is a new tensor too
}

export interface AttentionOptions {
  /** Added to the scores before the softmax, broadcast over them ([L, S], or with batch dimensions): 0 to attend, −∞ to mask. */
  attnMask?: Tensor | null;
  attn_mask?: Tensor | null;
  /** Each query attends to the keys up to its own position (a lower-triangular mask). */
  isCausal?: boolean;
  is_causal?: boolean;
  /** The scores' factor; default 1/√E (E the queries' last size). */
  scale?: number | null;
  /** Only 0: attention dropout is not supported. */
  dropoutP?: number;
  dropout_p?: number;
}

/**
 * softmax(q · kᵀ · scale + mask) · v (F.scaled_dot_product_attention, PyTorch 2's): q [..., L, E],
 * k [..., S, E], v [..., S, Ev] → [..., L, Ev]; the leading dimensions broadcast as F.matmul's.
 * Composed of F.matmul, F.mul, F.add and F.softmax: their intermediates are the output's companions.
 * PyTorch's boolean attn_mask (True attends) is F.where(mask, 0, -Infinity) here: our masks are f32.
 */
export function scaledDotProductAttention(query: Tensor, key: Tensor, value: Tensor, options: AttentionOptions = {}, ...unsupported: never[]): Tensor {
  const op = 'scaledDotProductAttention';
  for (const [name, t] of [['query', query], ['key', key], ['value', value]] as const) {
    expectOperand(op, name, t, false);
    if (t.shape.length < 2) throw new Error(`${op}: argument '${name}' expected 2 or more dimensions ([..., L, E]), got ${shapeText(t.shape)}`);
  }
  if (options instanceof Tensor) throw new Error(`${op}: the mask goes in the options, F.scaledDotProductAttention(q, k, v, { attnMask }) (PyTorch's 4th argument, attn_mask)`);
  if (unsupported.length) throw new Error(`${op}: takes query, key, value and options, got ${extraArguments(unsupported)} too`);
  const o = normalizeOptions(op, options, ['attnMask', 'isCausal', 'scale', 'dropoutP'], { attn_mask: 'attnMask', is_causal: 'isCausal', dropout_p: 'dropoutP' }) as { attnMask?: Tensor | null; isCausal?: boolean; scale?: number | null; dropoutP?: number };
  expectFlag(op, 'isCausal', o.isCausal);
  const dropoutP = o.dropoutP ?? 0;
  expectDropoutP(op, 'dropout_p', dropoutP);
  const [L, E] = query.shape.slice(-2) as [number, number];
  const [S, Ek] = key.shape.slice(-2) as [number, number];
  if (Ek !== E) throw new Error(`${op}: query ${shapeText(query.shape)} and key ${shapeText(key.shape)} differ in their last size (${E} and ${Ek})`);
  if (value.shape.at(-2) !== S) throw new Error(`${op}: value ${shapeText(value.shape)} expected ${S} rows, one per key (${shapeText(key.shape)})`);
  if (o.attnMask && o.isCausal) throw new Error(`${op}: give attn_mask or is_causal, not both (as PyTorch)`);
  // The leading dimensions of query, key and value broadcast, and the mask over the scores [..., L, S]: said here, in the caller's shapes.
  const batches = [query, key, value].map((t) => t.shape.slice(0, -2));
  const scores = [...broadcastShapes(batches, () => `${op}: query ${shapeText(query.shape)}, key ${shapeText(key.shape)} and value ${shapeText(value.shape)}${LEADING_SIZES}`), L, S];
  if (o.attnMask) {
    expectOperand(op, 'attn_mask', o.attnMask, false);
    broadcastShapes([scores, o.attnMask.shape], () => `${op}: attn_mask ${shapeText(o.attnMask!.shape)} and the scores ${shapeText(scores)}${LEADING_SIZES}`);
  }
  const scale = o.scale ?? 1 / Math.sqrt(E);
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new Error(`${op}: argument 'scale' expected a finite number, got ${show(o.scale)}`);
  return composite(() => {
    let scores = mul(matmul(query, transpose(key, -2, -1)), scale);
    if (o.attnMask) scores = add(scores, o.attnMask);
    if (o.isCausal) scores = add(scores, causalMask(query.gpu, L, S));
    // PyTorch's dropout_p drops attention weights whenever it is given (no training flag).
    return matmul(dropout(softmax(scores, -1), dropoutP), value);
  });
}

/** An Error unless p is a probability of dropping, in [0, 1] (as F.dropout's). */
function expectDropoutP(op: string, name: string, p: unknown): void {
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`${op}: argument '${name}' expected a probability in [0, 1], got ${show(p)}`);
}

/** −∞ above the diagonal of [L, S] (query i sees keys 0 … i, PyTorch's tril of ones(L, S)): made once per Gpu and shape. */
const causalMasks = new WeakMap<Gpu, Map<string, Tensor>>();
function causalMask(gpu: Gpu, L: number, S: number): Tensor {
  const masks = causalMasks.get(gpu) ?? new Map<string, Tensor>();
  causalMasks.set(gpu, masks);
  let mask = masks.get(`${L}×${S}`);
  if (!mask) masks.set(`${L}×${S}`, (mask = Tensor.fromArray(gpu, Float32Array.from({ length: L * S }, (_, i) => (i % S > Math.floor(i / S) ? -Infinity : 0)), [L, S], 'f32', 'causal mask')));
  return mask;
}

export interface MultiHeadAttentionOptions {
  numHeads: number;
  /** [3E, E]: the query, key and value projections stacked (PyTorch's in_proj_weight). */
  inProjWeight: Tensor;
  inProjBias?: Tensor | null;
  /** [E, E] and [E]: the output projection (out_proj.weight, out_proj.bias). */
  outProjWeight: Tensor;
  outProjBias?: Tensor | null;
  /** Added to every head's scores: [L, S], or [N · heads, L, S] (PyTorch's float mask). */
  attnMask?: Tensor | null;
  /** [N, S]: a key whose entry is nonzero is left out of its sequence's attention (PyTorch's boolean mask, True for padding). */
  keyPaddingMask?: Tensor | null;
  /** Also return the attention weights (PyTorch's default), averaged over the heads unless averageAttnWeights is false. */
  needWeights?: boolean;
  averageAttnWeights?: boolean;
  /** Inputs [N, L, E] rather than PyTorch's default [L, N, E]. */
  batchFirst?: boolean;
  /** The probability of dropping each attention weight (after the softmax, before the values), while training. */
  dropoutP?: number;
  /** PyTorch's default true: dropout applies; false leaves the weights whole. */
  training?: boolean;
  /** The dropout mask's key and forward count (F.dropout's seed and step; nn.MultiheadAttention passes its own); default: the generator's next key. */
  dropoutSeed?: number;
  dropoutStep?: number;
}

const MHA_OPTIONS = ['numHeads', 'inProjWeight', 'inProjBias', 'outProjWeight', 'outProjBias', 'attnMask', 'keyPaddingMask', 'needWeights', 'averageAttnWeights', 'batchFirst', 'dropoutP', 'training', 'dropoutSeed', 'dropoutStep'];
const MHA_ALIASES = { num_heads: 'numHeads', in_proj_weight: 'inProjWeight', in_proj_bias: 'inProjBias', out_proj_weight: 'outProjWeight', out_proj_bias: 'outProjBias', attn_mask: 'attnMask', key_padding_mask: 'keyPaddingMask', need_weights: 'needWeights', average_attn_weights: 'averageAttnWeights', batch_first: 'batchFirst', dropout_p: 'dropoutP' };

/**
 * Multi-head attention (F.multi_head_attention_forward, nn.MultiheadAttention's map), as PyTorch 1.13
 * computes it: q, k, v projected by the three blocks of inProjWeight, split into heads of E / heads,
 * softmax(q · kᵀ / √(E / heads) + mask) · v per head, the heads joined and projected by outProjWeight.
 * query [L, N, E], key and value [S, N, E] ([N, L, E] and [N, S, E] with batchFirst). Returns the
 * output ([L, N, E] or [N, L, E]) and the weights ([N, L, S] averaged, [N, heads, L, S] not; null
 * without needWeights), the weights a companion of the output. Composed of F ops (F.narrow,
 * F.linear, F.matmul, F.softmax, F.permute, F.mean): the intermediates are the output's companions.
 */
export function multiHeadAttentionForward(query: Tensor, key: Tensor, value: Tensor, options: MultiHeadAttentionOptions): { output: Tensor; weights: Tensor | null } {
  return attention(query, key, value, options, false);
}

/** multiHeadAttentionForward; `unbatchedInput`: the inputs are one sequence made a batch of one, to be returned without it. */
function attention(query: Tensor, key: Tensor, value: Tensor, options: MultiHeadAttentionOptions, unbatchedInput: boolean): { output: Tensor; weights: Tensor | null } {
  const op = 'multiHeadAttentionForward';
  const o = normalizeOptions(op, options, MHA_OPTIONS, MHA_ALIASES, { bias_k: null, bias_v: null, add_zero_attn: false, is_causal: false }) as unknown as MultiHeadAttentionOptions;
  const { numHeads, inProjWeight, inProjBias = null, outProjWeight, outProjBias = null, attnMask = null, keyPaddingMask = null, needWeights = true, averageAttnWeights = true, batchFirst = false, dropoutP = 0, training = true } = o;
  expectFlag(op, 'batchFirst', batchFirst);
  expectFlag(op, 'training', training);
  expectDropoutP(op, 'dropout_p', dropoutP);
  for (const name of ['dropoutSeed', 'dropoutStep'] as const) {
    const v = o[name];
    if (v !== undefined && !(Number.isInteger(v) && v >= 0 && v < 2 ** 32)) throw new Error(`${op}: option '${name}' expected an integer in [0, 2^32), got ${show(v)}`);
  }
  if (!(inProjWeight instanceof Tensor) || !(outProjWeight instanceof Tensor)) throw new Error(`${op}: options 'inProjWeight' and 'outProjWeight' are required tensors ([3E, E] and [E, E])`);
  expectInput(op, query);
  // One sequence ([L, E], PyTorch's unbatched input): a batch of one, returned without its batch dimension.
  const unbatched = query.shape.length === 2;
  for (const [name, t] of [['query', query], ['key', key], ['value', value]] as const) {
    expectInput(op, t);
    if (unbatched && t.shape.length !== 2) throw new Error(`${op}: query ${shapeText(query.shape)} is one sequence (unbatched [L, E]), so ${name} must be too ([S, E]), got ${shapeText(t.shape)}`);
    if (!unbatched && t.shape.length !== 3) throw new Error(`${op}: argument '${name}' expected a 3-D tensor (${batchFirst ? '[N, L, E], batch_first' : '[L, N, E]; batch_first=True for [N, L, E]'}) or one sequence [L, E], got ${shapeText(t.shape)}`);
  }
  if (unbatched) {
    const S = key.shape[0]!;
    if (keyPaddingMask instanceof Tensor && shapeText(keyPaddingMask.shape) !== shapeText([S])) throw new Error(`${op}: argument 'key_padding_mask' expected shape ${shapeText([S])} (keys) for one sequence, got ${shapeText(keyPaddingMask.shape)}`);
    const batched = (t: Tensor) => reshape(t, batchFirst ? [1, ...t.shape] : [t.shape[0]!, 1, t.shape[1]!]);
    const mask = keyPaddingMask instanceof Tensor ? { keyPaddingMask: reshape(keyPaddingMask, [1, S]) } : {};
    return attention(batched(query), batched(key), batched(value), { ...o, ...mask }, true);
  }
  const E = query.shape[2]!;
  // The projections fix the width: a query of another says so, before any shape derived from it does.
  const width = inProjWeight.shape.at(-1);
  if (width !== E) throw new Error(`${op}: was expecting embedding dimension of ${width} (in_proj_weight ${shapeText(inProjWeight.shape)}), but got ${E} (query ${shapeText(query.shape)})`);
  if (!Number.isInteger(numHeads) || numHeads < 1 || E % numHeads !== 0) throw new Error(`${op}: embed_dim ${E} must be divisible by num_heads, got ${show(numHeads)}`);
  if (key.shape[2] !== E || value.shape[2] !== E) throw new Error(`${op}: key ${shapeText(key.shape)} and value ${shapeText(value.shape)} expected embed_dim ${E} last, as query ${shapeText(query.shape)}`);
  const [L, N] = batchFirst ? [query.shape[1]!, query.shape[0]!] : [query.shape[0]!, query.shape[1]!];
  const [S, Nk] = batchFirst ? [key.shape[1]!, key.shape[0]!] : [key.shape[0]!, key.shape[1]!];
  if (Nk !== N || shapeText(value.shape) !== shapeText(key.shape)) throw new Error(`${op}: key ${shapeText(key.shape)} and value ${shapeText(value.shape)} expected the same shape, with query's batch of ${N}`);
  const expectWeight = (name: string, t: Tensor | null, shape: number[]) => {
    if (t === null) return;
    expectOperand(op, name, t, false);
    expectShape(op, name, t, shape);
  };
  expectWeight('in_proj_weight', inProjWeight, [3 * E, E]);
  expectWeight('in_proj_bias', inProjBias, [3 * E]);
  expectWeight('out_proj_weight', outProjWeight, [E, E]);
  expectWeight('out_proj_bias', outProjBias, [E]);
  if (attnMask !== null) {
    expectOperand(op, 'attn_mask', attnMask, false);
    const ok = shapeText(attnMask.shape) === shapeText([L, S]) || shapeText(attnMask.shape) === shapeText([N * numHeads, L, S]);
    if (!ok) throw new Error(`${op}: argument 'attn_mask' expected shape ${shapeText([L, S])} or ${shapeText([N * numHeads, L, S])}, got ${shapeText(attnMask.shape)}`);
  }
  if (keyPaddingMask !== null) {
    expectOperand(op, 'key_padding_mask', keyPaddingMask, false);
    if (shapeText(keyPaddingMask.shape) !== shapeText([N, S])) throw new Error(`${op}: argument 'key_padding_mask' expected shape ${shapeText([N, S])} (batch, keys), got ${shapeText(keyPaddingMask.shape)}`);
  }
  expectFlag(op, 'needWeights', needWeights);
  expectFlag(op, 'averageAttnWeights', averageAttnWeights);
  const D = E / numHeads;
  let weights: Tensor | null = null;
  const output = composite(() => {
    // Each projection's block of the stacked weight, and [·, N, E] → [N, heads, ·, D].
    const project = (x: Tensor, block: number, length: number) => {
      const y = linear(x, narrow(inProjWeight, 0, block * E, E), inProjBias && narrow(inProjBias, 0, block * E, E));
      return permute(reshape(y, batchFirst ? [N, length, numHeads, D] : [length, N, numHeads, D]), batchFirst ? [0, 2, 1, 3] : [1, 2, 0, 3]);
    };
    const [q, k, v] = [project(query, 0, L), project(key, 1, S), project(value, 2, S)];
    let scores = matmul(mul(q, 1 / Math.sqrt(D)), transpose(k, -2, -1)); // PyTorch scales q first
    if (attnMask) scores = add(scores, attnMask.shape.length === 3 ? reshape(attnMask, [N, numHeads, L, S]) : attnMask);
    // A padded key scores −∞ for every head and query of its sequence (a sequence all padding gives NaN, as PyTorch 1.13's).
    if (keyPaddingMask) scores = where(logicalNot(reshape(keyPaddingMask, [N, 1, 1, S])), scores, -Infinity);
    // [N, heads, L, S]; dropped while training, and returned so, as PyTorch 1.13's weights are.
    let p = softmax(scores, -1);
    if (training && dropoutP > 0) p = dropout(p, dropoutP, { seed: o.dropoutSeed, step: o.dropoutStep });
    if (needWeights) weights = averageAttnWeights ? mean(p, 1) : p;
    // One sequence's weights and output without the batch of one (its place in memory changes nothing).
    if (weights && unbatchedInput) weights = reshape(weights, averageAttnWeights ? [L, S] : [numHeads, L, S]);
    const joined = reshape(permute(matmul(p, v), batchFirst ? [0, 2, 1, 3] : [2, 0, 1, 3]), unbatchedInput ? [L, E] : batchFirst ? [N, L, E] : [L, N, E]);
    return linear(joined, outProjWeight, outProjBias);
  });
  return { output, weights };
}

export interface BCEWithLogitsOptions {
  reduction?: Reduction;
  /** A rescaling weight per element, broadcast with the loss. */
  weight?: Tensor | null;
  /** A weight on the positive term, broadcast over the last dimension (one per class); PyTorch's pos_weight. */
  posWeight?: Tensor | null;
  pos_weight?: Tensor | null;
}

/**
 * Binary cross-entropy of sigmoid(input) against target (F.binary_cross_entropy_with_logits), in
 * the stable form (1 − t)·x + (1 + (p − 1)·t)·softplus(−x), softplus(−x) = −ln σ(x) (−x below −30),
 * so no exp overflows; reduction 'mean' (default), 'sum' or 'none'.
 */
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, options: BCEWithLogitsOptions = {}): Tensor {
  const op = 'binaryCrossEntropyWithLogits';
  expectOperand(op, 'input', input, false);
  expectOperand(op, 'target', target, false);
  const o = normalizeOptions(op, options, ['reduction', 'weight', 'posWeight'], { pos_weight: 'posWeight' }) as BCEWithLogitsOptions;
  const reduction = o.reduction ?? 'mean';
  if (!['mean', 'sum', 'none'].includes(reduction)) throw new Error(`${op}: argument 'reduction' expected 'mean', 'sum' or 'none', got ${show(reduction)}`);
  if (input.shape.join() !== target.shape.join()) throw new Error(`${op}: Target size (${shapeText(target.shape)}) must be the same as input size (${shapeText(input.shape)})`);
  for (const name of ['weight', 'posWeight'] as const) if (o[name] != null) expectOperand(op, name, o[name], false);
  return composite(() => {
    // pw · t · softplus(−x) + (1 − t) · softplus(x), each softplus from the side where it is small:
    // for x < 0, s = ln(1 + e^x) and softplus(−x) = s − x; for x ≥ 0, s = ln(1 + e^−x) and
    // softplus(x) = s + x. So a well-classified example keeps its tiny loss and gradient σ(x) − t
    // (x + softplus(−x) cancelled: 1.6e-2 off at x = −10, a negative loss at −30). exp's argument is
    // clamped on the side where() leaves out, so its gradient there is 0, not 0 · ∞; at x = 0 the
    // x ≥ 0 side gives σ(0) − t, as PyTorch's.
    const pw = o.posWeight ?? null;
    const targetTerm = (softplusOfMinus: Tensor) => (pw ? mul(mul(pw, target), softplusOfMinus) : mul(target, softplusOfMinus));
    const below = log1p(exp(clamp(input, null, 0))); // x < 0: softplus(x)
    const above = log1p(exp(mul(clamp(input, 0, null), -1))); // x ≥ 0: softplus(−x)
    const negative = add(targetTerm(sub(below, input)), mul(sub(1, target), below));
    const positive = add(targetTerm(above), mul(sub(1, target), add(above, input)));
    let loss = where(lt(input, 0), negative, positive);
    if (o.weight) loss = mul(loss, o.weight);
    return reduction === 'none' ? loss : reduction === 'sum' ? sum(loss) : mean(loss);
  });
}

/** x · sigmoid(x) (F.silu, the swish). */
export function silu(x: Tensor, ...unsupported: never[]): Tensor {
  expectInput('silu', x);
  if (unsupported.length) throw new Error(`silu: takes input only, got ${extraArguments(unsupported)} too (inplace is not supported)`);
  return composite(() => mul(x, sigmoid(x)));
}

/** softplus's beta (finite, not 0) and threshold (finite), or an Error naming `where`. */
export function softplusArguments(where: string, beta: unknown, threshold: unknown): void {
  for (const [name, v] of [['beta', beta], ['threshold', threshold]] as const) if (typeof v !== 'number' || !Number.isFinite(v) || (name === 'beta' && v === 0)) throw new Error(`${where}: argument '${name}' expected a finite number${name === 'beta' ? ' other than 0' : ''}, got ${show(v)}`);
}

/** ln(1 + e^(βx)) / β (F.softplus), x itself where βx > threshold, as PyTorch's (so e^(βx) cannot overflow into the result). */
export function softplus(x: Tensor, beta = 1, threshold = 20, ...unsupported: never[]): Tensor {
  expectInput('softplus', x);
  if (unsupported.length) throw new Error(`softplus: takes input, beta and threshold, got ${extraArguments(unsupported)} too`);
  softplusArguments('softplus', beta, threshold);
  return composite(() => {
    const scaled = mul(x, beta);
    // exp's argument clamped at the threshold: where the other side is picked, e^(βx) may not be ∞
    // (its gradient 0 · ∞ would be NaN).
    return where(gt(scaled, threshold), x, div(log1p(exp(clamp(scaled, null, threshold))), beta));
  });
}

/** x where x > 0, else α·(e^x − 1) (F.elu); the gradient α·e^x at and below 0, as PyTorch's. */
export function elu(x: Tensor, alpha = 1, ...unsupported: never[]): Tensor {
  expectInput('elu', x);
  if (unsupported.length) throw new Error(`elu: takes input and alpha, got ${extraArguments(unsupported)} too (inplace is not supported)`);
  if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new Error(`elu: argument 'alpha' expected a finite number, got ${show(alpha)}`);
  // exp's argument clamped at 0: e^x for a large x on the side not picked would be ∞, its gradient NaN.
  return composite(() => where(gt(x, 0), x, mul(expm1(clamp(x, null, 0)), alpha)));
}

/** A Threefry key word for dropout masks from the global generator's next key (init.manualSeed). */
export function nextDropoutSeed(): number {
  const key = nextRandomKey();
  return Math.imul(key.seed ^ Math.imul(key.stream + 1, 0x9e3779b9), 0x85ebca6b) >>> 0;
}

export interface DropoutOptions {
  /** PyTorch's default: true (F.dropout drops unless told training=false, unlike nn.Dropout in eval mode). */
  training?: boolean;
  /** The mask's key; default: the global generator's next one, so each call draws a new mask. */
  seed?: number;
  step?: number;
  out?: Tensor;
  inplace?: false;
}

/**
 * Inverted dropout as a function (F.dropout(x, p=0.5, training=True)): identity (x itself) unless
 * training with p > 0. The output is a new tensor, or `out` when given (nn.Dropout passes its reused buffer).
 */
export function dropout(x: Tensor, p: number | (DropoutOptions & { p?: number }) = 0.5, options: DropoutOptions = {}): Tensor {
  // PyTorch's keywords as one object (the spatial transformer's F.dropout(x, training=self.training)).
  if (p !== null && typeof p === 'object' && !Array.isArray(p) && !(p instanceof Tensor)) {
    if (Object.keys(options).length) throw new Error(`F.dropout: give p and the options either as F.dropout(x, p, { training }) or as one object F.dropout(x, { p, training }), not both`);
    const { p: rate = 0.5, ...rest } = p;
    return dropout(x, rate, rest);
  }
  const o = normalizeOptions('F.dropout', options, ['training', 'seed', 'step', 'out'], {}, { inplace: false }) as DropoutOptions;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`F.dropout: argument 'p' expected a probability in [0, 1], got ${show(p)}`);
  expectFlag('F.dropout', 'training', o.training);
  if (o.training === false || p === 0) return x;
  const y = givenOut('dropout', o.out, x.shape) ?? output(x.gpu, x.shape, 'dropout');
  const mask = { p, seed: o.seed ?? nextDropoutSeed(), step: o.step ?? 0 };
  dropoutKernel(x, y, mask);
  if (needsGrad([x])) record({ name: `dropout(p=${p})`, inputs: [x], output: y, reads: [], backward: gradients.dropout(x, mask) });
  return y;
}

/** PyTorch's warnings, each given once, as Python's default filter shows one per call site. */
const warned = new Set<string>();
function warnOnce(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  console.warn(message);
}

/**
 * Channel dropout (PyTorch's feature_dropout): each channel x[n, c] kept whole, scaled by 1/(1 − p),
 * or zeroed whole with probability p. The mask is F.dropout's of ones over [N, C, 1, …] (one Threefry
 * draw per channel; [C, 1] for one unbatched sample), and the gradient flows back through F.mul by it.
 */
function featureDropout(op: string, x: Tensor, p: number, batched: boolean, options: DropoutOptions): Tensor {
  const o = normalizeOptions(op, options, ['training', 'seed', 'step'], {}, { inplace: false }) as DropoutOptions;
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`${op}: dropout probability has to be between 0 and 1, but got ${show(p)}`);
  expectFlag(op, 'training', o.training);
  if (o.training === false || p === 0) return x;
  const channels = batched ? 2 : 1;
  return composite(() => {
    const ones = output(x.gpu, x.shape.map((n, i) => (i < channels ? n : 1)), `${op} mask`);
    fillConstant(ones, 1);
    return mul(x, dropout(ones, p, { training: true, seed: o.seed ?? nextDropoutSeed(), step: o.step ?? 0 }));
  });
}

/**
 * torch.nn.functional.dropout1d(x, p=0.5, training=True): channel dropout over [N, C, L], or one
 * sample [C, L] (each row a channel). Identity (x itself) unless training with p > 0.
 */
export function dropout1d(x: Tensor, p = 0.5, options: DropoutOptions = {}): Tensor {
  const op = 'dropout1d';
  expectInput(op, x);
  const rank = x.shape.length;
  if (rank !== 2 && rank !== 3) throw new Error(`${op}: Expected 2D or 3D input, but received a ${rank}D input. Note that dropout1d exists to provide channel-wise dropout on inputs with 1 spatial dimension, a channel dimension, and an optional batch dimension (i.e. 2D or 3D inputs).`);
  return featureDropout(op, x, p, rank === 3, options);
}

/**
 * torch.nn.functional.dropout2d(x, p=0.5, training=True): channel dropout over [N, C, H, W]. As
 * PyTorch 1.13's: a 3-D input is taken as [N, C, L] (dropout1d's, not one [C, H, W] sample), and
 * any other rank as [N, C, …], each with PyTorch's warning.
 */
export function dropout2d(x: Tensor, p = 0.5, options: DropoutOptions = {}): Tensor {
  const op = 'dropout2d';
  expectInput(op, x);
  const rank = x.shape.length;
  if (rank < 2) throw new Error(`${op}: Feature dropout requires at least 2 dimensions in the input, got ${shapeText(x.shape)}`);
  if (rank === 3) warnOnce(`${op}: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is desired - input is interpreted as shape (N, C, L), where C is the channel dim. This behavior will change in a future release to interpret the input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise dropout behavior, please switch to using dropout1d instead.`);
  else if (rank !== 4) warnOnce(`${op}: Received a ${rank}-D input to dropout2d, which is deprecated and will result in an error in a future release. To retain the behavior and silence this warning, please use dropout instead. Note that dropout2d exists to provide channel-wise dropout on inputs with 2 spatial dimensions, a channel dimension, and an optional batch dimension (i.e. 3D or 4D inputs).`);
  return featureDropout(op, x, p, true, options);
}

/** Batch normalisation with the given statistics buffers (nn.BatchNorm1d/2d passes its own). */
export function batchNorm(x: Tensor, args: BatchNormArgs, options: { out: Tensor; affine: { weight: Tensor; bias: Tensor } | null; scratch: BatchNormScratch | null; name?: string }): Tensor {
  const y = options.out;
  batchNormKernel(x, y, args);
  const inputs = [x, ...(options.affine ? [options.affine.weight, options.affine.bias] : [])];
  if (needsGrad(inputs)) {
    if (!options.scratch) throw new Error(`${options.name ?? 'batchNorm'}: gradients need the backward's scratch buffers`);
    record({ name: options.name ?? 'batchNorm', inputs, output: y, backward: gradients.batchNorm(x, args, options.affine, options.scratch) });
  }
  return y;
}

/** F.crossEntropy's and F.nllLoss's options (PyTorch's weight, ignore_index, reduction, label_smoothing). */
export interface ClassLossOptions {
  /** [C] per-class weights. */
  weight?: Tensor;
  /** Targets with this class index count nowhere (default −100, as PyTorch). */
  ignoreIndex?: number;
  ignore_index?: number;
  reduction?: Reduction;
  /** Cross-entropy only. */
  labelSmoothing?: number;
  label_smoothing?: number;
  name?: string;
}

/** A module's reused buffers for F.crossEntropy and F.nllLoss: the kernel's, and the input with its classes moved last (K-dimensional input). */
export type ClassLossBuffers = CrossEntropyOutputs & { classesLast?: Tensor };

const isOutputs = (v: unknown): v is ClassLossBuffers => typeof v === 'object' && v !== null && 'rowLoss' in v && 'dlogits' in v;

/**
 * Cross-entropy of logits against targets (F.cross_entropy), PyTorch's shapes: input [N, C], [C]
 * (one sample; target [1]) or [N, C, d1, …, dk] (a class per position: target [N, d1, …, dk]), with
 * targets either class indices (u32 or i32) or class probabilities (f32, input's shape). Class
 * indices run the fused kernel (softmax_cross_entropy.wgsl); a K-dimensional input is first laid out
 * as [N·d1·…·dk, C] (a copy). 'none' gives the target's shape. Modules pass their reused buffers as
 * `out` (nn.CrossEntropyLoss; rowLoss in the target's shape); without it the buffers are the
 * result's companions, freed with it.
 */
export function crossEntropy(input: Tensor, target: Tensor, out?: ClassLossBuffers | ClassLossOptions, options?: ClassLossOptions): Tensor {
  return isOutputs(out) ? classLoss('crossEntropy', input, target, out, options ?? {}) : classLoss('crossEntropy', input, target, null, out ?? {});
}

/**
 * The negative log-likelihood of class indices under log-probabilities (F.nll_loss: the input is a
 * log_softmax's output): −w_t · input[n, t] per sample, input [N, C], [C] or [N, C, d1, …, dk] as
 * F.crossEntropy's, with weight, ignore_index and reduction; nll_rows of softmax_cross_entropy.wgsl.
 */
export function nllLoss(input: Tensor, target: Tensor, out?: ClassLossBuffers | ClassLossOptions, options?: ClassLossOptions): Tensor {
  return isOutputs(out) ? classLoss('nllLoss', input, target, out, options ?? {}) : classLoss('nllLoss', input, target, null, out ?? {});
}

/**
 * The shapes of a classification loss's input and target, or an Error naming `name`: C classes
 * (dimension 1, or 0 of a single sample [C]); class indices (u32, i32) of the input's shape without
 * dimension 1 ([1] for [C]), M of them; class probabilities (f32) of the input's own shape; and for
 * K-dimensional input ([N, C, d1, …]) the shape with the classes moved last.
 */
export function classLossShapes(name: string, input: Tensor, target: Tensor): { C: number; rank: number; targetShape: number[]; M: number; classesLast: number[] | null } {
  if (!(input instanceof Tensor)) throw new Error(`${name}: argument 'input' expected a Tensor, got ${show(input)}`);
  if (!(target instanceof Tensor)) throw new Error(`${name}: argument 'target' expected a Tensor, got ${show(target)}`);
  const rank = input.shape.length;
  const C = rank === 1 ? input.shape[0]! : input.shape[1]!;
  const probabilities = target.dtype === 'f32';
  if (!probabilities && target.dtype !== 'u32' && target.dtype !== 'i32') throw new Error(`${name}: target expected class indices (dtype u32 or i32) or class probabilities (f32), got dtype ${target.dtype}`);
  if (rank === 1 && probabilities) throw new Error(`${name}: class probabilities for one sample: give the input and target as [1, ${C}]`);
  const indexShape = rank === 1 ? [1] : [input.shape[0]!, ...input.shape.slice(2)];
  if (probabilities && target.shape.join() === indexShape.join() && indexShape.join() !== input.shape.join()) {
    throw new Error(`${name}: target of dtype f32 and shape ${shapeText(target.shape)}: class indices must be u32 or i32 (class probabilities would be f32 of the input's shape ${shapeText(input.shape)})`);
  }
  const targetShape = probabilities ? [...input.shape] : indexShape;
  if (target.shape.join() !== targetShape.join()) {
    const expected = probabilities ? `class probabilities (a target of dtype f32) of the input's shape ${shapeText(input.shape)}` : `class indices of shape ${shapeText(targetShape)} (the input ${shapeText(input.shape)} without its ${C} classes)`;
    throw new Error(`${name}: target expected ${expected}, got ${shapeText(target.shape)}`);
  }
  const M = probabilities ? input.size / C : targetShape.reduce((a, b) => a * b, 1);
  return { C, rank, targetShape, M, classesLast: rank > 2 ? [input.shape[0]!, ...input.shape.slice(2), C] : null };
}

/** A class weight of the input's C classes ([C], C its dimension 1, or 0 for one sample), or an Error naming `name`. */
export function expectClassWeight(name: string, weight: Tensor, inputShape: readonly number[]): void {
  const d = inputShape.length === 1 ? 0 : 1;
  const C = inputShape[d]!;
  if (weight.shape.length !== 1 || weight.shape[0] !== C) throw new Error(`${name}: weight has shape ${shapeText(weight.shape)}, the input has ${C} classes (dimension ${d} of ${shapeText(inputShape)})`);
}

function classLoss(op: 'crossEntropy' | 'nllLoss', input: Tensor, target: Tensor, out: ClassLossBuffers | null, options: ClassLossOptions): Tensor {
  const o = normalizeOptions(op, options, ['weight', 'ignoreIndex', 'reduction', ...(op === 'crossEntropy' ? ['labelSmoothing'] : []), 'name'], { ignore_index: 'ignoreIndex', label_smoothing: 'labelSmoothing' }) as ClassLossOptions;
  const { name = op, weight, ignoreIndex = -100, reduction = 'mean', labelSmoothing = 0 } = o;
  expectInput(op, input);
  if (!['mean', 'sum', 'none'].includes(reduction)) throw new Error(`${name}: argument 'reduction' expected 'mean', 'sum' or 'none', got ${show(reduction)}`);
  if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new Error(`${name}: argument 'labelSmoothing' expected a number in [0, 1], got ${show(labelSmoothing)}`);
  if (op === 'nllLoss' && target instanceof Tensor && target.dtype === 'f32') throw new Error(`${name}: target expected class indices (dtype u32 or i32), got dtype f32 (class probabilities are cross-entropy's)`);
  const { C, rank, targetShape, M, classesLast } = classLossShapes(name, input, target);
  if (weight !== undefined) {
    expectOperand(op, 'weight', weight, false);
    expectClassWeight(name, weight, input.shape);
  }
  if (target.dtype === 'f32') {
    // PyTorch: "ignore_index is not supported for floating point target" (its default −100 passes).
    if (ignoreIndex >= 0) throw new Error(`${name}: ignore_index ${ignoreIndex} is not supported for class probabilities (a target of dtype f32), as in PyTorch: give the ignored positions probability 0, or a weight`);
    if (out) throw new Error(`${name}: class probabilities run composed ops, not into a module's buffers`);
    return probabilityCrossEntropy(input, target, { weight, reduction, labelSmoothing });
  }
  // Rows of C classes: [N, C] as it is, [C] as [1, C], [N, C, d…] with the classes moved last (a
  // copy, into the module's buffer when it gives one).
  if (classesLast && out?.classesLast && out.classesLast.shape.join() !== classesLast.join()) throw new Error(`${name}: out.classesLast has shape ${shapeText(out.classesLast.shape)}, expected ${shapeText(classesLast)}`);
  const moved = classesLast ? permuted('permute', input, [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2), 1], out?.classesLast) : null;
  const logits = moved ? reshape(moved, [M, C]) : rank === 1 ? reshape(input, [1, C]) : input;
  const labels = target.reshapeView([M]);
  const buffers: CrossEntropyOutputs = out ?? {
    rowLoss: output(input.gpu, targetShape, `${op} row loss`), dlogits: output(input.gpu, [M, C], `${op} dlogits`), loss: output(input.gpu, [1], op),
    metrics: output(input.gpu, [METRICS_LENGTH], `${op} metrics`), rowWeight: output(input.gpu, [M], `${op} row weight`), norm: output(input.gpu, [1], `${op} norm`),
  };
  if (!out) input.gpu.clear(buffers.metrics);
  if (buffers.rowLoss.size !== M) throw new Error(`${name}: out.rowLoss has shape ${shapeText(buffers.rowLoss.shape)}, the target ${shapeText(targetShape)}`);
  const rows = { ...buffers, rowLoss: buffers.rowLoss.reshapeView([M]) };
  const ce: CrossEntropyOptions = { ignoreIndex, reduction, labelSmoothing, logProbabilities: op === 'nllLoss', ...(weight ? { weight } : {}) };
  softmaxCrossEntropy(logits, labels, rows, ce);
  const result = reduction === 'none' ? buffers.rowLoss : buffers.loss;
  if (!out) result.companions.push(...Object.values(buffers).filter((t) => t !== result), ...(moved ? [moved] : []), ...(logits !== input ? [logits] : []));
  if (needsGrad([logits])) record({ name, inputs: [logits], output: result, saved: [labels, ...(weight ? [weight] : [])], backward: gradients.crossEntropy(logits, labels, rows, ce) });
  return result;
}

/**
 * Cross-entropy against class probabilities p (PyTorch's soft targets): per sample
 * −Σ_c w_c · p'_c · log_softmax(x)_c over dimension 1, p' = (1 − ε)·p + ε/C with label smoothing;
 * 'mean' divides by the samples (N·d1·…·dk), not by the weights, as PyTorch. Composed ops: the
 * gradient reaches the target too when it asks for one.
 */
function probabilityCrossEntropy(input: Tensor, target: Tensor, o: { weight?: Tensor; reduction: Reduction; labelSmoothing: number }): Tensor {
  const C = input.shape[1]!;
  return composite(() => {
    const p = o.labelSmoothing ? add(mul(target, 1 - o.labelSmoothing), o.labelSmoothing / C) : target;
    let terms = mul(logSoftmax(input, 1), p);
    // The weights along dimension 1: [C, 1, …, 1] broadcasts from the right as PyTorch's.
    if (o.weight) terms = mul(terms, reshape(o.weight, [C, ...input.shape.slice(2).map(() => 1)]));
    const loss = mul(sum(terms, 1), -1);
    return o.reduction === 'none' ? loss : o.reduction === 'sum' ? sum(loss) : mean(loss);
  });
}

/**
 * x under another shape with the same element count (torch.reshape; one dimension may be −1): a view of the same memory,
 * recorded so the gradient flows back under x's shape. The backward hands dy over as x's gradient
 * when it can (no copy); otherwise it copies, or adds with the dropout kernel at p = 0 (the identity).
 */
export function reshape(x: Tensor, shape: readonly number[], options: { out?: Tensor } = {}): Tensor {
  expectInput('reshape', x, ['f32', 'u32', 'i32']);
  shape = x.reshaped(shape);
  const y = options.out ?? opView(x.reshapeView(shape));
  if (y.buffer !== x.buffer || y.byteOffset !== x.byteOffset || y.size !== x.size) throw new Error(`reshape: 'out' must be a view of the input's memory`);
  if (!needsGrad([x])) return y;
  // A view this op made takes its gradient from x's; an 'out' given owns its memory and its gradient.
  if (!options.out) reshapeSources.set(y, x);
  record({
    name: `reshape([${x.shape.join(', ')}] → [${shape.join(', ')}])`,
    inputs: [x],
    output: y,
    reads: [],
    backward: (ctx, dy) => {
      const g = upstream(dy, x.gpu, shape).reshapeView(x.shape);
      if (dy !== null && ctx.donate(x, g)) return; // never the root's shared 1: a later rule would write into it
      const { grad, accumulate } = ctx.target(x);
      if (accumulate) dropoutKernel(g, grad, { p: 0, seed: 0, step: 0, accumulate: true });
      else x.gpu.copy(g, grad);
    },
  });
  return y;
}

/** The shape torch.flatten gives: dimensions startDim … endDim merged into one (negative counts from the end). */
export function flattenedShape(shape: readonly number[], startDim = 0, endDim = -1, where = 'flatten'): number[] {
  const rank = shape.length;
  const [start, end] = [startDim < 0 ? startDim + rank : startDim, endDim < 0 ? endDim + rank : endDim];
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end < rank && start <= end)) {
    throw new Error(`${where}: start_dim ${startDim} and end_dim ${endDim} do not fit an input of shape [${shape.join(', ')}]`);
  }
  const merged = shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
  return [...shape.slice(0, start), merged, ...shape.slice(end + 1)];
}

/** torch.flatten(x, startDim, endDim), a view recorded by autograd. */
export function flatten(x: Tensor, startDim = 0, endDim = -1, options: { out?: Tensor } = {}): Tensor {
  return reshape(x, flattenedShape(x.shape, startDim, endDim), options);
}

// out.backward(g) backpropagates from Σ out·g, whose gradient with respect to out is exactly g.
registerSumOfProduct((out, g) => sum(mul(out, g)));
