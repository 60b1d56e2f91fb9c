// softmax_cross_entropy.wgsl — fused softmax + cross-entropy, loss and gradient in one pass
//
// For logits z (N rows × C classes) and integer labels t:
//   loss_i    = log Σ_j e^(z_ij − max_i) − (z_i,t_i − max_i)      (max-subtracted: ±1e4 stays finite)
//   dz_ij     = (softmax(z_i)_j − [j = t_i]) · grad_scale          (grad_scale = 1/N for the mean)
//   loss      = Σ_i loss_i / N                                     (nn.CrossEntropyLoss's mean)
// A label outside [0, C) makes its row's loss NaN, so a bad label cannot pass unnoticed.
//
// Entry points:
//   cross_entropy_rows   one invocation per row (workgroup WORKGROUP_SIZE (64); rows past 65,535 workgroups spill
//                        into the grid's y): writes row_loss[i] and the row's dz.
//   cross_entropy_mean   a single invocation sums row_loss into loss[0] / N. It also adds the mean
//                        loss and the count of rows whose arg-max equals the label to
//                        metrics[0] and metrics[1], N to metrics[2] and 1 to metrics[3] (batches),
//                        and records in metrics[4] the first batch (counting from 1) whose loss was
//                        NaN or infinite, so a training loop can
//                        read its epoch's loss and accuracy once, at the end.
//
// Bindings: params {N, C, grad_scale}; logits, labels (read); row_loss, dlogits (read_write);
// loss, metrics (read_write).

override WORKGROUP_SIZE: u32 = 64u;
override ACCUMULATE: bool = false;

struct Params {
  N: u32,
  C: u32,
  grad_scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(4) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(5) var<storage, read_write> loss: array<f32>;
@group(0) @binding(6) var<storage, read_write> metrics: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn cross_entropy_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let row = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (row >= params.N) { return; }
  let C = params.C;
  let base = row * C;
  let label = labels[row];

  var row_max = logits[base];
  for (var j = 1u; j < C; j++) { row_max = max(row_max, logits[base + j]); }
  var sum_exp = 0.0;
  for (var j = 0u; j < C; j++) { sum_exp += exp(logits[base + j] - row_max); }

  if (label >= C) {
    let quiet_nan_bits = 0x7fc00000u; // a runtime value: a constant NaN is a WGSL compile error
    row_loss[row] = bitcast<f32>(quiet_nan_bits);
  } else {
    row_loss[row] = log(sum_exp) - (logits[base + label] - row_max);
  }

  for (var j = 0u; j < C; j++) {
    let p = exp(logits[base + j] - row_max) / sum_exp;
    let g = (p - select(0.0, 1.0, j == label)) * params.grad_scale;
    if (ACCUMULATE) { dlogits[base + j] += g; } else { dlogits[base + j] = g; }
  }
}

@compute @workgroup_size(1)
fn cross_entropy_mean() {
  let C = params.C;
  var total = 0.0;
  var correct = 0.0;
  for (var row = 0u; row < params.N; row++) {
    total += row_loss[row];
    // arg-max, first index on ties (as torch.argmax)
    let base = row * C;
    var best = 0u;
    for (var j = 1u; j < C; j++) {
      if (logits[base + j] > logits[base + best]) { best = j; }
    }
    correct += select(0.0, 1.0, best == labels[row]);
  }
  let mean = total / f32(params.N);
  loss[0] = mean;
  // An all-ones exponent means NaN or ±∞; tested on the bits, which no float optimisation can fold.
  let non_finite = (bitcast<u32>(mean) & 0x7f800000u) == 0x7f800000u;
  if (non_finite && metrics[4] == 0.0) { metrics[4] = metrics[3] + 1.0; }
  metrics[0] += mean;
  metrics[1] += correct;
  metrics[2] += f32(params.N);
  metrics[3] += 1.0;
}
