// shaders/conv3d.wgsl: 3-D convolution over NCDHW (torch.nn.functional.conv3d), forward and backward. Launchers (argument checks as torch.nn.functional's, naming the op
// or the module through `where`), gradient rules, and the family's test spec.
import { shaderSource } from '../device/shader-sources';
import { loadShader } from '../device/shader';
import { dispatch1d, expectInput5d, expectTensor, expectTriple, shapeText, windowExtent, type Triple } from '../launch';
import * as ref from '../reference/conv3d';
import { PAST_GRID_LIMIT, rng, uniform } from '../spec/random';
import { caseTable, kernelCase, type Spec } from '../spec/scope';
import { upstream, type BackwardRule, type Tensor } from '../tensor';

export const shader = loadShader('conv3d');

const launch = (gpu: Tensor['gpu'], name: string, args: Parameters<Tensor['gpu']['dispatch']>[1], n: number, constants: Record<string, boolean> = {}): void => dispatch1d(gpu, shader, name, args, n, constants);

export type { Triple } from '../launch';

export interface Conv3dOptions {
  stride?: Triple;
  padding?: Triple;
  dilation?: Triple;
  groups?: number;
}

export interface Conv3dGeometry {
  N: number;
  C_in: number;
  D: number;
  H: number;
  W: number;
  C_out: number;
  OD: number;
  OH: number;
  OW: number;
  KD: number;
  KH: number;
  KW: number;
  stride_d: number;
  stride_h: number;
  stride_w: number;
  pad_d: number;
  pad_h: number;
  pad_w: number;
  dil_d: number;
  dil_h: number;
  dil_w: number;
  groups: number;
}

/**
 * padding='same' for a 3-D kernel: dilation · (k − 1) in all along each axis, half on each side. As
 * conv2d's samePadding: PyTorch puts an odd total's extra plane after the input, this convolution
 * pads both sides alike, so that case is an Error, as a stride above 1 is in PyTorch.
 */
export function samePadding3d(where: string, kernel: readonly [number, number, number], stride: readonly [number, number, number], dilation: readonly [number, number, number]): [number, number, number] {
  if (stride.some((s) => s !== 1)) throw new Error(`${where}: padding='same' is not supported for strided convolutions (stride (${stride.join(', ')})), as in PyTorch`);
  const total = kernel.map((k, a) => dilation[a]! * (k - 1));
  if (total.some((t) => t % 2 !== 0)) throw new Error(`${where}: padding='same' with kernel ${kernel.join('×')} (dilation ${dilation.join('×')}) needs ${total.join(', ')} positions of padding along depth, height and width; PyTorch puts an odd one after the input, this ${where} pads both sides alike: use an odd kernel size, or give the padding`);
  return total.map((t) => t / 2) as [number, number, number];
}

/** Checks an input shape [N, C_in, D, H, W] against a weight shape [C_out, C_in/G, KD, KH, KW] and returns the geometry. */
export function conv3dGeometry(input: readonly number[], weight: readonly number[], options: Conv3dOptions = {}, where = 'conv3d'): Conv3dGeometry {
  const groups = options.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`${where}: argument 'groups' expected a positive integer, got ${groups}`);
  const stride = expectTriple(where, 'stride', options.stride ?? 1, 1);
  const pad = expectTriple(where, 'padding', options.padding ?? 0, 0);
  const dil = expectTriple(where, 'dilation', options.dilation ?? 1, 1);
  if (weight.length !== 5) throw new Error(`${where}: weight expected 5 dimensions [C_out, C_in/groups, KD, KH, KW], got ${shapeText(weight)}`);
  const [C_out, Cg, KD, KH, KW] = weight as [number, number, number, number, number];
  expectInput5d(where, input, String(Cg * groups));
  const [N, C_in, D, H, W] = input as [number, number, number, number, number];
  if (C_out % groups !== 0) throw new Error(`${where}: ${C_out} output channels do not split into ${groups} groups`);
  if (C_in !== Cg * groups) throw new Error(`${where}: input expected ${Cg * groups} channels (weight ${shapeText(weight)}, groups ${groups}), got ${C_in} in input ${shapeText(input)}`);
  const [OD, OH, OW] = windowExtent(where, input, [KD, KH, KW], stride, pad, dil) as [number, number, number];
  return { N, C_in, D, H, W, C_out, OD, OH, OW, KD, KH, KW, stride_d: stride[0], stride_h: stride[1], stride_w: stride[2], pad_d: pad[0], pad_h: pad[1], pad_w: pad[2], dil_d: dil[0], dil_h: dil[1], dil_w: dil[2], groups };
}

const outputShape = (g: Conv3dGeometry) => [g.N, g.C_out, g.OD, g.OH, g.OW];

/** y = conv3d(x, weight, bias) as torch.nn.functional.conv3d; bias null for none. */
export function conv3d(x: Tensor, weight: Tensor, bias: Tensor | null, y: Tensor, options: Conv3dOptions = {}, where = 'conv3d'): Conv3dGeometry {
  const g = conv3dGeometry(x.shape, weight.shape, options, where);
  expectTensor(where, 'input', x, x.shape);
  expectTensor(where, 'weight', weight, weight.shape);
  if (bias) expectTensor(where, 'bias', bias, [g.C_out]);
  expectTensor(where, 'output', y, outputShape(g));
  launch(x.gpu, 'conv3d_forward', { params: { ...g }, x, weight, bias: bias ?? x.gpu.placeholders[0], y }, y.size, { HAS_BIAS: bias !== null });
  return g;
}

/** dx from dy and the weight (x's shape is dx's). */
export function conv3dBackwardInput(dy: Tensor, weight: Tensor, dx: Tensor, options: Conv3dOptions = {}, accumulate = false, where = 'conv3d backward'): void {
  const g = conv3dGeometry(dx.shape, weight.shape, options, where);
  expectTensor(where, 'dy', dy, outputShape(g));
  expectTensor(where, 'dx', dx, dx.shape);
  launch(dy.gpu, 'conv3d_backward_input', { params: { ...g }, dy, weight, dx }, dx.size, { ACCUMULATE: accumulate });
}

/** dweight from x and dy. */
export function conv3dBackwardWeight(x: Tensor, dy: Tensor, dweight: Tensor, options: Conv3dOptions = {}, accumulate = false, where = 'conv3d backward'): void {
  const g = conv3dGeometry(x.shape, dweight.shape, options, where);
  expectTensor(where, 'dy', dy, outputShape(g));
  expectTensor(where, 'dweight', dweight, dweight.shape);
  launch(x.gpu, 'conv3d_backward_weight', { params: { ...g }, x, dy, dweight }, dweight.size, { ACCUMULATE: accumulate });
}

/** dbias[co] = Σ_{n, od, oh, ow} dy[n, co, od, oh, ow]. */
export function conv3dBackwardBias(dy: Tensor, dbias: Tensor, accumulate = false, where = 'conv3d backward'): void {
  expectInput5d(where, dy.shape, 'C_out');
  const [N, C_out, OD, OH, OW] = dy.shape as [number, number, number, number, number];
  expectTensor(where, 'dbias', dbias, [C_out]);
  const params = { N, C_in: 1, D: 1, H: 1, W: 1, C_out, OD, OH, OW, KD: 1, KH: 1, KW: 1, stride_d: 1, stride_h: 1, stride_w: 1, pad_d: 0, pad_h: 0, pad_w: 0, dil_d: 1, dil_h: 1, dil_w: 1, groups: 1 };
  launch(dy.gpu, 'conv3d_backward_bias', { params, dy, dbias }, C_out, { ACCUMULATE: accumulate });
}

export const gradients = {
  /** y = conv3d(x, w) + b: dx by conv3d_backward_input, dw by conv3d_backward_weight, db by the bias sum. */
  conv3d: (x: Tensor, weight: Tensor, bias: Tensor | null, options: Conv3dOptions, where: string): BackwardRule => (ctx, gradOutput) => {
    const dy = upstream(gradOutput, x.gpu, [1, 1, 1, 1, 1]); // at the root, the output is [1, 1, 1, 1, 1]
    if (x.requiresGrad) {
      const dx = ctx.target(x);
      conv3dBackwardInput(dy, weight, dx.grad, options, dx.accumulate, where);
    }
    if (weight.requiresGrad) {
      const dw = ctx.target(weight);
      conv3dBackwardWeight(x, dy, dw.grad, options, dw.accumulate, where);
    }
    if (bias?.requiresGrad) {
      const db = ctx.target(bias);
      conv3dBackwardBias(dy, db.grad, db.accumulate, where);
    }
  },
};

// ── spec: fresh random inputs, NaN-poisoned outputs, the float64 reference ──────────────────────────
const { cases, add } = caseTable();

interface Conv3dCase {
  x: [number, number, number, number, number];
  F: number;
  K: [number, number, number];
  stride?: [number, number, number];
  padding?: [number, number, number];
  dilation?: [number, number, number];
  groups?: number;
  bias?: boolean;
  accumulate?: boolean;
  /** Cases past 65,535 workgroups check the forward and the input gradient only (their float64 references are slow). */
  forwardAndInputOnly?: boolean;
}

const volumeOf = (shape: readonly number[]) => shape.reduce((a, v) => a * v, 1);

/** Forward and every gradient of one convolution against the float64 reference, from fresh inputs. */
function addConv(c: Conv3dCase): void {
  const outputs = volumeOf(ref.conv3dOutputShape({ N: c.x[0], C: c.x[1], size: [c.x[2], c.x[3], c.x[4]], F: c.F, kernel: c.K, ...(c.stride ? { stride: c.stride } : {}), ...(c.padding ? { padding: c.padding } : {}), ...(c.dilation ? { dilation: c.dilation } : {}) }));
  // Past the grid limit the name carries the output count (tests/support/harness.ts's heavyCase: Chrome only).
  const flags = [c.stride && `stride ${c.stride.join('×')}`, c.padding && `pad ${c.padding.join('×')}`, c.dilation && `dilation ${c.dilation.join('×')}`, c.groups && `groups ${c.groups}`, c.bias === false && 'no bias', c.accumulate && 'accumulate', outputs > PAST_GRID_LIMIT && `(${outputs} outputs, past 65,535 workgroups)`].filter(Boolean);
  add(`conv3d [${c.x.join(', ')}] → ${c.F} channels, kernel ${c.K.join('×')}${flags.length ? ` ${flags.join(' ')}` : ''}`, async (s, random) => {
    const [N, C, D, H, W] = c.x;
    const G = c.groups ?? 1;
    const spec: ref.Conv3dSpec = { N, C, size: [D, H, W], F: c.F, kernel: c.K, stride: c.stride ?? [1, 1, 1], padding: c.padding ?? [0, 0, 0], dilation: c.dilation ?? [1, 1, 1], groups: G };
    const options: Conv3dOptions = { stride: spec.stride!, padding: spec.padding!, dilation: spec.dilation!, groups: G };
    const yShape = ref.conv3dOutputShape(spec);
    const wShape = [c.F, C / G, ...c.K];
    const [x, w, dy] = [uniform(random, volumeOf(c.x)), uniform(random, volumeOf(wShape)), uniform(random, volumeOf(yShape))];
    const b = c.bias === false ? null : uniform(random, c.F);
    const xt = s.input(x, c.x, 'f32', 'x');
    const wt = s.input(w, wShape, 'f32', 'weight');
    const y = s.output(yShape, 'y');
    conv3d(xt, wt, b ? s.input(b, [c.F], 'f32', 'bias') : null, y, options);
    // f32 rounding grows with the reduction length; a wrong index or bound gives errors of order 1.
    const taps = volumeOf(c.K);
    await s.check('y', y, ref.conv3d(x, w, b, spec), 1e-6 * (C / G) * taps + 1e-6, 1e-5);

    const grads = ref.conv3dBackward(x, w, dy, spec);
    const previous = (n: number) => (c.accumulate ? uniform(random, n) : new Float64Array(n));
    const written = (shape: readonly number[], label: string, before: Float64Array) => {
      const t = s.output(shape, label);
      if (c.accumulate) t.write(before);
      return t;
    };
    const plus = (g: Float64Array, before: Float64Array) => g.map((v, i) => v + before[i]!);
    const dyt = s.input(dy, yShape, 'f32', 'dy');
    const [dxPrev, dwPrev, dbPrev] = [previous(x.length), previous(w.length), previous(c.F)];
    const dx = written(c.x, 'dx', dxPrev);
    conv3dBackwardInput(dyt, wt, dx, options, c.accumulate);
    await s.check('dx', dx, plus(grads.dx, dxPrev), 1e-6 * (c.F / G) * taps + 1e-6, 1e-5);
    if (c.forwardAndInputOnly) return;
    const M = volumeOf(yShape) / c.F;
    const dw = written(wShape, 'dweight', dwPrev);
    conv3dBackwardWeight(xt, dyt, dw, options, c.accumulate);
    await s.check('dweight', dw, plus(grads.dw, dwPrev), 1e-6 * M + 1e-6, 1e-5);
    const db = written([c.F], 'dbias', dbPrev);
    conv3dBackwardBias(dyt, db, c.accumulate);
    await s.check('dbias', db, plus(grads.db, dbPrev), 1e-6 * M + 1e-6, 1e-5);
  });
}

// Size 1 everywhere; primes; padding on every axis; dilation; stride above the kernel (inputs skipped
// between windows); groups and depthwise; a 1×1×1 kernel; outputs that are not multiples of 64;
// accumulate; a video-like clip (8 frames of 16×16, 3 → 8 channels); 4,259,840 outputs (past 65,535
// workgroups of 64: the grid spills into y).
for (const c of [
  { x: [1, 1, 1, 1, 1], F: 1, K: [1, 1, 1] },
  { x: [2, 3, 1, 1, 1], F: 5, K: [3, 3, 3], padding: [1, 1, 1] },
  { x: [1, 2, 5, 7, 3], F: 3, K: [3, 3, 2] },
  { x: [2, 3, 7, 5, 6], F: 5, K: [3, 2, 3], stride: [2, 3, 1], padding: [1, 0, 2], dilation: [2, 1, 2] },
  { x: [2, 4, 5, 6, 5], F: 6, K: [3, 3, 3], stride: [2, 2, 2], padding: [1, 1, 1], groups: 2, accumulate: true },
  { x: [1, 5, 4, 5, 6], F: 5, K: [3, 3, 3], padding: [1, 1, 1], groups: 5 },
  { x: [2, 3, 7, 7, 7], F: 2, K: [2, 2, 2], stride: [3, 3, 3], bias: false },
  { x: [1, 4, 3, 5, 7], F: 8, K: [1, 2, 3], stride: [1, 2, 3], groups: 4, bias: false, accumulate: true },
  { x: [2, 3, 5, 4, 3], F: 4, K: [1, 1, 1], stride: [2, 1, 2] },
  { x: [2, 3, 8, 16, 16], F: 8, K: [3, 3, 3], padding: [1, 1, 1] },
  { x: [1, 1, 16, 512, 520], F: 1, K: [1, 1, 3], padding: [0, 0, 1], forwardAndInputOnly: true },
] as Conv3dCase[]) {
  addConv(c);
}

add('conv3d bad input is rejected before dispatch', (s) => {
  const random = rng(3);
  const x = s.input(uniform(random, 2 * 3 * 8), [2, 3, 2, 2, 2]);
  const w = s.input(uniform(random, 4 * 3 * 27), [4, 3, 3, 3, 3]);
  s.expectError('kernel larger than the padded input', () => conv3d(x, w, null, s.output([2, 4, 1, 1, 1])), /^conv3d: kernel 3×3×3 is larger than the padded input 2×2×2 \(input \[2, 3, 2, 2, 2\], padding 0×0×0\)$/);
  s.expectError('dilated kernel too large', () => conv3d(x, w, null, s.output([2, 4, 1, 1, 1]), { padding: 1, dilation: [1, 2, 1] }), /kernel 3×3×3 \(dilated to 3×5×3\) is larger than the padded input 4×4×4/);
  s.expectError('channels mismatch', () => conv3d(s.input(uniform(random, 2 * 2 * 27), [2, 2, 3, 3, 3]), w, null, s.output([2, 4, 1, 1, 1])), /^conv3d: input expected 3 channels \(weight \[4, 3, 3, 3, 3\], groups 1\), got 2 in input \[2, 2, 3, 3, 3\]$/);
  s.expectError('a 4-D input', () => conv3d(s.input(uniform(random, 3 * 27), [3, 3, 3, 3]), w, null, s.output([1, 4, 1, 1, 1])), /^conv3d: input expected a 5-D NCDHW shape \[N, 3, D, H, W\], got \[3, 3, 3, 3\]$/);
  s.expectError('a 4-D weight', () => conv3d(x, s.input(uniform(random, 4 * 3 * 9), [4, 3, 3, 3]), null, s.output([2, 4, 1, 1, 1])), /^conv3d: weight expected 5 dimensions \[C_out, C_in\/groups, KD, KH, KW\], got \[4, 3, 3, 3\]$/);
  s.expectError('groups that do not divide', () => conv3d(s.input(uniform(random, 6 * 27), [1, 6, 3, 3, 3]), s.input(uniform(random, 5 * 3), [5, 3, 1, 1, 1]), null, s.output([1, 5, 3, 3, 3]), { groups: 2 }), /5 output channels do not split into 2 groups/);
  s.expectError('wrong output shape', () => conv3d(x, w, null, s.output([2, 4, 3, 3, 3]), { padding: 1 }), /^conv3d: argument 'output' expected shape \[2, 4, 2, 2, 2\], got \[2, 4, 3, 3, 3\]$/);
  s.expectError('bias shape', () => conv3d(x, w, s.input([1, 2, 3]), s.output([2, 4, 2, 2, 2]), { padding: 1 }), /^conv3d: argument 'bias' expected shape \[4\], got \[3\]$/);
  s.expectError('a stride pair', () => conv3d(x, w, null, s.output([2, 4, 2, 2, 2]), { padding: 1, stride: [1, 1] as never }), /^conv3d: argument 'stride' expected a positive integer or a triple of them, got \[1,1\]$/);
  s.expectError('padding −1', () => conv3d(x, w, null, s.output([2, 4, 2, 2, 2]), { padding: [1, -1, 1] }), /^conv3d: argument 'padding' expected a non-negative integer or a triple of them, got \[1,-1,1\]$/);
});

/** The NCDHW decoding block (struct Ncdhw, fn ncdhw) of a shader's source. */
function ncdhwText(source: string): string {
  const match = /\n\/\/ Element i of a row-major 5-D tensor[\s\S]*?\nfn ncdhw\([\s\S]*?\n}\n/.exec(source);
  return match ? match[0] : '';
}

add("conv3d's NCDHW decoding is pool3d's (the same WGSL text)", (s) => {
  const [ours, theirs] = [ncdhwText(shaderSource('conv3d')), ncdhwText(shaderSource('pool3d'))];
  s.expect('conv3d.wgsl has the block', ours.length > 200, `${ours.length} characters`);
  const firstDifference = [...ours].findIndex((ch, i) => ch !== theirs[i]);
  s.expect('identical in pool3d.wgsl', ours === theirs, ours === theirs ? `${ours.length} characters match` : `differs at character ${firstDifference}`);
});

// The case the shader inspector (and the bench) runs at sizes you type: every entry point, checked
// against the float64 reference.
cases.push(
  kernelCase({
    name: 'conv3d showcase: forward, input, weight and bias gradients',
    entries: ['conv3d_forward', 'conv3d_backward_input', 'conv3d_backward_weight', 'conv3d_backward_bias'],
    variant: 'v1',
    dims: { N: 2, C: 3, D: 6, H: 10, W: 10, F: 8, K: 3, stride: 1, padding: 1 },
    showcase: true,
    setup(s, d, random) {
      const [N, C, D, H, W, F, K] = [d.N!, d.C!, d.D!, d.H!, d.W!, d.F!, d.K!];
      const spec: ref.Conv3dSpec = { N, C, size: [D, H, W], F, kernel: [K, K, K], stride: [d.stride!, d.stride!, d.stride!], padding: [d.padding!, d.padding!, d.padding!] };
      const options: Conv3dOptions = { stride: d.stride!, padding: d.padding! };
      const [xShape, wShape, yShape] = [[N, C, D, H, W], [F, C, K, K, K], ref.conv3dOutputShape(spec)];
      const [x, w, b, dy] = [uniform(random, volumeOf(xShape)), uniform(random, volumeOf(wShape)), uniform(random, F), uniform(random, volumeOf(yShape))];
      const [xt, wt, bt, dyt] = [s.input(x, xShape), s.input(w, wShape), s.input(b, [F]), s.input(dy, yShape)];
      const [y, dx, dw, db] = [s.output(yShape, 'y'), s.output(xShape, 'dx'), s.output(wShape, 'dweight'), s.output([F], 'dbias')];
      return {
        run: () => {
          conv3d(xt, wt, bt, y, options);
          conv3dBackwardInput(dyt, wt, dx, options);
          conv3dBackwardWeight(xt, dyt, dw, options);
          conv3dBackwardBias(dyt, db);
        },
        check: async () => {
          const grads = ref.conv3dBackward(x, w, dy, spec);
          const M = volumeOf(yShape) / F;
          await s.check('y', y, ref.conv3d(x, w, b, spec), 1e-6 * C * K ** 3 + 1e-6, 1e-5);
          await s.check('dx', dx, grads.dx, 1e-6 * F * K ** 3 + 1e-6, 1e-5);
          await s.check('dweight', dw, grads.dw, 1e-6 * M + 1e-6, 1e-5);
          await s.check('dbias', db, grads.db, 1e-6 * M + 1e-6, 1e-5);
        },
      };
    },
    // A run is a training step's convolution: forward, input and weight gradients, each
    // 2·N·F·OD·OH·OW·C·K³ multiply-adds counted as flop (stride 1, 'same' padding: the output is the
    // input's size); the bias gradient's sums are not counted. The largest is a C3D-like first layer
    // on an 8-frame 32 × 32 clip, kept that small so its float64 check stays a few seconds.
    bench: {
      sizes: [
        { N: 2, C: 3, D: 6, H: 10, W: 10, F: 8, K: 3, stride: 1, padding: 1 },
        { N: 2, C: 4, D: 8, H: 16, W: 16, F: 8, K: 3, stride: 1, padding: 1 },
        { N: 2, C: 3, D: 8, H: 32, W: 32, F: 16, K: 3, stride: 1, padding: 1 },
      ],
      flop: (d: { N?: number; C?: number; D?: number; H?: number; W?: number; F?: number; K?: number }) => 3 * 2 * d.N! * d.F! * d.D! * d.H! * d.W! * d.C! * d.K! ** 3,
    },
  }),
);

export const spec: Spec = cases;
