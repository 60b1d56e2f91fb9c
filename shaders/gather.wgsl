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
// The backward, three versions (the autotuner picks per adapter and shape):
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
//     sort_buckets   one per bucket: heapsort of its pick ids. Sorted, each bucket adds its picks in
//                    order of p whatever order the atomics gave: v2 and v3 are deterministic and equal v1
//                    bit for bit.
//     backward_bucketed  one per element of x: Σ dy over its bucket's picks
//   v3 merged        v2 (MERGE true) but for the sort: scatter_picks also notes each slot's bucket in
//                    slot_buckets, then
//     sort_runs      one per slot: the slot that begins a run of RUN (64) slots of its bucket heapsorts it
//     merge_runs     once per run width w = 64, 128, … below the number of picks (log₂(K / 64) passes),
//                    one invocation per slot of a bucket larger than w (the others are done) merging the
//                    bucket's runs in pairs: each moves its pick id to its rank in its run plus the
//                    number of smaller ids in the partner run (a binary search), from one buffer into
//                    the other (entries → merged, then the other way). A bucket of size m is merged in
//                    the first merges_for(m) passes and ends in `merged` when that count is odd. No invocation walks a whole bucket: a row picked by half
//                    of 10⁶ lookups is 14 passes of ~20 steps each, not v2's heapsort of 500,000 in one
//                    invocation (seconds of one GPU thread, where a watchdog may end the work).
//   A target is an element of x for a full index (outer·n·inner buckets) and a row c with SELECT (n
//   buckets, each element of row c reading its own column of dy). counts is zero again after
//   scatter_picks.
//
// Bindings: params {outer, n, k, inner, skip, width}; forward: x, index (read), y (read_write); backward:
// index, dy (read), dx (read_write); v2's scratch: counts (atomic), starts, block_offsets, entries
// (i32); v3's also slot_buckets and merged (i32; v2 binds a placeholder there, never read).
// With ACCUMULATE the backward adds into dx (gradients add up).
// Geometry: one invocation per element of y (forward), of x (backward), per pick, per bucket or per
// block of buckets as above; workgroup WORKGROUP_SIZE (64); past 65,535 workgroups the grid spills
// into y: i = gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override SELECT: bool = false;
override ACCUMULATE: bool = false;
override MERGE: bool = false; // v3: scatter_picks notes each slot's bucket, backward_bucketed finds where the merges left it

struct Params {
  outer: u32,
  n: u32,
  k: u32,
  inner: u32,
  skip: i32,
  width: u32, // merge_runs: the width of the sorted runs it merges in pairs
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
@group(0) @binding(10) var<storage, read_write> slot_buckets: array<i32>;
@group(0) @binding(11) var<storage, read_write> merged: array<i32>;

const SCAN_BLOCK = 256u;
const RUN = 64u; // v3's runs, heapsorted before they are merged

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
  let slot = bucket_start(u32(bucket)) + u32(unplaced - 1);
  entries[slot] = i32(i);
  if (MERGE) { slot_buckets[slot] = bucket; }
}

// Heapsort of entries[start, start + size) in one invocation: O(size · log size), so in v2 a row
// picked by most of the batch (a padding token) costs about as much as its own sum, in one thread.
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

fn heapsort(start: u32, size: u32) {
  if (size < 2u) { return; }
  for (var root = size / 2u; root > 0u; root--) { sift_down(start, root - 1u, size); }
  for (var end = size - 1u; end > 0u; end--) {
    let largest = entries[start];
    entries[start] = entries[start + end];
    entries[start + end] = largest;
    sift_down(start, 0u, end);
  }
}

// v2: one invocation per bucket sorts all of it.
@compute @workgroup_size(WORKGROUP_SIZE)
fn sort_buckets(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let b = flat_index(gid, groups);
  if (b >= bucket_count()) { return; }
  let start = bucket_start(b);
  heapsort(start, bucket_start(b + 1u) - start);
}

// v3: the slot that begins a run of RUN within its bucket sorts that run.
@compute @workgroup_size(WORKGROUP_SIZE)
fn sort_runs(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let slot = flat_index(gid, groups);
  if (slot >= bucket_start(bucket_count())) { return; } // past the picks placed (skipped ones are not)
  let b = u32(slot_buckets[slot]);
  if ((slot - bucket_start(b)) % RUN != 0u) { return; }
  heapsort(slot, min(RUN, bucket_start(b + 1u) - slot));
}

// The merge passes a bucket of `size` picks takes part in: one per run width RUN · 2^j below size.
fn merges_for(size: u32) -> u32 {
  var passes = 0u;
  for (var w = RUN; w < size; w *= 2u) { passes++; }
  return passes;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn merge_runs(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let slot = flat_index(gid, groups);
  if (slot >= bucket_start(bucket_count())) { return; }
  let b = u32(slot_buckets[slot]);
  let start = bucket_start(b);
  let end = bucket_start(b + 1u);
  let w = params.width;
  if (end - start <= w) { return; } // one run already: sorted, and left in the buffer it is in
  let offset = slot - start;
  let run = offset / w;
  let pick = entries[slot];
  // Picks of the partner run (the other half of this pair) below this one: pick ids are distinct.
  let partner = min(start + (run ^ 1u) * w, end);
  var low = partner;
  var high = min(partner + w, end);
  while (low < high) {
    let middle = (low + high) / 2u;
    if (entries[middle] < pick) { low = middle + 1u; } else { high = middle; }
  }
  merged[start + (run & ~1u) * w + (offset - run * w) + (low - partner)] = pick;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward_bucketed(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = flat_index(gid, groups);
  if (e >= params.outer * params.n * params.inner) { return; }
  var b = e;
  if (SELECT) { b = (e / params.inner) % params.n; }
  let q = e % params.inner;
  let o = e / (params.inner * params.n);
  let start = bucket_start(b);
  let end = bucket_start(b + 1u);
  let in_merged = MERGE && merges_for(end - start) % 2u == 1u; // an odd number of merges left it there
  var total = 0.0;
  for (var j = start; j < end; j++) {
    var pick: u32;
    if (in_merged) { pick = u32(merged[j]); } else { pick = u32(entries[j]); } // v2 binds no merged buffer
    if (SELECT) { total += dy[(o * params.k + pick) * params.inner + q]; } else { total += dy[pick]; }
  }
  if (ACCUMULATE) { dx[e] += total; } else { dx[e] = total; }
}
