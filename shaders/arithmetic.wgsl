// arithmetic.wgsl — elementwise add, multiply and divide with one operand broadcast, and sums back to its shape
//
// F.add, F.sub, F.mul, F.div and F.mean, and the gradient of a loss used as a term of a larger one.
// a has n elements; b is broadcast over a's shape, element i of a meeting
//   b[j],  j = (i / inner) % b_size
// which covers b of a's own shape (inner 1, b_size n), a scalar (inner n, b_size 1), and any b whose
// dimensions other than 1 are one contiguous run of a's: a row [C] over [N, C] (inner 1, b_size C),
// a column [N, 1] over [N, C] (inner C, b_size N), a per-channel [C, 1, 1] over [N, C, H, W]
// (inner H·W, b_size C). The CPU works out inner and b_size; a number operand folds into alpha and
// offset.
//
//   combine, OP 0 (add):       out[i] = alpha · a[i] + beta · b[j] + offset
//   combine, OP 1 (multiply):  out[i] = alpha · a[i] · b[j] + offset
//   combine, OP 2 (divide):    out[i] = alpha · a[i] / b[j] + offset   (without HAS_B: / beta, a number divisor)
//   combine, OP 3 (divide by a): out[i] = alpha · b[j] / a[i] + offset   (the spread operand on top)
// Division is the hardware's: WGSL defines it for divisors of magnitude 2^-126 to 2^126, so x / 0 and a
// subnormal divisor give what the GPU gives (±∞ or NaN on IEEE hardware, as PyTorch; SwiftShader's
// 1 / 3e-39 is +∞ where PyTorch's is 3.3e38).
// Without HAS_A, a is not read (taken as 0 under OP 0: out = beta · b[j] + offset, b spread over n;
// as 1 under OP 2: out = alpha / b[j] + offset, a number over a tensor);
// without HAS_B, b is not read (out = alpha · a[i] + offset; under OP 2, alpha · a[i] / beta: x / 0.3081
// divides, as PyTorch's does, where multiplying by 1 / 0.3081 is 1 ulp off for most x). Not reading an operand, rather than
// multiplying it by 0, keeps an infinite or NaN there from leaking in.
//
//   sum_to_broadcast:  out[k] = alpha · Σ over every i with (i / inner) % b_size = k of terms[i] · factors[i]
// (factors[i] taken as 1 without HAS_B): a broadcast operand's gradient, Σ dy for an add and
// Σ dy · (the other operand) for a multiply. terms and factors have n elements, out b_size.
// With ACCUMULATE both entries add into out (gradients add up, as in PyTorch).
//
// Bindings: params {n, inner, b_size, alpha, beta, offset}; a, b (read; any 1-element buffer for an
// operand not read); out (read_write). sum_to_broadcast names bindings 1 and 2 terms and factors.
//
// Variants:
//   v1 combine           one invocation per element of out, workgroup WORKGROUP_SIZE (64); element
//                        i = gid.x + gid.y · (groups.x · WORKGROUP_SIZE) (past 65,535 workgroups the grid spills into y).
//   v1 sum_to_broadcast  one invocation per element of out, looping serially over the n / b_size
//                        elements it sums (barrier-free, as reduce.wgsl's v1). Best when b has many
//                        elements, each summing few; a scalar's gradient is one serial loop over n.
//   v2 sum_to_broadcast_tree  a workgroup of 256 per element k of out (k = wid.x + wid.y · groups.x,
//                        spilling into y past 65,535): lane t adds the elements j = t, t + 256, … of
//                        the n / b_size that meet k (element (j / inner) · b_size · inner + k · inner
//                        + j % inner), then the 256 partial sums are added pairwise in workgroup
//                        memory. For a scalar or a few channels over many elements.

override WORKGROUP_SIZE: u32 = 64u;
override OP: u32 = 0u;
override HAS_A: bool = true;
override HAS_B: bool = true;
override ACCUMULATE: bool = false;

struct Params {
  n: u32,
  inner: u32,
  b_size: u32,
  alpha: f32,
  beta: f32,
  offset: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
// sum_to_broadcast's names for bindings 1 and 2 (a binding may be declared twice when no entry point uses both).
@group(0) @binding(1) var<storage, read> terms: array<f32>;
@group(0) @binding(2) var<storage, read> factors: array<f32>;

@compute @workgroup_size(WORKGROUP_SIZE)
fn combine(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (i >= params.n) { return; }
  var value = params.offset;
  if (OP == 0u) {
    if (HAS_A) { value += params.alpha * a[i]; }
    if (HAS_B) { value += params.beta * b[(i / params.inner) % params.b_size]; }
  } else if (OP == 1u) {
    var product = params.alpha * a[i];
    if (HAS_B) { product *= b[(i / params.inner) % params.b_size]; }
    value += product;
  } else if (OP == 2u) {
    var numerator = params.alpha;
    if (HAS_A) { numerator *= a[i]; }
    if (HAS_B) { value += numerator / b[(i / params.inner) % params.b_size]; } else { value += numerator / params.beta; }
  } else {
    value += params.alpha * b[(i / params.inner) % params.b_size] / a[i];
  }
  if (ACCUMULATE) { out[i] += value; } else { out[i] = value; }
}

@compute @workgroup_size(WORKGROUP_SIZE)
fn sum_to_broadcast(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let k = gid.x + gid.y * groups.x * WORKGROUP_SIZE;
  if (k >= params.b_size) { return; }
  let inner = params.inner;
  let stride = params.b_size * inner; // from one block of b's elements to the next
  var total = 0.0;
  for (var start = k * inner; start < params.n; start += stride) {
    for (var i = start; i < start + inner; i++) {
      var term = terms[i];
      if (HAS_B) { term *= factors[i]; }
      total += term;
    }
  }
  let value = params.alpha * total;
  if (ACCUMULATE) { out[k] += value; } else { out[k] = value; }
}

// ── v2: a workgroup tree per element of out ─────────────────────────────────────────────────────────
var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn sum_to_broadcast_tree(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u,
                         @builtin(local_invocation_index) t: u32) {
  let k = wid.x + wid.y * groups.x; // uniform across the workgroup, so the barriers below are too
  let inner = params.inner;
  let count = params.n / params.b_size; // elements that meet k
  var total = 0.0;
  if (k < params.b_size) {
    for (var j = t; j < count; j += 256u) {
      let i = (j / inner) * params.b_size * inner + k * inner + j % inner;
      var term = terms[i];
      if (HAS_B) { term *= factors[i]; }
      total += term;
    }
  }
  partial[t] = total;
  for (var stride = 128u; stride > 0u; stride /= 2u) {
    workgroupBarrier();
    if (t < stride) { partial[t] += partial[t + stride]; }
  }
  if (t == 0u && k < params.b_size) {
    let value = params.alpha * partial[0];
    if (ACCUMULATE) { out[k] += value; } else { out[k] = value; }
  }
}
