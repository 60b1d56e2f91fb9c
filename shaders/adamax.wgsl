// adamax.wgsl — one fused Adamax step (torch.optim.Adamax) over a flat parameter buffer
//
// Adam with the infinity norm in place of the second moment (Kingma & Ba, §7.1), at step t:
//   g = grad_sign · grad + weight_decay · θ          (grad_sign −1 to maximize)
//   m = β1 · m + (1 − β1) · g
//   u = max(β2 · u, |g| + eps)                       (exp_inf: a decaying maximum of |g|, no square root)
//   θ = θ − clr · m / u,      clr = lr / (1 − β1ᵗ)
// eps sits inside the maximum, as PyTorch's, so u > 0 from the first step. 1 − β1 and clr are
// computed on the CPU in float64 and rounded once (PyTorch's Python floats); no step counter here.
//
// Bindings: params {n, beta1, one_minus_beta1, beta2, eps, weight_decay, grad_sign, clr}; grad (read);
// param, exp_avg, exp_inf (read_write). Geometry: one invocation per element, workgroup
// WORKGROUP_SIZE (64), element i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  n: u32,
  beta1: f32,
  one_minus_beta1: f32,
  beta2: f32,
  eps: f32,
  weight_decay: f32,
  grad_sign: f32,
  clr: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<f32>;
@group(0) @binding(4) var<storage, read_write> exp_inf: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn adamax_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) { return; }
  let theta = param[i];
  let g = params.grad_sign * grad[i] + params.weight_decay * theta;
  let m = params.beta1 * exp_avg[i] + params.one_minus_beta1 * g;
  let u = max(params.beta2 * exp_inf[i], abs(g) + params.eps);
  exp_avg[i] = m;
  exp_inf[i] = u;
  param[i] = theta - params.clr * (m / u);
}
