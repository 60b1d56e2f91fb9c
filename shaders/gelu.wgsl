// gelu.wgsl — GELU, the Gaussian error linear unit, forward and backward (exact and tanh forms)
//
//   gelu_forward   y = x · Φ(x)                       Φ the standard normal CDF (PyTorch's approximate='none')
//                  y = x · σ(2u),  u = √(2/π) · (x + 0.044715 x³)     (APPROXIMATE: approximate='tanh')
//   gelu_backward  dx = dy · (Φ(x) + x · φ(x))        φ(x) = e^(−x²/2) / √(2π)
//                  dx = dy · (s + 2x · s · (1 − s) · u′),  s = σ(2u),  u′ = √(2/π) · (1 + 3 · 0.044715 x²)
// The tanh form is PyTorch's 0.5 · x · (1 + tanh u) rewritten: 1 + tanh u = 2σ(2u). Both are written
// so that no two values close to each other are subtracted: PyTorch's float32 0.5 · x · (1 + erf(x/√2))
// loses the digits of a small Φ (at x = −5 it gives −1.49e-6, the value is −1.43e-6); here Φ(x) for
// x < 0 is ½ erfc(|x|/√2) with erfc to a relative 1.2e-7 (Numerical Recipes' Chebyshev fit, erfcc),
// and 1 − ½ erfc(x/√2) for x ≥ 0. Far out, e^(…) underflows to 0 and overflows to ∞ harmlessly:
// y → x or ±0. At x = ±∞ y is +∞ and NaN (−∞ · 0), the gradient NaN, and NaN stays NaN, as PyTorch's.
// WGSL lets an implementation flush subnormals: SwiftShader gives gelu(1e-40) = 0 (PyTorch 5e-41).
// The backward reads x (GELU is not invertible from y). With ACCUMULATE it adds into dx.
//
// Bindings: params {n}; forward: x (read), y (read_write); backward: x, dy (read), dx (read_write).
// Geometry: one invocation per element, workgroup WORKGROUP_SIZE (64); elements past 65,535
// workgroups spill into the grid's y: i = gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override APPROXIMATE: bool = false;
override ACCUMULATE: bool = false;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

const SQRT_HALF = 0.70710678118654752;
const SQRT_2_OVER_PI = 0.79788456080286536;
const INV_SQRT_2PI = 0.39894228040143268;
const CUBIC = 0.044715;

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

// NaN is recognised by its bits: WGSL lets an implementation drop it through exp and comparisons.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// erfc(z) for z ≥ 0, to a relative 1.2e-7 (Numerical Recipes, erfcc).
fn erfc_nonnegative(z: f32) -> f32 {
  let t = 1.0 / (1.0 + 0.5 * z);
  let p = -1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 +
          t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))))));
  return t * exp(p - z * z);
}

// Φ(v), the standard normal CDF, without cancellation on either side.
fn normal_cdf(v: f32) -> f32 {
  let tail = 0.5 * erfc_nonnegative(abs(v) * SQRT_HALF); // Φ(−|v|)
  return select(1.0 - tail, tail, v < 0.0);
}

fn tanh_u(v: f32) -> f32 {
  return SQRT_2_OVER_PI * (v + CUBIC * v * v * v);
}

// σ(2u) for the tanh form: 1 / (1 + e^(−2u)), which saturates to 0 or 1.
fn tanh_gate(v: f32) -> f32 {
  return 1.0 / (1.0 + exp(-2.0 * tanh_u(v)));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gelu_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let v = x[i];
  let gate = select(normal_cdf(v), tanh_gate(v), APPROXIMATE);
  y[i] = select(v * gate, v, is_nan(v));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gelu_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let v = x[i];
  var slope: f32;
  if (APPROXIMATE) {
    let s = tanh_gate(v);
    // 1 − s as σ(−2u), not by subtracting: near s = 1 (v ≈ 5) 1 − s ≈ 2e-6 kept 3% of its digits, and
    // the slope 16 float32 steps of 1. s(1 − s) first and v² capped: past |v| ≈ 10 s(1 − s) is 0, and
    // 0 · v must stay 0 where 2v or v² would overflow (0 · ∞ = NaN); at v = ±∞ it is NaN, as PyTorch's.
    let rest = 1.0 / (1.0 + exp(2.0 * tanh_u(v)));
    slope = s + 2.0 * s * rest * v * SQRT_2_OVER_PI * (1.0 + 3.0 * CUBIC * min(v * v, 1e30));
  } else {
    slope = normal_cdf(v) + v * INV_SQRT_2PI * exp(-0.5 * v * v);
  }
  let value = select(dy[i] * slope, v, is_nan(v));
  if (ACCUMULATE) { dx[i] += value; } else { dx[i] = value; }
}
