// nn.LogSigmoid, Softsign, SELU, CELU, GLU, Softmin, Threshold, Tanhshrink, Softshrink, Hardshrink,
// F.normalize, nn.CosineSimilarity and nn.PairwiseDistance against PyTorch itself
// (tests/fixtures/pytorch-activations2.json, from scripts/make-fixtures.py): values, the inputs'
// gradients (inputs with each one's exact boundaries, ±20 and ±100; zero and tiny vectors, ties for
// p = ∞, broadcast operands), printouts; errors. nn.Dropout1d and Dropout2d by their statistics.
// Part of tests/parity-cases.ts's table.
import * as F from '../src/functional';
import * as nn from '../src/nn';
import { caseTable, type CaseScope, type KernelCase } from '../src/spec/scope';
import type { Tensor } from '../src/tensor';
import golden from './fixtures/pytorch-activations2.json';
import { checkModuleFixture } from './support/module-fixture';

const { cases, add } = caseTable();

type Gpu = import('../src/device/gpu').Gpu;
/** JSON has no Infinity: the fixture writes p = ∞ as "inf". */
const options = (kwargs: object): Record<string, number | boolean> => Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [k, v === 'inf' ? Infinity : (v as number | boolean)]));

function moduleOf(f: (typeof golden.cases)[number], gpu: Gpu): nn.Module {
  const [a, b] = f.args as [number | undefined, number | undefined];
  const o = f.kwargs as { alpha?: number; dim?: number };
  switch (f.kind) {
    case 'LogSigmoid': return new nn.LogSigmoid({ gpu });
    case 'Softsign': return new nn.Softsign({ gpu });
    case 'SELU': return new nn.SELU({ gpu });
    case 'CELU': return new nn.CELU(o.alpha ?? 1, { gpu });
    case 'GLU': return new nn.GLU(o.dim ?? -1, { gpu });
    case 'Softmin': return new nn.Softmin(o.dim!, { gpu });
    case 'Threshold': return new nn.Threshold(a!, b!, { gpu });
    case 'Tanhshrink': return new nn.Tanhshrink({ gpu });
    case 'Softshrink': return new nn.Softshrink(a ?? 0.5, { gpu });
    case 'Hardshrink': return new nn.Hardshrink(a ?? 0.5, { gpu });
    default: throw new Error(`no module for fixture ${f.kind}`);
  }
}

for (const f of golden.cases) {
  add(`PyTorch ${golden.torch_version}: nn.${f.kind}(${[...f.args.map((v) => JSON.stringify(v)), ...Object.entries(f.kwargs).map(([k, v]) => `${k}=${JSON.stringify(v)}`)].join(', ')}) on [${f.shape.join(', ')}]: values, gradient, printout`, async (s) => {
    await checkModuleFixture(s, moduleOf(f, s.gpu), f, { values: [1e-6, 1e-5], parameters: [1e-6, 1e-5] });
  });
}

for (const f of golden.normalize) {
  add(`PyTorch ${golden.torch_version}: F.normalize(x, ${JSON.stringify(f.kwargs)}) on [${f.shape.join(', ')}] with a zero vector: values, gradient`, async (s) => {
    const x = s.input(f.x, f.shape, 'f32', 'x');
    x.requiresGrad = true;
    const y = s.own(F.normalize(x, options(f.kwargs)));
    s.expect('output shape', y.shape.join() === f.y_shape.join(), `[${y.shape.join(', ')}] (PyTorch: [${f.y_shape.join(', ')}])`);
    await s.check('y', y, f.y, 1e-6, 1e-5);
    s.own(F.sum(s.own(F.mul(y, s.input(f.dy, y.shape, 'f32', 'dy'))))).backward();
    await s.check('d x', x.grad!, f.dx, 1e-6, 1e-5);
  });
}

for (const f of golden.pairs) {
  add(`PyTorch ${golden.torch_version}: nn.${f.kind}(${JSON.stringify(f.kwargs)}) on [${f.shape1.join(', ')}] and [${f.shape2.join(', ')}]: values, both gradients, printout`, async (s) => {
    const o = options(f.kwargs);
    const m = f.kind === 'CosineSimilarity' ? new nn.CosineSimilarity({ ...o, gpu: s.gpu }) : new nn.PairwiseDistance({ ...o, gpu: s.gpu });
    s.expect('printout as PyTorch', m.describe() === f.repr, `${m.describe()} (PyTorch: ${f.repr})`);
    const x1 = s.input(f.x1, f.shape1, 'f32', 'x1');
    const x2 = s.input(f.x2, f.shape2, 'f32', 'x2');
    x1.requiresGrad = x2.requiresGrad = true;
    const y = m.forward(x1, x2);
    s.expect('output shape', y.shape.join() === (f.y_shape.length ? f.y_shape : [1]).join(), `[${y.shape.join(', ')}] (PyTorch: [${f.y_shape.join(', ')}])`);
    await s.check('y', y, f.y, 1e-6, 1e-5);
    s.own(F.sum(s.own(F.mul(y, s.input(f.dy, y.shape, 'f32', 'dy'))))).backward();
    await s.check('d x1', x1.grad!, f.dx1, 1e-6, 1e-5);
    await s.check('d x2', x2.grad!, f.dx2, 1e-6, 1e-5);
  });
}

add('logsigmoid far out, NaN through threshold and hardshrink as PyTorch', async (s) => {
  const x = s.input([-1e4, 1e4, -88, 88], [4], 'f32', 'x');
  x.requiresGrad = true;
  const y = s.own(F.logsigmoid(x));
  // PyTorch's ∓6.05e-39 at 88 is subnormal, which a GPU may flush to 0.
  await s.check('logsigmoid(±1e4, ±88)', y, [-1e4, -0, -88, -6.0546e-39], 1e-37, 1e-6);
  s.own(F.sum(y)).backward();
  await s.check('its gradient σ(−x)', x.grad!, [1, 0, 1, 6.0546e-39], 1e-37, 1e-6);
  const nan = s.input([NaN, 0.25, -2], [3], 'f32', 'x');
  await s.check('threshold(x, 0.5, 9)', s.own(F.threshold(nan, 0.5, 9)), [NaN, 9, 9], 0, 0);
  await s.check('hardshrink(x, 1)', s.own(F.hardshrink(nan, 1)), [NaN, 0, -2], 0, 0);
});

// A reviewer's case: Σx² overflowing float32 (|x| ~ 1e20) made the zero-valued gradient term ∞ − ∞.
add('cosineSimilarity of a vector whose Σx² overflows: 0 and a zero gradient, as PyTorch 1.13 (not NaN)', async (s) => {
  const a = s.input([1e20, 1e20, 1, 3e19, 0, 0], [2, 3], 'f32', 'a');
  a.requiresGrad = true;
  const y = s.own(F.cosineSimilarity(a, s.input([1, 1, 1, 1, 0, 0], [2, 3], 'f32', 'b')));
  await s.check('cosine', y, [0, 0], 0, 0);
  s.own(F.sum(y)).backward();
  await s.check('d a', a.grad!, [0, 0, 0, 0, 0, 0], 0, 0);
});

// e^x − 1 and ln(1 + e^x) as written lose the digits of a small result (elu(−1e-4) was 6e-4 off,
// softplus(−20) was 0 where it is 2.06e-9): F.expm1 and F.log1p keep them, and the gradients.
add('ELU, SELU, CELU, softplus, logsigmoid, hardsigmoid, BCE with logits, F.expm1, F.log1p: relative precision near 0 and in the tails, gradients too (float64 formulas)', async (s) => {
  const x = [-1e-4, -3e-6, -0.01, -0.3, -20, -40, -1e-30];
  const xt = s.input(x, [x.length], 'f32', 'x');
  const f32 = x.map(Math.fround);
  const checks: [string, (t: typeof xt) => typeof xt, (v: number) => number][] = [
    ['elu', (t) => F.elu(t), (v) => Math.expm1(v)],
    ['selu', (t) => F.selu(t), (v) => 1.0507009873554805 * 1.6732632423543772 * Math.expm1(v)],
    ['celu(α = 2)', (t) => F.celu(t, 2), (v) => 2 * Math.expm1(v / 2)],
    ['softplus', (t) => F.softplus(t), (v) => Math.log1p(Math.exp(v))],
    ['logsigmoid(−x)', (t) => F.logsigmoid(F.mul(t, -1)), (v) => -Math.log1p(Math.exp(v))],
    ['expm1', (t) => F.expm1(t), (v) => Math.expm1(v)],
    ['log1p', (t) => F.log1p(t), (v) => Math.log1p(v)],
  ];
  for (const [label, f, ref] of checks) await s.check(label, s.own(f(xt)), f32.map(ref), 1e-37, 1e-6);
  // Gradients far below 0 (ELU's was dy · (y + 1), which cancels: 44% off at −17, 0 from −17.3 on).
  const far = [-10, -17, -20, -40];
  const xf = s.input(far, [4], 'f32', 'far');
  xf.requiresGrad = true;
  s.own(F.sum(s.own(F.elu(xf)))).backward();
  await s.check('d elu far below 0 (e^x)', xf.grad!, far.map(Math.exp), 1e-37, 1e-6);
  // hardsigmoid near −3 (x/6 + ½ cancelled: 3.6e-2 off at −2.999997), as (x + 3)/6.
  const near3 = [-2.999997, -2.9999, -2.986];
  await s.check('hardsigmoid near −3', s.own(F.hardsigmoid(s.input(near3, [3], 'f32', 'near −3'))), near3.map((u) => (Math.fround(u) + 3) / 6), 1e-37, 1e-6);
  // A well-classified negative's BCE-with-logits loss and gradient (x + softplus(−x) cancelled:
  // 1.6e-2 off at −10, a negative loss at −29.7).
  const logits = [-10, -20, -29.7, 10, 0];
  const xl = s.input(logits, [5], 'f32', 'logits');
  xl.requiresGrad = true;
  const bce = s.own(F.binaryCrossEntropyWithLogits(xl, s.input([0, 0, 0, 1, 0], [5], 'f32', 't'), { reduction: 'none' }));
  const f = logits.map(Math.fround);
  await s.check('BCE with logits, t = 0 below 0 and t = 1 above', bce, f.map((u, i) => (i === 3 ? Math.log1p(Math.exp(-u)) : Math.log1p(Math.exp(u)))), 1e-37, 1e-6);
  s.own(F.sum(bce)).backward();
  await s.check('its gradient σ(x) − t', xl.grad!, f.map((u, i) => 1 / (1 + Math.exp(-u)) - (i === 3 ? 1 : 0)), 1e-37, 1e-6);
  // BCE of probabilities near 1 and 0 (ln x was WGSL's log, 39% off at 1 − 2⁻²⁴; ln(1 − x) rounded
  // a 1e-9 away): PyTorch's log and log1p(−x).
  const p = [1 - 2 ** -24, 1e-9, 0.99999, 0.3];
  const tp = [1, 0, 1, 0];
  const bceP = s.own(F.binaryCrossEntropy(s.input(p, [4], 'f32', 'p'), s.input(tp, [4], 'f32', 'tp'), { reduction: 'none' }));
  await s.check('BCE of probabilities near 1 and 0', bceP, p.map((u, i) => (tp[i] ? -Math.log(Math.fround(u)) : -Math.log1p(-Math.fround(u)))), 1e-37, 1e-6);
  const v = s.input([-1e-4, 0.3, -0.3, 2], [4], 'f32', 'v');
  v.requiresGrad = true;
  s.own(F.sum(s.own(F.add(s.own(F.expm1(v)), s.own(F.log1p(v)))))).backward();
  await s.check('d (expm1 + log1p)', v.grad!, [-1e-4, 0.3, -0.3, 2].map((u) => Math.exp(Math.fround(u)) + 1 / (1 + Math.fround(u))), 0, 1e-6);
});

add('the activations and distances: errors named, before anything is dispatched', (s) => {
  const x = s.input(new Float32Array(15), [3, 5], 'f32', 'x');
  const gpu = s.gpu;
  s.expectError('GLU of an odd dimension', () => F.glu(x), /glu: Halving dimension must be even, but dimension 1 is size 5/);
  s.expectError('GLU module of an odd dimension', () => new nn.GLU(0, { gpu }).outputShape([3, 4]), /GLU\(dim=0\): Halving dimension must be even, but dimension 0 is size 3/);
  s.expectError('CELU alpha 0', () => new nn.CELU(0, { gpu }), /CELU: argument 'alpha' expected a finite number other than 0/);
  s.expectError('CELU alpha in an options object', () => new nn.CELU({ alpha: 0.5 } as unknown as number, { gpu }), /CELU: alpha comes first, as PyTorch's positional argument: new nn\.CELU\(0\.5, \{ gpu \}\)/);
  s.expectError('softshrink lambd < 0', () => F.softshrink(x, -1), /softshrink: lambda must be greater or equal to 0, but found to be -1\./);
  s.expectError('Softshrink lambd < 0', () => new nn.Softshrink(-0.5, { gpu }), /Softshrink: lambda must be greater or equal to 0, but found to be -0\.5\./);
  s.expectError('Softmin without dim', () => new nn.Softmin(undefined as unknown as number, { gpu }), /Softmin: argument 'dim' expected an integer/);
  s.expectError('softmin dim out of range', () => F.softmin(x, 2), /softmin: argument 'dim' expected a dimension of \[3, 5\] \(-2 to 1\), got 2/);
  s.expect('SELU and Threshold take inplace=True (computed out of place), printed as PyTorch\'s', `${new nn.SELU({ inplace: true, gpu })} ${new nn.Threshold(0, 0, { inplace: true, gpu })}` === 'SELU(inplace=True) Threshold(threshold=0.0, value=0.0, inplace=True)', `${new nn.SELU({ inplace: true, gpu })}`);
  s.expectError('Threshold value', () => new nn.Threshold(0, NaN, { gpu }), /Threshold: argument 'value' expected a number/);
  s.expectError('normalize p < 1', () => F.normalize(x, { p: 0.5 }), /normalize: option 'p' expected a number ≥ 1 or Infinity, got 0\.5 \(p < 1 is not supported\)/);
  s.expectError('normalize unknown option', () => F.normalize(x, { axis: 1 } as object), /normalize: unknown option 'axis'/);
  s.expectError('cosine eps 0', () => F.cosineSimilarity(x, x, { eps: 0 }), /cosineSimilarity: option 'eps' expected a number > 0, got 0/);
  s.expectError('cosine dim', () => new nn.CosineSimilarity({ dim: 1.5, gpu }), /CosineSimilarity: option 'dim' expected an integer, got 1\.5/);
  s.expectError('pairwise p', () => new nn.PairwiseDistance({ p: 0, gpu }), /PairwiseDistance: option 'p' expected a number ≥ 1 or Infinity, got 0/);
  s.expectError('pairwise keepdim', () => new nn.PairwiseDistance({ keepdim: 1 as unknown as boolean, gpu }), /PairwiseDistance: option 'keepdim' expected true or false, got 1/);
  s.expectError('pairwise shapes', () => F.pairwiseDistance(x, s.input(new Float32Array(12), [3, 4], 'f32', 'y')), /pairwiseDistance: shapes \[3, 5\] and \[3, 4\] do not broadcast/);
});

// ── nn.Dropout1d, nn.Dropout2d: PyTorch's generator differs, so statistics, not fixtures ─────────

/**
 * Checks y = channel dropout of x, channels of `length` contiguous values: each all 0 or all x/(1 − p),
 * the dropped fraction within 5 standard deviations of p; returns which channels were dropped.
 */
async function checkChannels(s: CaseScope, label: string, y: Tensor, x: ArrayLike<number>, length: number, p: number): Promise<boolean[]> {
  const values = await y.read();
  const channels = values.length / length;
  const dropped: boolean[] = [];
  let mixed = 0;
  for (let c = 0; c < channels; c++) {
    const zero = values[c * length] === 0;
    dropped.push(zero);
    for (let i = c * length; i < (c + 1) * length; i++) if (zero ? values[i] !== 0 : Math.abs(values[i]! - x[i]! / (1 - p)) > 1e-6 * Math.abs(x[i]! / (1 - p))) mixed++;
  }
  s.expect(`${label}: each channel all 0 or all x / (1 − p)`, mixed === 0, `${mixed} of ${values.length} values break their channel's rule`);
  const fraction = dropped.filter(Boolean).length / channels;
  const sd = Math.sqrt((p * (1 - p)) / channels);
  s.expect(`${label}: dropped fraction near p`, Math.abs(fraction - p) <= 5 * sd, `${fraction.toFixed(4)} of ${channels} channels (p ${p}, 5 sd = ${(5 * sd).toFixed(4)})`);
  return dropped;
}

for (const [kind, p, shape] of [['Dropout1d', 0.3, [8, 250, 5]], ['Dropout1d', 0.5, [400, 3]], ['Dropout2d', 0.2, [4, 100, 3, 3]], ['Dropout2d', 0.5, [6, 50, 4]]] as const) {
  add(`nn.${kind}(${p}) on [${shape.join(', ')}]: whole channels dropped, the rest scaled, the gradient through the same mask; eval is the identity`, async (s) => {
    const m = kind === 'Dropout1d' ? new nn.Dropout1d(p, { gpu: s.gpu }) : new nn.Dropout2d(p, { gpu: s.gpu });
    s.expect('printout as PyTorch', m.describe() === `${kind}(p=${p}, inplace=False)`, m.describe());
    const length = shape.length === 2 ? shape[1]! : shape.slice(2).reduce((a, b) => a * b, 1);
    const size = shape.reduce((a, b) => a * b, 1);
    const xs = Float32Array.from({ length: size }, (_, i) => 0.5 + ((i * 0.618034) % 1)); // never 0, so a 0 is a dropped value
    const x = s.input(xs, shape, 'f32', 'x');
    x.requiresGrad = true;
    const warn = console.warn;
    const warnings: string[] = [];
    console.warn = (message: string) => void warnings.push(message);
    let y: Tensor;
    try {
      y = m.forward(x);
    } finally {
      console.warn = warn;
    }
    // The only 3-D input to dropout2d in the case table: the warning, given once per process, is this case's.
    if (shape.length === 3 && kind === 'Dropout2d') s.expect("PyTorch 1.13's warning for a 3-D input", warnings.length === 1 && /dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D dropout behavior is desired/.test(warnings[0]!), warnings.join(' | ') || 'none');
    else s.expect('no warning', warnings.length === 0, warnings.join(' | ') || 'none');
    const dropped = await checkChannels(s, 'y', y, xs, length, p);
    const dys = Float32Array.from({ length: size }, (_, i) => 1 + ((i * 0.414214) % 1));
    s.own(F.sum(s.own(F.mul(y, s.input(dys, shape, 'f32', 'dy'))))).backward();
    const droppedInGrad = await checkChannels(s, 'd x', x.grad!, dys, length, p);
    s.expect('the gradient drops the forward’s channels', droppedInGrad.every((d, c) => d === dropped[c]), `${droppedInGrad.filter((d, c) => d !== dropped[c]).length} channels differ`);
    const again = m.forward(x);
    s.expect('a new mask each forward', (await checkChannels(s, 'a second forward', again, xs, length, p)).some((d, c) => d !== dropped[c]), 'the same channels dropped twice');
    m.eval();
    s.expect('eval: x itself', m.forward(x) === x, 'a new tensor');
  });
}

add('nn.Dropout1d and nn.Dropout2d: errors named, before anything is dispatched', (s) => {
  const gpu = s.gpu;
  s.expectError('Dropout1d of a 4-D input', () => F.dropout1d(s.input(new Float32Array(16), [2, 2, 2, 2], 'f32', 'x'), 0.5), /dropout1d: Expected 2D or 3D input, but received a 4D input/);
  s.expectError('dropout2d of a 1-D input', () => F.dropout2d(s.input(new Float32Array(4), [4], 'f32', 'x'), 0.5), /dropout2d: Feature dropout requires at least 2 dimensions in the input/);
  s.expectError('Dropout2d p > 1', () => new nn.Dropout2d(1.5, { gpu }), /Dropout2d: dropout probability has to be between 0 and 1, but got 1\.5/);
  s.expect('Dropout1d takes inplace=True, printed as PyTorch\'s', `${new nn.Dropout1d(0.5, { inplace: true, gpu })}` === 'Dropout1d(p=0.5, inplace=True)', `${new nn.Dropout1d(0.5, { inplace: true, gpu })}`);
});

export const activation2Cases: readonly KernelCase[] = cases;
