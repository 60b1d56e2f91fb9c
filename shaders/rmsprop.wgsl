// rmsprop.wgsl — one fused RMSprop step (torch.optim.RMSprop) over a flat parameter buffer
//
//   g    = grad_sign · grad + weight_decay · θ          (grad_sign −1 to maximize)
//   s    = α · s + (1 − α) · g²                       (square_avg)
//   centered:  a = α · a + (1 − α) · g;  d = √(s − a²) + eps      otherwise d = √s + eps
//   momentum μ > 0:  b = μ · b + g / d;  θ = θ − lr · b
//   otherwise:       θ = θ − lr · (g / d)
// 1 − α is computed on the CPU in float64 and rounded once (PyTorch's Python float): in float32,
// 1 − 0.9999 would be off by 1.7e-4 relative.
//
// Bindings: params {n, lr, alpha, one_minus_alpha, eps, weight_decay, grad_sign, momentum}; grad (read); param, square_avg,
// grad_avg, momentum_buffer (read_write; bind any 1-element buffer for the state a setting leaves
// unused). Overrides: CENTERED. Geometry: one invocation per element, workgroup WORKGROUP_SIZE (64),
// element i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override CENTERED: bool = false;

struct Params {
  n: u32,
  lr: f32,
  alpha: f32,
  one_minus_alpha: f32,
  eps: f32,
  weight_decay: f32,
  grad_sign: f32,
  momentum: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> square_avg: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad_avg: array<f32>;
@group(0) @binding(5) var<storage, read_write> momentum_buffer: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn rmsprop_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) { return; }
  let theta = param[i];
  let g = params.grad_sign * grad[i] + params.weight_decay * theta;
  let s = params.alpha * square_avg[i] + params.one_minus_alpha * g * g;
  square_avg[i] = s;
  var d = sqrt(s) + params.eps;
  if (CENTERED) {
    let a = params.alpha * grad_avg[i] + params.one_minus_alpha * g;
    grad_avg[i] = a;
    d = sqrt(s - a * a) + params.eps;
  }
  if (params.momentum > 0.0) {
    let b = params.momentum * momentum_buffer[i] + g / d;
    momentum_buffer[i] = b;
    param[i] = theta - params.lr * b;
  } else {
    param[i] = theta - params.lr * (g / d);
  }
}
