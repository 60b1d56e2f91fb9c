// pool3d.wgsl — 3-D pooling over NCDHW, forward and backward, as torch.nn.functional's
// max_pool3d, avg_pool3d, adaptive_avg_pool3d and adaptive_max_pool3d
//
// x is N×C×D×H×W, y is N×C×OD×OH×OW. Each (n, c) volume pools on its own. Per spatial axis, with
// kernel K, stride s, padding p and dilation d (ceil_mode off, as PyTorch's default; depth shown):
//   OD = ⌊(D + 2·p − d·(K − 1) − 1) / s⌋ + 1,   window depths id = od·s − p + kd·d, kd < KD
// max_pool3d:   y[n, c, od, oh, ow] = max over the window's positions inside the input (padding is
//               −∞, never chosen); indices[n, c, od, oh, ow] = (id·H + ih)·W + iw of that maximum,
//               as PyTorch's return_indices. Ties keep the first maximum in window order (kd, kh,
//               then kw), as PyTorch's CPU kernel (it replaces only on a strictly greater value);
//               a NaN wins, the last one. Backward: dx[n, c, id, ih, iw] = Σ over the windows holding
//               (id, ih, iw) whose index is (id·H + ih)·W + iw of dy  (a gather: no atomics).
// avg_pool3d:   y = Σ window / count, where count = KD·KH·KW with COUNT_INCLUDE_PAD (PyTorch's
//               default: padded zeros count; without ceil_mode a window never leaves the padded
//               input), or the number of the window's positions inside the input otherwise.
//               Backward: dx[n, c, id, ih, iw] = Σ over the windows holding it of dy / count.
// adaptive pooling to OD×OH×OW: output od pools depths ⌊od·D/OD⌋ ≤ t < ⌈(od + 1)·D/OD⌉, and the same
//               for rows and columns (PyTorch's start_index and end_index): bins cover the input,
//               neighbours overlap by at most one position where the sizes do not divide. The bins
//               holding position t are those from ⌊t·OD/D⌋ on whose first position is ≤ t.
// adaptive_avg_pool3d: y = Σ bin / its size;  dx = Σ over the bins holding the position of dy / size.
// adaptive_max_pool3d: y = max of the bin, indices = (t·H + h)·W + w of it (first maximum, last NaN);
//               dx = Σ over the bins holding the position whose index is it of dy.
// ACCUMULATE adds into dx instead of overwriting (gradients add up, as in PyTorch).
//
// Why a file of its own and not a depth axis in pool.wgsl: pool.wgsl's kernels serve every 2-D and
// 1-D network here and stay one formula each; this file is the same formulas with a third loop, and a
// student reads either alone. (A 3-D max pool is not separable into a depth pass and a 2-D pass
// without losing the one arg-max per window that return_indices and the backward need.)
//
// Bindings: params {N, C, D, H, W, OD, OH, OW, KD, KH, KW, stride_*, pad_*, dil_*}; x, dy, indices_in
// (read); y, indices (u32), dx (read_write). Each entry binds what it uses.
//
// Entry points and geometry: one invocation per element written, workgroup WORKGROUP_SIZE (64), 1-D
// work spilling past 65,535 workgroups into the grid's y: i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).
//   max_pool3d_forward, avg_pool3d_forward      per element of y: a loop over the window.
//   max_pool3d_backward, avg_pool3d_backward    per element of dx: a loop over the (at most
//                                               ⌈K/s⌉³ for d = 1) windows holding it.
//   adaptive_avg_pool3d_forward,                per element of y: a loop over its bin.
//   adaptive_max_pool3d_forward
//   adaptive_avg_pool3d_backward,               per element of dx: a loop over the bins holding it.
//   adaptive_max_pool3d_backward

override COUNT_INCLUDE_PAD: bool = true;
override ACCUMULATE: bool = false;
override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  N: u32,
  C: u32,
  D: u32,
  H: u32,
  W: u32,
  OD: u32,
  OH: u32,
  OW: u32,
  KD: u32,
  KH: u32,
  KW: u32,
  stride_d: u32,
  stride_h: u32,
  stride_w: u32,
  pad_d: u32,
  pad_h: u32,
  pad_w: u32,
  dil_d: u32,
  dil_h: u32,
  dil_w: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@group(0) @binding(3) var<storage, read_write> indices: array<u32>;
@group(0) @binding(4) var<storage, read> dy: array<f32>;
@group(0) @binding(5) var<storage, read> indices_in: array<u32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;

fn element_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

// Element i of a row-major 5-D tensor [N, C, D, H, W], as its (n, c, d, h, w). The same text in
// conv3d.wgsl and pool3d.wgsl (a test checks), so each file reads alone.
struct Ncdhw { n: u32, c: u32, d: u32, h: u32, w: u32 }

fn ncdhw(i: u32, C: u32, D: u32, H: u32, W: u32) -> Ncdhw {
  return Ncdhw(i / (W * H * D * C), (i / (W * H * D)) % C, (i / (W * H)) % D, (i / W) % H, i % W);
}

fn write_dx(i: u32, value: f32) {
  if (ACCUMULATE) { dx[i] += value; } else { dx[i] = value; }
}

// Window coordinate along one axis of output o, tap k; may be negative or past the end (padding).
fn window_coord(o: u32, k: u32, s: u32, p: u32, d: u32) -> i32 {
  return i32(o * s + k * d) - i32(p);
}

// The first output position o whose window can reach input coordinate t (t = i + p), along one axis.
fn first_window(t: u32, K: u32, s: u32, d: u32) -> u32 {
  let reach = (K - 1u) * d;
  if (t <= reach) { return 0u; }
  return (t - reach + s - 1u) / s;
}

// NaN is recognised by its bits: WGSL lets an implementation assume no NaN, so `v > best` cannot be
// trusted to see it.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn max_pool3d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C * p.OD * p.OH * p.OW) { return; }
  let o = ncdhw(i, p.C, p.OD, p.OH, p.OW); // y[n, c, od, oh, ow]
  let volume = (o.n * p.C + o.c) * p.D * p.H * p.W;
  var best = 0.0;
  var best_index = 0u;
  var found = false;
  for (var kd = 0u; kd < p.KD; kd++) {
    let id = window_coord(o.d, kd, p.stride_d, p.pad_d, p.dil_d);
    if (id < 0 || id >= i32(p.D)) { continue; }
    for (var kh = 0u; kh < p.KH; kh++) {
      let ih = window_coord(o.h, kh, p.stride_h, p.pad_h, p.dil_h);
      if (ih < 0 || ih >= i32(p.H)) { continue; }
      for (var kw = 0u; kw < p.KW; kw++) {
        let iw = window_coord(o.w, kw, p.stride_w, p.pad_w, p.dil_w);
        if (iw < 0 || iw >= i32(p.W)) { continue; }
        let at = (u32(id) * p.H + u32(ih)) * p.W + u32(iw);
        let v = x[volume + at];
        if (!found || v > best || is_nan(v)) { // a NaN wins, as in PyTorch (the last NaN, as its loop keeps)
          best = v;
          best_index = at;
          found = true;
        }
      }
    }
  }
  // Padding ≤ K/2 (checked by the launcher) leaves at least one input position in every window.
  y[i] = best;
  indices[i] = best_index;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn max_pool3d_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C * p.D * p.H * p.W) { return; }
  let at = ncdhw(i, p.C, p.D, p.H, p.W); // dx[n, c, id, ih, iw]
  let nc = at.n * p.C + at.c;
  let here = (at.d * p.H + at.h) * p.W + at.w;
  let td = at.d + p.pad_d;
  let th = at.h + p.pad_h;
  let tw = at.w + p.pad_w;
  var total = 0.0;
  for (var od = first_window(td, p.KD, p.stride_d, p.dil_d); od < p.OD && od * p.stride_d <= td; od++) {
    for (var oh = first_window(th, p.KH, p.stride_h, p.dil_h); oh < p.OH && oh * p.stride_h <= th; oh++) {
      for (var ow = first_window(tw, p.KW, p.stride_w, p.dil_w); ow < p.OW && ow * p.stride_w <= tw; ow++) {
        let o = ((nc * p.OD + od) * p.OH + oh) * p.OW + ow;
        if (indices_in[o] == here) { total += dy[o]; }
      }
    }
  }
  write_dx(i, total);
}

// The positions of a window along one axis that lie inside the input of `size`.
fn inside(o: u32, K: u32, s: u32, pad: u32, size: u32) -> i32 {
  let first = i32(o * s) - i32(pad);
  return min(first + i32(K), i32(size)) - max(first, 0);
}

// The divisor of window (od, oh, ow) for avg_pool3d.
fn window_count(od: u32, oh: u32, ow: u32) -> f32 {
  let p = params;
  if (COUNT_INCLUDE_PAD) { return f32(p.KD * p.KH * p.KW); }
  return f32(inside(od, p.KD, p.stride_d, p.pad_d, p.D) * inside(oh, p.KH, p.stride_h, p.pad_h, p.H) * inside(ow, p.KW, p.stride_w, p.pad_w, p.W));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn avg_pool3d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C * p.OD * p.OH * p.OW) { return; }
  let o = ncdhw(i, p.C, p.OD, p.OH, p.OW); // y[n, c, od, oh, ow]
  let volume = (o.n * p.C + o.c) * p.D * p.H * p.W;
  // Each row of the window summed, then each plane's rows, then the planes: one running total over a
  // large window loses digits as it grows (pool.wgsl's 2-D twin: 5.2e-4 off over 1024 × 1024).
  var total = 0.0;
  for (var kd = 0u; kd < p.KD; kd++) {
    let id = window_coord(o.d, kd, p.stride_d, p.pad_d, 1u);
    if (id < 0 || id >= i32(p.D)) { continue; }
    var plane = 0.0;
    for (var kh = 0u; kh < p.KH; kh++) {
      let ih = window_coord(o.h, kh, p.stride_h, p.pad_h, 1u);
      if (ih < 0 || ih >= i32(p.H)) { continue; }
      var row = 0.0;
      for (var kw = 0u; kw < p.KW; kw++) {
        let iw = window_coord(o.w, kw, p.stride_w, p.pad_w, 1u);
        if (iw < 0 || iw >= i32(p.W)) { continue; }
        row += x[volume + (u32(id) * p.H + u32(ih)) * p.W + u32(iw)];
      }
      plane += row;
    }
    total += plane;
  }
  y[i] = total / window_count(o.d, o.h, o.w);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn avg_pool3d_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C * p.D * p.H * p.W) { return; }
  let at = ncdhw(i, p.C, p.D, p.H, p.W); // dx[n, c, id, ih, iw]
  let nc = at.n * p.C + at.c;
  let td = at.d + p.pad_d;
  let th = at.h + p.pad_h;
  let tw = at.w + p.pad_w;
  var total = 0.0;
  for (var od = first_window(td, p.KD, p.stride_d, 1u); od < p.OD && od * p.stride_d <= td; od++) {
    for (var oh = first_window(th, p.KH, p.stride_h, 1u); oh < p.OH && oh * p.stride_h <= th; oh++) {
      for (var ow = first_window(tw, p.KW, p.stride_w, 1u); ow < p.OW && ow * p.stride_w <= tw; ow++) {
        total += dy[((nc * p.OD + od) * p.OH + oh) * p.OW + ow] / window_count(od, oh, ow);
      }
    }
  }
  write_dx(i, total);
}

// Adaptive pooling's bin along one axis of `size` pooled to `out`: [first, end) for output o.
fn bin_start(o: u32, size: u32, out: u32) -> u32 {
  return (o * size) / out;
}

fn bin_end(o: u32, size: u32, out: u32) -> u32 {
  return ((o + 1u) * size + out - 1u) / out;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_avg_pool3d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C * p.OD * p.OH * p.OW) { return; }
  let o = ncdhw(i, p.C, p.OD, p.OH, p.OW); // y[n, c, od, oh, ow]
  let volume = (o.n * p.C + o.c) * p.D * p.H * p.W;
  let d0 = bin_start(o.d, p.D, p.OD);
  let d1 = bin_end(o.d, p.D, p.OD);
  let h0 = bin_start(o.h, p.H, p.OH);
  let h1 = bin_end(o.h, p.H, p.OH);
  let w0 = bin_start(o.w, p.W, p.OW);
  let w1 = bin_end(o.w, p.W, p.OW);
  var total = 0.0; // row by row, plane by plane, as avg_pool3d_forward
  for (var t = d0; t < d1; t++) {
    var plane = 0.0;
    for (var h = h0; h < h1; h++) {
      var row = 0.0;
      for (var w = w0; w < w1; w++) { row += x[volume + (t * p.H + h) * p.W + w]; }
      plane += row;
    }
    total += plane;
  }
  y[i] = total / f32((d1 - d0) * (h1 - h0) * (w1 - w0));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_avg_pool3d_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C * p.D * p.H * p.W) { return; }
  let at = ncdhw(i, p.C, p.D, p.H, p.W); // dx[n, c, t, h, w]
  let nc = at.n * p.C + at.c;
  var total = 0.0;
  for (var od = (at.d * p.OD) / p.D; od < p.OD && bin_start(od, p.D, p.OD) <= at.d; od++) {
    let depths = bin_end(od, p.D, p.OD) - bin_start(od, p.D, p.OD);
    for (var oh = (at.h * p.OH) / p.H; oh < p.OH && bin_start(oh, p.H, p.OH) <= at.h; oh++) {
      let rows = bin_end(oh, p.H, p.OH) - bin_start(oh, p.H, p.OH);
      for (var ow = (at.w * p.OW) / p.W; ow < p.OW && bin_start(ow, p.W, p.OW) <= at.w; ow++) {
        let cols = bin_end(ow, p.W, p.OW) - bin_start(ow, p.W, p.OW);
        total += dy[((nc * p.OD + od) * p.OH + oh) * p.OW + ow] / f32(depths * rows * cols);
      }
    }
  }
  write_dx(i, total);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_max_pool3d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C * p.OD * p.OH * p.OW) { return; }
  let o = ncdhw(i, p.C, p.OD, p.OH, p.OW); // y[n, c, od, oh, ow]
  let volume = (o.n * p.C + o.c) * p.D * p.H * p.W;
  // A bin is never empty (bin_end > bin_start), so its first position starts the search.
  let d0 = bin_start(o.d, p.D, p.OD);
  let h0 = bin_start(o.h, p.H, p.OH);
  let w0 = bin_start(o.w, p.W, p.OW);
  var best_index = (d0 * p.H + h0) * p.W + w0;
  var best = x[volume + best_index];
  for (var t = d0; t < bin_end(o.d, p.D, p.OD); t++) {
    for (var h = h0; h < bin_end(o.h, p.H, p.OH); h++) {
      for (var w = w0; w < bin_end(o.w, p.W, p.OW); w++) {
        let at = (t * p.H + h) * p.W + w;
        let v = x[volume + at];
        if (v > best || is_nan(v)) { // a NaN wins, the last one, as in max_pool3d_forward
          best = v;
          best_index = at;
        }
      }
    }
  }
  y[i] = best;
  indices[i] = best_index;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_max_pool3d_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C * p.D * p.H * p.W) { return; }
  let at = ncdhw(i, p.C, p.D, p.H, p.W); // dx[n, c, t, h, w]
  let nc = at.n * p.C + at.c;
  let here = (at.d * p.H + at.h) * p.W + at.w;
  var total = 0.0;
  for (var od = (at.d * p.OD) / p.D; od < p.OD && bin_start(od, p.D, p.OD) <= at.d; od++) {
    for (var oh = (at.h * p.OH) / p.H; oh < p.OH && bin_start(oh, p.H, p.OH) <= at.h; oh++) {
      for (var ow = (at.w * p.OW) / p.W; ow < p.OW && bin_start(ow, p.W, p.OW) <= at.w; ow++) {
        let o = ((nc * p.OD + od) * p.OH + oh) * p.OW + ow;
        if (indices_in[o] == here) { total += dy[o]; }
      }
    }
  }
  write_dx(i, total);
}
