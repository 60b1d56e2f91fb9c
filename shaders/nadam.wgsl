// nadam.wgsl — one fused NAdam step (torch.optim.NAdam) over a flat parameter buffer
//
// Adam with Nesterov momentum (Dozat, 2016): the step looks ahead by using this step's gradient and
// next step's momentum coefficient. PyTorch's schedule of momentum coefficients, at step t:
//   μ_t = β1 · (1 − ½ · 0.96^(t · momentum_decay)),   Π_t = μ_1 · … · μ_t
// For each element:
//   θ = θ · decay_factor                             (decoupled weight decay, PyTorch 2.1's; else 1)
//   g = grad_sign · grad + weight_decay · θ          (grad_sign −1 to maximize)
//   m = β1 · m + (1 − β1) · g
//   v = β2 · v + (1 − β2) · g²
//   d = √(v / (1 − β2ᵗ)) + eps
//   θ = θ − grad_coef · g / d − momentum_coef · m / d
// with grad_coef = lr · (1 − μ_t) / (1 − Π_t) and momentum_coef = lr · μ_{t+1} / (1 − Π_t · μ_{t+1}).
// Every μ, Π and coefficient is the caller's, computed on the CPU (Π per parameter, in float32 as
// PyTorch's mu_product tensor) and rounded once: the kernel needs no step counter.
//
// Bindings: params {n, beta1, one_minus_beta1, beta2, one_minus_beta2, bias_correction2, eps,
// weight_decay, grad_sign, decay_factor, grad_coef, momentum_coef}; grad (read); param, exp_avg,
// exp_avg_sq (read_write). Geometry: one invocation per element, workgroup WORKGROUP_SIZE (64),
// element i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  n: u32,
  beta1: f32,
  one_minus_beta1: f32,
  beta2: f32,
  one_minus_beta2: f32,
  bias_correction2: f32,
  eps: f32,
  weight_decay: f32,
  grad_sign: f32,
  decay_factor: f32,
  grad_coef: f32,
  momentum_coef: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<f32>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn nadam_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) { return; }
  let theta = param[i] * params.decay_factor;
  let g = params.grad_sign * grad[i] + params.weight_decay * theta;
  let m = params.beta1 * exp_avg[i] + params.one_minus_beta1 * g;
  let v = params.beta2 * exp_avg_sq[i] + params.one_minus_beta2 * g * g;
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  let d = sqrt(v / params.bias_correction2) + params.eps;
  param[i] = theta - params.grad_coef * (g / d) - params.momentum_coef * (m / d);
}
