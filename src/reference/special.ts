// erf, erfc and erfinv in float64, written from their definitions: erf's Maclaurin series near 0, the
// Laplace continued fraction of erfc in the tails, and erfinv by bisection then Newton's method on
// erf. The reference for shaders/init.wgsl's fill_trunc_normal; src/init.ts also uses erf for the
// truncated normal's bounds, as PyTorch does with Python's math.erf. Checked against known values in
// tests/reference.test.ts.

/** erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, to about 1e-15. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a < 3) {
    // 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)); the largest term at x = 3 is ~170, so ~1e-14 is left.
    let term = a; // (−1)ⁿ x^(2n+1) / n!
    let sum = a;
    for (let n = 1; Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-a * a) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  return Math.sign(x) * (1 - erfcTail(a));
}

/** erfc(a) for a ≥ 3: e^(−a²)/√π · 1/(a + (1/2)/(a + 1/(a + (3/2)/(a + …)))), evaluated from the bottom up. */
function erfcTail(a: number): number {
  let t = a;
  for (let k = 60; k >= 1; k--) t = a + k / 2 / t;
  return Math.exp(-a * a) / Math.sqrt(Math.PI) / t;
}

/** erfc(x) = 1 − erf(x), keeping its relative precision where it is tiny (x ≥ 3: the tail's own fraction). */
export function erfc(x: number): number {
  return x >= 3 ? erfcTail(x) : 1 - erf(x);
}

/** erfinv(y) for y ∈ (−1, 1): the x with erf(x) = y. */
export function erfinv(y: number): number {
  if (!(y > -1 && y < 1)) return y === 1 ? Infinity : y === -1 ? -Infinity : NaN;
  let [low, high] = [-6, 6]; // erf(±6) is ±1 in float64
  for (let i = 0; i < 30; i++) {
    const mid = (low + high) / 2;
    if (erf(mid) < y) low = mid;
    else high = mid;
  }
  let x = (low + high) / 2;
  for (let i = 0; i < 3; i++) x -= (erf(x) - y) / ((2 / Math.sqrt(Math.PI)) * Math.exp(-x * x));
  return x;
}
