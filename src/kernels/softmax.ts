// shaders/softmax.wgsl: softmax and log-softmax along any one dimension (torch.softmax,
// torch.log_softmax), forward and backward; both backward rules read the forward's output y.
import type { Gpu } from '../device/gpu';
import { grid1d, loadShader } from '../device/shader';
import { shaderSource } from '../device/shader-sources';
import { sizeClass, type TuningJob } from '../device/tuner';
import { expectSameSize, shapeText } from '../launch';
import * as ref from '../reference/softmax';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { compare } from '../spec/compare';
import { kernelCase, testCase, type CaseScope, type KernelCase, type Spec } from '../spec/scope';
import { Tensor, type BackwardRule } from '../tensor';
import { expectReductionVariant, REDUCTION_VARIANTS, type ReductionVariant } from './reduce';

export const shader = loadShader('softmax');

/** dim as a non-negative index into shape; an Error naming the op and the valid range otherwise. */
export function resolveDim(op: string, shape: readonly number[], dim: number): number {
  const rank = shape.length;
  if (!Number.isInteger(dim) || dim < -rank || dim >= rank) throw new Error(`${op}: argument 'dim' expected an integer in [${-rank}, ${rank - 1}] for an input of shape ${shapeText(shape)}, got ${dim !== null && typeof dim === 'object' ? `${JSON.stringify(dim)} (dim is the second argument here: F.${op}(x, -1))` : String(dim)}`);
  return dim < 0 ? dim + rank : dim;
}

/** The rows around `dim`: rows = outer · inner, each C values at stride inner. */
function rowsAround(op: string, shape: readonly number[], dim: number): { rows: number; C: number; inner: number } {
  const d = resolveDim(op, shape, dim);
  const { outer, C, inner } = ref.around(shape, d);
  return { rows: outer * inner, C, inner };
}

/**
 * One dispatch of the family: v1 (serial) runs `entryName`, one invocation per row; v2 (tree) runs
 * `entryName`_tree, one workgroup of 256 per row. Without a variant, the tuner's pick for this op,
 * row count and row length (default serial; rows shorter than 256 always serial).
 */
function perRow(op: string, entryName: string, args: Record<string, Tensor>, dim: number, accumulate: boolean | undefined, explicitVariant: ReductionVariant | undefined): void {
  expectSameSize(op, args);
  const first = Object.values(args)[0]!;
  const params = rowsAround(op, first.shape, dim);
  const { rows, C, inner } = params;
  const gpu = first.gpu;
  // Rows of a non-last dimension (inner > 1) are strided: v1 reads them coalesced across rows, v2 not.
  const key = `${op} rows≤${sizeClass(rows)} C≤${sizeClass(C)}${inner > 1 ? ' strided' : ''}`;
  // A row shorter than v2's workgroup leaves most of its 256 lanes idle: v1 then, untimed (timing
  // v2 on 65,536 rows of 10 took ~70 s on SwiftShader, where each barrier is a coroutine switch).
  const variant = explicitVariant ?? (C < TREE_WORKGROUP ? 'serial' : gpu.tuner.choose(key, 'serial', () => tuningJob(gpu, op, rows, C, inner, accumulate)));
  expectReductionVariant(op, variant);
  const tree = variant === 'tree';
  const entry = shader.entry(tree ? `${entryName}_tree` : entryName);
  const grid = grid1d(entry, tree ? rows * TREE_WORKGROUP : rows);
  gpu.dispatch(entry, { params, ...args }, grid, accumulate === undefined ? {} : { ACCUMULATE: accumulate });
}

/** v2's workgroup, as @workgroup_size(256) in softmax.wgsl: one per row. */
const TREE_WORKGROUP = 256;

/** Times both variants of op on scratch tensors of the row layout first seen ([outer, C, inner] along 1). */
function tuningJob(gpu: Gpu, op: string, rows: number, C: number, inner: number, accumulate: boolean | undefined): TuningJob {
  const shape = [rows / inner, C, inner];
  return {
    shape: shapeText(shape),
    fallback: 'serial',
    candidates: REDUCTION_VARIANTS,
    prepare() {
      const [a, b, c] = [0, 1, 2].map(() => Tensor.empty(gpu, shape, 'f32', `tuning ${op}`)) as [Tensor, Tensor, Tensor];
      const launch: Record<string, (v: ReductionVariant) => void> = {
        softmax: (v) => softmax(a, b, 1, v),
        logSoftmax: (v) => logSoftmax(a, b, 1, v),
        softmaxBackward: (v) => softmaxBackward(a, b, c, 1, accumulate, v),
        logSoftmaxBackward: (v) => logSoftmaxBackward(a, b, c, 1, accumulate, v),
      };
      return { run: (v) => launch[op]!(v as ReductionVariant), destroy: () => [a, b, c].forEach((t) => t.destroy()) };
    },
  };
}

/** y = softmax(x) along dim. */
export function softmax(x: Tensor, y: Tensor, dim: number, variant?: ReductionVariant): void {
  perRow('softmax', 'softmax_forward', { x, y }, dim, undefined, variant);
}

/** y = log softmax(x) along dim. */
export function logSoftmax(x: Tensor, y: Tensor, dim: number, variant?: ReductionVariant): void {
  perRow('logSoftmax', 'log_softmax_forward', { x, y }, dim, undefined, variant);
}

/** dx = y ⊙ (dy − Σ dy ⊙ y) per row, from the forward's output y. */
export function softmaxBackward(y: Tensor, dy: Tensor, dx: Tensor, dim: number, accumulate = false, variant?: ReductionVariant): void {
  perRow('softmaxBackward', 'softmax_backward', { y_saved: y, dy, dx }, dim, accumulate, variant);
}

/** dx = dy − e^y · Σ dy per row, from the forward's output y (the log-probabilities). */
export function logSoftmaxBackward(y: Tensor, dy: Tensor, dx: Tensor, dim: number, accumulate = false, variant?: ReductionVariant): void {
  perRow('logSoftmaxBackward', 'log_softmax_backward', { y_saved: y, dy, dx }, dim, accumulate, variant);
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
interface ShapeCase {
  shape: number[];
  dim: number;
  /** Logits uniform in ±scale. */
  scale: number;
  /** Also the backward with ACCUMULATE. */
  accumulate?: boolean;
  /** One row all −∞: NaN out, as in PyTorch. */
  negInf?: boolean;
  /** One NaN logit in the last row: that row all NaN, as in PyTorch. */
  nan?: boolean;
}
// v1 (serial): C = 1, primes, a long row, dims other than the last, ±1e4 logits (the max
// subtraction keeps e^x finite; on a non-last dim too, where the max must step by the stride), a row of −∞, more rows than one workgroup (70), and rows past 65,535 workgroups.
const serialShapes: ShapeCase[] = [
  { shape: [1, 1], dim: -1, scale: 3 },
  { shape: [5, 1], dim: 1, scale: 3 },
  { shape: [1, 7], dim: -1, scale: 3 },
  { shape: [37, 10], dim: 1, scale: 5, accumulate: true },
  { shape: [3, 4099], dim: -1, scale: 5 },
  { shape: [6, 3], dim: -1, scale: 1e4 },
  { shape: [4, 5, 3], dim: 1, scale: 4 },
  { shape: [4, 5, 3], dim: 1, scale: 1e4 },
  { shape: [2, 3, 4, 5], dim: 0, scale: 4 },
  { shape: [67], dim: 0, scale: 4 },
  { shape: [4, 7], dim: -1, scale: 3, negInf: true },
  { shape: [5, 6, 3], dim: 1, scale: 3, nan: true, accumulate: true },
  { shape: [70, 3], dim: -1, scale: 3 },
  { shape: [PAST_GRID_LIMIT, 2], dim: -1, scale: 4 },
];
// v2 (tree, a workgroup of 256 per row): C around the workgroup size (1, 255, 256, 257), a long
// row of a non-last dim (4099 at stride 3), one row (a 1-D tensor), ±1e4 logits, a row of −∞;
// more than 65,535 rows in 'softmax v2 tree finds its row on a 2-D grid'. Kept small: each barrier
// is slow on SwiftShader.
const treeShapes: ShapeCase[] = [
  { shape: [1, 1], dim: -1, scale: 3 },
  { shape: [3, 255], dim: -1, scale: 5 },
  { shape: [2, 256], dim: -1, scale: 5, accumulate: true },
  { shape: [2, 257], dim: 1, scale: 5 },
  { shape: [2, 4099, 3], dim: 1, scale: 5, accumulate: true },
  { shape: [1000], dim: 0, scale: 5 },
  { shape: [4, 5, 3], dim: 1, scale: 4 },
  { shape: [4, 5, 3], dim: 1, scale: 1e4 },
  { shape: [5, 300], dim: -1, scale: 1e4, accumulate: true },
  { shape: [3, 300], dim: -1, scale: 3, negInf: true, accumulate: true },
  { shape: [3, 300], dim: -1, scale: 3, nan: true },
];
const huge = (shape: number[]) => shape[0]! > 65535;
type SoftmaxDims = { outer: number; C: number; inner: number };

/** The case's own shape and dim at its own dims; other dims (the inspector's) as [outer, C, inner] along 1. */
function layout(shape: number[], dim: number, d: SoftmaxDims): { shape: number[]; dim: number; size: number } {
  const own = ref.around(shape, dim);
  const same = own.outer === d.outer && own.C === d.C && own.inner === d.inner;
  return same ? { shape, dim, size: d.outer * d.C * d.inner } : { shape: [d.outer, d.C, d.inner], dim: 1, size: d.outer * d.C * d.inner };
}

/**
 * Logits uniform in ±scale; with negInf, the middle row (o, i) = (⌊outer/2⌋, 0) all −∞; with nan,
 * the last row's (o, i) = (outer − 1, inner − 1) middle value NaN.
 */
function logits(random: () => number, d: SoftmaxDims, scale: number, negInf: boolean | undefined, nan?: boolean): Float64Array {
  const x = uniform(random, d.outer * d.C * d.inner, -scale, scale);
  if (negInf) for (let j = 0; j < d.C; j++) x[(Math.floor(d.outer / 2) * d.C + j) * d.inner] = -Infinity;
  if (nan) x[((d.outer - 1) * d.C + Math.floor(d.C / 2)) * d.inner + d.inner - 1] = NaN;
  return x;
}

for (const variant of REDUCTION_VARIANTS) {
  const tree = variant === 'tree';
  const suffix = tree ? ' v2 tree' : '';
  for (const log of [false, true]) {
    const op = log ? 'log_softmax' : 'softmax';
    const forward = log ? logSoftmax : softmax;
    const backward = log ? logSoftmaxBackward : softmaxBackward;
    for (const { shape: caseShape, dim: caseDim, scale, accumulate: alsoAccumulate, negInf, nan } of tree ? treeShapes : serialShapes) {
      const showcase = tree ? caseShape.length === 1 : caseShape[0] === 37;
      const dims: SoftmaxDims = ref.around(caseShape, caseDim);
      const name = `${op} [${caseShape.join(', ')}] dim=${caseDim}${scale >= 1e4 ? ' logits ±1e4' : ''}${negInf ? ' a row of −∞' : ''}${nan ? ' a NaN logit' : ''}`;
      // Past the grid limit (v1), softmax's forward only: all four entry points find their row with row_index().
      if (!(huge(caseShape) && log)) {
        cases.push(
          kernelCase({
            name: `${name} forward${suffix}`,
            entries: [`${op}_forward${tree ? '_tree' : ''}`],
            variant: tree ? 'v2 tree' : 'v1 serial',
            dims,
            showcase,
            setup(s, d, random) {
              const { shape, dim } = layout(caseShape, caseDim, d);
              const x = logits(random, d, scale, negInf, nan);
              const [xt, y] = [s.input(x, shape), s.output(shape)];
              // Log-probabilities reach −2·scale: their error is relative to the logits' size.
              return { run: () => forward(xt, y, dim, variant), check: () => s.check('y', y, ref.softmax(x, shape, dim, log), log ? 1e-6 * scale : 1e-7, 1e-5) };
            },
            // v1 at the peers' shapes (10 classes); v2, a workgroup a row, at long rows, where it is meant
            // to win (at 10 classes SwiftShader took 4.3 s a run for 10,000 rows: a coroutine switch a barrier).
            ...(showcase && !log ? { bench: { sizes: tree ? [{ outer: 10, C: 1000, inner: 1 }, { outer: 100, C: 10_000, inner: 1 }, { outer: 10, C: 1_000_000, inner: 1 }] : [1e3, 1e5, 1e6].map((n) => ({ outer: n / 10, C: 10, inner: 1 })), bytes: (d: Partial<SoftmaxDims>) => 8 * d.outer! * d.C! * d.inner! } } : {}),
          }),
        );
      }
      if (huge(caseShape)) continue;
      for (const accumulate of alsoAccumulate ? [false, true] : [false]) {
        cases.push(
          kernelCase({
            name: `${name} backward${accumulate ? ' accumulate' : ''}${suffix}`,
            entries: [`${op}_backward${tree ? '_tree' : ''}`],
            variant: tree ? 'v2 tree' : 'v1 serial',
            dims,
            showcase: showcase && !accumulate,
            setup(s, d, random) {
              const { shape, dim, size } = layout(caseShape, caseDim, d);
              const [x, dy, previous] = [logits(random, d, scale, negInf, nan), uniform(random, size), uniform(random, size)];
              const [y, dx] = [s.output(shape, 'y'), s.output(shape, 'dx')];
              if (accumulate) dx.write(previous);
              forward(s.input(x, shape), y, dim, variant);
              const dyt = s.input(dy, shape);
              const expected = ref.softmaxBackward(x, dy, shape, dim, log).map((v, i) => v + (accumulate ? previous[i]! : 0));
              return {
                run: () => backward(y, dyt, dx, dim, accumulate, variant),
                // Σ over a row of C terms: the absolute error grows with the row's length.
                check: () => s.check('dx', dx, expected, 1e-6 * Math.sqrt(d.C), 1e-4),
              };
            },
          }),
        );
      }
    }
  }
}
/**
 * Both variants find their row on a grid folded into 2-D, as past 65,535 workgroups (grid1d): 100
 * rows of a non-last dim, each op's forward and backward entry points dispatched directly on `grid`.
 */
const foldedGridCase = (name: string, suffix: string, grid: [number, number]) =>
  testCase(name, async (s, random) => {
    const [shape, dim] = [[20, 3, 5], 1];
    const params = { rows: 100, C: 3, inner: 5 };
    const [x, dy] = [uniform(random, 300, -4, 4), uniform(random, 300)];
    const xt = s.input(x, shape);
    const dyt = s.input(dy, shape);
    for (const log of [false, true]) {
      const op = log ? 'log_softmax' : 'softmax';
      const [y, dx] = [s.output(shape, 'y'), s.output(shape, 'dx')];
      s.gpu.dispatch(shader.entry(`${op}_forward${suffix}`), { params, x: xt, y }, grid);
      s.gpu.dispatch(shader.entry(`${op}_backward${suffix}`), { params, y_saved: y, dy: dyt, dx }, grid);
      await s.check(`${op} y`, y, ref.softmax(x, shape, dim, log), 1e-5, 1e-5);
      await s.check(`${op} dx`, dx, ref.softmaxBackward(x, dy, shape, dim, log), 1e-5, 1e-4);
    }
  });
cases.push(
  // v2: a real spill takes minutes on SwiftShader (over 120 s for 65,537 rows of 2); 7 × 15 = 105
  // workgroups for 100 rows (row = wid.x + 7 · wid.y; the last 5 have no row).
  foldedGridCase('softmax v2 tree finds its row on a 2-D grid (as past 65,535 rows)', '_tree', [7, 15]),
  // v1 (its real spill case runs the softmax forward only, and Node skips it): one invocation per
  // row on 1 × 2 workgroups of 64 (row = gid.x + 64 · gid.y).
  foldedGridCase('softmax v1 finds its row on a 2-D grid (as past 65,535 workgroups)', '', [1, 2]),
  testCase('softmax bad input is rejected before dispatch', (s, random) => {
    const v = s.input(uniform(random, 6), [2, 3]);
    s.expectError('dim out of range', () => softmax(v, s.output([2, 3]), 2), /softmax: argument 'dim' expected an integer in \[-2, 1\] for an input of shape \[2, 3\], got 2/);
    s.expectError('dim not an integer', () => logSoftmax(v, s.output([2, 3]), 0.5), /logSoftmax: argument 'dim' expected an integer in \[-2, 1\]/);
    s.expectError('size mismatch', () => softmax(v, s.output([7]), 1), /softmax: argument 'y' expected 6 elements \(as 'x'\), got shape \[7\]/);
  }),
);

// One row of 300,007 logits near 0.1 (every e^(x − m) near 1, their roundings leaning one way): one
// running total of the sums over the row was 1.7e-5 off in numpy, each BlockedSum level's 64 keep it
// near 1e-7. Log-probabilities (≈ −12.6, whose float32 spacing is 9.5e-7) within 2e-6; probabilities
// to 4e-6; the backward's Σ dy (the log-softmax's) and Σ dy · y (the softmax's) through dx.
for (const variant of ['serial', 'tree'] as const) {
  for (const log of [false, true]) {
    cases.push(kernelCase({
      name: `${log ? 'log-softmax' : 'softmax'} of one row of 300007 values near 0.1: its sums added in blocks${variant === 'tree' ? ', v2 tree' : ''}`,
      entries: [`${log ? 'log_softmax' : 'softmax'}_forward${variant === 'tree' ? '_tree' : ''}`, `${log ? 'log_softmax' : 'softmax'}_backward${variant === 'tree' ? '_tree' : ''}`],
      variant: variant === 'tree' ? 'v2 tree' : 'v1 serial',
      dims: { C: 300_007 },
      setup(s, { C }, random) {
        const shape = [1, C];
        const x = uniform(random, C, 0.1, 0.11);
        const dy = uniform(random, C, 0.1, 0.11);
        const [xt, dyt, y, dx] = [s.input(x, shape), s.input(dy, shape), s.output(shape, 'y'), s.output(shape, 'dx')];
        return {
          run: () => {
            (log ? logSoftmax : softmax)(xt, y, 1, variant);
            (log ? logSoftmaxBackward : softmaxBackward)(y, dyt, dx, 1, false, variant);
          },
          check: async () => {
            await s.check('y', y, ref.softmax(x, shape, 1, log), log ? 2e-6 : 0, log ? 0 : 4e-6);
            // dx is a difference of near-equal terms: log-softmax's e^y · Σ dy ≈ 0.105 carries y's own
            // float32 rounding (≈ 1e-6 of −12.6, so 2e-7 of dx) beside the sum's.
            await s.check('dx', dx, ref.softmaxBackward(x, dy, shape, 1, log), log ? 4e-7 : 1e-12, 4e-6);
          },
        };
      },
    }));
  }
}

/** The blocked-sum block (struct BlockedSum … fn total_of) of a shader's source. */
function blockedSumText(source: string): string {
  const match = /\nstruct BlockedSum \{[\s\S]*?\nfn total_of\([\s\S]*?\n}\n/.exec(source);
  return match ? match[0] : '';
}

// softmax_cross_entropy.wgsl carries a twin of BlockedSum (each .wgsl reads alone): the same text.
cases.push(
  testCase("softmax's BlockedSum is softmax_cross_entropy's (the same WGSL text)", (s) => {
    const [ours, theirs] = [blockedSumText(shaderSource('softmax')), blockedSumText(shaderSource('softmax_cross_entropy'))];
    s.expect('softmax.wgsl has the block', ours.length > 400, `${ours.length} characters`);
    const firstDifference = [...ours].findIndex((ch, i) => ch !== theirs[i]);
    s.expect('identical in softmax_cross_entropy.wgsl', ours === theirs, ours === theirs ? `${ours.length} characters match` : `differs at character ${firstDifference}: '${ours.slice(firstDifference, firstDifference + 40)}' vs '${theirs.slice(firstDifference, firstDifference + 40)}'`);
  }),
);

export const spec: Spec = cases;
