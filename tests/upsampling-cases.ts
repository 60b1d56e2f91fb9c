// Upsampling against PyTorch itself (tests/fixtures/pytorch-upsampling.json, from
// scripts/make-fixtures.py): nn.ConvTranspose2d with PyTorch's initial weights (the output, the
// gradients of the input, the weight and the bias, the printout, forward(x, output_size), its init's
// bound, its errors), and F.interpolate in each mode with the Upsample modules. Part of
// tests/parity-cases.ts's table.
import * as F from '../src/functional';
import * as nn from '../src/nn';
import { caseTable, type KernelCase } from '../src/spec/scope';
import golden from './fixtures/pytorch-upsampling.json';
import { checkModuleFixture } from './support/module-fixture';

/** A convolution's output and input gradient, and its parameters' gradients (sums over the batch). */
const CONV_TOLERANCES = { values: [1e-5, 1e-5], parameters: [1e-4, 1e-5] } as const satisfies { values: [number, number]; parameters: [number, number] };

const { cases, add } = caseTable();

type Kwargs = { in_channels: number; out_channels: number; kernel_size: number | [number, number] } & Record<string, unknown>;

for (const f of golden.transposed) {
  add(`PyTorch ${golden.torch_version}: nn.ConvTranspose2d ${JSON.stringify(f.kwargs)} on [${f.shape.join(', ')}]${f.output_size ? ` to output_size [${f.output_size.join(', ')}]` : ''}: output, the input's, weight's and bias's gradients, printout`, async (s) => {
    const { in_channels: I, out_channels: O, kernel_size: k, ...options } = f.kwargs as Kwargs;
    const m = new nn.ConvTranspose2d(I, O, k, { ...options, gpu: s.gpu });
    await checkModuleFixture(s, m, f, CONV_TOLERANCES, (x) => m.forward(x, f.output_size), f.output_size === null);
  });
}

add(`PyTorch ${golden.torch_version}: nn.ConvTranspose2d's init (fan_in from its weight's second dimension, out/groups · KH · KW), its input used twice (gradients add), its errors`, async (s, random) => {
  const { gpu } = s;
  const m = new nn.ConvTranspose2d(6, 4, 3, { groups: 2, gpu });
  const [w, b] = [await m.weight.read(), await m.bias!.read()];
  const bound = golden.init.bound;
  s.expect(`weight within ±${bound.toFixed(4)} and spread over it`, w.every((v) => Math.abs(v) <= bound) && Math.max(...w.map(Math.abs)) > 0.9 * bound, `max |w| ${Math.max(...w.map(Math.abs))}`);
  s.expect('bias within the same bound', b.every((v) => Math.abs(v) <= bound), `max |b| ${Math.max(...b.map(Math.abs))}`);
  // x used by the layer and again in the loss: dx adds up (the layer's part through a scratch).
  const up = new nn.ConvTranspose2d(2, 2, 2, { stride: 2, gpu });
  const values = Array.from({ length: 2 * 3 * 3 }, () => random() * 2 - 1);
  const x = s.input(values, [1, 2, 3, 3], 'f32', 'x');
  x.requiresGrad = true;
  s.own(F.add(s.own(F.sum(up.forward(x))), s.own(F.sum(x)))).backward();
  const dx = await x.grad!.read();
  const w2 = await up.weight.read(); // [in 2, out 2, 2, 2]: d Σ y / d x[c] = Σ of in-channel c's weights
  const perChannel = [0, 1].map((c) => Array.from(w2.slice(c * 8, c * 8 + 8)).reduce((a, v) => a + v, 0));
  s.expect('dx = Σ of the weights from its channel, + 1 from the loss', Array.from(dx).every((v, i) => Math.abs(v - (perChannel[Math.floor(i / 9)]! + 1)) < 1e-5), Array.from(dx).slice(0, 3).join(', '));
  // A second backward without zeroGrad: the weight's and bias's gradients add up (PyTorch's .grad accumulates).
  const [dw1, db1] = [Array.from(await up.weight.grad.read()), Array.from(await up.bias!.grad.read())];
  s.own(F.sum(up.forward(x))).backward();
  const [dw2, db2] = [await up.weight.grad.read(), await up.bias!.grad.read()];
  s.expect('a second backward doubles d weight and d bias', dw1.every((v, i) => Math.abs(dw2[i]! - 2 * v) < 1e-5) && db1.every((v, i) => Math.abs(db2[i]! - 2 * v) < 1e-5), `${dw1[0]} → ${dw2[0]}`);
  s.expectError('output_padding ≥ stride', () => new nn.ConvTranspose2d(2, 2, 3, { stride: 2, output_padding: 2, gpu }), /ConvTranspose2d: output padding must be smaller than stride, but got output_padding=\(2, 2\) and stride=\(2, 2\)/);
  s.expectError('an output size out of reach', () => up.forward(x, [9, 9]), /ConvTranspose2d\(2, 2, kernel_size=\(2, 2\), stride=\(2, 2\)\): requested an output size of \[9, 9\], but valid sizes range from \[6, 6\] to \[7, 7\]/);
  s.expectError('input channels', () => up.forward(s.input(values.slice(0, 9), [1, 1, 3, 3], 'f32', 'x1')), /ConvTranspose2d\(2, 2, kernel_size=\(2, 2\), stride=\(2, 2\)\): input expected a 4-D NCHW shape \[N, 2, H, W\]/);
  s.expectError('output_size of 5', () => up.forward(x, [1, 2, 6, 6, 1]), /ConvTranspose2d\(2, 2, kernel_size=\(2, 2\), stride=\(2, 2\)\): output_size must have 2 or 4 elements \(\[H, W\] or \[N, C, H, W\]\), got \[1, 2, 6, 6, 1\]/);
  s.expectError('padding_mode', () => new nn.ConvTranspose2d(2, 2, 3, { padding_mode: 'reflect' as never, gpu }), /ConvTranspose2d: padding_mode='reflect' is not supported \(only PyTorch's default, padding_mode='zeros'\)/);
});

for (const f of golden.transposed1d) {
  add(`PyTorch ${golden.torch_version}: nn.ConvTranspose1d ${JSON.stringify(f.kwargs)} on [${f.shape.join(', ')}]: output, the input's, weight's and bias's gradients, printout`, async (s) => {
    const { in_channels: I, out_channels: O, kernel_size: k, ...options } = f.kwargs as { in_channels: number; out_channels: number; kernel_size: number } & Record<string, unknown>;
    const m = new nn.ConvTranspose1d(I, O, k, { ...options, gpu: s.gpu });
    const y = await checkModuleFixture(s, m, f, CONV_TOLERANCES);
    // An input that requires no gradient (data): the weight's gradient all the same.
    m.zeroGrad();
    const data = s.input(f.x, f.shape, 'f32', 'data');
    s.own(F.sum(s.own(F.mul(m.forward(data), s.input(f.dy, y.shape, 'f32', 'dy'))))).backward();
    await s.check('d weight from data that requires no gradient', m.weight.grad, f.dweight, 1e-4, 1e-5);
  });
}

for (const f of golden.interpolate) {
  add(`PyTorch ${golden.torch_version}: F.interpolate of [${f.shape.join(', ')}] ${JSON.stringify(f.kwargs)}: values and the input's gradient`, async (s) => {
    const x = s.input(f.x, f.shape, 'f32', 'x');
    x.requiresGrad = true;
    const y = s.own(F.interpolate(x, f.kwargs as F.InterpolateOptions));
    s.expect('shape', y.shape.join() === f.y_shape.join(), `[${y.shape.join(', ')}] (PyTorch: [${f.y_shape.join(', ')}])`);
    await s.check('y', y, f.y, 1e-6, 1e-5);
    s.own(F.sum(s.own(F.mul(y, s.input(f.dy, y.shape, 'f32', 'dy'))))).backward();
    await s.check('d x', x.grad!, f.dx, 1e-5, 1e-5);
  });
}

add(`PyTorch ${golden.torch_version}: F.interpolate nearest picks its samples in float32 as PyTorch (13 · 30/26 is 14.999… in float64, 15 in float32)`, async (s) => {
  // PyTorch 1.13's outputs of 0, 1, 2, … resized (a review found float64 positions one sample low in ~60 of 4,096 size pairs).
  const pytorch: [number, number, F.InterpolateMode, number[]][] = [
    [30, 26, 'nearest', [0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 15, 16, 17, 18, 19, 20, 21, 23, 24, 25, 26, 27, 28]],
    [26, 46, 'nearest', [0, 0, 1, 1, 2, 2, 3, 3, 4, 5, 5, 6, 6, 7, 7, 8, 9, 9, 10, 10, 11, 11, 12, 13, 13, 14, 14, 15, 15, 16, 16, 17, 18, 18, 19, 19, 20, 20, 21, 22, 22, 23, 23, 24, 24, 25]],
    [24, 44, 'nearest-exact', [0, 0, 1, 1, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13, 14, 15, 15, 16, 16, 17, 17, 18, 18, 19, 19, 20, 21, 21, 22, 22, 23, 23]],
  ];
  for (const [n, out, mode, expected] of pytorch) {
    const x = s.input(Array.from({ length: n }, (_, i) => i), [1, 1, n], 'f32', 'x');
    await s.check(`${n} → ${out} ${mode}`, s.own(F.interpolate(x, { size: out, mode })), expected, 0, 0);
  }
});

add(`PyTorch ${golden.torch_version}: nn.Upsample, UpsamplingNearest2d, UpsamplingBilinear2d printouts; F.interpolate's errors`, (s) => {
  const kinds = { Upsample: nn.Upsample, UpsamplingNearest2d: nn.UpsamplingNearest2d, UpsamplingBilinear2d: nn.UpsamplingBilinear2d } as const;
  for (const f of golden.modules) {
    const m = new kinds[f.kind as keyof typeof kinds]({ ...(f.kwargs as object), gpu: s.gpu });
    s.expect(`${f.kind} printout`, m.describe() === f.repr, `${m.describe()} (PyTorch: ${f.repr})`);
  }
  const x3 = s.input(new Float32Array(8), [1, 2, 4], 'f32', 'x3');
  s.expectError('bilinear on 3-D', () => F.interpolate(x3, { scale_factor: 2, mode: 'bilinear' }), /interpolate: Got 3D input, but bilinear mode needs 4D input/);
  s.expectError('align_corners with nearest', () => F.interpolate(x3, { scale_factor: 2, align_corners: true }), /interpolate: align_corners option can only be set with the interpolating modes: linear \| bilinear \| bicubic \| trilinear/);
  s.expectError('size and scale_factor', () => F.interpolate(x3, { size: 3, scale_factor: 2 }), /interpolate: only one of size or scale_factor should be defined/);
  s.expectError('neither', () => F.interpolate(x3), /interpolate: either size or scale_factor should be defined/);
  s.expectError('bicubic', () => F.interpolate(x3, { scale_factor: 2, mode: 'bicubic' as never }), /interpolate: mode 'bicubic' is not supported/);
  s.expectError('a size per axis', () => F.interpolate(x3, { size: [3, 3] }), /interpolate: size expected a number > 0 or 1 of them for input \[1, 2, 4\], got \[3, 3\]/);
  s.expectError('an output past the largest buffer', () => F.interpolate(x3, { size: 3e8 }), /interpolate: an output of \[1, 2, 300000000\] \(2289 MiB\) exceeds the device's largest buffer/);
  const up = new nn.Upsample({ scale_factor: 1.7, mode: 'bilinear', recompute_scale_factor: true, gpu: s.gpu });
  s.expect('Upsample takes recompute_scale_factor', up.recomputeScaleFactor === true, String(up.recomputeScaleFactor));
});

add('in an nn.Sequential: Upsample, ConvTranspose2d, ZeroPad2d, GroupNorm and InstanceNorm2d give the layers after them their output shapes (a Linear after Flatten sizes its input from them)', async (s, random) => {
  const { gpu } = s;
  // [2, 3, 4, 4] → Upsample ×2 → [2, 3, 8, 8] → ConvTranspose2d stride 2 → [2, 2, 16, 16] → pad 1 → [2, 2, 18, 18] → norms → 648 features.
  const net = new nn.Sequential(new nn.Upsample({ scale_factor: 2, mode: 'bilinear', gpu }), new nn.ConvTranspose2d(3, 2, 2, { stride: 2, gpu }), new nn.ZeroPad2d(1, { gpu }), new nn.GroupNorm(1, 2, { gpu }), new nn.InstanceNorm2d(2, { gpu }), new nn.Flatten(1, -1, { gpu }), new nn.Linear(2 * 18 * 18, 3, { gpu }));
  s.expect('outputShape', net.outputShape([2, 3, 4, 4]).join() === '2,3', `[${net.outputShape([2, 3, 4, 4]).join(', ')}]`);
  const x = s.input(Array.from({ length: 96 }, () => random()), [2, 3, 4, 4], 'f32', 'x');
  const y = net.forward(x);
  s.expect('forward', y.shape.join() === '2,3' && (await y.read()).every(Number.isFinite), `[${y.shape.join(', ')}]`);
});

export const upsamplingCases: readonly KernelCase[] = cases;
