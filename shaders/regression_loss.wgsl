// regression_loss.wgsl — mean squared error, L1 loss and binary cross-entropy (nn.MSELoss, nn.L1Loss,
// nn.BCELoss): elementwise losses of an input against a target, forward and backward
//
// For an input x and a target t of n elements, d_i = x_i − t_i and
//   l_i = d_i²      (MSE)        or      l_i = |d_i|     (L1, under the override L1)
//   l_i = −(t_i · max(ln x_i, −100) + (1 − t_i) · max(ln(1 − x_i), −100))   (BCE, x a probability;
//         PyTorch clamps each log at −100, so x = 0 or 1 gives a finite loss)
// PyTorch's reductions: 'none' = l_i itself, 'sum' = Σ l_i, 'mean' = Σ l_i / n.
//   loss_elements   out_elements[i] = l_i                                   ('none')
//   loss_partials   partials[w] = Σ of l_i over workgroup w's elements        ('sum', 'mean'; pass 1)
//   loss_total      loss[0] = scale · Σ_w partials[w]                         ('sum', 'mean'; pass 2)
//   loss_backward   dx_i = ± g_i · scale · l'(d_i),  l'(d) = 2d (MSE) or sign(d) (L1; sign(0) = 0, as
//                   PyTorch), − under NEGATE (the target's gradient, d l/d t = −d l/d x); under BCE
//                   PyTorch's dx_i = g_i · scale · (x_i − t_i) / max(x_i (1 − x_i), 1e-12), and with
//                   NEGATE the target's own, d l/d t = ln(1 − x) − ln x (unclamped: ±∞ at 0 and 1)
// scale is 1/n for 'mean' and 1 otherwise (computed in float64 on the CPU, rounded once). The upstream
// gradient g_i is 1 (UPSTREAM 0: the loss is where backward starts), dy[0] (UPSTREAM 1: a reduced
// loss used further on) or dy[i] (UPSTREAM 2: 'none'). With ACCUMULATE the backward adds into dx.
//
// Bindings: params {n, scale, partial_count}; loss_elements: x, t (read), out_elements (read_write);
// loss_partials: x, t (read), partials (read_write); loss_total: partials, loss (read_write);
// loss_backward: x, t, dy (read; dy a placeholder under UPSTREAM 0), dx (read_write).
// Geometry: loss_elements, loss_partials and loss_backward one invocation per element, workgroup
// WORKGROUP_SIZE (64, a power of two: the tree below halves it); elements past 65,535 workgroups
// spill into the grid's y: i = gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE). loss_partials
// sums its workgroup's values as a tree in workgroup memory (log₂ 64 = 6 steps), so each partial
// adds at most 64 numbers; loss_total is one workgroup: each invocation adds every 64th partial,
// then the same tree. Two passes of short sums keep float32's rounding error small at millions of
// elements, where one serial sum would not.

override WORKGROUP_SIZE: u32 = 64u;
override L1: bool = false;
override BCE: bool = false;
override NEGATE: bool = false;
override ACCUMULATE: bool = false;
override UPSTREAM: u32 = 0u;

struct Params {
  n: u32,
  scale: f32,
  partial_count: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> t: array<f32>;
@group(0) @binding(3) var<storage, read_write> out_elements: array<f32>;
@group(0) @binding(4) var<storage, read_write> partials: array<f32>;
@group(0) @binding(5) var<storage, read_write> loss: array<f32>;
@group(0) @binding(6) var<storage, read> dy: array<f32>;
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;

var<workgroup> tree: array<f32, WORKGROUP_SIZE>;

// ln v clamped at −100, as PyTorch's; v = 0 is tested first: WGSL leaves log(0) to the implementation
// (SwiftShader gives about −87.3, not −∞).
fn clamped_log(v: f32) -> f32 {
  return select(max(log(v), -100.0), -100.0, v <= 0.0);
}

// ln v, −∞ at v = 0 (spelled out, as clamped_log's case).
fn log_or_minus_infinity(v: f32) -> f32 {
  let minus_infinity_bits = 0xff800000u; // a runtime value: a constant ∞ is a WGSL compile error
  return select(log(v), bitcast<f32>(minus_infinity_bits), v <= 0.0);
}

fn element_loss(i: u32) -> f32 {
  if (BCE) { return -(t[i] * clamped_log(x[i]) + (1.0 - t[i]) * clamped_log(1.0 - x[i])); }
  let d = x[i] - t[i];
  if (L1) { return abs(d); }
  return d * d;
}

// Sums tree[0 .. WORKGROUP_SIZE) into tree[0]; every invocation of the workgroup must call it.
fn tree_sum(lid: u32) {
  for (var half = WORKGROUP_SIZE / 2u; half > 0u; half /= 2u) {
    workgroupBarrier();
    if (lid < half) { tree[lid] += tree[lid + half]; }
  }
  workgroupBarrier();
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn loss_elements(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) { return; }
  out_elements[i] = element_loss(i);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn loss_partials(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u,
                 @builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  let w = wid.x + wid.y * groups.x; // uniform across the workgroup, so its early return is too
  if (w >= params.partial_count) { return; }
  var value = 0.0; // past the end: adds nothing
  if (i < params.n) { value = element_loss(i); }
  tree[lid] = value;
  tree_sum(lid);
  if (lid == 0u) { partials[w] = tree[0]; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn loss_total(@builtin(local_invocation_index) lid: u32) {
  var total = 0.0;
  for (var w = lid; w < params.partial_count; w += WORKGROUP_SIZE) { total += partials[w]; }
  tree[lid] = total;
  tree_sum(lid);
  if (lid == 0u) { loss[0] = tree[0] * params.scale; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn loss_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) { return; }
  let d = x[i] - t[i];
  var slope = 2.0 * d;
  if (L1) { slope = sign(d); }
  var g = 1.0;
  if (UPSTREAM == 1u) { g = dy[0]; }
  if (UPSTREAM == 2u) { g = dy[i]; }
  if (BCE) { slope = d / max(x[i] * (1.0 - x[i]), 1e-12); }
  var value = g * params.scale * slope;
  if (NEGATE) { value = -value; }
  if (BCE && NEGATE) { value = g * params.scale * (log_or_minus_infinity(1.0 - x[i]) - log_or_minus_infinity(x[i])); }
  if (ACCUMULATE) { dx[i] += value; } else { dx[i] = value; }
}
