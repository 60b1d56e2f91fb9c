// shaders/cast.wgsl: element types converted (F.to: PyTorch's x.float(), x.int(), x.to(dtype)).
import { grid1d, loadShader } from '../device/shader';
import { shapeText } from '../launch';
import { integers, uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import { Tensor } from '../tensor';

export const shader = loadShader('cast');

/** The same words read as i32: the shader reads u32 as i32 and reinterprets (one binding for both). */
const asI32 = (t: Tensor): Tensor => (t.dtype === 'i32' ? t : new Tensor(t.gpu, t.buffer, t.shape, 'i32', t.byteOffset, t.label));

/**
 * y = x converted to y's dtype: i32/u32 → f32 (rounded past 2^24), f32 → i32/u32 (toward zero; NaN 0;
 * clamped to the range), i32 ↔ u32 the same 32 bits (wrapping modulo 2^32, as PyTorch's integer casts).
 */
export function cast(x: Tensor, y: Tensor): void {
  const op = 'cast';
  if (x.size !== y.size) throw new Error(`${op}: argument 'y' expected ${x.size} elements (as 'x'), got shape ${shapeText(y.shape)}`);
  const n = x.size;
  if (x.dtype === y.dtype || (x.dtype !== 'f32' && y.dtype !== 'f32')) return x.gpu.copy(x, y);
  if (y.dtype === 'f32') {
    const entry = shader.entry('int_to_float');
    x.gpu.dispatch(entry, { params: { n }, x_int: asI32(x), y_float: y }, grid1d(entry, n), { X_UNSIGNED: x.dtype === 'u32' });
  } else {
    const entry = shader.entry('float_to_int');
    x.gpu.dispatch(entry, { params: { n }, x_float: x, y_int: asI32(y) }, grid1d(entry, n), { Y_UNSIGNED: y.dtype === 'u32' });
  }
}

/** An integer tensor's words as two f32 tensors of x's shape, the high and the low 16 bits: exact, so f32 ops that only move values carry them. */
export function splitHalves(x: Tensor, high: Tensor, low: Tensor): void {
  if (x.dtype === 'f32') throw new Error(`splitHalves: argument 'x' expected an integer tensor, got f32`);
  if (high.size !== x.size || low.size !== x.size) throw new Error(`splitHalves: 'high' and 'low' expected ${x.size} elements (as 'x'), got shapes ${shapeText(high.shape)} and ${shapeText(low.shape)}`);
  const entry = shader.entry('int_to_halves');
  x.gpu.dispatch(entry, { params: { n: x.size }, x_int: asI32(x), y_float: high, y_low: low }, grid1d(entry, x.size));
}

/** The inverse of splitHalves: y's words from their high and low 16 bits. */
export function joinHalves(high: Tensor, low: Tensor, y: Tensor): void {
  if (y.dtype === 'f32') throw new Error(`joinHalves: argument 'y' expected an integer tensor, got f32`);
  if (high.size !== y.size || low.size !== y.size) throw new Error(`joinHalves: 'high' and 'low' expected ${y.size} elements (as 'y'), got shapes ${shapeText(high.shape)} and ${shapeText(low.shape)}`);
  const entry = shader.entry('halves_to_int');
  y.gpu.dispatch(entry, { params: { n: y.size }, x_float: high, x_low: low, y_int: asI32(y) }, grid1d(entry, y.size));
}

/** The float64 reference of float → int: toward zero, NaN 0, clamped to the type's range as float32 holds it. */
export function toIntReference(v: number, unsigned: boolean): number {
  if (Number.isNaN(v)) return 0;
  const [low, high] = unsigned ? [0, 4294967040] : [-2147483648, 2147483520];
  return Math.min(high, Math.max(low, Math.trunc(v)));
}

const cases: KernelCase[] = [];
// 65,535 · 64 + 1 elements: the grid spills into y.
for (const n of [1, 63, 1000, 65535 * 64 + 1]) {
  for (const from of ['i32', 'u32'] as const) {
    cases.push(
      kernelCase({
        name: `cast ${from} → f32, n = ${n}`,
        entries: ['int_to_float'],
        dims: { n },
        setup(s, { n }, random) {
          // Small values, and large ones past 2^24 that float32 rounds.
          const values = Array.from(integers(random, n, 2000), (v, i) => (i % 7 === 3 ? (from === 'u32' ? 4294967295 - v * 1234567 : (v - 1000) * 2_000_003) : from === 'u32' ? v : v - 1000));
          const x = s.input(values, [n], from);
          const y = s.output([n]);
          return { run: () => cast(x, y), check: () => s.check('y', y, Float64Array.from(values, (v) => Math.fround(v)), 0, 0) };
        },
        ...(n === 1000 && from === 'i32' ? { bench: { sizes: [1e4, 1e6, 1e7].map((n) => ({ n })), bytes: (d: { n?: number }) => 8 * d.n! } } : {}),
      }),
    );
  }
  for (const to of ['i32', 'u32'] as const) {
    cases.push(
      kernelCase({
        name: `cast f32 → ${to}, n = ${n}`,
        entries: ['float_to_int'],
        dims: { n },
        setup(s, { n }, random) {
          // Fractions both sides of 0, NaN, ±∞ and values past the range among them.
          const special = [NaN, Infinity, -Infinity, 3e9, -3e9, 5e9, -0.7, 0.7, -2.5, 2147483520, 4294967040];
          const values = Float32Array.from(uniform(random, n, -1e4, 1e4), (v, i) => (i % 5 === 2 ? special[(i / 5) % special.length | 0]! : v));
          const x = s.input(values, [n]);
          const y = to === 'u32' ? s.input(new Uint32Array(n).fill(7), [n], 'u32', 'y') : s.input(new Int32Array(n).fill(-7), [n], 'i32', 'y'); // poisoned: no value the reference gives
          return { run: () => cast(x, y), check: () => s.check('y', y, Float64Array.from(values, (v) => toIntReference(v, to === 'u32')), 0, 0) };
        },
        ...(n === 1000 && to === 'i32' ? { bench: { sizes: [1e4, 1e6, 1e7].map((n) => ({ n })), bytes: (d: { n?: number }) => 8 * d.n! } } : {}),
      }),
    );
  }
}

// Words split into halves and joined back: every bit pattern (0, ±1, the extremes, words whose halves
// are 0 or 0xffff) through two f32 tensors and back, the halves checked on the way.
for (const n of [1, 1000, 65535 * 64 + 1]) {
  for (const dtype of ['i32', 'u32'] as const) {
    cases.push(
      kernelCase({
        name: `cast ${dtype} → halves → ${dtype}, n = ${n}`,
        entries: ['int_to_halves', 'halves_to_int'],
        dims: { n },
        setup(s, { n }, random) {
          const special = [0, 1, 0xffff, 0x10000, 0xffff0000, 0x7fffffff, 0x80000000, 0xffffffff, 0x00ff00ff];
          const words = Uint32Array.from(integers(random, n, 2 ** 31), (v, i) => (i % 5 === 1 ? special[(i / 5) % special.length | 0]! : (v * 2 + (i & 1)) >>> 0));
          const values = dtype === 'u32' ? words : new Int32Array(words.buffer);
          const x = s.input(values, [n], dtype);
          const high = s.output([n], 'high');
          const low = s.output([n], 'low');
          const y = dtype === 'u32' ? s.input(new Uint32Array(n).fill(7), [n], 'u32', 'y') : s.input(new Int32Array(n).fill(-7), [n], 'i32', 'y'); // poisoned
          return {
            run: () => {
              splitHalves(x, high, low);
              joinHalves(high, low, y);
            },
            check: async () => {
              await s.check('high', high, Float64Array.from(words, (w) => w >>> 16), 0, 0);
              await s.check('low', low, Float64Array.from(words, (w) => w & 0xffff), 0, 0);
              await s.check('y', y, Array.from(values), 0, 0);
            },
          };
        },
      }),
    );
  }
}

cases.push(
  testCase('cast: i32 ↔ u32 keep the 32 bits (wrapping), sizes checked, the same dtype copies', async (s, random) => {
    const a = s.input([-1, 0, 5, -2147483648, 2147483647], [5], 'i32');
    const asU32 = s.input([7, 7, 7, 7, 7], [5], 'u32');
    cast(a, asU32);
    await s.check('i32 → u32 wraps', asU32, [4294967295, 0, 5, 2147483648, 2147483647], 0, 0);
    const back = s.input([7, 7, 7, 7, 7], [5], 'i32');
    cast(asU32, back);
    await s.check('u32 → i32 wraps back', back, [-1, 0, 5, -2147483648, 2147483647], 0, 0);
    s.expectError('sizes', () => cast(a, s.output([4])), /^cast: argument 'y' expected 5 elements \(as 'x'\), got shape \[4\]/);
    s.expectError('halves of f32', () => splitHalves(s.output([5]), s.output([5]), s.output([5])), /^splitHalves: argument 'x' expected an integer tensor, got f32/);
    const b = s.input(integers(random, 5, 10), [5], 'i32');
    const copy = s.input(new Int32Array(5).fill(-1), [5], 'i32');
    cast(b, copy);
    await s.check('the same dtype: a copy', copy, Array.from(await b.read()), 0, 0);
  }),
);

export const spec: Spec = cases;
