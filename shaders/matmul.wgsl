// matmul.wgsl — C = act(op(A) · op(B) + bias)
//
// op(A) is M×K and op(B) is K×N; every matrix is row-major f32.
// op(X) is X or Xᵀ (overrides TRANSPOSE_A / TRANSPOSE_B), so one kernel serves a Linear layer's
// forward product (x · Wᵀ) and both backward products (dY · W for dX, dYᵀ · x for dW):
//   A stored M×K:  A[m*K + k]          (TRANSPOSE_A: stored K×M, A[k*M + m])
//   B stored K×N:  B[k*N + n]          (TRANSPOSE_B: stored N×K, B[n*K + k])
// Epilogue, in this order: + bias[n] (HAS_BIAS), then ACTIVATION (0 none, 1 relu, 2 sigmoid),
// then C = C + result when ACCUMULATE (gradients add up, as in PyTorch), else C = result.
// Batched (torch.bmm; v1–v4): the grid's z counts B products of the same shape and layout, one after
// another in each buffer (A's z-th at z·a_batch_stride, B's at z·b_batch_stride, C's at z·M·N; bias
// shared). A stride is the operand's M·K (K·N), or 0 for an operand shared by the whole batch (a
// weight times a batch of matrices: read in place, not copied B times). Each entry sets `batch` from
// its z first, and every load and store goes through it. v5 uses z for its slices: one product only.
//
// Bindings: params {M, N, K, a_batch_stride, b_batch_stride}; a, b (read); bias (read; bind any 1-element f32 buffer when
// HAS_BIAS is false); c (read_write, M×N). v5 adds split {slices, slice_k} and partial
// (read_write, slices×M×N).
//
// Variants:
//   v1 matmul_naive    one invocation per element of C. Workgroup 8×8,
//                      grid (ceil(N/8), ceil(M/8)).
//   v2 matmul_blocked  one invocation per 4×4 block of C, accumulated in 16 registers: each
//                      loaded A value is used 4 times and each B value 4 times. No workgroup
//                      memory and no barrier, which suits software adapters (SwiftShader turns
//                      every barrier into a coroutine switch). Workgroup 8×8,
//                      grid (ceil(N/32), ceil(M/32)).
//   v3 matmul_vec4     v2's 4×4 register block, fed by vec4 loads along each operand's contiguous
//                      dimension, for the three layouts a Linear layer uses:
//                        A · Bᵀ (forward x · Wᵀ):    rows of A and rows of B, 4 along k   (K % 4 = 0)
//                        A · B  (dX = dY · W):       rows of A 4 along k, rows of B 4 along n
//                                                    (K % 4 = 0)
//                        Aᵀ · B (dW = dYᵀ · x):      4 of op(A)'s rows at one k, 4 of B's columns
//                                                    (M % 4 = 0)
//                      and writes C (with bias and activation) a vec4 at a time (N % 4 = 0).
//                      a4, b4, bias4, c4 view the same buffers as a, b, bias, c. Workgroup 16×2,
//                      grid (ceil(N/64), ceil(M/8)): a batch of 8 rows fills a workgroup (v2's 8×8
//                      leaves six of eight rows idle), and N = 128 still makes two workgroups, one
//                      per core of a 2-core software adapter (32×2 made one).
//   v4 matmul_tiled    the GPU-class kernel. A workgroup of 16×16 = 256 invocations owns a 64×64
//                      tile of C; each invocation a 4×4 register block (rows 4·ty .., columns 4·tx ..).
//                      K is walked 16 at a time: the workgroup stages op(A)'s 64×16 and op(B)'s 16×64
//                      slices in var<workgroup> (4 values per invocation each, consecutive invocations
//                      reading consecutive addresses of A and B in every layout, so global reads
//                      coalesce), waits at a barrier, then each invocation reads one vec4 of the A tile
//                      (4 rows at one k) and one of the B tile (4 columns at one k) per k: 2 shared
//                      loads per 16 multiply-adds, and every A and B value fetched from global memory
//                      once per workgroup instead of once per invocation. Values past M, N or K stage
//                      as 0 and are never stored, so any shape and every layout runs. Grid
//                      (ceil(N/64), ceil(M/64)). It wins on GPUs once C has a few tiles; on a software
//                      adapter its two barriers per 16 k cost far more than the reuse saves (v3 wins).
//   v5 split-K         for a small C with a long K, where v4 has too few tiles to fill a GPU: a
//                      Linear layer's dW = dYᵀ·x at batch 512 is 128×512 with K = 512, 16 tiles of
//                      64×64 for 132 SMs. K is cut into S slices of slice_k (a multiple of 16).
//                      matmul_splitk_partial is v4 over one slice per workgroup z, grid
//                      (ceil(N/64), ceil(M/64), S); it writes its raw sum, no epilogue, to
//                      partial[z·M·N + m·N + n]. matmul_splitk_reduce, one invocation per element of
//                      C (1-D, WORKGROUP_SIZE, grid folded past 65,535 workgroups), adds the S sums
//                      in slice order and applies the epilogue. The launcher picks S from the shape
//                      (about 256 workgroups, slices of at least 64 k) and runs v4 when S = 1.

override TRANSPOSE_A: bool = false;
override TRANSPOSE_B: bool = false;
override HAS_BIAS: bool = false;
override ACTIVATION: u32 = 0u;
override ACCUMULATE: bool = false;
override WORKGROUP_SIZE: u32 = 64u; // v5's second pass, the one 1-D entry point

struct Params {
  M: u32,
  N: u32,
  K: u32,
  a_batch_stride: u32, // elements from one product's A to the next: M·K, or 0 when shared
  b_batch_stride: u32, // K·N, or 0 when shared
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read_write> c: array<f32>;
// v3's vec4 views of a, b, bias and c (a binding may be declared twice when no entry point uses both).
@group(0) @binding(1) var<storage, read> a4: array<vec4f>;
@group(0) @binding(2) var<storage, read> b4: array<vec4f>;
@group(0) @binding(3) var<storage, read> bias4: array<vec4f>;
@group(0) @binding(4) var<storage, read_write> c4: array<vec4f>;

// The product this invocation works on (the grid's z; 0 in v5).
var<private> batch: u32;

fn load_a(m: u32, k: u32) -> f32 {
  let base = batch * params.a_batch_stride;
  if (TRANSPOSE_A) { return a[base + k * params.M + m]; }
  return a[base + m * params.K + k];
}

fn load_b(k: u32, n: u32) -> f32 {
  let base = batch * params.b_batch_stride;
  if (TRANSPOSE_B) { return b[base + n * params.K + k]; }
  return b[base + k * params.N + n];
}

// The fused activation keeps a NaN sum NaN, as the standalone kernels do. NaN is recognised by its
// bits: WGSL lets an implementation assume no NaN, so max(NaN, 0) and exp(NaN) may drop it
// (SwiftShader: 0 and +∞), and a comparison cannot be trusted to see it.
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

fn activate(x: f32) -> f32 {
  switch ACTIVATION {
    case 1u: { return select(max(x, 0.0), x, is_nan(x)); }
    case 2u: { return select(1.0 / (1.0 + exp(-x)), x, is_nan(x)); }
    default: { return x; }
  }
}

fn store(m: u32, n: u32, sum: f32) {
  var value = sum;
  if (HAS_BIAS) { value += bias[n]; }
  value = activate(value);
  let i = (batch * params.M + m) * params.N + n;
  if (ACCUMULATE) { value += c[i]; }
  c[i] = value;
}

@compute @workgroup_size(8, 8)
fn matmul_naive(@builtin(global_invocation_id) gid: vec3u) {
  batch = gid.z;
  let n = gid.x;
  let m = gid.y;
  if (m >= params.M || n >= params.N) { return; }
  var sum = 0.0;
  for (var k = 0u; k < params.K; k++) {
    sum += load_a(m, k) * load_b(k, n);
  }
  store(m, n, sum);
}

@compute @workgroup_size(8, 8)
fn matmul_blocked(@builtin(global_invocation_id) gid: vec3u) {
  batch = gid.z;
  let n0 = gid.x * 4u;
  let m0 = gid.y * 4u;
  if (m0 >= params.M || n0 >= params.N) { return; }

  // Rows and columns past the edge load a clamped (valid) index; their sums are never stored.
  // Clamping keeps the inner loop free of branches.
  let last_m = params.M - 1u;
  let last_n = params.N - 1u;
  let rows = vec4u(min(m0, last_m), min(m0 + 1u, last_m), min(m0 + 2u, last_m), min(m0 + 3u, last_m));
  let cols = vec4u(min(n0, last_n), min(n0 + 1u, last_n), min(n0 + 2u, last_n), min(n0 + 3u, last_n));

  // acc[r] holds row m0 + r of the block, columns n0 .. n0 + 3.
  var acc = array<vec4f, 4>(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  for (var k = 0u; k < params.K; k++) {
    let b_row = vec4f(load_b(k, cols.x), load_b(k, cols.y), load_b(k, cols.z), load_b(k, cols.w));
    acc[0] += load_a(rows.x, k) * b_row;
    acc[1] += load_a(rows.y, k) * b_row;
    acc[2] += load_a(rows.z, k) * b_row;
    acc[3] += load_a(rows.w, k) * b_row;
  }

  for (var r = 0u; r < 4u; r++) {
    let m = m0 + r;
    if (m >= params.M) { break; }
    for (var j = 0u; j < 4u; j++) {
      let n = n0 + j;
      if (n >= params.N) { break; }
      store(m, n, acc[r][j]);
    }
  }
}

// v3: element (row, k) of a row-major matrix with `width` columns, as the vec4 holding k .. k + 3
// (batched, each stride is a multiple of 4: the launcher's rule makes each product's size one).
fn a_vec4(row: u32, k: u32, width: u32) -> vec4f {
  return a4[(batch * params.a_batch_stride + row * width + k) / 4u];
}

fn b_vec4(row: u32, k: u32, width: u32) -> vec4f {
  return b4[(batch * params.b_batch_stride + row * width + k) / 4u];
}

@compute @workgroup_size(16, 2)
fn matmul_vec4(@builtin(global_invocation_id) gid: vec3u) {
  batch = gid.z;
  let n0 = gid.x * 4u;
  let m0 = gid.y * 4u;
  let M = params.M;
  let N = params.N;
  let K = params.K;
  if (m0 >= M || n0 >= N) { return; }
  let rows = vec4u(min(m0, M - 1u), min(m0 + 1u, M - 1u), min(m0 + 2u, M - 1u), min(m0 + 3u, M - 1u));
  // Four named accumulators (rows m0 .. m0 + 3), every index a constant: an accumulator array indexed
  // by a loop variable may be kept in memory instead of registers.
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);

  if (TRANSPOSE_B) {
    // A · Bᵀ: acc_r[j] = Σ_k A[m0 + r, k] · B[n0 + j, k], four k at a time as dot products.
    let cols = vec4u(min(n0, N - 1u), min(n0 + 1u, N - 1u), min(n0 + 2u, N - 1u), min(n0 + 3u, N - 1u));
    for (var k = 0u; k < K; k += 4u) {
      let b0 = b_vec4(cols.x, k, K);
      let b1 = b_vec4(cols.y, k, K);
      let b2 = b_vec4(cols.z, k, K);
      let b3 = b_vec4(cols.w, k, K);
      let a0 = a_vec4(rows.x, k, K);
      let a1 = a_vec4(rows.y, k, K);
      let a2 = a_vec4(rows.z, k, K);
      let a3 = a_vec4(rows.w, k, K);
      acc0 += vec4f(dot(a0, b0), dot(a0, b1), dot(a0, b2), dot(a0, b3));
      acc1 += vec4f(dot(a1, b0), dot(a1, b1), dot(a1, b2), dot(a1, b3));
      acc2 += vec4f(dot(a2, b0), dot(a2, b1), dot(a2, b2), dot(a2, b3));
      acc3 += vec4f(dot(a3, b0), dot(a3, b1), dot(a3, b2), dot(a3, b3));
    }
  } else if (TRANSPOSE_A) {
    // Aᵀ · B: at each k, op(A)'s rows m0 .. m0 + 3 are one vec4 of A's row k.
    for (var k = 0u; k < K; k++) {
      let a_col = a_vec4(k, m0, M);
      let b_row = b_vec4(k, n0, N);
      acc0 += a_col.x * b_row;
      acc1 += a_col.y * b_row;
      acc2 += a_col.z * b_row;
      acc3 += a_col.w * b_row;
    }
  } else {
    // A · B: four k at a time; each of A's rows gives a vec4 along k, B a vec4 row of n per k.
    for (var k = 0u; k < K; k += 4u) {
      let b0 = b_vec4(k, n0, N);
      let b1 = b_vec4(k + 1u, n0, N);
      let b2 = b_vec4(k + 2u, n0, N);
      let b3 = b_vec4(k + 3u, n0, N);
      let a0 = a_vec4(rows.x, k, K);
      let a1 = a_vec4(rows.y, k, K);
      let a2 = a_vec4(rows.z, k, K);
      let a3 = a_vec4(rows.w, k, K);
      acc0 += a0.x * b0 + a0.y * b1 + a0.z * b2 + a0.w * b3;
      acc1 += a1.x * b0 + a1.y * b1 + a1.z * b2 + a1.w * b3;
      acc2 += a2.x * b0 + a2.y * b1 + a2.z * b2 + a2.w * b3;
      acc3 += a3.x * b0 + a3.y * b1 + a3.z * b2 + a3.w * b3;
    }
  }

  store_row4(m0, n0, acc0);
  if (m0 + 1u < M) { store_row4(m0 + 1u, n0, acc1); }
  if (m0 + 2u < M) { store_row4(m0 + 2u, n0, acc2); }
  if (m0 + 3u < M) { store_row4(m0 + 3u, n0, acc3); }
}

fn is_nan4(v: vec4f) -> vec4<bool> {
  return (bitcast<vec4u>(v) & vec4u(0x7fffffffu)) > vec4u(0x7f800000u);
}

fn activate4(x: vec4f) -> vec4f {
  switch ACTIVATION {
    case 1u: { return select(max(x, vec4f(0.0)), x, is_nan4(x)); }
    case 2u: { return select(1.0 / (1.0 + exp(-x)), x, is_nan4(x)); }
    default: { return x; }
  }
}

// C[m, n0 .. n0 + 3] from one row of v3's block, as one vec4 (v3 requires N % 4 = 0).
fn store_row4(m: u32, n0: u32, sum: vec4f) {
  var value = sum;
  if (HAS_BIAS) { value += bias4[n0 / 4u]; }
  value = activate4(value);
  let i = ((batch * params.M + m) * params.N + n0) / 4u;
  if (ACCUMULATE) { value += c4[i]; }
  c4[i] = value;
}

// ── v4: workgroup-tiled ──────────────────────────────────────────────────────────────────────────
const TILE = 64u;   // C tile: TILE × TILE per workgroup
const TILE_K = 16u; // K slice staged per step

// tile_a[k * 16 + i] holds op(A) rows 4i .. 4i + 3 of the tile at slice column k;
// tile_b[k * 16 + j] holds op(B) columns 4j .. 4j + 3 of the tile at slice row k.
var<workgroup> tile_a: array<vec4f, 256>;
var<workgroup> tile_b: array<vec4f, 256>;

// One invocation's 4×4 block of C, as four named rows (not an array): every index a constant,
// so the rows stay in registers, as v3's accumulators.
struct Block {
  r0: vec4f,
  r1: vec4f,
  r2: vec4f,
  r3: vec4f,
}

// Σ over k in [k_begin, k_end) of op(A)·op(B) for the workgroup's 64×64 tile of C at (m_tile,
// n_tile): this invocation's block (rows m_tile + 4·lid.y .., columns n_tile + 4·lid.x ..). v4
// walks all of K, v5 one slice. Every invocation of the workgroup calls it with the same arguments
// (it holds the barriers); k_begin is a multiple of TILE_K.
fn tile_product(m_tile: u32, n_tile: u32, k_begin: u32, k_end: u32, lid: vec3u, t: u32) -> Block {
  let M = params.M;
  let N = params.N;
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);

  // No invocation returns early: every one must reach every barrier.
  for (var k_tile = k_begin; k_tile < k_end; k_tile += TILE_K) {
    // Stage 1024 values of each operand, 4 per invocation: element e = t + 256·i of the slice.
    // The index order follows each layout's contiguous dimension, so neighbours read neighbours.
    for (var i = 0u; i < 4u; i++) {
      let e = t + 256u * i;
      var m: u32;
      var k: u32;
      if (TRANSPOSE_A) { m = e % TILE; k = e / TILE; } else { k = e % TILE_K; m = e / TILE_K; }
      var value = 0.0;
      if (m_tile + m < M && k_tile + k < k_end) { value = load_a(m_tile + m, k_tile + k); }
      tile_a[k * 16u + m / 4u][m % 4u] = value;

      var n: u32;
      if (TRANSPOSE_B) { k = e % TILE_K; n = e / TILE_K; } else { n = e % TILE; k = e / TILE; }
      value = 0.0;
      if (n_tile + n < N && k_tile + k < k_end) { value = load_b(k_tile + k, n_tile + n); }
      tile_b[k * 16u + n / 4u][n % 4u] = value;
    }
    workgroupBarrier();

    for (var k = 0u; k < TILE_K; k++) {
      let a_col = tile_a[k * 16u + lid.y];
      let b_row = tile_b[k * 16u + lid.x];
      acc0 += a_col.x * b_row;
      acc1 += a_col.y * b_row;
      acc2 += a_col.z * b_row;
      acc3 += a_col.w * b_row;
    }
    // The next slice overwrites the tiles: everyone must have finished reading them.
    workgroupBarrier();
  }
  return Block(acc0, acc1, acc2, acc3);
}

@compute @workgroup_size(16, 16)
fn matmul_tiled(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                @builtin(local_invocation_index) t: u32) {
  batch = wid.z;
  let m_tile = wid.y * TILE;
  let n_tile = wid.x * TILE;
  let acc = tile_product(m_tile, n_tile, 0u, params.K, lid, t);
  let m0 = m_tile + lid.y * 4u;
  let n0 = n_tile + lid.x * 4u;
  store_row_checked(m0, n0, acc.r0);
  store_row_checked(m0 + 1u, n0, acc.r1);
  store_row_checked(m0 + 2u, n0, acc.r2);
  store_row_checked(m0 + 3u, n0, acc.r3);
}

// C[m, n0 .. n0 + 3] through the scalar epilogue, skipping elements past M or N.
fn store_row_checked(m: u32, n0: u32, sum: vec4f) {
  if (m >= params.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (n0 + j < params.N) { store(m, n0 + j, sum[j]); }
  }
}

// ── v5: split-K ──────────────────────────────────────────────────────────────────────────────────
// Pass 1 writes slice z's raw sum (no epilogue) to partial[z·M·N + m·N + n]; pass 2 adds the
// slices and applies the epilogue once.
struct Split {
  slices: u32,  // S
  slice_k: u32, // K per slice, a multiple of TILE_K; the last slice may be shorter
}

@group(0) @binding(5) var<uniform> split: Split;
@group(0) @binding(6) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(16, 16)
fn matmul_splitk_partial(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u,
                         @builtin(local_invocation_index) t: u32) {
  batch = 0u; // one product: z is the slice
  let m_tile = wid.y * TILE;
  let n_tile = wid.x * TILE;
  let k_begin = wid.z * split.slice_k;
  let k_end = min(k_begin + split.slice_k, params.K);
  let acc = tile_product(m_tile, n_tile, k_begin, k_end, lid, t);
  let base = wid.z * params.M * params.N;
  let m0 = m_tile + lid.y * 4u;
  let n0 = n_tile + lid.x * 4u;
  store_partial(base, m0, n0, acc.r0);
  store_partial(base, m0 + 1u, n0, acc.r1);
  store_partial(base, m0 + 2u, n0, acc.r2);
  store_partial(base, m0 + 3u, n0, acc.r3);
}

// partial[base + m·N + n0 .. n0 + 3], skipping elements past M or N.
fn store_partial(base: u32, m: u32, n0: u32, sum: vec4f) {
  if (m >= params.M) { return; }
  for (var j = 0u; j < 4u; j++) {
    if (n0 + j < params.N) { partial[base + m * params.N + n0 + j] = sum[j]; }
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn matmul_splitk_reduce(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  batch = 0u; // one product
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  let count = params.M * params.N;
  if (i >= count) { return; }
  // Slices in order 0 .. S − 1: the same sum on every run.
  var sum = 0.0;
  for (var z = 0u; z < split.slices; z++) {
    sum += partial[z * count + i];
  }
  store(i / params.N, i % params.N, sum);
}
