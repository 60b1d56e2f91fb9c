// Float64 CPU reference for torch.nn.utils.clip_grad_norm_ and clip_grad_value_, from PyTorch 1.13's
// definition:
//   total = ‖(‖g_1‖_q, …, ‖g_P‖_q)‖_q   (q = ∞: the largest |g|),   coef = min(1, max_norm / (total + 1e-6))
//   g ← g · coef (always, so NaN and ∞ spread as PyTorch's mul_ spreads them);   value: g ← clamp(g, −v, v).

/** The gradients after clip_grad_norm_, and the total norm it returns. */
export function clipGradNorm(grads: readonly ArrayLike<number>[], maxNorm: number, q: number): { grads: Float64Array[]; total: number } {
  const norm = (values: ArrayLike<number>) => {
    let acc = 0;
    for (let i = 0; i < values.length; i++) {
      const a = Math.abs(values[i]!);
      acc = q === Infinity ? (Number.isNaN(a) || Number.isNaN(acc) ? NaN : Math.max(acc, a)) : acc + a ** q;
    }
    return q === Infinity ? acc : acc ** (1 / q);
  };
  const total = grads.length === 0 ? 0 : norm(grads.map(norm));
  const c = maxNorm / (total + 1e-6);
  const coef = Number.isNaN(c) ? NaN : Math.min(c, 1);
  return { grads: grads.map((g) => Float64Array.from(g, (v) => v * coef)), total };
}

/** The gradients after clip_grad_value_: each element clamped to [−v, v], NaN kept. */
export function clipGradValue(grads: readonly ArrayLike<number>[], v: number): Float64Array[] {
  return grads.map((g) => Float64Array.from(g, (x) => (Number.isNaN(x) ? NaN : Math.min(Math.max(x, -v), v))));
}
