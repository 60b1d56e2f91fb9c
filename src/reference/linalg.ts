// Float64 CPU references for matmul, the activations and the column sum, written from the math.
// Matrices are row-major; op(X) = X or Xᵀ as in the kernel's contract.

export type Activation = 'none' | 'relu' | 'sigmoid';

export const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));
export const relu = (x: number): number => (x > 0 ? x : 0);

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
  const c = new Float64Array(M * N);
  for (let m = 0; m < M; m++) {
    for (let n = 0; n < N; n++) {
      let sum = 0;
      for (let k = 0; k < K; k++) {
        const av = transposeA ? a[k * M + m]! : a[m * K + k]!;
        const bv = transposeB ? b[n * K + k]! : b[k * N + n]!;
        sum += av * bv;
      }
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
  return Float64Array.from(dy, (g, i) => g * sigmoid(x[i]!) * (1 - sigmoid(x[i]!)));
}

/** d/dx relu(x) = 1 for x > 0, else 0 (PyTorch's choice at 0). */
export function reluBackward(x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  return Float64Array.from(dy, (g, i) => (x[i]! > 0 ? g : 0));
}
