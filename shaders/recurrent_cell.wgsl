// recurrent_cell.wgsl — the elementwise half of one step of an RNN, LSTM or GRU, forward and backward
//
// A recurrent layer projects its whole input sequence in one matmul (x_t · W_ihᵀ + b_ih for every
// t) and each step's state in another (h · W_hhᵀ + b_hh: `hidden`, [rows, G·H]). These kernels do
// the rest of a step over the rows × H hidden units, reading step t's input projection where it
// lies in the sequence's: row n at x[x_offset + n · x_row_stride], G blocks of H in PyTorch's gate
// order (LSTM i, f, g, o; GRU r, z, n).
//
//   rnn_forward      h' = tanh(x + hidden) (relu with RELU)
//   rnn_backward     d = dh' · (1 − h'²) (relu: dh' where h' > 0): dx += d, dhidden = d
//   lstm_forward     i, f, g, o = σ, σ, tanh, σ of the four blocks of x + hidden
//                    c' = f · c + i · g,  h' = o · tanh(c');  the gates kept for backward
//   lstm_backward_h  from dh': dc' = dh' · o · (1 − tanh² c'), and the o block's
//                    d_o = dh' · tanh(c') · o (1 − o) into dx and dhidden (the other blocks 0)
//   lstm_backward_c  from the whole dc': d_i = dc' · g · i (1 − i), d_f = dc' · c · f (1 − f),
//                    d_g = dc' · i · (1 − g²) into dx and dhidden (the o block 0), dc = dc' · f
//   gru_forward      r = σ(x_r + hid_r), z = σ(x_z + hid_z), n = tanh(x_n + r · hid_n),
//                    h' = n + z · (h − n)  (PyTorch's (1 − z) · n + z · h);  r, z, n kept
//   gru_backward     d_n = dh' (1 − z)(1 − n²), d_r = d_n · hid_n · r (1 − r),
//                    d_z = dh' (h − n) · z (1 − z): dx += (d_r, d_z, d_n),
//                    dhidden = (d_r, d_z, d_n · r), dh = dh' · z
//
// An LSTM step is two graph nodes, c' and h' (a node has one output): lstm_backward_h runs first,
// adding its part of dc' to what the later steps gave, and lstm_backward_c then reads all of it.
// dx is the whole sequence's gradient, which the caller clears once: each step adds into its own
// rows (in the LSTM, each backward into its own blocks). With ACCUMULATE_HIDDEN the kernels add into
// dhidden, with ACCUMULATE_STATE into d_state (lstm_backward_h: dc', lstm_backward_c: dc,
// gru_backward: dh); otherwise they overwrite them, blocks they leave out with 0.
// A NaN stays NaN: σ and tanh test for it by its bits (SwiftShader's exp(NaN) is +∞).
//
// Bindings: params {rows, hidden_size, x_offset, x_row_stride}; forward: x, hidden, state (c or h;
// read), gates, state_out (c'), h_out (read_write); backward: x's and hidden's gradients dx and
// dhidden, and d_state (read_write), gates_saved, out_saved (rnn: h', lstm_backward_h: c'), d_out
// (dh' or dc'), hidden and state (read).
// Geometry: one invocation per hidden unit (row n, unit j), workgroup WORKGROUP_SIZE (64); past
// 65,535 workgroups the grid spills into y: k = gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override RELU: bool = false;
override ACCUMULATE_HIDDEN: bool = false;
override ACCUMULATE_STATE: bool = false;

struct Params {
  rows: u32,
  hidden_size: u32,
  x_offset: u32,
  x_row_stride: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> hidden: array<f32>;
@group(0) @binding(3) var<storage, read> state: array<f32>;
@group(0) @binding(4) var<storage, read_write> gates: array<f32>;
@group(0) @binding(5) var<storage, read_write> state_out: array<f32>;
@group(0) @binding(6) var<storage, read_write> h_out: array<f32>;
@group(0) @binding(7) var<storage, read> gates_saved: array<f32>;
@group(0) @binding(8) var<storage, read> out_saved: array<f32>;
@group(0) @binding(9) var<storage, read> d_out: array<f32>;
@group(0) @binding(10) var<storage, read_write> dx: array<f32>;
@group(0) @binding(11) var<storage, read_write> dhidden: array<f32>;
@group(0) @binding(12) var<storage, read_write> d_state: array<f32>;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn sigmoid(v: f32) -> f32 {
  return select(1.0 / (1.0 + exp(-v)), v, is_nan(v));
}

// tanh(v) to float32's precision: near 0, where 1 − 2/(e^(2v) + 1) cancels (relative error 1e-3 at
// |v| ~ 1e-4), Cephes' tanhf polynomial, v + v³·P(v²) for |v| < 0.625 (its bound 2.5e-7 relative); beyond,
// 1 − 2/(e^(2|v|) + 1) with v's sign, which saturates to ±1 where e^(2|v|) overflows. A NaN stays NaN.
fn tanh_accurate(v: f32) -> f32 {
  let a = abs(v);
  if (a < 0.625) {
    let s = v * v;
    return ((((-5.70498872745e-3 * s + 2.06390887954e-2) * s - 5.37397155531e-2) * s + 1.33314422036e-1) * s - 3.33332819422e-1) * s * v + v;
  }
  let t = 1.0 - 2.0 / (exp(2.0 * a) + 1.0);
  return select(select(t, -t, v < 0.0), v, is_nan(v));
}

// One hidden unit: row n, unit j, its index k = n · H + j in [rows, H]; ok is false past the last.
struct Unit {
  n: u32,
  j: u32,
  k: u32,
  ok: bool,
}

fn unit_of(gid: vec3u, groups: vec3u) -> Unit {
  let k = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  let H = params.hidden_size;
  return Unit(k / H, k % H, k, k < params.rows * H);
}

// Block b's element for unit u, in x (the step's rows in the sequence) and in a [rows, G·H] tensor.
fn x_at(u: Unit, b: u32) -> u32 {
  return params.x_offset + u.n * params.x_row_stride + b * params.hidden_size + u.j;
}

fn row_at(u: Unit, gates_per_unit: u32, b: u32) -> u32 {
  return (u.n * gates_per_unit + b) * params.hidden_size + u.j;
}

fn write_dhidden(i: u32, value: f32) {
  if (ACCUMULATE_HIDDEN) { dhidden[i] += value; } else { dhidden[i] = value; }
}

fn write_d_state(i: u32, value: f32) {
  if (ACCUMULATE_STATE) { d_state[i] += value; } else { d_state[i] = value; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rnn_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let u = unit_of(gid, groups);
  if (!u.ok) { return; }
  let v = x[x_at(u, 0u)] + hidden[row_at(u, 1u, 0u)];
  h_out[u.k] = select(tanh_accurate(v), select(0.0, v, v > 0.0 || is_nan(v)), RELU);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn rnn_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let u = unit_of(gid, groups);
  if (!u.ok) { return; }
  let h = out_saved[u.k];
  let d = select(d_out[u.k] * (1.0 - h * h), select(0.0, d_out[u.k], h > 0.0), RELU);
  dx[x_at(u, 0u)] += d;
  write_dhidden(row_at(u, 1u, 0u), d);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn lstm_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let u = unit_of(gid, groups);
  if (!u.ok) { return; }
  let i = sigmoid(x[x_at(u, 0u)] + hidden[row_at(u, 4u, 0u)]);
  let f = sigmoid(x[x_at(u, 1u)] + hidden[row_at(u, 4u, 1u)]);
  let g = tanh_accurate(x[x_at(u, 2u)] + hidden[row_at(u, 4u, 2u)]);
  let o = sigmoid(x[x_at(u, 3u)] + hidden[row_at(u, 4u, 3u)]);
  let c = f * state[u.k] + i * g;
  gates[row_at(u, 4u, 0u)] = i;
  gates[row_at(u, 4u, 1u)] = f;
  gates[row_at(u, 4u, 2u)] = g;
  gates[row_at(u, 4u, 3u)] = o;
  state_out[u.k] = c;
  h_out[u.k] = o * tanh_accurate(c);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn lstm_backward_h(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let u = unit_of(gid, groups);
  if (!u.ok) { return; }
  let o = gates_saved[row_at(u, 4u, 3u)];
  let t = tanh_accurate(out_saved[u.k]);
  let dh = d_out[u.k];
  let d_o = dh * t * o * (1.0 - o);
  dx[x_at(u, 3u)] += d_o;
  if (!ACCUMULATE_HIDDEN) {
    for (var b = 0u; b < 3u; b++) { dhidden[row_at(u, 4u, b)] = 0.0; }
  }
  write_dhidden(row_at(u, 4u, 3u), d_o);
  write_d_state(u.k, dh * o * (1.0 - t * t));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn lstm_backward_c(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let u = unit_of(gid, groups);
  if (!u.ok) { return; }
  let i = gates_saved[row_at(u, 4u, 0u)];
  let f = gates_saved[row_at(u, 4u, 1u)];
  let g = gates_saved[row_at(u, 4u, 2u)];
  let dc = d_out[u.k];
  var d = array<f32, 3>(dc * g * i * (1.0 - i), dc * state[u.k] * f * (1.0 - f), dc * i * (1.0 - g * g));
  for (var b = 0u; b < 3u; b++) {
    dx[x_at(u, b)] += d[b];
    write_dhidden(row_at(u, 4u, b), d[b]);
  }
  if (!ACCUMULATE_HIDDEN) { dhidden[row_at(u, 4u, 3u)] = 0.0; }
  write_d_state(u.k, dc * f);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gru_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let u = unit_of(gid, groups);
  if (!u.ok) { return; }
  let r = sigmoid(x[x_at(u, 0u)] + hidden[row_at(u, 3u, 0u)]);
  let z = sigmoid(x[x_at(u, 1u)] + hidden[row_at(u, 3u, 1u)]);
  let n = tanh_accurate(x[x_at(u, 2u)] + r * hidden[row_at(u, 3u, 2u)]);
  gates[row_at(u, 3u, 0u)] = r;
  gates[row_at(u, 3u, 1u)] = z;
  gates[row_at(u, 3u, 2u)] = n;
  h_out[u.k] = n + z * (state[u.k] - n);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn gru_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let u = unit_of(gid, groups);
  if (!u.ok) { return; }
  let r = gates_saved[row_at(u, 3u, 0u)];
  let z = gates_saved[row_at(u, 3u, 1u)];
  let n = gates_saved[row_at(u, 3u, 2u)];
  let dh = d_out[u.k];
  let d_n = dh * (1.0 - z) * (1.0 - n * n);
  let d_r = d_n * hidden[row_at(u, 3u, 2u)] * r * (1.0 - r);
  let d_z = dh * (state[u.k] - n) * z * (1.0 - z);
  dx[x_at(u, 0u)] += d_r;
  dx[x_at(u, 1u)] += d_z;
  dx[x_at(u, 2u)] += d_n;
  write_dhidden(row_at(u, 3u, 0u), d_r);
  write_dhidden(row_at(u, 3u, 1u), d_z);
  write_dhidden(row_at(u, 3u, 2u), d_n * r);
  write_d_state(u.k, dh * z);
}
