// shaders/matmul.wgsl: C = act(op(A) · op(B) + bias), op ∈ {X, Xᵀ}, optionally accumulated; its
// four numbered variants (the tuner picks among them per adapter); and matmul's backward, the one rule behind F.matmul and nn.Linear (with
// an activation fused into the epilogue or not).
import type { Gpu } from '../device/gpu';
import { grid2d, loadShader, type BufferView } from '../device/shader';
import { sizeClass, type TuningJob } from '../device/tuner';
import { expectDtype, expectRank, expectShape, shapeText } from '../launch';
import * as ref from '../reference/linalg';
import { uniform } from '../spec/random';
import { testCase, type KernelCase, type Spec } from '../spec/scope';
import { Tensor, type BackwardRule } from '../tensor';
import { activationBackward, type Activation } from './activation';
import { sumRows } from './reduce';

export const shader = loadShader('matmul');

export type MatmulVariant = 'naive' | 'blocked' | 'vec4' | 'tiled';
export const MATMUL_VARIANTS: readonly MatmulVariant[] = ['naive', 'blocked', 'vec4', 'tiled'];
const ENTRY: Record<MatmulVariant, string> = { naive: 'matmul_naive', blocked: 'matmul_blocked', vec4: 'matmul_vec4', tiled: 'matmul_tiled' };
/** Outputs per invocation along n and m (the register block), for the grid. */
const BLOCK: Record<MatmulVariant, [number, number]> = { naive: [1, 1], blocked: [4, 4], vec4: [4, 4], tiled: [4, 4] };

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
}

/** out = act(op(a) · op(b) + bias); with accumulate, out += … instead. */
export function matmul(a: Tensor, b: Tensor, out: Tensor, options: MatmulOptions = {}): void {
  const op = 'matmul';
  const { transposeA = false, transposeB = false, bias, activation = 'none', accumulate = false } = options;
  for (const [name, t] of Object.entries({ a, b, out })) {
    expectRank(op, name, t, [2]);
    expectDtype(op, name, t, 'f32');
  }
  const [M, K] = transposeA ? [a.shape[1]!, a.shape[0]!] : [a.shape[0]!, a.shape[1]!];
  const [Kb, N] = transposeB ? [b.shape[1]!, b.shape[0]!] : [b.shape[0]!, b.shape[1]!];
  if (Kb !== K) throw new Error(`${op}: argument 'b' expected ${K} ${transposeB ? 'columns' : 'rows'} to match op(a) = ${M}×${K}, got shape ${shapeText(b.shape)}`);
  expectShape(op, 'out', out, [M, N]);
  if (bias) {
    expectDtype(op, 'bias', bias, 'f32');
    expectShape(op, 'bias', bias, [N]);
  }
  if (!(activation in ACTIVATION_CODE)) throw new Error(`${op}: argument 'activation' expected none, relu or sigmoid, got ${activation}`);
  // The default: v3 where its layout allows, else v2. On SwiftShader (lab/profile-page.ts) v3 ran
  // 8×512×256 Bᵀ in 1.21 ms (v2 1.55), 8×128×512 Bᵀ in 0.64 (0.85), 512×256×8 Aᵀ in 2.04 (2.75), 512³ in
  // 142–151 (178). The tuner replaces it where another variant is faster on the adapter in hand.
  const fallback = matmulDefault(M, N, K, transposeA, transposeB);
  const variant = options.variant ?? a.gpu.tuner.choose(matmulTuningKey(M, N, K, transposeA, transposeB), fallback, () => matmulTuningJob(a.gpu, M, N, K, transposeA, transposeB, fallback));
  if (!MATMUL_VARIANTS.includes(variant)) throw new Error(`${op}: argument 'variant' expected ${MATMUL_VARIANTS.join(', ')}, got ${variant}`);
  const why = variant === 'vec4' && vec4Unsupported(M, N, K, transposeA, transposeB);
  if (why) throw new Error(`${op}: variant 'vec4' cannot run ${M}×${N}×${K}${transposeA ? ' Aᵀ' : ''}${transposeB ? ' Bᵀ' : ''}: ${why}`);
  const placeholder = a.gpu.placeholders[0];
  const entry = shader.entry(ENTRY[variant]);
  const buffers: Record<string, BufferView> = variant === 'vec4' ? { a4: a, b4: b, bias4: bias ?? placeholder, c4: out } : { a, b, bias: bias ?? placeholder, c: out };
  a.gpu.dispatch(entry, { params: { M, N, K }, ...buffers }, grid2d(entry, N, M, BLOCK[variant]), {
    TRANSPOSE_A: transposeA,
    TRANSPOSE_B: transposeB,
    HAS_BIAS: bias !== undefined,
    ACTIVATION: ACTIVATION_CODE[activation],
    ACCUMULATE: accumulate,
  });
}

/** Without the tuner: v3 where its layout allows, else v2. */
export function matmulDefault(M: number, N: number, K: number, transposeA: boolean, transposeB: boolean): MatmulVariant {
  return vec4Unsupported(M, N, K, transposeA, transposeB) ? 'blocked' : 'vec4';
}

/** The tuner's key for a product: layout, size class of M, N and K, and whether v3 can run it. */
export function matmulTuningKey(M: number, N: number, K: number, transposeA: boolean, transposeB: boolean): string {
  const layout = `${transposeA ? 'Aᵀ' : 'A'}·${transposeB ? 'Bᵀ' : 'B'}`;
  return `matmul ${layout} M≤${sizeClass(M)} N≤${sizeClass(N)} K≤${sizeClass(K)}${vec4Unsupported(M, N, K, transposeA, transposeB) ? ' (no v3)' : ''}`;
}

/** Times every variant that can run this layout, on zero-filled scratch operands (no epilogue). */
export function matmulTuningJob(gpu: Gpu, M: number, N: number, K: number, transposeA: boolean, transposeB: boolean, fallback: MatmulVariant = matmulDefault(M, N, K, transposeA, transposeB)): TuningJob {
  const candidates = MATMUL_VARIANTS.filter((v) => v !== 'vec4' || !vec4Unsupported(M, N, K, transposeA, transposeB));
  return {
    shape: `${M}×${N}×${K}`,
    fallback,
    candidates,
    prepare() {
      const a = Tensor.empty(gpu, transposeA ? [K, M] : [M, K], 'f32', 'tuning a');
      const b = Tensor.empty(gpu, transposeB ? [N, K] : [K, N], 'f32', 'tuning b');
      const c = Tensor.empty(gpu, [M, N], 'f32', 'tuning c');
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
    let dz = dy!;
    if (o.activation !== 'none') {
      dz = o.scratch ?? Tensor.empty(y.gpu, y.shape, 'f32', 'dz');
      activationBackward(o.activation, y, dy!, dz);
    }
    if (a.requiresGrad) {
      const { grad, accumulate } = ctx.target(a);
      matmul(dz, b, grad, { transposeB: !o.transposeB, accumulate });
    }
    if (b.requiresGrad) {
      const { grad, accumulate } = ctx.target(b);
      if (o.transposeB) matmul(dz, a, grad, { transposeA: true, accumulate });
      else matmul(a, dz, grad, { transposeA: true, accumulate });
    }
    if (o.bias?.requiresGrad) {
      const { grad, accumulate } = ctx.target(o.bias);
      sumRows(dz, grad, accumulate);
    }
    if (dz !== dy && !o.scratch) dz.destroy();
  },
};

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

interface Layout {
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: boolean;
  activation?: Activation;
  accumulate?: boolean;
}
type MatmulDims = { M: number; N: number; K: number };

const VARIANT_LABEL: Record<MatmulVariant, string> = { naive: 'v1 naive', blocked: 'v2 blocked', vec4: 'v3 vec4', tiled: 'v4 tiled' };
const cases: KernelCase[] = [];

function matmulCase(variant: MatmulVariant, dims: MatmulDims, c: Layout = {}, extra: Partial<KernelCase<MatmulDims>> = {}): KernelCase {
  const flags = [c.transposeA && 'Aᵀ', c.transposeB && 'Bᵀ', c.bias && '+bias', c.activation && c.activation !== 'none' && c.activation, c.accumulate && 'accumulate'].filter(Boolean);
  const k: KernelCase<MatmulDims> = {
    name: `matmul ${variant} ${dims.M}×${dims.N}×${dims.K}${flags.length ? ` ${flags.join(' ')}` : ''}`,
    entries: [ENTRY[variant]],
    variant: VARIANT_LABEL[variant],
    dims,
    setup(s, { M, N, K }, random) {
      const { transposeA = false, transposeB = false, activation = 'none', accumulate = false } = c;
      const a = uniform(random, M * K);
      const b = uniform(random, K * N);
      const bias = c.bias ? uniform(random, N) : undefined;
      const out = s.output([M, N], 'c');
      const previous = uniform(random, M * N);
      if (accumulate) out.write(previous);
      const [at, bt] = [s.input(a, transposeA ? [K, M] : [M, K]), s.input(b, transposeB ? [N, K] : [K, N])];
      const biasT = bias ? s.input(bias) : undefined;
      return {
        run: () => matmul(at, bt, out, { transposeA, transposeB, variant, activation, accumulate, ...(biasT ? { bias: biasT } : {}) }),
        check: async () => {
          const expected = ref.matmul(a, b, { M, N, K, transposeA, transposeB, activation, ...(bias ? { bias } : {}) });
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

// The bench: the tuned model's products at batch 8 (forward x·Wᵀ, dX = dY·W, dW = dYᵀ·x), then squares.
const TUNED = [20, 128, 256, 512, 128, 4];
const layers = TUNED.slice(1).map((out, i) => [TUNED[i]!, out] as const);
const flop = (d: { M?: number; N?: number; K?: number }) => 2 * d.M! * d.N! * d.K!;
const benchLayouts: [string, Layout, MatmulDims[]][] = [
  ['forward', { transposeB: true }, layers.map(([inF, out]) => ({ M: 8, N: out, K: inF }))],
  ['dX', {}, layers.slice(1).map(([inF, out]) => ({ M: 8, N: inF, K: out }))],
  ['dW', { transposeA: true }, layers.map(([inF, out]) => ({ M: out, N: inF, K: 8 }))],
  ['square', {}, [64, 128, 256, 512, 1024].map((n) => ({ M: n, N: n, K: n }))],
];
for (const [what, layout, sizes] of benchLayouts) {
  for (const variant of MATMUL_VARIANTS) {
    // v1 at 1024³ takes seconds a run (v4 too on a software adapter); v3 only where its layout allows.
    const runnable = sizes.filter((d) => ((variant !== 'naive' && variant !== 'tiled') || d.M * d.N * d.K <= 300_000_000) && !(variant === 'vec4' && vec4Unsupported(d.M, d.N, d.K, layout.transposeA ?? false, layout.transposeB ?? false)));
    if (runnable.length === 0) continue;
    cases.push(matmulCase(variant, runnable[0]!, layout, { name: `matmul ${variant} bench ${what}`, bench: { sizes: runnable, flop } }));
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
        s.expectError('rank', () => matmul(v, b, c), /matmul: argument 'a' expected 2 dimensions, got shape \[4\]/);
        s.expectError('dtype', () => matmul(labels.reshape([1, 2]), b, c), /matmul: argument 'a' expected dtype f32, got u32/);
        s.expectError('bias shape', () => matmul(a, b32, c, { bias: v }), /matmul: argument 'bias' expected shape \[2\], got \[4\]/);
        s.expectError('variant', () => matmul(a, b32, c, { variant: 'magic' as MatmulVariant }), /variant/);
        const a717 = s.input(uniform(random, 7 * 17), [7, 17]);
        s.expectError('vec4: K not a multiple of 4', () => matmul(a717, s.input(uniform(random, 5 * 17), [5, 17]), s.output([7, 5]), { transposeB: true, variant: 'vec4' }), /variant 'vec4' cannot run 7×5×17 Bᵀ: K = 17 and N = 5 must be multiples of 4/);
        const a86 = s.input(uniform(random, 8 * 6), [8, 6]);
        s.expectError('vec4: N not a multiple of 4', () => matmul(a86, s.input(uniform(random, 6 * 6), [6, 6]), s.output([8, 6]), { variant: 'vec4' }), /K = 6 and N = 6 must be multiples of 4/);
  }),
);

export const spec: Spec = cases;
