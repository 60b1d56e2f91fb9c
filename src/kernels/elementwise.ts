// shaders/elementwise.wgsl: exp, log, sqrt and pow with a number exponent (F.exp, F.log, F.sqrt,
// F.pow), forward and backward.
import { grid1d, loadShader } from '../device/shader';
import { expectSameSize } from '../launch';
import { show } from '../options';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import { upstream, type BackwardRule, type Tensor } from '../tensor';

export const shader = loadShader('elementwise');

/** The shader's OP for each function. */
const OPS = { exp: 0, log: 1, sqrt: 2, pow: 3 } as const;
export type ElementwiseOp = keyof typeof OPS;

/** pow's exponent: a finite float32 number (F.pow checks it too, before allocating its output). */
export function expectExponent(op: string, exponent: number): void {
  if (typeof exponent !== 'number' || !Number.isFinite(exponent) || Math.abs(exponent) > 3.4e38) throw new Error(`${op}: argument 'exponent' expected a finite float32 number, got ${show(exponent)}`);
}

/** y = f(x) elementwise; `exponent` is pow's p (ignored by the others). */
export function elementwise(op: ElementwiseOp, x: Tensor, y: Tensor, exponent = 1): void {
  expectSameSize(op, { x, y });
  expectExponent(op, exponent);
  const entry = shader.entry('forward');
  x.gpu.dispatch(entry, { params: { n: x.size, exponent }, x, y }, grid1d(entry, x.size), { OP: OPS[op] });
}

/** dx = dy · f'(x), from x and the forward's output y; with accumulate, dx += …. */
export function elementwiseBackward(op: ElementwiseOp, x: Tensor, y: Tensor, dy: Tensor, dx: Tensor, exponent = 1, accumulate = false): void {
  const where = `${op}Backward`;
  expectSameSize(where, { x, y_saved: y, dy, dx });
  expectExponent(where, exponent);
  const entry = shader.entry('backward');
  x.gpu.dispatch(entry, { params: { n: x.size, exponent }, x, y_saved: y, dy, dx }, grid1d(entry, x.size), { OP: OPS[op], ACCUMULATE: accumulate });
}

export const gradients = {
  elementwise: (op: ElementwiseOp, x: Tensor, y: Tensor, exponent: number): BackwardRule => (ctx, dy) => {
    const { grad, accumulate } = ctx.target(x);
    elementwiseBackward(op, x, y, upstream(dy, y.gpu, y.shape), grad, exponent, accumulate);
  },
};

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

/** f and f′ in float64, from the math (Math.pow follows IEEE's pow, as PyTorch does). */
export const reference: Record<ElementwiseOp, { f: (x: number, p: number) => number; df: (x: number, p: number) => number }> = {
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
const domains: { op: ElementwiseOp; p: number; lo: number; hi: number; atol: number; rtol: number }[] = [
  { op: 'exp', p: 1, lo: -80, hi: 80, atol: 0, rtol: 1e-6 },
  { op: 'log', p: 1, lo: 1e-6, hi: 1e6, atol: 1e-6, rtol: 2e-6 },
  { op: 'sqrt', p: 1, lo: 1e-6, hi: 1e6, atol: 0, rtol: 2e-6 },
  { op: 'pow', p: 2, lo: -30, hi: 30, atol: 0, rtol: 1e-7 },
  { op: 'pow', p: 3, lo: -30, hi: 30, atol: 0, rtol: 3e-7 },
  { op: 'pow', p: 7, lo: -5, hi: 5, atol: 0, rtol: 6e-7 },
  { op: 'pow', p: -1, lo: 0.1, hi: 10, atol: 0, rtol: 3e-7 },
  { op: 'pow', p: -2, lo: -10, hi: -0.1, atol: 0, rtol: 5e-7 },
  { op: 'pow', p: 0.5, lo: 1e-3, hi: 1e3, atol: 0, rtol: 3e-7 },
  { op: 'pow', p: 1.7, lo: 1e-3, hi: 100, atol: 0, rtol: 2e-5 },
];
const name = ({ op, p }: { op: ElementwiseOp; p: number }) => (op === 'pow' ? `pow p=${p}` : op);
/** Draws from [lo, hi]: log-uniform for a range of positive numbers wide enough to need it. */
function draw(random: () => number, n: number, lo: number, hi: number): Float64Array {
  if (lo > 0 && hi / lo > 100) return uniform(random, n, Math.log(lo), Math.log(hi)).map(Math.exp);
  return uniform(random, n, lo, hi);
}

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
        return { run: () => elementwise(op, xt, y, p), check: () => s.check('y', y, x.map((v) => f(Math.fround(v), p)), atol, rtol) };
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
        elementwise(op, xt, y, p);
        const dyt = s.input(dy);
        const expected = x.map((v, i) => Math.fround(dy[i]!) * df(Math.fround(v), p) + (accumulate ? Math.fround(previous[i]!) : 0));
        return { run: () => elementwiseBackward(op, xt, y, dyt, dx, p, accumulate), check: () => s.check('dx', dx, expected, 1e-6, rtol) };
      },
    }));
  }
}

cases.push(
  // PyTorch's values outside each function's domain and at its edges, which WGSL leaves undefined.
  testCase('elementwise: ±∞ and NaN where PyTorch gives them (ln 0, ln −1, √−1, e^100, 0^−1, (−8)^(1/3), NaN in, x^0)', async (s) => {
    const special: [ElementwiseOp, number, number[]][] = [
      ['exp', 1, [100, 88.8, -100, -1e30, 1e30, NaN, 0]],
      ['log', 1, [0, -1, -1e-30, NaN, 1, 3e38, Infinity]],
      ['sqrt', 1, [0, -1, -1e-30, NaN, 4, 3e38, Infinity]],
      ['pow', -1, [0, -0, -2, 2, NaN, Infinity, -Infinity]],
      ['pow', 3, [-2, 0, -0, NaN, -1e-3, 1e13, -Infinity]],
      ['pow', 2, [-3, 1e20, -Infinity]],
      ['pow', 1 / 3, [-8, 8, 0, Infinity, -Infinity]],
      ['pow', -2.5, [0, 4, Infinity, -Infinity, -4]],
      ['pow', 0, [0, NaN, -5, 1e30, Infinity]],
      ['pow', 2e30, [-1, 1, 0.5]],
    ];
    for (const [op, p, x] of special) {
      const y = s.output([x.length], `${name({ op, p })} y`);
      elementwise(op, s.input(x), y, p);
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
    elementwise('pow', xt, y, 0);
    elementwiseBackward('pow', xt, y, s.input(uniform(random, x.length)), dx, 0);
    await s.check('dx', dx, x.map(() => 0), 0, 0);
  }),
  testCase('elementwise bad input is rejected before dispatch', (s, random) => {
    const v = s.input(uniform(random, 4));
    s.expectError('size mismatch', () => elementwise('exp', v, s.output([5])), /exp: argument 'y' expected 4 elements/);
    s.expectError('an infinite exponent', () => elementwise('pow', v, s.output([4]), Infinity), /pow: argument 'exponent' expected a finite float32 number, got Infinity/);
    s.expectError('backward size mismatch', () => elementwiseBackward('log', v, v, v, s.output([3])), /logBackward: argument 'dx' expected 4 elements/);
  }),
);

export const spec: Spec = cases;
