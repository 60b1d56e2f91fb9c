// Tensor creation as PyTorch's torch.* functions: tensor, zeros, ones, full, rand, randn, their
// *_like forms, arange, linspace and eye, with PyTorch's arguments, defaults and element counts.
//
// They are exported from the package root as plain functions (`import { zeros, randn } from
// 'wgslgrad'`), where PyTorch has them at torch's top level beside Tensor and no_grad (ours: Tensor,
// noGrad); a `torch` namespace would add a word to every line and set apart nothing. The names that
// PyTorch spells with an underscore are camelCase: zeros_like → zerosLike.
//
// Where the values come from:
// - zeros: the buffer cleared (no kernel); ones and full: init.wgsl's fill_constant, or one upload
//   for i32/u32 and for a value fill_constant does not take (±∞, NaN);
// - rand, randn: init.uniform_ and init.normal_, on the GPU from the engine's seed (init.manualSeed):
//   reproducible, but another stream than PyTorch's (the values differ from torch.rand's);
// - tensor, arange, linspace, eye: computed here on the CPU and uploaded once. arange and linspace
//   reproduce PyTorch's CPU kernels to the last bit (see cpuVectorLoop).
//
// dtype is 'f32' unless given, as PyTorch's default float32: a JavaScript number cannot say whether
// it was written 7 or 7.0, which is how torch.tensor and torch.full choose int64. arange alone, whose
// arguments say what they are (integers make indices), gives i32 for integer arguments, as
// torch.arange gives int64. wgslgrad has no 0-d and no empty tensors: a scalar is [1], a size of 0 an Error.
import { currentGpu, type Gpu } from './device/gpu';
import type { DType } from './device/shader';
import { normal_, uniform_ } from './init';
import { fillConstant } from './kernels/init';
import { shapeText } from './launch';
import { normalizeOptions, show } from './options';
import { opOutput, Tensor } from './tensor';

export interface CreationOptions {
  /** The device; currentGpu() (the first requestGpu()'s) when not given, as modules. */
  gpu?: Gpu;
  /** 'f32' (PyTorch's float32, the default), 'i32' (where PyTorch uses int64: indices) or 'u32'. */
  dtype?: DType;
  /** Autograd: a leaf whose gradient backward() computes (f32 only, as PyTorch's floating dtypes). */
  requiresGrad?: boolean;
}

/** A size as PyTorch takes it: zeros(2, 3) or zeros([2, 3]), options last. */
export type SizeArgs = [size: readonly number[], options?: CreationOptions] | [...size: number[]] | [...size: number[], options: CreationOptions];

const DTYPES: readonly DType[] = ['f32', 'i32', 'u32'];
const INTEGER_RANGE: Record<DType, [number, number]> = { f32: [-Infinity, Infinity], i32: [-(2 ** 31), 2 ** 31 - 1], u32: [0, 2 ** 32 - 1] };

interface Resolved {
  gpu: Gpu;
  dtype: DType;
  requiresGrad: boolean;
}

/** Options as given (PyTorch's requires_grad too), checked; an unknown one is an Error naming it. */
function resolve(where: string, options: CreationOptions | undefined, defaults: { gpu?: Gpu; dtype: DType }): Resolved {
  const { gpu, dtype = defaults.dtype, requiresGrad = false } = normalizeOptions(where, options ?? {}, ['gpu', 'dtype', 'requiresGrad'], { requires_grad: 'requiresGrad' }) as CreationOptions;
  if (!DTYPES.includes(dtype)) throw new Error(`${where}: option 'dtype' expected 'f32', 'i32' or 'u32', got ${show(dtype)}`);
  if (typeof requiresGrad !== 'boolean') throw new Error(`${where}: option 'requiresGrad' expected true or false, got ${show(requiresGrad)}`);
  if (requiresGrad && dtype !== 'f32') throw new Error(`${where}: only f32 tensors can require gradients, got dtype '${dtype}' (PyTorch: "Only Tensors of floating point and complex dtype can require gradients")`);
  return { gpu: gpu ?? defaults.gpu ?? currentGpu(), dtype, requiresGrad };
}

/** A plain object ({ dtype }), not a list, typed array or Tensor. */
const isOptions = (v: unknown): v is CreationOptions => v !== null && typeof v === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(v));

/** zeros(2, 3), zeros([2, 3]), each with options last → the shape and the options, or an Error naming what is wrong. */
function sizeAndOptions(where: string, args: readonly unknown[]): { shape: number[]; options: CreationOptions | undefined } {
  const options = isOptions(args.at(-1)) ? (args.at(-1) as CreationOptions) : undefined;
  const dims = options ? args.slice(0, -1) : args;
  const shape = dims.length === 1 && Array.isArray(dims[0]) ? (dims[0] as unknown[]) : dims;
  if (shape.some(Array.isArray)) throw new Error(`${where}: expected a size as numbers (${where}(2, 3)) or one list ([2, 3]), got ${show(dims)}`);
  return { shape: checkedShape(where, shape), options };
}

function checkedShape(where: string, shape: readonly unknown[]): number[] {
  if (shape.length === 0) throw new Error(`${where}: expected a size (${where}(2, 3) or ${where}([2, 3])), got none; wgslgrad has no 0-d tensors: ${where}(1) makes one element`);
  const at = shape.findIndex((d) => typeof d !== 'number' || !Number.isInteger(d) || d <= 0); // an index: undefined can be the bad one
  if (at >= 0) throw new Error(`${where}: size ${show(shape)}: every dimension must be a positive integer, got ${show(shape[at])}${shape[at] === 0 ? ' (wgslgrad has no empty tensors)' : ''}`);
  return shape as number[];
}

/**
 * A new tensor of this shape, its requiresGrad set: every check is done before, so a refusal leaves no
 * buffer. Made as an op's output is: a tidy() frees it unless it returns it (TensorFlow.js's
 * tf.tensor inside tf.tidy), so a step's tensor(batch) inside one leaves nothing behind.
 */
function made(where: string, shape: readonly number[], { gpu, dtype, requiresGrad }: Resolved): Tensor {
  const t = opOutput(gpu, shape, where, dtype);
  t.requiresGrad = requiresGrad;
  return t;
}

/** A value that is not a number, as an error shows it: what it is, and why it cannot be an element. */
function describe(value: unknown): string {
  if (typeof value === 'string') return `${show(value)} (a string)`;
  if (typeof value === 'boolean') return `${value} (a boolean; wgslgrad has no bool dtype: write 1 or 0)`;
  if (typeof value === 'bigint') return `${value}n (a bigint: write a number)`;
  return show(value);
}

/** Whether value is a number of the dtype: any number for f32, an integer in range for i32 and u32. */
function fits(value: unknown, dtype: DType): value is number {
  const [low, high] = INTEGER_RANGE[dtype];
  return typeof value === 'number' && (dtype === 'f32' || (Number.isInteger(value) && value >= low && value <= high));
}

/** An Error unless value fits the dtype, saying what it is instead. */
function expectValue(where: string, what: string, value: unknown, dtype: DType): asserts value is number {
  if (fits(value, dtype)) return;
  if (typeof value !== 'number') throw new Error(`${where}: ${what} is ${describe(value)}, not a number`);
  const [low, high] = INTEGER_RANGE[dtype];
  throw new Error(`${where}: ${what} is ${value}, not ${dtype === 'u32' ? 'a' : 'an'} ${dtype} (an integer in [${low}, ${high}])`);
}

const elements = (n: number) => `${n} element${n === 1 ? '' : 's'}`;

/** t = value everywhere: cleared for 0, fill_constant for a finite f32, else one upload. */
/** t's every element set to value: a clear for +0, init.wgsl's fill for a finite f32, else an upload (±∞, NaN, integer dtypes). x.fill_ is this too. */
export function fill(t: Tensor, value: number): Tensor {
  if (Object.is(value, 0)) t.gpu.clear(t);
  else if (t.dtype === 'f32' && Number.isFinite(value)) fillConstant(t, value);
  else t.write(new Float64Array(t.size).fill(value)); // write() converts to the dtype
  return t;
}

// ── from data ────────────────────────────────────────────────────────────────────────────────────

type Nested = number | readonly Nested[] | ArrayLike<number>;

const isList = (v: unknown): v is ArrayLike<unknown> => Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
const at = (path: readonly number[]) => `[${path.join(', ')}]`;

/**
 * torch.tensor(data): nested lists (arrays, or typed arrays as rows) → a tensor of their shape, the
 * values in row-major order. A number gives shape [1] (no 0-d tensors). Ragged rows, an element that
 * is not a number (a string, undefined, null, a boolean), an empty list and, for i32/u32, a value
 * that is not such an integer are Errors naming the element's index path, where Float32Array.from
 * would give NaN or 0 without a word.
 */
export function tensor(data: Nested, options?: CreationOptions): Tensor {
  const where = 'tensor';
  if (data instanceof Tensor) throw new Error(`${where}: data is a Tensor ${shapeText(data.shape)}; copy one with t.clone() (PyTorch's sourceTensor.clone().detach())`);
  // An Int32Array or Uint32Array says its type, as a NumPy int32 array does to torch.tensor.
  const resolved = resolve(where, options, { dtype: data instanceof Int32Array ? 'i32' : data instanceof Uint32Array ? 'u32' : 'f32' });
  if (!isList(data)) {
    expectValue(where, 'data', data, resolved.dtype);
    return written(where, [1], resolved, () => [data]);
  }
  // A flat typed array (a batch from a DataLoader): uploaded as it is; write() checks integer ranges.
  if (ArrayBuffer.isView(data) && data.length > 0) return written(where, [data.length], resolved, () => data as ArrayLike<number>);
  // The shape is the first element's at each depth; every other element is held to it.
  const shape: number[] = [];
  for (let v: unknown = data; isList(v); v = v[0]) {
    if (v.length === 0) throw new Error(`${where}: the list at ${at(shape.map(() => 0))} is empty (wgslgrad has no empty tensors)`);
    shape.push(v.length);
  }
  const values: number[] = [];
  // One path, extended and cut back as the walk goes: messages are built only for the element refused.
  const path: number[] = [];
  const first = () => at(path.map(() => 0));
  const visit = (v: unknown): void => {
    const depth = path.length;
    if (depth === shape.length) {
      if (isList(v)) throw new Error(`${where}: element ${at(path)} is a list, where element ${first()} is a number`);
      if (!fits(v, resolved.dtype)) expectValue(where, `element ${at(path)}`, v, resolved.dtype);
      values.push(v as number);
      return;
    }
    if (!isList(v)) throw new Error(`${where}: element ${at(path)} is ${describe(v)}, not a list, where row ${first()} is a list of ${elements(shape[depth]!)}`);
    if (v.length !== shape[depth]) throw new Error(`${where}: row ${at(path)} has ${elements(v.length)}, row ${first()} has ${shape[depth]}`);
    for (let i = 0; i < v.length; i++) {
      path.push(i);
      visit(v[i]);
      path.pop();
    }
  };
  visit(data);
  return written(where, shape, resolved, () => values);
}

/**
 * A tensor of this shape with values() uploaded. The buffer is made first: a size past the adapter's
 * maxBufferSize is an Error before the values are computed (arange(0, 1e10) would take minutes).
 */
function written(where: string, shape: readonly number[], resolved: Resolved, values: () => ArrayLike<number>): Tensor {
  const t = made(where, shape, resolved);
  try {
    t.write(values());
  } catch (error) {
    t.destroy();
    throw error;
  }
  return t;
}

// ── filled ───────────────────────────────────────────────────────────────────────────────────────

/** torch.zeros(*size): zeros(2, 3) or zeros([2, 3], { dtype: 'i32' }). */
export function zeros(...args: SizeArgs): Tensor {
  const { shape, options } = sizeAndOptions('zeros', args);
  return fill(made('zeros', shape, resolve('zeros', options, { dtype: 'f32' })), 0);
}

/** torch.ones(*size). */
export function ones(...args: SizeArgs): Tensor {
  const { shape, options } = sizeAndOptions('ones', args);
  return fill(made('ones', shape, resolve('ones', options, { dtype: 'f32' })), 1);
}

/**
 * torch.empty(*size): a tensor whose values you will write. WebGPU clears new buffers, so they read
 * 0 here (NaN with requestGpu's poisonNewBuffers; PyTorch's are whatever memory held).
 */
export function empty(...args: SizeArgs): Tensor {
  const { shape, options } = sizeAndOptions('empty', args);
  return made('empty', shape, resolve('empty', options, { dtype: 'f32' }));
}

/** torch.full(size, fill_value): the size a list, as PyTorch's; f32 unless dtype says (see the header). */
export function full(size: readonly number[], fillValue: number, options?: CreationOptions): Tensor {
  if (!Array.isArray(size)) throw new Error(`full: argument 'size' expected a list of dimensions (full([2, 3], ${show(fillValue)})), got ${show(size)}`);
  const shape = checkedShape('full', size);
  const resolved = resolve('full', options, { dtype: 'f32' });
  expectValue('full', 'the fill value', fillValue, resolved.dtype);
  return fill(made('full', shape, resolved), fillValue);
}

/** torch.rand(*size): U[0, 1) on the GPU from init.manualSeed's generator (not PyTorch's stream). */
export function rand(...args: SizeArgs): Tensor {
  const { shape, options } = sizeAndOptions('rand', args);
  return uniform_(made('rand', shape, floatsOnly('rand', resolve('rand', options, { dtype: 'f32' }))), 0, 1);
}

/** torch.randn(*size): N(0, 1) on the GPU from init.manualSeed's generator (not PyTorch's stream). */
export function randn(...args: SizeArgs): Tensor {
  const { shape, options } = sizeAndOptions('randn', args);
  return normal_(made('randn', shape, floatsOnly('randn', resolve('randn', options, { dtype: 'f32' }))), 0, 1);
}

function floatsOnly(where: string, resolved: Resolved): Resolved {
  if (resolved.dtype !== 'f32') throw new Error(`${where}: random floats need dtype 'f32', got '${resolved.dtype}'`);
  return resolved;
}

// ── *_like: the input's shape, dtype and device unless the options say ─────────────────────────────

function likeOf(where: string, input: unknown, options: CreationOptions | undefined): { shape: readonly number[]; resolved: Resolved } {
  if (!(input instanceof Tensor)) throw new Error(`${where}: argument 'input' expected a Tensor, got ${show(input)}${Array.isArray(input) ? ` (for a size: ${where.replace('Like', '')}(${show(input)}))` : ''}`);
  return { shape: input.shape, resolved: resolve(where, options, { gpu: input.gpu, dtype: input.dtype }) };
}

/** torch.zeros_like(input). */
export function zerosLike(input: Tensor, options?: CreationOptions): Tensor {
  const { shape, resolved } = likeOf('zerosLike', input, options);
  return fill(made('zerosLike', shape, resolved), 0);
}

/** torch.ones_like(input). */
export function onesLike(input: Tensor, options?: CreationOptions): Tensor {
  const { shape, resolved } = likeOf('onesLike', input, options);
  return fill(made('onesLike', shape, resolved), 1);
}

/** torch.full_like(input, fill_value). */
export function fullLike(input: Tensor, fillValue: number, options?: CreationOptions): Tensor {
  const { shape, resolved } = likeOf('fullLike', input, options);
  expectValue('fullLike', 'the fill value', fillValue, resolved.dtype);
  return fill(made('fullLike', shape, resolved), fillValue);
}

/** torch.rand_like(input): an i32 or u32 input needs { dtype: 'f32' } (PyTorch refuses integer dtypes too). */
export function randLike(input: Tensor, options?: CreationOptions): Tensor {
  const { shape, resolved } = likeOf('randLike', input, options);
  return uniform_(made('randLike', shape, floatsOnly('randLike', resolved)), 0, 1);
}

/** torch.randn_like(input). */
export function randnLike(input: Tensor, options?: CreationOptions): Tensor {
  const { shape, resolved } = likeOf('randnLike', input, options);
  return normal_(made('randnLike', shape, floatsOnly('randnLike', resolved)), 0, 1);
}

// ── ranges ───────────────────────────────────────────────────────────────────────────────────────

/**
 * The values of PyTorch's CPU range kernels (arange, linspace: cpu_serial_kernel_vec), bit for bit
 * on an AVX2 build such as Debian's: the range goes in steps of two 8-wide vectors, each vector's
 * lanes its first element's value plus lane·step (`lane`), and the last n mod 16 elements one by one
 * (`scalar`). Above 32,768 elements PyTorch splits the range among its threads, each restarting the
 * pattern, so there its last bits vary with the thread count; these are its values on one thread.
 */
function cpuVectorLoop(n: number, scalar: (i: number) => number, lane: (first: number, j: number) => number): Float32Array {
  const LANES = 8;
  const vectorized = n - (n % (2 * LANES));
  return Float32Array.from({ length: n }, (_, i) => (i < vectorized ? lane(scalar(i - (i % LANES)), i % LANES) : scalar(i)));
}

/**
 * torch.arange(end), arange(start, end), arange(start, end, step): ⌈(end − start)/step⌉ values
 * start + i·step. Integer arguments give i32 (PyTorch's int64), others f32, unless dtype says.
 * Float values are PyTorch's CPU kernel's: start + i·step in float64, rounded to float32 (see cpuVectorLoop).
 */
export function arange(end: number, options?: CreationOptions): Tensor;
export function arange(start: number, end: number, options?: CreationOptions): Tensor;
export function arange(start: number, end: number, step: number, options?: CreationOptions): Tensor;
export function arange(...args: (number | CreationOptions | undefined)[]): Tensor {
  const where = 'arange';
  const options = isOptions(args.at(-1)) ? (args.at(-1) as CreationOptions) : undefined;
  const numbers = options ? args.slice(0, -1) : args;
  if (numbers.length < 1 || numbers.length > 3) throw new Error(`${where}: expected (end), (start, end) or (start, end, step), got ${numbers.length} arguments`);
  const at = numbers.findIndex((v) => typeof v !== 'number' || !Number.isFinite(v));
  if (at >= 0) throw new Error(`${where}: start, end and step must be finite numbers, got ${show(numbers[at])}`);
  const [start, end, step] = (numbers.length === 1 ? [0, numbers[0], 1] : [numbers[0], numbers[1], numbers[2] ?? 1]) as [number, number, number];
  const integers = [start, end, step].every(Number.isInteger);
  const resolved = resolve(where, options, { dtype: integers ? 'i32' : 'f32' });
  if (step === 0) throw new Error(`${where}: step must be nonzero`);
  if ((step > 0 && end < start) || (step < 0 && end > start)) throw new Error(`${where}: upper bound and larger bound inconsistent with step sign: from ${start} to ${end} by ${step}`);
  const n = Math.ceil((end - start) / step);
  if (n === 0) throw new Error(`${where}: from ${start} to ${end} is no values (wgslgrad has no empty tensors)`);
  if (resolved.dtype !== 'f32') {
    if (!integers) throw new Error(`${where}: dtype '${resolved.dtype}' needs integer start, end and step, got (${start}, ${end}, ${step})`);
    const [low, high] = INTEGER_RANGE[resolved.dtype];
    const last = start + (n - 1) * step;
    if (Math.min(start, last) < low || Math.max(start, last) > high) throw new Error(`${where}: values from ${start} to ${last} do not fit dtype '${resolved.dtype}'`);
    return written(where, [n], resolved, () => Float64Array.from({ length: n }, (_, i) => start + i * step));
  }
  return written(where, [n], resolved, () => cpuVectorLoop(n, (i) => Math.fround(fma(step, i, start)), (first, j) => fma(step, j, first)));
}

/**
 * torch.linspace(start, end, steps): `steps` values from start to end, f32, computed as PyTorch's
 * CPU kernel computes them in float32: step = (end − start)/(steps − 1), the first half
 * start + step·i and the second end − step·(steps − 1 − i), each one fused multiply-add (as the
 * compiler fuses them), in vectors as cpuVectorLoop says. The values match PyTorch's bit for bit.
 */
export function linspace(start: number, end: number, steps: number, options?: CreationOptions): Tensor {
  const where = 'linspace';
  for (const [name, v] of [['start', start], ['end', end]] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}: argument '${name}' expected a finite number, got ${show(v)}`);
  }
  if (typeof steps !== 'number' || !Number.isInteger(steps) || steps < 1) throw new Error(`${where}: argument 'steps' expected a positive integer, got ${show(steps)}${steps === 0 ? ' (wgslgrad has no empty tensors)' : ''}`);
  const resolved = resolve(where, options, { dtype: 'f32' });
  if (resolved.dtype !== 'f32') throw new Error(`${where}: dtype '${resolved.dtype}' is not supported (f32 only)`);
  return written(where, [steps], resolved, () => linspaceValues(start, end, steps));
}

/** torch.linspace's values on the CPU (its kernel's float32 steps from both ends), as linspace uploads them. */
export function linspaceValues(start: number, end: number, steps: number): Float32Array {
  const [a, b] = [Math.fround(start), Math.fround(end)];
  if (steps === 1) return Float32Array.of(a);
  const step = Math.fround(Math.fround(b - a) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  const scalar = (i: number) => (i < halfway ? fmaf(step, i, a) : fmaf(-step, steps - 1 - i, b));
  return cpuVectorLoop(steps, scalar, (first, j) => first + Math.fround(j * step));
}

/**
 * a·b + c in float64 rounded once, as the compiler fuses PyTorch's start + step·i: a·b split exactly
 * into p + e (Dekker's product), p + c summed exactly (TwoSum), the parts added last. Near a
 * cancellation (values crossing 0: −3.5 + 0.7·5 is −2.2e-16 fused, 0 unfused) it keeps what is left.
 */
function fma(a: number, b: number, c: number): number {
  const split = (v: number): [number, number] => {
    const t = 134217729 * v; // 2^27 + 1
    const high = t - (t - v);
    return [high, v - high];
  };
  const p = a * b;
  const [[ah, al], [bh, bl]] = [split(a), split(b)];
  const e = ah * bh - p + ah * bl + al * bh + al * bl;
  const sum = p + c;
  const bp = sum - p;
  const t = p - (sum - bp) + (c - bp);
  return sum + (t + e);
}

const word = new Float64Array(1);
const bits = new BigUint64Array(word.buffer);

/**
 * C's fmaf: a·b + c for float32 a, b, c, rounded once to float32. a·b is exact in float64; the sum's
 * rounding error e is exact too (TwoSum); the sum rounded to odd in float64 then rounds to float32
 * as the exact value would (53 ≥ 24 + 2 bits), where rounding twice to nearest could miss a tie.
 */
export function fmaf(a: number, b: number, c: number): number {
  const p = a * b;
  const s = p + c;
  const bp = s - p;
  const e = p - (s - bp) + (c - bp);
  word[0] = s;
  if (e !== 0 && (bits[0]! & 1n) === 0n) bits[0] = (s > 0) === (e > 0) ? bits[0]! + 1n : bits[0]! - 1n;
  return Math.fround(word[0]!);
}

/** torch.eye(n, m = n): ones on the diagonal, f32 unless dtype says. */
export function eye(n: number, m?: number | CreationOptions, options?: CreationOptions): Tensor {
  if (isOptions(m)) [m, options] = [undefined, m];
  const [rows, cols] = [n, m ?? n];
  for (const [name, v] of [['n', rows], ['m', cols]] as const) {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`eye: argument '${name}' expected a positive integer, got ${show(v)}${v === 0 ? ' (wgslgrad has no empty tensors)' : ''}`);
  }
  return written('eye', [rows, cols], resolve('eye', options, { dtype: 'f32' }), () => {
    const values = new Float64Array(rows * cols);
    for (let i = 0; i < Math.min(rows, cols); i++) values[i * cols + i] = 1;
    return values;
  });
}
