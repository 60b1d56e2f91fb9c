// Tensor creation (src/creation.ts) against PyTorch itself where it is deterministic
// (tests/fixtures/pytorch-creation.json, from scripts/make-fixtures.py: torch.tensor, zeros, ones,
// full, arange, linspace, eye, bit for bit), rand and randn by their statistics and their
// reproducibility under manualSeed, the *_like forms, the options, and every error. Part of
// tests/parity-cases.ts's table.
import * as root from '../src';
import { arange, eye, fmaf, full, fullLike, linspace, ones, onesLike, rand, randLike, randn, randnLike, tensor, zeros, zerosLike, type CreationOptions } from '../src/creation';
import type { DType } from '../src/device/shader';
import * as F from '../src/functional';
import { manualSeed } from '../src/init';
import { caseTable, type CaseScope, type KernelCase } from '../src/spec/scope';
import { Tensor, tidy } from '../src/tensor';
import golden from './fixtures/pytorch-creation.json';

const { cases, add } = caseTable();

type Args = unknown[];
const CALLS: Record<string, (args: Args, options: CreationOptions) => Tensor> = {
  tensor: (a, o) => tensor(a[0] as number[], o),
  zeros: (a, o) => zeros(...(a as [number[]]), o),
  ones: (a, o) => ones(...(a as [number[]]), o),
  full: (a, o) => full(a[0] as number[], a[1] as number, o),
  arange: (a, o) => (arange as (...args: unknown[]) => Tensor)(...a, o),
  linspace: (a, o) => linspace(a[0] as number, a[1] as number, a[2] as number, o),
  eye: (a, o) => eye(a[0] as number, a[1] as number | undefined, o),
};

/** shape, dtype and the values exactly. */
async function expectTensor(s: CaseScope, label: string, t: Tensor, shape: readonly number[], dtype: DType, values: ArrayLike<number>): Promise<void> {
  s.own(t);
  s.expect(`${label}: shape and dtype`, t.shape.join() === shape.join() && t.dtype === dtype, `[${t.shape.join(', ')}] ${t.dtype} (expected [${shape.join(', ')}] ${dtype})`);
  await s.check(`${label}: values`, t, values, 0, 0);
}

for (const f of golden.cases) {
  const call = `torch.${f.fn}(${f.args.map((a) => JSON.stringify(a)).join(', ')}${Object.keys(f.kwargs).length ? `, ${JSON.stringify(f.kwargs)}` : ''})`;
  add(`PyTorch ${golden.torch_version}: ${call.length > 110 ? `${call.slice(0, 110)}…` : call}: shape, dtype and values bit for bit`, async (s) => {
    const t = CALLS[f.fn]!(f.args, { ...(f.kwargs as CreationOptions), gpu: s.gpu });
    await expectTensor(s, f.fn, t, f.shape, f.dtype as DType, f.values);
  });
}

/** Mean and standard deviation (n − 1), in float64. */
function moments(values: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  const xs = Array.from(values);
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (xs.length - 1));
  return { mean, std, min: xs.reduce((a, b) => Math.min(a, b)), max: xs.reduce((a, b) => Math.max(a, b)) };
}

add('creation rand and randn: 10⁵ draws with U[0, 1)\'s and N(0, 1)\'s mean and std, reproducible under manualSeed, fresh at each call; randLike and randnLike', async (s) => {
  const gpu = s.gpu;
  const n = 100_000;
  // Bounds at ≥ 4.5 standard errors: the mean's is σ/√n (9e-4 for U[0, 1), 3.2e-3 for N(0, 1)), the std's about σ/√(2n) (6e-4, 2.2e-3).
  const u = moments(await s.own(rand(n, { gpu })).read());
  s.expect('rand mean ≈ 1/2', Math.abs(u.mean - 0.5) < 0.005, String(u.mean));
  s.expect('rand std ≈ 1/√12', Math.abs(u.std - Math.sqrt(1 / 12)) < 0.004, String(u.std));
  s.expect('rand in [0, 1)', u.min >= 0 && u.max < 1 && u.min < 0.001 && u.max > 0.999, `[${u.min}, ${u.max}]`);
  const z = moments(await s.own(randn([100, 1000], { gpu })).read());
  s.expect('randn mean ≈ 0', Math.abs(z.mean) < 0.02, String(z.mean));
  s.expect('randn std ≈ 1', Math.abs(z.std - 1) < 0.012, String(z.std));
  s.expect('randn tails', z.min < -3.5 && z.max > 3.5, `[${z.min}, ${z.max}]`);

  const draw = async () => [rand(2, 500, { gpu }), randn(1000, { gpu }), randLike(s.input(new Float32Array(1000), [10, 100]))].map((t) => s.own(t));
  manualSeed(2026);
  const first = await Promise.all((await draw()).map(async (t) => Array.from(await t.read())));
  const again = await draw();
  manualSeed(2026);
  const replay = await draw();
  for (const [i, name] of ['rand', 'randn', 'randLike'].entries()) {
    await s.check(`${name}: the same seed, the same values`, replay[i]!, first[i]!, 0, 0);
    const next = Array.from(await again[i]!.read());
    s.expect(`${name}: the next call draws others`, next.filter((v, j) => v === first[i]![j]).length < 5, `${next.filter((v, j) => v === first[i]![j]).length} of 1000 equal`);
  }
  const like = s.own(randnLike(s.input(new Float32Array(6), [2, 3])));
  s.expect('randnLike: the input\'s shape and dtype', like.shape.join() === '2,3' && like.dtype === 'f32', `[${like.shape.join(', ')}] ${like.dtype}`);
  const fromInts = s.own(randLike(s.input([1, 2, 3], [3], 'i32'), { dtype: 'f32' }));
  const drawn = Array.from(await fromInts.read());
  s.expect('randLike of an i32 input with dtype f32', fromInts.dtype === 'f32' && drawn.every((v) => v >= 0 && v < 1) && new Set(drawn).size === 3, drawn.join(', '));
});

add('creation *_like: the input\'s shape, dtype and device unless the options say; values', async (s) => {
  const x = s.input(new Float32Array(12).fill(NaN), [3, 4]);
  const ints = s.input([5, -6], [2], 'i32');
  await expectTensor(s, 'zerosLike', zerosLike(x), [3, 4], 'f32', new Float32Array(12));
  await expectTensor(s, 'onesLike', onesLike(x), [3, 4], 'f32', new Float32Array(12).fill(1));
  await expectTensor(s, 'fullLike', fullLike(x, -2.5), [3, 4], 'f32', new Float32Array(12).fill(-2.5));
  await expectTensor(s, 'zerosLike of i32', zerosLike(ints), [2], 'i32', [0, 0]);
  await expectTensor(s, 'onesLike of i32', onesLike(ints), [2], 'i32', [1, 1]);
  await expectTensor(s, 'fullLike of i32', fullLike(ints, -7), [2], 'i32', [-7, -7]);
  await expectTensor(s, 'fullLike of i32 as f32', fullLike(ints, 0.5, { dtype: 'f32' }), [2], 'f32', [0.5, 0.5]);
  await expectTensor(s, 'onesLike as u32', onesLike(x, { dtype: 'u32' }), [3, 4], 'u32', new Uint32Array(12).fill(1));
  const y = s.own(zerosLike(x, { requires_grad: true } as CreationOptions));
  s.expect('zerosLike: the input\'s device, requires_grad as pasted', y.gpu === x.gpu && y.requiresGrad, `${y.requiresGrad}`);
});

add('creation options: the current device by default, requiresGrad (a leaf backward reaches), full with ±∞, NaN and −0, typed-array rows, a number as [1], exported from the root', async (s) => {
  const gpu = s.gpu;
  const t = s.own(zeros(2, 3));
  s.expect('zeros(2, 3) on the current device', t.gpu === root.currentGpu() && t.shape.join() === '2,3', `[${t.shape.join(', ')}]`);
  // New buffers start as NaN in the tests: zeros and ones must write every element, past one workgroup too.
  await expectTensor(s, 'zeros of 100,003', zeros([100_003], { gpu }), [100_003], 'f32', new Float32Array(100_003));
  await expectTensor(s, 'ones of 100,003', ones(100_003, { gpu }), [100_003], 'f32', new Float32Array(100_003).fill(1));
  await expectTensor(s, 'ones u32', ones([2, 2], { dtype: 'u32', gpu }), [2, 2], 'u32', [1, 1, 1, 1]);
  await expectTensor(s, 'full −∞ (an attention mask)', full([2, 3], -Infinity, { gpu }), [2, 3], 'f32', new Float32Array(6).fill(-Infinity));
  await expectTensor(s, 'full NaN', full([3], NaN, { gpu }), [3], 'f32', [NaN, NaN, NaN]);
  const negativeZero = Array.from(await s.own(full([2], -0, { gpu })).read());
  s.expect('full −0 keeps its sign', negativeZero.every((v) => Object.is(v, -0)), negativeZero.join(', '));
  await expectTensor(s, 'tensor of a number: [1]', tensor(3.5), [1], 'f32', [3.5]);
  await expectTensor(s, 'tensor of Float32Array rows', tensor([Float32Array.of(1, 2), Float32Array.of(3, 4)]), [2, 2], 'f32', [1, 2, 3, 4]);
  await expectTensor(s, 'tensor of an Int32Array: i32, as torch.tensor of an int32 array', tensor(Int32Array.of(-1, 2)), [2], 'i32', [-1, 2]);
  await expectTensor(s, 'tensor of a Uint32Array (a DataLoader batch\'s labels): u32', tensor(Uint32Array.of(3, 0)), [2], 'u32', [3, 0]);
  await expectTensor(s, 'tensor of a flat Float32Array', tensor(Float32Array.of(0.5, NaN)), [2], 'f32', [0.5, NaN]);
  await expectTensor(s, 'tensor with NaN and ∞ as values', tensor([NaN, Infinity, -1]), [3], 'f32', [NaN, Infinity, -1]);
  await expectTensor(s, 'tensor u32', tensor([[0, 4294967295]], { dtype: 'u32' }), [1, 2], 'u32', [0, 4294967295]);
  await expectTensor(s, 'eye(3, { dtype })', eye(3, { dtype: 'i32' }), [3, 3], 'i32', [1, 0, 0, 0, 1, 0, 0, 0, 1]);

  const x = s.own(tensor([1, -2, 3], { requiresGrad: true }));
  const w = s.own(randn(3, { requires_grad: true } as CreationOptions));
  s.expect('requiresGrad set on leaves', x.requiresGrad && w.requiresGrad && x.node === null, `${x.requiresGrad} ${w.requiresGrad}`);
  const wValues = Array.from(await w.read());
  tidy(() => F.sum(F.mul(F.mul(x, x), w)).backward());
  await s.check('d Σ x²·w / dx = 2·x·w', x.grad!, [1, -2, 3].map((v, i) => 2 * v * wValues[i]!), 1e-6, 1e-6);
  await s.check('d Σ x²·w / dw = x²', w.grad!, [1, 4, 9], 0, 0);
  let inside: Tensor | null = null;
  const kept = tidy(() => {
    inside = zeros(3, { gpu });
    return ones(2, { gpu });
  });
  s.expect('tidy() keeps what creation made that it returns', !gpu.isDestroyed(kept.memoryBuffer), '');
  s.expect('and frees the rest, as TensorFlow.js\'s tidy frees tf.tensor', gpu.isDestroyed(inside!.memoryBuffer), '');
  s.own(kept);

  const exported = ['tensor', 'zeros', 'ones', 'full', 'rand', 'randn', 'zerosLike', 'onesLike', 'fullLike', 'randLike', 'randnLike', 'arange', 'linspace', 'eye', 'manualSeed'];
  const missing = exported.filter((name) => typeof (root as Record<string, unknown>)[name] !== 'function');
  s.expect('exported from the package root', missing.length === 0, missing.length ? `missing ${missing.join(', ')}` : exported.join(', '));
});

add('creation fmaf (linspace\'s fused multiply-add): rounded once, where a sum rounded to float64 then float32 lands on a tie and misses', (s) => {
  // a·b + c a hair from halfway between two float32s (exact results from Python's fractions); the sum
  // in float64 rounds onto the halfway point, and float32's ties-to-even then goes the wrong way.
  const triples = [
    [-5.96044316125699e-8, 1.0000035762786865, -1.0000001192092896, -1.0000001192092896],
    [-0.031250081956386566, 0.9999973773956299, 1000000.0625, 1000000.0625],
    [-0.031249895691871643, 1.0000033378601074, 1000000.0625, 1000000.0625],
    [-5.96047655676557e-8, 0.9999979734420776, 1.0000001192092896, 1.0000001192092896],
  ] as const;
  for (const [a, b, c, exact] of triples) {
    s.expect(`fmaf(${a}, ${b}, ${c})`, fmaf(a, b, c) === exact && Math.fround(a * b + c) !== exact, `${fmaf(a, b, c)} (exact ${exact}; rounded twice ${Math.fround(a * b + c)})`);
  }
});

add('creation errors: each named, nothing dispatched, no buffer left behind', (s) => {
  const gpu = s.gpu;
  const ints = s.input([1, 2], [2], 'i32');
  const before = gpu.stats.liveBuffers;
  const refuse = (label: string, fn: () => unknown, pattern: RegExp) => s.expectError(label, () => void fn(), pattern);
  const any = (fn: object) => fn as (...args: unknown[]) => Tensor; // called as JavaScript would call it, types aside
  refuse('zeros(2, undefined)', () => any(zeros)(2, undefined), /^zeros: size \[2, undefined\]: every dimension must be a positive integer, got undefined$/);
  refuse('arange(0, undefined)', () => any(arange)(0, undefined), /^arange: start, end and step must be finite numbers, got undefined$/);
  // tensor
  refuse('ragged rows', () => tensor([[1, 2], [3, 4, 5]]), /^tensor: row \[1\] has 3 elements, row \[0\] has 2$/);
  refuse('ragged deeper', () => tensor([[[1, 2], [3, 4]], [[5, 6], [7]]]), /^tensor: row \[1, 1\] has 1 element, row \[0, 0\] has 2$/);
  refuse('a string', () => any(tensor)([[1, 2], [3, '4']]), /^tensor: element \[1, 1\] is '4' \(a string\), not a number$/);
  refuse('undefined', () => any(tensor)([1, undefined, 3]), /^tensor: element \[1\] is undefined, not a number$/);
  refuse('null', () => any(tensor)([null]), /^tensor: element \[0\] is null, not a number$/);
  refuse('a boolean', () => any(tensor)([true, false]), /^tensor: element \[0\] is true \(a boolean; wgslgrad has no bool dtype: write 1 or 0\), not a number$/);
  refuse('an object', () => any(tensor)([{ value: 1 }]), /^tensor: element \[0\] is an object, not a number$/);
  refuse('a bigint', () => any(tensor)([1n]), /^tensor: element \[0\] is 1n \(a bigint: write a number\), not a number$/);
  refuse('a string as data', () => any(tensor)('1, 2'), /^tensor: data is '1, 2' \(a string\), not a number$/);
  refuse('a number where a row belongs', () => any(tensor)([[1, 2], 3]), /^tensor: element \[1\] is 3, not a list, where row \[0\] is a list of 2 elements$/);
  refuse('a row where a number belongs', () => any(tensor)([1, [2]]), /^tensor: element \[1\] is a list, where element \[0\] is a number$/);
  refuse('an empty list', () => tensor([]), /^tensor: the list at \[\] is empty \(wgslgrad has no empty tensors\)$/);
  refuse('an empty row first', () => tensor([[]]), /^tensor: the list at \[0\] is empty/);
  refuse('an empty row later', () => tensor([[1], []]), /^tensor: row \[1\] has 0 elements, row \[0\] has 1$/);
  refuse('a fraction as i32', () => tensor([[1, 2.5]], { dtype: 'i32' }), /^tensor: element \[0, 1\] is 2\.5, not an i32 \(an integer in \[-2147483648, 2147483647\]\)$/);
  refuse('NaN as i32', () => tensor([NaN], { dtype: 'i32' }), /^tensor: element \[0\] is NaN, not an i32/);
  refuse('−1 as u32', () => tensor([-1], { dtype: 'u32' }), /^tensor: element \[0\] is -1, not a u32 \(an integer in \[0, 4294967295\]\)$/);
  refuse('2³¹ as i32', () => tensor([2 ** 31], { dtype: 'i32' }), /^tensor: element \[0\] is 2147483648, not an i32/);
  refuse('a Tensor as data', () => any(tensor)(ints), /^tensor: data is a Tensor \[2\]; copy one with t\.clone\(\)/);
  refuse('requiresGrad on i32', () => tensor([1], { dtype: 'i32', requiresGrad: true }), /^tensor: only f32 tensors can require gradients, got dtype 'i32' \(PyTorch: "Only Tensors of floating point and complex dtype can require gradients"\)$/);
  refuse('an unknown option', () => tensor([1], { device: 'cuda' } as CreationOptions), /^tensor: unknown option 'device' \(known: gpu, dtype, requiresGrad; or PyTorch's requires_grad\)$/);
  refuse('PyTorch\'s dtype name', () => tensor([1], { dtype: 'float32' as DType }), /^tensor: option 'dtype' expected 'f32', 'i32' or 'u32', got 'float32'$/);
  refuse('requiresGrad not a boolean', () => tensor([1], { requiresGrad: 1 as unknown as boolean }), /^tensor: option 'requiresGrad' expected true or false, got 1$/);
  // sizes
  refuse('zeros()', () => any(zeros)(), /^zeros: expected a size \(zeros\(2, 3\) or zeros\(\[2, 3\]\)\), got none; wgslgrad has no 0-d tensors: zeros\(1\) makes one element$/);
  refuse('zeros(2, 0)', () => zeros(2, 0), /^zeros: size \[2, 0\]: every dimension must be a positive integer, got 0 \(wgslgrad has no empty tensors\)$/);
  refuse('ones(2.5)', () => ones(2.5), /^ones: size \[2\.5\]: every dimension must be a positive integer, got 2\.5$/);
  refuse('ones([2, 3], 4)', () => any(ones)([2, 3], 4), /^ones: expected a size as numbers \(ones\(2, 3\)\) or one list \(\[2, 3\]\), got \[\[2, 3\], 4\]$/);
  refuse('randn(\'3\')', () => any(randn)('3'), /^randn: size \['3'\]: every dimension must be a positive integer, got '3'$/);
  refuse('a typed array as the size', () => any(zeros)(Int32Array.of(2, 3)), /^zeros: size \[a Int32Array\]: every dimension must be a positive integer, got a Int32Array$/);
  refuse('a Tensor as the size', () => any(ones)(ints), /^ones: size \[a Tensor\]: every dimension must be a positive integer, got a Tensor$/);
  refuse('rand as i32', () => rand(3, { dtype: 'i32' }), /^rand: random floats need dtype 'f32', got 'i32'$/);
  refuse('randn as u32', () => randn([3], { dtype: 'u32' }), /^randn: random floats need dtype 'f32', got 'u32'$/);
  refuse('zeros: an unknown option', () => zeros(2, { layout: 'strided' } as CreationOptions), /^zeros: unknown option 'layout'/);
  // full
  refuse('full(2, 7)', () => any(full)(2, 7), /^full: argument 'size' expected a list of dimensions \(full\(\[2, 3\], 7\)\), got 2$/);
  refuse('full: a fraction as i32', () => full([2], 1.5, { dtype: 'i32' }), /^full: the fill value is 1\.5, not an i32/);
  refuse('full: a string', () => any(full)([2], '1'), /^full: the fill value is '1' \(a string\), not a number$/);
  refuse('full: no size', () => full([], 1), /^full: expected a size/);
  // *_like
  refuse('zerosLike of a size', () => any(zerosLike)([2, 3]), /^zerosLike: argument 'input' expected a Tensor, got \[2, 3\] \(for a size: zeros\(\[2, 3\]\)\)$/);
  refuse('onesLike of nothing', () => any(onesLike)(undefined), /^onesLike: argument 'input' expected a Tensor, got undefined$/);
  refuse('fullLike: a fraction into i32', () => fullLike(ints, 0.5), /^fullLike: the fill value is 0\.5, not an i32/);
  refuse('randLike of i32', () => randLike(ints), /^randLike: random floats need dtype 'f32', got 'i32'$/);
  refuse('randnLike of i32', () => randnLike(ints), /^randnLike: random floats need dtype 'f32', got 'i32'$/);
  refuse('zerosLike: requiresGrad on i32', () => zerosLike(ints, { requiresGrad: true }), /^zerosLike: only f32 tensors can require gradients/);
  // arange
  refuse('arange: step 0', () => arange(0, 5, 0), /^arange: step must be nonzero$/);
  refuse('arange: the wrong sign', () => arange(0, 5, -1), /^arange: upper bound and larger bound inconsistent with step sign: from 0 to 5 by -1$/);
  refuse('arange: the wrong sign, falling', () => arange(5, 0), /^arange: upper bound and larger bound inconsistent with step sign: from 5 to 0 by 1$/);
  refuse('arange: no values', () => arange(3, 3), /^arange: from 3 to 3 is no values \(wgslgrad has no empty tensors\)$/);
  refuse('arange: a fractional step as i32', () => arange(0, 2, 0.5, { dtype: 'i32' }), /^arange: dtype 'i32' needs integer start, end and step, got \(0, 2, 0\.5\)$/);
  refuse('arange: past i32', () => arange(0, 3e9), /^arange: values from 0 to 2999999999 do not fit dtype 'i32'$/);
  refuse('arange: past i32, by one', () => arange(2 ** 31 - 2, 2 ** 31 + 1), /^arange: values from 2147483646 to 2147483648 do not fit dtype 'i32'$/);
  refuse('arange: past the adapter\'s buffers, before computing', () => arange(0, 1e10, { dtype: 'f32' }), /^buffer 'arange': 40000000000 bytes exceeds this adapter's maxBufferSize/);
  refuse('linspace: past the adapter\'s buffers', () => linspace(0, 1, 2 ** 40), /^buffer 'linspace': \d+ bytes exceeds this adapter's maxBufferSize/);
  refuse('eye: past the adapter\'s buffers', () => eye(2 ** 20), /^buffer 'eye': \d+ bytes exceeds this adapter's maxBufferSize/);
  refuse('arange: NaN', () => arange(NaN), /^arange: start, end and step must be finite numbers, got NaN$/);
  refuse('arange: ∞', () => arange(0, Infinity), /^arange: start, end and step must be finite numbers, got Infinity$/);
  refuse('arange: four numbers', () => any(arange)(1, 2, 3, 4), /^arange: expected \(end\), \(start, end\) or \(start, end, step\), got 4 arguments$/);
  refuse('arange: none', () => any(arange)(), /^arange: expected \(end\), \(start, end\) or \(start, end, step\), got 0 arguments$/);
  // linspace
  refuse('linspace: 0 steps', () => linspace(0, 1, 0), /^linspace: argument 'steps' expected a positive integer, got 0 \(wgslgrad has no empty tensors\)$/);
  refuse('linspace: negative steps', () => linspace(0, 1, -3), /^linspace: argument 'steps' expected a positive integer, got -3$/);
  refuse('linspace: fractional steps', () => linspace(0, 1, 2.5), /^linspace: argument 'steps' expected a positive integer, got 2\.5$/);
  refuse('linspace: no steps', () => any(linspace)(0, 1), /^linspace: argument 'steps' expected a positive integer, got undefined$/);
  refuse('linspace: ∞', () => linspace(0, Infinity, 3), /^linspace: argument 'end' expected a finite number, got Infinity$/);
  refuse('linspace: a string', () => any(linspace)('0', 1, 3), /^linspace: argument 'start' expected a finite number, got '0'$/);
  refuse('linspace: i32', () => linspace(0, 10, 5, { dtype: 'i32' }), /^linspace: dtype 'i32' is not supported \(f32 only\)$/);
  // eye
  refuse('eye(0)', () => eye(0), /^eye: argument 'n' expected a positive integer, got 0 \(wgslgrad has no empty tensors\)$/);
  refuse('eye(2, 1.5)', () => eye(2, 1.5), /^eye: argument 'm' expected a positive integer, got 1\.5$/);
  refuse('eye(\'3\')', () => any(eye)('3'), /^eye: argument 'n' expected a positive integer, got '3'$/);
  refuse('eye: requiresGrad on i32', () => eye(2, { dtype: 'i32', requiresGrad: true }), /^eye: only f32 tensors can require gradients/);
  s.expect('no buffer left behind by a refusal', gpu.stats.liveBuffers === before, `${before} → ${gpu.stats.liveBuffers}`);
});

export const creationCases: readonly KernelCase[] = cases;
