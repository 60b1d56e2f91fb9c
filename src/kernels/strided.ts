// shaders/strided.wgsl: x read through strides. Permuted and spread copies (F.permute, F.transpose,
// F.expand), sums over any dimensions (F.sum and F.mean where the kept ones are not one run), max and
// min over dimensions with their indices (F.max, F.min, F.amax, F.amin, F.argmax, F.argmin), and the
// gradients of each.
import type { Gpu } from '../device/gpu';
import { grid1d, loadShader } from '../device/shader';
import { expectDtype, shapeText } from '../launch';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import { Tensor, upstream, type BackwardRule } from '../tensor';
import { LONG_COLUMN, SUM_CHUNK } from './reduce';

export const shader = loadShader('strided');

/** The shader's limit: axes of x, kept and reduced together, after merging (Params.sizes holds 8). */
export const MAX_AXES = 8;

/** One axis of a read of x: how many entries, and the step between them in x's elements. */
export interface Axis {
  size: number;
  stride: number;
}

/** A read of x: `kept` axes index the output row-major; for each output element the `reduced` axes are summed (or searched), row-major. */
export interface Layout {
  kept: Axis[];
  reduced: Axis[];
}

const product = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);

/** Row-major strides of a contiguous tensor of `shape`. */
export function contiguousStrides(shape: readonly number[]): number[] {
  const strides = new Array<number>(shape.length);
  for (let d = shape.length - 1, s = 1; d >= 0; d--) [strides[d], s] = [s, s * shape[d]!];
  return strides;
}

/** x of `shape` with its dimensions in the order `dims` (torch.permute): a copy, nothing reduced. */
export function permutedLayout(shape: readonly number[], dims: readonly number[]): Layout {
  const strides = contiguousStrides(shape);
  return { kept: dims.map((d) => ({ size: shape[d]!, stride: strides[d]! })), reduced: [] };
}

/** x of `shape` spread over `target` (torch.expand, PyTorch's broadcasting): stride 0 where x has 1 or lacks the dimension. */
export function expandedLayout(shape: readonly number[], target: readonly number[]): Layout {
  const strides = contiguousStrides(shape);
  const lead = target.length - shape.length;
  return { kept: target.map((size, i) => ({ size, stride: i < lead || shape[i - lead] === 1 ? 0 : strides[i - lead]! })), reduced: [] };
}

/** x of `shape` reduced over `dims`: the other dimensions kept in order, `dims` searched in x's order. */
export function reducedLayout(shape: readonly number[], dims: readonly number[]): Layout {
  const strides = contiguousStrides(shape);
  const axis = (d: number): Axis => ({ size: shape[d]!, stride: strides[d]! });
  return {
    kept: shape.flatMap((_, d) => (dims.includes(d) ? [] : [axis(d)])),
    reduced: [...dims].sort((a, b) => a - b).map(axis),
  };
}

/**
 * The same read with fewer axes: axes of size 1 dropped, and neighbours merged where the outer
 * one's stride is the inner one's stride times its size (a contiguous run, or a spread run of
 * stride 0), so a row-major walk of the block visits the same offsets in the same order.
 */
export function simplified(axes: readonly Axis[]): Axis[] {
  const out: Axis[] = [];
  for (const axis of axes) {
    if (axis.size === 1) continue;
    const last = out.at(-1);
    if (last && last.stride === axis.stride * axis.size) out[out.length - 1] = { size: last.size * axis.size, stride: axis.stride };
    else out.push({ ...axis });
  }
  return out;
}

/** The layout's axes once simplified, kept then reduced; an Error naming `op` past the kernel's MAX_AXES (F ops check before allocating). */
export function expectLayout(op: string, layout: Layout): { kept: Axis[]; reduced: Axis[] } {
  const [kept, reduced] = [simplified(layout.kept), simplified(layout.reduced)];
  const count = kept.length + reduced.length;
  if (count > MAX_AXES) throw new Error(`${op}: ${shapeText(layout.kept.map((a) => a.size))}${layout.reduced.length ? ` over ${shapeText(layout.reduced.map((a) => a.size))}` : ''} needs ${count} axes after merging neighbours, past the kernel's ${MAX_AXES}`);
  return { kept, reduced };
}

/**
 * How many invocations share each output's reduction: 1 while outputs are many or reductions short;
 * for a long one with few outputs (F.max over a whole tensor) about √reduced chunks, each of
 * about √reduced elements, so that neither pass is one invocation's long loop.
 */
export function chunksFor(outputs: number, reduced: number): number {
  if (reduced < 4096 || outputs >= 4096) return 1;
  return Math.ceil(reduced / Math.ceil(Math.sqrt(reduced)));
}

/**
 * A sum's chunks: past LONG_COLUMN elements, chunks of SUM_CHUNK however many outputs, level by level
 * (gatherSumAt sums the chunks' sums the same way), as reduce.ts's sumRows: one float32 loop over a
 * long reduction loses digits as its total grows (reduce.wgsl's header). Not past 2^24 partial sums
 * (64 MiB of scratch); below LONG_COLUMN, chunksFor's.
 */
export function sumChunksFor(outputs: number, reduced: number): number {
  if (reduced <= LONG_COLUMN) return chunksFor(outputs, reduced);
  const chunks = Math.ceil(reduced / SUM_CHUNK);
  return outputs * chunks <= 2 ** 24 ? chunks : chunksFor(outputs, reduced);
}

/** Chunks of ceil(reduced / asked) elements, as many as it takes: none left empty (10 in 6 asked is 5 of 2). */
function fitChunks(op: string, reduced: number, asked: number): number {
  if (!Number.isInteger(asked) || asked < 1 || asked > reduced) throw new Error(`${op}: chunks expected an integer from 1 to ${reduced} (the reduction's length), got ${asked}`);
  return Math.ceil(reduced / Math.ceil(reduced / asked));
}

/**
 * The shader's params for a layout over x (checked: within x, at most MAX_AXES axes, the outputs'
 * count). For scatter the layout walks out instead: `walked` names it, from outOffset on.
 */
function paramsFor(op: string, x: Tensor, layout: Layout, outputs: number, alpha: number, chunks = 1, xOffset = 0, outOffset = 0, walked: 'x' | 'out' = 'x') {
  const { kept, reduced } = expectLayout(op, layout);
  const axes = [...kept, ...reduced];
  const reach = (walked === 'x' ? xOffset : outOffset) + axes.reduce((last, a) => last + (a.size - 1) * a.stride, 0);
  if (reach >= x.size) throw new Error(`${op}: the layout reaches element ${reach} of '${walked}', which has ${x.size}`);
  const expected = product(layout.kept.map((a) => a.size));
  if (outputs !== expected) throw new Error(`${op}: the output has ${outputs} elements, the layout's kept axes ${shapeText(layout.kept.map((a) => a.size))} ${expected}`);
  const count = product(reduced.map((a) => a.size));
  if (fitChunks(op, count, chunks) !== chunks) throw new Error(`${op}: ${chunks} chunks over ${count} would leave one empty`);
  const pad = (values: number[]) => [...values, ...new Array<number>(MAX_AXES - values.length).fill(1)];
  return {
    outputs,
    kept_rank: kept.length,
    rank: axes.length,
    reduced: count,
    alpha,
    chunks,
    chunk: Math.ceil(count / chunks),
    x_offset: xOffset,
    out_offset: outOffset,
    sizes: pad(axes.map((a) => a.size)),
    strides: pad(axes.map((a) => a.stride)),
  };
}

/** The partial results of `outputs` reductions of `chunks` each, summed (or searched) per output: kept [outputs], reduced [chunks]. */
const partialsLayout = (outputs: number, chunks: number): Layout => ({ kept: [{ size: outputs, stride: chunks }], reduced: [{ size: chunks, stride: 1 }] });

/**
 * out = alpha · Σ over layout.reduced of x read through layout (a permuted or spread copy when
 * nothing is reduced); with accumulate, out += …. Split into `chunks` per output (sumChunksFor's
 * pick), summed by a second pass, when the reductions are long.
 */
export function gatherSum(x: Tensor, out: Tensor, layout: Layout, alpha = 1, accumulate = false, chunks = sumChunksFor(out.size, product(layout.reduced.map((a) => a.size)))): void {
  gatherSumAt(x, 0, out, 0, out.size, layout, alpha, accumulate, chunks);
}

/**
 * gatherSum from x's element xOffset on, into `outputs` elements of out from outOffset on: a copy
 * placed within larger tensors (a slice of F.cat's output or of its gradient).
 */
export function gatherSumAt(x: Tensor, xOffset: number, out: Tensor, outOffset: number, outputs: number, layout: Layout, alpha = 1, accumulate = false, chunks = sumChunksFor(outputs, product(layout.reduced.map((a) => a.size))), level = 0): void {
  expectDtype('gatherSum', 'x', x, 'f32');
  expectDtype('gatherSum', 'out', out, 'f32');
  if (!Number.isInteger(outOffset) || outOffset < 0 || outOffset + outputs > out.size) throw new Error(`gatherSum: ${outputs} outputs from element ${outOffset} overrun 'out', which has ${out.size}`);
  if (!Number.isInteger(xOffset) || xOffset < 0) throw new Error(`gatherSum: x's offset expected an integer ≥ 0, got ${xOffset}`);
  chunks = fitChunks('gatherSum', product(layout.reduced.map((a) => a.size)), chunks);
  const entry = shader.entry('gather_sum');
  const params = paramsFor('gatherSum', x, layout, outputs, chunks > 1 ? 1 : alpha, chunks, xOffset, chunks > 1 ? 0 : outOffset);
  if (chunks === 1) return x.gpu.dispatch(entry, { params, x, out }, grid1d(entry, outputs), { ACCUMULATE: accumulate });
  // Each level's partial sums in a scratch of its own (the next level reads them while writing its own).
  const partial = Tensor.scratch(x.gpu, `strided partial sums, level ${level}`, [outputs * chunks]);
  x.gpu.dispatch(entry, { params, x, out: partial }, grid1d(entry, outputs * chunks), { ACCUMULATE: false });
  gatherSumAt(partial, 0, out, outOffset, outputs, partialsLayout(outputs, chunks), alpha, accumulate, sumChunksFor(outputs, chunks), level + 1);
}

/**
 * out[outOffset + at(j)] = alpha · x[xOffset + j] for the `count` elements of the layout's kept axes,
 * which place each within out (strides of out; nothing reduced, and no stride 0 over a size past 1:
 * two elements at one place would race); with accumulate, out[…] += …. gatherSum's copy the other
 * way round: torch.cat writes each input into its slice, and a slice's gradient goes back to its place.
 */
export function scatter(x: Tensor, xOffset: number, out: Tensor, outOffset: number, layout: Layout, alpha = 1, accumulate = false): void {
  const op = 'scatter';
  expectDtype(op, 'x', x, 'f32');
  expectDtype(op, 'out', out, 'f32');
  if (layout.reduced.length) throw new Error(`${op}: the layout reduces ${shapeText(layout.reduced.map((a) => a.size))}; a scatter only places`);
  if (layout.kept.some((a) => a.stride === 0 && a.size > 1)) throw new Error(`${op}: a stride of 0 over ${shapeText(layout.kept.map((a) => a.size))} would write one place twice`);
  const count = product(layout.kept.map((a) => a.size));
  if (!Number.isInteger(xOffset) || xOffset < 0 || xOffset + count > x.size) throw new Error(`${op}: ${count} elements from element ${xOffset} overrun 'x', which has ${x.size}`);
  if (!Number.isInteger(outOffset) || outOffset < 0) throw new Error(`${op}: out's offset expected an integer ≥ 0, got ${outOffset}`);
  const params = paramsFor(op, out, layout, count, alpha, 1, xOffset, outOffset, 'out');
  const entry = shader.entry('scatter');
  x.gpu.dispatch(entry, { params, x, out }, grid1d(entry, count), { ACCUMULATE: accumulate });
}

export type Extreme = 'max' | 'min';

/**
 * values = the max (or min) of x over layout.reduced for each kept element, indices = the first
 * position (row-major over the reduced axes) that holds it. Split into `chunks` per output as gatherSum.
 */
export function extreme(op: Extreme, x: Tensor, layout: Layout, values: Tensor, indices: Tensor, chunks = chunksFor(values.size, product(layout.reduced.map((a) => a.size)))): void {
  expectDtype(op, 'x', x, 'f32');
  expectDtype(op, 'values', values, 'f32');
  expectDtype(op, 'indices', indices, 'i32');
  if (indices.size !== values.size) throw new Error(`${op}: argument 'indices' expected ${values.size} elements (as 'values'), got shape ${shapeText(indices.shape)}`);
  chunks = fitChunks(op, product(layout.reduced.map((a) => a.size)), chunks);
  const entry = shader.entry('extreme');
  const params = paramsFor(op, x, layout, values.size, 1, chunks);
  const constants = { IS_MAX: op === 'max' };
  if (chunks === 1) return x.gpu.dispatch(entry, { params, x, values, indices }, grid1d(entry, values.size), constants);
  const shares = values.size * chunks;
  const [partialValues, partialIndices] = [Tensor.scratch(x.gpu, 'strided partial values', [shares]), Tensor.scratch(x.gpu, 'strided partial indices', [shares], 'i32')];
  x.gpu.dispatch(entry, { params, x, values: partialValues, indices: partialIndices }, grid1d(entry, shares), constants);
  const combine = shader.entry('extreme_combine');
  x.gpu.dispatch(combine, { params, values_saved: partialValues, indices_saved: partialIndices, values, indices }, grid1d(combine, values.size), constants);
}

/**
 * dx = dy at each kept element's chosen position, 0 elsewhere: the position in `indices`
 * (torch.max(x, dim)), or with `even` every position where x equals the value, each dy / their count
 * (torch.amax, and torch.max over every element; the counts in the Gpu's scratch). One invocation
 * per element of x read. With accumulate, dx += ….
 */
export function extremeBackward(x: Tensor, layout: Layout, values: Tensor, indices: Tensor, dy: Tensor, dx: Tensor, even: boolean, accumulate = false, chunks = chunksFor(values.size, product(layout.reduced.map((a) => a.size)))): void {
  const where = 'extremeBackward';
  for (const [name, t] of [['x', x], ['values_saved', values], ['dy', dy], ['dx', dx]] as const) expectDtype(where, name, t, 'f32');
  expectDtype(where, 'indices_saved', indices, 'i32');
  if (dx.size !== x.size) throw new Error(`${where}: argument 'dx' expected ${x.size} elements (as 'x'), got shape ${shapeText(dx.shape)}`);
  if (dy.size !== values.size || indices.size !== values.size) throw new Error(`${where}: 'dy' and 'indices_saved' expected ${values.size} elements (as 'values_saved'), got ${shapeText(dy.shape)} and ${shapeText(indices.shape)}`);
  chunks = fitChunks(where, product(layout.reduced.map((a) => a.size)), chunks);
  const params = paramsFor(where, x, layout, values.size, 1, chunks);
  let counts = values; // bound, not read, unless even
  if (even) {
    counts = Tensor.scratch(x.gpu, 'strided tie counts', [values.size]);
    const count = shader.entry('count_ties');
    const partial = chunks === 1 ? counts : Tensor.scratch(x.gpu, 'strided partial sums', [values.size * chunks]);
    x.gpu.dispatch(count, { params, x, values_saved: values, out: partial }, grid1d(count, values.size * chunks));
    if (chunks > 1) gatherSum(partial, counts, partialsLayout(values.size, chunks), 1, false, 1);
  }
  const entry = shader.entry('extreme_backward');
  x.gpu.dispatch(entry, { params, x, values_saved: values, indices_saved: indices, counts, dy, dx }, grid1d(entry, values.size * params.reduced), { EVEN: even, ACCUMULATE: accumulate });
}

/** Indices nobody keeps (F.amax's, F.max's over every element), in the Gpu's scratch: written by extreme, not read after. */
export function scratchIndices(gpu: Gpu, shape: readonly number[]): Tensor {
  return Tensor.scratch(gpu, 'strided indices', shape, 'i32', 'indices (not kept)');
}

/** The inverse of a permutation: dims[inverse[d]] = d. */
export function inversePermutation(dims: readonly number[]): number[] {
  const inverse = new Array<number>(dims.length);
  dims.forEach((d, i) => (inverse[d] = i));
  return inverse;
}

export const gradients = {
  /** y = x.permute(dims): d x = dy.permute(inverse). */
  permute: (x: Tensor, y: Tensor, dims: readonly number[]): BackwardRule => (ctx, dy) => {
    const { grad, accumulate } = ctx.target(x);
    gatherSum(upstream(dy, x.gpu, y.shape), grad, permutedLayout(y.shape, inversePermutation(dims)), 1, accumulate);
  },
  /** y = cat(xs, dim): d xs[k] = dy's slice k along dim, read in place. */
  cat: (xs: readonly Tensor[], y: Tensor, dim: number): BackwardRule => (ctx, dy) => {
    const g = upstream(dy, y.gpu, y.shape);
    const strides = contiguousStrides(y.shape);
    let start = 0;
    for (const x of xs) {
      if (x.requiresGrad) {
        const { grad, accumulate } = ctx.target(x);
        gatherSumAt(g, start * strides[dim]!, grad, 0, x.size, { kept: x.shape.map((size, k) => ({ size, stride: strides[k]! })), reduced: [] }, 1, accumulate);
      }
      start += x.shape[dim]!;
    }
  },
  /** y = x read through layout from offset, nothing reduced (a slice): d x = dy placed back there, 0 elsewhere. */
  slice: (x: Tensor, y: Tensor, layout: Layout, offset: number): BackwardRule => (ctx, dy) => {
    const { grad, accumulate } = ctx.target(x);
    if (!accumulate) x.gpu.clear(grad);
    scatter(upstream(dy, x.gpu, y.shape), 0, grad, offset, layout, 1, accumulate);
  },
  /** y = x.expand(shape): d x = dy summed over the dimensions x was spread along. */
  expand: (x: Tensor, y: Tensor): BackwardRule => (ctx, dy) => {
    const { grad, accumulate } = ctx.target(x);
    const lead = y.shape.length - x.shape.length;
    const spread = y.shape.flatMap((d, i) => (i < lead || (x.shape[i - lead] === 1 && d !== 1) ? [i] : []));
    gatherSum(upstream(dy, x.gpu, y.shape), grad, reducedLayout(y.shape, spread), 1, accumulate);
  },
  /** y = scale · Σ x over dims (kept dimensions of size 1 in `kept`): d x = scale · dy spread back over x. */
  sumOverDims: (x: Tensor, kept: readonly number[], scale: number): BackwardRule => (ctx, dy) => {
    const { grad, accumulate } = ctx.target(x);
    gatherSum(upstream(dy, x.gpu, kept), grad, expandedLayout(kept, x.shape), scale, accumulate);
  },
  /**
   * values = max (min) of x over a layout's reduced axes: d x to the position in `indices`
   * (torch.max(x, dim)), or with indices null shared among the ties (torch.amax, max over all).
   */
  extreme: (x: Tensor, layout: Layout, values: Tensor, indices: Tensor | null): BackwardRule => (ctx, dy) => {
    const { grad, accumulate } = ctx.target(x);
    const bound = indices ?? scratchIndices(x.gpu, values.shape); // bound, not read, when ties share
    extremeBackward(x, layout, values, bound, upstream(dy, x.gpu, values.shape), grad, indices === null, accumulate);
  },
};

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

/** Row-major coordinates of flat index i in `shape`. */
function coordinates(i: number, shape: readonly number[]): number[] {
  const c = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) [c[d], i] = [i % shape[d]!, Math.floor(i / shape[d]!)];
  return c;
}

/** Flat index of coordinates c in `shape`. */
function flatIndex(c: readonly number[], shape: readonly number[]): number {
  return c.reduce((i, v, d) => i * shape[d]! + v, 0);
}

/** float64 x.permute(dims), by coordinates: y[c] = x[c mapped back through dims]. */
export function permuteReference(x: ArrayLike<number>, shape: readonly number[], dims: readonly number[]): Float64Array {
  const yShape = dims.map((d) => shape[d]!);
  return Float64Array.from({ length: x.length }, (_, i) => {
    const c = coordinates(i, yShape);
    const source = new Array<number>(shape.length);
    dims.forEach((d, k) => (source[d] = c[k]!));
    return x[flatIndex(source, shape)]!;
  });
}

/** float64 reductions of x over `dims`: sum, and max/min with the first index (row-major over the reduced dims) and the even share. */
export function reduceReference(x: ArrayLike<number>, shape: readonly number[], dims: readonly number[]) {
  const keptShape = shape.map((d, i) => (dims.includes(i) ? 1 : d));
  const reducedShape = [...dims].sort((a, b) => a - b).map((d) => shape[d]!);
  const outputs = product(keptShape);
  const groups: number[][] = Array.from({ length: outputs }, () => []);
  // Each group's members in row-major order over the reduced dims: x's own order restricted to them.
  for (let i = 0; i < x.length; i++) {
    const c = coordinates(i, shape);
    groups[flatIndex(c.map((v, d) => (dims.includes(d) ? 0 : v)), keptShape)]!.push(i);
  }
  const sum = Float64Array.from(groups, (g) => g.reduce((t, i) => t + x[i]!, 0));
  const find = (better: (a: number, b: number) => boolean) => groups.map((g) => {
    let at = 0;
    for (let k = 1; k < g.length && !Number.isNaN(x[g[at]!]!); k++) if (Number.isNaN(x[g[k]!]!) || better(x[g[k]!]!, x[g[at]!]!)) at = k;
    return { value: x[g[at]!]!, index: at };
  });
  return { groups, keptShape, reducedShape, sum, max: find((a, b) => a > b), min: find((a, b) => a < b) };
}

// Shapes with a permutation, including rank 6 and axes of size 1 that merge away.
const permutations: { shape: number[]; dims: number[] }[] = [
  { shape: [7], dims: [0] },
  { shape: [5, 3], dims: [1, 0] },
  { shape: [2, 3, 4], dims: [2, 0, 1] },
  { shape: [3, 1, 5, 2], dims: [0, 2, 3, 1] },
  { shape: [2, 3, 2, 3, 2, 3], dims: [5, 3, 1, 4, 2, 0] },
  { shape: [67, 33], dims: [1, 0] },
  // Past the kernel's 8 axes, within it once runs are merged (9 to 3), and once axes of size 1 are dropped (11 to 6).
  { shape: [2, 2, 2, 2, 2, 2, 2, 2, 2], dims: [1, 0, 2, 3, 4, 5, 6, 7, 8] },
  { shape: [2, 1, 3, 1, 2, 1, 3, 1, 2, 1, 2], dims: [10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0] },
];
// Reductions over one dimension or several, middle ones alone included.
const reductions: { shape: number[]; dims: number[] }[] = [
  { shape: [5, 3], dims: [0] },
  { shape: [4, 6, 5], dims: [1] },
  { shape: [2, 3, 4, 5], dims: [0, 2] },
  { shape: [3, 1, 4, 2], dims: [1, 3] },
  { shape: [6, 70, 3], dims: [0, 2] },
  { shape: [130, 9], dims: [1] },
];

const cases: KernelCase[] = [];
for (const { shape, dims } of permutations) {
  cases.push(kernelCase({
    name: `strided permute ${shapeText(shape)} to ${shapeText(dims)}`,
    entries: ['gather_sum'],
    dims: { n: product(shape) },
    showcase: shape.length === 3,
    setup(s, _, random) {
      const x = uniform(random, product(shape));
      const [xt, y] = [s.input(x, shape), s.output(dims.map((d) => shape[d]!))];
      return { run: () => gatherSum(xt, y, permutedLayout(shape, dims)), check: () => s.check('y', y, permuteReference(x, shape, dims), 0, 0) };
    },
  }));
}
for (const { shape, target, accumulate } of [
  { shape: [3, 1], target: [3, 4], accumulate: false },
  { shape: [4], target: [2, 3, 4], accumulate: true },
  { shape: [1, 5, 1], target: [2, 3, 5, 7], accumulate: false },
]) {
  cases.push(kernelCase({
    name: `strided expand ${shapeText(shape)} to ${shapeText(target)}${accumulate ? ' accumulate, alpha 0.5' : ''}`,
    entries: ['gather_sum'],
    dims: { n: product(target) },
    setup(s, _, random) {
      const [x, previous] = [uniform(random, product(shape)), uniform(random, product(target))];
      const [xt, y] = [s.input(x, shape), s.output(target)];
      if (accumulate) y.write(previous);
      // Written from the broadcasting rule: each coordinate of target read at 0 where x has 1 or lacks the dimension.
      const lead = target.length - shape.length;
      const expected = Float64Array.from({ length: product(target) }, (_, i) => {
        const c = coordinates(i, target).slice(lead).map((v, d) => (shape[d] === 1 ? 0 : v));
        return (accumulate ? 0.5 : 1) * x[flatIndex(c, shape)]! + (accumulate ? Math.fround(previous[i]!) : 0);
      });
      return { run: () => gatherSum(xt, y, expandedLayout(shape, target), accumulate ? 0.5 : 1, accumulate), check: () => s.check('y', y, expected, 1e-7, 1e-6) };
    },
  }));
}
for (const { shape, dims } of reductions) {
  cases.push(kernelCase({
    name: `strided ${dims.length > 1 ? 'mean' : 'sum'} ${shapeText(shape)} over ${shapeText(dims)}`,
    entries: ['gather_sum'],
    dims: { n: product(shape) },
    setup(s, _, random) {
      const x = uniform(random, product(shape));
      const reference = reduceReference(x, shape, dims);
      const [xt, y] = [s.input(x, shape), s.output(reference.keptShape)];
      const count = product(reference.reducedShape);
      const alpha = dims.length > 1 ? 1 / count : 1; // F.mean's scale
      return { run: () => gatherSum(xt, y, reducedLayout(shape, dims), alpha), check: () => s.check('y', y, reference.sum.map((v) => alpha * v), 1e-6 * Math.sqrt(count), 1e-6) };
    },
  }));
  for (const op of ['max', 'min'] as const) {
    cases.push(kernelCase({
      name: `strided ${op} ${shapeText(shape)} over ${shapeText(dims)}, ties`,
      entries: ['extreme'],
      dims: { n: product(shape) },
      setup(s, _, random) {
        // Values on a coarse grid, so ties are common and the first index must be the one kept.
        const x = uniform(random, product(shape)).map((v) => Math.round(v * 4) / 4);
        const reference = reduceReference(x, shape, dims);
        const [xt, values] = [s.input(x, shape), s.output(reference.keptShape)];
        const indices = s.input(new Int32Array(values.size).fill(-7), reference.keptShape, 'i32', 'indices');
        return {
          run: () => extreme(op, xt, reducedLayout(shape, dims), values, indices),
          check: async () => {
            await s.check('values', values, reference[op].map((m) => m.value), 0, 0);
            await s.check('indices', indices, reference[op].map((m) => m.index), 0, 0);
          },
        };
      },
    }));
  }
  for (const [even, accumulate] of [[false, false], [true, true], [true, false]] as const) {
    cases.push(kernelCase({
      name: `strided max backward ${shapeText(shape)} over ${shapeText(dims)}${even ? ', ties share' : ', to the index'}${accumulate ? ' accumulate' : ''}`,
      entries: ['extreme_backward'],
      dims: { n: product(shape) },
      setup(s, _, random) {
        const x = uniform(random, product(shape)).map((v) => Math.round(v * 4) / 4);
        const reference = reduceReference(x, shape, dims);
        const [dy, previous] = [uniform(random, reference.groups.length), uniform(random, x.length)];
        const layout = reducedLayout(shape, dims);
        const [xt, values, dx] = [s.input(x, shape), s.output(reference.keptShape, 'values'), s.output(shape, 'dx')];
        const indices = s.input(new Int32Array(values.size).fill(-7), reference.keptShape, 'i32', 'indices');
        if (accumulate) dx.write(previous);
        extreme('max', xt, layout, values, indices);
        const dyt = s.input(dy, reference.keptShape);
        const expected = Float64Array.from(x, (_, i) => (accumulate ? Math.fround(previous[i]!) : 0));
        reference.groups.forEach((g, j) => {
          const { value, index } = reference.max[j]!;
          const chosen = even ? g.filter((i) => x[i] === value) : [g[index]!];
          for (const i of chosen) expected[i]! += Math.fround(dy[j]!) / chosen.length;
        });
        return { run: () => extremeBackward(xt, layout, values, indices, dyt, dx, even, accumulate), check: () => s.check('dx', dx, expected, 1e-7, 1e-6) };
      },
    }));
  }
}

cases.push(
  // A matrix transposed: the bench's row (one read and one write per element, a stride of C on one side).
  kernelCase({
    name: 'strided transpose R×C',
    entries: ['gather_sum'],
    dims: { R: 37, C: 130 },
    setup(s, { R, C }, random) {
      const x = uniform(random, R * C);
      const [xt, y] = [s.input(x, [R, C]), s.output([C, R])];
      return { run: () => gatherSum(xt, y, permutedLayout([R, C], [1, 0])), check: () => s.check('y', y, permuteReference(x, [R, C], [1, 0]), 0, 0) };
    },
    bench: { sizes: [{ R: 256, C: 256 }, { R: 1024, C: 1024 }, { R: 2048, C: 2048 }], bytes: (d) => 8 * d.R! * d.C! },
  }),
  // Long reductions split into chunks, each with a partial result, finished by a second pass: chunk
  // counts that divide the reduction and that leave a short last chunk, ties across chunk edges (the
  // first position overall must win), a NaN in a later chunk, and chunksFor's own pick at [3, 5000].
  ...[
    { shape: [2, 10], dims: [1], chunks: 3 },
    { shape: [4, 3, 5], dims: [0, 2], chunks: 4 },
    { shape: [12], dims: [0], chunks: 12 },
    { shape: [10], dims: [0], chunks: 6 }, // fitted to 5 chunks of 2, none empty
    { shape: [3, 5000], dims: [1], chunks: 0 },
    { shape: [70, 9], dims: [1], chunks: 3 }, // past one workgroup of outputs
  ].map(({ shape, dims, chunks: asked }) => kernelCase({
    name: `strided chunked sum, max and min, tie-shared backward ${shapeText(shape)} over ${shapeText(dims)}, ${asked ? `${asked} chunks` : "chunksFor's pick"}`,
    entries: ['gather_sum', 'extreme', 'extreme_combine', 'count_ties', 'extreme_backward'],
    dims: { n: product(shape) },
    setup(s, _, random) {
      const n = product(shape);
      // A coarse grid: ties everywhere, across chunk edges too.
      const x = uniform(random, n).map((v) => Math.round(v * 2) / 2);
      const reference = reduceReference(x, shape, dims);
      const layout = reducedLayout(shape, dims);
      const count = product(reference.reducedShape);
      const chunks = asked || chunksFor(reference.groups.length, count);
      s.expect('more than one chunk', chunks > 1, `${chunks} over ${count}`);
      // Two NaNs in the first output's reduction, in different chunks: the first must win.
      const withNan = x.slice();
      withNan[reference.groups[0]!.at(-2)!] = NaN;
      withNan[reference.groups[0]![1]!] = NaN;
      const nanReference = reduceReference(withNan, shape, dims);
      const [xt, nanX] = [s.input(x, shape), s.input(withNan, shape, 'f32', 'x with a NaN')];
      const sum = s.output(reference.keptShape, 'sum');
      const found = (['max', 'min'] as const).map((op) => ({ op, values: s.output(reference.keptShape, `${op} values`), indices: s.input(new Int32Array(sum.size).fill(-7), reference.keptShape, 'i32', `${op} indices`) }));
      const nan = { values: s.output(reference.keptShape, 'max values, a NaN'), indices: s.input(new Int32Array(sum.size).fill(-7), reference.keptShape, 'i32', 'max indices, a NaN') };
      const dy = uniform(random, sum.size);
      const dyt = s.input(dy, reference.keptShape, 'f32', 'dy');
      const dx = s.output(shape, 'dx');
      return {
        run() {
          gatherSum(xt, sum, layout, 0.5, false, chunks);
          for (const { op, values, indices } of found) extreme(op, xt, layout, values, indices, chunks);
          extreme('max', nanX, layout, nan.values, nan.indices, chunks);
          extremeBackward(xt, layout, found[0]!.values, found[0]!.indices, dyt, dx, true, false, chunks);
        },
        async check() {
          await s.check('0.5 · sum', sum, reference.sum.map((v) => 0.5 * v), 1e-6 * Math.sqrt(count), 1e-6);
          for (const { op, values, indices } of found) {
            await s.check(`${op} values`, values, reference[op].map((m) => m.value), 0, 0);
            await s.check(`${op} indices (the first of ties, across chunks)`, indices, reference[op].map((m) => m.index), 0, 0);
          }
          await s.check('max with a NaN: values', nan.values, nanReference.max.map((m) => m.value), 0, 0);
          await s.check('max with a NaN: indices', nan.indices, nanReference.max.map((m) => m.index), 0, 0);
          const expected = new Float64Array(n);
          reference.groups.forEach((g, j) => {
            const ties = g.filter((i) => x[i] === reference.max[j]!.value);
            for (const i of ties) expected[i] = Math.fround(dy[j]!) / ties.length;
          });
          await s.check('d x shared among ties (counted in chunks)', dx, expected, 1e-7, 1e-6);
        },
      };
    },
  })),
  // A copy placed within larger tensors: a transposed [3, 4] block read from x's element 5 on, written
  // from out's element 7 on (F.cat's slices); out's other elements keep their NaN poison.
  kernelCase({
    name: 'strided gather with offsets: a block of x into a slice of out',
    entries: ['gather_sum'],
    dims: { n: 30 },
    setup(s, { n }, random) {
      const x = uniform(random, n);
      const [xt, out] = [s.input(x), s.output([25])];
      const expected = new Float64Array(25).fill(NaN);
      for (let r = 0; r < 4; r++) for (let c = 0; c < 3; c++) expected[7 + r * 3 + c] = x[5 + c * 4 + r]!;
      return { run: () => gatherSumAt(xt, 5, out, 7, 12, permutedLayout([3, 4], [1, 0])), check: () => s.check('out', out, expected, 0, 0) };
    },
  }),
  // Past 65,535 workgroups of outputs: the grid spills into y.
  kernelCase({
    name: `strided permute [${PAST_GRID_LIMIT / 1}] as a column, past the grid limit`,
    entries: ['gather_sum'],
    dims: { n: PAST_GRID_LIMIT },
    setup(s, { n }, random) {
      const x = uniform(random, n);
      const [xt, y] = [s.input(x, [n, 1]), s.output([1, n])];
      return { run: () => gatherSum(xt, y, permutedLayout([n, 1], [1, 0])), check: () => s.check('y', y, x, 0, 0) };
    },
  }),
  // A NaN wins over every number, in max and min, and is found first; its gradient goes to it.
  testCase('strided max and min: a NaN wins, the first one (torch.max: NaN propagates), and takes the gradient', async (s) => {
    const x = [1, NaN, 5, NaN, /* row 2 */ 2, 3, 3, -1, /* row 3 */ -Infinity, -Infinity, -Infinity, -Infinity];
    const layout = reducedLayout([3, 4], [1]);
    const xt = s.input(x, [3, 4]);
    for (const op of ['max', 'min'] as const) {
      const values = s.output([3], `${op} values`);
      const indices = s.input([-7, -7, -7], [3], 'i32', `${op} indices`);
      extreme(op, xt, layout, values, indices);
      await s.check(`${op} values`, values, op === 'max' ? [NaN, 3, -Infinity] : [NaN, -1, -Infinity], 0, 0);
      await s.check(`${op} indices`, indices, op === 'max' ? [1, 1, 0] : [1, 3, 0], 0, 0);
      const dx = s.output([3, 4], `${op} dx`);
      extremeBackward(xt, layout, values, indices, s.input([1, 2, 3]), dx, false);
      await s.check(`${op} dx`, dx, op === 'max' ? [0, 1, 0, 0, 0, 2, 0, 0, 3, 0, 0, 0] : [0, 1, 0, 0, 0, 0, 0, 2, 3, 0, 0, 0], 0, 0);
      const shared = s.output([3, 4], `${op} dx, ties share`);
      extremeBackward(xt, layout, values, indices, s.input([1, 2, 3]), shared, true);
      await s.check(`${op} dx, ties share (NaN matches NaN)`, shared, op === 'max' ? [0, 0.5, 0, 0.5, 0, 1, 1, 0, 0.75, 0.75, 0.75, 0.75] : [0, 0.5, 0, 0.5, 0, 0, 0, 2, 0.75, 0.75, 0.75, 0.75], 0, 0);
    }
  }),
  // scatter: x's elements placed within a larger out through out's strides (a slice's gradient, cat's
  // slices): a [R, C] block at rows r0 + i·rowStep, columns c0 + j·colStep of out [H, W], x read
  // from element 3 on; out's other elements keep their NaN poison, or their values with accumulate.
  ...[
    { R: 3, C: 4, H: 5, W: 6, r0: 1, c0: 2, rowStep: 1, colStep: 1, accumulate: false },
    { R: 9, C: 13, H: 30, W: 40, r0: 2, c0: 1, rowStep: 3, colStep: 2, accumulate: true }, // > 64 elements: two workgroups
  ].map(({ R, C, H, W, r0, c0, rowStep, colStep, accumulate }) => kernelCase({
    name: `strided scatter [${R}, ${C}] into [${H}, ${W}] at (${r0}, ${c0}) every (${rowStep}, ${colStep})${accumulate ? ' accumulate' : ''}`,
    entries: ['scatter'],
    dims: { R, C },
    setup(s, { R, C }, random) {
      const [x, previous] = [uniform(random, R * C + 3), uniform(random, H * W)];
      const [xt, out] = [s.input(x), s.output([H, W])];
      if (accumulate) out.write(previous);
      const expected = accumulate ? Array.from(previous, (v) => Math.fround(v)) : new Array<number>(H * W).fill(NaN);
      for (let i = 0; i < R; i++) for (let j = 0; j < C; j++) expected[(r0 + i * rowStep) * W + c0 + j * colStep] = (accumulate ? expected[(r0 + i * rowStep) * W + c0 + j * colStep]! : 0) + 0.5 * x[3 + i * C + j]!;
      const layout: Layout = { kept: [{ size: R, stride: rowStep * W }, { size: C, stride: colStep }], reduced: [] };
      return { run: () => scatter(xt, 3, out, r0 * W + c0, layout, 0.5, accumulate), check: () => s.check('out', out, expected, 1e-7, 1e-6) };
    },
  })),
  testCase('strided bad layouts are rejected before dispatch', (s, random) => {
    const x = s.input(uniform(random, 12), [3, 4]);
    s.expectError('a layout past x', () => gatherSum(x, s.output([4, 4]), permutedLayout([4, 4], [1, 0])), /gatherSum: the layout reaches element 15 of 'x', which has 12/);
    s.expectError('output size', () => gatherSum(x, s.output([5]), reducedLayout([3, 4], [0])), /gatherSum: the output has 5 elements, the layout's kept axes \[4\] 4/);
    s.expectError('9 axes', () => gatherSum(s.input(uniform(random, 512), [2, 2, 2, 2, 2, 2, 2, 2, 2]), s.output([512]), permutedLayout([2, 2, 2, 2, 2, 2, 2, 2, 2], [8, 7, 6, 5, 4, 3, 2, 1, 0])), /needs 9 axes after merging neighbours, past the kernel's 8/);
    const params = { outputs: 1, kept_rank: 0, rank: 0, reduced: 1, alpha: 1, chunks: 1, chunk: 1, x_offset: 0, out_offset: 0, strides: new Array<number>(8).fill(1) };
    s.expectError('a uniform array of the wrong length', () => x.gpu.dispatch(shader.entry('gather_sum'), { params: { ...params, sizes: [1, 2, 3] }, x, out: s.output([1]) }, [1]), /member 'sizes' \(8 × u32\) expected an array of 8 numbers, got 3/);
    s.expectError('a uniform array with a fraction', () => x.gpu.dispatch(shader.entry('gather_sum'), { params: { ...params, sizes: [1, 1, 1, 1, 1, 1, 1, 1.5] }, x, out: s.output([1]) }, [1]), /member 'sizes\[7\]' \(u32\) expected an integer in \[0, 4294967295\], got 1\.5/);
    s.expectError('outputs past out', () => gatherSumAt(x, 0, s.output([12]), 3, 12, permutedLayout([3, 4], [1, 0])), /gatherSum: 12 outputs from element 3 overrun 'out', which has 12/);
    s.expectError('an offset past x', () => gatherSumAt(x, 1, s.output([12]), 0, 12, permutedLayout([3, 4], [1, 0])), /gatherSum: the layout reaches element 12 of 'x', which has 12/);
    s.expectError('f32 indices', () => extreme('max', x, reducedLayout([3, 4], [1]), s.output([3]), s.output([3])), /max: argument 'indices' expected dtype i32, got f32/);
    const block: Layout = { kept: [{ size: 2, stride: 4 }, { size: 2, stride: 1 }], reduced: [] };
    s.expectError('a scatter past out', () => scatter(x, 0, s.output([6]), 1, block), /scatter: the layout reaches element 6 of 'out', which has 6/);
    s.expectError('a scatter past x', () => scatter(s.input([1, 2, 3]), 0, s.output([12]), 0, block), /scatter: 4 elements from element 0 overrun 'x', which has 3/);
    s.expectError('a scatter writing one place twice', () => scatter(x, 0, s.output([12]), 0, { kept: [{ size: 2, stride: 0 }], reduced: [] }), /scatter: a stride of 0 over \[2\] would write one place twice/);
  }),
);

export const spec: Spec = cases;
