// shaders/scan.wgsl: cumulative sums along one dimension (F.cumsum) and their gradient, the same
// scan from the end.
import { grid1d, loadShader } from '../device/shader';
import { expectDtype } from '../launch';
import { uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import { Tensor, upstream, type BackwardRule } from '../tensor';

export const shader = loadShader('scan');

/** Elements per block of a line's scan (SCAN_BLOCK in scan.wgsl). */
const SCAN_BLOCK = 256;

/** x and y as [outer, n, inner] around the scanned dimension. */
export interface Lines {
  outer: number;
  n: number;
  inner: number;
}

/**
 * y = the running sum of x along the dimension (from its end with reverse: the backward); with
 * accumulate, y += …. One pass for lines of up to 256, three past that (scan.wgsl's header).
 */
export function cumsum(x: Tensor, y: Tensor, lines: Lines, reverse = false, accumulate = false): void {
  const op = reverse ? 'cumsumBackward' : 'cumsum';
  expectDtype(op, 'x', x, 'f32');
  expectDtype(op, 'y', y, 'f32');
  const { outer, n, inner } = lines;
  if (![outer, n, inner].every((v) => Number.isInteger(v) && v >= 1)) throw new Error(`${op}: outer, n and inner expected positive integers, got ${JSON.stringify(lines)}`);
  for (const [name, t] of [['x', x], ['y', y]] as const) {
    if (t.size !== outer * n * inner) throw new Error(`${op}: argument '${name}' expected ${outer * n * inner} elements (${outer} × ${n} × ${inner}), got ${t.size}`);
  }
  const gpu = x.gpu;
  const blocks = Math.ceil(n / SCAN_BLOCK);
  const params = { outer, n, inner, blocks };
  const totals = Tensor.scratch(gpu, 'scan totals', [outer * inner * blocks]);
  const run = (name: string, invocations: number, args: Record<string, Tensor>, accumulating: boolean) => {
    const entry = shader.entry(name);
    gpu.dispatch(entry, { params, ...args }, grid1d(entry, invocations), { REVERSE: reverse, ACCUMULATE: accumulating });
  };
  if (blocks === 1) return run('scan_blocks', outer * inner, { x, y, totals }, accumulate);
  const partial = Tensor.scratch(gpu, 'scan partial sums', [x.size]);
  run('scan_blocks', outer * inner * blocks, { x, y: partial, totals }, false);
  run('scan_totals', outer * inner, { totals }, false);
  run('add_offsets', x.size, { partial, totals, y }, accumulate);
}

export const gradients = {
  /** y = cumsum(x) along a dimension: d x = dy summed from the end (d x_p = Σ_{p' ≥ p} dy_p'). */
  cumsum: (x: Tensor, y: Tensor, lines: Lines): BackwardRule => (ctx, dy) => {
    const { grad, accumulate } = ctx.target(x);
    cumsum(upstream(dy, x.gpu, y.shape), grad, lines, true, accumulate);
  },
};

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

/** float64 running sums along each line, from the start (or from the end with reverse). */
export function cumsumReference(x: ArrayLike<number>, { outer, n, inner }: Lines, reverse = false): Float64Array {
  const y = new Float64Array(outer * n * inner);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      let running = 0;
      for (let s = 0; s < n; s++) {
        const i = (o * n + (reverse ? n - 1 - s : s)) * inner + q;
        running += x[i]!;
        y[i] = running;
      }
    }
  }
  return y;
}

const cases: KernelCase[] = [];
// One element; a line of exactly one block and of one more; lines in the middle dimension; many
// lines (scan_totals over two workgroups); one line of 274 blocks. Each forward and reverse, and
// reverse adding into what is there (the backward, accumulating).
for (const lines of [
  { outer: 1, n: 1, inner: 1 },
  { outer: 3, n: 256, inner: 1 },
  { outer: 1, n: 257, inner: 2 },
  { outer: 2, n: 1000, inner: 3 },
  { outer: 70, n: 300, inner: 1 },
  { outer: 1, n: 70000, inner: 1 },
] as Lines[]) {
  const { outer, n, inner } = lines;
  for (const [reverse, accumulate] of [[false, false], [true, false], [true, true]] as const) {
    const bench = outer === 2 && !reverse; // one long line, and many short ones
    cases.push(kernelCase({
      name: `scan cumsum [${outer}, ${n}, ${inner}]${reverse ? ' reverse' : ''}${accumulate ? ' accumulate' : ''}`,
      entries: n <= SCAN_BLOCK ? ['scan_blocks'] : ['scan_blocks', 'scan_totals', 'add_offsets'],
      dims: { outer, n, inner },
      showcase: bench,
      setup(s, dims, random) {
        const lines = dims as unknown as Lines;
        const size = lines.outer * lines.n * lines.inner;
        const [x, previous] = [uniform(random, size), uniform(random, size)];
        const [xt, y] = [s.input(x), s.output([size], 'y')];
        if (accumulate) y.write(previous);
        const expected = cumsumReference(x, lines, reverse).map((v, i) => v + (accumulate ? Math.fround(previous[i]!) : 0));
        // float32 running sums of up to 256 terms in (−1, 1), then of the blocks' totals: the error
        // grows with the partial sums (~√n) times a few ulps per step. 3e-7 · n^0.75: the largest of
        // 21,000 elements at n = 300 reached 1.69e-5 on one seed (2e-7 · n^0.75 = 1.44e-5 was too tight).
        return { run: () => cumsum(xt, y, lines, reverse, accumulate), check: () => s.check('y', y, expected, 3e-7 * lines.n ** 0.75, 1e-6) };
      },
      ...(bench ? { bench: { sizes: [{ outer: 1, n: 1e6, inner: 1 }, { outer: 1000, n: 1000, inner: 1 }], bytes: (d: { outer?: number; n?: number; inner?: number }) => 8 * d.outer! * d.n! * d.inner! } } : {}),
    }));
  }
}
cases.push(
  testCase('scan bad arguments are rejected before dispatch', (s, random) => {
    const x = s.input(uniform(random, 12));
    s.expectError('y of the wrong size', () => cumsum(x, s.output([10]), { outer: 3, n: 4, inner: 1 }), /cumsum: argument 'y' expected 12 elements \(3 × 4 × 1\), got 10/);
    s.expectError('a zero dimension', () => cumsum(x, s.output([12]), { outer: 0, n: 4, inner: 3 }), /cumsum: outer, n and inner expected positive integers/);
    s.expectError('an i32 x', () => cumsum(s.input([1, 2, 3], [3], 'i32'), s.output([3]), { outer: 1, n: 3, inner: 1 }), /cumsum: argument 'x' expected dtype f32, got i32/);
  }),
);

// A line of 4,000,000 values near 0.1 (every rounding leaning one way): its 15,625 block totals' prefix
// in one running float32 total put the line's second half up to 4.5e-6 off; in groups of 64 blocks,
// 4.8e-7 at worst anywhere. Every value within 1.5e-6.
cases.push(
  kernelCase({
    name: 'cumsum of one line of 4,000,000 values near 0.1: the block totals\' prefix in groups of 64',
    entries: ['scan_blocks', 'scan_totals', 'add_offsets'],
    dims: { n: 4_000_000 },
    setup(s, { n }, random) {
      const x = uniform(random, n, 0.1, 0.11);
      const lines = { outer: 1, n, inner: 1 };
      const [xt, y] = [s.input(x, [n]), s.output([n])];
      const expected = cumsumReference(x, lines);
      return { run: () => cumsum(xt, y, lines), check: () => s.check('y', y, expected, 0, 1.5e-6) };
    },
  }),
);

export const spec: Spec = cases;
