// dropout.wgsl — inverted dropout whose mask is recomputed, never stored
//
//   y_i = x_i / (1 − p)   if u_i ≥ p
//   y_i = 0               otherwise                  (p = 1: every y_i = 0)
// u_i ∈ [0, 1) comes from Threefry-2x32 with 20 rounds (Salmon et al., "Parallel random numbers:
// as easy as 1, 2, 3", SC'11), a counter-based generator: the key is (seed, step) and the counter
// is (i, 0), so element i's draw depends on nothing but those numbers. Forward and backward
// recompute the same mask; no mask buffer exists. u_i = (word0 >> 8) · 2⁻²⁴ (24 exact bits).
//
// Dropout is linear in x, so one entry point serves both directions with the same (seed, step):
//   forward   dropout(input = x,  output = y)
//   backward  dropout(input = dy, output = dx)    with ACCUMULATE, dx += … instead of dx = …
// nn.Dropout skips this kernel in eval mode and for p = 0; run with p = 0 it is the identity anyway
// (every u_i ≥ 0 is kept, scaled by 1).
//
// Bindings: params {n, p, seed, step}; input (read), output (read_write).
// Geometry: one invocation per element, workgroup WORKGROUP_SIZE (64); element i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override ACCUMULATE: bool = false;

struct Params {
  n: u32,
  p: f32,
  seed: u32,
  step: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> input: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;

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

fn scaled_if_kept(i: u32, value: f32) -> f32 {
  let u = f32(threefry2x32(vec2u(i, 0u), vec2u(params.seed, params.step)).x >> 8u) * (1.0 / 16777216.0);
  if (params.p >= 1.0 || u < params.p) { return 0.0; }
  return value / (1.0 - params.p);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn dropout(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) { return; }
  let value = scaled_if_kept(i, input[i]);
  if (ACCUMULATE) { output[i] += value; } else { output[i] = value; }
}
