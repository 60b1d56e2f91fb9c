// Float64 CPU references for matmul, the activations and the column sum, written from the math.
// Matrices are row-major; op(X) = X or Xᵀ as in the kernel's contract.
import { tabulate } from './arrays';

export type Activation = 'none' | 'relu' | 'sigmoid';

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const relu = (x: number): number => (x > 0 || Number.isNaN(x) ? x : 0); // NaN stays NaN, as in PyTorch

export function activate(x: number, activation: Activation): number {
  return activation === 'relu' ? relu(x) : activation === 'sigmoid' ? sigmoid(x) : x;
}

export interface MatmulSpec {
  M: number;
  N: number;
  K: number;
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: ArrayLike<number>;
  activation?: Activation;
}

/** C[m][n] = act(Σ_k op(A)[m][k] · op(B)[k][n] + bias[n]). */
export function matmul(a: ArrayLike<number>, b: ArrayLike<number>, spec: MatmulSpec): Float64Array {
  const { M, N, K, transposeA = false, transposeB = false, bias, activation = 'none' } = spec;
  // Rows of op(A) and columns of op(B), each copied once into contiguous float64 rows: the sums
  // then read memory in order (the 1024³ cases take seconds, not tens of seconds).
  const rowsA = tabulate(M * K, (i) => (transposeA ? a[(i % K) * M + Math.floor(i / K)]! : a[i]!));
  const colsB = tabulate(N * K, (i) => (transposeB ? b[i]! : b[(i % K) * N + Math.floor(i / K)]!));
  const c = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let k = 0; k < K; k++) sum += rowsA[m * K + k]! * colsB[n * K + k]!;
      c[m * N + n] = activate(sum + (bias ? bias[n]! : 0), activation);
    }
  }
  return c;
}

/** out[n] = Σ_m x[m][n]. */
export function sumRows(x: ArrayLike<number>, M: number, N: number): Float64Array {
  const out = new Float64Array(N);
  for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) out[n] = out[n]! + x[m * N + n]!;
  return out;
}

/** d/dx sigmoid(x) = σ(x)(1 − σ(x)), applied to an upstream gradient. */
export function sigmoidBackward(x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  return tabulate(dy.length, (i) => dy[i]! * sigmoid(x[i]!) * (1 - sigmoid(x[i]!)));
}

/** d/dx relu(x) = 1 for x > 0, else 0 (PyTorch's choice at 0); at NaN PyTorch passes dy on. */
export function reluBackward(x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  return tabulate(dy.length, (i) => (x[i]! > 0 || Number.isNaN(x[i]!) ? dy[i]! : 0));
}
