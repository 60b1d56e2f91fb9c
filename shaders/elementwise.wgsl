// elementwise.wgsl — exp, log, sqrt and pow with a constant exponent, forward and backward
//
//   forward   y = f(x)                 OP 0: e^x   OP 1: ln x   OP 2: √x   OP 3: x^p
//   backward  dx = dy · f'(x)          OP 0: dy · y      OP 1: dy / x
//                                      OP 2: dy / (2y)   OP 3: dy · p · x^(p − 1)
// (torch.exp, torch.log, torch.sqrt, torch.pow(x, p) and x ** p). The backward reads x and the
// forward's y, whichever its rule needs. With ACCUMULATE it adds into dx (gradients add up).
//
// Where PyTorch gives ±∞ or NaN, so do these, spelled out rather than left to the hardware: WGSL lets
// an implementation assume no ∞ or NaN, and its log and pow are undefined for x ≤ 0.
//   ln 0 = −∞, ln x = NaN for x < 0;  √x = NaN for x < 0;  e^x = +∞ past float32's range;
//   x^p: x^0 = 1 (0^0 and NaN^0 too), 0^p = 0 for p > 0 and +∞ for p < 0 (−∞ for an odd
//   negative integer p at −0 is not kept: −0 and +0 read the same here); for x < 0 an integer p gives
//   ±|x|^p by its parity, any other p NaN.
// A NaN input gives a NaN output (except x^0 = 1), recognised by its bits.
//
// Bindings: params {n, exponent}; forward: x (read), y (read_write); backward: x, y_saved, dy (read),
// dx (read_write).
// Geometry: one invocation per element, workgroup WORKGROUP_SIZE (64); elements past 65,535
// workgroups spill into the grid's y: i = gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override OP: u32 = 0u;
override ACCUMULATE: bool = false;

struct Params {
  n: u32,
  exponent: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> y_saved: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;

const INFINITY_BITS = 0x7f800000u;
const NAN_BITS = 0x7fc00000u;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > INFINITY_BITS;
}

// ∞ and NaN are made at run time from their bits: as constants WGSL refuses them.
fn from_bits(bits: u32) -> f32 {
  return bitcast<f32>(bits);
}

fn nan() -> f32 {
  return from_bits(NAN_BITS);
}

fn infinity() -> f32 {
  return from_bits(INFINITY_BITS);
}

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

// e^v: +∞ past ln(float32 max) ≈ 88.72, where WGSL's exp is undefined.
fn exp_of(v: f32) -> f32 {
  if (is_nan(v)) { return v; }
  if (v > 88.72283) { return infinity(); }
  return exp(v);
}

fn log_of(v: f32) -> f32 {
  if (is_nan(v) || v < 0.0) { return nan(); }
  if (v == 0.0) { return -infinity(); }
  return log(v);
}

fn sqrt_of(v: f32) -> f32 {
  if (is_nan(v) || v < 0.0) { return nan(); }
  return sqrt(v);
}

// v^p, with pow(|v|, p) for the magnitude and the cases above spelled out.
fn pow_of(v: f32, p: f32) -> f32 {
  if (p == 0.0) { return 1.0; }
  if (is_nan(v) || is_nan(p)) { return nan(); }
  if (v == 0.0) { return select(infinity(), 0.0, p > 0.0); }
  let magnitude = pow(abs(v), p);
  if (v > 0.0) { return magnitude; }
  if (p != trunc(p)) { return nan(); }
  let odd = abs(p) < 16777216.0 && (i32(abs(p)) & 1) == 1; // float32 integers from 2^24 on are even
  return select(magnitude, -magnitude, odd);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let v = x[i];
  var value: f32;
  switch OP {
    case 0u: { value = exp_of(v); }
    case 1u: { value = log_of(v); }
    case 2u: { value = sqrt_of(v); }
    default: { value = pow_of(v, params.exponent); }
  }
  y[i] = value;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let g = dy[i];
  var value: f32;
  switch OP {
    case 0u: { value = g * y_saved[i]; }
    case 1u: { value = g / x[i]; }
    case 2u: { value = g / (2.0 * y_saved[i]); }
    default: { value = g * params.exponent * pow_of(x[i], params.exponent - 1.0); }
  }
  if (ACCUMULATE) { dx[i] += value; } else { dx[i] = value; }
}
