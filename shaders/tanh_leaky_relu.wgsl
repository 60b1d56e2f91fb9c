// tanh_leaky_relu.wgsl — elementwise tanh and leaky ReLU, forward and backward
//
//   tanh_forward         y = tanh(x) = (e^x − e^(−x)) / (e^x + e^(−x))
//   tanh_backward        dx = dy · (1 − y²)                  (from the saved output y)
//   leaky_relu_forward   y = x if x > 0, else slope · x      (slope ≥ 0; PyTorch's default 0.01)
//   leaky_relu_backward  dx = dy if y > 0, else slope · dy   (from y: with slope ≥ 0, y > 0 ⇔ x > 0)
// tanh is Cephes' tanhf: a polynomial near 0 (1 − 2 / (e^(2x) + 1) cancels there: 1e-3 relative
// error at |x| ~ 1e-4), and 1 − 2 / (e^(2|x|) + 1) beyond, which saturates to ±1 for large |x|
// instead of overflowing (see tanh_accurate). With ACCUMULATE the backward adds into dx.
// A NaN input gives a NaN output; leaky_relu_backward takes slope · dy where y is NaN, as PyTorch does.
//
// Bindings: params {n, slope}; forward: x (read), y (read_write); backward: y_saved, dy (read),
// dx (read_write).
// Geometry: one invocation per element, workgroup WORKGROUP_SIZE (64); elements past 65,535
// workgroups spill into the grid's y: i = gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override ACCUMULATE: bool = false;

struct Params {
  n: u32,
  slope: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> y_saved: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

// NaN is recognised by its bits: WGSL lets an implementation assume no NaN, so exp(NaN) may drop it
// (SwiftShader: +∞, making tanh 1) and a comparison cannot be trusted to see it.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// tanh(v) to float32's precision: near 0, where 1 − 2/(e^(2v) + 1) cancels (relative error 1e-3 at
// |v| ~ 1e-4), Cephes' tanhf polynomial, v + v³·P(v²) for |v| < 0.625 (its bound 2.5e-7 relative); beyond,
// 1 − 2/(e^(2|v|) + 1) with v's sign, which saturates to ±1 where e^(2|v|) overflows. A NaN stays NaN.
fn tanh_accurate(v: f32) -> f32 {
  let a = abs(v);
  if (a < 0.625) {
    let s = v * v;
    return ((((-5.70498872745e-3 * s + 2.06390887954e-2) * s - 5.37397155531e-2) * s + 1.33314422036e-1) * s - 3.33332819422e-1) * s * v + v;
  }
  let t = 1.0 - 2.0 / (exp(2.0 * a) + 1.0);
  return select(select(t, -t, v < 0.0), v, is_nan(v));
}

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

fn write_dx(i: u32, value: f32) {
  if (ACCUMULATE) { dx[i] += value; } else { dx[i] = value; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn tanh_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  y[i] = tanh_accurate(x[i]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn tanh_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let t = y_saved[i];
  write_dx(i, dy[i] * (1.0 - t * t));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn leaky_relu_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let v = x[i];
  y[i] = select(params.slope * v, v, v > 0.0 || is_nan(v));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn leaky_relu_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let s = y_saved[i];
  write_dx(i, select(params.slope * dy[i], dy[i], s > 0.0 && !is_nan(s)));
}
