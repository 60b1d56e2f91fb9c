// conv3d.wgsl — 3-D convolution over NCDHW, forward and backward, as torch.nn.functional.conv3d
//
// x is N×C_in×D×H×W, weight is C_out×(C_in/G)×KD×KH×KW, y is N×C_out×OD×OH×OW, all row-major f32
// (a video's frames, a CT or MRI volume: depth is one more spatial axis, handled as height is).
// The channels split into G groups (G = C_in = C_out is depthwise); output channel co belongs to
// group g = co / (C_out/G) and sees only that group's input channels g·(C_in/G) … (g+1)·(C_in/G) − 1.
// With stride s, padding p (zeros) and dilation d, per spatial axis (depth shown; height, width alike):
//   OD = ⌊(D + 2·p_d − d_d·(KD − 1) − 1) / s_d⌋ + 1,   input depth of (od, kd): id = od·s_d − p_d + kd·d_d
// Forward:
//   y[n, co, od, oh, ow] = bias[co] + Σ_{ci < C_in/G, kd, kh, kw} w[co, ci, kd, kh, kw] · x[n, g·C_in/G + ci, id, ih, iw]
// Backward, with g_y = dy (each a gather, so no atomics and no zero-fill pass):
//   dx[n, c, id, ih, iw]   = Σ_{co in c's group, kd, kh, kw : id = od·s − p + kd·d for an integer
//                            0 ≤ od < OD (the same for h and w)} dy[n, co, od, oh, ow] · w[co, c − g·C_in/G, kd, kh, kw]
//   dw[co, ci, kd, kh, kw] = Σ_{n, od, oh, ow} dy[n, co, od, oh, ow] · x[n, g·C_in/G + ci, id, ih, iw]   (0 where padded)
//   db[co]                 = Σ_{n, od, oh, ow} dy[n, co, od, oh, ow]
// ACCUMULATE adds into dx, dw, db instead of overwriting (gradients add up, as in PyTorch).
//
// Why a file of its own and not conv2d.wgsl with a depth axis: conv2d.wgsl's kernels are the hot path
// of every 2-D and 1-D network here, and a third loop and six more parameters in them would cost those
// networks for a layer few use; and each file reads as one formula. Why direct and not an implicit
// GEMM: as conv2d.wgsl's header says (short reductions, narrow layers, a CPU adapter in testing);
// the volumes here multiply the output count, not the reduction, so the same loops serve. No vec4
// variant yet: conv2d's was never timed apart from its v1 on the loaded test machine, so there is no
// measured gain to carry over.
//
// Bindings: params (the geometry above; C_in, C_out are totals); x, weight, bias, dy (read);
// y, dx, dweight, dbias (read_write). Each entry point binds only what it uses; bias needs HAS_BIAS
// (bind any 1-element buffer otherwise).
//
// Entry points and geometry: one invocation per element written, workgroup WORKGROUP_SIZE (64), 1-D
// work spilling past 65,535 workgroups into the grid's y: i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).
//   conv3d_forward           per element of y: a loop over C_in/G · KD · KH · KW.
//   conv3d_backward_input    per element of dx: a loop over C_out/G · KD · KH · KW (taps that land
//                            between strides or outside the output are skipped).
//   conv3d_backward_weight   per element of dw: a loop over N · OD · OH · OW. Few invocations with
//                            long loops; fine for small filters, the first thing to split for big ones.
//   conv3d_backward_bias     per output channel: a loop over N · OD · OH · OW.

override HAS_BIAS: bool = false;
override ACCUMULATE: bool = false;
override WORKGROUP_SIZE: u32 = 64u;

struct Params {
  N: u32,
  C_in: u32,
  D: u32,
  H: u32,
  W: u32,
  C_out: u32,
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

// Element i of a row-major 5-D tensor [N, C, D, H, W], as its (n, c, d, h, w). The same text in
// conv3d.wgsl and pool3d.wgsl (a test checks), so each file reads alone.
struct Ncdhw { n: u32, c: u32, d: u32, h: u32, w: u32 }

fn ncdhw(i: u32, C: u32, D: u32, H: u32, W: u32) -> Ncdhw {
  return Ncdhw(i / (W * H * D * C), (i / (W * H * D)) % C, (i / (W * H)) % D, (i / W) % H, i % W);
}

// Input coordinate of output position o and kernel tap k along one axis; may be negative (padding).
fn input_coord(o: u32, k: u32, stride: u32, pad: u32, dil: u32) -> i32 {
  return i32(o * stride + k * dil) - i32(pad);
}

// The output position whose tap k reads input coordinate t along one axis (t = o·s − p + k·d solved
// for o), or −1 when that lands between strides or outside 0 … size − 1.
fn output_coord(t: u32, k: u32, stride: u32, pad: u32, dil: u32, size: u32) -> i32 {
  let shifted = i32(t + pad) - i32(k * dil);
  if (shifted < 0 || u32(shifted) % stride != 0u) { return -1; }
  let o = u32(shifted) / stride;
  if (o >= size) { return -1; }
  return i32(o);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn conv3d_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C_out * p.OD * p.OH * p.OW) { return; }
  let o = ncdhw(i, p.C_out, p.OD, p.OH, p.OW); // y[n, co, od, oh, ow]
  let cin_g = p.C_in / p.groups;
  let first_c = (o.c / (p.C_out / p.groups)) * cin_g;
  var total = 0.0;
  if (HAS_BIAS) { total = bias[o.c]; }
  for (var ci = 0u; ci < cin_g; ci++) {
    let x_volume = (o.n * p.C_in + first_c + ci) * p.D * p.H * p.W;
    let w_volume = (o.c * cin_g + ci) * p.KD * p.KH * p.KW;
    for (var kd = 0u; kd < p.KD; kd++) {
      let id = input_coord(o.d, kd, p.stride_d, p.pad_d, p.dil_d);
      if (id < 0 || id >= i32(p.D)) { continue; }
      for (var kh = 0u; kh < p.KH; kh++) {
        let ih = input_coord(o.h, kh, p.stride_h, p.pad_h, p.dil_h);
        if (ih < 0 || ih >= i32(p.H)) { continue; }
        for (var kw = 0u; kw < p.KW; kw++) {
          let iw = input_coord(o.w, kw, p.stride_w, p.pad_w, p.dil_w);
          if (iw < 0 || iw >= i32(p.W)) { continue; }
          total += weight[w_volume + (kd * p.KH + kh) * p.KW + kw] * x[x_volume + (u32(id) * p.H + u32(ih)) * p.W + u32(iw)];
        }
      }
    }
  }
  y[i] = total;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn conv3d_backward_input(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let i = element_index(gid, groups);
  if (i >= p.N * p.C_in * p.D * p.H * p.W) { return; }
  let at = ncdhw(i, p.C_in, p.D, p.H, p.W); // dx[n, c, id, ih, iw]
  let cin_g = p.C_in / p.groups;
  let cout_g = p.C_out / p.groups;
  let g = at.c / cin_g;
  let ci = at.c % cin_g;
  let taps = p.KD * p.KH * p.KW;
  let out_volume = p.OD * p.OH * p.OW;
  var total = 0.0;
  for (var kd = 0u; kd < p.KD; kd++) {
    let od = output_coord(at.d, kd, p.stride_d, p.pad_d, p.dil_d, p.OD);
    if (od < 0) { continue; }
    for (var kh = 0u; kh < p.KH; kh++) {
      let oh = output_coord(at.h, kh, p.stride_h, p.pad_h, p.dil_h, p.OH);
      if (oh < 0) { continue; }
      for (var kw = 0u; kw < p.KW; kw++) {
        let ow = output_coord(at.w, kw, p.stride_w, p.pad_w, p.dil_w, p.OW);
        if (ow < 0) { continue; }
        let at_out = (u32(od) * p.OH + u32(oh)) * p.OW + u32(ow);
        let tap = (kd * p.KH + kh) * p.KW + kw;
        for (var k = 0u; k < cout_g; k++) {
          let co = g * cout_g + k;
          total += dy[(at.n * p.C_out + co) * out_volume + at_out] * weight[(co * cin_g + ci) * taps + tap];
        }
      }
    }
  }
  if (ACCUMULATE) { dx[i] += total; } else { dx[i] = total; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn conv3d_backward_weight(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let cin_g = p.C_in / p.groups;
  let i = element_index(gid, groups);
  if (i >= p.C_out * cin_g * p.KD * p.KH * p.KW) { return; }
  let at = ncdhw(i, cin_g, p.KD, p.KH, p.KW); // dw[co, ci, kd, kh, kw]
  let co = at.n;
  let c = (co / (p.C_out / p.groups)) * cin_g + at.c;
  var total = 0.0;
  for (var n = 0u; n < p.N; n++) {
    let x_volume = (n * p.C_in + c) * p.D * p.H * p.W;
    let dy_volume = (n * p.C_out + co) * p.OD * p.OH * p.OW;
    for (var od = 0u; od < p.OD; od++) {
      let id = input_coord(od, at.d, p.stride_d, p.pad_d, p.dil_d);
      if (id < 0 || id >= i32(p.D)) { continue; }
      for (var oh = 0u; oh < p.OH; oh++) {
        let ih = input_coord(oh, at.h, p.stride_h, p.pad_h, p.dil_h);
        if (ih < 0 || ih >= i32(p.H)) { continue; }
        for (var ow = 0u; ow < p.OW; ow++) {
          let iw = input_coord(ow, at.w, p.stride_w, p.pad_w, p.dil_w);
          if (iw < 0 || iw >= i32(p.W)) { continue; }
          total += dy[dy_volume + (od * p.OH + oh) * p.OW + ow] * x[x_volume + (u32(id) * p.H + u32(ih)) * p.W + u32(iw)];
        }
      }
    }
  }
  if (ACCUMULATE) { dweight[i] += total; } else { dweight[i] = total; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn conv3d_backward_bias(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let p = params;
  let co = element_index(gid, groups);
  if (co >= p.C_out) { return; }
  let volume = p.OD * p.OH * p.OW;
  var total = 0.0;
  for (var n = 0u; n < p.N; n++) {
    let start = (n * p.C_out + co) * volume;
    for (var s = 0u; s < volume; s++) { total += dy[start + s]; }
  }
  if (ACCUMULATE) { dbias[co] += total; } else { dbias[co] = total; }
}
