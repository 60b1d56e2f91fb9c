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
// adds into dx. A row of all −∞ gives NaN (m = −∞, x − m = NaN), forward and backward, as in PyTorch;
// so does a row with a NaN in it (the max keeps NaN: max_keep_nan). Each sum over a row (or an
// invocation's part of it) is added in blocks of 64 terms, of 64 blocks and so on (BlockedSum), so
// a long row keeps its digits.
//
// Bindings: params {rows, C, inner}; forward: x (read), y (read_write); backward: y_saved, dy
// (read), dx (read_write).
//
// Variants (the launcher's `variant`, named as the other reductions name theirs; without one, the
// tuner times both per adapter, op, row count and row length):
//   v1 serial  softmax_forward, log_softmax_forward, softmax_backward, log_softmax_backward: one
//              invocation per row, a serial loop over its C values (three passes forward, two
//              backward), workgroup WORKGROUP_SIZE (64); rows past 65,535 workgroups spill into the
//              grid's y: row = gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE). Barrier-free,
//              the default: made for many short rows (a batch of class scores). For a dimension
//              other than the last, neighbouring invocations read neighbouring floats.
//   v2 tree    the same four with a _tree suffix: one workgroup of 256 per row (row = wid.x +
//              wid.y · num_workgroups.x, spilling into y past 65,535 rows). Invocation t takes the
//              row's values t, t + 256, … (for the last dimension a warp reads consecutive floats),
//              and each of the row's reductions (max and Σ e^(x − m) forward; Σ dy·y or Σ dy
//              backward) is a tree over workgroup memory: 8 halving steps, a barrier each. Made for
//              few long rows on a GPU, where v1 leaves all but a few invocations idle and walks C
//              values on each. On SwiftShader (a CPU) each barrier is a coroutine switch over 256
//              invocations: v1 wins there except for a handful of very long rows (loaded machine:
//              1 row of 2^20, v2 44 ms against v1 229; 16 × 65,536, v1 37 ms against 106;
//              1024 × 1024, v1 28 ms against 1.1 s).

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

// NaN is recognised by its bits: WGSL lets NaN compare as anything, and lets max and exp drop it.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// e^y, except that a NaN y (the output of a row of all −∞) stays NaN, as in PyTorch (SwiftShader's
// exp(NaN) is +∞).
fn exp_keep_nan(v: f32) -> f32 {
  return select(exp(v), v, is_nan(v));
}

// max(a, b), except that a NaN in either gives NaN (WGSL's max may return the other).
fn max_keep_nan(a: f32, b: f32) -> f32 {
  return select(select(max(a, b), b, is_nan(b)), a, is_nan(a));
}

fn write_dx(i: u32, value: f32) {
  if (ACCUMULATE) { dx[i] += value; } else { dx[i] = value; }
}

// A float32 sum over a row's terms, added in blocks of 64, of 64 blocks and so on: one running total
// loses digits as it grows (Σ e^(x − m) over a million classes was 3.9e-3 off), where the sums of 64
// at each level keep the rounding to a few dozen additions' worth.
struct BlockedSum {
  block: f32,   // the current block's terms (up to 64)
  blocks: f32,  // its finished blocks (up to 64)
  groups: f32,  // finished groups of 64 blocks (up to 64)
  rest: f32,    // the rest, 262,144 terms at a time
  count: u32,
}

fn no_terms() -> BlockedSum {
  return BlockedSum(0.0, 0.0, 0.0, 0.0, 0u);
}

fn add_term(sum: ptr<function, BlockedSum>, v: f32) {
  (*sum).block += v;
  (*sum).count++;
  if (((*sum).count & 63u) != 0u) { return; }
  (*sum).blocks += (*sum).block;
  (*sum).block = 0.0;
  if (((*sum).count & 4095u) != 0u) { return; }
  (*sum).groups += (*sum).blocks;
  (*sum).blocks = 0.0;
  if (((*sum).count & 262143u) != 0u) { return; }
  (*sum).rest += (*sum).groups;
  (*sum).groups = 0.0;
}

fn total_of(sum: BlockedSum) -> f32 {
  return sum.rest + (sum.groups + (sum.blocks + sum.block));
}

// m = max_j x_j and s = Σ_j e^(x_j − m) of one row.
fn row_max_and_sum(base: u32) -> vec2f {
  let stride = params.inner;
  var m = x[base];
  for (var j = 1u; j < params.C; j++) { m = max_keep_nan(m, x[base + j * stride]); }
  var s = no_terms();
  for (var j = 0u; j < params.C; j++) { add_term(&s, exp(x[base + j * stride] - m)); }
  return vec2f(m, total_of(s));
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
  var terms = no_terms(); // Σ_k dy_k · y_k
  for (var j = 0u; j < params.C; j++) {
    let i = base + j * params.inner;
    add_term(&terms, dy[i] * y_saved[i]);
  }
  let dot = total_of(terms);
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
  var terms = no_terms(); // Σ_k dy_k
  for (var j = 0u; j < params.C; j++) { add_term(&terms, dy[base + j * params.inner]); }
  let total = total_of(terms);
  for (var j = 0u; j < params.C; j++) {
    let i = base + j * params.inner;
    write_dx(i, dy[i] - exp_keep_nan(y_saved[i]) * total);
  }
}

// ── v2 tree: a workgroup per row ─────────────────────────────────────────────────────────────────
var<workgroup> partial: array<f32, 256>;

// The workgroup's row: rows past 65,535 spill into the grid's y.
fn tree_row(wid: vec3u, groups: vec3u) -> u32 {
  return wid.x + wid.y * groups.x;
}

// Invocation t's part of the row (max or sum, by `is_max`) combined over the workgroup, returned to
// every invocation. Called from uniform control flow only (the row is the workgroup's), as barriers
// must be.
fn tree_combine(t: u32, value: f32, is_max: bool) -> f32 {
  partial[t] = value;
  for (var stride = 128u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (t < stride) {
      let other = partial[t + stride];
      partial[t] = select(partial[t] + other, max_keep_nan(partial[t], other), is_max);
    }
  }
  workgroupBarrier();
  let result = partial[0];
  workgroupBarrier(); // every invocation has read partial[0] before the next combine writes it
  return result;
}

// m and s of one row, by the whole workgroup. An invocation past the row's end (t ≥ C) adds 0 to
// the sum and offers the row's first value to the max, which leaves the max unchanged (even −∞).
fn tree_max_and_sum(t: u32, base: u32) -> vec2f {
  let stride = params.inner;
  var m = x[base];
  for (var j = t; j < params.C; j += 256u) { m = max_keep_nan(m, x[base + j * stride]); }
  m = tree_combine(t, m, true);
  var s = no_terms();
  for (var j = t; j < params.C; j += 256u) { add_term(&s, exp(x[base + j * stride] - m)); }
  return vec2f(m, tree_combine(t, total_of(s), false));
}

@compute @workgroup_size(256)
fn softmax_forward_tree(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                        @builtin(local_invocation_index) t: u32) {
  let row = tree_row(wid, groups);
  if (row >= params.rows) { return; } // the whole workgroup leaves: barriers stay uniform
  let base = row_start(row);
  let ms = tree_max_and_sum(t, base);
  for (var j = t; j < params.C; j += 256u) {
    let i = base + j * params.inner;
    y[i] = exp(x[i] - ms.x) / ms.y;
  }
}

@compute @workgroup_size(256)
fn log_softmax_forward_tree(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                            @builtin(local_invocation_index) t: u32) {
  let row = tree_row(wid, groups);
  if (row >= params.rows) { return; }
  let base = row_start(row);
  let ms = tree_max_and_sum(t, base);
  let log_s = log(ms.y);
  for (var j = t; j < params.C; j += 256u) {
    let i = base + j * params.inner;
    y[i] = (x[i] - ms.x) - log_s;
  }
}

@compute @workgroup_size(256)
fn softmax_backward_tree(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                         @builtin(local_invocation_index) t: u32) {
  let row = tree_row(wid, groups);
  if (row >= params.rows) { return; }
  let base = row_start(row);
  var terms = no_terms(); // this invocation's part of Σ_k dy_k · y_k
  for (var j = t; j < params.C; j += 256u) {
    let i = base + j * params.inner;
    add_term(&terms, dy[i] * y_saved[i]);
  }
  let dot = tree_combine(t, total_of(terms), false);
  for (var j = t; j < params.C; j += 256u) {
    let i = base + j * params.inner;
    write_dx(i, y_saved[i] * (dy[i] - dot));
  }
}

@compute @workgroup_size(256)
fn log_softmax_backward_tree(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                             @builtin(local_invocation_index) t: u32) {
  let row = tree_row(wid, groups);
  if (row >= params.rows) { return; }
  let base = row_start(row);
  var terms = no_terms(); // this invocation's part of Σ_k dy_k
  for (var j = t; j < params.C; j += 256u) { add_term(&terms, dy[base + j * params.inner]); }
  let total = tree_combine(t, total_of(terms), false);
  for (var j = t; j < params.C; j += 256u) {
    let i = base + j * params.inner;
    write_dx(i, dy[i] - exp_keep_nan(y_saved[i]) * total);
  }
}
