// adagrad.wgsl — one fused Adagrad step (torch.optim.Adagrad) over a flat parameter buffer
//
//   g      = grad_sign · grad + weight_decay · θ  (grad_sign −1 to maximize)
//   clr    = lr / (1 + (t − 1) · lr_decay)        (computed on the CPU in float64 for step t)
//   s      = s + g²                                (s starts at initial_accumulator_value)
//   θ      = θ − clr · (g / (√s + eps))
//
// Bindings: params {n, clr, weight_decay, eps, grad_sign}; grad (read); param, state_sum (read_write).
// Geometry: one invocation per element, workgroup WORKGROUP_SIZE (64), element i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  n: u32,
  clr: f32,
  weight_decay: f32,
  eps: f32,
  grad_sign: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> state_sum: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn adagrad_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) { return; }
  let theta = param[i];
  let g = params.grad_sign * grad[i] + params.weight_decay * theta;
  let s = state_sum[i] + g * g;
  state_sum[i] = s;
  param[i] = theta - params.clr * (g / (sqrt(s) + params.eps));
}
