// layer_norm.wgsl — layer normalisation over each row's last N values, forward and backward
//
// x is viewed as [rows, N]: N is the product of normalized_shape (the last dimensions), row r is the
// N values from r · N. Per row (biased variance, as PyTorch's F.layer_norm):
//   mean_r = Σ_j x_j / N,   var_r = Σ_j (x_j − mean_r)² / N,   rstd_r = 1 / √(var_r + eps)
//   x̂_j    = (x_j − mean_r) · rstd_r
//   y_j    = x̂_j · w_j + b_j                        (w and b of N values, each optional)
// The forward saves mean_r and rstd_r (as PyTorch's does) for the backward, which with g_j = dy_j · w_j:
//   dx_j = rstd_r · (g_j − Σ_k g_k / N − x̂_j · Σ_k g_k · x̂_k / N)
//   dw_j = Σ_r dy_rj · x̂_rj                          (db_j = Σ_r dy_rj is a plain column sum: reduce.wgsl)
// A row with a NaN or ±∞ in it comes out all NaN, forward and backward, as PyTorch's.
//
// Numerics: a first estimate m0 = Σ x / N, then both sums of the statistics are taken around it,
// e_j = x_j − m0: mean = m0 + Σ e / N and var = Σ e² / N − (Σ e / N)². The deviations are centred,
// so a row with mean 1000 and std 1 sums values of size 1 (the plain Σx² − (Σx)² form would cancel
// away every digit), and one pass gives both. The serial sums add BLOCK values at a time into a
// chunk sum and those into the total (error ~√BLOCK + √(N/BLOCK) ulps, not ~√N). The backward forms
// x̂ from the saved float32 mean, as PyTorch's does: at a mean of 1e4 and a std of 1e-2 its rounding
// (up to 4.9e-4) moves x̂ by ~0.08 there (PyTorch's own float32 gradient is further off still).
//
// Bindings: params {rows, N, chunk_rows, eps}; forward: x, weight, bias (read), y, mean, rstd
// (read_write); backward: x, weight, mean_saved, rstd_saved, dy (read), dx, partials (read_write).
// Without a weight (HAS_WEIGHT false) or bias (HAS_BIAS false) the launcher binds x in its place;
// it is never read.
//
// Entry points and variants (the launcher's `variant`; without one the tuner times both per
// adapter, row count and row length):
//   v1 serial  layer_norm_forward, layer_norm_backward: one invocation per row, serial loops over its
//              N values (two passes for the statistics and one to write), workgroup WORKGROUP_SIZE
//              (64); rows past 65,535 workgroups spill into the grid's y. Barrier-free, the default:
//              made for many short rows (and rows under 256 always run it, untimed).
//   v2 tree    the same two with a _tree suffix: one workgroup of 256 per row (row = wid.x + wid.y ·
//              num_workgroups.x). Invocation t takes the row's values t, t + 256, … (a warp reads
//              consecutive floats) and each of the row's sums is a tree over workgroup memory: 8
//              halving steps, a barrier each. Made for GPUs and long rows (a transformer's 768 to 8192
//              features), where v1 leaves all but a few invocations idle.
//   layer_norm_weight_partials  dw in two steps: one invocation per (chunk of chunk_rows rows,
//              column j) sums dy · x̂ over its chunk into partials[chunk · N + j], and reduce.wgsl's
//              column sum adds the chunks (the launcher takes ~√rows rows a chunk, so neither step is a
//              long serial loop). With one chunk it writes dw itself (ACCUMULATE adds into it).

override WORKGROUP_SIZE: u32 = 64u;
override HAS_WEIGHT: bool = true;
override HAS_BIAS: bool = true;
override ACCUMULATE: bool = false;
const BLOCK = 256u;

struct Params {
  rows: u32,
  N: u32,
  chunk_rows: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read_write> mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> rstd: array<f32>;
@group(0) @binding(7) var<storage, read> mean_saved: array<f32>;
@group(0) @binding(8) var<storage, read> rstd_saved: array<f32>;
@group(0) @binding(9) var<storage, read> dy: array<f32>;
@group(0) @binding(10) var<storage, read_write> dx: array<f32>;
@group(0) @binding(11) var<storage, read_write> partials: array<f32>;

fn index_1d(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

fn weight_at(j: u32) -> f32 {
  if (HAS_WEIGHT) { return weight[j]; }
  return 1.0;
}

fn bias_at(j: u32) -> f32 {
  if (HAS_BIAS) { return bias[j]; }
  return 0.0;
}

// dx of element j of a row from its mean m, rstd r and scaled = (Σ g, Σ g · x̂) / N.
fn write_dx(i: u32, j: u32, m: f32, r: f32, scaled: vec2f) {
  let value = r * (dy[i] * weight_at(j) - scaled.x - (x[i] - m) * r * scaled.y);
  if (ACCUMULATE) { dx[i] += value; } else { dx[i] = value; }
}

// (m0, shift, rstd) from m0 and the sums (Σ e, Σ e²) of e = x − m0 over the row: mean = m0 + shift.
// y is formed as ((x − m0) − shift) · rstd: a mean of 1000 rounded to float32 is off by up to 3e-5,
// x − m0 is exact there (Sterbenz) and shift is small, so y keeps its digits.
fn statistics(m0: f32, sums: vec2f) -> vec3f {
  let n = f32(params.N);
  let shift = sums.x / n;
  let v = sums.y / n - shift * shift;
  let variance = select(v, 0.0, v < 0.0); // ≥ 0 but for rounding; NaN stays NaN (max may drop it)
  return vec3f(m0, shift, 1.0 / sqrt(variance + params.eps));
}

fn normalized(j: u32, value: f32, stats: vec3f) -> f32 {
  return ((value - stats.x) - stats.y) * stats.z * weight_at(j) + bias_at(j);
}

// ── v1 serial: an invocation per row ───────────────────────────────────────────────────────────────

// The row's (m0, shift, rstd), in blocked serial sums.
fn row_statistics(base: u32) -> vec3f {
  let n = params.N;
  var total = 0.0;
  for (var j0 = 0u; j0 < n; j0 += BLOCK) {
    var part = 0.0;
    for (var j = j0; j < min(j0 + BLOCK, n); j++) { part += x[base + j]; }
    total += part;
  }
  let m0 = total / f32(n);
  var sums = vec2f(0.0);
  for (var j0 = 0u; j0 < n; j0 += BLOCK) {
    var part = vec2f(0.0);
    for (var j = j0; j < min(j0 + BLOCK, n); j++) {
      let e = x[base + j] - m0;
      part += vec2f(e, e * e);
    }
    sums += part;
  }
  return statistics(m0, sums);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn layer_norm_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let row = index_1d(gid, groups);
  if (row >= params.rows) { return; }
  let base = row * params.N;
  let stats = row_statistics(base);
  mean[row] = stats.x + stats.y;
  rstd[row] = stats.z;
  for (var j = 0u; j < params.N; j++) { y[base + j] = normalized(j, x[base + j], stats); }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn layer_norm_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let row = index_1d(gid, groups);
  if (row >= params.rows) { return; }
  let base = row * params.N;
  let m = mean_saved[row];
  let r = rstd_saved[row];
  var sums = vec2f(0.0); // (Σ g, Σ g · x̂)
  for (var j0 = 0u; j0 < params.N; j0 += BLOCK) {
    var part = vec2f(0.0);
    for (var j = j0; j < min(j0 + BLOCK, params.N); j++) {
      let g = dy[base + j] * weight_at(j);
      part += vec2f(g, g * (x[base + j] - m) * r);
    }
    sums += part;
  }
  let scaled = sums / f32(params.N);
  for (var j = 0u; j < params.N; j++) { write_dx(base + j, j, m, r, scaled); }
}

// ── dw: partial column sums over chunks of rows ─────────────────────────────────────────────────────

@compute @workgroup_size(WORKGROUP_SIZE)
fn layer_norm_weight_partials(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = index_1d(gid, groups);
  let chunks = (params.rows + params.chunk_rows - 1u) / params.chunk_rows;
  if (i >= chunks * params.N) { return; }
  let chunk = i / params.N;
  let j = i % params.N;
  let first_row = chunk * params.chunk_rows;
  let end_row = min(first_row + params.chunk_rows, params.rows);
  var s = 0.0;
  for (var row = first_row; row < end_row; row++) {
    let k = row * params.N + j;
    s += dy[k] * (x[k] - mean_saved[row]) * rstd_saved[row];
  }
  if (ACCUMULATE) { partials[i] += s; } else { partials[i] = s; }
}

// ── v2 tree: a workgroup per row ───────────────────────────────────────────────────────────────────
var<workgroup> partial: array<vec2f, 256>;

fn tree_row(wid: vec3u, groups: vec3u) -> u32 {
  return wid.x + wid.y * groups.x;
}

// Invocation t's two partial sums added over the workgroup, returned to every invocation. Called
// from uniform control flow only (the row is the workgroup's), as barriers must be.
fn tree_sum(t: u32, value: vec2f) -> vec2f {
  partial[t] = value;
  for (var stride = 128u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (t < stride) { partial[t] += partial[t + stride]; }
  }
  workgroupBarrier();
  let result = partial[0];
  workgroupBarrier(); // every invocation has read partial[0] before the next sum writes it
  return result;
}

// The row's (m0, shift, rstd), by the whole workgroup.
fn tree_statistics(t: u32, base: u32) -> vec3f {
  var s = 0.0;
  for (var j = t; j < params.N; j += 256u) { s += x[base + j]; }
  let m0 = tree_sum(t, vec2f(s, 0.0)).x / f32(params.N);
  var sums = vec2f(0.0);
  for (var j = t; j < params.N; j += 256u) {
    let e = x[base + j] - m0;
    sums += vec2f(e, e * e);
  }
  return statistics(m0, tree_sum(t, sums));
}

@compute @workgroup_size(256)
fn layer_norm_forward_tree(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                           @builtin(local_invocation_index) t: u32) {
  let row = tree_row(wid, groups);
  if (row >= params.rows) { return; } // the whole workgroup leaves: barriers stay uniform
  let base = row * params.N;
  let stats = tree_statistics(t, base);
  if (t == 0u) {
    mean[row] = stats.x + stats.y;
    rstd[row] = stats.z;
  }
  for (var j = t; j < params.N; j += 256u) { y[base + j] = normalized(j, x[base + j], stats); }
}

@compute @workgroup_size(256)
fn layer_norm_backward_tree(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                            @builtin(local_invocation_index) t: u32) {
  let row = tree_row(wid, groups);
  if (row >= params.rows) { return; }
  let base = row * params.N;
  let m = mean_saved[row];
  let r = rstd_saved[row];
  var sums = vec2f(0.0); // this invocation's part of (Σ g, Σ g · x̂)
  for (var j = t; j < params.N; j += 256u) {
    let g = dy[base + j] * weight_at(j);
    sums += vec2f(g, g * (x[base + j] - m) * r);
  }
  let scaled = tree_sum(t, sums) / f32(params.N);
  for (var j = t; j < params.N; j += 256u) { write_dx(base + j, j, m, r, scaled); }
}
