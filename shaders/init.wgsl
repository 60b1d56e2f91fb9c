// init.wgsl — parameter initialisation on the GPU, reproducible from a seed
//
//   fill_uniform   x_i ~ U(low, high):   x_i = low + (high − low) · u_i
//   fill_normal    x_i ~ N(mean, std_dev²):  Box–Muller, x_i = mean + std_dev · √(−2 ln u_i) · cos(2π v_i)
//   fill_constant  x_i = value            (zeros_, ones_, constant_); with ACCUMULATE x_i += value
//   fill_trunc_normal  x_i ~ N(mean, std_dev²) cut to [low, high], by PyTorch's inverse-CDF method:
//                  x_i = clamp(mean + std_dev · √2 · erfinv(erf_low + (erf_high − erf_low) · u_i), low, high),
//                  erf_low/high = erf((low/high − mean) / (std_dev · √2)), computed on the CPU in float64
//                  and kept within ±(1 − 2⁻²⁴), where float32's erfinv is still finite (5.4 std)
// u_i ∈ [0, 1) and v_i come from Threefry-2x32-20 (see dropout.wgsl) with key (seed, stream) and
// counter (i, 0): word 0 gives u_i, word 1 gives v_i, each the top 24 bits scaled by 2⁻²⁴. For
// Box–Muller, u_i is shifted to (0, 1] so the logarithm is finite. Same seed, same values, on any
// adapter.
// Every random PyTorch init scheme reduces to one of these with bounds or a std_dev computed on the
// CPU (Kaiming, Xavier, trunc_normal_, nn.Linear's default: see src/init.ts); orthogonal_'s QR, eye_
// and dirac_ are computed on the CPU and written.
//
// erfinv is Giles's single-precision approximation ("Approximating the erfinv function", GPU Computing
// Gems Jade, 2011): two polynomials in w = −ln(1 − y²), one for the centre (w < 5), one for the tails.
//
// Bindings: params {n, low, high, mean, std_dev, value, seed, stream, erf_low, erf_high}; x (read_write).
// Overrides: ACCUMULATE (fill_constant only: the backward of a sum adds its upstream gradient).
// Geometry: one invocation per element, workgroup WORKGROUP_SIZE (64); element i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override ACCUMULATE: bool = false;

struct Params {
  n: u32,
  low: f32,
  high: f32,
  mean: f32,
  std_dev: f32,
  value: f32,
  seed: u32,
  stream: u32,
  erf_low: f32,
  erf_high: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;

fn rotl(v: u32, r: u32) -> u32 {
  return (v << r) | (v >> (32u - r));
}

// Four Threefry rounds: x0 += x1; x1 = rotl(x1, r) ^ x0, with rotations a, b, c, d.
fn four_rounds(x: vec2u, a: u32, b: u32, c: u32, d: u32) -> vec2u {
  var x0 = x.x;
  var x1 = x.y;
  x0 += x1; x1 = rotl(x1, a) ^ x0;
  x0 += x1; x1 = rotl(x1, b) ^ x0;
  x0 += x1; x1 = rotl(x1, c) ^ x0;
  x0 += x1; x1 = rotl(x1, d) ^ x0;
  return vec2u(x0, x1);
}

// Threefry-2x32-20: five groups of four rounds (rotations 13 15 26 6, then 17 29 16 24, alternating),
// each followed by a key injection; written out so every rotation is a constant.
fn threefry2x32(counter: vec2u, key: vec2u) -> vec2u {
  let ks = array<u32, 3>(key.x, key.y, 0x1BD11BDAu ^ key.x ^ key.y);
  var x = counter + vec2u(ks[0], ks[1]);
  x = four_rounds(x, 13u, 15u, 26u, 6u) + vec2u(ks[1], ks[2] + 1u);
  x = four_rounds(x, 17u, 29u, 16u, 24u) + vec2u(ks[2], ks[0] + 2u);
  x = four_rounds(x, 13u, 15u, 26u, 6u) + vec2u(ks[0], ks[1] + 3u);
  x = four_rounds(x, 17u, 29u, 16u, 24u) + vec2u(ks[1], ks[2] + 4u);
  x = four_rounds(x, 13u, 15u, 26u, 6u) + vec2u(ks[2], ks[0] + 5u);
  return x;
}

fn draws(i: u32) -> vec2f {
  let words = threefry2x32(vec2u(i, 0u), vec2u(params.seed, params.stream));
  return vec2f(f32(words.x >> 8u), f32(words.y >> 8u)) * (1.0 / 16777216.0);
}

fn element(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fill_uniform(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = element(gid, groups);
  if (i >= params.n) { return; }
  x[i] = params.low + (params.high - params.low) * draws(i).x;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fill_normal(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = element(gid, groups);
  if (i >= params.n) { return; }
  let d = draws(i);
  let u = 1.0 - d.x; // (0, 1]
  x[i] = params.mean + params.std_dev * sqrt(-2.0 * log(u)) * cos(6.283185307179586 * d.y);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fill_constant(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = element(gid, groups);
  if (i >= params.n) { return; }
  if (ACCUMULATE) { x[i] += params.value; } else { x[i] = params.value; }
}

// erfinv(y) for y ∈ (−1, 1), float32 (Giles 2011); (1 − y)(1 + y) keeps 1 − y² exact near |y| = 1.
fn erfinv(y: f32) -> f32 {
  var w = -log((1.0 - y) * (1.0 + y));
  var p: f32;
  if (w < 5.0) {
    w = w - 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  return p * y;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn fill_trunc_normal(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = element(gid, groups);
  if (i >= params.n) { return; }
  let y = params.erf_low + (params.erf_high - params.erf_low) * draws(i).x;
  x[i] = clamp(params.mean + params.std_dev * 1.4142135623730951 * erfinv(y), params.low, params.high);
}
