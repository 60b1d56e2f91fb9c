// shaders/sort.wgsl: each row's indices in sorted order, by a bitonic network over indices (F.sort,
// F.argsort, F.topk). The values come after, through F.gather, which carries the gradient.
import { grid1d, loadShader } from '../device/shader';
import { expectDtype } from '../launch';
import { sortedIndices } from '../reference/sort';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type CaseScope, type KernelCase, type Spec } from '../spec/scope';
import { Tensor } from '../tensor';

export const shader = loadShader('sort');

/** The power of 2 a row of n is padded to. */
export const paddedLength = (n: number): number => 2 ** Math.ceil(Math.log2(Math.max(n, 1)));

/**
 * out [rows, take] (i32) = the indices of the first `take` elements of each row of x [rows, n] in
 * ascending (or descending) order, ties by index, NaN last (descending: first), as PyTorch's stable
 * sort. 2 + log₂p·(log₂p + 1)/2 dispatches, p the power of 2 at or above n.
 */
export function sortRows(x: Tensor, out: Tensor, rows: number, n: number, take: number, descending: boolean): void {
  const op = 'sortRows';
  expectDtype(op, 'x', x, 'f32');
  expectDtype(op, 'out', out, 'i32');
  if (![rows, n, take].every((v) => Number.isInteger(v) && v >= 1) || take > n) throw new Error(`${op}: rows, n and take expected positive integers with take ≤ n, got ${JSON.stringify({ rows, n, take })}`);
  if (x.size !== rows * n) throw new Error(`${op}: argument 'x' expected ${rows * n} elements (${rows} × ${n}), got ${x.size}`);
  if (out.size !== rows * take) throw new Error(`${op}: argument 'out' expected ${rows * take} elements (${rows} × ${take}), got ${out.size}`);
  const gpu = x.gpu;
  const p = paddedLength(n);
  const order = Tensor.scratch(gpu, 'sort order', [rows * p], 'u32');
  const run = (name: string, invocations: number, k: number, j: number, args: Record<string, Tensor>) => {
    const entry = shader.entry(name);
    gpu.dispatch(entry, { params: { rows, n, p, k, j, take }, ...args }, grid1d(entry, invocations), { DESCENDING: descending });
  };
  run('sort_init', rows * p, 0, 0, { order });
  for (let k = 2; k <= p; k *= 2) {
    for (let j = k / 2; j >= 1; j /= 2) run('bitonic_step', (rows * p) / 2, k, j, { x, order });
  }
  run('sort_take', rows * take, 0, 0, { order, out });
}

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

const cases: KernelCase[] = [];
/** An i32 output filled with −1, an index no row has, so an element the kernel misses is caught. */
const poisoned = (s: CaseScope, size: number) => s.input(new Int32Array(size).fill(-1), [size], 'i32', 'out');
// One element; a power of 2; lengths just past one (padding nearly a row); many rows; ties, NaN, ±∞
// and ±0 mixed in; the first few only (topk). Each ascending and descending.
for (const [rows, n, take] of [
  [1, 1, 1],
  [3, 8, 8],
  [2, 17, 17],
  [5, 100, 3],
  [129, 33, 33],
  [1, 1000, 1000],
] as const) {
  for (const descending of [false, true]) {
    cases.push(kernelCase({
      name: `sort [${rows}, ${n}]${take < n ? ` first ${take}` : ''}${descending ? ' descending' : ''}, with ties, NaN, ±∞ and ±0`,
      entries: n === 1 ? ['sort_init', 'sort_take'] : ['sort_init', 'bitonic_step', 'sort_take'],
      dims: { rows, n, take },
      showcase: rows === 5 && !descending,
      setup(s, dims, random) {
        const { rows, n, take } = dims as { rows: number; n: number; take: number };
        // Values on a coarse grid (many ties), and specials sprinkled in.
        const x = Float32Array.from(uniform(random, rows * n, -4, 4), (v) => Math.round(v * 2) / 2);
        const specials = [NaN, Infinity, -Infinity, -0, 0, NaN];
        for (let i = 0; i < x.length; i += 7) x[i] = specials[(i / 7) % specials.length]!;
        const [xt, out] = [s.input(x, [rows, n]), poisoned(s, rows * take)];
        return {
          run: () => sortRows(xt, out, rows, n, take, descending),
          check: () => s.check('out', out, sortedIndices(x, rows, n, descending, take), 0, 0),
        };
      },
      ...(rows === 5 && !descending ? { bench: { sizes: [{ rows: 1, n: 4096, take: 4096 }, { rows: 512, n: 1024, take: 1024 }], bytes: (d: { rows?: number; n?: number }) => 8 * d.rows! * paddedLength(d.n!) * Math.log2(paddedLength(d.n!)) ** 2 / 2 } } : {}),
    }));
  }
}
// Past the grid limit: PAST_GRID_LIMIT rows of 2, one pair each (bitonic_step's and sort_take's grids spill into y).
cases.push(kernelCase({
  name: `sort [${PAST_GRID_LIMIT}, 2] descending past the grid limit`,
  entries: ['sort_init', 'bitonic_step', 'sort_take'],
  dims: { rows: PAST_GRID_LIMIT, n: 2 },
  setup(s, { rows, n }, random) {
    const x = uniform(random, rows! * n!);
    const [xt, out] = [s.input(x, [rows!, n!]), poisoned(s, rows! * n!)];
    return { run: () => sortRows(xt, out, rows!, n!, n!, true), check: () => s.check('out', out, sortedIndices(x, rows!, n!, true), 0, 0) };
  },
}));
cases.push(
  testCase('sort bad arguments are rejected before dispatch', (s, random) => {
    const x = s.input(uniform(random, 12), [3, 4]);
    s.expectError('take past n', () => sortRows(x, poisoned(s, 15), 3, 4, 5, false), /sortRows: rows, n and take expected positive integers with take ≤ n/);
    s.expectError('x of the wrong size', () => sortRows(x, poisoned(s, 8), 2, 5, 4, false), /sortRows: argument 'x' expected 10 elements \(2 × 5\), got 12/);
    s.expectError('an f32 out', () => sortRows(x, s.output([3, 4]), 3, 4, 4, false), /sortRows: argument 'out' expected dtype i32, got f32/);
  }),
);

export const spec: Spec = cases;
