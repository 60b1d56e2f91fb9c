// lr_scheduler.MultiplicativeLR, PolynomialLR and CyclicLR against PyTorch itself
// (tests/fixtures/pytorch-schedulers.json, from scripts/make-fixtures.py): each group's lr and
// momentum over 20 steps; CyclicLR on Adam (PyTorch 2's betas[0]); options and errors. Part of
// tests/parity-cases.ts's table.
import * as sched from '../src/lr-scheduler';
import * as optim from '../src/optim';
import { allocateParameter } from '../src/parameters';
import { compare } from '../src/spec/compare';
import { caseTable, type KernelCase } from '../src/spec/scope';
import golden from './fixtures/pytorch-schedulers.json';

const { cases, add } = caseTable();

function make(name: string, opt: optim.Optimizer, options: object): sched.LRScheduler {
  switch (name) {
    case 'MultiplicativeLR': return new sched.MultiplicativeLR(opt, { lr_lambda: [() => 0.95, (e) => 1 - 0.02 * e] });
    case 'CyclicLR with scale_fn 1/x per cycle': return new sched.CyclicLR(opt, { ...options, scale_fn: (x) => 1 / x, scale_mode: 'cycle' });
    case 'CyclicLR with scale_fn 0.8^x per iteration': return new sched.CyclicLR(opt, { ...options, scale_fn: (x) => 0.8 ** x, scale_mode: 'iterations' });
    case 'SequentialLR: LinearLR, PolynomialLR at [3]': return new sched.SequentialLR(opt, { schedulers: [new sched.LinearLR(opt, { start_factor: 0.25, total_iters: 3 }), new sched.PolynomialLR(opt, { total_iters: 10, power: 2 })], milestones: [3] });
    default: return new (sched as unknown as Record<string, new (o: optim.Optimizer, options: object) => sched.LRScheduler>)[name]!(opt, options);
  }
}

const momenta = (opt: optim.Optimizer) => (opt.paramGroups as unknown as { momentum?: number; betas?: number[] }[]).map((g) => g.betas?.[0] ?? g.momentum!);

for (const f of golden.cases) {
  add(`PyTorch ${golden.torch_version}: ${f.name} ${JSON.stringify(f.options)}, 20 steps, two groups`, (s) => {
    const [a, b] = [allocateParameter(s.gpu, [2], 'a'), allocateParameter(s.gpu, [3], 'b')];
    const opt = new optim.SGD([{ params: [a] }, { params: [b], lr: 0.05 }], { lr: 0.1 });
    const scheduler = make(f.name, opt, f.options);
    const [lrs, moms] = [[opt.paramGroups.map((g) => g.lr)], [momenta(opt)]];
    for (let step = 0; step < 20; step++) {
      opt.step();
      scheduler.step();
      lrs.push(opt.paramGroups.map((g) => g.lr));
      moms.push(momenta(opt));
    }
    s.comparisons.push(compare('lr per step and group', lrs.flat(), f.lrs.flat(), 0, 1e-12));
    s.comparisons.push(compare('momentum per step and group', moms.flat(), f.momenta.flat(), 0, 1e-12));
  });
}

add('CyclicLR on Adam cycles betas[0] as SGD\'s momentum (PyTorch 2\'s use_beta1), betas[1] left alone; options and errors', (s) => {
  const p = allocateParameter(s.gpu, [2], 'p');
  const options = { base_lr: [0.01], max_lr: 0.1, step_size_up: 3, step_size_down: 5, mode: 'triangular2' as const, base_momentum: 0.7, max_momentum: 0.95 };
  const adam = new optim.Adam([p], { betas: [0.5, 0.99] });
  const sgd = new optim.SGD([allocateParameter(s.gpu, [2], 'q')], { lr: 0.1 });
  const [a, b] = [new sched.CyclicLR(adam, options), new sched.CyclicLR(sgd, options)];
  const seen: number[][] = [];
  for (let step = 0; step < 12; step++) {
    adam.step();
    sgd.step();
    a.step();
    b.step();
    seen.push([adam.paramGroups[0]!.betas[0], sgd.paramGroups[0]!.momentum, adam.paramGroups[0]!.lr, sgd.paramGroups[0]!.lr, adam.paramGroups[0]!.betas[1]]);
  }
  s.expect('betas[0] follows SGD\'s momentum, lr alike, betas[1] kept', seen.every(([b0, m, la, ls, b1]) => b0 === m && la === ls && b1 === 0.99), JSON.stringify(seen.slice(0, 3)));
  s.expect('the lr falls to baseLr and the momentum rises to maxMomentum at the end of a cycle', Math.abs(seen[7]![3]! - 0.01) < 1e-15 && Math.abs(seen[7]![1]! - 0.95) < 1e-15, JSON.stringify(seen[7]));
  const adagrad = new optim.Adagrad([allocateParameter(s.gpu, [2], 'r')]);
  s.expectError('no momentum to cycle', () => new sched.CyclicLR(adagrad, { base_lr: 0.01, max_lr: 0.1 }), /CyclicLR: cycleMomentum needs an optimizer with a momentum \(SGD, RMSprop\) or betas \(Adam and its kin\), and Adagrad has neither: pass cycleMomentum: false/);
  s.expect('cycle_momentum false on Adagrad', new sched.CyclicLR(adagrad, { base_lr: 0.01, max_lr: 0.1, cycle_momentum: false }).getLastLr()[0] === 0.01, '');
  s.expectError('a mode', () => new sched.CyclicLR(sgd, { base_lr: 0.01, max_lr: 0.1, mode: 'sine' as never }), /CyclicLR: argument 'mode' expected 'triangular', 'triangular2' or 'exp_range', got 'sine'/);
  s.expectError('max_lr per group', () => new sched.CyclicLR(sgd, { base_lr: 0.01, max_lr: [0.1, 0.2] }), /CyclicLR: argument 'maxLr' expected 1 values \(one per param group\), got 2/);
  s.expectError('a step size', () => new sched.CyclicLR(sgd, { base_lr: 0.01, max_lr: 0.1, step_size_up: 0 }), /CyclicLR: argument 'stepSizeUp' expected a number > 0, got 0/);
  s.expectError('a scale function returning NaN', () => new sched.CyclicLR(sgd, { base_lr: 0.01, max_lr: 0.1, scale_fn: () => NaN }), /CyclicLR: the scale function returned NaN at cycle 1, expected a finite number/);
  s.expectError('PolynomialLR total_iters', () => new sched.PolynomialLR(sgd, { total_iters: 0 }), /PolynomialLR: argument 'totalIters' expected a positive integer, got 0/);
  // A negative power: PyTorch gives 1.5 and 3 (lr 1, total_iters 3), then raises ZeroDivisionError at step 3.
  const growing = new optim.SGD([allocateParameter(s.gpu, [2], 'g')], { lr: 1 });
  const poly = new sched.PolynomialLR(growing, { total_iters: 3, power: -1 });
  const lrs: number[] = [];
  for (let i = 0; i < 2; i++) {
    growing.step();
    poly.step();
    lrs.push(growing.paramGroups[0]!.lr);
  }
  s.expect('PolynomialLR power −1: PyTorch\'s 1.5 and 3 before total_iters', Math.abs(lrs[0]! - 1.5) < 1e-15 && Math.abs(lrs[1]! - 3) < 1e-15, JSON.stringify(lrs));
  growing.step();
  s.expectError('PolynomialLR power −1 at total_iters', () => poly.step(), /^PolynomialLR\.step: step 3 reaches total_iters 3, where the lr's factor \(1 − 3\/3\)\^-1 is 0 to a negative power \(PyTorch raises ZeroDivisionError: 0\.0 cannot be raised to a negative power\)/);
  s.expect('the step counted and the lr left as it was, as PyTorch\'s', poly.lastEpoch === 3 && growing.paramGroups[0]!.lr === lrs[1], `lastEpoch ${poly.lastEpoch}, lr ${growing.paramGroups[0]!.lr}`);
  growing.step();
  poly.step(); // past total_iters: PyTorch's get_lr keeps the lr
  s.expect('later steps go on, keeping the lr', poly.lastEpoch === 4 && growing.paramGroups[0]!.lr === lrs[1], `lastEpoch ${poly.lastEpoch}, lr ${growing.paramGroups[0]!.lr}`);
  s.expectError('MultiplicativeLR lambdas per group', () => new sched.MultiplicativeLR(sgd, { lr_lambda: [() => 1, () => 1] }), /MultiplicativeLR: argument 'lrLambda' expected 1 functions \(one per param group\), got 2/);
  s.expectError('MultiplicativeLR returning a string', () => {
    const m = new sched.MultiplicativeLR(sgd, { lr_lambda: () => 'x' as unknown as number });
    sgd.step();
    m.step();
  }, /MultiplicativeLR: lrLambda\(1\) for group 0 returned x, expected a finite number/);
});

export const schedulerCases: readonly KernelCase[] = cases;
