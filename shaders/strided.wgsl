// strided.wgsl — x read through strides: copies that permute or spread it, sums and extremes over any
// of its dimensions, and the extremes' backward
//
//   gather_sum        out[out_offset + j] = alpha · Σ_r x[x_offset + at(j) + at(r)]
//                                                                 torch.permute, expand, cat, sum over dims
//   extreme           values[j] = max_r x[at(j) + at(r)] (or min), indices[j] = the first r that holds it
//                     (a NaN wins, as PyTorch's)                  torch.max(x, dim), argmax, amax
//   extreme_combine   the same over a pass of extreme's partial results (values_saved, indices_saved)
//   count_ties        out[j] = how many r have x[at(j) + at(r)] equal to values_saved[j]
//   extreme_backward  dx[at(j) + at(r)] = dy[j] where r = indices[j]        torch.max(x, dim)'s gradient
//                     or, with EVEN, dy[j] / counts[j] where x equals values[j]  amax's, and max over all
//   scatter           out[out_offset + at(j)] = alpha · x[x_offset + j]        torch.cat's slices, and a
//                     slice's gradient (narrow, split, chunk): gather_sum's copy the other way round,
//                     the layout placing x's elements within out (no two at one place: no races)
//
// x is described by up to 8 axes, each a size and a stride (in x's elements): axes 0 .. kept_rank − 1
// index the output, row-major (j); axes kept_rank .. rank − 1 are the ones reduced, row-major (r, of
// `reduced` values). at(i) is the offset in x of the i-th element of such a block: its coordinates
// times the strides. A permute is a reordering of the axes, a spread (expand) a stride of 0, a plain
// copy no reduced axes (reduced = 1). gather_sum's offsets place a copy within larger tensors (a
// slice of F.cat's output, and of its gradient).
//
// A long reduction with few outputs (F.max over a whole tensor) is split: gather_sum, extreme and
// count_ties give each output `chunks` invocations, invocation t = j · chunks + p covering r from
// p · chunk to (p + 1) · chunk, and write a partial result per invocation; a second pass (gather_sum
// over the partial sums, extreme_combine over the partial extremes) finishes each output. With
// chunks = 1 the first pass is the whole reduction.
//
// Bindings: params; gather_sum and count_ties: x (read), out (read_write), count_ties values_saved
// (read); extreme: x, values, indices (read_write); extreme_combine: values_saved, indices_saved
// (read), values, indices; extreme_backward: x, values_saved, indices_saved, counts, dy (read), dx
// (read_write); scatter: x (read), out (read_write). With ACCUMULATE the writes to out and dx add up (gradients do).
// Geometry: workgroup WORKGROUP_SIZE (64); one invocation per output element and chunk (a serial loop
// over its share of r), in extreme_backward one per element of x read, in scatter one per element
// of x written; past 65,535 workgroups the
// grid spills into y: t = gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override ACCUMULATE: bool = false;
override IS_MAX: bool = true;
override EVEN: bool = false;

struct Params {
  outputs: u32,
  kept_rank: u32,
  rank: u32,
  reduced: u32,
  alpha: f32,
  chunks: u32,
  chunk: u32,
  x_offset: u32,
  out_offset: u32,
  sizes: array<vec4u, 2>,
  strides: array<vec4u, 2>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<storage, read_write> values: array<f32>;
@group(0) @binding(4) var<storage, read_write> indices: array<i32>;
@group(0) @binding(5) var<storage, read> values_saved: array<f32>;
@group(0) @binding(6) var<storage, read> indices_saved: array<i32>;
@group(0) @binding(7) var<storage, read> dy: array<f32>;
@group(0) @binding(8) var<storage, read_write> dx: array<f32>;
@group(0) @binding(9) var<storage, read> counts: array<f32>;

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

// The offset in x of element `index` of the row-major block of axes first .. last − 1.
fn offset_of(index: u32, first: u32, last: u32) -> u32 {
  var rest = index;
  var offset = 0u;
  for (var axis = last; axis > first; axis--) {
    let size = params.sizes[(axis - 1u) / 4u][(axis - 1u) % 4u];
    let stride = params.strides[(axis - 1u) / 4u][(axis - 1u) % 4u];
    offset += (rest % size) * stride;
    rest /= size;
  }
  return offset;
}

fn reduced_offset(r: u32) -> u32 {
  return offset_of(r, params.kept_rank, params.rank);
}

// WGSL lets an implementation assume no NaN, so a NaN is recognised by its bits.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn same(a: f32, b: f32) -> bool {
  return a == b || (is_nan(a) && is_nan(b));
}

// Invocation t's share of a reduction: output j, and r from first to last − 1.
struct Share {
  j: u32,
  first: u32,
  last: u32,
}

fn share_of(t: u32) -> Share {
  let first = (t % params.chunks) * params.chunk;
  return Share(t / params.chunks, first, min(first + params.chunk, params.reduced));
}

fn shares() -> u32 {
  return params.outputs * params.chunks;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gather_sum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let t = flat_index(gid, groups);
  if (t >= shares()) { return; }
  let share = share_of(t);
  let base = params.x_offset + offset_of(share.j, 0u, params.kept_rank);
  var total = 0.0;
  for (var r = share.first; r < share.last; r++) {
    total += x[base + reduced_offset(r)];
  }
  let i = params.out_offset + t;
  if (ACCUMULATE) { out[i] += params.alpha * total; } else { out[i] = params.alpha * total; }
}

// Whether v should replace best: strictly better only, so ties keep the first; a NaN wins.
fn beats(v: f32, best: f32) -> bool {
  return !is_nan(best) && (is_nan(v) || select((v < best), (v > best), IS_MAX));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn extreme(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let t = flat_index(gid, groups);
  if (t >= shares()) { return; }
  let share = share_of(t);
  let base = offset_of(share.j, 0u, params.kept_rank);
  var best = x[base + reduced_offset(share.first)];
  var at = share.first;
  for (var r = share.first + 1u; r < share.last && !is_nan(best); r++) {
    let v = x[base + reduced_offset(r)];
    if (beats(v, best)) {
      best = v;
      at = r;
    }
  }
  values[t] = best;
  indices[t] = i32(at);
}

// The partial results of one output's chunks are in chunk order, so the first that beats the rest
// holds the first position overall.
@compute @workgroup_size(WORKGROUP_SIZE)
fn extreme_combine(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let j = flat_index(gid, groups);
  if (j >= params.outputs) { return; }
  let first = j * params.chunks;
  var best = values_saved[first];
  var at = indices_saved[first];
  for (var p = first + 1u; p < first + params.chunks; p++) {
    if (beats(values_saved[p], best)) {
      best = values_saved[p];
      at = indices_saved[p];
    }
  }
  values[j] = best;
  indices[j] = at;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn count_ties(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let t = flat_index(gid, groups);
  if (t >= shares()) { return; }
  let share = share_of(t);
  let base = offset_of(share.j, 0u, params.kept_rank);
  var count = 0u;
  for (var r = share.first; r < share.last; r++) {
    if (same(x[base + reduced_offset(r)], values_saved[share.j])) { count++; }
  }
  out[t] = f32(count); // exact up to 2^24 ties per output
}

// Each element of x is one (j, r) of a reduction's layout (no stride 0 there), so no two
// invocations write one element of dx.
@compute @workgroup_size(WORKGROUP_SIZE)
fn extreme_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let t = flat_index(gid, groups);
  if (t >= params.outputs * params.reduced) { return; }
  let j = t / params.reduced;
  let r = t % params.reduced;
  let at = offset_of(j, 0u, params.kept_rank) + reduced_offset(r);
  var g = 0.0;
  if (EVEN) {
    if (same(x[at], values_saved[j])) { g = dy[j] / counts[j]; }
  } else if (u32(indices_saved[j]) == r) {
    g = dy[j];
  }
  if (ACCUMULATE) { dx[at] += g; } else { dx[at] = g; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn scatter(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let j = flat_index(gid, groups);
  if (j >= params.outputs) { return; }
  let i = params.out_offset + offset_of(j, 0u, params.kept_rank);
  let v = params.alpha * x[params.x_offset + j];
  if (ACCUMULATE) { out[i] += v; } else { out[i] = v; }
}
