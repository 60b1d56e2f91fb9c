// shaders/conv2d.wgsl: 2-D convolution over NCHW (torch.nn.functional.conv2d), forward and backward. Launchers (argument checks as torch.nn.functional's, naming the op
// or the module through `where`), gradient rules, and the family's test spec.
import { grid1d, loadShader } from '../device/shader';
import { dispatch1d, expectInput4d, expectPair, expectTensor, outputExtent, pairOr, shapeText, type Pair } from '../launch';
import * as ref from '../reference/conv';
import { rng, uniform } from '../spec/random';
import { caseTable, kernelCase, type Spec } from '../spec/scope';
import { Tensor, upstream, type BackwardRule } from '../tensor';
import { combine } from './arithmetic';


export const shader = loadShader('conv2d');

const launch = (gpu: Tensor['gpu'], name: string, args: Parameters<Tensor['gpu']['dispatch']>[1], n: number, constants: Record<string, boolean> = {}): void => dispatch1d(gpu, shader, name, args, n, constants);

export type { Pair } from '../launch';


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

/**
 * padding='same': dilation · (k − 1) in all along each axis, half on each side. PyTorch puts an odd
 * total's extra row or column after the input; this convolution pads both sides alike, so that case
 * is an Error, as a stride above 1 is in PyTorch.
 */
export function samePadding(where: string, kernel: readonly [number, number], stride: readonly [number, number], dilation: readonly [number, number]): [number, number] {
  if (stride[0] !== 1 || stride[1] !== 1) throw new Error(`${where}: padding='same' is not supported for strided convolutions (stride (${stride[0]}, ${stride[1]})), as in PyTorch`);
  const total = kernel.map((k, i) => dilation[i]! * (k - 1));
  if (total.some((t) => t % 2 !== 0)) throw new Error(`${where}: padding='same' with kernel ${kernel.join('×')} (dilation ${dilation.join('×')}) needs ${total[0]} rows and ${total[1]} columns of padding; PyTorch puts an odd one after the input, this ${where} pads both sides alike: use an odd kernel size, or give the padding`);
  return [total[0]! / 2, total[1]! / 2];
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
  const entry = shader.entry(vec4 ? 'conv2d_forward_vec4' : 'conv2d_forward');
  x.gpu.dispatch(entry, { params: { ...g }, x, weight, bias: bias ?? x.gpu.placeholders[0], y }, grid1d(entry, vec4 ? y.size / 4 : y.size), { HAS_BIAS: bias !== null });
  return g;
}

/** dx from dy and the weight (x's shape is dx's). */
export function conv2dBackwardInput(dy: Tensor, weight: Tensor, dx: Tensor, options: Conv2dOptions & { variant?: ConvVariant } = {}, accumulate = false, where = 'conv2d backward'): void {
  const g = conv2dGeometry(dx.shape, weight.shape, options, where);
  expectTensor(where, 'dy', dy, [g.N, g.C_out, g.OH, g.OW]);
  expectTensor(where, 'dx', dx, dx.shape);
  const vec4 = convVariant(where, options.variant, g.C_in / g.groups, g.C_out / g.groups, 'input channels') === 'vec4';
  const entry = shader.entry(vec4 ? 'conv2d_backward_input_vec4' : 'conv2d_backward_input');
  dy.gpu.dispatch(entry, { params: { ...g }, dy, weight, dx }, grid1d(entry, vec4 ? dx.size / 4 : dx.size), { ACCUMULATE: accumulate });
}

/** dweight from x and dy. */
export function conv2dBackwardWeight(x: Tensor, dy: Tensor, dweight: Tensor, options: Conv2dOptions = {}, accumulate = false, where = 'conv2d backward'): void {
  const g = conv2dGeometry(x.shape, dweight.shape, options, where);
  expectTensor(where, 'dy', dy, [g.N, g.C_out, g.OH, g.OW]);
  expectTensor(where, 'dweight', dweight, dweight.shape);
  launch(x.gpu, 'conv2d_backward_weight', { params: { ...g }, x, dy, dweight }, dweight.size, { ACCUMULATE: accumulate });
}

/** dbias[co] = Σ_{n, oh, ow} dy[n, co, oh, ow]. */
export function conv2dBackwardBias(dy: Tensor, dbias: Tensor, accumulate = false, where = 'conv2d backward'): void {
  expectInput4d(where, dy.shape, 'C_out');
  const [N, C_out, OH, OW] = dy.shape as [number, number, number, number];
  expectTensor(where, 'dbias', dbias, [C_out]);
  const params = { N, C_in: 1, H: 1, W: 1, C_out, OH, OW, KH: 1, KW: 1, stride_h: 1, stride_w: 1, pad_h: 0, pad_w: 0, dil_h: 1, dil_w: 1, groups: 1 };
  launch(dy.gpu, 'conv2d_backward_bias', { params, dy, dbias }, C_out, { ACCUMULATE: accumulate });
}


/**
 * y = conv_transpose2d(x, weight, bias) (torch.nn.functional.conv_transpose2d): the adjoint of the
 * convolution that maps y's shape to x's with this weight ([C_in, C_out/groups, KH, KW], PyTorch's
 * layout), so its input-gradient kernel; the bias added after (arithmetic.wgsl's combine). y's
 * shape fixes output_padding (checked against x's through the convolution's geometry).
 */
export function convTranspose2d(x: Tensor, weight: Tensor, bias: Tensor | null, y: Tensor, options: Conv2dOptions = {}, where = 'conv_transpose2d'): void {
  const g = conv2dGeometry(y.shape, weight.shape, options, where);
  expectTensor(where, 'input', x, [g.N, g.C_out, g.OH, g.OW]);
  if (bias) expectTensor(where, 'bias', bias, [g.C_in]);
  conv2dBackwardInput(x, weight, y, options, false, where);
  if (bias) combine(y, { op: 'add', a: null, b: bias, broadcast: { inner: g.H * g.W, bSize: g.C_in }, accumulate: true });
}

export const gradients = {
  /**
   * y = conv_transpose2d(x, weight) + bias: dx = conv2d(dy, weight) (added through a scratch when dx
   * adds up), dweight the convolution's weight gradient with the roles of x and dy swapped, dbias dy's sums.
   */
  convTranspose2d: (x: Tensor, weight: Tensor, bias: Tensor | null, y: Tensor, options: Conv2dOptions, where: string): BackwardRule => (ctx, gradOutput) => {
    const dy = upstream(gradOutput, x.gpu, y.shape);
    if (x.requiresGrad) {
      const dx = ctx.target(x);
      const into = dx.accumulate ? Tensor.scratch(x.gpu, 'conv_transpose2d dx', x.shape) : dx.grad;
      conv2d(dy, weight, null, into, options, where);
      if (dx.accumulate) combine(dx.grad, { op: 'add', a: into, b: null, broadcast: { inner: 1, bSize: 1 }, accumulate: true });
    }
    if (weight.requiresGrad) {
      const dw = ctx.target(weight);
      conv2dBackwardWeight(dy, x, dw.grad, options, dw.accumulate, where);
    }
    if (bias?.requiresGrad) {
      const db = ctx.target(bias);
      conv2dBackwardBias(dy, db.grad, db.accumulate, where);
    }
  },
  /** y = conv2d(x, w) + b: dx by conv2d_backward_input, dw by conv2d_backward_weight, db by the bias sum. */
  conv2d: (x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv2dOptions, where: string): BackwardRule => (ctx, gradOutput) => {
    const dy = upstream(gradOutput, x.gpu, [1, 1, 1, 1]); // at the root, the output is [1, 1, 1, 1]
    if (x.requiresGrad) {
      const dx = ctx.target(x);
      conv2dBackwardInput(dy, weight, dx.grad, options, dx.accumulate, where);
    }
    if (weight.requiresGrad) {
      const dw = ctx.target(weight);
      conv2dBackwardWeight(x, dy, dw.grad, options, dw.accumulate, where);
    }
    if (bias?.requiresGrad) {
      const db = ctx.target(bias);
      conv2dBackwardBias(dy, db.grad, db.accumulate, where);
    }
  },
};

// ── spec: fresh random inputs, NaN-poisoned outputs, the float64 reference ──────────────────────────
const { cases, add } = caseTable();
/** More than 65,535 workgroups of 64 elements. */
const PAST_GRID_LIMIT = 65535 * 64;


// ── conv2d ──────────────────────────────────────────────────────────────────────────────────────
interface ConvCase {
  x: [number, number, number, number];
  F: number;
  K: [number, number];
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  groups?: number;
  bias?: boolean;
  accumulate?: boolean;
  /** Large cases check the forward and the input gradient only. */
  forwardAndInputOnly?: boolean;
  /** v1 forced; otherwise the launcher's choice (v2 where channels per group are multiples of 4). */
  scalar?: boolean;
}

function addConv(c: ConvCase): void {
  const flags = [c.stride && `stride ${c.stride.join('×')}`, c.padding && `pad ${c.padding.join('×')}`, c.dilation && `dilation ${c.dilation.join('×')}`, c.groups && `groups ${c.groups}`, c.bias === false && 'no bias', c.accumulate && 'accumulate', c.scalar && 'v1 forced'].filter(Boolean);
  add(`conv2d [${c.x.join(', ')}] → ${c.F} channels, kernel ${c.K.join('×')}${flags.length ? ` ${flags.join(' ')}` : ''}`, async (s, random) => {
    const [N, C, H, W] = c.x;
    const G = c.groups ?? 1;
    const spec: ref.Conv2dSpec = { N, C, H, W, F: c.F, KH: c.K[0], KW: c.K[1], stride: pairOr(c.stride, 1), padding: pairOr(c.padding, 0), dilation: pairOr(c.dilation, 1), groups: G };
    const options: Conv2dOptions = { stride: spec.stride!, padding: spec.padding!, dilation: spec.dilation!, groups: G };
    const variant = c.scalar ? { variant: 'scalar' as const } : {};
    const yShape = ref.conv2dOutputShape(spec);
    const wShape = [c.F, C / G, c.K[0], c.K[1]];
    const x = uniform(random, N * C * H * W);
    const w = uniform(random, wShape.reduce((a, v) => a * v, 1));
    const b = c.bias === false ? null : uniform(random, c.F);
    const dy = uniform(random, yShape.reduce((a, v) => a * v, 1));
    const xt = s.input(x, c.x, 'f32', 'x');
    const wt = s.input(w, wShape, 'f32', 'weight');
    const y = s.output(yShape, 'y');
    conv2d(xt, wt, b ? s.input(b, [c.F], 'f32', 'bias') : null, y, { ...options, ...variant });
    // f32 rounding grows with the reduction length; a wrong index or bound gives errors of order 1.
    const L = (C / G) * c.K[0] * c.K[1];
    await s.check('y', y, ref.conv2d(x, w, b, spec), 1e-6 * L + 1e-6, 1e-5);

    const grads = ref.conv2dBackward(x, w, dy, spec);
    const previous = (n: number) => (c.accumulate ? uniform(random, n) : new Float64Array(n));
    const withPrevious = (g: Float64Array, p: Float64Array) => g.map((v, i) => v + p[i]!);
    const dyt = s.input(dy, yShape, 'f32', 'dy');
    const dxPrev = previous(x.length);
    const dx = s.output(c.x, 'dx');
    if (c.accumulate) dx.write(dxPrev);
    conv2dBackwardInput(dyt, wt, dx, { ...options, ...variant }, c.accumulate);
    await s.check('dx', dx, withPrevious(grads.dx, dxPrev), 1e-6 * (c.F / G) * c.K[0] * c.K[1] + 1e-6, 1e-5);
    if (c.forwardAndInputOnly) return;
    const dwPrev = previous(w.length);
    const dw = s.output(wShape, 'dweight');
    if (c.accumulate) dw.write(dwPrev);
    conv2dBackwardWeight(xt, dyt, dw, options, c.accumulate);
    const M = N * yShape[2] * yShape[3];
    await s.check('dweight', dw, withPrevious(grads.dw, dwPrev), 1e-6 * M + 1e-6, 1e-5);
    const dbPrev = previous(c.F);
    const db = s.output([c.F], 'dbias');
    if (c.accumulate) db.write(dbPrev);
    conv2dBackwardBias(dyt, db, c.accumulate);
    await s.check('dbias', db, withPrevious(grads.db, dbPrev), 1e-6 * M + 1e-6, 1e-5);
  });
}

for (const c of [
  { x: [1, 1, 1, 1], F: 1, K: [1, 1] },
  { x: [2, 3, 1, 1], F: 5, K: [3, 3], padding: [1, 1] },
  { x: [1, 3, 7, 5], F: 5, K: [3, 3] },
  { x: [3, 5, 9, 11], F: 7, K: [3, 2], stride: [3, 2], padding: [1, 2], dilation: [2, 1] },
  { x: [2, 6, 8, 7], F: 4, K: [3, 3], stride: [2, 2], padding: [1, 1], groups: 2, accumulate: true },
  { x: [2, 5, 6, 6], F: 5, K: [3, 3], padding: [1, 1], groups: 5 },
  { x: [1, 4, 5, 9], F: 8, K: [2, 4], stride: [1, 3], groups: 4, bias: false },
  { x: [2, 3, 4, 4], F: 6, K: [4, 4], padding: [0, 0], bias: false, accumulate: true },
  { x: [2, 3, 5, 5], F: 3, K: [1, 1], stride: [2, 2] },
  { x: [32, 1, 28, 28], F: 8, K: [3, 3], padding: [1, 1] },
  { x: [32, 8, 14, 14], F: 16, K: [3, 3], padding: [1, 1] },
  { x: [32, 8, 14, 14], F: 16, K: [3, 3], padding: [1, 1], scalar: true },
  { x: [2, 8, 9, 7], F: 12, K: [3, 2], stride: [2, 3], padding: [1, 1], dilation: [1, 2], groups: 2, accumulate: true },
  { x: [1, 4, 5, 5], F: 4, K: [2, 2], stride: [2, 2], groups: 1, bias: false },
  // Groups on the vec4 path both ways (4 channels per group in and out): each group reads its own channels.
  { x: [2, 8, 6, 5], F: 8, K: [3, 3], padding: [1, 1], groups: 2 },
  { x: [1, 1, 2100, 2100], F: 1, K: [3, 3], forwardAndInputOnly: true },
] as ConvCase[]) {
  addConv(c);
}

add('conv2d bad input is rejected before dispatch', (s) => {
  const random = rng(1);
  const x = s.input(uniform(random, 2 * 3 * 2 * 2), [2, 3, 2, 2]);
  const w = s.input(uniform(random, 4 * 3 * 3 * 3), [4, 3, 3, 3]);
  s.expectError('kernel larger than the padded input', () => conv2d(x, w, null, s.output([2, 4, 1, 1])), /conv2d: kernel 3×3 is larger than the padded input 2×2 \(input \[2, 3, 2, 2\], padding 0×0\)/);
  s.expectError('dilated kernel too large', () => conv2d(x, w, null, s.output([2, 4, 1, 1]), { padding: 1, dilation: 2 }), /kernel 3×3 \(dilated to 5×5\) is larger than the padded input 4×4/);
  s.expectError('channels mismatch', () => conv2d(s.input(uniform(random, 2 * 2 * 5 * 5), [2, 2, 5, 5]), w, null, s.output([2, 4, 3, 3])), /conv2d: input expected 3 channels \(weight \[4, 3, 3, 3\], groups 1\), got 2 in input \[2, 2, 5, 5\]/);
  s.expectError('a 3-D input', () => conv2d(s.input(uniform(random, 3 * 5 * 5), [3, 5, 5]), w, null, s.output([1, 4, 3, 3])), /conv2d: input expected a 4-D NCHW shape \[N, 3, H, W\], got \[3, 5, 5\]/);
  s.expectError('groups that do not divide', () => conv2d(s.input(uniform(random, 6 * 25), [1, 6, 5, 5]), s.input(uniform(random, 5 * 3 * 9), [5, 3, 3, 3]), null, s.output([1, 5, 3, 3]), { groups: 2 }), /5 output channels do not split into 2 groups/);
  s.expectError('wrong output shape', () => conv2d(x, w, null, s.output([2, 4, 3, 3]), { padding: 1 }), /conv2d: argument 'output' expected shape \[2, 4, 2, 2\], got \[2, 4, 3, 3\]/);
  s.expectError('bias shape', () => conv2d(x, w, s.input([1, 2, 3]), s.output([2, 4, 2, 2]), { padding: 1 }), /conv2d: argument 'bias' expected shape \[4\], got \[3\]/);
  s.expectError('stride 0', () => conv2d(x, w, null, s.output([2, 4, 2, 2]), { padding: 1, stride: 0 }), /argument 'stride' expected a positive integer/);
});



// Cases the shader inspector (and the bench) can run at sizes you type: one per variant, every
// entry point of the family, checked against the float64 reference. F·(C/G) multiples of 4 with a
// reduction of ≥ 4 channels select the vec4 entry points; other channel counts the scalar ones.
for (const [C, F] of [[3, 5], [8, 8]] as const) {
  const vec4 = (blocked: number, reduced: number) => blocked % 4 === 0 && reduced >= 4;
  cases.push(
    kernelCase({
      name: `conv2d showcase C=${C} F=${F}: forward, input, weight and bias gradients`,
      entries: [vec4(F, C) ? 'conv2d_forward_vec4' : 'conv2d_forward', vec4(C, F) ? 'conv2d_backward_input_vec4' : 'conv2d_backward_input', 'conv2d_backward_weight', 'conv2d_backward_bias'],
      variant: vec4(F, C) ? 'v2 vec4' : 'v1',
      dims: { N: 4, C, H: 14, W: 14, F, K: 3, stride: 1, padding: 1 },
      showcase: true,
      setup(s, d, random) {
        const spec: ref.Conv2dSpec = { N: d.N!, C: d.C!, H: d.H!, W: d.W!, F: d.F!, KH: d.K!, KW: d.K!, stride: [d.stride!, d.stride!], padding: [d.padding!, d.padding!], dilation: [1, 1], groups: 1 };
        const options: Conv2dOptions = { stride: spec.stride!, padding: spec.padding!, dilation: [1, 1], groups: 1 };
        const [N, Cin, H, W, Fo, K] = [spec.N, spec.C, spec.H, spec.W, spec.F, d.K!];
        const yShape = ref.conv2dOutputShape(spec);
        const x = uniform(random, N * Cin * H * W);
        const w = uniform(random, Fo * Cin * K * K);
        const b = uniform(random, Fo);
        const dy = uniform(random, yShape.reduce((a, v) => a * v, 1));
        const [xt, wt, bt, dyt] = [s.input(x, [N, Cin, H, W]), s.input(w, [Fo, Cin, K, K]), s.input(b, [Fo]), s.input(dy, yShape)];
        const [y, dx, dw, db] = [s.output(yShape, 'y'), s.output([N, Cin, H, W], 'dx'), s.output([Fo, Cin, K, K], 'dweight'), s.output([Fo], 'dbias')];
        return {
          run: () => {
            conv2d(xt, wt, bt, y, options);
            conv2dBackwardInput(dyt, wt, dx, options);
            conv2dBackwardWeight(xt, dyt, dw, options);
            conv2dBackwardBias(dyt, db);
          },
          check: async () => {
            const grads = ref.conv2dBackward(x, w, dy, spec);
            const M = N * yShape[2] * yShape[3];
            await s.check('y', y, ref.conv2d(x, w, b, spec), 1e-6 * Cin * K * K + 1e-6, 1e-5);
            await s.check('dx', dx, grads.dx, 1e-6 * Fo * K * K + 1e-6, 1e-5);
            await s.check('dweight', dw, grads.dw, 1e-6 * M + 1e-6, 1e-5);
            await s.check('dbias', db, grads.db, 1e-6 * M + 1e-6, 1e-5);
          },
        };
      },
      // A run is a training step's convolution: forward, input and weight gradients (each 2·N·F·Ho·Wo·C·K²
      // multiply-adds counted as flop; the bias gradient's sums are not counted). Channels stay
      // multiples of 4 (the vec4 entry points); the float64 check of the largest size takes ~1 s.
      ...(C === 8 ? { bench: { sizes: [{ N: 4, C: 8, H: 14, W: 14, F: 8, K: 3, stride: 1, padding: 1 }, { N: 32, C: 8, H: 28, W: 28, F: 8, K: 3, stride: 1, padding: 1 }, { N: 64, C: 16, H: 28, W: 28, F: 16, K: 3, stride: 1, padding: 1 }], flop: (d: { N?: number; C?: number; H?: number; W?: number; F?: number; K?: number }) => 3 * 2 * d.N! * d.F! * d.H! * d.W! * d.C! * d.K! * d.K! } } : {}),
    }),
  );
}

export const spec: Spec = cases;
