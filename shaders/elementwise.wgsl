// elementwise.wgsl — exp, log, sqrt, pow with a constant or a tensor exponent or base, abs, clamp,
// the elementwise max and min of two tensors, sign and rounding, sin, cos, expm1 and log1p, forward
// and backward
//
//   forward   y = f(x)                 OP 0: e^x   OP 1: ln x   OP 2: √x   OP 3: x^p   OP 4: |x|
//                                      OP 5: clamp(x, low, high)   OP 6: max(x, other)   OP 7: min(x, other)
//                                      OP 8: x^other   OP 10: sign x   OP 11: ⌊x⌋   OP 12: ⌈x⌉
//                                      OP 13: x rounded, half to even   OP 14: x truncated   OP 15: b^x
//                                      OP 16: sin x   OP 17: cos x   OP 18: e^x − 1   OP 19: ln(1 + x)
//   backward  dx = dy · ∂f/∂x          OP 0: dy · y      OP 1: dy / x      OP 2: dy / (2y)
//                                      OP 3: dy · p · x^(p − 1)            OP 4: dy · sign(x)
//                                      OP 5: dy where low ≤ x ≤ high, else 0
//                                      OP 6, 7: dy where x wins, dy / 2 at a tie, 0 where other wins
//                                      OP 8: dy · other · x^(other − 1)    OP 10–14: 0 (steps)
//                                      OP 15: dy · y · ln b
//                                      OP 16: dy · cos x   OP 17: −dy · sin x
//                                      OP 18: dy · e^x (PyTorch's y + 1 cancels where y ≈ −1: ELU's
//                                      gradient at x = −17 was 44% off)   OP 19: dy / (1 + x)
//             d other = dy · ∂f/∂other OP 9: dy · y · ln x (x^other's exponent gradient)
// (torch.exp, torch.log, torch.sqrt, torch.pow(x, p) and x ** p, torch.abs, torch.clamp(x, min, max),
// torch.maximum, torch.minimum, torch.pow(x, e), torch.sign, floor, ceil, round, trunc, and
// torch.pow(b, x) with the number b in params.exponent, torch.sin, torch.cos, torch.expm1, torch.log1p). The backward reads x and the forward's y, whichever
// its rule needs; max and min read other, and give other's gradient when called with the two swapped.
// With ACCUMULATE it adds into dx (gradients add up). HAS_LOW and HAS_HIGH say which bounds clamp has.
//
// Where PyTorch gives ±∞ or NaN, so do these, spelled out rather than left to the hardware: WGSL lets
// an implementation assume no ∞ or NaN, and its log and pow are undefined for x ≤ 0.
//   ln 0 = −∞, ln x = NaN for x < 0, ln ∞ = ∞;  √x = NaN for x < 0, √∞ = ∞;  e^x = +∞ past float32's range;
//   x^p: x^0 = 1 (0^0 and NaN^0 too) with gradient 0; an integer p multiplies out, so signs follow
//   (−2)³ = −8, (−0)⁻¹ = −∞; any other p: 0^p = 0 for p > 0 and +∞ for p < 0, a negative x NaN.
//   PyTorch's gradient rules at the edges: x^0's is 0 for x (at x = 0 too), and x^e's for e is 0
//   where x = 0 and e ≥ 0 (elsewhere y · ln x: NaN for x < 0, −∞ for 0^(−1)).
//   sign(NaN) = 0 and sign(±0) = +0, as PyTorch's; rounding keeps NaN, ±∞ and the sign of a zero
//   (⌈−0.5⌉ = −0); b^x's gradient is 0 where b = 0 and x ≥ 0 (elsewhere y · ln b: NaN for b < 0).
//   sin and cos of ±∞ are NaN; sin(−0) = −0; ln(1 + x) = −∞ at −1, NaN below; e^x − 1 = +∞ past 88.72.
// expm1 and log1p keep float32's relative precision near 0, where e^x − 1 and ln(1 + x) as written
// cancel (at x = 1e-4 they are 6e-4 off): series there (see expm1_of and log1p_of).
// A NaN input gives a NaN output (except x^0 = 1 and sign), recognised by its bits; max and min with a NaN on
// either side are NaN, and send the whole gradient to both sides (PyTorch's rule); |x| and clamp
// give a NaN x the gradient 0, as PyTorch's.
//
// Bindings: params {n, exponent, low, high}; forward: x, other (read), y (read_write); backward: x,
// other, y_saved, dy (read), dx (read_write). An op without `other` binds x there.
// Geometry: one invocation per element, workgroup WORKGROUP_SIZE (64); elements past 65,535
// workgroups spill into the grid's y: i = gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override OP: u32 = 0u;
override ACCUMULATE: bool = false;
override HAS_LOW: bool = false;
override HAS_HIGH: bool = false;

struct Params {
  n: u32,
  exponent: f32,
  low: f32,
  high: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read> y_saved: array<f32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> dx: array<f32>;
@group(0) @binding(6) var<storage, read> other: array<f32>;

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

// e^v as 2^k · e^r, k = round(v / ln 2) and r = v − k · ln 2 (|r| ≤ 0.35; ln 2 in two parts, Cody and
// Waite's, so k · C1 is exact): WGSL's exp is allowed 3 + 2|v| ULP, ~170 ULP at v = 80, and on |r| under
// 4. +∞ past ln(float32 max) ≈ 88.72 and 0 below the smallest subnormal's log, where WGSL's exp and
// ldexp are undefined.
fn exp_of(v: f32) -> f32 {
  if (is_nan(v)) { return v; }
  if (v > 88.72283) { return infinity(); }
  if (v < -103.97208) { return 0.0; }
  let k = round(v * 1.442695);
  let r = (v - k * 0.693359375) + k * 2.1219444e-4;
  return ldexp(exp(r), i32(k));
}

// ln v as e · ln 2 + ln m, v = m · 2^e with m in [√½, √2): m − 1 is exact, and ln m = ln(1 + (m − 1))
// comes from log1p's series, so v near 1 keeps its digits (WGSL's log is allowed 2^-21 absolute
// error on [0.5, 2]: SwiftShader's was 39% off at 1 − 2^-24, 1.5e-3 at 0.99999). ln 2 in two parts
// (Cody and Waite's), so e · C1 is exact.
fn log_of(v: f32) -> f32 {
  if (is_nan(v) || v < 0.0) { return nan(); }
  if (v == 0.0) { return -infinity(); }
  if (bitcast<u32>(v) == INFINITY_BITS) { return v; }
  let parts = frexp(v); // v = fract · 2^exp, fract in [0.5, 1)
  var m = parts.fract;
  var e = f32(parts.exp);
  if (m < 0.70710677) {
    m = 2.0 * m;
    e = e - 1.0;
  }
  return e * 0.693359375 + (log1p_series(m - 1.0) - e * 2.1219444e-4);
}

// ln(1 + v) for |v| < 0.5: 2·atanh(s), s = v / (2 + v) (|s| ≤ 1/3), its series to s¹⁵/15 (the next
// term is 1.4e-9 of the sum). −0 keeps its sign.
fn log1p_series(v: f32) -> f32 {
  let s = v / (2.0 + v);
  let q = s * s;
  return 2.0 * s * (1.0 + q * (1.0 / 3.0 + q * (1.0 / 5.0 + q * (1.0 / 7.0 + q * (1.0 / 9.0 + q * (1.0 / 11.0 + q * (1.0 / 13.0 + q / 15.0)))))));
}

fn sqrt_of(v: f32) -> f32 {
  if (is_nan(v) || v < 0.0) { return nan(); }
  if (bitcast<u32>(v) == INFINITY_BITS) { return v; }
  return sqrt(v);
}

// e^v − 1: for |v| < 0.5 its Taylor series to v⁸/8! in Horner form (the next term is 1.1e-8 of the
// sum), so a small v keeps its digits (and −0 its sign); beyond, e^v − 1, which cancels at most 2.5×.
fn expm1_of(v: f32) -> f32 {
  if (is_nan(v)) { return v; }
  if (abs(v) >= 0.5) { return exp_of(v) - 1.0; }
  return v * (1.0 + v / 2.0 * (1.0 + v / 3.0 * (1.0 + v / 4.0 * (1.0 + v / 5.0 * (1.0 + v / 6.0 * (1.0 + v / 7.0 * (1.0 + v / 8.0)))))));
}

// ln(1 + v): the series for |v| < 0.5; beyond, ln(1 + v), where 1 + v is exact enough. −∞ at −1,
// NaN below.
fn log1p_of(v: f32) -> f32 {
  if (is_nan(v) || v < -1.0) { return nan(); }
  if (abs(v) >= 0.5) { return log_of(1.0 + v); }
  return log1p_series(v);
}

// ±∞ with the sign of v (−0 gives −∞).
fn infinity_signed_as(v: f32) -> f32 {
  return from_bits((bitcast<u32>(v) & 0x80000000u) | INFINITY_BITS);
}

// v^p for an integer p, |p| < 2^24, by repeated squaring: x² exact, each multiply one rounding (PyTorch
// multiplies x² and x³ out too, where exp2(p · log2 x) would be ~1e-6 off); 1 / v^|p| for p < 0. Signs
// follow from the multiplies: (−2)³ = −8, (−0)³ = −0; v^p = 0 with p < 0 gives ±∞ by its sign.
fn integer_pow(v: f32, p: f32) -> f32 {
  var e = u32(abs(p));
  var base = v;
  var result = 1.0;
  loop {
    if ((e & 1u) == 1u) { result *= base; }
    e = e >> 1u;
    if (e == 0u) { break; }
    base *= base;
  }
  if (p > 0.0) { return result; }
  if (result == 0.0) { return infinity_signed_as(result); }
  return 1.0 / result;
}

// v^p as PyTorch (C's pow): integer p by integer_pow; otherwise v^k · √v for p = ±(k + ½), exp2(p · log2 v) for
// v > 0, and the edges spelled out: v^0 = 1^p = 1 (NaN too), (±1)^(±∞) = 1, v^(±∞) = 0 or +∞ by
// which side of 1 |v| lies, 0^p = 0 for p > 0 and +∞ for p < 0, (+∞)^p and (−∞)^p = +∞ for p > 0
// and 0 for p < 0, a finite v < 0 NaN. From |p| ≥ 2^24 every float32 is an even integer: |v|^p.
fn pow_of(v: f32, p: f32) -> f32 {
  if (p == 0.0 || v == 1.0) { return 1.0; }
  if (is_nan(v) || is_nan(p)) { return nan(); }
  let magnitude = abs(v);
  if (bitcast<u32>(abs(p)) == INFINITY_BITS) {
    if (magnitude == 1.0) { return 1.0; }
    return select(infinity(), 0.0, (magnitude < 1.0) == (p > 0.0));
  }
  if (abs(p) < 16777216.0 && p == trunc(p)) { return integer_pow(v, p); }
  if (magnitude == 0.0) { return select(infinity(), 0.0, p > 0.0); }
  if (bitcast<u32>(magnitude) == INFINITY_BITS) { return select(0.0, infinity(), p > 0.0); }
  if (v < 0.0 && abs(p) < 16777216.0) { return nan(); }
  // A half-integer p = ±(k + ½) as v^k · √v (its reciprocal for p < 0): a rounding per multiply,
  // where exp2(p · log2 v) errs by |p · log2 v| units (7e-6 at p = 1.5, v = 3.5e24; x^0.5's gradient,
  // p − 1 = −½, was 1.4e-6 off).
  let twice = 2.0 * abs(p);
  if (twice < 16777216.0 && twice == trunc(twice)) {
    let half_power = integer_pow(magnitude, trunc(abs(p))) * sqrt(magnitude);
    return select(1.0 / half_power, half_power, p > 0.0);
  }
  return pow(magnitude, p);
}

fn clamp_of(v: f32) -> f32 {
  if (is_nan(v)) { return v; }
  // select, not max/min: a bound equal to x keeps x itself, so clamp(−0, 0) = −0 as PyTorch's
  // (WGSL's max and min may return either zero).
  var c = v;
  if (HAS_LOW) { c = select(c, params.low, c < params.low); }
  if (HAS_HIGH) { c = select(c, params.high, c > params.high); }
  return c;
}

fn in_clamp_range(v: f32) -> bool {
  return !is_nan(v) && (!HAS_LOW || v >= params.low) && (!HAS_HIGH || v <= params.high);
}

// max(u, v) for OP 6, min(u, v) for OP 7; NaN if either is.
fn extreme_of(u: f32, v: f32) -> f32 {
  if (is_nan(u)) { return u; }
  if (is_nan(v)) { return v; }
  // A tie gives u, as PyTorch's (max(0, −0) = 0), where WGSL's max and min may return either zero.
  return select(select(v, u, u <= v), select(v, u, u >= v), OP == 6u);
}

// u's share of the gradient of max(u, v) (min for OP 7): 1 where u wins, ½ at a tie, 0 where v wins,
// and 1 where either is NaN.
fn extreme_share(u: f32, v: f32) -> f32 {
  if (is_nan(u) || is_nan(v)) { return 1.0; }
  if (u == v) { return 0.5; }
  return select(0.0, 1.0, select((u < v), (u > v), OP == 6u));
}

// sign as PyTorch's: NaN and both zeros give +0 (WGSL's sign of NaN is undefined).
fn sign_of(v: f32) -> f32 {
  return select(select(0.0, -1.0, v < 0.0), 1.0, v > 0.0);
}

// ⌊v⌋, ⌈v⌉, v rounded half to even, or v truncated (OP 11–14). From 2^23 on every float32 is an
// integer, ±∞ and NaN are themselves: those are returned as they are, not left to the hardware.
fn rounded(v: f32) -> f32 {
  if (is_nan(v) || abs(v) >= 8388608.0) { return v; }
  switch OP {
    case 11u: { return floor(v); }
    case 12u: { return ceil(v); }
    case 13u: { return round(v); }
    default: { return trunc(v); }
  }
}

// v − (high + low) · π/2, high and low of 12 significant bits each (high a multiple of 4096 below
// 2^24, low below 4096): π/2 in six parts of 12 significant bits (72 bits of it), so every product
// is exact, and the largest parts go first, both halves of each before the next part, so each
// subtraction cancels what it can exactly.
fn minus_half_pis(v: f32, high: f32, low: f32) -> f32 {
  var r = (v - high * 1.57080078125) - low * 1.57080078125;
  r = (r - high * -4.453584551811218e-6) - low * -4.453584551811218e-6;
  r = (r - high * -8.706138032721356e-10) - low * -8.706138032721356e-10;
  r = (r - high * 6.222800053024002e-14) - low * 6.222800053024002e-14;
  r = (r - high * 5.7208605257555445e-18) - low * 5.7208605257555445e-18;
  return (r - high * 3.2818390803041373e-22) - low * 3.2818390803041373e-22;
}

// sin v, or cos v (OP 16, 17), to float32's precision rather than WGSL's (its sin and cos may be
// 2^-11 off on [−π, π], and nothing is promised outside it: a positional encoding's arguments reach
// thousands). |v| = k · π/2 + r with |r| ≤ π/4, then Cephes' polynomials for sin and cos on
// [−π/4, π/4] (~1e-7 relative). The reduction is exact where it cancels (Cody and Waite's scheme,
// carried to 72 bits of π/2, minus_half_pis), for k < 2^23. Past |v| = 10^7, where float32's
// spacing is already 1, the builtins.
fn sin_cos_of(v: f32, cosine: bool) -> f32 {
  if (is_nan(v) || bitcast<u32>(abs(v)) == INFINITY_BITS) { return nan(); }
  let a = abs(v);
  if (a > 1e7) { return select(sin(v), cos(v), cosine); }
  var k = round(a * 0.63661977); // 2/π: off by one near a boundary, from 10^6 on
  let k_high = floor(k / 4096.0) * 4096.0;
  var r = minus_half_pis(a, k_high, k - k_high);
  let again = round(r * 0.63661977); // 0, or ±1 where k was off: r back within ±π/4
  k += again;
  r = minus_half_pis(r, 0.0, again);
  let z = r * r;
  let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
  let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
  // Quarter turns q = k mod 4: sin a = s, c, −s, −c and cos a = c, −s, −c, s for q = 0, 1, 2, 3.
  let q = u32(k) & 3u;
  if (cosine) { return select(select(c, -s, q == 1u), select(-c, s, q == 3u), q >= 2u); }
  let sine = select(select(s, c, q == 1u), select(-s, -c, q == 3u), q >= 2u);
  return select(sine, -sine, (bitcast<u32>(v) >> 31u) == 1u); // odd: sin(−a) = −sin a, sin(−0) = −0
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
    case 3u: { value = pow_of(v, params.exponent); }
    case 4u: { value = abs(v); }
    case 5u: { value = clamp_of(v); }
    case 6u, 7u: { value = extreme_of(v, other[i]); }
    case 10u: { value = sign_of(v); }
    case 11u, 12u, 13u, 14u: { value = rounded(v); }
    case 15u: { value = pow_of(params.exponent, v); }
    case 16u, 17u: { value = sin_cos_of(v, OP == 17u); }
    case 18u: { value = expm1_of(v); }
    case 19u: { value = log1p_of(v); }
    default: { value = pow_of(v, other[i]); }
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
    // PyTorch's rule: x^0's gradient is 0 everywhere (at x = 0 too, where p · x^(p − 1) is 0 · ∞).
    case 3u: { value = select(g * params.exponent * pow_of(x[i], params.exponent - 1.0), 0.0, params.exponent == 0.0); }
    // sign(±0) = 0; sign(NaN) is undefined in WGSL, and 0 in PyTorch's rule.
    case 4u: { value = select(0.0, g * sign(x[i]), !is_nan(x[i])); }
    case 5u: { value = select(0.0, g, in_clamp_range(x[i])); }
    case 6u, 7u: { value = g * extreme_share(x[i], other[i]); }
    case 8u: { value = select(g * other[i] * pow_of(x[i], other[i] - 1.0), 0.0, other[i] == 0.0); }
    case 10u, 11u, 12u, 13u, 14u: { value = 0.0; }
    case 15u: { value = select(g * y_saved[i] * log_of(params.exponent), 0.0, params.exponent == 0.0 && x[i] >= 0.0); }
    case 16u: { value = g * sin_cos_of(x[i], true); }
    case 17u: { value = -g * sin_cos_of(x[i], false); }
    case 18u: { value = g * exp_of(x[i]); }
    case 19u: { value = g / (1.0 + x[i]); }
    default: { value = select(g * y_saved[i] * log_of(x[i]), 0.0, x[i] == 0.0 && other[i] >= 0.0); }
  }
  if (ACCUMULATE) { dx[i] += value; } else { dx[i] = value; }
}
