// PyTorch's tensor methods (src/tensor-methods.ts): each method equals its F op, values and gradients,
// bit for bit; the blitz's manual SGD loop (p.data.sub_(p.grad.data * lr), p.sub_ under noGrad, sub_ with alpha)
// equals optim.SGD's steps; item(); the in-place ops' values, refusals, gradient flags and freed
// temporaries; every error. Part of tests/parity-cases.ts's table.
import { TENSOR_METHODS } from '../src/tensor-methods';
import * as F from '../src/functional';
import * as nn from '../src/nn';
import * as optim from '../src/optim';
import { allocateParameter } from '../src/parameters';
import { caseTable, type CaseScope, type KernelCase } from '../src/spec/scope';
import { uniform } from '../src/spec/random';
import { isGradEnabled, noGrad, setGradEnabled, tidy, Tensor } from '../src/tensor';
import { empty } from '../src/creation';

const { cases, add } = caseTable();

interface Entry {
  name: string;
  /** Input shapes; inputs are uniform in [−1, 1], or [0.5, 2] with positive. */
  shapes: number[][];
  positive?: boolean;
  method: (x: Tensor[], s: CaseScope) => Tensor;
  f: (x: Tensor[], s: CaseScope) => Tensor;
  /** false: no gradient (comparisons, indices). */
  grad?: boolean;
}

const e = (name: string, shapes: number[][], method: Entry['method'], f: Entry['f'], more: Partial<Entry> = {}): Entry => ({ name, shapes, method, f, ...more });
const M = [2, 3];

const ENTRIES: Entry[] = [
  e('a.add(b)', [M, M], ([a, b]) => a!.add(b!), ([a, b]) => F.add(a!, b!)),
  e('a.add(b, { alpha: 2 })', [M, [3]], ([a, b]) => a!.add(b!, { alpha: 2 }), ([a, b]) => F.add(a!, b!, { alpha: 2 })),
  e('a.add(2.5)', [M], ([a]) => a!.add(2.5), ([a]) => F.add(a!, 2.5)),
  e('a.sub(b, { alpha: 0.5 })', [M, M], ([a, b]) => a!.sub(b!, { alpha: 0.5 }), ([a, b]) => F.sub(a!, b!, { alpha: 0.5 })),
  e('a.mul(b) broadcast', [M, [3]], ([a, b]) => a!.mul(b!), ([a, b]) => F.mul(a!, b!)),
  e('a.mul(3)', [M], ([a]) => a!.mul(3), ([a]) => F.mul(a!, 3)),
  e('a.div(b)', [M, M], ([a, b]) => a!.div(b!), ([a, b]) => F.div(a!, b!), { positive: true }),
  e('a.div(4)', [M], ([a]) => a!.div(4), ([a]) => F.div(a!, 4)),
  e('a.pow(2)', [M], ([a]) => a!.pow(2), ([a]) => F.pow(a!, 2)),
  e('a.pow(b)', [M, M], ([a, b]) => a!.pow(b!), ([a, b]) => F.pow(a!, b!), { positive: true }),
  e('a.neg()', [M], ([a]) => a!.neg(), ([a]) => F.mul(a!, -1)),
  e('a.exp()', [M], ([a]) => a!.exp(), ([a]) => F.exp(a!)),
  e('a.log()', [M], ([a]) => a!.log(), ([a]) => F.log(a!), { positive: true }),
  e('a.sqrt()', [M], ([a]) => a!.sqrt(), ([a]) => F.sqrt(a!), { positive: true }),
  e('a.abs()', [M], ([a]) => a!.abs(), ([a]) => F.abs(a!)),
  e('a.sin()', [M], ([a]) => a!.sin(), ([a]) => F.sin(a!)),
  e('a.cos()', [M], ([a]) => a!.cos(), ([a]) => F.cos(a!)),
  e('a.expm1()', [M], ([a]) => a!.expm1(), ([a]) => F.expm1(a!)),
  e('a.log1p()', [M], ([a]) => a!.log1p(), ([a]) => F.log1p(a!), { positive: true }),
  e('a.mul(4).sign()', [M], ([a]) => a!.mul(4).sign(), ([a]) => F.sign(F.mul(a!, 4))),
  e('a.mul(4).floor()', [M], ([a]) => a!.mul(4).floor(), ([a]) => F.floor(F.mul(a!, 4))),
  e('a.mul(4).ceil()', [M], ([a]) => a!.mul(4).ceil(), ([a]) => F.ceil(F.mul(a!, 4))),
  e('a.mul(4).round()', [M], ([a]) => a!.mul(4).round(), ([a]) => F.round(F.mul(a!, 4))),
  e('a.mul(4).trunc()', [M], ([a]) => a!.mul(4).trunc(), ([a]) => F.trunc(F.mul(a!, 4))),
  e('a.maximum(b)', [M, M], ([a, b]) => a!.maximum(b!), ([a, b]) => F.maximum(a!, b!)),
  e('a.minimum(b)', [M, [3]], ([a, b]) => a!.minimum(b!), ([a, b]) => F.minimum(a!, b!)),
  e('a.clamp(-0.2, 0.3)', [M], ([a]) => a!.clamp(-0.2, 0.3), ([a]) => F.clamp(a!, -0.2, 0.3)),
  e('a.eq(b)', [M, M], ([a, b]) => a!.eq(b!), ([a, b]) => F.eq(a!, b!), { grad: false }),
  e('a.ne(0)', [M], ([a]) => a!.ne(0), ([a]) => F.ne(a!, 0), { grad: false }),
  e('a.gt(b)', [M, [3]], ([a, b]) => a!.gt(b!), ([a, b]) => F.gt(a!, b!), { grad: false }),
  e('a.ge(0)', [M], ([a]) => a!.ge(0), ([a]) => F.ge(a!, 0), { grad: false }),
  e('a.lt(b)', [M, M], ([a, b]) => a!.lt(b!), ([a, b]) => F.lt(a!, b!), { grad: false }),
  e('a.le(0)', [M], ([a]) => a!.le(0), ([a]) => F.le(a!, 0), { grad: false }),
  e('a.sum()', [M], ([a]) => a!.sum(), ([a]) => F.sum(a!)),
  e('a.sum(1)', [M], ([a]) => a!.sum(1), ([a]) => F.sum(a!, 1)),
  e('a.sum([0, 2], true)', [[2, 3, 4]], ([a]) => a!.sum([0, 2], true), ([a]) => F.sum(a!, [0, 2], true)),
  e('a.mean()', [M], ([a]) => a!.mean(), ([a]) => F.mean(a!)),
  e('a.mean(-1, true)', [M], ([a]) => a!.mean(-1, true), ([a]) => F.mean(a!, -1, true)),
  e('a.max()', [M], ([a]) => a!.max(), ([a]) => F.max(a!)),
  e('a.max(1).values', [M], ([a]) => a!.max(1).values, ([a]) => F.max(a!, 1).values),
  e('a.max(1, true).indices', [M], ([a]) => a!.max(1, true).indices, ([a]) => F.max(a!, 1, true).indices, { grad: false }),
  e('a.max(b)', [M, M], ([a, b]) => a!.max(b!), ([a, b]) => F.max(a!, b!)),
  e('a.min()', [M], ([a]) => a!.min(), ([a]) => F.min(a!)),
  e('a.min(0).values', [M], ([a]) => a!.min(0).values, ([a]) => F.min(a!, 0).values),
  e('a.min(b)', [M, M], ([a, b]) => a!.min(b!), ([a, b]) => F.min(a!, b!)),
  e('a.amax(1)', [M], ([a]) => a!.amax(1), ([a]) => F.amax(a!, 1)),
  e('a.amin(0, true)', [M], ([a]) => a!.amin(0, true), ([a]) => F.amin(a!, 0, true)),
  e('a.argmax(1)', [M], ([a]) => a!.argmax(1), ([a]) => F.argmax(a!, 1), { grad: false }),
  e('a.var(1)', [M], ([a]) => a!.var(1), ([a]) => F.var(a!, 1)),
  e('a.std(0, { correction: 0, keepdim: true })', [M], ([a]) => a!.std(0, { correction: 0, keepdim: true }), ([a]) => F.std(a!, 0, { correction: 0, keepdim: true })),
  e('a.logsumexp(1)', [M], ([a]) => a!.logsumexp(1), ([a]) => F.logsumexp(a!, 1)),
  e('a.cumsum(1)', [M], ([a]) => a!.cumsum(1), ([a]) => F.cumsum(a!, 1)),
  e('a.argmin()', [M], ([a]) => a!.argmin(), ([a]) => F.argmin(a!), { grad: false }),
  e('a.matmul(w)', [M, [3, 4]], ([a, w]) => a!.matmul(w!), ([a, w]) => F.matmul(a!, w!)),
  e('a.bmm(b)', [[2, 2, 3], [2, 3, 4]], ([a, b]) => a!.bmm(b!), ([a, b]) => F.bmm(a!, b!)),
  e('w.t()', [M], ([a]) => a!.t(), ([a]) => F.transpose(a!, 0, 1)),
  e('v.t() of a vector', [[5]], ([a]) => a!.t(), ([a]) => F.transpose(a!, 0, 0)),
  e('w.T', [M], ([a]) => a!.T, ([a]) => F.permute(a!, [1, 0])),
  e('x.T of 3 dimensions', [[2, 3, 4]], ([a]) => a!.T, ([a]) => F.permute(a!, [2, 1, 0])),
  e('x.mT', [[2, 3, 4]], ([a]) => a!.mT, ([a]) => F.transpose(a!, -2, -1)),
  e('x.transpose(0, 2)', [[2, 3, 4]], ([a]) => a!.transpose(0, 2), ([a]) => F.transpose(a!, 0, 2)),
  e('x.permute(2, 0, 1)', [[2, 3, 4]], ([a]) => a!.permute(2, 0, 1), ([a]) => F.permute(a!, [2, 0, 1])),
  e('x.permute([1, 2, 0])', [[2, 3, 4]], ([a]) => a!.permute([1, 2, 0]), ([a]) => F.permute(a!, [1, 2, 0])),
  e('x.view(-1, 16 * 5 * 5)', [[2, 16, 5, 5]], ([a]) => a!.view(-1, 16 * 5 * 5), ([a]) => F.reshape(a!, [-1, 400])),
  e('x.view([3, 2])', [M], ([a]) => a!.view([3, 2]), ([a]) => F.reshape(a!, [3, 2])),
  e('x.view(6)', [M], ([a]) => a!.view(6), ([a]) => F.reshape(a!, [6])),
  e('x.reshape(-1, 2), recorded as view', [M], ([a]) => a!.reshape(-1, 2), ([a]) => F.reshape(a!, [-1, 2])),
  e('x.reshape([2, 3])', [M], ([a]) => a!.reshape([2, 3]), ([a]) => F.reshape(a!, [2, 3])),
  e('x.flatten()', [[2, 3, 4]], ([a]) => a!.flatten(), ([a]) => F.flatten(a!)),
  e('x.flatten(1)', [[2, 3, 4]], ([a]) => a!.flatten(1), ([a]) => F.flatten(a!, 1)),
  e('x.unsqueeze(1)', [M], ([a]) => a!.unsqueeze(1), ([a]) => F.unsqueeze(a!, 1)),
  e('x.squeeze()', [[2, 1, 3]], ([a]) => a!.squeeze(), ([a]) => F.squeeze(a!)),
  e('x.expand(2, -1)', [[1, 3]], ([a]) => a!.expand(2, -1), ([a]) => F.expand(a!, [2, -1])),
  e('x.expand([4, 2, 3])', [M], ([a]) => a!.expand([4, 2, 3]), ([a]) => F.expand(a!, [4, 2, 3])),
  e('x.gather(1, index)', [M], ([a], s) => a!.gather(1, s.input([0, 2, 1, 1], [2, 2], 'i32', 'index')), ([a], s) => F.gather(a!, 1, s.input([0, 2, 1, 1], [2, 2], 'i32', 'index'))),
  e('x.narrow(1, 1, 2)', [[2, 3, 4]], ([a]) => a!.narrow(1, 1, 2), ([a]) => F.narrow(a!, 1, 1, 2)),
  e('x.select(2, 3)', [[2, 3, 4]], ([a]) => a!.select(2, 3), ([a]) => F.select(a!, 2, 3)),
  e('x.split([1, 2], 1)[1]', [[2, 3, 4]], ([a]) => a!.split([1, 2], 1)[1]!, ([a]) => F.split(a!, [1, 2], 1)[1]!),
  e('x.unbind(0)[1]', [[2, 3, 4]], ([a]) => a!.unbind(0)[1]!, ([a]) => F.unbind(a!, 0)[1]!),
  e('x.relu()', [M], ([a]) => a!.relu(), ([a]) => F.relu(a!)),
  e('x.sigmoid()', [M], ([a]) => a!.sigmoid(), ([a]) => F.sigmoid(a!)),
  e('x.tanh()', [M], ([a]) => a!.tanh(), ([a]) => F.tanh(a!)),
  e('x.softmax(1)', [M], ([a]) => a!.softmax(1), ([a]) => F.softmax(a!, 1)),
  e('(a * b).sum(), chained', [M, M], ([a, b]) => a!.mul(b!).sum(), ([a, b]) => F.sum(F.mul(a!, b!))),
  e('x.view(-1, 4).matmul(w).relu().mean(), chained', [[2, 2, 2], [4, 3]], ([x, w]) => x!.view(-1, 4).matmul(w!).relu().mean(), ([x, w]) => F.mean(F.relu(F.matmul(F.reshape(x!, [-1, 4]), w!)))),
];

/** One path (the method's or F's) on its own leaves: y's values, the node's name, each input's gradient of Σ y·dy. */
async function run(s: CaseScope, entry: Entry, data: readonly ArrayLike<number>[], dyOf: (n: number) => ArrayLike<number>, path: Entry['method']): Promise<{ y: number[]; node: string; grads: number[][] }> {
  const grad = entry.grad !== false;
  const xs = data.map((d, i) => {
    const x = s.input(d, entry.shapes[i]!, 'f32', `x${i}`);
    x.requiresGrad = grad;
    return x;
  });
  const { y, node } = tidy(() => {
    const out = path(xs, s);
    const node = out.node?.name ?? '(none)';
    if (grad) out.backward(s.input(dyOf(out.size), out.shape, 'f32', 'dy'));
    return { y: noGrad(() => out.clone()), node };
  });
  const values = await y.toArray();
  y.destroy();
  const grads: number[][] = [];
  for (const x of xs) {
    if (grad) grads.push(await x.grad!.toArray());
    x.grad = null; // frees it
  }
  return { y: values, node, grads };
}

add(`Tensor methods: each of ${ENTRIES.length} equals its F op bit for bit, values and gradients, and records the same node`, async (s, random) => {
  for (const entry of ENTRIES) {
    const data = entry.shapes.map((shape) => uniform(random, shape.reduce((p, d) => p * d, 1), entry.positive ? 0.5 : -1, entry.positive ? 2 : 1));
    const dys = new Map<number, ArrayLike<number>>();
    const dyOf = (n: number) => dys.get(n) ?? (dys.set(n, uniform(random, n, -1, 1)), dys.get(n)!);
    const viaMethod = await run(s, entry, data, dyOf, entry.method);
    const viaF = await run(s, entry, data, dyOf, entry.f);
    s.comparisons.push(compareExactly(`${entry.name}: values`, viaMethod.y, viaF.y));
    s.expect(`${entry.name}: the node recorded`, viaMethod.node === viaF.node, `${viaMethod.node} (F: ${viaF.node})`);
    viaF.grads.forEach((g, i) => s.comparisons.push(compareExactly(`${entry.name}: d x${i}`, viaMethod.grads[i]!, g)));
  }
});

/** Equal element for element (NaN to NaN), as a comparison the case reports: actual vs expected. */
function compareExactly(label: string, actual: readonly number[], expected: readonly number[]) {
  const bad = actual.length !== expected.length ? [-1] : actual.flatMap((v, i) => (Object.is(v, expected[i]) || v === expected[i] ? [] : [i]));
  const first = bad[0];
  const detail = first === undefined ? '' : first < 0 ? `: ${actual.length} elements, expected ${expected.length}` : `: first at [${first}], ${actual[first]} vs ${expected[first]}`;
  return { ok: bad.length === 0, count: expected.length, maxAbsError: 0, mismatches: bad.length, report: `${label}: ${expected.length} elements, ${bad.length} differ${detail}` };
}

add('Tensor methods: item(), numel(), dim(), .data; the errors of t(), mT, view, item and F\'s own', async (s) => {
  const gpu = s.gpu;
  const x = s.input([1, -2, 3, 0.5, 4, -6], [2, 3]);
  const loss = s.own(x.mul(x).sum());
  s.expect('await loss.item() is the number', (await loss.item()) === 1 + 4 + 9 + 0.25 + 16 + 36, String(await loss.item()));
  s.expect('item() of an i32 tensor', (await s.input([-7], [1], 'i32').item()) === -7, '');
  s.expect('numel() and dim()', x.numel() === 6 && x.dim() === 2, `${x.numel()} ${x.dim()}`);
  const ints = s.own(x.int());
  s.expect('x.int() and x.long(): i32 toward zero; .float() back', ints.dtype === 'i32' && (await ints.toArray()).join() === '1,-2,3,0,4,-6' && s.own(x.long()).dtype === 'i32' && s.own(ints.float()).dtype === 'f32' && x.float() === x, (await ints.toArray()).join());
  const p = allocateParameter(gpu, [2, 3], 'p');
  const data = p.data;
  s.expect('p.data: the same memory, off the graph', data.memoryBuffer === p.memoryBuffer && data.byteOffset === p.byteOffset && !data.requiresGrad && data.node === null && p.requiresGrad, '');
  const hidden = [x, p, p.grad, data].flatMap((t) => TENSOR_METHODS.filter((name) => Object.prototype.hasOwnProperty.call(t, name)).map((name) => `${t.constructor.name}.${name}`));
  s.expect(`none of the ${TENSOR_METHODS.length} methods hidden by a field of Tensor, Parameter or its gradient`, hidden.length === 0 && TENSOR_METHODS.length > 60, hidden.join(', ') || 'none');
  s.expectError('item() of 6 elements', () => void x.item(), /^item\(\) of 'input' \[2, 3\]: a Tensor with 6 elements cannot be converted to Scalar/);
  s.expectError('t() of 3 dimensions', () => s.input(new Float32Array(24), [2, 3, 4]).t(), /t\(\) expects a tensor with <= 2 dimensions, but self is 3D/);
  s.expectError('mT of a vector', () => s.input([1, 2, 3]).mT, /tensor\.mT is only supported on matrices or batches of matrices\. Got 1-D tensor/);
  s.expectError('view of the wrong count: F.reshape\'s error', () => x.view(4, -1), /^reshape of 'input' \[2, 3\] to \[4, -1\]: 6 elements do not divide into rows of 4/);
  s.expectError('view with two -1', () => x.view([-1, -1]), /only one dimension can be inferred/);
  s.expectError('sum with an extra argument: F.sum\'s error', () => (x.sum as (...a: unknown[]) => Tensor)(0, false, 'x'), /^sum: /);
  s.expectError('add with a string: F.add\'s error', () => x.add('1' as never), /^add: /);
  s.expectError('permute of the wrong length: F.permute\'s error', () => x.permute(0), /^permute: dims \[0\] has 1 entries/);
  s.expectError('matmul of mismatched shapes: F.matmul\'s error', () => x.matmul(x), /^matmul/);
  s.expectError('softmax of a bad dim: F.softmax\'s error', () => x.softmax(5), /softmax/);
  s.expectError('.data has no setter', () => {
    (p as { data: Tensor }).data = x;
  }, /data/);
  p.grad = null;
});

add('PyTorch habits a tutorial port reached for: x.ndim, contiguous(), requires_grad_(), const [values, indices] = x.max(1) and x.max(1)[0], model.children(), modules(), namedModules(), apply(fn)', async (s, random) => {
  const x = s.input(uniform(random, 12), [3, 4], 'f32', 'x');
  s.expect('x.ndim', x.ndim === 2, String(x.ndim));
  // PyTorch's out= where the op takes none: said so, with what to write instead.
  s.expectError('F.mul(a, b, { out })', () => (F.mul as (...a: unknown[]) => Tensor)(x, x, { out: x }), /^mul: takes two operands, got 3 arguments .* out= is not taken here: copy the result into a tensor of your own \(c\.copy_\(F\.mul\(a, b\)\) under noGrad\)/);
  s.expectError('F.add(a, b, { out })', () => F.add(x, x, { out: x } as never), /^add: unknown option 'out' \(known: alpha\); out= is not taken here/);
  s.expect('`${x}` and console.log(x): shape, dtype, label, where the values are', `${x}` === "tensor(shape=[3, 4], dtype=f32, label='x'; values: await x.tolist())", `${x}`);
  s.expect('x.contiguous() is x', x.contiguous() === x, '');
  // JavaScript arithmetic on a tensor would make a string, NaN or false without a word: an Error instead.
  const asAny = x as unknown as number;
  for (const [what, fn] of [['0 + x (PyTorch\'s loss += l)', () => 0 + asAny], ['x == 3 (topi == n)', () => (asAny as unknown) == 3], ['x / 2', () => asAny / 2], ['x < 1', () => asAny < 1]] as const) {
    s.expectError(what, fn as () => void, /^tensor 'x' \[3, 4\] is not a JavaScript number: its values are on the GPU, so \+, -, \*, \/, ==, < on it would give a string, NaN or false\. Read a number with await x\.item\(\)/);
  }
  s.expect('String(x) prints it', String(x) === `${x}`, String(x));
  const flat = s.input(uniform(random, 12), [12], 'f32', 'flat');
  s.expect('view_as(x): x\'s shape', flat.view_as(x).shape.join() === '3,4', `[${flat.view_as(x).shape.join(', ')}]`);
  s.expect("setGradEnabled(mode, fn): torch.set_grad_enabled's with-block", setGradEnabled(false, () => isGradEnabled()) === false && noGrad(() => setGradEnabled(true, () => isGradEnabled())) === true, '');
  s.expectError('setGradEnabled without a function', () => setGradEnabled(false, undefined as never), /^setGradEnabled: takes mode and the function to run/);
  // The style transfer tutorial's Gram matrix and clamp; an item() added without await.
  const m34 = s.input(uniform(random, 12, -2, 2), [3, 4], 'f32', 'm34');
  await s.check('x.mm(x.t()) as F.matmul', s.own(m34.mm(m34.t())), await s.own(F.matmul(m34, m34.t())).read(), 0, 0);
  s.expectError('mm of a 3-D tensor', () => F.mm(s.input(new Float32Array(8), [2, 2, 2], 'f32', 'x3'), m34), /^mm: self must be a matrix, got \[2, 2, 2\]/);
  const image = s.input([-0.5, 0.25, 1.5, 0.75], [4], 'f32', 'image');
  noGrad(() => image.clamp_(0, 1));
  await s.check('clamp_(0, 1) in place', image, [0, 0.25, 1, 0.75], 0, 0);
  s.expectError('clamp_ with a bound that does not fit', () => noGrad(() => image.clamp_(s.input(new Float32Array(8), [2, 4], 'f32', 'wide'))), /^clamp_ of 'image': output with shape \[4\] doesn't match the broadcast shape \[2, 4\]/);
  const bound = s.input([0, 0, 0, 0], [4], 'f32', 'bound');
  bound.requiresGrad = true;
  s.expectError('clamp_ with a bound that requires grad (its gradient would be lost)', () => image.clamp_(null, bound), /^clamp_/);
  const one = s.own(F.sum(m34));
  s.expectError('running_loss += loss.item() without await', () => 0 + (one.item() as unknown as number), /^item\(\) of 'sum' gives a Promise \(the value is read from the GPU\): await it, as in running_loss \+= await loss\.item\(\)/);
  s.expect('await x.item() still reads', (await one.item()) === (await one.read())[0], '');
  // PyTorch's keywords where the argument is positional here: said, with the call to write.
  s.expectError('F.softmax(x, { dim: -1 })', () => F.softmax(m34, { dim: -1 } as never), /^softmax: argument 'dim' expected an integer in \[-2, 1\] for an input of shape \[3, 4\], got \{"dim":-1\} \(dim is the second argument here: F\.softmax\(x, -1\)\)/);
  s.expectError('new nn.MaxPool2d({ kernel_size: 2, stride: 2 })', () => new nn.MaxPool2d({ kernel_size: 2, stride: 2 } as never, { gpu: s.gpu }), /^MaxPool2d: argument 'kernel_size' expected a positive integer or a pair of them, first, as PyTorch's \(new nn\.MaxPool2d\(2, \{ stride: 2 \}\)\), got \{"kernel_size":2,"stride":2\}/);
  s.expectError('new nn.AvgPool2d(0)', () => new nn.AvgPool2d(0, { gpu: s.gpu }), /^AvgPool2d: argument 'kernel_size' expected a positive integer or a pair of them/);
  const p = s.input([1, 2, 3], [3], 'f32', 'p');
  s.expectError("PyTorch's deprecated add_(alpha, other)", () => p.add_(-0.5, p as never), /^add: got a Tensor where the options go: PyTorch's deprecated add\(Number alpha, Tensor other\) overload \(x\.add_\(-0\.5, g\)\) is written x\.add_\(g, \{ alpha: -0\.5 \}\) here/);
  const leaf = s.input([1, 2], [2], 'f32', 'leaf');
  s.expect('requires_grad_() sets it and returns x', leaf.requires_grad_() === leaf && leaf.requiresGrad, '');
  const made = s.own(F.mul(leaf, 2));
  s.expectError('requires_grad_(false) of an op\'s output', () => made.requires_grad_(false), /^requires_grad_ of 'mul': you can only change requires_grad flags of leaf variables/);
  s.expectError('requires_grad_ of an i32 tensor', () => s.input([1], [1], 'i32', 'n').requires_grad_(), /only Tensors of floating point dtype can require gradients/);
  s.expect('an op\'s output prints its grad_fn', `${made}` === "tensor(shape=[2], dtype=f32, label='mul', grad_fn='mul'; values: await x.tolist())", `${made}`);
  leaf.requires_grad_(false);
  const result = x.max(1);
  const [values, indices] = result;
  s.expect('unpacked as PyTorch\'s tuple', values === result.values && indices === result.indices && result[0] === values && result[1] === indices, '');
  s.expect('it prints as { values, indices }', Object.keys(result).join() === 'values,indices', Object.keys(result).join());
  s.own(values);
  s.own(indices);
  const inner = new nn.Sequential(new nn.Linear(4, 3), new nn.ReLU());
  const model = new nn.Sequential(inner, new nn.Linear(3, 2));
  s.expect('children(): the direct ones', model.children().length === 2 && model.children()[0] === inner, '');
  s.expect('namedModules(): depth first, dotted', model.namedModules().map(([n]) => `'${n}'`).join(' ') === "'' '0' '0.0' '0.1' '1'", model.namedModules().map(([n]) => `'${n}'`).join(' '));
  s.expect('modules()', model.modules().length === 5, String(model.modules().length));
  const seen: string[] = [];
  s.expect('apply(fn) returns the model', model.apply((m) => seen.push(m.constructor.name)) === model, '');
  s.expect('apply: children first, then the module (PyTorch\'s order)', seen.join() === 'Linear,ReLU,Sequential,Linear,Sequential', seen.join());
  s.expectError('apply of a non-function', () => model.apply(3 as never), /^Sequential\.apply: argument 'fn' expected a function of a module/);
  model.destroy();
});

add('PyTorch habits of the seq2seq, word-language-model, DCGAN and FGSM ports: x.requires_grad = true, x.log_softmax(dim), x.topk/sort/argsort, x.new_zeros/new_ones/new_full/new_empty/new_tensor, for (const row of x), empty(2, 3), integer x.t()/permute/transpose/expand (exact past 2^24), inplace modules', async (s, random) => {
  const data = s.input(uniform(random, 6), [2, 3], 'f32', 'data');
  data.requires_grad = true; // the FGSM tutorial's line: was a property of its own, silently ignored
  s.expect('x.requires_grad = true sets requiresGrad', data.requiresGrad && data.requires_grad, '');
  s.own(F.sum(F.mul(data, data))).backward();
  s.expect('and the input gets its gradient', data.grad !== null, String(data.grad));
  data.requires_grad = false;
  s.expect('x.requires_grad = false', !data.requiresGrad, '');
  s.expectError('requires_grad = true on an i32 tensor: requires_grad_\'s error', () => (s.input([1], [1], 'i32', 'n').requires_grad = true), /only Tensors of floating point dtype can require gradients/);
  await s.check('x.log_softmax(1) is F.logSoftmax', s.own(data.log_softmax(1)), await s.own(F.logSoftmax(data, 1)).read(), 0, 0);
  const ids = s.input([1, 2, 3, 16777217, -5, 7], [6], 'i32', 'ids');
  const zs = s.own(ids.new_zeros(2, 3));
  s.expect('new_zeros: this dtype, the size given', zs.dtype === 'i32' && zs.shape.join() === '2,3', `${zs.dtype} ${zs.shape}`);
  s.expect('new_ones([4]) of f32', s.own(data.new_ones([4])).dtype === 'f32', '');
  await s.check('new_full', s.own(ids.new_full([2], 7)), [7, 7], 0, 0);
  await s.check('new_tensor', s.own(data.new_tensor([5, 6])), [5, 6], 0, 0);
  s.expect('new_empty with a dtype of its own', s.own(data.new_empty(3, { dtype: 'u32' })).dtype === 'u32', '');
  s.expect('empty(2, 3) at the root, as torch.empty', s.own(empty(2, 3)).shape.join() === '2,3', '');
  s.expectError('Tensor.empty(2, 1): the engine\'s allocation, named', () => Tensor.empty(2 as never, 1 as never), /^Tensor\.empty\(gpu, shape, dtype\): the engine's allocation, a Gpu first and the shape as a list, got 2 and 1; PyTorch's torch\.empty\(2, 3\) is empty\(2, 3\)/);
  const rows: number[][] = [];
  for (const row of data) rows.push(Array.from(await s.own(row).read()));
  const values = Array.from(await data.read());
  s.expect('for (const row of x): the rows, as PyTorch\'s iteration', JSON.stringify(rows) === JSON.stringify([values.slice(0, 3), values.slice(3)]), JSON.stringify(rows));
  // batchify's data.view(bsz, -1).t().contiguous() on an i32 corpus.
  const t = s.own(ids.view(2, 3).t());
  s.expect('an i32 x.t(): i32', t.dtype === 'i32', t.dtype);
  await s.check('an i32 x.t(), exact past 2^24', t, [1, 16777217, 2, -5, 3, 7], 0, 0);
  await s.check('an i32 permute', s.own(F.permute(ids.view(1, 2, 3), [2, 0, 1])), [1, 16777217, 2, -5, 3, 7], 0, 0);
  await s.check('a u32 expand', s.own(F.expand(s.input([4294967295, 3], [2, 1], 'u32'), [2, 3])), [4294967295, 4294967295, 4294967295, 3, 3, 3], 0, 0);
  s.expectError('an in-place op on an integer x.t()', () => t.fill_(0), /would not reach/);
  // PyTorch's inplace=True (positional too): computed out of place, printed as PyTorch prints it.
  const relu = new nn.ReLU(true);
  const leaky = new nn.LeakyReLU(0.2, true);
  s.expect('nn.ReLU(True) and LeakyReLU(0.2, True) print as PyTorch\'s', `${relu} ${leaky} ${new nn.Dropout(0.5, true)} ${new nn.ReLU6(true)} ${new nn.ReLU()}` === 'ReLU(inplace=True) LeakyReLU(negative_slope=0.2, inplace=True) Dropout(p=0.5, inplace=True) ReLU6(inplace=True) ReLU()', `${relu} ${leaky}`);
  const x = s.input([-1, 2], [2], 'f32', 'x');
  await s.check('ReLU(inplace=True): the same values out', relu.forward(x), [0, 2], 0, 0);
  await s.check('the input keeps its values', x, [-1, 2], 0, 0);
  s.expectError('inplace of another type', () => new nn.ReLU({ inplace: 1 } as never), /^ReLU: option 'inplace' expected true or false, got 1/);
  s.expectError('inplace where PyTorch\'s module has none', () => new nn.LogSigmoid({ inplace: true } as never), /^LogSigmoid: unknown option 'inplace' \(known: gpu\)/);
  // The sorting methods (a seq2seq decoder's decoder_output.topk(1)), as their F forms.
  const row = s.input([4, 1, 3, 9, 2], [5], 'f32', 'row');
  const [top, where] = row.topk(2);
  await s.check('const [values, indices] = x.topk(2)', s.own(top!), [9, 4], 0, 0);
  await s.check('its indices', s.own(where!), [3, 0], 0, 0);
  const sorted = row.sort(0, true);
  await s.check('x.sort(0, true).values', s.own(sorted.values), [9, 4, 3, 2, 1], 0, 0);
  s.own(sorted.indices);
  await s.check('x.argsort()', s.own(row.argsort()), [1, 4, 2, 0, 3], 0, 0);
  relu.destroy();
  leaky.destroy();
});

add('Tensor methods: the blitz\'s manual SGD, p.data.sub_(p.grad.data * lr), noGrad(() => p.sub_(p.grad.mul(lr))) and sub_ with alpha, equals optim.SGD for 3 steps exactly; nothing left behind', async (s, random) => {
  const gpu = s.gpu;
  // A power of 2: lr·g is exact, so θ − lr·g rounds the same whether a compiler fuses it into one
  // fma (sgd.wgsl's step may be) or not (the manual step's two kernels), on any GPU.
  const lr = 0.125;
  const make = () => ({ fc1: new nn.Linear(4, 5, { gpu }), fc2: new nn.Linear(5, 3, { gpu }) });
  const nets = [make(), make(), make(), make()];
  const params = (n: ReturnType<typeof make>) => [...n.fc1.parameters(), ...n.fc2.parameters()];
  // The same start: net 0's values copied in with copy_ (under noGrad: parameters are leaves).
  noGrad(() => nets.slice(1).forEach((n) => params(n).forEach((p, i) => p.copy_(params(nets[0]!)[i]!))));
  const start = await Promise.all(params(nets[0]!).map((p) => p.toArray()));
  const x = s.input(uniform(random, 2 * 4, -1, 1), [2, 1, 2, 2], 'f32', 'x');
  const target = s.input(uniform(random, 2 * 3, -1, 1), [2, 3], 'f32', 'target');
  // net(x) as the blitz writes it: x.view(-1, 4), relu between, an MSE loss.
  const step = (n: ReturnType<typeof make>, update: () => void) =>
    tidy(() => {
      n.fc1.zeroGrad();
      n.fc2.zeroGrad();
      const out = n.fc2.forward(n.fc1.forward(x.view(-1, 4)).relu());
      F.mseLoss(out, target).backward();
      update();
    });
  const sgd = new optim.SGD(params(nets[3]!), { lr });
  const updates = [
    () => params(nets[0]!).forEach((f) => f.data.sub_(f.grad.data.mul(lr))), // grad enabled: .data is off the graph
    () => noGrad(() => params(nets[1]!).forEach((p) => p.sub_(p.grad.mul(lr)))),
    () => noGrad(() => params(nets[2]!).forEach((p) => p.sub_(p.grad, { alpha: lr }))), // no temporary of the caller's
    () => sgd.step(),
  ];
  for (let k = 0; k < 3; k++) nets.forEach((n, i) => step(n, updates[i]!));
  const want = await Promise.all(params(nets[3]!).map((p) => p.toArray()));
  for (const [i, label] of ['p.data.sub_(p.grad.data * lr)', 'noGrad: p.sub_(p.grad.mul(lr))', 'noGrad: p.sub_(p.grad, { alpha: lr })'].entries()) {
    const got = await Promise.all(params(nets[i]!).map((p) => p.toArray()));
    got.forEach((g, j) => s.comparisons.push(compareExactly(`${label}, parameter ${j} after 3 steps vs optim.SGD`, g, want[j]!)));
  }
  s.expect('the parameters moved', want.every((w, j) => w.some((v, i) => v !== start[j]![i])), '');
  // More steps leave no buffers behind.
  const live = gpu.stats.liveBuffers;
  for (let k = 0; k < 3; k++) nets.slice(0, 3).forEach((n, i) => step(n, updates[i]!));
  s.expect('3 more manual steps leave no buffers behind', gpu.stats.liveBuffers === live, `${live} → ${gpu.stats.liveBuffers}`);
  nets.forEach((n) => [n.fc1, n.fc2].forEach((m) => m.destroy()));
});

add('Tensor methods in place: sub_, add_, mul_, div_, zero_, fill_, copy_ write into the tensor\'s memory, chain, record nothing and free their temporaries', async (s, random) => {
  const gpu = s.gpu;
  const a = uniform(random, 6, -1, 1);
  const b = uniform(random, 6, 0.5, 2);
  const row = uniform(random, 3, 0.5, 2);
  const f = Math.fround;
  const fresh = () => s.input(a, [2, 3], 'f32', 'x');
  const y = s.input(b, [2, 3], 'f32', 'y');
  const r = s.input(row, [3], 'f32', 'row');
  const cases: [string, (x: Tensor) => Tensor, (i: number) => number][] = [
    ['x.sub_(y)', (x) => x.sub_(y), (i) => f(a[i]! - b[i]!)],
    ['x.sub_(y, { alpha: 0.5 })', (x) => x.sub_(y, { alpha: 0.5 }), (i) => f(a[i]! - f(0.5 * b[i]!))],
    ['x.add_(row) broadcast', (x) => x.add_(r), (i) => f(a[i]! + row[i % 3]!)],
    ['x.mul_(2).add_(1), chained', (x) => x.mul_(2).add_(1), (i) => f(f(2 * a[i]!) + 1)],
    ['x.div_(y)', (x) => x.div_(y), (i) => f(a[i]! / b[i]!)],
    ['x.zero_()', (x) => x.zero_(), () => 0],
    ['x.fill_(1.5)', (x) => x.fill_(1.5), () => 1.5],
    ['x.copy_(y)', (x) => x.copy_(y), (i) => b[i]!],
    ['x.copy_(row) broadcast', (x) => x.copy_(r), (i) => row[i % 3]!],
  ];
  for (const [label, op, expected] of cases) {
    const x = fresh();
    const returned = op(x);
    s.expect(`${label}: returns the tensor itself, off the graph`, returned === x && x.node === null && !x.requiresGrad, '');
    await s.check(label, x, Array.from({ length: 6 }, (_, i) => expected(i)), 1e-7, 1e-6);
  }
  // A parameter under noGrad: written in place, still a leaf that requires grad.
  const p = allocateParameter(gpu, [2, 3], 'p');
  p.write(a);
  noGrad(() => p.sub_(y));
  s.expect('noGrad: p.sub_(y) leaves p a leaf that requires grad', p.node === null && p.requiresGrad, '');
  await s.check('noGrad: p.sub_(y)', p, a.map((v, i) => f(v - b[i]!)), 1e-7, 1e-6);
  // Temporaries freed: repeated calls leave the live buffer count as it was.
  const x = fresh();
  const ops = () => {
    x.sub_(y);
    x.add_(r, { alpha: 2 });
    x.mul_(0.5);
    x.div_(r);
    x.copy_(r);
    x.zero_();
    x.fill_(2);
    noGrad(() => p.add_(1));
  };
  ops();
  const live = gpu.stats.liveBuffers;
  for (let k = 0; k < 4; k++) ops();
  s.expect('4 more rounds of in-place ops leave no buffers behind', gpu.stats.liveBuffers === live, `${live} → ${gpu.stats.liveBuffers}`);
  p.grad = null;
});

add('Tensor methods in place: a gradient updated in place is added to by the next backward, as PyTorch\'s', async (s, random) => {
  const gpu = s.gpu;
  const p = allocateParameter(gpu, [3], 'p');
  const pv = uniform(random, 3, -1, 1);
  p.write(pv);
  const c = s.input([1, 2, 3], [3], 'f32', 'c');
  p.grad = null; // zeroGrad(): known zero, so a backward would write over it
  noGrad(() => p.grad.add_(c)); // the next backward adds to this, as PyTorch's grad.add_
  tidy(() => p.mul(c).sum().backward()); // d p = c
  await s.check('p.grad.add_(c), then a backward adding c', p.grad, [2, 4, 6], 0, 0);
  s.expect('it has a gradient', p.hasGrad, '');
  p.grad = null;
  noGrad(() => p.grad.data.fill_(1)); // through .data too
  tidy(() => p.mul(c).sum().backward());
  await s.check('p.grad.data.fill_(1), then a backward adding c', p.grad, [2, 3, 4], 0, 0);
  p.grad = null;
});

add('Tensor methods in place: refused on a leaf that requires grad (PyTorch\'s words), on a tensor the graph made, with an operand that requires grad, on the copies PyTorch makes views; a write the graph reads reported at backward; shapes and arguments checked', async (s, random) => {
  const gpu = s.gpu;
  const p = allocateParameter(gpu, [2, 3], 'p');
  const pv = uniform(random, 6, -1, 1);
  p.write(pv);
  const y = s.input(uniform(random, 6, -1, 1), [2, 3], 'f32', 'y');
  const leaf = /^(sub_|add_|mul_|div_|zero_|fill_|copy_) of 'p' \[2, 3\]: a leaf Variable that requires grad is being used in an in-place operation/;
  s.expectError('p.sub_(y) with grad enabled', () => p.sub_(y), leaf);
  s.expectError('p.add_(1)', () => p.add_(1), leaf);
  s.expectError('p.mul_(2)', () => p.mul_(2), leaf);
  s.expectError('p.div_(2)', () => p.div_(2), leaf);
  s.expectError('p.zero_()', () => p.zero_(), leaf);
  s.expectError('p.fill_(0)', () => p.fill_(0), leaf);
  s.expectError('p.copy_(y)', () => p.copy_(y), leaf);
  await s.check('p unchanged by the refused ops', p, pv, 0, 0);
  const made = tidy(() => {
    const q = p.mul(2);
    s.expectError('an op\'s output that requires grad', () => q.add_(1), /^add_ of 'mul' \[2, 3\]: it requires grad \(an op of the graph made it\), and in-place ops are not recorded here/);
    return q.requiresGrad;
  });
  s.expect('(it did)', made, '');
  const x = s.input(uniform(random, 6, -1, 1), [2, 3], 'f32', 'x');
  s.expectError('an operand that requires grad', () => x.add_(p), /^add_ of 'x' \[2, 3\]: its operand 'p' requires grad/);
  s.expectError('copy_ of a tensor that requires grad', () => x.copy_(p), /^copy_ of 'x' \[2, 3\]: its operand 'p' requires grad/);
  // A tensor the current graph used: p · x reads x for d p. The write goes ahead, as PyTorch's (a
  // forward only looked at never needs the old values), and the backward that needs them says so.
  const xv = await x.toArray();
  tidy(() => {
    const loss = p.mul(x).sum();
    noGrad(() => x.mul_(2));
    s.expectError('backward after x.mul_(2) under noGrad', () => loss.backward(), /^backward: 'mul' needs 'x' \[2, 3\] as it was in the forward, and its memory was written since/);
  });
  await s.check('x written', x, xv.map((v) => 2 * v), 0, 0);
  // PyTorch's copies-as-views: an in-place op on one would not reach the input, so it is refused.
  const ones6 = s.input([1, 1, 1, 1, 1, 1], [2, 3], 'f32', 'ones6');
  for (const [what, make] of [['narrow', () => ones6.narrow(1, 0, 1)], ['select', () => ones6.select(0, 0)], ['T', () => ones6.T], ['permute', () => ones6.permute(1, 0)], ['transpose', () => ones6.transpose(0, 1)]] as const) {
    tidy(() => {
      const copy = make();
      s.expectError(`${what}: zero_ on its copy`, () => noGrad(() => copy.zero_()), /it is 'ones6'\.(narrow|select|T|permute|transpose)(\(…\))?'s result, a copy here where PyTorch's is a view of the input, so the write would not reach the input/);
    });
  }
  // The F forms too (F.slice is how the README spells x[:, a:b]), and views of such copies.
  const fForms: [string, () => Tensor][] = [
    ['F.narrow', () => F.narrow(ones6, 1, 0, 1)], ['F.select', () => F.select(ones6, 0, 0)], ['F.slice', () => F.slice(ones6, 1, 1, 3)],
    ['F.split', () => F.split(ones6, 1, 1)[0]!], ['F.chunk', () => F.chunk(ones6, 2, 0)[1]!], ['F.unbind', () => F.unbind(ones6, 1)[2]!],
    ['F.transpose', () => F.transpose(ones6, 0, 1)], ['F.permute', () => F.permute(ones6, [1, 0])], ['F.expand', () => F.expand(F.unsqueeze(ones6, 0), [2, 2, 3])],
    ['a view of F.narrow\'s', () => F.narrow(ones6, 1, 0, 2).view(-1)],
  ];
  for (const [what, make] of fForms) {
    tidy(() => {
      const copy = make();
      s.expectError(`${what}: fill_ on its copy`, () => noGrad(() => copy.fill_(0)), /it is F\.(narrow|select|slice|split|chunk|unbind|transpose|permute|expand)'s result for 'ones6', a copy here where PyTorch's is a view of the input/);
    });
  }
  // Integer narrow and select (through 16-bit halves) are marked as theirs; so are the views of a
  // copy that .data, detach() and reshapeView() give.
  const classes = s.input([1, 2, 3, 4], [2, 2], 'u32', 'classes');
  tidy(() => {
    for (const [what, make] of [['integer F.narrow', () => F.narrow(classes, 1, 0, 1)], ['integer F.select', () => F.select(classes, 0, 1)], ['.data of F.select\'s', () => F.select(ones6, 0, 0).data], ['detach() of x.t()\'s', () => ones6.t().detach()], ['reshapeView of F.narrow\'s', () => F.narrow(ones6, 1, 0, 2).reshapeView([4])]] as const) {
      const copy = make();
      s.expectError(`${what}: fill_ on it`, () => noGrad(() => copy.fill_(0)), /a copy here where PyTorch's is a view of the input/);
    }
  });
  await s.check('the integer tensor untouched', classes, [1, 2, 3, 4], 0, 0);
  await s.check('the input untouched', ones6, [1, 1, 1, 1, 1, 1], 0, 0);
  tidy(() => s.expect('an op\'s own result takes in-place ops', noGrad(() => F.add(ones6, 1).fill_(0)).shape.join() === '2,3', ''));
  // New tensors in PyTorch too take in-place ops: F.pad of nothing or a crop, pixel_shuffle, and
  // contiguous() of a transposed copy (a copy of its own; x stays as it was).
  tidy(() => {
    const image = s.input(Array.from({ length: 16 }, (_, i) => i), [1, 4, 2, 2], 'f32', 'image');
    for (const [what, make] of [['F.pad of nothing', () => F.pad(ones6, [0, 0])], ['F.pad that crops', () => F.pad(ones6, [-1, 0])], ['F.pixelShuffle', () => F.pixelShuffle(image, 2)], ['x.t().contiguous()', () => ones6.t().contiguous()]] as const) {
      const fresh = make();
      s.expect(`${what}: fill_ allowed`, noGrad(() => fresh.fill_(7)) === fresh, '');
    }
  });
  await s.check('the input still untouched', ones6, [1, 1, 1, 1, 1, 1], 0, 0);
  // Through another handle (.data) the write goes ahead, and the backward that needs x says so.
  tidy(() => {
    const loss = p.mul(x).sum();
    x.data.zero_();
    s.expectError('backward after x.data.zero_()', () => loss.backward(), /^backward: 'mul' needs 'x' \[2, 3\] as it was in the forward, and its memory was written since/);
  });
  // A graph left without backward over one parameter blocks no update of another beside it.
  const other = allocateParameter(gpu, [2, 3], 'other');
  other.write(pv);
  tidy(() => {
    p.mul(x).sum(); // no backward
    noGrad(() => other.sub_(1));
  });
  await s.check('another parameter updated while a graph over p is live', other, pv.map((v) => Math.fround(Math.fround(v) - 1)), 0, 0);
  // Shapes, dtypes, arguments.
  const v = s.input([1, 2, 3], [3], 'f32', 'v');
  s.expectError('v.sub_(y): would grow v', () => v.sub_(y), /^sub_ of 'v': output with shape \[3\] doesn't match the broadcast shape \[2, 3\]/);
  s.expectError('v.add_(w4): F.add\'s error', () => v.add_(s.input([1, 2, 3, 4], [4])), /^add: /);
  s.expectError('fill_ with a string', () => v.fill_('1' as never), /^fill_ of 'v': argument 'value' expected a number, got '1'/);
  s.expectError('fill_ of an i32 tensor with 1.5', () => s.input([1], [1], 'i32', 'k').fill_(1.5), /^fill_ of 'k': argument 'value' 1\.5 is not a i32/);
  // As full(): NaN and ±∞, integer tensors; copy_ converts as PyTorch's.
  const w = s.input([1, 2, 3], [3], 'f32', 'w');
  await s.check('fill_(NaN)', noGrad(() => w.fill_(NaN)), [NaN, NaN, NaN], 0, 0);
  await s.check('fill_(-Infinity)', noGrad(() => w.fill_(-Infinity)), [-Infinity, -Infinity, -Infinity], 0, 0);
  await s.check('an i32 tensor\'s fill_(7)', s.input([1, 2], [2], 'i32', 'k').fill_(7), [7, 7], 0, 0);
  await s.check('copy_ of i32 into f32', noGrad(() => w.copy_(s.input([4, -5, 6], [3], 'i32', 'k'))), [4, -5, 6], 0, 0);
  await s.check('copy_ of f32 into i32, toward zero', s.input([0, 0, 0], [3], 'i32', 'n').copy_(s.input([2.7, -2.7, 9], [3])), [2, -2, 9], 0, 0);
  await s.check('copy_ of u32 into i32 keeps the bits (wraps)', s.input([1, 1], [2], 'i32', 'n').copy_(s.input([4294967295, 2147483648], [2], 'u32', 'u')), [-1, -2147483648], 0, 0);
  const nested = await s.input([1, 2, 3, 4, 5, 6], [2, 1, 3], 'f32', 'n3').tolist();
  s.expect('tolist() nests by shape', JSON.stringify(nested) === '[[[1,2,3]],[[4,5,6]]]', JSON.stringify(nested));
  const labels = await s.input([7, 4294967295], [2], 'u32', 'labels').tolist();
  s.expect('tolist() of a u32 tensor: its integers', JSON.stringify(labels) === '[7,4294967295]', JSON.stringify(labels));
  await s.check('x.norm(): every element\'s 2-norm, as F.norm', s.own(s.input([3, 0, -4, 0], [2, 2], 'f32', 'n2').norm()), [5], 1e-6, 1e-6);
  s.expectError('norm with p < 1', () => v.norm(0.5), /^norm: argument 'p' expected a number ≥ 1 or Infinity, got 0\.5 \(p < 1 is not supported\)/);
  s.expectError('norm with keepdim but no dim', () => v.norm(2, undefined, true), /^norm: keepdim needs dim/);
  s.expectError('neg with an argument names neg, not the mul it calls', () => (v.neg as (this: Tensor, ...a: unknown[]) => Tensor).call(v, 1), /^neg\(\) of 'v' takes no arguments, got 1/);
  s.expectError('t with an argument', () => (v.t as (this: Tensor, ...a: unknown[]) => Tensor).call(v, 0), /^t\(\) of 'v' takes no arguments, got 0/);
  s.expectError('float with a dtype', () => (v.float as (this: Tensor, ...a: unknown[]) => Tensor).call(v, 'f32'), /^float\(\) of 'v' takes no arguments, got 'f32'/);
  s.expectError('copy_ of a larger shape', () => v.copy_(y), /^copy_ of 'v' \[3\]: src 'y' \[2, 3\] does not broadcast to \[3\]/);
  s.expectError('copy_ of a number', () => v.copy_(3 as never), /^copy_ of 'v' \[3\]: argument 'src' expected a Tensor, got 3/);
  p.grad = null;
});

export const tensorMethodsCases: readonly KernelCase[] = cases;
