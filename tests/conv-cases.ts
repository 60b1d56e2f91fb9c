// Kernel cases for conv2d.wgsl and pool.wgsl, run in headless Chrome by tests/conv.test.ts against
// the float64 references (src/reference/conv.ts). Fresh random inputs per case, NaN-poisoned outputs;
// shapes include 1×1 images, batch 1, odd strides, channel counts that are not multiples of 4,
// groups and depthwise, the MNIST network's layers, and one case per kernel past 65,535 workgroups.
import * as F from '../src/functional';
import * as nn from '../src/nn';
import * as ref from '../src/reference/conv';
import type { StateDict } from '../src/nn';
import type { Tensor } from '../src/tensor';
import golden from './fixtures/pytorch-conv.json';
import { caseTable, type KernelCase } from '../src/spec/scope';
import { rng, uniform } from '../src/spec/random';

const { cases, add } = caseTable();

// ── nn modules against PyTorch (scripts/make-fixtures.py → tests/fixtures/pytorch-conv.json) ──────
// (appended below the kernel cases; the table is exported at the end of the file)

type ModuleFixture = (typeof golden.modules)[number] & { weight?: number[]; bias?: number[]; dweight?: number[]; dbias?: number[]; indices?: number[] };
type Kwargs = Record<string, number | number[] | boolean | string>;
const pairArg = (v: number | number[] | boolean | string | undefined) => (Array.isArray(v) ? ([v[0]!, v[1]!] as [number, number]) : (v as number | undefined));

function moduleOf(f: ModuleFixture, gpu: import('../src/device/gpu').Gpu): nn.Module {
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
    case 'Conv1d':
      return new nn.Conv1d(k.in_channels as number, k.out_channels as number, k.kernel_size as number, { ...opt('stride', 'dilation', 'groups'), ...(k.padding !== undefined ? { padding: k.padding as number | 'same' } : {}), ...(k.bias === false ? { bias: false } : {}), gpu });
    case 'MaxPool1d':
      return new nn.MaxPool1d(k.kernel_size as number, { ...opt('stride', 'padding', 'dilation'), gpu });
    case 'AvgPool1d':
      return new nn.AvgPool1d(k.kernel_size as number, { ...opt('stride', 'padding'), ...(k.count_include_pad === false ? { countIncludePad: false } : {}), gpu });
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
    s.expect("the printout, PyTorch's repr", module.describe() === f.repr, `${module.describe()} vs PyTorch ${f.repr}`);
    const params = new Map(module.namedParameters());
    if (f.weight) params.get('weight')!.write(f.weight);
    if (f.bias) params.get('bias')!.write(f.bias);
    const x = s.input(f.x, f.shape, 'f32', 'x');
    x.requiresGrad = true;
    const y = module.forward(x);
    s.expect('output shape', y.shape.join() === f.y_shape.join(), `[${y.shape.join(', ')}] vs PyTorch [${f.y_shape.join(', ')}]`);
    await s.check('y', y, f.y, 1e-5, 1e-5);
    if (f.indices && (module instanceof nn.MaxPool2d || module instanceof nn.MaxPool1d)) await s.check('indices (return_indices)', module.indices!, f.indices, 0, 0);
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
  s.expectError('32×32 images reach Linear(784) as 1024', () => net.forward(input([2, 1, 32, 32])), /Sequential layer \(9\) of input \[2, 1, 32, 32\]: Linear\(in_features=784, out_features=10, bias=True\): input expected shape \[\*, 784\] \(in_features\), got \[2, 1024\]/);
  s.expectError('2×2 images shrink below the second pool', () => net.forward(input([1, 1, 2, 2])), /Sequential layer \(7\) of input \[1, 1, 2, 2\]: MaxPool2d\(kernel_size=2.*kernel 2×2 is larger than the padded input 1×1 \(input \[1, 16, 1, 1\], padding 0×0\)/);
  const wide = new nn.Conv2d(1, 1, 5, { gpu });
  s.expectError('a kernel larger than the image', () => wide.forward(input([1, 1, 3, 3])), /Conv2d\(1, 1, kernel_size=\(5, 5\), stride=\(1, 1\)\): kernel 5×5 is larger than the padded input 3×3 \(input \[1, 1, 3, 3\], padding 0×0\)/);
  s.expectError('groups that do not divide', () => new nn.Conv2d(6, 4, 3, { groups: 4, gpu }), /Conv2d: in_channels \(6\) must be divisible by groups \(4\)/);
  // Checked when the module is made, not first at forward().
  s.expectError('stride 0', () => new nn.Conv2d(1, 1, 3, { stride: 0, gpu }), /^Conv2d: argument 'stride' expected a positive integer or a pair of them, got 0$/);
  s.expectError('stride 1.5', () => new nn.Conv2d(1, 1, 3, { stride: 1.5, gpu }), /^Conv2d: argument 'stride' expected a positive integer or a pair of them, got 1\.5$/);
  s.expectError('padding −1', () => new nn.Conv2d(1, 1, 3, { padding: -1, gpu }), /^Conv2d: argument 'padding' expected a non-negative integer or a pair of them, got -1$/);
  s.expectError('a padding triple', () => new nn.Conv2d(1, 1, 3, { padding: [1, 1, 1] as unknown as [number, number], gpu }), /^Conv2d: argument 'padding' expected a non-negative integer or a pair of them, got \[1,1,1\]$/);
  s.expectError('dilation 0', () => new nn.Conv2d(1, 1, 3, { dilation: [1, 0], gpu }), /^Conv2d: argument 'dilation' expected a positive integer or a pair of them, got \[1,0\]$/);
  s.expectError('an unknown padding name', () => new nn.Conv2d(1, 1, 3, { padding: 'full' as 'same', gpu }), /^Conv2d: argument 'padding' expected a size, a pair of them, 'same' or 'valid', got 'full'$/);
  s.expectError("padding='same' strided", () => new nn.Conv2d(1, 1, 3, { padding: 'same', stride: 2, gpu }), /^Conv2d: padding='same' is not supported for strided convolutions \(stride \(2, 2\)\), as in PyTorch$/);
  s.expectError("padding='same' with an even kernel", () => new nn.Conv2d(1, 1, [3, 4], { padding: 'same', gpu }), /^Conv2d: padding='same' with kernel 3×4 \(dilation 1×1\) needs 2 rows and 3 columns of padding; PyTorch puts an odd one after the input, this Conv2d pads both sides alike/);
  const same = new nn.Conv2d(2, 3, 5, { padding: 'same', dilation: 2, gpu });
  s.expect("padding='same' keeps the size and reads as PyTorch's", same.outputShape([1, 2, 9, 10]).join() === '1,3,9,10' && same.describe() === 'Conv2d(2, 3, kernel_size=(5, 5), stride=(1, 1), padding=same, dilation=(2, 2))', `${same.outputShape([1, 2, 9, 10]).join()} ${same.describe()}`);
  s.expectError('adaptive pool to 0×0', () => new nn.AdaptiveAvgPool2d(0, { gpu }), /AdaptiveAvgPool2d\(output_size=0\): output_size expected an integer ≥ 1/);
  s.expectError('ceil_mode', () => new nn.MaxPool2d(2, { ceilMode: true as false, gpu }), /MaxPool2d: ceilMode=true is not supported \(only PyTorch's default, ceilMode=false\)/);
});

export type { KernelCase };
export const convCases: readonly KernelCase[] = cases;
