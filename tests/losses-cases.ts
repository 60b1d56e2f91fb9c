// nn.Tanh, nn.LeakyReLU, nn.Softmax, nn.LogSoftmax, nn.MSELoss and nn.L1Loss (issue 12) against
// PyTorch (tests/fixtures/pytorch-losses.json, from scripts/make-fixtures.py): forward and
// gradients, within a tolerance of PyTorch's float64 result that PyTorch's own float32 result meets;
// their F equivalents against the float64 references; bad options and shapes named. Part of
// tests/parity-cases.ts's table.
import type { Gpu } from '../src/device/gpu';
import * as F from '../src/functional';
import * as nn from '../src/nn';
import type { StateDict } from '../src/nn';
import { regressionLoss as regressionRef } from '../src/reference/regression_loss';
import { softmax as softmaxRef, softmaxBackward } from '../src/reference/softmax';
import { compare } from '../src/spec/compare';
import { uniform } from '../src/spec/random';
import { caseTable, type KernelCase } from '../src/spec/scope';
import type { Tensor } from '../src/tensor';
import golden from './fixtures/pytorch-losses.json';

const { cases, add } = caseTable();

// PyTorch's float32 results stay within 0.24 of this bound of its float64 ones on every case.
const ATOL = 1e-6;
const RTOL = 1e-5;

type Fixture = (typeof golden.modules)[number];
type Kwargs = { negative_slope?: number; dim?: number; reduction?: 'mean' | 'sum' | 'none' };

function moduleOf(f: Fixture, gpu: Gpu): nn.Module {
  const k = f.kwargs as Kwargs;
  switch (f.kind) {
    case 'Tanh':
      return new nn.Tanh({ gpu });
    case 'LeakyReLU':
      return k.negative_slope === undefined ? new nn.LeakyReLU(undefined, { gpu }) : new nn.LeakyReLU(k.negative_slope, { gpu });
    case 'Softmax':
      return new nn.Softmax(k.dim!, { gpu });
    case 'LogSoftmax':
      return new nn.LogSoftmax(k.dim!, { gpu });
    case 'MSELoss':
      return new nn.MSELoss({ reduction: k.reduction!, gpu });
    case 'L1Loss':
      return new nn.L1Loss({ reduction: k.reduction!, gpu });
    case 'BCELoss':
      return new nn.BCELoss({ reduction: k.reduction!, gpu });
    default:
      throw new Error(`no module for fixture kind ${f.kind}`);
  }
}

/** Σ y · dy as a graph: a [1, n] · [n, 1] product, summed; its gradient in y is dy. */
function dotLoss(y: Tensor, dy: Tensor): Tensor {
  return F.sum(F.matmul(F.reshape(y, [1, y.size]), dy));
}

for (const f of golden.modules) {
  add(`PyTorch ${golden.torch_version}: nn.${f.kind} ${JSON.stringify(f.kwargs)} [${f.shape.join(', ')}] forward and gradients`, async (s) => {
    const module = moduleOf(f, s.gpu);
    const inputs = f.inputs.map((v, i) => s.input(v, f.shape, 'f32', i === 0 ? 'input' : 'target'));
    for (const t of inputs) t.requiresGrad = true;
    const y = module.forward(inputs[0]!, inputs[1]);
    const shape = f.y_shape.length ? f.y_shape : [1];
    s.expect('output shape', y.shape.join() === shape.join(), `[${y.shape.join(', ')}] vs PyTorch [${shape.join(', ')}]`);
    const label = (what: string) => `${what} vs PyTorch float64`;
    s.comparisons.push(compare("PyTorch's own float32 y vs float64", f.y, f.y64, ATOL, RTOL));
    await s.check(label('y'), y, f.y64, ATOL, RTOL);
    if (f.dy) dotLoss(y, s.input(f.dy, [f.dy.length, 1], 'f32', 'dy')).backward();
    else y.backward();
    for (const [i, g] of f.grads64.entries()) {
      const name = i === 0 ? 'd input' : 'd target';
      s.comparisons.push(compare(`PyTorch's own float32 ${name} vs float64`, f.grads[i]!, g, ATOL, RTOL));
      await s.check(label(name), inputs[i]!.grad!, g, ATOL, RTOL);
    }
    for (const t of inputs) t.grad?.destroy();
  });
}

add(`PyTorch ${golden.torch_version}: Linear-Tanh-Linear-LeakyReLU-Linear-Softmax with MSELoss, one backward`, async (s) => {
  const gpu = s.gpu;
  const f = golden.network;
  const net = new nn.Sequential(new nn.Linear(6, 5, { gpu }), new nn.Tanh({ gpu }), new nn.Linear(5, 4, { gpu }), new nn.LeakyReLU(0.1, { gpu }), new nn.Linear(4, 3, { gpu }), new nn.Softmax(1, { gpu }));
  const shapes = new Map(net.namedParameters().map(([n, p]) => [n, p.shape]));
  const state: StateDict = new Map(Object.entries(f.initial).map(([name, v]) => [name, { shape: [...shapes.get(name)!], dtype: 'F32' as const, values: Float32Array.from(v) }]));
  net.loadStateDict(state);
  s.expect('describe', /\(1\): Tanh\(\)\n {2}\(2\).*\n {2}\(3\): LeakyReLU\(negative_slope=0\.1\)\n.*\n {2}\(5\): Softmax\(dim=1\)/.test(net.describe()), net.describe());
  const loss = new nn.MSELoss({ gpu }).forward(net.forward(s.input(f.x, [9, 6])), s.input(f.target, [9, 3], 'f32', 'target'));
  loss.backward();
  await s.check('loss', loss, [f.loss], 1e-6, 1e-5);
  const params = new Map(net.namedParameters());
  for (const [name, g] of Object.entries(f.grads)) await s.check(`d ${name}`, params.get(name)!.grad, g, 1e-6, 1e-4);
});

// ── CrossEntropyLoss over K dimensions, against class probabilities, for one sample; NLLLoss ────

type ClassFixture = (typeof golden.class_losses)[number];
type ClassKwargs = { weight?: number[]; ignore_index?: number; label_smoothing?: number; reduction?: 'mean' | 'sum' | 'none' };

// Each fixture through the module (its reused buffers) and through F (allocated outputs), twice each:
// the second call reuses the module's buffers and must give the same numbers.
for (const f of golden.class_losses) {
  for (const via of ['nn', 'F'] as const) {
    add(`PyTorch ${golden.torch_version}: ${via === 'nn' ? `nn.${f.kind}` : f.kind === 'NLLLoss' ? 'F.nllLoss' : 'F.crossEntropy'} ${JSON.stringify(f.kwargs)} input [${f.shape.join(', ')}], target ${f.target_dtype} [${f.target_shape.join(', ')}]`, async (s) => {
      const k = f.kwargs as ClassKwargs;
      const weight = k.weight ? s.input(k.weight, [k.weight.length], 'f32', 'weight') : undefined;
      const options = { ...(weight ? { weight } : {}), ...(k.ignore_index !== undefined ? { ignore_index: k.ignore_index } : {}), ...(k.reduction ? { reduction: k.reduction } : {}), ...(k.label_smoothing ? { label_smoothing: k.label_smoothing } : {}) };
      const module = via === 'nn' ? (f.kind === 'NLLLoss' ? new nn.NLLLoss({ ...options, gpu: s.gpu }) : new nn.CrossEntropyLoss({ ...options, gpu: s.gpu })) : null;
      const lossOf = (x: Tensor, t: Tensor) => (module ? module.forward(x, t) : s.own((f.kind === 'NLLLoss' ? F.nllLoss : F.crossEntropy)(x, t, options)));
      for (const call of [1, 2]) {
        const x = s.input(f.input, f.shape, 'f32', 'input');
        const t = s.input(f.target, f.target_shape, f.target_dtype as 'u32' | 'i32' | 'f32', 'target');
        x.requiresGrad = true;
        if (f.target_dtype === 'f32') t.requiresGrad = true;
        const y = lossOf(x, t);
        s.expect(`call ${call}: output shape`, y.shape.join() === f.y_shape.join(), `[${y.shape.join(', ')}] vs PyTorch [${f.y_shape.join(', ')}]`);
        if (call === 1) s.comparisons.push(compare("PyTorch's own float32 y vs float64", f.y, f.y64, ATOL, RTOL));
        await s.check(`call ${call}: y vs PyTorch float64`, y, f.y64, ATOL, RTOL);
        if (f.dy) dotLoss(y, s.input(f.dy, [f.dy.length, 1], 'f32', 'dy')).backward();
        else y.backward();
        for (const [i, g] of f.grads64.entries()) {
          const name = i === 0 ? 'd input' : 'd target';
          if (call === 1) s.comparisons.push(compare(`PyTorch's own float32 ${name} vs float64`, f.grads[i]!, g, ATOL, RTOL));
          await s.check(`call ${call}: ${name} vs PyTorch float64`, (i === 0 ? x : t).grad!, g, ATOL, RTOL);
        }
        for (const u of [x, t]) u.grad?.destroy();
      }
    });
  }
}

// ── F equivalents, allocating their outputs, against the float64 references ───────────────────────

add('F.softmax, F.logSoftmax, F.tanh, F.leakyRelu, F.mseLoss, F.l1Loss vs float64 (outputs allocated)', async (s, random) => {
  const shape = [3, 11, 2];
  const x = uniform(random, 66, -4, 4);
  const t = uniform(random, 66, -4, 4);
  const dy = uniform(random, 66);
  const xt = s.input(x, shape, 'f32', 'x');
  xt.requiresGrad = true;
  for (const log of [false, true]) {
    const y = s.own((log ? F.logSoftmax : F.softmax)(xt, -2));
    await s.check(`${log ? 'logSoftmax' : 'softmax'}(x, -2)`, y, softmaxRef(x, shape, 1, log), 1e-6, 1e-5);
    dotLoss(y, s.input(dy, [66, 1])).backward();
    await s.check(`d ${log ? 'logSoftmax' : 'softmax'} / dx`, xt.grad!, softmaxBackward(x, dy, shape, 1, log), 1e-6, 1e-4);
    s.gpu.clear(xt.grad!);
  }
  await s.check('tanh', s.own(F.tanh(xt)), Array.from(x, Math.tanh), 1e-6, 1e-5);
  await s.check('leakyRelu default slope 0.01', s.own(F.leakyRelu(xt)), Array.from(x, (v) => (v > 0 ? v : 0.01 * v)), 1e-7, 1e-6);
  const tt = s.input(t, shape, 'f32', 'target');
  for (const [kind, fn] of [['mse', F.mseLoss], ['l1', F.l1Loss]] as const) {
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      const expected = regressionRef(kind, x, t, reduction);
      const y = s.own(fn(xt, tt, { reduction }));
      await s.check(`${kind} ${reduction}`, y, reduction === 'none' ? expected.elements : [expected.loss], 1e-6, 1e-5);
    }
  }
  xt.grad?.destroy();
  // F.binaryCrossEntropy with a weight per column (composed: the 'none' loss times the weight), against float64.
  const p = uniform(random, 12, 0.05, 0.95);
  const y = uniform(random, 12, 0, 1);
  const w = uniform(random, 4, 0.5, 2);
  const pt = s.input(p, [3, 4], 'f32', 'p');
  pt.requiresGrad = true;
  const bce = s.own(F.binaryCrossEntropy(pt, s.input(y, [3, 4], 'f32', 'y'), { weight: s.input(w, [4], 'f32', 'weight') }));
  const element = (i: number) => -(y[i]! * Math.log(p[i]!) + (1 - y[i]!) * Math.log(1 - p[i]!));
  await s.check('binaryCrossEntropy, weight [4] over [3, 4]: mean of w · l', bce, [Array.from({ length: 12 }, (_, i) => w[i % 4]! * element(i)).reduce((a, b) => a + b, 0) / 12], 1e-6, 1e-5);
  bce.backward();
  await s.check('d binaryCrossEntropy / d p: w (p − y) / (p (1 − p)) / 12', pt.grad!, Array.from({ length: 12 }, (_, i) => (w[i % 4]! * (p[i]! - y[i]!)) / (p[i]! * (1 - p[i]!)) / 12), 1e-6, 1e-5);
  pt.grad?.destroy();
  s.expectError('a weight that does not broadcast', () => F.binaryCrossEntropy(pt, pt, { weight: s.input([1, 2, 3], [3]) }), /^binaryCrossEntropy: weight \[3\] does not broadcast onto the input \[3, 4\]$/);
});

// ── bad options and shapes ────────────────────────────────────────────────────────────────────────

add('MSELoss, L1Loss, Softmax, LeakyReLU: bad options and shapes are named', (s, random) => {
  const gpu = s.gpu;
  const x = s.input(uniform(random, 12), [3, 4]);
  s.expectError('unknown option', () => new nn.MSELoss({ gpu, size_average: false } as nn.RegressionLossOptions), /MSELoss: unknown option 'size_average' \(known: reduction, gpu\); PyTorch's deprecated size_average and reduce are not taken: reduction 'sum' is size_average=False, 'none' is reduce=False/);
  s.expectError('bad reduction', () => new nn.L1Loss({ gpu, reduction: 'avg' as 'mean' }), /L1Loss: argument 'reduction' expected 'mean', 'sum' or 'none', got avg/);
  s.expectError('target shape', () => new nn.L1Loss({ gpu }).forward(x, s.input(uniform(random, 12), [12])), /L1Loss\(\): input has shape \[3, 4\] and target \[12\]; they must be the same \(no broadcasting\)/);
  s.expectError('dim out of range', () => new nn.LogSoftmax(2, { gpu }).forward(x), /LogSoftmax\(dim=2\): argument 'dim' expected an integer in \[-2, 1\] for an input of shape \[3, 4\], got 2/);
  s.expectError('no dim', () => new nn.Softmax(undefined as unknown as number, { gpu }), /Softmax: argument 'dim' expected an integer/);
  s.expectError('options where dim belongs', () => new nn.LogSoftmax({ dim: 1 } as unknown as number), /^LogSoftmax: argument 'dim' expected an integer \(the dimension to normalise over, e\.g\. -1 or 1 for \[N, C\] scores\), got an object \(the dimension comes first: new nn\.LogSoftmax\(1, \{ gpu \}\)\)$/);
  s.expectError('negative slope', () => new nn.LeakyReLU(-0.1, { gpu }), /LeakyReLU: argument 'negativeSlope' expected a finite number ≥ 0, got -0.1/);
  const net = new nn.Sequential(new nn.Linear(4, 2, { gpu }), new nn.Softmax(3, { gpu }));
  s.expectError('in a Sequential', () => net.forward(x), /Sequential layer \(1\) of input \[3, 4\]: Softmax\(dim=3\): argument 'dim' expected an integer in \[-2, 1\]/);
});

export const lossCases: readonly KernelCase[] = cases;
