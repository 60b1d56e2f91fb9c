// activation.wgsl — elementwise sigmoid and ReLU, forward and backward
//
//   sigmoid_forward   y = 1 / (1 + e^(−x))
//   sigmoid_backward  dx = dy · y · (1 − y)       (from the saved output y)
//   relu_forward      y = max(x, 0)
//   relu_backward     dx = dy · [y > 0]           (from the saved output y, as PyTorch does)
// A NaN input gives a NaN output, and relu_backward passes dy where y is NaN, as PyTorch does.
// Both backward rules read the forward's output rather than its input, so they also serve an
// activation fused into matmul's epilogue, where the pre-activation value is never stored.
// With ACCUMULATE the backward adds into dx (a tensor used twice sums its gradients).
//
// Bindings: params {n}; forward: x (read), y (read_write); backward: y_saved (the forward's y), dy
// (read), dx (read_write).
// Variants:
//   v1 (sigmoid_forward, …)       one invocation per element, workgroup WORKGROUP_SIZE (64). Work
//                                 longer than 65,535 workgroups spills into the grid's y dimension:
//                                 element i = gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE).
//   v2 (sigmoid_forward_vec4, …)  the same on vec4s (x4, y4, …), 4 vec4s per invocation; n counts
//                                 vec4s. Software adapters pay per invocation: fewer, fuller ones win.

override WORKGROUP_SIZE: u32 = 64u;
override ACCUMULATE: bool = false;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@group(0) @binding(3) var<storage, read> y_saved: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

// v2's vec4 views of the same bindings.
@group(0) @binding(1) var<storage, read> x4: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> y4: array<vec4f>;
@group(0) @binding(3) var<storage, read> y_saved4: array<vec4f>;
@group(0) @binding(4) var<storage, read> dy4: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> dx4: array<vec4f>;

// NaN is recognised by its bits: WGSL lets an implementation assume no NaN, so max(NaN, 0) and
// exp(NaN) may drop it (SwiftShader: 0 and +∞), and a comparison cannot be trusted to see it.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn is_nan4(v: vec4f) -> vec4<bool> {
  return (bitcast<vec4u>(v) & vec4u(0x7fffffffu)) > vec4u(0x7f800000u);
}

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

fn write_dx(i: u32, value: f32) {
  if (ACCUMULATE) { dx[i] += value; } else { dx[i] = value; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sigmoid_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let v = x[i];
  y[i] = select(1.0 / (1.0 + exp(-v)), v, is_nan(v));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sigmoid_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let s = y_saved[i];
  write_dx(i, dy[i] * s * (1.0 - s));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn relu_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let v = x[i];
  y[i] = select(max(v, 0.0), v, is_nan(v));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn relu_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let s = y_saved[i];
  write_dx(i, select(0.0, dy[i], s > 0.0 || is_nan(s)));
}

// ── v2: 4 vec4s (16 elements) per invocation ──

fn write_dx4(i: u32, value: vec4f) {
  if (ACCUMULATE) { dx4[i] += value; } else { dx4[i] = value; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sigmoid_forward_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let first = flat_index(gid, groups) * 4u;
  for (var i = first; i < min(first + 4u, params.n); i++) {
    let v = x4[i];
    y4[i] = select(1.0 / (1.0 + exp(-v)), v, is_nan4(v));
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sigmoid_backward_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let first = flat_index(gid, groups) * 4u;
  for (var i = first; i < min(first + 4u, params.n); i++) {
    let s = y_saved4[i];
    write_dx4(i, dy4[i] * s * (1.0 - s));
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn relu_forward_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let first = flat_index(gid, groups) * 4u;
  for (var i = first; i < min(first + 4u, params.n); i++) {
    let v = x4[i];
    y4[i] = select(max(v, vec4f(0.0)), v, is_nan4(v));
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn relu_backward_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let first = flat_index(gid, groups) * 4u;
  for (var i = first; i < min(first + 4u, params.n); i++) {
    let s = y_saved4[i];
    write_dx4(i, select(vec4f(0.0), dy4[i], (s > vec4f(0.0)) | is_nan4(s)));
  }
}
