// nn.SmoothL1Loss, nn.HuberLoss, nn.KLDivLoss and the composed losses (MarginRanking, SoftMargin,
// HingeEmbedding, CosineEmbedding, PoissonNLL, GaussianNLL), and their F forms, against PyTorch
// (tests/fixtures/pytorch-more-losses.json, from scripts/make-fixtures.py): the value and every input's
// gradient within a tolerance of PyTorch's float64 result that PyTorch's own float32 result meets,
// printouts as PyTorch's; the float64 reference against PyTorch's float64; bad options and shapes
// named. Part of tests/parity-cases.ts's table.
import * as F from '../src/functional';
import * as nn from '../src/nn';
import { regressionLoss as regressionRef } from '../src/reference/regression_loss';
import { compare } from '../src/spec/compare';
import { uniform } from '../src/spec/random';
import { caseTable, type CaseScope, type KernelCase } from '../src/spec/scope';
import type { Tensor } from '../src/tensor';
import golden from './fixtures/pytorch-more-losses.json';

const { cases, add } = caseTable();

// PyTorch's float32 results stay within this bound of its float64 ones on every case (checked below,
// case by case, beside ours).
const ATOL = 1e-6;
const RTOL = 1e-5;

type Fixture = (typeof golden.cases)[number];
type Kwargs = { reduction?: 'mean' | 'sum' | 'none' | 'batchmean'; beta?: number; delta?: number; log_target?: boolean; margin?: number; log_input?: boolean; full?: boolean; eps?: number };
type Loss = (...operands: Tensor[]) => Tensor;

/** The fixture's numbers, null (JSON's stand-in) back to NaN. */
const numbers = (v: readonly (number | null)[]) => v.map((e) => e ?? NaN);

/** The module, its options pasted as PyTorch's keyword arguments. */
function moduleOf(f: Fixture, s: CaseScope): nn.Module & { forward: Loss } {
  const k = { ...(f.kwargs as Kwargs), gpu: s.gpu } as never;
  const modules: Record<string, new (options: never) => nn.Module & { forward: Loss }> = {
    SmoothL1Loss: nn.SmoothL1Loss, HuberLoss: nn.HuberLoss, KLDivLoss: nn.KLDivLoss, MarginRankingLoss: nn.MarginRankingLoss, SoftMarginLoss: nn.SoftMarginLoss,
    HingeEmbeddingLoss: nn.HingeEmbeddingLoss, CosineEmbeddingLoss: nn.CosineEmbeddingLoss, PoissonNLLLoss: nn.PoissonNLLLoss, GaussianNLLLoss: nn.GaussianNLLLoss,
  } as never;
  if (!modules[f.kind]) throw new Error(`no module for fixture kind ${f.kind}`);
  return new modules[f.kind]!(k);
}

/** The F form, with the same keyword arguments, and its name. */
const FUNCTIONS: Record<string, [string, (operands: Tensor[], k: never) => Tensor]> = {
  SmoothL1Loss: ['F.smoothL1Loss', ([x, t], k) => F.smoothL1Loss(x!, t!, k)],
  HuberLoss: ['F.huberLoss', ([x, t], k) => F.huberLoss(x!, t!, k)],
  KLDivLoss: ['F.klDiv', ([x, t], k) => F.klDiv(x!, t!, k)],
  MarginRankingLoss: ['F.marginRankingLoss', ([a, b, y], k) => F.marginRankingLoss(a!, b!, y!, k)],
  SoftMarginLoss: ['F.softMarginLoss', ([x, y], k) => F.softMarginLoss(x!, y!, k)],
  HingeEmbeddingLoss: ['F.hingeEmbeddingLoss', ([x, y], k) => F.hingeEmbeddingLoss(x!, y!, k)],
  CosineEmbeddingLoss: ['F.cosineEmbeddingLoss', ([a, b, y], k) => F.cosineEmbeddingLoss(a!, b!, y!, k)],
  PoissonNLLLoss: ['F.poissonNllLoss', ([x, t], k) => F.poissonNllLoss(x!, t!, k)],
  GaussianNLLLoss: ['F.gaussianNllLoss', ([x, t, v], k) => F.gaussianNllLoss(x!, t!, v!, k)],
};

/** The operands' names, for labels. */
const operandNames = (f: Fixture) => (f.inputs.length === 2 ? ['input', 'target'] : f.kind === 'GaussianNLLLoss' ? ['input', 'target', 'var'] : ['input1', 'input2', 'target']);

// Each fixture through the module (twice: the second call reuses its buffers) and through F.
for (const f of golden.cases) {
  const [fName, fn] = FUNCTIONS[f.kind]!;
  const names = operandNames(f);
  for (const via of ['nn', 'F'] as const) {
    add(`PyTorch ${golden.torch_version}: ${via === 'nn' ? `nn.${f.kind}` : fName} ${JSON.stringify(f.kwargs)} [${f.shapes.map((d) => d.join(', ')).join('], [')}]: value, gradients of ${f.grad_of.map((i) => names[i]).join(', ')}${via === 'nn' ? ', printout' : ''}`, async (s) => {
      const module = via === 'nn' ? moduleOf(f, s) : null;
      if (module) s.expect('printout as PyTorch', module.describe() === f.repr, `${module.describe()} (PyTorch: ${f.repr})`);
      const lossOf: Loss = module ? (...operands) => module.forward(...(operands as [Tensor])) : (...operands) => s.own(fn(operands, f.kwargs as never));
      for (const call of via === 'nn' ? [1, 2] : [1]) {
        // A 0-d target (one vector's cosine) is [1] here: wgslgrad has no 0-d tensors.
        const operands = f.inputs.map((v, i) => s.input(v, f.shapes[i]!.length ? f.shapes[i]! : [1], 'f32', names[i]));
        for (const i of f.grad_of) operands[i]!.requiresGrad = true;
        const y = lossOf(...operands);
        s.expect(`call ${call}: output shape`, y.shape.join() === f.y_shape.join(), `[${y.shape.join(', ')}] vs PyTorch [${f.y_shape.join(', ')}]`);
        if (call === 1) s.comparisons.push(compare("PyTorch's own float32 y vs float64", f.y, f.y64, ATOL, RTOL));
        await s.check(`call ${call}: y vs PyTorch float64`, y, f.y64, ATOL, RTOL);
        if (f.dy) s.own(F.sum(s.own(F.mul(y, s.input(f.dy, y.shape, 'f32', 'dy'))))).backward();
        else y.backward();
        for (const [k, i] of f.grad_of.entries()) {
          const name = `d ${names[i]}`;
          const expected = numbers(f.grads64[k]!);
          if (call === 1) s.comparisons.push(compare(`PyTorch's own float32 ${name} vs float64`, numbers(f.grads[k]!), expected, ATOL, RTOL));
          await s.check(`call ${call}: ${name} vs PyTorch float64`, operands[i]!.grad!, expected, ATOL, RTOL);
        }
        for (const t of operands) t.grad?.destroy();
      }
    });
  }
}

// The float64 reference (src/reference/regression_loss.ts, from the math) against PyTorch's float64
// run: values and both gradients, to float64's rounding.
add(`PyTorch ${golden.torch_version}: the float64 smooth L1 and Huber references agree with PyTorch's float64 run`, (s) => {
  for (const f of golden.cases.filter((c) => c.kind === 'SmoothL1Loss' || c.kind === 'HuberLoss')) {
    const k = f.kwargs as Kwargs;
    const kind = f.kind === 'HuberLoss' ? 'huber' : 'smoothL1';
    const reduction = (k.reduction ?? 'mean') as 'mean' | 'sum' | 'none';
    const r = regressionRef(kind, f.inputs[0]!, f.inputs[1]!, reduction, f.dy ?? undefined, k.beta ?? k.delta ?? 1);
    const label = `${f.kind} ${JSON.stringify(k)}`;
    s.comparisons.push(compare(`${label}: y`, reduction === 'none' ? r.elements : [r.loss], f.y64, 1e-12, 1e-12));
    s.comparisons.push(compare(`${label}: d input`, r.grad, numbers(f.grads64[0]!), 1e-12, 1e-12));
    s.comparisons.push(compare(`${label}: d target`, r.targetGrad, numbers(f.grads64[1]!), 1e-12, 1e-12));
  }
});

// ── options: PyTorch's names pasted, printouts, bad options and shapes named ─────────────────────

add('SmoothL1Loss, HuberLoss, KLDivLoss: options kept, printouts as PyTorch, bad options and shapes named', (s, random) => {
  const gpu = s.gpu;
  const smooth = new nn.SmoothL1Loss({ reduction: 'sum', beta: 0.5, gpu });
  const huber = new nn.HuberLoss({ delta: 2, gpu });
  const kl = new nn.KLDivLoss({ reduction: 'batchmean', log_target: true, gpu });
  s.expect('options kept', smooth.beta === 0.5 && smooth.reduction === 'sum' && huber.delta === 2 && huber.reduction === 'mean' && kl.logTarget && kl.reduction === 'batchmean', `${smooth.beta} ${smooth.reduction} ${huber.delta} ${kl.logTarget} ${kl.reduction}`);
  // PyTorch prints none of these modules' options: print(nn.HuberLoss(delta=2.0)) is HuberLoss().
  s.expect('printouts as PyTorch', [smooth, huber, kl].map((m) => m.describe()).join() === 'SmoothL1Loss(),HuberLoss(),KLDivLoss()', [smooth, huber, kl].map((m) => m.describe()).join());
  const x = s.input(uniform(random, 12), [3, 4]);
  const t = s.input(uniform(random, 12), [4, 3], 'f32', 'target');
  s.expectError('unknown option', () => new nn.SmoothL1Loss({ gpu, delta: 1 } as { beta?: number }), /^SmoothL1Loss: unknown option 'delta' \(known: reduction, beta, gpu\)$/);
  s.expectError('unknown option', () => new nn.HuberLoss({ gpu, beta: 1 } as { delta?: number }), /^HuberLoss: unknown option 'beta' \(known: reduction, delta, gpu\)$/);
  s.expectError('negative beta', () => new nn.SmoothL1Loss({ beta: -1, gpu }), /^SmoothL1Loss: argument 'beta' expected a non-negative number, got -1 \(PyTorch: "smooth_l1_loss does not support negative values for beta\."\)$/);
  s.expectError('zero delta', () => new nn.HuberLoss({ delta: 0, gpu }), /^HuberLoss: argument 'delta' expected a positive number, got 0 \(PyTorch: "huber_loss does not support non-positive values for delta\."\)$/);
  s.expectError('delta not a number', () => F.huberLoss(x, x, { delta: '1' as unknown as number }), /^huberLoss: argument 'delta' expected a number, got '1'$/);
  s.expectError('F: negative beta', () => F.smoothL1Loss(x, x, { beta: -0.25 }), /^smoothL1Loss: argument 'beta' expected a non-negative number, got -0.25/);
  s.expectError('F: unknown option', () => F.smoothL1Loss(x, x, { size_average: true } as { beta?: number }), /^smoothL1Loss: unknown option 'size_average' \(known: reduction, beta, out, partials, name\); PyTorch's deprecated size_average and reduce are not taken: reduction 'sum' is size_average=False, 'none' is reduce=False$/);
  s.expectError('bad reduction', () => new nn.HuberLoss({ reduction: 'batchmean' as 'mean', gpu }), /^HuberLoss: argument 'reduction' expected 'mean', 'sum' or 'none', got batchmean$/);
  s.expectError('module: shapes', () => smooth.forward(x, t), /^SmoothL1Loss\(\): input has shape \[3, 4\] and target \[4, 3\]; they must be the same \(no broadcasting\)$/);
  s.expectError('F: shapes', () => F.huberLoss(x, t), /^huberLoss: input has shape \[3, 4\] and target \[4, 3\]; they must be the same \(no broadcasting\)$/);
  s.expectError('KL: shapes', () => kl.forward(x, t), /^klDiv: input has shape \[3, 4\] and target \[4, 3\]; they must be the same \(no broadcasting\)$/);
  s.expectError('KL: bad reduction', () => new nn.KLDivLoss({ reduction: 'avg' as 'mean', gpu }), /^KLDivLoss: argument 'reduction' expected 'mean', 'batchmean', 'sum' or 'none', got 'avg'$/);
  s.expectError('KL: log_target not a flag', () => F.klDiv(x, x, { log_target: 1 as unknown as boolean }), /^klDiv: option 'log_target' expected true or false, got 1$/);
  s.expectError('KL: unknown option', () => new nn.KLDivLoss({ logtarget: true, gpu } as F.KLDivOptions), /^KLDivLoss: unknown option 'logtarget' \(known: reduction, logTarget, gpu; or PyTorch's log_target\)$/);
  s.expectError('KL: target not a tensor', () => F.klDiv(x, [1, 2] as unknown as Tensor), /^klDiv: argument 'target' expected a Tensor, got \[1, 2\]$/);
});

// A reviewer's case: the clamp's correction added to var lost eps to rounding once |var| was large.
add('GaussianNLLLoss of a negative var: var taken as eps (½ (ln eps + d²/eps)), never NaN, the gradient as at eps', async (s) => {
  const variance = s.input([-1e-7, -0.5, -1, -10, -100, -1e10, 0], [7], 'f32', 'var');
  variance.requiresGrad = true;
  const loss = s.own(F.gaussianNllLoss(s.input(new Float32Array(7).fill(1), [7]), s.input(new Float32Array(7), [7]), variance, { reduction: 'none' }));
  await s.check('loss', loss, new Array(7).fill(0.5 * (Math.log(1e-6) + 1e6)), 0, 1e-6);
  s.own(F.sum(loss)).backward();
  await s.check('d var', variance.grad!, new Array(7).fill(0.5 * (1e6 - 1e12)), 0, 1e-6);
});

add('regression losses: a non-Tensor input or target is named, module and F alike', (s) => {
  const gpu = s.gpu;
  const t = s.input(new Float32Array(2), [2], 'f32', 't');
  s.expectError('module input', () => new nn.HuberLoss({ gpu }).forward([1, 2] as unknown as Tensor, t), /^HuberLoss\(\): input expected a Tensor, got \[1, 2\]$/);
  s.expectError('module target', () => new nn.MSELoss({ gpu }).forward(t, [1, 2] as unknown as Tensor), /^MSELoss\(\): target expected a Tensor, got \[1, 2\]$/);
  s.expectError('F input', () => F.huberLoss([1, 2] as unknown as Tensor, t), /^huberLoss: argument 'input' expected a Tensor, got \[1, 2\]$/);
  s.expectError('F target', () => F.smoothL1Loss(t, [1, 2] as unknown as Tensor), /^smoothL1Loss: argument 'target' expected a Tensor, got \[1, 2\]$/);
  const printed = [new nn.MSELoss({ reduction: 'sum', gpu }), new nn.L1Loss({ reduction: 'none', gpu }), new nn.BCELoss({ reduction: 'sum', gpu })].map((m) => m.describe()).join();
  s.expect('printouts as PyTorch (no options)', printed === 'MSELoss(),L1Loss(),BCELoss()', printed);
});

add('the composed losses: options as PyTorch pastes them, printouts, bad options and shapes named', (s, random) => {
  const gpu = s.gpu;
  const modules = [new nn.MarginRankingLoss({ margin: 0.5, gpu }), new nn.SoftMarginLoss({ reduction: 'sum', gpu }), new nn.HingeEmbeddingLoss({ margin: 2, gpu }), new nn.CosineEmbeddingLoss({ margin: 0.1, reduction: 'none', gpu }), new nn.PoissonNLLLoss({ log_input: false, full: true, eps: 1e-6, gpu }), new nn.GaussianNLLLoss({ full: true, eps: 1e-3, gpu })];
  const printed = modules.map((m) => m.describe()).join();
  s.expect('printouts as PyTorch (no options)', printed === 'MarginRankingLoss(),SoftMarginLoss(),HingeEmbeddingLoss(),CosineEmbeddingLoss(),PoissonNLLLoss(),GaussianNLLLoss()', printed);
  const [x, y] = [s.input(uniform(random, 12), [3, 4]), s.input(uniform(random, 12), [4, 3], 'f32', 'y')];
  s.expectError('unknown option', () => new nn.MarginRankingLoss({ margn: 1, gpu } as F.MarginOptions), /^MarginRankingLoss: unknown option 'margn' \(known: reduction, margin, gpu\)$/);
  s.expectError('margin not a number', () => new nn.HingeEmbeddingLoss({ margin: '1' as unknown as number, gpu }), /^HingeEmbeddingLoss: argument 'margin' expected a finite number, got '1'$/);
  s.expectError('bad reduction', () => new nn.SoftMarginLoss({ reduction: 'batchmean' as 'mean', gpu }), /^SoftMarginLoss: argument 'reduction' expected 'mean', 'sum' or 'none', got 'batchmean'$/);
  s.expectError('log_input not a flag', () => new nn.PoissonNLLLoss({ log_input: 0 as unknown as boolean, gpu }), /^PoissonNLLLoss: option 'log_input' expected true or false, got 0$/);
  s.expectError('F: unknown option', () => F.gaussianNllLoss(x, x, x, { size_average: true } as F.GaussianNLLOptions), /^gaussianNllLoss: unknown option 'size_average' \(known: reduction, full, eps\); PyTorch's deprecated size_average/);
  s.expectError('F: eps not finite', () => F.poissonNllLoss(x, x, { eps: Infinity }), /^poissonNllLoss: argument 'eps' expected a finite number, got Infinity$/);
  s.expectError('shapes', () => F.marginRankingLoss(x, x, y), /^marginRankingLoss: input1 has shape \[3, 4\] and target \[4, 3\]; they must be the same \(no broadcasting\)$/);
  s.expectError('module: shapes', () => (modules[2] as nn.HingeEmbeddingLoss).forward(x, y), /^hingeEmbeddingLoss: input has shape \[3, 4\] and target \[4, 3\]; they must be the same/);
  s.expectError('cosine: target per row', () => F.cosineEmbeddingLoss(x, x, s.input([1, -1], [2], 'f32', 't')), /^cosineEmbeddingLoss: expected inputs \[N, D\] with a target \[N\], or inputs \[D\] with a target \[1\], got \[3, 4\] and a target \[2\]$/);
  s.expectError('cosine: inputs differ', () => F.cosineEmbeddingLoss(x, s.input(uniform(random, 6), [3, 2]), s.input([1, -1, 1], [3], 'f32', 't')), /^cosineEmbeddingLoss: input1 has shape \[3, 4\] and input2 \[3, 2\]/);
  s.expectError('gaussian: var shape', () => F.gaussianNllLoss(x, x, s.input(uniform(random, 4), [4])), /^gaussianNllLoss: var has shape \[4\], for an input \[3, 4\]; expected the input's shape, or it without its last dimension, or with it 1 \(PyTorch: "var is of incorrect size"\)$/);
  const target = s.input([1, -1, 1, -1], [4], 'f32', 'target');
  target.requiresGrad = true;
  s.expectError('soft margin: a target that requires grad', () => F.softMarginLoss(s.input([1, 2, 3, 4]), target), /^softMarginLoss: the target requires grad; PyTorch's "the function 'soft_margin_loss' is not differentiable with respect to argument 'target'"$/);
});

export const moreLossCases: readonly KernelCase[] = cases;
