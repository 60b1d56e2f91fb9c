// radam.wgsl — one fused RAdam step (torch.optim.RAdam) over a flat parameter buffer
//
// Rectified Adam (Liu et al., 2019): Adam's adaptive step is unreliable while few gradients have
// been seen, so early steps are plain momentum, and later ones Adam's scaled by a rectification r_t.
// At step t, from ρ∞ = 2/(1 − β2) − 1 and ρ_t = ρ∞ − 2t·β2ᵗ/(1 − β2ᵗ) (the caller's, on the CPU):
//   θ = θ · decay_factor                             (decoupled weight decay, PyTorch 2.1's; else 1)
//   g = grad_sign · grad + weight_decay · θ          (grad_sign −1 to maximize)
//   m = β1 · m + (1 − β1) · g
//   v = β2 · v + (1 − β2) · g²
//   m̂ = m / (1 − β1ᵗ)
//   ρ_t > 5 (rectified = 1):  θ = θ − lr · m̂ · r_t · √(1 − β2ᵗ) / (√v + eps),
//                             r_t = √((ρ_t − 4)(ρ_t − 2) ρ∞ / ((ρ∞ − 4)(ρ∞ − 2) ρ_t))
//   otherwise:                θ = θ − lr · m̂          (v is still updated)
// The branch is the same for every element of a step, so it costs no divergence. With the default
// β2 = 0.999 the first 5 steps are unrectified.
//
// Bindings: params {n, beta1, one_minus_beta1, beta2, one_minus_beta2, bias_correction1, eps,
// weight_decay, grad_sign, decay_factor, lr, adaptive_scale, rectified}, adaptive_scale = r_t ·
// √(1 − β2ᵗ); grad (read); param, exp_avg, exp_avg_sq (read_write). Geometry: one invocation per
// element, workgroup WORKGROUP_SIZE (64), element i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  n: u32,
  beta1: f32,
  one_minus_beta1: f32,
  beta2: f32,
  one_minus_beta2: f32,
  bias_correction1: f32,
  eps: f32,
  weight_decay: f32,
  grad_sign: f32,
  decay_factor: f32,
  lr: f32,
  adaptive_scale: f32,
  rectified: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<f32>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn radam_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) { return; }
  let theta = param[i] * params.decay_factor;
  let g = params.grad_sign * grad[i] + params.weight_decay * theta;
  let m = params.beta1 * exp_avg[i] + params.one_minus_beta1 * g;
  let v = params.beta2 * exp_avg_sq[i] + params.one_minus_beta2 * g * g;
  exp_avg[i] = m;
  exp_avg_sq[i] = v;
  let m_hat = m / params.bias_correction1;
  if (params.rectified != 0u) {
    param[i] = theta - m_hat * params.lr * (params.adaptive_scale / (sqrt(v) + params.eps));
  } else {
    param[i] = theta - m_hat * params.lr;
  }
}
