// conv2d.wgsl — 2-D convolution over NCHW, forward and backward, as torch.nn.functional.conv2d
//
// x is N×C_in×H×W, weight is C_out×(C_in/G)×KH×KW, y is N×C_out×OH×OW, all row-major f32.
// The channels split into G groups (G = C_in = C_out is depthwise); output channel co belongs to
// group g = co / (C_out/G) and sees only that group's input channels g·(C_in/G) … (g+1)·(C_in/G) − 1.
// With stride s, padding p (zeros) and dilation d, per spatial axis:
//   OH = ⌊(H + 2·p_h − d_h·(KH − 1) − 1) / s_h⌋ + 1,   input row of (oh, kh): ih = oh·s_h − p_h + kh·d_h
// Forward:
//   y[n, co, oh, ow] = bias[co] + Σ_{ci < C_in/G, kh, kw} w[co, ci, kh, kw] · x[n, g·C_in/G + ci, ih, iw]
// Backward, with g_y = dy (each a gather, so no atomics and no zero-fill pass):
//   dx[n, c, ih, iw]    = Σ_{co in c's group, kh, kw : ih = oh·s − p + kh·d for an integer 0 ≤ oh < OH (same
//                         for w)} dy[n, co, oh, ow] · w[co, c − g·C_in/G, kh, kw]
//   dw[co, ci, kh, kw]  = Σ_{n, oh, ow} dy[n, co, oh, ow] · x[n, g·C_in/G + ci, ih, iw]      (0 where padded)
//   db[co]              = Σ_{n, oh, ow} dy[n, co, oh, ow]
// ACCUMULATE adds into dx, dw, db instead of overwriting (gradients add up, as in PyTorch).
//
// Why direct and not an implicit GEMM: the networks this engine trains (the course's MNIST CNN:
// 1→8 and 8→16 channels, 3×3) have reduction lengths C_in/G·KH·KW of 9 and 72 and 8–16 output
// channels, too short and too narrow for a matmul tile (v3 blocks 4×4 over N ≥ 64) to pay for its
// index arithmetic; and the adapter we test on (SwiftShader, a CPU) gains nothing from the data reuse
// a tile buys on a GPU (see matmul.wgsl's v2 notes). Direct code is also one formula a student can
// check line by line. An implicit-GEMM variant is the next step for wide layers on real GPUs.
//
// Bindings: params (the geometry above; C_in, C_out are totals); x, weight, bias, dy (read);
// y, dx, dweight, dbias (read_write). Each entry point binds only what it uses; bias needs HAS_BIAS
// (bind any 1-element buffer otherwise).
//
// Entry points and geometry: one invocation per element written, workgroup WORKGROUP_SIZE (64), 1-D
// work spilling past 65,535 workgroups into the grid's y: i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).
//   conv2d_forward           per element of y: a loop over C_in/G · KH · KW.
//   conv2d_backward_input    per element of dx: a loop over C_out/G · KH · KW (taps that land
//                            between strides or outside the output are skipped).
//   conv2d_backward_weight   per element of dw: a loop over N · OH · OW. Few invocations with long
//                            loops; fine for small filters, the first thing to split for big ones.
//   conv2d_backward_bias     per output channel: a loop over N · OH · OW.
//
// Variants of the two heavy entry points (the launcher takes v2 where its layout allows):
//   v1 conv2d_forward, conv2d_backward_input: one element per invocation, as above.
//   v2 conv2d_forward_vec4   (C_out/G % 4 = 0): four output channels of one pixel per invocation, in a
//                            vec4 accumulator; the taps' bounds are checked once per (kh, kw) and the
//                            channel loop inside runs straight, each x value feeding four products.
//      conv2d_backward_input_vec4 (C_in/G % 4 = 0): four input channels of one pixel per invocation,
//                            each dy value feeding four products.
//   The launcher takes v2 where it fits and the channel loop it shortens is ≥ 4 long (with one input
//   channel, v2 trades one x load for four weight loads). Not yet timed: the 2-core test machine was
//   too loaded to tell the two apart (lab/cnn-page.ts interleaves them; run it on a quiet machine).

override HAS_BIAS: bool = false;
override ACCUMULATE: bool = false;
override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  N: u32,
  C_in: u32,
  H: u32,
  W: u32,
  C_out: u32,
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
  groups: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read> dy: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<f32>;
@group(0) @binding(7) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(8) var<storage, read_write> dbias: array<f32>;

fn element_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

// Element i of a row-major 4-D tensor [N, C, H, W], as its (n, c, h, w). The same text in conv2d.wgsl
// and pool.wgsl (a test checks), so each file reads alone.
struct Nchw { n: u32, c: u32, h: u32, w: u32 }

fn nchw(i: u32, C: u32, H: u32, W: u32) -> Nchw {
  return Nchw(i / (W * H * C), (i / (W * H)) % C, (i / W) % H, i % W);
}

// Input coordinate of output position o and kernel tap k along one axis; may be negative (padding).
fn input_coord(o: u32, k: u32, stride: u32, pad: u32, dil: u32) -> i32 {
  return i32(o * stride + k * dil) - i32(pad);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn conv2d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C_out * p.OH * p.OW) { return; }
  let o = nchw(i, p.C_out, p.OH, p.OW); // y[n, co, oh, ow]
  let cin_g = p.C_in / p.groups;
  let first_c = (o.c / (p.C_out / p.groups)) * cin_g;
  var total = 0.0;
  if (HAS_BIAS) { total = bias[o.c]; }
  for (var ci = 0u; ci < cin_g; ci++) {
    let x_plane = (o.n * p.C_in + first_c + ci) * p.H * p.W;
    let w_plane = (o.c * cin_g + ci) * p.KH * p.KW;
    for (var kh = 0u; kh < p.KH; kh++) {
      let ih = input_coord(o.h, kh, p.stride_h, p.pad_h, p.dil_h);
      if (ih < 0 || ih >= i32(p.H)) { continue; }
      for (var kw = 0u; kw < p.KW; kw++) {
        let iw = input_coord(o.w, kw, p.stride_w, p.pad_w, p.dil_w);
        if (iw < 0 || iw >= i32(p.W)) { continue; }
        total += weight[w_plane + kh * p.KW + kw] * x[x_plane + u32(ih) * p.W + u32(iw)];
      }
    }
  }
  y[i] = total;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn conv2d_backward_input(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C_in * p.H * p.W) { return; }
  let at = nchw(i, p.C_in, p.H, p.W); // dx[n, c, ih, iw]
  let cin_g = p.C_in / p.groups;
  let cout_g = p.C_out / p.groups;
  let g = at.c / cin_g;
  let ci = at.c % cin_g;
  var total = 0.0;
  for (var kh = 0u; kh < p.KH; kh++) {
    // ih = oh·s − p + kh·d  ⇒  oh = (ih + p − kh·d) / s, when that divides exactly and lands in 0..OH−1.
    let th = i32(at.h + p.pad_h) - i32(kh * p.dil_h);
    if (th < 0 || u32(th) % p.stride_h != 0u) { continue; }
    let oh = u32(th) / p.stride_h;
    if (oh >= p.OH) { continue; }
    for (var kw = 0u; kw < p.KW; kw++) {
      let tw = i32(at.w + p.pad_w) - i32(kw * p.dil_w);
      if (tw < 0 || u32(tw) % p.stride_w != 0u) { continue; }
      let ow = u32(tw) / p.stride_w;
      if (ow >= p.OW) { continue; }
      for (var k = 0u; k < cout_g; k++) {
        let co = g * cout_g + k;
        total += dy[((at.n * p.C_out + co) * p.OH + oh) * p.OW + ow] * weight[((co * cin_g + ci) * p.KH + kh) * p.KW + kw];
      }
    }
  }
  if (ACCUMULATE) { dx[i] += total; } else { dx[i] = total; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn conv2d_backward_weight(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let cin_g = p.C_in / p.groups;
  let i = element_index(gid, groups);
  if (i >= p.C_out * cin_g * p.KH * p.KW) { return; }
  let at = nchw(i, cin_g, p.KH, p.KW); // dw[co, ci, kh, kw]
  let co = at.n;
  let kh = at.h;
  let kw = at.w;
  let c = (co / (p.C_out / p.groups)) * cin_g + at.c;
  var total = 0.0;
  for (var n = 0u; n < p.N; n++) {
    let x_plane = (n * p.C_in + c) * p.H * p.W;
    let dy_plane = (n * p.C_out + co) * p.OH * p.OW;
    for (var oh = 0u; oh < p.OH; oh++) {
      let ih = input_coord(oh, kh, p.stride_h, p.pad_h, p.dil_h);
      if (ih < 0 || ih >= i32(p.H)) { continue; }
      for (var ow = 0u; ow < p.OW; ow++) {
        let iw = input_coord(ow, kw, p.stride_w, p.pad_w, p.dil_w);
        if (iw < 0 || iw >= i32(p.W)) { continue; }
        total += dy[dy_plane + oh * p.OW + ow] * x[x_plane + u32(ih) * p.W + u32(iw)];
      }
    }
  }
  if (ACCUMULATE) { dweight[i] += total; } else { dweight[i] = total; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn conv2d_backward_bias(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let co = element_index(gid, groups);
  if (co >= p.C_out) { return; }
  let plane = p.OH * p.OW;
  var total = 0.0;
  for (var n = 0u; n < p.N; n++) {
    let start = (n * p.C_out + co) * plane;
    for (var s = 0u; s < plane; s++) { total += dy[start + s]; }
  }
  if (ACCUMULATE) { dbias[co] += total; } else { dbias[co] = total; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn conv2d_forward_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  let quads = p.C_out / 4u;
  if (i >= p.N * quads * p.OH * p.OW) { return; }
  let o = nchw(i, quads, p.OH, p.OW); // y[n, co … co + 3, oh, ow] with co = 4·o.c
  let co = o.c * 4u;
  let cin_g = p.C_in / p.groups;
  let first_c = (co / (p.C_out / p.groups)) * cin_g;
  let plane = p.H * p.W;
  let taps = p.KH * p.KW;
  let w_next = cin_g * taps; // from output channel co to co + 1
  var acc = vec4f(0.0);
  if (HAS_BIAS) { acc = vec4f(bias[co], bias[co + 1u], bias[co + 2u], bias[co + 3u]); }
  for (var kh = 0u; kh < p.KH; kh++) {
    let ih = input_coord(o.h, kh, p.stride_h, p.pad_h, p.dil_h);
    if (ih < 0 || ih >= i32(p.H)) { continue; }
    for (var kw = 0u; kw < p.KW; kw++) {
      let iw = input_coord(o.w, kw, p.stride_w, p.pad_w, p.dil_w);
      if (iw < 0 || iw >= i32(p.W)) { continue; }
      var xi = (o.n * p.C_in + first_c) * plane + u32(ih) * p.W + u32(iw);
      var wi = co * w_next + kh * p.KW + kw;
      for (var ci = 0u; ci < cin_g; ci++) {
        acc += x[xi] * vec4f(weight[wi], weight[wi + w_next], weight[wi + 2u * w_next], weight[wi + 3u * w_next]);
        xi += plane;
        wi += taps;
      }
    }
  }
  let out = ((o.n * p.C_out + co) * p.OH + o.h) * p.OW + o.w;
  let next = p.OH * p.OW;
  y[out] = acc.x;
  y[out + next] = acc.y;
  y[out + 2u * next] = acc.z;
  y[out + 3u * next] = acc.w;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn conv2d_backward_input_vec4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  let quads = p.C_in / 4u;
  if (i >= p.N * quads * p.H * p.W) { return; }
  let at = nchw(i, quads, p.H, p.W); // dx[n, c … c + 3, ih, iw] with c = 4·at.c
  let c = at.c * 4u;
  let cin_g = p.C_in / p.groups;
  let cout_g = p.C_out / p.groups;
  let g = c / cin_g;
  let ci = c % cin_g;
  let taps = p.KH * p.KW;
  let out_plane = p.OH * p.OW;
  var acc = vec4f(0.0);
  for (var kh = 0u; kh < p.KH; kh++) {
    let th = i32(at.h + p.pad_h) - i32(kh * p.dil_h);
    if (th < 0 || u32(th) % p.stride_h != 0u) { continue; }
    let oh = u32(th) / p.stride_h;
    if (oh >= p.OH) { continue; }
    for (var kw = 0u; kw < p.KW; kw++) {
      let tw = i32(at.w + p.pad_w) - i32(kw * p.dil_w);
      if (tw < 0 || u32(tw) % p.stride_w != 0u) { continue; }
      let ow = u32(tw) / p.stride_w;
      if (ow >= p.OW) { continue; }
      var di = (at.n * p.C_out + g * cout_g) * out_plane + oh * p.OW + ow;
      var wi = ((g * cout_g) * cin_g + ci) * taps + kh * p.KW + kw;
      for (var k = 0u; k < cout_g; k++) {
        acc += dy[di] * vec4f(weight[wi], weight[wi + taps], weight[wi + 2u * taps], weight[wi + 3u * taps]);
        di += out_plane;
        wi += cin_g * taps;
      }
    }
  }
  let out = ((at.n * p.C_in + c) * p.H + at.h) * p.W + at.w;
  let next = p.H * p.W;
  if (ACCUMULATE) {
    dx[out] += acc.x;
    dx[out + next] += acc.y;
    dx[out + 2u * next] += acc.z;
    dx[out + 3u * next] += acc.w;
  } else {
    dx[out] = acc.x;
    dx[out + next] = acc.y;
    dx[out + 2u * next] = acc.z;
    dx[out + 3u * next] = acc.w;
  }
}
