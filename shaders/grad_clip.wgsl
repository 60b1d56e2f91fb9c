// grad_clip.wgsl — torch.nn.utils.clip_grad_norm_ and clip_grad_value_, in place on gradients
//
// clip_grad_norm_(parameters, max_norm, norm_type = q) over the gradients g_1 … g_P:
//   total = (Σ_p Σ_i |g_pi|^q)^(1/q)           (q = ∞: max over p, i of |g_pi|)
//   coef  = min(1, max_norm / (total + 1e-6))   (PyTorch's; NaN stays NaN, so a NaN gradient spreads)
//   g     ← g · coef
// in three passes, nothing read back: the partial sums of every gradient's chunks, the total and the
// coefficient, then each gradient scaled. The sum of |g|^q over all gradients is PyTorch's norm of
// the per-gradient norms, without the rounding of the P inner roots.
// clip_grad_value_(parameters, v): g ← clamp(g, −v, v), NaN kept (WGSL's clamp may drop it).
//
// Entry points:
//   norm_partials  one invocation per CHUNK (1024) elements of one gradient g (n elements): Σ |g|^q of
//                  its chunk (q = 2: g², q = 1: |g|; max |g| under INFINITY) into partials[first + k],
//                  so each gradient's chunks fill their own run of partials.
//   norm_total     a single invocation: total[0] from the `count` partials, coef[0] from total[0].
//   scale          one invocation per element of one gradient: g[i] *= coef[0].
//   clamp_values   one invocation per element of one gradient: g[i] = clamp(g[i], −v, v).
//
// Bindings: params {n, first, count, q, max_norm, clip_value}; g (read_write: the gradient, in place);
// partials, total, coef (read_write).
// Geometry: element or chunk i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE) (grids past 65,535
// workgroups spill into y).

override WORKGROUP_SIZE: u32 = 64u;
override INFINITY: bool = false;

const CHUNK: u32 = 1024u;

struct Params {
  n: u32,
  first: u32,
  count: u32,
  q: f32,
  max_norm: f32,
  clip_value: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> g: array<f32>;
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
@group(0) @binding(3) var<storage, read_write> total: array<f32>;
@group(0) @binding(4) var<storage, read_write> coef: array<f32>;

// NaN is recognised by its bits: WGSL lets an implementation assume no NaN, so max(NaN, x) may
// return x.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// max(a, b), except that a NaN in either gives NaN.
fn max_keep_nan(a: f32, b: f32) -> f32 {
  return select(select(max(a, b), b, is_nan(b)), a, is_nan(a));
}

// |v|^q, exact for the usual q: g² for 2, |g| for 1.
fn power(v: f32) -> f32 {
  let a = abs(v);
  if (params.q == 2.0) { return a * a; }
  if (params.q == 1.0) { return a; }
  return pow(a, params.q);
}

fn index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn norm_partials(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let k = index(gid, groups);
  let start = k * CHUNK;
  if (start >= params.n) { return; }
  let end = min(start + CHUNK, params.n);
  var acc = 0.0;
  for (var i = start; i < end; i++) {
    if (INFINITY) { acc = max_keep_nan(acc, abs(g[i])); } else { acc += power(g[i]); }
  }
  partials[params.first + k] = acc;
}

@compute @workgroup_size(1)
fn norm_total() {
  var acc = 0.0;
  for (var k = 0u; k < params.count; k++) {
    if (INFINITY) { acc = max_keep_nan(acc, partials[k]); } else { acc += partials[k]; }
  }
  var norm = acc;
  if (!INFINITY) {
    if (params.q == 2.0) { norm = sqrt(acc); } else if (params.q != 1.0) { norm = pow(acc, 1.0 / params.q); }
  }
  total[0] = norm;
  let c = params.max_norm / (norm + 1e-6);
  coef[0] = select(min(c, 1.0), c, is_nan(c));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn scale(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = index(gid, groups);
  if (i >= params.n) { return; }
  g[i] = g[i] * coef[0];
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn clamp_values(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = index(gid, groups);
  if (i >= params.n) { return; }
  let v = g[i];
  g[i] = select(clamp(v, -params.clip_value, params.clip_value), v, is_nan(v));
}
