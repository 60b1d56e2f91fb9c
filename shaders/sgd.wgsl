// sgd.wgsl — one fused SGD step (torch.optim.SGD) over a flat parameter buffer
//
//   g = grad_sign · grad + weight_decay · θ          (grad_sign −1 to maximize)
//   with momentum μ ≠ 0:
//     b = g                               on the first step
//     b = μ · b + (1 − dampening) · g     afterwards
//     g = g + μ · b  (nesterov)   or   g = b
//   θ = θ − lr · g
// 1 − dampening is computed on the CPU in float64 and rounded once, as PyTorch's Python float.
//
// Bindings: params {n, lr, momentum, one_minus_dampening, weight_decay, grad_sign, first_step}; grad (read);
// param, momentum_buffer (read_write; bind any 1-element buffer when momentum is 0).
// Overrides: NESTEROV. Geometry: one invocation per element, workgroup WORKGROUP_SIZE (64),
// element i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override NESTEROV: bool = false;

struct Params {
  n: u32,
  lr: f32,
  momentum: f32,
  one_minus_dampening: f32,
  weight_decay: f32,
  grad_sign: f32,
  first_step: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> momentum_buffer: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn sgd_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) { return; }
  let theta = param[i];
  var g = params.grad_sign * grad[i] + params.weight_decay * theta;
  if (params.momentum != 0.0) {
    var b = g;
    if (params.first_step == 0u) {
      b = params.momentum * momentum_buffer[i] + params.one_minus_dampening * g;
    }
    momentum_buffer[i] = b;
    if (NESTEROV) { g = g + params.momentum * b; } else { g = b; }
  }
  param[i] = theta - params.lr * g;
}
