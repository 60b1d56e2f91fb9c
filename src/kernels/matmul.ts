// shaders/matmul.wgsl: C = act(op(A) · op(B) + bias), op ∈ {X, Xᵀ}, optionally accumulated; its
// five numbered variants (the tuner picks among them per adapter); and matmul's backward, the one rule behind F.matmul and nn.Linear (with
// an activation fused into the epilogue or not).
import type { Gpu } from '../device/gpu';
import { grid1d, grid2d, loadShader, type BufferView } from '../device/shader';
import { sizeClass, type TuningJob } from '../device/tuner';
import { expectDtype, expectRank, expectShape, shapeText } from '../launch';
import * as ref from '../reference/linalg';
import { uniform } from '../spec/random';
import { testCase, type KernelCase, type Spec } from '../spec/scope';
import { Tensor, upstream, type BackwardRule } from '../tensor';
import { activationBackward, type Activation } from './activation';
import { sumRows } from './reduce';

export const shader = loadShader('matmul');

export type MatmulVariant = 'naive' | 'blocked' | 'vec4' | 'tiled' | 'splitk';
export const MATMUL_VARIANTS: readonly MatmulVariant[] = ['naive', 'blocked', 'vec4', 'tiled', 'splitk'];
/** Each variant's entry point (v5's first pass; its second is matmul_splitk_reduce). */
const ENTRY: Record<MatmulVariant, string> = { naive: 'matmul_naive', blocked: 'matmul_blocked', vec4: 'matmul_vec4', tiled: 'matmul_tiled', splitk: 'matmul_splitk_partial' };
/** Outputs per invocation along n and m (the register block), for the grid. */
const BLOCK: Record<MatmulVariant, [number, number]> = { naive: [1, 1], blocked: [4, 4], vec4: [4, 4], tiled: [4, 4], splitk: [4, 4] };

// v5's slice rule. A GPU needs a few workgroups per SM to hide memory latency (an H100 has 132
// SMs, an H200 the same), so K is cut until the 64×64 tiles times S reach about 256 workgroups, but
// no slice is shorter than 64 k (4 steps of v4's 16): shorter slices spend more on staging tiles
// and on the S·M·N partial sums written and read back than they gain. Since S > 1 only while the
// tiles number under 256, the partials stay under (256 + tiles)·4096 floats (8 MiB); at most 64
// slices, since the second pass reads S values per element of C.
const SPLITK_WORKGROUPS = 256;
const SPLITK_MIN_SLICE = 64;
const SPLITK_MAX_SLICES = 64;
/** The Gpu's scratch buffer (Gpu.scratch) that every v5 product's partial sums share. */
export const SPLITK_SCRATCH = 'matmul split-K partials';

/**
 * v5's slices for an M×N×K product: S and each slice's length (a multiple of v4's 16-k step; the
 * last slice may be shorter). `requested` overrides the rule (tests); S is then lowered to
 * ceil(K / sliceK) so that no slice is empty.
 */
export function splitKSlices(M: number, N: number, K: number, requested?: number): { slices: number; sliceK: number } {
  const tiles = Math.ceil(M / 64) * Math.ceil(N / 64);
  const wanted = requested ?? Math.min(Math.ceil(SPLITK_WORKGROUPS / tiles), Math.floor(K / SPLITK_MIN_SLICE), SPLITK_MAX_SLICES);
  const sliceK = Math.ceil(Math.ceil(K / Math.max(1, wanted)) / 16) * 16;
  return { slices: Math.max(1, Math.ceil(K / sliceK)), sliceK };
}

/** Why v3 (vec4) cannot run this layout, or null when it can. */
export function vec4Unsupported(M: number, N: number, K: number, transposeA: boolean, transposeB: boolean): string | null {
  if (transposeA && transposeB) return 'Aᵀ · Bᵀ has no vec4 layout';
  const [name, value] = transposeA ? ['M', M] : ['K', K];
  return value % 4 === 0 && N % 4 === 0 ? null : `${name} = ${value} and N = ${N} must be multiples of 4`;
}

const ACTIVATION_CODE: Record<Activation, number> = { none: 0, relu: 1, sigmoid: 2 };

export interface MatmulOptions {
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: Tensor;
  activation?: Activation;
  accumulate?: boolean;
  variant?: MatmulVariant;
  /** v5 only: the number of K slices, instead of the rule in splitKSlices (for tests). */
  splitK?: number;
}

/**
 * out = act(op(a) · op(b) + bias); with accumulate, out += … instead. a, b and out are 2-D, or out
 * is 3-D: B products at once ([B, M, K] · [B, K, N] → [B, M, N], op per product, bias shared; v1–v4),
 * where a 2-D a or b is one matrix shared by the batch (read in place: its batch stride is 0).
 */
export function matmul(a: Tensor, b: Tensor, out: Tensor, options: MatmulOptions = {}): void {
  const op = 'matmul';
  const { transposeA = false, transposeB = false, bias, activation = 'none', accumulate = false } = options;
  for (const [name, t] of Object.entries({ a, b, out })) {
    expectRank(op, name, t, [2, 3]);
    expectDtype(op, name, t, 'f32');
  }
  const batched = out.shape.length === 3;
  const batch = batched ? out.shape[0]! : 1;
  for (const [name, t] of Object.entries({ a, b })) {
    if (t.shape.length !== 3) continue;
    if (!batched) throw new Error(`${op}: argument '${name}' is a batch of ${t.shape[0]} products (shape ${shapeText(t.shape)}), but 'out' is one, shape ${shapeText(out.shape)}: give out [B, M, N]`);
    if (t.shape[0] !== batch) throw new Error(`${op}: argument '${name}' expected out's ${batch} products first (or 2 dimensions: one matrix shared by the batch), got shape ${shapeText(t.shape)}`);
  }
  if (batched && a.shape.length === 2 && b.shape.length === 2) throw new Error(`${op}: 'out' holds ${batch} products (shape ${shapeText(out.shape)}), but neither a ${shapeText(a.shape)} nor b ${shapeText(b.shape)} is a batch`);
  const [a0, a1] = a.shape.slice(-2) as [number, number];
  const [b0, b1] = b.shape.slice(-2) as [number, number];
  const [M, K] = transposeA ? [a1, a0] : [a0, a1];
  const [Kb, N] = transposeB ? [b1, b0] : [b0, b1];
  if (Kb !== K) throw new Error(`${op}: argument 'b' expected ${K} ${transposeB ? 'columns' : 'rows'} to match op(a) = ${M}×${K}, got shape ${shapeText(b.shape)}`);
  expectShape(op, 'out', out, batched ? [batch, M, N] : [M, N]);
  if (bias) {
    expectDtype(op, 'bias', bias, 'f32');
    expectShape(op, 'bias', bias, [N]);
  }
  if (!(activation in ACTIVATION_CODE)) throw new Error(`${op}: argument 'activation' expected none, relu or sigmoid, got ${activation}`);
  const maxBatch = a.gpu.limits.maxComputeWorkgroupsPerDimension;
  if (batch > maxBatch) throw new Error(`${op}: ${batch} products in one batch, past the grid's ${maxBatch} in z; split the batch`);
  // The default: v3 where its layout allows, else v2. On SwiftShader (lab/profile-page.ts) v3 ran
  // 8×512×256 Bᵀ in 1.21 ms (v2 1.55), 8×128×512 Bᵀ in 0.64 (0.85), 512×256×8 Aᵀ in 2.04 (2.75), 512³ in
  // 142–151 (178). The tuner replaces it where another variant is faster on the adapter in hand.
  const fallback = matmulDefault(M, N, K, transposeA, transposeB);
  const variant = options.variant ?? a.gpu.tuner.choose(matmulTuningKey(M, N, K, transposeA, transposeB, batch), fallback, () => matmulTuningJob(a.gpu, M, N, K, transposeA, transposeB, fallback, batch));
  if (!MATMUL_VARIANTS.includes(variant)) throw new Error(`${op}: argument 'variant' expected ${MATMUL_VARIANTS.join(', ')}, got ${variant}`);
  const why = variant === 'vec4' && vec4Unsupported(M, N, K, transposeA, transposeB);
  if (why) throw new Error(`${op}: variant 'vec4' cannot run ${M}×${N}×${K}${transposeA ? ' Aᵀ' : ''}${transposeB ? ' Bᵀ' : ''}: ${why}`);
  if (variant === 'splitk' && batched) throw new Error(`${op}: variant 'splitk' runs one product (its slices take the grid's z); a batch of ${batch} takes v1–v4`);
  if (options.splitK !== undefined && (variant !== 'splitk' || !Number.isInteger(options.splitK) || options.splitK < 1)) {
    throw new Error(`${op}: argument 'splitK' expected a positive integer with variant 'splitk', got ${options.splitK} with variant '${variant}'`);
  }
  // Elements from one product's operand to the next; 0 for a matrix shared by the batch.
  const params = { M, N, K, a_batch_stride: a.shape.length === 3 ? M * K : 0, b_batch_stride: b.shape.length === 3 ? K * N : 0 };
  const placeholder = a.gpu.placeholders[0];
  const epilogue = { HAS_BIAS: bias !== undefined, ACTIVATION: ACTIVATION_CODE[activation], ACCUMULATE: accumulate };
  const split = variant === 'splitk' ? splitKSlices(M, N, K, options.splitK) : null;
  if (split && split.slices > 1) {
    // v5: pass 1 writes each slice's raw sums, pass 2 adds them and applies the epilogue. Both are
    // recorded in order, so pass 2 reads all of pass 1's writes, and the next product's pass 1 (all
    // products share one scratch) writes only after this pass 2 has read.
    const partial = a.gpu.scratch(SPLITK_SCRATCH, split.slices * M * N * 4);
    const uniforms = { params, split: { slices: split.slices, slice_k: split.sliceK } };
    const first = shader.entry('matmul_splitk_partial');
    a.gpu.dispatch(first, { ...uniforms, a, b, partial }, [...grid2d(first, N, M, BLOCK.splitk), split.slices], { TRANSPOSE_A: transposeA, TRANSPOSE_B: transposeB });
    const second = shader.entry('matmul_splitk_reduce');
    a.gpu.dispatch(second, { ...uniforms, partial, bias: bias ?? placeholder, c: out }, grid1d(second, M * N), epilogue);
    return;
  }
  // v5 with one slice is v4: no partials to add.
  const entry = shader.entry(ENTRY[split ? 'tiled' : variant]);
  const buffers: Record<string, BufferView> = variant === 'vec4' ? { a4: a, b4: b, bias4: bias ?? placeholder, c4: out } : { a, b, bias: bias ?? placeholder, c: out };
  a.gpu.dispatch(entry, { params, ...buffers }, [...grid2d(entry, N, M, BLOCK[variant]), batch], { TRANSPOSE_A: transposeA, TRANSPOSE_B: transposeB, ...epilogue });
}

/** Without the tuner: v3 where its layout allows, else v2. */
export function matmulDefault(M: number, N: number, K: number, transposeA: boolean, transposeB: boolean): MatmulVariant {
  return vec4Unsupported(M, N, K, transposeA, transposeB) ? 'blocked' : 'vec4';
}

/** The tuner's key for a product: layout, size class of M, N and K (and of a batch of them), and whether v3 can run it. */
export function matmulTuningKey(M: number, N: number, K: number, transposeA: boolean, transposeB: boolean, batch = 1): string {
  const layout = `${transposeA ? 'Aᵀ' : 'A'}·${transposeB ? 'Bᵀ' : 'B'}`;
  return `matmul ${layout}${batch > 1 ? ` B≤${sizeClass(batch)}` : ''} M≤${sizeClass(M)} N≤${sizeClass(N)} K≤${sizeClass(K)}${vec4Unsupported(M, N, K, transposeA, transposeB) ? ' (no v3)' : ''}`;
}

/**
 * Times every variant that can run this layout, on zero-filled scratch operands (no epilogue); v5
 * only where it cuts K (with one slice it runs v4), and not for a batch.
 */
export function matmulTuningJob(gpu: Gpu, M: number, N: number, K: number, transposeA: boolean, transposeB: boolean, fallback: MatmulVariant = matmulDefault(M, N, K, transposeA, transposeB), batch = 1): TuningJob {
  const candidates = MATMUL_VARIANTS.filter((v) => (v !== 'vec4' || !vec4Unsupported(M, N, K, transposeA, transposeB)) && (v !== 'splitk' || (batch === 1 && splitKSlices(M, N, K).slices > 1)));
  const shapeOf = (rows: number, columns: number) => (batch > 1 ? [batch, rows, columns] : [rows, columns]);
  return {
    shape: `${batch > 1 ? `${batch} × ` : ''}${M}×${N}×${K}`,
    fallback,
    candidates,
    prepare() {
      const a = Tensor.empty(gpu, transposeA ? shapeOf(K, M) : shapeOf(M, K), 'f32', 'tuning a');
      const b = Tensor.empty(gpu, transposeB ? shapeOf(N, K) : shapeOf(K, N), 'f32', 'tuning b');
      const c = Tensor.empty(gpu, shapeOf(M, N), 'f32', 'tuning c');
      return {
        run: (variant) => matmul(a, b, c, { transposeA, transposeB, variant: variant as MatmulVariant }),
        destroy: () => [a, b, c].forEach((t) => t.destroy()),
      };
    },
  };
}

// ── gradient rules ──────────────────────────────────────────────────────────────────────────────

export interface MatmulGradientOptions {
  transposeB: boolean;
  bias?: Tensor;
  activation: Activation;
  /** Where dz = dy ⊙ act'(y) goes when an activation is fused; a new tensor if absent. */
  scratch?: Tensor;
}

export const gradients = {
  /**
   * y = act(a · op(b) + bias) with a not transposed (F.matmul: op(b) = b; nn.Linear: op(b) = Wᵀ).
   * dz = dy ⊙ act'(y); da = dz · op(b)ᵀ; db = aᵀ · dz (or dzᵀ · a when b is stored transposed);
   * dbias = Σ_rows dz.
   */
  matmul: (a: Tensor, b: Tensor, y: Tensor, o: MatmulGradientOptions): BackwardRule => (ctx, dy) => {
    const g = upstream(dy, y.gpu, y.shape);
    let dz = g;
    if (o.activation !== 'none') {
      dz = o.scratch ?? Tensor.empty(y.gpu, y.shape, 'f32', 'dz');
      activationBackward(o.activation, y, g, dz);
    }
    // A batch of products (y [B, M, N]) may share a or b (2-D, batch stride 0): its gradient sums
    // over the batch. Shared a: the B products dZ_z · op(b_z)ᵀ, then their sum. Shared b: one product
    // of the batch's rows, [B·M, K]ᵀ · [B·M, N], since every z adds a_zᵀ · dZ_z.
    const rows = (t: Tensor) => t.reshapeView([t.size / t.shape.at(-1)!, t.shape.at(-1)!]);
    const sharedA = y.shape.length === 3 && a.shape.length === 2;
    const sharedB = y.shape.length === 3 && b.shape.length === 2;
    if (a.requiresGrad) {
      const { grad, accumulate } = ctx.target(a);
      if (sharedA) {
        const perProduct = Tensor.empty(y.gpu, [y.shape[0]!, ...a.shape], 'f32', 'matmul dA per product');
        matmul(dz, b, perProduct, { transposeB: !o.transposeB });
        sumRows(perProduct.reshapeView([y.shape[0]!, a.size]), grad.reshapeView([a.size]), accumulate);
        perProduct.destroy();
      } else {
        matmul(dz, b, grad, { transposeB: !o.transposeB, accumulate });
      }
    }
    if (b.requiresGrad) {
      const { grad, accumulate } = ctx.target(b);
      const [aRows, dzRows] = sharedB ? [rows(a), rows(dz)] : [a, dz];
      if (o.transposeB) matmul(dzRows, aRows, grad, { transposeA: true, accumulate });
      else matmul(aRows, dzRows, grad, { transposeA: true, accumulate });
    }
    if (o.bias?.requiresGrad) {
      const { grad, accumulate } = ctx.target(o.bias);
      sumRows(rows(dz), grad, accumulate);
    }
    if (dz !== g && !o.scratch) dz.destroy();
  },
};

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

interface Layout {
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: boolean;
  activation?: Activation;
  accumulate?: boolean;
  /** v5: the slices asked for (default: the rule's). */
  splitK?: number;
  /** Batched: this operand is one 2-D matrix shared by every product (batch stride 0). */
  shared?: 'a' | 'b';
}
/** B: a batch of B products (3-D operands); absent, one 2-D product. */
type MatmulDims = { M: number; N: number; K: number; B?: number };

/** Each variant as the bench and the shader header number it. */
export const VARIANT_LABEL: Record<MatmulVariant, string> = { naive: 'v1 naive', blocked: 'v2 blocked', vec4: 'v3 vec4', tiled: 'v4 tiled', splitk: 'v5 split-K' };
const cases: KernelCase[] = [];

function matmulCase(variant: MatmulVariant, dims: MatmulDims, c: Layout = {}, extra: Partial<KernelCase<MatmulDims>> = {}): KernelCase {
  const slices = variant === 'splitk' ? splitKSlices(dims.M, dims.N, dims.K, c.splitK).slices : 0;
  const flags = [c.transposeA && 'Aᵀ', c.transposeB && 'Bᵀ', c.bias && '+bias', c.activation && c.activation !== 'none' && c.activation, c.accumulate && 'accumulate', c.shared && `shared ${c.shared}`, slices && `S=${slices}${c.splitK ? ` (asked ${c.splitK})` : ''}`].filter(Boolean);
  const k: KernelCase<MatmulDims> = {
    name: `matmul ${variant} ${dims.B ? `${dims.B} × ` : ''}${dims.M}×${dims.N}×${dims.K}${flags.length ? ` ${flags.join(' ')}` : ''}`,
    entries: slices > 1 ? ['matmul_splitk_partial', 'matmul_splitk_reduce'] : [ENTRY[slices === 1 ? 'tiled' : variant]],
    variant: VARIANT_LABEL[variant],
    dims,
    setup(s, { M, N, K, B }, random) {
      const { transposeA = false, transposeB = false, activation = 'none', accumulate = false } = c;
      const shapeOf = (rows: number, columns: number, shared = false) => (B === undefined || shared ? [rows, columns] : [B, rows, columns]);
      const count = B ?? 1;
      const [aShared, bShared] = [c.shared === 'a', c.shared === 'b'];
      const a = uniform(random, (aShared ? 1 : count) * M * K);
      const b = uniform(random, (bShared ? 1 : count) * K * N);
      const bias = c.bias ? uniform(random, N) : undefined;
      const out = s.output(shapeOf(M, N), 'c');
      const previous = uniform(random, count * M * N);
      if (accumulate) out.write(previous);
      const [at, bt] = [s.input(a, transposeA ? shapeOf(K, M, aShared) : shapeOf(M, K, aShared)), s.input(b, transposeB ? shapeOf(N, K, bShared) : shapeOf(K, N, bShared))];
      const biasT = bias ? s.input(bias) : undefined;
      if (variant === 'splitk') {
        // Poison v5's partial sums too, so that a slice that writes nothing cannot pass on an earlier
        // case's sums; only what the scratch already holds: growing it here would hide a launcher
        // that asks for too little.
        const scratch = s.gpu.scratch(SPLITK_SCRATCH, 4);
        const used = Math.min(splitKSlices(M, N, K, c.splitK).slices * M * N, scratch.byteLength / 4);
        s.gpu.write({ ...scratch, byteLength: used * 4 }, new Float32Array(used).fill(NaN));
      }
      return {
        run: () => matmul(at, bt, out, { transposeA, transposeB, variant, activation, accumulate, ...(biasT ? { bias: biasT } : {}), ...(c.splitK ? { splitK: c.splitK } : {}) }),
        check: async () => {
          // Each product of the batch on its own, from its own slice of a and b (the one matrix when shared).
          const expected = new Float64Array(count * M * N);
          for (let z = 0; z < count; z++) {
            const [za, zb] = [aShared ? 0 : z, bShared ? 0 : z];
            const [az, bz] = [a.subarray(za * M * K, (za + 1) * M * K), b.subarray(zb * K * N, (zb + 1) * K * N)];
            expected.set(ref.matmul(az, bz, { M, N, K, transposeA, transposeB, activation, ...(bias ? { bias } : {}) }), z * M * N);
          }
          if (accumulate) expected.forEach((v, i) => (expected[i] = v + previous[i]!));
          // f32 rounding grows with K; a wrong index or bound gives errors of order 1.
          await s.check('c', out, expected, 1e-6 * K + 1e-6, 1e-5);
        },
      };
    },
    ...extra,
  };
  return k as KernelCase;
}

for (const variant of ['naive', 'blocked'] as const) {
  for (const [M, N, K] of [[1, 1, 1], [7, 13, 17], [33, 65, 31], [129, 3, 257], [5, 130, 1], [8, 128, 20]]) {
    cases.push(matmulCase(variant, { M: M!, N: N!, K: K! }));
  }
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      if (transposeA || transposeB) cases.push(matmulCase(variant, { M: 7, N: 13, K: 17 }, { transposeA, transposeB }));
      if (transposeA || transposeB) cases.push(matmulCase(variant, { M: 37, N: 35, K: 9 }, { transposeA, transposeB }));
    }
  }
  cases.push(matmulCase(variant, { M: 8, N: 256, K: 128 }, { transposeB: true, bias: true, activation: 'sigmoid' }));
  cases.push(matmulCase(variant, { M: 19, N: 23, K: 29 }, { transposeB: true, bias: true, activation: 'relu' }));
  cases.push(matmulCase(variant, { M: 21, N: 11, K: 3 }, { bias: true }));
  cases.push(matmulCase(variant, { M: 128, N: 20, K: 8 }, { transposeA: true, accumulate: true }));
  cases.push(matmulCase(variant, { M: 8, N: 20, K: 128 }, { accumulate: true }));
  cases.push(matmulCase(variant, { M: 256, N: 256, K: 256 }));
  cases.push(matmulCase(variant, { M: 64, N: 48, K: 32 }, {}, { showcase: true }));
}
cases.push(matmulCase('blocked', { M: 1024, N: 1024, K: 1024 }));
// v3 (vec4) runs the layouts of a Linear layer when the contiguous dimensions are multiples of 4.
for (const [d, c] of [
  [{ M: 8, N: 128, K: 20 }, { transposeB: true }],
  [{ M: 7, N: 12, K: 20 }, { transposeB: true }],
  [{ M: 1, N: 4, K: 4 }, { transposeB: true }],
  [{ M: 33, N: 68, K: 32 }, { transposeB: true, bias: true, activation: 'sigmoid' }],
  [{ M: 8, N: 256, K: 128 }, { transposeB: true, bias: true, activation: 'relu' }],
  [{ M: 8, N: 20, K: 128 }, {}],
  [{ M: 9, N: 12, K: 16 }, { accumulate: true }],
  [{ M: 131, N: 4, K: 4 }, {}],
  [{ M: 128, N: 20, K: 8 }, { transposeA: true, accumulate: true }],
  [{ M: 12, N: 8, K: 7 }, { transposeA: true }],
  [{ M: 512, N: 256, K: 8 }, { transposeA: true }],
  [{ M: 1024, N: 1024, K: 1024 }, { transposeB: true }],
  [{ M: 64, N: 48, K: 32 }, {}],
] as [MatmulDims, Layout][]) {
  cases.push(matmulCase('vec4', d, c, d.M === 64 ? { showcase: true } : {}));
}

// v4 (workgroup-tiled): every layout and any shape. Its barriers are slow on SwiftShader, so the
// shapes stay small but cross tile edges (64 in M and N, 16 in K) on both sides.
for (const [d, c] of [
  [{ M: 1, N: 1, K: 1 }, {}],
  [{ M: 7, N: 13, K: 17 }, {}],
  [{ M: 64, N: 64, K: 16 }, {}],
  [{ M: 65, N: 63, K: 33 }, {}],
  [{ M: 131, N: 67, K: 47 }, {}],
  [{ M: 8, N: 128, K: 20 }, { transposeB: true }],
  [{ M: 67, N: 129, K: 31 }, { transposeB: true, bias: true, activation: 'sigmoid' }],
  [{ M: 37, N: 35, K: 9 }, { transposeB: true }],
  [{ M: 33, N: 70, K: 65 }, { bias: true, activation: 'relu' }],
  [{ M: 8, N: 20, K: 128 }, { accumulate: true }],
  [{ M: 128, N: 20, K: 8 }, { transposeA: true, accumulate: true }],
  [{ M: 71, N: 66, K: 19 }, { transposeA: true }],
  [{ M: 37, N: 35, K: 9 }, { transposeA: true, transposeB: true }],
  [{ M: 3, N: 257, K: 2 }, { transposeA: true, transposeB: true, bias: true }],
  [{ M: 256, N: 256, K: 64 }, { transposeB: true }],
] as [MatmulDims, Layout][]) {
  cases.push(matmulCase('tiled', d, c));
}

// v5 (split-K): every layout; slices forced (S=1, slices past K) and by the rule; K not a multiple of
// 16 nor of the slice; the tuned step's batch-512 products; a reduce pass past 65,535 workgroups.
for (const [d, c, extra] of [
  [{ M: 7, N: 13, K: 200 }, {}, { showcase: true }],
  [{ M: 1, N: 1, K: 1 }, {}],
  [{ M: 1, N: 1, K: 300 }, { splitK: 7 }],
  [{ M: 65, N: 63, K: 33 }, { splitK: 3 }],
  [{ M: 5, N: 9, K: 20 }, { splitK: 8 }],
  [{ M: 33, N: 70, K: 65 }, { bias: true, activation: 'relu', splitK: 1 }],
  [{ M: 131, N: 67, K: 257 }, {}],
  [{ M: 67, N: 129, K: 131 }, { transposeB: true, bias: true, activation: 'sigmoid' }],
  [{ M: 8, N: 20, K: 300 }, { bias: true, activation: 'relu', accumulate: true }],
  [{ M: 71, N: 66, K: 190 }, { transposeA: true, accumulate: true }],
  [{ M: 37, N: 35, K: 100 }, { transposeA: true, transposeB: true, bias: true, splitK: 5 }],
  [{ M: 128, N: 512, K: 512 }, { transposeA: true }],
  [{ M: 512, N: 256, K: 512 }, { transposeA: true }],
  [{ M: 512, N: 128, K: 512 }, { transposeB: true, bias: true, activation: 'sigmoid' }],
  // Accumulating, so that a reduce pass that covers some elements twice (an unfolded index) fails too.
  [{ M: 2048, N: 2049, K: 17 }, { bias: true, accumulate: true, splitK: 2 }, { name: 'matmul splitk 2048×2049×17 +bias accumulate S=2: reduce over 4196352 outputs, past 65,535 workgroups' }],
] as [MatmulDims, Layout, Partial<KernelCase<MatmulDims>>?][]) {
  cases.push(matmulCase('splitk', d, c, extra));
}

// Batched (B products in the grid's z), v1–v4: every layout, edges of each variant's blocks and
// tiles, one product (B = 1), a bias shared by the batch, accumulate; the products must not read or
// write each other's slices (a wrong batch offset gives errors of order 1).
for (const variant of ['naive', 'blocked', 'tiled'] as const) {
  for (const [d, c] of [
    [{ B: 1, M: 7, N: 13, K: 17 }, {}],
    [{ B: 3, M: 7, N: 13, K: 17 }, {}],
    [{ B: 5, M: 65, N: 33, K: 19 }, { transposeB: true }],
    [{ B: 2, M: 37, N: 35, K: 9 }, { transposeA: true, accumulate: true }],
    [{ B: 3, M: 9, N: 66, K: 5 }, { transposeA: true, transposeB: true, bias: true, activation: 'relu' }],
    // One operand shared by the batch (batch stride 0), in every layout.
    [{ B: 4, M: 7, N: 13, K: 17 }, { shared: 'a' }],
    [{ B: 3, M: 65, N: 33, K: 19 }, { shared: 'b', transposeB: true }],
    [{ B: 2, M: 37, N: 35, K: 9 }, { shared: 'a', transposeA: true, accumulate: true }],
    [{ B: 3, M: 9, N: 66, K: 5 }, { shared: 'b', transposeA: true, transposeB: true, bias: true }],
  ] as [MatmulDims, Layout][]) {
    cases.push(matmulCase(variant, d, c));
  }
}
for (const [d, c] of [
  [{ B: 3, M: 7, N: 12, K: 20 }, { transposeB: true }],
  [{ B: 4, M: 9, N: 12, K: 16 }, { accumulate: true }],
  [{ B: 2, M: 12, N: 8, K: 7 }, { transposeA: true, bias: true, activation: 'sigmoid' }],
  [{ B: 3, M: 7, N: 12, K: 20 }, { shared: 'a', transposeB: true }],
  [{ B: 4, M: 9, N: 12, K: 16 }, { shared: 'b' }],
  [{ B: 2, M: 12, N: 8, K: 7 }, { shared: 'a', transposeA: true }],
  [{ B: 3, M: 5, N: 8, K: 12 }, { shared: 'b', transposeB: true }],
] as [MatmulDims, Layout][]) {
  cases.push(matmulCase('vec4', d, c));
}
// Attention's two products, batch × heads = 32 at T = 128, D = 64: scores Q · Kᵀ and output P · V.
for (const variant of ['blocked', 'vec4', 'tiled'] as const) {
  for (const [what, layout, d] of [
    ['scores Q·Kᵀ', { transposeB: true }, { B: 32, M: 128, N: 128, K: 64 }],
    ['output P·V', {}, { B: 32, M: 128, N: 64, K: 128 }],
  ] as [string, Layout, MatmulDims][]) {
    cases.push(matmulCase(variant, { B: 2, M: 16, N: 16, K: 8 }, layout, { name: `matmul ${variant} bench attention ${what}`, bench: { sizes: [d, { ...d, B: 256 }], flop: (x) => 2 * x.B! * x.M! * x.N! * x.K! } }));
  }
}

// The bench: the tuned model's products at batch 8 (forward x·Wᵀ, dX = dY·W, dW = dYᵀ·x), then squares,
// then the same products at batch 512 for the variants meant for GPUs (v3, v4, v5): there the outputs
// are small and K (the batch, for dW) long, what v5 is for.
const TUNED = [20, 128, 256, 512, 128, 4];
const layers = TUNED.slice(1).map((out, i) => [TUNED[i]!, out] as const);
const flop = (d: { M?: number; N?: number; K?: number }) => 2 * d.M! * d.N! * d.K!;
const benchLayouts: [string, Layout, MatmulDims[]][] = [
  ['forward', { transposeB: true }, layers.map(([inF, out]) => ({ M: 8, N: out, K: inF }))],
  ['dX', {}, layers.slice(1).map(([inF, out]) => ({ M: 8, N: inF, K: out }))],
  ['dW', { transposeA: true }, layers.map(([inF, out]) => ({ M: out, N: inF, K: 8 }))],
  ['square', {}, [64, 128, 256, 512, 1024].map((n) => ({ M: n, N: n, K: n }))],
  ['forward b512', { transposeB: true }, layers.map(([inF, out]) => ({ M: 512, N: out, K: inF }))],
  ['dX b512', {}, layers.slice(1).map(([inF, out]) => ({ M: 512, N: inF, K: out }))],
  ['dW b512', { transposeA: true }, layers.map(([inF, out]) => ({ M: out, N: inF, K: 512 }))],
];
for (const [what, layout, sizes] of benchLayouts) {
  for (const variant of what.endsWith('b512') ? (['vec4', 'tiled', 'splitk'] as const) : MATMUL_VARIANTS) {
    // v1 at 1024³ takes seconds a run (v4 and v5 too on a software adapter); v3 only where its layout
    // allows; v5 only where it cuts K (with one slice it is v4).
    const runnable = sizes.filter(
      (d) =>
        (variant === 'blocked' || variant === 'vec4' || d.M * d.N * d.K <= 300_000_000) &&
        !(variant === 'vec4' && vec4Unsupported(d.M, d.N, d.K, layout.transposeA ?? false, layout.transposeB ?? false)) &&
        !(variant === 'splitk' && splitKSlices(d.M, d.N, d.K).slices === 1),
    );
    if (runnable.length === 0) continue;
    const fullOnly = what.endsWith('b512'); // the GPU's shapes: seconds of SwiftShader per run of v4 and v5
    cases.push(matmulCase(variant, runnable[0]!, layout, { name: `matmul ${variant} bench ${what}`, bench: { sizes: runnable, flop, fullOnly } }));
  }
}

cases.push(
  testCase('matmul bad input is rejected before dispatch', (s, random) => {
        const a = s.input(uniform(random, 6), [2, 3]);
        const b = s.input(uniform(random, 8), [4, 2]);
        const b32 = s.input(uniform(random, 6), [3, 2]);
        const c = s.output([2, 2]);
        const labels = s.input([0, 1], [2], 'u32', 'labels');
        const v = s.input(uniform(random, 4), [4]);
        s.expectError('inner dimensions', () => matmul(a, b, c), /matmul: argument 'b' expected 3 rows/);
        // a (2×3) · b32 (3×2) is valid; only the output's shape is wrong.
        s.expectError('output shape', () => matmul(a, b32, s.output([3, 2])), /matmul: argument 'out' expected shape \[2, 2\], got \[3, 2\]/);
        s.expectError('rank', () => matmul(v, b, c), /matmul: argument 'a' expected 2 or 3 dimensions, got shape \[4\]/);
        s.expectError('a batch into one product', () => matmul(s.input(uniform(random, 12), [2, 2, 3]), b32, c), /matmul: argument 'a' is a batch of 2 products \(shape \[2, 2, 3\]\), but 'out' is one, shape \[2, 2\]: give out \[B, M, N\]/);
        s.expectError('batches of different sizes', () => matmul(s.input(uniform(random, 12), [2, 2, 3]), s.input(uniform(random, 18), [3, 3, 2]), s.output([2, 2, 2])), /matmul: argument 'b' expected out's 2 products first \(or 2 dimensions: one matrix shared by the batch\), got shape \[3, 3, 2\]/);
        s.expectError('a batch out of two shared matrices', () => matmul(a, b32, s.output([3, 2, 2])), /matmul: 'out' holds 3 products \(shape \[3, 2, 2\]\), but neither a \[2, 3\] nor b \[3, 2\] is a batch/);
        s.expectError('split-K on a batch', () => matmul(s.input(uniform(random, 12), [2, 2, 3]), s.input(uniform(random, 12), [2, 3, 2]), s.output([2, 2, 2]), { variant: 'splitk' }), /matmul: variant 'splitk' runs one product \(its slices take the grid's z\); a batch of 2 takes v1–v4/);
        s.expectError('dtype', () => matmul(labels.reshapeView([1, 2]), b, c), /matmul: argument 'a' expected dtype f32, got u32/);
        s.expectError('bias shape', () => matmul(a, b32, c, { bias: v }), /matmul: argument 'bias' expected shape \[2\], got \[4\]/);
        s.expectError('variant', () => matmul(a, b32, c, { variant: 'magic' as MatmulVariant }), /variant/);
        const a717 = s.input(uniform(random, 7 * 17), [7, 17]);
        s.expectError('vec4: K not a multiple of 4', () => matmul(a717, s.input(uniform(random, 5 * 17), [5, 17]), s.output([7, 5]), { transposeB: true, variant: 'vec4' }), /variant 'vec4' cannot run 7×5×17 Bᵀ: K = 17 and N = 5 must be multiples of 4/);
        const a86 = s.input(uniform(random, 8 * 6), [8, 6]);
        s.expectError('splitK without v5', () => matmul(a, b32, c, { variant: 'tiled', splitK: 2 }), /matmul: argument 'splitK' expected a positive integer with variant 'splitk', got 2 with variant 'tiled'/);
        s.expectError('splitK 0', () => matmul(a, b32, c, { variant: 'splitk', splitK: 0 }), /argument 'splitK' expected a positive integer/);
        s.expectError('vec4: N not a multiple of 4', () => matmul(a86, s.input(uniform(random, 6 * 6), [6, 6]), s.output([8, 6]), { variant: 'vec4' }), /K = 6 and N = 6 must be multiples of 4/);
  }),
);

// A NaN in A makes its row of C NaN, and the fused activation keeps it NaN (max(NaN, 0) may be 0 in
// WGSL): every variant, relu and sigmoid. Row 2 of A holds a NaN; no other row may be touched.
cases.push(
  testCase('matmul: a NaN in A stays NaN through the fused relu and sigmoid, every variant', async (s, random) => {
    const [M, N, K] = [9, 16, 12];
    const a = uniform(random, M * K);
    a[2 * K + 5] = NaN;
    const [b, bias] = [uniform(random, K * N), uniform(random, N)];
    const [at, bt, biasT] = [s.input(a, [M, K]), s.input(b, [K, N]), s.input(bias, [N])];
    for (const variant of MATMUL_VARIANTS) {
      for (const activation of ['relu', 'sigmoid'] as const) {
        const c = s.output([M, N], `${variant} ${activation}`);
        matmul(at, bt, c, { variant, activation, bias: biasT });
        await s.check(`${variant} ${activation}`, c, ref.matmul(a, b, { M, N, K, activation, bias }), 1e-5, 1e-5);
      }
    }
  }),
);

export const spec: Spec = cases;
