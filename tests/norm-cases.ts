// nn.GroupNorm and nn.InstanceNorm1d/2d against PyTorch itself (tests/fixtures/pytorch-norms.json,
// from scripts/make-fixtures.py): output, the input's and the affine parameters' gradients,
// printouts; F.groupNorm and F.instanceNorm are what they run. Part of tests/parity-cases.ts's table.
import * as F from '../src/functional';
import * as nn from '../src/nn';
import { caseTable, type KernelCase } from '../src/spec/scope';
import golden from './fixtures/pytorch-norms.json';

const { cases, add } = caseTable();

for (const f of golden.cases) {
  add(`PyTorch ${golden.torch_version}: nn.${f.kind}(${f.args.join(', ')}${Object.keys(f.kwargs).length ? `, ${JSON.stringify(f.kwargs)}` : ''}) on [${f.shape.join(', ')}]: output, the input's and parameters' gradients, printout`, async (s) => {
    const gpu = s.gpu;
    const m = f.kind === 'GroupNorm' ? new nn.GroupNorm(f.args[0]!, f.args[1]!, { ...f.kwargs, gpu }) : f.kind === 'InstanceNorm2d' ? new nn.InstanceNorm2d(f.args[0]!, { ...f.kwargs, gpu }) : new nn.InstanceNorm1d(f.args[0]!, { ...f.kwargs, gpu });
    s.expect('printout as PyTorch', m.describe() === f.repr, `${m.describe()} (PyTorch: ${f.repr})`);
    const fixture = f as unknown as Record<string, number[] | undefined>;
    if (m.weight) m.weight.write(fixture.weight!);
    if (m.bias) m.bias.write(fixture.bias!);
    const x = s.input(f.x, f.shape, 'f32', 'x');
    x.requiresGrad = true;
    const y = m.forward(x);
    s.expect('shape', y.shape.join() === f.shape.join(), `[${y.shape.join(', ')}]`);
    await s.check('y', y, f.y, 2e-6, 1e-5);
    s.own(F.sum(s.own(F.mul(y, s.input(f.dy, y.shape, 'f32', 'dy'))))).backward();
    await s.check('d x', x.grad!, f.dx, 2e-6, 1e-5);
    if (m.weight) await s.check('d weight', m.weight.grad, fixture.dweight!, 1e-5, 1e-5);
    if (m.bias) await s.check('d bias', m.bias.grad, fixture.dbias!, 1e-5, 1e-5);
    s.expect('parameters as PyTorch', m.namedParameters().map(([n]) => n).join() === Object.keys(f).filter((k) => k === 'weight' || k === 'bias').join(), m.namedParameters().map(([n]) => n).join());
  });
}

add('group and instance norm: errors named, before anything is dispatched', (s) => {
  const x = s.input(new Float32Array(24), [2, 6, 2], 'f32', 'x');
  s.expectError('groups not dividing channels', () => F.groupNorm(x, 4), /groupNorm: Expected number of channels in input to be divisible by num_groups, but got input of shape \[2, 6, 2\] and num_groups=4/);
  s.expectError('running statistics', () => new nn.InstanceNorm2d(3, { track_running_stats: true as never, gpu: s.gpu }), /InstanceNorm2d: track_running_stats=true is not supported/);
  const [group, instance] = [new nn.GroupNorm(2, 4, { gpu: s.gpu }), new nn.InstanceNorm2d(6, { gpu: s.gpu })];
  s.expectError('channels', () => group.forward(x), /GroupNorm\(2, 4, eps=1e-05, affine=True\): input expected \[N, 4, \*\], got \[2, 6, 2\]/);
  s.expectError('instance norm rank', () => instance.forward(x), /InstanceNorm2d\(6, .*\): expected 4D or 3D input with 6 channels, got \[2, 6, 2\]/);
});

export const normCases: readonly KernelCase[] = cases;
