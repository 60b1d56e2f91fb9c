// shaders/elementwise.wgsl: exp, log, sqrt, pow with a number or a tensor exponent or a number base,
// abs, clamp, the elementwise max and min of two tensors, sign, rounding, sin and cos (F.exp, F.log,
// F.sqrt, F.pow, F.abs, F.clamp, F.maximum, F.minimum, F.sign, F.floor, F.ceil, F.round, F.trunc,
// F.sin, F.cos), forward and backward.
import { grid1d, loadShader } from '../device/shader';
import { shaderSource } from '../device/shader-sources';
import { expectSameSize } from '../launch';
import { show } from '../options';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import { upstream, type BackwardRule, type Tensor } from '../tensor';

export const shader = loadShader('elementwise');

/** The shader's OP for each function. */
const OPS = { exp: 0, log: 1, sqrt: 2, pow: 3, abs: 4, clamp: 5, maximum: 6, minimum: 7, powTensor: 8, powExponent: 9, sign: 10, floor: 11, ceil: 12, round: 13, trunc: 14, powBase: 15, sin: 16, cos: 17, expm1: 18, log1p: 19 } as const;
export type ElementwiseOp = keyof typeof OPS;

/** What some functions take besides x: pow's exponent (powBase: its base), clamp's bounds (null: none), max and min's other tensor. */
export interface ElementwiseExtra {
  exponent?: number;
  low?: number | null;
  high?: number | null;
  other?: Tensor;
}

/** pow's exponent (or a number base, named 'self' as PyTorch's): a float32 number, ±∞ included, not NaN (F.pow checks it too, before allocating its output). */
export function expectExponent(op: string, exponent: number, name = 'exponent'): void {
  if (typeof exponent !== 'number' || Number.isNaN(exponent) || (Number.isFinite(exponent) && Math.abs(exponent) > 3.4e38)) throw new Error(`${op}: argument '${name}' expected a float32 number (±∞ included, not NaN), got ${show(exponent)}`);
}

/** clamp's bounds: finite float32 numbers, or null for none (F.clamp checks them too). */
export function expectBound(op: string, name: string, bound: unknown): void {
  if (bound === null) return;
  if (typeof bound !== 'number' || !Number.isFinite(bound) || Math.abs(bound) > 3.4e38) throw new Error(`${op}: argument '${name}' expected a finite float32 number or null, got ${show(bound)}`);
}

/** The params, overrides and `other` binding of a dispatch, checked. */
function argumentsOf(where: string, op: ElementwiseOp, x: Tensor, extra: ElementwiseExtra) {
  const { exponent = 1, low = null, high = null, other } = extra;
  expectExponent(where, exponent);
  expectBound(where, 'min', low);
  expectBound(where, 'max', high);
  const binary = op === 'maximum' || op === 'minimum' || op === 'powTensor' || op === 'powExponent';
  if (binary !== (other !== undefined)) throw new Error(`${where}: ${binary ? 'needs' : 'takes no'} 'other' tensor`);
  if (other) expectSameSize(where, { x, other });
  const params = { n: x.size, exponent, low: low ?? 0, high: high ?? 0 };
  return { params, other: other ?? x, constants: { OP: OPS[op], HAS_LOW: low !== null, HAS_HIGH: high !== null } };
}

/** y = f(x) elementwise; `extra` holds pow's exponent, clamp's bounds, max and min's other tensor. */
export function elementwise(op: ElementwiseOp, x: Tensor, y: Tensor, extra: ElementwiseExtra = {}): void {
  if (op === 'powExponent') throw new Error(`powExponent: a backward only (the gradient of x^other for other)`);
  expectSameSize(op, { x, y });
  const { params, other, constants } = argumentsOf(op, op, x, extra);
  const entry = shader.entry('forward');
  x.gpu.dispatch(entry, { params, x, other, y }, grid1d(entry, x.size), constants);
}

/**
 * dx = dy · ∂f/∂x, from x and the forward's output y; with accumulate, dx += …. For other's gradient
 * in max and min, swap x and other; in x^other, 'powExponent' with x and other as in the forward.
 */
export function elementwiseBackward(op: ElementwiseOp, x: Tensor, y: Tensor, dy: Tensor, dx: Tensor, extra: ElementwiseExtra = {}, accumulate = false): void {
  const where = `${op}Backward`;
  expectSameSize(where, { x, y_saved: y, dy, dx });
  const { params, other, constants } = argumentsOf(where, op, x, extra);
  const entry = shader.entry('backward');
  x.gpu.dispatch(entry, { params, x, other, y_saved: y, dy, dx }, grid1d(entry, x.size), { ...constants, ACCUMULATE: accumulate });
}

export const gradients = {
  elementwise: (op: ElementwiseOp, x: Tensor, y: Tensor, extra: ElementwiseExtra): BackwardRule => (ctx, dy) => {
    const g = upstream(dy, y.gpu, y.shape);
    if (x.requiresGrad) {
      const { grad, accumulate } = ctx.target(x);
      elementwiseBackward(op, x, y, g, grad, extra, accumulate);
    }
    // max and min: other's share, the same rule with the two swapped; x^other: the exponent's rule.
    if (extra.other?.requiresGrad) {
      const { grad, accumulate } = ctx.target(extra.other);
      if (op === 'powTensor') elementwiseBackward('powExponent', x, y, g, grad, extra, accumulate);
      else elementwiseBackward(op, extra.other, y, g, grad, { ...extra, other: x }, accumulate);
    }
  },
};

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

/** f and f′ in float64, from the math (Math.pow follows IEEE's pow, as PyTorch does). */
export const reference: Record<'exp' | 'log' | 'sqrt' | 'pow' | 'sin' | 'cos' | 'expm1' | 'log1p', { f: (x: number, p: number) => number; df: (x: number, p: number) => number }> = {
  expm1: { f: (x) => Math.expm1(x), df: (x) => Math.exp(x) },
  log1p: { f: (x) => Math.log1p(x), df: (x) => 1 / (1 + x) },
  sin: { f: (x) => Math.sin(x), df: (x) => Math.cos(x) },
  cos: { f: (x) => Math.cos(x), df: (x) => -Math.sin(x) },
  exp: { f: (x) => Math.exp(x), df: (x) => Math.exp(x) },
  log: { f: (x) => Math.log(x), df: (x) => 1 / x },
  sqrt: { f: (x) => Math.sqrt(x), df: (x) => 0.5 / Math.sqrt(x) },
  pow: { f: (x, p) => Math.pow(x, p), df: (x, p) => p * Math.pow(x, p - 1) },
};

// Each function over its domain: exp across float32's range of e^x, log and sqrt from near 0 to
// large, pow over negative and positive x with integer exponents and positive x with fractional ones.
// Tolerances from WGSL's accuracy rules: exp (range-reduced to |r| ≤ 0.35) to ~4 ULP, integer powers
// a rounding per multiply, other powers as exp2(p·log2 x) (~1e-6 · |p·log2 x|); log to 2^-21
// absolute near 1; sqrt to 2.5 ULP.
const domains: { op: keyof typeof reference; p: number; lo: number; hi: number; atol: number; rtol: number }[] = [
  { op: 'exp', p: 1, lo: -80, hi: 80, atol: 0, rtol: 1e-6 },
  { op: 'log', p: 1, lo: 1e-6, hi: 1e6, atol: 1e-6, rtol: 2e-6 },
  // ln x relative to float32 near 1, where WGSL's own log may be 2^-21 off (SwiftShader's was 39% off
  // at 1 − 2^-24): reduced to m in [√½, √2) and log1p's series.
  { op: 'log', p: 1, lo: 0.99, hi: 1.01, atol: 0, rtol: 3e-7 },
  { op: 'sqrt', p: 1, lo: 1e-6, hi: 1e6, atol: 0, rtol: 2e-6 },
  { op: 'pow', p: 2, lo: -30, hi: 30, atol: 0, rtol: 1e-7 },
  { op: 'pow', p: 3, lo: -30, hi: 30, atol: 0, rtol: 3e-7 },
  { op: 'pow', p: 7, lo: -5, hi: 5, atol: 0, rtol: 6e-7 },
  { op: 'pow', p: -1, lo: 0.1, hi: 10, atol: 0, rtol: 3e-7 },
  { op: 'pow', p: -2, lo: -10, hi: -0.1, atol: 0, rtol: 5e-7 },
  { op: 'pow', p: 0.5, lo: 1e-3, hi: 1e3, atol: 0, rtol: 3e-7 },
  { op: 'pow', p: 1.7, lo: 1e-3, hi: 100, atol: 0, rtol: 2e-5 },
  // Half-integer exponents as v^k · √v: a rounding per multiply, not exp2(p · log2 v)'s |p · log2 v| units.
  { op: 'pow', p: 1.5, lo: 1e-6, hi: 1e12, atol: 0, rtol: 3e-7 },
  { op: 'pow', p: -0.5, lo: 1e-20, hi: 1e20, atol: 0, rtol: 3e-7 },
  { op: 'pow', p: 2.5, lo: 1e-3, hi: 1e3, atol: 0, rtol: 4e-7 },
  // sin and cos to float32's precision over a turn, a positional encoding's reach and on to 10^7
  // (lab/sin-error.mts, 200,000 draws each: 9e-8 over ±7, 1.1e-7 over ±8192, 1.3e-7 over ±10^6,
  // 2.3e-7 over ±10^7; SwiftShader's own sin is 3e-4 off at thousands, 0.7 at millions).
  { op: 'sin', p: 1, lo: -7, hi: 7, atol: 1.5e-7, rtol: 0 },
  { op: 'sin', p: 1, lo: -8192, hi: 8192, atol: 1.5e-7, rtol: 0 },
  { op: 'sin', p: 1, lo: -1e7, hi: 1e7, atol: 3e-7, rtol: 0 },
  { op: 'cos', p: 1, lo: -7, hi: 7, atol: 1.5e-7, rtol: 0 },
  { op: 'cos', p: 1, lo: -8192, hi: 8192, atol: 1.5e-7, rtol: 0 },
  { op: 'cos', p: 1, lo: -1e7, hi: 1e7, atol: 3e-7, rtol: 0 },
  // expm1 and log1p keep their relative precision near 0, where their series run (lab/expm1-error.mts,
  // 200,000 points: 1.2e-7 and 2.1e-7 over [−0.5, 0.5]; e^x − 1 alone was 6e-4 off at 1e-4), tiny x drawn
  // log-uniformly too; beyond, e^x − 1 and ln(1 + x), as precise as exp and log (4.5e-7 at 0.64).
  { op: 'expm1', p: 1, lo: -0.5, hi: 0.5, atol: 0, rtol: 2e-7 },
  { op: 'expm1', p: 1, lo: 1e-30, hi: 0.49, atol: 0, rtol: 2e-7 },
  { op: 'expm1', p: 1, lo: -30, hi: 30, atol: 0, rtol: 1e-6 },
  { op: 'log1p', p: 1, lo: -0.5, hi: 0.5, atol: 0, rtol: 3e-7 },
  { op: 'log1p', p: 1, lo: 1e-30, hi: 0.49, atol: 0, rtol: 3e-7 },
  { op: 'log1p', p: 1, lo: 1e-6, hi: 1e6, atol: 1e-6, rtol: 2e-6 },
];
const name = ({ op, p, lo, hi }: { op: keyof typeof reference; p: number; lo?: number; hi?: number }) =>
  op === 'pow' ? `pow p=${p}` : (op === 'sin' || op === 'cos') && hi !== undefined ? `${op} over ±${hi}` : (op === 'expm1' || op === 'log1p' || (op === 'log' && hi === 1.01)) && hi !== undefined ? `${op} over [${lo}, ${hi}]` : op;
/** Draws from [lo, hi]: log-uniform for a range of positive numbers wide enough to need it. */
function draw(random: () => number, n: number, lo: number, hi: number): Float64Array {
  if (lo > 0 && hi / lo > 100) return uniform(random, n, Math.log(lo), Math.log(hi)).map(Math.exp);
  return uniform(random, n, lo, hi);
}

const FLOAT32_MIN_NORMAL = 2 ** -126;

const cases: KernelCase[] = [];
for (const domain of domains) {
  const { op, p, lo, hi, atol, rtol } = domain;
  const { f, df } = reference[op];
  const sizes = op === 'exp' || (op === 'pow' && p === 2) ? [1, 63, 10000, PAST_GRID_LIMIT] : [1, 65, 10000];
  for (const n of sizes) {
    cases.push(kernelCase({
      name: `elementwise ${name(domain)} forward n=${n}`,
      entries: ['forward'],
      dims: { n },
      showcase: n === 10000 && op === 'exp',
      setup(s, { n }, random) {
        const x = draw(random, n, lo, hi);
        const y = s.output([n]);
        const xt = s.input(x);
        // atol at least float32's least normal: WGSL lets a GPU flush a subnormal result to 0 (SwiftShader
        // does: x⁷ of a draw under 3.6e-6 was one in 10,000 such elements, about one run in 140).
        return { run: () => elementwise(op, xt, y, { exponent: p }), check: () => s.check('y', y, x.map((v) => f(Math.fround(v), p)), Math.max(atol, FLOAT32_MIN_NORMAL), rtol) };
      },
      ...(n === 10000 && op === 'exp' ? { bench: { sizes: [1e4, 1e6].map((n) => ({ n })), bytes: (d: { n?: number }) => 8 * d.n! } } : {}),
    }));
  }
  for (const [n, accumulate] of [[1, false], [97, true], [10000, false]] as const) {
    cases.push(kernelCase({
      name: `elementwise ${name(domain)} backward n=${n}${accumulate ? ' accumulate' : ''}`,
      entries: ['backward'],
      dims: { n },
      setup(s, { n }, random) {
        const [x, dy, previous] = [draw(random, n, lo, hi), uniform(random, n), uniform(random, n)];
        const [xt, y, dx] = [s.input(x), s.output([n], 'y'), s.output([n], 'dx')];
        if (accumulate) dx.write(previous);
        elementwise(op, xt, y, { exponent: p });
        const dyt = s.input(dy);
        const expected = x.map((v, i) => Math.fround(dy[i]!) * df(Math.fround(v), p) + (accumulate ? Math.fround(previous[i]!) : 0));
        return { run: () => elementwiseBackward(op, xt, y, dyt, dx, { exponent: p }, accumulate), check: () => s.check('dx', dx, expected, 1e-6, rtol) };
      },
    }));
  }
}

cases.push(
  // regression_loss.wgsl takes BCE's logs with the same series, written out there so each file reads alone.
  testCase("regression_loss.wgsl's log1p_series is this file's (the same WGSL text)", (s) => {
    const text = (source: string) => /\n\/\/ ln\(1 \+ v\) for \|v\| < 0\.5[\s\S]*?\nfn log1p_series\([\s\S]*?\n}\n/.exec(source)?.[0] ?? '';
    const [ours, theirs] = [text(shaderSource('elementwise')), text(shaderSource('regression_loss'))];
    s.expect('elementwise.wgsl has it', ours.length > 200, `${ours.length} characters`);
    s.expect('identical in regression_loss.wgsl', ours === theirs, ours === theirs ? `${ours.length} characters match` : `differs (${theirs.length} characters there)`);
  }),
  // PyTorch's values outside each function's domain and at its edges, which WGSL leaves undefined.
  testCase('elementwise: ±∞ and NaN where PyTorch gives them (ln 0, ln −1, √−1, e^100, 0^−1, (−8)^(1/3), NaN in, x^0, sin ∞, sin −0)', async (s) => {
    const special: [keyof typeof reference, number, number[]][] = [
      ['exp', 1, [100, 88.8, -100, -1e30, 1e30, NaN, 0]],
      ['log', 1, [0, -1, -1e-30, NaN, 1, 3e38, Infinity, 1 - 2 ** -24, 1 + 2 ** -23, 0.99999, 2 ** -126, 0.5, 2]],
      ['sqrt', 1, [0, -1, -1e-30, NaN, 4, 3e38, Infinity]],
      ['pow', -1, [0, -0, -2, 2, NaN, Infinity, -Infinity]],
      ['pow', 3, [-2, 0, -0, NaN, -1e-3, 1e13, -Infinity]],
      ['pow', 2, [-3, 1e20, -Infinity]],
      ['pow', 1 / 3, [-8, 8, 0, Infinity, -Infinity]],
      ['pow', -2.5, [0, 4, Infinity, -Infinity, -4]],
      ['pow', 0, [0, NaN, -5, 1e30, Infinity]],
      ['pow', 2e30, [-1, 1, 0.5]],
      ['sin', 1, [Infinity, -Infinity, NaN, -0, 0, 8192, -8192, 1e7, 8193.471]],
      ['cos', 1, [Infinity, -Infinity, NaN, -0, 0, 8192, -8192, 1e7, 8192.001]],
      ['expm1', 1, [-0, 0, NaN, 100, -100, Infinity, -Infinity, 1e-30, -1e-30, 0.5, -0.5]],
      ['log1p', 1, [-0, 0, NaN, -1, -1.5, Infinity, -Infinity, 1e-30, -1e-30, 0.5, -0.5, 3e38]],
    ];
    for (const [op, p, x] of special) {
      const y = s.output([x.length], `${name({ op, p })} y`);
      elementwise(op, s.input(x), y, { exponent: p });
      // float32 in and out: e^88.8 is 3.6e38 in float64 but +∞ in float32; e^−100 may be flushed to 0.
      const expected = x.map((v) => Math.fround(reference[op].f(Math.fround(v), Math.fround(p))));
      await s.check(`${name({ op, p })} of [${x.join(', ')}]`, y, expected, 1e-37, 2e-6);
      // −0 and +0 compare equal: their signs checked apart, where PyTorch's result is a signed zero or ∞.
      const signs = Array.from(await y.read(), (v) => (Object.is(v, -0) || v === -Infinity ? -1 : 1));
      const want = expected.map((v) => (Object.is(v, -0) || v === -Infinity ? -1 : 1));
      const zerosAndInfinities = expected.flatMap((v, i) => (v === 0 || !Number.isFinite(v) ? [i] : []));
      s.expect(`${name({ op, p })}: signs of zeros and infinities`, zerosAndInfinities.every((i) => signs[i] === want[i]), `got ${zerosAndInfinities.map((i) => signs[i]).join(' ')}, want ${zerosAndInfinities.map((i) => want[i]).join(' ')}`);
    }
  }),
  // PyTorch: x^0's gradient is 0 everywhere, where p · x^(p − 1) would be 0 · ∞ at x = 0 (and NaN at NaN).
  testCase('elementwise pow p=0 backward: 0 everywhere, at 0 and NaN too', async (s, random) => {
    const x = [0, -0, NaN, 3, -2];
    const [xt, y, dx] = [s.input(x), s.output([x.length], 'y'), s.output([x.length], 'dx')];
    elementwise('pow', xt, y, { exponent: 0 });
    elementwiseBackward('pow', xt, y, s.input(uniform(random, x.length)), dx, { exponent: 0 });
    await s.check('dx', dx, x.map(() => 0), 0, 0);
  }),
  // |x| and clamp over signed values with exact zeros and the bounds themselves: PyTorch's gradients
  // there (sign 0 at ±0; clamp's 1 at either bound, inclusive), and a NaN's (0 for both).
  kernelCase({
    name: 'elementwise abs and clamp forward and backward, zeros, bounds and NaN, n=133',
    entries: ['forward', 'backward'],
    dims: { n: 133 },
    setup(s, { n }, random) {
      const x = uniform(random, n, -3, 3).map((v, i) => (i % 11 === 0 ? 0 : i % 11 === 1 ? -0 : i % 11 === 2 ? -1 : i % 11 === 3 ? 2 : i === 50 ? NaN : v));
      const dy = uniform(random, n);
      const xt = s.input(x);
      const dyt = s.input(dy);
      const bounds: [number | null, number | null][] = [[-1, 2], [0.5, null], [null, -0.25], [1, -1]];
      const outputs = [s.output([n], '|x|'), s.output([n], 'd|x|'), ...bounds.flatMap(([lo, hi]) => [s.output([n], `clamp ${lo} ${hi}`), s.output([n], `d clamp ${lo} ${hi}`)])];
      // PyTorch: clamp(x, lo, hi) = min(max(x, lo), hi) (hi when lo > hi), gradient 1 where lo ≤ x ≤ hi.
      const clampRef = (v: number, lo: number | null, hi: number | null) => (Number.isNaN(v) ? v : Math.min(Math.max(v, lo ?? -Infinity), hi ?? Infinity));
      const inside = (v: number, lo: number | null, hi: number | null) => !Number.isNaN(v) && (lo === null || v >= lo) && (hi === null || v <= hi);
      return {
        run() {
          elementwise('abs', xt, outputs[0]!);
          elementwiseBackward('abs', xt, outputs[0]!, dyt, outputs[1]!);
          bounds.forEach(([low, high], k) => {
            elementwise('clamp', xt, outputs[2 + 2 * k]!, { low, high });
            elementwiseBackward('clamp', xt, outputs[2 + 2 * k]!, dyt, outputs[3 + 2 * k]!, { low, high });
          });
        },
        async check() {
          const f = (v: number) => Math.fround(v);
          await s.check('|x|', outputs[0]!, x.map((v) => Math.abs(f(v))), 0, 0);
          await s.check('d|x| = dy · sign(x), 0 at ±0 and NaN', outputs[1]!, x.map((v, i) => (Number.isNaN(v) ? 0 : f(dy[i]!) * Math.sign(f(v)))), 0, 0);
          for (const [k, [lo, hi]] of bounds.entries()) {
            await s.check(`clamp(x, ${lo}, ${hi})`, outputs[2 + 2 * k]!, x.map((v) => clampRef(f(v), lo === null ? null : f(lo), hi === null ? null : f(hi))), 0, 0);
            await s.check(`d clamp(x, ${lo}, ${hi})`, outputs[3 + 2 * k]!, x.map((v, i) => (inside(f(v), lo === null ? null : f(lo), hi === null ? null : f(hi)) ? f(dy[i]!) : 0)), 0, 0);
          }
        },
      };
    },
  }),
  // max and min of two tensors with ties and NaNs: PyTorch's values, and its gradient rule (a tie
  // halves it, a NaN on either side sends it whole to both).
  kernelCase({
    name: 'elementwise maximum and minimum forward and backward, ties and NaN, n=150',
    entries: ['forward', 'backward'],
    dims: { n: 150 },
    setup(s, { n }, random) {
      const a = uniform(random, n, -2, 2).map((v) => Math.round(v * 2) / 2);
      const b = uniform(random, n, -2, 2).map((v) => Math.round(v * 2) / 2);
      [a[7], b[9], a[11], b[11]] = [NaN, NaN, NaN, NaN];
      const dy = uniform(random, n);
      const [at, bt, dyt] = [s.input(a), s.input(b), s.input(dy)];
      const outs = (['maximum', 'minimum'] as const).map((op) => ({ op, y: s.output([n], `${op} y`), da: s.output([n], `${op} da`), db: s.output([n], `${op} db`) }));
      return {
        run() {
          for (const { op, y, da, db } of outs) {
            elementwise(op, at, y, { other: bt });
            elementwiseBackward(op, at, y, dyt, da, { other: bt });
            elementwiseBackward(op, bt, y, dyt, db, { other: at });
          }
        },
        async check() {
          for (const { op, y, da, db } of outs) {
            const wins = (u: number, v: number) => (op === 'maximum' ? u > v : u < v);
            const share = (u: number, v: number) => (Number.isNaN(u) || Number.isNaN(v) ? 1 : u === v ? 0.5 : wins(u, v) ? 1 : 0);
            await s.check(`${op}(a, b)`, y, a.map((u, i) => (Number.isNaN(u) || Number.isNaN(b[i]!) ? NaN : op === 'maximum' ? Math.max(u, b[i]!) : Math.min(u, b[i]!))), 0, 0);
            await s.check(`${op}: d a`, da, a.map((u, i) => Math.fround(dy[i]!) * share(u, b[i]!)), 0, 0);
            await s.check(`${op}: d b`, db, b.map((v, i) => Math.fround(dy[i]!) * share(v, a[i]!)), 0, 0);
          }
        },
      };
    },
  }),
  // x^e with a tensor exponent: PyTorch's values and both gradients at the edges (0^0, 0^2, 0^−1,
  // a negative base with integer and fractional exponents), then over random positive bases.
  testCase('elementwise pow with a tensor exponent: values and both gradients, edges and 97 random', async (s, random) => {
    const edges = { x: [2, 0, 0, -2, -2, 3, 0], e: [3, 0, 2, 2, 0.5, -1, -1] };
    const n = 97;
    const x = [...edges.x, ...Array.from(uniform(random, n, 0.1, 3))];
    const e = [...edges.e, ...Array.from(uniform(random, n, -2, 2))];
    const dy = x.map(() => 1);
    const [xt, et, dyt] = [s.input(x), s.input(e), s.input(dy)];
    const [y, dx, de] = [s.output([x.length], 'y'), s.output([x.length], 'dx'), s.output([x.length], 'de')];
    elementwise('powTensor', xt, y, { other: et });
    elementwiseBackward('powTensor', xt, y, dyt, dx, { other: et });
    elementwiseBackward('powExponent', xt, y, dyt, de, { other: et });
    const f = (v: number) => Math.fround(v);
    const Y = x.map((v, i) => Math.pow(f(v), f(e[i]!)));
    // PyTorch 1.13 on the edges: y [8, 1, 0, 4, NaN, 1/3, ∞], dx [12, 0, 0, −4, NaN, −1/9, −∞], de [8 ln 2, 0, 0, NaN, NaN, ln 3 / 3, −∞].
    await s.check('y = x^e', y, Y, 1e-30, 2e-6);
    await s.check('d x = e · x^(e − 1), 0 where e = 0', dx, x.map((v, i) => (f(e[i]!) === 0 ? 0 : f(e[i]!) * Math.pow(f(v), f(e[i]!) - 1))), 1e-30, 2e-5);
    // WGSL's log is accurate to 2^-21 absolute near x = 1, not relative, where ln x is near 0: times
    // y ≤ 3² that is ≤ 4.3e-6 absolute (a seed drew x ≈ 1 and missed a relative 2e-5 by 3×).
    await s.check('d e = y · ln x, 0 where x = 0 and e ≥ 0', de, x.map((v, i) => (f(v) === 0 && f(e[i]!) >= 0 ? 0 : Y[i]! * Math.log(f(v)))), 5e-6, 2e-5);
    s.expectError('powExponent forward', () => elementwise('powExponent', xt, y, { other: et }), /powExponent: a backward only/);
  }),
  // Signed zeros: PyTorch's clamp keeps x where it equals a bound, maximum and minimum keep the first
  // operand at a tie; WGSL's max and min may return either zero.
  testCase('elementwise signed zeros: clamp(−0, 0) = −0, maximum(0, −0) = 0, maximum(−0, 0) = −0 (PyTorch\'s)', async (s) => {
    const sign = async (t: Tensor) => Array.from(await t.read(), (v) => (Object.is(v, -0) ? '-0' : String(v))).join(' ');
    const x = s.input([-0, 0, -0]);
    for (const [low, high] of [[0, null], [null, 0], [0, 0]] as const) {
      const y = s.output([3], `clamp ${low} ${high}`);
      elementwise('clamp', x, y, { low, high });
      const got = await sign(y);
      s.expect(`clamp([−0, 0, −0], ${low}, ${high})`, got === '-0 0 -0', got);
    }
    const [u, v] = [s.input([0, -0, 0]), s.input([-0, 0, 0])];
    for (const [op, want] of [['maximum', '0 -0 0'], ['minimum', '0 -0 0']] as const) {
      const y = s.output([3], op);
      elementwise(op, u, y, { other: v });
      const got = await sign(y);
      s.expect(`${op}([0, −0, 0], [−0, 0, 0])`, got === want, got);
    }
  }),
  testCase('elementwise bad input is rejected before dispatch', (s, random) => {
    const v = s.input(uniform(random, 4));
    s.expectError('size mismatch', () => elementwise('exp', v, s.output([5])), /exp: argument 'y' expected 4 elements/);
    s.expectError('a NaN exponent', () => elementwise('pow', v, s.output([4]), { exponent: NaN }), /pow: argument 'exponent' expected a float32 number \(±∞ included, not NaN\), got NaN/);
    s.expectError('clamp with an infinite bound', () => elementwise('clamp', v, s.output([4]), { low: -Infinity }), /clamp: argument 'min' expected a finite float32 number or null, got -Infinity/);
    s.expectError('maximum without other', () => elementwise('maximum', v, s.output([4])), /maximum: needs 'other' tensor/);
    s.expectError('maximum of different sizes', () => elementwise('maximum', v, s.output([4]), { other: s.input([1, 2, 3]) }), /maximum: argument 'other' expected 4 elements/);
    s.expectError('backward size mismatch', () => elementwiseBackward('log', v, v, v, s.output([3])), /logBackward: argument 'dx' expected 4 elements/);
  }),
);

// sign and the roundings over halves (ties to even for round), signed zeros, NaN, ±∞ and floats past
// 2^23 (all integers), with their signs of zero checked apart; their gradient is 0 (added: unchanged).
const ROUNDINGS = ['sign', 'floor', 'ceil', 'round', 'trunc'] as const;
/** Python's round: the nearest integer, ties to even, the sign of x kept (round(−0.4) = −0). */
function roundHalfEven(v: number): number {
  if (!Number.isFinite(v)) return v;
  const r = Math.round(v);
  const even = r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
  return even === 0 ? (Object.is(v, -0) || v < 0 ? -0 : 0) : even;
}
const roundingReference: Record<(typeof ROUNDINGS)[number], (v: number) => number> = {
  sign: (v) => (Number.isNaN(v) || v === 0 ? 0 : Math.sign(v)),
  floor: Math.floor,
  ceil: Math.ceil,
  round: roundHalfEven,
  trunc: Math.trunc,
};
cases.push(kernelCase({
  name: 'elementwise sign, floor, ceil, round, trunc: halves, signed zeros, NaN, ±∞, past 2^23; gradient 0, n=150',
  entries: ['forward', 'backward'],
  dims: { n: 150 },
  setup(s, { n }, random) {
    const special = [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, -0.4, 0.4, -0, 0, NaN, Infinity, -Infinity, 8388609, -16777217.5, 1e30, 0.49999997, -3.7, 3.7];
    const x = Array.from(uniform(random, n, -100, 100), (v, i) => (i < special.length ? special[i]! : v));
    const [xt, dyt] = [s.input(x), s.input(uniform(random, n))];
    const previous = uniform(random, n);
    const outputs = ROUNDINGS.map((op) => [s.output([n], op), s.output([n], `d ${op}`)] as const);
    outputs.forEach(([, dx], k) => k % 2 === 1 && dx.write(previous));
    return {
      run: () => ROUNDINGS.forEach((op, k) => {
        elementwise(op, xt, outputs[k]![0]);
        elementwiseBackward(op, xt, outputs[k]![0], dyt, outputs[k]![1], {}, k % 2 === 1);
      }),
      async check() {
        for (const [k, op] of ROUNDINGS.entries()) {
          const expected = x.map((v) => roundingReference[op](Math.fround(v)));
          await s.check(op, outputs[k]![0], expected, 0, 0);
          const got = await outputs[k]![0].read();
          const zeros = expected.flatMap((v, i) => (v === 0 ? [i] : []));
          s.expect(`${op}: signs of zeros`, zeros.every((i) => Object.is(got[i], -0) === Object.is(expected[i], -0)), zeros.map((i) => `x=${x[i]}: ${Object.is(got[i], -0) ? '-0' : '+0'}`).join(', '));
          await s.check(`d ${op}: 0${k % 2 === 1 ? ', added' : ''}`, outputs[k]![1], k % 2 === 1 ? Array.from(previous, Math.fround) : new Array<number>(n).fill(0), 0, 0);
        }
      },
    };
  },
}));

// C's pow (PyTorch's) where JavaScript's Math.pow differs, and at ±∞ exponents: 1^p = 1 for any p,
// NaN too; (−1)^(±∞) = 1; v^(±∞) is 0 or ∞ by which side of 1 |v| lies; (−∞)^p keeps its sign for odd p.
cases.push(testCase('elementwise pow at ±∞ exponents, a base of ±1 and ±∞, as C and PyTorch', async (s) => {
  const inf = Infinity;
  const table: [string, ElementwiseOp, number, number[], number[]][] = [
    ['x^∞', 'pow', inf, [0.5, 1, -1, 2, -2, 0, inf, -inf, NaN], [0, 1, 1, inf, inf, 0, inf, inf, NaN]],
    ['x^−∞', 'pow', -inf, [0.5, 1, -1, 2, -0.5, 0, inf, NaN], [inf, 1, 1, 0, inf, inf, 0, NaN]],
    ['1^x', 'powBase', 1, [NaN, inf, -inf, 0, 200, -3.5], [1, 1, 1, 1, 1, 1]],
    ['(−1)^x', 'powBase', -1, [NaN, inf, -inf, 0, 3, 0.5], [NaN, 1, 1, 1, -1, NaN]],
    ['∞^x', 'powBase', inf, [1, -1, 0, 0.5, NaN], [inf, 0, 1, inf, NaN]],
    ['(−∞)^x', 'powBase', -inf, [1, 2, -1, 0.5, 3], [-inf, inf, -0, inf, -inf]],
  ];
  for (const [what, op, p, x, want] of table) {
    const y = s.output([x.length], what);
    elementwise(op, s.input(x), y, { exponent: p });
    await s.check(`${what} of [${x.join(', ')}]`, y, want, 0, 0);
    const got = await y.read();
    s.expect(`${what}: signs of zeros`, want.every((v, i) => v !== 0 || Object.is(v, -0) === Object.is(got[i], -0)), Array.from(got).join(', '));
  }
}));

// b^x for a number base b (torch.pow(b, x)): over positive bases with |x · log2 b| ≤ 20 (WGSL's pow
// is exp2(x · log2 b), allowed 3 + 2·|x · log2 b| ULP: ≤ 43, 5.1e-6 relative), then the edges,
// 0^x (1 at 0, ∞ below, gradient 0 at x ≥ 0 and −∞ below) and a negative base (NaN but at integers,
// its gradient NaN: ln b is), against float64.
cases.push(testCase('elementwise pow with a number base: b^x and its gradient b^x · ln b, 0 and negative bases', async (s, random) => {
  for (const [b, x] of [
    [2, Array.from(uniform(random, 70, -20, 20))],
    [0.3, Array.from(uniform(random, 40, -11, 11))],
    [Math.E, [0, 1, -1, 2.5]],
    [0, [0, 1, -1, 2.5, -0.5]],
    [-2, [0, 1, 2, 3, 0.5]],
  ] as [number, number[]][]) {
    const n = x.length;
    const dy = uniform(random, n);
    const [xt, y, dx] = [s.input(x), s.output([n], 'y'), s.output([n], 'dx')];
    elementwise('powBase', xt, y, { exponent: b });
    elementwiseBackward('powBase', xt, y, s.input(dy), dx, { exponent: b });
    const f = (v: number) => Math.fround(v);
    const values = x.map((v) => Math.pow(f(b), f(v)));
    await s.check(`${b}^x`, y, values, 1e-37, 6e-6);
    await s.check(`d ${b}^x`, dx, values.map((v, i) => (f(b) === 0 && f(x[i]!) >= 0 ? 0 : f(dy[i]!) * v * Math.log(f(b)))), 1e-37, 8e-6);
  }
}));

export const spec: Spec = cases;
