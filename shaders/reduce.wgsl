// reduce.wgsl — column sums: out[n] = Σ_m x[m·N + n]   (x is M×N, row-major)
//
// The gradient of a bias broadcast over a batch is the column sum of the output gradient.
// Gradients accumulate as in PyTorch: with ACCUMULATE, out[n] += …; otherwise out[n] = ….
//
// Bindings: params {M, N}; x (read); out (read_write).
// Geometry: one invocation per column, workgroup WORKGROUP_SIZE (64), a serial loop over rows (barrier-free);
// columns past 65,535 workgroups spill into the grid's y: n = gid.x + gid.y · (groups.x · WORKGROUP_SIZE).

override WORKGROUP_SIZE: u32 = 64u;
override ACCUMULATE: bool = false;

struct Params {
  M: u32,
  N: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn sum_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let n = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (n >= params.N) { return; }
  var total = 0.0;
  for (var m = 0u; m < params.M; m++) { total += x[m * params.N + n]; }
  if (ACCUMULATE) { out[n] += total; } else { out[n] = total; }
}
