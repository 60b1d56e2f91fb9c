// shaders/pool3d.wgsl: max, average and adaptive pooling over NCDHW, forward and backward. Launchers (argument checks as torch.nn.functional's, naming the op
// or the module through `where`), gradient rules, and the family's test spec.
import { loadShader } from '../device/shader';
import { dispatch1d, expectInput5d, expectTensor, expectTriple, triple, windowExtent, type Triple } from '../launch';
import * as ref from '../reference/conv3d';
import { PAST_GRID_LIMIT, rng, uniform } from '../spec/random';
import { caseTable, kernelCase, type Spec } from '../spec/scope';
import { Tensor, upstream, type BackwardRule } from '../tensor';

export const shader = loadShader('pool3d');

const launch = (gpu: Tensor['gpu'], name: string, args: Parameters<Tensor['gpu']['dispatch']>[1], n: number, constants: Record<string, boolean> = {}): void => dispatch1d(gpu, shader, name, args, n, constants);

export interface Pool3dOptions {
  kernelSize: Triple;
  /** Defaults to kernelSize, as PyTorch. */
  stride?: Triple;
  padding?: Triple;
  /** max_pool3d only. */
  dilation?: Triple;
  /** avg_pool3d only; PyTorch's default true. */
  countIncludePad?: boolean;
}

export interface Pool3dGeometry {
  N: number;
  C: number;
  D: number;
  H: number;
  W: number;
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
}

export function pool3dGeometry(input: readonly number[], options: Pool3dOptions, where = 'pool3d'): Pool3dGeometry {
  const k = expectTriple(where, 'kernelSize', options.kernelSize, 1);
  const stride = expectTriple(where, 'stride', options.stride ?? k, 1);
  const pad = expectTriple(where, 'padding', options.padding ?? 0, 0);
  const dil = expectTriple(where, 'dilation', options.dilation ?? 1, 1);
  // PyTorch's rule; it also guarantees every window holds at least one input position.
  if (pad.some((p, a) => p > k[a]! / 2)) throw new Error(`${where}: padding ${pad.join('×')} must be at most half the kernel ${k.join('×')}`);
  expectInput5d(where, input, 'C');
  const [OD, OH, OW] = windowExtent(where, input, k, stride, pad, dil) as [number, number, number];
  const [N, C, D, H, W] = input as [number, number, number, number, number];
  return { N, C, D, H, W, OD, OH, OW, KD: k[0], KH: k[1], KW: k[2], stride_d: stride[0], stride_h: stride[1], stride_w: stride[2], pad_d: pad[0], pad_h: pad[1], pad_w: pad[2], dil_d: dil[0], dil_h: dil[1], dil_w: dil[2] };
}

const outputShape = (g: Pool3dGeometry) => [g.N, g.C, g.OD, g.OH, g.OW];

/** y = max_pool3d(x); indices (u32) keep each maximum's (d·H + h)·W + w within its volume, for the backward. */
export function maxPool3d(x: Tensor, y: Tensor, indices: Tensor, options: Pool3dOptions, where = 'max_pool3d'): Pool3dGeometry {
  const g = pool3dGeometry(x.shape, options, where);
  expectTensor(where, 'input', x, x.shape);
  expectTensor(where, 'output', y, outputShape(g));
  expectTensor(where, 'indices', indices, y.shape, 'u32');
  launch(x.gpu, 'max_pool3d_forward', { params: { ...g }, x, y, indices }, y.size);
  return g;
}

export function maxPool3dBackward(dy: Tensor, indices: Tensor, dx: Tensor, options: Pool3dOptions, accumulate = false, where = 'max_pool3d backward'): void {
  const g = pool3dGeometry(dx.shape, options, where);
  expectTensor(where, 'dy', dy, outputShape(g));
  expectTensor(where, 'indices', indices, dy.shape, 'u32');
  expectTensor(where, 'dx', dx, dx.shape);
  launch(dy.gpu, 'max_pool3d_backward', { params: { ...g }, dy, indices_in: indices, dx }, dx.size, { ACCUMULATE: accumulate });
}

function avgGeometry(input: readonly number[], options: Pool3dOptions, where: string): Pool3dGeometry {
  if (options.dilation !== undefined && triple(options.dilation).some((d) => d !== 1)) throw new Error(`${where}: avg_pool3d has no dilation (PyTorch's neither), got ${JSON.stringify(options.dilation)}`);
  return pool3dGeometry(input, options, where);
}

export function avgPool3d(x: Tensor, y: Tensor, options: Pool3dOptions, where = 'avg_pool3d'): Pool3dGeometry {
  const g = avgGeometry(x.shape, options, where);
  expectTensor(where, 'input', x, x.shape);
  expectTensor(where, 'output', y, outputShape(g));
  launch(x.gpu, 'avg_pool3d_forward', { params: { ...g }, x, y }, y.size, { COUNT_INCLUDE_PAD: options.countIncludePad ?? true });
  return g;
}

export function avgPool3dBackward(dy: Tensor, dx: Tensor, options: Pool3dOptions, accumulate = false, where = 'avg_pool3d backward'): void {
  const g = avgGeometry(dx.shape, options, where);
  expectTensor(where, 'dy', dy, outputShape(g));
  expectTensor(where, 'dx', dx, dx.shape);
  launch(dy.gpu, 'avg_pool3d_backward', { params: { ...g }, dy, dx }, dx.size, { COUNT_INCLUDE_PAD: options.countIncludePad ?? true, ACCUMULATE: accumulate });
}

/** Adaptive pooling's params: the input [N, C, D, H, W] pooled to the output's [OD, OH, OW] (the window fields unused). */
function adaptiveParams(where: string, input: readonly number[], output: readonly number[]) {
  expectInput5d(where, input, 'C');
  const [N, C, D, H, W] = input as [number, number, number, number, number];
  const [OD, OH, OW] = output.slice(2);
  if (![OD, OH, OW].every((v) => Number.isInteger(v) && v! >= 1)) throw new Error(`${where}: output_size expected positive integers, got ${JSON.stringify(output.slice(2))}`);
  return { N, C, D, H, W, OD: OD!, OH: OH!, OW: OW!, KD: 1, KH: 1, KW: 1, stride_d: 1, stride_h: 1, stride_w: 1, pad_d: 0, pad_h: 0, pad_w: 0, dil_d: 1, dil_h: 1, dil_w: 1 };
}

/** adaptive_avg_pool3d(x, y's [OD, OH, OW]) into y [N, C, OD, OH, OW]: each output the mean of its bin. */
export function adaptiveAvgPool3d(x: Tensor, y: Tensor, where = 'adaptive_avg_pool3d'): void {
  const params = adaptiveParams(where, x.shape, y.shape);
  expectTensor(where, 'input', x, x.shape);
  expectTensor(where, 'output', y, [params.N, params.C, params.OD, params.OH, params.OW]);
  launch(x.gpu, 'adaptive_avg_pool3d_forward', { params, x, y }, y.size);
}

export function adaptiveAvgPool3dBackward(dy: Tensor, dx: Tensor, accumulate = false, where = 'adaptive_avg_pool3d backward'): void {
  const params = adaptiveParams(where, dx.shape, dy.shape);
  expectTensor(where, 'dy', dy, [params.N, params.C, params.OD, params.OH, params.OW]);
  expectTensor(where, 'dx', dx, dx.shape);
  launch(dy.gpu, 'adaptive_avg_pool3d_backward', { params, dy, dx }, dx.size, { ACCUMULATE: accumulate });
}

/** adaptive_max_pool3d(x, y's [OD, OH, OW]) into y; indices (u32) keep each maximum's (d·H + h)·W + w within its volume. */
export function adaptiveMaxPool3d(x: Tensor, y: Tensor, indices: Tensor, where = 'adaptive_max_pool3d'): void {
  const params = adaptiveParams(where, x.shape, y.shape);
  expectTensor(where, 'input', x, x.shape);
  expectTensor(where, 'output', y, [params.N, params.C, params.OD, params.OH, params.OW]);
  expectTensor(where, 'indices', indices, y.shape, 'u32');
  launch(x.gpu, 'adaptive_max_pool3d_forward', { params, x, y, indices }, y.size);
}

export function adaptiveMaxPool3dBackward(dy: Tensor, indices: Tensor, dx: Tensor, accumulate = false, where = 'adaptive_max_pool3d backward'): void {
  const params = adaptiveParams(where, dx.shape, dy.shape);
  expectTensor(where, 'dy', dy, [params.N, params.C, params.OD, params.OH, params.OW]);
  expectTensor(where, 'indices', indices, dy.shape, 'u32');
  expectTensor(where, 'dx', dx, dx.shape);
  launch(dy.gpu, 'adaptive_max_pool3d_backward', { params, dy, indices_in: indices, dx }, dx.size, { ACCUMULATE: accumulate });
}

const ROOT = [1, 1, 1, 1, 1]; // at the root, the output is [1, 1, 1, 1, 1]

export const gradients = {
  /** Each window's gradient goes to its kept arg-max. */
  maxPool3d: (x: Tensor, indices: Tensor, options: Pool3dOptions, where: string): BackwardRule => (ctx, dy) => {
    const dx = ctx.target(x);
    maxPool3dBackward(upstream(dy, x.gpu, ROOT), indices, dx.grad, options, dx.accumulate, where);
  },
  avgPool3d: (x: Tensor, options: Pool3dOptions, where: string): BackwardRule => (ctx, dy) => {
    const dx = ctx.target(x);
    avgPool3dBackward(upstream(dy, x.gpu, ROOT), dx.grad, options, dx.accumulate, where);
  },
  adaptiveAvgPool3d: (x: Tensor, where: string): BackwardRule => (ctx, dy) => {
    const dx = ctx.target(x);
    adaptiveAvgPool3dBackward(upstream(dy, x.gpu, ROOT), dx.grad, dx.accumulate, where);
  },
  adaptiveMaxPool3d: (x: Tensor, indices: Tensor, where: string): BackwardRule => (ctx, dy) => {
    const dx = ctx.target(x);
    adaptiveMaxPool3dBackward(upstream(dy, x.gpu, ROOT), indices, dx.grad, dx.accumulate, where);
  },
};

// ── spec: fresh random inputs, NaN-poisoned outputs, the float64 reference ──────────────────────────
const { cases, add } = caseTable();

type Kind = 'max' | 'avg' | 'adaptive avg' | 'adaptive max';

interface Pool3dCase {
  kind: Kind;
  x: [number, number, number, number, number];
  /** The window, for max and avg. */
  options?: Pool3dOptions;
  /** The output's [OD, OH, OW], for the adaptive pools. */
  out?: [number, number, number];
  /** Inputs rounded to {−1, 0, 1}: many tied maxima. */
  ties?: boolean;
  /** A few NaN inputs, some in one window: a NaN wins, the last one (PyTorch's isnan test). */
  nan?: boolean;
  accumulate?: boolean;
}

const volumeOf = (shape: readonly number[]) => shape.reduce((a, v) => a * v, 1);
const PREFIX: Record<Kind, string> = { max: 'max_pool3d', avg: 'avg_pool3d', 'adaptive avg': 'adaptive_avg_pool3d', 'adaptive max': 'adaptive_max_pool3d' };

/** The output's shape, and the reference's forward (values and, for the max pools, arg-max) and backward. */
function referenceOf(c: Pool3dCase) {
  const [N, C, D, H, W] = c.x;
  if (c.kind.startsWith('adaptive')) {
    const spec: ref.AdaptivePool3dSpec = { N, C, size: [D, H, W], out: c.out! };
    const max = c.kind === 'adaptive max';
    return {
      yShape: [N, C, ...c.out!],
      forward: (x: Float64Array) => (max ? ref.adaptiveMaxPool3d(x, spec) : { y: ref.adaptiveAvgPool3d(x, spec), indices: null }),
      backward: (dy: Float64Array, indices: Uint32Array | null) => (max ? ref.maxPool3dBackward(dy, indices!, spec) : ref.adaptiveAvgPool3dBackward(dy, spec)),
    };
  }
  const o = c.options!;
  const kernel = triple(o.kernelSize);
  const spec: ref.Pool3dSpec = { N, C, size: [D, H, W], kernel, stride: triple(o.stride ?? kernel), padding: triple(o.padding ?? 0), dilation: triple(o.dilation ?? 1), countIncludePad: o.countIncludePad ?? true };
  const max = c.kind === 'max';
  return {
    yShape: ref.pool3dOutputShape(spec),
    forward: (x: Float64Array) => (max ? ref.maxPool3d(x, spec) : { y: ref.avgPool3d(x, spec), indices: null }),
    backward: (dy: Float64Array, indices: Uint32Array | null) => (max ? ref.maxPool3dBackward(dy, indices!, spec) : ref.avgPool3dBackward(dy, spec)),
  };
}

/** Records one kind's forward and backward dispatches (indices null for the average pools). */
function runPool(c: Pool3dCase, x: Tensor, y: Tensor, indices: Tensor | null, dy: Tensor, dx: Tensor, accumulate: boolean): { forward: () => void; backward: () => void } {
  const o = c.options!;
  switch (c.kind) {
    case 'max':
      return { forward: () => maxPool3d(x, y, indices!, o), backward: () => maxPool3dBackward(dy, indices!, dx, o, accumulate) };
    case 'avg':
      return { forward: () => avgPool3d(x, y, o), backward: () => avgPool3dBackward(dy, dx, o, accumulate) };
    case 'adaptive avg':
      return { forward: () => adaptiveAvgPool3d(x, y), backward: () => adaptiveAvgPool3dBackward(dy, dx, accumulate) };
    case 'adaptive max':
      return { forward: () => adaptiveMaxPool3d(x, y, indices!), backward: () => adaptiveMaxPool3dBackward(dy, indices!, dx, accumulate) };
  }
}

function addPool(c: Pool3dCase): void {
  const o = c.options;
  const window = o ? ` kernel ${JSON.stringify(o.kernelSize)}${[o.stride !== undefined && ` stride ${JSON.stringify(o.stride)}`, o.padding !== undefined && ` pad ${JSON.stringify(o.padding)}`, o.dilation !== undefined && ` dilation ${JSON.stringify(o.dilation)}`, o.countIncludePad === false && ' count_include_pad=False'].filter(Boolean).join('')}` : ` to ${c.out!.join('×')}`;
  const outputs = volumeOf(referenceOf(c).yShape);
  // Past the grid limit the name carries the output count (tests/support/harness.ts's heavyCase: Chrome only).
  const flags = [c.ties && ' tied values', c.nan && ' NaN inputs', c.accumulate && ' accumulate', outputs > PAST_GRID_LIMIT && ` (${outputs} outputs, past 65,535 workgroups)`].filter(Boolean).join('');
  add(`${PREFIX[c.kind]} [${c.x.join(', ')}]${window}${flags}`, async (s, random) => {
    const reference = referenceOf(c);
    const x = uniform(random, volumeOf(c.x)).map((v) => (c.ties ? Math.round(v) : v));
    if (c.nan) for (const i of [0, 1, 8, 23, x.length - 1]) x[i] = NaN;
    const dy = uniform(random, volumeOf(reference.yShape));
    const previous = c.accumulate ? uniform(random, x.length) : new Float64Array(x.length);
    const [y, dx] = [s.output(reference.yShape, 'y'), s.output(c.x, 'dx')];
    if (c.accumulate) dx.write(previous);
    const indices = c.kind.endsWith('max') ? s.own(Tensor.empty(s.gpu, reference.yShape, 'u32', 'indices')) : null;
    indices?.write(new Uint32Array(indices.size).fill(0xffffffff));
    const run = runPool(c, s.input(x, c.x, 'f32', 'x'), y, indices, s.input(dy, reference.yShape, 'f32', 'dy'), dx, c.accumulate ?? false);
    run.forward();
    const expected = reference.forward(x);
    const exact = c.kind.endsWith('max');
    await s.check('y', y, expected.y, exact ? 0 : 1e-6, exact ? 0 : 1e-5);
    if (indices) await s.check('indices', indices, expected.indices!, 0, 0);
    run.backward();
    await s.check('dx', dx, reference.backward(dy, expected.indices).map((v, i) => v + previous[i]!), 1e-6, 1e-5);
  });
}

// Size 1; primes; a window larger than the stride and one smaller (stride > kernel: inputs skipped);
// padding on every axis; dilation (max); count_include_pad off; ties and NaN; accumulate; adaptive
// sizes that divide, that do not (overlapping bins), that enlarge, and global pooling of a large volume;
// a max pool of 4,259,840 outputs (past 65,535 workgroups of 64: the grid spills into y).
for (const c of [
  { kind: 'max', x: [1, 1, 1, 1, 1], options: { kernelSize: 1 } },
  { kind: 'max', x: [2, 3, 4, 5, 7], options: { kernelSize: 2 } },
  { kind: 'max', x: [1, 3, 5, 7, 6], options: { kernelSize: 3, stride: 2, padding: 1 } },
  { kind: 'max', x: [2, 2, 7, 9, 8], options: { kernelSize: [3, 2, 2], stride: [2, 3, 1], padding: [1, 1, 0], dilation: [2, 1, 3] }, accumulate: true },
  { kind: 'max', x: [2, 3, 7, 7, 7], options: { kernelSize: 2, stride: 3 } },
  { kind: 'max', x: [3, 5, 4, 4, 4], options: { kernelSize: 2 }, ties: true },
  { kind: 'max', x: [2, 3, 5, 5, 5], options: { kernelSize: 3, stride: 1, padding: 1 }, ties: true },
  { kind: 'max', x: [2, 3, 5, 4, 7], options: { kernelSize: 3, stride: 2, padding: 1 }, nan: true },
  { kind: 'max', x: [4, 8, 8, 16, 16], options: { kernelSize: 2 } },
  { kind: 'max', x: [1, 1, 16, 512, 521], options: { kernelSize: [1, 1, 2], stride: 1 } },
  { kind: 'avg', x: [1, 1, 1, 1, 1], options: { kernelSize: 1 } },
  { kind: 'avg', x: [2, 3, 5, 7, 6], options: { kernelSize: 3, stride: 2, padding: 1 } },
  { kind: 'avg', x: [2, 3, 5, 7, 6], options: { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }, accumulate: true },
  { kind: 'avg', x: [1, 5, 11, 4, 6], options: { kernelSize: [4, 2, 3], stride: [3, 1, 2], padding: [2, 1, 0] } },
  { kind: 'avg', x: [1, 5, 11, 4, 6], options: { kernelSize: [4, 2, 3], stride: [3, 1, 2], padding: [2, 1, 1], countIncludePad: false } },
  { kind: 'avg', x: [2, 3, 7, 7, 7], options: { kernelSize: 2, stride: 3 } },
  { kind: 'adaptive avg', x: [1, 1, 1, 1, 1], out: [1, 1, 1] },
  { kind: 'adaptive avg', x: [2, 3, 4, 6, 8], out: [2, 3, 4] },
  { kind: 'adaptive avg', x: [2, 5, 7, 10, 5], out: [3, 4, 2], accumulate: true },
  { kind: 'adaptive avg', x: [1, 3, 2, 3, 5], out: [5, 7, 8] },
  { kind: 'adaptive avg', x: [1, 67, 16, 32, 32], out: [1, 1, 1] },
  { kind: 'adaptive max', x: [1, 1, 1, 1, 1], out: [1, 1, 1] },
  { kind: 'adaptive max', x: [2, 5, 7, 10, 5], out: [3, 4, 2], accumulate: true },
  { kind: 'adaptive max', x: [1, 3, 2, 3, 5], out: [5, 7, 8] },
  { kind: 'adaptive max', x: [3, 4, 5, 9, 7], out: [2, 4, 3], ties: true },
  { kind: 'adaptive max', x: [2, 3, 4, 8, 8], out: [3, 3, 3], nan: true },
] as Pool3dCase[]) {
  addPool(c);
}

add('pool3d bad input is rejected before dispatch', (s) => {
  const random = rng(4);
  const x = s.input(uniform(random, 2 * 3 * 8), [2, 3, 2, 2, 2]);
  const idx = s.own(Tensor.empty(s.gpu, [2, 3, 1, 1, 1], 'u32', 'indices'));
  s.expectError('kernel larger than the input', () => maxPool3d(x, s.output([2, 3, 1, 1, 1]), idx, { kernelSize: [2, 3, 2] }), /^max_pool3d: kernel 2×3×2 is larger than the padded input 2×2×2 \(input \[2, 3, 2, 2, 2\], padding 0×0×0\)$/);
  s.expectError('padding over half the kernel', () => avgPool3d(x, s.output([2, 3, 2, 2, 2]), { kernelSize: 2, padding: [1, 2, 1] }), /^avg_pool3d: padding 1×2×1 must be at most half the kernel 2×2×2$/);
  s.expectError('a 4-D input', () => avgPool3d(s.input(uniform(random, 24), [2, 3, 2, 2]), s.output([2, 3, 1, 1, 1]), { kernelSize: 1 }), /^avg_pool3d: input expected a 5-D NCDHW shape \[N, C, D, H, W\], got \[2, 3, 2, 2\]$/);
  s.expectError('dilation on avg', () => avgPool3d(x, s.output([2, 3, 1, 1, 1]), { kernelSize: 1, dilation: 2 }), /^avg_pool3d: avg_pool3d has no dilation \(PyTorch's neither\), got 2$/);
  s.expectError('indices dtype', () => maxPool3d(x, s.output([2, 3, 1, 1, 1]), s.output([2, 3, 1, 1, 1]), { kernelSize: 2 }), /^max_pool3d: argument 'indices' expected dtype u32, got f32$/);
  s.expectError('a kernel pair', () => maxPool3d(x, s.output([2, 3, 1, 1, 1]), idx, { kernelSize: [2, 2] as never }), /^max_pool3d: argument 'kernelSize' expected a positive integer or a triple of them, got \[2,2\]$/);
  s.expectError('adaptive output shape', () => adaptiveAvgPool3d(x, s.output([2, 4, 1, 1, 1])), /^adaptive_avg_pool3d: argument 'output' expected shape \[2, 3, 1, 1, 1\], got \[2, 4, 1, 1, 1\]$/);
});

// Cases the shader inspector (and the bench) can run at sizes you type: every entry point, forward
// and backward, against the float64 reference. Adaptive pooling's `out` is its output side.
for (const kind of ['max', 'avg', 'adaptive avg', 'adaptive max'] as const) {
  const adaptive = kind.startsWith('adaptive');
  const caseOf = (d: { N?: number; C?: number; D?: number; H?: number; W?: number; kernel?: number; out?: number }): Pool3dCase => ({ kind, x: [d.N!, d.C!, d.D!, d.H!, d.W!], ...(adaptive ? { out: [d.out!, d.out!, d.out!] } : { options: { kernelSize: d.kernel! } }) });
  const outputs = (d: { N?: number; C?: number; D?: number; H?: number; W?: number; kernel?: number; out?: number }) => volumeOf(referenceOf(caseOf(d)).yShape);
  cases.push(
    kernelCase({
      name: `${PREFIX[kind]} showcase: forward and backward`,
      entries: [`${PREFIX[kind]}_forward`, `${PREFIX[kind]}_backward`],
      variant: 'v1',
      dims: adaptive ? { N: 2, C: 4, D: 6, H: 10, W: 10, out: 3 } : { N: 2, C: 4, D: 6, H: 10, W: 10, kernel: 2 },
      showcase: true,
      setup(s, d, random) {
        const c = caseOf(d);
        const reference = referenceOf(c);
        const x = uniform(random, volumeOf(c.x));
        const dy = uniform(random, volumeOf(reference.yShape));
        const [y, dx] = [s.output(reference.yShape, 'y'), s.output(c.x, 'dx')];
        const indices = kind.endsWith('max') ? s.own(Tensor.empty(s.gpu, reference.yShape, 'u32', 'indices')) : null;
        const run = runPool(c, s.input(x, c.x), y, indices, s.input(dy, reference.yShape), dx, false);
        return {
          run: () => {
            run.forward();
            run.backward();
          },
          check: async () => {
            const expected = reference.forward(x);
            await s.check('y', y, expected.y, 1e-6, 1e-5);
            await s.check('dx', dx, reference.backward(dy, expected.indices), 1e-6, 1e-5);
          },
        };
      },
      // A run is forward and backward: x read and dx written (8 bytes an input element), y and dy
      // (and max pooling's indices) counted too.
      bench: {
        sizes: adaptive
          ? [{ N: 2, C: 4, D: 6, H: 10, W: 10, out: 3 }, { N: 4, C: 16, D: 8, H: 28, W: 28, out: 4 }, { N: 4, C: 32, D: 16, H: 28, W: 28, out: 1 }]
          : [{ N: 2, C: 4, D: 6, H: 10, W: 10, kernel: 2 }, { N: 4, C: 16, D: 8, H: 28, W: 28, kernel: 2 }, { N: 4, C: 32, D: 16, H: 28, W: 28, kernel: 2 }],
        bytes: (d: { N?: number; C?: number; D?: number; H?: number; W?: number; kernel?: number; out?: number }) => 8 * d.N! * d.C! * d.D! * d.H! * d.W! + (kind.endsWith('max') ? 16 : 8) * outputs(d),
      },
    }),
  );
}

export const spec: Spec = cases;
