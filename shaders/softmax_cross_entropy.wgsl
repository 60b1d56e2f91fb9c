// softmax_cross_entropy.wgsl — fused softmax + cross-entropy, loss and gradient in one pass
// (and nn.NLLLoss, the same without the softmax: nll_rows below)
//
// nn.CrossEntropyLoss with PyTorch's options, for logits z (N rows × C classes), integer labels t,
// class weights w (all 1 without HAS_WEIGHT) and label smoothing ε. Per row, with
// lse_i = max_i + log Σ_j e^(z_ij − max_i)   (max-subtracted: ±1e4 stays finite):
//   nll_i     = w_t · (lse_i − z_i,t)
//   smooth_i  = Σ_j w_j · (lse_i − z_ij)                               (only read when ε > 0)
//   loss_i    = (1 − ε) · nll_i + ε/C · smooth_i                         → row_loss
//   weight_i  = w_t                                                      → row_weight
//   dz_ij     = ((1 − ε) · w_t · (p_ij − [j = t]) + ε/C · (p_ij · Σ_k w_k − w_j)) · scale
// with p_i = softmax(z_i). A row whose label equals ignore_index (IGNORE) has loss, weight and
// gradient 0. A label outside [0, C) makes its row's loss and gradient NaN, so a bad label cannot pass
// unnoticed (PyTorch raises; a GPU cannot, but the NaN loss stops training and reaches the weights),
// and the mean records the first such row and its label, so the error can name them.
// A NaN logit makes its row's loss and gradient NaN, as in PyTorch.
// Reductions (PyTorch's): 'mean' = Σ loss_i / Σ weight_i (so with weights or ignored rows the mean
// divides by the summed weights of the counted rows), 'sum' = Σ loss_i, 'none' = loss_i itself.
// scale = grad_scale (1/N for an unweighted mean, 1 for a sum), divided by norm[0] = Σ weight_i under
// NORMALIZE (a weighted or ignoring mean, whose denominator only the GPU knows).
// Labels are read as 32-bit integers: an int32 tensor binds as its bits, so ignore_index −100
// (PyTorch's default) matches; (1 − ε) and ε/C are computed on the CPU in float64, rounded once.
//
// Entry points:
//   cross_entropy_normalizer  a single invocation: norm[0] = Σ weight_i (NORMALIZE only; runs first),
//                             summed in blocks of 64 rows, 64 blocks and so on (sums_of_rows below).
//   cross_entropy_rows        one invocation per row (workgroup WORKGROUP_SIZE (64); rows past 65,535 workgroups spill
//                             into the grid's y): writes row_loss[i], row_weight[i] and the row's dz.
//   nll_rows                  cross_entropy_rows for nn.NLLLoss, whose input z already holds
//                             log-probabilities (a log_softmax's output), so no softmax:
//                             loss_i = −w_t · z_i,t, dz_ij = −w_t · [j = t] · scale (no smoothing);
//                             weights, ignored and bad labels, NaN and the means as above.
//   cross_entropy_mean        a single invocation (summing in blocks, as sums_of_rows says):
//                             loss[0] = Σ row_loss / N, or / Σ row_weight under
//                             WEIGHTED_MEAN, or the plain sum under SUM. It also adds that loss and the
//                             count of counted rows whose arg-max equals the label to metrics[0] and
//                             metrics[1], the counted rows to metrics[2] and 1 to metrics[3] (batches),
//                             and records in metrics[4] the first batch (counting from 1) whose loss
//                             was NaN or infinite, so a training loop can read its epoch's loss and
//                             accuracy once, at the end. The first batch with a label outside [0, C)
//                             (not ignored) goes to metrics[5], its first such row to metrics[6] (exact
//                             below 2^24 rows) and that label's 32 bits, as two exact 16-bit halves,
//                             to metrics[7] (high) and metrics[8] (low).
//   cross_entropy_mean_tree   the same loss, metrics and options by one workgroup of 256: invocation
//                             t takes rows t, t + 256, …, then the partial sums (loss, weight, correct,
//                             counted) are added pairwise in workgroup memory, the first bad row kept
//                             as the lesser of each pair, and invocation 0
//                             writes loss and metrics. Wins on GPUs once N is in the hundreds; on
//                             SwiftShader, where each barrier is a coroutine switch, the serial
//                             cross_entropy_mean wins at training batch sizes.
//
// Bindings: params {N, C, grad_scale, ignore_index, one_minus_smoothing, smoothing_over_c};
// logits, labels, class_weight (read; any 1-element buffer without HAS_WEIGHT); norm, row_loss,
// row_weight, dlogits, loss, metrics (read_write; norm and row_weight may be 1-element placeholders
// unless NORMALIZE or WEIGHTED_MEAN needs them).

override WORKGROUP_SIZE: u32 = 64u;
override ACCUMULATE: bool = false;
override HAS_WEIGHT: bool = false;
override IGNORE: bool = false;
override NORMALIZE: bool = false;
override WEIGHTED_MEAN: bool = false;
override SUM: bool = false;

struct Params {
  N: u32,
  C: u32,
  grad_scale: f32,
  ignore_index: i32,
  one_minus_smoothing: f32,
  smoothing_over_c: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<u32>;
@group(0) @binding(3) var<storage, read> class_weight: array<f32>;
@group(0) @binding(4) var<storage, read_write> norm: array<f32>;
@group(0) @binding(5) var<storage, read_write> row_loss: array<f32>;
@group(0) @binding(6) var<storage, read_write> row_weight: array<f32>;
@group(0) @binding(7) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(8) var<storage, read_write> loss: array<f32>;
@group(0) @binding(9) var<storage, read_write> metrics: array<f32>;

// NaN is recognised by its bits: WGSL lets an implementation assume no NaN, so max(NaN, x) may
// return x.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// max(a, b), except that a NaN in either gives NaN.
fn max_keep_nan(a: f32, b: f32) -> f32 {
  return select(select(max(a, b), b, is_nan(b)), a, is_nan(a));
}

fn weight_of(j: u32) -> f32 {
  if (HAS_WEIGHT) { return class_weight[j]; }
  return 1.0;
}

fn is_ignored(label: i32) -> bool {
  return IGNORE && label == params.ignore_index;
}

// The weight a row counts with in a mean: w_t, 0 when ignored, 1 for an out-of-range label.
fn row_weight_of(label: i32) -> f32 {
  if (is_ignored(label)) { return 0.0; }
  if (label < 0 || u32(label) >= params.C) { return 1.0; }
  return weight_of(u32(label));
}

// A row's label as both row entry points read it: ignored or not, inside [0, C) or not, and its
// class t (C, which matches no class, for a label outside).
struct RowLabel {
  label: i32,
  ignored: bool,
  valid: bool,
  t: u32,
}

fn row_label(row: u32) -> RowLabel {
  let label = bitcast<i32>(labels[row]);
  let valid = label >= 0 && u32(label) < params.C;
  return RowLabel(label, is_ignored(label), valid, select(params.C, u32(label), valid));
}

fn quiet_nan() -> f32 {
  let quiet_nan_bits = 0x7fc00000u; // a runtime value: a constant NaN is a WGSL compile error
  return bitcast<f32>(quiet_nan_bits);
}

// The factor of a row's gradient: grad_scale (over Σ weights under NORMALIZE), 0 for an ignored row,
// NaN for a label outside [0, C).
fn gradient_scale(r: RowLabel) -> f32 {
  if (r.ignored) { return 0.0; }
  if (!r.valid) { return quiet_nan(); }
  if (NORMALIZE) { return params.grad_scale / norm[0]; }
  return params.grad_scale;
}

// A float32 sum over a row's terms, added in blocks of 64, of 64 blocks and so on: one running total
// loses digits as it grows, where the sums of 64 at each level keep the rounding to a few dozen
// additions' worth (softmax.wgsl's twin; each .wgsl reads alone).
struct BlockedSum {
  block: f32,   // the current block's terms (up to 64)
  blocks: f32,  // its finished blocks (up to 64)
  groups: f32,  // finished groups of 64 blocks (up to 64)
  rest: f32,    // the rest, 262,144 terms at a time
  count: u32,
}

fn no_terms() -> BlockedSum {
  return BlockedSum(0.0, 0.0, 0.0, 0.0, 0u);
}

fn add_term(sum: ptr<function, BlockedSum>, v: f32) {
  (*sum).block += v;
  (*sum).count++;
  if (((*sum).count & 63u) != 0u) { return; }
  (*sum).blocks += (*sum).block;
  (*sum).block = 0.0;
  if (((*sum).count & 4095u) != 0u) { return; }
  (*sum).groups += (*sum).blocks;
  (*sum).blocks = 0.0;
  if (((*sum).count & 262143u) != 0u) { return; }
  (*sum).rest += (*sum).groups;
  (*sum).groups = 0.0;
}

fn total_of(sum: BlockedSum) -> f32 {
  return sum.rest + (sum.groups + (sum.blocks + sum.block));
}

@compute @workgroup_size(1)
fn cross_entropy_normalizer() {
  // In blocks (BlockedSum): one running float32 total over a million weights of 0.3 and 0.4 was
  // 7.4e-3 off, and every gradient with it.
  var weights = no_terms();
  for (var row = 0u; row < params.N; row++) { add_term(&weights, row_weight_of(bitcast<i32>(labels[row]))); }
  norm[0] = total_of(weights);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn cross_entropy_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let row = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (row >= params.N) { return; }
  let C = params.C;
  let base = row * C;
  let r = row_label(row);
  let t = r.t;

  var row_max = logits[base];
  for (var j = 1u; j < C; j++) { row_max = max_keep_nan(row_max, logits[base + j]); }
  // Sums over the row in blocks (BlockedSum): a vocabulary of 50,000 classes, one running total, was 4.9e-6 off.
  var exps = no_terms();
  var weights = no_terms();
  for (var j = 0u; j < C; j++) {
    add_term(&exps, exp(logits[base + j] - row_max));
    add_term(&weights, weight_of(j));
  }
  let sum_exp = total_of(exps);
  let weight_sum = total_of(weights);
  let log_sum_exp = log(sum_exp); // lse − max

  let w_t = row_weight_of(r.label);
  if (WEIGHTED_MEAN) { row_weight[row] = w_t; }
  if (r.ignored) {
    row_loss[row] = 0.0;
  } else if (!r.valid) {
    row_loss[row] = quiet_nan();
  } else {
    let nll = w_t * (log_sum_exp - (logits[base + t] - row_max));
    var smoothed = no_terms();
    if (params.smoothing_over_c != 0.0) {
      for (var j = 0u; j < C; j++) { add_term(&smoothed, weight_of(j) * (log_sum_exp - (logits[base + j] - row_max))); }
    }
    row_loss[row] = params.one_minus_smoothing * nll + params.smoothing_over_c * total_of(smoothed);
  }

  let scale = gradient_scale(r);
  for (var j = 0u; j < C; j++) {
    let p = exp(logits[base + j] - row_max) / sum_exp;
    let hard = params.one_minus_smoothing * w_t * (p - select(0.0, 1.0, j == t));
    let soft = params.smoothing_over_c * (p * weight_sum - weight_of(j));
    let g = (hard + soft) * scale;
    if (ACCUMULATE) { dlogits[base + j] += g; } else { dlogits[base + j] = g; }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn nll_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let row = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (row >= params.N) { return; }
  let base = row * params.C;
  let r = row_label(row);
  let w_t = row_weight_of(r.label);
  if (WEIGHTED_MEAN) { row_weight[row] = w_t; }
  if (r.ignored) {
    row_loss[row] = 0.0;
  } else if (!r.valid) {
    row_loss[row] = quiet_nan();
  } else {
    row_loss[row] = -w_t * logits[base + r.t];
  }
  let scale = gradient_scale(r);
  for (var j = 0u; j < params.C; j++) {
    let g = select(0.0, -w_t, j == r.t) * scale;
    if (ACCUMULATE) { dlogits[base + j] += g; } else { dlogits[base + j] = g; }
  }
}

// The sums a batch's loss and metrics come from: Σ row_loss, Σ row_weight (WEIGHTED_MEAN), the
// counted (not ignored) rows whose arg-max equals the label, the counted rows, and the first row
// whose label is outside [0, C) (N when none is).
struct RowSums {
  loss: f32,
  weight: f32,
  correct: f32,
  counted: f32,
  first_bad: u32,
}

fn add_row(sums: ptr<function, RowSums>, row: u32) {
  (*sums).loss += row_loss[row];
  if (WEIGHTED_MEAN) { (*sums).weight += row_weight[row]; }
  let r = row_label(row);
  if (r.ignored) { return; }
  (*sums).counted += 1.0;
  // Rows come in ascending order to each invocation: the first bad one seen is its least.
  if (!r.valid && (*sums).first_bad == params.N) { (*sums).first_bad = row; }
  // arg-max, first index on ties (as torch.argmax)
  let base = row * params.C;
  var best = 0u;
  for (var j = 1u; j < params.C; j++) {
    if (logits[base + j] > logits[base + best]) { best = j; }
  }
  (*sums).correct += select(0.0, 1.0, best == r.t); // t is C, no class, for a bad label
}

fn merged(a: RowSums, b: RowSums) -> RowSums {
  return RowSums(a.loss + b.loss, a.weight + b.weight, a.correct + b.correct, a.counted + b.counted, min(a.first_bad, b.first_bad));
}

// The sums of rows first, first + stride, … below N, added in blocks of 64 rows, of 64 blocks and of
// 64 of those: one running float32 total over them all loses digits as it grows (the mean of a
// million rows' losses was 6.6e-4 off), where sums of 64 at each level keep the rounding to a few
// dozen additions' worth.
fn sums_of_rows(first: u32, stride: u32) -> RowSums {
  let none = RowSums(0.0, 0.0, 0.0, 0.0, params.N);
  var rows = none;   // the current block's rows (up to 64; add_row takes a whole variable)
  var blocks = none; // its finished blocks (up to 64)
  var groups = none; // finished groups of 64 blocks (up to 64)
  var rest = none;   // the rest, 262,144 rows at a time
  var count = 0u;
  for (var row = first; row < params.N; row += stride) {
    add_row(&rows, row);
    count++;
    if ((count & 63u) != 0u) { continue; }
    blocks = merged(blocks, rows);
    rows = none;
    if ((count & 4095u) != 0u) { continue; }
    groups = merged(groups, blocks);
    blocks = none;
    if ((count & 262143u) != 0u) { continue; }
    rest = merged(rest, groups);
    groups = none;
  }
  return merged(rest, merged(groups, merged(blocks, rows)));
}

@compute @workgroup_size(1)
fn cross_entropy_mean() {
  write_mean(sums_of_rows(0u, 1u));
}

var<workgroup> partial: array<RowSums, 256>;

@compute @workgroup_size(256)
fn cross_entropy_mean_tree(@builtin(local_invocation_index) t: u32) {
  partial[t] = sums_of_rows(t, 256u);
  for (var stride = 128u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (t < stride) {
      let other = partial[t + stride];
      partial[t].loss += other.loss;
      partial[t].weight += other.weight;
      partial[t].correct += other.correct;
      partial[t].counted += other.counted;
      partial[t].first_bad = min(partial[t].first_bad, other.first_bad);
    }
  }
  if (t == 0u) { write_mean(partial[0]); }
}

// loss[0] and the epoch's running metrics, from the batch's sums.
fn write_mean(sums: RowSums) {
  var value = sums.loss / f32(params.N);
  if (WEIGHTED_MEAN) { value = sums.loss / sums.weight; }
  if (SUM) { value = sums.loss; }
  loss[0] = value;
  // An all-ones exponent means NaN or ±∞; tested on the bits, which no float optimisation can fold.
  let non_finite = (bitcast<u32>(value) & 0x7f800000u) == 0x7f800000u;
  if (non_finite && metrics[4] == 0.0) { metrics[4] = metrics[3] + 1.0; }
  if (sums.first_bad < params.N && metrics[5] == 0.0) {
    let bits = labels[sums.first_bad];
    metrics[5] = metrics[3] + 1.0;
    metrics[6] = f32(sums.first_bad);
    metrics[7] = f32(bits >> 16u);
    metrics[8] = f32(bits & 0xffffu);
  }
  metrics[0] += value;
  metrics[1] += sums.correct;
  metrics[2] += sums.counted;
  metrics[3] += 1.0;
}
