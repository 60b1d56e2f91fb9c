// shaders/layer_norm.wgsl: layer normalisation over the last dimensions (F.layer_norm, nn.LayerNorm),
// forward and backward in one dispatch each, the weight's gradient in one or two, the bias's a
// column sum (reduce.wgsl).
import type { Gpu } from '../device/gpu';
import { grid1d, loadShader } from '../device/shader';
import { sizeClass, type TuningJob } from '../device/tuner';
import { expectDtype, expectShape, shapeText } from '../launch';
import * as ref from '../reference/layer_norm';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type CaseScope, type KernelCase, type Spec } from '../spec/scope';
import { Tensor, upstream, type BackwardRule } from '../tensor';
import { expectReductionVariant, REDUCTION_VARIANTS, sumRows, type ReductionVariant } from './reduce';

export const shader = loadShader('layer_norm');

/** v2's workgroup, as @workgroup_size(256) in layer_norm.wgsl: one per row. */
const TREE_WORKGROUP = 256;

export interface LayerNormArgs {
  /** Values per row: the product of normalized_shape. x is [rows, N] in memory. */
  N: number;
  eps: number;
  /** N values each, or null for none (1 and 0). */
  weight: Tensor | null;
  bias: Tensor | null;
  /** [rows] each: the forward writes them, the backward reads them. */
  mean: Tensor;
  rstd: Tensor;
  /** Without one, the tuner's pick for this row count and length (rows shorter than 256: serial). */
  variant?: ReductionVariant;
}

/** rows, after checking x, its statistics and the affine parameters against N. */
function rowsOf(op: string, x: Tensor, args: LayerNormArgs): number {
  const { N, eps, weight, bias, mean, rstd } = args;
  expectDtype(op, 'x', x, 'f32');
  if (!Number.isInteger(N) || N < 1 || x.size % N !== 0) throw new Error(`${op}: N expected a positive integer dividing x's ${x.size} elements, got ${String(N)}`);
  if (!(eps > 0) || !Number.isFinite(eps)) throw new Error(`${op}: argument 'eps' expected a number > 0, got ${String(eps)}`);
  const rows = x.size / N;
  for (const [name, t] of [['mean', mean], ['rstd', rstd]] as const) {
    expectDtype(op, name, t, 'f32');
    if (t.size !== rows) throw new Error(`${op}: argument '${name}' expected ${rows} elements (one per row of x ${shapeText(x.shape)} over N = ${N}), got shape ${shapeText(t.shape)}`);
  }
  for (const [name, t] of [['weight', weight], ['bias', bias]] as const) {
    if (t === null) continue;
    expectDtype(op, name, t, 'f32');
    if (t.size !== N) throw new Error(`${op}: argument '${name}' expected ${N} elements, got shape ${shapeText(t.shape)}`);
  }
  if (args.variant !== undefined) expectReductionVariant(op, args.variant);
  return rows;
}

/** The variant for op at this many rows of N: the explicit one, serial for short rows, else the tuner's. */
function variantOf(gpu: Gpu, op: 'layerNorm' | 'layerNormBackward', rows: number, args: LayerNormArgs): ReductionVariant {
  if (args.variant) return args.variant;
  // A row shorter than v2's workgroup leaves most of its 256 lanes idle: v1 then, untimed.
  if (args.N < TREE_WORKGROUP) return 'serial';
  return gpu.tuner.choose(`${op} rows≤${sizeClass(rows)} N≤${sizeClass(args.N)}`, 'serial', () => tuningJob(gpu, op, rows, args.N));
}

/** Times both variants of op on scratch tensors of rows × N, with a weight and a bias. */
function tuningJob(gpu: Gpu, op: 'layerNorm' | 'layerNormBackward', rows: number, N: number): TuningJob {
  return {
    shape: `${rows}×${N}`,
    fallback: 'serial',
    candidates: REDUCTION_VARIANTS,
    prepare() {
      const made = [[rows, N], [rows, N], [N], [N], [rows], [rows]].map((shape) => Tensor.empty(gpu, shape, 'f32', `tuning ${op}`));
      const [x, y, weight, bias, mean, rstd] = made as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor];
      const args = (variant: ReductionVariant): LayerNormArgs => ({ N, eps: 1e-5, weight, bias, mean, rstd, variant });
      return {
        run: (v) => (op === 'layerNorm' ? layerNorm(x, y, args(v as ReductionVariant)) : layerNormBackward(x, x, y, args(v as ReductionVariant))),
        destroy: () => made.forEach((t) => t.destroy()),
      };
    },
  };
}

/** y = (x − mean) / √(var + eps) · weight + bias over each row of N; writes args.mean and args.rstd. */
export function layerNorm(x: Tensor, y: Tensor, args: LayerNormArgs): void {
  const op = 'layerNorm';
  const rows = rowsOf(op, x, args);
  expectShape(op, 'y', y, x.shape);
  const tree = variantOf(x.gpu, op, rows, args) === 'tree';
  const entry = shader.entry(tree ? 'layer_norm_forward_tree' : 'layer_norm_forward');
  const { N, eps, weight, bias, mean, rstd } = args;
  const params = { rows, N, chunk_rows: 1, eps };
  x.gpu.dispatch(entry, { params, x, weight: weight ?? x, bias: bias ?? x, y, mean, rstd }, grid1d(entry, tree ? rows * TREE_WORKGROUP : rows), { HAS_WEIGHT: weight !== null, HAS_BIAS: bias !== null });
}

/** dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)) per row, g = dy · weight, from the forward's mean and rstd; accumulate adds into dx. */
export function layerNormBackward(x: Tensor, dy: Tensor, dx: Tensor, args: LayerNormArgs, accumulate = false): void {
  const op = 'layerNormBackward';
  const rows = rowsOf(op, x, args);
  expectShape(op, 'dy', dy, x.shape);
  expectShape(op, 'dx', dx, x.shape);
  const tree = variantOf(x.gpu, op, rows, args) === 'tree';
  const entry = shader.entry(tree ? 'layer_norm_backward_tree' : 'layer_norm_backward');
  const { N, eps, weight, mean, rstd } = args;
  const params = { rows, N, chunk_rows: 1, eps };
  x.gpu.dispatch(entry, { params, x, weight: weight ?? x, mean_saved: mean, rstd_saved: rstd, dy, dx }, grid1d(entry, tree ? rows * TREE_WORKGROUP : rows), { HAS_WEIGHT: weight !== null, ACCUMULATE: accumulate });
}

/** Rows a chunk of dw's partial sums: all of them up to 64, else ~√rows, so neither pass is a long loop. */
export const chunkRowsFor = (rows: number): number => (rows <= 64 ? rows : Math.ceil(Math.sqrt(rows)));

/** dw = Σ over rows of dy · x̂ (N values); accumulate adds into dw. One dispatch for up to 64 rows, two past that. */
export function layerNormWeightGrad(x: Tensor, dy: Tensor, dw: Tensor, args: LayerNormArgs, accumulate = false): void {
  const op = 'layerNormWeightGrad';
  const rows = rowsOf(op, x, args);
  expectShape(op, 'dy', dy, x.shape);
  expectDtype(op, 'dw', dw, 'f32');
  const { N, eps, mean, rstd } = args;
  if (dw.size !== N) throw new Error(`${op}: argument 'dw' expected ${N} elements, got shape ${shapeText(dw.shape)}`);
  const chunkRows = chunkRowsFor(rows);
  const chunks = Math.ceil(rows / chunkRows);
  const entry = shader.entry('layer_norm_weight_partials');
  const partials = chunks === 1 ? dw : Tensor.scratch(x.gpu, 'layer norm partials', [chunks, N]);
  const params = { rows, N, chunk_rows: chunkRows, eps };
  x.gpu.dispatch(entry, { params, x, mean_saved: mean, rstd_saved: rstd, dy, partials }, grid1d(entry, chunks * N), { ACCUMULATE: chunks === 1 && accumulate });
  if (chunks > 1) sumRows(partials, dw.reshapeView([N]), accumulate);
}

export const gradients = {
  /** y = layerNorm(x) · weight + bias: dx, dweight and dbias for those that require grad. */
  layerNorm: (x: Tensor, args: LayerNormArgs): BackwardRule => (ctx, dy) => {
    const g = upstream(dy, x.gpu, x.shape);
    const { N, weight, bias } = args;
    if (x.requiresGrad) {
      const { grad, accumulate } = ctx.target(x);
      layerNormBackward(x, g, grad, args, accumulate);
    }
    if (weight?.requiresGrad) {
      const { grad, accumulate } = ctx.target(weight);
      layerNormWeightGrad(x, g, grad, args, accumulate);
    }
    if (bias?.requiresGrad) {
      const { grad, accumulate } = ctx.target(bias);
      sumRows(g.reshapeView([x.size / N, N]), grad.reshapeView([N]), accumulate);
    }
  },
};

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

interface RowCase {
  rows: number;
  N: number;
  /** x's values: uniform in ±1 around `offset`, times `scale`. */
  offset?: number;
  scale?: number;
  affine?: 'both' | 'weight' | 'bias' | 'none';
  /** Also the backward adding into dx. */
  accumulate?: boolean;
  /** The middle row's middle value NaN, or +∞: that row all NaN. */
  poison?: 'nan' | 'inf';
}
// v1 (serial): N = 1 (var 0: y = bias, dx = 0), primes, a row longer than a BLOCK of 256 and one past
// 16 blocks, a mean of 1000 with std 1 (the shifted sums: the plain form loses every digit there),
// each of weight and bias alone and neither, a NaN and a +∞ row, more rows than one workgroup (70),
// and rows past 65,535 workgroups (forward only).
const serialCases: RowCase[] = [
  { rows: 1, N: 1 },
  { rows: 5, N: 1, accumulate: true },
  { rows: 1, N: 7, affine: 'none' },
  { rows: 37, N: 10, accumulate: true },
  { rows: 3, N: 4099 },
  { rows: 6, N: 33, offset: 1000, affine: 'weight' },
  { rows: 4, N: 15, scale: 1e-3, affine: 'bias' },
  { rows: 5, N: 6, poison: 'nan' },
  { rows: 5, N: 6, poison: 'inf', accumulate: true },
  { rows: 70, N: 3 },
  { rows: PAST_GRID_LIMIT, N: 2 },
];
// v2 (tree, a workgroup of 256 per row): N around the workgroup (1, 255, 256, 257), a long row, the
// shifted sums at a mean of 1000, no affine parameters, a NaN row. Kept small: each barrier is a
// coroutine switch on SwiftShader.
const treeCases: RowCase[] = [
  { rows: 2, N: 1 },
  { rows: 3, N: 255, affine: 'weight' },
  { rows: 2, N: 256, accumulate: true },
  { rows: 2, N: 257, affine: 'none' },
  { rows: 1, N: 4099, accumulate: true },
  { rows: 3, N: 300, offset: 1000, affine: 'bias' },
  { rows: 3, N: 300, poison: 'nan' },
];
const huge = (c: RowCase) => c.rows > 65535;

function caseName({ rows, N, offset, scale, affine = 'both', poison }: RowCase): string {
  const tail = [offset ? `mean ${offset}` : '', scale ? `scale ${scale}` : '', affine === 'both' ? '' : affine === 'none' ? 'no affine' : `${affine} only`, poison ? `a row with ${poison === 'nan' ? 'NaN' : '+∞'}` : ''];
  return `layer_norm [${rows}, ${N}]${tail.filter(Boolean).map((t) => ` ${t}`).join('')}`;
}

/** x for a case at rows × N: uniform in ±scale around offset, the middle row poisoned. */
function inputs(random: () => number, c: RowCase, rows: number, N: number): Float64Array {
  const { offset = 0, scale = 1 } = c;
  const x = uniform(random, rows * N).map((v) => offset + v * scale);
  if (c.poison) x[Math.floor(rows / 2) * N + Math.floor(N / 2)] = c.poison === 'nan' ? NaN : Infinity;
  return x;
}

/** Float32 copies of the affine parameters the case has (weight around 1, bias around 0). */
function affineOf(random: () => number, c: RowCase, N: number): { weight: Float64Array | null; bias: Float64Array | null } {
  const affine = c.affine ?? 'both';
  const weight = affine === 'both' || affine === 'weight' ? uniform(random, N, 0.5, 1.5) : null;
  const bias = affine === 'both' || affine === 'bias' ? uniform(random, N) : null;
  return { weight, bias };
}

const cases: KernelCase[] = [];
for (const variant of REDUCTION_VARIANTS) {
  const tree = variant === 'tree';
  const suffix = tree ? ' v2 tree' : '';
  for (const c of tree ? treeCases : serialCases) {
    const showcase = tree ? c.N === 4099 : c.rows === 37;
    const dims = { rows: c.rows, N: c.N };
    const setArgs = (s: CaseScope, random: () => number, rows: number, N: number) => {
      const { weight, bias } = affineOf(random, c, N);
      return {
        weight,
        bias,
        args: { N, eps: 1e-5, weight: weight && s.input(weight), bias: bias && s.input(bias), mean: s.output([rows], 'mean'), rstd: s.output([rows], 'rstd'), variant } as LayerNormArgs,
      };
    };
    cases.push(kernelCase({
      name: `${caseName(c)} forward${suffix}`,
      entries: [tree ? 'layer_norm_forward_tree' : 'layer_norm_forward'],
      variant: tree ? 'v2 tree' : 'v1 serial',
      dims,
      showcase,
      setup(s, { rows, N }, random) {
        const x = inputs(random, c, rows, N);
        const { weight, bias, args } = setArgs(s, random, rows, N);
        const [xt, y] = [s.input(x, [rows, N]), s.output([rows, N], 'y')];
        const expected = ref.layerNorm(Float32Array.from(x), N, weight && Float32Array.from(weight), bias && Float32Array.from(bias), 1e-5);
        // The shifted sums make a row with +∞ in it NaN in mean too (∞ − ∞), where the definition's is +∞; y is NaN either way.
        if (c.poison) expected.mean[Math.floor(rows / 2)] = NaN;
        // x̂ is O(1) whatever x's scale: its error is float32's on (x − mean) · rstd, a few ulps.
        return {
          run: () => layerNorm(xt, y, args),
          check: async () => {
            await s.check('y', y, expected.y, 1e-5, 1e-5);
            await s.check('mean', args.mean, expected.mean, 1e-6 * (c.scale ?? 1), 1e-6);
            await s.check('rstd', args.rstd, expected.rstd, 0, 1e-5);
          },
        };
      },
      // v1 at many short rows; v2 at a transformer's rows and at long ones, where it is meant to win.
      ...(showcase ? { bench: { sizes: tree ? [{ rows: 64, N: 4096 }, { rows: 1024, N: 768 }, { rows: 8192, N: 1024 }] : [{ rows: 10_000, N: 32 }, { rows: 1024, N: 768 }, { rows: 8192, N: 1024 }], bytes: (d: { rows?: number; N?: number }) => 8 * d.rows! * d.N! } } : {}),
    }));
    if (huge(c)) continue;
    for (const accumulate of c.accumulate ? [false, true] : [false]) {
      cases.push(kernelCase({
        name: `${caseName(c)} backward${accumulate ? ' accumulate' : ''}${suffix}`,
        entries: [tree ? 'layer_norm_backward_tree' : 'layer_norm_backward'],
        variant: tree ? 'v2 tree' : 'v1 serial',
        dims,
        showcase: showcase && !accumulate,
        setup(s, { rows, N }, random) {
          const [x, dy, previous] = [inputs(random, c, rows, N), uniform(random, rows * N), uniform(random, rows * N)];
          const { weight, args } = setArgs(s, random, rows, N);
          const xt = s.input(x, [rows, N]);
          const dx = s.output([rows, N], 'dx');
          if (accumulate) dx.write(previous);
          const y = s.output([rows, N], 'y');
          layerNorm(xt, y, args); // mean and rstd for the backward, from the same kernel
          const dyt = s.input(dy, [rows, N]);
          const expected = ref.layerNormBackward(Float32Array.from(x), Float32Array.from(dy), N, weight && Float32Array.from(weight), 1e-5).dx.map((v, i) => v + (accumulate ? Math.fround(previous[i]!) : 0));
          // Two row sums that nearly cancel (Σ g and Σ g · x̂, each ~√N), times rstd: 1/scale. The
          // saved mean is float32, as PyTorch's: at a mean of 1000 it is off by up to 3e-5 (half an
          // ulp), and x̂ by that times rstd.
          // dx's error grows with the row's rstd: a short row of nearly equal values (3 of them, drawn
          // close) has a large one, so the bound takes the largest rstd over a typical row's (√3/scale
          // for uniform values); a seed drew such a row ([70, 3]: 1.4e-5 off against 8.6e-6).
          const rstd = ref.layerNorm(Float32Array.from(x), N, null, null, 1e-5).rstd;
          const spread = Math.max(1, ...Array.from(rstd, (r) => (Number.isFinite(r) ? (r * (c.scale ?? 1)) / Math.sqrt(3) : 1)));
          const atol = ((2e-6 * Math.sqrt(N)) / (c.scale ?? 1)) * spread + 2 ** -23 * (c.offset ?? 0);
          return { run: () => layerNormBackward(xt, dyt, dx, args, accumulate), check: () => s.check('dx', dx, expected, atol, 1e-4) };
        },
      }));
    }
  }
}

// dw's partial sums: one chunk (written straight into dw, accumulating too), 1000 rows in chunks of
// 32 with a last one of 8, a row count that is a perfect square (chunks all full), and a grid past
// 65,535 workgroups (1 row of 65,535 · 64 + 1). mean and rstd are inputs here (float64's, rounded).
for (const { rows, N, accumulate } of [
  { rows: 1, N: 1, accumulate: false },
  { rows: 37, N: 10, accumulate: true },
  { rows: 1000, N: 3, accumulate: false },
  { rows: 1000, N: 3, accumulate: true },
  { rows: 4096, N: 5, accumulate: false },
  { rows: 1, N: 65535 * 64 + 1, accumulate: false },
]) {
  cases.push(kernelCase({
    name: `layer_norm weight gradient [${rows}, ${N}]${accumulate ? ' accumulate' : ''}`,
    entries: ['layer_norm_weight_partials'],
    dims: { rows, N },
    setup(s, d, random) {
      const [x, dy, previous] = [uniform(random, d.rows * d.N, -2, 3), uniform(random, d.rows * d.N), uniform(random, d.N)];
      const [x32, dy32] = [Float32Array.from(x), Float32Array.from(dy)];
      const { mean, rstd } = ref.layerNorm(x32, d.N, null, null, 1e-5);
      const args: LayerNormArgs = { N: d.N, eps: 1e-5, weight: null, bias: null, mean: s.input(mean), rstd: s.input(rstd) };
      const [xt, dyt, dw] = [s.input(x, [d.rows, d.N]), s.input(dy, [d.rows, d.N]), s.output([d.N], 'dw')];
      if (accumulate) dw.write(previous);
      // Σ over the rows of dy · x̂ from float32 mean and rstd (x̂ = (x − mean) · rstd as the kernel forms it).
      const expected = new Float64Array(d.N).map((_, j) => (accumulate ? Math.fround(previous[j]!) : 0));
      for (let r = 0; r < d.rows; r++) for (let j = 0; j < d.N; j++) expected[j]! += dy32[r * d.N + j]! * (x32[r * d.N + j]! - Math.fround(mean[r]!)) * Math.fround(rstd[r]!);
      return { run: () => layerNormWeightGrad(xt, dyt, dw, args, accumulate), check: () => s.check('dw', dw, expected, 2e-6 * Math.sqrt(d.rows), 1e-5) };
    },
    ...(rows === 1000 && !accumulate ? { bench: { sizes: [{ rows: 8192, N: 768 }], bytes: (d: { rows?: number; N?: number }) => 8 * d.rows! * d.N! } } : {}),
  }));
}

/**
 * Both variants find their row on a grid folded into 2-D, as past 65,535 workgroups: 100 rows of 5,
 * forward and backward dispatched directly on `grid`.
 */
const foldedGridCase = (name: string, suffix: string, grid: [number, number]) =>
  testCase(name, async (s, random) => {
    const [rows, N] = [100, 5];
    const [x, dy, w, b] = [uniform(random, rows * N, -2, 2), uniform(random, rows * N), uniform(random, N, 0.5, 1.5), uniform(random, N)];
    const [xt, dyt, wt, bt] = [s.input(x, [rows, N]), s.input(dy, [rows, N]), s.input(w), s.input(b)];
    const [y, dx, mean, rstd] = [s.output([rows, N], 'y'), s.output([rows, N], 'dx'), s.output([rows], 'mean'), s.output([rows], 'rstd')];
    const params = { rows, N, chunk_rows: 1, eps: 1e-5 };
    s.gpu.dispatch(shader.entry(`layer_norm_forward${suffix}`), { params, x: xt, weight: wt, bias: bt, y, mean, rstd }, grid);
    s.gpu.dispatch(shader.entry(`layer_norm_backward${suffix}`), { params, x: xt, weight: wt, mean_saved: mean, rstd_saved: rstd, dy: dyt, dx }, grid);
    const [x32, w32] = [Float32Array.from(x), Float32Array.from(w)];
    await s.check('y', y, ref.layerNorm(x32, N, w32, Float32Array.from(b), 1e-5).y, 1e-5, 1e-5);
    await s.check('dx', dx, ref.layerNormBackward(x32, Float32Array.from(dy), N, w32, 1e-5).dx, 1e-5, 1e-4);
  });

cases.push(
  // 7 × 15 = 105 workgroups of 256 for 100 rows (row = wid.x + 7 · wid.y; the last 5 have no row).
  foldedGridCase('layer_norm v2 tree finds its row on a 2-D grid (as past 65,535 rows)', '_tree', [7, 15]),
  // One invocation per row on 1 × 2 workgroups of 64 (row = gid.x + 64 · gid.y).
  foldedGridCase('layer_norm v1 finds its row on a 2-D grid (as past 65,535 workgroups)', '', [1, 2]),
  testCase('layer_norm bad input is rejected before dispatch', (s, random) => {
    const x = s.input(uniform(random, 12), [3, 4]);
    const args = (over: Partial<LayerNormArgs> = {}): LayerNormArgs => ({ N: 4, eps: 1e-5, weight: null, bias: null, mean: s.output([3]), rstd: s.output([3]), ...over });
    s.expectError('N not dividing x', () => layerNorm(x, s.output([3, 4]), args({ N: 5 })), /layerNorm: N expected a positive integer dividing x's 12 elements, got 5/);
    s.expectError('mean of the wrong size', () => layerNorm(x, s.output([3, 4]), args({ mean: s.output([4]) })), /layerNorm: argument 'mean' expected 3 elements \(one per row of x \[3, 4\] over N = 4\), got shape \[4\]/);
    s.expectError('weight of the wrong size', () => layerNorm(x, s.output([3, 4]), args({ weight: s.output([3]) })), /layerNorm: argument 'weight' expected 4 elements, got shape \[3\]/);
    s.expectError('eps of 0', () => layerNorm(x, s.output([3, 4]), args({ eps: 0 })), /layerNorm: argument 'eps' expected a number > 0, got 0/);
    s.expectError('an unknown variant', () => layerNorm(x, s.output([3, 4]), args({ variant: 'fast' as ReductionVariant })), /layerNorm: argument 'variant' expected serial or tree, got fast/);
    s.expectError('dx of the wrong shape', () => layerNormBackward(x, x, s.output([4, 3]), args()), /layerNormBackward: argument 'dx' expected shape \[3, 4\]/);
    s.expectError('dw of the wrong size', () => layerNormWeightGrad(x, x, s.output([3]), args()), /layerNormWeightGrad: argument 'dw' expected 4 elements, got shape \[3\]/);
  }),
);

export const spec: Spec = cases;
