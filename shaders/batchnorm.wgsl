// batchnorm.wgsl — batch normalisation over NCDHW (3d), NCHW (2d) or N×C / N×C×L (1d), forward and backward
//
// x is viewed as N × C × S (S = D·H·W for 3d, H·W for 2d, L or 1 for 1d); element (n, c, s) is at (n·C + c)·S + s.
// Each channel c normalises over its M = N·S values:
//   mean_c   = Σ x / M
//   var_c    = Σ (x − mean_c)² / M                    (biased: used to normalise)
//   x̂        = (x − mean_c) · invstd_c,   invstd_c = 1 / √(var_c + eps)
//   y        = γ_c · x̂ + β_c
// In training with track_running_stats, PyTorch's convention (momentum weights the new batch):
//   running_mean ← (1 − momentum) · running_mean + momentum · mean_c
//   running_var  ← (1 − momentum) · running_var  + momentum · var_c · M / (M − 1)   (unbiased)
// In eval mode (TRAINING = false) mean_c and var_c are the running statistics instead.
// Backward, with g = dy:
//   dβ_c = Σ g,   dγ_c = Σ g · x̂
//   training:  dx = γ_c · invstd_c · (g − dβ_c / M − x̂ · dγ_c / M)
//   eval:      dx = γ_c · invstd_c · g                 (the statistics are constants)
// Without affine parameters, bind γ = 1 and β = 0.
//
// Entry points and geometry (1-D work spills past 65,535 workgroups into the grid's y):
//   batchnorm_stats            one invocation per channel, workgroup WORKGROUP_SIZE (64): mean, invstd (and the
//                              running statistics when TRAINING and TRACK_RUNNING_STATS).
//   batchnorm_normalize        one invocation per element, workgroup WORKGROUP_SIZE (64): y.
//   batchnorm_backward_reduce  one invocation per channel: sums[c] = dβ_c, sums[C + c] = dγ_c;
//                              adds them into dgamma, dbeta (parameter gradients accumulate).
//   batchnorm_backward_dx      one invocation per element: dx (ACCUMULATE adds into dx).
// Per-channel loops keep every kernel barrier-free; channels are few next to elements.
//
// Variants of the two per-channel reductions:
//   v1 batchnorm_stats, batchnorm_backward_reduce (serial): one invocation loops over its channel's M
//      values. Barrier-free: the fastest on a software adapter, and on any adapter when M is small
//      (BatchNorm1d on a batch of 8).
//   v2 batchnorm_stats_tree, batchnorm_backward_reduce_tree: one workgroup of 256 per channel
//      (channels past 65,535 spill into the grid's y). Invocation t sums values t, t + 256, …, then
//      the 256 partial sums are added pairwise in workgroup memory (8 levels). Wins on GPUs when M is
//      large (BatchNorm2d: M = N·H·W); on SwiftShader each barrier is a coroutine switch and v1 wins.
// Numerics (both variants): the mean is summed as shift + Σ(x − shift) with shift = the channel's
// first value, so a channel with mean 100 and std 1 sums values of size 1, not 100; the variance is
// a second pass over (x − mean)², which never cancels. v1's serial sums would err by ~√M ulps of a
// total that drifts like M·(mean − shift) (mean error 2.5e-5 at M = 65,521), so its second pass sums
// x − m0 around that first estimate m0: the deviations are centred, their running sum stays small,
// and m0 + Σ(x − m0)/M is within ~2e-7. (A compensated, Kahan, sum is no fix on a GPU: it needs
// exact IEEE rounding, which WGSL does not promise, and NVIDIA's compiler folds its correction to 0.)
// v1's other sums add BLOCK values at a time into a chunk sum and those into the total: a
// plain serial sum errs by ~√M ulps of its running size (Σdy off by 3e-3 at M = 156,250), a
// blocked one by ~√BLOCK + √(M/BLOCK) (5e-4). v2 is blocked by its shape: each of its 256
// invocations sums every 256th value serially (M/256 terms), then a pairwise tree adds the 256
// partial sums (8 levels), so its error is that of a serial sum 256× shorter, plus log₂ 256.
//
// Bindings: params {N, C, S, eps, momentum}; x, gamma, beta, dy (read); mean, invstd, running_mean,
// running_var, y, sums, dgamma, dbeta, dx (read_write).

override WORKGROUP_SIZE: u32 = 64u;
const BLOCK = 256u;
override TRAINING: bool = true;
override TRACK_RUNNING_STATS: bool = true;
override ACCUMULATE: bool = false;

struct Params {
  N: u32,
  C: u32,
  S: u32,
  eps: f32,
  momentum: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> mean: array<f32>;
@group(0) @binding(3) var<storage, read_write> invstd: array<f32>;
@group(0) @binding(4) var<storage, read_write> running_mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> running_var: array<f32>;
@group(0) @binding(6) var<storage, read> gamma: array<f32>;
@group(0) @binding(7) var<storage, read> beta: array<f32>;
@group(0) @binding(8) var<storage, read_write> y: array<f32>;
@group(0) @binding(9) var<storage, read> dy: array<f32>;
@group(0) @binding(10) var<storage, read_write> sums: array<f32>;
@group(0) @binding(11) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(12) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(13) var<storage, read_write> dx: array<f32>;

fn element_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

fn channel_of(i: u32) -> u32 {
  return (i / params.S) % params.C;
}

// Index of the j-th of channel c's M = N·S values.
fn channel_element(c: u32, j: u32) -> u32 {
  let n = j / params.S;
  let s = j % params.S;
  return (n * params.C + c) * params.S + s;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn batchnorm_stats(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let c = element_index(gid, groups);
  if (c >= params.C) { return; }
  if (!TRAINING) {
    mean[c] = running_mean[c];
    invstd[c] = inverseSqrt(running_var[c] + params.eps);
    return;
  }
  let M = params.N * params.S;
  // Pass 1: a first estimate m0 of the mean, from values shifted by the channel's first.
  let shift = x[channel_element(c, 0u)];
  var total = 0.0;
  for (var j = 0u; j < M; j++) { total += x[channel_element(c, j)] - shift; }
  let m0 = shift + total / f32(M);
  // Pass 2: deviations from m0, and their squares. Σ(x − m)² = Σ(x − m0)² − M·(m − m0)², and
  // (m − m0)² is ~1e-10: no cancellation.
  var total2 = vec2f(0.0); // Σ(x − m0), Σ(x − m0)²
  for (var start = 0u; start < M; start += BLOCK) {
    var chunk = vec2f(0.0);
    for (var j = start; j < min(start + BLOCK, M); j++) {
      let d = x[channel_element(c, j)] - m0;
      chunk += vec2f(d, d * d);
    }
    total2 += chunk;
  }
  let correction = total2.x / f32(M);
  write_stats(c, m0 + correction, max(total2.y - total2.x * correction, 0.0));
}

// mean, invstd and (training with TRACK_RUNNING_STATS) the running statistics, from Σ(x − mean)².
fn write_stats(c: u32, m: f32, squares: f32) {
  let M = params.N * params.S;
  let biased_var = squares / f32(M);
  mean[c] = m;
  invstd[c] = inverseSqrt(biased_var + params.eps);
  if (TRACK_RUNNING_STATS) {
    let unbiased_var = squares / f32(M - 1u);
    running_mean[c] = (1.0 - params.momentum) * running_mean[c] + params.momentum * m;
    running_var[c] = (1.0 - params.momentum) * running_var[c] + params.momentum * unbiased_var;
  }
}

// ── v2: one workgroup per channel, tree sums ─────────────────────────────────────────────────────
const TREE = 256u;
var<workgroup> partial: array<f32, 256>;

// Σ value over the workgroup's 256 invocations, returned to every one of them; pairwise in memory.
fn workgroup_sum(t: u32, value: f32) -> f32 {
  partial[t] = value;
  for (var stride = TREE / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (t < stride) { partial[t] += partial[t + stride]; }
  }
  workgroupBarrier();
  let total = partial[0];
  workgroupBarrier(); // partial is reused by the next call
  return total;
}

@compute @workgroup_size(256)
fn batchnorm_stats_tree(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                        @builtin(local_invocation_index) t: u32) {
  let c = wid.x + wid.y * groups.x; // the same for the whole workgroup, so returning is uniform
  if (c >= params.C) { return; }
  if (!TRAINING) {
    if (t == 0u) {
      mean[c] = running_mean[c];
      invstd[c] = inverseSqrt(running_var[c] + params.eps);
    }
    return;
  }
  let M = params.N * params.S;
  let shift = x[channel_element(c, 0u)];
  var part = 0.0;
  for (var j = t; j < M; j += TREE) { part += x[channel_element(c, j)] - shift; }
  let m0 = shift + workgroup_sum(t, part) / f32(M);
  // Deviations from m0 and their squares, and m0 corrected by their mean, as v1's second pass: with
  // the shift far from the mean (an image channel whose first pixel is 0.42, its mean 0.10), m0
  // alone was 1.6e-5 off at 262,144 values.
  var deviations = 0.0;
  var squares = 0.0;
  for (var j = t; j < M; j += TREE) {
    let d = x[channel_element(c, j)] - m0;
    deviations += d;
    squares += d * d;
  }
  let total_deviation = workgroup_sum(t, deviations);
  let total_squares = workgroup_sum(t, squares);
  let correction = total_deviation / f32(M);
  if (t == 0u) { write_stats(c, m0 + correction, max(total_squares - total_deviation * correction, 0.0)); }
}

@compute @workgroup_size(256)
fn batchnorm_backward_reduce_tree(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                                  @builtin(local_invocation_index) t: u32) {
  let c = wid.x + wid.y * groups.x;
  if (c >= params.C) { return; }
  let M = params.N * params.S;
  var part_dy = 0.0;
  var part_dy_xhat = 0.0;
  for (var j = t; j < M; j += TREE) {
    let i = channel_element(c, j);
    part_dy += dy[i];
    part_dy_xhat += dy[i] * (x[i] - mean[c]) * invstd[c];
  }
  let sum_dy = workgroup_sum(t, part_dy);
  let sum_dy_xhat = workgroup_sum(t, part_dy_xhat);
  if (t == 0u) {
    sums[c] = sum_dy;
    sums[params.C + c] = sum_dy_xhat;
    dbeta[c] += sum_dy;
    dgamma[c] += sum_dy_xhat;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn batchnorm_normalize(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = element_index(gid, groups);
  if (i >= params.N * params.C * params.S) { return; }
  let c = channel_of(i);
  y[i] = (x[i] - mean[c]) * invstd[c] * gamma[c] + beta[c];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn batchnorm_backward_reduce(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let c = element_index(gid, groups);
  if (c >= params.C) { return; }
  let M = params.N * params.S;
  var total = vec2f(0.0); // Σdy, Σdy·x̂
  for (var start = 0u; start < M; start += BLOCK) {
    var chunk = vec2f(0.0);
    for (var j = start; j < min(start + BLOCK, M); j++) {
      let i = channel_element(c, j);
      chunk += dy[i] * vec2f(1.0, (x[i] - mean[c]) * invstd[c]);
    }
    total += chunk;
  }
  let sum_dy = total.x;
  let sum_dy_xhat = total.y;
  sums[c] = sum_dy;
  sums[params.C + c] = sum_dy_xhat;
  dbeta[c] += sum_dy;
  dgamma[c] += sum_dy_xhat;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn batchnorm_backward_dx(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = element_index(gid, groups);
  if (i >= params.N * params.C * params.S) { return; }
  let c = channel_of(i);
  var g = dy[i];
  if (TRAINING) {
    let M = f32(params.N * params.S);
    let xhat = (x[i] - mean[c]) * invstd[c];
    g = g - sums[c] / M - xhat * sums[params.C + c] / M;
  }
  let value = gamma[c] * invstd[c] * g;
  if (ACCUMULATE) { dx[i] += value; } else { dx[i] = value; }
}
