// shaders/reduce.wgsl: column sums, out[n] = Σ_m x[m, n] (a bias's gradient, F.sum's forward; its
// backward is arithmetic.ts's sumOver).
import { grid1d, loadShader } from '../device/shader';
import { sizeClass } from '../device/tuner';
import { expectDtype, expectRank, expectShape } from '../launch';
import * as ref from '../reference/linalg';
import { uniform } from '../spec/random';
import { kernelCase, type KernelCase, type Spec } from '../spec/scope';
import { Tensor } from '../tensor';

export const shader = loadShader('reduce');

/** Reductions: v1 one invocation loops serially (barrier-free); v2 a workgroup tree. */
export type ReductionVariant = 'serial' | 'tree';
export const REDUCTION_VARIANTS: readonly ReductionVariant[] = ['serial', 'tree'];

export function expectReductionVariant(op: string, variant: ReductionVariant): void {
  if (!REDUCTION_VARIANTS.includes(variant)) throw new Error(`${op}: argument 'variant' expected ${REDUCTION_VARIANTS.join(' or ')}, got ${variant}`);
}

/** Columns longer than this are summed in chunks of SUM_CHUNK rows, level by level (reduce.wgsl's header). */
export const LONG_COLUMN = 1024;
export const SUM_CHUNK = 64;

/**
 * out[n] = Σ_m x[m, n]; with accumulate, out[n] += …. Without a variant, the tuner's pick (default
 * serial). Past LONG_COLUMN rows, the column sums of chunks of SUM_CHUNK rows first (v1), and of
 * those again, until LONG_COLUMN rows or fewer are left for the variant.
 */
export function sumRows(x: Tensor, out: Tensor, accumulate = false, explicitVariant?: ReductionVariant, alpha = 1): void {
  // Checked before the first level's dispatch, as the shapes are at each level.
  if (!Number.isFinite(alpha)) throw new Error(`sumRows: argument 'alpha' expected a finite number, got ${alpha}`);
  if (explicitVariant !== undefined) expectReductionVariant('sumRows', explicitVariant);
  sumRowsAt(0, x, out, accumulate, explicitVariant, alpha);
}

/** sumRows at a level of chunks: each level's partial sums in a scratch of its own, read by the next; alpha scales the last. */
function sumRowsAt(level: number, x: Tensor, out: Tensor, accumulate: boolean, explicitVariant: ReductionVariant | undefined, alpha: number): void {
  const op = 'sumRows';
  expectRank(op, 'x', x, [2]);
  expectDtype(op, 'x', x, 'f32');
  const [M, N] = [x.shape[0]!, x.shape[1]!];
  expectShape(op, 'out', out, [N]);
  const gpu = x.gpu;
  if (M > LONG_COLUMN) {
    const chunks = Math.ceil(M / SUM_CHUNK);
    const partial = Tensor.scratch(gpu, `column sums of row chunks, level ${level}`, [chunks, N]);
    const entry = shader.entry('sum_rows');
    gpu.dispatch(entry, { params: { M, N, chunk_rows: SUM_CHUNK, alpha: 1 }, x, out: partial }, grid1d(entry, chunks * N), { ACCUMULATE: false });
    return sumRowsAt(level + 1, partial, out, accumulate, explicitVariant, alpha);
  }
  const variant = explicitVariant ?? gpu.tuner.choose(`sumRows M≤${sizeClass(M)} N≤${sizeClass(N)}`, 'serial', () => ({
    shape: `${M}×${N}`,
    fallback: 'serial',
    candidates: REDUCTION_VARIANTS,
    prepare() {
      const [xs, sums] = [Tensor.empty(gpu, [M, N], 'f32', 'tuning x'), Tensor.empty(gpu, [N], 'f32', 'tuning sums')];
      return { run: (v) => sumRowsAt(level, xs, sums, false, v as ReductionVariant, 1), destroy: () => [xs, sums].forEach((t) => t.destroy()) };
    },
  }));
  expectReductionVariant(op, variant);
  const args = { params: { M, N, chunk_rows: M, alpha }, x, out };
  if (variant === 'tree') {
    const columnsPerGroup = Math.min(2 ** Math.ceil(Math.log2(N)), 32); // as W in reduce.wgsl
    const entry = shader.entry('sum_rows_tree');
    gpu.dispatch(entry, args, grid1d(entry, Math.ceil(N / columnsPerGroup) * 256), { ACCUMULATE: accumulate });
  } else {
    const entry = shader.entry('sum_rows');
    gpu.dispatch(entry, args, grid1d(entry, N), { ACCUMULATE: accumulate });
  }
}

const cases: KernelCase[] = [];
// 65,535 · 64 + 1 columns: the grid spills into y.
// v2 (tree): N = 1 is F.sum's shape; its 2-D grid is checked in 'tree reductions index a 2-D grid'.
for (const [M, N, accumulate, variant] of [
  [1, 1, false, 'serial'], [8, 128, true, 'serial'], [1000, 3, false, 'serial'], [3, 4099, false, 'serial'], [256, 100, false, 'serial'], [2, 65535 * 64 + 1, false, 'serial'], [100_003, 1, false, 'serial'],
  [1, 1, false, 'tree'], [8, 128, true, 'tree'], [1000, 3, false, 'tree'], [3, 4099, false, 'tree'], [100_003, 1, false, 'tree'], [257, 17, true, 'tree'], [5, 33, false, 'tree'],
] as const) {
  cases.push(kernelCase({
    name: `sum rows ${M}×${N}${accumulate ? ' accumulate' : ''}${variant === 'tree' ? ' v2 tree' : ''}`,
    entries: [variant === 'tree' ? 'sum_rows_tree' : 'sum_rows'],
    variant: variant === 'tree' ? 'v2 tree' : 'v1 serial',
    dims: { M, N },
    showcase: M === 256,
    setup(s, { M, N }, random) {
      const x = uniform(random, M * N);
      const previous = uniform(random, N);
      const out = s.output([N]);
      if (accumulate) out.write(previous);
      const xt = s.input(x, [M, N]);
      return {
        run: () => sumRows(xt, out, accumulate, variant),
        check: () => s.check('out', out, ref.sumRows(x, M, N).map((v, i) => v + (accumulate ? previous[i]! : 0)), 1e-6 * M, 1e-5),
      };
    },
    // Serial beside tree: sums over M rows of N columns, from a bias gradient's shape to long columns.
    ...(M === 1000 && N === 3 ? { bench: { sizes: [{ M: 100, N: 100 }, { M: 8, N: 128 }, { M: 512, N: 512 }, { M: 10_000, N: 100 }, { M: 100_000, N: 10 }], bytes: (d: { M?: number; N?: number }) => 4 * d.M! * d.N! + 4 * d.N! } } : {}),
  }));
}

// Long columns of positive values near 0.1, where one float32 loop loses digits steadily as the
// total grows (3.3e-5 to 7e-5 relative at 300,007 rows over 20 draws in numpy; chunks of √M rows,
// two levels, 7e-7): the bound 4e-6 tells the loop from the chunks.
for (const [M, N, variant] of [[300_007, 1, 'serial'], [300_007, 1, 'tree'], [100_003, 3, 'serial'], [100_003, 3, 'tree']] as const) {
  cases.push(kernelCase({
    name: `sum rows ${M}×${N} of values near 0.1: summed in chunks of ${SUM_CHUNK} rows${variant === 'tree' ? ', v2 tree' : ''}`,
    entries: ['sum_rows', ...(variant === 'tree' ? ['sum_rows_tree'] : [])],
    variant: variant === 'tree' ? 'v2 tree' : 'v1 serial',
    dims: { M, N },
    setup(s, { M, N }, random) {
      const x = uniform(random, M * N, 0.1, 0.11);
      const out = s.output([N]);
      const xt = s.input(x, [M, N]);
      return { run: () => sumRows(xt, out, false, variant), check: () => s.check('out', out, ref.sumRows(x, M, N), 0, 4e-6) };
    },
  }));
}

export const spec: Spec = cases;
