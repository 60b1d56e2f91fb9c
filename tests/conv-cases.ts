// Kernel cases for conv2d.wgsl and pool.wgsl, run in headless Chrome by tests/conv.test.ts against
// the float64 references (src/reference/conv.ts). Fresh random inputs per case, NaN-poisoned outputs;
// shapes include 1×1 images, batch 1, odd strides, channel counts that are not multiples of 4,
// groups and depthwise, the MNIST network's layers, and one case per kernel past 65,535 workgroups.
import { adaptiveAvgPool2d, adaptiveAvgPool2dBackward, avgPool2d, avgPool2dBackward, conv2d, conv2dBackwardBias, conv2dBackwardInput, conv2dBackwardWeight, maxPool2d, maxPool2dBackward, type Conv2dOptions, type Pool2dOptions } from '../src/conv-ops';
import * as F from '../src/functional';
import * as nn from '../src/nn';
import * as ref from '../src/reference/conv';
import type { StateDict } from '../src/nn';
import type { Tensor } from '../src/tensor';
import golden from './fixtures/pytorch-conv.json';
import { caseTable, type KernelCase } from './harness/scope';
import { rng, uniform } from './support/random';

const { cases, add } = caseTable();

/** More than 65,535 workgroups of 64 elements. */
const PAST_GRID_LIMIT = 65535 * 64;

const pairOf = (v: number | [number, number] | undefined, fallback: number): [number, number] => (v === undefined ? [fallback, fallback] : typeof v === 'number' ? [v, v] : v);

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
    const spec: ref.Conv2dSpec = { N, C, H, W, F: c.F, KH: c.K[0], KW: c.K[1], stride: pairOf(c.stride, 1), padding: pairOf(c.padding, 0), dilation: pairOf(c.dilation, 1), groups: G };
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

// ── pooling ─────────────────────────────────────────────────────────────────────────────────────
interface PoolCase {
  kind: 'max' | 'avg';
  x: [number, number, number, number];
  options: Pool2dOptions;
  /** Inputs rounded to {−1, 0, 1}: many tied maxima. */
  ties?: boolean;
  accumulate?: boolean;
}

function poolSpec(c: PoolCase): ref.Pool2dSpec {
  const [N, C, H, W] = c.x;
  const [KH, KW] = pairOf(c.options.kernelSize as number | [number, number], 1);
  const o = c.options as { stride?: [number, number]; padding?: [number, number]; dilation?: [number, number] };
  return { N, C, H, W, KH, KW, stride: o.stride === undefined ? [KH, KW] : pairOf(o.stride, 1), padding: pairOf(o.padding, 0), dilation: pairOf(o.dilation, 1), countIncludePad: c.options.countIncludePad ?? true };
}

function addPool(c: PoolCase): void {
  const o = c.options;
  const flags = [o.stride !== undefined && `stride ${JSON.stringify(o.stride)}`, o.padding !== undefined && `pad ${JSON.stringify(o.padding)}`, o.dilation !== undefined && `dilation ${JSON.stringify(o.dilation)}`, o.countIncludePad === false && 'count_include_pad=False', c.ties && 'tied values', c.accumulate && 'accumulate'].filter(Boolean);
  add(`${c.kind}_pool2d [${c.x.join(', ')}] kernel ${JSON.stringify(o.kernelSize)}${flags.length ? ` ${flags.join(' ')}` : ''}`, async (s, random) => {
    const spec = poolSpec(c);
    const yShape = ref.pool2dOutputShape(spec);
    const x = uniform(random, c.x.reduce((a, v) => a * v, 1)).map((v) => (c.ties ? Math.round(v) : v));
    const dy = uniform(random, yShape.reduce((a, v) => a * v, 1));
    const previous = c.accumulate ? uniform(random, x.length) : new Float64Array(x.length);
    const xt = s.input(x, c.x, 'f32', 'x');
    const y = s.output(yShape, 'y');
    const dx = s.output(c.x, 'dx');
    if (c.accumulate) dx.write(previous);
    let expectedDx: Float64Array;
    if (c.kind === 'max') {
      const indices = s.gpu.empty(yShape, 'u32', 'indices');
      indices.write(new Uint32Array(indices.size).fill(0xffffffff));
      maxPool2d(xt, y, indices, o);
      const expected = ref.maxPool2d(x, spec);
      await s.check('y', y, expected.y, 0, 0);
      await s.check('indices', indices, expected.indices, 0, 0);
      maxPool2dBackward(s.input(dy, yShape, 'f32', 'dy'), indices, dx, o, c.accumulate);
      expectedDx = ref.maxPool2dBackward(dy, expected.indices, spec);
      indices.destroy();
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

for (const [shape, accumulate] of [[[1, 1, 1, 1], false], [[2, 3, 5, 7], false], [[3, 67, 4, 4], true], [[1, 70, 250, 250], false]] as [[number, number, number, number], boolean][]) {
  add(`adaptive_avg_pool2d to 1×1 [${shape.join(', ')}]${accumulate ? ' accumulate' : ''}`, async (s, random) => {
    const [N, C, H, W] = shape;
    const x = uniform(random, N * C * H * W);
    const dy = uniform(random, N * C);
    const previous = accumulate ? uniform(random, x.length) : new Float64Array(x.length);
    const y = s.output([N, C, 1, 1], 'y');
    adaptiveAvgPool2d(s.input(x, shape), y);
    await s.check('y', y, ref.adaptiveAvgPool2d(x, N * C, H * W), 1e-6, 1e-5);
    const dx = s.output(shape, 'dx');
    if (accumulate) dx.write(previous);
    adaptiveAvgPool2dBackward(s.input(dy, [N, C, 1, 1]), dx, accumulate);
    await s.check('dx', dx, ref.adaptiveAvgPool2dBackward(dy, N * C, H * W).map((v, i) => v + previous[i]!), 1e-7, 1e-5);
  });
}

add('pooling bad input is rejected before dispatch', (s) => {
  const random = rng(2);
  const x = s.input(uniform(random, 2 * 3 * 2 * 2), [2, 3, 2, 2]);
  const idx = s.gpu.empty([2, 3, 1, 1], 'u32', 'indices');
  s.expectError('kernel larger than the input', () => maxPool2d(x, s.output([2, 3, 1, 1]), idx, { kernelSize: 3 }), /max_pool2d: kernel 3×3 is larger than the padded input 2×2 \(input \[2, 3, 2, 2\], padding 0×0\)/);
  s.expectError('padding over half the kernel', () => avgPool2d(x, s.output([2, 3, 2, 2]), { kernelSize: 2, padding: 2 }), /avg_pool2d: padding 2×2 must be at most half the kernel 2×2/);
  s.expectError('a 2-D input', () => avgPool2d(s.input(uniform(random, 6), [2, 3]), s.output([2, 3, 1, 1]), { kernelSize: 1 }), /avg_pool2d: input expected a 4-D NCHW shape \[N, C, H, W\], got \[2, 3\]/);
  s.expectError('indices dtype', () => maxPool2d(x, s.output([2, 3, 1, 1]), s.output([2, 3, 1, 1]), { kernelSize: 2 }), /max_pool2d: argument 'indices' expected dtype u32, got f32/);
  s.expectError('adaptive output shape', () => adaptiveAvgPool2d(x, s.output([2, 3])), /adaptive_avg_pool2d: argument 'output' expected shape \[2, 3, 1, 1\], got \[2, 3\]/);
  idx.destroy();
});


// ── nn modules against PyTorch (scripts/make-fixtures.py → tests/fixtures/pytorch-conv.json) ──────
// (appended below the kernel cases; the table is exported at the end of the file)

type ModuleFixture = (typeof golden.modules)[number] & { weight?: number[]; bias?: number[]; dweight?: number[]; dbias?: number[]; indices?: number[] };
type Kwargs = Record<string, number | number[] | boolean>;
const pairArg = (v: number | number[] | boolean | undefined) => (Array.isArray(v) ? ([v[0]!, v[1]!] as [number, number]) : (v as number | undefined));

function moduleOf(f: ModuleFixture, gpu: import('../src/gpu').Gpu): nn.Module {
  const k = f.kwargs as Kwargs;
  const opt = <T extends string>(...names: T[]) => Object.fromEntries(names.filter((n) => k[n] !== undefined).map((n) => [n.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), pairArg(k[n])]));
  switch (f.kind) {
    case 'Conv2d':
      return new nn.Conv2d(k.in_channels as number, k.out_channels as number, pairArg(k.kernel_size)!, { ...opt('stride', 'padding', 'dilation', 'groups'), ...(k.bias === false ? { bias: false } : {}), gpu });
    case 'MaxPool2d':
      return new nn.MaxPool2d(pairArg(k.kernel_size)!, { ...opt('stride', 'padding', 'dilation'), gpu });
    case 'AvgPool2d':
      return new nn.AvgPool2d(pairArg(k.kernel_size)!, { ...opt('stride', 'padding'), ...(k.count_include_pad === false ? { countIncludePad: false } : {}), gpu });
    case 'AdaptiveAvgPool2d':
      return new nn.AdaptiveAvgPool2d(1, { gpu });
    default:
      return new nn.Flatten(1, -1, { gpu });
  }
}

/** Σ y · dy as a graph: a [1, n] · [n, 1] product, summed; its gradient in y is dy. */
function dotLoss(y: Tensor, dy: Tensor): Tensor {
  return F.sum(F.matmul(F.reshape(y, [1, y.size]), dy));
}

for (const f of golden.modules as ModuleFixture[]) {
  add(`PyTorch ${golden.torch_version}: nn.${f.kind} ${JSON.stringify(f.kwargs)} [${f.shape.join(', ')}] forward and gradients`, async (s) => {
    const module = moduleOf(f, s.gpu);
    const params = new Map(module.namedParameters());
    if (f.weight) params.get('weight')!.write(f.weight);
    if (f.bias) params.get('bias')!.write(f.bias);
    const x = s.input(f.x, f.shape, 'f32', 'x');
    x.requiresGrad = true;
    const y = module.forward(x);
    s.expect('output shape', y.shape.join() === f.y_shape.join(), `[${y.shape.join(', ')}] vs PyTorch [${f.y_shape.join(', ')}]`);
    await s.check('y', y, f.y, 1e-5, 1e-5);
    if (f.indices && module instanceof nn.MaxPool2d) await s.check('indices (return_indices)', module.indices!, f.indices, 0, 0);
    const dy = s.input(f.dy, [f.dy.length, 1], 'f32', 'dy');
    dotLoss(y, dy).backward();
    await s.check('d x', x.grad!, f.dx, 1e-5, 1e-5);
    if (f.dweight) await s.check('d weight', params.get('weight')!.grad, f.dweight, 1e-4, 1e-5);
    if (f.dbias) await s.check('d bias', params.get('bias')!.grad, f.dbias, 1e-4, 1e-5);
    x.grad?.destroy();
  });
}

add(`PyTorch ${golden.torch_version}: Conv-BN2d-ReLU-MaxPool → Conv-BN2d-ReLU-AvgPool → Flatten → Linear, one step`, async (s) => {
  const gpu = s.gpu;
  const f = golden.network;
  const net = new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { padding: 1, gpu }), new nn.BatchNorm2d(4, { gpu }), new nn.ReLU({ gpu }), new nn.MaxPool2d(2, { gpu }),
    new nn.Conv2d(4, 6, 3, { padding: 1, gpu }), new nn.BatchNorm2d(6, { gpu }), new nn.ReLU({ gpu }), new nn.AvgPool2d(2, { gpu }),
    new nn.Flatten(1, -1, { gpu }), new nn.Linear(24, 3, { gpu }),
  );
  const state: StateDict = new Map(Object.entries(f.initial).map(([name, v]) => [name, { shape: [...(net.namedParameters().find(([n]) => n === name)?.[1].shape ?? [v.length])], dtype: 'F32' as const, values: Float32Array.from(v) }]));
  for (const i of [1, 5]) state.set(`${i}.num_batches_tracked`, { shape: [], dtype: 'I64', values: Float32Array.of(0) });
  net.loadStateDict(state);
  const lossFn = new nn.CrossEntropyLoss({ gpu });
  const loss = lossFn.forward(net.forward(s.input(f.x, f.shape)), s.input(f.labels, [f.labels.length], 'u32'));
  loss.backward();
  await s.check('loss', loss, [f.loss], 1e-5, 1e-5);
  const params = new Map(net.namedParameters());
  for (const [name, g] of Object.entries(f.grads)) await s.check(`d ${name}`, params.get(name)!.grad, g, 1e-5, 1e-4);
  const buffers = new Map(net.namedBuffers());
  for (const [name, v] of Object.entries(f.after)) await s.check(name, buffers.get(name) as Tensor, v, 1e-6, 1e-5);
});

add(`PyTorch ${golden.torch_version}: nn.Conv2d default init bound`, async (s) => {
  const f = golden.conv_init;
  const conv = new nn.Conv2d(f.in_channels, f.out_channels, f.kernel_size, { gpu: s.gpu });
  const maxAbs = async (t: Tensor) => Math.max(...Array.from(await t.read(), Math.abs));
  const [w, b] = [await maxAbs(conv.weight), await maxAbs(conv.bias!)];
  s.expect('bound is 1/√fan_in', Math.abs(f.bound - 1 / Math.sqrt(f.in_channels * f.kernel_size ** 2)) < 1e-15, `PyTorch's bound ${f.bound}`);
  s.expect('weight within bound, as PyTorch', w <= f.bound && f.weight_max_abs <= f.bound && w > 0.97 * f.bound, `ours ${w.toFixed(5)}, PyTorch ${f.weight_max_abs.toFixed(5)}, bound ${f.bound.toFixed(5)}`);
  // 16 biases: P(all below half the bound) = 2⁻¹⁶
  s.expect('bias within bound, as PyTorch', b <= f.bound && f.bias_max_abs <= f.bound && b > 0.5 * f.bound, `ours ${b.toFixed(5)}, PyTorch ${f.bias_max_abs.toFixed(5)}`);
});

add('flatten of a leaf used twice: gradients add up (the copy and the accumulate paths)', async (s, random) => {
  const values = uniform(random, 2 * 3 * 2 * 2);
  const x = s.input(values, [2, 3, 2, 2], 'f32', 'x');
  x.requiresGrad = true;
  const [d1, d2] = [uniform(random, 24), uniform(random, 24)];
  const a = dotLoss(F.flatten(x, 1), s.input(d1, [24, 1]));
  a.backward();
  const b = dotLoss(F.flatten(x), s.input(d2, [24, 1]));
  b.backward();
  await s.check('x.grad = d1 + d2', x.grad!, d1.map((v, i) => v + d2[i]!), 1e-6, 1e-6);
  x.grad?.destroy();
});

add('CNN bad input names the layer and the shapes', (s) => {
  const gpu = s.gpu;
  const net = new nn.Sequential(
    new nn.Conv2d(1, 8, 3, { padding: 1, gpu }), new nn.BatchNorm2d(8, { gpu }), new nn.ReLU({ gpu }), new nn.MaxPool2d(2, { gpu }),
    new nn.Conv2d(8, 16, 3, { padding: 1, gpu }), new nn.BatchNorm2d(16, { gpu }), new nn.ReLU({ gpu }), new nn.MaxPool2d(2, { gpu }),
    new nn.Flatten(1, -1, { gpu }), new nn.Linear(784, 10, { gpu }),
  );
  const input = (shape: number[]) => s.input(new Float32Array(shape.reduce((a, v) => a * v, 1)), shape);
  s.expectError('three channels into Conv(1→8)', () => net.forward(input([2, 3, 28, 28])), /Sequential layer \(0\) of input \[2, 3, 28, 28\]: Conv2d\(1, 8, kernel_size=\(3, 3\), stride=\(1, 1\), padding=\(1, 1\)\): input expected 1 channels \(weight \[8, 1, 3, 3\], groups 1\), got 3 in input \[2, 3, 28, 28\]/);
  s.expectError('a flat batch', () => net.forward(input([2, 784])), /Sequential layer \(0\) of input \[2, 784\]: Conv2d\(1, 8.*input expected a 4-D NCHW shape \[N, 1, H, W\], got \[2, 784\]/);
  s.expectError('32×32 images reach Linear(784) as 1024', () => net.forward(input([2, 1, 32, 32])), /Sequential layer \(9\) of input \[2, 1, 32, 32\]: Linear\(in_features=784, out_features=10, bias=True\): input expected shape \[N, 784\] \(in_features\), got \[2, 1024\]/);
  s.expectError('2×2 images shrink below the second pool', () => net.forward(input([1, 1, 2, 2])), /Sequential layer \(7\) of input \[1, 1, 2, 2\]: MaxPool2d\(kernel_size=2.*kernel 2×2 is larger than the padded input 1×1 \(input \[1, 16, 1, 1\], padding 0×0\)/);
  const wide = new nn.Conv2d(1, 1, 5, { gpu });
  s.expectError('a kernel larger than the image', () => wide.forward(input([1, 1, 3, 3])), /Conv2d\(1, 1, kernel_size=\(5, 5\), stride=\(1, 1\)\): kernel 5×5 is larger than the padded input 3×3 \(input \[1, 1, 3, 3\], padding 0×0\)/);
  s.expectError('groups that do not divide', () => new nn.Conv2d(6, 4, 3, { groups: 4, gpu }), /Conv2d: in_channels \(6\) must be divisible by groups \(4\)/);
  s.expectError('adaptive pool to 2×2', () => new nn.AdaptiveAvgPool2d(2, { gpu }), /AdaptiveAvgPool2d: only output_size 1/);
  s.expectError('ceil_mode', () => new nn.MaxPool2d(2, { ceilMode: true, gpu }), /ceil_mode=True is not supported/);
});

export type { KernelCase };
export const convCases: readonly KernelCase[] = cases;
