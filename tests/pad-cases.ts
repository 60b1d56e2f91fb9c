// F.pad in each mode, the padding modules and convolutions with a padding_mode other than zeros,
// against PyTorch itself (tests/fixtures/pytorch-pad.json, from scripts/make-fixtures.py): values,
// the input's gradient (repeated positions add up) and every parameter's; printouts; errors. Part
// of tests/parity-cases.ts's table.
import * as F from '../src/functional';
import * as nn from '../src/nn';
import { caseTable, type KernelCase } from '../src/spec/scope';
import { tidy } from '../src/tensor';
import golden from './fixtures/pytorch-pad.json';
import { checkModuleFixture } from './support/module-fixture';

/** A convolution's output and input gradient, and its parameters' gradients (sums over the batch). */
const CONV_TOLERANCES = { values: [1e-5, 1e-5], parameters: [1e-4, 1e-5] } as const satisfies { values: [number, number]; parameters: [number, number] };

const { cases, add } = caseTable();

for (const f of golden.pad) {
  add(`PyTorch ${golden.torch_version}: F.pad of [${f.shape.join(', ')}] by (${f.pad.join(', ')}), mode '${f.mode}'${f.value === null ? '' : ` value ${f.value}`}: values and the input's gradient`, async (s) => {
    const x = s.input(f.x, f.shape, 'f32', 'x');
    x.requiresGrad = true;
    const y = s.own(F.pad(x, f.pad, f.mode as F.PadMode, f.value));
    s.expect('shape', y.shape.join() === f.y_shape.join(), `[${y.shape.join(', ')}] (PyTorch: [${f.y_shape.join(', ')}])`);
    await s.check('y', y, f.y, 0, 0);
    s.own(F.sum(s.own(F.mul(y, s.input(f.dy, y.shape, 'f32', 'dy'))))).backward();
    await s.check('d x', x.grad!, f.dx, 1e-6, 1e-6);
  });
}

type ModuleFixture = (typeof golden.modules)[number];
function paddingModule(f: ModuleFixture, gpu: import('../src/device/gpu').Gpu): nn.Module {
  const [padding, value] = f.args as [number | number[], number | undefined];
  switch (f.kind) {
    case 'ZeroPad2d': return new nn.ZeroPad2d(padding, { gpu });
    case 'ConstantPad1d': return new nn.ConstantPad1d(padding, value!, { gpu });
    case 'ConstantPad2d': return new nn.ConstantPad2d(padding, value!, { gpu });
    case 'ReflectionPad1d': return new nn.ReflectionPad1d(padding, { gpu });
    case 'ReflectionPad2d': return new nn.ReflectionPad2d(padding, { gpu });
    case 'ReplicationPad1d': return new nn.ReplicationPad1d(padding, { gpu });
    case 'ReplicationPad2d': return new nn.ReplicationPad2d(padding, { gpu });
    default: throw new Error(`no module for fixture ${f.kind}`);
  }
}

add(`PyTorch ${golden.torch_version}: nn.ZeroPad2d, ConstantPad1d/2d, ReflectionPad1d/2d, ReplicationPad1d/2d: printouts, output shapes and values`, async (s) => {
  for (const f of golden.modules) {
    const m = paddingModule(f, s.gpu);
    s.expect(`${f.kind} printout`, m.describe() === f.repr, `${m.describe()} (PyTorch: ${f.repr})`);
    s.expect(`${f.kind} outputShape`, m.outputShape(f.shape).join() === f.y_shape.join(), `[${m.outputShape(f.shape).join(', ')}]`);
    await s.check(`${f.kind} of [${f.shape.join(', ')}]`, m.forward(s.input(f.x, f.shape, 'f32', 'x')), f.y, 0, 0);
  }
});

for (const f of golden.convs) {
  add(`PyTorch ${golden.torch_version}: nn.${f.kind} ${JSON.stringify(f.kwargs)} on [${f.shape.join(', ')}]: values, the input's and every parameter's gradient, printout`, async (s) => {
    const { in_channels: I, out_channels: O, kernel_size: k, ...options } = f.kwargs as { in_channels: number; out_channels: number; kernel_size: number | [number, number] } & nn.Conv2dOptions;
    const m = f.kind === 'Conv2d' ? new nn.Conv2d(I, O, k, { ...options, gpu: s.gpu }) : new nn.Conv1d(I, O, k as number, { ...(options as nn.Conv1dOptions), gpu: s.gpu });
    await checkModuleFixture(s, m, f, CONV_TOLERANCES);
  });
}

add('a padding module (new memory every step, as a composed output) before nn.Flatten, trained in tidy(): no buffer added per step (Flatten frees the gradients of views of freed inputs)', async (s) => {
  const { gpu } = s;
  const w = s.input(new Float32Array(24).fill(0.5), [2, 3, 4], 'f32', 'w');
  w.requiresGrad = true;
  const pad = new nn.ZeroPad2d(1, { gpu });
  const flat = new nn.Flatten(1, -1, { gpu });
  const live: number[] = [];
  for (let step = 0; step < 6; step++) {
    const loss = tidy(() => {
      const l = F.mean(flat.forward(pad.forward(w)));
      l.backward();
      return F.mul(l, 1);
    });
    s.expect(`step ${step}: the mean of the padded values`, Math.abs((await loss.read())[0]! - 12 / 60) < 1e-7, String((await loss.read())[0]));
    loss.destroy();
    live.push(gpu.stats.liveBuffers);
  }
  s.expect('GPU buffers from the second step on', live.slice(1).every((n) => n === live[1]), live.join(' '));
});

add('F.pad and padPackedSequence with NaN or ±∞ as the value, as PyTorch takes them', async (s) => {
  const x = s.input([1, 2, 3, 4], [1, 4], 'f32', 'x');
  await s.check('pad with NaN', s.own(F.pad(x, [1, 1], 'constant', NaN)), [NaN, 1, 2, 3, 4, NaN], 0, 0);
  await s.check('pad with −∞', s.own(F.pad(x, [0, 2], 'constant', -Infinity)), [1, 2, 3, 4, -Infinity, -Infinity], 0, 0);
  const sequences = s.input([1, 2, 3, 4, 5, 6], [3, 2, 1], 'f32', 'sequences');
  const [padded] = nn.utils.rnn.padPackedSequence(nn.utils.rnn.packPaddedSequence(sequences, [3, 1]), { padding_value: NaN });
  await s.check('padPackedSequence with NaN', s.own(padded), [1, 2, 3, NaN, 5, NaN], 0, 0);
});

add('one image [C, H, W] (PyTorch\'s unbatched input) through nn.Conv2d (with a padding_mode too), MaxPool2d, AvgPool2d and AdaptiveAvgPool2d: exactly the batch of one\'s values and gradients, without its batch dimension', async (s, random) => {
  const { gpu } = s;
  const values = Array.from({ length: 2 * 6 * 7 }, () => random() * 2 - 1);
  const layers: [string, nn.Module][] = [
    ['Conv2d', new nn.Conv2d(2, 3, 3, { padding: 1, gpu })],
    ['Conv2d reflect', new nn.Conv2d(2, 3, 3, { padding: 2, padding_mode: 'reflect', stride: 2, gpu })],
    ['MaxPool2d', new nn.MaxPool2d(2, { gpu })],
    ['AvgPool2d', new nn.AvgPool2d(3, { stride: 2, padding: 1, gpu })],
    ['AdaptiveAvgPool2d', new nn.AdaptiveAvgPool2d(1, { gpu })],
  ];
  for (const [name, layer] of layers) {
    const run = async (shape: number[]) => {
      layer.zeroGrad();
      const x = s.input(values, shape, 'f32', 'x');
      x.requiresGrad = true;
      const y = layer.forward(x);
      const out = { shape: [...y.shape], values: Array.from(await y.read()) };
      s.own(F.sum(s.own(F.mul(y, y)))).backward();
      return { ...out, dx: Array.from(await x.grad!.read()), dw: layer.parameters().length ? Array.from(await layer.parameters()[0]!.grad.read()) : [] };
    };
    const batch = await run([1, 2, 6, 7]);
    const one = await run([2, 6, 7]);
    if (layer instanceof nn.MaxPool2d) s.expect('MaxPool2d.indices of one image: [C, OH, OW], as PyTorch\'s', layer.indices!.shape.join() === one.shape.join(), `[${layer.indices!.shape.join(', ')}]`);
    s.expect(`${name}: shape`, one.shape.join() === batch.shape.slice(1).join() && layer.outputShape([2, 6, 7]).join() === one.shape.join(), `[${one.shape.join(', ')}] against [${batch.shape.join(', ')}]`);
    for (const key of ['values', 'dx', 'dw'] as const) s.expect(`${name}: ${key} as the batch of one's`, one[key].every((v, i) => v === batch[key][i]) && one[key].length === batch[key].length, `${one[key].length} values`);
  }
});

add("padding: PyTorch's errors for pads, modes and values, before anything is dispatched", (s) => {
  const x = s.input(new Float32Array(30), [2, 3, 5], 'f32', 'x');
  s.expectError('odd length', () => F.pad(x, [1, 2, 3]), /pad: Padding length must be divisible by 2/);
  s.expectError('too many pairs', () => F.pad(x, [1, 1, 1, 1, 1, 1, 1, 1]), /pad: Padding length too large: 4 pairs for the 3 dimensions of \[2, 3, 5\]/);
  s.expectError('reflect past the size', () => F.pad(x, [5, 0], 'reflect'), /pad: Padding size should be less than the corresponding input dimension, but got: padding \(5, 0\) at dimension 2 of input \[2, 3, 5\]/);
  s.expectError('circular twice around', () => F.pad(x, [0, 6], 'circular'), /pad: Padding value causes wrapping around more than once/);
  s.expectError('a value with reflect', () => F.pad(x, [1, 1], 'reflect', 2), /pad: Padding mode "reflect" doesn't take in value argument/);
  s.expectError('an unknown mode', () => F.pad(x, [1, 1], 'symmetric' as F.PadMode), /pad: argument 'mode' expected 'constant', 'reflect', 'replicate' or 'circular', got 'symmetric'/);
  s.expectError('cropped to nothing', () => F.pad(x, [-3, -2]), /pad: The input size 5, plus negative padding -3 and -2 resulted in a negative output size/);
  s.expectError('reflection of a 4-D input', () => new nn.ReflectionPad1d(2, { gpu: s.gpu }).forward(s.input(new Float32Array(30), [1, 2, 3, 5], 'f32', 'x4')), /ReflectionPad1d\(\(2, 2\)\): expected 2D or 3D input \(\[C, W\] or \[N, C, W\]\), got \[1, 2, 3, 5\]/);
  s.expectError('a padding of three', () => new nn.ReplicationPad2d([1, 2, 3], { gpu: s.gpu }), /ReplicationPad2d: argument 'padding' expected a size ≥ 0 or 4 of them \(left, right, top, bottom\), got \[1, 2, 3\]/);
  s.expectError('padding_mode', () => new nn.Conv2d(2, 2, 3, { padding_mode: 'mirror' as never, gpu: s.gpu }), /Conv2d: padding_mode must be one of \['zeros', 'reflect', 'replicate', 'circular'\], but got padding_mode='mirror'/);
  const [conv, linear] = [new nn.Conv1d(3, 2, 3, { padding: 5, padding_mode: 'reflect', gpu: s.gpu }), new nn.Linear(5, 2, { gpu: s.gpu })];
  s.expectError('a reflection wider than the input', () => conv.forward(x), /^Conv1d\(3, 2, kernel_size=\(3,\), stride=\(1,\), padding=\(5,\), padding_mode=reflect\): padding_mode='reflect' on input \[2, 3, 5\]: pad: Padding size should be less than the corresponding input dimension/);
  s.expectError('a PackedSequence into a Linear', () => linear.forward(nn.utils.rnn.packPaddedSequence(x, [2, 2, 1]) as never), /Linear\(in_features=5, out_features=2, bias=True\): input expected a Tensor \[\*, 5\], got a PackedSequence \(nn\.utils\.rnn\.padPackedSequence\(out\) gives the padded tensor/);
  s.expectError('packSequence unsorted', () => nn.utils.rnn.packSequence([s.input(new Float32Array(2), [2, 1], 'f32', 'a'), s.input(new Float32Array(3), [3, 1], 'f32', 'b')]), /^packSequence: `lengths` array must be sorted in decreasing order/);
});

export const padCases: readonly KernelCase[] = cases;
