// strided.wgsl — x read through strides: copies that permute or spread it, sums and extremes over any
// of its dimensions, and the extremes' backward
//
//   gather_sum        out[j] = alpha · Σ_r x[at(j) + at(r)]      torch.permute, expand, sum over dims
//   extreme           values[j] = max_r x[at(j) + at(r)] (or min), indices[j] = the first r that holds it
//                     (a NaN wins, as PyTorch's)                  torch.max(x, dim), argmax, amax
//   extreme_backward  dx[at(j) + at(r)] = dy[j] where r = indices[j]        torch.max(x, dim)'s gradient
//                     or, with EVEN, dy[j] / count where x equals values[j]  amax's, and max over all
//
// x is described by up to 8 axes, each a size and a stride (in x's elements): axes 0 .. kept_rank − 1
// index the output, row-major (j); axes kept_rank .. rank − 1 are the ones reduced, row-major (r, of
// `reduced` values). at(i) is the offset in x of the i-th element of such a block: its coordinates
// times the strides. A permute is a reordering of the axes, a spread (expand) a stride of 0, a plain
// copy no reduced axes (reduced = 1).
//
// Bindings: params; gather_sum: x (read), out (read_write); extreme: x, values, indices (read_write);
// extreme_backward: x, values_saved, indices_saved, dy (read), dx (read_write). With ACCUMULATE the
// writes to out and dx add up (gradients do).
// Geometry: one invocation per output element j, workgroup WORKGROUP_SIZE (64), a serial loop over r;
// elements past 65,535 workgroups spill into the grid's y: j = gid.x + gid.y · (num_workgroups.x ·
// WORKGROUP_SIZE). Every x element is reached by one j at most in extreme_backward, so its writes
// never race.

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

@compute @workgroup_size(WORKGROUP_SIZE)
fn gather_sum(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let j = flat_index(gid, groups);
  if (j >= params.outputs) { return; }
  let base = offset_of(j, 0u, params.kept_rank);
  var total = 0.0;
  for (var r = 0u; r < params.reduced; r++) {
    total += x[base + reduced_offset(r)];
  }
  if (ACCUMULATE) { out[j] += params.alpha * total; } else { out[j] = params.alpha * total; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn extreme(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let j = flat_index(gid, groups);
  if (j >= params.outputs) { return; }
  let base = offset_of(j, 0u, params.kept_rank);
  var best = x[base];
  var at = 0u;
  // Strictly better only, so ties keep the first; the first NaN ends the search.
  for (var r = 1u; r < params.reduced && !is_nan(best); r++) {
    let v = x[base + reduced_offset(r)];
    let better = select((v < best), (v > best), IS_MAX);
    if (is_nan(v) || better) {
      best = v;
      at = r;
    }
  }
  values[j] = best;
  indices[j] = i32(at);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn extreme_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let j = flat_index(gid, groups);
  if (j >= params.outputs) { return; }
  let base = offset_of(j, 0u, params.kept_rank);
  var share = dy[j];
  if (EVEN) {
    var count = 0u;
    for (var r = 0u; r < params.reduced; r++) {
      if (same(x[base + reduced_offset(r)], values_saved[j])) { count++; }
    }
    share = share / f32(max(count, 1u));
  }
  for (var r = 0u; r < params.reduced; r++) {
    let at = base + reduced_offset(r);
    var chosen: bool;
    if (EVEN) { chosen = same(x[at], values_saved[j]); } else { chosen = u32(indices_saved[j]) == r; }
    let g = select(0.0, share, chosen);
    if (ACCUMULATE) { dx[at] += g; } else { dx[at] = g; }
  }
}
