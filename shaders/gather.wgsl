// gather.wgsl — values picked by index along one dimension, forward and backward
//
//   forward   y[o, p, q] = x[o, index(o, p, q), q]                   torch.gather, index_select, embedding
//   backward  dx[o, c, q] = Σ_p dy[o, p, q] over the p with index(o, p, q) = c   (each pick's gradient
//             goes back to the element it picked; one picked twice gets both, added in order of p)
//
// x is viewed as [outer, n, inner] around the dimension (n = its size), y, dy and a full index as
// [outer, k, inner]. With SELECT the index has k entries, one per position along the dimension
// (index(o, p, q) = index[p]: index_select, an embedding's rows); otherwise one per element of y
// (torch.gather). An index outside [0, n) picks nothing: y there is NaN (PyTorch raises; a kernel
// cannot), and the backward skips it. The backward also skips picks of index `skip` (an embedding's
// padding_idx, whose row gets no gradient; −1 skips none).
//
// The backward, two versions (the autotuner picks per adapter and shape):
//   v1 backward      one invocation per element of x loops over all k picks of its line, keeping those
//                    that picked it: no atomics, one dispatch, but n times the work of the sum itself
//                    (an embedding of V rows: V·K·D reads, where K·D would do).
//   v2 bucketed      the picks are first sorted into one bucket per target (a counting sort), then each
//                    element of x sums only its own bucket: K·D reads, in seven passes:
//     clear_counts   one invocation per bucket: counts[b] = 0 (a dispatch, not a buffer clear, so the
//                    whole backward is dispatches: the bench times it in one pass)
//     count_picks    one invocation per pick: counts[target] += 1 (atomic, so picks of one target meet)
//     scan_blocks    one per block of 256 buckets: starts[b] = Σ counts before b within its block, and
//                    the block's total into block_offsets
//     scan_totals    one invocation: block_offsets becomes the exclusive prefix sum of the block totals,
//                    so bucket b starts at starts[b] + block_offsets[b / 256]
//     scatter_picks  one per pick: its id into the next free slot of its bucket (counts counted back down
//                    with atomicSub; the slots fill in any order)
//     sort_buckets   one per bucket: heapsort of its pick ids, so the sum below adds them in order of p
//                    whatever order the atomics gave: v2 is deterministic and equals v1 bit for bit
//     backward_bucketed  one per element of x: Σ dy over its bucket's picks
//   A target is an element of x for a full index (outer·n·inner buckets) and a row c with SELECT (n
//   buckets, each element of row c reading its own column of dy). counts is zero again after
//   scatter_picks.
//
// Bindings: params {outer, n, k, inner, skip}; forward: x, index (read), y (read_write); backward: index,
// dy (read), dx (read_write); v2's scratch: counts (atomic), starts, block_offsets, entries (i32).
// With ACCUMULATE the backward adds into dx (gradients add up).
// Geometry: one invocation per element of y (forward), of x (backward), per pick, per bucket or per
// block of buckets as above; workgroup WORKGROUP_SIZE (64); past 65,535 workgroups the grid spills
// into y: i = gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override SELECT: bool = false;
override ACCUMULATE: bool = false;

struct Params {
  outer: u32,
  n: u32,
  k: u32,
  inner: u32,
  skip: i32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> index: array<i32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read_write> counts: array<atomic<i32>>;
@group(0) @binding(7) var<storage, read_write> starts: array<i32>;
@group(0) @binding(8) var<storage, read_write> block_offsets: array<i32>;
@group(0) @binding(9) var<storage, read_write> entries: array<i32>;

const SCAN_BLOCK = 256u;

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
    if (index_at(o, p, q) == c && c != params.skip) { total += dy[(o * params.k + p) * params.inner + q]; }
  }
  if (ACCUMULATE) { dx[e] += total; } else { dx[e] = total; }
}

// ── v2: bucketed ─────────────────────────────────────────────────────────────────────────────────

fn pick_count() -> u32 {
  if (SELECT) { return params.k; }
  return params.outer * params.k * params.inner;
}

fn bucket_count() -> u32 {
  if (SELECT) { return params.n; }
  return params.outer * params.n * params.inner;
}

// The bucket pick i goes to (its row with SELECT, else the element of x it picked), or -1 when its
// index is out of range or skipped.
fn bucket_of(i: u32) -> i32 {
  let picked = index[i];
  if (picked < 0 || u32(picked) >= params.n || picked == params.skip) { return -1; }
  if (SELECT) { return picked; }
  let q = i % params.inner;
  let o = i / (params.inner * params.k);
  return i32((o * params.n + u32(picked)) * params.inner + q);
}

// Where bucket b's pick ids begin in entries; b = bucket_count() gives the end of the last one.
fn bucket_start(b: u32) -> u32 {
  return u32(starts[b] + block_offsets[b / SCAN_BLOCK]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn clear_counts(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let b = flat_index(gid, groups);
  if (b < bucket_count()) { atomicStore(&counts[b], 0); }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn count_picks(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= pick_count()) { return; }
  let bucket = bucket_of(i);
  if (bucket >= 0) { atomicAdd(&counts[bucket], 1); }
}

// Buckets 0 … bucket_count() inclusive: the one past the end (its count is 0) marks where the last ends.
@compute @workgroup_size(WORKGROUP_SIZE)
fn scan_blocks(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let this_block = flat_index(gid, groups);
  let buckets = bucket_count() + 1u;
  let first_bucket = this_block * SCAN_BLOCK;
  if (first_bucket >= buckets) { return; }
  var running = 0;
  for (var b = first_bucket; b < min(first_bucket + SCAN_BLOCK, buckets); b++) {
    starts[b] = running;
    if (b < buckets - 1u) { running += atomicLoad(&counts[b]); }
  }
  block_offsets[this_block] = running;
}

@compute @workgroup_size(1)
fn scan_totals() {
  let blocks = (bucket_count() + 1u + SCAN_BLOCK - 1u) / SCAN_BLOCK;
  var running = 0;
  for (var i = 0u; i < blocks; i++) {
    let total = block_offsets[i];
    block_offsets[i] = running;
    running += total;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn scatter_picks(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= pick_count()) { return; }
  let bucket = bucket_of(i);
  if (bucket < 0) { return; }
  let unplaced = atomicSub(&counts[bucket], 1); // this bucket's picks not yet placed, this one included
  entries[bucket_start(u32(bucket)) + u32(unplaced - 1)] = i32(i);
}

// Heapsort of entries[start, start + size): O(size · log size) in one invocation, so one index
// picked by most of the batch (a padding token) costs no more than its own sum.
fn sift_down(start: u32, root_in: u32, size: u32) {
  var root = root_in;
  loop {
    var child = 2u * root + 1u;
    if (child >= size) { break; }
    if (child + 1u < size && entries[start + child + 1u] > entries[start + child]) { child += 1u; }
    if (entries[start + root] >= entries[start + child]) { break; }
    let swap = entries[start + root];
    entries[start + root] = entries[start + child];
    entries[start + child] = swap;
    root = child;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sort_buckets(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let b = flat_index(gid, groups);
  if (b >= bucket_count()) { return; }
  let start = bucket_start(b);
  let size = bucket_start(b + 1u) - start;
  if (size < 2u) { return; }
  for (var root = size / 2u; root > 0u; root--) { sift_down(start, root - 1u, size); }
  for (var end = size - 1u; end > 0u; end--) {
    let largest = entries[start];
    entries[start] = entries[start + end];
    entries[start + end] = largest;
    sift_down(start, 0u, end);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_bucketed(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = flat_index(gid, groups);
  if (e >= params.outer * params.n * params.inner) { return; }
  var b = e;
  if (SELECT) { b = (e / params.inner) % params.n; }
  let q = e % params.inner;
  let o = e / (params.inner * params.n);
  var total = 0.0;
  for (var j = bucket_start(b); j < bucket_start(b + 1u); j++) {
    let pick = u32(entries[j]);
    if (SELECT) { total += dy[(o * params.k + pick) * params.inner + q]; } else { total += dy[pick]; }
  }
  if (ACCUMULATE) { dx[e] += total; } else { dx[e] = total; }
}
