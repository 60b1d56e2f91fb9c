// ewa.wgsl — exponentially weighted averages of series, with optional bias correction
//
//   v_0 = 0,   v_t = β · v_{t−1} + (1 − β) · θ_t          t = 1 … T
//   corrected: v̂_t = v_t / (1 − βᵗ)                        (BIAS_CORRECTION)
// Each series is a row of x (S series × T steps, row-major); y has the same shape.
// 1 − β and the T corrections 1 / (1 − βᵗ) are computed on the CPU in float64 and rounded once:
// in float32, 1 − 0.9999 is off by 1.7e-4 relative, and 1 − βᵗ from a running float32 product
// loses more with every step.
// The recurrence is sequential in t, so one invocation walks one series; series run in parallel.
//
// Bindings: params {S, T, beta, one_minus_beta}; x, inverse_correction (read; T values, or any
// 1-element buffer without BIAS_CORRECTION); y (read_write).
// Geometry: one invocation per series, workgroup WORKGROUP_SIZE (64), series s = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override BIAS_CORRECTION: bool = false;

struct Params {
  S: u32,
  T: u32,
  beta: f32,
  one_minus_beta: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> inverse_correction: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn ewa(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let s = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (s >= params.S) { return; }
  var v = 0.0;
  for (var t = 0u; t < params.T; t++) {
    let i = s * params.T + t;
    v = params.beta * v + params.one_minus_beta * x[i];
    if (BIAS_CORRECTION) { y[i] = v * inverse_correction[t]; } else { y[i] = v; }
  }
}
