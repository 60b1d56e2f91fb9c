// Float64 CPU references for softmax and log-softmax along one dimension (torch.softmax,
// torch.log_softmax), written from the math (not from the WGSL). A tensor is seen as
// [outer, C, inner] around the dimension of size C.

/** outer, C, inner of `shape` around dimension `dim` (negative counts from the end). */
export function around(shape: readonly number[], dim: number): { outer: number; C: number; inner: number } {
  const d = dim < 0 ? dim + shape.length : dim;
  const product = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  return { outer: product(shape.slice(0, d)), C: shape[d]!, inner: product(shape.slice(d + 1)) };
}

/** Calls fn with each row's element indices (C of them, at stride inner). */
function eachRow(shape: readonly number[], dim: number, fn: (indices: number[]) => void): void {
  const { outer, C, inner } = around(shape, dim);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const indices: number[] = [];
      for (let j = 0; j < C; j++) indices.push((o * C + j) * inner + i);
      fn(indices);
    }
  }
}

/** y_j = e^(x_j) / Σ_k e^(x_k), and its logarithm, per row (the largest x subtracted first). */
export function softmax(x: ArrayLike<number>, shape: readonly number[], dim: number, log = false): Float64Array {
  const y = new Float64Array(x.length);
  eachRow(shape, dim, (idx) => {
    const max = idx.reduce((m, i) => Math.max(m, x[i]!), -Infinity);
    const logSum = Math.log(idx.reduce((s, i) => s + Math.exp(x[i]! - max), 0));
    for (const i of idx) y[i] = log ? x[i]! - max - logSum : Math.exp(x[i]! - max - logSum);
  });
  return y;
}

/**
 * d/dx of softmax (or log-softmax) applied to an upstream gradient dy. From the Jacobians
 * ∂p_j/∂x_k = p_j (δ_jk − p_k) and ∂log p_j/∂x_k = δ_jk − p_k, summed over j:
 *   softmax: dx_k = p_k (dy_k − Σ_j dy_j p_j);   log-softmax: dx_k = dy_k − p_k Σ_j dy_j.
 * (tests/reference.test.ts checks both against finite differences of softmax above.)
 */
export function softmaxBackward(x: ArrayLike<number>, dy: ArrayLike<number>, shape: readonly number[], dim: number, log = false): Float64Array {
  const p = softmax(x, shape, dim);
  const dx = new Float64Array(x.length);
  eachRow(shape, dim, (idx) => {
    const dyDotP = idx.reduce((s, j) => s + dy[j]! * p[j]!, 0);
    const dySum = idx.reduce((s, j) => s + dy[j]!, 0);
    for (const k of idx) dx[k] = log ? dy[k]! - p[k]! * dySum : p[k]! * (dy[k]! - dyDotP);
  });
  return dx;
}
