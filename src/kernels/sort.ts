// shaders/sort.wgsl: each row's indices in sorted order, by a bitonic network over indices (F.sort,
// F.argsort, F.topk; the values come after, through F.gather, which carries the gradient), and
// where values fall in sorted rows, by binary search (F.searchsorted, F.bucketize, F.multinomial).
import { grid1d, loadShader } from '../device/shader';
import { expectDtype } from '../launch';
import { searchSorted as searchSortedReference, sortedIndices } from '../reference/sort';
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

/**
 * out [rows, take] (i32) = for each value of values [rows, take], the count of its row's elements of
 * sorted [rows, n] (ascending, NaN last) before it: those < it, or ≤ it with `right`; `shared`: one
 * row [n] for every value. One dispatch, an invocation per value, ⌈log₂(n + 1)⌉ reads each.
 */
export function searchSorted(sorted: Tensor, values: Tensor, out: Tensor, rows: number, n: number, take: number, right: boolean, shared: boolean): void {
  const op = 'searchSorted';
  expectDtype(op, 'sorted', sorted, 'f32');
  expectDtype(op, 'values', values, 'f32');
  expectDtype(op, 'out', out, 'i32');
  if (![rows, n, take].every((v) => Number.isInteger(v) && v >= 1)) throw new Error(`${op}: rows, n and take expected positive integers, got ${JSON.stringify({ rows, n, take })}`);
  if (sorted.size !== (shared ? n : rows * n)) throw new Error(`${op}: argument 'sorted' expected ${shared ? n : rows * n} elements (${shared ? `one row of ${n}` : `${rows} × ${n}`}), got ${sorted.size}`);
  if (values.size !== rows * take || out.size !== rows * take) throw new Error(`${op}: arguments 'values' and 'out' expected ${rows * take} elements (${rows} × ${take}), got ${values.size} and ${out.size}`);
  const entry = shader.entry('search_sorted');
  sorted.gpu.dispatch(entry, { params: { rows, n, p: 0, k: 0, j: 0, take }, x: sorted, values, out }, grid1d(entry, rows * take), { RIGHT: right, SHARED_ROW: shared });
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
// Searches: rows of ties, NaN at the end and ±∞ (each row sorted as F.sort leaves it), values that
// hit elements exactly, fall between, before and past them, and NaN; a row of 1; one shared row;
// past the grid limit.
for (const [rows, n, take, shared] of [
  [1, 1, 5, false],
  [4, 9, 7, false],
  [3, 64, 100, false],
  [1, 1000, 333, true],
  [PAST_GRID_LIMIT, 3, 1, true],
] as const) {
  for (const right of [false, true]) {
    cases.push(kernelCase({
      name: `searchsorted ${shared ? `one row of ${n}` : `[${rows}, ${n}]`}, ${take} value${take > 1 ? 's' : ''} a row${right ? ', right' : ''}, with ties, NaN and ±∞`,
      entries: ['search_sorted'],
      dims: { rows, n, take },
      showcase: rows === 4 && !right,
      setup(s, dims, random) {
        const { rows, n, take } = dims as { rows: number; n: number; take: number };
        const sortedRows = shared ? 1 : rows;
        // Coarse values (ties), an ∞ here and there, and a NaN at some rows' end; each row sorted.
        const sorted = new Float32Array(sortedRows * n);
        for (let r = 0; r < sortedRows; r++) {
          const row = Array.from(uniform(random, n, -4, 4), (v, i) => (i === 1 ? -Infinity : i === 2 ? Infinity : Math.round(v * 2) / 2));
          row.sort((a, b) => a - b);
          if (r % 3 === 2 && n > 1) row[n - 1] = NaN;
          sorted.set(row, r * n);
        }
        // Values on the same grid (hitting elements), between it, far outside, and NaN.
        const values = Float32Array.from(uniform(random, rows * take, -5, 5), (v, i) => (i % 11 === 4 ? NaN : i % 5 === 0 ? v : Math.round(v * 2) / 2));
        // Half the NaN with the sign bit set (x86's 0/0 gives 0xffc00000): still after every number.
        const words = new Uint32Array(values.buffer);
        for (let i = 4; i < values.length; i += 22) words[i] = 0xffc00000;
        for (let r = 5; r < sortedRows; r += 6) if (n > 1) new Uint32Array(sorted.buffer)[r * n + n - 1] = 0xffc00000;
        const [sortedTensor, valueTensor, out] = [s.input(sorted, [sorted.length]), s.input(values, [values.length]), poisoned(s, rows * take)];
        return {
          run: () => searchSorted(sortedTensor, valueTensor, out, rows, n, take, right, shared),
          check: () => s.check('out', out, searchSortedReference(sorted, n, values, take, right, shared), 0, 0),
        };
      },
      ...(rows === 4 && !right ? { bench: { sizes: [{ rows: 1024, n: 1024, take: 1024 }], bytes: (d: { rows?: number; take?: number; n?: number }) => 8 * d.rows! * d.take! * Math.ceil(Math.log2(d.n! + 1)) } } : {}),
    }));
  }
}
cases.push(
  testCase('sort bad arguments are rejected before dispatch', (s, random) => {
    const x = s.input(uniform(random, 12), [3, 4]);
    s.expectError('take past n', () => sortRows(x, poisoned(s, 15), 3, 4, 5, false), /sortRows: rows, n and take expected positive integers with take ≤ n/);
    s.expectError('x of the wrong size', () => sortRows(x, poisoned(s, 8), 2, 5, 4, false), /sortRows: argument 'x' expected 10 elements \(2 × 5\), got 12/);
    s.expectError('an f32 out', () => sortRows(x, s.output([3, 4]), 3, 4, 4, false), /sortRows: argument 'out' expected dtype i32, got f32/);
    s.expectError('search: values of the wrong size', () => searchSorted(x, s.input(uniform(random, 5), [5]), poisoned(s, 6), 3, 4, 2, false, false), /searchSorted: arguments 'values' and 'out' expected 6 elements \(3 × 2\), got 5 and 6/);
    s.expectError('search: a shared row of the wrong size', () => searchSorted(x, s.input(uniform(random, 6), [6]), poisoned(s, 6), 3, 4, 2, false, true), /searchSorted: argument 'sorted' expected 4 elements \(one row of 4\), got 12/);
  }),
);

export const spec: Spec = cases;
