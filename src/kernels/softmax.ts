// shaders/softmax.wgsl: softmax and log-softmax along any one dimension (torch.softmax,
// torch.log_softmax), forward and backward; both backward rules read the forward's output y.
import { grid1d, loadShader } from '../device/shader';
import { expectSameSize, shapeText } from '../launch';
import * as ref from '../reference/softmax';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import type { BackwardRule, Tensor } from '../tensor';

export const shader = loadShader('softmax');

/** dim as a non-negative index into shape; an Error naming the op and the valid range otherwise. */
export function resolveDim(op: string, shape: readonly number[], dim: number): number {
  const rank = shape.length;
  if (!Number.isInteger(dim) || dim < -rank || dim >= rank) throw new Error(`${op}: argument 'dim' expected an integer in [${-rank}, ${rank - 1}] for an input of shape ${shapeText(shape)}, got ${String(dim)}`);
  return dim < 0 ? dim + rank : dim;
}

/** The rows around `dim`: rows = outer · inner, each C values at stride inner. */
function rowsAround(op: string, shape: readonly number[], dim: number): { rows: number; C: number; inner: number } {
  const d = resolveDim(op, shape, dim);
  const { outer, C, inner } = ref.around(shape, d);
  return { rows: outer * inner, C, inner };
}

function perRow(op: string, entryName: string, args: Record<string, Tensor>, dim: number, accumulate?: boolean): void {
  expectSameSize(op, args);
  const first = Object.values(args)[0]!;
  const params = rowsAround(op, first.shape, dim);
  const entry = shader.entry(entryName);
  first.gpu.dispatch(entry, { params, ...args }, grid1d(entry, params.rows), accumulate === undefined ? {} : { ACCUMULATE: accumulate });
}

/** y = softmax(x) along dim. */
export function softmax(x: Tensor, y: Tensor, dim: number): void {
  perRow('softmax', 'softmax_forward', { x, y }, dim);
}

/** y = log softmax(x) along dim. */
export function logSoftmax(x: Tensor, y: Tensor, dim: number): void {
  perRow('logSoftmax', 'log_softmax_forward', { x, y }, dim);
}

/** dx = y ⊙ (dy − Σ dy ⊙ y) per row, from the forward's output y. */
export function softmaxBackward(y: Tensor, dy: Tensor, dx: Tensor, dim: number, accumulate = false): void {
  perRow('softmaxBackward', 'softmax_backward', { y_saved: y, dy, dx }, dim, accumulate);
}

/** dx = dy − e^y · Σ dy per row, from the forward's output y (the log-probabilities). */
export function logSoftmaxBackward(y: Tensor, dy: Tensor, dx: Tensor, dim: number, accumulate = false): void {
  perRow('logSoftmaxBackward', 'log_softmax_backward', { y_saved: y, dy, dx }, dim, accumulate);
}

export const gradients = {
  softmax: (x: Tensor, y: Tensor, dim: number, log: boolean): BackwardRule => (ctx, dy) => {
    if (dy === null) throw new Error(`${log ? 'logSoftmax' : 'softmax'}: backward cannot start here (its output is not a scalar loss)`);
    const { grad, accumulate } = ctx.target(x);
    (log ? logSoftmaxBackward : softmaxBackward)(y, dy, grad, dim, accumulate);
  },
};

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

const cases: KernelCase[] = [];
// [shape, dim, logit range]: C = 1, primes, a long row, dims other than the last, ±1e4 logits (the
// max subtraction keeps e^x finite), and rows past 65,535 workgroups.
const shapes: [number[], number, number][] = [
  [[1, 1], -1, 3],
  [[5, 1], 1, 3],
  [[1, 7], -1, 3],
  [[37, 10], 1, 5],
  [[3, 4099], -1, 5],
  [[6, 3], -1, 1e4],
  [[4, 5, 3], 1, 4],
  [[2, 3, 4, 5], 0, 4],
  [[67], 0, 4],
  [[PAST_GRID_LIMIT, 2], -1, 4],
];
type SoftmaxDims = { outer: number; C: number; inner: number };

/** The case's own shape and dim at its own dims; other dims (the inspector's) as [outer, C, inner] along 1. */
function layout(shape: number[], dim: number, d: SoftmaxDims): { shape: number[]; dim: number; size: number } {
  const own = ref.around(shape, dim);
  const same = own.outer === d.outer && own.C === d.C && own.inner === d.inner;
  return same ? { shape, dim, size: d.outer * d.C * d.inner } : { shape: [d.outer, d.C, d.inner], dim: 1, size: d.outer * d.C * d.inner };
}

for (const log of [false, true]) {
  const op = log ? 'log_softmax' : 'softmax';
  const forward = log ? logSoftmax : softmax;
  for (const [caseShape, caseDim, scale] of shapes) {
    const huge = caseShape[0] === PAST_GRID_LIMIT;
    const showcase = caseShape[0] === 37;
    const dims: SoftmaxDims = ref.around(caseShape, caseDim);
    const name = `${op} [${caseShape.join(', ')}] dim=${caseDim}${scale >= 1e4 ? ' logits ±1e4' : ''}`;
    // Past the grid limit, softmax's forward only: all four entry points find their row with row_index().
    if (!(huge && log)) {
      cases.push(
        kernelCase({
          name: `${name} forward`,
          entries: [`${op}_forward`],
          dims,
          showcase,
          setup(s, d, random) {
            const { shape, dim, size } = layout(caseShape, caseDim, d);
            const x = uniform(random, size, -scale, scale);
            const [xt, y] = [s.input(x, shape), s.output(shape)];
            // Log-probabilities reach −2·scale: their error is relative to the logits' size.
            return { run: () => forward(xt, y, dim), check: () => s.check('y', y, ref.softmax(x, shape, dim, log), log ? 1e-6 * scale : 1e-7, 1e-5) };
          },
          ...(showcase && !log ? { bench: { sizes: [1e3, 1e5, 1e6].map((n) => ({ outer: n / 10, C: 10, inner: 1 })), bytes: (d: Partial<SoftmaxDims>) => 8 * d.outer! * d.C! * d.inner! } } : {}),
        }),
      );
    }
    if (huge) continue;
    for (const accumulate of showcase ? [false, true] : [false]) {
      cases.push(
        kernelCase({
          name: `${name} backward${accumulate ? ' accumulate' : ''}`,
          entries: [`${op}_backward`],
          dims,
          showcase: showcase && !accumulate,
          setup(s, d, random) {
            const { shape, dim, size } = layout(caseShape, caseDim, d);
            const [x, dy, previous] = [uniform(random, size, -scale, scale), uniform(random, size), uniform(random, size)];
            const [y, dx] = [s.output(shape, 'y'), s.output(shape, 'dx')];
            if (accumulate) dx.write(previous);
            forward(s.input(x, shape), y, dim);
            const dyt = s.input(dy, shape);
            const expected = ref.softmaxBackward(x, dy, shape, dim, log).map((v, i) => v + (accumulate ? previous[i]! : 0));
            return {
              run: () => (log ? logSoftmaxBackward : softmaxBackward)(y, dyt, dx, dim, accumulate),
              // Σ over a row of C terms: the absolute error grows with the row's length.
              check: () => s.check('dx', dx, expected, 1e-6 * Math.sqrt(d.C), 1e-4),
            };
          },
        }),
      );
    }
  }
}
cases.push(
  testCase('softmax bad input is rejected before dispatch', (s, random) => {
    const v = s.input(uniform(random, 6), [2, 3]);
    s.expectError('dim out of range', () => softmax(v, s.output([2, 3]), 2), /softmax: argument 'dim' expected an integer in \[-2, 1\] for an input of shape \[2, 3\], got 2/);
    s.expectError('dim not an integer', () => logSoftmax(v, s.output([2, 3]), 0.5), /logSoftmax: argument 'dim' expected an integer in \[-2, 1\]/);
    s.expectError('size mismatch', () => softmax(v, s.output([7]), 1), /softmax: argument 'y' expected 6 elements \(as 'x'\), got shape \[7\]/);
  }),
);

export const spec: Spec = cases;
