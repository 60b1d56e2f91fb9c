// rprop.wgsl — one fused Rprop step (torch.optim.Rprop) over a flat parameter buffer
//
// Resilient backpropagation (Riedmiller & Braun, 1993): only the sign of the gradient is used. Each
// element keeps its own step size, grown by η₊ while its gradient keeps its sign and shrunk by η₋
// when the sign flips (a minimum was overshot); after a flip that element does not move, and its
// gradient is remembered as 0, so the next step neither grows nor shrinks it.
//   g = grad_sign · grad                             (grad_sign −1 to maximize)
//   s = lr, prev = 0                                 (first step: state starts here)
//   g · prev > 0:  s = min(s · η₊, step_size_max)
//   g · prev < 0:  s = max(s · η₋, step_size_min),  g = 0
//   θ = θ − sign(g) · s;   prev = g
// PyTorch clamps in all three cases (s · 1 included), as here. Full-batch training is where Rprop
// belongs: mini-batch gradients flip signs by noise.
//
// Bindings: params {n, lr, eta_minus, eta_plus, step_size_min, step_size_max, grad_sign, first_step};
// grad (read); param, prev, step_size (read_write). Geometry: one invocation per element, workgroup
// WORKGROUP_SIZE (64), element i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  n: u32,
  lr: f32,
  eta_minus: f32,
  eta_plus: f32,
  step_size_min: f32,
  step_size_max: f32,
  grad_sign: f32,
  first_step: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> prev: array<f32>;
@group(0) @binding(4) var<storage, read_write> step_size: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn rprop_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) { return; }
  var g = params.grad_sign * grad[i];
  let first = params.first_step != 0u;
  let agreement = g * select(prev[i], 0.0, first);
  var factor = 1.0;
  if (agreement > 0.0) { factor = params.eta_plus; }
  if (agreement < 0.0) {
    factor = params.eta_minus;
    g = 0.0;
  }
  let s = clamp(select(step_size[i], params.lr, first) * factor, params.step_size_min, params.step_size_max);
  step_size[i] = s;
  param[i] = param[i] - sign(g) * s;
  prev[i] = g;
}
