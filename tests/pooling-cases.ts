// nn.AdaptiveAvgPool2d/1d, nn.AdaptiveMaxPool2d/1d and F.interpolate(mode='area') against PyTorch
// itself (tests/fixtures/pytorch-pooling.json, from scripts/make-fixtures.py): values, the arg-max
// indices, the input's gradient, printouts; the F forms equal to the modules; errors. Part of
// tests/parity-cases.ts's table.
import * as F from '../src/functional';
import * as nn from '../src/nn';
import { uniform } from '../src/spec/random';
import { caseTable, type KernelCase } from '../src/spec/scope';
import golden from './fixtures/pytorch-pooling.json';
import lrnGolden from './fixtures/pytorch-lrn.json';
import { checkModuleFixture } from './support/module-fixture';

const { cases, add } = caseTable();

type Fixture = (typeof golden.cases)[number] & { indices?: number[] };
const pair = (v: number | (number | null)[]) => (typeof v === 'number' ? v : (v as [number | null, number | null]));

for (const f of golden.cases as Fixture[]) {
  add(`PyTorch ${golden.torch_version}: nn.${f.kind}(${JSON.stringify(f.output_size)}) on [${f.shape.join(', ')}]: values, ${f.indices ? 'indices, ' : ''}the input's gradient, printout`, async (s) => {
    const gpu = s.gpu;
    const m =
      f.kind === 'AdaptiveAvgPool2d' ? new nn.AdaptiveAvgPool2d(pair(f.output_size), { gpu })
      : f.kind === 'AdaptiveMaxPool2d' ? new nn.AdaptiveMaxPool2d(pair(f.output_size), { gpu })
      : f.kind === 'AdaptiveAvgPool1d' ? new nn.AdaptiveAvgPool1d(f.output_size as number, { gpu })
      : new nn.AdaptiveMaxPool1d(f.output_size as number, { gpu });
    // Pooling only picks or averages: float32's rounding of a mean of up to 4 values, no more.
    await checkModuleFixture(s, m, f, { values: [1e-6, 1e-6], parameters: [0, 0] });
    if (f.indices) await s.check('indices', (m as nn.AdaptiveMaxPool2d).indices!, f.indices, 0, 0);
  });
}

for (const f of golden.area) {
  add(`PyTorch ${golden.torch_version}: F.interpolate(mode='area') of [${f.shape.join(', ')}] ${JSON.stringify(f.kwargs)}: values and the input's gradient`, async (s) => {
    const x = s.input(f.x, f.shape, 'f32', 'x');
    x.requiresGrad = true;
    const y = s.own(F.interpolate(x, { ...(f.kwargs as F.InterpolateOptions), mode: 'area' }));
    s.expect('output shape', y.shape.join() === f.y_shape.join(), `[${y.shape.join(', ')}] (PyTorch: [${f.y_shape.join(', ')}])`);
    await s.check('y', y, f.y, 1e-6, 1e-6);
    s.own(F.sum(s.own(F.mul(y, s.input(f.dy, y.shape, 'f32', 'dy'))))).backward();
    await s.check('d x', x.grad!, f.dx, 1e-6, 1e-6);
  });
}

add('F.adaptiveAvgPool2d, F.adaptiveMaxPool2d (return_indices), F.adaptiveAvgPool1d, F.adaptiveMaxPool1d: exactly the modules\' values, indices and gradients', async (s, random) => {
  const gpu = s.gpu;
  const x4 = uniform(random, 2 * 3 * 9 * 7);
  const x3 = uniform(random, 2 * 3 * 11);
  const pairs: [string, number[], number[], (x: ReturnType<typeof s.input>) => ReturnType<typeof s.input>, (x: ReturnType<typeof s.input>) => ReturnType<typeof s.input>][] = [
    ['avg 2d', [2, 3, 9, 7], Array.from(x4), (x) => new nn.AdaptiveAvgPool2d([4, null], { gpu }).forward(x), (x) => s.own(F.adaptiveAvgPool2d(x, [4, null]))],
    ['max 2d', [2, 3, 9, 7], Array.from(x4), (x) => new nn.AdaptiveMaxPool2d([2, 5], { gpu }).forward(x), (x) => s.own(F.adaptiveMaxPool2d(x, [2, 5]))],
    ['avg 1d', [2, 3, 11], Array.from(x3), (x) => new nn.AdaptiveAvgPool1d(4, { gpu }).forward(x), (x) => s.own(F.adaptiveAvgPool1d(x, 4))],
    ['max 1d', [2, 3, 11], Array.from(x3), (x) => new nn.AdaptiveMaxPool1d([4], { gpu }).forward(x), (x) => s.own(F.adaptiveMaxPool1d(x, 4))],
  ];
  for (const [name, shape, values, viaModule, viaF] of pairs) {
    const runs = [viaModule, viaF].map((run) => {
      const x = s.input(values, shape, 'f32', 'x');
      x.requiresGrad = true;
      const y = run(x);
      s.own(F.sum(s.own(F.mul(y, y)))).backward();
      return { x, y };
    });
    await s.check(`${name}: F's output`, runs[1]!.y, Array.from(await runs[0]!.y.read()), 0, 0);
    await s.check(`${name}: F's gradient`, runs[1]!.x.grad!, Array.from(await runs[0]!.x.grad!.read()), 0, 0);
  }
  const x = s.input(x4, [2, 3, 9, 7], 'f32', 'x');
  const m = new nn.AdaptiveMaxPool2d(3, { gpu });
  const y = m.forward(x);
  const [y2, indices] = F.adaptiveMaxPool2d(x, 3, { return_indices: true });
  s.own(y2);
  await s.check('return_indices: the output', y2, Array.from(await y.read()), 0, 0);
  await s.check('return_indices: the module\'s .indices', indices, Array.from(await m.indices!.read()), 0, 0);
  const [, indices1] = F.adaptiveMaxPool1d(s.input(x3, [2, 3, 11]), 4, { returnIndices: true });
  s.expect('1-d indices: positions along L, shape [N, C, L\']', indices1.shape.join() === '2,3,4' && Array.from(await indices1.read()).every((i) => i >= 0 && i < 11), `shape [${indices1.shape.join(', ')}]`);
});

add('adaptive pooling: one image and one sequence; in a Sequential (a Linear sized from AdaptiveAvgPool2d((None, 2))); errors named', async (s, random) => {
  const gpu = s.gpu;
  const image = uniform(random, 3 * 6 * 5);
  const one = new nn.AdaptiveMaxPool2d([2, 3], { gpu });
  const y1 = one.forward(s.input(image, [3, 6, 5]));
  const yb = new nn.AdaptiveMaxPool2d([2, 3], { gpu }).forward(s.input(image, [1, 3, 6, 5]));
  s.expect('one image: [C, OH, OW] and indices alike', y1.shape.join() === '3,2,3' && one.indices!.shape.join() === '3,2,3', `[${y1.shape.join(', ')}], indices [${one.indices!.shape.join(', ')}]`);
  await s.check('one image = the batch of one', y1, Array.from(await yb.read()), 0, 0);
  const seq = new nn.AdaptiveAvgPool1d(2, { gpu }).forward(s.input([1, 2, 3, 4, 5], [1, 5]));
  await s.check('one sequence [C, L]: bins [0, 3) and [2, 5)', seq, [2, 4], 1e-7, 0);
  const net = new nn.Sequential(new nn.Conv2d(3, 4, 3, { padding: 1, gpu }), new nn.AdaptiveAvgPool2d([null, 2], { gpu }), new nn.Flatten(1, -1, { gpu }), new nn.Linear(4 * 6 * 2, 2, { gpu }));
  const out = net.forward(s.input(uniform(random, 2 * 3 * 6 * 5), [2, 3, 6, 5]));
  s.expect('Sequential output', out.shape.join() === '2,2', `[${out.shape.join(', ')}]`);
  s.expectError('output size 0', () => new nn.AdaptiveAvgPool2d(0, { gpu }), /AdaptiveAvgPool2d\(output_size=0\): output_size expected an integer ≥ 1 or two of them \(null keeps that input size\), got 0/);
  s.expectError('three sizes', () => new nn.AdaptiveMaxPool2d([1, 2, 3] as never, { gpu }), /AdaptiveMaxPool2d\(output_size=\[1, 2, 3\]\): output_size expected an integer ≥ 1 or two of them/);
  s.expectError('return_indices on the module', () => new nn.AdaptiveMaxPool2d(2, { return_indices: true as false, gpu }), /AdaptiveMaxPool2d: .*return_indices|returnIndices/);
  s.expectError('1-d size', () => new nn.AdaptiveAvgPool1d(2.5, { gpu }), /AdaptiveAvgPool1d: argument 'output_size' expected an integer ≥ 1 \(or a list of one\), got 2\.5/);
  s.expectError('a 2-D input to a 2-D pool', () => new nn.AdaptiveAvgPool2d(2, { gpu }).forward(s.input(new Float32Array(4), [2, 2])), /AdaptiveAvgPool2d\(output_size=2\): input expected a 4-D NCHW shape \[N, C, H, W\] or one image \[C, H, W\], got \[2, 2\]/);
  s.expectError('a 4-D input to a 1-D pool', () => F.adaptiveMaxPool1d(s.input(new Float32Array(16), [1, 2, 2, 4]), 2), /adaptiveMaxPool1d: input expected \[N, C, L\] or one sequence \[C, L\], got \[1, 2, 2, 4\]/);
  s.expectError('F: a bad output size', () => F.adaptiveAvgPool2d(s.input(new Float32Array(16), [1, 1, 4, 4]), [2, -1]), /adaptiveAvgPool2d: output_size expected an integer ≥ 1 or two of them \(null keeps that input size\), got \[2, -1\]/);
  s.expectError('area with align_corners', () => F.interpolate(s.input(new Float32Array(16), [1, 1, 4, 4]), { size: 2, mode: 'area', align_corners: true }), /interpolate: align_corners option can only be set with the interpolating modes/);
});

// ── LocalResponseNorm (AlexNet's) and Softmax2d against PyTorch (tests/fixtures/pytorch-lrn.json) ──
for (const f of lrnGolden.cases) {
  add(`PyTorch ${lrnGolden.torch_version}: nn.${f.kind}(${f.args.join(', ')}${Object.keys(f.kwargs).length ? `, ${JSON.stringify(f.kwargs)}` : ''}) on [${f.shape.join(', ')}]: values, the input's gradient, printout`, async (s) => {
    const gpu = s.gpu;
    const m = f.kind === 'Softmax2d' ? new nn.Softmax2d({ gpu }) : new nn.LocalResponseNorm(f.args[0]!, { ...(f.kwargs as object), gpu });
    await checkModuleFixture(s, m, f, { values: [1e-6, 1e-5], parameters: [0, 0] });
  });
}

// InstanceNorm with track_running_stats: two training batches, then eval with the running statistics.
for (const f of lrnGolden.instance_running) {
  add(`PyTorch ${lrnGolden.torch_version}: nn.${f.kind}(${f.shape[1]}, track_running_stats=True, ${JSON.stringify(f.kwargs)}): training outputs, running statistics, eval output and gradient`, async (s) => {
    const gpu = s.gpu;
    const options = { ...(f.kwargs as object), track_running_stats: true, gpu };
    const m = f.kind === 'InstanceNorm2d' ? new nn.InstanceNorm2d(f.shape[1]!, options) : new nn.InstanceNorm1d(f.shape[1]!, options);
    const values = f as unknown as Record<string, number[]>;
    for (const [name, p] of m.namedParameters()) p.write(values[name]!);
    m.train();
    await s.check('training output 1', m.forward(s.input(f.x1, f.shape, 'f32', 'x1')), f.y1, 1e-5, 1e-4);
    await s.check('running_mean after 1', m.runningMean!, f.stats1[0]!, 1e-6, 1e-5);
    await s.check('running_var after 1', m.runningVar!, f.stats1[1]!, 1e-6, 1e-5);
    await s.check('training output 2', m.forward(s.input(f.x2, f.shape, 'f32', 'x2')), f.y2, 1e-5, 1e-4);
    await s.check('running_mean after 2', m.runningMean!, f.stats2[0]!, 1e-6, 1e-5);
    await s.check('running_var after 2', m.runningVar!, f.stats2[1]!, 1e-6, 1e-5);
    m.eval();
    await checkModuleFixture(s, m, f, { values: [1e-5, 1e-5], parameters: [1e-5, 1e-5] });
    s.expect('buffers in the state dict, as PyTorch\'s', m.namedBuffers().map(([n]) => n).join() === 'running_mean,running_var,num_batches_tracked', m.namedBuffers().map(([n]) => n).join());
  });
}

add('LocalResponseNorm and Softmax2d: F.localResponseNorm equals the module; errors named', async (s, random) => {
  const gpu = s.gpu;
  const x = s.input(uniform(random, 2 * 5 * 3), [2, 5, 3], 'f32', 'x');
  const m = new nn.LocalResponseNorm(3, { alpha: 0.01, gpu });
  await s.check('F = module', s.own(F.localResponseNorm(x, 3, { alpha: 0.01 })), Array.from(await m.forward(x).read()), 0, 0);
  s.expectError('2-D input', () => m.forward(s.input(new Float32Array(4), [2, 2])), /^LocalResponseNorm\(3, alpha=0\.01, beta=0\.75, k=1\.0\): Expected 3D or higher dimensionality input \(got 2 dimensions\)$/);
  s.expectError('size 0', () => new nn.LocalResponseNorm(0, { gpu }), /LocalResponseNorm: argument 'size' expected a positive integer, got 0/);
  s.expectError('alpha positional', () => new nn.LocalResponseNorm(3, 0.001 as never), /alpha, beta and k go in the options/);
  s.expectError('Softmax2d of a 2-D input', () => new nn.Softmax2d({ gpu }).forward(s.input(new Float32Array(4), [2, 2])), /^Softmax2d: expected input to be 3D or 4D, got 2D instead \(\[2, 2\]\)$/);
});

export const poolingCases: readonly KernelCase[] = cases;
