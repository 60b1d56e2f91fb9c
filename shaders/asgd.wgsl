// asgd.wgsl — one fused ASGD step (torch.optim.ASGD) over a flat parameter buffer
//
// Averaged SGD (Polyak & Juditsky, 1992): plain SGD with a slowly decaying step size, plus ax, the
// running average of the parameters over the steps since t0, which converges faster than θ itself.
// With η and μ the parameter's current step size and averaging weight (the caller's, see below):
//   g  = grad_sign · grad + weight_decay · θ          (grad_sign −1 to maximize)
//   θ  = θ · (1 − λ·η) − η · g                        (decay_factor = 1 − λ·η)
//   ax = ax + μ · (θ − ax)        while averaging (μ ≠ 1, steps past t0)
//   ax = θ                        otherwise
// After step t the caller sets η = lr / (1 + λ·lr·t)^α and μ = 1 / max(1, t − t0) for the next step
// (η starts at lr, μ at 1): two numbers per parameter, kept on the CPU in float32 as PyTorch's
// state['eta'] and state['mu'] tensors, so the kernel needs no step counter.
//
// Bindings: params {n, decay_factor, eta, mu, weight_decay, grad_sign, averaging}; grad (read);
// param, ax (read_write). Geometry: one invocation per element, workgroup WORKGROUP_SIZE (64),
// element i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  n: u32,
  decay_factor: f32,
  eta: f32,
  mu: f32,
  weight_decay: f32,
  grad_sign: f32,
  averaging: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> ax: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn asgd_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) { return; }
  let theta = param[i];
  let g = params.grad_sign * grad[i] + params.weight_decay * theta;
  let updated = theta * params.decay_factor - params.eta * g;
  param[i] = updated;
  if (params.averaging != 0u) {
    ax[i] = ax[i] + (updated - ax[i]) * params.mu;
  } else {
    ax[i] = updated;
  }
}
