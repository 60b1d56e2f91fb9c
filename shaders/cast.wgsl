// cast.wgsl — element types converted, as PyTorch's x.float(), x.int() and x.to(dtype)
//
//   int_to_float:   y[i] = f32(x[i])          x i32, or u32 (X_UNSIGNED); exact for |x| ≤ 2^24, beyond it
//                                            the nearest float32 (ties to even), as PyTorch's .float()
//   float_to_int:   y[i] = trunc(x[i])        toward zero, as PyTorch's .int() and .long(); y i32, or u32
//                                            (Y_UNSIGNED). PyTorch leaves NaN and values past the range
//                                            undefined (CPUs give INT_MIN); here NaN is 0 and values
//                                            past the range are clamped to it (WGSL's conversion clamps too)
//   int_to_halves:  y_float[i] = f32(w >> 16), y_low[i] = f32(w & 0xffff)     w: x[i]'s 32 bits as u32
//   halves_to_int:  y[i] = u32(x_float[i]) << 16 | u32(x_low[i])             the inverse
//                   Two floats of 16 bits each carry any 32-bit word exactly through the f32 kernels
//                   that only move values (narrow, select, cat, stack of integer tensors).
// One invocation per element; nothing but the element type changes, so the shape is the caller's.
//
// Bindings: params {n}; x_int (read, i32 or u32 by X_UNSIGNED; its words are read as i32 and
// reinterpreted) or x_float (read), and x_low (read) for the halves; y_float or y_int (read_write),
// and y_low (read_write) for the halves. Each entry point binds only what it uses.
// Geometry: workgroup WORKGROUP_SIZE (64), 1-D work spilling past 65,535 workgroups into the grid's y:
// i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override X_UNSIGNED: bool = false;
override Y_UNSIGNED: bool = false;

struct Params {
  n: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x_int: array<i32>;
@group(0) @binding(2) var<storage, read> x_float: array<f32>;
@group(0) @binding(3) var<storage, read_write> y_float: array<f32>;
@group(0) @binding(4) var<storage, read_write> y_int: array<i32>;
@group(0) @binding(5) var<storage, read> x_low: array<f32>;
@group(0) @binding(6) var<storage, read_write> y_low: array<f32>;

fn flat_index(gid: vec3u, groups: vec3u) -> u32 {
  return gid.x + gid.y * groups.x * WORKGROUP_SIZE;
}

// u as the nearest float32 (ties to even): WGSL lets f32(u) round either way past 2^24 (SwiftShader's
// was 1 ULP off PyTorch's); the two 16-bit halves are exact, and their sum is rounded once.
fn nearest_float(u: u32) -> f32 {
  return f32(u >> 16u) * 65536.0 + f32(u & 0xffffu);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn int_to_float(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let word = x_int[i];
  if (X_UNSIGNED) {
    y_float[i] = nearest_float(bitcast<u32>(word));
  } else {
    // |word| as u32 (0u − 2^31 wraps to 2^31, INT_MIN's magnitude), then the sign back.
    let magnitude = nearest_float(select(bitcast<u32>(word), 0u - bitcast<u32>(word), word < 0));
    y_float[i] = select(magnitude, -magnitude, word < 0);
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn float_to_int(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let v = x_float[i];
  // v != v: NaN, whose conversion WGSL leaves to the implementation.
  if (Y_UNSIGNED) {
    var u = 0u;
    if (v == v) { u = u32(clamp(trunc(v), 0.0, 4294967040.0)); } // the largest float32 below 2^32
    y_int[i] = bitcast<i32>(u);
  } else {
    var s = 0;
    if (v == v) { s = i32(clamp(trunc(v), -2147483648.0, 2147483520.0)); } // the largest float32 below 2^31
    y_int[i] = s;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn int_to_halves(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  let word = bitcast<u32>(x_int[i]);
  y_float[i] = f32(word >> 16u);
  y_low[i] = f32(word & 0xffffu);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn halves_to_int(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = flat_index(gid, groups);
  if (i >= params.n) { return; }
  y_int[i] = bitcast<i32>((u32(x_float[i]) << 16u) | u32(x_low[i]));
}
