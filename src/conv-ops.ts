// Launchers for conv2d.wgsl and pool.wgsl: each checks its tensors' shapes and hyper-parameters
// against torch.nn.functional's rules, then records its dispatches. A bad argument is an Error
// naming the op (or the module, through `where`), the argument and both shapes; nothing is dispatched.
import { grid1d } from './gpu';
import { kernels } from './kernels';
import type { Tensor } from './tensor';

export type Pair = number | readonly [number, number];

const shapeText = (shape: readonly number[]) => `[${shape.join(', ')}]`;
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

function expectPair(where: string, name: string, v: Pair, min: number): [number, number] {
  const p = pair(v);
  if (!p.every((d) => Number.isInteger(d) && d >= min)) throw new Error(`${where}: argument '${name}' expected ${min === 0 ? 'a non-negative' : 'a positive'} integer or a pair of them, got ${JSON.stringify(v)}`);
  return p;
}

function expectTensor(where: string, name: string, t: Tensor, shape: readonly number[]): void {
  if (t.dtype !== 'f32' && name !== 'indices') throw new Error(`${where}: argument '${name}' expected dtype f32, got ${t.dtype}`);
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) throw new Error(`${where}: argument '${name}' expected shape ${shapeText(shape)}, got ${shapeText(t.shape)}`);
}

/** The output extent along one axis, or an Error when the (dilated) kernel does not fit the padded input. */
function outputExtent(where: string, input: readonly number[], k: [number, number], stride: [number, number], pad: [number, number], dil: [number, number]): [number, number] {
  const [H, W] = [input[2]!, input[3]!];
  const effective = [dil[0] * (k[0] - 1) + 1, dil[1] * (k[1] - 1) + 1];
  const padded = [H + 2 * pad[0], W + 2 * pad[1]];
  if (effective[0]! > padded[0]! || effective[1]! > padded[1]!) {
    const dilated = dil[0] > 1 || dil[1] > 1 ? ` (dilated to ${effective.join('×')})` : '';
    throw new Error(`${where}: kernel ${k.join('×')}${dilated} is larger than the padded input ${padded.join('×')} (input ${shapeText(input)}, padding ${pad.join('×')})`);
  }
  return [Math.floor((padded[0]! - effective[0]!) / stride[0]) + 1, Math.floor((padded[1]! - effective[1]!) / stride[1]) + 1];
}

function expectInput4d(where: string, input: readonly number[], what: string): void {
  if (input.length !== 4 || !input.every((d) => Number.isInteger(d) && d > 0)) throw new Error(`${where}: input expected a 4-D NCHW shape [N, ${what}, H, W], got ${shapeText(input)}`);
}

// ── conv2d ──────────────────────────────────────────────────────────────────────────────────────

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
}

/** v1 one element per invocation; v2 four channels per invocation (conv2d.wgsl's header). */
export type ConvVariant = 'scalar' | 'vec4';

/**
 * v2 by default where its layout allows and the loop it shortens is long (reduced channels ≥ 4:
 * with one input channel, conv1's case, v2 trades one x load for four weight loads and gains
 * nothing). The loaded test machine could not time the two apart (lab/cnn-page.ts); see the header.
 */
function convVariant(where: string, requested: ConvVariant | undefined, blocked: number, reduced: number, which: string): ConvVariant {
  const fits = blocked % 4 === 0;
  if (requested === 'vec4' && !fits) throw new Error(`${where}: variant 'vec4' needs ${which} per group to be a multiple of 4, got ${blocked}`);
  return requested ?? (fits && reduced >= 4 ? 'vec4' : 'scalar');
}

export interface Conv2dGeometry {
  N: number;
  C_in: number;
  H: number;
  W: number;
  C_out: number;
  OH: number;
  OW: number;
  KH: number;
  KW: number;
  stride_h: number;
  stride_w: number;
  pad_h: number;
  pad_w: number;
  dil_h: number;
  dil_w: number;
  groups: number;
}

/** Checks an input shape [N, C_in, H, W] against a weight shape [C_out, C_in/G, KH, KW] and returns the geometry. */
export function conv2dGeometry(input: readonly number[], weight: readonly number[], options: Conv2dOptions = {}, where = 'conv2d'): Conv2dGeometry {
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${where}: argument 'groups' expected a positive integer, got ${groups}`);
  const stride = expectPair(where, 'stride', options.stride ?? 1, 1);
  const pad = expectPair(where, 'padding', options.padding ?? 0, 0);
  const dil = expectPair(where, 'dilation', options.dilation ?? 1, 1);
  if (weight.length !== 4) throw new Error(`${where}: weight expected 4 dimensions [C_out, C_in/groups, KH, KW], got ${shapeText(weight)}`);
  const [C_out, Cg, KH, KW] = weight as [number, number, number, number];
  expectInput4d(where, input, String(Cg * groups));
  const [N, C_in, H, W] = input as [number, number, number, number];
  if (C_out % groups !== 0) throw new Error(`${where}: ${C_out} output channels do not split into ${groups} groups`);
  if (C_in !== Cg * groups) throw new Error(`${where}: input expected ${Cg * groups} channels (weight ${shapeText(weight)}, groups ${groups}), got ${C_in} in input ${shapeText(input)}`);
  const [OH, OW] = outputExtent(where, input, [KH, KW], stride, pad, dil);
  return { N, C_in, H, W, C_out, OH, OW, KH, KW, stride_h: stride[0], stride_w: stride[1], pad_h: pad[0], pad_w: pad[1], dil_h: dil[0], dil_w: dil[1], groups };
}

/** y = conv2d(x, weight, bias) as torch.nn.functional.conv2d; bias null for none. */
export function conv2d(x: Tensor, weight: Tensor, bias: Tensor | null, y: Tensor, options: Conv2dOptions & { variant?: ConvVariant } = {}, where = 'conv2d'): Conv2dGeometry {
  const g = conv2dGeometry(x.shape, weight.shape, options, where);
  expectTensor(where, 'input', x, x.shape);
  expectTensor(where, 'weight', weight, weight.shape);
  if (bias) expectTensor(where, 'bias', bias, [g.C_out]);
  expectTensor(where, 'output', y, [g.N, g.C_out, g.OH, g.OW]);
  const vec4 = convVariant(where, options.variant, g.C_out / g.groups, g.C_in / g.groups, 'output channels') === 'vec4';
  const entry = kernels.conv2d.entry(vec4 ? 'conv2d_forward_vec4' : 'conv2d_forward');
  x.gpu.dispatch(entry, { params: { ...g }, x, weight, bias: bias ?? x.gpu.placeholders[0], y }, grid1d(vec4 ? y.size / 4 : y.size, 64), { HAS_BIAS: bias !== null });
  return g;
}

/** dx from dy and the weight (x's shape is dx's). */
export function conv2dBackwardInput(dy: Tensor, weight: Tensor, dx: Tensor, options: Conv2dOptions & { variant?: ConvVariant } = {}, accumulate = false, where = 'conv2d backward'): void {
  const g = conv2dGeometry(dx.shape, weight.shape, options, where);
  expectTensor(where, 'dy', dy, [g.N, g.C_out, g.OH, g.OW]);
  expectTensor(where, 'dx', dx, dx.shape);
  const vec4 = convVariant(where, options.variant, g.C_in / g.groups, g.C_out / g.groups, 'input channels') === 'vec4';
  const entry = kernels.conv2d.entry(vec4 ? 'conv2d_backward_input_vec4' : 'conv2d_backward_input');
  dy.gpu.dispatch(entry, { params: { ...g }, dy, weight, dx }, grid1d(vec4 ? dx.size / 4 : dx.size, 64), { ACCUMULATE: accumulate });
}

/** dweight from x and dy. */
export function conv2dBackwardWeight(x: Tensor, dy: Tensor, dweight: Tensor, options: Conv2dOptions = {}, accumulate = false, where = 'conv2d backward'): void {
  const g = conv2dGeometry(x.shape, dweight.shape, options, where);
  expectTensor(where, 'dy', dy, [g.N, g.C_out, g.OH, g.OW]);
  expectTensor(where, 'dweight', dweight, dweight.shape);
  x.gpu.dispatch(kernels.conv2d.entry('conv2d_backward_weight'), { params: { ...g }, x, dy, dweight }, grid1d(dweight.size, 64), { ACCUMULATE: accumulate });
}

/** dbias[co] = Σ_{n, oh, ow} dy[n, co, oh, ow]. */
export function conv2dBackwardBias(dy: Tensor, dbias: Tensor, accumulate = false, where = 'conv2d backward'): void {
  expectInput4d(where, dy.shape, 'C_out');
  const [N, C_out, OH, OW] = dy.shape as [number, number, number, number];
  expectTensor(where, 'dbias', dbias, [C_out]);
  const params = { N, C_in: 1, H: 1, W: 1, C_out, OH, OW, KH: 1, KW: 1, stride_h: 1, stride_w: 1, pad_h: 0, pad_w: 0, dil_h: 1, dil_w: 1, groups: 1 };
  dy.gpu.dispatch(kernels.conv2d.entry('conv2d_backward_bias'), { params, dy, dbias }, grid1d(C_out, 64), { ACCUMULATE: accumulate });
}

// ── pooling ─────────────────────────────────────────────────────────────────────────────────────

export interface Pool2dOptions {
  kernelSize: Pair;
  /** Defaults to kernelSize, as PyTorch. */
  stride?: Pair;
  padding?: Pair;
  /** max_pool2d only. */
  dilation?: Pair;
  /** avg_pool2d only; PyTorch's default true. */
  countIncludePad?: boolean;
}

export interface Pool2dGeometry {
  N: number;
  C: number;
  H: number;
  W: number;
  OH: number;
  OW: number;
  KH: number;
  KW: number;
  stride_h: number;
  stride_w: number;
  pad_h: number;
  pad_w: number;
  dil_h: number;
  dil_w: number;
}

export function pool2dGeometry(input: readonly number[], options: Pool2dOptions, where = 'pool2d'): Pool2dGeometry {
  const k = expectPair(where, 'kernelSize', options.kernelSize, 1);
  const stride = expectPair(where, 'stride', options.stride ?? k, 1);
  const pad = expectPair(where, 'padding', options.padding ?? 0, 0);
  const dil = expectPair(where, 'dilation', options.dilation ?? 1, 1);
  // PyTorch's rule; it also guarantees every window holds at least one input position.
  if (pad[0] > k[0] / 2 || pad[1] > k[1] / 2) throw new Error(`${where}: padding ${pad.join('×')} must be at most half the kernel ${k.join('×')}`);
  expectInput4d(where, input, 'C');
  const [OH, OW] = outputExtent(where, input, k, stride, pad, dil);
  const [N, C, H, W] = input as [number, number, number, number];
  return { N, C, H, W, OH, OW, KH: k[0], KW: k[1], stride_h: stride[0], stride_w: stride[1], pad_h: pad[0], pad_w: pad[1], dil_h: dil[0], dil_w: dil[1] };
}

/** y = max_pool2d(x); indices (u32) keep each maximum's h·W + w within its plane, for the backward. */
export function maxPool2d(x: Tensor, y: Tensor, indices: Tensor, options: Pool2dOptions, where = 'max_pool2d'): Pool2dGeometry {
  const g = pool2dGeometry(x.shape, options, where);
  expectTensor(where, 'input', x, x.shape);
  expectTensor(where, 'output', y, [g.N, g.C, g.OH, g.OW]);
  if (indices.dtype !== 'u32') throw new Error(`${where}: argument 'indices' expected dtype u32, got ${indices.dtype}`);
  expectTensor(where, 'indices', indices, y.shape);
  x.gpu.dispatch(kernels.pool.entry('max_pool2d_forward'), { params: { ...g }, x, y, indices }, grid1d(y.size, 64));
  return g;
}

export function maxPool2dBackward(dy: Tensor, indices: Tensor, dx: Tensor, options: Pool2dOptions, accumulate = false, where = 'max_pool2d backward'): void {
  const g = pool2dGeometry(dx.shape, options, where);
  expectTensor(where, 'dy', dy, [g.N, g.C, g.OH, g.OW]);
  if (indices.dtype !== 'u32') throw new Error(`${where}: argument 'indices' expected dtype u32, got ${indices.dtype}`);
  expectTensor(where, 'indices', indices, dy.shape);
  expectTensor(where, 'dx', dx, dx.shape);
  dy.gpu.dispatch(kernels.pool.entry('max_pool2d_backward'), { params: { ...g }, dy, indices_in: indices, dx }, grid1d(dx.size, 64), { ACCUMULATE: accumulate });
}

function avgGeometry(input: readonly number[], options: Pool2dOptions, where: string): Pool2dGeometry {
  if (options.dilation !== undefined && pair(options.dilation).some((d) => d !== 1)) throw new Error(`${where}: avg_pool2d has no dilation (PyTorch's neither), got ${JSON.stringify(options.dilation)}`);
  return pool2dGeometry(input, options, where);
}

export function avgPool2d(x: Tensor, y: Tensor, options: Pool2dOptions, where = 'avg_pool2d'): Pool2dGeometry {
  const g = avgGeometry(x.shape, options, where);
  expectTensor(where, 'input', x, x.shape);
  expectTensor(where, 'output', y, [g.N, g.C, g.OH, g.OW]);
  x.gpu.dispatch(kernels.pool.entry('avg_pool2d_forward'), { params: { ...g }, x, y }, grid1d(y.size, 64), { COUNT_INCLUDE_PAD: options.countIncludePad ?? true });
  return g;
}

export function avgPool2dBackward(dy: Tensor, dx: Tensor, options: Pool2dOptions, accumulate = false, where = 'avg_pool2d backward'): void {
  const g = avgGeometry(dx.shape, options, where);
  expectTensor(where, 'dy', dy, [g.N, g.C, g.OH, g.OW]);
  expectTensor(where, 'dx', dx, dx.shape);
  dy.gpu.dispatch(kernels.pool.entry('avg_pool2d_backward'), { params: { ...g }, dy, dx }, grid1d(dx.size, 64), { COUNT_INCLUDE_PAD: options.countIncludePad ?? true, ACCUMULATE: accumulate });
}

const planeParams = (shape: readonly number[]) => {
  const [N, C, H, W] = shape as [number, number, number, number];
  return { N, C, H, W, OH: 1, OW: 1, KH: H, KW: W, stride_h: 1, stride_w: 1, pad_h: 0, pad_w: 0, dil_h: 1, dil_w: 1 };
};

/** adaptive_avg_pool2d(x, 1): y [N, C, 1, 1] is each plane's mean. */
export function adaptiveAvgPool2d(x: Tensor, y: Tensor, where = 'adaptive_avg_pool2d'): void {
  expectInput4d(where, x.shape, 'C');
  expectTensor(where, 'input', x, x.shape);
  expectTensor(where, 'output', y, [x.shape[0]!, x.shape[1]!, 1, 1]);
  x.gpu.dispatch(kernels.pool.entry('adaptive_avg_pool2d_forward'), { params: planeParams(x.shape), x, y }, grid1d(y.size, 64));
}

export function adaptiveAvgPool2dBackward(dy: Tensor, dx: Tensor, accumulate = false, where = 'adaptive_avg_pool2d backward'): void {
  expectInput4d(where, dx.shape, 'C');
  expectTensor(where, 'dy', dy, [dx.shape[0]!, dx.shape[1]!, 1, 1]);
  expectTensor(where, 'dx', dx, dx.shape);
  dy.gpu.dispatch(kernels.pool.entry('adaptive_avg_pool2d_backward'), { params: planeParams(dx.shape), dy, dx }, grid1d(dx.size, 64), { ACCUMULATE: accumulate });
}
