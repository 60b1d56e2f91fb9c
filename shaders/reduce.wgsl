// reduce.wgsl — column sums: out[n] = alpha · Σ_m x[m·N + n]   (x is M×N, row-major)
//
// The gradient of a bias broadcast over a batch is the column sum of the output gradient.
// Gradients accumulate as in PyTorch: with ACCUMULATE, out[n] += …; otherwise out[n] = ….
//
// Bindings: params {M, N, chunk_rows, alpha} (alpha scales the sums: 1/count for a mean); x (read);
// out (read_write).
//
// Long columns (F.sum over millions of elements) are summed level by level, by the caller: sum_rows
// with chunk_rows = 64 writes each chunk's column sums as a row of out ([⌈M / 64⌉, N]), and those rows
// are summed the same way until few are left. One float32 loop over all M rows loses digits as the
// total grows (the mean of 7.84M MNIST pixels came out 2.4e-3 off); sums of 64 at each level keep
// the rounding near log₆₄ M short sums' worth, as PyTorch's blocked sums do.
//
// Variants:
//   v1 sum_rows (serial)  one invocation per column (per chunk and column), workgroup WORKGROUP_SIZE (64),
//                         a serial loop over the chunk's rows (barrier-free; chunk_rows = M: all of
//                         them, as for M ≤ 1024); invocations past 65,535 workgroups spill into the grid's y:
//                         i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE). Fastest on a software adapter, and
//                         on any adapter when M is small (a bias gradient over a batch of 8).
//   v2 sum_rows_tree      a workgroup of 256 owns W = min(next power of 2 ≥ N, 32) columns and splits
//                         the rows over R = 256 / W lanes: invocation t adds column t % W of rows
//                         t / W, t / W + R, …, so a warp reads W consecutive floats per row; then the R
//                         partial sums of each column are added pairwise in workgroup memory.
//                         ceil(N / W) workgroups (spilling into y past 65,535). For F.sum (N = 1)
//                         all 256 lanes split the rows. Wins on GPUs when M is large; adds in
//                         pairs, so its rounding grows like log M, not M. Reads all M rows
//                         (chunk_rows is v1's).

override WORKGROUP_SIZE: u32 = 64u;
override ACCUMULATE: bool = false;

struct Params {
  M: u32,
  N: u32,
  chunk_rows: u32,
  alpha: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn sum_rows(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE; // chunk · N + column
  let chunks = (params.M + params.chunk_rows - 1u) / params.chunk_rows;
  if (i >= chunks * params.N) { return; }
  let n = i % params.N;
  let first = (i / params.N) * params.chunk_rows;
  let end = min(first + params.chunk_rows, params.M);
  var total = 0.0;
  for (var m = first; m < end; m++) { total += x[m * params.N + n]; }
  if (ACCUMULATE) { out[i] += params.alpha * total; } else { out[i] = params.alpha * total; }
}

// ── v2: tree over rows ───────────────────────────────────────────────────────────────────────────
var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn sum_rows_tree(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                 @builtin(local_invocation_index) t: u32) {
  let M = params.M;
  let N = params.N;
  // W: columns per workgroup, a power of 2 (N = 1 → 1, N = 3 → 4, N ≥ 17 → 32); uniform, since it
  // comes from params, so the barriers below stay in uniform control flow.
  let W = select(32u, 1u << (32u - countLeadingZeros(max(N, 1u) - 1u)), N <= 32u);
  let R = 256u / W;
  let n = (wid.x + wid.y * groups.x) * W + t % W;
  var total = 0.0;
  if (n < N) {
    for (var m = t / W; m < M; m += R) { total += x[m * N + n]; }
  }
  partial[t] = total;
  for (var stride = R / 2u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (t / W < stride) { partial[t] += partial[t + stride * W]; }
  }
  if (t < W && n < N) {
    if (ACCUMULATE) { out[n] += params.alpha * partial[t]; } else { out[n] = params.alpha * partial[t]; }
  }
}
