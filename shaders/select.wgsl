// select.wgsl — comparisons and logic as masks, and where(condition, a, b), forward and backward
//
//   compare           mask = 1 where a OP b, else 0      OP 0: >  1: ≥  2: <  3: ≤  4: =  5: ≠
//                                                        (torch.gt, ge, lt, le, eq, ne; PyTorch's are
//                                                        bool tensors, these their .float())
//                                                        OP 6: a and b  7: a or b  8: a xor b  9: not a
//                                                        (torch.logical_and, _or, _xor, _not: any
//                                                        value but 0 is true, NaN too)
//   where_forward     y = a where condition ≠ 0, else b  (torch.where)
//   where_backward    dx = dy where the condition picked this side (SIDE_A: condition ≠ 0), else 0
//
// With B_IS_NUMBER, b is params.number for every element (a comparison with a number, or where's
// number fallback). A comparison with NaN on either side is false, except ≠, which is true (IEEE's,
// and PyTorch's), spelled out: WGSL lets an implementation assume no NaN. where's condition is a mask
// (any value but 0 selects a; a NaN condition too, as NaN ≠ 0). where picks, so an ∞ or NaN on the
// side not picked does not reach y nor its gradient (as it would through c · a + (1 − c) · b).
//
// Bindings: params {n, number}; compare: a, b (read), y (read_write); where_forward: condition, a, b
// (read), y (read_write); where_backward: condition, dy (read), dx (read_write). With ACCUMULATE the
// backward adds into dx (gradients add up).
// Geometry: one invocation per element, workgroup WORKGROUP_SIZE (64); elements past 65,535
// workgroups spill into the grid's y: i = gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override OP: u32 = 0u;
override B_IS_NUMBER: bool = false;
override SIDE_A: bool = true;
override ACCUMULATE: bool = false;

struct Params {
  n: u32,
  number: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> condition: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn b_at(i: u32) -> f32 {
  if (B_IS_NUMBER) { return params.number; }
  return b[i];
}

// Truth as PyTorch's logical ops see a number: anything but ±0, NaN included.
fn truth(v: f32) -> bool {
  return v != 0.0 || is_nan(v);
}

fn holds(u: f32, v: f32) -> bool {
  switch OP {
    case 6u: { return truth(u) && truth(v); }
    case 7u: { return truth(u) || truth(v); }
    case 8u: { return truth(u) != truth(v); }
    case 9u: { return !truth(u); }
    default: {}
  }
  if (is_nan(u) || is_nan(v)) { return OP == 5u; }
  switch OP {
    case 0u: { return u > v; }
    case 1u: { return u >= v; }
    case 2u: { return u < v; }
    case 3u: { return u <= v; }
    case 4u: { return u == v; }
    default: { return u != v; }
  }
}

// Whether where picks a at i: a nonzero condition, NaN included.
fn picks_a(i: u32) -> bool {
  let c = condition[i];
  return c != 0.0 || is_nan(c);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn compare(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  y[i] = select(0.0, 1.0, holds(a[i], b_at(i)));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn where_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  y[i] = select(b_at(i), a[i], picks_a(i));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn where_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let picked = picks_a(i) == SIDE_A;
  let g = select(0.0, dy[i], picked);
  if (ACCUMULATE) { dx[i] += g; } else { dx[i] = g; }
}
