// The 3-D layers against PyTorch itself (tests/fixtures/pytorch-conv3d.json, from scripts/make-fixtures.py):
// nn.Conv3d, MaxPool3d, AvgPool3d, AdaptiveAvgPool3d/MaxPool3d, InstanceNorm3d (printouts, outputs,
// the arg-max indices, the input's and every parameter's gradient), BatchNorm3d (training batches,
// running statistics, eval), a small 3-D CNN's SGD step, the default init; the F forms equal to the
// modules exactly; errors named as the 2-D layers' are. Part of tests/parity-cases.ts's table.
import * as F from '../src/functional';
import * as nn from '../src/nn';
import * as optim from '../src/optim';
import type { Gpu } from '../src/device/gpu';
import type { StateDict } from '../src/nn';
import { noGrad, type Tensor } from '../src/tensor';
import type { Triple } from '../src/launch';
import { uniform } from '../src/spec/random';
import { caseTable, type KernelCase } from '../src/spec/scope';
import golden from './fixtures/pytorch-conv3d.json';
import { checkModuleFixture } from './support/module-fixture';
import { trainingSteps } from './support/training-steps';
import { expectFunctionalAsModule, sameValues, type FunctionalPair } from './support/functional-vs-module';

const { cases, add } = caseTable();

type Fixture = (typeof golden.modules)[number] & { indices?: number[] };
type Kwargs = Record<string, unknown>;

/** The fixture's module, PyTorch's positional arguments and keyword options as given (snake_case is accepted). */
function moduleOf(f: Fixture, gpu: Gpu): nn.AnyModule {
  const { kernel_size, output_size, ...rest } = f.kwargs as Kwargs;
  const options = { ...rest, gpu };
  const args = f.args as (number | Triple)[];
  switch (f.kind) {
    case 'Conv3d':
      return new nn.Conv3d(args[0] as number, args[1] as number, args[2] as Triple, options as nn.Conv3dOptions);
    case 'MaxPool3d':
      return new nn.MaxPool3d(kernel_size as number, options);
    case 'AvgPool3d':
      return new nn.AvgPool3d(kernel_size as number, options);
    case 'AdaptiveAvgPool3d':
      return new nn.AdaptiveAvgPool3d(output_size as F.AdaptiveSize3d, { gpu });
    case 'AdaptiveMaxPool3d':
      return new nn.AdaptiveMaxPool3d(output_size as F.AdaptiveSize3d, { gpu });
    default:
      return new nn.InstanceNorm3d(args[0] as number, options);
  }
}

for (const f of golden.modules as Fixture[]) {
  const args = [...f.args.map((a) => JSON.stringify(a)), ...Object.entries(f.kwargs).map(([k, v]) => `${k}=${JSON.stringify(v)}`)].join(', ');
  add(`PyTorch ${golden.torch_version}: nn.${f.kind}(${args}) on [${f.shape.join(', ')}]: printout, output, ${f.indices ? 'indices, ' : ''}the input's and parameters' gradients`, async (s) => {
    const m = moduleOf(f, s.gpu);
    // Sums of up to C/G · 27 products (and the weight's over the batch's positions): float32's rounding.
    await checkModuleFixture(s, m, f, { values: [1e-5, 1e-5], parameters: [1e-4, 1e-5] });
    if (f.indices) await s.check('indices (return_indices)', (m as nn.MaxPool3d).indices!, f.indices, 0, 0);
  });
}

for (const f of golden.batchnorm) {
  add(`PyTorch ${golden.torch_version}: nn.${f.repr} on [${f.shape.join(', ')}]: two training batches (output, gradients, running statistics), then eval`, async (s) => {
    const m = new nn.BatchNorm3d(f.shape[1]!, { ...(f.kwargs as nn.BatchNormOptions), gpu: s.gpu });
    m.train();
    await checkModuleFixture(s, m, f, { values: [1e-5, 1e-4], parameters: [1e-4, 1e-5] });
    const stats = async (label: string, expected: number[][] | null) => {
      s.expect(`${label}: running statistics kept as PyTorch's`, m.trackRunningStats === (expected !== null), String(m.trackRunningStats));
      if (!expected) return;
      await s.check(`running_mean ${label}`, m.runningMean, expected[0]!, 1e-6, 1e-5);
      await s.check(`running_var ${label}`, m.runningVar, expected[1]!, 1e-6, 1e-5);
    };
    await stats('after batch 1', f.stats1);
    await s.check('training output 2', m.forward(s.input(f.x2, f.shape, 'f32', 'x2')), f.y2, 1e-5, 1e-4);
    await stats('after batch 2', f.stats2);
    m.eval();
    m.zeroGrad();
    await checkModuleFixture(s, m, f.eval as typeof f, { values: [1e-5, 1e-4], parameters: [1e-4, 1e-5] });
  });
}

add(`PyTorch ${golden.torch_version}: Conv3d-BatchNorm3d-ReLU-MaxPool3d → Flatten → Linear, one SGD step (momentum, weight decay)`, async (s) => {
  const gpu = s.gpu;
  const f = golden.network;
  const net = new nn.Sequential(new nn.Conv3d(1, 4, 3, { padding: 1, gpu }), new nn.BatchNorm3d(4, { gpu }), new nn.ReLU({ gpu }), new nn.MaxPool3d(2, { gpu }), new nn.Flatten(1, -1, { gpu }), new nn.Linear(4 * 2 * 3 * 3, 3, { gpu }));
  const shapes = new Map([...net.namedParameters(), ...net.namedBuffers()].map(([name, t]) => [name, (t as Tensor).shape ?? []]));
  const state: StateDict = new Map(Object.entries(f.initial).map(([name, v]) => [name, { shape: [...(shapes.get(name) ?? [v.length])], dtype: 'F32' as const, values: Float32Array.from(v) }]));
  state.set('1.num_batches_tracked', { shape: [], dtype: 'I64', values: Float32Array.of(0) });
  net.loadStateDict(state);
  const optimizer = new optim.SGD(net.parameters(), { lr: 0.1, momentum: 0.9, weight_decay: 1e-4 });
  optimizer.zeroGrad();
  const loss = new nn.CrossEntropyLoss({ gpu }).forward(net.forward(s.input(f.x, f.shape)), s.input(f.labels, [f.labels.length], 'u32'));
  loss.backward();
  await s.check('loss', loss, [f.loss], 1e-5, 1e-5);
  const params = new Map(net.namedParameters());
  for (const [name, g] of Object.entries(f.grads)) await s.check(`d ${name}`, params.get(name)!.grad, g, 1e-5, 1e-4);
  const buffers = new Map(net.namedBuffers());
  for (const [name, v] of Object.entries(f.running)) await s.check(name, buffers.get(name) as Tensor, v, 1e-6, 1e-5);
  optimizer.step();
  for (const [name, v] of Object.entries(f.params_after)) await s.check(`${name} after the step`, params.get(name)!, v, 1e-6, 1e-5);
});

add(`PyTorch ${golden.torch_version}: nn.Conv3d default init bound (kaiming_uniform_(a=√5), the bias from fan_in)`, async (s) => {
  const f = golden.conv_init;
  const conv = new nn.Conv3d(f.in_channels, f.out_channels, f.kernel_size, { gpu: s.gpu });
  const maxAbs = async (t: Tensor) => Math.max(...Array.from(await t.read(), Math.abs));
  const [w, b] = [await maxAbs(conv.weight), await maxAbs(conv.bias!)];
  s.expect('bound is 1/√fan_in, fan_in = in · 27', Math.abs(f.bound - 1 / Math.sqrt(f.in_channels * f.kernel_size ** 3)) < 1e-15, `PyTorch's bound ${f.bound}`);
  // 1,728 weights: the largest of them below 0.97 of the bound has probability 0.97^1728 ≈ 1e-23.
  s.expect('weight within bound, as PyTorch', w <= f.bound && f.weight_max_abs <= f.bound && w > 0.97 * f.bound, `ours ${w.toFixed(5)}, PyTorch ${f.weight_max_abs.toFixed(5)}, bound ${f.bound.toFixed(5)}`);
  // 16 biases: P(all below half the bound) = 2⁻¹⁶
  s.expect('bias within bound, as PyTorch', b <= f.bound && f.bias_max_abs <= f.bound && b > 0.5 * f.bound, `ours ${b.toFixed(5)}, PyTorch ${f.bias_max_abs.toFixed(5)}`);
});

add("F.conv3d, F.maxPool3d, F.avgPool3d, F.adaptiveAvgPool3d, F.adaptiveMaxPool3d: exactly the modules' values and gradients, on a batch and on one volume; return_indices", async (s, random) => {
  const { gpu } = s;
  const xValues = Array.from(uniform(random, 2 * 4 * 5 * 6 * 7));
  const conv = new nn.Conv3d(4, 6, [3, 2, 3], { stride: [2, 1, 2], padding: 1, dilation: [1, 2, 1], groups: 2, gpu });
  const pairs: FunctionalPair[] = [
    ['conv3d', (x) => conv.forward(x), (x) => F.conv3d(x, conv.weight, conv.bias, { stride: [2, 1, 2], padding: 1, dilation: [1, 2, 1], groups: 2 }), conv],
    ['maxPool3d', (x) => new nn.MaxPool3d(3, { stride: 2, padding: 1, gpu }).forward(x), (x) => F.maxPool3d(x, 3, { stride: 2, padding: 1 }), null],
    ['avgPool3d', (x) => new nn.AvgPool3d(2, { count_include_pad: false, padding: 1, gpu }).forward(x), (x) => F.avgPool3d(x, 2, { padding: 1, count_include_pad: false }), null],
    ['adaptiveAvgPool3d', (x) => new nn.AdaptiveAvgPool3d([2, null, 3], { gpu }).forward(x), (x) => F.adaptiveAvgPool3d(x, [2, null, 3]), null],
    ['adaptiveMaxPool3d', (x) => new nn.AdaptiveMaxPool3d([3, 4, 2], { gpu }).forward(x), (x) => F.adaptiveMaxPool3d(x, [3, 4, 2]), null],
  ];
  await expectFunctionalAsModule(s, pairs, xValues, [[2, 4, 5, 6, 7], [4, 5, 6, 7]]);
  // padding='same' keeps the volume's size; a weight that requires no gradient gets none.
  const fixed = s.input(uniform(random, 2 * 4 * 27), [2, 4, 3, 3, 3], 'f32', 'fixed');
  const volume = s.input(xValues, [2, 4, 5, 6, 7], 'f32', 'volume');
  volume.requiresGrad = true;
  const y = s.own(F.conv3d(volume, fixed, null, { padding: 'same', dilation: [1, 2, 1] }));
  s.own(F.sum(y)).backward();
  s.expect("padding='same': the output keeps the input's size", y.shape.join() === '2,2,5,6,7', `[${y.shape.join(', ')}]`);
  s.expect("a fixed filter: no gradient made for it, the volume's made", fixed.grad === null && volume.grad !== null, `fixed.grad ${fixed.grad === null ? 'null' : 'made'}`);
  for (const [name, pool, viaF] of [
    ['max', new nn.MaxPool3d([2, 3, 2], { gpu }), (x: Tensor) => F.maxPool3d(x, [2, 3, 2], { return_indices: true }) as [Tensor, Tensor]],
    ['adaptive max', new nn.AdaptiveMaxPool3d(2, { gpu }), (x: Tensor) => F.adaptiveMaxPool3d(x, 2, { return_indices: true }) as [Tensor, Tensor]],
  ] as const) {
    for (const shape of [[2, 4, 5, 6, 7], [4, 5, 6, 7]]) {
      const x = s.input(xValues.slice(0, shape.reduce((a, b) => a * b, 1)), shape, 'f32', 'x');
      pool.forward(x);
      const [out, indices] = viaF(x);
      s.own(out);
      s.expect(`${name} return_indices of [${shape.join(', ')}]: the module's .indices`, indices.dtype === 'u32' && indices.shape.join() === pool.indices!.shape.join() && sameValues(await indices.read(), await pool.indices!.read()), `${indices.dtype} [${indices.shape.join(', ')}]`);
    }
  }
});

// A 3-D CNN of every 3-D layer in a training loop: steps reuse their buffers, the loss goes down, a
// module's old output is refused after its next forward.
add('Conv3d, BatchNorm3d, MaxPool3d, InstanceNorm3d, AvgPool3d, AdaptiveMaxPool3d in a training loop: steps make no buffers; old outputs refused', async (s, random) => {
  const gpu = s.gpu;
  const conv = new nn.Conv3d(2, 4, 3, { padding: 1, gpu });
  const model = new nn.Sequential(
    conv, new nn.BatchNorm3d(4, { gpu }), new nn.ReLU({ gpu }), new nn.MaxPool3d(2, { gpu }),
    new nn.Conv3d(4, 4, [1, 3, 3], { padding: [0, 1, 1], groups: 2, gpu }), new nn.InstanceNorm3d(4, { affine: true, gpu }), new nn.AvgPool3d(2, { stride: 1, gpu }),
    new nn.AdaptiveMaxPool3d([1, 2, 2], { gpu }), new nn.Flatten(1, -1, { gpu }), new nn.Linear(16, 3, { gpu }),
  );
  const x = s.input(uniform(random, 3 * 2 * 4 * 6 * 6), [3, 2, 4, 6, 6]);
  const y = s.input([0, 1, 2], [3], 'u32');
  const { live, losses } = await trainingSteps(gpu, model, x, y, 6);
  s.expect('steps after the first make no buffers', live.slice(1).every((n) => n === live[1]), live.join(' '));
  s.expect('the loss goes down', losses.at(-1)! < losses[0]!, losses.join(' '));
  const first = noGrad(() => conv.forward(x));
  noGrad(() => conv.forward(x)); // off the graph: the module's buffer is reused
  s.expectError("an output after the module's next forward", () => F.sum(first), /^tensor 'Conv3d.out' \[3, 4, 4, 6, 6\] was overwritten by a later forward of Conv3d\(2, 4, kernel_size=\(3, 3, 3\), stride=\(1, 1, 1\), padding=\(1, 1, 1\)\)/);
});

add('3-D layers: errors name the module, the argument and the shape', (s) => {
  const gpu = s.gpu;
  const input = (shape: number[]) => s.input(new Float32Array(shape.reduce((a, v) => a * v, 1)), shape);
  const conv = new nn.Conv3d(2, 4, 3, { padding: 1, gpu });
  const where = /Conv3d\(2, 4, kernel_size=\(3, 3, 3\), stride=\(1, 1, 1\), padding=\(1, 1, 1\)\)/.source;
  s.expectError('a 3-D input to Conv3d', () => conv.forward(input([2, 5, 5])), new RegExp(`^${where}: input expected a 5-D NCDHW shape \\[N, 2, D, H, W\\], got \\[2, 5, 5\\]$`));
  s.expectError('channels mismatch', () => conv.forward(input([1, 3, 4, 4, 4])), new RegExp(`^${where}: input expected 2 channels \\(weight \\[4, 2, 3, 3, 3\\], groups 1\\), got 3 in input \\[1, 3, 4, 4, 4\\]$`));
  const wide = new nn.Conv3d(1, 1, [3, 5, 3], { gpu });
  s.expectError('kernel larger than the padded input', () => wide.forward(input([1, 1, 4, 4, 4])), /^Conv3d\(1, 1, kernel_size=\(3, 5, 3\), stride=\(1, 1, 1\)\): kernel 3×5×3 is larger than the padded input 4×4×4 \(input \[1, 1, 4, 4, 4\], padding 0×0×0\)$/);
  s.expectError('groups that do not divide', () => new nn.Conv3d(6, 4, 3, { groups: 4, gpu }), /^Conv3d: in_channels \(6\) must be divisible by groups \(4\)$/);
  s.expectError('stride 0', () => new nn.Conv3d(1, 1, 3, { stride: 0, gpu }), /^Conv3d: argument 'stride' expected a positive integer or a triple of them, got 0$/);
  s.expectError('a kernel pair', () => new nn.Conv3d(1, 1, [3, 3] as never, { gpu }), /^Conv3d: argument 'kernelSize' expected a positive integer or a triple of them, got \[3,3\]$/);
  s.expectError('padding −1', () => new nn.Conv3d(1, 1, 3, { padding: [1, -1, 0], gpu }), /^Conv3d: argument 'padding' expected a non-negative integer or a triple of them, got \[1,-1,0\]$/);
  s.expectError('an unknown padding name', () => new nn.Conv3d(1, 1, 3, { padding: 'full' as 'same', gpu }), /^Conv3d: argument 'padding' expected a size, a triple of them, 'same' or 'valid', got 'full'$/);
  s.expectError("padding='same' strided", () => new nn.Conv3d(1, 1, 3, { padding: 'same', stride: [1, 2, 1], gpu }), /^Conv3d: padding='same' is not supported for strided convolutions \(stride \(1, 2, 1\)\), as in PyTorch$/);
  s.expectError("padding='same' with an even kernel", () => new nn.Conv3d(1, 1, [3, 4, 3], { padding: 'same', gpu }), /^Conv3d: padding='same' with kernel 3×4×3 \(dilation 1×1×1\) needs 2, 3, 2 positions of padding/);
  s.expectError('padding_mode', () => new nn.Conv3d(1, 1, 3, { padding_mode: 'mirror' as 'reflect', gpu }), /^Conv3d: padding_mode must be one of \['zeros', 'reflect', 'replicate', 'circular'\], but got padding_mode='mirror'$/);
  s.expectError('F.conv3d with a 4-D weight', () => F.conv3d(input([1, 2, 4, 4, 4]), input([4, 2, 3, 3])), /^conv3d: weight expected 5 dimensions \[C_out, C_in\/groups, KD, KH, KW\], got \[4, 2, 3, 3\]$/);
  s.expectError('MaxPool3d of a 3-D input', () => new nn.MaxPool3d(2, { gpu }).forward(input([2, 4, 4])), /^MaxPool3d\(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False\): input expected a 5-D NCDHW shape \[N, C, D, H, W\], got \[2, 4, 4\]$/);
  s.expectError('MaxPool3d larger than the volume', () => new nn.MaxPool3d(2, { gpu }).forward(input([1, 1, 1, 4, 4])), /^MaxPool3d\(kernel_size=2.*\): kernel 2×2×2 is larger than the padded input 1×4×4 \(input \[1, 1, 1, 4, 4\], padding 0×0×0\)$/);
  s.expectError('pool padding over half the kernel', () => new nn.AvgPool3d(2, { padding: [0, 2, 0], gpu }), /^AvgPool3d\(kernel_size=2, stride=2, padding=\(0, 2, 0\)\): padding 0×2×0 must be at most half the kernel 2×2×2$/);
  s.expectError('ceil_mode', () => new nn.MaxPool3d(2, { ceil_mode: true as false, gpu }), /^MaxPool3d: ceil_mode=true is not supported \(only PyTorch's default, ceil_mode=false\)$/);
  s.expectError('divisor_override', () => F.avgPool3d(input([1, 1, 2, 2, 2]), 2, { divisor_override: 3 as never }), /^avgPool3d: divisor_override=3 is not supported \(only PyTorch's default, divisor_override=null\)$/);
  s.expectError('adaptive output size 0', () => new nn.AdaptiveAvgPool3d([2, 0, 2], { gpu }), /^AdaptiveAvgPool3d\(output_size=\(2, 0, 2\)\): output_size expected an integer ≥ 1 or three of them \(null keeps that input size\), got \[2, 0, 2\]$/);
  s.expectError('adaptive of a 2-D input', () => F.adaptiveMaxPool3d(input([3, 4]), 2), /^adaptiveMaxPool3d: input expected \[N, C, D, H, W\] or one volume \[C, D, H, W\], got \[3, 4\]$/);
  const bn = new nn.BatchNorm3d(3, { gpu });
  s.expectError('BatchNorm3d of a 4-D input', () => bn.forward(input([2, 3, 4, 4])), /^BatchNorm3d\(3, eps=1e-05, momentum=0\.1, affine=True, track_running_stats=True\): input expected shape \[N, 3, D, H, W\], got \[2, 3, 4, 4\]$/);
  s.expectError('BatchNorm3d channels', () => bn.forward(input([2, 4, 2, 2, 2])), /^BatchNorm3d\(3, .*\): input expected shape \[N, 3, D, H, W\], got \[2, 4, 2, 2, 2\]$/);
  s.expectError('InstanceNorm3d rank', () => new nn.InstanceNorm3d(3, { gpu }).forward(input([2, 3, 4])), /^InstanceNorm3d\(3, .*\): expected 5D or 4D input with 3 channels, got \[2, 3, 4\]$/);
});

export const conv3dCases: readonly KernelCase[] = cases;
