// regression_loss.wgsl — mean squared error, L1 loss, binary cross-entropy, smooth L1 and Huber loss
// (nn.MSELoss, nn.L1Loss, nn.BCELoss, nn.SmoothL1Loss, nn.HuberLoss): elementwise losses of an input
// against a target, forward and backward
//
// For an input x and a target t of n elements, d_i = x_i − t_i and
//   l_i = d_i²      (MSE)        or      l_i = |d_i|     (L1, under the override L1)
//   l_i = −(t_i · max(ln x_i, −100) + (1 − t_i) · max(ln(1 − x_i), −100))   (BCE, x a probability;
//         PyTorch clamps each log at −100, so x = 0 or 1 gives a finite loss; ln x and ln(1 − x) to
//         float32's precision near 1 and 0, ln(1 − x) as ln(1 + (−x)), PyTorch's log1p(−x))
//   l_i = 0.5 d_i² / β  if |d_i| < β,  else |d_i| − 0.5 β           (SMOOTH_L1, β = params.beta ≥ 0;
//         β = 0 is L1: the quadratic piece is never taken, so its 0/0 is never chosen)
//   l_i = 0.5 d_i²      if |d_i| < δ,  else δ · (|d_i| − 0.5 δ)      (HUBER, δ = params.beta > 0;
//         δ times SmoothL1 with β = δ)
// PyTorch's reductions: 'none' = l_i itself, 'sum' = Σ l_i, 'mean' = Σ l_i / n.
//   loss_elements   out_elements[i] = l_i                                   ('none')
//   loss_partials   partials[w] = Σ of l_i over workgroup w's elements        ('sum', 'mean'; pass 1)
//   loss_total      loss[0] = scale · Σ_w partials[w]                         ('sum', 'mean'; pass 2)
//   loss_backward   dx_i = g_i · scale · l'(d_i): l'(d) = 2d (MSE); sign(d) (L1; sign(0) = 0, as
//                   PyTorch); d/β inside |d| < β, else ±1 (SMOOTH_L1); d inside |d| < δ, else ±δ
//                   (HUBER) — the pieces meet at the knee, so the side taken there changes nothing;
//                   "±" is PyTorch's "d > 0 ? 1 : −1", which at β = 0 and d = 0 gives −1 (not L1's 0).
//                   Under NEGATE the target's gradient: the same slope taken at t_i − x_i, as PyTorch's
//                   backward with input and target swapped (−the input's, except at SMOOTH_L1's β = 0,
//                   d = 0, where both are −1). Under BCE PyTorch's dx_i = g_i · scale · (x_i − t_i) /
//                   max(x_i (1 − x_i), 1e-12), and with NEGATE the target's own, d l/d t = ln(1 − x) − ln x
//                   (unclamped: ±∞ at 0 and 1)
// scale is 1/n for 'mean' and 1 otherwise (computed in float64 on the CPU, rounded once). The upstream
// gradient g_i is 1 (UPSTREAM 0: the loss is where backward starts), dy[0] (UPSTREAM 1: a reduced
// loss used further on) or dy[i] (UPSTREAM 2: 'none'). With ACCUMULATE the backward adds into dx.
//
// Bindings: params {n, scale, partial_count, beta (SMOOTH_L1's β or HUBER's δ; unused otherwise)};
// loss_elements: x, t (read), out_elements (read_write);
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
override SMOOTH_L1: bool = false;
override HUBER: bool = false;
override NEGATE: bool = false;
override ACCUMULATE: bool = false;
override UPSTREAM: u32 = 0u;

struct Params {
  n: u32,
  scale: f32,
  partial_count: u32,
  beta: f32,
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

// ln(1 + v) for |v| < 0.5: 2·atanh(s), s = v / (2 + v) (|s| ≤ 1/3), its series to s¹⁵/15 (the next
// term is 1.4e-9 of the sum). −0 keeps its sign.
fn log1p_series(v: f32) -> f32 {
  let s = v / (2.0 + v);
  let q = s * s;
  return 2.0 * s * (1.0 + q * (1.0 / 3.0 + q * (1.0 / 5.0 + q * (1.0 / 7.0 + q * (1.0 / 9.0 + q * (1.0 / 11.0 + q * (1.0 / 13.0 + q / 15.0)))))));
}

// ln v for a finite v > 0 to float32's precision: e · ln 2 + ln m, v = m · 2^e, m in [√½, √2), ln m
// from the series (WGSL's log may be 2^-21 off near 1: SwiftShader's was 39% off at 1 − 2^-24, where
// a probability near 1 takes its log). elementwise.wgsl's log_of does the same.
fn ln_positive(v: f32) -> f32 {
  let parts = frexp(v);
  var m = parts.fract;
  var e = f32(parts.exp);
  if (m < 0.70710677) {
    m = 2.0 * m;
    e = e - 1.0;
  }
  return e * 0.693359375 + (log1p_series(m - 1.0) - e * 2.1219444e-4);
}

// ln v clamped at −100, as PyTorch's; v ≤ 0 is tested first: WGSL leaves log(0) to the implementation
// (SwiftShader gives about −87.3, not −∞).
fn clamped_log(v: f32) -> f32 {
  return select(max(ln_positive(v), -100.0), -100.0, v <= 0.0);
}

// ln(1 − v) clamped at −100, from ln(1 + (−v)) as PyTorch's log1p(−x): 1 − v itself would round a
// small v away (the loss of a target-0 probability of 1e-9 was 0).
fn clamped_log_one_minus(v: f32) -> f32 {
  if (v >= 1.0) { return -100.0; }
  return max(select(log1p_series(-v), ln_positive(1.0 - v), abs(v) >= 0.5), -100.0);
}

// ln v, −∞ at v = 0 (spelled out, as clamped_log's case).
fn log_or_minus_infinity(v: f32) -> f32 {
  let minus_infinity_bits = 0xff800000u; // a runtime value: a constant ∞ is a WGSL compile error
  return select(ln_positive(v), bitcast<f32>(minus_infinity_bits), v <= 0.0);
}

fn element_loss(i: u32) -> f32 {
  if (BCE) { return -(t[i] * clamped_log(x[i]) + (1.0 - t[i]) * clamped_log_one_minus(x[i])); }
  let d = x[i] - t[i];
  let a = abs(d);
  if (L1) { return a; }
  let beta = params.beta;
  if (SMOOTH_L1) { return select(a - 0.5 * beta, 0.5 * d * d / beta, a < beta); }
  if (HUBER) { return select(beta * (a - 0.5 * beta), 0.5 * d * d, a < beta); }
  return d * d;
}

// d l / d d at d (x_i − t_i, or t_i − x_i for the target's gradient); BCE's reads x_i itself.
fn slope(i: u32, d: f32) -> f32 {
  if (BCE && NEGATE) { return log_or_minus_infinity(1.0 - x[i]) - log_or_minus_infinity(x[i]); }
  if (BCE) { return d / max(x[i] * (1.0 - x[i]), 1e-12); }
  if (L1) { return sign(d); }
  let beta = params.beta;
  let outer = select(-1.0, 1.0, d > 0.0); // PyTorch's linear pieces: −1 at d = 0 (reached at β = 0)
  if (SMOOTH_L1) { return select(d / beta, outer, abs(d) >= beta); }
  if (HUBER) { return select(d, beta * outer, abs(d) >= beta); }
  return 2.0 * d;
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
  let d = select(x[i] - t[i], t[i] - x[i], NEGATE); // exactly −(x − t): IEEE subtraction is symmetric
  var g = 1.0;
  if (UPSTREAM == 1u) { g = dy[0]; }
  if (UPSTREAM == 2u) { g = dy[i]; }
  let value = g * params.scale * slope(i, d);
  if (ACCUMULATE) { dx[i] += value; } else { dx[i] = value; }
}
