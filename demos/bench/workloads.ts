// The bench's workloads, defined once for every contender: shapes, inputs (seeded, so every
// contender gets the same numbers) and the float64 reference each result is checked against.
import { matmul as matmulRef, sigmoid as sigmoidRef } from '../../src/reference/linalg';
import { softmaxCrossEntropy as crossEntropyRef } from '../../src/reference/losses';
import { adamInit, adamStep, type AdamOptions } from '../../src/reference/optim';
import { allOf, compare, randomArray, type Verdict } from './harness';

/** The course's tuned model: 20 features → 4 classes, sigmoid hidden layers. */
export const TUNED = [20, 128, 256, 512, 128, 4];
export const ADAM: AdamOptions = { lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false };

const lazy = <T>(make: () => T) => {
  let value: T | undefined;
  return () => (value ??= make());
};

/** A size as our specs name it ('M=8 N=128 K=20'): ours and the peers' rows are matched on it. */
export const dimsText = (d: Record<string, number>) => Object.entries(d).map(([k, v]) => `${k}=${v}`).join(' ');

export interface MatmulCase {
  M: number;
  N: number;
  K: number;
  transposeA: boolean;
  transposeB: boolean;
  size: string;
  /** Row-major A ([M, K], or [K, M] when transposeA) and B ([K, N], or [N, K] when transposeB). */
  a: Float32Array;
  b: Float32Array;
  expected: () => Float64Array;
  check: (c: ArrayLike<number>) => Verdict;
}

export function matmulCase(M: number, N: number, K: number, transposeA = false, transposeB = false): MatmulCase {
  const a = randomArray(M * K, M + N);
  const b = randomArray(K * N, N + K);
  const expected = lazy(() => matmulRef(a, b, { M, N, K, transposeA, transposeB }));
  return { M, N, K, transposeA, transposeB, size: dimsText({ M, N, K }), a, b, expected, check: (c) => compare(c, expected(), 1e-6 * K + 1e-5) };
}

/**
 * The products a peer runs as one call: squares, and the tuned model's forward x·Wᵀ at batch 8 (the
 * same shapes as src/kernels/matmul.ts's bench cases 'bench square' and 'bench forward'; the
 * transposed-A backward products are ours only).
 */
export function matmulCases(): MatmulCase[] {
  const layers = TUNED.slice(1).map((out, i) => [TUNED[i]!, out] as const);
  return [...[64, 128, 256, 512, 1024].map((n) => matmulCase(n, n, n)), ...layers.map(([inF, out]) => matmulCase(8, out, inF, false, true))];
}

export const elementwiseSizes = [1e3, 1e4, 1e5, 1e6, 1e7];

export interface SigmoidCase {
  n: number;
  size: string;
  x: Float32Array;
  check: (y: ArrayLike<number>) => Verdict;
}

export function sigmoidCase(n: number): SigmoidCase {
  const x = randomArray(n, n, -4, 4);
  return { n, size: dimsText({ n }), x, check: (y) => compare(y, Float64Array.from(x, sigmoidRef), 1e-5) };
}

/** Mean softmax cross-entropy over N rows of C = 10 logits, and its gradient with respect to the logits. */
export interface SoftmaxCase {
  N: number;
  C: number;
  size: string;
  logits: Float32Array;
  labels: Uint32Array;
  /** The labels one-hot, for libraries whose loss takes them so. */
  onehot: Float32Array;
  check: (loss: number, grad: ArrayLike<number>) => Verdict;
}

export function softmaxCase(n: number): SoftmaxCase {
  const C = 10;
  const N = Math.max(1, Math.floor(n / C));
  const logits = randomArray(N * C, n + 1, -3, 3);
  const labels = Uint32Array.from({ length: N }, (_, i) => (i * 7) % C);
  const onehot = new Float32Array(N * C);
  labels.forEach((label, i) => (onehot[i * C + label] = 1));
  const ref = lazy(() => crossEntropyRef(logits, labels, N, C));
  return { N, C, size: dimsText({ N, C }), logits, labels, onehot, check: (loss, grad) => allOf(compare([loss], [ref().loss], 1e-5, 1e-5), compare(grad, ref().grad, 1e-6, 1e-4)) };
}

/**
 * One training step of the tuned model: forward (sigmoid hidden layers), mean softmax cross-entropy,
 * backward, Adam (lr 1e-4, PyTorch's defaults otherwise). Every contender starts from the same
 * weights (PyTorch's nn.Linear init, U(±1/√in)) and batch; the check is the first step's loss and
 * the parameters after it.
 */
export interface TrainingCase {
  batch: number;
  size: string;
  /** Per layer: weight [out, in] (PyTorch's layout) and bias [out]. */
  weights: Float32Array[];
  biases: Float32Array[];
  x: Float32Array;
  labels: Uint32Array;
  onehot: Float32Array;
  /** FLOPs of the three matmuls per layer. */
  flop: number;
  check: (loss: number, weights: ArrayLike<number>[], biases: ArrayLike<number>[]) => Verdict;
}

export const trainingBatches = (quick: boolean) => (quick ? [8] : [8, 256]);

export function trainingCase(batch: number): TrainingCase {
  const layers = TUNED.slice(1).map((out, i) => ({ inF: TUNED[i]!, out }));
  const weights = layers.map(({ inF, out }, l) => randomArray(out * inF, 100 + l, -1 / Math.sqrt(inF), 1 / Math.sqrt(inF)));
  const biases = layers.map(({ inF, out }, l) => randomArray(out, 200 + l, -1 / Math.sqrt(inF), 1 / Math.sqrt(inF)));
  const x = randomArray(batch * TUNED[0]!, 300 + batch);
  const C = TUNED.at(-1)!;
  const labels = Uint32Array.from({ length: batch }, (_, i) => (i * 3) % C);
  const onehot = new Float32Array(batch * C);
  labels.forEach((label, i) => (onehot[i * C + label] = 1));
  const ref = lazy(() => trainingStepRef(weights, biases, x, labels, batch));
  const flop = 3 * 2 * batch * layers.reduce((s, { inF, out }) => s + inF * out, 0);
  return {
    batch,
    size: `batch ${batch}, ${TUNED.join('→')}, Adam`,
    weights,
    biases,
    x,
    labels,
    onehot,
    flop,
    check: (loss, w, b) => {
      const { loss: refLoss, weights: refW, biases: refB, gradW, gradB } = ref();
      return allOf(compare([loss], [refLoss], 1e-5, 1e-5), ...w.map((p, l) => compareAdamStep(p, refW[l]!, gradW[l]!)), ...b.map((p, l) => compareAdamStep(p, refB[l]!, gradB[l]!)));
    },
  };
}

/**
 * Parameters after Adam's first step move by lr·g/(|g| + eps) ≈ ±lr: within 1e-6 where the gradient
 * is clear of float32 noise; where it is tiny (under 1e-4 of the tensor's largest), the sign may
 * legitimately differ, so the step may be off by up to 2·lr.
 */
function compareAdamStep(actual: ArrayLike<number>, expected: Float64Array, grad: Float64Array): Verdict {
  const largest = grad.reduce((m, g) => Math.max(m, Math.abs(g)), 0);
  let maxError = 0;
  let ok = actual.length === expected.length;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i]! - expected[i]!);
    const tol = 1e-6 + (Math.abs(grad[i]!) < 1e-4 * largest ? 2 * ADAM.lr : 0);
    maxError = Math.max(maxError, Number.isNaN(err) ? Infinity : err);
    if (!(err <= tol)) ok = false;
  }
  return { maxError, ok };
}

/** The float64 step, written from the math: z = h·Wᵀ + b, h = σ(z); dW = dzᵀ·h, db = Σ dz, dh = dz·W. */
function trainingStepRef(weights: Float32Array[], biases: Float32Array[], x: Float32Array, labels: Uint32Array, N: number) {
  const L = weights.length;
  const dims = TUNED;
  const acts: Float64Array[] = [Float64Array.from(x)];
  for (let l = 0; l < L; l++) {
    const z = matmulRef(acts[l]!, weights[l]!, { M: N, N: dims[l + 1]!, K: dims[l]!, transposeB: true, bias: biases[l]!, activation: l < L - 1 ? 'sigmoid' : 'none' });
    acts.push(z);
  }
  const { loss, grad } = crossEntropyRef(acts[L]!, labels, N, dims[L]!);
  const gradW: Float64Array[] = [];
  const gradB: Float64Array[] = [];
  let dz = grad;
  for (let l = L - 1; l >= 0; l--) {
    const [inF, out] = [dims[l]!, dims[l + 1]!];
    gradW[l] = matmulRef(dz, acts[l]!, { M: out, N: inF, K: N, transposeA: true });
    const db = new Float64Array(out);
    for (let r = 0; r < N; r++) for (let j = 0; j < out; j++) db[j] = db[j]! + dz[r * out + j]!;
    gradB[l] = db;
    if (l > 0) {
      const dh = matmulRef(dz, weights[l]!, { M: N, N: inF, K: out });
      const h = acts[l]!;
      dz = Float64Array.from(dh, (g, i) => g * h[i]! * (1 - h[i]!));
    }
  }
  const step = (p: Float32Array, g: Float64Array) => {
    const s = adamInit(p);
    adamStep(s, g, ADAM);
    return s.param;
  };
  return { loss, weights: weights.map((w, l) => step(w, gradW[l]!)), biases: biases.map((b, l) => step(b, gradB[l]!)), gradW, gradB };
}

/** Row-major [rows, cols] → [cols, rows], for libraries whose dense layers keep weights [in, out]. */
export function transpose(m: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(m.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c]!;
  return t;
}
