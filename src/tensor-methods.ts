// PyTorch's tensor methods, chained: a.mul(b).sum(), x.view(-1, 16 * 5 * 5), w.T, await loss.item(),
// and the in-place updates of a manual SGD step, noGrad(() => p.sub_(p.grad.mul(lr))).
//
// Each op method is a thin delegate to its F op (functional.ts): x.exp() is F.exp(x), every argument
// passed on, so the graph, the gradients, tidy() and the errors are F's. tensor.ts cannot import
// functional.ts (functional.ts imports it), so, as TensorFlow.js's chained ops do, this file adds the
// methods to Tensor.prototype and declares them by merging into Tensor's interface. It is imported for
// its side effect by src/index.ts (and by tests/tensor-methods-cases.ts); code that imports only
// src/functional.ts does not have them.
//
// In-place updates (PyTorch's trailing underscore: sub_, add_, mul_, div_, zero_, fill_, copy_) write
// into the tensor's own memory: the F op computes the result off the graph into a temporary (WebGPU
// forbids one buffer bound as both read and read_write in a dispatch, and this keeps every kernel as it
// is), which is copied in and freed. They are not recorded, so, as PyTorch, one on a leaf that
// requires grad while grad is enabled is an Error; so is one on any tensor that requires grad (PyTorch
// records those; here y = y.sub(z) does), or with an operand that requires grad, or on a tensor the
// current graph used (PyTorch reports that at backward). A write through another handle of the same
// memory (.data, a view) is reported at backward too, as any write is (Gpu.writtenSince).
import * as F from './functional';
import { empty, fill, full, ones, tensor, zeros, type CreationOptions, type SizeArgs } from './creation';
import { show } from './options';
import { gradientsWritten } from './parameters';
import { isGradEnabled, withoutGrad, Tensor, tidy, unmarkViewCopy } from './tensor';

type Operand = Tensor | number;
/** What tolist() gives: numbers nested as deep as the tensor has dimensions. */
export type NestedNumbers = number[] | NestedNumbers[];
type Dims = number | readonly number[];

declare module './tensor' {
  interface Tensor {
    // ── arithmetic (broadcast as F.add; a number operand scales or shifts) ──
    /** this + alpha · other (torch.Tensor.add): F.add. */
    add(other: Operand, options?: { alpha?: number }): Tensor;
    /** this − alpha · other: F.sub. */
    sub(other: Operand, options?: { alpha?: number }): Tensor;
    /** this · other elementwise: F.mul. */
    mul(other: Operand): Tensor;
    /** this / other elementwise: F.div. */
    div(other: Operand): Tensor;
    /** this ^ exponent elementwise: F.pow. */
    pow(exponent: number | Tensor): Tensor;
    /** −this: F.mul(this, −1) (F has no neg of its own; exact in float32). */
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    sin(): Tensor;
    cos(): Tensor;
    expm1(): Tensor;
    log1p(): Tensor;
    sign(): Tensor;
    floor(): Tensor;
    ceil(): Tensor;
    round(): Tensor;
    trunc(): Tensor;
    /** F.clamp: min and max numbers, tensors or null. */
    clamp(min?: number | Tensor | null, max?: number | Tensor | null): Tensor;
    /** In place, off the graph (PyTorch's input_img.clamp_(0, 1) under no_grad, the style transfer tutorial's): as sub_. */
    clamp_(min?: number | Tensor | null, max?: number | Tensor | null): Tensor;
    maximum(other: Tensor): Tensor;
    minimum(other: Tensor): Tensor;
    // ── comparisons: 1 where true, else 0 (PyTorch's bool tensor, as .float()); no gradient ──
    eq(other: Operand): Tensor;
    ne(other: Operand): Tensor;
    gt(other: Operand): Tensor;
    ge(other: Operand): Tensor;
    lt(other: Operand): Tensor;
    le(other: Operand): Tensor;
    // ── reductions ──
    /** F.sum: all elements ([1]), or over dim. */
    sum(dim?: Dims, keepdim?: boolean): Tensor;
    /** F.mean: all elements ([1]), or over dim. */
    mean(dim?: Dims, keepdim?: boolean): Tensor;
    /** F.max: the largest element ([1]); along dim, { values, indices } (PyTorch's (values, indices)); with a tensor, F.maximum. */
    max(): Tensor;
    max(dim: number, keepdim?: boolean): F.ValuesIndices;
    max(other: Tensor): Tensor;
    /** F.min, as max. */
    min(): Tensor;
    min(dim: number, keepdim?: boolean): F.ValuesIndices;
    min(other: Tensor): Tensor;
    amax(dim?: Dims, keepdim?: boolean): Tensor;
    /** F.norm: the p-norm (2, 'fro', 1, any p above, Infinity) of every element ([1]), or over dim. */
    norm(p?: number | 'fro', dim?: Dims, keepdim?: boolean): Tensor;
    amin(dim?: Dims, keepdim?: boolean): Tensor;
    /** F.argmax: an i32 tensor of indices. */
    argmax(dim?: number, keepdim?: boolean): Tensor;
    argmin(dim?: number, keepdim?: boolean): Tensor;
    /** F.var: over dim (every one when left out), { correction, unbiased, keepdim } as F's. */
    var(dim?: Dims, options?: { correction?: number; unbiased?: boolean; keepdim?: boolean }): Tensor;
    std(dim?: Dims, options?: { correction?: number; unbiased?: boolean; keepdim?: boolean }): Tensor;
    logsumexp(dim: Dims, keepdim?: boolean): Tensor;
    cumsum(dim: number): Tensor;
    // ── matrices and layout ──
    /** this @ other: F.matmul. */
    matmul(other: Tensor): Tensor;
    /** F.mm: the product of two matrices (torch.mm; x.mm(x.t()) is the style transfer tutorial's Gram matrix). */
    mm(other: Tensor): Tensor;
    /** Batched this @ other, [B, M, K] @ [B, K, N]: F.bmm. */
    bmm(other: Tensor): Tensor;
    /** The transpose of a matrix (a vector as it is): F.transpose(this, 0, −1), a new tensor; an Error past 2 dimensions, as PyTorch. */
    t(): Tensor;
    /** The dimensions reversed (PyTorch's .T; for a matrix its transpose): F.permute, a new tensor. */
    readonly T: Tensor;
    /** The last two dimensions swapped (PyTorch's .mT): F.transpose(this, −2, −1). */
    readonly mT: Tensor;
    /** F.transpose(this, dim0, dim1). */
    transpose(dim0: number, dim1: number): Tensor;
    /** F.permute: x.permute(2, 0, 1) or x.permute([2, 0, 1]). */
    permute(...dims: number[] | [readonly number[]]): Tensor;
    /**
     * The same memory under another shape, recorded (F.reshape): x.view(-1, 400) or x.view([-1, 400]),
     * one −1 inferred. (Tensor.reshapeView(shape) is the engine's off-graph view.)
     */
    view(...shape: number[] | [readonly number[]]): Tensor;
    /** As view (F.reshape; PyTorch's copies only where a view cannot be made, and here one always can). */
    reshape(...shape: number[] | [readonly number[]]): Tensor;
    /** view(other.shape) (PyTorch's target.view_as(pred), the spatial transformer tutorial's). */
    view_as(other: Tensor): Tensor;
    /** F.flatten(this, startDim, endDim). */
    flatten(startDim?: number, endDim?: number): Tensor;
    unsqueeze(dim: number): Tensor;
    squeeze(dim?: number): Tensor;
    /** F.expand: x.expand(3, -1) or x.expand([3, -1]), a new tensor. */
    expand(...sizes: number[] | [readonly number[]]): Tensor;
    /** F.gather(this, dim, index), index i32. */
    gather(dim: number, index: Tensor): Tensor;
    narrow(dim: number, start: number, length: number): Tensor;
    select(dim: number, index: number): Tensor;
    split(splitSizeOrSections: number | readonly number[], dim?: number): Tensor[];
    unbind(dim?: number): Tensor[];
    // ── activations ──
    relu(): Tensor;
    sigmoid(): Tensor;
    tanh(): Tensor;
    softmax(dim: number): Tensor;
    // ── reading ──
    /** The one element's value (PyTorch's .item()), read back: await loss.item(). An Error for more than one element. */
    item(): Promise<number>;
    /** The number of dimensions (PyTorch's x.ndim, x.dim()). */
    readonly ndim: number;
    /** x itself: every tensor here is contiguous (the ops PyTorch makes views with copy); of such a copy, a new one, as PyTorch's. */
    contiguous(): Tensor;
    /** Sets requiresGrad (PyTorch's x.requires_grad_(True)) and returns x. */
    requires_grad_(requiresGrad?: boolean): Tensor;
    /** requiresGrad under PyTorch's name: data.requires_grad = true (the FGSM tutorial's line), with requires_grad_'s checks. */
    requires_grad: boolean;
    /** F.logSoftmax(this, dim): PyTorch's x.log_softmax(dim). */
    log_softmax(dim: number): Tensor;
    /** F.sort: x.sort(dim, descending) → { values, indices }. */
    sort(dim?: number | F.SortOptions, descending?: boolean | F.SortOptions, options?: F.SortOptions): F.ValuesIndices;
    /** F.argsort: the indices of x.sort(…). */
    argsort(dim?: number | F.SortOptions, descending?: boolean | F.SortOptions, options?: F.SortOptions): Tensor;
    /** F.topk: x.topk(k, dim, largest, sorted) → { values, indices }. */
    topk(k: number, dim?: number | F.TopkOptions, largest?: boolean | F.TopkOptions, sorted?: boolean | F.TopkOptions, options?: F.TopkOptions): F.ValuesIndices;
    /** F.multinomial: x.multinomial(num_samples, replacement) → category indices drawn from x's rows of weights (i32). */
    multinomial(numSamples: number, replacement?: boolean | { replacement?: boolean }): Tensor;
    /** New tensors of this one's dtype and device (PyTorch's x.new_zeros(2, 3), new_ones, new_full, new_empty, new_tensor). */
    new_zeros(...size: SizeArgs): Tensor;
    new_ones(...size: SizeArgs): Tensor;
    new_empty(...size: SizeArgs): Tensor;
    new_full(size: readonly number[], fillValue: number, options?: CreationOptions): Tensor;
    new_tensor(data: Parameters<typeof tensor>[0], options?: CreationOptions): Tensor;
    /** for (const row of x): the slices along dim 0, as PyTorch's iteration (x.unbind(0): copies). */
    [Symbol.iterator](): Iterator<Tensor>;
    /** The values read back as nested arrays of the tensor's shape (PyTorch's .tolist()): await x.tolist(). */
    tolist(): Promise<NestedNumbers>;
    /** The element count (PyTorch's numel(); this.size here). */
    numel(): number;
    /** F.to(this, 'f32'): PyTorch's x.float(). */
    float(): Tensor;
    /** F.to(this, 'i32'): PyTorch's x.int(), toward zero. */
    int(): Tensor;
    /** F.to(this, 'i32'): PyTorch's x.long() (int64 indices are i32 here). */
    long(): Tensor;
    /** The number of dimensions (PyTorch's dim()). */
    dim(): number;
    /** The same memory off the graph (PyTorch's .data): detach(). */
    readonly data: Tensor;
    // ── in place (not recorded; see the header) ──
    /** this −= alpha · other, in place (PyTorch's sub_): the manual SGD step, p.sub_(p.grad.mul(lr)) under noGrad. */
    sub_(other: Operand, options?: { alpha?: number }): Tensor;
    add_(other: Operand, options?: { alpha?: number }): Tensor;
    mul_(other: Operand): Tensor;
    div_(other: Operand): Tensor;
    /** Every element 0, in place. */
    zero_(): Tensor;
    /** Every element `value`, in place. */
    fill_(value: number): Tensor;
    /** src's values (broadcast to this shape) copied in, in place. */
    copy_(src: Tensor): Tensor;
  }
}

// ── the delegates: method name → its F op, called as op(this, ...the method's arguments) ───────────

const DELEGATES: Record<string, (...args: never[]) => unknown> = {
  add: F.add, sub: F.sub, mul: F.mul, div: F.div, pow: F.pow,
  exp: F.exp, log: F.log, sqrt: F.sqrt, abs: F.abs, sin: F.sin, cos: F.cos, expm1: F.expm1, log1p: F.log1p,
  sign: F.sign, floor: F.floor, ceil: F.ceil, round: F.round, trunc: F.trunc,
  clamp: F.clamp, maximum: F.maximum, minimum: F.minimum,
  eq: F.eq, ne: F.ne, gt: F.gt, ge: F.ge, lt: F.lt, le: F.le,
  sum: F.sum, mean: F.mean, max: F.max, min: F.min, amax: F.amax, amin: F.amin, argmax: F.argmax, argmin: F.argmin,
  var: F.var, std: F.std, logsumexp: F.logsumexp, cumsum: F.cumsum, norm: F.norm,
  matmul: F.matmul, bmm: F.bmm, mm: F.mm,
  transpose: F.transpose, flatten: F.flatten, unsqueeze: F.unsqueeze, squeeze: F.squeeze,
  gather: F.gather, narrow: F.narrow, select: F.select, split: F.split, unbind: F.unbind,
  relu: F.relu, sigmoid: F.sigmoid, tanh: F.tanh, softmax: F.softmax, log_softmax: F.logSoftmax,
  sort: F.sort, argsort: F.argsort, topk: F.topk, multinomial: F.multinomial,
};

/** The names this file adds to Tensor.prototype (a test checks no subclass field hides one). */
export const TENSOR_METHODS: string[] = [];

/** Adds a method (non-enumerable, as a class's own). */
function method(name: string, fn: (this: Tensor, ...args: never[]) => unknown): void {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true });
  TENSOR_METHODS.push(name);
}

/**
 * Results that are copies here where PyTorch's are views of the input (x.narrow(…), x.T, …): F marks
 * them (F.markViewCopy), and an in-place op on one is an Error (expectInPlace); the methods rename
 * the mark as the method's, `'x'.narrow(…)`.
 */
const COPIES = new Set(['transpose', 'narrow', 'select', 'split', 'unbind', 'permute', 'expand', 't', 'T', 'mT']);

/** Marks what an op in COPIES returned (a tensor or an array of them) as a copy made by `name`. */
function copied<T>(name: string, self: Tensor, result: T): T {
  for (const t of Array.isArray(result) ? result : [result]) if (t instanceof Tensor) F.markViewCopy(`'${self.label}'.${name}${name === 'T' || name === 'mT' ? '' : '(…)'}'s result`, t);
  return result;
}

for (const [name, op] of Object.entries(DELEGATES)) {
  const call = op as (...args: unknown[]) => unknown;
  method(name, function (this: Tensor, ...args: unknown[]) {
    const result = call(this, ...args);
    return COPIES.has(name) ? copied(name, this, result) : result;
  });
}

/** PyTorch's sizes as separate numbers or one list: view(2, 3), view([2, 3]); anything else passed on for F's check. */
const sizesOf = (args: readonly unknown[]): readonly number[] => (args.length === 1 && Array.isArray(args[0]) ? args[0] : args) as readonly number[];

method('view', function (this: Tensor, ...shape: unknown[]) {
  return F.reshape(this, sizesOf(shape));
});
method('reshape', function (this: Tensor, ...shape: unknown[]) {
  return F.reshape(this, sizesOf(shape));
});
method('view_as', function (this: Tensor, other: Tensor) {
  if (!(other instanceof Tensor)) throw new Error(`view_as: argument 'other' expected a Tensor, got ${show(other)}`);
  return F.reshape(this, other.shape);
});
method('permute', function (this: Tensor, ...dims: unknown[]) {
  return copied('permute', this, F.permute(this, sizesOf(dims)));
});
method('expand', function (this: Tensor, ...sizes: unknown[]) {
  return copied('expand', this, F.expand(this, sizesOf(sizes)));
});
/** A method that takes no arguments refuses any, in its own name (not the F op's it calls). */
function expectNoArguments(name: string, self: Tensor, rest: readonly unknown[]): void {
  if (rest.length) throw new Error(`${name}() of '${self.label}' takes no arguments, got ${rest.map((v) => (v instanceof Tensor ? `Tensor [${v.shape.join(', ')}]` : show(v))).join(', ')}`);
}

method('neg', function (this: Tensor, ...rest: never[]) {
  expectNoArguments('neg', this, rest);
  return F.mul(this, -1);
});
method('t', function (this: Tensor, ...rest: never[]) {
  expectNoArguments('t', this, rest);
  if (this.shape.length > 2) throw new Error(`t() of '${this.label}' [${this.shape.join(', ')}]: t() expects a tensor with <= 2 dimensions, but self is ${this.shape.length}D (PyTorch's words); x.transpose(d0, d1) or x.mT swap two`);
  return copied('t', this, F.transpose(this, 0, -1));
});

function getter(name: string, get: (this: Tensor) => unknown): void {
  Object.defineProperty(Tensor.prototype, name, { get, configurable: true });
  TENSOR_METHODS.push(name);
}

getter('T', function () {
  return copied('T', this, F.permute(this, this.shape.map((_, i) => this.shape.length - 1 - i)));
});
getter('mT', function () {
  if (this.shape.length < 2) throw new Error(`mT of '${this.label}' [${this.shape.join(', ')}]: tensor.mT is only supported on matrices or batches of matrices. Got ${this.shape.length}-D tensor. (PyTorch's words)`);
  return copied('mT', this, F.transpose(this, -2, -1));
});
getter('data', function () {
  return this.detach();
});

method('item', function (this: Tensor, ...rest: never[]) {
  expectNoArguments('item', this, rest);
  if (this.size !== 1) throw new Error(`item() of '${this.label}' [${this.shape.join(', ')}]: a Tensor with ${this.size} elements cannot be converted to Scalar (PyTorch's words); reduce it first (x.sum().item()), or read every element with await x.toArray()`);
  const value = this.read().then((values) => values[0]!);
  // PyTorch's running_loss += loss.item() or f"{loss.item()}" without an await would make '[object Promise]' or NaN: said instead.
  const label = this.label;
  Object.defineProperty(value, Symbol.toPrimitive, {
    value: () => {
      throw new Error(`item() of '${label}' gives a Promise (the value is read from the GPU): await it, as in running_loss += await loss.item()`);
    },
  });
  return value;
});
getter('ndim', function () {
  return this.shape.length;
});
method('contiguous', function (this: Tensor, ...rest: never[]) {
  expectNoArguments('contiguous', this, rest);
  // x itself, as PyTorch's for a contiguous x. PyTorch's x.t().contiguous() is a new tensor, not a
  // view of x: here x.t() is already a copy, marked as one PyTorch would view; a fresh copy (on the
  // graph, freed by tidy) is new in both, so in-place ops on it are allowed.
  if (!F.viewCopyOf(this)) return this;
  return unmarkViewCopy(F.narrow(this, 0, 0, this.shape[0]!));
});
method('requires_grad_', function (this: Tensor, requiresGrad: boolean = true, ...rest: never[]) {
  expectNoArguments('requires_grad_', this, rest);
  if (typeof requiresGrad !== 'boolean') throw new Error(`requires_grad_ of '${this.label}': argument 'requires_grad' expected true or false, got ${show(requiresGrad)}`);
  if (!requiresGrad && this.node) throw new Error(`requires_grad_ of '${this.label}': you can only change requires_grad flags of leaf variables (PyTorch's words); an op made this one: use x.detach() for a copy off the graph`);
  if (requiresGrad && this.dtype !== 'f32') throw new Error(`requires_grad_ of '${this.label}': only Tensors of floating point dtype can require gradients (PyTorch's words), this one is ${this.dtype}`);
  this.requiresGrad = requiresGrad;
  return this;
});
Object.defineProperty(Tensor.prototype, 'requires_grad', {
  get(this: Tensor) {
    return this.requiresGrad;
  },
  set(this: Tensor, value: boolean) {
    this.requires_grad_(value);
  },
  configurable: true,
});
TENSOR_METHODS.push('requires_grad');

/** PyTorch's x.new_zeros(…) family: the size as numbers or one list, the options last; this tensor's dtype and device unless they say otherwise. */
function sameKind(where: string, t: Tensor, args: readonly unknown[]): [readonly number[], CreationOptions] {
  const last = args.at(-1);
  const options = last !== null && typeof last === 'object' && !Array.isArray(last) ? (last as CreationOptions) : undefined;
  const dims = options ? args.slice(0, -1) : args;
  const size = dims.length === 1 && Array.isArray(dims[0]) ? (dims[0] as number[]) : (dims as number[]);
  return [size, { dtype: t.dtype, gpu: t.gpu, ...options }];
}
method('new_zeros', function (this: Tensor, ...args: never[]) {
  return zeros(...sameKind('new_zeros', this, args));
});
method('new_ones', function (this: Tensor, ...args: never[]) {
  return ones(...sameKind('new_ones', this, args));
});
method('new_empty', function (this: Tensor, ...args: never[]) {
  return empty(...sameKind('new_empty', this, args));
});
method('new_full', function (this: Tensor, size: readonly number[], fillValue: number, options?: CreationOptions) {
  return full(size, fillValue, { dtype: this.dtype, gpu: this.gpu, ...options });
});
method('new_tensor', function (this: Tensor, data: Parameters<typeof tensor>[0], options?: CreationOptions) {
  return tensor(data, { dtype: this.dtype, gpu: this.gpu, ...options });
});
Object.defineProperty(Tensor.prototype, Symbol.iterator, {
  value: function* (this: Tensor) {
    yield* F.unbind(this, 0);
  },
  writable: true,
  configurable: true,
});

method('tolist', function (this: Tensor, ...rest: never[]) {
  expectNoArguments('tolist', this, rest);
  const nest = (values: ArrayLike<number>, offset: number, dims: readonly number[]): NestedNumbers => {
    const [size, ...inner] = dims;
    const stride = inner.reduce((p, d) => p * d, 1);
    return inner.length === 0 ? Array.from({ length: size! }, (_, i) => values[offset + i]!) : Array.from({ length: size! }, (_, i) => nest(values, offset + i * stride, inner) as number[]);
  };
  return this.read().then((values) => nest(values, 0, this.shape));
});
method('float', function (this: Tensor, ...rest: never[]) {
  expectNoArguments('float', this, rest);
  return F.to(this, 'f32');
});
method('int', function (this: Tensor, ...rest: never[]) {
  expectNoArguments('int', this, rest);
  return F.to(this, 'i32');
});
method('long', function (this: Tensor, ...rest: never[]) {
  expectNoArguments('long', this, rest);
  return F.to(this, 'i32');
});
method('numel', function (this: Tensor, ...rest: never[]) {
  expectNoArguments('numel', this, rest);
  return this.size;
});
method('dim', function (this: Tensor, ...rest: never[]) {
  expectNoArguments('dim', this, rest);
  return this.shape.length;
});

// ── in place ─────────────────────────────────────────────────────────────────────────────────────

/** Refuses an in-place write the graph cannot follow (see the header); before anything is dispatched. */
function expectInPlace(name: string, self: Tensor, operands: readonly unknown[]): void {
  const where = `${name} of '${self.label}' [${self.shape.join(', ')}]`;
  const copy = F.viewCopyOf(self);
  if (copy) throw new Error(`${where}: it is ${copy}, a copy here where PyTorch's is a view of the input, so the write would not reach the input (PyTorch's x[:, 1] = 0 through select, narrow, T, …): compute the new values and write the input whole (x.copy_(…), x.mul_(mask)), or use the copy as it is`);
  if (isGradEnabled() && self.requiresGrad) {
    if (self.node === null) throw new Error(`${where}: a leaf Variable that requires grad is being used in an in-place operation (PyTorch's words). Update parameters under noGrad(() => { for (const p of net.parameters()) p.sub_(p.grad.mul(lr)) }), as torch.no_grad(), or through p.data`);
    const outOfPlace = ['sub_', 'add_', 'mul_', 'div_'].includes(name) ? `y = y.${name.slice(0, -1)}(…)` : 'on a clone()';
    throw new Error(`${where}: it requires grad (an op of the graph made it), and in-place ops are not recorded here (PyTorch records them): use the op that makes a new tensor (${outOfPlace}), or run it under noGrad(() => …) if no backward needs it`);
  }
  for (const o of operands) {
    if (o instanceof Tensor && isGradEnabled() && o.requiresGrad) throw new Error(`${where}: its operand '${o.label}' requires grad, and in-place ops are not recorded here (PyTorch would record this one): use the op that makes a new tensor, or run it under noGrad(() => …) (or pass ${o.label}.detach())`);
  }
  // A tensor the current graph read goes ahead too, as in PyTorch (a forward only looked at never
  // needs the old values); a backward that does says so (Gpu.writtenSince).
}

/** The shape a and b broadcast to (PyTorch's rule), or null when they do not (F's error says so). */
function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const [x, y] = [a[a.length - rank + i] ?? 1, b[b.length - rank + i] ?? 1];
    if (x !== y && x !== 1 && y !== 1) return null;
    out.push(Math.max(x, y));
  }
  return out;
}

/** Refuses an operand that would broadcast self to a larger shape (PyTorch's message), before dispatching. */
function expectFits(name: string, self: Tensor, other: unknown): void {
  if (!(other instanceof Tensor)) return;
  const shape = broadcastShape(self.shape, other.shape);
  if (shape && shape.join() !== self.shape.join()) throw new Error(`${name} of '${self.label}': output with shape [${self.shape.join(', ')}] doesn't match the broadcast shape [${shape.join(', ')}] (PyTorch's words; '${other.label}' is [${other.shape.join(', ')}])`);
}

/** Runs the F op off the graph in a tidy() of its own and copies its result into self; nothing stays behind. */
function inPlace(name: string, self: Tensor, operands: readonly unknown[], compute: () => Tensor): Tensor {
  expectInPlace(name, self, operands);
  expectFits(name, self, operands[0]);
  withoutGrad(() =>
    tidy(() => {
      const result = compute();
      self.gpu.copy(result, self);
    }),
  );
  gradientsWritten(self); // on p.grad: a backward after it adds to it, as after p.grad.write()
  return self;
}

method('sub_', function (this: Tensor, other: Operand, ...rest: never[]) {
  return inPlace('sub_', this, [other], () => F.sub(this, other, ...rest));
});
method('add_', function (this: Tensor, other: Operand, ...rest: never[]) {
  return inPlace('add_', this, [other], () => F.add(this, other, ...rest));
});
method('mul_', function (this: Tensor, other: Operand, ...rest: never[]) {
  return inPlace('mul_', this, [other], () => F.mul(this, other, ...rest));
});
method('div_', function (this: Tensor, other: Operand, ...rest: never[]) {
  return inPlace('div_', this, [other], () => F.div(this, other, ...rest));
});

method('clamp_', function (this: Tensor, min?: number | Tensor | null, max?: number | Tensor | null, ...rest: never[]) {
  // Tensor bounds checked as sub_'s operand is: they must fit this tensor, and one that requires grad is refused.
  const bounds = [min, max].filter((b): b is Tensor => b instanceof Tensor);
  for (const b of bounds) expectFits('clamp_', this, b);
  return inPlace('clamp_', this, bounds, () => F.clamp(this, min ?? null, max ?? null, ...rest));
});

method('zero_', function (this: Tensor) {
  expectInPlace('zero_', this, []);
  this.gpu.clear(this);
  gradientsWritten(this);
  return this;
});

method('fill_', function (this: Tensor, value: number) {
  expectInPlace('fill_', this, []);
  if (typeof value !== 'number') throw new Error(`fill_ of '${this.label}': argument 'value' expected a number, got ${show(value)}`);
  if (this.dtype !== 'f32' && !(Number.isInteger(value) && (this.dtype === 'u32' ? value >= 0 && value < 2 ** 32 : Math.abs(value) < 2 ** 31))) throw new Error(`fill_ of '${this.label}': argument 'value' ${value} is not a ${this.dtype} (an integer in its range)`);
  fill(this, value); // as full(): ±∞ and NaN too, and i32/u32
  gradientsWritten(this);
  return this;
});

method('copy_', function (this: Tensor, src: Tensor) {
  expectInPlace('copy_', this, [src]);
  const where = `copy_ of '${this.label}' [${this.shape.join(', ')}]`;
  if (!(src instanceof Tensor)) throw new Error(`${where}: argument 'src' expected a Tensor, got ${show(src)}`);
  if (broadcastShape(this.shape, src.shape)?.join() !== this.shape.join()) throw new Error(`${where}: src '${src.label}' [${src.shape.join(', ')}] does not broadcast to [${this.shape.join(', ')}]`);
  // PyTorch's copy_ converts the type: F.to first (toward zero into an integer tensor; i32 ↔ u32 wraps).
  withoutGrad(() =>
    tidy(() => {
      const converted = F.to(src, this.dtype);
      this.gpu.copy(converted.shape.join() === this.shape.join() ? converted : F.expand(converted, this.shape), this);
    }),
  );
  gradientsWritten(this);
  return this;
});
