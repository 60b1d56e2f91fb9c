// gather.wgsl — values picked by index along one dimension, forward and backward
//
//   forward   y[o, p, q] = x[o, index(o, p, q), q]                   torch.gather, index_select, embedding
//   backward  dx[o, c, q] = Σ_p dy[o, p, q] over the p with index(o, p, q) = c   (each pick's gradient
//             goes back to the element it picked; one picked twice gets both)
//
// x is viewed as [outer, n, inner] around the dimension (n = its size), y, dy and a full index as
// [outer, k, inner]. With SELECT the index has k entries, one per position along the dimension
// (index(o, p, q) = index[p]: index_select, an embedding's rows); otherwise one per element of y
// (torch.gather). An index outside [0, n) picks nothing: y there is NaN (PyTorch raises; a kernel
// cannot), and the backward skips it.
//
// Bindings: params {outer, n, k, inner}; forward: x, index (read), y (read_write); backward: index,
// dy (read), dx (read_write). With ACCUMULATE the backward adds into dx (gradients add up).
// Geometry: forward one invocation per element of y, backward one per element of x (a serial loop over
// the k picks of its line, so no two invocations write one element: no atomics); workgroup
// WORKGROUP_SIZE (64); past 65,535 workgroups the grid spills into y:
// i = gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override SELECT: bool = false;
override ACCUMULATE: bool = false;

struct Params {
  outer: u32,
  n: u32,
  k: u32,
  inner: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

// NaN, made at run time from its bits: as a constant WGSL refuses it.
fn nan() -> f32 {
  let bits = 0x7fc00000u;
  return bitcast<f32>(bits);
}

// The index for position p of line (o, q): its own element of a full index, or entry p with SELECT.
fn index_at(o: u32, p: u32, q: u32) -> i32 {
  if (SELECT) { return index[p]; }
  return index[(o * params.k + p) * params.inner + q];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.outer * params.k * params.inner) { return; }
  let q = i % params.inner;
  let p = (i / params.inner) % params.k;
  let o = i / (params.inner * params.k);
  let picked = index_at(o, p, q);
  if (picked < 0 || u32(picked) >= params.n) {
    y[i] = nan();
    return;
  }
  y[i] = x[(o * params.n + u32(picked)) * params.inner + q];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = flat_index(gid, groups);
  if (e >= params.outer * params.n * params.inner) { return; }
  let q = e % params.inner;
  let c = i32((e / params.inner) % params.n);
  let o = e / (params.inner * params.n);
  var total = 0.0;
  for (var p = 0u; p < params.k; p++) {
    if (index_at(o, p, q) == c) { total += dy[(o * params.k + p) * params.inner + q]; }
  }
  if (ACCUMULATE) { dx[e] += total; } else { dx[e] = total; }
}
