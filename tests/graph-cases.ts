// The graph runner and training API, checked in headless Chrome: optimizers against float64
// references of PyTorch's algorithms, init statistics, finite differences through composite graphs,
// a small MLP trained on the GPU and in float64 on the CPU, buffer reuse, state dicts, bad input.
import * as F from '../src/functional';
import * as init from '../src/init';
import * as nn from '../src/nn';
import * as optim from '../src/optim';
import * as lrScheduler from '../src/lr-scheduler';
import { allocateParameter, Parameter } from '../src/parameters';
import { sortedIndices as sortedIndicesRef } from '../src/reference/sort';
import * as bnRef from '../src/reference/batchnorm';
import * as lnRef from '../src/reference/layer_norm';
import * as actRef from '../src/reference/activations';
import * as broadcastRef from '../src/reference/arithmetic';
import { dropoutMask } from '../src/reference/dropout';
import * as ref from '../src/reference/linalg';
import { clipGradNorm as clipGradNormRef, clipGradValue as clipGradValueRef } from '../src/reference/grad_clip';
import { softmaxCrossEntropy as crossEntropyRef } from '../src/reference/losses';
import * as optRef from '../src/reference/optim';
import { mlpTrainingStep } from '../src/reference/training';
import { keep, LEAK_WARNING_STEPS, noGrad, resetLeakWatch, Tensor, tidy, tidyScope, UNREACHED_GRAPH_BACKWARDS } from '../src/tensor';
import { isCpuAdapter, requestGpu, type Gpu } from '../src/device/gpu';
import { fromSafetensors, toSafetensors } from '../src/safetensors';
import { shapeText } from '../src/launch';
import golden from './fixtures/pytorch.json';
import { integers, uniform } from '../src/spec/random';
import { caseTable, type KernelCase } from '../src/spec/scope';
import { compare } from '../src/spec/compare';
import { evaluate, MLP, train } from '../src/classifier';
import type { Dataset } from '../src/data';
import { stepsVsFloat64, type Stepper } from './support/optimizer-steps';
import { trainingSteps } from './support/training-steps';

const { cases, add } = caseTable();

const f64 = async (t: Tensor) => Float64Array.from(await t.read());

// ── optimizers vs float64 references, many steps ──────────────────────────────────────────────────


const steppers: Stepper[] = [];
for (const o of [
  { lr: 0.01 },
  { lr: 0.01, momentum: 0.9 },
  { lr: 0.01, momentum: 0.9, dampening: 0.3, weightDecay: 0.01 },
  { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.001 },
]) {
  const full = { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...o };
  steppers.push({ name: `SGD ${JSON.stringify(o)}`, make: (p) => new optim.SGD(p, o), reference: (param) => { const st = { buf: null }; return (g) => optRef.sgdStep(param, g, st, full); } });
}
for (const o of [{}, { lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, initialAccumulatorValue: 0.1 }]) {
  const full = { lr: 1e-2, lrDecay: 0, weightDecay: 0, eps: 1e-10, ...o };
  steppers.push({ name: `Adagrad ${JSON.stringify(o)}`, make: (p) => new optim.Adagrad(p, o), reference: (param) => { const st = { sum: new Float64Array(param.length).fill(o.initialAccumulatorValue ?? 0), step: 0 }; return (g) => optRef.adagradStep(param, g, st, full); } });
}
for (const o of [{}, { momentum: 0.9 }, { centered: true }, { lr: 0.001, alpha: 0.9, eps: 1e-6, weightDecay: 0.01, momentum: 0.5, centered: true }]) {
  const full = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, ...o };
  steppers.push({ name: `RMSprop ${JSON.stringify(o)}`, make: (p) => new optim.RMSprop(p, o), reference: (param) => { const n = param.length; const st = { squareAvg: new Float64Array(n), gradAvg: new Float64Array(n), buf: new Float64Array(n) }; return (g) => optRef.rmspropStep(param, g, st, full); } });
}
for (const o of [{}, { weightDecay: 0.01 }, { amsgrad: true }, { lr: 0.01, betas: [0.8, 0.99] as [number, number], eps: 1e-6, weightDecay: 0.1, amsgrad: true }]) {
  const full = { lr: 1e-3, beta1: o.betas?.[0] ?? 0.9, beta2: o.betas?.[1] ?? 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false, ...o };
  steppers.push({ name: `Adam ${JSON.stringify(o)}`, make: (p) => new optim.Adam(p, o), reference: (param) => { const st = optRef.adamInit(param); st.param = param; return (g) => optRef.adamStep(st, g, full); } });
}

for (const st of steppers) add(...stepsVsFloat64(st));

add('optimizer state saves and restores', async (s, random) => {
  const p = allocateParameter(s.gpu, [50], 'p');
  p.write(uniform(random, 50));
  const a = new optim.Adam([p], { lr: 0.01 });
  const grads = Array.from({ length: 6 }, () => uniform(random, 50));
  for (const g of grads.slice(0, 3)) {
    p.grad.write(g);
    a.step();
  }
  const saved = await a.stateDict();
  const at3 = await p.read();
  for (const g of grads.slice(3)) {
    p.grad.write(g);
    a.step();
  }
  const expected = await p.read();
  p.write(at3);
  const b = new optim.Adam([p], { lr: 0.01 });
  b.loadStateDict(saved);
  for (const g of grads.slice(3)) {
    p.grad.write(g);
    b.step();
  }
  await s.check('resumed param', p, expected, 0, 0);
  s.expect('step restored', b.stepCount === 6, `stepCount ${b.stepCount}`);
  s.expectError('mismatched state', () => new optim.Adam([allocateParameter(s.gpu, [7], 'q')]).loadStateDict(saved), /Adam\.loadStateDict: the state is for parameters of shapes \[50\], this optimizer has \[7\]/);
});

// ── init: statistics of 120,000 samples against PyTorch's formulas ───────────────────────────────

function moments(x: ArrayLike<number>) {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < x.length; i++) {
    sum += x[i]!;
    min = Math.min(min, x[i]!);
    max = Math.max(max, x[i]!);
  }
  const mean = sum / x.length;
  let sq = 0;
  for (let i = 0; i < x.length; i++) sq += (x[i]! - mean) ** 2;
  return { mean, std: Math.sqrt(sq / (x.length - 1)), min, max };
}

type InitCase = { name: string; shape: number[]; apply: (t: Tensor) => void; dist: 'uniform' | 'normal'; mean: number; std: number; low?: number; high?: number };
const initShape = [400, 300]; // fan_in 300, fan_out 400, 120,000 samples
const initCases: InitCase[] = [
  { name: 'uniform_(−2, 3)', shape: initShape, apply: (t) => init.uniform_(t, -2, 3), dist: 'uniform', mean: 0.5, std: 5 / Math.sqrt(12), low: -2, high: 3 },
  { name: 'normal_(1, 0.5)', shape: initShape, apply: (t) => init.normal_(t, 1, 0.5), dist: 'normal', mean: 1, std: 0.5 },
  { name: 'kaimingUniform_ (fan_in, leaky_relu a=0)', shape: initShape, apply: (t) => init.kaimingUniform_(t), dist: 'uniform', mean: 0, std: Math.sqrt(2 / 300), low: -Math.sqrt(6 / 300), high: Math.sqrt(6 / 300) },
  { name: 'kaimingUniform_ (fan_out, relu)', shape: initShape, apply: (t) => init.kaimingUniform_(t, { mode: 'fan_out', nonlinearity: 'relu' }), dist: 'uniform', mean: 0, std: Math.sqrt(2 / 400), low: -Math.sqrt(6 / 400), high: Math.sqrt(6 / 400) },
  { name: 'kaimingNormal_ (fan_in, relu)', shape: initShape, apply: (t) => init.kaimingNormal_(t, { nonlinearity: 'relu' }), dist: 'normal', mean: 0, std: Math.sqrt(2 / 300) },
  { name: 'kaimingNormal_ (fan_out, leaky_relu a=0.2)', shape: initShape, apply: (t) => init.kaimingNormal_(t, { a: 0.2, mode: 'fan_out' }), dist: 'normal', mean: 0, std: Math.sqrt(2 / 1.04) / Math.sqrt(400) },
  { name: 'kaimingNormal_ conv [40, 30, 10, 10]', shape: [40, 30, 10, 10], apply: (t) => init.kaimingNormal_(t), dist: 'normal', mean: 0, std: Math.sqrt(2) / Math.sqrt(3000) },
  { name: 'xavierUniform_ (gain 1)', shape: initShape, apply: (t) => init.xavierUniform_(t), dist: 'uniform', mean: 0, std: Math.sqrt(2 / 700), low: -Math.sqrt(6 / 700), high: Math.sqrt(6 / 700) },
  { name: 'xavierNormal_ (gain tanh 5/3)', shape: initShape, apply: (t) => init.xavierNormal_(t, init.calculateGain('tanh')), dist: 'normal', mean: 0, std: (5 / 3) * Math.sqrt(2 / 700) },
];

for (const c of initCases) {
  add(`init ${c.name}: 120,000 samples`, async (s) => {
    init.manualSeed(1234);
    const t = s.output(c.shape, c.name);
    c.apply(t);
    const x = await t.read();
    const m = moments(x);
    const n = x.length;
    // 5 standard errors: of the mean σ/√n; of the std σ·√((κ − 1)/(4n)), κ = 3 (normal) or 1.8 (uniform)
    const kurtosis = c.dist === 'normal' ? 3 : 1.8;
    const seMean = c.std / Math.sqrt(n);
    const seStd = c.std * Math.sqrt((kurtosis - 1) / (4 * n));
    s.expect('mean', Math.abs(m.mean - c.mean) < 5 * seMean, `measured ${m.mean.toExponential(4)}, formula ${c.mean} (|diff| ${Math.abs(m.mean - c.mean).toExponential(2)} vs bound ${(5 * seMean).toExponential(2)})`);
    s.expect('std', Math.abs(m.std - c.std) < 5 * seStd, `measured ${m.std.toPrecision(6)}, formula ${c.std.toPrecision(6)} (relative error ${(Math.abs(m.std - c.std) / c.std).toExponential(2)})`);
    if (c.dist === 'uniform') {
      const width = c.high! - c.low!;
      s.expect('support', m.min >= c.low! && m.max <= c.high! && m.min < c.low! + width * 1e-3 && m.max > c.high! - width * 1e-3, `[${m.min}, ${m.max}] in [${c.low}, ${c.high}]`);
    }
    init.manualSeed(1234);
    const again = s.output(c.shape);
    c.apply(again);
    const y = await again.read();
    s.expect('same seed, same values', y.every((v, i) => v === x[i]), 'compared all samples');
    init.manualSeed(99);
    c.apply(again);
    const z = await again.read();
    s.expect('another seed, other values', z.some((v, i) => v !== x[i]), 'compared all samples');
  });
}

add('init zeros_, ones_, constant_ and nn.Linear default bounds', async (s) => {
  const t = s.output([37, 11]);
  init.zeros_(t);
  await s.check('zeros_', t, new Float64Array(t.size), 0, 0);
  init.ones_(t);
  await s.check('ones_', t, new Float64Array(t.size).fill(1), 0, 0);
  init.constant_(t, -2.5);
  await s.check('constant_', t, new Float64Array(t.size).fill(-2.5), 0, 0);
  const linear = new nn.Linear(300, 400, { gpu: s.gpu });
  const bound = 1 / Math.sqrt(300);
  for (const [name, p] of linear.namedParameters()) {
    const m = moments(await p.read());
    s.expect(`Linear ${name} within ±1/√fan_in`, m.min >= -bound && m.max <= bound && m.max > bound * 0.95 && m.min < -bound * 0.95, `[${m.min.toFixed(5)}, ${m.max.toFixed(5)}] vs ±${bound.toFixed(5)}`);
  }
  s.expectError('fan of a vector', () => init.kaimingUniform_(linear.bias!), /fewer than 2 dimensions/);
  s.expect('gain table', init.calculateGain('relu') === Math.SQRT2 && init.calculateGain('tanh') === 5 / 3 && init.calculateGain('selu') === 0.75 && Math.abs(init.calculateGain('leaky_relu') - Math.sqrt(2 / 1.0001)) < 1e-15, 'relu √2, tanh 5/3, selu 3/4, leaky_relu √(2/(1+0.01²))');
});

// ── finite differences through a composite graph ─────────────────────────────────────────────────

interface CompositeSpec {
  dropoutTraining: boolean;
  activation: 'sigmoid' | 'relu';
}

/** Linear(5,4) → act → Dropout(0.3) → BatchNorm1d(4) → Linear(4,3) → CrossEntropy, in float64. */
function compositeLoss(p: Record<string, Float64Array>, x: Float64Array, labels: Uint32Array, N: number, mask: Float64Array | null, act: 'sigmoid' | 'relu'): number {
  const h1 = ref.matmul(x, p['0.weight']!, { M: N, N: 4, K: 5, transposeB: true, bias: p['0.bias']!, activation: act });
  const h2 = mask ? h1.map((v, i) => v * mask[i]!) : h1;
  const spec: bnRef.BatchNormSpec = { N, C: 4, S: 1, eps: 1e-5, momentum: 0.1, training: true, gamma: p['3.weight']!, beta: p['3.bias']!, runningMean: new Float64Array(4), runningVar: new Float64Array(4).fill(1) };
  const h3 = bnRef.batchNorm(h2, spec).y;
  const logits = ref.matmul(h3, p['4.weight']!, { M: N, N: 3, K: 4, transposeB: true, bias: p['4.bias']! });
  return crossEntropyRef(logits, labels, N, 3).loss;
}

for (const spec of [{ dropoutTraining: false, activation: 'sigmoid' }, { dropoutTraining: true, activation: 'sigmoid' }, { dropoutTraining: false, activation: 'relu' }] as CompositeSpec[]) {
  add(`gradients through Linear → ${spec.activation} → Dropout(${spec.dropoutTraining ? 'train' : 'eval'}) → BatchNorm1d → Linear → CrossEntropy vs finite differences`, async (s, random) => {
    const gpu = s.gpu;
    const N = 6;
    const dropout = new nn.Dropout(0.3, { gpu });
    const model = new nn.Sequential(new nn.Linear(5, 4, { gpu }), spec.activation === 'sigmoid' ? new nn.Sigmoid({ gpu }) : new nn.ReLU({ gpu }), dropout, new nn.BatchNorm1d(4, { gpu }), new nn.Linear(4, 3, { gpu }));
    const bn = model.layers[3] as nn.BatchNorm1d;
    bn.weight!.write(uniform(random, 4, 0.5, 1.5));
    bn.bias!.write(uniform(random, 4));
    model.train();
    if (!spec.dropoutTraining) dropout.eval();
    const lossFn = new nn.CrossEntropyLoss({ gpu });
    const xData = uniform(random, N * 5, -2, 2);
    const labelData = integers(random, N, 3);
    const x = s.input(xData, [N, 5]);
    x.requiresGrad = true;
    const labels = s.input(labelData, [N], 'u32', 'labels');
    const params = Object.fromEntries(await Promise.all(model.namedParameters().map(async ([n, p]) => [n, await f64(p)] as const)));
    const mask = spec.dropoutTraining ? dropoutMask(N * 4, 0.3, dropout.seed, 0) : null;

    const loss = lossFn.forward(model.forward(x), labels);
    loss.backward();

    const lossValue = compositeLoss(params, xData, labelData, N, mask, spec.activation);
    await s.check('loss', loss, [lossValue], 1e-5, 1e-5);
    const h = 1e-6;
    const fd = (vec: Float64Array, f: () => number) =>
      vec.map((v, i) => {
        vec[i] = v + h;
        const up = f();
        vec[i] = v - h;
        const down = f();
        vec[i] = v;
        return (up - down) / (2 * h);
      });
    for (const [name, p] of model.namedParameters()) {
      const expected = fd(params[name]!, () => compositeLoss(params, xData, labelData, N, mask, spec.activation));
      await s.check(`d loss / d ${name}`, p.grad, expected, 2e-5, 1e-3);
    }
    await s.check('d loss / d x', x.grad!, fd(xData, () => compositeLoss(params, xData, labelData, N, mask, spec.activation)), 2e-5, 1e-3);
  });
}

// A frozen batch-norm weight or bias gets no gradient (PyTorch: grad None) while the other, and x, get
// theirs; with x not requiring grad either, the backward still runs for the one trainable parameter.
for (const [frozen, xGrad] of [['weight', true], ['bias', true], ['weight', false], ['bias', false]] as const) {
  add(`BatchNorm1d with its ${frozen} frozen, x ${xGrad ? 'requiring' : 'not requiring'} grad: no gradient for the ${frozen}, the rest vs float64`, async (s, random) => {
    const gpu = s.gpu;
    const [N, C] = [7, 3];
    const bn = new nn.BatchNorm1d(C, { gpu });
    const gamma = uniform(random, C, 0.5, 1.5);
    const beta = uniform(random, C);
    bn.weight!.write(gamma);
    bn.bias!.write(beta);
    const frozenParameter = bn[frozen]!;
    frozenParameter.requiresGrad = false;
    const xData = uniform(random, N * C, -2, 2);
    const targetData = uniform(random, N * C);
    const x = s.input(xData, [N, C]);
    x.requiresGrad = xGrad;
    F.mseLoss(bn.forward(x), s.input(targetData, [N, C])).backward();
    const spec: bnRef.BatchNormSpec = { N, C, S: 1, eps: 1e-5, momentum: 0.1, training: true, gamma, beta, runningMean: new Float64Array(C), runningVar: new Float64Array(C).fill(1) };
    const { y } = bnRef.batchNorm(xData, spec);
    const expected = bnRef.batchNormBackward(xData, y.map((v, i) => (2 * (v - targetData[i]!)) / (N * C)), spec);
    s.expect(`the frozen ${frozen} has no gradient`, !frozenParameter.hasGrad, 'hasGrad true');
    await s.check(`the frozen ${frozen}'s grad untouched`, frozenParameter.grad, new Float64Array(C), 0, 0);
    if (frozen === 'weight') await s.check('d loss / d bias', bn.bias!.grad, expected.dbeta, 1e-6, 1e-4);
    else await s.check('d loss / d weight', bn.weight!.grad, expected.dgamma, 1e-6, 1e-4);
    s.expect('the trainable one has a gradient', (frozen === 'weight' ? bn.bias! : bn.weight!).hasGrad, 'hasGrad false');
    if (xGrad) await s.check('d loss / d x', x.grad!, expected.dx, 1e-6, 1e-4);
  });
}

add('a tensor of another Gpu, a destroyed one, or an integer out of its dtype is refused before anything is recorded; the device keeps working', async (s, random) => {
  const gpu = s.gpu;
  const other = await requestGpu(); // a second device; the first stays every module's default
  const lin = new nn.Linear(3, 2, { gpu });
  const foreign = Tensor.fromArray(other, [1, 2, 3], [1, 3], 'f32', 'x on the other Gpu');
  s.expectError('a tensor of another Gpu', () => lin.forward(foreign), /^matmul\.\w+: its tensors are on different Gpus \('(Linear\.weight|x on the other Gpu)' is not on the one running it\): requestGpu\(\) made more than one/);
  const gone = Tensor.fromArray(gpu, [1, 2, 3], [1, 3], 'f32', 'gone');
  gone.destroy();
  s.expectError('a destroyed tensor', () => lin.forward(gone), /'gone' was destroyed \(tensor\.destroy\(\), or the end of the tidy\(\) it was made in\)/);
  s.expectError('writing a destroyed tensor', () => gone.write([4, 5, 6]), /write: 'gone' was destroyed/);
  s.expectError('u32 −1', () => Tensor.fromArray(gpu, [-1, 2], [2], 'u32', 'labels'), /write 'labels': element 0 is -1, not a u32 \(an integer in \[0, 4294967295\]\)/);
  s.expectError('u32 2.5', () => Tensor.fromArray(gpu, [1, 2.5], [2], 'u32', 'labels'), /element 1 is 2\.5, not a u32/);
  s.expectError('i32 2³¹', () => Tensor.fromArray(gpu, [2 ** 31], [1], 'i32', 'labels'), /element 0 is 2147483648, not a i32/);
  s.expectError('u32 NaN', () => Tensor.fromArray(gpu, [NaN], [1], 'u32', 'labels'), /element 0 is NaN, not a u32/);
  s.expectError('dtype f64', () => Tensor.fromArray(gpu, [1], [1], 'f64' as 'f32', 'x'), /tensor 'x': dtype expected f32, u32 or i32, got f64/);
  // Nothing reached the device, so it still works.
  const x = uniform(random, 3);
  const y = lin.forward(s.input(x, [1, 3]));
  const expected = ref.matmul(x, await lin.weight.read(), { M: 1, N: 2, K: 3, transposeB: true, bias: await lin.bias!.read() });
  await s.check('y after the refused calls', y, expected, 1e-6, 1e-5);
  foreign.destroy();
  other.destroy();
});

add('gradients accumulate across backward() until zeroGrad()', async (s, random) => {
  const gpu = s.gpu;
  const model = new nn.Sequential(new nn.Linear(4, 3, { gpu }), new nn.Sigmoid({ gpu }), new nn.Linear(3, 2, { gpu }));
  const lossFn = new nn.CrossEntropyLoss({ gpu });
  const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
  const x = s.input(uniform(random, 20), [5, 4]);
  const y = s.input(integers(random, 5, 2), [5], 'u32');
  opt.zeroGrad();
  lossFn.forward(model.forward(x), y).backward();
  const once = await f64(model.parameters()[0]!.grad);
  lossFn.forward(model.forward(x), y).backward();
  await s.check('twice', model.parameters()[0]!.grad, once.map((v) => 2 * v), 1e-7, 1e-6);
  opt.zeroGrad();
  await s.check('after zeroGrad', model.parameters()[0]!.grad, new Float64Array(once.length), 0, 0);
  const out = noGrad(() => lossFn.forward(model.forward(x), y));
  s.expectError('backward after noGrad', () => out.backward(), /was not produced by a recorded operation/);
  // A forward without backward leaves its graph live: backward through it later still works.
  opt.zeroGrad();
  const first = lossFn.forward(model.forward(x), y);
  model.forward(x);
  first.backward();
  await s.check('backward after another forward', model.parameters()[0]!.grad, once, 1e-7, 1e-6);
  const loss = lossFn.forward(model.forward(x), y);
  loss.backward();
  s.expectError('a second backward of one graph, named as such', () => loss.backward(), /graph of .* was already used by a backward\(\) and freed/);
  // A tensor made in a graph a backward() freed, used in a new one: an Error before anything is dispatched.
  const leaf = s.input(uniform(random, 3), [3]);
  leaf.requiresGrad = true;
  const twice = s.own(F.mul(leaf, 2));
  s.own(F.sum(twice)).backward();
  const again = s.own(F.sum(s.own(F.mul(twice, 3))));
  s.expectError('an input from a freed graph', () => again.backward(), /^backward: 'mul' reads 'mul', made in an earlier graph that was freed by a backward\(\); compute it again in this graph, or detach a copy \(clone\(\)\)$/);
});

// Each use of a tensor adds its share to the tensor's gradient: the matmul rule's three writes
// (d a, d b, d bias) must accumulate on every use after the first.
add('a tensor used twice: x, W, bias and B get the sum of both uses (F.linear, F.matmul, two nn.Linear) vs float64', async (s, random) => {
  const gpu = s.gpu;
  const [N, K, M] = [5, 7, 3];
  const param = (shape: number[], label: string) => {
    const p = allocateParameter(gpu, shape, label);
    const values = uniform(random, p.size, -0.6, 0.6);
    p.write(values);
    return [p, values] as const;
  };
  const [W, w] = param([K, K], 'W');
  const [bias, b] = param([K], 'bias');
  const [B, bMat] = param([K, M], 'B');
  const xData = uniform(random, N * K);
  const x = s.input(xData, [N, K], 'f32', 'x');
  x.requiresGrad = true;
  // u = σ(x Wᵀ + b), v = u Wᵀ + b, loss = mean((v B − x B)²): x, W, bias and B each used twice.
  const u = s.own(F.linear(x, W, bias, { activation: 'sigmoid' }));
  const v = s.own(F.linear(u, W, bias));
  const loss = F.mseLoss(s.own(F.matmul(v, B)), s.own(F.matmul(x, B)));
  loss.backward();

  // The same by hand in float64.
  const mm = (a: Float64Array, c: Float64Array, spec: ref.MatmulSpec) => ref.matmul(a, c, spec);
  const add2 = (a: Float64Array, c: Float64Array) => a.map((value, i) => value + c[i]!);
  const uRef = mm(xData, w, { M: N, N: K, K, transposeB: true, bias: b, activation: 'sigmoid' });
  const vRef = mm(uRef, w, { M: N, N: K, K, transposeB: true, bias: b });
  const [p, q] = [mm(vRef, bMat, { M: N, N: M, K }), mm(xData, bMat, { M: N, N: M, K })];
  const dp = p.map((value, i) => (2 * (value - q[i]!)) / (N * M));
  const dq = dp.map((g) => -g);
  const dB = add2(mm(vRef, dp, { M: K, N: M, K: N, transposeA: true }), mm(xData, dq, { M: K, N: M, K: N, transposeA: true }));
  const dv = mm(dp, bMat, { M: N, N: K, K: M, transposeB: true });
  const dzu = mm(dv, w, { M: N, N: K, K }).map((g, i) => g * uRef[i]! * (1 - uRef[i]!));
  const dW = add2(mm(dv, uRef, { M: K, N: K, K: N, transposeA: true }), mm(dzu, xData, { M: K, N: K, K: N, transposeA: true }));
  const dbias = add2(ref.sumRows(dv, N, K), ref.sumRows(dzu, N, K));
  const dx = add2(mm(dq, bMat, { M: N, N: K, K: M, transposeB: true }), mm(dzu, w, { M: N, N: K, K }));
  await s.check('loss', loss, [p.reduce((a, value, i) => a + (value - q[i]!) ** 2, 0) / (N * M)], 1e-6, 1e-5);
  await s.check('x.grad (F.linear and F.matmul)', x.grad!, dx, 1e-6, 1e-4);
  await s.check('W.grad (two F.linear)', W.grad, dW, 1e-6, 1e-4);
  await s.check('bias.grad (two F.linear)', bias.grad, dbias, 1e-6, 1e-4);
  await s.check('B.grad (two F.matmul)', B.grad, dB, 1e-6, 1e-4);

  // One input into two nn.Linear: loss = mean((lin1(x) − lin2(x))²).
  const [lin1, lin2] = [new nn.Linear(K, M, { gpu }), new nn.Linear(K, M, { gpu })];
  const x2Data = uniform(random, N * K);
  const x2 = s.input(x2Data, [N, K], 'f32', 'x2');
  x2.requiresGrad = true;
  F.mseLoss(lin1.forward(x2), lin2.forward(x2)).backward();
  const [w1, b1, w2, b2] = [await f64(lin1.weight), await f64(lin1.bias!), await f64(lin2.weight), await f64(lin2.bias!)];
  const h1 = mm(x2Data, w1, { M: N, N: M, K, transposeB: true, bias: b1 });
  const h2 = mm(x2Data, w2, { M: N, N: M, K, transposeB: true, bias: b2 });
  const dh1 = h1.map((value, i) => (2 * (value - h2[i]!)) / (N * M));
  const dh2 = dh1.map((g) => -g);
  await s.check('x2.grad (two nn.Linear)', x2.grad!, add2(mm(dh1, w1, { M: N, N: K, K: M }), mm(dh2, w2, { M: N, N: K, K: M })), 1e-6, 1e-4);
  await s.check('lin1.weight.grad', lin1.weight.grad, mm(dh1, x2Data, { M, N: K, K: N, transposeA: true }), 1e-6, 1e-4);
  await s.check('lin2.weight.grad', lin2.weight.grad, mm(dh2, x2Data, { M, N: K, K: N, transposeA: true }), 1e-6, 1e-4);
  await s.check('lin1.bias.grad', lin1.bias!.grad, ref.sumRows(dh1, N, M), 1e-6, 1e-4);
  await s.check('lin2.bias.grad', lin2.bias!.grad, ref.sumRows(dh2, N, M), 1e-6, 1e-4);
});

add('nn.Dropout draws a new mask each forward: two forwards, each the reference mask of its step', async (s, random) => {
  const dropout = new nn.Dropout(0.4, { gpu: s.gpu });
  const [rows, cols] = [8, 37];
  const xData = uniform(random, rows * cols, 0.5, 2);
  const x = s.input(xData, [rows, cols]);
  const first = await f64(dropout.forward(x)); // read before the second forward reuses the buffer
  const second = dropout.forward(x);
  const masks = [0, 1].map((step) => dropoutMask(rows * cols, 0.4, dropout.seed, step));
  s.comparisons.push(compare('forward 1: the mask of step 0', first, masks[0]!.map((m, i) => m * xData[i]!), 1e-6, 1e-6));
  await s.check('forward 2: the mask of step 1', second, masks[1]!.map((m, i) => m * xData[i]!), 1e-6, 1e-6);
  const differ = masks[0]!.filter((m, i) => m !== masks[1]![i]).length;
  s.expect('the two masks differ', differ > rows * cols * 0.3, `${differ} of ${rows * cols} elements differ`);
});

add('F.dropout(x, p) needs no options: training by default, a new mask each call', async (s, random) => {
  const xData = uniform(random, 3 * 41, 0.5, 2);
  const x = s.input(xData, [3, 41]);
  const outs = await Promise.all([F.dropout(x, 0.25), F.dropout(x)].map((y) => s.own(y).read()));
  for (const [i, [y, p]] of [[outs[0]!, 0.25], [outs[1]!, 0.5]].entries()) {
    const kept = Array.from(y as Float32Array).filter((v) => v !== 0).length;
    s.expect(`call ${i}: each element 0 or x/(1 − p)`, (y as Float32Array).every((v, j) => v === 0 || Math.abs(v - xData[j]! / (1 - (p as number))) < 1e-6), `p ${p}`);
    s.expect(`call ${i}: some dropped, most kept`, kept < xData.length && kept > xData.length * (1 - (p as number)) * 0.5, `${kept} of ${xData.length} kept`);
  }
  s.expect('training false is the identity', F.dropout(x, 0.5, { training: false }) === x, 'x itself');
  s.expectError('inplace', () => F.dropout(x, 0.5, { inplace: true as false }), /F.dropout: inplace=true is not supported/);
  s.expectError('p > 1', () => F.dropout(x, 1.5), /F.dropout: argument 'p' expected a probability in \[0, 1\], got 1.5/);
  // PyTorch's keywords as one object: the spatial transformer's F.dropout(x, training=self.training).
  s.expect('F.dropout(x, { training: false }) is the identity', F.dropout(x, { training: false }) === x, 'x itself');
  const keyworded = (await s.own(F.dropout(x, { p: 0.25, training: true })).read()) as Float32Array;
  s.expect('F.dropout(x, { p: 0.25 }): each element 0 or x/0.75', keyworded.every((v, j) => v === 0 || Math.abs(v - xData[j]! / 0.75) < 1e-6) && keyworded.some((v) => v === 0), '');
  s.expectError('a tensor for p', () => F.dropout(x, x as never), /F.dropout: argument 'p' expected a probability in \[0, 1\], got/);
  s.expectError('both forms at once', () => F.dropout(x, { p: 0.25 }, { training: true }), /F.dropout: give p and the options either as F.dropout\(x, p, \{ training \}\) or as one object F.dropout\(x, \{ p, training \}\), not both/);
});

add('F.avgPool1d (torch.nn.functional.avg_pool1d, the distillation tutorial\'s) over [N, C, L] and [C, L]: values and the gradient vs float64, as nn.AvgPool1d; its errors; unbatched max pooling\'s results leave nothing behind at destroy()', async (s, random) => {
  const xv = uniform(random, 2 * 3 * 11, -2, 2);
  const x = s.input(xv, [2, 3, 11], 'f32', 'x');
  x.requiresGrad = true;
  const y = s.own(F.avgPool1d(x, 3, { stride: 2, padding: 1, count_include_pad: false }));
  // Windows of 3 every 2 from −1 (padded), averaged over the samples inside (count_include_pad=False).
  const expected: number[] = [];
  const dx = new Float64Array(xv.length);
  for (let row = 0; row < 6; row++) {
    for (let o = 0; o < 6; o++) {
      const inside = [o * 2 - 1, o * 2, o * 2 + 1].filter((i) => i >= 0 && i < 11);
      expected.push(inside.reduce((a, i) => a + xv[row * 11 + i]!, 0) / inside.length);
      for (const i of inside) dx[row * 11 + i]! += 1 / inside.length;
    }
  }
  s.expect('shape [2, 3, 6]', y.shape.join() === '2,3,6', `[${y.shape.join(', ')}]`);
  await s.check('y', y, expected, 1e-6, 1e-6);
  s.own(F.sum(y)).backward();
  await s.check('d x', x.grad!, dx, 1e-6, 1e-6);
  const unbatched = s.own(F.avgPool1d(s.input(xv.slice(0, 33), [3, 11], 'f32', 'x2'), [2]));
  s.expect('[C, L] gives [C, L\']', unbatched.shape.join() === '3,5', `[${unbatched.shape.join(', ')}]`);
  s.expectError('4-D input', () => F.avgPool1d(s.input(new Float32Array(8), [1, 2, 2, 2], 'f32', 'x4'), 2), /^avgPool1d: Expected 2D or 3D \(batch mode\) tensor for input, got \[1, 2, 2, 2\]/);
  // A result returned as a view of the op's output ([C, H, W] pooled as [1, C, H, W]) takes its companions (the indices): destroy() frees them.
  const image = s.input(uniform(random, 72), [2, 6, 6], 'f32', 'image');
  const sequence = s.input(uniform(random, 22), [2, 11], 'f32', 'sequence');
  const pooled = () => {
    F.maxPool2d(image, 2).destroy();
    F.adaptiveMaxPool1d(sequence, 3).destroy();
  };
  pooled();
  const live = s.gpu.stats.liveBuffers;
  for (let i = 0; i < 3; i++) pooled();
  s.expect('maxPool2d of [C, H, W] and adaptiveMaxPool1d of [C, L], destroyed: nothing left behind', s.gpu.stats.liveBuffers === live, `${s.gpu.stats.liveBuffers - live} buffers more after 3 calls`);
  s.expectError('padding past half the kernel, in 1-D terms', () => F.avgPool1d(x, 2, { padding: 2 }), /^avgPool1d: pad should be at most half of effective kernel size, but got pad=2, kernel_size=2/);
  s.expectError('a kernel longer than the input', () => F.avgPool1d(x, 15), /^avgPool1d: kernel 15 is longer than the padded input 11/);
  s.expectError('a pair of sizes', () => F.avgPool1d(x, [2, 2] as never), /^avgPool1d: argument 'kernelSize' expected an integer ≥ 1 \(or a list of one\), got \[2, 2\]/);
});

add("PyTorch's spellings on modules, optimizers and schedulers (model.zero_grad(), opt.state_dict(), sched.get_last_lr(), model.fc.in_features): the camelCase members they name; a module of your own keeps its own hidden_size", async (s) => {
  const { gpu } = s;
  class Tagger extends nn.Module {
    hidden_size: number;
    i2h: nn.Linear;
    constructor(hidden: number) {
      super(gpu);
      this.hidden_size = hidden;
      this.i2h = new nn.Linear(3, hidden, { gpu });
    }
    forward(x: Tensor): Tensor {
      return this.i2h.forward(x);
    }
  }
  const m = new Tagger(7);
  s.expect('own field hidden_size', m.hidden_size === 7 && Object.keys(m).includes('hidden_size'), String(m.hidden_size));
  // Untyped, for pasted code (typed, a user's own hidden_size field would clash): read as PyTorch code would.
  type Pasted = Record<string, unknown>;
  const [linear, conv, lstm] = [m.i2h, new nn.Conv2d(2, 8, 3, { gpu }), new nn.LSTM(4, 5, { num_layers: 2, gpu })];
  const [l, c, r] = [linear, conv, lstm] as unknown as Pasted[];
  s.expect('Linear: in_features, out_features', l!.in_features === 3 && l!.out_features === 7, `${l!.in_features} ${l!.out_features}`);
  s.expect('Conv2d: in_channels, out_channels, kernel_size', c!.in_channels === 2 && c!.out_channels === 8 && String(c!.kernel_size) === '3,3', `${c!.in_channels} ${c!.out_channels} ${c!.kernel_size}`);
  s.expect('LSTM: input_size, hidden_size, num_layers', r!.input_size === 4 && r!.hidden_size === 5 && r!.num_layers === 2, `${r!.input_size} ${r!.hidden_size} ${r!.num_layers}`);
  s.expect('an attribute a module lacks is undefined', (m as unknown as { embedding_dim?: number }).embedding_dim === undefined, '');
  s.expect('named_parameters', m.named_parameters().map(([n]) => n).join() === 'i2h.weight,i2h.bias', m.named_parameters().map(([n]) => n).join());
  s.expect('named_modules, named_children', m.named_modules().length === 2 && m.named_children().length === 1, '');
  const x = s.input([1, 2, 3], [1, 3]);
  s.own(F.sum(m.forward(x))).backward();
  m.zero_grad();
  s.expect('model.zero_grad() clears the gradients', !m.i2h.weight.hasGrad, '');
  s.expect('model.requires_grad_(false) freezes every parameter, and returns the model', m.requires_grad_(false) === m && m.parameters().every((p) => !p.requiresGrad), '');
  m.requires_grad_(true);
  const pending = m.stateDict();
  s.expectError('load_state_dict(state_dict()) without await', () => m.load_state_dict(pending as never), /loadStateDict: expected a Map .* got a Promise: await it/);
  await pending;
  const saved = await m.state_dict();
  const copy = new Tagger(7);
  copy.load_state_dict(saved);
  s.expect('state_dict / load_state_dict', (await copy.i2h.weight.read()).every((v, i) => v === saved.get('i2h.weight')!.values[i]), '');
  const opt = new optim.SGD(m.parameters(), { lr: 0.1, momentum: 0.9 });
  const scheduler = new lrScheduler.StepLR(opt, { step_size: 1, gamma: 0.5 });
  opt.zero_grad();
  opt.add_param_group({ params: copy.parameters(), lr: 0.3 });
  s.expect('optimizer add_param_group', opt.paramGroups.length === 2, String(opt.paramGroups.length));
  const optState = await opt.state_dict();
  opt.load_state_dict(optState);
  scheduler.step();
  s.expect("scheduler get_last_lr, state_dict", scheduler.get_last_lr()[0] === 0.05 && JSON.stringify(scheduler.state_dict()) === JSON.stringify(scheduler.stateDict()), String(scheduler.get_last_lr()));
  opt.destroy();
  m.destroy();
  copy.destroy();
  conv.destroy();
  lstm.destroy();
});

add('a module output overwritten by a later forward throws, naming the module; clone() keeps one', async (s, random) => {
  const gpu = s.gpu;
  const linear = new nn.Linear(3, 2, { gpu });
  const sigmoid = new nn.Sigmoid({ gpu });
  const [aData, bData] = [uniform(random, 12), uniform(random, 12)];
  const [a, b] = [s.input(aData, [4, 3]), s.input(bData, [4, 3])];
  // Outside a graph (noGrad), each forward reuses the module's buffer.
  const y1 = noGrad(() => linear.forward(a));
  const kept = y1.clone();
  const expected1 = await f64(y1);
  const y2 = noGrad(() => linear.forward(b));
  const overwritten = /tensor 'Linear\.out_none' \[4, 2\] was overwritten by a later forward of Linear\(in_features=3, out_features=2, bias=True\).*clone\(\)/;
  let readError = '';
  await y1.read().catch((error: Error) => (readError = error.message));
  s.expect('reading the older output', overwritten.test(readError), readError || 'did not throw');
  s.expectError('computing with it in a module', () => sigmoid.forward(y1), overwritten);
  s.expectError('computing with it in F', () => F.matmul(y1, s.input(uniform(random, 4), [2, 2])), overwritten);
  s.expectError('copying it', () => y1.clone(), overwritten);
  const [W, bias] = [await f64(linear.weight), await f64(linear.bias!)];
  await s.check('the newer output reads', y2, ref.matmul(bData, W, { M: 4, N: 2, K: 3, transposeB: true, bias }), 1e-6, 1e-5);
  s.expect('the older output held the first values', expected1.every((v, i) => Math.abs(v - ref.matmul(aData, W, { M: 4, N: 2, K: 3, transposeB: true, bias })[i]!) < 1e-5), 'compared');
  await s.check('the clone taken before keeps the first values', kept, expected1, 0, 0);
  kept.destroy();
  // In a graph, a later forward takes another buffer while the graph holds the first, and the
  // backward of the second output leaves the first's graph (PyTorch keeps each loss's own); once its
  // own backward() has freed it, a later forward overwrites it (the set given out longest ago first).
  const act = new nn.Sigmoid({ gpu });
  const x = s.input(uniform(random, 12), [4, 3]);
  x.requiresGrad = true;
  const h = act.forward(linear.forward(x));
  const hValues = await f64(h);
  const other = act.forward(linear.forward(b));
  await s.check('the first output, kept while its graph is live', h, hValues, 0, 0);
  s.own(F.sum(other)).backward();
  act.forward(linear.forward(b));
  await s.check('the first output, kept through the backward of another', h, hValues, 0, 0);
  s.own(F.sum(h)).backward();
  for (let i = 0; i < nn.MIN_CALLS_PER_GRAPH; i++) act.forward(linear.forward(b));
  s.expectError('F.sum over an output overwritten after its backward', () => F.sum(h), /tensor 'Sigmoid\.out' \[4, 2\] was overwritten by a later forward of Sigmoid\(\)/);
});

// ── outputs a module keeps: inside a noGrad() run, through a backward that did not reach them ─────

add('a module called several times in one noGrad() run keeps each output until the run ends (a decoder collecting its steps for F.cat), as a frozen layer with grad on does until backward(); later runs reuse the buffers; past the sets it may hold, the oldest is reused and says so', async (s, random) => {
  const gpu = s.gpu;
  const linear = new nn.Linear(3, 2, { gpu });
  const gru = new nn.GRU(3, 4, { gpu, batch_first: true });
  const emb = new nn.Embedding(5, 3, { gpu });
  const xs = [0, 1, 2].map(() => s.input(uniform(random, 6), [2, 3]));
  const seqs = xs.map((x) => x.reshapeView([2, 1, 3]));
  const ids = [s.input([1, 4], [2], 'i32'), s.input([0, 2], [2], 'i32'), s.input([3, 3], [2], 'i32')];
  const flat = (arrays: Float64Array[]) => arrays.flatMap((a) => [...a]);
  const alone = { linear: [] as Float64Array[], gru: [] as Float64Array[], h: [] as Float64Array[], emb: [] as Float64Array[] };
  for (let i = 0; i < 3; i++) {
    alone.linear.push(await f64(noGrad(() => linear.forward(xs[i]!))));
    const [out, h] = noGrad(() => gru.forward(seqs[i]!));
    alone.gru.push(await f64(out));
    alone.h.push(await f64(h));
    alone.emb.push(await f64(noGrad(() => emb.forward(ids[i]!))));
  }
  const [lin, out, h, rows] = noGrad(() => {
    const steps = seqs.map((x) => gru.forward(x));
    return [F.cat(xs.map((x) => linear.forward(x)), 0), F.cat(steps.map(([o]) => o), 1), F.cat(steps.map(([, hn]) => hn), 0), F.stack(ids.map((i) => emb.forward(i)), 0)];
  }).map((t) => s.own(t));
  await s.check('three Linear outputs of one noGrad() run, concatenated', lin!, flat(alone.linear), 0, 0);
  await s.check('three GRU outputs of one run', out!, [0, 1].flatMap((b) => [0, 1, 2].flatMap((i) => [...alone.gru[i]!.subarray(4 * b, 4 * b + 4)])), 0, 0);
  await s.check('three GRU h_n of one run', h!, flat(alone.h), 0, 0);
  await s.check('three Embedding outputs of one run', rows!, flat(alone.emb), 0, 0);
  // A frozen layer with grad on: nothing recorded, yet each output lives until backward().
  for (const p of linear.parameters()) p.requiresGrad = false;
  await s.check('a frozen Linear called twice with grad on', s.own(F.cat([linear.forward(xs[0]!), linear.forward(xs[1]!)], 0)), flat(alone.linear.slice(0, 2)), 0, 0);
  for (const p of linear.parameters()) p.requiresGrad = true;
  // Runs of one call each after it: the sets made are reused.
  const live: number[] = [];
  for (let i = 0; i < 5; i++) {
    await noGrad(() => linear.forward(xs[i % 3]!)).read();
    live.push(gpu.stats.liveBuffers);
  }
  s.expect('later runs of one call make no buffers', live.every((n) => n === live[0]), live.join(' '));
  // Past the sets one run may hold: the oldest is reused, and reading it says why.
  const tiny = new nn.ReLU({ gpu });
  const row = s.input([1, -2], [2]);
  const first = noGrad(() => {
    const y = tiny.forward(row);
    for (let i = 0; i < nn.MAX_CALLS_PER_GRAPH; i++) tiny.forward(row);
    return y;
  });
  s.expectError('an output reused past the sets of one run', () => F.sum(first), new RegExp(`^tensor 'ReLU\\.out' \\[2\\] was overwritten by a later forward of ReLU\\(\\), called ${nn.MAX_CALLS_PER_GRAPH + 1} times in one noGrad\\(\\) run, past the ${nn.MAX_CALLS_PER_GRAPH} sets of buffers it may hold \\(0\\.0 MiB; nn\\.MIN_CALLS_PER_GRAPH, nn\\.callBufferLimits\\), which reused the oldest: clone\\(\\) what you keep, or run fewer forwards in one noGrad\\(\\)`));
});

add('a GAN step as PyTorch writes it: the generator\'s graph lives through the discriminator\'s backward of fake.detach() to errG.backward() (the gradients of a fresh graph); errD_real + errD_fake after both backwards; a loss module keeps its last LOSS_OUTPUTS_KEPT outputs', async (s, random) => {
  const gpu = s.gpu;
  const G = new nn.Sequential(new nn.Linear(4, 6, { gpu }), new nn.Tanh({ gpu }));
  const D = new nn.Sequential(new nn.Linear(6, 1, { gpu }), new nn.Sigmoid({ gpu }));
  const criterion = new nn.BCELoss({ gpu });
  const [noise, real] = [s.input(uniform(random, 12), [3, 4]), s.input(uniform(random, 18), [3, 6])];
  const [ones, zeros] = [s.input([1, 1, 1], [3]), s.input([0, 0, 0], [3])];
  // The reference: errG's gradients from one fresh graph.
  criterion.forward(F.reshape(D.forward(G.forward(noise)), [-1]), ones).backward();
  const expected = await Promise.all(G.parameters().map((p) => f64(p.grad!)));
  G.zeroGrad();
  D.zeroGrad();
  // The tutorial's order: D on real, backward; fake = G(noise); D on fake.detach(), backward; then errG.
  const errDReal = criterion.forward(F.reshape(D.forward(real), [-1]), ones);
  errDReal.backward();
  const fake = G.forward(noise);
  const errDFake = criterion.forward(F.reshape(D.forward(fake.detach()), [-1]), zeros);
  errDFake.backward();
  for (const [i, p] of G.parameters().entries()) if (p.grad) await s.check(`D's backward of fake.detach() gives G parameter ${i} nothing`, p.grad, new Array(p.size).fill(0), 0, 0);
  const [realValue, fakeValue] = [(await f64(errDReal))[0]!, (await f64(errDFake))[0]!];
  await s.check('errD = errD_real + errD_fake after both backwards', s.own(F.add(errDReal, errDFake)), [realValue + fakeValue], 1e-6, 1e-6);
  const errG = criterion.forward(F.reshape(D.forward(fake), [-1]), ones);
  errG.backward();
  for (const [i, p] of G.parameters().entries()) await s.check(`G parameter ${i}'s gradient through the graph kept since D's backward`, p.grad!, expected[i]!, 1e-7, 1e-6);
  await s.check('errD_real still reads after two more calls of its loss module', errDReal, [realValue], 0, 0);
  // A loss module's ring: its output valid through LOSS_OUTPUTS_KEPT − 1 later calls, overwritten by the next.
  const fresh = new nn.BCELoss({ gpu });
  const probabilities = s.input([0.25, 0.5, 0.75], [3]);
  const outputs = Array.from({ length: nn.LOSS_OUTPUTS_KEPT }, () => noGrad(() => fresh.forward(probabilities, ones)));
  await s.check(`the first output after ${nn.LOSS_OUTPUTS_KEPT - 1} more calls`, outputs[0]!, [-(Math.log(0.25) + Math.log(0.5) + Math.log(0.75)) / 3], 1e-6, 1e-6);
  noGrad(() => fresh.forward(probabilities, ones));
  s.expectError(`the first output after ${nn.LOSS_OUTPUTS_KEPT} more calls`, () => F.add(outputs[0]!, 1), /^tensor 'BCELoss\.loss' \[1\] was overwritten by a later forward of BCELoss\(\)/);
});

add('weight tying as a language model writes it (decoder.weight = encoder.weight): one parameter, its gradient the sum of both uses (an untied copy\'s two gradients added), its state dict keys both', async (s, random) => {
  const gpu = s.gpu;
  const [V, E] = [10, 4];
  const encoder = new nn.Embedding(V, E, { gpu });
  const decoder = new nn.Linear(E, V, { gpu });
  decoder.weight = encoder.weight;
  class Tied extends nn.Module {
    constructor(readonly encoder: nn.Embedding, readonly decoder: nn.Linear) {
      super(gpu);
    }
    forward(ids: Tensor): Tensor {
      return this.decoder.forward(this.encoder.forward(ids));
    }
  }
  const model = new Tied(encoder, decoder);
  s.expect('parameters(): the tied weight once, and the bias', model.parameters().length === 2, model.namedParameters().map(([n]) => n).join());
  const keys = [...(await model.stateDict()).keys()].join();
  s.expect('the state dict keys both, as PyTorch\'s', keys === 'encoder.weight,decoder.weight,decoder.bias', keys);
  const ids = s.input([1, 4, 4, 9, 0], [5], 'i32');
  const labels = s.input([3, 1, 4, 1, 5], [5], 'u32');
  const lossFn = new nn.CrossEntropyLoss({ gpu });
  lossFn.forward(model.forward(ids), labels).backward();
  // The untied copy: the same values in two parameters.
  const [enc2, dec2] = [new nn.Embedding(V, E, { gpu }), new nn.Linear(E, V, { gpu })];
  gpu.copy(encoder.weight, enc2.weight);
  gpu.copy(encoder.weight, dec2.weight);
  gpu.copy(decoder.bias!, dec2.bias!);
  lossFn.forward(dec2.forward(enc2.forward(ids)), labels).backward();
  const [a, b] = [await f64(enc2.weight.grad!), await f64(dec2.weight.grad!)];
  await s.check('the tied gradient is both uses\' sum', encoder.weight.grad!, a.map((v, i) => v + b[i]!), 1e-7, 1e-6);
  // Only a Parameter of the field's shape; the one replaced, held by no module, is freed (an optimizer made before says so).
  const other = new nn.Linear(E, V, { gpu });
  const early = new optim.SGD(other.parameters(), { lr: 0.1 });
  s.expectError('a plain Tensor as the weight', () => (other.weight = s.input(uniform(random, V * E), [V, E]) as never), /^Linear\(in_features=4, out_features=10, bias=True\)\.weight: cannot assign a plain Tensor 'input' as parameter 'weight' \(a Parameter expected/);
  const narrow = new nn.Linear(E, 3, { gpu });
  s.expectError('a weight of another shape', () => (other.weight = narrow.weight), /^Linear\(in_features=4, out_features=10, bias=True\)\.weight: a Parameter of shape \[10, 4\] expected \(\[out_features, in_features\]\), got 'Linear\.weight' \[3, 4\]/);
  other.weight = encoder.weight;
  s.expectError('an optimizer made before the tying', () => early.step(), /parameter 'Linear\.weight' \[10, 4\] was freed by the assignment Linear\(in_features=4, out_features=10, bias=True\)\.weight = 'Embedding\.weight', which replaced it \(weight tying\); make the optimizer after tying/);
  other.destroy();
  narrow.destroy();
  for (const m of [model, enc2, dec2, lossFn]) m.destroy();
});

add('tidyScope(): the FGSM tutorial\'s step with awaits between its ops (a prediction read before the backward) frees all it made at dispose(), keeps what dispose is given; runs are synchronous; a disposed scope says so', async (s, random) => {
  const gpu = s.gpu;
  const model = new nn.Sequential(new nn.Linear(6, 5, { gpu }), new nn.ReLU({ gpu }), new nn.Linear(5, 3, { gpu }));
  const images = Array.from({ length: 4 }, () => s.input(uniform(random, 6), [1, 6]));
  const target = s.input([1], [1], 'u32');
  const live: number[] = [];
  let kept: Tensor | null = null;
  for (const [i, image] of images.entries()) {
    const scope = tidyScope();
    const data = scope.run(() => F.mul(image, 1)); // a copy that requires grad, as data.requires_grad = True
    data.requiresGrad = true;
    const output = scope.run(() => F.logSoftmax(model.forward(data), 1));
    const initPred = await scope.run(() => F.argmax(output, 1)).read(); // the await a tidy() cannot span
    void initPred;
    scope.run(() => {
      model.zeroGrad();
      F.nllLoss(output, target).backward();
    });
    const perturbed = scope.run(() => F.clamp(F.add(data, F.mul(F.sign(data.grad!), 0.1)), 0, 1));
    await scope.run(() => F.argmax(model.forward(perturbed), 1)).read();
    if (i === images.length - 1) {
      scope.dispose(perturbed);
      kept = perturbed;
    } else scope.dispose();
    live.push(gpu.stats.liveBuffers);
  }
  s.expect('each step\'s scope frees what it made', live.slice(1, -1).every((n) => n === live[1]), live.join(' '));
  const expected = Array.from(await images.at(-1)!.read(), (v) => v); // values only checked to be readable
  s.expect('dispose(kept) keeps it readable', (await kept!.read()).length === expected.length, '');
  kept!.destroy();
  const scope = tidyScope();
  let inner: Tensor | null = null;
  scope.run(() => (inner = F.mul(images[0]!, 2)));
  scope.dispose();
  s.expectError('a tensor a disposed scope made', () => F.sum(inner!), /was destroyed \(tensor\.destroy\(\), or the end of the tidy\(\) it was made in\)/);
  s.expectError('a run after dispose()', () => scope.run(() => F.mul(images[0]!, 2)), /^TidyScope\.run: this scope was disposed; make a new one with tidyScope\(\)$/);
  s.expectError('an async run', () => tidyScope().run(async () => 1), /^TidyScope\.run: fn returned a Promise; it must be synchronous/);
  s.expectError('tidy() names tidyScope() for awaits', () => tidy(async () => 1), /for a step with awaits between its ops, tidyScope\(\)$/);
  model.destroy();
});

add('buffer sets come back: graphs carried since an earlier backward give theirs up before the current graph is cut (16 MiB outputs, two unbackwarded forwards a step); a burst of calls in one noGrad() run shrinks back to MIN_CALLS_PER_GRAPH sets after SETS_IDLE_STEPS steps, and steps after it bind the same buffers; a frozen layer\'s outputs held until backward() (five crops through a frozen backbone); a carried output read through a view keeps its set', async (s, random) => {
  const gpu = s.gpu;
  // Each step's loss and two forwards nothing backwards (a logged batch): 4 sets of 16 MiB fill 64 MiB.
  const act = new nn.ReLU({ gpu });
  const n = 2 ** 22;
  const [x, x2, x3] = [0, 1, 2].map(() => {
    const t = s.input(uniform(random, n), [n]);
    t.requiresGrad = true;
    return t;
  });
  const failures: string[] = [];
  for (let step = 0; step < 4; step++) {
    try {
      tidy(() => {
        const loss = F.sum(act.forward(x!));
        act.forward(x2!);
        act.forward(x3!);
        loss.backward();
      });
    } catch (error) {
      failures.push(`step ${step}: ${(error as Error).message.slice(0, 160)}`);
    }
  }
  s.expect('no step\'s graph cut for the carried ones', failures.length === 0, failures.join('; '));
  act.destroy();
  // A burst: 40 calls in one noGrad() run (a decoder's loop), then single-call steps.
  const lin = new nn.Linear(3, 2, { gpu });
  const row = s.input(uniform(random, 6), [2, 3]);
  const outputs = new Set<GPUBuffer>();
  const steps = (k: number) => {
    const groups = gpu.stats.bindGroupsCreated;
    outputs.clear();
    for (let i = 0; i < k; i++) {
      tidy(() => {
        const y = lin.forward(row);
        outputs.add(y.memoryBuffer);
        F.sum(y).backward();
      });
    }
    return gpu.stats.bindGroupsCreated - groups;
  };
  steps(2);
  const groupsBefore = steps(5);
  const before = gpu.stats.liveBuffers;
  noGrad(() => {
    for (let i = 0; i < 40; i++) lin.forward(row);
  });
  const grown = gpu.stats.liveBuffers - before;
  steps(nn.SETS_IDLE_STEPS + 2);
  s.expect(`the burst's sets freed after ${nn.SETS_IDLE_STEPS} idle steps`, grown >= 36 && gpu.stats.liveBuffers - before <= nn.MIN_CALLS_PER_GRAPH, `grew ${grown}, then ${gpu.stats.liveBuffers - before} above the start`);
  const groupsAfter = steps(5);
  s.expect('steps after it take one set: the same output buffer', outputs.size === 1, `${outputs.size} buffers`);
  s.expect('and make the bind groups they made before the burst', groupsAfter === groupsBefore, `${groupsBefore} before, ${groupsAfter} after`);
  // A frozen backbone on 5 crops in one step, each feature through a trainable head: every output
  // held until backward() (a bound of 4 had overwritten the first, a reviewer found).
  const frozen = new nn.Linear(3, 2, { gpu });
  for (const p of frozen.parameters()) p.requiresGrad = false;
  const head = new nn.Linear(2, 1, { gpu });
  const crops = Array.from({ length: 5 }, () => s.input(uniform(random, 6), [2, 3]));
  const live3: number[] = [];
  for (let step = 0; step < 3; step++) {
    tidy(() => {
      const features = crops.map((c) => frozen.forward(c));
      F.sum(F.stack(features.map((f) => head.forward(f)), 0)).backward();
    });
    live3.push(gpu.stats.liveBuffers);
  }
  s.expect('five frozen outputs in one step, steps after the first make no buffers', live3[1] === live3[2], live3.join(' '));
  // A carried output read through a view (D(fake.detach())): its set is not reused while the graph reads it.
  const act2 = new nn.ReLU({ gpu });
  const big = 2 ** 22;
  const inputs = Array.from({ length: 3 }, () => {
    const t = s.input(uniform(random, big), [big]);
    t.requiresGrad = true;
    return t;
  });
  act2.forward(inputs[1]!);
  act2.forward(inputs[2]!); // two never backwarded, carried with fake, made last (the set taken first when free)
  const fake = act2.forward(inputs[0]!);
  const fakeValues = await f64(fake);
  const wd = s.input([2], [1], 'f32', 'wd');
  wd.requiresGrad = true;
  s.own(F.sum(F.mul(wd, 3))).backward(); // an unrelated backward carries the three graphs
  const lossD = s.own(F.sum(F.mul(fake.detach(), wd)));
  // Three calls: a new set, then the two carried ones nothing reads (fake's, read through the view, is not among them).
  for (let i = 0; i < 3; i++) act2.forward(inputs[0]!);
  const lossD2 = s.own(F.sum(F.mul(fake.detach(), wd)));
  lossD2.backward();
  await s.check('d wd = Σ fake, fake\'s memory kept through a view', wd.grad!, [3 + fakeValues.reduce((a, v) => a + Math.fround(v), 0)], 0, 1e-5);
  // A fourth: lossD's graph, never backwarded, is carried now; freed for the sets, and a backward through it says so.
  act2.forward(inputs[0]!);
  s.expectError('a carried graph freed for the sets, named', () => lossD.backward(), /^backward: the graph of 'sum' was freed when ReLU\(\) needed the buffers it held: a graph no backward reached, carried since an earlier backward\(\)/);
  act2.destroy();
  head.destroy();
  lin.destroy();
  frozen.destroy();
});

// ── one module called more than once in one graph ───────────────────────────────────────────────────

/** Every parameter's gradient, read as float64. */
const grads = (model: nn.Module) => Promise.all(model.parameters().map((p) => f64(p.grad)));

// A siamese loss: the same model on two batches, one backward. Each call keeps its own buffers, so the
// gradients must equal those of two separate backward() passes (each checked against float64 elsewhere).
for (const [title, make, inputShape] of [
  ['MLP: Linear → BatchNorm1d → ReLU → Linear (fused sigmoid) → Linear', (gpu: Gpu) => new nn.Sequential(new nn.Linear(5, 7, { gpu }), new nn.BatchNorm1d(7, { gpu }), new nn.ReLU({ gpu }), new SigmoidLinear(7, 6, gpu), new nn.Linear(6, 3, { gpu })), [6, 5]],
  ['CNN: Conv2d → BatchNorm2d → ReLU → MaxPool2d → Flatten → Linear', (gpu: Gpu) => new nn.Sequential(new nn.Conv2d(2, 3, 3, { gpu, padding: 1 }), new nn.BatchNorm2d(3, { gpu }), new nn.ReLU({ gpu }), new nn.MaxPool2d(2, { gpu }), new nn.Flatten(1, -1, { gpu }), new nn.Linear(12, 3, { gpu })), [4, 2, 4, 4]],
] as const) {
  add(`one model on two batches in one graph (ce(model(a)) + ce(model(b))) gives the gradients of two backward passes: ${title}`, async (s, random) => {
    const gpu = s.gpu;
    const model = make(gpu);
    const lossFn = new nn.CrossEntropyLoss({ gpu });
    const N = inputShape[0];
    const size = inputShape.reduce((p, d) => p * d, 1);
    const [a, b] = [s.input(uniform(random, size), inputShape), s.input(uniform(random, size), inputShape)];
    const [ya, yb] = [s.input(integers(random, N, 3), [N], 'u32'), s.input(integers(random, N, 3), [N], 'u32')];
    model.zeroGrad();
    let sum = 0;
    for (const [input, labels] of [[a, ya], [b, yb]] as const) {
      const loss = lossFn.forward(model.forward(input), labels);
      sum += (await f64(loss))[0]!;
      loss.backward(); // grads add up across the two passes
    }
    const separate = await grads(model);
    model.zeroGrad();
    const total = s.own(F.add(lossFn.forward(model.forward(a), ya), lossFn.forward(model.forward(b), yb)));
    total.backward();
    await s.check('the summed loss', total, [sum], 1e-6, 1e-5);
    const together = await grads(model);
    model.parameters().forEach((p, i) => s.comparisons.push(compare(`${p.label}.grad`, together[i]!, separate[i]!, 1e-6, 1e-4)));
  });
}

// A frozen layer records nothing, but an op that reads its output does: that output must outlive
// the layer's next call (before, the second call overwrote it and backward threw).
add('a frozen Linear called twice, each output read by a trainable F.mul: d w = Linear(a) + Linear(b) vs float64', async (s, random) => {
  const gpu = s.gpu;
  const frozen = new nn.Linear(3, 2, { gpu });
  frozen.weight.requiresGrad = false;
  frozen.bias!.requiresGrad = false;
  const w = allocateParameter(gpu, [4, 2], 'w');
  w.write(uniform(random, 8));
  const [A, B] = [uniform(random, 12), uniform(random, 12)];
  const [a, b] = [s.input(A, [4, 3]), s.input(B, [4, 3])];
  const terms = [F.mul(frozen.forward(a), w)];
  terms.push(F.mul(frozen.forward(b), w));
  const sums = terms.map((t) => s.own(F.sum(s.own(t))));
  s.own(F.add(sums[0]!, sums[1]!)).backward();
  const [Wf, bf] = [await f64(frozen.weight), await f64(frozen.bias!)];
  const layer = (x: Float64Array) => ref.matmul(x, Wf, { M: 4, N: 2, K: 3, transposeB: true, bias: bf });
  const [ya, yb] = [layer(A), layer(B)];
  await s.check('d w = Linear(a) + Linear(b)', w.grad, ya.map((v, i) => v + yb[i]!), 1e-6, 1e-5);
});

/** A Linear whose forward fuses a sigmoid (its own 'dz' scratch buffer per call). */
class SigmoidLinear extends nn.Linear {
  constructor(inFeatures: number, outFeatures: number, gpu: Gpu) {
    super(inFeatures, outFeatures, { gpu });
  }
  override forward(x: Tensor): Tensor {
    return super.forward(x, 'sigmoid');
  }
}

add('one Linear applied three times (weights tied, also through Sequential(lin, act, lin, act, lin)) vs float64', async (s, random) => {
  const gpu = s.gpu;
  const [N, K] = [5, 6];
  const lin = new nn.Linear(K, K, { gpu });
  const act = new nn.Sigmoid({ gpu });
  const xData = uniform(random, N * K);
  const tData = uniform(random, N * K);
  const x = s.input(xData, [N, K], 'f32', 'x');
  x.requiresGrad = true;
  const t = s.input(tData, [N, K]);
  // h1 = lin(x), h2 = lin(σ(h1)), h3 = lin(σ(h2)), loss = mean((h3 − t)²).
  const loss = F.mseLoss(lin.forward(act.forward(lin.forward(act.forward(lin.forward(x))))), t);
  loss.backward();

  const [w, b] = [await f64(lin.weight), await f64(lin.bias!)];
  const mm = (a: Float64Array, c: Float64Array, spec: ref.MatmulSpec) => ref.matmul(a, c, spec);
  const layer = (input: Float64Array) => mm(input, w, { M: N, N: K, K, transposeB: true, bias: b });
  const sig = (v: Float64Array) => v.map((z) => 1 / (1 + Math.exp(-z)));
  const h1 = layer(xData), s1 = sig(h1), h2 = layer(s1), s2 = sig(h2), h3 = layer(s2);
  const dh3 = h3.map((v, i) => (2 * (v - tData[i]!)) / (N * K));
  const dh2 = mm(dh3, w, { M: N, N: K, K }).map((g, i) => g * s2[i]! * (1 - s2[i]!));
  const dh1 = mm(dh2, w, { M: N, N: K, K }).map((g, i) => g * s1[i]! * (1 - s1[i]!));
  const dW = new Float64Array(K * K);
  const db = new Float64Array(K);
  for (const [dh, input] of [[dh3, s2], [dh2, s1], [dh1, xData]] as const) {
    mm(dh, input, { M: K, N: K, K: N, transposeA: true }).forEach((v, i) => (dW[i]! += v));
    ref.sumRows(dh, N, K).forEach((v, i) => (db[i]! += v));
  }
  await s.check('loss', loss, [h3.reduce((sum, v, i) => sum + (v - tData[i]!) ** 2, 0) / (N * K)], 1e-6, 1e-5);
  await s.check('weight.grad (three uses)', lin.weight.grad, dW, 1e-6, 1e-4);
  await s.check('bias.grad (three uses)', lin.bias!.grad, db, 1e-6, 1e-4);
  await s.check('x.grad', x.grad!, mm(dh1, w, { M: N, N: K, K }), 1e-6, 1e-4);

  // The same model as a Sequential holding lin three times: its parameters once (PyTorch's
  // parameters() too), both names in the state dict, and the same gradients after an optimizer's zeroGrad.
  const tied = new nn.Sequential(lin, act, lin, act, lin);
  s.expect('parameters() gives the tied weight once', tied.parameters().length === 2 && tied.namedParameters().map(([n]) => n).join() === '0.weight,0.bias', tied.namedParameters().map(([n]) => n).join());
  const keys = [...(await tied.stateDict()).keys()].join();
  s.expect('the state dict keeps every name', keys === '0.weight,0.bias,2.weight,2.bias,4.weight,4.bias', keys);
  const opt = new optim.SGD(tied.parameters(), { lr: 0.1 });
  opt.zeroGrad();
  F.mseLoss(tied.forward(x), t).backward();
  await s.check('weight.grad through Sequential', lin.weight.grad, dW, 1e-6, 1e-4);
});

add('nn.Flatten of one tensor twice in one graph: each view its own gradient, x.grad their sum', async (s, random) => {
  const gpu = s.gpu;
  const flatten = new nn.Flatten(1, -1, { gpu });
  const x = s.input(uniform(random, 24), [2, 3, 2, 2], 'f32', 'x');
  x.requiresGrad = true;
  const [d1, d2] = [uniform(random, 24), uniform(random, 24)];
  for (let step = 0; step < 2; step++) { // the second step reuses the first's views
    const views = [flatten.forward(x), flatten.forward(x)]; // both before their uses, so both gradients are written before either is read
    const terms = [F.mul(views[0]!, s.input(d1, [2, 12])), F.mul(views[1]!, s.input(d2, [2, 12]))];
    const sums = terms.map((t) => F.sum(t));
    const loss = F.add(sums[0]!, sums[1]!);
    loss.backward();
    for (const t of [...terms, ...sums, loss]) t.destroy();
  }
  await s.check('x.grad = 2 (d1 + d2) after two steps', x.grad!, d1.map((v, i) => 2 * (v + d2[i]!)), 1e-6, 1e-6);
});

add('a graph holds a buffer set per call: a small layer unrolled 24 steps vs float64, a tiny one at most nn.MAX_CALLS_PER_GRAPH sets; a large one past 8 sets and 64 MiB cuts the graph, naming it; training after reuses the sets', async (s, random) => {
  const gpu = s.gpu;
  // h ← tanh(W h + b), 24 times, through one Linear and one Tanh (48 calls of small modules).
  const [N, K, T] = [3, 4, 24];
  const cell = new nn.Linear(K, K, { gpu });
  const tanh = new nn.Tanh({ gpu });
  const H0 = uniform(random, N * K);
  const h0 = s.input(H0, [N, K]);
  let h = h0;
  const before = gpu.stats.liveBuffers;
  for (let t = 0; t < T; t++) h = tanh.forward(cell.forward(h));
  s.expect('a set per call', gpu.stats.liveBuffers - before === 2 * T, `${gpu.stats.liveBuffers - before} buffers for ${T} steps`);
  s.own(F.sum(h)).backward();
  const [Wc, bc] = [await f64(cell.weight), await f64(cell.bias!)];
  const hs = [Float64Array.from(H0, Math.fround)];
  for (let t = 0; t < T; t++) hs.push(ref.matmul(hs[t]!, Wc, { M: N, N: K, K, transposeB: true, bias: bc }).map(Math.tanh));
  const dW = new Float64Array(K * K);
  const db = new Float64Array(K);
  let dh: Float64Array = new Float64Array(N * K).fill(1);
  for (let t = T; t > 0; t--) {
    const dz = dh.map((g, i) => g * (1 - hs[t]![i]! ** 2));
    ref.matmul(dz, hs[t - 1]!, { M: K, N: K, K: N, transposeA: true }).forEach((v, i) => (dW[i]! += v));
    ref.sumRows(dz, N, K).forEach((v, i) => (db[i]! += v));
    dh = ref.matmul(dz, Wc, { M: N, N: K, K });
  }
  await s.check('weight.grad through 24 steps', cell.weight.grad, dW, 1e-6, 1e-4);
  await s.check('bias.grad through 24 steps', cell.bias!.grad, db, 1e-6, 1e-4);

  // A tiny layer: at most nn.MAX_CALLS_PER_GRAPH sets, so an evaluation loop without noGrad keeps that many.
  const tiny = new nn.Linear(2, 2, { gpu });
  const row = s.input([1, 2], [1, 2]);
  const tinyCounts: number[] = [];
  const most = nn.MAX_CALLS_PER_GRAPH;
  for (let i = 0; i < most + 6; i++) {
    tiny.forward(row);
    tinyCounts.push(gpu.stats.liveBuffers);
  }
  s.expect(`a tiny layer holds ${most} sets, no more`, tinyCounts[most - 1]! - tinyCounts[0]! === most - 1 && tinyCounts.slice(most - 1).every((n) => n === tinyCounts[most - 1]), `${tinyCounts[0]} → ${tinyCounts[most - 1]} → ${tinyCounts.at(-1)}`);

  // An 8 MiB output: eight sets are 64 MiB, so the ninth call without backward cuts the graph.
  const relu = new nn.ReLU({ gpu });
  const big = s.input(uniform(random, 2 ** 21), [2 ** 21]);
  big.requiresGrad = true;
  const outputs: Tensor[] = [];
  const live: number[] = [];
  let firstLoss: Tensor | null = null;
  for (let i = 0; i < 12; i++) {
    outputs.push(relu.forward(big)); // each recorded: an evaluation loop without noGrad
    if (i === 0) firstLoss = s.own(F.sum(outputs[0]!));
    live.push(gpu.stats.liveBuffers);
  }
  s.expect('a set per call for eight calls, then no more', live[7]! - live[1]! === 6 && live.slice(7).every((n) => n === live[7]), live.join(' '));
  const limit = 'ReLU\\(\\) was called 9 times in it without a backward\\(\\), past the 8 sets of buffers it may hold \\(64\\.0 MiB; nn\\.MIN_CALLS_PER_GRAPH, nn\\.callBufferLimits\\)';
  s.expectError('backward through the cut graph names the module and the limit', () => firstLoss!.backward(), new RegExp(`^backward: the graph of 'sum' was cut when ${limit}: call backward\\(\\) sooner, run forwards that need no gradient in noGrad\\(\\), or, for one backward through more calls \\(a long unrolled sequence\\), raise nn\\.callBufferLimits; run forward again`));
  s.expectError('using an output the ninth call overwrote says why', () => F.sum(outputs[0]!), new RegExp(`^tensor 'ReLU\\.out' \\[2097152\\] was overwritten by a later forward of ${limit.replace(' was called', ', called')}, which cut the graph`));

  // Training after it: steady at one set a call, the sets already made reused.
  const model = new nn.Sequential(new nn.Linear(4, 8, { gpu }), new nn.ReLU({ gpu }), new nn.Linear(8, 2, { gpu }));
  const x = s.input(uniform(random, 12), [3, 4]);
  // Training after it: steady at one set a call, the sets already made reused.
  const lossFn = new nn.CrossEntropyLoss({ gpu });
  const y = s.input(integers(random, 3, 2), [3], 'u32');
  const counts: number[] = [];
  for (let i = 0; i < 4; i++) {
    model.zeroGrad(false);
    lossFn.forward(model.forward(x), y).backward();
    counts.push(gpu.stats.liveBuffers);
  }
  s.expect('training steps create no buffers', counts.every((n) => n === counts[0]), counts.join(' '));
  // Steps alternating a plain loss and one with a term added: the logits' gradient changes hands
  // (the loss's buffer, then one of its own, freed when the loss's buffer is handed over again).
  const w = model.parameters()[0]!;
  const plain: number[] = [];
  for (let i = 0; i < 4; i++) {
    const ce = lossFn.forward(model.forward(x), y);
    const squared = F.mul(w, w), penalty = F.sum(squared), loss = F.add(ce, penalty, { alpha: 1e-3 });
    loss.backward();
    for (const t of [squared, penalty, loss]) t.destroy();
    lossFn.forward(model.forward(x), y).backward();
    plain.push(gpu.stats.liveBuffers);
  }
  s.expect('alternating plain and composed losses leaves nothing behind', plain.every((n) => n === plain[0]), plain.join(' '));
});

add('nn.callBufferLimits: one backward through more calls than the bounds hold is cut, saying to raise them; raised, the same unroll trains, its gradient the one a roomier run gives bit for bit (pytorch/examples\' time-sequence prediction backpropagates through 999 steps of two LSTM cells, 263 MiB each)', async (s, random) => {
  const { gpu } = s;
  const saved = { ...nn.callBufferLimits };
  const x = s.input(uniform(random, 16 * 64, -1, 1), [16, 64], 'f32', 'x');
  const gradientAfter = async (layer: nn.Linear) => {
    let h = x;
    for (let t = 0; t < 40; t++) h = s.own(F.tanh(layer.forward(h)));
    s.own(F.sum(h)).backward();
    return Array.from(await layer.weight.grad.read());
  };
  try {
    // Each call's output is 4 KiB: 64 KiB holds 16 calls of the 40.
    nn.callBufferLimits.maxBytes = 64 * 2 ** 10;
    const cut = new nn.Linear(64, 64, { gpu });
    const refused = await gradientAfter(cut).then(() => 'trained', (error: Error) => error.message);
    s.expect('past maxBytes: the graph cut, the way out named', /was cut when Linear\(in_features=64, out_features=64, bias=True\) was called 17 times in it without a backward\(\), past the 16 sets .*raise nn\.callBufferLimits/.test(refused), refused);
    nn.callBufferLimits.maxBytes = 256 * 2 ** 10;
    const raised = new nn.Linear(64, 64, { gpu });
    const roomy = new nn.Linear(64, 64, { gpu });
    roomy.loadStateDict(await raised.stateDict());
    const small = await gradientAfter(raised);
    Object.assign(nn.callBufferLimits, saved);
    const large = await gradientAfter(roomy);
    s.expect('raised to 256 KiB: 40 calls in one graph, the gradient bit for bit the default bounds\' (64 MiB)', small.every((v, i) => v === large[i]) && small.some((v) => v !== 0), `${small[0]} vs ${large[0]}`);
  } finally {
    Object.assign(nn.callBufferLimits, saved);
  }
});

// ── a small MLP trained 20 steps on the GPU and in float64 on the CPU ───────────────────────────────

add('MLP 20→16→8→4 (sigmoid, Adam) trained 20 steps matches float64 CPU training', async (s, random) => {
  const gpu = s.gpu;
  const sizes = [20, 16, 8, 4];
  const model = new nn.Sequential(new nn.Linear(20, 16, { gpu }), new nn.Sigmoid({ gpu }), new nn.Linear(16, 8, { gpu }), new nn.Sigmoid({ gpu }), new nn.Linear(8, 4, { gpu }));
  const lossFn = new nn.CrossEntropyLoss({ gpu });
  const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
  const named = model.namedParameters();
  const cpu = await Promise.all(named.map(async ([, p]) => optRef.adamInit(await p.read())));
  const N = 8;
  const xBatch = s.input(new Float64Array(N * 20).fill(1), [N, 20]);
  const yBatch = s.input(new Uint32Array(N), [N], 'u32');
  const losses: [number, number][] = [];
  for (let step = 0; step < 20; step++) {
    const x = uniform(random, N * 20, -2, 2);
    const labels = integers(random, N, 4);
    xBatch.write(x);
    yBatch.write(labels);
    opt.zeroGrad();
    const loss = lossFn.forward(model.forward(xBatch), yBatch);
    loss.backward();
    opt.step();
    const gpuLoss = (await loss.read())[0]!;
    const cpuLoss = mlpTrainingStep(cpu, sizes, x, labels, 'sigmoid', { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false });
    losses.push([gpuLoss, cpuLoss]);
  }
  s.comparisons.push((await import('../src/spec/compare')).compare('loss per step', losses.map((l) => l[0]), losses.map((l) => l[1]), 1e-5, 1e-4));
  // Adam divides each gradient component by its own running RMS, so float32 rounding in a component
  // near zero is not damped but carried at up to lr a step: one weight of 128 drifted 2.5e-5 from the
  // float64 run for one seed (2098498125, whole file) while the losses agreed to 5e-7. A wrong Adam
  // (bias correction, eps, the step) moves every weight by ~lr = 1e-2 a step, far past 1e-4.
  for (const [i, [name, p]] of named.entries()) await s.check(`${name} after 20 steps`, p, cpu[i]!.param, 1e-4, 1e-4);
});

// ── train(): a class index past the classes is named before any step ────────────────────────────────

add('train() names a row whose class index is past the classes, before any step', async (s, random) => {
  const gpu = s.gpu;
  const [N, features, classes] = [12, 2, 3];
  const model = new MLP({ features, classes, hidden: [4], activation: 'relu', dropout: 0, batchNorm: false }, gpu);
  const y = integers(random, N, classes);
  y[9] = 3;
  const data: Dataset = { features: ['a', 'b'], label: 'y', classes: ['0', '1', '2'], x: Float32Array.from(uniform(random, N * features)), y, rows: N, source: 'hand.csv' };
  const before = gpu.stats.dispatches;
  const message = await train(gpu, model, data, { epochs: 1, batchSize: 4, lr: 0.1, optimizer: 'sgd', seed: 1, standardize: false }).then(() => 'trained', (e: Error) => e.message);
  s.expect('the error names the file, the row and the index', message === 'hand.csv: training row 9 (from 0) has class index 3, outside the 3 classes [0, 3)', message);
  s.expect('no step ran', gpu.stats.dispatches === before, `${gpu.stats.dispatches - before} dispatches`);
});

// ── evaluate(): eval mode, then train mode again ───────────────────────────────────────────────────

add('evaluate() predicts in eval mode (no dropout, running statistics) and leaves the model training', async (s, random) => {
  const gpu = s.gpu;
  const [N, features, hidden, classes] = [40, 6, 16, 3];
  const model = new MLP({ features, classes, hidden: [hidden], activation: 'relu', dropout: 0.5, batchNorm: true }, gpu);
  // Training forwards move the running statistics away from 0 and 1.
  for (let i = 0; i < 3; i++) noGrad(() => model.forward(s.input(uniform(random, N * features, -2, 3), [N, features])));
  const data: Dataset = { features: ['a', 'b', 'c', 'd', 'e', 'f'], label: 'y', classes: ['0', '1', '2'], x: Float32Array.from(uniform(random, N * features, -2, 2)), y: integers(random, N, classes), rows: N };
  const st = new Map([...(await model.stateDict())].map(([name, e]) => [name, Float64Array.from(e.values)]));
  const get = (name: string) => st.get(name)!;
  // The eval-mode forward in float64: Linear → BatchNorm (running statistics) → ReLU → (no dropout) → Linear.
  const h = ref.matmul(data.x, get('linear1.weight'), { M: N, N: hidden, K: features, transposeB: true, bias: get('linear1.bias') });
  const bn = bnRef.batchNorm(h, { N, C: hidden, S: 1, eps: 1e-5, momentum: 0.1, training: false, gamma: get('bn1.weight'), beta: get('bn1.bias'), runningMean: get('bn1.running_mean'), runningVar: get('bn1.running_var') }).y;
  const logits = ref.matmul(bn.map(ref.relu), get('linear2.weight'), { M: N, N: classes, K: hidden, transposeB: true, bias: get('linear2.bias') });
  const result = await evaluate(gpu, model, data, 16);
  let clear = 0;
  let agree = 0;
  for (let r = 0; r < N; r++) {
    const row = Array.from(logits.subarray(r * classes, (r + 1) * classes));
    const sorted = [...row].sort((a, b) => b - a);
    if (sorted[0]! - sorted[1]! < 1e-4) continue; // a near tie may go either way in float32
    clear++;
    if (result.predictions[r] === row.indexOf(sorted[0]!)) agree++;
  }
  s.expect('predictions of the eval-mode forward', clear > N / 2 && agree === clear, `${agree} of ${clear} rows with a clear winner agree`);
  s.expect('accuracy from the predictions', result.accuracy === result.predictions.filter((p, r) => p === data.y[r]).length / N, `${result.accuracy}`);
  s.expect('the model is training again', model.training && (model as unknown as { bn1: nn.BatchNorm1d }).bn1.training, `training ${model.training}`);
  const after = await model.stateDict();
  s.expect('running statistics untouched', ['bn1.running_mean', 'bn1.running_var'].every((n) => after.get(n)!.values.every((v, i) => v === get(n)[i])), 'compared');
});

// ── steady state: no new buffers, one submission per step, no readback ───────────────────────────────

add('a training step creates no GPU buffers and submits once, with no readback (100 steps)', async (s, random) => {
  const gpu = s.gpu;
  const model = new nn.Sequential(new nn.Linear(20, 32, { gpu }), new nn.ReLU({ gpu }), new nn.Dropout(0.2, { gpu }), new nn.BatchNorm1d(32, { gpu }), new nn.Linear(32, 4, { gpu }));
  const lossFn = new nn.CrossEntropyLoss({ gpu });
  const opt = new optim.Adam(model.parameters());
  const x = s.input(uniform(random, 160), [8, 20]);
  const y = s.input(integers(random, 8, 4), [8], 'u32');
  const step = () => {
    x.write(uniform(random, 160)); // the upload submits the previous step's commands first
    opt.zeroGrad();
    lossFn.forward(model.forward(x), y).backward();
    opt.step();
  };
  for (let i = 0; i < 3; i++) step();
  gpu.flush();
  const before = { ...gpu.stats };
  for (let i = 0; i < 100; i++) step();
  gpu.flush();
  const after = gpu.stats;
  s.expect('buffers created in 100 steps', after.buffersCreated === before.buffersCreated, `${after.buffersCreated - before.buffersCreated}`);
  s.expect('live buffers', after.liveBuffers === before.liveBuffers, `${before.liveBuffers} → ${after.liveBuffers}`);
  s.expect('submissions', after.submits - before.submits === 100, `${after.submits - before.submits} for 100 steps`);
  s.expect('readbacks', after.reads === before.reads, `${after.reads - before.reads}`);
  const perStep = (after.dispatches - before.dispatches) / 100;
  s.notes.push(`dispatches per step: ${perStep}`);
  const { loss, batches } = await lossFn.readMetrics();
  s.expect('metrics accumulated on the GPU', batches === 103 && Number.isFinite(loss), `${batches} batches, mean loss ${loss}`);
});

// ── destroy(): what a sweep of models in one page or process frees ────────────────────────────────

/** A model of most module kinds and its Adam, trained 3 steps from `seed`: their parameters after, and what to destroy. */
function sweepRun(gpu: Gpu, seed: number, x: Tensor, y: Tensor, sequence: Tensor, ids: Tensor) {
  init.manualSeed(seed);
  const cnn = new nn.Sequential(new nn.Conv2d(2, 4, 3, { padding: 1, gpu }), new nn.BatchNorm2d(4, { gpu }), new nn.ReLU({ gpu }), new nn.MaxPool2d(2, { gpu }), new nn.Flatten(1, -1, { gpu }), new nn.Linear(36, 8, { gpu }), new nn.LayerNorm([8], { gpu }), new nn.GELU({ gpu }), new nn.Dropout(0.25, { gpu }), new nn.Linear(8, 3, { gpu }));
  const lstm = new nn.LSTM(4, 6, { batchFirst: true, gpu });
  const attention = new nn.MultiheadAttention(4, 2, { batchFirst: true, gpu });
  const embedding = new nn.Embedding(10, 4, { gpu });
  const lossFn = new nn.CrossEntropyLoss({ weight: [1, 2, 0.5], gpu });
  const modules = [cnn, lstm, attention, embedding, lossFn];
  const opt = new optim.Adam(modules.flatMap((m) => m.parameters()), { lr: 0.01 });
  for (let step = 0; step < 3; step++) {
    tidy(() => {
      opt.zeroGrad();
      lossFn.forward(cnn.forward(x), y).backward();
      F.sum(lstm.forward(sequence)[0]).backward();
      F.sum(attention.forward(sequence)).backward();
      F.sum(F.mul(embedding.forward(ids), embedding.forward(ids))).backward();
      opt.step();
    });
  }
  return { modules, opt, params: opt.params };
}

add('destroy(): a sweep of models and optimizers frees what each made, and the next runs as the first in the space it freed', async (s, random) => {
  const gpu = s.gpu;
  const x = s.input(uniform(random, 5 * 2 * 6 * 6), [5, 2, 6, 6]);
  const y = s.input(integers(random, 5, 3), [5], 'u32');
  const sequence = s.input(uniform(random, 2 * 3 * 4), [2, 3, 4]);
  const ids = s.input(integers(random, 7, 10), [7], 'i32');
  const live: { buffers: number; bytes: number }[] = [];
  const results: Float32Array[][] = [];
  for (let run = 0; run < 3; run++) {
    const { modules, opt, params } = sweepRun(gpu, 7, x, y, sequence, ids);
    results.push(await Promise.all(params.map(async (p) => (await p.read()) as Float32Array)));
    opt.destroy();
    for (const m of modules) m.destroy();
    gpu.flush();
    live.push({ buffers: gpu.stats.liveBuffers, bytes: gpu.stats.liveBytes });
  }
  s.notes.push(`live after each run: ${live.map((l) => `${l.buffers} buffers, ${l.bytes} B`).join('; ')}`);
  s.expect('nothing left behind by the second and third runs', live[1]!.buffers === live[0]!.buffers && live[2]!.buffers === live[0]!.buffers && live[1]!.bytes === live[0]!.bytes && live[2]!.bytes === live[0]!.bytes, JSON.stringify(live));
  // Later runs' parameters sit in the space the first freed, their gradients zeroed for them.
  for (const run of [1, 2]) {
    const worst = results[run]!.reduce((m, values, i) => Math.max(m, ...values.map((v, j) => Math.abs(v - results[0]![i]![j]!))), 0);
    s.expect(`run ${run + 1}'s parameters after 3 steps equal run 1's`, worst <= 1e-6, `max |Δ| ${worst}`);
  }
});

add('destroy(): later use of a module, its parameters, its outputs or an optimizer over them is an Error naming it', async (s, random) => {
  const gpu = s.gpu;
  const x = s.input(uniform(random, 12), [3, 4]);
  const model = new nn.Sequential(new nn.Linear(4, 5, { gpu }), new nn.ReLU({ gpu }), new nn.Linear(5, 2, { gpu }));
  const first = model.layers[0] as nn.Linear;
  const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
  const out = model.forward(x);
  const loss = F.sum(out);
  model.destroy();
  s.expectError('a forward', () => model.forward(x), /^Linear\(in_features=4, out_features=5, bias=True\): this module was freed by destroy\(\) of Sequential\(…\); make a new one$/);
  s.expectError('its parameter', () => F.mul(first.weight, first.weight), /tensor 'Linear\.weight' \[5, 4\] was freed by destroy\(\) of Sequential\(/);
  s.expectError('its output', () => F.add(out, out), /tensor 'Linear\.out_none' \[3, 2\] was freed by destroy\(\) of Sequential\(/);
  s.expectError('a backward through it', () => loss.backward(), /^backward: '.*' needs '.*', which was freed by destroy\(\) of Sequential\(/);
  s.expectError('an optimizer step over its parameters', () => opt.step(), /^SGD\.step: parameter 'Linear\.weight' \[5, 4\] was freed by destroy\(\) of Sequential\(.*; destroy this optimizer too, or make one over live parameters/s);
  s.expectError('zeroGrad too', () => opt.zeroGrad(), /^SGD\.zeroGrad: parameter 'Linear\.weight'/);
  s.expectError('a new optimizer over them', () => new optim.Adam(model.parameters()), /^Adam: param group 0: parameter 'Linear\.weight' \[5, 4\] was freed by destroy\(\) of Sequential\(/);
  loss.destroy();
  const p = allocateParameter(gpu, [6], 'p');
  const adam = new optim.Adam([p]);
  p.grad.write([1, 2, 3, 4, 5, 6]);
  adam.step();
  adam.destroy();
  adam.destroy(); // twice is nothing
  s.expectError('a destroyed optimizer', () => adam.step(), /^Adam\.step: this optimizer was destroyed \(destroy\(\)\); make a new one$/);
  let saved = '';
  await adam.stateDict().catch((e: Error) => (saved = e.message));
  s.expect('its stateDict too', /^Adam\.stateDict: this optimizer was destroyed/.test(saved), saved);
  s.expect('destroy() twice is nothing', true, 'no error');
  // L-BFGS's direction, last gradient and history are its own: a second run leaves what the first did.
  const q = allocateParameter(gpu, [5], 'q');
  const lbfgsRun = async () => {
    q.write([1, -2, 3, -4, 5]);
    const lbfgs = new optim.LBFGS([q], { historySize: 3, maxIter: 4 });
    await lbfgs.step(() => {
      lbfgs.zeroGrad();
      const l = F.sum(F.mul(q, q));
      l.backward();
      return l;
    });
    lbfgs.destroy();
    gpu.flush();
    return gpu.stats.liveBuffers;
  };
  const [once, twice] = [await lbfgsRun(), await lbfgsRun()];
  s.expect('L-BFGS frees its history', once === twice, `${once} → ${twice} buffers`);
});

add('destroy(): space freed between an optimizer\'s parameters goes to a new parameter its steps never touch', async (s, random) => {
  const gpu = s.gpu;
  const a = allocateParameter(gpu, [100], 'a');
  const gap = new nn.Linear(8, 8, { gpu }); // 72 floats in two 64-float slots, between a and b
  const b = allocateParameter(gpu, [30], 'b');
  for (const p of [a, b]) p.write(uniform(random, p.size));
  gap.destroy();
  const opt = new optim.SGD([a, b], { lr: 0.5 });
  const newcomer = allocateParameter(gpu, [64], 'newcomer'); // fits the first freed slot
  s.expect('the newcomer took the freed space between a and b', newcomer.chunk === a.chunk && newcomer.offset > a.offset && newcomer.offset < b.offset, `a at ${a.offset}, newcomer at ${newcomer.offset}, b at ${b.offset}`);
  const values = uniform(random, 64);
  newcomer.write(values);
  await s.check('its gradient starts zero', newcomer.grad, new Float64Array(64), 0, 0);
  newcomer.grad.write(uniform(random, 64));
  a.grad.write(uniform(random, 100));
  b.grad.write(uniform(random, 30));
  opt.step();
  await s.check('untouched by the optimizer over a and b', newcomer, values, 0, 0);
  opt.destroy();
});

// ── PyTorch's autograd idioms from its tutorials ─────────────────────────────────────────────────────

add('backward(gradient) as PyTorch: a scalar scaled, a non-scalar given its gradient; retain_graph and bad gradients refused', async (s, random) => {
  const gpu = s.gpu;
  const values = uniform(random, 5);
  const a = s.input(values, [5], 'f32', 'a');
  a.requiresGrad = true;
  // Σ a², backward(2): PyTorch's a.grad = 2 · 2a.
  const sq = s.own(F.sum(s.own(F.mul(a, a))));
  sq.backward(s.input([2], [1], 'f32', 'two'));
  await s.check('scalar: a.grad = 2 · 2a', a.grad!, Array.from(values, (v) => 4 * v), 1e-6, 1e-6);
  // out = 3a (not a scalar), out.backward(g): a.grad accumulates 3g.
  const g = uniform(random, 5);
  const out = s.own(F.mul(a, 3));
  out.backward(s.input(g, [5], 'f32', 'g'));
  await s.check('non-scalar: a.grad += 3g', a.grad!, Array.from(values, (v, i) => 4 * v + 3 * g[i]!), 1e-6, 1e-6);
  // g on the graph itself (out.backward(out)): a constant, as PyTorch's: a.grad gets out · dout/da only.
  const b = s.input([1, 2, 3], [3], 'f32', 'b');
  b.requiresGrad = true;
  const bb = s.own(F.mul(b, b));
  bb.backward(bb);
  await s.check('out.backward(out): b.grad = 2b · b², nothing through g', b.grad!, [2, 16, 54], 0, 0);
  const g2 = s.input([1, 10, 100], [3], 'f32', 'g2');
  g2.requiresGrad = true;
  s.own(F.mul(b, b)).backward(g2);
  s.expect('a gradient that requires grad gets none', g2.grad === null, String(g2.grad));
  const [o1, o2] = [s.own(F.mul(b, 2)), s.own(F.mul(b, 3))];
  o1.backward(g2);
  o2.backward(g2); // its graph, not reached by the first backward, kept for its own (PyTorch's too)
  await s.check('a second backward(g) from a graph the first did not reach adds its gradient', b.grad!, [2 + 2 + 2 + 3, 16 + 40 + 20 + 30, 54 + 600 + 200 + 300], 0, 0);
  s.expectError('the same out.backward(g) twice', () => o1.backward(g2), /^backward: the graph of 'mul' was already used by a backward\(\) and freed/);
  s.expectError('options first', () => o1.backward({ retainGraph: true } as never), /argument 'gradient' expected a Tensor .*: options go second, backward\(null, \{"retainGraph":true\}\)/);
  const again = s.own(F.mul(a, 3));
  s.expectError('non-scalar without a gradient', () => again.backward(), /^backward: grad can be implicitly created only for a scalar output, '.*' has shape \[5\]: give the gradient of the output, a tensor of its shape \(out\.backward\(g\), as PyTorch's\)/);
  s.expectError('a gradient of another shape', () => again.backward(s.input([1, 2], [2])), /Mismatch in shape: grad_output has a shape of \[2\] and output has a shape of \[5\]/);
  s.expectError('a number as the gradient', () => again.backward(2 as never), /argument 'gradient' expected a Tensor of shape \[5\] \(or nothing, for a scalar\), got the number 2 \(Tensor\.fromArray\(gpu, \[2\]\) makes one\)/);
  s.expectError('retain_graph', () => again.backward(s.input(g, [5]), { retain_graph: true }), /retainGraph=true is not supported: a backward frees the graph it used\. Sum the losses and call backward\(\) once/);
  s.expectError('create_graph', () => again.backward(null, { createGraph: true } as never), /createGraph is not supported/);
  s.expectError('an unknown option', () => again.backward(null, { retain: true } as never), /unknown option 'retain'/);
  // Two losses' graphs, the second not reached by the first's backward: kept for its own, as PyTorch keeps it.
  a.grad = null;
  const l1 = s.own(F.sum(s.own(F.mul(a, 2))));
  const l2 = s.own(F.sum(s.own(F.mul(a, 5))));
  l1.backward();
  l2.backward();
  await s.check('a second loss\'s own graph, through the first\'s backward: the gradients add', a.grad!, new Array(5).fill(7), 0, 0);
  s.expectError('the same loss twice', () => l1.backward(), /^backward: the graph of 'sum' was already used by a backward\(\) and freed \(PyTorch: "Trying to backward through the graph a second time"\)/);
  // A second loss built on what the first's backward went through: freed by it, as PyTorch's without retain_graph.
  const shared = s.own(F.mul(a, 2));
  const [m1, m2] = [s.own(F.sum(shared)), s.own(F.sum(s.own(F.mul(shared, 3))))];
  m1.backward();
  s.expectError('a loss built on the first\'s graph', () => m2.backward(), /^backward: the graph of 'sum' was freed by the backward\(\) of 'sum', which went through operations it was built on \(PyTorch frees them too, unless retain_graph=True\)\. Sum the losses and call backward\(\) once \(F\.add\(l1, l2\)\.backward\(\): the same gradients\)$/);
  // A graph no backward reaches is kept through UNREACHED_GRAPH_BACKWARDS of them, then freed.
  const late = s.own(F.sum(s.own(F.mul(a, 4))));
  for (let i = 0; i <= UNREACHED_GRAPH_BACKWARDS; i++) s.own(F.sum(s.own(F.mul(a, 1)))).backward();
  s.expectError('a graph past the backwards it is kept through', () => late.backward(), new RegExp(`^backward: the graph of 'sum' was freed after ${UNREACHED_GRAPH_BACKWARDS} backward\\(\\) calls that did not reach it \\(UNREACHED_GRAPH_BACKWARDS: a graph is kept through that many, then its module buffers are reused\\); run forward again$`));
});

add('p.grad = null (PyTorch\'s p.grad = None) keeps training; p.grad = g copies g; a plain tensor\'s dropped gradient is freed', async (s, random) => {
  const gpu = s.gpu;
  const lin = new nn.Linear(3, 2, { gpu });
  const x = s.input(uniform(random, 6), [2, 3]);
  const opt = new optim.SGD(lin.parameters(), { lr: 0.1 });
  const step = () => tidy(() => {
    F.sum(lin.forward(x)).backward();
    opt.step();
  });
  step();
  for (const p of lin.parameters()) p.grad = null;
  const before = Array.from(await lin.weight.read());
  step(); // the backward starts from zero (not the first step's gradient), and the step takes it
  const after = Array.from(await lin.weight.read());
  const xs = Array.from(await x.read());
  // d Σ(xWᵀ + b) / dW[o, i] = Σ_n x[n, i]: the same for both output rows.
  const expected = before.map((w, k) => w - 0.1 * (xs[k % 3]! + xs[3 + (k % 3)]!));
  s.expect('after p.grad = null, the next step moves the weight by its own gradient', after.every((w, k) => Math.abs(w - expected[k]!) <= 1e-6), `${after} vs ${expected}`);
  lin.bias!.grad = null;
  const bias = Array.from(await lin.bias!.read());
  opt.step(); // no backward since: a step skips a parameter without a gradient, as PyTorch's
  s.expect('a step skips it until the next backward', (await lin.bias!.read()).every((v, i) => v === bias[i]), '');
  lin.bias!.grad = s.input([1, 2], [2], 'f32', 'g');
  await s.check('p.grad = g copies g', lin.bias!.grad!, [1, 2], 0, 0);
  s.expectError('p.grad of another shape', () => (lin.bias!.grad = s.input([1, 2, 3], [3])), /parameter 'Linear\.bias' \[2\]: its grad can be set to null or to an f32 tensor of its shape, got f32 \[3\]/);
  // The tensors-and-autograd example: w.requiresGrad, w.grad = None after each update.
  const w = s.input(uniform(random, 4), [4], 'f32', 'w');
  w.requiresGrad = true;
  const live: number[] = [];
  for (let i = 0; i < 4; i++) {
    tidy(() => F.sum(F.mul(w, w)).backward());
    w.grad = null;
    gpu.flush();
    live.push(gpu.stats.liveBuffers);
  }
  s.expect('w.grad = null each step frees its gradient', live.every((n) => n === live[0]), live.join(' → '));
});

add('what a tutorial port tries first: noGrad(async), destroy() of a module\'s output, nested arrays, a module of your own without gpu or describe()', async (s, random) => {
  const gpu = s.gpu;
  const lin = new nn.Linear(2, 2, { gpu });
  const x = s.input(uniform(random, 4), [2, 2]);
  let message = '';
  try {
    noGrad(async () => {
      await Promise.resolve();
    });
  } catch (error) {
    message = (error as Error).message;
  }
  s.expect('noGrad(async fn) is an Error', /^noGrad: fn is an async function; it must be synchronous: recording comes back on at its first await/.test(message), message);
  const read = await noGrad(() => lin.forward(x).read()); // a plain fn returning a read's Promise records nothing after
  s.expect('noGrad(() => y.read()) is fine', read.length === 4, String(read.length));
  const y = lin.forward(x);
  s.expectError('destroy() of a module\'s output', () => y.destroy(), /^tensor 'Linear\.out_none' \[2, 2\] is Linear\(in_features=2, out_features=2, bias=True\)'s output buffer, which it reuses at its next forward: it is freed with the module \(destroy\(\) the module\); keep a copy of your own with clone\(\)/);
  s.expect('the module still works', lin.forward(x).shape.join() === '2,2', '');
  // outs.append(model(x).detach()) under no_grad: the module's next forward reuses the memory a kept view shows.
  const kept = noGrad(() => lin.forward(x)).detach();
  const flat = F.reshape(noGrad(() => lin.forward(x)), [-1]);
  noGrad(() => lin.forward(x));
  s.expectError('a detach() of an output the next forward overwrote', () => F.add(kept, kept), /^tensor 'Linear\.out_none' \[2, 2\] is a view \(detach\(\), view, reshape\) of 'Linear\.out_none', which was overwritten by a later forward of Linear/);
  s.expectError('a view of one', () => F.add(flat, flat), /is a view \(detach\(\), view, reshape\) of 'Linear\.out_none', which was overwritten/);
  const current = F.reshape(noGrad(() => lin.forward(x)), [-1]);
  s.expectError('destroy() of a view of a module\'s output', () => current.destroy(), /is a view \(view, reshape, flatten\) of 'Linear\.out_none', Linear\(in_features=2, out_features=2, bias=True\)'s output buffer, which it reuses at its next forward/);
  s.expect('the module still works after', lin.forward(x).shape.join() === '2,2', '');
  s.expectError('a nested array', () => Tensor.fromArray(gpu, [[1, 2], [3, 4]] as never), /^write 'tensor': element 0 is an array \(\[1,2\]\): give the values flat, with the shape \(Tensor\.fromArray\(gpu, \[1, 2, 3, 4\], \[2, 2\]\)\)/);
  s.expectError('a string', () => Tensor.fromArray(gpu, [1, '2'] as never), /^write 'tensor': element 1 is string "2", not a number/);
  s.expectError('a nested array with its shape', () => Tensor.fromArray(gpu, [[1, 2], [3, 4]] as never, [2, 2]), /^write 'tensor': element 0 is an array \(\[1,2\]\): give the values flat/);
  s.expectError('a BigInt', () => Tensor.fromArray(gpu, [1, 2n] as never), /^write 'tensor': element 1 is bigint 2, not a number/);
  const own = Parameter.from({ gpu, values: [1, 2], shape: [2] }, 'mine');
  own.destroy();
  s.expectError('a destroyed Parameter.from', () => F.mul(own, own), /^tensor 'mine' \[2\] was freed by destroy\(\) of parameter 'mine'/);
  class Net extends nn.Module {
    readonly fc1 = new nn.Linear(2, 3, { gpu });
    readonly body = new nn.Sequential(new nn.ReLU({ gpu }), new nn.Linear(3, 1, { gpu }));
    forward(t: Tensor): Tensor {
      return this.body.forward(this.fc1.forward(t));
    }
  }
  const seq = new nn.Sequential(new nn.Linear(2, 3, { gpu }), new nn.ReLU({ gpu }));
  s.expect('model[0], model.at(-1), length and for…of as PyTorch\'s indexing and iteration', seq[0] === seq.layers[0] && seq.at(-1) === seq.layers[1] && seq.length === 2 && [...seq].length === 2 && seq.namedChildren().length === 2 && seq.parameters().length === 2, `${String(seq[0])} ${seq.length}`);
  const list = new nn.ModuleList<nn.Module>([new nn.Linear(2, 2, { gpu })]).append(new nn.Tanh({ gpu }));
  s.expect('ModuleList[1]', list[1] === list.at(1) && list.namedChildren().length === 2, '');
  s.expectError('an index past the end', () => seq.at(2), /^Sequential\.at: index 2 is out of range for 2 layers$/);
  seq.destroy();
  list.destroy();
  // "What is torch.nn really?": Sequential(Lambda(preprocess), Conv2d, …): a module of your own that changes the shape.
  class Lambda extends nn.Module {
    constructor(readonly func: (t: Tensor) => Tensor) {
      super();
    }
    forward(t: Tensor): Tensor {
      return this.func(t);
    }
  }
  const cnn = new nn.Sequential(new Lambda((t) => F.reshape(t, [-1, 1, 4, 4])), new nn.Conv2d(1, 2, 3, { gpu }), new nn.ReLU({ gpu }));
  s.expect('a Lambda that reshapes, before a Conv2d', cnn.forward(s.input(uniform(random, 32), [2, 16])).shape.join() === '2,2,2,2', '');
  s.expectError('a wrong shape past it: named by the layer and what it was given', () => cnn.forward(s.input(uniform(random, 18), [2, 9])), /reshape/);
  const late = new nn.Sequential(new Lambda((t) => t), new nn.Linear(3, 2, { gpu }));
  s.expectError('a layer past it refusing what it was given', () => late.forward(s.input(uniform(random, 8), [2, 4])), /^Sequential layer \(1\), given \[2, 4\]: Linear\(in_features=3, out_features=2, bias=True\): input expected shape \[\*, 3\]/);
  s.expect('`${model}` prints as PyTorch', `${late}` === late.describe() && late.describe().startsWith('Sequential(\n  (0): Lambda()'), `${late}`);
  cnn.destroy();
  late.destroy();
  const net = new Net(); // super() without a gpu: the first requestGpu()'s, as the built-in modules
  s.expect('on the current device', net.gpu === gpu, '');
  const printed = 'Net(\n  (fc1): Linear(in_features=2, out_features=3, bias=True)\n  (body): Sequential(\n    (0): ReLU()\n    (1): Linear(in_features=3, out_features=1, bias=True)\n  )\n)';
  s.expect('printed as PyTorch prints it', net.describe() === printed, net.describe());
  net.destroy();
  lin.destroy();
});

add('toSafetensors / fromSafetensors: a model saved and loaded as torch.save and load_state_dict, I64 counters included; a corrupt file named', async (s, random) => {
  const gpu = s.gpu;
  const make = () => new nn.Sequential(new nn.Linear(3, 4, { gpu }), new nn.BatchNorm1d(4, { gpu }), new nn.Linear(4, 2, { gpu }));
  const a = make();
  const x = s.input(uniform(random, 15), [5, 3]);
  a.forward(x); // running statistics and num_batches_tracked move
  a.eval();
  const bytes = toSafetensors(await a.stateDict(), { note: 'test' });
  const b = make();
  b.loadStateDict(fromSafetensors(bytes, 'net.safetensors'));
  b.eval();
  await s.check('the loaded model computes the same', b.forward(x), Array.from(await a.forward(x).read()), 0, 0);
  const counter = fromSafetensors(bytes).get('1.num_batches_tracked');
  s.expect('num_batches_tracked kept as I64', counter?.dtype === 'I64' && counter.values[0] === 1, JSON.stringify(counter));
  s.expectError('a truncated file', () => fromSafetensors(bytes.subarray(0, bytes.length - 4), 'net.safetensors'), /^net\.safetensors: not a valid safetensors file: .*truncated/);
  s.expectError('not bytes', () => fromSafetensors('net.safetensors' as never), /^fromSafetensors: expected the file's bytes \(a Uint8Array: fs\.readFileSync\(path\)/);
  a.destroy();
  b.destroy();
});

add('a training loop that never frees its F ops\' outputs is warned of once, naming them; one in tidy() is not', async (s, random) => {
  const gpu = s.gpu;
  const w = s.input(uniform(random, 8), [8], 'f32', 'w');
  w.requiresGrad = true;
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.join(' '));
  const kept: Tensor[] = [];
  try {
    resetLeakWatch();
    for (let i = 0; i < LEAK_WARNING_STEPS + 5; i++) {
      const y = F.mul(w, w); // the blitz's forward, without tidy: y and the loss stay alive
      const loss = F.sum(y);
      loss.backward();
      kept.push(y, loss);
    }
    s.expect('one warning after LEAK_WARNING_STEPS growing steps', warnings.length === 1 && /^wgslgrad: \d+ tensors made by ops \(F, tensor methods, creation\) are alive \([\d.]+ MiB with their gradients; most: ('mul' ×\d+, 'sum' ×\d+|'sum' ×\d+, 'mul' ×\d+).*\), having grown at 64 backward\(\) calls or noGrad\(\) runs without coming back down: .* Wrap each step in tidy.* \(an async closure for L-BFGS, a print of await loss\.item\(\)\) in tidyScope\(\)/.test(warnings[0] ?? ''), warnings.join('\n'));
    kept.forEach((t) => t.destroy());
    resetLeakWatch();
    for (let i = 0; i < LEAK_WARNING_STEPS + 5; i++) tidy(() => F.sum(F.mul(w, w)).backward());
    s.expect('none for a loop in tidy()', warnings.length === 1, warnings.join('\n'));
    // A step that destroys the view it made (X = tensor(…).view(…); … X.destroy()) frees the memory under
    // both: the tensor viewed is not counted as alive (it was, 'tensor' ×65 in a helper's MNIST loop).
    resetLeakWatch();
    for (let i = 0; i < LEAK_WARNING_STEPS + 5; i++) {
      const X = F.reshape(F.mul(w, 2), [2, 4]);
      tidy(() => F.sum(F.mul(X, X)).backward());
      X.destroy();
    }
    s.expect('none for a loop that destroys its views', warnings.length === 1, warnings.join('\n'));
    // A leak whose count dips now and then (the short last batch of an epoch, whose smaller
    // intermediates a module keeps; here three old tensors freed every eighth step): the climb counts
    // from where it began, so it is still named (a count that had to rise at every backward never was).
    resetLeakWatch();
    const leaked: Tensor[] = [];
    for (let i = 0; i < 2 * LEAK_WARNING_STEPS; i++) {
      const y = F.mul(w, w);
      const loss = F.sum(y);
      loss.backward();
      leaked.push(y, loss);
      if (i % 8 === 7) leaked.splice(0, 3).forEach((t) => t.destroy());
    }
    s.expect('one warning for a leak with dips', warnings.length === 2 && /having grown at 64 backward\(\) calls or noGrad\(\) runs without coming back down/.test(warnings[1] ?? ''), warnings.slice(1).join('\n'));
    leaked.forEach((t) => t.destroy());
    // A module's own outputs (a GRU's, kept in bounds by it) are not counted; clone() is a method's output, counted.
    resetLeakWatch();
    const gru = new nn.GRU(2, 3, { gpu });
    const seq = s.input(uniform(random, 8), [4, 1, 2]);
    const copies: Tensor[] = [];
    for (let i = 0; i < LEAK_WARNING_STEPS + 5; i++) {
      tidy(() => F.sum(gru.forward(seq)[0]).backward());
      copies.push(w.clone('w copy'));
    }
    s.expect('a clone() kept each step is named; the GRU\'s outputs are not', warnings.length === 3 && /most: 'w copy' ×\d+/.test(warnings[2] ?? '') && !/GRU|'linear'|'sigmoid'|'tanh'/.test(warnings[2] ?? ''), warnings.slice(2).join('\n'));
    copies.forEach((t) => t.destroy());
    let inner: Tensor | null = null;
    const returned = tidy(() => {
      inner = w.clone();
      return w.clone('kept');
    });
    s.expectError('a clone() made in a tidy() is freed at its end', () => F.sum(inner!), /was destroyed \(tensor\.destroy\(\), or the end of the tidy\(\) it was made in\)/);
    await s.check('the clone a tidy() returns is kept', returned, await f64(w), 0, 0);
    returned.destroy();
    // keep() (TensorFlow.js's tf.keep): a clone stored from inside a step's tidy(), as a port keeps its first gradients.
    let stored: Tensor | null = null;
    tidy(() => {
      stored = keep(w.clone('first gradient'));
      return null;
    });
    await s.check('keep(x.clone()) outlives its tidy()', stored!, await f64(w), 0, 0);
    (stored as Tensor | null)?.destroy();
    s.expectError('keep of a number', () => keep(3 as never), /^keep: expected Tensors, got 3/);
    // keep() holds what a returned tensor holds: the memory under a view (a forward ending in
    // squeeze(2), kept past its tidy by a port), and the companions its backward reads (F.add's
    // spread copy), as tidy() does for what it returns.
    const spread = s.input([1, 2, 3, 4, 5, 6, 7, 8], [2, 1, 4], 'f32', 'spread');
    spread.requiresGrad = true;
    let view: Tensor | null = null;
    let sum: Tensor | null = null;
    tidy(() => {
      view = keep(F.reshape(F.exp(w), [w.size]));
      sum = keep(F.add(spread, s.input(new Float32Array(24).fill(1), [2, 3, 4], 'f32', 'full')));
      return null;
    });
    const wValues = await w.read();
    await s.check('keep() of a view: its memory outlives the tidy()', view!, Array.from(wValues, (v) => Math.exp(v)), 1e-6, 1e-6);
    const total = F.sum(sum!);
    total.backward();
    total.destroy();
    await s.check("keep() of F.add with a spread operand: its backward reads the kept copy", spread.grad!, new Float32Array(8).fill(3), 0, 0);
    (view as Tensor | null)?.destroy();
    (sum as Tensor | null)?.destroy();
    // Forwards with grad on and no backward, past the outputs one graph may hold: named once.
    resetLeakWatch();
    const tiny = new nn.Linear(2, 2, { gpu });
    const row = s.input([1, 2], [1, 2]);
    for (let i = 0; i < nn.MAX_CALLS_PER_GRAPH + 3; i++) tiny.forward(row);
    s.expect('one warning for forwards that never reach backward()', warnings.length === 4 && /^wgslgrad: Linear\(in_features=2, out_features=2, bias=True\) was called 1025 times with grad on and no backward\(\), holding each call's outputs for one graph \(0\.0 MiB\), past nn\.callBufferLimits; the graph was cut .* Run forwards that need no gradient \(an evaluation\) in noGrad\(\(\) => …\); for one backward through that many calls \(a long unrolled sequence\), raise nn\.callBufferLimits\.maxBytes \(or maxCalls\) first/.test(warnings[3] ?? ''), warnings.slice(3).join('\n'));
    // An evaluation's or a sampler's loop (noGrad, never a backward) keeping what each run made: named
    // at the end of the noGrad() runs, as a training loop's at its backward() calls (a port's VAE
    // sampling loop held 115 MiB after 100 runs, unwarned); one that frees each run's output, not.
    resetLeakWatch();
    const sampled: Tensor[] = [];
    for (let i = 0; i < LEAK_WARNING_STEPS + 5; i++) {
      noGrad(() => {
        const logits = F.mul(w, 3);
        sampled.push(logits, F.sigmoid(logits));
      });
    }
    s.expect('one warning for noGrad() runs that keep what they made', warnings.length === 5 && /most: ('mul' ×\d+, 'sigmoid' ×\d+|'sigmoid' ×\d+, 'mul' ×\d+).*having grown at 64 backward\(\) calls or noGrad\(\) runs without coming back down/.test(warnings[4] ?? ''), warnings.slice(4).join('\n'));
    sampled.forEach((t) => t.destroy());
    resetLeakWatch();
    for (let i = 0; i < LEAK_WARNING_STEPS + 5; i++) noGrad(() => F.sigmoid(w)).destroy();
    s.expect('none for runs whose output is freed after', warnings.length === 5, warnings.slice(5).join('\n'));
    // Epochs of 20 leaking training steps, each followed by 70 evaluation runs that leave nothing: the
    // runs must not reset the climb (a reviewer's loop went unwarned while they counted as flat steps).
    resetLeakWatch();
    const perStep: Tensor[] = [];
    for (let epoch = 0; epoch < 4 && warnings.length === 5; epoch++) {
      for (let i = 0; i < 20; i++) {
        const y = F.mul(w, w);
        F.sum(y).backward();
        perStep.push(y);
      }
      for (let i = 0; i < 70; i++) noGrad(() => F.sigmoid(w)).destroy();
    }
    s.expect('a leak between evaluations named', warnings.length === 6 && /most: 'mul' ×\d+/.test(warnings[5] ?? ''), warnings.slice(5).join('\n'));
    perStep.forEach((t) => t.destroy());
    // L-BFGS keeps F ops' outputs as its history on purpose: a closure in tidy() over 100 evaluations warns of nothing.
    resetLeakWatch();
    const q = Parameter.from({ gpu, values: [-1.2, 1], shape: [2] }, 'q');
    const lbfgs = new optim.LBFGS([q], { maxIter: 25, historySize: 100 });
    for (let i = 0; i < 5; i++) {
      await lbfgs.step(() => {
        lbfgs.zeroGrad();
        const [x0, x1] = [F.select(q, 0, 0), F.select(q, 0, 1)];
        const loss = F.add(F.pow(F.sub(1, x0), 2), F.mul(F.pow(F.sub(x1, F.mul(x0, x0)), 2), 100)); // Rosenbrock
        loss.backward();
        return loss;
      });
    }
    s.expect('none for L-BFGS\'s history', warnings.length === 6 && lbfgs.funcEvals > LEAK_WARNING_STEPS, `${lbfgs.funcEvals} evaluations; ${warnings.slice(6).join('\n')}`);
    lbfgs.destroy();
    q.destroy();
  } finally {
    console.warn = warn;
    resetLeakWatch();
  }
});

// A student's normalisation constants: the mean and std of every pixel. One float32 loop over
// millions of values loses digits as its total grows (the MNIST mean of 7.84M pixels came out 2.4e-3
// off); F's long reductions sum chunks of 64, then those sums the same way (reduce.wgsl's header),
// within 4e-6 of float64 here where a single loop misses by 3e-5 or more (values near 0.1, whose
// roundings all lean one way).
add('long reductions (F.sum, F.mean, F.std over everything, a leading dim, a middle and outer pair) within 4e-6 of float64: summed in chunks of 64, level by level', async (s, random) => {
  const n = 300_007;
  const flat = uniform(random, n, 0.1, 0.11);
  const x = s.input(flat, [n], 'f32', 'x');
  const exact = flat.reduce((a, v) => a + v, 0);
  await s.check('F.sum(x)', s.own(F.sum(x)), [exact], 0, 4e-6);
  await s.check('F.mean(x)', s.own(F.mean(x)), [exact / n], 0, 4e-6);
  const mean = exact / n;
  const std = Math.sqrt(flat.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1));
  await s.check('F.std(x)', s.own(F.std(x)), [std], 0, 4e-6);
  const [rows, cols] = [100_003, 3];
  const m = uniform(random, rows * cols, 0.1, 0.11);
  const columns = [0, 1, 2].map((c) => { let t = 0; for (let r = 0; r < rows; r++) t += m[r * cols + c]!; return t; });
  const x2 = s.input(m, [rows, cols], 'f32', 'x2');
  await s.check('F.sum(x2, 0)', s.own(F.sum(x2, 0)), columns, 0, 4e-6);
  await s.check('F.mean(x2, 0)', s.own(F.mean(x2, 0)), columns.map((t) => t / rows), 0, 4e-6);
  // [3000, 3, 101] over dims 0 and 2: 303,000 terms each, strided in memory (a broadcast's sum, long: gather_sum's chunks).
  const [a, b, c] = [3000, 3, 101];
  const cube = uniform(random, a * b * c, 0.1, 0.11);
  const middles = [0, 1, 2].map((j) => { let t = 0; for (let i = 0; i < a; i++) for (let k = 0; k < c; k++) t += cube[(i * b + j) * c + k]!; return t; });
  await s.check('F.sum(x3, [0, 2])', s.own(F.sum(s.input(cube, [a, b, c], 'f32', 'x3'), [0, 2])), middles, 0, 4e-6);
  // The gradient of a broadcast scale and divisor: Σ over every row of dy · x (a helper measured
  // 2.7e-4 and 1.25e-3 off with one loop), here dy = 1.
  const scale = s.input([1.5, 0.5, 2], [3], 'f32', 'scale');
  const divisor = s.input([2], [1], 'f32', 'divisor');
  scale.requiresGrad = divisor.requiresGrad = true;
  tidy(() => F.sum(F.div(F.mul(x2, scale), divisor)).backward());
  await s.check('d scale: Σ x2[:, j] / divisor', scale.grad!, columns.map((t) => t / 2), 0, 4e-6);
  const weighted = columns.reduce((p, t, j) => p + t * [1.5, 0.5, 2][j]!, 0);
  await s.check('d divisor: −Σ x2 · scale / divisor²', divisor.grad!, [-weighted / 4], 0, 4e-6);
});

add('an op refused for a destroyed input or a bad dim leaves no output behind (the error before the output is made)', async (s) => {
  const gpu = s.gpu;
  const a = s.input([1, 2, 3, 4, 5, 6], [3, 2], 'f32', 'a');
  const gone = Tensor.fromArray(gpu, [1, 2], [2], 'f32', 'gone');
  gone.destroy();
  gpu.flush();
  const live = gpu.stats.liveBuffers;
  s.expectError('add of a destroyed tensor', () => F.add(gone, 1), /^add: 'gone' was destroyed/);
  s.expectError('a destroyed operand', () => F.mul(a, gone), /^mul: 'gone' was destroyed/);
  s.expectError('relu of a destroyed tensor', () => F.relu(gone), /'gone' was destroyed/);
  s.expectError('cat with a destroyed tensor', () => F.cat([gone, gone]), /^cat: 'gone' was destroyed/);
  s.expectError('softmax without dim', () => (F.softmax as (x: Tensor) => Tensor)(a), /^softmax: argument 'dim' expected an integer in \[-2, 1\]/);
  s.expect('no buffer left behind', gpu.stats.liveBuffers === live, `${live} → ${gpu.stats.liveBuffers}`);
  // A stale input (a module's output its next forward overwrote) is found as the dispatch's arguments
  // are checked: the output made for it is freed there too.
  const linear = new nn.Linear(2, 2, { gpu });
  const first = noGrad(() => linear.forward(a));
  noGrad(() => linear.forward(a));
  gpu.flush();
  const before = gpu.stats.liveBuffers;
  for (let i = 0; i < 3; i++) s.expectError('relu of a stale output', () => F.relu(first), /was overwritten by a later forward of Linear/);
  s.expect('no buffer left behind by the stale input either', gpu.stats.liveBuffers === before, `${before} → ${gpu.stats.liveBuffers}`);
  linear.destroy();
});

add('F.to (x.float(), x.int()) and comparisons of integer tensors: the CIFAR tutorial\'s (predicted == labels).sum()', async (s, random) => {
  const gpu = s.gpu;
  const logits = s.input(uniform(random, 6 * 4), [6, 4], 'f32', 'logits');
  const labels = s.input(integers(random, 6, 4), [6], 'u32', 'labels');
  const predicted = s.own(F.max(logits, 1).indices); // i32, as torch.max's
  const correct = s.own(F.sum(s.own(F.eq(predicted, labels))));
  const [l, p] = [await logits.read(), await labels.read()];
  const expected = [...Array(6).keys()].filter((r) => [0, 1, 2, 3].reduce((b, c) => (l[r * 4 + c]! > l[r * 4 + b]! ? c : b), 0) === p[r]).length;
  await s.check('(predicted == labels).sum()', correct, [expected], 0, 0);
  const asFloat = s.own(F.to(predicted, 'f32'));
  await s.check('indices.float()', asFloat, Array.from(await predicted.read()), 0, 0);
  const truncated = s.own(F.to(s.input([2.7, -2.7, NaN, 3e9], [4]), 'i32'));
  await s.check('x.int(): toward zero, NaN 0, clamped', truncated, [2, -2, 0, 2147483520], 0, 0);
  s.expect('the same dtype is x itself, as PyTorch\'s', F.to(logits, 'f32') === logits, '');
  await s.check('i32 → u32 keeps the bits (wraps, as PyTorch\'s integer casts)', s.own(F.to(s.input([-1, 3], [2], 'i32'), 'u32')), [4294967295, 3], 0, 0);
  s.expectError('a dtype PyTorch would spell', () => F.to(logits, 'float64' as never), /^to: argument 'dtype' expected 'f32', 'i32' or 'u32' \(PyTorch's float32, int32; int64 indices are i32 here\), got 'float64'/);
  const live = gpu.stats.liveBuffers;
  s.own(F.eq(predicted, labels)).destroy();
  s.expect('a comparison frees its converted copies', gpu.stats.liveBuffers === live, `${live} → ${gpu.stats.liveBuffers}`);
});

add('integer tensors (labels, indices) through narrow, select, slice, split, chunk, unbind, cat, stack (exactly, as two 16-bit halves) and sum, and u32 labels as gather\'s index: the nn tutorial\'s nll, -input[range(n), target].mean()', async (s, random) => {
  const gpu = s.gpu;
  const labels = s.input([3, 0, 2, 1, 3], [5], 'u32', 'labels');
  const ints = s.input([-4, 7, 0, 16777215], [2, 2], 'i32', 'ints');
  const check = async (label: string, t: Tensor, dtype: string, values: number[]) => {
    s.expect(`${label}: dtype ${dtype}`, t.dtype === dtype, t.dtype);
    await s.check(label, s.own(t), values, 0, 0);
  };
  await check('labels.narrow(0, 1, 3)', F.narrow(labels, 0, 1, 3), 'u32', [0, 2, 1]);
  await check('ints.select(1, 1)', F.select(ints, 1, 1), 'i32', [7, 16777215]);
  await check('cat of u32', F.cat([labels, labels]), 'u32', [3, 0, 2, 1, 3, 3, 0, 2, 1, 3]);
  await check('stack of i32', F.stack([ints, ints]), 'i32', [-4, 7, 0, 16777215, -4, 7, 0, 16777215]);
  await check('labels.sum()', F.sum(labels), 'u32', [9]);
  await check('ints.sum(0)', F.sum(ints, 0), 'i32', [-4, 16777222]);
  // Past 2^24 the moves are still exact (float32 would round 16777217 and 4294967295).
  const large = s.input([16777217, 4294967295, 2147483649, 123456789], [2, 2], 'u32', 'large');
  const largeInts = s.input([-2147483648, 2147483647, -16777217, 0x7654321], [4], 'i32', 'large ints');
  await check('large u32 narrow', F.narrow(large, 1, 1, 1), 'u32', [4294967295, 123456789]);
  await check('large u32 select', F.select(large, 0, 0), 'u32', [16777217, 4294967295]);
  await check('large i32 cat', F.cat([largeInts, largeInts.reshapeView([4])]), 'i32', [-2147483648, 2147483647, -16777217, 0x7654321, -2147483648, 2147483647, -16777217, 0x7654321]);
  await check('large i32 stack', F.stack([largeInts, largeInts], 1), 'i32', [-2147483648, -2147483648, 2147483647, 2147483647, -16777217, -16777217, 0x7654321, 0x7654321]);
  await check('large u32 slice [:, 1:]', F.slice(large, 1, 1), 'u32', [4294967295, 123456789]);
  await check('large i32 slice with a step', F.slice(largeInts, 0, 0, null, 2), 'i32', [-2147483648, -16777217]);
  const pieces = F.split(largeInts, [1, 3]);
  s.expect('split of i32: i32 pieces', pieces.every((p) => p.dtype === 'i32'), pieces.map((p) => p.dtype).join());
  await check('large i32 split, second piece', pieces[1]!, 'i32', [2147483647, -16777217, 0x7654321]);
  pieces[0]!.destroy();
  const halves = F.chunk(large, 2, 0);
  halves[0]!.destroy();
  await check('large u32 chunk', halves[1]!, 'u32', [2147483649, 123456789]);
  const rows = F.unbind(large, 0);
  await check('large u32 unbind, row 1', rows[1]!, 'u32', [2147483649, 123456789]);
  rows[0]!.destroy();
  // Their argument errors come before any dispatch (expectError checks that too), as for f32 tensors.
  s.expectError('an integer narrow\'s dim', () => F.narrow(large, 2, 0, 1), /^narrow: argument 'dim' /);
  s.expectError('an integer select\'s index', () => F.select(large, 0, 2), /^select: index 2 out of range for tensor of size \[2, 2\] at dimension 0/);
  s.expectError('an integer cat\'s shapes', () => F.cat([largeInts.reshapeView([2, 2]), F.unsqueeze(largeInts, 0)]), /^cat: sizes of tensors must match except in dimension 0/);
  s.expectError('an integer sum\'s dim', () => F.sum(large, 2), /^sum: argument 'dim' /);
  s.expectError('a mix of dtypes', () => F.cat([labels, ints.reshapeView([4])]), /^cat: tensors\[1\] is i32, tensors\[0\] u32: give them one dtype \(F\.to\)/);
  // nll by hand: -input[range(n), target].mean() = -input.gather(1, target.unsqueeze(1)).mean()
  const logp = s.input(uniform(random, 20, -3, 0), [5, 4], 'f32', 'log-probabilities');
  logp.requiresGrad = true;
  const values = await logp.read();
  const nll = () => {
    // Without tidy(): the u32 index's i32 copy must go with the gather's output.
    const picked = F.gather(logp, 1, F.unsqueeze(labels, 1));
    const mean = F.mean(picked);
    const l = F.mul(mean, -1);
    l.backward();
    picked.destroy();
    mean.destroy();
    return l;
  };
  nll().destroy(); // the first makes the scratch buffers kept for the device's life
  logp.grad = null;
  gpu.flush();
  const live = gpu.stats.liveBuffers;
  const loss = nll();
  const expected = -[3, 0, 2, 1, 3].reduce((a, c, r) => a + values[r * 4 + c]!, 0) / 5;
  await s.check('-input[range(n), target].mean()', loss, [expected], 1e-6, 1e-6);
  await s.check('its gradient: -1/n at each target', logp.grad!, Array.from({ length: 20 }, (_, i) => ([3, 0, 2, 1, 3][Math.floor(i / 4)] === i % 4 ? -0.2 : 0)), 1e-7, 0);
  loss.destroy();
  logp.grad = null;
  gpu.flush();
  s.expect('nothing left behind', gpu.stats.liveBuffers === live, `${live} → ${gpu.stats.liveBuffers}`);
});

// ── state dicts ───────────────────────────────────────────────────────────────────────────────────

add('stateDict / loadStateDict: PyTorch names, shape checks, no partial load', async (s, random) => {
  const gpu = s.gpu;
  const make = () => new nn.Sequential(new nn.Linear(3, 4, { gpu }), new nn.BatchNorm1d(4, { gpu }), new nn.Linear(4, 2, { gpu }));
  const a = make();
  a.forward(s.input(uniform(random, 15), [5, 3])); // moves running stats
  const dict = await a.stateDict();
  const names = [...dict.keys()].join(',');
  // PyTorch's order: module by module, each one's parameters, then its buffers.
  s.expect('names', names === '0.weight,0.bias,1.weight,1.bias,1.running_mean,1.running_var,1.num_batches_tracked,2.weight,2.bias', names);
  const b = make();
  const bBefore = await b.stateDict();
  b.loadStateDict(dict);
  for (const [name, entry] of await b.stateDict()) s.expect(`loaded ${name}`, entry.values.every((v, i) => v === dict.get(name)!.values[i]), name);
  const c = make();
  const cBefore = await c.stateDict();
  const missing = new Map(dict);
  missing.delete('2.bias');
  s.expectError('missing key', () => c.loadStateDict(missing), /nothing was loaded:\n\s+missing key '2.bias'/);
  const extra = new Map(dict).set('3.weight', { shape: [1], dtype: 'F32', values: Float32Array.of(1) });
  s.expectError('unexpected key', () => c.loadStateDict(extra), /unexpected key '3.weight'/);
  const misshaped = new Map(dict).set('0.weight', { shape: [3, 4], dtype: 'F32', values: new Float32Array(12) });
  s.expectError('mis-shaped entry', () => c.loadStateDict(misshaped), /'0.weight' has shape \[3, 4\], the model expects \[4, 3\]/);
  const nan = new Map(dict).set('2.bias', { shape: [2], dtype: 'F32', values: Float32Array.of(NaN, 1) });
  s.expectError('NaN entry', () => c.loadStateDict(nan), /'2.bias' holds NaN or infinite values \(a diverged model: \{ allowNonFinite: true \} loads it anyway, to look into it\)/);
  const diverged = make();
  diverged.loadStateDict(nan, { allowNonFinite: true });
  const divergedBias = (await diverged.stateDict()).get('2.bias')!.values;
  s.expect('allowNonFinite: a diverged model loads, to look into it', Number.isNaN(divergedBias[0]) && divergedBias[1] === 1, Array.from(divergedBias).join());
  const floatCounter = new Map(dict).set('1.num_batches_tracked', { shape: [], dtype: 'F32', values: Float32Array.of(2.5) });
  s.expectError('F32 counter', () => c.loadStateDict(floatCounter), /nothing was loaded:\n\s+'1.num_batches_tracked' has dtype 'F32', the model expects I64/);
  const longBias = new Map(dict).set('2.bias', { shape: [2], dtype: 'I64', values: Float32Array.of(1, 2) });
  s.expectError('I64 bias', () => c.loadStateDict(longBias), /'2.bias' has dtype 'I64', the model expects F32/);
  const halfCount = new Map(dict).set('1.num_batches_tracked', { shape: [], dtype: 'I64', values: Float32Array.of(2.5) });
  s.expectError('I64 counter of 2.5', () => c.loadStateDict(halfCount), /'1.num_batches_tracked' is I64 but holds 2.5/);
  s.expectError('strict: false still refuses a mis-shaped entry', () => c.loadStateDict(new Map(misshaped).set('3.weight', extra.get('3.weight')!), { strict: false }), /nothing was loaded:\n\s+'0.weight' has shape \[3, 4\], the model expects \[4, 3\]$/);
  s.expectError('an unknown option', () => c.loadStateDict(dict, { strict: true, assign: true } as { strict: boolean }), /loadStateDict: unknown option 'assign'/);
  s.expectError('strict not a flag', () => c.loadStateDict(dict, { strict: 0 as unknown as boolean }), /loadStateDict: option 'strict' expected true or false, got 0/);
  for (const [name, entry] of await c.stateDict()) s.expect(`untouched ${name}`, entry.values.every((v, i) => v === cBefore.get(name)!.values[i]), name);
  // strict: false (PyTorch's strict=False): the keys both have load; the others are returned.
  const partial = new Map(missing).set('3.weight', extra.get('3.weight')!);
  const { missingKeys, unexpectedKeys } = c.loadStateDict(partial, { strict: false });
  s.expect('strict: false returns the missing and unexpected keys', missingKeys.join() === '2.bias' && unexpectedKeys.join() === '3.weight', `missing ${missingKeys.join()}; unexpected ${unexpectedKeys.join()}`);
  for (const [name, entry] of await c.stateDict()) {
    const from = name === '2.bias' ? cBefore : dict;
    s.expect(`strict: false ${name === '2.bias' ? 'left' : 'loaded'} ${name}`, entry.values.every((v, i) => v === from.get(name)!.values[i]), name);
  }
  s.expect('b changed', [...bBefore.values()][0]!.values.some((v, i) => v !== dict.get('0.weight')!.values[i]), 'fresh model differs from the saved one');
  // Without num_batches_tracked (a dict from before it existed, a safetensors file): loaded as 0, as PyTorch 1.13.
  const noCounter = new Map(dict);
  noCounter.delete('1.num_batches_tracked');
  const loaded = make().loadStateDict(noCounter);
  s.expect('no num_batches_tracked: not a missing key', loaded.missingKeys.length === 0, loaded.missingKeys.join());
  const counted = make();
  counted.forward(s.input(uniform(random, 15), [5, 3]));
  counted.loadStateDict(noCounter);
  const after = await counted.stateDict();
  s.expect('no num_batches_tracked: loaded as 0', after.get('1.num_batches_tracked')!.values[0] === 0 && dict.get('1.num_batches_tracked')!.values[0] === 1, `${after.get('1.num_batches_tracked')!.values[0]}`);
  // A count handed over as a BigInt64Array (as one might read an int64 tensor): named, not taken for NaN.
  const bigint = new Map(dict);
  bigint.set('1.num_batches_tracked', { shape: [], dtype: 'I64', values: BigInt64Array.of(3n) as unknown as Float32Array });
  const target = make();
  s.expectError('values in a BigInt64Array', () => target.loadStateDict(bigint), /'1\.num_batches_tracked' holds its values in BigInt64Array, where a Float32Array is expected \(I64 entries too, as numbers\)/);
});

// ── ModuleList; modules in a plain array or object ───────────────────────────────────────────────

add('nn.ModuleList registers its modules (blocks.0.weight), trains and saves them; a plain array of modules is an Error', async (s, random) => {
  const gpu = s.gpu;
  class Net extends nn.Module {
    blocks = new nn.ModuleList([new nn.Linear(4, 4, { gpu }), new nn.Linear(4, 4, { gpu })]);
    head = new nn.Linear(4, 2, { gpu });
    override describe(): string {
      return 'Net';
    }
    forward(x: Tensor): Tensor {
      for (const block of this.blocks) x = block.forward(x); // no ReLU: it could zero every gradient of blocks.0
      return this.head.forward(x);
    }
  }
  const net = new Net(gpu);
  const names = net.namedParameters().map(([n]) => n).join(',');
  s.expect('names', names === 'blocks.0.weight,blocks.0.bias,blocks.1.weight,blocks.1.bias,head.weight,head.bias', names);
  const list = net.blocks;
  s.expect('length, at(i), at(−1), iteration', list.length === 2 && list.at(-1) === list.at(1) && [...list][0] === list.at(0), `length ${list.length}`);
  s.expectError('at out of range', () => list.at(2), /ModuleList.at: index 2 is out of range for 2 modules/);
  s.expectError('no forward', () => list.forward(), /ModuleList has no forward/);
  const before = await list.at(0).weight.read();
  const opt = new optim.SGD(net.parameters(), { lr: 0.5 });
  F.sum(net.forward(s.input(uniform(random, 12, 0.5, 1), [3, 4]))).backward();
  opt.step();
  const after = await list.at(0).weight.read();
  s.expect('the optimizer steps blocks.0.weight', after.some((v, i) => v !== before[i]), 'changed');
  const copy = new Net(gpu);
  copy.loadStateDict(await net.stateDict());
  const copied = await copy.blocks.at(0).weight.read();
  s.expect('the state dict carries blocks.0.weight', copied.every((v, i) => v === after[i]), 'compared');
  class InArray extends nn.Module {
    blocks = [new nn.Linear(4, 4, { gpu }), new nn.Linear(4, 4, { gpu })];
    override describe = () => 'InArray';
    forward = (x: Tensor) => x;
  }
  class InObject extends nn.Module {
    head = new nn.Linear(4, 2, { gpu });
    byName = { a: new nn.Linear(4, 4, { gpu }) };
    override describe = () => 'InObject';
    forward = (x: Tensor) => x;
  }
  const [inArray, inObject] = [new InArray(gpu), new InObject(gpu)];
  s.expectError('plain array', () => inArray.parameters(), /InArray: field 'blocks' holds modules in a plain array, where parameters\(\) and stateDict\(\) cannot see them; hold them in an nn.ModuleList \(names 'blocks.0.weight', …\)/);
  s.expectError('plain object', () => inObject.namedParameters(), /InObject: field 'byName' holds modules in a plain object, .*hold them in an nn.ModuleDict \(names 'byName.a.weight', …\)/);
  s.expectError('ModuleList of a non-module', () => new nn.ModuleList([new nn.ReLU({ gpu }), 'relu' as unknown as nn.Module]), /ModuleList: module \(1\) expected a Module such as new nn.Linear\(4, 4\), got the string 'relu'/);
  const lin = new nn.Linear(2, 2, { gpu });
  s.expectError('Sequential of a string', () => new nn.Sequential(lin, 'relu' as unknown as nn.Module), /Sequential: argument 1 \(layer \(1\)\) expected a Module such as new nn.ReLU\(\), got the string 'relu'/);
  s.expectError('Sequential of a class', () => new nn.Sequential(lin, nn.ReLU as unknown as nn.Module), /got the class or function ReLU \(a module is made with new/);
});

add('nn.ModuleDict registers its modules by name (heads.price.weight), trains and saves them; bad names and lookups are errors naming them', async (s, random) => {
  const gpu = s.gpu;
  class TwoHeads extends nn.Module {
    trunk = new nn.Linear(4, 4, { gpu });
    heads = new nn.ModuleDict({ price: new nn.Linear(4, 2, { gpu }), band: new nn.Linear(4, 3, { gpu }) });
    override describe = () => 'TwoHeads';
    forward(x: Tensor, head = 'band'): Tensor {
      return F.sum(this.heads.get(head).forward(this.trunk.forward(x)));
    }
  }
  const net = new TwoHeads(gpu);
  const names = net.namedParameters().map(([n]) => n).join(',');
  s.expect('names, in insertion order', names === 'trunk.weight,trunk.bias,heads.price.weight,heads.price.bias,heads.band.weight,heads.band.bias', names);
  const heads = net.heads;
  s.expect('size, has, keys, iteration', heads.size === 2 && heads.has('band') && !heads.has('x') && [...heads.keys()].join() === 'price,band' && [...heads][1]![1] === heads.get('band'), `size ${heads.size}`);
  s.expectError('unknown name', () => heads.get('colour'), /ModuleDict.get: no module named 'colour'; it holds 'price', 'band'/);
  const spare = new nn.Linear(4, 1, { gpu });
  s.expectError('dotted name', () => heads.set('a.b', spare), /ModuleDict: name "a.b" is not a module name/);
  s.expectError('empty name', () => new nn.ModuleDict({ '': spare }), /ModuleDict: name "" is not a module name/);
  s.expectError('a non-module', () => new nn.ModuleDict({ act: 'relu' as unknown as nn.Module }), /ModuleDict: module 'act' expected a Module such as new nn.Linear\(4, 4\), got the string 'relu'/);
  s.expectError('no forward', () => heads.forward(), /ModuleDict has no forward/);
  s.expect('describe', heads.describe().startsWith('ModuleDict(\n  (price): Linear(in_features=4, out_features=2'), heads.describe());
  const before = await heads.get('band').weight.read();
  const opt = new optim.SGD(net.parameters(), { lr: 0.5 });
  net.forward(s.input(uniform(random, 12, 0.5, 1), [3, 4])).backward();
  opt.step();
  const after = await heads.get('band').weight.read();
  s.expect('the optimizer steps heads.band.weight', after.some((v, i) => v !== before[i]), 'changed');
  const copy = new TwoHeads(gpu);
  copy.loadStateDict(await net.stateDict());
  const copied = await copy.heads.get('band').weight.read();
  s.expect('the state dict carries heads.band.weight', copied.every((v, i) => v === after[i]), 'compared');
});

// ── elementwise arithmetic: F.add, F.sub, F.mul, F.mean, and losses built from them ────────────────

const spread = broadcastRef.broadcastTo;
const sumBack = broadcastRef.sumTo;
// [big, small]: small broadcasts over big. Each op runs both ways round (small first too).
const broadcastLayouts: [number[], number[]][] = [[[5, 3], [5, 3]], [[4, 6], [1]], [[7, 5], [5]], [[6, 4], [6, 1]], [[2, 3, 4, 2], [3, 1, 1]]];
for (const [big, small] of broadcastLayouts) {
  for (const op of ['add', 'sub', 'mul'] as const) {
    for (const smallFirst of big.join() === small.join() ? [false] : [false, true]) {
      add(`F.${op}(${smallFirst ? `${shapeText(small)}, ${shapeText(big)}` : `${shapeText(big)}, ${shapeText(small)}`})${op === 'mul' ? '' : ' alpha 0.5'}: value and both gradients vs float64, under F.sum(F.mul(·, w))`, async (s, random) => {
        const [n, m] = [big.reduce((p, d) => p * d, 1), small.reduce((p, d) => p * d, 1)];
        const [A, B, W] = [uniform(random, n, -2, 2), uniform(random, m, -2, 2), uniform(random, n, -1, 1)];
        const [a, b] = [s.input(A, big), s.input(B, small)];
        a.requiresGrad = true;
        b.requiresGrad = true;
        const [first, second] = smallFirst ? [b, a] : [a, b];
        const y = op === 'mul' ? F.mul(first, second) : F[op](first, second, { alpha: 0.5 });
        s.expect('the result has the larger shape', y.shape.join() === big.join(), shapeText(y.shape));
        F.sum(F.mul(y, s.input(W, big))).backward();
        const Bs = spread(B, small, big);
        // first ∘ second with the small one spread; the gradients from the math of each op.
        const [f, g] = smallFirst ? [Bs, A] : [A, Bs];
        const coef = op === 'sub' ? -0.5 : 0.5;
        const value = f.map((fi, i) => (op === 'mul' ? fi * g[i]! : fi + coef * g[i]!));
        const dFirst = W.map((w, i) => (op === 'mul' ? w * g[i]! : w));
        const dSecond = W.map((w, i) => (op === 'mul' ? w * f[i]! : w * coef));
        const [dA, dBfull] = smallFirst ? [dSecond, dFirst] : [dFirst, dSecond];
        await s.check('value', y, value, 1e-6, 1e-6);
        await s.check('d loss / d a (the larger)', a.grad!, dA, 1e-6, 1e-6);
        await s.check('d loss / d b (spread, summed back)', b.grad!, sumBack(dBfull, big, small), 1e-5, 1e-5);
      });
    }
  }
}

// PyTorch's broadcasting where the kernel's one spread operand is not enough: both spread, a larger
// rank on the smaller side, a spread operand in two runs. The operands are copied to the result's
// shape (F.expand), the copies freed with the output.
for (const [aShape, bShape] of [[[4, 1], [1, 3]], [[4, 3], [1, 1, 3]], [[2, 3, 4], [2, 1, 4]], [[2, 1, 4], [3, 1]], [[3, 1, 1], [1, 2, 1]]] as [number[], number[]][]) {
  for (const op of ['add', 'sub', 'mul', 'div'] as const) {
    add(`F.${op}(${shapeText(aShape)}, ${shapeText(bShape)}): both spread as PyTorch's broadcasting, value and both gradients vs float64, the copies freed with the output`, async (s, random) => {
      const rank = Math.max(aShape.length, bShape.length);
      const at = (shape: number[], i: number) => shape[shape.length - rank + i] ?? 1;
      const result = Array.from({ length: rank }, (_, i) => Math.max(at(aShape, i), at(bShape, i)));
      const size = (shape: number[]) => shape.reduce((p, d) => p * d, 1);
      const n = size(result);
      const A = uniform(random, size(aShape), -2, 2);
      const B = uniform(random, size(bShape), 0.5, 2); // a divisor away from 0
      const W = uniform(random, n, -1, 1);
      const [a, b] = [s.input(A, aShape), s.input(B, bShape)];
      a.requiresGrad = true;
      b.requiresGrad = true;
      const w = s.input(W, result);
      const y = F[op](a, b);
      s.expect('the result has the broadcast shape', y.shape.join() === result.join(), shapeText(y.shape));
      const [As, Bs] = [spread(A, aShape, result), spread(B, bShape, result)];
      const value = As.map((u, i) => (op === 'add' ? u + Bs[i]! : op === 'sub' ? u - Bs[i]! : op === 'mul' ? u * Bs[i]! : u / Bs[i]!));
      const dA = W.map((w, i) => (op === 'mul' ? w * Bs[i]! : op === 'div' ? w / Bs[i]! : w));
      const dB = W.map((w, i) => (op === 'add' ? w : op === 'sub' ? -w : op === 'mul' ? w * As[i]! : (-w * As[i]!) / (Bs[i]! * Bs[i]!)));
      const terms = F.mul(y, w);
      const loss = F.sum(terms);
      loss.backward();
      await s.check('value', y, value, 1e-6, 1e-6);
      await s.check('d loss / d a, summed back', a.grad!, sumBack(dA, result, aShape), 1e-5, 1e-5);
      await s.check('d loss / d b, summed back', b.grad!, sumBack(dB, result, bShape), 1e-5, 1e-5);
      for (const t of [loss, terms, y]) t.destroy();
      // A second step, once a.grad and b.grad exist: it leaves nothing behind.
      const before = s.gpu.stats.liveBuffers;
      const again = F[op](a, b);
      const terms2 = F.mul(again, w);
      const total = F.sum(terms2);
      total.backward();
      for (const t of [total, terms2, again]) t.destroy();
      s.expect('a second step leaves no buffers (the copies and their gradients freed with its output)', s.gpu.stats.liveBuffers === before, `${s.gpu.stats.liveBuffers - before} more than before`);
    });
  }
}

add('tidy() keeps the spread copy of a returned F.add([N, 1], [1, C]) and frees it with it', async (s, random) => {
  const [A, B] = [uniform(random, 4), uniform(random, 3)];
  const [a, b] = [s.input(A, [4, 1]), s.input(B, [1, 3])];
  const before = s.gpu.stats.liveBuffers;
  const y = tidy(() => F.add(a, b));
  s.expect('y and its copy of a live after tidy', s.gpu.stats.liveBuffers === before + 2, `${s.gpu.stats.liveBuffers - before} more than before`);
  y.destroy();
  s.expect('freed with y', s.gpu.stats.liveBuffers === before, `${s.gpu.stats.liveBuffers - before} more than before`);
  // (read apart: a read may leave a staging buffer for the next)
  const [As, Bs] = [spread(A, [4, 1], [4, 3]), spread(B, [1, 3], [4, 3])];
  await s.check('y read after tidy', s.own(tidy(() => F.add(a, b))), As.map((v, i) => v + Bs[i]!), 1e-7, 1e-6);
  // A returned view of it (F.reshape) keeps the memory under it and the copy too: backward after tidy works.
  a.requiresGrad = true;
  const flat = tidy(() => F.reshape(F.add(a, b), [12]));
  const loss = F.sum(flat);
  loss.backward();
  await s.check('d a through a view returned by tidy', a.grad!, A.map(() => 3), 0, 0);
  loss.destroy();
  // ... and destroying that view frees the copy with it (it moved to the view).
  const beforeView = s.gpu.stats.liveBuffers;
  tidy(() => F.reshape(F.maximum(a, b), [12])).destroy();
  s.expect('a returned view frees the copies under it', s.gpu.stats.liveBuffers === beforeView, `${s.gpu.stats.liveBuffers - beforeView} more than before`);
  flat.destroy();
});

// Division: the divisor kept away from 0 (|v| in [0.5, 2], either sign).
for (const [big, small] of broadcastLayouts) {
  for (const smallFirst of big.join() === small.join() ? [false] : [false, true]) {
    add(`F.div(${smallFirst ? `${shapeText(small)}, ${shapeText(big)}` : `${shapeText(big)}, ${shapeText(small)}`}): value and both gradients vs float64, under F.sum(F.mul(·, w))`, async (s, random) => {
      const [n, m] = [big.reduce((p, d) => p * d, 1), small.reduce((p, d) => p * d, 1)];
      const awayFromZero = (count: number) => uniform(random, count, 0.5, 2).map((v, i) => (i % 3 === 1 ? -v : v));
      const [A, B, W] = [awayFromZero(n), awayFromZero(m), uniform(random, n, -1, 1)];
      const [a, b] = [s.input(A, big), s.input(B, small)];
      a.requiresGrad = true;
      b.requiresGrad = true;
      const y = smallFirst ? F.div(b, a) : F.div(a, b);
      s.expect('the result has the larger shape', y.shape.join() === big.join(), shapeText(y.shape));
      F.sum(F.mul(y, s.input(W, big))).backward();
      // u / v with the small one spread: d u = w / v, d v = −w·u / v².
      const Bs = spread(B, small, big);
      const [u, v] = smallFirst ? [Bs, A] : [A, Bs];
      const du = W.map((w, i) => w / v[i]!);
      const dv = W.map((w, i) => (-w * u[i]!) / (v[i]! * v[i]!));
      const [dA, dBfull] = smallFirst ? [dv, du] : [du, dv];
      await s.check('value', y, u.map((ui, i) => ui / v[i]!), 1e-6, 1e-6);
      await s.check('d loss / d a (the larger)', a.grad!, dA, 1e-6, 1e-5);
      await s.check('d loss / d b (spread, summed back)', b.grad!, sumBack(dBfull, big, small), 1e-5, 1e-5);
    });
  }
}

// Reductions over dimensions: each kept shape one run, as the kernel's index formula needs.
for (const [shape, dim, keepdim] of [
  [[5, 3], 0, false], [[5, 3], 1, true], [[5, 3], -1, false], [[5, 3], [0, 1], false],
  [[2, 3, 4, 5], [0, 2, 3], true], [[2, 3, 4, 5], [2, 3], false], [[2, 3, 4, 5], [1, 2, 3], false], [[2, 3, 4, 5], 0, false], [[4, 7, 3], -1, true],
  // Kept dimensions in two runs: the strided sum.
  [[4, 6, 5], 1, false], [[2, 3, 4, 5], [0, 2], true], [[2, 3, 4, 5], [1, -1], false], [[3, 5, 2, 4], [0, 3], false],
] as [number[], number | number[], boolean][]) {
  for (const op of ['sum', 'mean'] as const) {
    add(`F.${op}(${shapeText(shape)}, dim=${JSON.stringify(dim)}${keepdim ? ', keepdim' : ''}): value and gradient vs float64, under F.sum(F.mul(·, w))`, async (s, random) => {
      const n = shape.reduce((p, d) => p * d, 1);
      const X = uniform(random, n, -2, 2);
      const x = s.input(X, shape);
      x.requiresGrad = true;
      const dims = (typeof dim === 'number' ? [dim] : dim).map((d) => (d < 0 ? d + shape.length : d));
      const kept = shape.map((d, i) => (dims.includes(i) ? 1 : d));
      const want = keepdim ? kept : shape.filter((_, i) => !dims.includes(i));
      const y = s.own(F[op](x, dim, keepdim));
      s.expect('shape', y.shape.join() === (want.length ? want : [1]).join(), shapeText(y.shape));
      const m = kept.reduce((p, d) => p * d, 1);
      const count = n / m;
      const scale = op === 'mean' ? 1 / count : 1;
      const W = uniform(random, m, -1, 1);
      s.own(F.sum(s.own(F.mul(y, s.input(W, y.shape))))).backward();
      await s.check('value', y, sumBack(X, shape, kept).map((v) => v * scale), 1e-6 * Math.sqrt(count), 1e-5);
      await s.check('d / d x: w spread back', x.grad!, spread(W, kept, shape).map((v) => v * scale), 1e-7, 1e-6);
    });
  }
}

add('F.div with a number, F.exp, F.log, F.sqrt and F.pow: values and gradients vs float64', async (s, random) => {
  const n = 29;
  const X = uniform(random, n, 0.2, 3); // positive: in every function's domain
  const x = s.input(X, [n]);
  x.requiresGrad = true;
  const check = async (label: string, y: Tensor, value: (v: number) => number, slope: (v: number) => number) => {
    await s.check(`${label}: value`, y, X.map((v) => value(Math.fround(v))), 1e-6, 1e-5);
    x.grad = null;
    F.sum(y).backward();
    await s.check(`${label}: d / d x`, x.grad!, X.map((v) => slope(Math.fround(v))), 1e-6, 1e-5);
    y.destroy();
  };
  await check('x / 4', F.div(x, 4), (v) => v / 4, () => 0.25);
  await check('3 / x', F.div(3, x), (v) => 3 / v, (v) => -3 / (v * v));
  await check('x / x', F.div(x, x), () => 1, () => 0);
  await check('e^x', F.exp(x), Math.exp, Math.exp);
  await check('ln x', F.log(x), Math.log, (v) => 1 / v);
  await check('√x', F.sqrt(x), Math.sqrt, (v) => 0.5 / Math.sqrt(v));
  await check('x³', F.pow(x, 3), (v) => v ** 3, (v) => 3 * v * v);
  await check('x^−1.5', F.pow(x, -1.5), (v) => v ** -1.5, (v) => -1.5 * v ** -2.5);
  await check('x^0', F.pow(x, 0), () => 1, () => 0);
  // Negative x: integer exponents keep the sign by parity; sqrt and log give NaN, as PyTorch.
  const negative = s.input([-2, -0.5, -3], [3]);
  await s.check('(−x)³', s.own(F.pow(negative, 3)), [-8, -0.125, -27], 0, 1e-6);
  await s.check('(−x)^−2', s.own(F.pow(negative, -2)), [0.25, 4, 1 / 9], 0, 1e-6);
  await s.check('(−x)^0.5 and √(−x) and ln(−x): NaN', s.own(F.add(s.own(F.pow(negative, 0.5)), s.own(F.add(s.own(F.sqrt(negative)), s.own(F.log(negative)))))), [NaN, NaN, NaN], 0, 0);
  await s.check('ln 0 = −∞, e^100 = +∞', s.own(F.log(s.input([0], [1]))), [-Infinity], 0, 0);
  await s.check('e^100 = +∞', s.own(F.exp(s.input([100], [1]))), [Infinity], 0, 0);
});

// A port's transforms.Normalize((0.1307,), (0.3081,)) written with numbers: x.sub(0.1307).div(0.3081).
// Multiplying by 1 / 0.3081 was 1 ulp off PyTorch's division for 193 of MNIST's 256 pixel values.
add('F.div by a number divides, as PyTorch\'s: the MNIST normalisation of all 256 pixel values and its gradient dy / c rounded once (exactly on a CPU adapter\'s IEEE division; WGSL allows a GPU 2.5 ulp)', async (s, random) => {
  const c = 0.3081;
  const fc = Math.fround(c);
  const X = Float32Array.from({ length: 256 }, (_, k) => Math.round((k / 255) * 1000) / 1000 - 0.1307);
  const x = s.input(X, [256]);
  x.requiresGrad = true;
  const exact = isCpuAdapter(s.gpu.adapter);
  const [atol, rtol] = exact ? [0, 0] : [0, 3e-7];
  const y = s.own(F.div(x, c));
  await s.check(`(x − 0.1307) / 0.3081${exact ? ', every value as float32 division rounds it' : ''}`, y, Array.from(X, (v) => Math.fround(v / fc)), atol, rtol);
  const g = uniform(random, 256, -2, 2);
  y.backward(s.input(g, [256]));
  await s.check('its gradient dy / 0.3081', x.grad!, Array.from(g, (v) => Math.fround(Math.fround(v) / fc)), atol, rtol);
});

// ── sorting: F.sort, F.argsort, F.topk ──────────────────────────────────────────────────────────────

/** x's lines along d: for each, the flat indices of its elements in order. */
function linesAlong(shape: readonly number[], d: number): number[][] {
  const stride = shape.slice(d + 1).reduce((p, v) => p * v, 1);
  const [outer, n] = [shape.slice(0, d).reduce((p, v) => p * v, 1), shape[d]!];
  const lines: number[][] = [];
  for (let o = 0; o < outer; o++) for (let q = 0; q < stride; q++) lines.push(Array.from({ length: n }, (_, t) => (o * n + t) * stride + q));
  return lines;
}

add('F.sort, F.argsort and F.topk (torch.sort, argsort, topk) along every dim, both orders: indices and values exact against a stable float64 sort, ties in index order, NaN last (descending first), the values\' gradient back where each came from; methods, options and errors', async (s, random) => {
  const shape = [3, 7, 4];
  const size = 84;
  const X = Float32Array.from(uniform(random, size, -3, 3), (v) => Math.round(v * 2) / 2); // many ties
  X[5] = NaN;
  X[40] = -0;
  X[41] = Infinity;
  const x = s.input(X, shape, 'f32', 'x');
  x.requiresGrad = true;
  for (const d of [0, 1, 2]) {
    const n = shape[d]!;
    const lines = linesAlong(shape, d);
    for (const descending of [false, true]) {
      for (const k of [n, 2]) {
        const picks = new Float64Array((size / n) * k); // where each output position's element came from
        const expectedIndices = new Float64Array((size / n) * k);
        const expectedValues = new Float64Array((size / n) * k);
        const outLines = linesAlong([...shape.slice(0, d), k, ...shape.slice(d + 1)], d);
        lines.forEach((line, l) => {
          const order = sortedIndicesRef(line.map((i) => X[i]!), 1, n, descending, k);
          order.forEach((t, r) => {
            expectedIndices[outLines[l]![r]!] = t;
            expectedValues[outLines[l]![r]!] = X[line[t]!]!;
            picks[outLines[l]![r]!] = line[t]!;
          });
        });
        const what = `${k === n ? `F.sort(x, ${d}, ${descending})` : `F.topk(x, ${k}, ${d}, ${descending})`}`;
        const { values, indices } = k === n ? F.sort(x, d, descending) : F.topk(x, k, d, descending);
        await s.check(`${what}: indices`, s.own(indices), expectedIndices, 0, 0);
        await s.check(`${what}: values`, s.own(values), expectedValues, 0, 0);
        x.grad = null;
        const g = uniform(random, values.size);
        values.backward(s.input(g, values.shape));
        const dx = new Float64Array(size);
        picks.forEach((from, i) => (dx[from] = dx[from]! + Math.fround(g[i]!)));
        await s.check(`${what}: d x, each g back where its value came from`, x.grad!, dx, 0, 0);
      }
    }
  }
  await s.check('F.argsort(x, 1, true) is F.sort\'s indices', s.own(F.argsort(x, 1, true)), await s.own(F.sort(x, { dim: 1, descending: true }).indices).read(), 0, 0);
  // NaN and ±0, as PyTorch's: NaN last ascending, first descending; −0 and +0 tie (index order).
  const special = s.input([1, NaN, -1, NaN, 0, -0], [6], 'f32', 'special');
  const up = F.sort(special);
  await s.check('ascending: NaN last, ±0 in index order', s.own(up.indices), [2, 4, 5, 0, 1, 3], 0, 0);
  s.own(up.values);
  const down = F.sort(special, -1, true);
  await s.check('descending: NaN first', s.own(down.indices), [1, 3, 0, 4, 5, 2], 0, 0);
  s.own(down.values);
  // PyTorch's shapes of the call.
  const row = s.input([4, 1, 3, 9, 2], [5], 'f32', 'row');
  const [top, where] = F.topk(row, 2);
  await s.check('const [values, indices] = F.topk(x, 2)', s.own(top!), [9, 4], 0, 0);
  await s.check('its indices', s.own(where!), [3, 0], 0, 0);
  const smallest = F.topk(row, 2, { largest: false });
  await s.check('F.topk(x, 2, { largest: false })', s.own(smallest.values), [1, 2], 0, 0);
  s.own(smallest.indices);
  await s.check('F.argsort(x, 0, { descending: true })', s.own(F.argsort(row, 0, { descending: true })), [3, 0, 2, 4, 1], 0, 0);
  s.expectError('k past the dim', () => F.topk(row, 6), /^topk: argument 'k' expected an integer from 1 to 5 \(the size of dim 0 of \[5\]\), got 6/);
  s.expectError('k = 0', () => F.topk(row, 0), /k = 0 gives empty tensors, which are not supported/);
  s.expectError('an i32 input', () => F.sort(s.input([3, 1], [2], 'i32', 'lengths')), /^sort: input 'lengths' is i32; sorting takes f32 here: F\.sort\(F\.to\(x, 'f32'\), …\) \(exact for integers below 2\^24\)/);
  s.expectError('a dim past the rank', () => F.sort(row, 1), /^sort: argument 'dim' expected a dimension of \[5\]/);
  s.expectError('descending given twice', () => F.sort(row, 0, true, { descending: false }), /^sort: descending given twice/);
  s.expectError('an unknown option', () => F.sort(row, { dim: 0, decending: true } as never), /^sort: unknown option 'decending'/);
  x.grad = null;
});

// ── layout and extremes: F.permute, F.transpose, F.expand, F.max, F.min, F.amax, F.amin, F.argmax, F.argmin ──

/** float64 x.permute(dims): y's coordinate k is x's coordinate dims[k]. */
function permuteRef(X: ArrayLike<number>, shape: readonly number[], dims: readonly number[]): Float64Array {
  const yShape = dims.map((d) => shape[d]!);
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((p, v) => p * v, 1));
  return Float64Array.from({ length: X.length }, (_, i) => {
    let [rest, at] = [i, 0];
    for (let k = yShape.length - 1; k >= 0; k--) {
      at += (rest % yShape[k]!) * strides[dims[k]!]!;
      rest = Math.floor(rest / yShape[k]!);
    }
    return X[at]!;
  });
}

for (const [shape, dims] of [[[5, 3], [1, 0]], [[2, 3, 4], [2, 0, 1]], [[2, 1, 3, 4], [3, 1, 0, 2]], [[3, 4, 2, 2, 3], [4, 2, 0, 3, 1]]] as [number[], number[]][]) {
  add(`F.permute(${shapeText(shape)}, ${JSON.stringify(dims)}): value and gradient vs float64, under F.sum(F.mul(·, w))`, async (s, random) => {
    const n = shape.reduce((p, d) => p * d, 1);
    const X = uniform(random, n, -2, 2);
    const x = s.input(X, shape);
    x.requiresGrad = true;
    const y = s.own(F.permute(x, dims));
    const yShape = dims.map((d) => shape[d]!);
    s.expect('shape', y.shape.join() === yShape.join(), shapeText(y.shape));
    const W = uniform(random, n, -1, 1);
    s.own(F.sum(s.own(F.mul(y, s.input(W, yShape))))).backward();
    await s.check('value', y, permuteRef(X, shape, dims), 0, 0);
    // d x[i] = w at y's position of x[i]: w permuted back by the inverse.
    const inverse = dims.map((_, k) => dims.indexOf(k));
    await s.check('d / d x: w permuted back', x.grad!, permuteRef(W, yShape, inverse), 0, 0);
  });
}

add('F.transpose in a graph: (x·Wᵀ) through F.transpose, F.matmul and a negative dim, against float64; transpose twice is x', async (s, random) => {
  const [X, Wt] = [uniform(random, 4 * 3, -1, 1), uniform(random, 5 * 3, -1, 1)];
  const x = s.input(X, [4, 3]);
  const w = s.input(Wt, [5, 3]);
  w.requiresGrad = true;
  x.requiresGrad = true;
  const y = s.own(F.matmul(x, s.own(F.transpose(w, 0, -1)))); // [4, 5]
  s.own(F.sum(s.own(F.mul(y, y)))).backward();
  const Y = ref.matmul(X, Wt, { M: 4, N: 5, K: 3, transposeB: true });
  await s.check('x · wᵀ', y, Y, 1e-6, 1e-6);
  // loss = Σ y²: d w = 2 yᵀ x ([5, 3]), d x = 2 y w ([4, 3]).
  await s.check('d / d w', w.grad!, ref.matmul(Y, X, { M: 5, N: 3, K: 4, transposeA: true }).map((v) => 2 * v), 1e-5, 1e-5);
  await s.check('d / d x', x.grad!, ref.matmul(Y, Wt, { M: 4, N: 3, K: 5 }).map((v) => 2 * v), 1e-5, 1e-5);
  const twice = s.own(F.transpose(s.own(F.transpose(x, 1, 0)), 0, 1));
  await s.check('transpose twice', twice, X, 0, 0);
});

for (const [shape, target] of [[[3, 1], [3, 4]], [[4], [2, 3, 4]], [[1, 5, 1], [2, 3, 5, 7]], [[2, 1, 3], [-1, 4, -1]]] as [number[], number[]][]) {
  add(`F.expand(${shapeText(shape)}, ${JSON.stringify(target)}): value and gradient (summed back) vs float64`, async (s, random) => {
    const n = shape.reduce((p, d) => p * d, 1);
    const X = uniform(random, n, -2, 2);
    const x = s.input(X, shape);
    x.requiresGrad = true;
    const y = s.own(F.expand(x, target));
    const full = target.map((d, i) => (d === -1 ? shape[i - (target.length - shape.length)]! : d));
    s.expect('shape', y.shape.join() === full.join(), shapeText(y.shape));
    const m = full.reduce((p, d) => p * d, 1);
    const W = uniform(random, m, -1, 1);
    s.own(F.sum(s.own(F.mul(y, s.input(W, full))))).backward();
    await s.check('value', y, spread(X, shape, full), 0, 0);
    await s.check('d / d x: w summed back', x.grad!, sumBack(W, full, shape), 1e-6, 1e-6);
  });
}

// Values on a coarse grid, so ties are common: max(dim) keeps the first index and its gradient goes there.
for (const [shape, dim, keepdim] of [[[5, 3], 1, false], [[5, 3], 0, true], [[2, 6, 4], 1, false], [[3, 2, 4, 5], -2, true], [[7], 0, false]] as [number[], number, boolean][]) {
  for (const op of ['max', 'min'] as const) {
    add(`F.${op}(${shapeText(shape)}, dim=${dim}${keepdim ? ', keepdim' : ''}): values, first indices among ties, and the gradient to that index vs float64`, async (s, random) => {
      const n = shape.reduce((p, d) => p * d, 1);
      const X = uniform(random, n, -1, 1).map((v) => Math.round(v * 4) / 4); // exact in float32
      const x = s.input(X, shape);
      x.requiresGrad = true;
      const d = dim < 0 ? dim + shape.length : dim;
      const { values, indices } = F[op](x, dim, keepdim);
      s.own(values);
      s.own(indices);
      const kept = shape.map((v, i) => (i === d ? 1 : v));
      const want = keepdim ? kept : shape.filter((_, i) => i !== d);
      s.expect('shapes', values.shape.join() === (want.length ? want : [1]).join() && indices.shape.join() === values.shape.join() && indices.dtype === 'i32', `${shapeText(values.shape)}, ${shapeText(indices.shape)} ${indices.dtype}`);
      const m = n / shape[d]!;
      const W = uniform(random, m, -1, 1);
      s.own(F.sum(s.own(F.mul(values, s.input(W, values.shape))))).backward();
      // From the math: walk each kept position's line along d.
      const inner = shape.slice(d + 1).reduce((p, v) => p * v, 1);
      const [V, I, G] = [new Float64Array(m), new Float64Array(m), new Float64Array(n)];
      for (let j = 0; j < m; j++) {
        const base = Math.floor(j / inner) * inner * shape[d]! + (j % inner);
        let best = 0;
        for (let k = 1; k < shape[d]!; k++) {
          const [v, b] = [X[base + k * inner]!, X[base + best * inner]!];
          if (op === 'max' ? v > b : v < b) best = k;
        }
        [V[j], I[j]] = [X[base + best * inner]!, best];
        G[base + best * inner] = W[j]!;
      }
      await s.check('values', values, V, 0, 0);
      await s.check('indices', indices, I, 0, 0);
      await s.check('d / d x: w at each index', x.grad!, G, 0, 0);
    });
  }
}

add('F.max(x), F.min(x), F.amax and F.amin over several dims: the gradient shared among ties (PyTorch\'s), F.argmax/F.argmin over a dim and over all', async (s, random) => {
  const X = [1, 3, 3, 0, /**/ -2, 3, 0.5, -2, /**/ 1, 1, 1, 1];
  const x = s.input(X, [3, 4]);
  x.requiresGrad = true;
  const top = s.own(F.max(x));
  s.expect('F.max(x) is [1]', top.shape.join() === '1', shapeText(top.shape));
  await s.check('F.max(x)', top, [3], 0, 0);
  top.backward();
  await s.check('F.max(x): d / d x shared by the 3 ties', x.grad!, X.map((v) => (v === 3 ? 1 / 3 : 0)), 1e-7, 0);
  x.grad = null;
  const bottom = s.own(F.min(x));
  bottom.backward();
  await s.check('F.min(x): d / d x shared by the 2 ties', x.grad!, X.map((v) => (v === -2 ? 0.5 : 0)), 1e-7, 0);
  x.grad = null;
  const rows = s.own(F.amax(x, 1, true));
  s.expect('F.amax(x, 1, keepdim) is [3, 1]', rows.shape.join() === '3,1', shapeText(rows.shape));
  await s.check('F.amax over dim 1', rows, [3, 3, 1], 0, 0);
  const W = uniform(random, 3, -1, 1);
  s.own(F.sum(s.own(F.mul(rows, s.input(W, [3, 1]))))).backward();
  await s.check('F.amax: d / d x shared among each row\'s ties', x.grad!, X.map((v, i) => { const r = Math.floor(i / 4); const best = [3, 3, 1][r]!; const count = [2, 1, 4][r]!; return v === best ? W[r]! / count : 0; }), 1e-7, 1e-6);
  x.grad = null;
  const all = s.own(F.amin(x, [0, -1]));
  await s.check('F.amin over [0, -1]', all, [-2], 0, 0);
  all.backward();
  await s.check('F.amin: d / d x shared', x.grad!, X.map((v) => (v === -2 ? 0.5 : 0)), 1e-7, 0);
  await s.check('F.argmax(x, 1)', s.own(F.argmax(x, 1)), [1, 1, 0], 0, 0);
  await s.check('F.argmin(x, 0, keepdim)', s.own(F.argmin(x, 0, true)), [1, 2, 1, 1], 0, 0);
  await s.check('F.argmax(x) over the flattened x', s.own(F.argmax(x)), [1], 0, 0);
  const kept = s.own(F.argmax(x, undefined, true));
  s.expect('F.argmax(x, undefined, keepdim) is [1, 1] (PyTorch\'s)', kept.shape.join() === '1,1', shapeText(kept.shape));
  await s.check('F.amax(x, []) reduces every dimension (PyTorch\'s)', s.own(F.amax(x, [])), [3], 0, 0);
  const everyDim = s.own(F.amax(x, [], true));
  s.expect('F.amax(x, [], keepdim) is [1, 1]', everyDim.shape.join() === '1,1', shapeText(everyDim.shape));
  await s.check('F.sum(x, []) is F.sum(x) (PyTorch\'s)', s.own(F.sum(x, [])), [X.reduce((a, b) => a + b, 0)], 1e-6, 1e-6);
  const other = s.input(X.map((v) => 1 - v), [3, 4]);
  await s.check('F.max(a, b) is F.maximum (torch.max(a, b))', s.own(F.max(x, other)), X.map((v) => Math.max(v, 1 - v)), 0, 0);
  await s.check('F.min(a, b) is F.minimum', s.own(F.min(x, other)), X.map((v) => Math.min(v, 1 - v)), 0, 0);
  await s.check('F.argmin(x) over the flattened x', s.own(F.argmin(x)), [4], 0, 0);
});

add('F.max(x, dim) in a loss: the indices saved by the graph, a freed indices tensor named by backward', async (s, random) => {
  const x = s.input(uniform(random, 12), [3, 4]);
  x.requiresGrad = true;
  const { values, indices } = F.max(x, 1);
  s.own(values);
  indices.destroy();
  let message = '';
  try {
    F.sum(values).backward();
  } catch (error) {
    message = (error as Error).message;
  }
  s.expect('backward names the freed indices', /backward: 'max\(dim=1\)' needs 'max\(dim=1\) indices', which was freed/.test(message), message);
});

/** float64 torch.cat: each output coordinate's value from the input whose slice along dim holds it. */
function catRef(xs: { values: ArrayLike<number>; shape: number[] }[], dim: number): { values: Float64Array; shape: number[] } {
  const shape = xs[0]!.shape.map((v, k) => (k === dim ? xs.reduce((n, x) => n + x.shape[dim]!, 0) : v));
  const size = shape.reduce((p, v) => p * v, 1);
  const values = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    let rest = i;
    const c = shape.map(() => 0);
    for (let k = shape.length - 1; k >= 0; k--) [c[k], rest] = [rest % shape[k]!, Math.floor(rest / shape[k]!)];
    let which = 0;
    while (c[dim]! >= xs[which]!.shape[dim]!) c[dim]! -= xs[which++]!.shape[dim]!;
    const x = xs[which]!;
    values[i] = x.values[c.reduce((at, v, k) => at * x.shape[k]! + v, 0)]!;
  }
  return { values, shape };
}

for (const [shapes, dim] of [[[[2, 3], [4, 3]], 0], [[[2, 3], [2, 1], [2, 4]], 1], [[[2, 3, 4], [2, 2, 4]], -2], [[[1, 3, 2], [1, 3, 5]], 2], [[[5]], 0]] as [number[][], number][]) {
  add(`F.cat(${shapes.map((sh) => shapeText(sh)).join(', ')}, dim=${dim}): value and each gradient (its slice) vs float64`, async (s, random) => {
    const inputs = shapes.map((shape) => ({ shape, values: uniform(random, shape.reduce((p, v) => p * v, 1), -2, 2) }));
    const xs = inputs.map(({ shape, values }) => s.input(values, shape));
    for (const x of xs) x.requiresGrad = true;
    const d = dim < 0 ? dim + shapes[0]!.length : dim;
    const expected = catRef(inputs, d);
    const y = s.own(F.cat(xs, dim));
    s.expect('shape', y.shape.join() === expected.shape.join(), `${shapeText(y.shape)} vs ${shapeText(expected.shape)}`);
    await s.check('value', y, expected.values, 0, 0);
    // d x_k = w's slice k: w is the cat of fresh draws shaped as the inputs.
    const ws = shapes.map((shape) => ({ shape, values: uniform(random, shape.reduce((p, v) => p * v, 1), -1, 1) }));
    s.own(F.sum(s.own(F.mul(y, s.input(catRef(ws, d).values, expected.shape))))).backward();
    for (const [k, x] of xs.entries()) await s.check(`d tensors[${k}]: its slice of w`, x.grad!, ws[k]!.values, 0, 0);
  });
}

add('F.cat([x, x]) and F.stack([a, b], dim) at every dim, F.unsqueeze and F.squeeze: values and gradients vs float64', async (s, random) => {
  const X = uniform(random, 6, -1, 1);
  const x = s.input(X, [2, 3]);
  x.requiresGrad = true;
  const twice = s.own(F.cat([x, x], 1));
  s.own(F.sum(s.own(F.mul(twice, twice)))).backward();
  await s.check('F.cat([x, x], 1): d x = 2 · 2x (both slices)', x.grad!, X.map((v) => 4 * v), 1e-6, 1e-6);
  const [A, B] = [uniform(random, 6), uniform(random, 6)];
  const [a, b] = [s.input(A, [2, 3]), s.input(B, [2, 3])];
  for (const [dim, shape] of [[0, [2, 2, 3]], [1, [2, 2, 3]], [2, [2, 3, 2]], [-1, [2, 3, 2]]] as [number, number[]][]) {
    const y = s.own(F.stack([a, b], dim));
    s.expect(`stack dim ${dim}: shape`, y.shape.join() === shape.join(), shapeText(y.shape));
    const d = dim < 0 ? dim + 3 : dim;
    await s.check(`stack dim ${dim}`, y, catRef([{ values: A, shape: [2, 3].toSpliced(d, 0, 1) }, { values: B, shape: [2, 3].toSpliced(d, 0, 1) }], d).values, 0, 0);
  }
  a.requiresGrad = true;
  const stacked = s.own(F.stack([a, b], 1));
  s.own(F.sum(s.own(F.mul(stacked, s.input([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 3]))))).backward();
  await s.check('F.stack([a, b], 1): d a is w[:, 0]', a.grad!, [1, 2, 3, 7, 8, 9], 0, 0);
  const u = F.unsqueeze(x, -1); // a view of x: freed with it
  s.expect('F.unsqueeze(x, -1) is [2, 3, 1]', u.shape.join() === '2,3,1', shapeText(u.shape));
  s.expect('F.squeeze of [1, 2, 1, 3] is [2, 3]', F.squeeze(s.input(X, [1, 2, 1, 3])).shape.join() === '2,3', '');
  s.expect('F.squeeze(·, 0) of [1, 2, 1, 3] is [2, 1, 3]', F.squeeze(s.input(X, [1, 2, 1, 3]), 0).shape.join() === '2,1,3', '');
  s.expect('F.squeeze(·, 1) of [1, 2, 1, 3] keeps it', F.squeeze(s.input(X, [1, 2, 1, 3]), 1).shape.join() === '1,2,1,3', '');
  s.expect('F.squeeze of [1, 1] is [1]', F.squeeze(s.input([5], [1, 1])).shape.join() === '1', '');
});

add('nn.Embedding: 3 SGD steps of a bag-of-embeddings regression vs float64 (rows looked up twice get both gradients), F.gather and F.indexSelect errors named', async (s, random) => {
  const gpu = s.gpu;
  const emb = new nn.Embedding(6, 4, { gpu });
  s.expect('describe', emb.describe() === 'Embedding(6, 4)', emb.describe());
  const W = Float64Array.from(await emb.weight.read());
  const ids = [0, 5, 5, 2, 3, 0]; // [2, 3]: rows 0 and 5 twice
  const index = s.input(ids, [2, 3], 'i32', 'ids');
  const target = uniform(random, 2 * 3 * 4, -1, 1);
  const opt = new optim.SGD(emb.parameters(), { lr: 0.1 });
  const mse = new nn.MSELoss({ gpu });
  for (let step = 0; step < 3; step++) {
    opt.zeroGrad();
    const y = emb.forward(index);
    s.expect('shape', y.shape.join() === '2,3,4', shapeText(y.shape));
    mse.forward(y, s.input(target, [2, 3, 4])).backward();
    opt.step();
    // float64: y = W[ids], d W[r] = Σ over lookups of r of 2 (y − t) / 24.
    const grad = new Float64Array(24);
    ids.forEach((r, i) => { for (let c = 0; c < 4; c++) grad[r * 4 + c]! += (2 * (W[r * 4 + c]! - target[i * 4 + c]!)) / 24; });
    grad.forEach((g, i) => (W[i]! -= 0.1 * g));
  }
  await s.check('weight after 3 steps', emb.weight, W, 1e-6, 1e-5);
  const X = uniform(random, 6);
  const x = s.input(X, [2, 3]);
  s.expectError('gather with an f32 index', () => F.gather(x, 1, s.input([0, 1, 2, 0, 1, 2], [2, 3])), /^gather: argument 'index' expected dtype i32 \(PyTorch's int64\), got f32$/);
  s.expectError('gather with an index of another rank', () => F.gather(x, 1, s.input([0, 1], [2], 'i32')), /^gather: index \[2\] must have as many dimensions as input \[2, 3\]$/);
  s.expectError('gather with a larger index', () => F.gather(x, 1, s.input([0, 1, 0, 1, 0, 1], [3, 2], 'i32')), /^gather: Size does not match at dimension 0 expected index \[3, 2\] to be smaller than self \[2, 3\] apart from dimension 1$/);
  const fromBlock = F.gather(x, 1, s.input([2, 0], [1, 2], 'i32')); // a smaller index reads row 0 only, as PyTorch
  await s.check('gather with a smaller index: row 0, columns 2 and 0', fromBlock, [X[2]!, X[0]!], 0, 0);
  s.expect('its block copy is freed with it', fromBlock.companions.length === 1, `${fromBlock.companions.length} companions`);
  fromBlock.destroy();
  s.expectError('indexSelect with a 2-D index', () => F.indexSelect(x, 0, s.input([0, 1], [1, 2], 'i32')), /^indexSelect: index expected one dimension, got \[1, 2\]$/);
  s.expectError('embedding of f32 ids', () => emb.forward(x), /^Embedding\(6, 4\): input expected an i32 Tensor of indices, got dtype f32$/);
  s.expectError('F.embedding with input and weight swapped', () => F.embedding(emb.weight, index), /^embedding: argument 'input' expected an i32 Tensor of indices \(PyTorch's int64\), got dtype f32 \(input and weight swapped\? F.embedding\(ids, weight\)\)$/);
  s.expectError('F.embedding with padding_idx in place of the options', () => F.embedding(index, emb.weight, 0 as never), /^embedding: padding_idx goes in the options: F.embedding\(input, weight, \{ padding_idx: 0 \}\)$/);
  s.expectError('nn.Embedding with padding_idx in place of the options', () => new nn.Embedding(6, 4, 0 as never), /^Embedding: padding_idx goes in the options: new nn.Embedding\(6, 4, \{ padding_idx: 0 \}\)$/);
  s.expect('F.unsqueeze of i32 ids: a view [1, 2, 3]', shapeText(F.unsqueeze(index, 0).shape) === '[1, 2, 3]', shapeText(F.unsqueeze(index, 0).shape));
  s.expectError('Embedding with max_norm', () => new nn.Embedding(6, 4, { gpu, max_norm: 1 } as unknown as { gpu: typeof gpu }), /^Embedding: max_norm=1 is not supported/);
  s.expectError('Embedding with padding_idx out of range', () => new nn.Embedding(6, 4, { gpu, padding_idx: 6 }), /^Embedding: padding_idx expected an integer in \[-6, 6\) \(within num_embeddings\), got 6$/);
  s.expectError('F.embedding with an unknown option', () => F.embedding(index, emb.weight, { paddingIndex: 1 } as never), /^embedding: unknown option 'paddingIndex' \(known: paddingIdx, out, name/);
  // An index out of range: an Error naming it where its values came from JavaScript (as PyTorch's),
  // NaN there where the GPU made it (argmax of a wider row), and no Error once GPU work overwrote
  // uploaded values (they are unknown then).
  s.expectError('indexSelect with an index of 3 for size 3', () => F.indexSelect(x, 1, s.input([2, 3], [2], 'i32')), /^indexSelect: index holds 3 at \[1\], out of range for dimension 1 of input \[2, 3\] \(valid: 0 to 2\)$/);
  s.expectError('gather with −1', () => F.gather(x, 1, s.input([0, 1, 2, 0, -1, 2], [2, 3], 'i32')), /^gather: index holds -1 at \[1, 1\], out of range for dimension 1 of input \[2, 3\]/);
  s.expectError('the first bad id named, as PyTorch, not the greatest', () => F.indexSelect(x, 1, s.input([7, 9, -1], [3], 'i32')), /^indexSelect: index holds 7 at \[0\], out of range/);
  s.expectError('an embedding of id 6 from 6 rows', () => emb.forward(s.input([0, 5, 6, 1], [2, 2], 'i32')), /^Embedding\(6, 4\): input holds 6 at \[1, 0\], out of range for weight's 6 rows \(num_embeddings\) \(valid: 0 to 5\)$/);
  const wide = s.input([0, 1, 9, 2, 3, 4, 5, 6], [2, 4]);
  const made = s.own(F.argmax(wide, 1)); // [2, 3] on the GPU: 3 is out of range for x's 3 columns
  await s.check('F.indexSelect(x, 1, argmax): column 2, then NaN for 3', s.own(F.indexSelect(x, 1, made)), [X[2]!, NaN, X[5]!, NaN], 0, 0);
  const overwritten = s.input([7, 7], [2], 'i32');
  s.gpu.copy(s.input([0, 2], [2], 'i32'), overwritten);
  await s.check('uploaded [7, 7], then copied [0, 2] over on the GPU: no Error', s.own(F.indexSelect(x, 1, overwritten)), [X[0]!, X[2]!, X[3]!, X[5]!], 0, 0);
});

add('nn.Embedding with padding_idx: its row starts at zero and gets no gradient; 40 lookups (the bucketed backward) over 3 Adam steps vs float64', async (s, random) => {
  const gpu = s.gpu;
  const [V, D] = [9, 3];
  const emb = new nn.Embedding(V, D, { gpu, padding_idx: -2 }); // row 7
  s.expect('describe', emb.describe() === 'Embedding(9, 3, padding_idx=7)', emb.describe());
  const W = Float64Array.from(await emb.weight.read());
  s.expect('the padding row is zero, the others drawn', W.slice(21, 24).every((v) => v === 0) && W.slice(0, 21).every((v) => v !== 0), Array.from(W.slice(18, 27)).join(', '));
  W[22] = 0.5; // a padding row need not stay zero (PyTorch's neither): it is only never updated
  emb.weight.write(W);
  const ids = Array.from({ length: 40 }, (_, i) => (i % 3 === 0 ? 7 : Math.floor(random() * V)));
  const index = s.input(ids, [8, 5], 'i32', 'ids');
  const target = uniform(random, 40 * D, -1, 1);
  const opt = new optim.Adam(emb.parameters(), { lr: 0.05 });
  const m = new Float64Array(V * D), v = new Float64Array(V * D);
  for (let step = 1; step <= 3; step++) {
    opt.zeroGrad();
    F.mseLoss(emb.forward(index), s.input(target, [8, 5, D])).backward();
    opt.step();
    // float64: d W[r] = Σ over lookups of r but the padding row of 2 (W[r] − t) / 120, then Adam.
    const grad = new Float64Array(V * D);
    ids.forEach((r, i) => { if (r !== 7) for (let c = 0; c < D; c++) grad[r * D + c]! += (2 * (W[r * D + c]! - target[i * D + c]!)) / (40 * D); });
    grad.forEach((g, i) => {
      m[i] = 0.9 * m[i]! + 0.1 * g;
      v[i] = 0.999 * v[i]! + 0.001 * g * g;
      W[i]! -= (0.05 * (m[i]! / (1 - 0.9 ** step))) / (Math.sqrt(v[i]! / (1 - 0.999 ** step)) + 1e-8);
    });
  }
  await s.check('weight after 3 Adam steps', emb.weight, W, 1e-5, 1e-4);
  await s.check('the padding row as it was written', s.own(F.embedding(s.input([7], [1], 'i32'), emb.weight)), [0, 0.5, 0], 0, 0);
});

add('F.narrow, F.slice, F.split, F.chunk, F.unbind: shapes as PyTorch, a stale gradient cleared outside the slice, errors named', async (s, random) => {
  const gpu = s.gpu;
  const X = uniform(random, 6 * 7);
  const x = s.input(X, [6, 7]);
  const shapes = (ts: Tensor[]) => ts.map((t) => shapeText(s.own(t).shape)).join(' ');
  s.expect('chunk of 7 in 3: [6, 3] [6, 3] [6, 1]', shapes(F.chunk(x, 3, 1)) === '[6, 3] [6, 3] [6, 1]', shapes(F.chunk(x, 3, 1)));
  s.expect('chunk of 6 in 4: three pieces of 2 (as PyTorch)', shapes(F.chunk(x, 4)) === '[2, 7] [2, 7] [2, 7]', shapes(F.chunk(x, 4)));
  s.expect('split by sections', shapes(F.split(x, [1, 5], 0)) === '[1, 7] [5, 7]', shapes(F.split(x, [1, 5], 0)));
  s.expect('unbind(·, 1): seven [6]', shapes(F.unbind(x, 1)) === new Array(7).fill('[6]').join(' '), shapes(F.unbind(x, 1)));
  s.expect('unbind of 1-D: [1] each (no 0-d tensors)', shapes(F.unbind(s.input([1, 2, 3]))) === '[1] [1] [1]', shapes(F.unbind(s.input([1, 2, 3]))));
  await s.check('slice(x, 1, -2): the last two columns', s.own(F.slice(x, 1, -2)), Array.from({ length: 12 }, (_, i) => X[Math.floor(i / 2) * 7 + 5 + (i % 2)]!), 0, 0);
  await s.check('slice(x, 0, 4, 100, 3): row 4 alone (end clamped)', s.own(F.slice(x, 0, 4, 100, 3)), X.slice(28, 35), 0, 0);
  // A module's output is the same tensor each call, and keeps its grad: one backward writes all of
  // it, a later one through a narrow writes only the slice and must clear the rest.
  const lin = new nn.Linear(7, 4, { gpu });
  F.sum(lin.forward(x)).backward();
  lin.zeroGrad();
  F.sum(F.narrow(lin.forward(x), 1, 1, 2)).backward();
  const columnSums = Array.from({ length: 7 }, (_, c) => X.filter((_, i) => i % 7 === c).reduce((a, b) => a + b, 0));
  await s.check('d weight: rows 1 and 2 only', lin.weight.grad!, [0, 1, 2, 3].flatMap((r) => columnSums.map((v) => (r === 1 || r === 2 ? v : 0))), 1e-5, 1e-5);
  s.expectError('narrow start past the end', () => F.narrow(x, 1, 8, 1), /^narrow: start out of range \(expected to be in range of \[-7, 7\], but got 8\)$/);
  s.expectError('narrow past the end', () => F.narrow(x, 0, 4, 3), /^narrow: start \(4\) \+ length \(3\) exceeds dimension size \(6\) of \[6, 7\] at dim 0$/);
  s.expectError('narrow of length 0', () => F.narrow(x, 0, 2, 0), /^narrow: length 0 would give an empty tensor \(a dimension of 0\), which wgslgrad does not have$/);
  s.expectError('narrow with a fraction', () => F.narrow(x, 0, 1.5, 2), /^narrow: argument 'start' expected an integer, got 1.5$/);
  s.expectError('slice with step 0', () => F.slice(x, 0, 0, 3, 0), /^slice: step must be greater than zero, got 0$/);
  s.expectError('an empty slice', () => F.slice(x, 1, 5, 2), /^slice: 5:2 of size 7 \(dim 1 of \[6, 7\]\) would give an empty tensor/);
  s.expectError('slice of a dim past the rank', () => F.slice(x, 2, 0, 1), /^slice: argument 'dim' expected a dimension of \[6, 7\] \(-2 to 1\), got 2$/);
  s.expectError('sections that do not add up', () => F.split(x, [2, 3], 0), /^split: split_with_sizes expects split_sizes to sum exactly to 6 \(input tensor's size at dimension 0\), but got split_sizes=\[2, 3\]$/);
  s.expectError('a split size of 0', () => F.split(x, 0), /^split: split_size expected a positive integer, got 0$/);
  s.expectError('chunks of 0', () => F.chunk(x, 0), /^chunk: chunk expects `chunks` to be greater than 0, got: 0$/);
  s.expectError('narrow with an extra argument', () => (F.narrow as (...a: unknown[]) => Tensor)(x, 0, 0, 1, 2), /^narrow: takes input, dim, start and length, got 2 too$/);
});

add('nn.Embedding.fromPretrained: a copy of the table, frozen by default (no gradient), trainable with freeze false; the padding row keeps its values', async (s, random) => {
  const gpu = s.gpu;
  const W = uniform(random, 12, -1, 1);
  const table = s.input(W, [4, 3]);
  const frozen = nn.Embedding.fromPretrained(table, { padding_idx: 1 });
  s.expect('describe and frozen', frozen.describe() === 'Embedding(4, 3, padding_idx=1)' && !frozen.weight.requiresGrad, `${frozen.describe()} requiresGrad ${frozen.weight.requiresGrad}`);
  await s.check('the pretrained rows, the padding row too', frozen.weight, W, 0, 0);
  const ids = s.input([1, 2, 2, 0], [4], 'i32');
  const trainable = nn.Embedding.fromPretrained(table, { freeze: false, paddingIdx: 1 });
  // Frozen, nothing in a lookup needs a gradient (PyTorch: "element 0 of tensors does not require grad").
  const lookedUp = s.own(F.sum(frozen.forward(ids)));
  s.expectError('backward through a frozen table alone', () => lookedUp.backward(), /^backward: 'sum' was not produced by a recorded operation/);
  const opt = new optim.SGD(trainable.parameters(), { lr: 0.5 });
  opt.zeroGrad();
  F.sum(trainable.forward(ids)).backward();
  opt.step();
  // d W[r] = the number of lookups of r (row 1 is padding: none): rows 0 and 2 move by 0.5 and 1.
  await s.check('trainable: rows 0 and 2 moved, padding row 1 and row 3 not', trainable.weight, Array.from(W, (v, i) => v - 0.5 * [1, 0, 2, 0][Math.floor(i / 3)]!), 1e-6, 1e-6);
  s.expectError('a 1-D table', () => nn.Embedding.fromPretrained(s.input([1, 2, 3])), /^Embedding.fromPretrained: argument 'embeddings' expected a 2-D f32 Tensor \[num_embeddings, embedding_dim\], got f32 \[3\]$/);
  s.expectError('freeze not a flag', () => nn.Embedding.fromPretrained(table, { freeze: 0 as unknown as boolean }), /^Embedding.fromPretrained: option 'freeze' expected true or false, got 0$/);
  await gpu.sync();
});

add('composed ops: nn.LayerNorm, nn.BCEWithLogitsLoss, nn.SiLU, nn.Softplus, nn.ELU vs float64; their intermediates freed with the output, by tidy and by the next step; errors named', async (s, random) => {
  const gpu = s.gpu;
  const [N, D] = [3, 4];
  const X = uniform(random, N * D, -2, 2);
  const x = s.input(X, [N, D]);
  x.requiresGrad = true;
  const ln = new nn.LayerNorm(D, { gpu });
  s.expect('LayerNorm describe', ln.describe() === 'LayerNorm((4,), eps=1e-05, elementwise_affine=True)', ln.describe());
  const y = ln.forward(x);
  F.sum(F.mul(y, s.input(Array.from({ length: N * D }, (_, i) => i % D), [N, D]))).backward();
  // float64: x̂ = (x − mean) / √(var + eps), the biased variance per row; weight 1, bias 0; d weight[c] = Σ_n x̂[n, c]·c.
  const xhat = new Float64Array(N * D);
  for (let n = 0; n < N; n++) {
    const row = Array.from(X.slice(n * D, n * D + D), Math.fround);
    const m = row.reduce((a, b) => a + b, 0) / D;
    const v = row.reduce((a, b) => a + (b - m) ** 2, 0) / D;
    row.forEach((value, c) => (xhat[n * D + c] = (value - m) / Math.sqrt(v + 1e-5)));
  }
  await s.check('LayerNorm forward', y, xhat, 1e-5, 1e-5);
  await s.check('d weight = Σ_n x̂·c', ln.weight!.grad!, Array.from({ length: D }, (_, c) => c * [0, 1, 2].reduce((a, n) => a + xhat[n * D + c]!, 0)), 1e-5, 1e-5);
  await s.check('d bias = Σ_n c', ln.bias!.grad!, Array.from({ length: D }, (_, c) => c * N), 1e-6, 1e-6);
  // The next step's forward frees this one's output and intermediates (off the graph after backward).
  const before = gpu.stats.liveBuffers;
  for (let step = 0; step < 3; step++) {
    ln.zeroGrad();
    const loss = F.sum(ln.forward(x));
    loss.backward();
    loss.destroy();
  }
  s.expect('LayerNorm: three more steps hold no more buffers than one', gpu.stats.liveBuffers <= before, `${gpu.stats.liveBuffers - before} more`);
  F.logsumexp(x, 1).destroy(); // its first call makes the Gpu's grow-only scratch buffers, which stay
  const inTidy = gpu.stats.liveBuffers;
  tidy(() => {
    F.logsumexp(F.mul(x, 2), 1);
  });
  s.expect('tidy frees a composed op with its intermediates', gpu.stats.liveBuffers === inTidy, `${gpu.stats.liveBuffers - inTidy} left`);
  // BCE with logits, mean, against float64 from the definition: −[t ln σ(x) + (1 − t) ln(1 − σ(x))].
  const T = Array.from({ length: N * D }, (_, i) => (i % 3 === 0 ? 1 : 0));
  const bce = new nn.BCEWithLogitsLoss({ gpu });
  const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
  const expected = X.reduce((a, v, i) => a - (T[i]! * Math.log(sigmoid(Math.fround(v))) + (1 - T[i]!) * Math.log(1 - sigmoid(Math.fround(v)))), 0) / (N * D);
  await s.check('BCEWithLogitsLoss', bce.forward(x, s.input(T, [N, D])), [expected], 1e-6, 1e-5);
  for (const [module, f, text] of [
    [new nn.SiLU({ gpu }), (v: number) => v * sigmoid(v), 'SiLU()'],
    [new nn.Softplus(2, 1, { gpu }), (v: number) => (2 * v > 1 ? v : Math.log1p(Math.exp(2 * v)) / 2), 'Softplus(beta=2, threshold=1)'],
    [new nn.ELU(0.5, { gpu }), (v: number) => (v > 0 ? v : 0.5 * Math.expm1(v)), 'ELU(alpha=0.5)'],
  ] as const) {
    s.expect(`${text} describe`, module.describe() === text, module.describe());
    await s.check(text, module.forward(x), Array.from(X, (v) => f(Math.fround(v))), 1e-6, 1e-5);
  }
  // Forwards that never reach backward (an evaluation loop without noGrad) hold at most
  // nn.MAX_CALLS_PER_GRAPH outputs; a read of one taken back names the module, not an inner op.
  const silu = new nn.SiLU({ gpu });
  const first = silu.forward(x);
  const held = gpu.stats.liveBuffers;
  for (let call = 0; call < nn.MAX_CALLS_PER_GRAPH + 10; call++) silu.forward(x);
  s.expect(`SiLU: ${nn.MAX_CALLS_PER_GRAPH + 10} forwards without a backward hold at most ${nn.MAX_CALLS_PER_GRAPH} outputs`, gpu.stats.liveBuffers - held <= 2 * nn.MAX_CALLS_PER_GRAPH, `${gpu.stats.liveBuffers - held} more buffers`);
  // Large outputs: at most CALL_BUFFERS_MAX_BYTES of them and their intermediates, and MIN_CALLS_PER_GRAPH at least.
  const large = s.input(uniform(random, 2 ** 21), [2 ** 21]);
  large.requiresGrad = true; // recorded: the graph holds every output
  const beforeLarge = gpu.stats.liveBuffers;
  const heldLarge: number[] = [];
  const siluLarge = new nn.SiLU({ gpu });
  let firstLarge: Tensor | null = null;
  for (let call = 0; call < 8; call++) {
    const y = siluLarge.forward(large);
    firstLarge ??= s.own(F.sum(y));
    heldLarge.push(gpu.stats.liveBuffers - beforeLarge);
  }
  s.expectError('a backward through an output freed at the limit names the module and the way out', () => firstLarge!.backward(), /^backward: 'sum' needs 'mul', which was freed by a later forward of SiLU\(\), called 5 times without a backward, past the outputs it may hold \(nn\.MIN_CALLS_PER_GRAPH, nn\.callBufferLimits\), which freed the oldest: call backward\(\) sooner, run forwards that need no gradient in noGrad\(\), or, for one backward through more calls \(a long unrolled sequence\), raise nn\.callBufferLimits$/);
  s.expect('SiLU of 8 MiB (16 MiB with its sigmoid): four outputs held, then no more (64 MiB)', heldLarge.slice(3).every((n) => n === heldLarge[3]) && heldLarge[3]! - heldLarge[0]! === 6, heldLarge.join(' '));
  const refused = await first.read().then(() => 'read', (error: Error) => error.message);
  s.expect('reading the first output, taken back: the module named', new RegExp(`was overwritten by a later forward of SiLU\\(\\), called ${nn.MAX_CALLS_PER_GRAPH + 1} times without a backward, past the outputs it may hold`).test(refused), refused);
  s.expectError('var over one element', () => F.var(s.input([1, 2], [2, 1]), 1), /^var: 1 element over dims \[1\] of \[2, 1\] with correction 1 leave no degrees of freedom \(PyTorch gives nan or inf there\); pass \{ correction: 0 \} for the population variance$/);
  s.expectError('var with both spellings', () => F.var(x, 1, { unbiased: true, correction: 1 }), /^var: give 'correction' or 'unbiased', not both$/);
  s.expectError('logsumexp without dim', () => F.logsumexp(x, undefined as unknown as number), /^logsumexp: argument 'dim' is required \(PyTorch's too\): F.logsumexp\(x, 1\)$/);
  s.expectError('layerNorm of another shape', () => F.layerNorm(x, [3]), /^layerNorm: Given normalized_shape=\[3\], expected input with shape \[\*, 3\], but got input of size \[3, 4\]$/);
  s.expectError('BCE with a target of another shape', () => F.binaryCrossEntropyWithLogits(x, s.input([1, 0, 1])), /^binaryCrossEntropyWithLogits: Target size \(\[3\]\) must be the same as input size \(\[3, 4\]\)$/);
  s.expectError('LayerNorm of no shape', () => new nn.LayerNorm([], { gpu }), /^LayerNorm: argument 'normalized_shape' expected a size or a non-empty list of sizes, got \[\]$/);
});

add('F.layerNorm, the fused kernel: one dispatch forward; a layer used twice in one graph adds up dx, d weight and d bias (75 rows: d weight in chunks) vs float64; a frozen weight gets none; its statistics freed with the output', async (s, random) => {
  const gpu = s.gpu;
  const [B, T, D] = [3, 25, 8]; // over [D]: 75 rows
  const [X, W, Bias, R1, R2] = [uniform(random, B * T * D, -2, 3), uniform(random, D, 0.5, 1.5), uniform(random, D), uniform(random, B * T * D), uniform(random, B * T * D)];
  const x = s.input(X, [B, T, D]);
  const [weight, bias] = [s.input(W, [D]), s.input(Bias, [D])];
  for (const t of [x, weight, bias]) t.requiresGrad = true;
  const before = gpu.stats.dispatches;
  const y1 = F.layerNorm(x, [D], weight, bias);
  s.expect('one dispatch forward', gpu.stats.dispatches === before + 1, `${gpu.stats.dispatches - before} dispatches`);
  const y2 = F.layerNorm(x, [D], weight, bias);
  F.add(F.sum(F.mul(y1, s.input(R1, [B, T, D]))), F.sum(F.mul(y2, s.input(R2, [B, T, D])))).backward();
  const [x32, w32] = [Float32Array.from(X), Float32Array.from(W)];
  await s.check('forward', y1, lnRef.layerNorm(x32, D, w32, Float32Array.from(Bias), 1e-5).y, 1e-5, 1e-5);
  const [g1, g2] = [R1, R2].map((r) => lnRef.layerNormBackward(x32, Float32Array.from(r), D, w32, 1e-5));
  await s.check('dx, both calls', x.grad!, g1!.dx.map((v, i) => v + g2!.dx[i]!), 1e-5, 1e-4);
  await s.check('d weight, both calls', weight.grad!, g1!.dweight.map((v, i) => v + g2!.dweight[i]!), 1e-4, 1e-5);
  await s.check('d bias, both calls', bias.grad!, g1!.dbias.map((v, i) => v + g2!.dbias[i]!), 1e-4, 1e-5);
  // Frozen weight, x without grad: the bias alone gets a gradient, over [T, D] this time (one row a sample).
  const [w2, b2] = [s.input(uniform(random, T * D, 0.5, 1.5), [T, D]), s.input(uniform(random, T * D), [T, D])];
  b2.requiresGrad = true;
  const x2 = s.input(X, [B, T, D]);
  F.sum(F.mul(F.layerNorm(x2, [T, D], w2, b2), s.input(R1, [B, T, D]))).backward();
  s.expect('frozen weight and x get no gradient', !w2.hasGrad && !x2.hasGrad, `weight ${w2.hasGrad}, x ${x2.hasGrad}`);
  await s.check('d bias over [T, D]', b2.grad!, Array.from({ length: T * D }, (_, j) => [0, 1, 2].reduce((a, b) => a + Math.fround(R1[b * T * D + j]!), 0)), 1e-5, 1e-5);
  const live = gpu.stats.liveBuffers;
  F.layerNorm(x2, [D]).destroy();
  s.expect('destroy() frees the output with its mean and rstd', gpu.stats.liveBuffers === live, `${gpu.stats.liveBuffers - live} left`);
});

add('nn.Linear and F.matmul on [B, T, in] (as in a transformer): one product of the flattened rows, values and gradients vs float64; a fused ReLU; 1-D input; errors named', async (s, random) => {
  const gpu = s.gpu;
  const [B, T, inF, outF] = [2, 5, 6, 3];
  const rows = B * T;
  const X = uniform(random, rows * inF, -2, 2);
  const R = uniform(random, rows * outF);
  const lin = new nn.Linear(inF, outF, { gpu });
  const [W, Bias] = [await lin.weight.read(), await lin.bias!.read()];
  for (const activation of ['none', 'relu'] as const) {
    lin.zeroGrad();
    const x = s.input(X, [B, T, inF]);
    x.requiresGrad = true;
    const y = lin.forward(x, activation);
    s.expect(`${activation}: output shape [B, T, out]`, shapeText(y.shape) === `[${B}, ${T}, ${outF}]`, shapeText(y.shape));
    F.sum(F.mul(y, s.input(R, [B, T, outF]))).backward();
    // float64: z = x·Wᵀ + b over the rows; dz = r (· 1[z > 0] with ReLU); dx = dz·W, dW = dzᵀ·x, db = Σ dz.
    const z = ref.matmul(X, W, { M: rows, N: outF, K: inF, transposeB: true, bias: Bias });
    const dz = R.map((r, i) => (activation === 'relu' && !(z[i]! > 0) ? 0 : r));
    await s.check(`${activation}: y`, y, z.map((v) => ref.activate(v, activation)), 1e-5, 1e-5);
    await s.check(`${activation}: dx`, x.grad!, ref.matmul(dz, W, { M: rows, N: inF, K: outF }), 1e-5, 1e-5);
    await s.check(`${activation}: d weight`, lin.weight.grad!, ref.matmul(dz, X, { M: outF, N: inF, K: rows, transposeA: true }), 1e-5, 1e-5);
    await s.check(`${activation}: d bias`, lin.bias!.grad!, ref.sumRows(dz, rows, outF), 1e-5, 1e-5);
  }
  // F.matmul with a 2-D b: [B, T, K] @ [K, N].
  const a = s.input(X, [B, T, inF]);
  const b = s.input(W, [inF, outF]);
  a.requiresGrad = true;
  b.requiresGrad = true;
  const c = F.matmul(a, b);
  F.sum(F.mul(c, s.input(R, [B, T, outF]))).backward();
  s.expect('matmul [B, T, K] @ [K, N] shape', shapeText(c.shape) === `[${B}, ${T}, ${outF}]`, shapeText(c.shape));
  await s.check('matmul [B, T, K] @ [K, N]', c, ref.matmul(X, W, { M: rows, N: outF, K: inF }), 1e-5, 1e-5);
  await s.check('matmul d a', a.grad!, ref.matmul(R, W, { M: rows, N: inF, K: outF, transposeB: true }), 1e-5, 1e-5);
  await s.check('matmul d b', b.grad!, ref.matmul(X, R, { M: inF, N: outF, K: rows, transposeA: true }), 1e-5, 1e-5);
  // A 1-D input, as PyTorch's: [in] → [out].
  const single = lin.forward(s.input(X.slice(0, inF), [inF]));
  s.expect('1-D input gives [out]', shapeText(single.shape) === `[${outF}]`, shapeText(single.shape));
  await s.check('1-D input', single, ref.matmul(X.slice(0, inF), W, { M: 1, N: outF, K: inF, transposeB: true, bias: Bias }), 1e-5, 1e-5);
  s.expectError('Linear, last dimension not in_features', () => lin.forward(s.input(X.slice(0, 10), [2, 5])), /^Linear\(in_features=6, out_features=3, bias=True\): input expected shape \[\*, 6\] \(in_features\), got \[2, 5\]$/);
  s.expectError('matmul, mismatched inner sizes', () => F.matmul(a, s.input(W, [outF, inF])), /^matmul: a \[2, 5, 6\] and b \[3, 6\] cannot be multiplied \(6 columns against 3 rows\)$/);
  s.expectError('matmul, a vector', () => F.matmul(a, s.input(W.slice(0, inF), [inF])), /^matmul: expected operands of 2 or more dimensions, got \[2, 5, 6\] and \[6\]/);
});

/** float64 a @ b with torch.matmul's batch broadcasting, and the gradients of Σ (a @ b) · r. */
function batchedMatmulReference(A: ArrayLike<number>, aShape: number[], Bm: ArrayLike<number>, bShape: number[], R: ArrayLike<number>) {
  const [M, K, N] = [aShape.at(-2)!, aShape.at(-1)!, bShape.at(-1)!];
  const [aBatch, bBatch] = [aShape.slice(0, -2), bShape.slice(0, -2)];
  const rank = Math.max(aBatch.length, bBatch.length);
  const pad = (shape: number[]) => [...Array(rank - shape.length).fill(1), ...shape];
  const [pa, pb] = [pad(aBatch), pad(bBatch)];
  const batch = pa.map((d, i) => Math.max(d, pb[i]!));
  const count = batch.reduce((x, y) => x * y, 1);
  // The flat index into an operand's batch of result batch z: its size-1 dimensions read index 0.
  const flatIn = (shape: number[], z: number) => {
    let [rest, index, stride] = [z, 0, 1];
    for (let i = rank - 1; i >= 0; i--) {
      const coordinate = rest % batch[i]!;
      rest = Math.floor(rest / batch[i]!);
      index += (shape[i] === 1 ? 0 : coordinate) * stride;
      stride *= shape[i]!;
    }
    return index;
  };
  const [C, dA, dB] = [new Float64Array(count * M * N), new Float64Array(A.length), new Float64Array(Bm.length)];
  for (let z = 0; z < count; z++) {
    const [ia, ib] = [flatIn(pa, z) * M * K, flatIn(pb, z) * K * N];
    for (let m = 0; m < M; m++) {
      for (let n = 0; n < N; n++) {
        const r = R[(z * M + m) * N + n]!;
        for (let k = 0; k < K; k++) {
          C[(z * M + m) * N + n]! += A[ia + m * K + k]! * Bm[ib + k * N + n]!;
          dA[ia + m * K + k]! += r * Bm[ib + k * N + n]!;
          dB[ib + k * N + n]! += A[ia + m * K + k]! * r;
        }
      }
    }
  }
  return { shape: [...batch, M, N], C, dA, dB };
}

add('F.matmul batched (torch.matmul over leading dimensions, broadcast) and F.bmm: values and gradients vs float64, one dispatch a product; errors named', async (s, random) => {
  const gpu = s.gpu;
  for (const [aShape, bShape] of [
    [[2, 3, 4, 5], [2, 3, 5, 6]], // two batch dimensions, equal
    [[2, 1, 4, 5], [3, 5, 6]], // a spread over 3, b over 2: copies, whose gradients sum back
    [[4, 5], [3, 5, 6]], // a matrix against a batch: shared, read in place (batch stride 0)
    [[3, 7, 4], [1, 4, 9]], // attention-like: b shared by the batch through a leading 1
    [[1, 1, 4, 5], [2, 3, 5, 6]], // a shared over two batch dimensions
    [[2, 3, 4, 5], [1, 5, 6]], // b shared over two batch dimensions
    [[2, 1, 4, 8], [2, 3, 8, 4]], // a spread over part of the batch: copied
  ] as [number[], number[]][]) {
    const [A, Bm] = [uniform(random, aShape.reduce((x, y) => x * y, 1)), uniform(random, bShape.reduce((x, y) => x * y, 1))];
    const expected = batchedMatmulReference(A, aShape, Bm, bShape, []);
    const R = uniform(random, expected.C.length);
    const { shape, C, dA, dB } = batchedMatmulReference(A, aShape, Bm, bShape, R);
    const [a, b] = [s.input(A, aShape), s.input(Bm, bShape)];
    a.requiresGrad = true;
    b.requiresGrad = true;
    const before = gpu.stats.dispatches;
    const c = F.matmul(a, b);
    const what = `${shapeText(aShape)} @ ${shapeText(bShape)}`;
    const batch = shapeText(shape.slice(0, -2));
    // Copied by F.expand: an operand spread over part of the batch (not one matrix for all of it).
    const count = (dims: number[]) => dims.reduce((x, y) => x * y, 1);
    const copies = [aShape, bShape].filter((t) => shapeText(t.slice(0, -2)) !== batch && count(t.slice(0, -2)) !== 1).length;
    s.expect(`${what}: one product dispatch, after ${copies} copies`, gpu.stats.dispatches - before === 1 + copies, `${gpu.stats.dispatches - before} dispatches`);
    s.expect(`${what}: shape ${shapeText(shape)}`, shapeText(c.shape) === shapeText(shape), shapeText(c.shape));
    F.sum(F.mul(c, s.input(R, shape))).backward();
    await s.check(`${what}: values`, c, C, 1e-5, 1e-5);
    await s.check(`${what}: d a`, a.grad!, dA, 1e-5, 1e-5);
    await s.check(`${what}: d b`, b.grad!, dB, 1e-5, 1e-5);
    const live = gpu.stats.liveBuffers;
    F.matmul(s.input(A, aShape), s.input(Bm, bShape)).destroy();
    s.expect(`${what}: destroy() frees the output with its copies`, gpu.stats.liveBuffers === live + 2, `${gpu.stats.liveBuffers - live - 2} left`);
  }
  // F.bmm, and a softmax attention written out: softmax(Q·Kᵀ/√d)·V, against float64.
  const [Bt, T, D] = [3, 5, 4];
  const [Q, Kx, V] = [uniform(random, Bt * T * D, -1, 1), uniform(random, Bt * T * D, -1, 1), uniform(random, Bt * T * D, -1, 1)];
  const [q, k, v] = [s.input(Q, [Bt, T, D]), s.input(Kx, [Bt, T, D]), s.input(V, [Bt, T, D])];
  const attention = F.bmm(F.softmax(F.mul(F.bmm(q, F.transpose(k, 1, 2)), 1 / Math.sqrt(D)), -1), v);
  const expectedAttention = new Float64Array(Bt * T * D);
  for (let z = 0; z < Bt; z++) {
    for (let i = 0; i < T; i++) {
      const scores = Array.from({ length: T }, (_, j) => Array.from({ length: D }, (_, d) => Math.fround(Q[(z * T + i) * D + d]!) * Math.fround(Kx[(z * T + j) * D + d]!)).reduce((x, y) => x + y, 0) / Math.sqrt(D));
      const top = Math.max(...scores);
      const weights = scores.map((x) => Math.exp(x - top));
      const total = weights.reduce((x, y) => x + y, 0);
      for (let d = 0; d < D; d++) expectedAttention[(z * T + i) * D + d] = weights.reduce((acc, w, j) => acc + (w / total) * Math.fround(V[(z * T + j) * D + d]!), 0);
    }
  }
  await s.check('softmax(Q·Kᵀ/√d)·V with F.bmm', attention, expectedAttention, 1e-5, 1e-5);
  s.expectError('bmm of a matrix', () => F.bmm(s.input(Q.slice(0, T * D), [T, D]), v), /^bmm: argument 'input' expected a 3-D tensor, got \[5, 4\]$/);
  s.expectError('bmm, mismatched batch', () => F.bmm(q, s.input(V.slice(0, 2 * T * D), [2, D, T])), /^bmm: expected mat2 of size \[3, 4, \*\] for input \[3, 5, 4\], got \[2, 4, 5\]$/);
  s.expectError('matmul, batches that do not broadcast', () => F.matmul(s.input(uniform(random, 2 * 3 * 4), [2, 3, 4]), s.input(uniform(random, 3 * 4 * 2), [3, 4, 2])), /^matmul: the batch dimensions of \[2, 3, 4\] and \[3, 4, 2\] \(\[2\] and \[3\]\) do not broadcast/);
  const kt = F.transpose(k, 1, 2);
  s.expectError('matmul, out of the wrong shape', () => F.matmul(q, kt, { out: s.output([Bt * T * T]) }), /^matmul: argument 'out' expected shape \[3, 5, 5\], got \[75\]$/);
  s.expectError('matmul, out with an operand spread over part of the batch', () => F.matmul(s.input(uniform(random, 2 * T * D), [2, 1, T, D]), s.input(uniform(random, 2 * Bt * D * T), [2, Bt, D, T]), { out: s.output([2, Bt, T, T]) }), /^matmul: 'out' cannot be given when an operand is spread over part of the batch/);
  // A shared operand is read in place, so 'out' may be given; the values as without it.
  const shared = s.input(uniform(random, D * T), [1, D, T]);
  const into = s.output([Bt, T, T]);
  F.matmul(q, shared, { out: into });
  const mine = F.matmul(q, shared);
  await s.check('matmul with out and a shared operand', into, await mine.read(), 0, 0);
  s.expectError('matmul [*, K] @ [K, N], out of the wrong shape', () => F.matmul(q, s.input(uniform(random, D * 2), [D, 2]), { out: s.output([Bt * T, 2]) }), /^matmul: argument 'out' expected shape \[3, 5, 2\], got \[15, 2\]$/);
});

add('nn.GELU and F.gelu, both forms: values and gradients vs float64 through a Linear; describe; errors named', async (s, random) => {
  const gpu = s.gpu;
  const X = uniform(random, 24, -6, 6);
  for (const approximate of ['none', 'tanh'] as const) {
    const act = approximate === 'none' ? new nn.GELU({ gpu }) : new nn.GELU({ approximate, gpu });
    s.expect(`describe ${approximate}`, act.describe() === `GELU(approximate='${approximate}')`, act.describe());
    const x = s.input(X, [4, 6]);
    x.requiresGrad = true;
    const y = act.forward(x);
    F.sum(F.mul(y, y)).backward(); // d/dx Σ y² = 2y · gelu′(x)
    const expectedY = Array.from(X, (v) => actRef.gelu(Math.fround(v), approximate));
    await s.check(`${approximate}: y`, y, expectedY, 1e-6, 1e-5);
    await s.check(`${approximate}: dx`, x.grad!, actRef.geluBackward(Float32Array.from(X), expectedY.map((v) => 2 * v), approximate), 1e-5, 1e-5);
  }
  s.expectError('an unknown approximation', () => new nn.GELU({ approximate: 'erf' as 'none', gpu }), /^GELU: argument 'approximate' expected 'none' or 'tanh', got "erf"$/);
  s.expectError('an unknown option', () => new nn.GELU({ approximation: 'tanh', gpu } as never), /^GELU: unknown option 'approximation'/);
  s.expectError('F.gelu, an unknown approximation', () => F.gelu(s.input([1]), 'fast' as 'none'), /^gelu: argument 'approximate' expected 'none' or 'tanh', got "fast"$/);
});

/** float64 attention per batch (q [L, E], k [S, E], v [S, Ev] each), with an additive mask [L, S], and the gradients of Σ out · r. */
function attentionReference(Q: number[], K: number[], Vv: number[], R: number[], d: { count: number; L: number; S: number; E: number; Ev: number; scale: number; mask: number[] }) {
  const { count, L, S, E, Ev, scale, mask } = d;
  const out = new Float64Array(count * L * Ev);
  const [dQ, dK, dV] = [new Float64Array(Q.length), new Float64Array(K.length), new Float64Array(Vv.length)];
  for (let z = 0; z < count; z++) {
    const [q, k, v, r] = [(i: number, e: number) => Q[(z * L + i) * E + e]!, (j: number, e: number) => K[(z * S + j) * E + e]!, (j: number, e: number) => Vv[(z * S + j) * Ev + e]!, (i: number, e: number) => R[(z * L + i) * Ev + e]!];
    for (let i = 0; i < L; i++) {
      const scores = Array.from({ length: S }, (_, j) => Array.from({ length: E }, (_, e) => q(i, e) * k(j, e)).reduce((a, b) => a + b, 0) * scale + mask[i * S + j]!);
      const top = Math.max(...scores);
      const w = scores.map((x) => Math.exp(x - top));
      const total = w.reduce((a, b) => a + b, 0);
      const p = w.map((x) => x / total);
      for (let e = 0; e < Ev; e++) out[(z * L + i) * Ev + e] = p.reduce((a, pj, j) => a + pj * v(j, e), 0);
      // dP_j = Σ_e r_e v_je; dS_j = P_j (dP_j − Σ_j' P_j' dP_j'); dq = scale Σ_j dS_j k_j; dk_j += scale dS_j q; dv_j += P_j r.
      const dP = Array.from({ length: S }, (_, j) => Array.from({ length: Ev }, (_, e) => r(i, e) * v(j, e)).reduce((a, b) => a + b, 0));
      const dot = p.reduce((a, pj, j) => a + pj * dP[j]!, 0);
      for (let j = 0; j < S; j++) {
        const dS = p[j]! * (dP[j]! - dot);
        for (let e = 0; e < E; e++) {
          dQ[(z * L + i) * E + e]! += scale * dS * k(j, e);
          dK[(z * S + j) * E + e]! += scale * dS * q(i, e);
        }
        for (let e = 0; e < Ev; e++) dV[(z * S + j) * Ev + e]! += p[j]! * r(i, e);
      }
    }
  }
  return { out, dQ, dK, dV };
}

add('F.scaledDotProductAttention: plain, causal, an additive mask and a scale, over [2, 3] batch dimensions with L ≠ S; values and the gradients of q, k and v vs float64; errors named', async (s, random) => {
  const gpu = s.gpu;
  const [b0, b1, L, S, E, Ev] = [2, 3, 4, 5, 3, 2];
  const count = b0 * b1;
  const [Q, K, Vv, R] = [count * L * E, count * S * E, count * S * Ev, count * L * Ev].map((n) => Array.from(uniform(random, n, -2, 2), Math.fround)) as [number[], number[], number[], number[]];
  const additive = Array.from({ length: L * S }, (_, i) => (i % 3 === 1 ? -Infinity : Math.fround(random() - 0.5)));
  for (const [what, options, mask, scale] of [
    ['plain', {}, new Array(L * S).fill(0), 1 / Math.sqrt(E)],
    ['causal', { is_causal: true }, Array.from({ length: L * S }, (_, i) => (i % S > Math.floor(i / S) ? -Infinity : 0)), 1 / Math.sqrt(E)],
    ['an additive mask, scale 0.7', { attnMask: s.input(additive, [L, S]), scale: 0.7 }, additive, 0.7],
  ] as [string, F.AttentionOptions, number[], number][]) {
    const [q, k, v] = [s.input(Q, [b0, b1, L, E]), s.input(K, [b0, b1, S, E]), s.input(Vv, [b0, b1, S, Ev])];
    for (const t of [q, k, v]) t.requiresGrad = true;
    const out = F.scaledDotProductAttention(q, k, v, options);
    s.expect(`${what}: shape`, shapeText(out.shape) === `[${b0}, ${b1}, ${L}, ${Ev}]`, shapeText(out.shape));
    F.sum(F.mul(out, s.input(R, out.shape))).backward();
    const expected = attentionReference(Q, K, Vv, R, { count, L, S, E, Ev, scale, mask });
    await s.check(`${what}: values`, out, expected.out, 1e-5, 1e-5);
    await s.check(`${what}: d query`, q.grad!, expected.dQ, 1e-5, 1e-4);
    await s.check(`${what}: d key`, k.grad!, expected.dK, 1e-5, 1e-4);
    await s.check(`${what}: d value`, v.grad!, expected.dV, 1e-5, 1e-4);
    const live = gpu.stats.liveBuffers;
    F.scaledDotProductAttention(q, k, v, options).destroy();
    s.expect(`${what}: destroy() frees the output with its intermediates`, gpu.stats.liveBuffers === live, `${gpu.stats.liveBuffers - live} left`);
  }
  // Inputs that own their whole buffer (a view of one, made inside, covers all of it): destroy() and
  // tidy() free the output and its intermediates, never the inputs. Keys and values shared by the batch.
  const [qOwn, kShared] = [Tensor.fromArray(gpu, Q.slice(0, 2 * L * E), [2, L, E]), Tensor.fromArray(gpu, K.slice(0, S * E), [S, E])];
  F.scaledDotProductAttention(qOwn, kShared, kShared).destroy();
  tidy(() => F.scaledDotProductAttention(qOwn, kShared, kShared, { isCausal: true }));
  const kept = await Promise.all([qOwn.read(), kShared.read()]).then(() => 'readable', (error: Error) => error.message);
  s.expect('the inputs outlive the output and the tidy()', kept === 'readable', kept);
  const shared = F.scaledDotProductAttention(qOwn, kShared, kShared);
  await s.check('keys and values [S, E] shared by a batch of queries', shared, attentionReference(Q.slice(0, 2 * L * E), [...K.slice(0, S * E), ...K.slice(0, S * E)], [...K.slice(0, S * E), ...K.slice(0, S * E)], new Array(2 * L * E).fill(0), { count: 2, L, S, E, Ev: E, scale: 1 / Math.sqrt(E), mask: new Array(L * S).fill(0) }).out, 1e-5, 1e-5);
  [shared, qOwn, kShared].forEach((t) => t.destroy());
  const [q, k, v] = [s.input(Q, [count, L, E]), s.input(K, [count, S, E]), s.input(Vv, [count, S, Ev])];
  s.expectError('the mask as a 4th argument', () => F.scaledDotProductAttention(q, k, v, s.input(additive, [L, S]) as never), /^scaledDotProductAttention: the mask goes in the options, F.scaledDotProductAttention\(q, k, v, \{ attnMask \}\)/);
  s.expectError('batches that do not broadcast', () => F.scaledDotProductAttention(q, s.input(K.slice(0, 2 * S * E), [2, S, E]), s.input(Vv.slice(0, 2 * S * Ev), [2, S, Ev])), /^scaledDotProductAttention: query \[6, 4, 3\], key \[2, 5, 3\] and value \[2, 5, 2\] do not broadcast/);
  s.expectError('a mask that does not broadcast', () => F.scaledDotProductAttention(q, k, v, { attnMask: s.input(additive, [S, L]) }), /^scaledDotProductAttention: attn_mask \[5, 4\] and the scores \[6, 4, 5\] do not broadcast/);
  s.expectError('an i32 query', () => F.scaledDotProductAttention(s.input([1, 2], [1, 2], 'i32'), k, v), /^scaledDotProductAttention: argument 'query' expected dtype f32, got i32$/);
  // dropout_p: equal scores (q = k = 0) and values of 1 make each output (kept keys) / (S · (1 − p)).
  const [rows, keys, p] = [256, 8, 0.25];
  const ones = s.input(new Array(rows * keys).fill(1), [rows, keys, 1]);
  const dropped = await F.scaledDotProductAttention(s.input(new Array(rows * 2).fill(0), [rows, 1, 2]), s.input(new Array(rows * keys * 2).fill(0), [rows, keys, 2]), ones, { dropout_p: p }).read();
  const keptKeys = Array.from(dropped, (y) => y * keys * (1 - p));
  s.expect('dropout_p: every output is (kept keys) / (S · (1 − p))', keptKeys.every((k) => Math.abs(k - Math.round(k)) < 1e-4 && k >= -1e-4 && k <= keys + 1e-4), `${keptKeys.slice(0, 8)}`);
  const average = keptKeys.reduce((a, b) => a + b, 0) / (rows * keys * (1 - p));
  s.expect('dropout_p: the outputs average 1 (inverted dropout), some rows dropped', Math.abs(average - 1) < 0.1 && new Set(keptKeys.map(Math.round)).size > 2, `average ${average}, kept ${[...new Set(keptKeys.map(Math.round))]}`);
  s.expectError('dropout of -0.1', () => F.scaledDotProductAttention(q, k, v, { dropout_p: -0.1 }), /^scaledDotProductAttention: argument 'dropout_p' expected a probability in \[0, 1\], got -0.1$/);
  s.expectError('mask and causal', () => F.scaledDotProductAttention(q, k, v, { isCausal: true, attnMask: s.input(additive, [L, S]) }), /^scaledDotProductAttention: give attn_mask or is_causal, not both/);
  s.expectError('key of another width', () => F.scaledDotProductAttention(q, v, v), /^scaledDotProductAttention: query \[6, 4, 3\] and key \[6, 5, 2\] differ in their last size \(3 and 2\)$/);
  s.expectError('an unknown option', () => F.scaledDotProductAttention(q, k, v, { causal: true } as never), /^scaledDotProductAttention: unknown option 'causal'/);
});

add('nn.MultiheadAttention: PyTorch 1.13 parameter names, shapes and init; forward and forwardWithWeights equal F.multiHeadAttentionForward (checked against PyTorch in the parity cases); batch_first; steps hold no more buffers; errors named', async (s, random) => {
  const gpu = s.gpu;
  const [E, H, L, N] = [8, 2, 5, 3];
  const mha = new nn.MultiheadAttention(E, H, { gpu });
  const names = [...(await mha.stateDict())].map(([name, e]) => `${name} ${shapeText(e.shape)}`).join(', ');
  s.expect('state dict as PyTorch', names === 'in_proj_weight [24, 8], in_proj_bias [24], out_proj.weight [8, 8], out_proj.bias [8]', names);
  const bound = Math.sqrt(6 / (3 * E + E)); // xavier_uniform_ over the stacked [3E, E]
  const w = await mha.in_proj_weight.read();
  s.expect('in_proj_weight: xavier-uniform', w.every((v) => Math.abs(v) <= bound) && new Set(w).size > 100, `bound ${bound}`);
  s.expect('biases start at 0', [...(await mha.in_proj_bias!.read()), ...(await mha.out_proj.bias!.read())].every((v) => v === 0), 'nonzero');
  const X = uniform(random, L * N * E);
  const x = s.input(X, [L, N, E]);
  const mask = s.input(uniform(random, L * L), [L, L]);
  const { output, weights } = mha.forwardWithWeights(x, x, x, { attn_mask: mask });
  const direct = F.multiHeadAttentionForward(x, x, x, { numHeads: H, inProjWeight: mha.in_proj_weight, inProjBias: mha.in_proj_bias, outProjWeight: mha.out_proj.weight, outProjBias: mha.out_proj.bias, attnMask: mask });
  await s.check('output', output, await direct.output.read(), 0, 0);
  await s.check('weights [N, L, S], averaged over the heads', weights!, await direct.weights!.read(), 0, 0);
  s.expect('weights shape', shapeText(weights!.shape) === `[${N}, ${L}, ${L}]`, shapeText(weights!.shape));
  // batch_first: the same module's weights on [N, L, E] give the same rows, transposed.
  const first = new nn.MultiheadAttention(E, H, { batch_first: true, gpu });
  for (const [to, from] of [[first.in_proj_weight, mha.in_proj_weight], [first.in_proj_bias!, mha.in_proj_bias!], [first.out_proj.weight, mha.out_proj.weight], [first.out_proj.bias!, mha.out_proj.bias!]] as const) to.write(await from.read());
  const byBatch = first.forward(F.transpose(x, 0, 1));
  await s.check('batch_first', byBatch, await F.transpose(mha.forward(x), 0, 1).read(), 1e-6, 1e-6);
  // Training steps: each forward frees the previous output and its intermediates.
  const opt = new optim.SGD(mha.parameters(), { lr: 0.1 });
  // In tidy(): F.mul's output and its gradient, left alive, were 2 buffers a step (the check passed only
  // while the forwards above, never backwarded, were freed within its window).
  const step = () =>
    tidy(() => {
      opt.zeroGrad();
      F.mean(F.mul(mha.forward(x), mha.forward(x))).backward();
      opt.step();
    });
  step();
  const live = gpu.stats.liveBuffers;
  for (let i = 0; i < 3; i++) step();
  s.expect('three more steps hold no more buffers', gpu.stats.liveBuffers <= live, `${gpu.stats.liveBuffers - live} more`);
  // dropout: while training, the weights [N, heads, L, S] are the undropped ones times the mask
  // F.dropout's reference draws for the module's seed and forward count; eval() keeps them whole.
  const p = 0.3;
  const dropping = new nn.MultiheadAttention(E, H, { dropout: p, gpu });
  for (const [to, from] of [[dropping.in_proj_weight, mha.in_proj_weight], [dropping.in_proj_bias!, mha.in_proj_bias!], [dropping.out_proj.weight, mha.out_proj.weight], [dropping.out_proj.bias!, mha.out_proj.bias!]] as const) to.write(await from.read());
  const whole = await mha.forwardWithWeights(x, x, x, { averageAttnWeights: false }).weights!.read();
  for (const step of [0, 1]) {
    const dropped = dropping.forwardWithWeights(x, x, x, { averageAttnWeights: false });
    const mask = dropoutMask(whole.length, p, dropping.seed, step);
    await s.check(`dropout ${p}, forward ${step}: weights = whole ⊙ mask / (1 − p)`, dropped.weights!, Array.from(whole, (w, i) => w * mask[i]!), 1e-6, 1e-5);
    const direct = F.multiHeadAttentionForward(x, x, x, { numHeads: H, inProjWeight: mha.in_proj_weight, inProjBias: mha.in_proj_bias, outProjWeight: mha.out_proj.weight, outProjBias: mha.out_proj.bias, dropoutP: p, dropoutSeed: dropping.seed, dropoutStep: step });
    await s.check(`dropout ${p}, forward ${step}: output as F.multiHeadAttentionForward's with that mask`, dropped.output, await direct.output.read(), 1e-6, 1e-6);
    s.expect(`dropout ${p}, forward ${step}: some weights dropped`, mask.some((m) => m === 0) && mask.some((m) => m > 0), 'all or none');
  }
  dropping.eval();
  await s.check('dropout in eval(): the weights whole', dropping.forwardWithWeights(x, x, x, { averageAttnWeights: false }).weights!, whole, 1e-7, 1e-6);
  const undropped = F.multiHeadAttentionForward(x, x, x, { numHeads: H, inProjWeight: mha.in_proj_weight, inProjBias: mha.in_proj_bias, outProjWeight: mha.out_proj.weight, outProjBias: mha.out_proj.bias, dropoutP: p, training: false, needWeights: false });
  await s.check('F.multiHeadAttentionForward, training false: no dropout', undropped.output, await mha.forward(x).read(), 1e-7, 1e-6);
  s.expectError('dropout of 1.5', () => new nn.MultiheadAttention(E, H, { dropout: 1.5, gpu }), /^MultiheadAttention: option 'dropout' expected a probability in \[0, 1\], got 1.5$/);
  s.expectError('an unknown option of F.multiHeadAttentionForward', () => F.multiHeadAttentionForward(x, x, x, { numHeads: H, inProjWeight: mha.in_proj_weight, outProjWeight: mha.out_proj.weight, dropout: 0.1 } as never), /^multiHeadAttentionForward: unknown option 'dropout'/);
  s.expectError('heads that do not divide', () => new nn.MultiheadAttention(E, 3, { gpu }), /^MultiheadAttention: embed_dim \(8\) must be divisible by num_heads, got 3$/);
  s.expectError('a key padding mask of the wrong shape', () => mha.forwardWithWeights(x, x, x, { key_padding_mask: mask }), /^multiHeadAttentionForward: argument 'key_padding_mask' expected shape \[3, 5\] \(batch, keys\), got \[5, 5\]$/);
  s.expectError('is_causal', () => mha.forward(x, x, x, { is_causal: true } as never), /^MultiheadAttention.forward: /);
  s.expectError('one sequence as query, a batch as key', () => mha.forward(s.input(X.slice(0, L * E), [L, E]), x, x), /^multiHeadAttentionForward: query \[5, 8\] is one sequence \(unbatched \[L, E\]\), so key must be too \(\[S, E\]\), got \[5, 3, 8\]$/);
  s.expectError('a 4-D query', () => mha.forward(s.input(X.slice(0, L * E), [L, 1, 1, E])), /^multiHeadAttentionForward: argument 'query' expected a 3-D tensor \(\[L, N, E\]; batch_first=True for \[N, L, E\]\) or one sequence \[L, E\], got \[5, 1, 1, 8\]$/);
  s.expectError('a mask of the wrong shape', () => mha.forward(x, x, x, { attnMask: s.input(uniform(random, 6), [2, 3]) }), /^multiHeadAttentionForward: argument 'attn_mask' expected shape \[5, 5\] or \[6, 5, 5\], got \[2, 3\]$/);
});

// A 1-D CNN over sequences: steps reuse their buffers, a module's old output is refused after its
// next forward, bad shapes are named.
add('Conv1d, MaxPool1d, AvgPool1d in a training loop: steps make no buffers; old outputs refused; shapes named', async (s, random) => {
  const gpu = s.gpu;
  const conv = new nn.Conv1d(3, 4, 3, { padding: 1, gpu });
  const model = new nn.Sequential(conv, new nn.ReLU({ gpu }), new nn.MaxPool1d(2, { gpu }), new nn.Conv1d(4, 4, 3, { gpu }), new nn.AvgPool1d(2, { gpu }), new nn.Flatten(1, -1, { gpu }), new nn.Linear(4, 2, { gpu }));
  const x = s.input(uniform(random, 2 * 3 * 10), [2, 3, 10]);
  const y = s.input([0, 1], [2], 'u32');
  const { live, losses } = await trainingSteps(gpu, model, x, y, 6);
  s.expect('steps after the first make no buffers', live.slice(1).every((n) => n === live[1]), live.join(' '));
  s.expect('the loss goes down', losses.at(-1)! < losses[0]!, losses.join(' '));
  const first = noGrad(() => conv.forward(x));
  noGrad(() => conv.forward(x)); // off the graph: the module's buffer is reused
  s.expectError("an output after the module's next forward", () => F.sum(first), /^tensor 'Conv1d.out' \[2, 4, 10\] was overwritten by a later forward of Conv1d\(3, 4, kernel_size=\(3,\), stride=\(1,\), padding=\(1,\)\)/);
  s.expect('one sequence [C, L]', conv.forward(s.input(uniform(random, 30), [3, 10])).shape.join() === '4,10', '');
  s.expectError('channels', () => conv.forward(s.input(uniform(random, 20), [2, 10])), /^Conv1d\(3, 4, kernel_size=\(3,\), stride=\(1,\), padding=\(1,\)\): input expected \[N, 3, L\] or one sequence \[3, L\], got \[2, 10\]$/);
  s.expectError('kernel size', () => new nn.Conv1d(3, 4, [3, 3] as unknown as number, { gpu }), /^Conv1d: argument 'kernelSize' expected an integer ≥ 1 \(or a list of one\), got \[3, 3\]$/);
  s.expectError("'same' with an even kernel", () => new nn.Conv1d(2, 2, 4, { padding: 'same', gpu }), /^Conv1d: padding='same' with kernel_size 4 \(dilation 1\) needs 3 positions of padding; PyTorch puts the odd one after the input/);
  s.expectError("'same' with a stride", () => new nn.Conv1d(2, 2, 3, { padding: 'same', stride: 2, gpu }), /^Conv1d: padding='same' is not supported for strided convolutions \(stride 2\), as in PyTorch$/);
  s.expectError('a pool padding over half its kernel', () => new nn.MaxPool1d(2, { padding: 2, gpu }), /^MaxPool1d: padding 2 must be at most half the kernel 2$/);
  const dilated = new nn.Conv1d(1, 1, 3, { dilation: 2, gpu });
  const short = s.input([1, 2, 3], [1, 1, 3]);
  s.expectError('a kernel longer than the input', () => dilated.forward(short), /^Conv1d\(1, 1, kernel_size=\(3,\), stride=\(1,\), dilation=\(2,\)\): kernel 3 \(dilated to 5\) is longer than the padded input 3 \(input \[1, 1, 3\], padding 0\)$/);
  const wide = new nn.AvgPool1d(5, { gpu });
  const one = s.input([1, 2, 3], [1, 3]);
  s.expectError('a pool window longer than the input', () => wide.forward(one), /^AvgPool1d\(kernel_size=\(5,\), stride=\(5,\), padding=\(0,\)\): kernel 5 is longer than the padded input 3 \(input \[1, 3\], padding 0\)$/);
  s.expectError('a 4-D input to MaxPool1d', () => new nn.MaxPool1d(2, { gpu }).forward(s.input(uniform(random, 16), [1, 1, 4, 4])), /^MaxPool1d\(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False\): input expected \[N, C, L\] or one sequence \[C, L\], got \[1, 1, 4, 4\]$/);
});

// Inputs of ever new shapes (a generation loop's growing sequence, variable-length batches): a
// module keeps the buffers of its last nn.SHAPES_PER_BUFFER shapes, and reads of new sizes reuse
// staging buffers by size class, so the buffers stay bounded; an output of a freed shape says why.
add('inputs of ever new shapes keep the buffers bounded: a module\'s last shapes, readbacks by size class', async (s, random) => {
  const gpu = s.gpu;
  const layer = new nn.Linear(3, 2, { gpu });
  const inputs = Array.from({ length: nn.SHAPES_PER_BUFFER + 8 }, (_, i) => s.input(uniform(random, (i + 1) * 3), [i + 1, 3]));
  const live: number[] = [];
  let first: Tensor | null = null;
  for (const x of inputs) {
    const y = noGrad(() => layer.forward(x));
    first ??= y;
    await y.read();
    live.push(gpu.stats.liveBuffers);
  }
  s.expect(`after ${nn.SHAPES_PER_BUFFER} shapes, a new one frees the oldest`, live.slice(nn.SHAPES_PER_BUFFER + 2).every((n) => n === live[nn.SHAPES_PER_BUFFER + 1]), live.join(' '));
  s.expectError('an output of a freed shape', () => first!.clone(), /^tensor 'Linear.out_none' \[1, 2\] was overwritten by a later forward of Linear\(in_features=3, out_features=2, bias=True\) with a new shape: a module keeps the buffers of its last 16 input shapes \(nn.SHAPES_PER_BUFFER\)/);
  // Shapes that come back (training batches, the last one, an evaluation) keep their buffers.
  const batches = [8, 8, 5, 40].map((rows) => s.input(uniform(random, rows * 3), [rows, 3]));
  const counts: number[] = [];
  for (let round = 0; round < 3; round++) {
    for (const x of batches) noGrad(() => layer.forward(x));
    counts.push(gpu.stats.liveBuffers);
  }
  s.expect('shapes that come back make no buffers', counts[1] === counts[2], counts.join(' '));
  // What the current graph holds is never freed: two outputs made off the graph, then put on it,
  // then more shapes than a set keeps before the backward (a look at other inputs under noGrad).
  const pool = new nn.AvgPool1d(2, { gpu });
  const head = new nn.Conv1d(2, 1, 1, { gpu });
  const sequence = (L: number) => s.input(uniform(random, 2 * L), [1, 2, L]);
  const [a, b] = [pool.forward(sequence(8)), pool.forward(sequence(10))];
  const loss = s.own(F.add(s.own(F.sum(head.forward(a))), s.own(F.sum(head.forward(b)))));
  for (let L = 12; L < 12 + 2 * (nn.SHAPES_PER_BUFFER + 2); L += 2) noGrad(() => pool.forward(sequence(L)));
  loss.backward();
  s.expect('outputs on the graph survive more new shapes than a set keeps: the backward runs', head.weight.hasGrad, '');
});

// PyTorch's unbatched input: one sequence [L, E] through MultiheadAttention and the transformer
// modules gives the batch of one's output without its batch dimension, and the same gradients.
add('one sequence [L, E] (unbatched) through MultiheadAttention and the transformer modules: the batch of one, without its batch dimension', async (s, random) => {
  const gpu = s.gpu;
  const [L, S, E, H] = [5, 4, 8, 2];
  const values = (n: number) => uniform(random, n, -1, 1);
  const [Q, K, V] = [values(L * E), values(S * E), values(S * E)];
  const mask = values(L * S);
  const padding = [0, 0, 1, 0];
  for (const batchFirst of [false, true]) {
    const mha = new nn.MultiheadAttention(E, H, { batch_first: batchFirst, gpu });
    const batchedShape = (n: number) => (batchFirst ? [1, n, E] : [n, 1, E]);
    const run = async (unbatched: boolean, average: boolean) => {
      const shape = (n: number) => (unbatched ? [n, E] : batchedShape(n));
      const [q, k, v] = [s.input(Q, shape(L), 'f32', 'q'), s.input(K, shape(S), 'f32', 'k'), s.input(V, shape(S), 'f32', 'v')];
      for (const t of [q, k, v]) t.requiresGrad = true;
      mha.zeroGrad();
      const attnMask = s.input(mask, [L, S]);
      const keyPaddingMask = s.input(padding, unbatched ? [S] : [1, S]);
      const { output, weights } = mha.forwardWithWeights(q, k, v, { attnMask, keyPaddingMask, averageAttnWeights: average });
      s.own(F.sum(s.own(F.mul(output, s.input(values(L * E).map((_, i) => Math.sin(i)), output.shape))))).backward();
      const grads = await Promise.all([q, k, v, ...mha.parameters()].map((t) => t.grad!.read()));
      for (const t of [q, k, v]) t.grad!.destroy();
      return { shapes: [output.shape, weights!.shape], output: await output.read(), weights: await weights!.read(), grads };
    };
    for (const average of [true, false]) {
      const [one, batch] = [await run(true, average), await run(false, average)];
      const label = `batch_first ${batchFirst}, average ${average}`;
      s.expect(`${label}: shapes`, JSON.stringify(one.shapes) === JSON.stringify([[L, E], average ? [L, S] : [H, L, S]]), JSON.stringify(one.shapes));
      s.comparisons.push(compare(`${label}: output as the batch of one's`, one.output, batch.output, 0, 0));
      s.comparisons.push(compare(`${label}: weights as the batch of one's`, one.weights, batch.weights, 0, 0));
      one.grads.forEach((g, i) => s.comparisons.push(compare(`${label}: gradient ${i} as the batch of one's`, g, batch.grads[i]!, 0, 0)));
    }
    s.expectError('a key padding mask of a batch for one sequence', () => mha.forward(s.input(Q, [L, E]), s.input(K, [S, E]), s.input(V, [S, E]), { keyPaddingMask: s.input(padding, [1, S]) }), /^multiHeadAttentionForward: argument 'key_padding_mask' expected shape \[4\] \(keys\) for one sequence, got \[1, 4\]$/);
  }
  // The layers and the whole Transformer: one sequence equals the batch of one.
  const model = new nn.Transformer(E, H, { num_encoder_layers: 1, num_decoder_layers: 1, dim_feedforward: 16, dropout: 0, gpu });
  const [src, tgt] = [values(S * E), values(L * E)];
  const causal = nn.Transformer.generateSquareSubsequentMask(L, { gpu });
  const outputs = [];
  for (const unbatched of [true, false]) {
    const y = model.forward(s.input(src, unbatched ? [S, E] : [S, 1, E]), s.input(tgt, unbatched ? [L, E] : [L, 1, E]), { tgt_mask: causal });
    s.expect(`Transformer ${unbatched ? 'one sequence' : 'a batch of one'}: shape`, y.shape.join() === (unbatched ? [L, E] : [L, 1, E]).join(), shapeText(y.shape));
    outputs.push(await y.read());
  }
  s.comparisons.push(compare('Transformer: one sequence as the batch of one', outputs[0]!, outputs[1]!, 0, 0));
  s.expectError('src one sequence, tgt a batch', () => model.forward(s.input(src, [S, E]), s.input(tgt, [L, 1, E])), /^Transformer.forward: src \[4, 8\] and tgt \[5, 1, 8\] must both be batches \(3-D\) or both one sequence \(2-D\)$/);
  causal.destroy();
});

/**
 * Trains `logits` (ids [B, T] → [B·T, V]) to reverse random sequences of V symbols with cross-entropy,
 * each step in a tidy(): the first and last step's losses, and the buffers left after step 1.
 */
async function learnToReverse(gpu: Gpu, random: () => number, o: { V: number; T: number; B: number; steps: number; opt: optim.Optimizer; logits: (ids: Tensor) => Tensor }): Promise<{ first: number; last: number; leftover: number }> {
  const { V, T, B } = o;
  const lossFn = new nn.CrossEntropyLoss({ gpu });
  const losses: number[] = [];
  let live = 0;
  for (let step = 0; step < o.steps; step++) {
    const ids = Int32Array.from(integers(random, B * T, V));
    const reversed = Int32Array.from({ length: B * T }, (_, i) => ids[Math.floor(i / T) * T + (T - 1 - (i % T))]!);
    const [idsT, labels] = [Tensor.fromArray(gpu, ids, [B, T], 'i32'), Tensor.fromArray(gpu, reversed, [B * T], 'i32')];
    const loss = tidy(() => {
      o.opt.zeroGrad();
      const l = lossFn.forward(o.logits(idsT), labels);
      l.backward();
      o.opt.step();
      return l;
    });
    [idsT, labels].forEach((t) => t.destroy());
    if (step === 0 || step === o.steps - 1) losses.push((await loss.read())[0]!);
    if (step === 1) live = gpu.stats.liveBuffers;
  }
  return { first: losses[0]!, last: losses[1]!, leftover: gpu.stats.liveBuffers - live };
}

add('a one-layer transformer learns to reverse sequences: embedding and positions, layer norm, two-head F.scaledDotProductAttention (batched matmuls), a GELU MLP, residuals, Adam; loss from ln 8 to under 0.3 in 100 steps, no buffer left per step', async (s, random) => {
  const gpu = s.gpu;
  init.manualSeed(7);
  const [V, T, D, H, B] = [8, 6, 16, 2, 16];
  const Dh = D / H;
  const embed = new nn.Embedding(V, D, { gpu });
  const positions = allocateParameter(gpu, [T, D], 'positions');
  init.normal_(positions, 0, 0.5);
  const [ln1, ln2] = [new nn.LayerNorm(D, { gpu }), new nn.LayerNorm(D, { gpu })];
  const [wq, wk, wv, wo] = [0, 1, 2, 3].map(() => new nn.Linear(D, D, { gpu })) as [nn.Linear, nn.Linear, nn.Linear, nn.Linear];
  const mlp = new nn.Sequential(new nn.Linear(D, 4 * D, { gpu }), new nn.GELU({ gpu }), new nn.Linear(4 * D, D, { gpu }));
  const head = new nn.Linear(D, V, { gpu });
  const modules = [embed, ln1, ln2, wq, wk, wv, wo, mlp, head];
  const opt = new optim.Adam([positions, ...modules.flatMap((m) => m.parameters())], { lr: 1e-2 });
  const heads = (t: Tensor) => F.permute(F.reshape(t, [B, T, H, Dh]), [0, 2, 1, 3]); // [B, H, T, Dh]
  const forward = (ids: Tensor) => {
    const h = F.add(embed.forward(ids), positions); // [B, T, D] + [T, D]
    const x = ln1.forward(h);
    const [q, k, v] = [wq, wk, wv].map((w) => heads(w.forward(x))) as [Tensor, Tensor, Tensor];
    const merged = F.reshape(F.permute(F.scaledDotProductAttention(q, k, v), [0, 2, 1, 3]), [B, T, D]); // [B, H, T, Dh] → [B, T, D]
    const h2 = F.add(h, wo.forward(merged));
    return F.reshape(head.forward(F.add(h2, mlp.forward(ln2.forward(h2)))), [B * T, V]);
  };
  const { first, last, leftover } = await learnToReverse(s.gpu, random, { V, T, B, steps: 100, opt, logits: forward });
  // Over 40 data seeds at 80 steps (a review): first losses 2.19–2.48, last 0.0003–0.137.
  s.expect('the first loss is near ln 8 = 2.08 (chance)', Math.abs(first - Math.log(V)) < 1, first.toFixed(4));
  s.expect('after 100 steps the loss is under 0.3', last < 0.3, last.toFixed(4));
  s.expect('no buffer left per step', leftover === 0, `${leftover} more after 98 steps`);
});

add('nn.TransformerEncoderLayer and nn.TransformerEncoder: PyTorch 1.13 names, printout and copies; dropout while training only; a 2-layer encoder learns to reverse sequences (loss under 0.3 in 60 steps; 0.056–0.068 over 4 data seeds); steps hold no more buffers; errors named (values and gradients against PyTorch in the parity cases)', async (s, random) => {
  const gpu = s.gpu;
  init.manualSeed(11);
  const layer = new nn.TransformerEncoderLayer(8, 2, { dim_feedforward: 16, gpu });
  const names = [...(await layer.stateDict())].map(([name, e]) => `${name} ${shapeText(e.shape)}`).join(', ');
  s.expect('state dict as PyTorch', names === 'self_attn.in_proj_weight [24, 8], self_attn.in_proj_bias [24], self_attn.out_proj.weight [8, 8], self_attn.out_proj.bias [8], linear1.weight [16, 8], linear1.bias [16], linear2.weight [8, 16], linear2.bias [8], norm1.weight [8], norm1.bias [8], norm2.weight [8], norm2.bias [8]', names);
  const printed = [
    'TransformerEncoderLayer(',
    '  (self_attn): MultiheadAttention(',
    '    (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, bias=True)',
    '  )',
    '  (linear1): Linear(in_features=8, out_features=16, bias=True)',
    '  (dropout): Dropout(p=0.1, inplace=False)',
    '  (linear2): Linear(in_features=16, out_features=8, bias=True)',
    '  (norm1): LayerNorm((8,), eps=1e-05, elementwise_affine=True)',
    '  (norm2): LayerNorm((8,), eps=1e-05, elementwise_affine=True)',
    '  (dropout1): Dropout(p=0.1, inplace=False)',
    '  (dropout2): Dropout(p=0.1, inplace=False)',
    ')',
  ].join('\n');
  s.expect("describe() as PyTorch's repr", layer.describe() === printed, layer.describe());
  // TransformerEncoder: each layer a copy of the one given (PyTorch's deepcopy): equal weights, own buffers.
  const encoder = new nn.TransformerEncoder(layer, 2, { norm: new nn.LayerNorm(8, { gpu }) });
  const state = await encoder.stateDict();
  const given = await layer.stateDict();
  const copied = [...given].every(([name, e]) => [0, 1].every((i) => state.get(`layers.${i}.${name}`)!.values.every((v, j) => v === e.values[j])));
  s.expect('every layer starts with the given layer\'s weights', copied, 'a copy differs');
  s.expect('the state dict ends with norm.weight, norm.bias', [...state.keys()].slice(-2).join() === 'norm.weight,norm.bias' && state.size === 2 * 12 + 2, [...state.keys()].slice(-3).join());
  const [w0, w1] = [encoder.layers.at(0).linear1.weight, encoder.layers.at(1).linear1.weight];
  s.expect('the layers are copies, not the layer given', encoder.layers.at(0) !== layer && encoder.layers.at(1) !== layer && (w0.memoryBuffer !== w1.memoryBuffer || w0.byteOffset !== w1.byteOffset), 'shared');
  s.expect('TransformerEncoder printout', encoder.describe().startsWith('TransformerEncoder(\n  (layers): ModuleList(\n    (0): TransformerEncoderLayer(\n      (self_attn): MultiheadAttention(') && encoder.describe().endsWith('  (norm): LayerNorm((8,), eps=1e-05, elementwise_affine=True)\n)'), encoder.describe());
  // Dropout: in training a forward differs from eval()'s; eval() equals a dropout-0 copy of the weights.
  const [L, N] = [5, 3];
  const x = s.input(uniform(random, L * N * 8), [L, N, 8]);
  const whole = new nn.TransformerEncoderLayer(8, 2, { dim_feedforward: 16, dropout: 0, gpu });
  whole.loadStateDict(given);
  const reference = await noGrad(() => whole.forward(x)).read();
  layer.eval();
  await s.check('eval(): no dropout', noGrad(() => layer.forward(x)), reference, 1e-6, 1e-5);
  layer.train();
  const dropped = await noGrad(() => layer.forward(x)).read();
  const differs = dropped.some((v, i) => Math.abs(v - reference[i]!) > 1e-3);
  s.expect('train(): dropout changes the output', differs, 'the same as eval()');
  // norm_first with a mask and key padding runs, and the padded keys change nothing of the others' rows.
  const pre = new nn.TransformerEncoderLayer(8, 2, { dim_feedforward: 16, dropout: 0, norm_first: true, batch_first: true, activation: 'gelu', gpu });
  const XB = uniform(random, N * L * 8);
  const padding = s.input(Array.from({ length: N * L }, (_, i) => (i % L === L - 1 ? 1 : 0)), [N, L]);
  const withPadding = await noGrad(() => pre.forward(s.input(XB, [N, L, 8]), { src_key_padding_mask: padding })).read();
  // The same sequences without their last (padded) position: every other position's output is the same.
  const unpadded = (values: ArrayLike<number>) => Array.from(values).filter((_, i) => Math.floor(i / 8) % L !== L - 1);
  const shorter = noGrad(() => pre.forward(s.input(unpadded(XB), [N, L - 1, 8])));
  await s.check('norm_first, batch_first, gelu: a padded key changes no other position', shorter, unpadded(withPadding), 1e-6, 1e-5);
  // A 2-layer encoder (dropout 0) with an embedding, positions and a head learns to reverse sequences.
  const [V, T, D, B] = [8, 6, 16, 16];
  const embed = new nn.Embedding(V, D, { gpu });
  const positions = allocateParameter(gpu, [T, D], 'positions');
  init.normal_(positions, 0, 0.5);
  const stack = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(D, 2, { dim_feedforward: 4 * D, dropout: 0, batch_first: true, norm_first: true, activation: 'gelu', gpu }), 2, { norm: new nn.LayerNorm(D, { gpu }) });
  const head = new nn.Linear(D, V, { gpu });
  const opt = new optim.Adam([positions, ...embed.parameters(), ...stack.parameters(), ...head.parameters()], { lr: 1e-2 });
  const logits = (ids: Tensor) => F.reshape(head.forward(stack.forward(F.add(embed.forward(ids), positions))), [B * T, V]);
  const { first, last, leftover } = await learnToReverse(gpu, random, { V, T, B, steps: 60, opt, logits });
  s.expect('the first loss is near ln 8 = 2.08 (chance)', Math.abs(first - Math.log(V)) < 1, first.toFixed(4));
  s.expect('after 60 steps the loss is under 0.3', last < 0.3, last.toFixed(4));
  s.expect('no buffer left per step', leftover === 0, `${leftover} more after 58 steps`);
  s.expectError('d_model not divisible by nhead', () => new nn.TransformerEncoderLayer(8, 3, { gpu }), /^MultiheadAttention: embed_dim \(8\) must be divisible by num_heads, got 3$/);
  s.expectError('an activation PyTorch has but we do not', () => new nn.TransformerEncoderLayer(8, 2, { activation: 'tanh' as never, gpu }), /^TransformerEncoderLayer: option 'activation' expected 'relu' or 'gelu', got 'tanh'/);
  s.expectError('an unknown option', () => new nn.TransformerEncoderLayer(8, 2, { dim_feed_forward: 16, gpu } as never), /^TransformerEncoderLayer: unknown option 'dim_feed_forward'/);
  s.expectError('src of the wrong width', () => layer.forward(s.input(uniform(random, 2 * 3 * 4), [2, 3, 4])), /^TransformerEncoderLayer.forward: argument 'src' expected a 3-D tensor \[L, N, d_model\] or one sequence \[L, d_model\], with d_model = 8, got \[2, 3, 4\]$/);
  s.expectError('is_causal', () => layer.forward(x, { is_causal: true } as never), /^TransformerEncoderLayer.forward: is_causal=true is not supported/);
  s.expectError('a mask of the wrong shape', () => layer.forward(x, { src_mask: s.input(uniform(random, 6), [2, 3]) }), /^multiHeadAttentionForward: argument 'attn_mask' expected shape \[5, 5\] or \[6, 5, 5\], got \[2, 3\]$/);
  s.expectError('an encoder of no layers', () => new nn.TransformerEncoder(layer, 0), /^TransformerEncoder: argument 'num_layers' expected a positive integer, got 0$/);
  const linear = new nn.Linear(2, 2, { gpu });
  s.expectError('an encoder of a Linear', () => new nn.TransformerEncoder(linear as never, 2), /^TransformerEncoder: argument 'encoder_layer' expected an nn.TransformerEncoderLayer/);
});

add('nn.TransformerDecoderLayer, nn.TransformerDecoder and nn.Transformer: PyTorch 1.13 names, printout and init; a causal target mask hides later positions; generateSquareSubsequentMask; steps hold no more buffers; errors named (values and gradients against PyTorch in the parity cases)', async (s, random) => {
  const gpu = s.gpu;
  const layer = new nn.TransformerDecoderLayer(8, 2, { dim_feedforward: 16, dropout: 0, gpu });
  const names = [...(await layer.stateDict())].map(([name]) => name).join(', ');
  s.expect('decoder layer state dict as PyTorch', names === 'self_attn.in_proj_weight, self_attn.in_proj_bias, self_attn.out_proj.weight, self_attn.out_proj.bias, multihead_attn.in_proj_weight, multihead_attn.in_proj_bias, multihead_attn.out_proj.weight, multihead_attn.out_proj.bias, linear1.weight, linear1.bias, linear2.weight, linear2.bias, norm1.weight, norm1.bias, norm2.weight, norm2.bias, norm3.weight, norm3.bias', names);
  const printed = layer.describe().split('\n');
  s.expect("describe() as PyTorch's repr", printed.length === 17 && printed[4] === '  (multihead_attn): MultiheadAttention(' && printed[12] === '  (norm3): LayerNorm((8,), eps=1e-05, elementwise_affine=True)' && printed[15] === '  (dropout3): Dropout(p=0.0, inplace=False)', layer.describe());
  // A causal target mask: the output at position t depends on tgt[0..t] and memory only.
  const [T, S, N] = [4, 5, 2];
  const [TGT, MEM] = [uniform(random, T * N * 8), uniform(random, S * N * 8)];
  const causal = nn.Transformer.generateSquareSubsequentMask(T, { gpu });
  s.own(causal);
  const mask = await causal.read();
  s.expect('generateSquareSubsequentMask(4): −∞ above the diagonal, 0 elsewhere', mask.every((v, i) => (i % T > Math.floor(i / T) ? v === -Infinity : v === 0)), `${Array.from(mask)}`);
  const memory = s.input(MEM, [S, N, 8]);
  const first = await noGrad(() => layer.forward(s.input(TGT, [T, N, 8]), memory, { tgt_mask: causal })).read();
  const changed = Array.from(TGT, (v, i) => (Math.floor(i / (N * 8)) === T - 1 ? v + 1 : v)); // only the last position
  const second = await noGrad(() => layer.forward(s.input(changed, [T, N, 8]), memory, { tgt_mask: causal })).read();
  const rows = T * N * 8;
  const earlierSame = first.slice(0, rows - N * 8).every((v, i) => Math.abs(v - second[i]!) < 1e-6);
  const lastDiffers = first.slice(rows - N * 8).some((v, i) => Math.abs(v - second[rows - N * 8 + i]!) > 1e-3);
  s.expect('a change at the last target position leaves every earlier output as it was', earlierSame && lastDiffers, `earlier same ${earlierSame}, last differs ${lastDiffers}`);
  // TransformerDecoder: copies of the layer; nn.Transformer: PyTorch's names and xavier-uniform init.
  const decoder = new nn.TransformerDecoder(layer, 2, { norm: new nn.LayerNorm(8, { gpu }) });
  const decoderState = await decoder.stateDict();
  s.expect('TransformerDecoder: layers.0 and layers.1 start as the layer given', [...(await layer.stateDict())].every(([name, e]) => [0, 1].every((i) => decoderState.get(`layers.${i}.${name}`)!.values.every((v, j) => v === e.values[j]))), 'a copy differs');
  init.manualSeed(5);
  const model = new nn.Transformer(8, 2, { num_encoder_layers: 2, num_decoder_layers: 1, dim_feedforward: 12, dropout: 0, gpu });
  const state = await model.stateDict();
  const keys = [...state.keys()];
  s.expect('nn.Transformer state dict as PyTorch', keys.length === 2 * 12 + 2 + 18 + 2 && keys[0] === 'encoder.layers.0.self_attn.in_proj_weight' && keys.includes('encoder.norm.weight') && keys.includes('decoder.layers.0.multihead_attn.out_proj.weight') && keys.at(-1) === 'decoder.norm.bias', keys.join(', '));
  const linear1 = state.get('encoder.layers.1.linear1.weight')!.values;
  const bound = Math.sqrt(6 / (8 + 12)); // xavier_uniform_ of [12, 8]
  s.expect('every 2-D parameter xavier-uniform (linear1 [12, 8])', linear1.every((v) => Math.abs(v) <= bound) && Math.max(...linear1.map(Math.abs)) > 0.8 * bound, `max ${Math.max(...linear1.map(Math.abs))}, bound ${bound}`);
  s.expect('1-D parameters keep their init (norm weights 1)', state.get('decoder.norm.weight')!.values.every((v) => v === 1), 'not 1');
  // Training steps hold no more buffers.
  const src = s.input(uniform(random, S * N * 8), [S, N, 8]);
  const tgt = s.input(TGT, [T, N, 8]);
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const step = () => tidy(() => {
    opt.zeroGrad();
    const y = model.forward(src, tgt, { tgt_mask: causal });
    F.mean(F.mul(y, y)).backward();
    opt.step();
  });
  step();
  const live = gpu.stats.liveBuffers;
  for (let i = 0; i < 3; i++) step();
  s.expect('three more steps hold no more buffers', gpu.stats.liveBuffers <= live, `${gpu.stats.liveBuffers - live} more`);
  s.expectError('batches of src and tgt that differ', () => model.forward(src, s.input(TGT.slice(0, T * 8), [T, 1, 8])), /^Transformer.forward: the batch number of src and tgt must be equal \(src \[5, 2, 8\], tgt \[4, 1, 8\]\)$/);
  s.expectError('memory of the wrong width', () => layer.forward(tgt, s.input(uniform(random, S * N * 4), [S, N, 4])), /^TransformerDecoderLayer.forward: argument 'memory' expected a 3-D tensor \[L, N, d_model\] or one sequence \[L, d_model\], with d_model = 8, got \[5, 2, 4\]$/);
  s.expectError('a custom encoder', () => new nn.Transformer(8, 2, { custom_encoder: layer, gpu } as never), /^Transformer: custom_encoder=a TransformerDecoderLayer is not supported/);
  s.expectError('an unknown decoder mask', () => layer.forward(tgt, memory, { src_mask: causal } as never), /^TransformerDecoderLayer.forward: unknown option 'src_mask'/);
  const encoderLayer = new nn.TransformerEncoderLayer(8, 2, { gpu });
  s.expectError('a decoder of an encoder layer', () => new nn.TransformerDecoder(encoderLayer as never, 2), /^TransformerDecoder: argument 'decoder_layer' expected an nn.TransformerDecoderLayer/);
});

add('training steps outside tidy() hold no more buffers: nn.Linear over [L, N, in] after another, F.matmul with a weight shared by the batch, TransformerEncoderLayer, TransformerDecoderLayer, Transformer (a reshape view writes its gradient into its source\'s)', async (s, random) => {
  const gpu = s.gpu;
  const [x, t] = [s.input(uniform(random, 5 * 3 * 8), [5, 3, 8]), s.input(uniform(random, 5 * 3 * 8), [5, 3, 8])];
  const W = allocateParameter(gpu, [1, 8, 8], 'W');
  init.uniform_(W, -0.3, 0.3);
  const [lin1, lin2] = [new nn.Linear(8, 8, { gpu }), new nn.Linear(8, 8, { gpu })];
  const encoder = new nn.TransformerEncoderLayer(8, 2, { dim_feedforward: 16, gpu });
  const decoder = new nn.TransformerDecoderLayer(8, 2, { dim_feedforward: 16, gpu });
  const model = new nn.Transformer(8, 2, { num_encoder_layers: 1, num_decoder_layers: 1, dim_feedforward: 16, gpu });
  const mse = new nn.MSELoss({ gpu });
  for (const [name, params, forward, owned] of [
    ['nn.Linear over [L, N, in], after another', [...lin1.parameters(), ...lin2.parameters()], () => lin2.forward(lin1.forward(x)), false],
    ['F.matmul(x, W [1, 8, 8])', [W], () => F.matmul(x, W), true],
    ['TransformerEncoderLayer', encoder.parameters(), () => encoder.forward(x), false],
    ['TransformerDecoderLayer', decoder.parameters(), () => decoder.forward(x, t), false],
    ['Transformer', model.parameters(), () => model.forward(x, t), false],
  ] as [string, ReturnType<nn.Module["parameters"]>, () => Tensor, boolean][]) {
    const opt = new optim.SGD(params, { lr: 0.01 });
    const step = () => {
      opt.zeroGrad();
      const y = forward();
      mse.forward(y, t).backward();
      opt.step();
      if (owned) y.destroy(); // an F op's output is the caller's to free; a module's is reused
    };
    step();
    step();
    const live = gpu.stats.liveBuffers;
    for (let i = 0; i < 3; i++) step();
    s.expect(`${name}: three more steps hold no more buffers`, gpu.stats.liveBuffers === live, `${gpu.stats.liveBuffers - live} more`);
  }
});

add('a loss gradient donated in one step is never reused in the next: cross-entropy at the root on a reshape of a module output, then a loss with more terms, equals the same loss on a fresh module (through the output itself, a reshape of it, and a scaled loss)', async (s, random) => {
  const gpu = s.gpu;
  const [X, W, B] = [uniform(random, 6 * 4), uniform(random, 6 * 4, -0.5, 0.5), uniform(random, 6, -0.5, 0.5)];
  const labels = s.input(Array.from({ length: 12 }, (_, i) => i % 3), [12], 'u32', 'labels');
  const x = s.input(X, [6, 4]);
  const make = () => {
    const lin = new nn.Linear(4, 6, { gpu });
    lin.weight.write(W);
    lin.bias!.write(B);
    return { lin, ce: new nn.CrossEntropyLoss({ gpu }) };
  };
  const second: [string, (s: Tensor, ce: Tensor) => Tensor][] = [
    ['+ 0.1 · Σ s² through s', (out, ce) => F.add(ce, F.mul(F.sum(F.mul(out, out)), 0.1))],
    ['+ 0.1 · Σ s² through a reshape of s', (out, ce) => { const r = F.reshape(out, [36]); return F.add(ce, F.mul(F.sum(F.mul(r, r)), 0.1)); }],
    ['· 2', (_out, ce) => F.mul(ce, 2)],
  ];
  for (const [what, loss] of second) {
    const grads: number[][] = [];
    for (const history of [true, false]) {
      const { lin, ce } = make();
      if (history) {
        ce.forward(F.reshape(lin.forward(x), [12, 3]), labels).backward(); // its gradient donated to the view, then to lin's output
        lin.zeroGrad();
      }
      const out = lin.forward(x);
      loss(out, ce.forward(F.reshape(out, [12, 3]), labels)).backward();
      grads.push([...(await lin.weight.grad.read()), ...(await lin.bias!.grad.read())]);
    }
    s.expect(`CE at the root, then CE ${what}: the gradients of a fresh module`, grads[0]!.every((v, i) => Math.abs(v - grads[1]![i]!) <= 1e-6), `${grads[0]!.slice(0, 4)} vs ${grads[1]!.slice(0, 4)}`);
  }
});

add('optimizer.addParamGroup (PyTorch add_param_group): a group added after 2 steps steps as it would have from the start, frozen until then; plain-object state dicts, one Parameter and a query of the wrong width are errors that say what to pass', async (s, random) => {
  const gpu = s.gpu;
  const [A, B, GA, GB] = [uniform(random, 6), uniform(random, 4), uniform(random, 6), uniform(random, 4)];
  const run = async (kind: 'Adam' | 'Adagrad', added: boolean) => {
    const a = allocateParameter(gpu, [2, 3], 'a');
    const b = allocateParameter(gpu, [4], 'b');
    a.write(A);
    b.write(B);
    const make = (params: unknown) => (kind === 'Adam' ? new optim.Adam(params as never, { lr: 0.1 }) : new optim.Adagrad(params as never, { lr: 0.1, initial_accumulator_value: 0.5 }));
    const opt = added ? make([a]) : make([{ params: [a] }, { params: [b], lr: 0.03 }]);
    for (let step = 0; step < 4; step++) {
      if (added && step === 2) (opt as optim.Adam).addParamGroup({ params: [b], lr: 0.03 });
      opt.zeroGrad();
      a.grad.write(GA.map((g) => g * (step + 1)));
      a.hasGrad = true;
      if (step >= 2) {
        b.grad.write(GB.map((g) => g * (step + 1)));
        b.hasGrad = true;
      }
      opt.step();
    }
    return [Array.from(await a.read()), Array.from(await b.read())];
  };
  for (const kind of ['Adam', 'Adagrad'] as const) {
    const [fromStart, added] = [await run(kind, false), await run(kind, true)];
    s.expect(`${kind}: a group added after 2 steps ends as one there from the start, frozen (no gradient) until then`, JSON.stringify(fromStart) === JSON.stringify(added), `${JSON.stringify(fromStart)}\nvs\n${JSON.stringify(added)}`);
  }
  // A state dict saved right after addParamGroup (no step since) holds the new group's state and loads.
  const [p1, p2] = [allocateParameter(gpu, [3], 'p1'), allocateParameter(gpu, [2], 'p2')];
  const adam = new optim.Adam([p1], { lr: 0.1 });
  p1.grad.write([1, 2, 3]);
  p1.hasGrad = true;
  adam.step();
  adam.addParamGroup({ params: [p2] });
  const saved = await adam.stateDict();
  const reloaded = new optim.Adam([{ params: [p1] }, { params: [p2] }], { lr: 0.1 });
  const loaded = await Promise.resolve().then(() => reloaded.loadStateDict(saved)).then(() => 'loaded', (e: Error) => e.message);
  s.expect('a state dict saved after addParamGroup loads into an optimizer of both groups', loaded === 'loaded' && saved.state['exp_avg']!.length === 2, loaded);
  // Schedulers made before addParamGroup: LambdaLR leaves the new group's lr (PyTorch's zip); ReduceLROnPlateau says what to do.
  const lambda = new lrScheduler.LambdaLR(adam, { lr_lambda: (epoch) => 0.5 ** epoch });
  adam.addParamGroup({ params: [allocateParameter(gpu, [2], 'p3')], lr: 0.03 });
  lambda.step();
  s.expect('LambdaLR steps the groups it knows and leaves one added since', adam.paramGroups.map((g) => g.lr).join() === '0.05,0.05,0.03', adam.paramGroups.map((g) => g.lr).join());
  const sgd = new optim.SGD([allocateParameter(gpu, [2], 'p4')], { lr: 0.1 });
  const plateau = new lrScheduler.ReduceLROnPlateau(sgd);
  sgd.addParamGroup({ params: [allocateParameter(gpu, [2], 'p5')] });
  s.expectError('ReduceLROnPlateau after addParamGroup', () => plateau.step(1), /^ReduceLROnPlateau.step: the optimizer has 2 param groups, the scheduler was made for 1 \(a group added since, with addParamGroup: make the scheduler again/);
  const w = allocateParameter(gpu, [3], 'w');
  const opt = new optim.SGD([w], { lr: 0.1 });
  s.expectError('a parameter already in a group', () => opt.addParamGroup({ params: [w] }), /^SGD: param group 1: parameter 'w' \[3\] appears in more than one group \(or twice\)$/);
  s.expectError('an unknown option in the group', () => opt.addParamGroup({ params: [allocateParameter(gpu, [2], 'v')], lr_decay: 0.1 } as never), /^SGD: param group 1: unknown option 'lr_decay'/);
  s.expectError('one Parameter, not a list', () => new optim.Adam(w as never), /^Adam: expected an iterable of Parameters \(model.parameters\(\), or \[weight\]\), got one Parameter 'w' \[3\]: pass \[w\]$/);
  s.expectError('a number for the parameters', () => new optim.Adam(3 as never), /^Adam: expected Parameters \(model.parameters\(\)\) or param groups \(\{ params, ...options \}\), got 3$/);
  const lin = new nn.Linear(2, 2, { gpu });
  s.expectError('nn.Flatten with its options first', () => new nn.Flatten({ gpu } as never), /^Flatten: argument 'start_dim' expected an integer, got an object \(options come third: new nn.Flatten\(1, -1, \{ gpu \}\)\)$/);
  s.expectError('a plain object for a state dict', () => lin.loadStateDict({ weight: { shape: [2, 2], dtype: 'F32', values: new Float32Array(4) } } as never), /^loadStateDict: expected a Map of name → \{ shape, dtype, values \} \(what stateDict\(\) returns, and a safetensors file read back\), got a plain object: new Map\(Object.entries\(d\)\)/);
  const mha = new nn.MultiheadAttention(4, 2, { batch_first: true, gpu });
  const wide = s.input(new Array(30).fill(1), [2, 3, 5]);
  s.expectError('MultiheadAttention: a query wider than embed_dim', () => mha.forward(wide), /^multiHeadAttentionForward: was expecting embedding dimension of 4 \(in_proj_weight \[12, 4\]\), but got 5 \(query \[2, 3, 5\]\)$/);
  // Past MAX_CONFUSION_CLASSES an evaluation keeps no confusion matrix (C² counts), and still its accuracy.
  const C = 1001;
  const head = new nn.Linear(2, C, { gpu });
  const data: Dataset = { features: ['a', 'b'], label: 'y', classes: Array.from({ length: C }, (_, i) => String(i)), x: Float32Array.from(uniform(random, 8)), y: Uint32Array.from([0, 5, 1000, 7]), rows: 4 };
  const evaluation = await evaluate(gpu, head, data);
  const logits = await noGrad(() => head.forward(s.input(Array.from(data.x), [4, 2]))).read();
  const predicted = [0, 1, 2, 3].map((r) => { let best = 0; for (let c = 1; c < C; c++) if (logits[r * C + c]! > logits[r * C + best]!) best = c; return best; });
  s.expect('1,001 classes: no confusion matrix, the predictions and accuracy as the logits say', evaluation.confusion === null && JSON.stringify(evaluation.predictions) === JSON.stringify(predicted) && evaluation.accuracy === predicted.filter((p, r) => p === data.y[r]).length / 4, `${evaluation.confusion === null}, ${evaluation.predictions} vs ${predicted}`);
});

add('F.where(F.gt(x, 0), x, 0.1 · x) (a leaky ReLU written out): value and gradient vs float64; comparisons leave no copies behind; errors named', async (s, random) => {
  const X = uniform(random, 12, -2, 2);
  const x = s.input(X, [3, 4]);
  x.requiresGrad = true;
  const y = tidy(() => {
    const mask = F.gt(x, 0);
    const y = F.where(mask, x, F.mul(x, 0.1));
    F.sum(y).backward();
    return y;
  });
  s.own(y);
  await s.check('value', y, X.map((v) => (v > 0 ? v : 0.1 * v)), 1e-7, 1e-6);
  await s.check('d x: 1 where picked, 0.1 on the other side', x.grad!, X.map((v) => (v > 0 ? 1 : 0.1)), 1e-7, 1e-6);
  const [row, column] = [s.input(uniform(random, 4), [1, 4]), s.input(uniform(random, 3), [3, 1])];
  const before = s.gpu.stats.liveBuffers;
  F.lt(row, column).destroy();
  s.expect('F.lt([1, 4], [3, 1]) leaves only its mask, freed', s.gpu.stats.liveBuffers === before, `${s.gpu.stats.liveBuffers - before} more than before`);
  const mask = s.own(F.gt(row, 0));
  const spread = s.gpu.stats.liveBuffers;
  F.where(mask, row, column).destroy(); // [1, 4], [1, 4] and [3, 1]: three copies to [3, 4], freed with it
  s.expect('F.where with every operand spread frees its copies with the output', s.gpu.stats.liveBuffers === spread, `${s.gpu.stats.liveBuffers - spread} more than before`);
  s.expectError('where with a number input', () => F.where(x, 2 as unknown as Tensor, x), /^where: argument 'input' expected a Tensor, got the number 2; F\.where\(F\.sub\(1, condition\), other, 2\)/);
  s.expectError('where of shapes that do not broadcast', () => F.where(x, x, s.input([1, 2], [2])), /^where: shapes \[3, 4\] and \[2\] do not broadcast/);
  await s.check('gt of an i32 tensor: compared as float32', s.own(F.gt(s.input([1, -2], [2], 'i32'), 0)), [1, 0], 0, 0);
  s.expectError('eq with NaN', () => F.eq(x, NaN), /^eq: argument 'other' expected a Tensor or a number \(±∞ included\), got NaN$/);
  await s.check('F.where(F.gt(x, 0), x, −∞)', s.own(F.where(s.own(F.gt(x, 0)), x, -Infinity)), X.map((v) => (v > 0 ? v : -Infinity)), 0, 0);
});

add('F.permute, F.transpose, F.expand, F.max, F.amax, F.argmax, F.clamp, F.maximum and F.abs: bad arguments are errors naming them', (s) => {
  const t = (shape: number[]) => s.output(shape);
  s.expectError('permute with numbers', () => (F.permute as unknown as (...args: unknown[]) => Tensor)(t([2, 3]), 1, 0), /^permute: argument 'dims' expected a list of 2 dimensions \(F\.permute\(x, \[1, 0\]\)\), got 1 and 0$/);
  s.expectError('permute too few dims', () => F.permute(t([2, 3, 4]), [1, 0]), /^permute: dims \[1,0\] has 2 entries, and \[2, 3, 4\] 3 dimensions/);
  s.expectError('permute a repeated dim', () => F.permute(t([2, 3]), [1, -1]), /^permute: dims \[1,-1\] names a dimension twice$/);
  s.expectError('permute out of range', () => F.permute(t([2, 3]), [0, 2]), /^permute: argument 'dims\[1\]' expected a dimension of \[2, 3\] \(-2 to 1\), got 2$/);
  s.expectError('transpose out of range', () => F.transpose(t([2, 3]), 0, 5), /^transpose: argument 'dim1' expected a dimension of \[2, 3\] \(-2 to 1\), got 5$/);
  s.expectError('expand a non-singleton', () => F.expand(t([2, 3]), [2, 4]), /^expand: the expanded size 4 must match the existing size 3 at non-singleton dimension 1/);
  s.expectError('expand to fewer dims', () => F.expand(t([2, 3]), [3]), /^expand: \[3\] has 1 sizes, fewer than the 2 dimensions of \[2, 3\]$/);
  s.expectError('expand −1 in front', () => F.expand(t([3]), [-1, 3]), /^expand: −1 at dim 0 of \[-1, 3\]: a new leading dimension needs its size$/);
  s.expectError('expand to 0', () => F.expand(t([1]), [0]), /^expand: size 0 at dim 0 of \[0\]: sizes must be positive/);
  s.expectError('max over a list', () => F.max(t([3, 2]), [0, 1] as unknown as number), /^max: argument 'dim' expected one dimension \(an integer\), got \[0,1\]; over several, F\.amax\(x, \[0,1\]\) gives the values$/);
  s.expectError('argmin over a list', () => F.argmin(t([3, 2]), [0] as unknown as number), /^argmin: argument 'dim' expected one dimension \(an integer\), got \[0\]; over several, F\.amin/);
  s.expectError('min dim out of range', () => F.min(t([3, 2]), 2), /^min: argument 'dim' expected a dimension of \[3, 2\] \(-2 to 1\)/);
  s.expectError('max keepdim without dim', () => F.max(t([3, 2]), undefined as unknown as number, true), /^max: keepdim needs dim \(torch\.max\(x\) has none\); F\.amax\(x, \[\], true\) keeps every dimension as 1$/);
  s.expectError('max with a dim of 2.5', () => F.max(t([3, 2]), 2.5), /^max: argument 'dim' expected a dimension of \[3, 2\] \(-2 to 1\), got 2\.5$/);
  s.expectError('argmax keepdim a number', () => F.argmax(t([3, 2]), 0, 1 as unknown as boolean), /^argmax: argument 'keepdim' expected true or false, got 1$/);
  s.expectError('max with out=', () => (F.max as unknown as (...args: unknown[]) => unknown)(t([3, 2]), 0, false, { out: 1 }), /^max: takes input, dim and keepdim, got {"out":1} too/);
  s.expectError('argmax of an i32 tensor', () => F.argmax(s.input([1, 2], [2], 'i32')), /^argmax: argument 'input' expected dtype f32, got i32$/);
  const nine = t([2, 2, 2, 2, 2, 2, 2, 2, 2]);
  const before = s.gpu.stats.liveBuffers;
  s.expectError('permute past 8 axes, named as permute', () => F.permute(nine, [8, 7, 6, 5, 4, 3, 2, 1, 0]), /^permute: \[2, 2, 2, 2, 2, 2, 2, 2, 2\] needs 9 axes after merging neighbours, past the kernel's 8$/);
  s.expect('nothing allocated for it', s.gpu.stats.liveBuffers === before, `${s.gpu.stats.liveBuffers - before} more buffers`);
  s.expectError('cat of a tensor', () => F.cat(t([2]) as unknown as Tensor[]), /^cat: argument 'tensors' expected a list of Tensors \(F\.cat\(\[a, b\]\)\), got a Tensor \[2\]$/);
  s.expectError('cat of nothing', () => F.cat([]), /^cat: argument 'tensors' expected a non-empty list of Tensors, got \[\]$/);
  s.expectError('cat of mismatched sizes', () => F.cat([t([2, 3]), t([2, 4])], 0), /^cat: sizes of tensors must match except in dimension 0: expected size 3 but got size 4 for tensor number 1 in the list/);
  s.expectError('cat of different ranks', () => F.cat([t([2, 3]), t([6])]), /^cat: tensors must have the same number of dimensions: tensors\[0\] is \[2, 3\], tensors\[1\] \[6\]$/);
  s.expectError('cat with a number', () => F.cat([t([2]), 3 as unknown as Tensor]), /^cat: tensors\[1\] expected a Tensor, got 3$/);
  s.expectError('cat dim out of range', () => F.cat([t([2, 3])], 2), /^cat: argument 'dim' expected a dimension of \[2, 3\] \(-2 to 1\), got 2$/);
  s.expectError('stack of different shapes', () => F.stack([t([2, 3]), t([3, 2])]), /^stack: expects each tensor to be equal size, but got \[2, 3\] at entry 0 and \[3, 2\] at entry 1$/);
  s.expectError('stack dim out of range', () => F.stack([t([2, 3])], 3), /^stack: argument 'dim' expected a dimension of \[2, 3, 1\] \(-3 to 2\), got 3$/);
  s.expectError('unsqueeze dim out of range', () => F.unsqueeze(t([2, 3]), -4), /^unsqueeze: argument 'dim' expected a dimension of \[2, 3, 1\] \(-3 to 2\), got -4$/);
  s.expectError('clamp without bounds', () => F.clamp(t([3])), /^clamp: at least one of 'min' and 'max' must be a number or a tensor/);
  const clamped = F.clamp(t([2, 3]), t([1, 3]), 0.5); // a tensor min, a number max
  s.expect('clamp with a tensor and a number: [2, 3], its masks and steps freed with it', shapeText(clamped.shape) === '[2, 3]' && clamped.companions.length === 2, `${shapeText(clamped.shape)}, ${clamped.companions.length} companions`);
  clamped.destroy();
  s.expectError('clamp with an i32 tensor bound', () => F.clamp(t([3]), s.input([1, 2, 3], [3], 'i32')), /^clamp: argument 'min' expected dtype f32, got i32$/);
  s.expectError('clamp with bounds that do not broadcast', () => F.clamp(t([3]), t([2])), /^clamp: shapes \[3\] and \[2\] do not broadcast/);
  s.expectError('clamp with an infinite bound', () => F.clamp(t([3]), null, Infinity), /^clamp: argument 'max' expected a finite float32 number or null, got Infinity$/);
  s.expectError('maximum with a number', () => F.maximum(t([3]), 0 as unknown as Tensor), /^maximum: argument 'other' expected a Tensor, got the number 0 \(PyTorch's takes tensors; for a number bound, F\.clamp\(x, 0, null\)\)$/);
  s.expectError('minimum of shapes that do not broadcast', () => F.minimum(t([3, 2]), t([3])), /^minimum: shapes \[3, 2\] and \[3\] do not broadcast/);
  s.expectError('abs with out=', () => F.abs(t([3]), ...([{ out: 1 }] as never[])), /^abs: got 1 more argument than it takes/);
});

add('F.maximum([N, 1], [1, C]) in a loss: both gradients summed back, a second step leaves no buffers (the copies freed with the output)', async (s, random) => {
  const [A, B] = [uniform(random, 4, -1, 1), uniform(random, 3, -1, 1)];
  const [a, b] = [s.input(A, [4, 1]), s.input(B, [1, 3])];
  a.requiresGrad = true;
  b.requiresGrad = true;
  const step = () => {
    const y = F.maximum(a, b);
    const loss = F.sum(y);
    loss.backward();
    return [loss, y];
  };
  for (const t of step()) t.destroy();
  // d a[i] = the count of j where a[i] > b[j]; d b[j] likewise (no ties in random draws).
  await s.check('d a', a.grad!, A.map((u) => B.filter((v) => u > v).length), 0, 0);
  await s.check('d b', b.grad!, B.map((v) => A.filter((u) => v > u).length), 0, 0);
  const before = s.gpu.stats.liveBuffers;
  for (const t of step()) t.destroy();
  s.expect('a second step leaves no buffers', s.gpu.stats.liveBuffers === before, `${s.gpu.stats.liveBuffers - before} more than before`);
});

// Binary cross-entropy written out from the new ops: p = 1 / (1 + e^−z), loss = −mean(y ln p + (1 − y) ln(1 − p)).
// Its gradient is (p − y) / n; each step's terms are destroyed, and the steps leave no buffers behind.
add('binary cross-entropy written with F.exp, F.div, F.log, F.mul, F.sub and F.mean: loss and d / d z = (p − y) / n vs float64, no buffers left per step', async (s, random) => {
  const gpu = s.gpu;
  const n = 37;
  const Z = uniform(random, n, -4, 4);
  const Y = Float64Array.from(integers(random, n, 2));
  const [z, y] = [s.input(Z, [n]), s.input(Y, [n])];
  z.requiresGrad = true;
  const live: number[] = [];
  for (let step = 0; step < 3; step++) {
    z.grad = null;
    const terms: Tensor[] = [];
    const keep = (t: Tensor) => (terms.push(t), t);
    const p = keep(F.div(1, keep(F.add(keep(F.exp(keep(F.mul(z, -1)))), 1))));
    const yLogP = keep(F.mul(y, keep(F.log(p))));
    const rest = keep(F.mul(keep(F.sub(1, y)), keep(F.log(keep(F.sub(1, p))))));
    const loss = keep(F.mul(keep(F.mean(keep(F.add(yLogP, rest)))), -1));
    loss.backward();
    const P = Z.map((v) => 1 / (1 + Math.exp(-Math.fround(v))));
    await s.check(`step ${step}: loss`, loss, [-P.reduce((t, pi, i) => t + Y[i]! * Math.log(pi) + (1 - Y[i]!) * Math.log(1 - pi), 0) / n], 1e-6, 1e-5);
    await s.check(`step ${step}: d loss / d z`, z.grad!, P.map((pi, i) => (pi - Y[i]!) / n), 1e-6, 1e-4);
    for (const t of terms) t.destroy();
    z.grad!.destroy();
    z.grad = null;
    live.push(gpu.stats.liveBuffers);
  }
  s.expect('live buffers steady', live.every((v) => v === live[0]), live.join(', '));
});

add('F.add, F.sub and F.mul with a number, F.mean, and one tensor used twice: values and gradients vs float64', async (s, random) => {
  const n = 23;
  const X = uniform(random, n, -2, 2);
  const x = s.input(X, [n]);
  x.requiresGrad = true;
  const check = async (label: string, y: Tensor, value: (v: number) => number, slope: (v: number) => number) => {
    await s.check(`${label}: value`, y, X.map(value), 1e-6, 1e-6);
    x.grad = null;
    F.sum(y).backward();
    await s.check(`${label}: d / d x`, x.grad!, X.map(slope), 1e-6, 1e-6);
  };
  await check('x + 3', F.add(x, 3), (v) => v + 3, () => 1);
  await check('3 + 2x', F.add(3, x, { alpha: 2 }), (v) => 3 + 2 * v, () => 2);
  await check('2 − x', F.sub(2, x), (v) => 2 - v, () => -1);
  await check('x − 0.25·5', F.sub(x, 5, { alpha: 0.25 }), (v) => v - 1.25, () => 1);
  await check('−1.5 x', F.mul(x, -1.5), (v) => -1.5 * v, () => -1.5);
  await check('2.5 x, the number first', F.mul(2.5, x), (v) => 2.5 * v, () => 2.5);
  await check('x · x', F.mul(x, x), (v) => v * v, (v) => 2 * v);
  await check('x + x', F.add(x, x), (v) => 2 * v, () => 2);
  const meanOfSquares = F.mean(F.mul(x, x));
  await s.check('mean(x²): value', meanOfSquares, [X.reduce((t, v) => t + v * v, 0) / n], 1e-6, 1e-6);
  x.grad = null;
  meanOfSquares.backward();
  await s.check('mean(x²): d / d x = 2x / n', x.grad!, X.map((v) => (2 * v) / n), 1e-6, 1e-6);
  // F.sum below the root: its upstream gradient spread over x.
  x.grad = null;
  F.mul(F.sum(x), 3).backward();
  await s.check('3 · sum(x): d / d x = 3', x.grad!, X.map(() => 3), 1e-6, 1e-6);
  // A leaf's gradient adds up across backward() calls: each rule's writes must accumulate, x as the
  // larger operand and as the spread one.
  const Rows = uniform(random, 2 * n, -2, 2);
  const rows = s.input(Rows, [2, n]);
  x.grad = null;
  F.sum(F.mul(rows, x)).backward(); // the first write: the rest must add to it
  F.sum(F.add(x, 3)).backward();
  F.sum(F.mul(x, -2)).backward();
  F.sum(F.add(rows, x)).backward();
  F.sum(F.mul(x, rows)).backward();
  F.mul(F.sum(x), 3).backward();
  await s.check('six backward() calls add up', x.grad!, X.map((_, i) => 2 * (Rows[i]! + Rows[n + i]!) + 1 - 2 + 2 + 3), 1e-6, 1e-6);
});

add('a composed loss: cross-entropy (mean) + λ·Σw² (an L2 penalty written out), through nn.Linear, after a plain cross-entropy step, vs float64', async (s, random) => {
  const gpu = s.gpu;
  const [N, K, C] = [9, 5, 4];
  const lambda = 0.03;
  const linear = new nn.Linear(K, C, { gpu });
  const lossFn = new nn.CrossEntropyLoss({ gpu });
  const X = uniform(random, N * K, -2, 2);
  const labels = integers(random, N, C);
  const Wt = await f64(linear.weight);
  const bias = await f64(linear.bias!);
  const logits = ref.matmul(X, Wt, { M: N, N: C, K, transposeB: true, bias });
  const [x, y] = [s.input(X, [N, K]), s.input(labels, [N], 'u32', 'labels')];
  // A plain step first: the logits' gradient is then the loss's own buffer, stale once the loss runs again.
  lossFn.forward(linear.forward(x), y).backward();
  linear.zeroGrad();
  const loss = s.own(F.add(lossFn.forward(linear.forward(x), y), s.own(F.sum(s.own(F.mul(linear.weight, linear.weight)))), { alpha: lambda }));
  loss.backward();
  const ce = crossEntropyRef(logits, labels, N, C);
  await s.check('loss', loss, [ce.loss + lambda * Wt.reduce((t, w) => t + w * w, 0)], 1e-5, 1e-5);
  // d W = dlogitsᵀ · x + 2λW; d bias = Σ rows of dlogits.
  const dW = ref.matmul(ce.grad, X, { M: C, N: K, K: N, transposeA: true }).map((v, i) => v + 2 * lambda * Wt[i]!);
  await s.check('d loss / d weight', linear.weight.grad, dW, 1e-5, 1e-4);
  await s.check('d loss / d bias', linear.bias!.grad, ref.sumRows(ce.grad, N, C), 1e-5, 1e-4);
});

for (const [smoothing, weighted] of [[0, false], [0.1, false], [0.1, true]] as const) {
  add(`CrossEntropyLoss(reduction='none'${smoothing ? `, label_smoothing=${smoothing}` : ''}${weighted ? ', class weights, i32 labels with ignore_index' : ''}) with per-row weights: mean(r ⊙ loss) backward vs float64, and F.sum of it equals reduction 'sum'`, async (s, random) => {
    const gpu = s.gpu;
    const [N, C] = [13, 5];
    const Z = uniform(random, N * C, -3, 3);
    // Weighted: rows 2 and 7 ignored (PyTorch's −100, as i32), classes weighted 0.5–2.
    const labels = Array.from(integers(random, N, C), (l, i) => (weighted && (i === 2 || i === 7) ? -100 : l));
    const W = weighted ? uniform(random, C, 0.5, 2) : undefined;
    const R = uniform(random, N, 0, 2);
    const z = s.input(Z, [N, C]);
    z.requiresGrad = true;
    const perRow = new nn.CrossEntropyLoss({ gpu, reduction: 'none', label_smoothing: smoothing, ...(W ? { weight: s.input(W, [C]) } : {}) });
    const labelTensor = () => s.input(labels, [N], weighted ? 'i32' : 'u32', 'labels');
    const rows = perRow.forward(z, labelTensor());
    const loss = F.mean(F.mul(rows, s.input(R, [N])));
    loss.backward();
    const ce = crossEntropyRef(Z, labels, N, C, { reduction: 'none', labelSmoothing: smoothing, ...(W ? { weight: W } : {}) });
    await s.check('per-row losses', rows, ce.rowLoss, 1e-5, 1e-5);
    await s.check('mean(r ⊙ loss)', loss, [ce.rowLoss.reduce((t, l, i) => t + R[i]! * l, 0) / N], 1e-5, 1e-5);
    await s.check('d / d logits = r_i / N · d l_i / d z_ij', z.grad!, ce.grad.map((g, k) => (g * R[Math.floor(k / C)]!) / N), 1e-6, 1e-5);
    // Plus ½Σz², recorded after the loss: its backward runs first, so the loss's gradient must add to it.
    z.grad = null;
    F.add(F.sum(perRow.forward(z, labelTensor())), F.sum(F.mul(z, z)), { alpha: 0.5 }).backward();
    const summed = crossEntropyRef(Z, labels, N, C, { reduction: 'sum', labelSmoothing: smoothing, ...(W ? { weight: W } : {}) });
    await s.check("F.sum of 'none' + ½Σz²: reduction 'sum''s gradient + z", z.grad!, summed.grad.map((g, k) => g + Z[k]!), 1e-6, 1e-5);
  });
}

add('a composed loss in a training loop frees what each step made: destroy() takes the gradient backward gave the tensor with it', async (s, random) => {
  const gpu = s.gpu;
  const linear = new nn.Linear(4, 3, { gpu });
  const lossFn = new nn.CrossEntropyLoss({ gpu });
  const opt = new optim.SGD(linear.parameters(), { lr: 0.1 });
  const x = s.input(uniform(random, 24), [6, 4]);
  const y = s.input(integers(random, 6, 3), [6], 'u32', 'labels');
  const live: number[] = [];
  for (let step = 0; step < 6; step++) {
    opt.zeroGrad();
    const wSquared = F.mul(linear.weight, linear.weight);
    const penalty = F.sum(wSquared);
    const loss = F.add(lossFn.forward(linear.forward(x), y), penalty, { alpha: 1e-3 });
    loss.backward();
    opt.step();
    s.expect(`step ${step}: backward gave the intermediates their own gradients`, wSquared.ownsGrad && penalty.ownsGrad, `${wSquared.ownsGrad} ${penalty.ownsGrad}`);
    for (const t of [wSquared, penalty, loss]) t.destroy();
    s.expect(`step ${step}: destroy() took the gradient`, wSquared.grad === null && penalty.grad === null, 'a grad left');
    await gpu.sync();
    live.push(gpu.stats.liveBuffers);
  }
  // The first step makes the modules' buffers; from the second on, a step leaves nothing behind.
  s.expect('live buffers steady from step 2', live.slice(1).every((n) => n === live[1]), live.join(', '));
});

// PyTorch starts backward at any one-element output: every op's rule must take the root's implicit 1.
add('backward() from any op whose output has one element (sigmoid, relu, tanh, leaky_relu, exp, log, sqrt, pow, dropout, matmul, linear, reshape, conv2d, pools, eval-mode batch norm) vs float64', async (s, random) => {
  const gpu = s.gpu;
  const n = 5;
  const X = uniform(random, n, 0.1, 0.5); // the sum in (0.5, 2.5): in every function's domain
  const x = s.input(X, [n], 'f32', 'x');
  x.requiresGrad = true;
  const S = X.reduce((t, v) => t + Math.fround(v), 0);
  const sig = 1 / (1 + Math.exp(-S));
  const scalarCases: [string, (t: Tensor) => Tensor, number][] = [
    ['sigmoid', F.sigmoid, sig * (1 - sig)],
    ['relu', F.relu, 1],
    ['tanh', (t) => F.tanh(t), 1 - Math.tanh(S) ** 2],
    ['leaky_relu of −s', (t) => F.leakyRelu(F.mul(t, -1), 0.1), -0.1],
    ['exp', (t) => F.exp(t), Math.exp(S)],
    ['log', (t) => F.log(t), 1 / S],
    ['sqrt', (t) => F.sqrt(t), 0.5 / Math.sqrt(S)],
    ['pow 3', (t) => F.pow(t, 3), 3 * S * S],
    ['reshape to [1, 1]', (t) => F.reshape(t, [1, 1]), 1],
  ];
  for (const [label, op, slope] of scalarCases) {
    x.grad = null;
    op(F.sum(x)).backward();
    await s.check(`${label}(Σx): d / d x`, x.grad!, X.map(() => slope), 1e-6, 1e-5);
  }
  // The root's 1 is one buffer per device: a reshape at the root must not hand it over as a module
  // output's gradient, which the next rule to reach that output would write into.
  const single = new nn.Linear(2, 1, { gpu });
  const pair = s.input([0.5, -1], [1, 2]);
  for (const [label, loss, slope] of [['reshape', (o: Tensor) => F.reshape(o, [1]), 1], ['3 · sum', (o: Tensor) => s.own(F.sum(s.own(F.mul(o, 3)))), 3], ['reshape again', (o: Tensor) => F.reshape(o, [1]), 1]] as const) {
    single.zeroGrad();
    loss(single.forward(pair)).backward();
    await s.check(`${label} of Linear(2, 1) at the root: d bias`, single.bias!.grad, [slope], 1e-6, 1e-6);
  }
  // Dropout keeps Σx scaled by 1/(1 − p) or drops it: the gradient is the same factor.
  x.grad = null;
  const dropped = F.dropout(F.sum(x), 0.5);
  const factor = (await f64(dropped))[0]! / S;
  dropped.backward();
  await s.check('dropout(Σx): d / d x = its factor (0 or 2)', x.grad!, X.map(() => factor), 1e-6, 1e-5);
  s.expect('the factor is 0 or 2', Math.abs(factor) < 1e-6 || Math.abs(factor - 2) < 1e-5, String(factor));

  const k = 4;
  const [A, B] = [uniform(random, k), uniform(random, k)];
  const [a, b] = [s.input(A, [1, k], 'f32', 'a'), s.input(B, [k, 1], 'f32', 'b')];
  a.requiresGrad = b.requiresGrad = true;
  F.matmul(a, b).backward();
  await s.check('matmul [1, k]·[k, 1]: d a = bᵀ', a.grad!, B, 1e-6, 1e-6);
  await s.check('and d b = aᵀ', b.grad!, A, 1e-6, 1e-6);
  const lin = new nn.Linear(k, 1, { gpu });
  a.grad = null;
  lin.forward(a, 'sigmoid').backward();
  const [w, bias] = [await f64(lin.weight), await f64(lin.bias!)];
  const z = A.reduce((t, v, i) => t + v * w[i]!, bias[0]!);
  const dz = (1 / (1 + Math.exp(-z))) * (1 - 1 / (1 + Math.exp(-z)));
  await s.check('Linear(k, 1) with a fused sigmoid: d x', a.grad!, w.map((v) => v * dz), 1e-6, 1e-5);
  await s.check('and d weight', lin.weight.grad, A.map((v) => v * dz), 1e-6, 1e-5);

  const image = uniform(random, 9);
  const img = s.input(image, [1, 1, 3, 3], 'f32', 'image');
  img.requiresGrad = true;
  const conv = new nn.Conv2d(1, 1, 3, { gpu });
  conv.forward(img).backward();
  await s.check('Conv2d(1, 1, 3) to [1, 1, 1, 1]: d x = w', img.grad!, await f64(conv.weight), 1e-6, 1e-6);
  await s.check('and d w = x', conv.weight.grad, image, 1e-6, 1e-6);
  await s.check('and d bias = 1', conv.bias!.grad, [1], 0, 0);
  const small = uniform(random, 4);
  const patch = s.input(small, [1, 1, 2, 2], 'f32', 'patch');
  patch.requiresGrad = true;
  const argmax = small.indexOf(Math.max(...small));
  for (const [label, pool, expected] of [
    ['MaxPool2d(2)', new nn.MaxPool2d(2, { gpu }), small.map((_, i) => (i === argmax ? 1 : 0))],
    ['AvgPool2d(2)', new nn.AvgPool2d(2, { gpu }), small.map(() => 0.25)],
    ['AdaptiveAvgPool2d(1)', new nn.AdaptiveAvgPool2d(1, { gpu }), small.map(() => 0.25)],
  ] as const) {
    patch.grad = null;
    pool.forward(patch).backward();
    await s.check(`${label} to [1, 1, 1, 1]: d x`, patch.grad!, expected, 1e-7, 1e-6);
  }
  const bn = new nn.BatchNorm1d(1, { gpu }).eval(); // running mean 0, var 1: y = x / √(1 + ε)
  const one = s.input([0.7], [1, 1], 'f32', 'one');
  one.requiresGrad = true;
  bn.forward(one).backward();
  await s.check('eval-mode BatchNorm1d(1) of [1, 1]: d x = 1 / √(1 + ε)', one.grad!, [1 / Math.sqrt(1 + 1e-5)], 1e-7, 1e-6);
});

add('tidy(): a training step with a composed loss leaves no buffers and keeps what it returns; nested, throwing and async scopes', async (s, random) => {
  const gpu = s.gpu;
  const [N, K, C] = [6, 4, 3];
  const linear = new nn.Linear(K, C, { gpu });
  const lossFn = new nn.CrossEntropyLoss({ gpu });
  const opt = new optim.SGD(linear.parameters(), { lr: 0.1 });
  const X = uniform(random, N * K);
  const labels = integers(random, N, C);
  const [x, y] = [s.input(X, [N, K]), s.input(labels, [N], 'u32', 'labels')];
  const [W0, b0] = [await f64(linear.weight), await f64(linear.bias!)];
  const live: number[] = [];
  let first = NaN;
  for (let step = 0; step < 5; step++) {
    const loss = tidy(() => {
      opt.zeroGrad();
      const w = linear.weight;
      const loss = F.add(lossFn.forward(linear.forward(x), y), F.mean(F.pow(w, 2)), { alpha: 0.1 });
      loss.backward();
      opt.step();
      return loss;
    });
    if (step === 0) first = (await loss.read())[0]!;
    loss.destroy();
    await gpu.sync();
    live.push(gpu.stats.liveBuffers);
  }
  const ce = crossEntropyRef(ref.matmul(X, W0, { M: N, N: C, K, transposeB: true, bias: b0 }), labels, N, C).loss;
  s.comparisons.push(compare('step 1 loss = CE + 0.1·mean(w²)', [first], [ce + (0.1 * W0.reduce((t, w) => t + w * w, 0)) / W0.length], 1e-6, 1e-5));
  s.expect('live buffers steady from step 2', live.slice(1).every((n) => n === live[1]), live.join(', '));

  const destroyedError = async (t: Tensor) => {
    try {
      await t.read();
      return 'readable';
    } catch (error) {
      return (error as Error).message;
    }
  };
  const before = gpu.stats.liveBuffers;
  let dropped: Tensor | null = null;
  let moduleOutput: Tensor | null = null;
  const kept = tidy(() => {
    dropped = F.mul(x, 3);
    moduleOutput = linear.forward(x);
    return { twice: F.mul(x, 2), plusOne: F.add(x, 1), label: 'not a tensor' };
  });
  // (Counted before any read: a read keeps a staging buffer for the next one.)
  s.expect('two kept, the rest freed', gpu.stats.liveBuffers === before + 2, `${before} → ${gpu.stats.liveBuffers}`);
  await s.check('a returned tensor is kept (object)', kept.twice, X.map((v) => 2 * Math.fround(v)), 1e-6, 1e-6);
  await s.check('and its sibling', kept.plusOne, X.map((v) => Math.fround(v) + 1), 1e-6, 1e-6);
  s.expect('one not returned is freed, saying so', /was destroyed \(tensor\.destroy\(\), or the end of the tidy\(\) it was made in\)/.test(await destroyedError(dropped!)), await destroyedError(dropped!));
  s.expect('a module output is not freed', (await destroyedError(moduleOutput!)) === 'readable', await destroyedError(moduleOutput!));
  kept.twice.destroy();
  kept.plusOne.destroy();

  // A returned view keeps the memory under it; a view's gradient is freed with the rest.
  const view = tidy(() => F.reshape(F.exp(x), [K, N]));
  await s.check('a returned view of an op output reads', view, X.map((v) => Math.exp(Math.fround(v))), 1e-6, 1e-5);
  view.destroy();
  const p = s.input(uniform(random, N * K), [N, K], 'f32', 'p');
  p.requiresGrad = true;
  const withViews: number[] = [];
  for (let step = 0; step < 4; step++) {
    tidy(() => F.sum(F.mul(F.reshape(F.exp(p), [K, N]), 2)).backward());
    withViews.push(gpu.stats.liveBuffers);
  }
  s.expect('steps through F.reshape leave nothing behind', withViews.every((n) => n === withViews[0]), withViews.join(', '));

  // Tensors returned deeper inside objects, arrays and Maps are kept too.
  const deep = tidy(() => ({ m: { a: F.mul(x, 2) }, list: [[F.add(x, 1)]], map: new Map([['k', F.mul(x, 3)]]) }));
  await s.check('kept at depth 2 in an object', deep.m.a, X.map((v) => 2 * Math.fround(v)), 1e-6, 1e-6);
  await s.check('in nested arrays', deep.list[0]![0]!, X.map((v) => Math.fround(v) + 1), 1e-6, 1e-6);
  await s.check('in a Map', deep.map.get('k')!, X.map((v) => 3 * Math.fround(v)), 1e-6, 1e-6);
  for (const t of [deep.m.a, deep.list[0]![0]!, deep.map.get('k')!]) t.destroy();
  // backward() after the tidy() that built the loss: an Error before anything is dispatched, and no
  // gradient buffers given to the freed intermediates.
  const orphan = tidy(() => F.sum(F.mul(p, p)));
  const beforeOrphan = gpu.stats.liveBuffers;
  s.expectError('backward after the tidy() that made the graph', () => orphan.backward(), /^backward: 'sum' needs 'mul', which was freed \(tensor\.destroy\(\), or the end of the tidy\(\) it was made in\); call backward\(\) inside the tidy\(\) that built the loss$/);
  s.expect('and nothing allocated', gpu.stats.liveBuffers === beforeOrphan, `${beforeOrphan} → ${gpu.stats.liveBuffers}`);
  orphan.destroy();
  s.expectError('a tensor instead of a function', () => tidy(orphan as unknown as () => void), /^tidy: expected a function \(tidy\(\(\) => …\)\), got a Tensor \[1\]$/);

  let inner: Tensor | null = null;
  const beforeNested = gpu.stats.liveBuffers;
  tidy(() => {
    inner = tidy(() => F.mul(x, 3)); // kept by the inner scope, then held by the outer one
    s.expect('kept past the inner tidy', inner.shape.length === 2, 'kept');
    return null;
  });
  s.expect('nested: nothing left', gpu.stats.liveBuffers === beforeNested, `${beforeNested} → ${gpu.stats.liveBuffers}`);
  s.expect('freed at the end of the outer tidy', /was destroyed/.test(await destroyedError(inner!)), await destroyedError(inner!));
  const beforeThrowing = gpu.stats.liveBuffers;
  // Each dispatches before it throws, so not s.expectError (which asserts nothing was dispatched).
  const thrown = (fn: () => unknown) => {
    try {
      fn();
      return 'did not throw';
    } catch (error) {
      return (error as Error).message;
    }
  };
  const boom = thrown(() => tidy(() => {
    F.mul(x, 2);
    throw new Error('boom');
  }));
  s.expect('a throwing fn: the error passes through', boom === 'boom', boom);
  const asyncFn = thrown(() => tidy((async () => F.mul(x, 2)) as unknown as () => Tensor));
  s.expect('an async fn is an Error', /^tidy: fn returned a Promise; it must be synchronous/.test(asyncFn), asyncFn);
  s.expect('throwing and async: nothing left', gpu.stats.liveBuffers === beforeThrowing, `${beforeThrowing} → ${gpu.stats.liveBuffers}`);
});

add('F.add, F.sub, F.mul, F.div, F.pow, F.exp, F.log, F.sqrt, F.sum and F.mean: shapes that do not broadcast, numbers, dtypes and arguments PyTorch has and we lack are errors naming them', (s) => {
  const t = (shape: number[]) => s.output(shape);
  s.expectError('mismatched', () => F.add(t([4, 3]), t([4, 2])), /^add: shapes \[4, 3\] and \[4, 2\] do not broadcast \(PyTorch: the size of tensor a must match the size of tensor b, or be 1, at each dimension from the right\)$/);
  s.expectError('two numbers', () => F.add(2 as unknown as Tensor, 3), /^add: expected at least one Tensor, got two numbers \(2, 3\)$/);
  s.expectError('an array', () => F.mul(t([3]), [1, 2, 3] as unknown as Tensor), /^mul: argument 'other' expected a Tensor or a number, got \[1, 2, 3\]$/);
  s.expectError('infinite number', () => F.mul(t([3]), Infinity), /^mul: argument 'other' expected a finite number or a Tensor, got Infinity$/);
  s.expectError('u32 tensor', () => F.add(t([3]), s.input([1, 2, 3], [3], 'u32')), /^add: argument 'other' expected dtype f32, got u32$/);
  s.expectError('alpha misspelt', () => F.add(t([3]), t([3]), { alhpa: 2 } as unknown as { alpha: number }), /^add: unknown option 'alhpa' \(known: alpha\)/);
  s.expectError('alpha string', () => F.sub(t([3]), t([3]), { alpha: '2' } as unknown as { alpha: number }), /^sub: option 'alpha' expected a finite number, got '2'$/);
  s.expectError('mul with an option', () => F.mul(t([3]), 2, ...([{ alpha: 2 }] as never[])), /^mul: takes two operands, got 3 arguments \({"alpha":2} too\); torch\.mul has no alpha$/);
  s.expectError('mean over a dim out of range', () => F.mean(t([3, 2]), 2), /^mean: argument 'dim' expected a dimension of \[3, 2\] \(-2 to 1\) or a list of them, got 2$/);
  s.expectError('sum over a dimension twice', () => F.sum(t([3, 2]), [1, -1]), /^sum: dim \[1,-1\] names a dimension twice$/);
  s.expectError('keepdim without dim', () => F.sum(t([3, 2]), undefined, true), /^sum: keepdim needs dim/);
  s.expectError('keepdim not a boolean', () => F.mean(t([3, 2]), 0, 1 as unknown as boolean), /^mean: argument 'keepdim' expected true or false, got 1$/);
  s.expectError('a dtype argument', () => F.sum(t([3, 2]), 0, false, ...(['float64'] as never[])), /^sum: takes input, dim and keepdim, got 'float64' too/);
  s.expect('sum of a u32 tensor: through float32, as u32', s.own(F.sum(s.input([1, 2], [2], 'u32'))).dtype === 'u32', 'its values: the integer-tensor case');
  s.expectError('mean of a u32 tensor', () => F.mean(s.input([1, 2], [2], 'u32')), /^mean: argument 'input' expected dtype f32, got u32$/);
  s.expectError('div by the number 0', () => F.div(t([3]), 0), /^div: division by the number 0/);
  s.expectError('div by a number too small for float32', () => F.div(t([3]), 1e-310), /^div: the divisor 1e-310 is too small for float32: x \/ 1e-310 multiplies by Infinity, past ±3\.4e38$/);
  s.expectError('div with rounding_mode', () => F.div(t([3]), t([3]), ...(['floor'] as never[])), /^div: takes two operands, got 3 arguments \('floor' too\); rounding_mode is not supported$/);
  s.expectError('pow of two numbers', () => F.pow(2, 3), /^pow: with a number base, argument 'exponent' expected a Tensor, got 3$/);
  s.expectError('pow exponent NaN', () => F.pow(t([3]), NaN), /^pow: argument 'exponent' expected a float32 number \(±∞ included, not NaN\), got NaN$/);
  s.expectError('pow base NaN', () => F.pow(NaN, t([3])), /^pow: argument 'self' expected a float32 number \(±∞ included, not NaN\), got NaN$/);
  s.expectError('logicalNot with another argument', () => F.logicalNot(t([3]), ...([1] as never[])), /^logicalNot: takes input, got 1 too/);
  s.expectError('round with decimals', () => F.round(t([3]), ...([2] as never[])), /^round: takes input only, got 2 too \(PyTorch's decimals= is not supported/);
  s.expectError('exp with out=', () => F.exp(t([3]), ...([{ out: t([3]) }] as never[])), /^exp: got 1 more argument than it takes \({"out":"Tensor \[3\]"}\); out= is not supported$/);
  s.expectError('log of a u32 tensor', () => F.log(s.input([1, 2], [2], 'u32')), /^log: argument 'input' expected dtype f32, got u32$/);
  s.expectError('sqrt of a number', () => F.sqrt(4 as unknown as Tensor), /^sqrt: argument 'input' expected a Tensor, got 4$/);
});

// ── option objects ───────────────────────────────────────────────────────────────────────────────

add('option objects: PyTorch spellings act; unknown, unsupported and mistyped options are errors naming them', async (s) => {
  const gpu = s.gpu;
  type Any = Record<string, unknown>;
  const untracked = new nn.BatchNorm1d(3, { gpu, track_running_stats: false });
  s.expect('track_running_stats: false acts', !untracked.trackRunningStats && untracked.namedBuffers().length === 0, untracked.describe());
  const avg = new nn.AvgPool2d(2, { gpu, count_include_pad: false });
  s.expect('count_include_pad: false acts', !avg.countIncludePad, avg.describe());
  s.expect('padding_mode zeros accepted', new nn.Conv2d(1, 1, 3, { gpu, padding_mode: 'zeros' }).weight.shape.length === 4, 'made');
  const bad: [string, () => unknown, RegExp][] = [
    ['BatchNorm1d momentun', () => new nn.BatchNorm1d(3, { gpu, momentun: 0.2 } as Any), /BatchNorm1d: unknown option 'momentun' \(known: eps, momentum, affine, trackRunningStats, gpu; or PyTorch's track_running_stats\)/],
    ['BatchNorm2d affine 1', () => new nn.BatchNorm2d(3, { gpu, affine: 1 } as Any), /BatchNorm2d: option 'affine' expected true or false, got 1/],
    ['BatchNorm1d twice', () => new nn.BatchNorm1d(3, { gpu, trackRunningStats: true, track_running_stats: false }), /option 'trackRunningStats' given twice, as 'trackRunningStats' and 'track_running_stats'/],
    ['Linear bais', () => new nn.Linear(2, 3, { gpu, bais: false } as Any), /Linear: unknown option 'bais' \(known: bias, gpu\)/],
    ['Linear bias 0', () => new nn.Linear(2, 2, { gpu, bias: 0 } as Any), /Linear: option 'bias' expected true or false, got 0/],
    ['Conv2d paddng', () => new nn.Conv2d(1, 1, 3, { gpu, paddng: 1 } as Any), /Conv2d: unknown option 'paddng' \(known: stride, padding, dilation, groups, bias, paddingMode, gpu; or PyTorch's padding_mode\)/],
    ['Conv2d padding_mode', () => new nn.Conv2d(1, 1, 3, { gpu, padding_mode: 'mirror' } as Any), /Conv2d: padding_mode must be one of \['zeros', 'reflect', 'replicate', 'circular'\], but got padding_mode='mirror'/],
    ['Conv2d bias string', () => new nn.Conv2d(1, 1, 3, { gpu, bias: 'false' } as Any), /Conv2d: option 'bias' expected true or false, got 'false'/],
    ['MaxPool2d ceil_mode', () => new nn.MaxPool2d(2, { gpu, ceil_mode: true } as Any), /MaxPool2d: ceil_mode=true is not supported \(only PyTorch's default, ceil_mode=false\)/],
    ['MaxPool2d return_indices', () => new nn.MaxPool2d(2, { gpu, return_indices: true } as Any), /MaxPool2d: return_indices=true is not supported/],
    ['AvgPool2d ceil_mode', () => new nn.AvgPool2d(2, { gpu, ceil_mode: true } as Any), /AvgPool2d: ceil_mode=true is not supported/],
    ['AvgPool2d divisor_override', () => new nn.AvgPool2d(2, { gpu, divisor_override: 3 } as Any), /AvgPool2d: divisor_override=3 is not supported/],
    ['AvgPool2d count_include_pad 0', () => new nn.AvgPool2d(2, { gpu, count_include_pad: 0 } as Any), /AvgPool2d: option 'countIncludePad' expected true or false, got 0/],
    ['Dropout inplace of another type', () => new nn.Dropout(0.5, { gpu, inplace: 'yes' } as Any), /Dropout: option 'inplace' expected true or false, got 'yes'/],
    ['LeakyReLU inplace of another type', () => new nn.LeakyReLU(0.1, { gpu, inplace: 1 } as Any), /LeakyReLU: option 'inplace' expected true or false, got 1/],
    ['Sigmoid inplace', () => new nn.Sigmoid({ gpu, inplace: false } as Any), /Sigmoid: unknown option 'inplace' \(known: gpu\)/],
    ['Flatten start_dim', () => new nn.Flatten(1, -1, { gpu, start_dim: 0 } as Any), /Flatten: unknown option 'start_dim' \(known: gpu\)/],
    ['Softmax options', () => new nn.Softmax(1, { gpu, dtype: 'f16' } as Any), /Softmax: unknown option 'dtype'/],
    ['kaimingUniform_ nonlinearty', () => init.kaimingUniform_(untracked.runningMean.reshapeView([1, 3]), { nonlinearty: 'relu' } as Any), /kaimingUniform_: unknown option 'nonlinearty' \(known: a, mode, nonlinearity\)/],
    ['kaimingUniform_ negative_slope', () => init.kaimingUniform_(untracked.runningMean.reshapeView([1, 3]), { negative_slope: 5 } as Any), /kaimingUniform_: unknown option 'negative_slope'/],
    ['kaimingNormal_ a', () => init.kaimingNormal_(untracked.runningMean.reshapeView([1, 3]), { a: '0.1' } as Any), /kaimingNormal_: option 'a' \(the negative slope of leaky_relu\) expected a finite number, got '0.1'/],
    ['kaimingNormal_ mode', () => init.kaimingNormal_(untracked.runningMean.reshapeView([1, 3]), { mode: 'fan_avg' } as Any), /kaimingNormal_: option 'mode' expected 'fan_in' or 'fan_out', got 'fan_avg'/],
  ];
  for (const [label, fn, pattern] of bad) s.expectError(label, fn, pattern);
  for (const [label, options, pattern] of [
    ['requestGpu variantPolicy', { variantPolicy: 'fxed' }, /requestGpu: option 'variantPolicy' expected 'fixed' or 'tuned', got 'fxed'/],
    ['requestGpu unknown', { variantPolcy: 'fixed' }, /requestGpu: unknown option 'variantPolcy' \(known: debug, variantPolicy, tuningStore, boundsChecks, poisonNewBuffers\)/],
    ['requestGpu debug', { debug: 'yes' }, /requestGpu: option 'debug' expected true or false, got 'yes'/],
  ] as const) {
    const message = await requestGpu(options as Any).then((g) => (g.destroy(), 'no error'), (e: Error) => e.message);
    s.expect(label, pattern.test(message), message);
  }
  // The harnesses ask for poisoned buffers: a new tensor reads NaN until something writes it.
  s.expect('the harness poisons new buffers', s.gpu.poisonNewBuffers, 'poisonNewBuffers is off');
  const fresh = Tensor.empty(s.gpu, [5, 3]);
  const values = await fresh.read();
  s.expect('a new tensor reads NaN', values.every(Number.isNaN), `${Array.from(values)}`);
  fresh.destroy();
});

// ── bad input ─────────────────────────────────────────────────────────────────────────────────────

add('bad input names the module or argument', async (s, random) => {
  const gpu = s.gpu;
  const model = new nn.Sequential(new nn.Linear(5, 3, { gpu }), new nn.Linear(4, 2, { gpu }));
  const [bn1, bn2] = [new nn.BatchNorm1d(7, { gpu }), new nn.BatchNorm2d(5, { gpu })];
  const x = s.input(uniform(random, 10), [2, 5]);
  s.expectError('layer shapes', () => model.forward(x), /Linear\(in_features=4, out_features=2, bias=True\): input expected shape \[\*, 4\] \(in_features\), got \[2, 3\]/);
  s.expectError('BatchNorm channels', () => bn1.forward(x), /BatchNorm1d\(7, .*\): input expected shape \[N, 7\] or \[N, 7, L\], got \[2, 5\]/);
  s.expectError('BatchNorm2d rank', () => bn2.forward(x), /input expected shape \[N, 5, H, W\]/);
  s.expectError('Dropout p', () => new nn.Dropout(1.2, { gpu }), /Dropout: argument 'p' expected a probability in \[0, 1\], got 1.2/);
  s.expectError('Dropout p < 0', () => new nn.Dropout(-0.5, { gpu }), /argument 'p'/);
  s.expectError('BatchNorm eps', () => new nn.BatchNorm1d(3, { gpu, eps: 0 }), /BatchNorm1d: argument 'eps' expected a number > 0, got 0/);
  const params = model.parameters();
  s.expectError('SGD lr < 0', () => new optim.SGD(params, { lr: -0.5 }), /SGD: argument 'lr' expected a number ≥ 0, got -0.5/);
  s.expectError('SGD lr a string', () => new optim.SGD(params, { lr: '0.1' as unknown as number }), /SGD: argument 'lr' expected a number ≥ 0, got '0.1'/);
  s.expectError('Adam lr < 0', () => new optim.Adam(params, { lr: -1 }), /Adam: argument 'lr'/);
  s.expectError('Adam beta = 1', () => new optim.Adam(params, { betas: [0.9, 1] }), /Adam: argument 'betas\[1\]' expected a number in \[0, 1\), got 1/);
  s.expectError('Adam beta < 0', () => new optim.Adam(params, { betas: [-0.1, 0.9] }), /betas\[0\]/);
  s.expectError('RMSprop lr', () => new optim.RMSprop(params, { lr: -1 }), /RMSprop: argument 'lr'/);
  s.expectError('Adagrad lr', () => new optim.Adagrad(params, { lr: -0.1 }), /Adagrad: argument 'lr'/);
  s.expectError('nesterov without momentum', () => new optim.SGD(params, { nesterov: true }), /nesterov momentum requires/);
  s.expectError('empty parameter list', () => new optim.SGD([]), /empty parameter list/);
  s.expectError('CrossEntropy labels', () => new nn.CrossEntropyLoss({ gpu }).forward(s.input(uniform(random, 6), [2, 3]), s.input([0, 1, 2], [3], 'u32')), /CrossEntropyLoss\(\): target expected class indices of shape \[2\] \(the input \[2, 3\] without its 3 classes\), got \[3\]/);
});

// ── the exponentially weighted average ────────────────────────────────────────────────────────────

// torch.nn.utils.clip_grad_norm_ / clip_grad_value_ between backward and step: against the float64
// reference of the gradients read back; parameters without a gradient are skipped, as PyTorch's None.
add('nn.utils.clipGradNorm_ and clipGradValue_ on a model\'s gradients; the norm is returned on the GPU', async (s, random) => {
  const gpu = s.gpu;
  const model = new nn.Sequential(new nn.Linear(5, 7, { gpu }), new nn.Tanh({ gpu }), new nn.Linear(7, 3, { gpu }));
  const unused = new nn.Linear(2, 2, { gpu });
  const x = s.input(uniform(random, 20, -3, 3), [4, 5]);
  const y = s.input(integers(random, 4, 3), [4], 'u32');
  const lossFn = new nn.CrossEntropyLoss({ gpu });
  const params = [...model.parameters(), ...unused.parameters()];
  // The unused layer's gradient buffers hold an old backward's values; zeroGrad() sets them to none.
  s.own(F.sum(unused.forward(s.input(uniform(random, 2, 5, 9), [1, 2])))).backward();
  unused.zeroGrad();
  for (const [normType, maxNorm] of [[2, 0.05], ['inf', 0.01], [1, 1e6]] as const) {
    model.zeroGrad();
    lossFn.forward(model.forward(x), y).backward();
    const before = await Promise.all(model.parameters().map((p) => p.grad.read()));
    const dispatches = gpu.stats.dispatches;
    const norm = nn.utils.clipGradNorm_(params, maxNorm, normType);
    s.expect('two dispatches a gradient and one for the total; the unused layer\'s skipped', gpu.stats.dispatches - dispatches === 2 * 4 + 1, `${gpu.stats.dispatches - dispatches}`);
    const expected = clipGradNormRef(before, maxNorm, normType === 'inf' ? Infinity : normType);
    await s.check(`norm_type ${normType}: the norm returned`, norm, [expected.total], 0, 1e-5);
    for (const [i, p] of model.parameters().entries()) await s.check(`norm_type ${normType}, max_norm ${maxNorm}: ${p.label}.grad`, p.grad, expected.grads[i]!, 1e-7, 1e-5);
    if (normType === 'inf') nn.utils.clipGradNorm_(params, 1);
    if (normType === 'inf') s.expectError('the previous norm is reused by the next call', () => norm.clone(), /^tensor 'clipGradNorm_ total norm' \[1\] was overwritten by a later clipGradNorm_ call, which reuses the buffer of the norm it returns: read it before the next call, or keep a clone\(\)/);
  }
  s.expect('the unused layer has no gradient, and none was made', unused.parameters().every((p) => !p.hasGrad), '');
  // max_norm Infinity: the norm, for a log, and the gradients as they were (PyTorch's coefficient 1).
  const kept = await Promise.all(model.parameters().map((p) => p.grad.read()));
  const logged = nn.utils.clipGradNorm_(params, Infinity);
  await s.check('max_norm Infinity: the norm', logged, [clipGradNormRef(kept, Infinity, 2).total], 0, 1e-5);
  for (const [i, p] of model.parameters().entries()) await s.check(`max_norm Infinity: ${p.label}.grad unchanged`, p.grad, kept[i]!, 0, 0);
  model.zeroGrad();
  lossFn.forward(model.forward(x), y).backward();
  const before = await Promise.all(model.parameters().map((p) => p.grad.read()));
  nn.utils.clipGradValue_(model.parameters(), 0.02);
  const clipped = clipGradValueRef(before, Math.fround(0.02)); // the bound as float32 holds it
  for (const [i, p] of model.parameters().entries()) await s.check(`clipGradValue_ 0.02: ${p.label}.grad`, p.grad, clipped[i]!, 0, 0);
  s.expectError('error_if_nonfinite', () => nn.utils.clipGradNorm_(params, 1, 2, { error_if_nonfinite: true }), /^clipGradNorm_: errorIfNonfinite: true would read the norm back every step; read the returned norm/);
  s.expectError('norm type', () => nn.utils.clipGradNorm_(params, 1, 0), /^clipGradNorm_: argument 'normType' expected a number > 0, Infinity or 'inf', got 0/);
  s.expectError('not parameters', () => nn.utils.clipGradNorm_(5 as unknown as Tensor[], 1), /^clipGradNorm_: argument 'parameters' expected a Tensor or a list of them \(model.parameters\(\)\), got 5/);
  s.expectError('clip value', () => nn.utils.clipGradValue_(params, -1), /^clipGradValue_: argument 'clipValue' expected a finite number ≥ 0, got -1/);
});

// torch.clone is on the graph, torch.detach off it; torch.reshape infers one −1.
add('clone() carries the gradient, detach() shares memory off the graph, F.reshape infers -1', async (s, random) => {
  const values = uniform(random, 12);
  const x = s.input(values, [2, 6], 'f32', 'x');
  x.requiresGrad = true;
  const c = x.clone();
  F.sum(F.mul(c, x)).backward();
  await s.check('d sum(x.clone() · x) / dx = 2x', x.grad!, values.map((v) => 2 * v), 1e-7, 1e-6);
  c.destroy();
  s.gpu.clear(x.grad!);
  // An intermediate's clone used beside it: its gradient is handed over or added.
  const h = s.own(F.mul(x, 3));
  const hc = h.clone();
  const loss = s.own(F.add(s.own(F.sum(s.own(F.mul(hc, h)))), s.own(F.sum(hc))));
  loss.backward();
  await s.check('d (sum(h.clone() · h) + sum(h.clone())) / dx, h = 3x: 18x + 3', x.grad!, values.map((v) => 18 * v + 3), 1e-6, 1e-5);
  hc.destroy();
  s.gpu.clear(x.grad!);
  // Only through a clone: a leaf's gradient copied in; an intermediate's handed over.
  x.grad!.destroy();
  x.grad = null;
  const w = uniform(random, 12);
  const wt = s.input(w, [2, 6]);
  const only = x.clone();
  s.own(F.sum(s.own(F.mul(only, wt)))).backward();
  await s.check('d sum(x.clone() · w) / dx = w', x.grad!, w, 1e-7, 1e-6);
  only.destroy();
  const h3 = s.own(F.mul(x, 3));
  const h3c = h3.clone();
  s.own(F.sum(s.own(F.mul(h3c, wt)))).backward();
  await s.check('then d sum((3x).clone() · w) / dx added: w + 3w', x.grad!, w.map((v) => 4 * v), 1e-6, 1e-5);
  h3c.destroy();
  s.gpu.clear(x.grad!);
  const d = x.detach();
  s.expect('detach(): no gradient asked', !d.requiresGrad && d.node === null, `${d.requiresGrad}`);
  s.own(F.sum(s.own(F.mul(d, x)))).backward();
  await s.check('d sum(x.detach() · x) / dx = x', x.grad!, values, 1e-7, 1e-6);
  s.expectError('a detached view is not freed', () => d.destroy(), /^tensor 'x' is detach\(\)'s view of 'x' and does not own its memory: destroy that one/);
  x.grad!.destroy();
  s.expect('F.reshape [2, 6] to [-1, 3]', F.reshape(x, [-1, 3]).shape.join() === '4,3', '');
  s.expect('F.reshape [2, 6] to [3, -1]', F.reshape(x, [3, -1]).shape.join() === '3,4', '');
  s.expectError('two -1', () => F.reshape(x, [-1, -1]), /^reshape of 'x' \[2, 6\] to \[-1, -1\]: only one dimension can be inferred \(-1\)/);
  s.expectError('-1 that does not divide', () => F.reshape(x, [5, -1]), /^reshape of 'x' \[2, 6\] to \[5, -1\]: 12 elements do not divide into rows of 5/);
  s.expectError('another count', () => F.reshape(x, [5, 2]), /^reshape of 'x' \[2, 6\] to \[5, 2\]: 10 elements, the input has 12/);
  s.expectError('a zero', () => F.reshape(x, [0, 12]), /^reshape of 'x' \[2, 6\] to \[0, 12\]: every dimension must be a positive integer or -1, got 0/);
});

// PyTorch's version counter: a backward needs the values its forward read; writing them in between
// (x.write(), an op's `out` used again, an optimizer step) is an Error, never a gradient of values
// that were never computed together.
add('backward refuses tensors written since the forward read them: write(), an out used again, an optimizer step', async (s, random) => {
  const gpu = s.gpu;
  const x = s.input(uniform(random, 3), [3], 'f32', 'x');
  x.requiresGrad = true;
  const wrote = "its memory was written since \\(a write\\(\\), an optimizer step, another op's 'out'; PyTorch";
  let loss = s.own(F.sum(s.own(F.mul(x, x))));
  x.write([10, 20, 30]);
  s.expectError('x.write() between forward and backward', () => loss.backward(), new RegExp(`^backward: 'mul' needs 'x' \\[3\\] as it was in the forward, and ${wrote}`));
  // The same write before the forward is the ordinary loop: the gradient is 2x of the new values.
  loss = s.own(F.sum(s.own(F.mul(x, x))));
  loss.backward();
  await s.check('after a write before the forward: d x = 2x', x.grad!, [20, 40, 60], 0, 0);
  x.grad!.destroy();
  x.grad = null;

  const o = s.output([2, 2], 'o');
  const a = s.input(uniform(random, 4), [2, 2], 'f32', 'a');
  a.requiresGrad = true;
  const y1 = F.softmax(a, 1, { out: o });
  const w = s.input(uniform(random, 4), [2, 2]);
  loss = s.own(F.sum(s.own(F.mul(y1, w))));
  F.softmax(s.own(F.mul(a, 2)), 0, { out: o });
  s.expectError("an out of another shape (the same count)", () => F.softmax(a, 1, { out: s.output([4], 'flat') }), /^softmax: argument 'out' expected shape \[2, 2\], got \[4\]/);
  const leaf = s.input(uniform(random, 4), [2, 2], 'f32', 'w');
  leaf.requiresGrad = true;
  s.expectError('an out that is a leaf asking for a gradient', () => F.tanh(a, { out: leaf }), /^tanh: 'out' is 'w', a leaf that requires grad \(a parameter\?\): the op would overwrite its values/);
  s.expectError("an op's out used again in the same graph", () => loss.backward(), new RegExp(`^backward: 'mul' needs 'o' \\[2, 2\\] as it was in the forward, and ${wrote}`));

  const model = new nn.Linear(3, 2, { gpu });
  const opt = new optim.SGD(model.parameters(), { lr: 0.1 });
  const input = s.input(uniform(random, 6), [2, 3]);
  s.own(F.sum(model.forward(input))).backward(); // gradients for the step
  const next = s.own(F.sum(model.forward(input)));
  opt.step();
  s.expectError('an optimizer step between forward and backward', () => next.backward(), new RegExp(`^backward: .* needs 'Linear.weight' \\[2, 3\\] as it was in the forward, and ${wrote}`));
  // What PyTorch allows is allowed: writes to other bytes of the same buffer (every parameter lives
  // in one), values a backward does not read (add's inputs), an out under noGrad.
  const policy = new nn.Linear(3, 2, { gpu });
  const targetNet = new nn.Linear(3, 2, { gpu });
  const snapshot = await policy.stateDict();
  const q = policy.forward(input);
  targetNet.loadStateDict(snapshot); // a DQN's target sync
  opt.step(); // another model's step
  const head = new nn.Linear(2, 1, { gpu }); // a layer made late: its init writes the parameters' buffer
  s.own(F.sum(head.forward(s.own(F.add(q, noGrad(() => targetNet.forward(input))))))).backward();
  s.expect('writes elsewhere in the parameters\' buffer: the backward ran', policy.weight.hasGrad && head.weight.hasGrad, '');
  // Many writes elsewhere (a target sync of a deep model: 160 tensors) between forward and backward.
  const deep = new nn.Sequential(...Array.from({ length: 80 }, () => new nn.Linear(2, 2, { gpu })));
  const deepState = await deep.stateDict();
  const online = s.own(F.sum(policy.forward(input)));
  deep.loadStateDict(deepState);
  online.backward();
  s.expect('160 writes elsewhere in the parameters\' buffer: the backward ran', policy.weight.hasGrad, '');
  const u = s.input([1, 2, 3], [3], 'f32', 'u');
  u.requiresGrad = true;
  const v = s.input([4, 5, 6], [3], 'f32', 'v');
  const added = s.own(F.sum(s.own(F.add(u, v))));
  v.write([7, 8, 9]);
  added.backward();
  await s.check("add's input written after the forward (add reads no values): d u = 1", u.grad!, [1, 1, 1], 0, 0);
  noGrad(() => F.sigmoid(s.input([0, 0, 0, 0], [2, 2]), { out: leaf }));
  await s.check('an out that is a leaf, under noGrad (PyTorch allows it)', leaf, [0.5, 0.5, 0.5, 0.5], 0, 0);
  // Max pooling's backward reads its arg-max alone: a write to .indices since is refused.
  const pooling = new nn.MaxPool2d(2, { gpu });
  const image = s.input(uniform(random, 16), [1, 1, 4, 4], 'f32', 'image');
  image.requiresGrad = true;
  const pooled = s.own(F.sum(pooling.forward(image)));
  pooling.indices!.write([0, 0, 0, 0]);
  s.expectError("max pooling's indices written after the forward", () => pooled.backward(), new RegExp(`^backward: 'MaxPool2d\\(kernel_size=2, .*' needs 'MaxPool2d.indices' \\[1, 1, 2, 2\\] as it was in the forward, and ${wrote}`));
  // Cross-entropy's labels are read again by its backward when the logits are a leaf.
  const logits = s.input(uniform(random, 6), [2, 3], 'f32', 'logits');
  logits.requiresGrad = true;
  const labels = s.input([0, 1], [2], 'u32', 'labels');
  const ce = F.crossEntropy(logits, labels);
  labels.write([2, 2]);
  s.expectError("cross-entropy's labels written after the forward", () => ce.backward(), new RegExp(`^backward: 'crossEntropy' needs 'labels' \\[2\\] as it was in the forward, and ${wrote}`));
  ce.destroy();
});

// nn.CrossEntropyLoss over [N, C, L] (a class per position) and with class probabilities: training
// steps reuse their buffers; the metrics count positions.
add('CrossEntropyLoss over [N, C, L] and with class probabilities: steps make no buffers, metrics count positions', async (s, random) => {
  const gpu = s.gpu;
  const [N, C, L] = [3, 4, 5];
  const logits = s.input(uniform(random, N * C * L, -2, 2), [N, C, L], 'f32', 'logits');
  logits.requiresGrad = true;
  const labels = integers(random, N * L, C);
  const lossFn = new nn.CrossEntropyLoss({ gpu });
  const soft = new nn.CrossEntropyLoss({ gpu });
  const probabilities = s.input(uniform(random, N * C * L, 0, 1), [N, C, L], 'f32', 'probabilities');
  const target = s.input(labels, [N, L], 'u32', 'target');
  const live: number[] = [];
  for (let step = 0; step < 4; step++) {
    lossFn.forward(logits, target).backward();
    soft.forward(logits, probabilities).backward();
    live.push(gpu.stats.liveBuffers);
  }
  s.expect('steps after the first make no buffers', live.slice(1).every((n) => n === live[0]), live.join(' '));
  // Accuracy over the N·L positions: the arg-max over the C classes of each [n, :, l].
  const values = await logits.read();
  let correct = 0;
  for (let n = 0; n < N; n++) {
    for (let l = 0; l < L; l++) {
      const row = Array.from({ length: C }, (_, c) => values[(n * C + c) * L + l]!);
      if (row.indexOf(Math.max(...row)) === labels[n * L + l]) correct++;
    }
  }
  const m = await lossFn.readMetrics();
  s.expect('metrics: 4 batches of N·L positions, accuracy over them', m.batches === 4 && m.rows === 4 * N * L && Math.abs(m.accuracy - correct / (N * L)) < 1e-6, JSON.stringify(m));
  const none = await soft.readMetrics();
  s.expect('class probabilities are not counted in the metrics', none.batches === 0, JSON.stringify(none));
  logits.grad?.destroy();
  s.expectError('probabilities with an ignore_index', () => new nn.CrossEntropyLoss({ gpu, ignore_index: 0 }).forward(logits, probabilities), /^CrossEntropyLoss\(ignore_index=0\): ignore_index 0 is not supported for class probabilities \(a target of dtype f32\), as in PyTorch/);
  s.expectError('NLLLoss refuses probabilities', () => new nn.NLLLoss({ gpu }).forward(logits, probabilities), /^NLLLoss\(\): target expected class indices \(dtype u32 or i32\), got dtype f32 \(class probabilities are cross-entropy's\)/);
  s.expectError('NLLLoss has no label smoothing', () => new nn.NLLLoss({ gpu, label_smoothing: 0.1 } as nn.CrossEntropyLossOptions), /^NLLLoss: unknown option 'label_smoothing' \(known: weight, ignoreIndex, reduction, gpu; or PyTorch's ignore_index\)/);
  s.expectError('K-dim target shape', () => lossFn.forward(logits, s.input(labels, [N * L], 'u32')), /^CrossEntropyLoss\(\): target expected class indices of shape \[3, 5\] \(the input \[3, 4, 5\] without its 4 classes\), got \[15\]/);
  s.expectError('probabilities of another shape', () => F.crossEntropy(logits, s.input(uniform(random, N * C), [N, C, 1])), /^crossEntropy: target expected class probabilities \(a target of dtype f32\) of the input's shape \[3, 4, 5\], got \[3, 4, 1\]/);
});

add('exponentially weighted average, with and without bias correction', async (s, random) => {
  const series = uniform(random, 30, 0, 30);
  for (const beta of [0.5, 0.9, 0.98]) {
    for (const biasCorrection of [false, true]) {
      const y = optim.exponentiallyWeightedAverage(s.gpu, series, beta, { biasCorrection });
      await s.check(`β=${beta}${biasCorrection ? ' corrected' : ''}`, y, optRef.ewa(series, beta, biasCorrection), 1e-5, 1e-5);
    }
  }
});

// ── golden values from PyTorch (scripts/make-fixtures.py → tests/fixtures/pytorch.json) ──────────────

const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

for (const [i, f] of golden.optimizers.entries()) {
  add(`PyTorch ${golden.torch_version}: ${f.name} ${JSON.stringify(f.options)}, 3 steps`, async (s) => {
    const p = allocateParameter(s.gpu, f.shape, 'p');
    p.write(f.param);
    const options = Object.fromEntries(Object.entries(f.options).map(([k, v]) => [camel(k), v]));
    const Optimizer = { SGD: optim.SGD, Adagrad: optim.Adagrad, RMSprop: optim.RMSprop, Adam: optim.Adam }[f.name as 'SGD']!;
    const opt = new Optimizer([p], options);
    for (const [step, g] of f.grads.entries()) {
      opt.zeroGrad();
      p.grad.write(g);
      opt.step();
      await s.check(`#${i} after step ${step + 1}`, p, f.after[step]!, 1e-6, 1e-5);
    }
  });
}

for (const f of golden.batchnorm) {
  add(`PyTorch ${golden.torch_version}: ${f.module} [${f.shape.join(', ')}] train, train, eval`, async (s) => {
    const C = f.shape[1]!;
    const bn = f.module === 'BatchNorm2d' ? new nn.BatchNorm2d(C, { gpu: s.gpu }) : new nn.BatchNorm1d(C, { gpu: s.gpu });
    bn.weight!.write(f.weight);
    bn.bias!.write(f.bias);
    const [x1, x2] = [s.input(f.x1, f.shape), s.input(f.x2, f.shape)];
    bn.train();
    await s.check('train output 1', bn.forward(x1), f.train1, 1e-5, 1e-4);
    await s.check('train output 2', bn.forward(x2), f.train2, 1e-5, 1e-4);
    bn.eval();
    await s.check('eval output', bn.forward(x1), f.eval, 1e-5, 1e-4);
    await s.check('running_mean', bn.runningMean, f.running_mean, 1e-6, 1e-5);
    await s.check('running_var', bn.runningVar, f.running_var, 1e-6, 1e-5);
    s.expect('num_batches_tracked', bn.numBatchesTracked.value === f.num_batches_tracked, `${bn.numBatchesTracked.value} vs ${f.num_batches_tracked}`);
  });
}

add(`PyTorch ${golden.torch_version}: CrossEntropyLoss loss and gradient`, async (s) => {
  const f = golden.cross_entropy;
  const logits = s.input(f.logits, [f.N, f.C]);
  logits.requiresGrad = true;
  const loss = new nn.CrossEntropyLoss({ gpu: s.gpu }).forward(logits, s.input(f.labels, [f.N], 'u32'));
  loss.backward();
  await s.check('loss', loss, [f.loss], 1e-6, 1e-6);
  await s.check('d loss / d logits', logits.grad!, f.grad, 1e-7, 1e-5);
});

add(`PyTorch ${golden.torch_version}: nn.Linear default init bound`, async (s) => {
  const f = golden.linear_init;
  const linear = new nn.Linear(f.in_features, f.out_features, { gpu: s.gpu });
  const maxAbs = async (t: Tensor) => Math.max(...Array.from(await t.read(), Math.abs));
  const [w, b] = [await maxAbs(linear.weight), await maxAbs(linear.bias!)];
  // Our bound, from our gain and fan (kaiming_uniform_ with a = √5, as nn.Linear), against what
  // PyTorch drew: its 2,560 weights from U(−bound, bound) reach within 0.5% of the bound (the
  // fixture's own 'bound' field is 1/√in_features written by the fixture script, not PyTorch's).
  const ours = init.kaimingUniformBound([f.out_features, f.in_features], { a: Math.sqrt(5) });
  s.expect('our bound against the weights PyTorch drew', f.weight_max_abs <= ours && f.weight_max_abs > 0.995 * ours, `ours ${ours.toFixed(6)}, PyTorch's largest |weight| ${f.weight_max_abs.toFixed(6)}`);
  s.expect('weight within bound, as PyTorch', w <= ours && w > 0.97 * ours, `ours ${w.toFixed(5)}, PyTorch ${f.weight_max_abs.toFixed(5)}, bound ${ours.toFixed(5)}`);
  s.expect('bias within 1/√in_features, as PyTorch', b <= 1 / Math.sqrt(f.in_features) && f.bias_max_abs <= 1 / Math.sqrt(f.in_features) && b > 0.8 * f.bias_max_abs, `ours ${b.toFixed(5)}, PyTorch ${f.bias_max_abs.toFixed(5)}`);
});

export const graphCases: readonly KernelCase[] = cases;
