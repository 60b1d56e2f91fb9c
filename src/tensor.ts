// A Tensor is a shaped view of GPU memory (a whole buffer, or a slice of a flat one: parameters and
// their gradients each live in one flat buffer, so an optimizer step is one dispatch), plus what
// autograd needs: requiresGrad, grad, and the recorded operation that produced it.
//
// The graph runner lives here too. Operations record a node (inputs, output, backward rule) on the
// tape as they dispatch their forward; loss.backward() walks the tape in reverse and records every
// backward dispatch into the same command encoder. Nothing is read back.
//
// Gradients follow PyTorch: a leaf's grad (a parameter, or a user tensor with requiresGrad) adds up
// across backward() calls until zeroGrad(); an intermediate tensor's grad is written by the first
// rule that reaches it in a pass and added to by the rest.
//
// tidy() frees what F ops allocated inside it: their outputs are allocated here (opOutput), so the
// scope sees every one.
import type { Gpu } from './device/gpu';
import type { BufferView, DType } from './device/shader';
import { normalizeOptions, show } from './options';

function checkDtype(dtype: unknown, label: string): void {
  if (dtype !== 'f32' && dtype !== 'u32' && dtype !== 'i32') throw new Error(`tensor '${label}': dtype expected f32, u32 or i32, got ${String(dtype)}`);
}

export class Tensor implements BufferView {
  readonly shape: readonly number[];
  readonly size: number;
  /** Autograd: whether gradients flow to this tensor; set on leaves by the user, on outputs by the tape. */
  requiresGrad = false;
  /** Autograd: d(loss)/d(this), same shape; kept between steps and reused (see the grad accessor). */
  private gradient: Tensor | null = null;
  /** Set on a module's reused output buffers (the module's name): the module frees them, not destroy(). */
  heldBy: string | null = null;
  /** Autograd: true while grad is known to hold zeros (fresh, or after zeroGrad): the first write may overwrite it. */
  gradIsZero = false;
  /**
   * Autograd: PyTorch's `grad is not None`. False until backward (or, for a parameter, grad.write)
   * gives it a gradient, and again after zeroGrad(true); an optimizer step skips a parameter without one.
   * It matters on leaves (parameters, inputs); the tape sets it on intermediates too, where nothing reads it.
   */
  hasGrad = false;
  /** Autograd: grad was allocated by backward for this tensor alone, so destroy() frees it too. */
  ownsGrad = false;
  /** Autograd: the recorded operation that produced this tensor (null for leaves). */
  node: GraphNode | null = null;
  /** Autograd: the graph (generation) of the last recorded op that read this tensor: its backward may read it. */
  readInGraph = -1;
  /** Intermediates an op made for this tensor alone (an operand F.add spread to its shape): freed with it, kept with it by tidy(). */
  readonly companions: Tensor[] = [];
  /** Set when the module that returned this tensor has since written its next output into the same buffer (its name, or a clause 'a later …' saying who did). */
  overwrittenBy: string | null = null;
  /** Set when its owner freed it (a module's or optimizer's destroy(): 'destroy() of Linear(…)'); a parameter's arena space may hold another's since. */
  freedBy: string | null = null;
  /** Set on detach()'s result: the tensor whose memory it shares, which destroy() frees. */
  private detachedFrom: Tensor | null = null;
  /** Set on a view (detach(), reshapeView): the tensor whose memory it shows, whose staleness it shares. */
  private viewOf: Tensor | null = null;
  private readonly memory: GPUBuffer;

  constructor(
    readonly gpu: Gpu,
    buffer: GPUBuffer,
    shape: readonly number[],
    readonly dtype: DType = 'f32',
    readonly byteOffset = 0,
    /** For messages: what the tensor is ('Linear.out', 'LSTM.h_n'); a composed module may rename an inner op's output it hands out. */
    public label = 'tensor',
  ) {
    checkDtype(dtype, label);
    this.memory = buffer;
    this.shape = [...shape];
    this.size = Tensor.sizeOf(shape, label);
    if (byteOffset + this.size * 4 > buffer.size) throw new Error(`tensor '${label}': ${this.size} elements at byte ${byteOffset} overrun buffer '${buffer.label}' (${buffer.size} bytes)`);
  }

  /** A new tensor; its contents are undefined until written (tests poison them with NaN). */
  static empty(gpu: Gpu, shape: readonly number[], dtype: DType = 'f32', label = 'tensor'): Tensor {
    if (typeof gpu !== 'object' || gpu === null || !Array.isArray(shape)) throw new Error(`Tensor.empty(gpu, shape, dtype): the engine's allocation, a Gpu first and the shape as a list, got ${show(gpu)} and ${show(shape)}; PyTorch's torch.empty(2, 3) is empty(2, 3) (or zeros(2, 3)) from the package root`);
    checkDtype(dtype, label);
    const size = Tensor.sizeOf(shape, label);
    return new Tensor(gpu, gpu.createBuffer(size * 4, label), shape, dtype, 0, label);
  }

  /**
   * A view under `shape` of the Gpu's scratch buffer `name` (grown as needed, Gpu.scratch): an
   * intermediate written and read by consecutive dispatches, never kept past them.
   */
  static scratch(gpu: Gpu, name: string, shape: readonly number[], dtype: DType = 'f32', label = name): Tensor {
    return new Tensor(gpu, gpu.scratch(name, Tensor.sizeOf(shape, label) * 4).buffer, shape, dtype, 0, label);
  }

  static fromArray(gpu: Gpu, data: ArrayLike<number>, shape: readonly number[] = [data.length], dtype: DType = 'f32', label = 'tensor'): Tensor {
    const t = Tensor.empty(gpu, shape, dtype, label);
    try {
      t.write(data);
    } catch (error) {
      t.destroy(); // refused values leave no buffer behind
      throw error;
    }
    return t;
  }

  /** Element count of a shape; every dimension must be a positive integer. */
  static sizeOf(shape: readonly number[], label = 'tensor'): number {
    if (shape.length === 0) throw new Error(`tensor '${label}': shape must have at least one dimension`);
    for (const d of shape) {
      if (!Number.isInteger(d) || d <= 0) throw new Error(`tensor '${label}': every dimension must be a positive integer, got shape [${shape.join(', ')}]`);
    }
    return shape.reduce((a, b) => a * b, 1);
  }

  /**
   * The GPU buffer behind this tensor. Every use of a tensor (a dispatch, a read, a write, a copy)
   * goes through here, so a module output overwritten by that module's next forward fails here.
   */
  get buffer(): GPUBuffer {
    const stale = this.staleness();
    if (stale) throw new Error(`tensor '${this.label}' [${this.shape.join(', ')}] ${stale}`);
    // A view (detach(), reshape, view, flatten) of a module's output sees that module's next output
    // in the same memory: it goes stale with the output it views.
    for (let source = this.viewOf; source; source = source.viewOf) {
      const why = source.staleness();
      if (why) throw new Error(`tensor '${this.label}' [${this.shape.join(', ')}] is a view (detach(), view, reshape) of '${source.label}', which ${why}`);
    }
    return this.memory;
  }

  /** Why this tensor's memory no longer holds its values (freed, or overwritten by its module), or null. */
  private staleness(): string | null {
    if (this.freedBy !== null) return `was freed by ${this.freedBy}`;
    if (this.overwrittenBy === null) return null;
    // A module's name, or a whole clause ('a later clipGradNorm_ call, …') from another reuser.
    return `was overwritten by ${this.overwrittenBy.startsWith('a later ') ? this.overwrittenBy : `a later forward of ${this.overwrittenBy}: a module reuses its output buffer from call to call. Keep a copy before calling it again (y.clone(), returned from the tidy() it is made in, if any), or use the newer output.`}`;
  }

  /** Whether this tensor is its buffer's whole owner, not a view into another's. */
  get ownsMemory(): boolean {
    return this.byteOffset === 0 && this.memory.size === Math.ceil(this.byteLength / 4) * 4;
  }

  get byteLength(): number {
    return this.size * 4;
  }

  /**
   * The same memory under another shape with the same element count, one dimension −1 to infer
   * (torch.reshape's rule), off the graph: the engine's own view. x.reshape(…) and x.view(…),
   * PyTorch's recorded ones, are F.reshape (src/tensor-methods.ts).
   */
  reshapeView(shape: readonly number[]): Tensor {
    const view = new Tensor(this.gpu, this.buffer, this.reshaped(shape), this.dtype, this.byteOffset, this.label);
    view.viewOf = this;
    return sameViewCopyMark(this, view);
  }

  /** shape with its −1 (at most one) inferred from this tensor's size, or an Error saying why it cannot be. */
  reshaped(shape: readonly number[]): readonly number[] {
    // The common case first, without building an error's text: every dimension given, the same count.
    let count = 1;
    for (const d of Array.isArray(shape) ? shape : []) count = Number.isInteger(d) && d > 0 ? count * d : NaN;
    if (count === this.size && shape.length > 0) return shape;
    const where = `reshape of '${this.label}' [${this.shape.join(', ')}] to [${Array.isArray(shape) ? shape.join(', ') : String(shape)}]`;
    if (!Array.isArray(shape) || shape.length === 0) throw new Error(`${where}: expected a list of at least one dimension`);
    const inferred = shape.flatMap((d, i) => (d === -1 ? [i] : []));
    if (inferred.length > 1) throw new Error(`${where}: only one dimension can be inferred (-1)`);
    const at = shape.findIndex((d) => d !== -1 && (!Number.isInteger(d) || d <= 0));
    if (at >= 0) throw new Error(`${where}: every dimension must be a positive integer or -1, got ${String(shape[at])}`);
    const known = shape.reduce((p, d) => (d === -1 ? p : p * d), 1);
    const out = [...shape];
    if (inferred.length === 1) {
      if (this.size % known !== 0) throw new Error(`${where}: ${this.size} elements do not divide into rows of ${known}`);
      out[inferred[0]!] = this.size / known;
    }
    if (known * (inferred.length ? out[inferred[0]!]! : 1) !== this.size) throw new Error(`${where}: ${known} elements, the input has ${this.size}`);
    return out;
  }

  /** The GPU buffer behind this tensor, even when overwritten or destroyed (for checks, not for use). */
  get memoryBuffer(): GPUBuffer {
    return this.memory;
  }

  /** Another handle on the same memory; the module that owns it marks the previous one overwritten. */
  rehandle(): Tensor {
    return new Tensor(this.gpu, this.buffer, this.shape, this.dtype, this.byteOffset, this.label);
  }

  /**
   * A copy in a new buffer (torch.clone): on the graph when this tensor is (its gradient flows back
   * to this one), else a plain copy. A tensor method's output as any other: a tidy() frees it unless
   * it returns it, and the leak watch counts it.
   */
  clone(label = `${this.label} (copy)`): Tensor {
    const copy = opOutput(this.gpu, this.shape, label, this.dtype);
    this.gpu.copy(this, copy);
    if (needsGrad([this])) record({ name: 'clone', inputs: [this], output: copy, reads: [], backward: identityRule(this) });
    return copy;
  }

  /**
   * The same memory off the graph (torch.detach): requiresGrad false, no gradient flows back
   * through it; a write to either is seen by both. Free the original, not this.
   */
  detach(): Tensor {
    const view = new Tensor(this.gpu, this.buffer, this.shape, this.dtype, this.byteOffset, this.label);
    [view.detachedFrom, view.viewOf] = [this, this];
    return sameViewCopyMark(this, view);
  }

  write(data: ArrayLike<number>): void {
    this.gpu.write(this, data);
  }

  read(): Promise<Float32Array | Uint32Array | Int32Array> {
    return this.gpu.read(this);
  }

  /**
   * What PyTorch's print(x) shows but the values, which live on the GPU and need an await to read:
   * tensor(shape=[2, 3], dtype=f32, label='x', grad_fn='mul'). `${x}` and Node's console.log(x) print it.
   */
  toString(): string {
    const destroyed = this.freedBy !== null || this.gpu.isDestroyed(this.memory);
    const grad = this.node ? `, grad_fn='${this.node.name}'` : this.requiresGrad ? ', requires_grad=true' : '';
    return `tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, label='${this.label}'${grad}${destroyed ? ', destroyed)' : '; values: await x.tolist())'}`;
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /**
   * `${x}` and String(x) print x; arithmetic and comparisons with it (PyTorch's loss += l, topi == n,
   * x / 2) would silently make a string, false or NaN in JavaScript, so they are an Error saying what to write.
   */
  [Symbol.toPrimitive](hint: 'string' | 'number' | 'default'): string {
    if (hint === 'string') return this.toString();
    throw new Error(`tensor '${this.label}' [${this.shape.join(', ')}] is not a JavaScript number: its values are on the GPU, so +, -, *, /, ==, < on it would give a string, NaN or false. Read a number with await x.item() (PyTorch's loss += l.item(), topi == n), compute on tensors with x.add(y), F.mul(x, 2), …, and print with \`\${x}\``);
  }

  async toArray(): Promise<number[]> {
    return Array.from(await this.read());
  }

  /** Autograd: d(loss)/d(this), same shape; kept between steps and reused. */
  get grad(): Tensor | null {
    return this.gradient;
  }

  /**
   * PyTorch's `t.grad = None` (or another tensor): a gradient backward made for this tensor alone is
   * freed when replaced, so a loop that drops it each step leaves none behind.
   */
  set grad(g: Tensor | null) {
    const old = this.gradient;
    if (old && old !== g && this.ownsGrad) {
      this.ownsGrad = false;
      old.destroy();
    }
    this.gradient = g;
  }

  /**
   * Back-propagates through the recorded graph, as PyTorch's backward(gradient=None): from a scalar
   * (a loss), or with `gradient`, d(something)/d(this) of this tensor's shape, from any tensor
   * (out.backward(g) is F.sum(F.mul(out, g)).backward(), whose gradient is exactly g).
   */
  backward(gradient: Tensor | null = null, options: { retainGraph?: boolean | null; retain_graph?: boolean | null; createGraph?: false; create_graph?: false; inputs?: null } = {}, ...unsupported: never[]): void {
    const where = `backward of '${this.label}'`;
    if (unsupported.length > 0) throw new Error(`${where}: expected (gradient, { retainGraph, createGraph, inputs }), got ${2 + unsupported.length} arguments: PyTorch's positional retain_graph and create_graph are options here`);
    const o = normalizeOptions(where, options, ['retainGraph', 'createGraph', 'inputs'], { retain_graph: 'retainGraph', create_graph: 'createGraph' });
    const retain = o['retainGraph'];
    if (retain !== undefined && retain !== null && retain !== false) throw new Error(`${where}: retainGraph=${String(retain)} is not supported: a backward frees the graph it used. Sum the losses and call backward() once (F.add(l1, l2).backward(): the same gradients), or run the forward again`);
    for (const name of ['createGraph', 'inputs']) {
      const v = o[name];
      if (v !== undefined && v !== null && v !== false) throw new Error(`${where}: ${name} is not supported (only PyTorch's default): gradients of gradients and a backward into chosen inputs only are not built`);
    }
    if (gradient === null || gradient === undefined) {
      backward(this);
      return;
    }
    if (!(gradient instanceof Tensor)) throw new Error(`${where}: argument 'gradient' expected a Tensor of shape [${this.shape.join(', ')}] (or nothing, for a scalar), got ${typeof gradient === 'number' ? `the number ${gradient} (Tensor.fromArray(gpu, [${gradient}]) makes one)` : typeof gradient === 'object' ? `an object: options go second, backward(null, ${JSON.stringify(gradient) ?? '{ … }'})` : String(gradient)}`);
    if (gradient.dtype !== 'f32' || gradient.shape.length !== this.shape.length || gradient.shape.some((d, i) => d !== this.shape[i])) throw new Error(`${where}: Mismatch in shape: grad_output has a shape of ${gradient.dtype === 'f32' ? '' : `dtype ${gradient.dtype} and `}[${gradient.shape.join(', ')}] and output has a shape of [${this.shape.join(', ')}] (PyTorch's words)`);
    expectLiveGraph(this); // before the seed's ops join the graph
    if (!sumOfProduct) throw new Error(`${where}: the engine's F ops are not loaded (import from the package's index)`);
    const seeded = sumOfProduct;
    // g detached: a constant, as PyTorch's (no gradient flows into it, or into what made it).
    tidy(() => backward(seeded(this, gradient.detach()), this.label));
  }

  /**
   * Frees the buffer (only a tensor that owns a whole one), the gradient backward allocated for it
   * (not one a module or a loss shares), and its companions.
   */
  destroy(): void {
    // A view of a module's output shares the memory the module reuses: freeing it would break the
    // module for good (as destroy() of the output itself, refused below).
    for (let source = this.viewOf; source; source = source.viewOf) {
      if (source.heldBy !== null) throw new Error(`tensor '${this.label}' [${this.shape.join(', ')}] is a view (view, reshape, flatten) of '${source.label}', ${source.heldBy}'s output buffer, which it reuses at its next forward: it is freed with the module (destroy() the module); a view costs no memory of its own`);
    }
    liveOpOutputs.delete(this);
    if (this.heldBy !== null) throw new Error(`tensor '${this.label}' [${this.shape.join(', ')}] is ${this.heldBy}'s output buffer, which it reuses at its next forward: it is freed with the module (destroy() the module); keep a copy of your own with clone()`);
    if (this.detachedFrom) throw new Error(`tensor '${this.label}' is detach()'s view of '${this.detachedFrom.label}' and does not own its memory: destroy that one`);
    if (!this.ownsMemory) throw new Error(`tensor '${this.label}' is a view into '${this.memory.label}' and does not own it`);
    this.gpu.destroyBuffer(this.memory);
    // A view among the companions (a composite's reshape, perhaps of a whole input) owns only its gradient.
    for (const t of this.companions.splice(0)) (t.ownsMemory && !views.has(t) ? t.destroy() : release({ tensor: t, view: true }));
    if (this.ownsGrad && this.grad) this.grad = null; // frees it
  }
}

// ── copies where PyTorch's are views ──────────────────────────────────────────────────────────────

/**
 * Results that are copies here where PyTorch's are views of the input (F.narrow, select, slice,
 * split, chunk, unbind, permute, transpose, expand, and views of those: reshape, detach, .data), by
 * what made them: an in-place op on one would write the copy and never reach the input (PyTorch's
 * x[:, 1] = 0), so the Tensor methods' in-place ops refuse them (tensor-methods.ts).
 */
const viewCopies = new WeakMap<Tensor, string>();

/** Marks a result (or each of a list) as a copy of a view, made by `what`. */
export function markViewCopy<T extends Tensor | readonly Tensor[]>(what: string, result: T): T {
  for (const t of Array.isArray(result) ? result : [result]) viewCopies.set(t as Tensor, what);
  return result;
}

/** A result that is a new tensor in PyTorch too (F.pad of nothing, pixel_shuffle's permuted copy): no longer marked. */
export function unmarkViewCopy(t: Tensor): Tensor {
  viewCopies.delete(t);
  return t;
}

/** What made t a copy where PyTorch's would be a view of its input, or undefined. */
export const viewCopyOf = (t: Tensor): string | undefined => viewCopies.get(t);

/** A view of a marked copy is marked too: a write through it reaches the copy only. */
function sameViewCopyMark(source: Tensor, view: Tensor): Tensor {
  const copy = viewCopies.get(source);
  if (copy) viewCopies.set(view, copy);
  return view;
}

// ── tidy: freeing what ops made ──────────────────────────────────────────────────────────────────

/**
 * For each open tidy(), innermost last: what F ops made while it ran, outputs (their memory and
 * gradient freed) and views of other memory (F.reshape: only the gradient backward gave them).
 */
const tidyScopes: { tensor: Tensor; view: boolean }[][] = [];

/** An F op's new output tensor: the innermost open tidy() frees it unless that tidy() returns it. */
export function opOutput(gpu: Gpu, shape: readonly number[], label: string, dtype: DType = 'f32'): Tensor {
  const t = Tensor.empty(gpu, shape, dtype, label);
  tidyScopes.at(-1)?.push({ tensor: t, view: false });
  liveOpOutputs.add(t);
  gpu.markUnwritten(t.buffer);
  return t;
}

// ── the leak watch: a training loop whose F ops' outputs are never freed ───────────────────────────

/** F ops' outputs not yet destroyed. */
const liveOpOutputs = new Set<Tensor>();
/**
 * The backward() calls after which more F-op outputs were alive than ever since the count last came
 * back down: past this many, one warning. Dips do not reset it (an epoch's short last batch, whose
 * smaller intermediates a module keeps), only coming back to where the climb began, or as many
 * backward() calls in a row without a new high (memory that rose once and stays: state, not a leak).
 */
export const LEAK_WARNING_STEPS = 64;
const leakWatch = { start: 0, high: 0, growing: 0, flat: 0, warned: false };

/**
 * F ops' outputs kept on purpose, and freed by what keeps them: L-BFGS's history, a module's
 * outputs (Module.keepComposed holds a bounded number). Not counted by the leak watch.
 */
export function keptAsState<T extends readonly Tensor[]>(tensors: T): T {
  for (const t of tensors) liveOpOutputs.delete(t);
  return tensors;
}

/** A fresh watch (tests: the warnings come once per process). */
export function resetLeakWatch(): void {
  Object.assign(leakWatch, { start: liveOpOutputs.size, high: liveOpOutputs.size, growing: 0, flat: 0, warned: false });
  warnedNoBackward = false;
}

let warnedNoBackward = false;

/**
 * Once per process: a module called past the outputs one graph may hold (nn.Module.buffers), with
 * grad on and no backward() (an evaluation loop without noGrad()), held each output for a backward
 * that never came, which PyTorch's garbage collector would have freed.
 */
export function warnForwardsWithoutBackward(name: string, calls: number, bytes: number): void {
  if (warnedNoBackward) return;
  warnedNoBackward = true;
  console.warn(`wgslgrad: ${name} was called ${calls} times with grad on and no backward(), holding each call's outputs for one graph (${(bytes / 2 ** 20).toFixed(1)} MiB), past nn.callBufferLimits; the graph was cut and its oldest outputs are reused from now on. Run forwards that need no gradient (an evaluation) in noGrad(() => …); for one backward through that many calls (a long unrolled sequence), raise nn.callBufferLimits.maxBytes (or maxCalls) first`);
}

/**
 * Called at the end of each backward() and each outermost noGrad() run (an evaluation's or a
 * sampler's step): a step that leaves its F ops' outputs behind (no tidy(), no
 * destroy()) grows GPU memory by them every step, which the garbage collector never frees; after
 * LEAK_WARNING_STEPS such steps, one warning says what is piling up and what to do.
 * `backward`: a backward() ended the step (only those count towards flat: noGrad() runs between
 * leaking training steps must not reset the climb).
 */
function watchForLeaks(backward: boolean): void {
  // Freed through another tensor on the same buffer (a view's destroy() frees its source's memory): not alive.
  for (const t of liveOpOutputs) if (t.gpu.isDestroyed(t.memoryBuffer)) liveOpOutputs.delete(t);
  const alive = liveOpOutputs.size;
  const w = leakWatch;
  if (alive > w.high) [w.high, w.growing, w.flat] = [alive, w.growing + 1, 0];
  else if (alive <= w.start || (backward && ++w.flat >= LEAK_WARNING_STEPS)) [w.start, w.high, w.growing, w.flat] = [alive, alive, 0, 0];
  if (leakWatch.warned || leakWatch.growing < LEAK_WARNING_STEPS) return;
  leakWatch.warned = true;
  const byLabel = new Map<string, number>();
  let bytes = 0;
  for (const t of liveOpOutputs) {
    byLabel.set(t.label, (byLabel.get(t.label) ?? 0) + 1);
    bytes += t.byteLength + (t.ownsGrad && t.grad ? t.grad.byteLength : 0);
  }
  const most = [...byLabel].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([label, n]) => `'${label}' ×${n}`).join(', ');
  console.warn(`wgslgrad: ${alive} tensors made by ops (F, tensor methods, creation) are alive (${(bytes / 2 ** 20).toFixed(1)} MiB with their gradients; most: ${most}), having grown at ${LEAK_WARNING_STEPS} backward() calls or noGrad() runs without coming back down: a step's intermediates stay on the GPU until destroyed, and the garbage collector does not free them. Wrap each step in tidy(() => { … }) (it frees what ops made inside, except what it returns), a step with awaits between its ops (an async closure for L-BFGS, a print of await loss.item()) in tidyScope(), or destroy() them`);
}

/**
 * The views F ops made (opView). A view can cover the whole of its buffer (a reshape of an input),
 * where ownsMemory cannot tell it from the owner: destroy() must not free such a companion's memory.
 */
const views = new WeakSet<Tensor>();

/** F.reshape's views and their sources (BackwardContext.target writes a view's gradient into its source's). */
export const reshapeSources = new WeakMap<Tensor, Tensor>();

/** An F op's view of memory it did not make: the innermost open tidy() frees the gradient backward gives it. */
export function opView(t: Tensor): Tensor {
  views.add(t);
  tidyScopes.at(-1)?.push({ tensor: t, view: true });
  return t;
}

/**
 * How a backward adds g into grad (F's add kernel): set by src/functional.ts, which tensor.ts
 * cannot import (its kernels import Tensor).
 */
let accumulateInto: ((g: Tensor, grad: Tensor) => void) | null = null;
export function setAccumulateInto(fn: (g: Tensor, grad: Tensor) => void): void {
  accumulateInto = fn;
}

/** The backward of a copy (clone): d x = d y, handed over when it can be, else copied or added. */
function identityRule(x: Tensor): BackwardRule {
  return (ctx, dy) => {
    const g = upstream(dy, x.gpu, x.shape);
    if (dy !== null && ctx.donate(x, g)) return;
    const { grad, accumulate } = ctx.target(x);
    if (!accumulate) return x.gpu.copy(g, grad);
    if (!accumulateInto) throw new Error('clone: backward needs src/functional.ts loaded (import the package root or src/functional)');
    accumulateInto(g, grad);
  };
}

/** Frees what an op made: an output's memory and gradient, a view's gradient. */
function release({ tensor, view }: { tensor: Tensor; view: boolean }): void {
  if (!view) return tensor.destroy();
  if (tensor.ownsGrad) tensor.grad = null; // frees it
}

/** The tensors in a tidy()'s result: itself, or those in its arrays, plain objects and Maps, at any depth. */
function tensorsIn(value: unknown, seen = new Set<unknown>()): Tensor[] {
  if (value instanceof Tensor) return [value];
  if (value === null || typeof value !== 'object' || seen.has(value)) return [];
  seen.add(value);
  const plain = Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null;
  const values = Array.isArray(value) ? value : value instanceof Map ? [...value.values()] : plain ? Object.values(value) : [];
  return values.flatMap((v) => tensorsIn(v, seen));
}

/** Runs fn in a scope of its own and returns what its F ops allocated; if fn throws, that is freed first. */
function inScope<T>(fn: () => T): { result: T; made: { tensor: Tensor; view: boolean }[] } {
  const made: { tensor: Tensor; view: boolean }[] = [];
  tidyScopes.push(made);
  try {
    return { result: fn(), made };
  } catch (error) {
    made.forEach(release);
    throw error;
  } finally {
    tidyScopes.pop();
  }
}

/**
 * Runs fn, then frees every tensor an F op allocated while it ran, with the gradient backward gave
 * it, except what fn returns (a Tensor, or an array or plain object of them), which the enclosing
 * tidy() then holds: TensorFlow.js's tf.tidy, for a step whose loss is built from F ops
 * (F.add(ce, F.sum(F.mul(w, w)))), which would otherwise leave its intermediates on the GPU. Module
 * outputs, parameters and tensors you make are not freed. Call backward() inside fn: the graph
 * needs the intermediates. fn must be synchronous; if it throws, what it made is freed too.
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new Error(`tidy: expected a function (tidy(() => …)), got ${(fn as unknown) instanceof Tensor ? `a Tensor [${(fn as unknown as Tensor).shape.join(', ')}]` : String(fn)}`);
  const { result, made } = inScope(fn);
  if (result instanceof Promise) {
    made.forEach(release);
    throw new Error('tidy: fn returned a Promise; it must be synchronous (an await inside would let other code allocate in its scope). Await the reads after tidy(), on the tensors it returns; for a step with awaits between its ops, tidyScope()');
  }
  settle(made, tensorsIn(result));
  return result;
}

/**
 * The end of a scope (tidy(), TidyScope.dispose()): frees what `made` holds except `returned`, which
 * the enclosing tidy() then holds.
 */
/**
 * An output kept only as the memory under `view` (a reshape of it returned or kept): its companions
 * move to the view, and so does the gradient backward gave it (the view's gradient was written
 * there), so the view's destroy() frees them with the memory.
 */
export function giveToView(owner: Tensor, view: Tensor): void {
  view.companions.push(...owner.companions.splice(0));
  if (owner.ownsGrad && owner.grad) {
    view.companions.push(owner.grad);
    owner.ownsGrad = false;
  }
}

function settle(made: { tensor: Tensor; view: boolean }[], returned: Tensor[]): void {
  // Kept: what fn returns, and the memory under a returned view (F.reshape(F.exp(x), …)).
  // The companions of what is kept (an F.add's spread copies) stay with it. Those of an output kept
  // only as the memory under a returned view move to that view, which destroy() then frees with them.
  const keeps = (entry: { tensor: Tensor; view: boolean }) => returned.some((r) => r === entry.tensor || (!entry.view && r.memoryBuffer === entry.tensor.memoryBuffer));
  for (const { tensor, view } of made) {
    const viewer = view || returned.includes(tensor) ? undefined : returned.find((r) => r.memoryBuffer === tensor.memoryBuffer);
    if (viewer) giveToView(tensor, viewer);
  }
  const companions = new Set([...returned, ...made.filter(keeps).map((e) => e.tensor)].flatMap((t) => t.companions));
  for (const entry of made) {
    if (keeps(entry) || companions.has(entry.tensor)) tidyScopes.at(-1)?.push(entry);
    else release(entry);
  }
}

/**
 * tidy() for a step with awaits between its ops (the FGSM tutorial reads init_pred.item() between
 * its forward and its backward, which a tidy() cannot span): each run(fn) is synchronous and adds
 * what its ops made to the scope, freeing nothing; dispose(...keep) frees all of it but keep (and
 * what they need), as a tidy() returning them would.
 *
 *   const scope = tidyScope();
 *   const output = scope.run(() => model.forward(data));
 *   if ((await scope.run(() => output.argmax(1)).item()) !== label) { scope.dispose(); continue; }
 *   scope.run(() => F.nllLoss(output, target).backward());
 *   …
 *   scope.dispose();
 */
export class TidyScope {
  private made: { tensor: Tensor; view: boolean }[] | null = [];

  run<T>(fn: () => T): T {
    if (this.made === null) throw new Error('TidyScope.run: this scope was disposed; make a new one with tidyScope()');
    if (typeof fn !== 'function') throw new Error(`TidyScope.run: expected a function (scope.run(() => …)), got ${show(fn)}`);
    const { result, made } = inScope(fn);
    if (result instanceof Promise) {
      made.forEach(release);
      throw new Error('TidyScope.run: fn returned a Promise; it must be synchronous: await between runs, on what they return');
    }
    this.made.push(...made);
    return result;
  }

  /** Frees what the runs' ops made, except `keep` (an enclosing tidy() then holds those). */
  dispose(...keep: Tensor[]): void {
    if (this.made === null) return;
    const made = this.made;
    this.made = null;
    settle(made, keep.flatMap((k) => tensorsIn(k)));
  }
}

/**
 * Takes tensors out of every open tidy() (TensorFlow.js's tf.keep): a clone() of a gradient kept
 * past the step's tidy(), say. They are then yours to destroy(). Returns the first, for keep(x.clone()).
 */
export function keep<T extends Tensor>(tensor: T, ...more: Tensor[]): T {
  const kept = new Set<Tensor>([tensor, ...more]);
  for (const t of kept) if (!(t instanceof Tensor)) throw new Error(`keep: expected Tensors, got ${show(t)}`);
  for (const scope of tidyScopes) {
    // As a tidy() keeps what it returns (settle): with the memory under a kept view (keep(F.reshape(
    // F.exp(x), …)), whose companions move to the view, and the companions of each (an F.add's spread
    // copies, which its backward reads).
    const owners = scope.filter((e) => !e.view && !kept.has(e.tensor) && [...kept].some((k) => k.memoryBuffer === e.tensor.memoryBuffer)).map((e) => e.tensor);
    for (const owner of owners) giveToView(owner, [...kept].find((k) => k.memoryBuffer === owner.memoryBuffer)!);
    const held = new Set([...kept, ...owners, ...[...kept].flatMap((k) => k.companions)]);
    for (let i = scope.length - 1; i >= 0; i--) if (held.has(scope[i]!.tensor)) scope.splice(i, 1);
  }
  return tensor;
}

/** A scope whose runs may have awaits between them (see TidyScope). */
export function tidyScope(): TidyScope {
  return new TidyScope();
}

/**
 * Runs fn, F ops that build one output from others (F.logsumexp, F.var), and makes every
 * tensor they allocated but the output its companions: kept for its backward, freed with it. The
 * enclosing tidy() sees the output alone. fn must return a tensor it made (not a view, not an input).
 */
export function composite(fn: () => Tensor): Tensor {
  const { result: y, made } = inScope(fn);
  const own = made.find((e) => e.tensor === y && !e.view);
  if (!own) {
    made.forEach(release);
    throw new Error('composite: fn must return a tensor one of its ops made, not a view or an input');
  }
  y.companions.push(...made.filter((e) => e !== own).map((e) => e.tensor));
  tidyScopes.at(-1)?.push(own);
  return y;
}

// ── the tape ─────────────────────────────────────────────────────────────────────────────────────

/** An operation's backward: propagates gradOutput into ctx.target(input) for each input that needs it. */
export type BackwardRule = (ctx: BackwardContext, gradOutput: Tensor | null) => void;

export interface GraphNode {
  /** For error messages: the op or module that recorded it. */
  name: string;
  inputs: readonly Tensor[];
  output: Tensor;
  /** Tensors its backward reads besides inputs and output (F.max's indices), checked as they are before backward. */
  saved?: readonly Tensor[];
  /** Which graph the node belongs to (see cutGraph). */
  generation: number;
  /** Gpu.writeMark() when recorded: what the backward reads must not be written after it (Gpu.writtenSince). */
  writeMark: number;
  /** What the backward reads of the forward's values; default output, inputs and saved. [] for a rule that needs dy and shapes alone (add, sum, permute: PyTorch saves nothing for them either). */
  reads?: readonly Tensor[];
  backward: BackwardRule;
}

let gradEnabled = true;
let generation = 0;
/** The last backward's loss and the nodes it reached: a later backward from another node of that graph was not a second pass, but a graph it freed. */
/** Every node a backward() went through: a second backward from one is named as PyTorch names it. */
const usedByBackward = new WeakSet<GraphNode>();
let tape: GraphNode[] = [];

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with recording off (torch.no_grad()). */
const AsyncFunction = (async () => {}).constructor;

export function noGrad<T>(fn: () => T): T {
  const outermost = gradEnabled;
  const result = withGradEnabled(false, fn);
  // An async fn records again past its first await; a plain one returning a read's Promise is done recording.
  if (result instanceof Promise && fn instanceof AsyncFunction) {
    result.catch(() => {}); // what it does past its first await is reported here, not as an unhandled rejection
    throw new Error('noGrad: fn is an async function; it must be synchronous: recording comes back on at its first await (PyTorch\'s no_grad has no such gap), so what follows would record a graph and keep its buffers. Run the forwards inside and await the reads after: const y = noGrad(() => model.forward(x)); await y.read()');
  }
  // The end of an evaluation's or a sampler's step, as backward() ends a training step's.
  if (outermost) {
    steps++;
    watchForLeaks(false);
  }
  return result;
}

/** noGrad for the engine's own work inside an op or a step (casts, running statistics, L-BFGS): not a step the leak watch counts. */
export function withoutGrad<T>(fn: () => T): T {
  return withGradEnabled(false, fn);
}

/** Runs fn with recording on (torch.enable_grad()), as an optimizer runs its step's closure. */
export function enableGrad<T>(fn: () => T): T {
  return withGradEnabled(true, fn);
}

/** enableGrad(fn) or noGrad(fn) as `mode` says (torch.set_grad_enabled(phase == 'train'), the transfer-learning tutorial's). */
export function setGradEnabled<T>(mode: boolean, fn: () => T): T {
  if (typeof mode !== 'boolean') throw new Error(`setGradEnabled: argument 'mode' expected true or false, got ${show(mode)}`);
  if (typeof fn !== 'function') throw new Error(`setGradEnabled: takes mode and the function to run (PyTorch's with-block: setGradEnabled(phase === 'train', () => …)), got ${show(fn)}`);
  return mode ? enableGrad(fn) : noGrad(fn);
}

/** The number of the outermost noGrad() run now running (0: none), and of every run not yet ended. */
let noGradRun = 0;
let noGradRuns = 0;
const runningNoGrad = new Set<number>();

function withGradEnabled<T>(enabled: boolean, fn: () => T): T {
  const [previous, previousRun] = [gradEnabled, noGradRun];
  // A noGrad() inside another is part of its run; one inside enableGrad() inside noGrad() starts its own.
  const opens = !enabled && previous;
  if (opens) runningNoGrad.add((noGradRun = ++noGradRuns));
  gradEnabled = enabled;
  try {
    return fn();
  } finally {
    if (opens) runningNoGrad.delete(noGradRun);
    [gradEnabled, noGradRun] = [previous, previousRun];
  }
}

/** When a module gave out an output (Module.buffers): the backward() count of the time, or the noGrad() run it was made in. */
export interface CallMark {
  backwards: number;
  noGradRun: number | null;
  /** Orders marks: the oldest, or the latest, is picked. */
  serial: number;
  /** stepCount() then: a set idle for many steps is freed. */
  step: number;
}
let callSerial = 0;
/** backward() calls so far. */
let backwards = 0;
/** Steps so far: backward() calls and outermost noGrad() runs ended (the leak watch's steps too). */
let steps = 0;

export function stepCount(): number {
  return steps;
}

export function callMark(): CallMark {
  return { backwards, noGradRun: gradEnabled ? null : noGradRun, serial: ++callSerial, step: steps };
}

/**
 * Whether a module's output given at `mark` may still be in use, so its next forward must not
 * write over it: one made inside a noGrad() run still running (a decoder's loop collecting its steps
 * for F.cat), or with grad on until the next backward(), recorded or not (a frozen layer's output,
 * read by what follows it in the step).
 */
export function isCallHeld(mark: CallMark): boolean {
  return mark.noGradRun === null ? mark.backwards === backwards : runningNoGrad.has(mark.noGradRun);
}

/** Whether an op with these inputs should record a node. */
export function needsGrad(inputs: readonly Tensor[]): boolean {
  return gradEnabled && inputs.some((t) => t.requiresGrad);
}

/** The graph (generation) that last recorded an op over each buffer's memory, through any view of it. */
const buffersInGraph = new WeakMap<GPUBuffer, number>();

/** Whether the current graph recorded an op over t's memory, through t or another view of it (a module frees no such buffer). */
export function isMemoryOnLiveGraph(t: Tensor): boolean {
  return buffersInGraph.get(t.memoryBuffer) === generation;
}

/** Whether the current graph reads memory y.destroy() would free (its own or an owned companion's), through any handle. */
export function freesMemoryOnLiveGraph(y: Tensor): boolean {
  return [y, ...y.companions].some((t) => t.ownsMemory && !views.has(t) && isMemoryOnLiveGraph(t));
}

export function record(node: Omit<GraphNode, 'generation' | 'writeMark'>): void {
  const full: GraphNode = { ...node, generation, writeMark: node.output.gpu.writeMark() };
  for (const input of node.inputs) input.readInGraph = generation;
  for (const t of [node.output, ...node.inputs, ...(node.saved ?? [])]) buffersInGraph.set(t.memoryBuffer, generation);
  tape.push(full);
  node.output.node = full;
  node.output.requiresGrad = true;
}

/** Why recent graphs were cut, as clauses ("was freed by a backward()"), for the errors of backward. */
const cutReasons: { generation: number; reason: string }[] = [];

/**
 * Drops the current graph: backward() does, once done; so does a module whose calls the graph
 * holds more sets of buffers for than it keeps (nn.ts, Module.buffers), as a forward without
 * backward would leave it for the garbage collector in PyTorch. A later backward() through a cut
 * graph is an Error naming the reason, never silently wrong gradients.
 */
export function cutGraph(reason: string): void {
  cutReasons.push({ generation, reason });
  if (cutReasons.length > 16) cutReasons.shift();
  tape = [];
  generation++;
}

/** Why the graph of generation g was cut, as a clause for an error. */
function cutReason(g: number): string {
  return cutReasons.find((c) => c.generation === g)?.reason ?? 'was cut';
}

/** Whether the current graph holds t: an op of it made t, or read it (its backward may read it again). */
export function isOnLiveGraph(t: Tensor): boolean {
  return (t.node !== null && t.node.generation === generation) || t.readInGraph === generation;
}

/** Each backward() pass's number; and, for a gradient buffer one rule donated to a tensor, the pass it was donated in. */
let passes = 0;
const donatedIn = new WeakMap<Tensor, number>();

export class BackwardContext {
  private readonly written = new Set<Tensor>();
  private readonly pass = ++passes;

  /** The grad a rule should write for input t, and whether to add to it rather than overwrite. */
  target(t: Tensor): { grad: Tensor; accumulate: boolean } {
    // A reshape view's gradient is its source's, seen under the view's shape: written there directly,
    // so a view made per forward (F.linear over [*, in], a batched matmul's operands) allocates no
    // gradient buffer of its own, which only a tidy() would free. The reshape's own rule then has
    // nothing to pass on, unless a rule donated a buffer to the view itself.
    const source = reshapeSources.get(t);
    if (source?.requiresGrad && !this.written.has(t)) {
      const { grad, accumulate } = this.target(source);
      return { grad: grad.reshapeView(t.shape), accumulate };
    }
    // A buffer donated in an earlier pass (a loss's d loss / d logits, or the view of it a reshape's
    // rule passed on) is stale once that loss has run again: this pass needs its own (a plain step,
    // then one with a term added to the loss).
    if (t.grad && !t.ownsGrad && (donatedIn.get(t.grad) ?? this.pass) !== this.pass) t.grad = null;
    if (!t.grad) {
      t.grad = Tensor.empty(t.gpu, t.shape, 'f32', `${t.label}.grad`);
      t.ownsGrad = true;
      t.gradIsZero = t.node === null; // a leaf's grad accumulates from zero
      if (t.gradIsZero) t.gpu.clear(t.grad);
    }
    // A leaf's grad adds up across backward() calls, unless it is known to be zero: 0 + g = g, without the read.
    const accumulate = this.written.has(t) || (t.node === null && !t.gradIsZero);
    t.gradIsZero = false;
    t.hasGrad = true;
    this.written.add(t);
    return { grad: t.grad, accumulate };
  }

  /**
   * Offers a ready-made gradient buffer for t (the fused cross-entropy computes d loss / d logits in
   * its forward). Accepted, with no copy, when t is an intermediate tensor not yet written in this
   * pass; otherwise the caller must write through target().
   */
  donate(t: Tensor, grad: Tensor): boolean {
    if (t.node === null || this.written.has(t)) return false;
    t.grad = grad; // frees one from an earlier backward it owned
    t.ownsGrad = false;
    donatedIn.set(grad, this.pass);
    this.written.add(t);
    return true;
  }

  hasGradient(t: Tensor): boolean {
    return this.written.has(t);
  }
}

// A one-element 1 per device: d loss / d loss, for the op at the root of backward.
const ones = new WeakMap<Gpu, Tensor>();

/**
 * What a rule's dy stands for: dy itself, or at the root of backward (dy null; the output has one
 * element, as backward() checked) d loss / d loss = 1, under the output's shape. Rules that can use
 * the root (cross-entropy hands its forward's gradient over) test dy for null instead.
 */
export function upstream(dy: Tensor | null, gpu: Gpu, shape: readonly number[]): Tensor {
  if (dy) return dy;
  let one = ones.get(gpu);
  if (!one) ones.set(gpu, (one = Tensor.fromArray(gpu, [1], [1], 'f32', 'd loss / d loss')));
  return shape.length === 1 ? one : one.reshapeView(shape);
}

/**
 * Before anything is dispatched, over the nodes the backward from `root` reaches: every tensor it
 * writes a gradient for or reads must still exist (one freed by destroy() or by the end of a tidy()
 * would otherwise fail halfway, or get a gradient buffer nothing frees: a backward called after the
 * tidy() that made its loss), and every input to differentiate must come from this graph.
 */
function expectGraphIntact(root: GraphNode, rootIndex: number): void {
  const reached = new Set<Tensor>([root.output]);
  for (let i = rootIndex; i >= 0; i--) {
    const node = tape[i]!;
    if (!reached.has(node.output)) continue;
    for (const t of [node.output, ...node.inputs, ...(node.saved ?? [])]) {
      if (t.freedBy !== null) throw new Error(`backward: '${node.name}' needs '${t.label}', which was freed by ${t.freedBy}`);
      if (t.gpu.isDestroyed(t.memoryBuffer)) {
        if (t.overwrittenBy !== null) throw new Error(`backward: '${node.name}' needs '${t.label}', which was freed by ${t.overwrittenBy.startsWith('a later ') ? t.overwrittenBy : `a later forward of ${t.overwrittenBy}`}`);
        throw new Error(`backward: '${node.name}' needs '${t.label}', which was freed (tensor.destroy(), or the end of the tidy() it was made in); call backward() inside the tidy() that built the loss`);
      }
    }
    for (const t of node.reads ?? [node.output, ...node.inputs, ...(node.saved ?? [])]) {
      if (t.gpu.writtenSince(t, node.writeMark)) {
        throw new Error(`backward: '${node.name}' needs '${t.label}' [${t.shape.join(', ')}] as it was in the forward, and its memory was written since (a write(), an optimizer step, another op's 'out'; PyTorch: "one of the variables needed for gradient computation has been modified by an inplace operation"): change it after backward(), or give the forward a copy (clone())`);
      }
    }
    for (const input of node.inputs) {
      if (!input.requiresGrad) continue;
      if (input.node !== null && input.node.generation !== generation) {
        throw new Error(`backward: '${node.name}' reads '${input.label}', made in an earlier graph that ${droppedWhy.get(input.node) ?? cutReason(input.node.generation)}; compute it again in this graph, or detach a copy (clone())`);
      }
      reached.add(input);
    }
  }
}

/** F.sum(F.mul(out, g)), for out.backward(g): functional.ts registers it (F imports this file, so this file cannot import F). */
let sumOfProduct: ((out: Tensor, g: Tensor) => Tensor) | null = null;
export function registerSumOfProduct(fn: (out: Tensor, g: Tensor) => Tensor): void {
  sumOfProduct = fn;
}

/** Throws unless root's graph can be back-propagated now: recorded, not freed by a backward, not cut. */
function expectLiveGraph(root: Tensor): asserts root is Tensor & { node: GraphNode } {
  if (!root.node) throw new Error(`backward: '${root.label}' was not produced by a recorded operation (does it require grad, and was grad enabled? A Tensor.reshapeView() view is off the graph too: F.reshape, x.reshape and x.view are recorded)`);
  const dropped = droppedWhy.get(root.node);
  if (dropped) throw new Error(`backward: the graph of '${root.label}' ${dropped}`);
  if (usedByBackward.has(root.node)) throw new Error(`backward: the graph of '${root.label}' was already used by a backward() and freed (PyTorch: "Trying to backward through the graph a second time"); run forward again for another backward`);
  if (root.node.generation !== generation) throw new Error(`backward: the graph of '${root.label}' ${cutReason(root.node.generation)}; run forward again before backward`);
}

/** `label`: the tensor the user called backward on (out.backward(g) runs from Σ out·g). */
export function backward(root: Tensor, label = root.label): void {
  if (root.node && root.size !== 1) throw new Error(`backward: grad can be implicitly created only for a scalar output, '${root.label}' has shape [${root.shape.join(', ')}]: give the gradient of the output, a tensor of its shape (out.backward(g), as PyTorch's), or reduce it first (F.sum(out).backward())`);
  expectLiveGraph(root);
  const rootIndex = tape.lastIndexOf(root.node);
  expectGraphIntact(root.node, rootIndex);
  const ctx = new BackwardContext();
  const reachedNodes = new Set<GraphNode>();
  for (let i = rootIndex; i >= 0; i--) {
    const node = tape[i]!;
    const reached = node === root.node || ctx.hasGradient(node.output);
    if (!reached) continue;
    reachedNodes.add(node);
    usedByBackward.add(node);
    node.backward(ctx, node === root.node ? null : node.output.grad);
  }
  backwards++;
  steps++;
  watchForLeaks(true);
  const kept = unreachedGraphs(reachedNodes, label);
  cutGraph('was freed by a backward()');
  // What it did not reach lives on in the new graph, as PyTorch keeps each loss's own graph until its backward.
  carryInto(kept);
}

/** Makes `kept` (nodes of the graph just cut) the current graph's. */
function carryInto(kept: GraphNode[]): void {
  for (const node of kept) {
    node.generation = generation;
    for (const input of node.inputs) input.readInGraph = generation;
    for (const t of [node.output, ...node.inputs, ...(node.saved ?? [])]) buffersInGraph.set(t.memoryBuffer, generation);
  }
  tape = kept;
}

/**
 * Frees the graphs earlier backward() calls carried over (no backward reached them), but for what
 * the current graph is built on (a GAN's fake, carried to its errG): a module out of buffer sets
 * takes theirs back (Module.buffers) before it cuts the current graph. Whether any was freed.
 */
export function freeCarriedGraphs(why: string): boolean {
  // By memory, not by tensor: the current graph may read a carried output through a view of it
  // (a discriminator's D(fake.detach())), or keep it among its saved tensors.
  const needed = new Set<GPUBuffer>();
  const keep = new Set<GraphNode>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i]!;
    if (carried.has(node) && !needed.has(node.output.memoryBuffer)) continue;
    keep.add(node);
    for (const t of [...node.inputs, ...(node.saved ?? [])]) needed.add(t.memoryBuffer);
  }
  if (keep.size === tape.length) return false;
  const kept = tape.filter((node) => keep.has(node));
  for (const node of tape) if (!keep.has(node)) droppedWhy.set(node, why);
  cutGraph(why);
  carryInto(kept);
  return true;
}

/**
 * The backward() calls a graph no backward reached is kept through: a GAN's generator output lives
 * through its discriminator's backwards (of the detached copy; a WGAN's five critic steps) to the
 * generator's own. Past them it is freed, as the garbage collector would free one PyTorch holds no
 * reference to; a module short of buffer sets takes back those such graphs hold sooner
 * (freeCarriedGraphs).
 */
export const UNREACHED_GRAPH_BACKWARDS = 8;
/** How many backward() calls each kept node has been carried through. */
const carried = new WeakMap<GraphNode, number>();
/** Why a node was dropped when a backward() carried the rest over: a later backward through it says so. */
const droppedWhy = new WeakMap<GraphNode, string>();

/**
 * The nodes of the tape that the backward of `label` did not reach and that a later backward can
 * still use: not built on anything that backward went through (it freed that, as PyTorch's does
 * without retain_graph), their output not freed, carried through fewer than UNREACHED_GRAPH_BACKWARDS.
 */
function unreachedGraphs(reached: ReadonlySet<GraphNode>, label: string): GraphNode[] {
  const builtOn = `was freed by the backward() of '${label}', which went through operations it was built on (PyTorch frees them too, unless retain_graph=True). Sum the losses and call backward() once (F.add(l1, l2).backward(): the same gradients)`;
  // The outputs of the nodes not kept, and why: a node built on one goes with it, for the same reason.
  const gone = new Map<Tensor, string>();
  const kept: GraphNode[] = [];
  for (const node of tape) {
    if (reached.has(node)) {
      gone.set(node.output, builtOn);
      continue;
    }
    const times = (carried.get(node) ?? 0) + 1;
    const from = node.inputs.find((t) => t.requiresGrad && (gone.has(t) || (t.node !== null && t.node.generation !== generation)));
    let why: string | null = null;
    if (from) why = gone.get(from) ?? (from.node && droppedWhy.get(from.node)) ?? builtOn;
    else if (times > UNREACHED_GRAPH_BACKWARDS) why = `was freed after ${UNREACHED_GRAPH_BACKWARDS} backward() calls that did not reach it (UNREACHED_GRAPH_BACKWARDS: a graph is kept through that many, then its module buffers are reused); run forward again`;
    else if (node.output.gpu.isDestroyed(node.output.memoryBuffer)) why = 'was freed (tensor.destroy(), or the end of the tidy() it was made in)';
    if (why !== null) {
      droppedWhy.set(node, why);
      gone.set(node.output, why);
      continue;
    }
    carried.set(node, times);
    kept.push(node);
  }
  return kept;
}
