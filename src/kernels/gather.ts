// shaders/gather.wgsl: values picked by index along one dimension (F.gather, F.indexSelect,
// F.embedding, nn.Embedding), and their gradient, summed back to the picked elements.
import { grid1d, loadShader } from '../device/shader';
import { expectDtype, shapeText } from '../launch';
import { integers, uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import { upstream, type BackwardRule, type Tensor } from '../tensor';

export const shader = loadShader('gather');

/** x as [outer, n, inner] around the dimension, y as [outer, k, inner]; `select`: the index has k entries (index_select), else one per element of y. */
export interface Picks {
  outer: number;
  n: number;
  k: number;
  inner: number;
  select: boolean;
}

function expectPicks(op: string, picks: Picks, x: { size: number; name: string }, y: { size: number; name: string }, index: Tensor): void {
  const { outer, n, k, inner, select } = picks;
  if (![outer, n, k, inner].every((v) => Number.isInteger(v) && v >= 1)) throw new Error(`${op}: outer, n, k and inner expected positive integers, got ${JSON.stringify(picks)}`);
  if (x.size !== outer * n * inner) throw new Error(`${op}: argument '${x.name}' expected ${outer * n * inner} elements (${outer} × ${n} × ${inner}), got ${x.size}`);
  if (y.size !== outer * k * inner) throw new Error(`${op}: argument '${y.name}' expected ${outer * k * inner} elements (${outer} × ${k} × ${inner}), got ${y.size}`);
  const want = select ? k : outer * k * inner;
  if (index.size !== want) throw new Error(`${op}: argument 'index' expected ${want} elements, got shape ${shapeText(index.shape)}`);
  expectDtype(op, 'index', index, 'i32');
}

/** y = x's elements picked by index along the dimension (NaN where an index is outside [0, n)). */
export function gather(x: Tensor, index: Tensor, y: Tensor, picks: Picks): void {
  expectDtype('gather', 'x', x, 'f32');
  expectDtype('gather', 'y', y, 'f32');
  expectPicks('gather', picks, { size: x.size, name: 'x' }, { size: y.size, name: 'y' }, index);
  const { outer, n, k, inner, select } = picks;
  const entry = shader.entry('forward');
  x.gpu.dispatch(entry, { params: { outer, n, k, inner }, x, index, y }, grid1d(entry, y.size), { SELECT: select });
}

/** dx = each pick's dy summed back to the element it picked (0 for elements never picked); with accumulate, dx += …. */
export function gatherBackward(index: Tensor, dy: Tensor, dx: Tensor, picks: Picks, accumulate = false): void {
  expectDtype('gatherBackward', 'dy', dy, 'f32');
  expectDtype('gatherBackward', 'dx', dx, 'f32');
  expectPicks('gatherBackward', picks, { size: dx.size, name: 'dx' }, { size: dy.size, name: 'dy' }, index);
  const { outer, n, k, inner, select } = picks;
  const entry = shader.entry('backward');
  dx.gpu.dispatch(entry, { params: { outer, n, k, inner }, index, dy, dx }, grid1d(entry, dx.size), { SELECT: select, ACCUMULATE: accumulate });
}

export const gradients = {
  /** y = x picked by index: d x = dy summed back to the picked elements. */
  gather: (x: Tensor, index: Tensor, y: Tensor, picks: Picks): BackwardRule => (ctx, dy) => {
    const { grad, accumulate } = ctx.target(x);
    gatherBackward(index, upstream(dy, x.gpu, y.shape), grad, picks, accumulate);
  },
};

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

/** float64 y and dx from the definition, with an index per element of y (select: per position p). */
export function gatherReference(x: ArrayLike<number>, index: ArrayLike<number>, dy: ArrayLike<number>, { outer, n, k, inner, select }: Picks) {
  const y = new Float64Array(outer * k * inner);
  const dx = new Float64Array(outer * n * inner);
  for (let o = 0; o < outer; o++) {
    for (let p = 0; p < k; p++) {
      for (let q = 0; q < inner; q++) {
        const i = (o * k + p) * inner + q;
        const c = index[select ? p : i]!;
        if (c < 0 || c >= n) {
          y[i] = NaN;
          continue;
        }
        y[i] = x[(o * n + c) * inner + q]!;
        dx[(o * n + c) * inner + q]! += dy[i]!;
      }
    }
  }
  return { y, dx };
}

const cases: KernelCase[] = [];
// Awkward geometries: a picked dimension first, in the middle and last; more picks than entries (so
// elements are picked twice and their gradients add up) and fewer (some never picked); one index out
// of range in each case.
for (const picks of [
  { outer: 1, n: 7, k: 5, inner: 3, select: false },
  { outer: 4, n: 3, k: 9, inner: 2, select: false },
  { outer: 6, n: 10, k: 1, inner: 1, select: false },
  { outer: 1, n: 50, k: 70, inner: 8, select: true }, // an embedding: 70 lookups of rows of 8
  { outer: 3, n: 5, k: 4, inner: 7, select: true },
] as Picks[]) {
  const { outer, n, k, inner, select } = picks;
  for (const accumulate of [false, true]) {
    cases.push(kernelCase({
      name: `gather ${select ? 'index_select' : 'gather'} [${outer}, ${n}, ${inner}] → [${outer}, ${k}, ${inner}]${accumulate ? ' backward accumulate' : ''}`,
      entries: ['forward', 'backward'],
      dims: { n: outer * n * inner },
      showcase: !select && !accumulate && outer === 1,
      setup(s, _, random) {
        const count = select ? k : outer * k * inner;
        const index = Array.from(integers(random, count, n));
        index[Math.floor(count / 2)] = accumulate ? -1 : n; // out of range: NaN, and no gradient
        const [x, dy, previous] = [uniform(random, outer * n * inner), uniform(random, outer * k * inner), uniform(random, outer * n * inner)];
        const reference = gatherReference(x, index, dy, picks);
        const [xt, it, dyt] = [s.input(x), s.input(index, [count], 'i32', 'index'), s.input(dy)];
        const [y, dx] = [s.output([outer * k * inner], 'y'), s.output([outer * n * inner], 'dx')];
        if (accumulate) dx.write(previous);
        return {
          run() {
            gather(xt, it, y, picks);
            gatherBackward(it, dyt, dx, picks, accumulate);
          },
          async check() {
            await s.check('y', y, reference.y, 0, 0);
            await s.check('dx', dx, reference.dx.map((v, i) => v + (accumulate ? Math.fround(previous[i]!) : 0)), 1e-6, 1e-6);
          },
        };
      },
    }));
  }
}

cases.push(
  // An embedding lookup: the bench's row (K rows of D floats read and written).
  kernelCase({
    name: 'gather embedding lookup K rows of D from V',
    entries: ['forward'],
    dims: { V: 50, K: 70, D: 8 },
    setup(s, { V, K, D }, random) {
      const picks: Picks = { outer: 1, n: V, k: K, inner: D, select: true };
      const [x, index] = [uniform(random, V * D), Array.from(integers(random, K, V))];
      const [xt, it, y] = [s.input(x), s.input(index, [K], 'i32', 'index'), s.output([K * D])];
      return { run: () => gather(xt, it, y, picks), check: () => s.check('y', y, gatherReference(x, index, new Float64Array(K * D), picks).y, 0, 0) };
    },
    bench: { sizes: [{ V: 1000, K: 512, D: 64 }, { V: 30000, K: 8192, D: 128 }], bytes: (d) => 8 * d.K! * d.D! },
  }),
  testCase('gather bad arguments are rejected before dispatch', (s, random) => {
    const x = s.input(uniform(random, 12));
    const picks: Picks = { outer: 3, n: 4, k: 2, inner: 1, select: false };
    s.expectError('x of the wrong size', () => gather(s.input(uniform(random, 10)), s.input([0, 1, 2, 3, 0, 1], [6], 'i32'), s.output([6]), picks), /gather: argument 'x' expected 12 elements \(3 × 4 × 1\), got 10/);
    s.expectError('an f32 index', () => gather(x, s.input([0, 1, 2, 3, 0, 1]), s.output([6]), picks), /gather: argument 'index' expected dtype i32, got f32/);
    s.expectError('an index of the wrong size', () => gather(x, s.input([0, 1], [2], 'i32'), s.output([6]), picks), /gather: argument 'index' expected 6 elements, got shape \[2\]/);
    s.expectError('backward dx of the wrong size', () => gatherBackward(s.input([0, 1], [2], 'i32'), s.input(uniform(random, 6)), s.output([5]), { ...picks, select: true }), /gatherBackward: argument 'dx' expected 12 elements/);
  }),
);

export const spec: Spec = cases;
