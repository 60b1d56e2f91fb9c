// sort.wgsl — each row's indices in sorted order (F.sort, F.argsort, F.topk), by a bitonic network;
// and where values fall in sorted rows (F.searchsorted, F.bucketize, F.multinomial's draws)
//
// x is [rows, n], sorted along each row. The network works on indices alone, padded to p, the power
// of 2 at or above n: order[r, i] names the element now at position i (i ≥ n: padding), and every
// comparison reads the two elements' values from x. Elements compare as (class, value, index):
//   ascending:   values ascending, then NaN (PyTorch's sort puts NaN last), then the padding;
//   descending:  NaN first (as PyTorch's), then values descending, then the padding.
// The index breaks every tie, so the order is the stable sort's on any GPU, whatever the network's
// swaps (a bitonic network is not stable by itself); −0 and +0 tie, as they compare equal in PyTorch.
// Values compare as integers: a float's bits made order-preserving (sign bit set for ≥ 0, all bits
// flipped for < 0), since WGSL lets an implementation assume no NaN or ∞ in float comparisons.
//
//   sort_init:     order[r, i] = i for every i < p
//   bitonic_step:  one step (block size k, partner distance j) of the network: for each pair
//                  (i, i + j) with bit j of i clear, swap when the two are out of order for their
//                  block (ascending where bit k of i is clear, descending where set)
//   sort_take:     out[r, t] = order[r, t] for t < take, as i32 (the first `take` of the order)
//   search_sorted: out[r, t] = the number of elements of row r of x (sorted ascending, NaN last, as
//                  sort leaves it) before which values[r, t] goes: those < it (RIGHT: ≤ it), by a
//                  binary search over the same order-preserving keys (NaN after every number, so a
//                  NaN value lands past every number; PyTorch's too, where the row has no NaN).
//                  SHARED_ROW: one row of x for every value (PyTorch's 1-D sorted_sequence)
// The host runs sort_init, then bitonic_step for k = 2, 4, …, p and j = k/2, …, 1 (log₂p·(log₂p + 1)/2
// steps), then sort_take.
//
// Bindings: params {rows, n, p, k, j, take}; x (read); order (read_write, rows·p u32); out
// (read_write, rows·take i32); values (read, rows·take f32: search_sorted only, which reads params
// rows, n and take alone).
//
// v1 (the only variant): every step one dispatch over all rows · p/2 pairs, one invocation a pair,
// barrier-free (SwiftShader's barriers turn a workgroup into coroutines); each pair is touched by one
// invocation per step, and WebGPU orders one dispatch's writes before the next's reads.
// Workgroup WORKGROUP_SIZE (64); element i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE) (past 65,535
// workgroups the grid spills into y).

override WORKGROUP_SIZE: u32 = 64u;
override DESCENDING: bool = false;
override RIGHT: bool = false;
override SHARED_ROW: bool = false;

struct Params {
  rows: u32,
  n: u32,
  p: u32,
  k: u32,
  j: u32,
  take: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> order: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<i32>;
@group(0) @binding(4) var<storage, read> values: array<f32>;

fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// A number's bits made order-preserving as u32 (−0 as +0); NaN is not a number here.
fn ascending_bits(v: f32) -> u32 {
  var bits = bitcast<u32>(v);
  if ((bits & 0x7fffffffu) == 0u) { bits = 0u; }
  return select(bits | 0x80000000u, ~bits, (bits & 0x80000000u) != 0u);
}

// (class, order-preserving bits) of the element at index i of row r: compared as a pair, then i.
fn order_key(r: u32, i: u32) -> vec2u {
  if (i >= params.n) { return vec2u(2u, 0u); } // padding: after everything
  let v = x[r * params.n + i];
  if (is_nan(v)) { return vec2u(select(1u, 0u, DESCENDING), 0u); }
  let bits = ascending_bits(v);
  if (DESCENDING) { return vec2u(1u, ~bits); }
  return vec2u(0u, bits);
}

// The ascending order's key of a value: (1, 0) for NaN, after every number's (0, bits).
fn search_key(v: f32) -> vec2u {
  if (is_nan(v)) { return vec2u(1u, 0u); }
  return vec2u(0u, ascending_bits(v));
}

// Whether index a comes after index b in row r's order.
fn after(r: u32, a: u32, b: u32) -> bool {
  let ka = order_key(r, a);
  let kb = order_key(r, b);
  if (ka.x != kb.x) { return ka.x > kb.x; }
  if (ka.y != kb.y) { return ka.y > kb.y; }
  return a > b;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sort_init(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (e >= params.rows * params.p) { return; }
  order[e] = e % params.p;
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn bitonic_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  let pairs = params.p / 2u; // per row
  if (e >= params.rows * pairs) { return; }
  let r = e / pairs;
  let t = e % pairs;
  // The t-th pair: bit j of its lower position cleared, inserted into t.
  let j = params.j;
  let i = ((t & ~(j - 1u)) << 1u) | (t & (j - 1u));
  let base = r * params.p;
  let a = order[base + i];
  let b = order[base + i + j];
  let ascending = (i & params.k) == 0u;
  if (after(r, a, b) == ascending) {
    order[base + i] = b;
    order[base + i + j] = a;
  }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sort_take(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (e >= params.rows * params.take) { return; }
  let r = e / params.take;
  let t = e % params.take;
  out[e] = i32(order[r * params.p + t]);
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn search_sorted(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let e = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (e >= params.rows * params.take) { return; }
  let base = select((e / params.take) * params.n, 0u, SHARED_ROW);
  let key = search_key(values[e]);
  // The first position whose element is not before the value: [low, high) holds it.
  var low = 0u;
  var high = params.n;
  loop {
    if (low >= high) { break; }
    let middle = (low + high) / 2u;
    let k = search_key(x[base + middle]);
    let before = k.x < key.x || (k.x == key.x && (k.y < key.y || (RIGHT && k.y == key.y)));
    if (before) { low = middle + 1u; } else { high = middle; }
  }
  out[e] = i32(low);
}
