// scan.wgsl — cumulative sums along one dimension, forward and backward
//
//   forward   y[o, p, q] = Σ_{p' ≤ p} x[o, p', q]               torch.cumsum
//   backward  dx[o, p, q] = Σ_{p' ≥ p} dy[o, p', q]             (REVERSE: the same scan from the end)
//
// x and y are viewed as [outer, n, inner] around the dimension; a line is one (o, q), n long. Each line
// is cut into blocks of SCAN_BLOCK (256) along the scan, in three passes, none with a barrier (so no
// pass serialises SwiftShader's lanes, and no invocation walks a whole long line):
//   scan_blocks   one invocation per line and block: the running sum over its block, into y (a line
//                 of one block is then done), and the block's total into totals
//   scan_totals   one invocation per line: its blocks' totals become their exclusive prefix sums, the
//                 offset each block starts from
//   add_offsets   one invocation per element: y = partial (scan_blocks' sums) + its block's offset
// For a line of more than one block the caller binds a scratch as scan_blocks' y, and add_offsets
// writes the real one. With REVERSE the scan runs from p = n − 1 down; with ACCUMULATE the pass that
// writes the real y adds into it (gradients add up).
//
// Bindings: params {outer, n, inner, blocks}; scan_blocks: x (read), y, totals (read_write);
// scan_totals: totals; add_offsets: partial, totals (read), y (read_write).
// Geometry: workgroup WORKGROUP_SIZE (64), one invocation per line and block, per line, or per element;
// past 65,535 workgroups the grid spills into y: t = gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override REVERSE: bool = false;
override ACCUMULATE: bool = false;

const SCAN_BLOCK = 256u;

struct Params {
  outer: u32,
  n: u32,
  inner: u32,
  blocks: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> totals: array<f32>;
@group(0) @binding(4) var<storage, read> partial: array<f32>;

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

// The element of line l at step s of its scan (s = 0 first: p = 0, or p = n − 1 with REVERSE).
fn element(l: u32, s: u32) -> u32 {
  let o = l / params.inner;
  let q = l % params.inner;
  var p = s;
  if (REVERSE) { p = params.n - 1u - s; }
  return (o * params.n + p) * params.inner + q;
}

fn store(i: u32, v: f32) {
  if (ACCUMULATE) { y[i] += v; } else { y[i] = v; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn scan_blocks(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let t = flat_index(gid, groups);
  if (t >= params.outer * params.inner * params.blocks) { return; }
  let l = t / params.blocks;
  let start = (t % params.blocks) * SCAN_BLOCK;
  var running = 0.0;
  for (var s = start; s < min(start + SCAN_BLOCK, params.n); s++) {
    let i = element(l, s);
    running += x[i];
    store(i, running);
  }
  totals[t] = running;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn scan_totals(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let l = flat_index(gid, groups);
  if (l >= params.outer * params.inner) { return; }
  // The prefix in two parts, the finished groups of 64 blocks and the blocks since: one running
  // float32 total over a long line's block totals (16,384 for 4M) loses digits as it grows.
  var groups_sum = 0.0;
  var blocks_sum = 0.0;
  var count = 0u;
  for (var b = l * params.blocks; b < (l + 1u) * params.blocks; b++) {
    let total = totals[b];
    totals[b] = groups_sum + blocks_sum;
    blocks_sum += total;
    count++;
    if ((count & 63u) == 0u) {
      groups_sum += blocks_sum;
      blocks_sum = 0.0;
    }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn add_offsets(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.outer * params.n * params.inner) { return; }
  let q = i % params.inner;
  let p = (i / params.inner) % params.n;
  let o = i / (params.inner * params.n);
  var s = p;
  if (REVERSE) { s = params.n - 1u - p; }
  store(i, partial[i] + totals[(o * params.inner + q) * params.blocks + s / SCAN_BLOCK]);
}
