// adadelta.wgsl — one fused Adadelta step (torch.optim.Adadelta) over a flat parameter buffer
//
// Zeiler (2012): the step is the gradient scaled by the ratio of two running RMS values, that of
// past steps over that of past gradients, so its units are the parameter's own; lr scales the
// result (PyTorch's default lr is 1).
//   g = grad_sign · grad + weight_decay · θ          (grad_sign −1 to maximize)
//   s = ρ · s + (1 − ρ) · g²                          (square_avg)
//   Δ = √(a + eps) / √(s + eps) · g                   (a: acc_delta, the previous steps' average)
//   a = ρ · a + (1 − ρ) · Δ²
//   θ = θ − lr · Δ
// 1 − ρ is computed on the CPU in float64 and rounded once (PyTorch's Python float).
//
// Bindings: params {n, lr, rho, one_minus_rho, eps, weight_decay, grad_sign}; grad (read); param,
// square_avg, acc_delta (read_write). Geometry: one invocation per element, workgroup
// WORKGROUP_SIZE (64), element i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  n: u32,
  lr: f32,
  rho: f32,
  one_minus_rho: f32,
  eps: f32,
  weight_decay: f32,
  grad_sign: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> square_avg: array<f32>;
@group(0) @binding(4) var<storage, read_write> acc_delta: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn adadelta_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) { return; }
  let theta = param[i];
  let g = params.grad_sign * grad[i] + params.weight_decay * theta;
  let s = params.rho * square_avg[i] + params.one_minus_rho * g * g;
  let delta = sqrt(acc_delta[i] + params.eps) / sqrt(s + params.eps) * g;
  square_avg[i] = s;
  acc_delta[i] = params.rho * acc_delta[i] + params.one_minus_rho * delta * delta;
  param[i] = theta - params.lr * delta;
}
