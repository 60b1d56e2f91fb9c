// shaders/gather.wgsl: values picked by index along one dimension (F.gather, F.indexSelect,
// F.embedding, nn.Embedding), and their gradient, summed back to the picked elements.
import { grid1d, loadShader, type BufferView } from '../device/shader';
import { sizeClass } from '../device/tuner';
import { expectDtype, shapeText } from '../launch';
import { integers, uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import { Tensor, upstream, type BackwardRule } from '../tensor';

export const shader = loadShader('gather');

/** x as [outer, n, inner] around the dimension, y as [outer, k, inner]; `select`: the index has k entries (index_select), else one per element of y. */
export interface Picks {
  outer: number;
  n: number;
  k: number;
  inner: number;
  select: boolean;
  /** Picks of this index give no gradient (an embedding's padding_idx); none when absent. */
  skip?: number;
}

function expectPicks(op: string, picks: Picks, x: { size: number; name: string }, y: { size: number; name: string }, index: Tensor): void {
  const { outer, n, k, inner, select } = picks;
  if (![outer, n, k, inner].every((v) => Number.isInteger(v) && v >= 1)) throw new Error(`${op}: outer, n, k and inner expected positive integers, got ${JSON.stringify(picks)}`);
  if (picks.skip !== undefined && !(Number.isInteger(picks.skip) && picks.skip >= 0 && picks.skip < n)) throw new Error(`${op}: skip expected an index in [0, ${n}), got ${picks.skip}`);
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
  x.gpu.dispatch(entry, { params: { outer, n, k, inner, skip: -1, width: 0 }, x, index, y }, grid1d(entry, y.size), { SELECT: select });
}

/**
 * The backward: v1 loops over every pick of its line; v2 sorts the picks into buckets first, each
 * bucket heapsorted by one invocation; v3 sorts runs of 64 and merges them in parallel (gather.wgsl).
 */
export type GatherBackwardVariant = 'naive' | 'bucketed' | 'merged';
export const GATHER_BACKWARD_VARIANTS: readonly GatherBackwardVariant[] = ['naive', 'bucketed', 'merged'];
/** Scan block of scan_blocks (SCAN_BLOCK in gather.wgsl). */
const SCAN_BLOCK = 256;
/** v3's runs, heapsorted by sort_runs before merge_runs merges them (RUN in gather.wgsl). */
const SORT_RUN = 64;

/** Buckets (one per target) and picks of a backward: rows with select, else elements of x. */
function bucketsOf({ outer, n, k, inner, select }: Picks) {
  return { buckets: select ? n : outer * n * inner, picks: select ? k : outer * k * inner };
}

/**
 * dx = each pick's dy summed back to the element it picked (0 for elements never picked); with
 * accumulate, dx += …. Without a variant, the tuner's pick; its default is v1 where each element of x
 * has at most 16 picks to look through, else v2.
 */
export function gatherBackward(index: Tensor, dy: Tensor, dx: Tensor, picks: Picks, accumulate = false, explicitVariant?: GatherBackwardVariant): void {
  const op = 'gatherBackward';
  expectDtype(op, 'dy', dy, 'f32');
  expectDtype(op, 'dx', dx, 'f32');
  expectPicks(op, picks, { size: dx.size, name: 'dx' }, { size: dy.size, name: 'dy' }, index);
  const { outer, n, k, inner, select } = picks;
  const gpu = dx.gpu;
  const fallback: GatherBackwardVariant = k <= 16 ? 'naive' : 'bucketed';
  const key = `gatherBackward ${select ? 'select' : 'full'} outer≤${sizeClass(outer)} n≤${sizeClass(n)} k≤${sizeClass(k)} inner≤${sizeClass(inner)}`;
  const variant = explicitVariant ?? gpu.tuner.choose(key, fallback, () => ({
    shape: `${outer}×${n}×${inner} ← ${outer}×${k}×${inner}${select ? ' select' : ''}`,
    fallback,
    candidates: GATHER_BACKWARD_VARIANTS,
    prepare() {
      // Picks spread over the rows as real ones are, but for a quarter of them on one row (a padding
      // token, a frequent word): what makes v2's one-invocation sort of a bucket slow on a GPU, and v3's
      // merges pay off. Timed on spread picks alone, a GPU would pick v2, and a batch with a hot row
      // would then sort it in one thread.
      const count = select ? k : outer * k * inner;
      const spread = Int32Array.from({ length: count }, (_, i) => (i % 4 === 0 ? 0 : (i * 7919) % n));
      const [is, dys, dxs] = [Tensor.fromArray(gpu, spread, [count], 'i32', 'tuning index'), Tensor.empty(gpu, [outer * k * inner], 'f32', 'tuning dy'), Tensor.empty(gpu, [outer * n * inner], 'f32', 'tuning dx')];
      return { run: (v) => gatherBackward(is, dys, dxs, picks, false, v as GatherBackwardVariant), destroy: () => [is, dys, dxs].forEach((t) => t.destroy()) };
    },
  }));
  if (!GATHER_BACKWARD_VARIANTS.includes(variant as GatherBackwardVariant)) throw new Error(`${op}: argument 'variant' expected ${GATHER_BACKWARD_VARIANTS.join(' or ')}, got ${variant}`);
  const params = { outer, n, k, inner, skip: picks.skip ?? -1, width: 0 };
  const constants = { SELECT: select, ACCUMULATE: accumulate };
  if (variant === 'naive') {
    const entry = shader.entry('backward');
    gpu.dispatch(entry, { params, index, dy, dx }, grid1d(entry, dx.size), constants);
    return;
  }
  // v2: a counting sort of the picks by bucket, then one sum per element of x over its own bucket.
  const { buckets, picks: pickCount } = bucketsOf(picks);
  const blocks = Math.ceil((buckets + 1) / SCAN_BLOCK);
  const counts = Tensor.scratch(gpu, 'gather counts', [buckets], 'i32');
  const starts = Tensor.scratch(gpu, 'gather starts', [buckets + 1], 'i32');
  const blockOffsets = Tensor.scratch(gpu, 'gather block offsets', [blocks], 'i32');
  const entries = Tensor.scratch(gpu, 'gather entries', [pickCount], 'i32');
  // v3's second buffer of pick ids and each slot's bucket; v2 binds a placeholder it never reads.
  const merge = variant === 'merged';
  const unused: BufferView = { ...gpu.placeholders[0], dtype: 'i32' };
  const merged = merge ? Tensor.scratch(gpu, 'gather merged entries', [pickCount], 'i32') : unused;
  const slotBuckets = merge ? Tensor.scratch(gpu, 'gather slot buckets', [pickCount], 'i32') : unused;
  const run = (name: string, invocations: number, args: Record<string, BufferView>, width = 0) => {
    const entry = shader.entry(name);
    gpu.dispatch(entry, { params: { ...params, width }, ...args }, grid1d(entry, invocations), { ...constants, MERGE: merge });
  };
  const bounds = { starts, block_offsets: blockOffsets };
  run('clear_counts', buckets, { counts });
  run('count_picks', pickCount, { index, counts });
  run('scan_blocks', blocks, { counts, ...bounds });
  run('scan_totals', 1, { block_offsets: blockOffsets });
  run('scatter_picks', pickCount, { index, counts, ...bounds, entries, slot_buckets: slotBuckets });
  if (!merge) run('sort_buckets', buckets, { ...bounds, entries });
  else run('sort_runs', pickCount, { ...bounds, entries, slot_buckets: slotBuckets });
  // v3: runs merged in pairs until one run holds the largest bucket, from one buffer into the other
  // and back: the index's values say how large that is when they came from JavaScript; otherwise it
  // may be every pick, and the passes past the largest find every bucket one run and return at once.
  let [from, to]: [BufferView, BufferView] = [entries, merged];
  const largest = merge ? largestBucket(index, picks, pickCount) : 0;
  for (let width = SORT_RUN; width < largest; width *= 2) {
    run('merge_runs', pickCount, { ...bounds, entries: from, slot_buckets: slotBuckets, merged: to }, width);
    [from, to] = [to, from];
  }
  run('backward_bucketed', dx.size, { dy, dx, ...bounds, entries, merged });
}

/**
 * At least the most picks one bucket holds, counted on the CPU when the index's values are known (an
 * upload from JavaScript of at most 2^20: Gpu.uploadedRange): the picks of each value, which are a
 * row's bucket with select and bound each element's bucket of that row otherwise. Unknown: every pick.
 */
function largestBucket(index: Tensor, { n, skip }: Picks, pickCount: number): number {
  const values = index.gpu.uploadedRange(index)?.values;
  if (!values) return pickCount;
  const counts = new Int32Array(n);
  let largest = 0;
  for (const c of values) {
    if (c >= 0 && c < n && c !== skip) largest = Math.max(largest, ++counts[c]!); // out of range or skipped: in no bucket
  }
  return largest;
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
export function gatherReference(x: ArrayLike<number>, index: ArrayLike<number>, dy: ArrayLike<number>, { outer, n, k, inner, select, skip }: Picks) {
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
        if (c !== skip) dx[(o * n + c) * inner + q]! += dy[i]!;
      }
    }
  }
  return { y, dx };
}

const V2_ENTRIES = ['clear_counts', 'count_picks', 'scan_blocks', 'scan_totals', 'scatter_picks', 'sort_buckets', 'backward_bucketed'];
const V3_ENTRIES = [...V2_ENTRIES.slice(0, 5), 'sort_runs', 'merge_runs', 'backward_bucketed'];
const label = (variant: GatherBackwardVariant) => ({ naive: 'v1 naive', bucketed: 'v2 bucketed', merged: 'v3 merged' })[variant];
const entriesOf = (variant: GatherBackwardVariant) => ({ naive: ['backward'], bucketed: V2_ENTRIES, merged: V3_ENTRIES })[variant];

const cases: KernelCase[] = [];
// Awkward geometries: a picked dimension first, in the middle and last; more picks than entries (so
// elements are picked twice and their gradients add up) and fewer (some never picked); one index out
// of range in each case; two skip the picks of one index (padding_idx: no gradient there). Each
// backward in each version.
for (const picks of [
  { outer: 1, n: 7, k: 5, inner: 3, select: false },
  { outer: 4, n: 3, k: 9, inner: 2, select: false, skip: 1 },
  { outer: 6, n: 10, k: 1, inner: 1, select: false },
  { outer: 1, n: 50, k: 70, inner: 8, select: true, skip: 3 }, // an embedding: 70 lookups of rows of 8
  { outer: 3, n: 5, k: 4, inner: 7, select: true },
] as Picks[]) {
  const { outer, n, k, inner, select, skip } = picks;
  for (const variant of GATHER_BACKWARD_VARIANTS) {
    for (const accumulate of [false, true]) {
      cases.push(kernelCase({
        name: `gather ${select ? 'index_select' : 'gather'} [${outer}, ${n}, ${inner}] → [${outer}, ${k}, ${inner}]${skip === undefined ? '' : ` skip ${skip}`}${accumulate ? ' backward accumulate' : ''}${variant === 'naive' ? '' : ` ${label(variant)}`}`,
        entries: ['forward', ...entriesOf(variant)],
        variant: label(variant),
        dims: { n: outer * n * inner },
        showcase: !select && !accumulate && outer === 1 && variant !== 'merged', // v3's: the embedding's, whose 70 picks reach merge_runs
        setup(s, _, random) {
          const count = select ? k : outer * k * inner;
          const index = Array.from(integers(random, count, n));
          index[Math.floor(count / 2)] = accumulate ? -1 : n; // out of range: NaN, and no gradient
          if (skip !== undefined) index[0] = skip;
          const [x, dy, previous] = [uniform(random, outer * n * inner), uniform(random, outer * k * inner), uniform(random, outer * n * inner)];
          const reference = gatherReference(x, index, dy, picks);
          const [xt, it, dyt] = [s.input(x), s.input(index, [count], 'i32', 'index'), s.input(dy)];
          const [y, dx] = [s.output([outer * k * inner], 'y'), s.output([outer * n * inner], 'dx')];
          if (accumulate) dx.write(previous);
          return {
            run() {
              gather(xt, it, y, picks);
              gatherBackward(it, dyt, dx, picks, accumulate, variant);
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
}

// v2's and v3's own hard parts, each against v1 bit for bit (all three add a target's picks in order
// of p) and against float64: one row picked by half the picks (a padding token: a bucket of 1,500,
// in v3 runs of 64 merged 5 times), every pick on one row (4,097: v3's last merge joins a run of
// 4,096 and a run of 1), buckets of ~67 (a run and a few more), and more than 64 · 256 buckets
// (scan_blocks over several workgroups, scan_totals over their blocks).
for (const { what, picks, hot } of [
  { what: 'a hot row', picks: { outer: 1, n: 300, k: 3001, inner: 3, select: true }, hot: 'half' },
  { what: 'every pick on one row', picks: { outer: 1, n: 5, k: 4097, inner: 2, select: true }, hot: 'all' },
  { what: 'buckets just past a run', picks: { outer: 1, n: 3, k: 200, inner: 1, select: false }, hot: 'none' },
  { what: 'many buckets', picks: { outer: 2, n: 9000, k: 700, inner: 1, select: false }, hot: 'none' },
] as { what: string; picks: Picks; hot: 'half' | 'all' | 'none' }[]) {
  const { outer, n, k, inner, select } = picks;
  for (const variant of ['bucketed', 'merged'] as const) {
    cases.push(kernelCase({
      name: `gather backward ${label(variant)}, ${what}: [${outer}, ${n}, ${inner}] ← [${outer}, ${k}, ${inner}] equals v1`,
      entries: ['backward', ...entriesOf(variant)],
      variant: label(variant),
      dims: { n: outer * n * inner },
      setup(s, _, random) {
        const count = select ? k : outer * k * inner;
        const index = Array.from(integers(random, count, n), (c, i) => (hot === 'all' || (hot === 'half' && i % 2 === 1) ? 2 : c));
        const dy = uniform(random, outer * k * inner);
        const reference = gatherReference(new Float64Array(outer * n * inner), index, dy, picks).dx;
        const [it, dyt] = [s.input(index, [count], 'i32', 'index'), s.input(dy)];
        const [v1, sorted] = [s.output([outer * n * inner], 'dx v1'), s.output([outer * n * inner], `dx ${label(variant)}`)];
        return {
          run() {
            gatherBackward(it, dyt, v1, picks, false, 'naive');
            gatherBackward(it, dyt, sorted, picks, false, variant);
          },
          async check() {
            // The hot row is a float32 sum of up to 4,097 terms in (−1, 1): its rounding reaches ~1e-4.
            await s.check('dx v1', v1, reference, 3e-4, 1e-6);
            await s.check(`dx ${label(variant)}`, sorted, await v1.read(), 0, 0);
          },
        };
      },
    }));
  }
}

// v3 counts its merge passes from the index's values when JavaScript uploaded them; an index the GPU
// wrote (here a copy) is unknown, and v3 merges until a run could hold every pick.
cases.push(testCase('gather backward v3 merged with an index the GPU wrote (values unknown): equals v1', async (s, random) => {
  const picks: Picks = { outer: 1, n: 40, k: 700, inner: 2, select: true };
  const index = Array.from(integers(random, 700, 40), (c, i) => (i % 2 ? 5 : c)); // a bucket of ~360
  const uploaded = s.input(index, [700], 'i32', 'index');
  const made = s.own(Tensor.empty(s.gpu, [700], 'i32', 'index written on the GPU'));
  s.gpu.copy(uploaded, made);
  s.expect('the values of the copy are unknown', s.gpu.uploadedRange(made) === null, 'known');
  const dy = s.input(uniform(random, 700 * 2));
  const [v1, v3] = [s.output([80], 'dx v1'), s.output([80], 'dx v3')];
  gatherBackward(made, dy, v1, picks, false, 'naive');
  gatherBackward(made, dy, v3, picks, false, 'merged');
  await s.check('dx v3', v3, await v1.read(), 0, 0);
}));

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
  // An embedding's backward, each version: v1 reads V·K·D indices, v2 and v3 sort K picks into V
  // buckets first (V = 30,000: seconds of SwiftShader per run of v1, so v2 and v3 alone there). Then
  // with half the lookups on one row (a padding token), where v2 heapsorts that bucket in one
  // invocation and v3 merges it in parallel.
  ...GATHER_BACKWARD_VARIANTS.flatMap((variant) => [false, true].map((hot) => kernelCase({
    name: `gather embedding backward K rows of D into V${hot ? ', half of them one row,' : ''} ${label(variant)}`,
    entries: entriesOf(variant),
    variant: label(variant),
    // Hot: 75 of 150 picks on one row, a bucket past one run of 64, so v3 runs a merge pass: the
    // inspector's pick for merge_runs (v3 merges only as far as its largest bucket needs).
    dims: { V: 50, K: hot ? 150 : 70, D: 8 },
    showcase: variant === 'merged' && hot,
    setup(s, { V, K, D }, random) {
      const picks: Picks = { outer: 1, n: V, k: K, inner: D, select: true };
      const [index, dy] = [Array.from(integers(random, K, V), (c, i) => (hot && i % 2 === 0 ? 1 : c)), uniform(random, K * D)];
      const [it, dyt, dx] = [s.input(index, [K], 'i32', 'index'), s.input(dy), s.output([V * D])];
// The hot row sums K/2 terms in (−1, 1) in float32: its rounding grows like √K ulps of sums up to ~√K.
      return { run: () => gatherBackward(it, dyt, dx, picks, false, variant), check: () => s.check('dx', dx, gatherReference(new Float64Array(V * D), index, dy, picks).dx, hot ? 3e-6 * Math.sqrt(K) : 1e-6, 1e-6) };
    },
    bench: {
      sizes: hot ? (variant === 'naive' ? [{ V: 1000, K: 8192, D: 16 }] : [{ V: 1000, K: 8192, D: 16 }, { V: 30000, K: 65536, D: 64 }]) : variant === 'naive' ? [{ V: 1000, K: 512, D: 64 }] : [{ V: 1000, K: 512, D: 64 }, { V: 30000, K: 8192, D: 128 }],
      bytes: (d) => 4 * (d.K! * d.D! + d.V! * d.D!),
    },
  }))),
  // F.gather, F.indexSelect and F.embedding raise for an index out of range when they know its values.
  testCase('gather indices uploaded from JavaScript are known until GPU work writes their buffer', (s) => {
    const gpu = s.gpu;
    const known = (t: Tensor) => {
      const range = gpu.uploadedRange(t);
      return JSON.stringify(range && { min: range.min, minAt: range.minAt, max: range.max, maxAt: range.maxAt });
    };
    const t = s.input([3, -2, 9, 9], [4], 'i32', 'ids');
    const expectKnown = (what: string, range: object) => s.expect(what, known(t) === JSON.stringify(range), known(t));
    expectKnown('after an upload: the extremes and where each first is', { min: -2, minAt: 1, max: 9, maxAt: 2 });
    s.expect('a small upload keeps its values', Array.from(gpu.uploadedRange(t)?.values ?? []).join() === '3,-2,9,9', String(gpu.uploadedRange(t)?.values));
    s.expect('another view of the buffer: unknown', gpu.uploadedRange(new Tensor(gpu, t.buffer, [2], 'i32', t.byteOffset)) === null, '');
    const entry = shader.entry('count_picks');
    gpu.dispatch(entry, { params: { outer: 1, n: 4, k: 4, inner: 1, skip: -1, width: 0 }, index: s.input([0, 1, 2, 3], [4], 'i32'), counts: t }, grid1d(entry, 4), { SELECT: true });
    s.expect('after a dispatch wrote it: unknown', gpu.uploadedRange(t) === null, known(t));
    t.write([5, 6, 7, 8]);
    expectKnown('uploaded again', { min: 5, minAt: 0, max: 8, maxAt: 3 });
    gpu.dispatch(entry, { params: { outer: 1, n: 4, k: 4, inner: 1, skip: -1, width: 0 }, index: t, counts: s.input([0, 0, 0, 0], [4], 'i32') }, grid1d(entry, 4), { SELECT: true });
    expectKnown('after a dispatch only read it: still known', { min: 5, minAt: 0, max: 8, maxAt: 3 });
    gpu.clear(t);
    s.expect('after a clear: unknown', gpu.uploadedRange(t) === null, known(t));
    t.write([1, 1, 1, 1]);
    gpu.copy(s.input([0, 1, 2, 3], [4], 'i32'), t);
    s.expect('after a copy into it: unknown', gpu.uploadedRange(t) === null, known(t));
  }),
  testCase('gather bad arguments are rejected before dispatch', (s, random) => {
    const x = s.input(uniform(random, 12));
    const picks: Picks = { outer: 3, n: 4, k: 2, inner: 1, select: false };
    s.expectError('x of the wrong size', () => gather(s.input(uniform(random, 10)), s.input([0, 1, 2, 3, 0, 1], [6], 'i32'), s.output([6]), picks), /gather: argument 'x' expected 12 elements \(3 × 4 × 1\), got 10/);
    s.expectError('an f32 index', () => gather(x, s.input([0, 1, 2, 3, 0, 1]), s.output([6]), picks), /gather: argument 'index' expected dtype i32, got f32/);
    s.expectError('an index of the wrong size', () => gather(x, s.input([0, 1], [2], 'i32'), s.output([6]), picks), /gather: argument 'index' expected 6 elements, got shape \[2\]/);
    s.expectError('backward dx of the wrong size', () => gatherBackward(s.input([0, 1], [2], 'i32'), s.input(uniform(random, 6)), s.output([5]), { ...picks, select: true }), /gatherBackward: argument 'dx' expected 12 elements/);
    s.expectError('a skip out of range', () => gatherBackward(s.input([0, 1], [2], 'i32'), s.input(uniform(random, 6)), s.output([12]), { ...picks, select: true, skip: 4 }), /gatherBackward: skip expected an index in \[0, 4\), got 4/);
    s.expectError('an unknown backward variant', () => gatherBackward(s.input([0, 1], [2], 'i32'), s.input(uniform(random, 6)), s.output([12]), { ...picks, select: true }, false, 'sorted' as GatherBackwardVariant), /gatherBackward: argument 'variant' expected naive or bucketed or merged, got sorted/);
  }),
);

export const spec: Spec = cases;
