// pool.wgsl — 2-D pooling over NCHW, forward and backward, as torch.nn.functional's
// max_pool2d, avg_pool2d, adaptive_avg_pool2d and adaptive_max_pool2d
//
// x is N×C×H×W, y is N×C×OH×OW. Each (n, c) plane pools on its own. Per spatial axis, with kernel
// K, stride s, padding p and dilation d (ceil_mode off, as PyTorch's default):
//   OH = ⌊(H + 2·p − d·(K − 1) − 1) / s⌋ + 1,   window rows ih = oh·s − p + kh·d, kh < K
// max_pool2d:   y[n, c, oh, ow] = max over the window's rows and columns inside the input (padding is
//               −∞, never chosen); indices[n, c, oh, ow] = ih·W + iw of that maximum, as PyTorch's
//               return_indices. Ties keep the first maximum in window order (kh, then kw), as
//               PyTorch's CPU kernel does (it replaces only on a strictly greater value).
//               Backward: dx[n, c, ih, iw] = Σ over the windows holding (ih, iw) whose index is
//               ih·W + iw of dy[n, c, oh, ow]  (a gather: no atomics, no zero-fill pass).
// avg_pool2d:   y = Σ window / count, where count = KH·KW with COUNT_INCLUDE_PAD (PyTorch's default:
//               padded zeros count; without ceil_mode a window never leaves the padded input), or
//               the number of the window's positions inside the input otherwise.
//               Backward: dx[n, c, ih, iw] = Σ over the windows holding (ih, iw) of dy / count.
// adaptive pooling to OH×OW: output (oh, ow) pools the bin of rows ⌊oh·H/OH⌋ ≤ h < ⌈(oh + 1)·H/OH⌉
//               and the same for columns (PyTorch's start_index and end_index): bins cover the input,
//               neighbours overlap by at most a row or column when OH does not divide H, and a
//               1×1 output is the plane's mean (or max). The bins holding row h are those from
//               ⌊h·OH/H⌋ on whose first row is ≤ h: at most ⌈OH/H⌉ + 1 of them.
// adaptive_avg_pool2d: y = Σ bin / its size;  dx[n, c, h, w] = Σ over the bins holding (h, w) of dy / size.
// adaptive_max_pool2d: y = max of the bin, indices = h·W + w of it (first maximum, last NaN, as
//               max_pool2d);  dx[n, c, h, w] = Σ over the bins holding (h, w) whose index is h·W + w of dy.
// ACCUMULATE adds into dx instead of overwriting (gradients add up, as in PyTorch).
//
// Bindings: params {N, C, H, W, OH, OW, KH, KW, stride_h, stride_w, pad_h, pad_w, dil_h, dil_w};
// x, dy, indices_in (read); y, indices (u32), dx (read_write). Each entry binds what it uses.
//
// Entry points and geometry: one invocation per element written, workgroup WORKGROUP_SIZE (64), 1-D
// work spilling past 65,535 workgroups into the grid's y: i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).
//   max_pool2d_forward, avg_pool2d_forward      per element of y: a loop over the window.
//   max_pool2d_backward, avg_pool2d_backward    per element of dx: a loop over the (at most
//                                               ⌈K/s⌉² for d = 1) windows holding it.
//   adaptive_avg_pool2d_forward,                per element of y: a loop over its bin.
//   adaptive_max_pool2d_forward
//   adaptive_avg_pool2d_backward,               per element of dx: a loop over the bins holding it.
//   adaptive_max_pool2d_backward

override COUNT_INCLUDE_PAD: bool = true;
override ACCUMULATE: bool = false;
override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  N: u32,
  C: u32,
  H: u32,
  W: u32,
  OH: u32,
  OW: u32,
  KH: u32,
  KW: u32,
  stride_h: u32,
  stride_w: u32,
  pad_h: u32,
  pad_w: u32,
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

// Element i of a row-major 4-D tensor [N, C, H, W], as its (n, c, h, w). The same text in conv2d.wgsl
// and pool.wgsl (a test checks), so each file reads alone.
struct Nchw { n: u32, c: u32, h: u32, w: u32 }

fn nchw(i: u32, C: u32, H: u32, W: u32) -> Nchw {
  return Nchw(i / (W * H * C), (i / (W * H)) % C, (i / W) % H, i % W);
}

fn write_dx(i: u32, value: f32) {
  if (ACCUMULATE) { dx[i] += value; } else { dx[i] = value; }
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
fn max_pool2d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C * p.OH * p.OW) { return; }
  let o = nchw(i, p.C, p.OH, p.OW); // y[n, c, oh, ow]
  let plane = (o.n * p.C + o.c) * p.H * p.W;
  var best = 0.0;
  var best_index = 0u;
  var found = false;
  for (var kh = 0u; kh < p.KH; kh++) {
    let ih = i32(o.h * p.stride_h + kh * p.dil_h) - i32(p.pad_h);
    if (ih < 0 || ih >= i32(p.H)) { continue; }
    for (var kw = 0u; kw < p.KW; kw++) {
      let iw = i32(o.w * p.stride_w + kw * p.dil_w) - i32(p.pad_w);
      if (iw < 0 || iw >= i32(p.W)) { continue; }
      let at = u32(ih) * p.W + u32(iw);
      let v = x[plane + at];
      if (!found || v > best || is_nan(v)) { // a NaN wins, as in PyTorch (the last NaN, as its loop keeps)
        best = v;
        best_index = at;
        found = true;
      }
    }
  }
  // Padding ≤ K/2 (checked by the launcher) leaves at least one input position in every window.
  y[i] = best;
  indices[i] = best_index;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn max_pool2d_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C * p.H * p.W) { return; }
  let at = nchw(i, p.C, p.H, p.W); // dx[n, c, ih, iw]
  let nc = at.n * p.C + at.c;
  let here = at.h * p.W + at.w;
  let th = at.h + p.pad_h;
  let tw = at.w + p.pad_w;
  var total = 0.0;
  for (var oh = first_window(th, p.KH, p.stride_h, p.dil_h); oh < p.OH && oh * p.stride_h <= th; oh++) {
    for (var ow = first_window(tw, p.KW, p.stride_w, p.dil_w); ow < p.OW && ow * p.stride_w <= tw; ow++) {
      let o = (nc * p.OH + oh) * p.OW + ow;
      if (indices_in[o] == here) { total += dy[o]; }
    }
  }
  write_dx(i, total);
}

// The divisor of window (oh, ow) for avg_pool2d.
fn window_count(oh: u32, ow: u32) -> f32 {
  let p = params;
  if (COUNT_INCLUDE_PAD) { return f32(p.KH * p.KW); }
  let h0 = i32(oh * p.stride_h) - i32(p.pad_h);
  let w0 = i32(ow * p.stride_w) - i32(p.pad_w);
  let rows = min(h0 + i32(p.KH), i32(p.H)) - max(h0, 0);
  let cols = min(w0 + i32(p.KW), i32(p.W)) - max(w0, 0);
  return f32(rows * cols);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn avg_pool2d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C * p.OH * p.OW) { return; }
  let o = nchw(i, p.C, p.OH, p.OW); // y[n, c, oh, ow]
  let plane = (o.n * p.C + o.c) * p.H * p.W;
  // Each row of the window summed, then the rows: one running total over a large window (a global
  // pool of 1024 × 1024) loses digits as it grows (5.2e-4 off), the rows' sums keep W + H roundings.
  var total = 0.0;
  for (var kh = 0u; kh < p.KH; kh++) {
    let ih = i32(o.h * p.stride_h + kh) - i32(p.pad_h);
    if (ih < 0 || ih >= i32(p.H)) { continue; }
    var row = 0.0;
    for (var kw = 0u; kw < p.KW; kw++) {
      let iw = i32(o.w * p.stride_w + kw) - i32(p.pad_w);
      if (iw < 0 || iw >= i32(p.W)) { continue; }
      row += x[plane + u32(ih) * p.W + u32(iw)];
    }
    total += row;
  }
  y[i] = total / window_count(o.h, o.w);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn avg_pool2d_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C * p.H * p.W) { return; }
  let at = nchw(i, p.C, p.H, p.W); // dx[n, c, ih, iw]
  let nc = at.n * p.C + at.c;
  let th = at.h + p.pad_h;
  let tw = at.w + p.pad_w;
  var total = 0.0;
  for (var oh = first_window(th, p.KH, p.stride_h, 1u); oh < p.OH && oh * p.stride_h <= th; oh++) {
    for (var ow = first_window(tw, p.KW, p.stride_w, 1u); ow < p.OW && ow * p.stride_w <= tw; ow++) {
      total += dy[(nc * p.OH + oh) * p.OW + ow] / window_count(oh, ow);
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
fn adaptive_avg_pool2d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C * p.OH * p.OW) { return; }
  let o = nchw(i, p.C, p.OH, p.OW); // y[n, c, oh, ow]
  let plane = (o.n * p.C + o.c) * p.H * p.W;
  let h0 = bin_start(o.h, p.H, p.OH);
  let h1 = bin_end(o.h, p.H, p.OH);
  let w0 = bin_start(o.w, p.W, p.OW);
  let w1 = bin_end(o.w, p.W, p.OW);
  var total = 0.0; // row by row, as avg_pool2d_forward
  for (var h = h0; h < h1; h++) {
    var row = 0.0;
    for (var w = w0; w < w1; w++) { row += x[plane + h * p.W + w]; }
    total += row;
  }
  y[i] = total / f32((h1 - h0) * (w1 - w0));
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_avg_pool2d_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C * p.H * p.W) { return; }
  let at = nchw(i, p.C, p.H, p.W); // dx[n, c, h, w]
  let nc = at.n * p.C + at.c;
  var total = 0.0;
  for (var oh = (at.h * p.OH) / p.H; oh < p.OH && bin_start(oh, p.H, p.OH) <= at.h; oh++) {
    let rows = bin_end(oh, p.H, p.OH) - bin_start(oh, p.H, p.OH);
    for (var ow = (at.w * p.OW) / p.W; ow < p.OW && bin_start(ow, p.W, p.OW) <= at.w; ow++) {
      let cols = bin_end(ow, p.W, p.OW) - bin_start(ow, p.W, p.OW);
      total += dy[(nc * p.OH + oh) * p.OW + ow] / f32(rows * cols);
    }
  }
  write_dx(i, total);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_max_pool2d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C * p.OH * p.OW) { return; }
  let o = nchw(i, p.C, p.OH, p.OW); // y[n, c, oh, ow]
  let plane = (o.n * p.C + o.c) * p.H * p.W;
  // A bin is never empty (bin_end > bin_start), so its first position starts the search.
  let h0 = bin_start(o.h, p.H, p.OH);
  let w0 = bin_start(o.w, p.W, p.OW);
  var best_index = h0 * p.W + w0;
  var best = x[plane + best_index];
  for (var h = h0; h < bin_end(o.h, p.H, p.OH); h++) {
    for (var w = w0; w < bin_end(o.w, p.W, p.OW); w++) {
      let v = x[plane + h * p.W + w];
      if (v > best || is_nan(v)) { // a NaN wins, the last one, as in max_pool2d_forward
        best = v;
        best_index = h * p.W + w;
      }
    }
  }
  y[i] = best;
  indices[i] = best_index;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn adaptive_max_pool2d_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C * p.H * p.W) { return; }
  let at = nchw(i, p.C, p.H, p.W); // dx[n, c, h, w]
  let nc = at.n * p.C + at.c;
  let here = at.h * p.W + at.w;
  var total = 0.0;
  for (var oh = (at.h * p.OH) / p.H; oh < p.OH && bin_start(oh, p.H, p.OH) <= at.h; oh++) {
    for (var ow = (at.w * p.OW) / p.W; ow < p.OW && bin_start(ow, p.W, p.OW) <= at.w; ow++) {
      let o = (nc * p.OH + oh) * p.OW + ow;
      if (indices_in[o] == here) { total += dy[o]; }
    }
  }
  write_dx(i, total);
}
