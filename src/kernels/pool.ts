// shaders/pool.wgsl: max, average and adaptive average pooling over NCHW, forward and backward. Launchers (argument checks as torch.nn.functional's, naming the op
// or the module through `where`), gradient rules, and the family's test spec.
import { loadShader } from '../device/shader';
import { shaderSource } from '../device/shader-sources';
import * as ref from '../reference/conv';
import { rng, uniform } from '../spec/random';
import { caseTable, kernelCase, type Spec } from '../spec/scope';
import { Tensor, upstream, type BackwardRule } from '../tensor';
import { dispatch1d, expectInput4d, expectPair, expectTensor, outputExtent, pair, pairOr, type Pair } from '../launch';

export const shader = loadShader('pool');

const launch = (gpu: Tensor['gpu'], name: string, args: Parameters<Tensor['gpu']['dispatch']>[1], n: number, constants: Record<string, boolean> = {}): void => dispatch1d(gpu, shader, name, args, n, constants);


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
  expectTensor(where, 'indices', indices, y.shape, 'u32');
  launch(x.gpu, 'max_pool2d_forward', { params: { ...g }, x, y, indices }, y.size);
  return g;
}

export function maxPool2dBackward(dy: Tensor, indices: Tensor, dx: Tensor, options: Pool2dOptions, accumulate = false, where = 'max_pool2d backward'): void {
  const g = pool2dGeometry(dx.shape, options, where);
  expectTensor(where, 'dy', dy, [g.N, g.C, g.OH, g.OW]);
  expectTensor(where, 'indices', indices, dy.shape, 'u32');
  expectTensor(where, 'dx', dx, dx.shape);
  launch(dy.gpu, 'max_pool2d_backward', { params: { ...g }, dy, indices_in: indices, dx }, dx.size, { ACCUMULATE: accumulate });
}

function avgGeometry(input: readonly number[], options: Pool2dOptions, where: string): Pool2dGeometry {
  if (options.dilation !== undefined && pair(options.dilation).some((d) => d !== 1)) throw new Error(`${where}: avg_pool2d has no dilation (PyTorch's neither), got ${JSON.stringify(options.dilation)}`);
  return pool2dGeometry(input, options, where);
}

export function avgPool2d(x: Tensor, y: Tensor, options: Pool2dOptions, where = 'avg_pool2d'): Pool2dGeometry {
  const g = avgGeometry(x.shape, options, where);
  expectTensor(where, 'input', x, x.shape);
  expectTensor(where, 'output', y, [g.N, g.C, g.OH, g.OW]);
  launch(x.gpu, 'avg_pool2d_forward', { params: { ...g }, x, y }, y.size, { COUNT_INCLUDE_PAD: options.countIncludePad ?? true });
  return g;
}

export function avgPool2dBackward(dy: Tensor, dx: Tensor, options: Pool2dOptions, accumulate = false, where = 'avg_pool2d backward'): void {
  const g = avgGeometry(dx.shape, options, where);
  expectTensor(where, 'dy', dy, [g.N, g.C, g.OH, g.OW]);
  expectTensor(where, 'dx', dx, dx.shape);
  launch(dy.gpu, 'avg_pool2d_backward', { params: { ...g }, dy, dx }, dx.size, { COUNT_INCLUDE_PAD: options.countIncludePad ?? true, ACCUMULATE: accumulate });
}

/** Adaptive pooling's params: the input [N, C, H, W] pooled to [OH, OW] (the window fields unused). */
function adaptiveParams(where: string, input: readonly number[], outputSize: readonly [number, number]) {
  expectInput4d(where, input, 'C');
  const [N, C, H, W] = input as [number, number, number, number];
  const [OH, OW] = outputSize;
  if (![OH, OW].every((v) => Number.isInteger(v) && v >= 1)) throw new Error(`${where}: output_size expected positive integers, got ${JSON.stringify(outputSize)}`);
  return { N, C, H, W, OH, OW, KH: 1, KW: 1, stride_h: 1, stride_w: 1, pad_h: 0, pad_w: 0, dil_h: 1, dil_w: 1 };
}

/** adaptive_avg_pool2d(x, [OH, OW]) into y [N, C, OH, OW]: each output the mean of its bin. */
export function adaptiveAvgPool2d(x: Tensor, y: Tensor, where = 'adaptive_avg_pool2d'): void {
  const params = adaptiveParams(where, x.shape, [y.shape[2]!, y.shape[3]!]);
  expectTensor(where, 'input', x, x.shape);
  expectTensor(where, 'output', y, [params.N, params.C, params.OH, params.OW]);
  launch(x.gpu, 'adaptive_avg_pool2d_forward', { params, x, y }, y.size);
}

export function adaptiveAvgPool2dBackward(dy: Tensor, dx: Tensor, accumulate = false, where = 'adaptive_avg_pool2d backward'): void {
  const params = adaptiveParams(where, dx.shape, [dy.shape[2]!, dy.shape[3]!]);
  expectTensor(where, 'dy', dy, [params.N, params.C, params.OH, params.OW]);
  expectTensor(where, 'dx', dx, dx.shape);
  launch(dy.gpu, 'adaptive_avg_pool2d_backward', { params, dy, dx }, dx.size, { ACCUMULATE: accumulate });
}

/** adaptive_max_pool2d(x, [OH, OW]) into y; indices (u32) keep each maximum's h·W + w within its plane. */
export function adaptiveMaxPool2d(x: Tensor, y: Tensor, indices: Tensor, where = 'adaptive_max_pool2d'): void {
  const params = adaptiveParams(where, x.shape, [y.shape[2]!, y.shape[3]!]);
  expectTensor(where, 'input', x, x.shape);
  expectTensor(where, 'output', y, [params.N, params.C, params.OH, params.OW]);
  expectTensor(where, 'indices', indices, y.shape, 'u32');
  launch(x.gpu, 'adaptive_max_pool2d_forward', { params, x, y, indices }, y.size);
}

export function adaptiveMaxPool2dBackward(dy: Tensor, indices: Tensor, dx: Tensor, accumulate = false, where = 'adaptive_max_pool2d backward'): void {
  const params = adaptiveParams(where, dx.shape, [dy.shape[2]!, dy.shape[3]!]);
  expectTensor(where, 'dy', dy, [params.N, params.C, params.OH, params.OW]);
  expectTensor(where, 'indices', indices, dy.shape, 'u32');
  expectTensor(where, 'dx', dx, dx.shape);
  launch(dy.gpu, 'adaptive_max_pool2d_backward', { params, dy, indices_in: indices, dx }, dx.size, { ACCUMULATE: accumulate });
}

export const gradients = {
  /** Each window's gradient goes to its kept arg-max. */
  maxPool2d: (x: Tensor, indices: Tensor, options: Pool2dOptions, where: string): BackwardRule => (ctx, dy) => {
    const dx = ctx.target(x);
    maxPool2dBackward(upstream(dy, x.gpu, [1, 1, 1, 1]), indices, dx.grad, options, dx.accumulate, where);
  },
  avgPool2d: (x: Tensor, options: Pool2dOptions, where: string): BackwardRule => (ctx, dy) => {
    const dx = ctx.target(x);
    avgPool2dBackward(upstream(dy, x.gpu, [1, 1, 1, 1]), dx.grad, options, dx.accumulate, where);
  },
  adaptiveAvgPool2d: (x: Tensor, where: string): BackwardRule => (ctx, dy) => {
    const dx = ctx.target(x);
    adaptiveAvgPool2dBackward(upstream(dy, x.gpu, [1, 1, 1, 1]), dx.grad, dx.accumulate, where);
  },
  adaptiveMaxPool2d: (x: Tensor, indices: Tensor, where: string): BackwardRule => (ctx, dy) => {
    const dx = ctx.target(x);
    adaptiveMaxPool2dBackward(upstream(dy, x.gpu, [1, 1, 1, 1]), indices, dx.grad, dx.accumulate, where);
  },
};

// ── spec: fresh random inputs, NaN-poisoned outputs, the float64 reference ──────────────────────────
const { cases, add } = caseTable();
const PAST_GRID_LIMIT = 65535 * 64;
// ── pooling ─────────────────────────────────────────────────────────────────────────────────────
interface PoolCase {
  kind: 'max' | 'avg';
  x: [number, number, number, number];
  options: Pool2dOptions;
  /** Inputs rounded to {−1, 0, 1}: many tied maxima. */
  ties?: boolean;
  /** A few NaN inputs, two in one window: a NaN wins, the last one (PyTorch's isnan test). */
  nan?: boolean;
  accumulate?: boolean;
}

function poolSpec(c: PoolCase): ref.Pool2dSpec {
  const [N, C, H, W] = c.x;
  const [KH, KW] = pairOr(c.options.kernelSize, 1);
  const o = c.options as { stride?: [number, number]; padding?: [number, number]; dilation?: [number, number] };
  return { N, C, H, W, KH, KW, stride: o.stride === undefined ? [KH, KW] : pairOr(o.stride, 1), padding: pairOr(o.padding, 0), dilation: pairOr(o.dilation, 1), countIncludePad: c.options.countIncludePad ?? true };
}

function addPool(c: PoolCase): void {
  const o = c.options;
  const flags = [o.stride !== undefined && `stride ${JSON.stringify(o.stride)}`, o.padding !== undefined && `pad ${JSON.stringify(o.padding)}`, o.dilation !== undefined && `dilation ${JSON.stringify(o.dilation)}`, o.countIncludePad === false && 'count_include_pad=False', c.ties && 'tied values', c.nan && 'NaN inputs', c.accumulate && 'accumulate'].filter(Boolean);
  add(`${c.kind}_pool2d [${c.x.join(', ')}] kernel ${JSON.stringify(o.kernelSize)}${flags.length ? ` ${flags.join(' ')}` : ''}`, async (s, random) => {
    const spec = poolSpec(c);
    const yShape = ref.pool2dOutputShape(spec);
    const x = uniform(random, c.x.reduce((a, v) => a * v, 1)).map((v) => (c.ties ? Math.round(v) : v));
    if (c.nan) for (const i of [0, 1, 8, 23, x.length - 1]) x[i] = NaN;
    const dy = uniform(random, yShape.reduce((a, v) => a * v, 1));
    const previous = c.accumulate ? uniform(random, x.length) : new Float64Array(x.length);
    const xt = s.input(x, c.x, 'f32', 'x');
    const y = s.output(yShape, 'y');
    const dx = s.output(c.x, 'dx');
    if (c.accumulate) dx.write(previous);
    let expectedDx: Float64Array;
    if (c.kind === 'max') {
      const indices = s.own(Tensor.empty(s.gpu, yShape, 'u32', 'indices'));
      indices.write(new Uint32Array(indices.size).fill(0xffffffff));
      maxPool2d(xt, y, indices, o);
      const expected = ref.maxPool2d(x, spec);
      await s.check('y', y, expected.y, 0, 0);
      await s.check('indices', indices, expected.indices, 0, 0);
      maxPool2dBackward(s.input(dy, yShape, 'f32', 'dy'), indices, dx, o, c.accumulate);
      expectedDx = ref.maxPool2dBackward(dy, expected.indices, spec);
    } else {
      avgPool2d(xt, y, o);
      await s.check('y', y, ref.avgPool2d(x, spec), 1e-6, 1e-5);
      avgPool2dBackward(s.input(dy, yShape, 'f32', 'dy'), dx, o, c.accumulate);
      expectedDx = ref.avgPool2dBackward(dy, spec);
    }
    await s.check('dx', dx, expectedDx.map((v, i) => v + previous[i]!), 1e-6, 1e-5);
  });
}

for (const c of [
  { kind: 'max', x: [1, 1, 1, 1], options: { kernelSize: 1 } },
  { kind: 'max', x: [2, 3, 5, 7], options: { kernelSize: 2 } },
  { kind: 'max', x: [1, 5, 7, 6], options: { kernelSize: 3, stride: 2, padding: 1 } },
  { kind: 'max', x: [2, 3, 9, 8], options: { kernelSize: [3, 2], stride: [2, 3], padding: 1, dilation: [2, 3] }, accumulate: true },
  { kind: 'max', x: [3, 7, 8, 8], options: { kernelSize: 2 }, ties: true },
  { kind: 'max', x: [2, 3, 5, 7], options: { kernelSize: 3, stride: 2, padding: 1 }, nan: true },
  { kind: 'max', x: [2, 3, 9, 9], options: { kernelSize: 3, stride: 1, padding: 1 }, ties: true },
  { kind: 'max', x: [32, 8, 28, 28], options: { kernelSize: 2 } },
  { kind: 'max', x: [1, 1, 2100, 2100], options: { kernelSize: 2, stride: 1 } },
  { kind: 'avg', x: [1, 1, 1, 1], options: { kernelSize: 1 } },
  { kind: 'avg', x: [2, 3, 5, 7], options: { kernelSize: 3, stride: 2, padding: 1 } },
  { kind: 'avg', x: [2, 3, 5, 7], options: { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }, accumulate: true },
  { kind: 'avg', x: [1, 5, 11, 4], options: { kernelSize: [4, 2], stride: [3, 1], padding: [2, 1] } },
  { kind: 'avg', x: [1, 5, 11, 4], options: { kernelSize: [4, 2], stride: [3, 1], padding: [2, 1], countIncludePad: false } },
] as PoolCase[]) {
  addPool(c);
}

// Adaptive pooling: sizes that divide, that do not (overlapping bins), larger outputs than inputs
// (bins of one row read by several outputs), 1×1 over a large plane; ties and NaN for max.
for (const [kind, shape, out, flags] of [
  ['avg', [1, 1, 1, 1], [1, 1], {}],
  ['avg', [2, 3, 5, 7], [1, 1], {}],
  ['avg', [3, 67, 4, 4], [1, 1], { accumulate: true }],
  ['avg', [1, 70, 250, 250], [1, 1], {}],
  ['avg', [2, 3, 12, 12], [4, 6], {}],
  ['avg', [2, 5, 10, 7], [3, 4], { accumulate: true }],
  ['avg', [1, 3, 3, 5], [7, 8], {}],
  ['avg', [2, 4, 13, 9], [13, 2], {}],
  ['max', [1, 1, 1, 1], [1, 1], {}],
  ['max', [2, 3, 5, 7], [1, 1], {}],
  ['max', [2, 5, 10, 7], [3, 4], { accumulate: true }],
  ['max', [1, 3, 3, 5], [7, 8], {}],
  ['max', [3, 4, 9, 11], [4, 5], { ties: true }],
  ['max', [2, 3, 8, 8], [3, 3], { nan: true }],
  ['max', [1, 70, 250, 250], [7, 7], {}],
] as ['avg' | 'max', [number, number, number, number], [number, number], { accumulate?: boolean; ties?: boolean; nan?: boolean }][]) {
  const notes = [flags.ties && 'tied values', flags.nan && 'NaN inputs', flags.accumulate && 'accumulate'].filter(Boolean).join(' ');
  add(`adaptive_${kind}_pool2d [${shape.join(', ')}] to ${out.join('×')}${notes ? ` ${notes}` : ''}`, async (s, random) => {
    const [N, C, H, W] = shape;
    const spec: ref.AdaptivePool2dSpec = { N, C, H, W, OH: out[0], OW: out[1] };
    const yShape = [N, C, out[0], out[1]];
    const x = uniform(random, N * C * H * W).map((v) => (flags.ties ? Math.round(v) : v));
    if (flags.nan) for (const i of [0, 1, 9, 10, 40, x.length - 1]) x[i] = NaN;
    const dy = uniform(random, N * C * out[0] * out[1]);
    const previous = flags.accumulate ? uniform(random, x.length) : new Float64Array(x.length);
    const y = s.output(yShape, 'y');
    const dx = s.output(shape, 'dx');
    if (flags.accumulate) dx.write(previous);
    let expectedDx: Float64Array;
    if (kind === 'avg') {
      adaptiveAvgPool2d(s.input(x, shape), y);
      await s.check('y', y, ref.adaptiveAvgPool2d(x, spec), 1e-6, 1e-5);
      adaptiveAvgPool2dBackward(s.input(dy, yShape), dx, flags.accumulate);
      expectedDx = ref.adaptiveAvgPool2dBackward(dy, spec);
    } else {
      const indices = s.own(Tensor.empty(s.gpu, yShape, 'u32', 'indices'));
      indices.write(new Uint32Array(indices.size).fill(0xffffffff));
      adaptiveMaxPool2d(s.input(x, shape), y, indices);
      const expected = ref.adaptiveMaxPool2d(x, spec);
      await s.check('y', y, expected.y, 0, 0);
      await s.check('indices', indices, expected.indices, 0, 0);
      adaptiveMaxPool2dBackward(s.input(dy, yShape), indices, dx, flags.accumulate);
      expectedDx = ref.adaptiveMaxPool2dBackward(dy, expected.indices, spec);
    }
    await s.check('dx', dx, expectedDx.map((v, i) => v + previous[i]!), 1e-7, 1e-5);
  });
}

add('pooling bad input is rejected before dispatch', (s) => {
  const random = rng(2);
  const x = s.input(uniform(random, 2 * 3 * 2 * 2), [2, 3, 2, 2]);
  const idx = s.own(Tensor.empty(s.gpu, [2, 3, 1, 1], 'u32', 'indices'));
  s.expectError('kernel larger than the input', () => maxPool2d(x, s.output([2, 3, 1, 1]), idx, { kernelSize: 3 }), /max_pool2d: kernel 3×3 is larger than the padded input 2×2 \(input \[2, 3, 2, 2\], padding 0×0\)/);
  s.expectError('padding over half the kernel', () => avgPool2d(x, s.output([2, 3, 2, 2]), { kernelSize: 2, padding: 2 }), /avg_pool2d: padding 2×2 must be at most half the kernel 2×2/);
  s.expectError('a 2-D input', () => avgPool2d(s.input(uniform(random, 6), [2, 3]), s.output([2, 3, 1, 1]), { kernelSize: 1 }), /avg_pool2d: input expected a 4-D NCHW shape \[N, C, H, W\], got \[2, 3\]/);
  s.expectError('indices dtype', () => maxPool2d(x, s.output([2, 3, 1, 1]), s.output([2, 3, 1, 1]), { kernelSize: 2 }), /max_pool2d: argument 'indices' expected dtype u32, got f32/);
  s.expectError('adaptive output shape', () => adaptiveAvgPool2d(x, s.output([2, 4, 1, 1])), /adaptive_avg_pool2d: argument 'output' expected shape \[2, 3, 1, 1\], got \[2, 4, 1, 1\]/);
});




// Cases the shader inspector (and the bench) can run at sizes you type: every entry point, forward
// and backward, against the float64 reference. Adaptive pooling's `out` is its output side.
for (const kind of ['max', 'avg', 'adaptive avg', 'adaptive max'] as const) {
  const prefix = { max: 'max_pool2d', avg: 'avg_pool2d', 'adaptive avg': 'adaptive_avg_pool2d', 'adaptive max': 'adaptive_max_pool2d' }[kind];
  const adaptive = kind.startsWith('adaptive');
  const outputs = (d: { N?: number; C?: number; H?: number; W?: number; kernel?: number; out?: number }) => (adaptive ? d.N! * d.C! * d.out! ** 2 : d.N! * d.C! * Math.floor(d.H! / d.kernel!) * Math.floor(d.W! / d.kernel!));
  cases.push(
    kernelCase({
      name: `${prefix} showcase: forward and backward`,
      entries: [`${prefix}_forward`, `${prefix}_backward`],
      dims: adaptive ? { N: 4, C: 8, H: 14, W: 14, out: 3 } : { N: 4, C: 8, H: 14, W: 14, kernel: 2 },
      showcase: true,
      setup(s, d, random) {
        const [N, C, H, W] = [d.N!, d.C!, d.H!, d.W!];
        const spec: ref.Pool2dSpec = { N, C, H, W, KH: d.kernel ?? 1, KW: d.kernel ?? 1, countIncludePad: true };
        const adaptiveSpec: ref.AdaptivePool2dSpec = { N, C, H, W, OH: d.out ?? 1, OW: d.out ?? 1 };
        const yShape: number[] = adaptive ? [N, C, d.out!, d.out!] : ref.pool2dOutputShape(spec);
        const x = uniform(random, N * C * H * W);
        const dy = uniform(random, yShape.reduce((a, v) => a * v, 1));
        const [xt, dyt] = [s.input(x, [N, C, H, W]), s.input(dy, yShape)];
        const [y, dx] = [s.output(yShape, 'y'), s.output([N, C, H, W], 'dx')];
        const indices = kind.endsWith('max') ? s.own(Tensor.empty(s.gpu, yShape, 'u32', 'indices')) : null;
        const options = { kernelSize: d.kernel ?? 1 };
        return {
          run: () => {
            if (kind === 'max') {
              maxPool2d(xt, y, indices!, options);
              maxPool2dBackward(dyt, indices!, dx, options);
            } else if (kind === 'avg') {
              avgPool2d(xt, y, options);
              avgPool2dBackward(dyt, dx, options);
            } else if (kind === 'adaptive avg') {
              adaptiveAvgPool2d(xt, y);
              adaptiveAvgPool2dBackward(dyt, dx);
            } else {
              adaptiveMaxPool2d(xt, y, indices!);
              adaptiveMaxPool2dBackward(dyt, indices!, dx);
            }
          },
          check: async () => {
            if (kind === 'max') {
              const expected = ref.maxPool2d(x, spec);
              await s.check('y', y, expected.y, 0, 0);
              await s.check('dx', dx, ref.maxPool2dBackward(dy, expected.indices, spec), 1e-6, 1e-6);
            } else if (kind === 'avg') {
              await s.check('y', y, ref.avgPool2d(x, spec), 1e-6, 1e-5);
              await s.check('dx', dx, ref.avgPool2dBackward(dy, spec), 1e-6, 1e-5);
            } else if (kind === 'adaptive avg') {
              await s.check('y', y, ref.adaptiveAvgPool2d(x, adaptiveSpec), 1e-6, 1e-5);
              await s.check('dx', dx, ref.adaptiveAvgPool2dBackward(dy, adaptiveSpec), 1e-6, 1e-5);
            } else {
              const expected = ref.adaptiveMaxPool2d(x, adaptiveSpec);
              await s.check('y', y, expected.y, 0, 0);
              await s.check('dx', dx, ref.adaptiveMaxPool2dBackward(dy, expected.indices, adaptiveSpec), 1e-6, 1e-6);
            }
          },
        };
      },
      // A run is forward and backward: x read and dx written (8 bytes an input element), y and dy
      // (and max pooling's indices) counted too.
      bench: {
        sizes: adaptive
          ? [{ N: 4, C: 8, H: 14, W: 14, out: 3 }, { N: 32, C: 32, H: 28, W: 28, out: 7 }, { N: 64, C: 64, H: 56, W: 56, out: 1 }]
          : [{ N: 4, C: 8, H: 14, W: 14, kernel: 2 }, { N: 32, C: 32, H: 28, W: 28, kernel: 2 }, { N: 64, C: 64, H: 56, W: 56, kernel: 2 }],
        bytes: (d: { N?: number; C?: number; H?: number; W?: number; kernel?: number; out?: number }) => 8 * d.N! * d.C! * d.H! * d.W! + (kind.endsWith('max') ? 16 : 8) * outputs(d),
      },
    }),
  );
}

/** The NCHW decoding block (struct Nchw, fn nchw) of a shader's source. */
function nchwText(source: string): string {
  const match = /\n\/\/ Element i of a row-major 4-D tensor[\s\S]*?\nfn nchw\([\s\S]*?\n}\n/.exec(source);
  return match ? match[0] : '';
}

add("pool's NCHW decoding is conv2d's (the same WGSL text)", (s) => {
  const [ours, theirs] = [nchwText(shaderSource('pool')), nchwText(shaderSource('conv2d'))];
  s.expect('pool.wgsl has the block', ours.length > 200, `${ours.length} characters`);
  const firstDifference = [...ours].findIndex((ch, i) => ch !== theirs[i]);
  s.expect('identical in conv2d.wgsl', ours === theirs, ours === theirs ? `${ours.length} characters match` : `differs at character ${firstDifference}: '${ours.slice(firstDifference, firstDifference + 40)}' vs '${theirs.slice(firstDifference, firstDifference + 40)}'`);
});

// A global average over a 1024 × 1024 image of values near 0.1 (every rounding leaning one way):
// one running total over the window was 5.2e-4 off; row by row, then the rows, within 4e-6.
for (const adaptive of [false, true]) {
  cases.push(
    kernelCase({
      name: `${adaptive ? 'adaptive_avg_pool2d to 1×1' : 'avg_pool2d 1024×1024 window'} of [1, 2, 1024, 1024] near 0.1: summed row by row`,
      entries: [adaptive ? 'adaptive_avg_pool2d_forward' : 'avg_pool2d_forward'],
      dims: { H: 1024 },
      setup(s, { H }, random) {
        const shape = [1, 2, H, H];
        const x = uniform(random, 2 * H * H, 0.1, 0.11);
        const [xt, y] = [s.input(x, shape), s.output([1, 2, 1, 1])];
        const means = [0, 1].map((c) => x.subarray(c * H * H, (c + 1) * H * H).reduce((a, v) => a + v, 0) / (H * H));
        return { run: () => (adaptive ? adaptiveAvgPool2d(xt, y) : avgPool2d(xt, y, { kernelSize: [H, H] })), check: () => s.check('y', y, means, 0, 4e-6) };
      },
    }),
  );
}

export const spec: Spec = cases;
