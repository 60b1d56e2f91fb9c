// nn.Hardtanh, ReLU6, Hardsigmoid, Hardswish, Mish, PReLU, PixelShuffle, PixelUnshuffle and
// Unflatten against PyTorch itself (tests/fixtures/pytorch-activations.json, from
// scripts/make-fixtures.py): values, the input's gradient (inputs with exact boundary values: −3, 0,
// 3, 6, ±1), PReLU's weight's, printouts. Part of tests/parity-cases.ts's table.
import * as F from '../src/functional';
import * as nn from '../src/nn';
import { caseTable, type KernelCase } from '../src/spec/scope';
import golden from './fixtures/pytorch-activations.json';
import { checkModuleFixture } from './support/module-fixture';

const { cases, add } = caseTable();

type Fixture = (typeof golden.cases)[number];
function moduleOf(f: Fixture, gpu: import('../src/device/gpu').Gpu): nn.Module {
  const [a, b] = f.args as [number | undefined, (number | number[]) | undefined];
  switch (f.kind) {
    case 'Hardtanh': return new nn.Hardtanh(a ?? -1, (b as number | undefined) ?? 1, { gpu });
    case 'ReLU6': return new nn.ReLU6({ gpu });
    case 'Hardsigmoid': return new nn.Hardsigmoid({ gpu });
    case 'Hardswish': return new nn.Hardswish({ gpu });
    case 'Mish': return new nn.Mish({ gpu });
    case 'PReLU': return new nn.PReLU(a ?? 1, { ...(f.kwargs as object), gpu });
    case 'PixelShuffle': return new nn.PixelShuffle(a!, { gpu });
    case 'PixelUnshuffle': return new nn.PixelUnshuffle(a!, { gpu });
    case 'Unflatten': return new nn.Unflatten(a!, b as number[], { gpu });
    default: throw new Error(`no module for fixture ${f.kind}`);
  }
}

for (const f of golden.cases) {
  add(`PyTorch ${golden.torch_version}: nn.${f.kind}(${f.args.map((a) => JSON.stringify(a)).join(', ')}) on [${f.shape.join(', ')}]: values, gradients, printout`, async (s) => {
    const m = moduleOf(f, s.gpu);
    await checkModuleFixture(s, m, f, { values: [1e-6, 1e-5], parameters: [1e-5, 1e-5] });
  });
}

add('more activations and pixel shuffles: errors named, before anything is dispatched', (s) => {
  const x = s.input(new Float32Array(24), [1, 6, 2, 2], 'f32', 'x');
  s.expectError('channels not divisible by r²', () => F.pixelShuffle(x, 2), /pixelShuffle: pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of upscale_factor, but input\.size\(-3\)=6 is not divisible by 4/);
  s.expectError('sizes not divisible', () => F.pixelUnshuffle(x, 3), /pixelUnshuffle: pixel_unshuffle expects height and width to be divisible by downscale_factor/);
  s.expectError('PReLU of other channels', () => F.prelu(x, s.input([0.1, 0.2], [2], 'f32', 'w')), /prelu: Mismatch of parameter numbers and input channel size\. Found parameter numbers = 2 and channel size = 6/);
  s.expectError('Hardtanh bounds', () => new nn.Hardtanh(2, 1, { gpu: s.gpu }), /Hardtanh: min_val \(2\) must be a number ≤ max_val \(1\)/);
});

export const activationCases: readonly KernelCase[] = cases;
