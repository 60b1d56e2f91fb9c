// Float64 CPU reference for layer normalisation (PyTorch's F.layer_norm) over the last N values of
// each row of x, seen as [rows, N]: written from the definition, the statistics in two passes.

export interface LayerNormForward {
  y: Float64Array;
  mean: Float64Array;
  rstd: Float64Array;
}

/** y = (x − mean) / √(var + eps) · w + b per row (var biased); w and b of N values, null for none. */
export function layerNorm(x: ArrayLike<number>, N: number, weight: ArrayLike<number> | null, bias: ArrayLike<number> | null, eps: number): LayerNormForward {
  const rows = x.length / N;
  const y = new Float64Array(x.length);
  const mean = new Float64Array(rows);
  const rstd = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let sum = 0;
    for (let j = 0; j < N; j++) sum += x[r * N + j]!;
    const m = sum / N;
    let squares = 0;
    for (let j = 0; j < N; j++) squares += (x[r * N + j]! - m) ** 2;
    const s = 1 / Math.sqrt(squares / N + eps);
    mean[r] = m;
    rstd[r] = s;
    for (let j = 0; j < N; j++) y[r * N + j] = (x[r * N + j]! - m) * s * (weight ? weight[j]! : 1) + (bias ? bias[j]! : 0);
  }
  return { y, mean, rstd };
}

export interface LayerNormBackward {
  dx: Float64Array;
  dweight: Float64Array;
  dbias: Float64Array;
}

/**
 * The gradients of Σ dy · y. For each row, y_j depends on every x_k through the mean and the variance:
 * ∂x̂_j/∂x_k = s · (δ_jk − 1/N − x̂_j · x̂_k / N), s = 1/√(var + eps); so dx_k = Σ_j g_j ∂x̂_j/∂x_k with
 * g_j = dy_j · w_j, summed here term by term as the Jacobian's rows.
 */
export function layerNormBackward(x: ArrayLike<number>, dy: ArrayLike<number>, N: number, weight: ArrayLike<number> | null, eps: number): LayerNormBackward {
  const rows = x.length / N;
  const { mean, rstd } = layerNorm(x, N, null, null, eps);
  const dx = new Float64Array(x.length);
  const dweight = new Float64Array(N);
  const dbias = new Float64Array(N);
  for (let r = 0; r < rows; r++) {
    const s = rstd[r]!;
    const xhat = Array.from({ length: N }, (_, j) => (x[r * N + j]! - mean[r]!) * s);
    for (let j = 0; j < N; j++) {
      const d = dy[r * N + j]!;
      const g = d * (weight ? weight[j]! : 1);
      dweight[j]! += d * xhat[j]!;
      dbias[j]! += d;
      for (let k = 0; k < N; k++) dx[r * N + k]! += g * s * ((j === k ? 1 : 0) - 1 / N - (xhat[j]! * xhat[k]!) / N);
    }
  }
  return { dx, dweight, dbias };
}
