// torch.nn.init, generated on the GPU by shaders/init.wgsl. Each call draws from the global seed
// (manualSeed) and the next stream number, so the same seed and the same sequence of calls give the
// same values. The gains and fans follow PyTorch's calculate_gain and _calculate_fan_in_and_fan_out.
// eye_ and dirac_ are deterministic and written from the CPU; orthogonal_ runs its QR on the CPU,
// and sparse_ picks its zeros there.
import { fillConstant, fillNormal, fillTruncNormal, fillUniform, type RandomKey } from './kernels/init';
import { expectDtype, shapeText } from './launch';
import { normalizeOptions, show } from './options';
import { threefry2x32 } from './reference/random';
import type { Tensor } from './tensor';

let globalSeed = 0x5eed;
let nextStream = 0;

/** torch.manual_seed: restarts the stream of random keys used by init and Dropout. */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`manualSeed: argument 'seed' expected an integer in [0, 2³²), got ${seed}`);
  globalSeed = seed;
  nextStream = 0;
}

/** The next (seed, stream) key of the global generator. */
export function nextRandomKey(): RandomKey {
  return { seed: globalSeed, stream: nextStream++ };
}

export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** torch.nn.init.calculate_gain. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope)) throw new Error(`calculateGain: negative_slope ${slope} is not a valid number`);
      return Math.sqrt(2 / (1 + slope ** 2));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/** fan_in = shape[1] · receptive field, fan_out = shape[0] · receptive field (≥ 2 dimensions). */
export function calculateFanInAndFanOut(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`init: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got shape [${shape.join(', ')}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

export type FanMode = 'fan_in' | 'fan_out';

function fan(shape: readonly number[], mode: FanMode): number {
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new Error(`init: mode '${String(mode)}' not supported, expected fan_in or fan_out`);
  const { fanIn, fanOut } = calculateFanInAndFanOut(shape);
  return mode === 'fan_in' ? fanIn : fanOut;
}

export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  fillUniform(t, a, b, nextRandomKey());
  return t;
}

export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  fillNormal(t, mean, std, nextRandomKey());
  return t;
}

export function constant_(t: Tensor, value: number): Tensor {
  fillConstant(t, value);
  return t;
}

export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

export interface KaimingOptions {
  /** The negative slope of the rectifier after this layer (leaky_relu only). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

/** PyTorch's a, mode and nonlinearity, checked: an unknown option or a bad value is an Error naming it. */
function kaimingOptions(where: string, options: KaimingOptions): Required<KaimingOptions> {
  // PyTorch's kaiming_* take the slope as `a` (calculate_gain's param); negative_slope is refused as unknown.
  const { a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu' } = normalizeOptions(where, options, ['a', 'mode', 'nonlinearity']) as KaimingOptions;
  if (typeof a !== 'number' || !Number.isFinite(a)) throw new Error(`${where}: option 'a' (the negative slope of leaky_relu) expected a finite number, got ${show(a)}`);
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new Error(`${where}: option 'mode' expected 'fan_in' or 'fan_out', got ${show(mode)}`);
  calculateGain(nonlinearity, a);
  return { a, mode, nonlinearity };
}

/** kaimingUniform_'s bound for a tensor of this shape: gain · √(3 / fan). */
export function kaimingUniformBound(shape: readonly number[], options: KaimingOptions = {}): number {
  const { a, mode, nonlinearity } = kaimingOptions('kaimingUniform_', options);
  return Math.sqrt(3) * (calculateGain(nonlinearity, a) / Math.sqrt(fan(shape, mode)));
}

/** U(−bound, bound), bound = gain · √(3 / fan). */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = kaimingUniformBound(t.shape, options);
  return uniform_(t, -bound, bound);
}

/** N(0, std²), std = gain / √fan. */
export function kaimingNormal_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const { a, mode, nonlinearity } = kaimingOptions('kaimingNormal_', options);
  return normal_(t, 0, calculateGain(nonlinearity, a) / Math.sqrt(fan(t.shape, mode)));
}

/** U(−a, a), a = gain · √(6 / (fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t.shape);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a);
}

/** N(0, std²), std = gain · √(2 / (fan_in + fan_out)). */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t.shape);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}

/**
 * N(mean, std²) with values outside [a, b] redrawn, as torch.nn.init.trunc_normal_: PyTorch's
 * inverse-CDF method (a uniform draw between the bounds' CDFs, through erfinv), on the GPU.
 */
export function truncNormal_(t: Tensor, mean = 0, std = 1, a = -2, b = 2): Tensor {
  if (mean < a - 2 * std || mean > b + 2 * std) console.warn('truncNormal_: mean is more than 2 std from [a, b]; the distribution of values may be incorrect (as PyTorch warns)');
  fillTruncNormal(t, mean, std, a, b, nextRandomKey());
  return t;
}

/** The identity matrix in a 2-D tensor (as many inputs preserved as possible), as torch.nn.init.eye_. */
export function eye_(t: Tensor): Tensor {
  expectDtype('eye_', 'tensor', t, 'f32');
  if (t.shape.length !== 2) throw new Error(`eye_: only tensors with 2 dimensions are supported, got shape ${shapeText(t.shape)}`);
  const [rows, cols] = t.shape as [number, number];
  const values = new Float32Array(rows * cols);
  for (let i = 0; i < Math.min(rows, cols); i++) values[i * cols + i] = 1;
  t.write(values);
  return t;
}

/**
 * The Dirac delta in a convolution weight [out, in, k…] of 3, 4 or 5 dimensions, as torch.nn.init.dirac_:
 * a 1 at the kernel's centre (index ⌊k/2⌋ in each spatial dimension) for output channel g·out/groups + d
 * and input channel d, for d < min(out/groups, in): each group passes its first channels through.
 */
export function dirac_(t: Tensor, groups = 1): Tensor {
  expectDtype('dirac_', 'tensor', t, 'f32');
  const shape = t.shape;
  if (shape.length < 3 || shape.length > 5) throw new Error(`dirac_: only tensors with 3, 4 or 5 dimensions are supported, got shape ${shapeText(shape)}`);
  if (!Number.isInteger(groups) || groups < 1) throw new Error(`dirac_: argument 'groups' expected a positive integer, got ${groups}`);
  if (shape[0]! % groups !== 0) throw new Error(`dirac_: dim 0 must be divisible by groups: ${shape[0]} output channels in ${groups} groups (shape ${shapeText(shape)})`);
  const outPerGroup = shape[0]! / groups;
  const spatial = shape.slice(2);
  // The centre's offset within one [k…] kernel, row-major.
  const centre = spatial.reduce((offset, k) => offset * k + Math.floor(k / 2), 0);
  const kernelSize = spatial.reduce((a, b) => a * b, 1);
  const values = new Float32Array(t.size);
  for (let g = 0; g < groups; g++) {
    for (let d = 0; d < Math.min(outPerGroup, shape[1]!); d++) values[((g * outPerGroup + d) * shape[1]! + d) * kernelSize + centre] = 1;
  }
  t.write(values);
  return t;
}

/**
 * A (semi-)orthogonal matrix, as torch.nn.init.orthogonal_ (Saxe et al. 2013): the tensor is seen as
 * rows × (everything else); a matrix of N(0, 1) draws is factored as QR (transposed first when wide),
 * and Q's columns are multiplied by the signs of R's diagonal, which makes Q uniform over the
 * orthogonal matrices (Mezzadri 2007). Then scaled by gain: QᵀQ = gain²·I (QQᵀ when wide).
 *
 * Runs on the CPU, in float64: PyTorch's orthogonal_ is synchronous and a QR needs the draws in hand,
 * so reading GPU draws back would make ours async. The draws are the ones fill_normal makes on the
 * GPU for this key (the same Threefry words through Box–Muller), in float64.
 */
export function orthogonal_(t: Tensor, gain = 1): Tensor {
  expectDtype('orthogonal_', 'tensor', t, 'f32');
  if (t.shape.length < 2) throw new Error(`orthogonal_: only tensors with 2 or more dimensions are supported, got shape ${shapeText(t.shape)}`);
  if (!Number.isFinite(gain)) throw new Error(`orthogonal_: argument 'gain' expected a finite number, got ${gain}`);
  const rows = t.shape[0]!;
  const cols = t.size / rows;
  t.write(orthogonalFromNormal(normalDraws(nextRandomKey(), t.size), rows, cols).map((q) => gain * q));
  return t;
}

/** The n standard normal draws fill_normal makes on the GPU for `key` (Threefry words through Box–Muller), in float64. */
function normalDraws(key: RandomKey, n: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => {
    const [w0, w1] = threefry2x32([i, 0], [key.seed, key.stream]);
    const [u, v] = [(w0 >>> 8) / 2 ** 24, (w1 >>> 8) / 2 ** 24];
    return Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
  });
}

/**
 * torch.nn.init.sparse_ (Martens 2010): N(0, std²) draws, then in every column ceil(sparsity·rows)
 * of them set to zero, at rows picked at random (the first of a Fisher–Yates shuffle, as PyTorch takes
 * the first of a randperm). 2-D only, as in PyTorch. On the CPU, as orthogonal_: the draws are
 * fill_normal's for one key, the rows come from the next.
 */
export function sparse_(t: Tensor, sparsity: number, std = 0.01): Tensor {
  expectDtype('sparse_', 'tensor', t, 'f32');
  if (t.shape.length !== 2) throw new Error(`sparse_: only tensors with 2 dimensions are supported, got shape ${shapeText(t.shape)}`);
  if (typeof sparsity !== 'number' || !(sparsity >= 0 && sparsity <= 1)) throw new Error(`sparse_: argument 'sparsity' expected a number in [0, 1], got ${show(sparsity)}`);
  if (typeof std !== 'number' || !(std >= 0 && std < Infinity)) throw new Error(`sparse_: argument 'std' expected a finite number ≥ 0, got ${show(std)}`);
  const [rows, cols] = t.shape as [number, number];
  const zeros = Math.ceil(sparsity * rows);
  const values = normalDraws(nextRandomKey(), t.size).map((v) => std * v);
  const pick = nextRandomKey();
  for (let col = 0; col < cols; col++) {
    const order = Array.from({ length: rows }, (_, row) => row);
    for (let i = 0; i < zeros; i++) {
      const [word] = threefry2x32([i, col], [pick.seed, pick.stream]);
      const j = i + Math.floor((word / 2 ** 32) * (rows - i));
      [order[i], order[j]] = [order[j]!, order[i]!];
      values[order[i]! * cols + col] = 0;
    }
  }
  t.write(values);
  return t;
}

/**
 * orthogonal_'s matrix from its rows × cols normal draws (row-major), as PyTorch computes it:
 * the tall one of A and Aᵀ factored by Householder QR, Q·sign(diag R), transposed back when wide.
 */
export function orthogonalFromNormal(normal: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const wide = rows < cols;
  const [m, n] = wide ? [cols, rows] : [rows, cols]; // the tall matrix, m ≥ n
  // a: the tall matrix, column-major (a[j] is column j), overwritten by R above the diagonal.
  const a = Array.from({ length: n }, (_, j) => Float64Array.from({ length: m }, (_, i) => (wide ? normal[j * cols + i]! : normal[i * cols + j]!)));
  const reflectors: Float64Array[] = [];
  const signs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    // The reflector H = I − 2vvᵀ/(vᵀv) that maps column k's rows k… onto −sign(a_kk)·‖·‖·e_k (LAPACK's sign).
    const x = a[k]!.subarray(k);
    const norm = Math.sqrt(x.reduce((sum, xi) => sum + xi * xi, 0));
    const rkk = x[0]! >= 0 ? -norm : norm;
    const v = Float64Array.from(x);
    v[0]! -= rkk;
    const vv = v.reduce((s, vi) => s + vi * vi, 0);
    for (let j = k; j < n; j++) {
      const col = a[j]!.subarray(k);
      const scale = vv === 0 ? 0 : (2 * col.reduce((s, c, i) => s + c * v[i]!, 0)) / vv;
      for (let i = 0; i < col.length; i++) col[i]! -= scale * v[i]!;
    }
    reflectors.push(v);
    signs[k] = Math.sign(rkk); // torch.sign(diag(R)): 0 for a zero column, as PyTorch
  }
  // Q's first n columns: H₀H₁…H_{n−1} applied to e_0 … e_{n−1}, then column j times sign(R_jj).
  const q = Array.from({ length: n }, (_, j) => {
    const e = new Float64Array(m);
    e[j] = 1;
    for (let k = n - 1; k >= 0; k--) {
      const v = reflectors[k]!;
      const vv = v.reduce((s, vi) => s + vi * vi, 0);
      const tail = e.subarray(k);
      const scale = vv === 0 ? 0 : (2 * tail.reduce((s, c, i) => s + c * v[i]!, 0)) / vv;
      for (let i = 0; i < tail.length; i++) tail[i]! -= scale * v[i]!;
    }
    return e.map((value) => value * signs[j]!);
  });
  // Back to rows × cols, row-major: Q (m × n) when tall, Qᵀ when wide.
  return Float64Array.from({ length: rows * cols }, (_, idx) => {
    const [r, c] = [Math.floor(idx / cols), idx % cols];
    return wide ? q[r]![c]! : q[c]![r]!;
  });
}
