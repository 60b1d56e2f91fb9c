// softmax.wgsl — softmax and log-softmax along one dimension, forward and backward
//
// A tensor of any shape, seen as [outer, C, inner] around the dimension `dim` of size C (inner is
// the product of the sizes after it: 1 for the last dimension). Each of the outer · inner rows is C
// values x_j at stride `inner`. Per row, with m = max_j x_j (subtracted so that e^(x − m) ≤ 1 never
// overflows: logits of ±1e4 stay finite) and s = Σ_j e^(x_j − m):
//   softmax_forward       y_j = e^(x_j − m) / s
//   log_softmax_forward   y_j = (x_j − m) − log s
//   softmax_backward      dx_j = y_j · (dy_j − Σ_k dy_k · y_k)        (from the saved output y)
//   log_softmax_backward  dx_j = dy_j − e^(y_j) · Σ_k dy_k             (from the saved output y)
// The backward rules read only the forward's output, as PyTorch's do. With ACCUMULATE the backward
// adds into dx. A row of all −∞ gives NaN (m = −∞, x − m = NaN), as in PyTorch.
//
// Bindings: params {rows, C, inner}; forward: x (read), y (read_write); backward: y_saved, dy
// (read), dx (read_write).
// Geometry (v1): one invocation per row, a serial loop over its C values (three passes forward, two
// backward), workgroup WORKGROUP_SIZE (64); rows past 65,535 workgroups spill into the grid's y:
// row = gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE). Good for many short rows (a batch of
// class scores); a very long row (C in the millions) runs on one invocation.

override WORKGROUP_SIZE: u32 = 64u;
override ACCUMULATE: bool = false;

struct Params {
  rows: u32,
  C: u32,
  inner: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> y_saved: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

fn row_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

// Where row r's first value sits: row r is (o, i) = (r / inner, r % inner), at o · C · inner + i.
fn row_start(row: u32) -> u32 {
  let inner = params.inner;
  return (row / inner) * params.C * inner + row % inner;
}

fn write_dx(i: u32, value: f32) {
  if (ACCUMULATE) { dx[i] += value; } else { dx[i] = value; }
}

// m = max_j x_j and s = Σ_j e^(x_j − m) of one row.
fn row_max_and_sum(base: u32) -> vec2f {
  let stride = params.inner;
  var m = x[base];
  for (var j = 1u; j < params.C; j++) { m = max(m, x[base + j * stride]); }
  var s = 0.0;
  for (var j = 0u; j < params.C; j++) { s += exp(x[base + j * stride] - m); }
  return vec2f(m, s);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn softmax_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let row = row_index(gid, groups);
  if (row >= params.rows) { return; }
  let base = row_start(row);
  let ms = row_max_and_sum(base);
  for (var j = 0u; j < params.C; j++) {
    let i = base + j * params.inner;
    y[i] = exp(x[i] - ms.x) / ms.y;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn log_softmax_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let row = row_index(gid, groups);
  if (row >= params.rows) { return; }
  let base = row_start(row);
  let ms = row_max_and_sum(base);
  let log_s = log(ms.y);
  for (var j = 0u; j < params.C; j++) {
    let i = base + j * params.inner;
    y[i] = (x[i] - ms.x) - log_s;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn softmax_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let row = row_index(gid, groups);
  if (row >= params.rows) { return; }
  let base = row_start(row);
  var dot = 0.0; // Σ_k dy_k · y_k
  for (var j = 0u; j < params.C; j++) {
    let i = base + j * params.inner;
    dot += dy[i] * y_saved[i];
  }
  for (var j = 0u; j < params.C; j++) {
    let i = base + j * params.inner;
    write_dx(i, y_saved[i] * (dy[i] - dot));
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn log_softmax_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let row = row_index(gid, groups);
  if (row >= params.rows) { return; }
  let base = row_start(row);
  var total = 0.0; // Σ_k dy_k
  for (var j = 0u; j < params.C; j++) { total += dy[base + j * params.inner]; }
  for (var j = 0u; j < params.C; j++) {
    let i = base + j * params.inner;
    write_dx(i, dy[i] - exp(y_saved[i]) * total);
  }
}
