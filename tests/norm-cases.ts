// nn.GroupNorm and nn.InstanceNorm1d/2d against PyTorch itself (tests/fixtures/pytorch-norms.json,
// from scripts/make-fixtures.py): output, the input's and the affine parameters' gradients,
// printouts; F.groupNorm and F.instanceNorm are what they run. Part of tests/parity-cases.ts's table.
import * as F from '../src/functional';
import * as nn from '../src/nn';
import { caseTable, type KernelCase } from '../src/spec/scope';
import golden from './fixtures/pytorch-norms.json';
import { checkModuleFixture } from './support/module-fixture';

const { cases, add } = caseTable();

for (const f of golden.cases) {
  add(`PyTorch ${golden.torch_version}: nn.${f.kind}(${f.args.join(', ')}${Object.keys(f.kwargs).length ? `, ${JSON.stringify(f.kwargs)}` : ''}) on [${f.shape.join(', ')}]: output, the input's and parameters' gradients, printout`, async (s) => {
    const gpu = s.gpu;
    const m = f.kind === 'GroupNorm' ? new nn.GroupNorm(f.args[0]!, f.args[1]!, { ...f.kwargs, gpu }) : f.kind === 'InstanceNorm2d' ? new nn.InstanceNorm2d(f.args[0]!, { ...f.kwargs, gpu }) : new nn.InstanceNorm1d(f.args[0]!, { ...f.kwargs, gpu });
    await checkModuleFixture(s, m, f, { values: [2e-6, 1e-5], parameters: [1e-5, 1e-5] });
    s.expect('parameters as PyTorch', m.namedParameters().map(([n]) => n).join() === Object.keys(f).filter((k) => k === 'weight' || k === 'bias').join(), m.namedParameters().map(([n]) => n).join());
  });
}

add('group and instance norm: errors named, before anything is dispatched', (s) => {
  const x = s.input(new Float32Array(24), [2, 6, 2], 'f32', 'x');
  s.expectError('groups not dividing channels', () => F.groupNorm(x, 4), /groupNorm: Expected number of channels in input to be divisible by num_groups, but got input of shape \[2, 6, 2\] and num_groups=4/);
  s.expectError('running statistics with momentum None', () => new nn.InstanceNorm2d(3, { track_running_stats: true, momentum: null, gpu: s.gpu }), /InstanceNorm2d: momentum=None \(a cumulative average\) is not supported for instance norm/);
  const [group, instance] = [new nn.GroupNorm(2, 4, { gpu: s.gpu }), new nn.InstanceNorm2d(6, { gpu: s.gpu })];
  s.expectError('channels', () => group.forward(x), /GroupNorm\(2, 4, eps=1e-05, affine=True\): input expected \[N, 4, \*\], got \[2, 6, 2\]/);
  s.expectError('instance norm rank', () => instance.forward(x), /InstanceNorm2d\(6, .*\): expected 4D or 3D input with 6 channels, got \[2, 6, 2\]/);
});

export const normCases: readonly KernelCase[] = cases;
