// shaders/select.wgsl: comparisons and logical ops as f32 masks (F.gt, F.ge, F.lt, F.le, F.eq, F.ne,
// F.logicalAnd, F.logicalOr, F.logicalXor, F.logicalNot) and where(condition, a, b) (F.where), with
// where's gradient to each side.
import { grid1d, loadShader } from '../device/shader';
import { expectSameSize } from '../launch';
import { show } from '../options';
import { uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import { upstream, type BackwardRule, type Tensor } from '../tensor';

export const shader = loadShader('select');

/** The shader's OP for each comparison and logical op (logicalNot reads a only). */
const OPS = { gt: 0, ge: 1, lt: 2, le: 3, eq: 4, ne: 5, logicalAnd: 6, logicalOr: 7, logicalXor: 8, logicalNot: 9 } as const;
export type Comparison = keyof typeof OPS;

/** A number operand: any number but NaN (±∞ too: where(mask, x, −∞) masks attention scores); it is rounded to float32. */
export function expectNumber(op: string, name: string, v: unknown): void {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`${op}: argument '${name}' expected a Tensor or a number (±∞ included), got ${show(v)}`);
}

/** mask = 1 where a OP b, else 0; b a tensor of a's size, or a number. */
export function compare(op: Comparison, a: Tensor, b: Tensor | number, mask: Tensor): void {
  if (typeof b === 'number') expectNumber(op, 'other', b);
  expectSameSize(op, { a, ...(typeof b === 'number' ? {} : { b }), mask });
  const entry = shader.entry('compare');
  const args = { params: { n: a.size, number: typeof b === 'number' ? b : 0 }, a, b: typeof b === 'number' ? a : b, y: mask };
  a.gpu.dispatch(entry, args, grid1d(entry, a.size), { OP: OPS[op], B_IS_NUMBER: typeof b === 'number' });
}

/** y = a where condition ≠ 0 (or NaN), else b (a tensor of a's size, or a number). */
export function where(condition: Tensor, a: Tensor, b: Tensor | number, y: Tensor): void {
  if (typeof b === 'number') expectNumber('where', 'other', b);
  expectSameSize('where', { condition, a, ...(typeof b === 'number' ? {} : { b }), y });
  const entry = shader.entry('where_forward');
  const args = { params: { n: a.size, number: typeof b === 'number' ? b : 0 }, condition, a, b: typeof b === 'number' ? a : b, y };
  a.gpu.dispatch(entry, args, grid1d(entry, a.size), { B_IS_NUMBER: typeof b === 'number' });
}

/** dx = dy where the condition picked side a (sideA) or b, else 0; with accumulate, dx += …. */
export function whereBackward(condition: Tensor, dy: Tensor, dx: Tensor, sideA: boolean, accumulate = false): void {
  expectSameSize('whereBackward', { condition, dy, dx });
  const entry = shader.entry('where_backward');
  dx.gpu.dispatch(entry, { params: { n: dx.size, number: 0 }, condition, dy, dx }, grid1d(entry, dx.size), { SIDE_A: sideA, ACCUMULATE: accumulate });
}

export const gradients = {
  /** y = where(condition, a, b): d a = dy where it picked a, d b = dy where it picked b (b null: a number). */
  where: (condition: Tensor, a: Tensor, b: Tensor | null, y: Tensor): BackwardRule => (ctx, dy) => {
    const g = upstream(dy, y.gpu, y.shape);
    for (const [side, t] of [[true, a], [false, b]] as const) {
      if (!t?.requiresGrad) continue;
      const { grad, accumulate } = ctx.target(t);
      whereBackward(condition, g, grad, side, accumulate);
    }
  },
};

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

/** Truth as PyTorch's logical ops see a number: anything but ±0 (NaN !== 0 too). */
const truth = (v: number) => v !== 0;
const compareRef: Record<Comparison, (u: number, v: number) => boolean> = {
  gt: (u, v) => u > v, ge: (u, v) => u >= v, lt: (u, v) => u < v, le: (u, v) => u <= v, eq: (u, v) => u === v, ne: (u, v) => u !== v,
  logicalAnd: (u, v) => truth(u) && truth(v), logicalOr: (u, v) => truth(u) || truth(v), logicalXor: (u, v) => truth(u) !== truth(v), logicalNot: (u) => !truth(u),
};

const cases: KernelCase[] = [];
// Values on a coarse grid (ties and signed zeros are common), NaNs and infinities on either side;
// against a tensor and against a number.
for (const op of Object.keys(OPS) as Comparison[]) {
  cases.push(kernelCase({
    name: `select compare ${op}, ties, NaN and ±∞, n=133`,
    entries: ['compare'],
    dims: { n: 133 },
    setup(s, { n }, random) {
      const grid = (v: number) => Math.round(v * 2) / 2;
      const a = uniform(random, n, -2, 2).map(grid);
      const b = uniform(random, n, -2, 2).map(grid);
      [a[3], b[5], a[7], b[7], a[9], b[11]] = [NaN, NaN, NaN, NaN, Infinity, -Infinity];
      const [at, bt, mask, versus, infinite] = [s.input(a), s.input(b), s.output([n], 'a OP b'), s.output([n], 'a OP 0.5'), s.output([n], 'a OP −∞')];
      return {
        run() {
          compare(op, at, bt, mask);
          compare(op, at, 0.5, versus);
          compare(op, at, -Infinity, infinite);
        },
        async check() {
          await s.check(`${op}(a, b)`, mask, a.map((u, i) => (compareRef[op](u, b[i]!) ? 1 : 0)), 0, 0);
          await s.check(`${op}(a, 0.5)`, versus, a.map((u) => (compareRef[op](u, 0.5) ? 1 : 0)), 0, 0);
          await s.check(`${op}(a, −∞)`, infinite, a.map((u) => (compareRef[op](u, -Infinity) ? 1 : 0)), 0, 0);
        },
      };
    },
    ...(op === 'gt' ? { showcase: true } : {}),
  }));
}
cases.push(
  // where picks: an ∞ or NaN on the side not picked stays out of y and out of the gradients.
  kernelCase({
    name: 'select where forward and both sides backward, ∞ and NaN not picked, n=150',
    entries: ['where_forward', 'where_backward'],
    dims: { n: 150 },
    setup(s, { n }, random) {
      const c = uniform(random, n).map((v) => (v > 0 ? 1 : 0));
      c[4] = NaN; // picks a
      const a = uniform(random, n);
      const b = uniform(random, n);
      c.forEach((ci, i) => {
        if (ci === 0 && i % 5 === 0) a[i] = Infinity; // not picked
        if (ci !== 0 && i % 7 === 0) b[i] = NaN; // not picked
      });
      const [dy, previous] = [uniform(random, n), uniform(random, n)];
      const [ct, at, bt, dyt] = [s.input(c), s.input(a), s.input(b), s.input(dy)];
      const [y, yNumber, da, db] = [s.output([n], 'y'), s.output([n], 'y, b = −∞'), s.output([n], 'da'), s.output([n], 'db')];
      db.write(previous);
      const pickA = (i: number) => c[i] !== 0;
      return {
        run() {
          where(ct, at, bt, y);
          where(ct, at, -Infinity, yNumber);
          whereBackward(ct, dyt, da, true);
          whereBackward(ct, dyt, db, false, true);
        },
        async check() {
          await s.check('y', y, a.map((u, i) => (pickA(i) ? u : b[i]!)), 0, 0);
          await s.check('y with b = −∞ (a mask of scores)', yNumber, a.map((u, i) => (pickA(i) ? u : -Infinity)), 0, 0);
          await s.check('d a', da, dy.map((g, i) => (pickA(i) ? Math.fround(g) : 0)), 0, 0);
          await s.check('d b, accumulated', db, dy.map((g, i) => (pickA(i) ? 0 : Math.fround(g)) + Math.fround(previous[i]!)), 1e-7, 1e-6);
        },
      };
    },
  }),
  // where over n elements: the bench's row (three reads and a write per element).
  kernelCase({
    name: 'select where n',
    entries: ['where_forward'],
    dims: { n: 1000 },
    setup(s, { n }, random) {
      const [c, a, b] = [uniform(random, n), uniform(random, n), uniform(random, n)];
      const [ct, at, bt, y] = [s.input(c), s.input(a), s.input(b), s.output([n])];
      return { run: () => where(ct, at, bt, y), check: () => s.check('y', y, a.map((u, i) => (c[i] !== 0 ? u : b[i]!)), 0, 0) };
    },
    bench: { sizes: [1e4, 1e6].map((n) => ({ n })), bytes: (d) => 16 * d.n! },
  }),
  testCase('select bad input is rejected before dispatch', (s, random) => {
    const v = s.input(uniform(random, 4));
    s.expectError('size mismatch', () => compare('gt', v, s.input(uniform(random, 5)), s.output([4])), /gt: argument 'b' expected 4 elements/);
    s.expectError('a NaN number', () => compare('lt', v, NaN, s.output([4])), /lt: argument 'other' expected a Tensor or a number \(±∞ included\), got NaN/);
    s.expectError('where of another size', () => where(v, v, v, s.output([3])), /where: argument 'y' expected 4 elements/);
  }),
);

export const spec: Spec = cases;
