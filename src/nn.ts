// torch.nn, on our kernels. Each module's forward calls the functional op (functional.ts), which
// records the backward rule from the gradient table; modules add their parameters and their reused
// buffers.
//
// Modules own their output buffers and reuse them from step to step (keyed by shape): a training step
// in steady state creates no GPU buffers. A module's output is therefore valid until that module's
// next forward reuses its buffer; after it, using the older output is an Error that says so (copy it
// with clone() to keep it longer). A forward does not reuse the buffers of an earlier call whose
// outputs the current graph holds (made or read by its ops): a module called twice before backward
// (a siamese loss) gets a second set (Module.buffers).
import { currentGpu, type Gpu } from './device/gpu';
import * as F from './functional';
import { kaimingUniform_, normal_, uniform_, xavierUniform_ } from './init';
import type { Activation as ActivationKind } from './kernels/activation';
import type { BatchNormArgs } from './kernels/batchnorm';
import { fillConstant } from './kernels/init';
import { expectApproximate, type GeluApproximate } from './kernels/gelu';
import { expectKnee, lossShape, partialCount } from './kernels/regression_loss';
import { resolveDim } from './kernels/softmax';
import * as convOps from './kernels/conv2d';
import * as poolOps from './kernels/pool';
import * as conv3dOps from './kernels/conv3d';
import * as pool3dOps from './kernels/pool3d';
import * as recurrent from './recurrent';
import * as nn from './nn'; // this file's own exports: which modules are the engine's (shapeKnown)
import { PackedSequence } from './rnn-utils';
import { gradients } from './gradients';
import type { DType } from './device/shader';
import { expectPair, expectTriple, shapeText, type Triple } from './launch';
import { allocateParameter, Parameter, releaseParameters } from './parameters';
import { callMark, composite, cutGraph, freeCarriedGraphs, freesMemoryOnLiveGraph, isCallHeld, isGradEnabled, isMemoryOnLiveGraph, isOnLiveGraph, keptAsState, stepCount, withoutGrad, warnForwardsWithoutBackward, type CallMark, reshapeSources, needsGrad, record, Tensor, tidy, type BackwardRule } from './tensor';
import { badLabelIn, METRICS_LENGTH, type CrossEntropyOptions, type Reduction } from './kernels/softmax_cross_entropy';
import { attributeSpellings, methodSpellings } from './pytorch-names';
import { expectFlag, expectZeroGradArguments, normalizeOptions, pythonFloat, show } from './options';

/** torch.nn.utils: clipGradNorm_, clipGradValue_ (src/nn-utils.ts). */
export * as utils from './nn-utils';

/** One state-dict entry: values in float32, with the dtype PyTorch gives it. */
export interface StateEntry {
  shape: number[];
  dtype: 'F32' | 'I64';
  values: Float32Array;
}
export type StateDict = Map<string, StateEntry>;

/** A scalar counter exposed as a state-dict buffer (BatchNorm's num_batches_tracked). */
class Counter {
  value = 0;
}

/** A plain array or object with a Module among its values (not looked into further). */
function holdsModules(value: unknown): boolean {
  if (Array.isArray(value)) return value.some((v) => v instanceof Module);
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return (proto === Object.prototype || proto === null) && Object.values(value).some((v) => v instanceof Module);
}

/**
 * How many calls of one module the current graph can hold, each with its own buffers: always
 * MIN_CALLS_PER_GRAPH (a siamese or triplet loss), and up to MAX_CALLS_PER_GRAPH while the module's
 * buffers total under CALL_BUFFERS_MAX_BYTES (a small layer or a cell unrolled over a sequence,
 * micro-batches summed); those two are callBufferLimits' defaults, below. Bounded, because a loop
 * of forwards that never calls backward (evaluation without noGrad) would otherwise keep a set, and
 * a graph node, for each; the sets a module made stay for the next steps.
 */
export const MIN_CALLS_PER_GRAPH = 4;
export const MAX_CALLS_PER_GRAPH = 1024;
export const CALL_BUFFERS_MAX_BYTES = 64 * 2 ** 20;
/**
 * The bounds in force, MAX_CALLS_PER_GRAPH and CALL_BUFFERS_MAX_BYTES by default: raise them for one
 * graph through more calls (pytorch/examples' time-sequence prediction backpropagates through 999
 * steps of two LSTM cells, 263 MiB each), as `nn.callBufferLimits.maxBytes = 2 ** 30`.
 */
export const callBufferLimits = { maxCalls: MAX_CALLS_PER_GRAPH, maxBytes: CALL_BUFFERS_MAX_BYTES };
/**
 * Shapes a set keeps of one buffer (training batches, the last smaller one, an evaluation's, the
 * levels of a pyramid one pooling module makes): past them the least recently used is freed, unless
 * the current graph holds it, so inputs of ever new shapes (a generation loop's growing sequence)
 * do not keep a buffer per shape for good.
 */
export const SHAPES_PER_BUFFER = 16;

/** Steps (backward() calls and noGrad() runs) after which a set of buffers no call took is freed, past MIN_CALLS_PER_GRAPH sets. */
export const SETS_IDLE_STEPS = 8;

/** The element of `items` first in `order`, by one scan (undefined for none). */
function pick<T>(items: readonly T[], order: (a: T, b: T) => number): T | undefined {
  let best: T | undefined;
  for (const item of items) if (best === undefined || order(item, best) < 0) best = item;
  return best;
}

/**
 * A loss module's reduced output ([1]) is one of this many buffers in turn, so its last outputs
 * stay valid through its later calls: errD = errD_real + errD_fake, with a backward() between them,
 * as a GAN's loop adds its losses for the printout.
 */
export const LOSS_OUTPUTS_KEPT = 4;

/** A composed op's output a module keeps (keepComposed), with what it handed out beside it and their bytes. */
interface ComposedEntry {
  output: Tensor;
  extras: Tensor[];
  bytes: number;
  /** When it was made: held while its noGrad() run or, with grad on, its graph lasts (isCallHeld). */
  mark: CallMark;
}

/** Any module, whatever its forward returns (an RNN's (output, h_n) as well as a tensor). */
export type AnyModule = Module<unknown>;

/**
 * A module: parameters, buffers and children, and a forward giving Output (a tensor; an RNN's
 * forward gives PyTorch's tuple, so it cannot sit in a Sequential, which passes tensors on).
 */
export abstract class Module<Output = Tensor> {
  training = true;
  /** Buffers kept from call to call: one set for each call the current graph holds (see buffers()). */
  private readonly slots: { tensors: Map<string, Tensor>; given: Tensor[]; shapes: Map<string, string[]>; turns: Map<string, { turn: number; last: Tensor | null }>; mark: CallMark }[] = [];
  /** The bytes of every set in slots. */
  private slotBytes = 0;
  /** GPU memory this module made for itself besides parameters and slots (running statistics, metrics): freed by destroy(). */
  private readonly owned: Tensor[] = [];
  /** Set by destroy(): why forward is an Error. */
  private destroyedBy: string | null = null;

  readonly gpu: Gpu;

  /** On `gpu`, or the first device requestGpu() gave (a module of your own can call super()). */
  constructor(gpu?: Gpu) {
    this.gpu = gpu ?? currentGpu();
  }

  /** describe(): `${model}` and, in Node, console.log(model) print what PyTorch's print(model) does. */
  toString(): string {
    return this.describe();
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.describe();
  }

  /** What PyTorch prints for the module, e.g. Linear(in_features=20, out_features=128). */
  describe(): string {
    const children = this.namedChildren();
    if (children.length === 0) return `${this.constructor.name}()`;
    // PyTorch's nn.Module repr: each child on its own line, a nested one's lines indented under it.
    return `${this.constructor.name}(\n${children.map(([name, m]) => `  (${name}): ${m.describe().split('\n').join('\n  ')}`).join('\n')}\n)`;
  }

  /**
   * The Module fields, in declaration order. Modules held in a plain array or object would be left
   * out of parameters() and the state dict (the optimizer would never train them), so one found
   * there is an Error: hold them in an nn.ModuleList or nn.ModuleDict, or override namedChildren().
   */
  namedChildren(): [string, AnyModule][] {
    const children: [string, AnyModule][] = [];
    for (const [name, value] of Object.entries(this)) {
      if (value instanceof Module) children.push([name, value]);
      else if (holdsModules(value)) throw new Error(`${this.constructor.name}: field '${name}' holds modules in a plain ${Array.isArray(value) ? 'array' : 'object'}, where parameters() and stateDict() cannot see them; hold them in an nn.${Array.isArray(value) ? `ModuleList (names '${name}.0.weight', …)` : `ModuleDict (names '${name}.${Object.keys(value as object)[0]}.weight', …)`}, or override namedChildren()`);
    }
    return children;
  }

  /**
   * Parameters with PyTorch's dotted names ('0.weight', 'linear1.bias'), registration order; one
   * module held twice (weights tied: Sequential(lin, act, lin)) gives its parameters once, under the
   * first name, as PyTorch does. The state dict keeps both names.
   */
  namedParameters(prefix = ''): [string, Parameter][] {
    const all = [...this.ownParameters(prefix), ...this.namedChildren().flatMap(([n, m]) => m.namedParameters(`${prefix}${n}.`))];
    return all.filter(([, p], i) => all.findIndex(([, q]) => q === p) === i);
  }

  /** This module's own parameters (its fields), not its children's, named with `prefix`. */
  private ownParameters(prefix: string): [string, Parameter][] {
    return Object.entries(this)
      .filter((e): e is [string, Parameter] => e[1] instanceof Parameter)
      .map(([n, p]) => [prefix + n, p]);
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Non-parameter state saved with the model (BatchNorm's running statistics). */
  protected ownBuffers(): [string, Tensor | Counter][] {
    return [];
  }

  namedBuffers(prefix = ''): [string, Tensor | Counter][] {
    return [...this.ownBuffers().map(([n, b]): [string, Tensor | Counter] => [prefix + n, b]), ...this.namedChildren().flatMap(([n, m]) => m.namedBuffers(`${prefix}${n}.`))];
  }

  /** What a state dict holds, in PyTorch's order: each module's parameters, then its buffers, then its children's. */
  namedState(prefix = ''): [string, Tensor | Counter][] {
    return [
      ...this.ownParameters(prefix),
      ...this.ownBuffers().map(([n, b]): [string, Tensor | Counter] => [prefix + n, b]),
      ...this.namedChildren().flatMap(([n, m]) => m.namedState(`${prefix}${n}.`)),
    ];
  }

  train(mode = true): this {
    this.training = mode;
    for (const [, child] of this.namedChildren()) child.train(mode);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** The direct children (PyTorch's module.children()): namedChildren's modules. */
  children(): AnyModule[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /**
   * This module and every module under it, depth first, with dotted names ('' for this one, '0',
   * 'encoder.layers.1'): PyTorch's named_modules(). A module held twice is listed once, as there.
   */
  namedModules(prefix = ''): [string, AnyModule][] {
    const all: [string, AnyModule][] = [[prefix, this as AnyModule], ...this.namedChildren().flatMap(([n, m]) => m.namedModules(prefix ? `${prefix}.${n}` : n))];
    return all.filter(([, m], i) => all.findIndex(([, o]) => o === m) === i);
  }

  /** namedModules's modules (PyTorch's module.modules()). */
  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }

  /**
   * fn on every child's modules, then on this one (PyTorch's module.apply(fn), as in
   * model.apply(initWeights)); returns this.
   */
  apply(fn: (module: AnyModule) => void): this {
    if (typeof fn !== 'function') throw new Error(`${this.constructor.name}.apply: argument 'fn' expected a function of a module (model.apply((m) => { if (m instanceof nn.Linear) … })), got ${show(fn)}`);
    for (const child of this.children()) child.apply(fn);
    fn(this as AnyModule);
    return this;
  }

  /** PyTorch's spellings of the methods below, for pasted code: the same methods (src/pytorch-names.ts). */
  declare zero_grad: Module['zeroGrad'];
  declare state_dict: Module['stateDict'];
  declare load_state_dict: Module['loadStateDict'];
  declare named_parameters: Module['namedParameters'];
  declare named_buffers: Module['namedBuffers'];
  declare named_children: Module['namedChildren'];
  declare named_modules: Module['namedModules'];

  /** Sets requiresGrad on every parameter (PyTorch's model.requires_grad_(False): a frozen feature extractor); returns this. */
  requires_grad_(requiresGrad = true, ...unsupported: never[]): this {
    if (typeof requiresGrad !== 'boolean' || unsupported.length) throw new Error(`${this.constructor.name}.requires_grad_: takes true or false, got ${show(requiresGrad)}${unsupported.length ? ' and more' : ''}`);
    for (const p of this.parameters()) p.requiresGrad = requiresGrad;
    return this;
  }

  /** Zeroes every parameter's gradient; setToNone as in Optimizer.zeroGrad (PyTorch's module.zero_grad()). */
  zeroGrad(setToNone = true, ...unsupported: never[]): void {
    expectZeroGradArguments(`${this.constructor.name}.zeroGrad`, setToNone, unsupported);
    for (const p of this.parameters()) {
      this.gpu.clear(p.grad);
      p.gradIsZero = true;
      if (setToNone) p.hasGrad = false;
    }
  }

  /** Parameters and buffers, read back from the GPU, by PyTorch name. */
  async stateDict(): Promise<StateDict> {
    const dict: StateDict = new Map();
    const entries = this.namedState();
    for (const [name, t] of entries) {
      if (t instanceof Counter) dict.set(name, { shape: [], dtype: 'I64', values: Float32Array.of(t.value) });
      else dict.set(name, { shape: [...t.shape], dtype: 'F32', values: Float32Array.from(await t.read()) });
    }
    return dict;
  }

  /**
   * Loads every entry after checking them all: a missing, extra, mis-shaped or mis-typed entry loads
   * nothing. With strict: false (PyTorch's strict=False) missing and extra keys are allowed and
   * returned, the rest loads; a mis-shaped entry still loads nothing, as in PyTorch. A missing
   * num_batches_tracked loads as 0, as PyTorch 1.13 loads a dict without version metadata. NaN or
   * ±∞ in an entry is refused unless allowNonFinite (PyTorch loads them): a diverged model is loaded
   * only on purpose.
   */
  loadStateDict(dict: StateDict, options: { strict?: boolean; allowNonFinite?: boolean } = {}): { missingKeys: string[]; unexpectedKeys: string[] } {
    if (!(dict instanceof Map)) throw new Error(`loadStateDict: expected a Map of name → { shape, dtype, values } (what stateDict() returns, and a safetensors file read back), got ${dict !== null && typeof dict === 'object' ? (dict as unknown) instanceof Promise ? 'a Promise: await it (model.loadStateDict(await other.stateDict()); PyTorch\'s load_state_dict(m.state_dict()) reads no GPU)' : 'a plain object: new Map(Object.entries(d)) makes one of an object of such entries' : show(dict)}`);
    const { strict = true, allowNonFinite = false } = normalizeOptions('loadStateDict', options, ['strict', 'allowNonFinite']) as { strict?: boolean; allowNonFinite?: boolean };
    expectFlag('loadStateDict', 'strict', strict);
    expectFlag('loadStateDict', 'allowNonFinite', allowNonFinite);
    const targets = new Map(this.namedState());
    // PyTorch 1.13 loads a dict without BatchNorm's num_batches_tracked (one saved before it existed,
    // a plain dict, a safetensors file) as 0, not as a missing key.
    const counters = [...targets].filter(([name, t]) => t instanceof Counter && !dict.has(name));
    if (counters.length) dict = new Map([...dict, ...counters.map(([name]): [string, StateEntry] => [name, { shape: [], dtype: 'I64', values: Float32Array.of(0) }])]);
    const problems: string[] = [];
    const missingKeys = [...targets.keys()].filter((name) => !dict.has(name));
    const unexpectedKeys = [...dict.keys()].filter((name) => !targets.has(name));
    if (strict) problems.push(...missingKeys.map((name) => `missing key '${name}'`));
    for (const [name, target] of targets) {
      const entry = dict.get(name);
      if (!entry) continue;
      const shape = target instanceof Counter ? [] : target.shape;
      const dtype = target instanceof Counter ? 'I64' : 'F32';
      if (!(entry.values instanceof Float32Array) && !Array.isArray(entry.values)) problems.push(`'${name}' holds its values in ${Object.prototype.toString.call(entry.values).slice(8, -1)}, where a Float32Array is expected (I64 entries too, as numbers)`);
      else if (entry.dtype !== dtype) problems.push(`'${name}' has dtype ${show(entry.dtype)}, the model expects ${dtype}`);
      else if (entry.shape.length !== shape.length || entry.shape.some((d, i) => d !== shape[i])) problems.push(`'${name}' has shape ${shapeText(entry.shape)}, the model expects ${shapeText(shape)}`);
      else if (entry.values.length !== Math.max(1, shape.reduce((a, b) => a * b, 1))) problems.push(`'${name}' holds ${entry.values.length} values for shape ${shapeText(shape)}`);
      else if (!allowNonFinite && !entry.values.every(Number.isFinite)) problems.push(`'${name}' holds NaN or infinite values (a diverged model: { allowNonFinite: true } loads it anyway, to look into it)`);
      else if (dtype === 'I64' && !entry.values.every(Number.isInteger)) problems.push(`'${name}' is I64 but holds ${entry.values.find((v) => !Number.isInteger(v))}`);
    }
    if (strict) problems.push(...unexpectedKeys.map((name) => `unexpected key '${name}'`));
    if (problems.length) throw new Error(`loadStateDict into ${this.describe()}: nothing was loaded:\n  ${problems.join('\n  ')}`);
    for (const [name, target] of targets) {
      const entry = dict.get(name);
      if (!entry) continue;
      if (target instanceof Counter) target.value = entry.values[0]!;
      else target.write(entry.values);
    }
    return { missingKeys, unexpectedKeys };
  }

  /** `t`, made by this module for itself: destroy() frees it. */
  protected own<T extends Tensor>(t: T): T {
    this.owned.push(t);
    return t;
  }

  /**
   * Frees the GPU memory of this module and every module under it (TensorFlow.js's dispose()): the
   * parameters (their arena space goes to later ones), running statistics, the buffers forwards
   * reuse and the composed outputs kept. Later, a forward, a use of a parameter or of an output it
   * gave, or a backward through a graph it was in is an Error naming it; so is a step of an
   * optimizer over its parameters (destroy that too). A module held by another that lives on (weights
   * tied across models) is freed all the same. Tensors given to it (a loss's class weights) stay.
   */
  destroy(): void {
    const head = this.describe().split('\n')[0]!;
    const why = `destroy() of ${head.endsWith('(') ? `${head}…)` : head}`; // a container's first line is 'Sequential('
    const modules = new Set<AnyModule>();
    const visit = (m: AnyModule) => {
      if (modules.has(m)) return;
      modules.add(m);
      for (const [, child] of m.namedChildren()) visit(child);
    };
    visit(this as AnyModule);
    for (const m of modules) m.freeOwnMemory(why);
    releaseParameters(this.parameters(), why);
  }

  private freeOwnMemory(why: string): void {
    if (this.destroyedBy !== null) return;
    this.destroyedBy = why;
    const free = (t: Tensor) => {
      t.freedBy ??= why;
      if (t.ownsGrad && t.grad) t.grad.destroy();
      this.gpu.destroyBuffer(t.memoryBuffer);
    };
    for (const slot of this.slots.splice(0)) slot.tensors.forEach(free);
    for (const entry of this.composed.splice(0)) {
      for (const t of [entry.output, ...entry.output.companions, ...entry.extras]) t.freedBy ??= why;
      this.freeComposed(entry, why);
    }
    this.owned.splice(0).forEach(free);
    [this.slotBytes, this.composedBytes] = [0, 0];
    this.freeExtras(why);
  }

  /** For destroy(): GPU memory a module keeps in a way of its own (Flatten's views' gradients). */
  protected freeExtras(_why: string): void {}

  /**
   * The reusable buffers of one forward: forward calls this once, then asks the returned function
   * for each buffer by name and shape. Each is a fresh handle on memory this module keeps; the handle
   * the same memory gave out before is marked overwritten, so using it is an Error instead of
   * reading the new values.
   *
   * A call while the current graph still holds an earlier call's outputs (a siamese model, a layer
   * applied twice, ce(model(a)) + ce(model(b))) gets its own set, so backward finds each call's
   * values. Past the sets a module may hold (MIN_CALLS_PER_GRAPH, callBufferLimits; a loop of
   * forwards that never reaches backward), the graph is cut, saying
   * why, and the first set is reused: memory stays bounded, and a backward through the cut graph is
   * an Error, never stale values.
   */
  protected buffers(): (name: string, shape: readonly number[], dtype?: DType, ring?: number) => Tensor {
    const name = this.describe().split('\n')[0]!;
    if (this.destroyedBy !== null) throw new Error(`${name}: this module was freed by ${this.destroyedBy}; make a new one`);
    // On the graph through any handle of the memory (a detach() of the output read by the graph): what
    // isOnLiveGraph sees is recorded over the memory too, so this one test covers both.
    const onGraph = (s: { given: Tensor[] }) => s.given.some(isMemoryOnLiveGraph);
    const isFree = (s: { given: Tensor[]; mark: CallMark }) => !onGraph(s) && !isCallHeld(s.mark);
    this.freeIdleSets(name, isFree);
    // The free set given out last: one set step after step keeps a step's bind groups cached.
    const latestFree = () => pick(this.slots.filter(isFree), (a, b) => b.mark.serial - a.mark.serial);
    let slot = latestFree();
    const count = this.slots.length;
    let overwrittenBy = name;
    let limit = '';
    const setLimit = () => (limit = `past the ${count} sets of buffers it may hold (${(this.slotBytes / 2 ** 20).toFixed(1)} MiB; nn.MIN_CALLS_PER_GRAPH, nn.callBufferLimits)`);
    const roomFor = () => count < MIN_CALLS_PER_GRAPH || (count < callBufferLimits.maxCalls && this.slotBytes * (1 + 1 / count) <= callBufferLimits.maxBytes);
    // Full: graphs earlier backwards carried, which no backward reached, give theirs back first.
    if (!slot && !roomFor() && freeCarriedGraphs(`was freed when ${name} needed the buffers it held: a graph no backward reached, carried since an earlier backward()`)) slot = latestFree();
    if (!slot && roomFor()) this.slots.push((slot = { tensors: new Map(), given: [], shapes: new Map(), turns: new Map(), mark: callMark() }));
    // Full, with outputs kept until backward() that nothing recorded (a frozen layer's, say, in an
    // evaluation with grad on): the oldest of them is reused rather than the graph cut.
    const oldestUnrecorded = slot ? undefined : pick(this.slots.filter((s) => s.mark.noGradRun === null && !onGraph(s)), (a, b) => a.mark.serial - b.mark.serial);
    if (!slot && oldestUnrecorded) {
      setLimit();
      overwrittenBy = `${name}, called ${count + 1} times with grad on and nothing recorded (frozen parameters?), ${limit}, which reused the oldest: clone() what you keep, or run forwards that need no gradient in noGrad()`;
      slot = oldestUnrecorded;
    }
    // Full, in a noGrad() run: the oldest output made in one and off the graph is reused (reading it is then an Error).
    const oldestNoGrad = !slot && !isGradEnabled() ? pick(this.slots.filter((s) => s.mark.noGradRun !== null && !onGraph(s)), (a, b) => a.mark.serial - b.mark.serial) : undefined;
    if (!slot && oldestNoGrad) {
      setLimit();
      overwrittenBy = `${name}, called ${count + 1} times in one noGrad() run, ${limit}, which reused the oldest: clone() what you keep, or run fewer forwards in one noGrad()`;
      slot = oldestNoGrad;
    }
    if (!slot) {
      setLimit();
      const calls = `called ${count + 1} times in it without a backward(), ${limit}`;
      cutGraph(`was cut when ${name} was ${calls}: call backward() sooner, run forwards that need no gradient in noGrad(), or, for one backward through more calls (a long unrolled sequence), raise nn.callBufferLimits`);
      if (isGradEnabled()) warnForwardsWithoutBackward(name, count + 1, this.slotBytes);
      overwrittenBy = `${name}, ${calls}, which cut the graph`;
      slot = this.slots.find((s) => !isCallHeld(s.mark)) ?? this.slots[0]!;
    }
    slot.mark = callMark();
    const { tensors, given, shapes, turns } = slot;
    given.length = 0;
    return (label, shape, dtype = 'f32', ring = 1) => {
      let buffer = label;
      if (ring > 1) {
        // One of `ring` buffers in turn (a loss's [1] output: LOSS_OUTPUTS_KEPT), the others made
        // with the first so that later calls make none.
        const turn = turns.get(label)?.turn ?? 0;
        for (let i = 1; i < ring; i++) {
          const other = `${label}#${(turn + i) % ring}`;
          const otherKey = `${other}${shapeText(shape)}${dtype}`;
          if (tensors.has(otherKey)) continue;
          const t = Tensor.empty(this.gpu, shape, dtype, `${this.constructor.name}.${label}`);
          t.heldBy = name;
          this.slotBytes += t.byteLength;
          tensors.set(otherKey, t);
          shapes.set(other, [...(shapes.get(other) ?? []), otherKey]);
        }
        buffer = `${label}#${turn % ring}`;
      }
      const key = `${buffer}${shapeText(shape)}${dtype}`;
      const previous = tensors.get(key);
      // This buffer's keys, most recently used last; past SHAPES_PER_BUFFER the oldest is freed (its
      // last handle marked, so a kept output says why), unless the current graph holds it.
      const recent = shapes.get(buffer) ?? [];
      if (recent.at(-1) !== key) shapes.set(buffer, [...recent.filter((k) => k !== key), key]); // the same shape again: nothing to move
      const oldest = recent[0];
      const evicted = oldest === undefined ? undefined : tensors.get(oldest)!;
      if (!previous && recent.length >= SHAPES_PER_BUFFER && evicted && !isMemoryOnLiveGraph(evicted)) {
        evicted.overwrittenBy = `a later forward of ${name} with a new shape: a module keeps the buffers of its last ${SHAPES_PER_BUFFER} input shapes (nn.SHAPES_PER_BUFFER), and this one's were freed. Keep a copy (y.clone()) to hold an output longer`;
        this.gpu.destroyBuffer(evicted.memoryBuffer);
        if (evicted.ownsGrad && evicted.grad) evicted.grad.destroy();
        this.slotBytes -= evicted.byteLength;
        tensors.delete(oldest!);
        shapes.set(buffer, shapes.get(buffer)!.slice(1));
      }
      let t: Tensor;
      if (!previous) {
        t = Tensor.empty(this.gpu, shape, dtype, `${this.constructor.name}.${label}`);
        this.slotBytes += t.byteLength;
      } else {
        t = previous.rehandle();
        // An intermediate's gradient buffer is reused too (the first rule overwrites it).
        [t.grad, t.ownsGrad, previous.ownsGrad] = [previous.grad, previous.ownsGrad, false];
        previous.overwrittenBy = overwrittenBy;
      }
      if (ring > 1) {
        // The gradient buffer goes round with the turns: one for the ring, as for a buffer of its own.
        const last = turns.get(label)?.last;
        if (last && last !== t && last.grad && shapeText(last.shape) === shapeText(t.shape)) {
          const [grad, owns] = [last.grad, last.ownsGrad];
          last.ownsGrad = false; // handed over, not freed by dropping it here
          last.grad = null;
          t.grad = grad; // frees one t owned
          t.ownsGrad = owns;
        }
        turns.set(label, { turn: (turns.get(label)?.turn ?? 0) + 1, last: t });
      }
      t.heldBy = name;
      tensors.set(key, t);
      given.push(t);
      return t;
    };
  }

  /**
   * Frees the sets no forward has taken over the last SETS_IDLE_STEPS steps, past MIN_CALLS_PER_GRAPH
   * (a burst of calls in one noGrad() run, or one graph, grew them), marking their last outputs.
   */
  private freeIdleSets(name: string, isFree: (s: Module['slots'][number]) => boolean): void {
    if (this.slots.length <= MIN_CALLS_PER_GRAPH) return;
    const now = stepCount();
    for (const slot of [...this.slots].sort((a, b) => a.mark.serial - b.mark.serial)) {
      if (this.slots.length <= MIN_CALLS_PER_GRAPH) return;
      if (now - slot.mark.step <= SETS_IDLE_STEPS || !isFree(slot)) continue;
      for (const t of slot.tensors.values()) {
        t.overwrittenBy ??= `a later forward of ${name}, which freed the buffer sets past nn.MIN_CALLS_PER_GRAPH that no call had taken for ${SETS_IDLE_STEPS} steps (nn.SETS_IDLE_STEPS); keep a copy (y.clone()) to hold an output longer`;
        if (t.ownsGrad && t.grad) t.grad.destroy();
        this.slotBytes -= t.byteLength;
        this.gpu.destroyBuffer(t.memoryBuffer);
      }
      this.slots.splice(this.slots.indexOf(slot), 1);
    }
  }

  /** The buffer of a forward that needs only one, its output (see buffers(); once per forward, as it). */
  protected output(shape: readonly number[]): Tensor {
    return this.buffers()('out', shape);
  }

  /** The output shape for an input shape, or an Error naming this module; dispatches nothing. */
  outputShape(input: readonly number[]): readonly number[] {
    return input;
  }

  abstract forward(input: Tensor, ...rest: unknown[]): Output;

  /**
   * Outputs of F ops that allocate theirs (F.layerNorm's, the composed ops') this module returned,
   * with the other tensors it handed out beside them (an RNN's h_n and c_n) and their bytes.
   */
  private composed: ComposedEntry[] = [];
  private composedBytes = 0;

  private freeComposed(entry: ComposedEntry, why: string): void {
    // A later read, or a backward that needed one of them, says which module took it back, not which inner op made it.
    for (const t of [entry.output, ...entry.output.companions, ...entry.extras]) t.overwrittenBy ??= why;
    entry.output.destroy();
    for (const t of entry.extras) t.destroy();
    this.composedBytes -= entry.bytes;
  }

  /**
   * Keeps y, a composed op's fresh output, until a later forward finds it off the current graph,
   * then frees it with its intermediates: as a module's reused output buffer, the next forward after
   * a backward takes it back (keep a y.clone() to hold one longer). Past the outputs one graph may
   * hold (MIN_CALLS_PER_GRAPH, then up to callBufferLimits.maxCalls while they and their intermediates
   * total under its maxBytes: forwards that never reach backward(), an evaluation loop
   * without noGrad), the oldest is freed anyway, as buffers() cuts the graph: a backward through it
   * then names it freed.
   */
  protected keepComposed(y: Tensor, extras: readonly Tensor[] = []): Tensor {
    const name = this.describe();
    if (this.destroyedBy !== null) throw new Error(`${name.split('\n')[0]}: this module was freed by ${this.destroyedBy}; make a new one`);
    // Kept too while the graph reads its memory through another handle: a cell's state detached and
    // given back as the next chunk's (truncated backpropagation through time).
    const onGraph = (e: ComposedEntry) => [e.output, ...e.extras].some((t) => isOnLiveGraph(t) || freesMemoryOnLiveGraph(t));
    const keep = () => (this.composed = this.composed.filter((e) => onGraph(e) || isCallHeld(e.mark) || (this.freeComposed(e, name), false)));
    keep();
    const bytes = [y, ...y.companions, ...extras].reduce((n, t) => n + (t.ownsMemory ? t.byteLength : 0), 0);
    const full = () => this.composed.length >= callBufferLimits.maxCalls || this.composedBytes + bytes > callBufferLimits.maxBytes;
    // Full: graphs earlier backwards carried, which no backward reached, give theirs back first.
    if (this.composed.length >= MIN_CALLS_PER_GRAPH && full() && freeCarriedGraphs(`was freed when ${name.split('\n')[0]} needed the memory it held: a graph no backward reached, carried since an earlier backward()`)) keep();
    const calls = `called ${this.composed.length + 1} times ${isGradEnabled() ? 'without a backward' : 'in one noGrad() run'}, past the outputs it may hold (nn.MIN_CALLS_PER_GRAPH, nn.callBufferLimits), which freed the oldest`;
    const advice = isGradEnabled() ? 'call backward() sooner, run forwards that need no gradient in noGrad(), or, for one backward through more calls (a long unrolled sequence), raise nn.callBufferLimits' : 'clone() what you keep, or run fewer forwards in one noGrad()';
    if (this.composed.length >= MIN_CALLS_PER_GRAPH && full() && isGradEnabled()) warnForwardsWithoutBackward(name.split('\n')[0]!, this.composed.length + 1, this.composedBytes);
    while (this.composed.length >= MIN_CALLS_PER_GRAPH && full()) this.freeComposed(this.composed.shift()!, `a later forward of ${name}, ${calls}: ${advice}`);
    // Freed by this module (held in bounds above), so not a leak for the leak watch to count.
    keptAsState([y, ...y.companions, ...extras]);
    this.composed.push({ output: y, extras: [...extras], bytes, mark: callMark() });
    this.composedBytes += bytes;
    return y;
  }
}

// PyTorch's names (src/pytorch-names.ts): model.zero_grad(), model.state_dict(), model.fc.in_features.
methodSpellings(Module.prototype, ['zero_grad', 'state_dict', 'load_state_dict', 'named_parameters', 'named_buffers', 'named_children', 'named_modules']);
attributeSpellings(Module.prototype, ['in_features', 'out_features', 'in_channels', 'out_channels', 'kernel_size', 'num_features', 'num_embeddings', 'embedding_dim', 'padding_idx', 'input_size', 'hidden_size', 'num_layers', 'proj_size', 'batch_first', 'normalized_shape', 'elementwise_affine', 'track_running_stats', 'embed_dim', 'num_heads', 'upscale_factor', 'negative_slope']);

// ── Linear ───────────────────────────────────────────────────────────────────────────────────────

/** How many modules' fields hold each parameter (assignableParameter): one no field holds is released. */
const holders = new WeakMap<Parameter, number>();

/**
 * A parameter field that takes assignment, as PyTorch's does (decoder.weight = encoder.weight ties a
 * language model's output layer to its embedding): only a Parameter of the field's shape, and the one
 * it replaces, once no module's field holds it, is released (its memory back to the arena; an
 * optimizer made before the tying then names it freed, where PyTorch's would train an orphan).
 */
function assignableParameter(module: Module<unknown>, name: string, initial: Parameter, dims: string): void {
  let current = initial;
  holders.set(initial, (holders.get(initial) ?? 0) + 1);
  Object.defineProperty(module, name, {
    enumerable: true,
    configurable: true,
    get: () => current,
    set: (p: unknown) => {
      const where = `${module.describe()}.${name}`;
      if (!(p instanceof Parameter)) throw new Error(`${where}: cannot assign ${p instanceof Tensor ? `a plain Tensor '${p.label}'` : show(p)} as parameter '${name}' (a Parameter expected, as PyTorch's nn.Parameter: another module's, to tie them, or Parameter.from(t))`);
      if (shapeText(p.shape) !== shapeText(current.shape)) throw new Error(`${where}: a Parameter of shape ${shapeText(current.shape)} expected (${dims}), got '${p.label}' ${shapeText(p.shape)}`);
      if (p === current) return;
      const old = current;
      holders.set(p, (holders.get(p) ?? 0) + 1);
      current = p;
      const left = (holders.get(old) ?? 1) - 1;
      holders.set(old, left);
      if (left === 0) releaseParameters([old], `the assignment ${where} = '${p.label}', which replaced it (weight tying); make the optimizer after tying`);
    },
  });
}

export class Linear extends Module {
  /** Assignable, as PyTorch's: decoder.weight = encoder.weight ties a language model's output layer to its embedding (one parameter, both gradients added; see assignableParameter). */
  declare weight: Parameter;
  /** Declared, not a class field, so that it is set after weight: parameters() and the state dict go in PyTorch's order. */
  declare readonly bias: Parameter | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean; gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu());
    options = normalizeOptions('Linear', options, ['bias', 'gpu']) as typeof options;
    expectFlag('Linear', 'bias', options.bias);
    for (const [name, v] of [['inFeatures', inFeatures], ['outFeatures', outFeatures]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`Linear: argument '${name}' expected a positive integer, got ${v}`);
    }
    assignableParameter(this, 'weight', allocateParameter(this.gpu, [outFeatures, inFeatures], 'Linear.weight'), '[out_features, in_features]');
    this.bias = options.bias === false ? null : allocateParameter(this.gpu, [outFeatures], 'Linear.bias');
    // nn.Linear.reset_parameters: kaiming_uniform_(a=√5) gives U(−1/√fan_in, 1/√fan_in); the bias the same.
    kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) uniform_(this.bias, -1 / Math.sqrt(inFeatures), 1 / Math.sqrt(inFeatures));
  }

  override describe(): string {
    return `Linear(in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias ? 'True' : 'False'})`;
  }

  /** [*, in_features] → [*, out_features], any rank, as PyTorch's. */
  override outputShape(input: readonly number[]): readonly number[] {
    if (input.at(-1) !== this.inFeatures) throw new Error(`${this.describe()}: input expected shape [*, ${this.inFeatures}] (in_features), got ${shapeText(input)}`);
    return [...input.slice(0, -1), this.outFeatures];
  }

  /** y = act(x · Wᵀ + b); `activation` fuses a following Sigmoid or ReLU into matmul's epilogue. */
  forward(x: Tensor, activation: ActivationKind = 'none'): Tensor {
    if (!(x instanceof Tensor)) throw new Error(`${this.describe()}: input expected a Tensor [*, ${this.inFeatures}], got ${(x as unknown) instanceof PackedSequence ? "a PackedSequence (nn.utils.rnn.padPackedSequence(out) gives the padded tensor; out.data the valid steps packed, as PyTorch's)" : show(x)}`);
    const shape = this.outputShape(x.shape);
    const { weight, bias } = this;
    const buffer = this.buffers();
    const scratch = activation !== 'none' && needsGrad([x, weight]) ? buffer('dz', shape) : undefined;
    return F.linear(x, weight, bias, { activation, out: buffer(`out_${activation}`, shape), ...(scratch ? { scratch } : {}), name: this.describe() });
  }
}

/**
 * A table of numEmbeddings vectors of embeddingDim (nn.Embedding): forward(indices) gives the rows
 * at the i32 indices, [...indices.shape, embeddingDim]; weight drawn from N(0, 1) as PyTorch's. Its
 * gradient adds each lookup's back to its row (a row looked up twice gets both).
 */
export class Embedding extends Module {
  /** Assignable, as Linear.weight (weight tying). */
  declare weight: Parameter;
  /** The row whose lookups give no gradient (PyTorch's padding_idx, made non-negative), zero at init. */
  readonly paddingIdx: number | undefined;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: { gpu?: Gpu; paddingIdx?: number | null; padding_idx?: number | null } = {},
  ) {
    super(options?.gpu ?? currentGpu());
    if (typeof options === 'number') throw new Error(`Embedding: padding_idx goes in the options: new nn.Embedding(${numEmbeddings}, ${embeddingDim}, { padding_idx: ${options} })`);
    const o = normalizeOptions('Embedding', options, ['gpu', 'paddingIdx'], F.EMBEDDING_OPTIONS.aliases, { ...F.EMBEDDING_OPTIONS.onlyDefault, _freeze: false }) as { paddingIdx?: number | null };
    for (const [name, v] of [['numEmbeddings', numEmbeddings], ['embeddingDim', embeddingDim]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`Embedding: argument '${name}' expected a positive integer, got ${v}`);
    }
    this.paddingIdx = F.paddingRow('Embedding', o.paddingIdx, numEmbeddings);
    assignableParameter(this, 'weight', allocateParameter(this.gpu, [numEmbeddings, embeddingDim], 'Embedding.weight'), '[num_embeddings, embedding_dim]');
    normal_(this.weight, 0, 1);
    // PyTorch zeroes the padding row after drawing the rest.
    if (this.paddingIdx !== undefined) this.gpu.clear(new Tensor(this.gpu, this.weight.buffer, [embeddingDim], 'f32', this.weight.byteOffset + this.paddingIdx * embeddingDim * 4, 'Embedding padding row'));
  }

  /**
   * An Embedding holding a copy of `embeddings` [num, dim] (nn.Embedding.from_pretrained): frozen
   * (requiresGrad false, so optimizers skip it) unless freeze is false; padding_idx as the constructor's,
   * but the padding row keeps its pretrained values, as PyTorch's.
   */
  static fromPretrained(embeddings: Tensor, options: { freeze?: boolean; paddingIdx?: number | null; padding_idx?: number | null } = {}): Embedding {
    if (!(embeddings instanceof Tensor) || embeddings.dtype !== 'f32' || embeddings.shape.length !== 2) throw new Error(`Embedding.fromPretrained: argument 'embeddings' expected a 2-D f32 Tensor [num_embeddings, embedding_dim], got ${embeddings instanceof Tensor ? `${embeddings.dtype} ${shapeText(embeddings.shape)}` : show(embeddings)}`);
    const o = normalizeOptions('Embedding.fromPretrained', options, ['freeze', 'paddingIdx'], F.EMBEDDING_OPTIONS.aliases, F.EMBEDDING_OPTIONS.onlyDefault) as { freeze?: boolean; paddingIdx?: number | null };
    expectFlag('Embedding.fromPretrained', 'freeze', o.freeze);
    const [num, dim] = embeddings.shape as [number, number];
    const embedding = new Embedding(num, dim, { gpu: embeddings.gpu, paddingIdx: o.paddingIdx });
    embedding.gpu.copy(embeddings, embedding.weight);
    embedding.weight.requiresGrad = !(o.freeze ?? true);
    return embedding;
  }

  override describe(): string {
    return `Embedding(${this.numEmbeddings}, ${this.embeddingDim}${this.paddingIdx === undefined ? '' : `, padding_idx=${this.paddingIdx}`})`;
  }

  override outputShape(input: readonly number[]): readonly number[] {
    return [...input, this.embeddingDim];
  }

  forward(indices: Tensor): Tensor {
    if (!(indices instanceof Tensor) || indices.dtype !== 'i32') throw new Error(`${this.describe()}: input expected an i32 Tensor of indices, got ${indices instanceof Tensor ? `dtype ${indices.dtype}` : show(indices)}`);
    return F.embedding(indices, this.weight, { paddingIdx: this.paddingIdx, out: this.output(this.outputShape(indices.shape)), name: this.describe() });
  }
}

/**
 * torch.nn.EmbeddingBag(num_embeddings, embedding_dim, mode='mean', padding_idx, include_last_offset,
 * sparse): each bag of indices → the sum, mean or max of their rows (F.embeddingBag), PyTorch's
 * init (N(0, 1), the padding row zeroed). forward(input, offsets, perSampleWeights), as PyTorch's:
 * a 2-D input is a bag per row; a 1-D one needs offsets (where each bag starts).
 */
export class EmbeddingBag extends Module {
  readonly weight: Parameter;
  readonly mode: F.EmbeddingBagMode;
  readonly paddingIdx: number | undefined;
  readonly includeLastOffset: boolean;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: { mode?: F.EmbeddingBagMode; paddingIdx?: number | null; padding_idx?: number | null; includeLastOffset?: boolean; include_last_offset?: boolean; sparse?: boolean; gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu());
    const where = 'EmbeddingBag';
    const o = normalizeOptions(where, options, ['mode', 'paddingIdx', 'includeLastOffset', 'sparse', 'gpu'], F.EMBEDDING_BAG_OPTIONS.aliases, F.EMBEDDING_BAG_OPTIONS.onlyDefault) as { mode?: F.EmbeddingBagMode; paddingIdx?: number | null; includeLastOffset?: boolean; sparse?: boolean };
    for (const [name, v] of [['numEmbeddings', numEmbeddings], ['embeddingDim', embeddingDim]] as const) {
      if (!Number.isInteger(v) || v <= 0) throw new Error(`${where}: argument '${name}' expected a positive integer, got ${v}`);
    }
    this.mode = o.mode ?? 'mean';
    if (!['sum', 'mean', 'max'].includes(this.mode)) throw new Error(`${where}: argument 'mode' expected 'sum', 'mean' or 'max', got ${show(this.mode)}`);
    expectFlag(where, 'includeLastOffset', o.includeLastOffset);
    expectFlag(where, 'sparse', o.sparse);
    this.includeLastOffset = o.includeLastOffset ?? false;
    this.paddingIdx = F.paddingRow(where, o.paddingIdx, numEmbeddings);
    this.weight = allocateParameter(this.gpu, [numEmbeddings, embeddingDim], 'EmbeddingBag.weight');
    normal_(this.weight, 0, 1);
    if (this.paddingIdx !== undefined) this.gpu.clear(new Tensor(this.gpu, this.weight.buffer, [embeddingDim], 'f32', this.weight.byteOffset + this.paddingIdx * embeddingDim * 4, 'EmbeddingBag padding row'));
  }

  /**
   * An EmbeddingBag holding a copy of `embeddings` [num, dim] (nn.EmbeddingBag.from_pretrained): frozen
   * unless freeze is false; mode, padding_idx, include_last_offset and sparse as the constructor's, the
   * padding row keeping its pretrained values, as PyTorch's.
   */
  static fromPretrained(embeddings: Tensor, options: { freeze?: boolean; mode?: F.EmbeddingBagMode; paddingIdx?: number | null; padding_idx?: number | null; includeLastOffset?: boolean; include_last_offset?: boolean; sparse?: boolean } = {}): EmbeddingBag {
    const where = 'EmbeddingBag.fromPretrained';
    if (!(embeddings instanceof Tensor) || embeddings.dtype !== 'f32' || embeddings.shape.length !== 2) throw new Error(`${where}: argument 'embeddings' expected a 2-D f32 Tensor [num_embeddings, embedding_dim], got ${embeddings instanceof Tensor ? `${embeddings.dtype} ${shapeText(embeddings.shape)}` : show(embeddings)}`);
    const { freeze, ...rest } = normalizeOptions(where, options, ['freeze', 'mode', 'paddingIdx', 'includeLastOffset', 'sparse'], F.EMBEDDING_BAG_OPTIONS.aliases, F.EMBEDDING_BAG_OPTIONS.onlyDefault) as { freeze?: boolean; mode?: F.EmbeddingBagMode };
    expectFlag(where, 'freeze', freeze);
    const [num, dim] = embeddings.shape as [number, number];
    const bag = new EmbeddingBag(num, dim, { ...rest, gpu: embeddings.gpu });
    bag.gpu.copy(embeddings, bag.weight);
    bag.weight.requiresGrad = !(freeze ?? true);
    return bag;
  }

  override describe(): string {
    return `EmbeddingBag(${this.numEmbeddings}, ${this.embeddingDim}, mode=${this.mode}${this.paddingIdx === undefined ? '' : `, padding_idx=${this.paddingIdx}`})`;
  }

  /** A 2-D input [B, L] (a bag per row) gives [B, embedding_dim]; a 1-D one needs offsets, which a Sequential cannot pass. */
  override outputShape(input: readonly number[]): readonly number[] {
    if (input.length !== 2) throw new Error(`${this.describe()}: outputShape knows a 2-D input [B, L] (a bag per row) only; a 1-D input needs offsets: call forward(input, offsets)`);
    return [input[0]!, this.embeddingDim];
  }

  forward(input: Tensor, offsets: Tensor | null = null, perSampleWeights: Tensor | null = null): Tensor {
    try {
      return this.keepComposed(F.embeddingBag(input, this.weight, { offsets, mode: this.mode, perSampleWeights, paddingIdx: this.paddingIdx ?? null, includeLastOffset: this.includeLastOffset }));
    } catch (error) {
      throw error instanceof Error && error.message.startsWith('embeddingBag: ') ? new Error(`${this.describe()}: ${error.message.slice('embeddingBag: '.length)}`) : error;
    }
  }
}

// ── activations ──────────────────────────────────────────────────────────────────────────────────

/**
 * PyTorch's inplace flag, as an option or positional (nn.ReLU(True), nn.LeakyReLU(0.2, True), as the
 * DCGAN tutorial writes them): taken, and computed out of place all the same (a module's output is a
 * buffer of its own, so the input keeps its values where PyTorch's overwrites them; the values out are
 * the same). Returns the flag, for PyTorch's printout, and the other options.
 */
function inplaceOption(where: string, options: { inplace?: boolean; gpu?: Gpu } | boolean | undefined): { inplace: boolean; gpu?: Gpu } {
  const o = typeof options === 'boolean' ? { inplace: options } : (options ?? {});
  const { inplace = false, gpu } = normalizeOptions(where, o, ['inplace', 'gpu']) as { inplace?: boolean; gpu?: Gpu };
  expectFlag(where, 'inplace', inplace);
  return { inplace, ...(gpu ? { gpu } : {}) };
}

/** ', inplace=True' where PyTorch's printout says so. */
const inplaceText = (inplace: boolean, first = false) => (inplace ? `${first ? '' : ', '}inplace=True` : '');

abstract class Activation extends Module {
  abstract readonly kind: 'sigmoid' | 'relu';
  /** nn.ReLU's inplace (see inplaceOption); nn.Sigmoid has none. */
  readonly inplace: boolean;

  constructor(where: string, options: { inplace?: boolean; gpu?: Gpu } | boolean, takesInplace: boolean) {
    super(typeof options === 'object' ? (options?.gpu ?? currentGpu()) : currentGpu());
    if (takesInplace) this.inplace = inplaceOption(where, options).inplace;
    else {
      normalizeOptions(where, options as { gpu?: Gpu }, ['gpu']);
      this.inplace = false;
    }
  }

  override describe(): string {
    return this.kind === 'sigmoid' ? 'Sigmoid()' : `ReLU(${inplaceText(this.inplace, true)})`;
  }

  forward(x: Tensor): Tensor {
    return F.activation(this.kind, x, { out: this.output(x.shape), name: this.describe() });
  }
}

export class Sigmoid extends Activation {
  readonly kind = 'sigmoid';

  constructor(options: { gpu?: Gpu } = {}) {
    super('Sigmoid', options, false);
  }
}

export class ReLU extends Activation {
  readonly kind = 'relu';

  constructor(options: { inplace?: boolean; gpu?: Gpu } | boolean = {}) {
    super('ReLU', options, true);
  }
}

/** torch.nn.Tanh. */
export class Tanh extends Module {
  constructor(options: { gpu?: Gpu } = {}) {
    super(options?.gpu ?? currentGpu());
    normalizeOptions('Tanh', options, ['gpu']);
  }

  override describe(): string {
    return 'Tanh()';
  }

  forward(x: Tensor): Tensor {
    return F.tanh(x, { out: this.output(x.shape), name: this.describe() });
  }
}

/** A call's masks: attn_mask added to the scores, key_padding_mask [N, S] nonzero for the keys left out (PyTorch's True). */
interface AttentionCallOptions {
  attnMask?: Tensor | null;
  attn_mask?: Tensor | null;
  keyPaddingMask?: Tensor | null;
  key_padding_mask?: Tensor | null;
}

/**
 * torch.nn.MultiheadAttention(embed_dim, num_heads, bias=True, batch_first=False), PyTorch 1.13's
 * parameters and names (in_proj_weight [3E, E] xavier-uniform, in_proj_bias zeros, out_proj a Linear
 * with its bias zeroed) and forward (F.multiHeadAttentionForward). PyTorch's `out, w = mha(q, k, v)`
 * is `const { output, weights } = mha.forwardWithWeights(q, k, v)`; `mha.forward(q, k, v)` is its
 * `mha(q, k, v, need_weights=False)[0]`. key_padding_mask is an f32 mask (nonzero for padding: PyTorch's
 * bool True). dropout drops attention weights while training (eval() keeps them whole); add_bias_kv,
 * add_zero_attn, kdim and vdim are not supported (Errors naming them).
 */
export class MultiheadAttention extends Module {
  readonly in_proj_weight: Parameter;
  readonly in_proj_bias: Parameter | null;
  readonly out_proj: Linear;
  readonly batchFirst: boolean;
  /** The probability of dropping each attention weight while training (PyTorch's dropout). */
  readonly dropout: number;
  /** Threefry key word 0 for the dropout masks; word 1 counts the forwards (as nn.Dropout's). */
  readonly seed: number;
  private step = 0;

  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    options: { bias?: boolean; batchFirst?: boolean; batch_first?: boolean; dropout?: number; gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu());
    const o = normalizeOptions('MultiheadAttention', options, ['bias', 'batchFirst', 'dropout', 'gpu'], { batch_first: 'batchFirst' }, { add_bias_kv: false, add_zero_attn: false, kdim: null, vdim: null }) as { bias?: boolean; batchFirst?: boolean; dropout?: number };
    expectFlag('MultiheadAttention', 'bias', o.bias);
    expectFlag('MultiheadAttention', 'batchFirst', o.batchFirst);
    if (o.dropout !== undefined && (typeof o.dropout !== 'number' || !(o.dropout >= 0 && o.dropout <= 1))) throw new Error(`MultiheadAttention: option 'dropout' expected a probability in [0, 1], got ${show(o.dropout)}`);
    this.dropout = o.dropout ?? 0;
    this.seed = F.nextDropoutSeed();
    if (!Number.isInteger(embedDim) || embedDim < 1) throw new Error(`MultiheadAttention: argument 'embed_dim' expected a positive integer, got ${show(embedDim)}`);
    if (!Number.isInteger(numHeads) || numHeads < 1 || embedDim % numHeads !== 0) throw new Error(`MultiheadAttention: embed_dim (${embedDim}) must be divisible by num_heads, got ${show(numHeads)}`);
    this.batchFirst = o.batchFirst ?? false;
    this.in_proj_weight = allocateParameter(this.gpu, [3 * embedDim, embedDim], 'MultiheadAttention.in_proj_weight');
    this.in_proj_bias = o.bias === false ? null : allocateParameter(this.gpu, [3 * embedDim], 'MultiheadAttention.in_proj_bias');
    this.out_proj = new Linear(embedDim, embedDim, { bias: o.bias !== false, gpu: this.gpu });
    // PyTorch's _reset_parameters: xavier_uniform_ on the stacked projections, zero biases; out_proj.weight keeps Linear's init.
    xavierUniform_(this.in_proj_weight);
    if (this.in_proj_bias) fillConstant(this.in_proj_bias, 0);
    if (this.out_proj.bias) fillConstant(this.out_proj.bias, 0);
  }

  override describe(): string {
    return `MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=${this.embedDim}, out_features=${this.embedDim}, bias=${this.in_proj_bias ? 'True' : 'False'})\n)`;
  }

  /** The attention output and weights (PyTorch's tuple); key and value default to query (self-attention). */
  forwardWithWeights(query: Tensor, key: Tensor = query, value: Tensor = key, options: AttentionCallOptions & { needWeights?: boolean; need_weights?: boolean; averageAttnWeights?: boolean; average_attn_weights?: boolean } = {}): { output: Tensor; weights: Tensor | null } {
    const o = normalizeOptions('MultiheadAttention.forward', options, ['attnMask', 'keyPaddingMask', 'needWeights', 'averageAttnWeights'], { attn_mask: 'attnMask', key_padding_mask: 'keyPaddingMask', need_weights: 'needWeights', average_attn_weights: 'averageAttnWeights' }, { is_causal: false }) as { attnMask?: Tensor | null; keyPaddingMask?: Tensor | null; needWeights?: boolean; averageAttnWeights?: boolean };
    const result = F.multiHeadAttentionForward(query, key, value, {
      numHeads: this.numHeads,
      inProjWeight: this.in_proj_weight,
      inProjBias: this.in_proj_bias,
      outProjWeight: this.out_proj.weight,
      outProjBias: this.out_proj.bias,
      attnMask: o.attnMask ?? null,
      keyPaddingMask: o.keyPaddingMask ?? null,
      needWeights: o.needWeights ?? true,
      averageAttnWeights: o.averageAttnWeights ?? true,
      batchFirst: this.batchFirst,
      ...(this.training && this.dropout > 0 ? { dropoutP: this.dropout, dropoutSeed: this.seed, dropoutStep: this.step++ } : {}),
    });
    this.keepComposed(result.output);
    return result;
  }

  forward(query: Tensor, key: Tensor = query, value: Tensor = key, options: AttentionCallOptions = {}): Tensor {
    return this.forwardWithWeights(query, key, value, { ...options, needWeights: false }).output;
  }
}

/** torch.nn.GELU(approximate='none'): x · Φ(x), or PyTorch's tanh form with approximate 'tanh'. */
export class GELU extends Module {
  readonly approximate: GeluApproximate;

  constructor(options: { approximate?: GeluApproximate; gpu?: Gpu } = {}) {
    super(options?.gpu ?? currentGpu());
    const o = normalizeOptions('GELU', options, ['approximate', 'gpu']) as { approximate?: GeluApproximate };
    expectApproximate('GELU', o.approximate ?? 'none');
    this.approximate = o.approximate ?? 'none';
  }

  override describe(): string {
    return `GELU(approximate='${this.approximate}')`;
  }

  forward(x: Tensor): Tensor {
    return F.gelu(x, this.approximate, { out: this.output(x.shape), name: this.describe() });
  }
}

/** torch.nn.LeakyReLU(negative_slope=0.01); the slope must be ≥ 0 (the backward reads the output's sign). */
export class LeakyReLU extends Module {
  /** See inplaceOption. */
  readonly inplace: boolean;

  constructor(
    readonly negativeSlope = 0.01,
    options: { inplace?: boolean; gpu?: Gpu } | boolean = {},
  ) {
    const o = inplaceOption('LeakyReLU', options);
    super(o.gpu ?? currentGpu());
    this.inplace = o.inplace;
    if (typeof negativeSlope !== 'number' || !(negativeSlope >= 0) || !Number.isFinite(negativeSlope)) throw new Error(`LeakyReLU: argument 'negativeSlope' expected a finite number ≥ 0, got ${String(negativeSlope)}`);
  }

  override describe(): string {
    return `LeakyReLU(negative_slope=${this.negativeSlope}${inplaceText(this.inplace)})`;
  }

  forward(x: Tensor): Tensor {
    return F.leakyRelu(x, this.negativeSlope, { out: this.output(x.shape), name: this.describe() });
  }
}

abstract class SoftmaxModule extends Module {
  protected abstract readonly log: boolean;

  constructor(
    readonly dim: number,
    options: { gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu());
    normalizeOptions(this.constructor.name, options, ['gpu']);
    // PyTorch's dim=None picks a dimension from the input's rank, with a deprecation warning; we ask for it.
    if (!Number.isInteger(dim)) {
      const given = dim !== null && typeof dim === 'object' && 'dim' in dim ? ` (the dimension comes first: new nn.${this.constructor.name}(${show((dim as { dim: unknown }).dim)}, { gpu }))` : '';
      throw new Error(`${this.constructor.name}: argument 'dim' expected an integer (the dimension to normalise over, e.g. -1 or 1 for [N, C] scores), got ${show(dim)}${given}`);
    }
  }

  override describe(): string {
    return `${this.constructor.name}(dim=${this.dim})`;
  }

  override outputShape(input: readonly number[]): readonly number[] {
    resolveDim(this.describe(), input, this.dim);
    return input;
  }

  forward(x: Tensor): Tensor {
    this.outputShape(x.shape);
    return (this.log ? F.logSoftmax : F.softmax)(x, this.dim, { out: this.output(x.shape), name: this.describe() });
  }
}

/** torch.nn.Softmax(dim), along any one dimension. */
export class Softmax extends SoftmaxModule {
  protected readonly log = false;
}

/** torch.nn.LogSoftmax(dim), along any one dimension. */
export class LogSoftmax extends SoftmaxModule {
  protected readonly log = true;
}

/** torch.nn.Softmax2d(): softmax over the channels of [N, C, H, W] or one image [C, H, W] (dimension −3). */
export class Softmax2d extends Module {
  constructor(options: { gpu?: Gpu } = {}) {
    super(options?.gpu ?? currentGpu());
    normalizeOptions('Softmax2d', options, ['gpu']);
  }

  override describe(): string {
    return 'Softmax2d()';
  }

  override outputShape(input: readonly number[]): readonly number[] {
    if (input.length !== 3 && input.length !== 4) throw new Error(`Softmax2d: expected input to be 3D or 4D, got ${input.length}D instead (${shapeText(input)})`);
    return input;
  }

  forward(x: Tensor): Tensor {
    if (!(x instanceof Tensor)) throw new Error(`Softmax2d: input expected a Tensor, got ${show(x)}`);
    this.outputShape(x.shape);
    return F.softmax(x, -3, { out: this.output(x.shape), name: this.describe() });
  }
}

// ── Dropout ──────────────────────────────────────────────────────────────────────────────────────

export class Dropout extends Module {
  /** Threefry key word 0 for this module's masks; word 1 is the forward count. */
  readonly seed: number;
  private step = 0;
  /** See inplaceOption. */
  readonly inplace: boolean;

  constructor(
    readonly p = 0.5,
    options: { inplace?: boolean; gpu?: Gpu } | boolean = {},
  ) {
    const o = inplaceOption('Dropout', options);
    super(o.gpu ?? currentGpu());
    this.inplace = o.inplace;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`Dropout: argument 'p' expected a probability in [0, 1], got ${p}`);
    this.seed = F.nextDropoutSeed();
  }

  override describe(): string {
    return `Dropout(p=${pythonFloat(this.p)}, inplace=${this.inplace ? 'True' : 'False'})`;
  }

  /** In eval mode (or with p = 0) dropout is the identity and returns x itself, as PyTorch does. */
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return F.dropout(x, this.p, { training: true, seed: this.seed, step: this.step++, out: this.output(x.shape) });
  }
}

/** nn.Dropout1d and nn.Dropout2d: whole channels zeroed while training (F.dropout1d, F.dropout2d), a new mask each forward. */
abstract class ChannelDropout extends Module {
  /** Threefry key word 0 for this module's masks; word 1 is the forward count. */
  readonly seed: number;
  private step = 0;
  /** See inplaceOption. */
  readonly inplace: boolean;

  constructor(
    readonly p: number,
    private readonly op: (x: Tensor, p: number, options: F.DropoutOptions) => Tensor,
    options: { inplace?: boolean; gpu?: Gpu } | boolean,
  ) {
    const o = inplaceOption(new.target.name, options);
    super(o.gpu ?? currentGpu());
    this.inplace = o.inplace;
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new Error(`${new.target.name}: dropout probability has to be between 0 and 1, but got ${show(p)}`);
    this.seed = F.nextDropoutSeed();
  }

  override describe(): string {
    return `${this.constructor.name}(p=${pythonFloat(this.p)}, inplace=${this.inplace ? 'True' : 'False'})`;
  }

  /** In eval mode (or with p = 0) the identity, x itself, as nn.Dropout. */
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    return this.keepComposed(this.op(x, this.p, { training: true, seed: this.seed, step: this.step++ }));
  }
}

/** torch.nn.Dropout1d(p=0.5): channel dropout over [N, C, L] or [C, L]. */
export class Dropout1d extends ChannelDropout {
  constructor(p = 0.5, options: { inplace?: boolean; gpu?: Gpu } | boolean = {}) {
    super(p, F.dropout1d, options);
  }
}

/** torch.nn.Dropout2d(p=0.5): channel dropout over [N, C, H, W] (a 3-D input as [N, C, L], with PyTorch 1.13's warning). */
export class Dropout2d extends ChannelDropout {
  constructor(p = 0.5, options: { inplace?: boolean; gpu?: Gpu } | boolean = {}) {
    super(p, F.dropout2d, options);
  }
}

// ── Identity ─────────────────────────────────────────────────────────────────────────────────────

/** nn.Identity: returns its input itself (no kernel, no graph node). */
export class Identity extends Module {
  constructor(options: { gpu?: Gpu } = {}) {
    super(options?.gpu ?? currentGpu());
    normalizeOptions('Identity', options, ['gpu']);
  }

  override describe(): string {
    return 'Identity()';
  }

  forward(x: Tensor): Tensor {
    return x;
  }
}

/** A composed activation module: F's op, its output kept as composed ones are. */
/** The composed activations whose PyTorch modules have an inplace flag. */
const INPLACE_ACTIVATIONS = new Set(['Hardtanh', 'ReLU6', 'Hardsigmoid', 'Hardswish', 'Mish', 'SELU', 'CELU', 'Threshold']);

abstract class ComposedActivation extends Module {
  /** See inplaceOption. */
  readonly inplace: boolean;

  /**
   * `text`: the printout, `${inplace}` where PyTorch's shows the flag (Hardtanh, ReLU6). Only the
   * modules PyTorch gives an inplace flag take one (INPLACE_ACTIVATIONS); the others refuse it.
   */
  constructor(
    private readonly text: string,
    private readonly op: (x: Tensor) => Tensor,
    options: { inplace?: boolean; gpu?: Gpu } | boolean,
  ) {
    const where = new.target.name;
    const o = INPLACE_ACTIVATIONS.has(where) ? inplaceOption(where, options) : { inplace: false, ...(normalizeOptions(where, options as { gpu?: Gpu }, ['gpu']) as { gpu?: Gpu }) };
    super(o.gpu ?? currentGpu());
    this.inplace = o.inplace;
  }

  override describe(): string {
    return this.text.replace('${inplace}', inplaceText(this.inplace, this.text.includes('(${inplace})')));
  }

  forward(x: Tensor): Tensor {
    return this.keepComposed(this.op(x));
  }
}

/** torch.nn.Hardtanh(min_val=-1, max_val=1) (F.hardtanh: gradient strictly inside the bounds). */
export class Hardtanh extends ComposedActivation {
  constructor(readonly minVal = -1, readonly maxVal = 1, options: { inplace?: boolean; gpu?: Gpu } | boolean = {}) {
    super(`Hardtanh(min_val=${pythonFloat(minVal)}, max_val=${pythonFloat(maxVal)}\${inplace})`, (x) => F.hardtanh(x, minVal, maxVal), options);
    if (typeof minVal !== 'number' || typeof maxVal !== 'number' || !(minVal <= maxVal)) throw new Error(`Hardtanh: min_val (${show(minVal)}) must be a number ≤ max_val (${show(maxVal)})`);
  }
}

/** torch.nn.ReLU6(): hardtanh(x, 0, 6). */
export class ReLU6 extends ComposedActivation {
  constructor(options: { inplace?: boolean; gpu?: Gpu } | boolean = {}) {
    super('ReLU6(${inplace})', F.relu6, options);
  }
}

/** torch.nn.Hardsigmoid(): relu6(x + 3) / 6. */
export class Hardsigmoid extends ComposedActivation {
  constructor(options: { inplace?: boolean; gpu?: Gpu } | boolean = {}) {
    super('Hardsigmoid()', F.hardsigmoid, options);
  }
}

/** torch.nn.Hardswish(): x · relu6(x + 3) / 6 (MobileNetV3's). */
export class Hardswish extends ComposedActivation {
  constructor(options: { inplace?: boolean; gpu?: Gpu } | boolean = {}) {
    super('Hardswish()', F.hardswish, options);
  }
}

/** torch.nn.Mish(): x · tanh(softplus(x)). */
export class Mish extends ComposedActivation {
  constructor(options: { inplace?: boolean; gpu?: Gpu } | boolean = {}) {
    super('Mish()', F.mish, options);
  }
}

/** torch.nn.LogSigmoid(): ln σ(x), finite for any x (F.logsigmoid). */
export class LogSigmoid extends ComposedActivation {
  constructor(options: { gpu?: Gpu } = {}) {
    super('LogSigmoid()', F.logsigmoid, options);
  }
}

/** torch.nn.Softsign(): x / (1 + |x|). */
export class Softsign extends ComposedActivation {
  constructor(options: { gpu?: Gpu } = {}) {
    super('Softsign()', F.softsign, options);
  }
}

/** torch.nn.SELU(): scale · elu(x, α) with PyTorch's constants. */
export class SELU extends ComposedActivation {
  constructor(options: { inplace?: boolean; gpu?: Gpu } | boolean = {}) {
    super('SELU(${inplace})', F.selu, options);
  }
}

/** torch.nn.CELU(alpha=1): x above 0, α · (e^(x/α) − 1) at and below. */
export class CELU extends ComposedActivation {
  constructor(readonly alpha = 1, options: { inplace?: boolean; gpu?: Gpu } | boolean = {}) {
    super(`CELU(alpha=${pythonFloat(alpha)}\${inplace})`, (x) => F.celu(x, alpha), options);
    F.expectCeluAlpha('CELU', alpha);
  }
}

/** torch.nn.GLU(dim=-1): the first half of x along dim, gated by σ of the second. */
export class GLU extends ComposedActivation {
  constructor(readonly dim = -1, options: { gpu?: Gpu } = {}) {
    super(`GLU(dim=${dim})`, (x) => F.glu(x, dim), options);
    if (!Number.isInteger(dim)) throw new Error(`GLU: argument 'dim' expected an integer, got ${show(dim)}`);
  }

  override outputShape(input: readonly number[]): readonly number[] {
    const d = resolveDim(this.describe(), input, this.dim);
    if (input[d]! % 2 !== 0) throw new Error(`${this.describe()}: Halving dimension must be even, but dimension ${d} is size ${input[d]} (input ${shapeText(input)})`);
    return input.map((n, i) => (i === d ? n / 2 : n));
  }
}

/** torch.nn.Softmin(dim): softmax(−x, dim); dim is required, as nn.Softmax's. */
export class Softmin extends ComposedActivation {
  constructor(readonly dim: number, options: { gpu?: Gpu } = {}) {
    super(`Softmin(dim=${dim})`, (x) => F.softmin(x, dim), options);
    if (!Number.isInteger(dim)) throw new Error(`Softmin: argument 'dim' expected an integer (the dimension to normalise over, e.g. -1 or 1 for [N, C] scores), got ${show(dim)}`);
  }

  override outputShape(input: readonly number[]): readonly number[] {
    resolveDim(this.describe(), input, this.dim);
    return input;
  }
}

/** torch.nn.Threshold(threshold, value): x above threshold, value at and below. */
export class Threshold extends ComposedActivation {
  constructor(
    readonly threshold: number,
    readonly value: number,
    options: { inplace?: boolean; gpu?: Gpu } | boolean = {},
  ) {
    super(`Threshold(threshold=${pythonFloat(threshold)}, value=${pythonFloat(value)}\${inplace})`, (x) => F.threshold(x, threshold, value), options);
    for (const [name, v] of [['threshold', threshold], ['value', value]] as const) if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`Threshold: argument '${name}' expected a number (±∞ included), got ${show(v)}`);
  }
}

/** torch.nn.Tanhshrink(): x − tanh(x). */
export class Tanhshrink extends ComposedActivation {
  constructor(options: { gpu?: Gpu } = {}) {
    super('Tanhshrink()', F.tanhshrink, options);
  }
}

/** torch.nn.Softshrink(lambd=0.5): x moved λ toward 0, 0 on [−λ, λ]. */
export class Softshrink extends ComposedActivation {
  constructor(readonly lambd = 0.5, options: { gpu?: Gpu } = {}) {
    super(`Softshrink(${pythonFloat(lambd)})`, (x) => F.softshrink(x, lambd), options);
    F.expectLambd('Softshrink', lambd, true);
  }
}

/** torch.nn.Hardshrink(lambd=0.5): x where |x| > λ, else 0. */
export class Hardshrink extends ComposedActivation {
  constructor(readonly lambd = 0.5, options: { gpu?: Gpu } = {}) {
    super(`Hardshrink(${pythonFloat(lambd)})`, (x) => F.hardshrink(x, lambd), options);
    F.expectLambd('Hardshrink', lambd, false);
  }
}

/** torch.nn.CosineSimilarity(dim=1, eps=1e-8): F.cosineSimilarity of its two inputs; PyTorch prints no options. */
export class CosineSimilarity extends Module {
  readonly dim: number;
  readonly eps: number;

  constructor(options: { dim?: number; eps?: number; gpu?: Gpu } = {}) {
    super(options?.gpu ?? currentGpu());
    const o = normalizeOptions('CosineSimilarity', options, ['dim', 'eps', 'gpu']) as { dim?: number; eps?: number };
    this.dim = o.dim ?? 1;
    this.eps = o.eps ?? 1e-8;
    if (!Number.isInteger(this.dim)) throw new Error(`CosineSimilarity: option 'dim' expected an integer, got ${show(this.dim)}`);
    if (typeof this.eps !== 'number' || !(this.eps > 0)) throw new Error(`CosineSimilarity: option 'eps' expected a number > 0, got ${show(this.eps)}`);
  }

  override describe(): string {
    return 'CosineSimilarity()';
  }

  forward(x1: Tensor, x2: Tensor): Tensor {
    return this.keepComposed(F.cosineSimilarity(x1, x2, { dim: this.dim, eps: this.eps }));
  }
}

/** torch.nn.PairwiseDistance(p=2, eps=1e-6, keepdim=False): F.pairwiseDistance of its two inputs; PyTorch prints no options. */
export class PairwiseDistance extends Module {
  readonly p: number;
  readonly eps: number;
  readonly keepdim: boolean;

  constructor(options: { p?: number; eps?: number; keepdim?: boolean; gpu?: Gpu } = {}) {
    super(options?.gpu ?? currentGpu());
    const o = normalizeOptions('PairwiseDistance', options, ['p', 'eps', 'keepdim', 'gpu']) as { p?: number; eps?: number; keepdim?: boolean };
    expectFlag('PairwiseDistance', 'keepdim', o.keepdim);
    [this.p, this.eps, this.keepdim] = [o.p ?? 2, o.eps ?? 1e-6, o.keepdim ?? false];
    if (typeof this.p !== 'number' || !(this.p >= 1)) throw new Error(`PairwiseDistance: option 'p' expected a number ≥ 1 or Infinity, got ${show(this.p)}`);
    if (typeof this.eps !== 'number' || !Number.isFinite(this.eps)) throw new Error(`PairwiseDistance: option 'eps' expected a finite number, got ${show(this.eps)}`);
  }

  override describe(): string {
    return 'PairwiseDistance()';
  }

  forward(x1: Tensor, x2: Tensor): Tensor {
    return this.keepComposed(F.pairwiseDistance(x1, x2, { p: this.p, eps: this.eps, keepdim: this.keepdim }));
  }
}

/** torch.nn.PReLU(num_parameters=1, init=0.25): a learned slope for x ≤ 0, one or one per channel. */
export class PReLU extends Module {
  readonly weight: Parameter;

  constructor(readonly numParameters = 1, options: { init?: number; gpu?: Gpu } = {}) {
    super(options?.gpu ?? currentGpu());
    const o = normalizeOptions('PReLU', options, ['init', 'gpu'], {}, { device: null, dtype: null }) as { init?: number };
    if (!Number.isInteger(numParameters) || numParameters < 1) throw new Error(`PReLU: argument 'num_parameters' expected a positive integer, got ${show(numParameters)}`);
    if (o.init !== undefined && (typeof o.init !== 'number' || !Number.isFinite(o.init))) throw new Error(`PReLU: argument 'init' expected a number, got ${show(o.init)}`);
    this.weight = allocateParameter(this.gpu, [numParameters], 'PReLU.weight');
    fillConstant(this.weight, o.init ?? 0.25);
  }

  override describe(): string {
    return `PReLU(num_parameters=${this.numParameters})`;
  }

  forward(x: Tensor): Tensor {
    return this.keepComposed(F.prelu(x, this.weight));
  }
}

/** torch.nn.PixelShuffle(upscale_factor) and PixelUnshuffle(downscale_factor): F's, the copy they make kept as composed outputs are. */
abstract class PixelRearrange extends Module {
  constructor(
    private readonly text: string,
    private readonly op: (x: Tensor) => Tensor,
    private readonly shapeOf: (input: readonly number[]) => number[],
    options: { gpu?: Gpu },
  ) {
    super(options?.gpu ?? currentGpu());
    normalizeOptions(new.target.name, options, ['gpu']);
  }

  override describe(): string {
    return this.text;
  }

  override outputShape(input: readonly number[]): readonly number[] {
    return this.shapeOf(input);
  }

  forward(x: Tensor): Tensor {
    const y = this.op(x); // a view of the permuted copy, which the module keeps until a later forward frees it
    this.keepComposed(reshapeSources.get(y) ?? y);
    return y;
  }
}

export class PixelShuffle extends PixelRearrange {
  constructor(readonly upscaleFactor: number, options: { gpu?: Gpu } = {}) {
    const r = upscaleFactor;
    super(`PixelShuffle(upscale_factor=${r})`, (x) => F.pixelShuffle(x, r), (s) => [...s.slice(0, -3), s.at(-3)! / (r * r), s.at(-2)! * r, s.at(-1)! * r], options);
  }
}

export class PixelUnshuffle extends PixelRearrange {
  constructor(readonly downscaleFactor: number, options: { gpu?: Gpu } = {}) {
    const r = downscaleFactor;
    super(`PixelUnshuffle(downscale_factor=${r})`, (x) => F.pixelUnshuffle(x, r), (s) => [...s.slice(0, -3), s.at(-3)! * r * r, s.at(-2)! / r, s.at(-1)! / r], options);
  }
}

/** torch.nn.Unflatten(dim, unflattened_size): dimension dim seen as the sizes given (an F.reshape view, no copy). */
export class Unflatten extends Module {
  constructor(
    readonly dim: number,
    readonly unflattenedSize: readonly number[],
    options: { gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu());
    normalizeOptions('Unflatten', options, ['gpu']);
    if (!Number.isInteger(dim)) throw new Error(`Unflatten: argument 'dim' expected an integer, got ${show(dim)}`);
    if (!Array.isArray(unflattenedSize) || !unflattenedSize.length || !unflattenedSize.every((d) => Number.isInteger(d) && (d > 0 || d === -1))) throw new Error(`Unflatten: argument 'unflattened_size' expected a list of sizes, got ${show(unflattenedSize)}`);
  }

  override describe(): string {
    return `Unflatten(dim=${this.dim}, unflattened_size=(${this.unflattenedSize.join(', ')}${this.unflattenedSize.length === 1 ? ',' : ''}))`;
  }

  override outputShape(input: readonly number[]): readonly number[] {
    const d = this.dim < 0 ? this.dim + input.length : this.dim;
    if (d < 0 || d >= input.length) throw new Error(`${this.describe()}: dim ${this.dim} is out of range for input ${shapeText(input)}`);
    const known = this.unflattenedSize.filter((v) => v !== -1).reduce((a, b) => a * b, 1);
    const sizes = this.unflattenedSize.map((v) => (v === -1 ? input[d]! / known : v));
    if (sizes.reduce((a, b) => a * b, 1) !== input[d] || !sizes.every(Number.isInteger)) throw new Error(`${this.describe()}: unflattened_size must multiply to the size of dim ${this.dim} (${input[d]}) of input ${shapeText(input)}`);
    return [...input.slice(0, d), ...sizes, ...input.slice(d + 1)];
  }

  forward(x: Tensor): Tensor {
    return F.reshape(x, this.outputShape(x.shape));
  }
}

/** nn.SiLU: x · sigmoid(x) (F.silu). */
export class SiLU extends Module {
  /** See inplaceOption. */
  readonly inplace: boolean;

  constructor(options: { inplace?: boolean; gpu?: Gpu } | boolean = {}) {
    const o = inplaceOption('SiLU', options);
    super(o.gpu ?? currentGpu());
    this.inplace = o.inplace;
  }

  override describe(): string {
    return `SiLU(${inplaceText(this.inplace, true)})`;
  }

  forward(x: Tensor): Tensor {
    return this.keepComposed(F.silu(x));
  }
}

/** nn.Softplus(beta=1, threshold=20): ln(1 + e^(βx)) / β, x past the threshold (F.softplus). */
export class Softplus extends Module {
  constructor(
    readonly beta = 1,
    readonly threshold = 20,
    options: { gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu());
    normalizeOptions('Softplus', options, ['gpu']);
    F.softplusArguments('Softplus', beta, threshold);
  }

  override describe(): string {
    return `Softplus(beta=${this.beta}, threshold=${this.threshold})`;
  }

  forward(x: Tensor): Tensor {
    return this.keepComposed(F.softplus(x, this.beta, this.threshold));
  }
}

/** nn.ELU(alpha=1): x above 0, α·(e^x − 1) at and below (F.elu). */
export class ELU extends Module {
  /** See inplaceOption. */
  readonly inplace: boolean;

  constructor(
    readonly alpha = 1,
    options: { inplace?: boolean; gpu?: Gpu } | boolean = {},
  ) {
    const o = inplaceOption('ELU', options);
    super(o.gpu ?? currentGpu());
    this.inplace = o.inplace;
    if (typeof alpha !== 'number' || !Number.isFinite(alpha)) throw new Error(`ELU: argument 'alpha' expected a finite number, got ${show(alpha)}`);
  }

  override describe(): string {
    return `ELU(alpha=${this.alpha}${inplaceText(this.inplace)})`;
  }

  forward(x: Tensor): Tensor {
    return this.keepComposed(F.elu(x, this.alpha));
  }
}

/**
 * nn.LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True): each sample normalised over its
 * last dimensions, then · weight (ones) + bias (zeros) when affine (F.layerNorm).
 */
export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly eps: number;
  readonly elementwiseAffine: boolean;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: { eps?: number; elementwiseAffine?: boolean; elementwise_affine?: boolean; gpu?: Gpu } = {}) {
    super(options?.gpu ?? currentGpu());
    const o = normalizeOptions('LayerNorm', options, ['eps', 'elementwiseAffine', 'gpu'], { elementwise_affine: 'elementwiseAffine' }) as { eps?: number; elementwiseAffine?: boolean };
    const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    if (!Array.isArray(shape) || !shape.length || !shape.every((d) => Number.isInteger(d) && d > 0)) throw new Error(`LayerNorm: argument 'normalized_shape' expected a size or a non-empty list of sizes, got ${show(normalizedShape)}`);
    expectFlag('LayerNorm', 'elementwiseAffine', o.elementwiseAffine);
    if (o.eps !== undefined && (typeof o.eps !== 'number' || !(o.eps > 0) || !Number.isFinite(o.eps))) throw new Error(`LayerNorm: argument 'eps' expected a number > 0, got ${show(o.eps)}`);
    this.normalizedShape = [...shape];
    this.eps = o.eps ?? 1e-5;
    this.elementwiseAffine = o.elementwiseAffine ?? true;
    this.weight = this.elementwiseAffine ? allocateParameter(this.gpu, shape, 'LayerNorm.weight') : null;
    this.bias = this.elementwiseAffine ? allocateParameter(this.gpu, shape, 'LayerNorm.bias') : null;
    if (this.weight && this.bias) {
      fillConstant(this.weight, 1);
      fillConstant(this.bias, 0);
    }
  }

  override describe(): string {
    return `LayerNorm((${this.normalizedShape.join(', ')}${this.normalizedShape.length === 1 ? ',' : ''}), eps=${pythonFloat(this.eps)}, elementwise_affine=${this.elementwiseAffine ? 'True' : 'False'})`;
  }

  forward(x: Tensor): Tensor {
    return this.keepComposed(F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps));
  }
}

/** torch.nn.LocalResponseNorm(size, alpha=1e-4, beta=0.75, k=1.0): F.localResponseNorm across channels. */
export class LocalResponseNorm extends Module {
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;

  constructor(
    readonly size: number,
    options: { alpha?: number; beta?: number; k?: number; gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu());
    if (typeof options === 'number') throw new Error(`LocalResponseNorm: alpha, beta and k go in the options: new nn.LocalResponseNorm(${size}, { alpha: ${options} })`);
    const o = normalizeOptions('LocalResponseNorm', options, ['alpha', 'beta', 'k', 'gpu']) as { alpha?: number; beta?: number; k?: number };
    if (!Number.isInteger(size) || size < 1) throw new Error(`LocalResponseNorm: argument 'size' expected a positive integer, got ${show(size)}`);
    [this.alpha, this.beta, this.k] = [o.alpha ?? 1e-4, o.beta ?? 0.75, o.k ?? 1];
    for (const [name, v] of [['alpha', this.alpha], ['beta', this.beta], ['k', this.k]] as const) if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`LocalResponseNorm: argument '${name}' expected a finite number, got ${show(v)}`);
  }

  override describe(): string {
    return `LocalResponseNorm(${this.size}, alpha=${pythonFloat(this.alpha)}, beta=${pythonFloat(this.beta)}, k=${pythonFloat(this.k)})`;
  }

  forward(x: Tensor): Tensor {
    try {
      return this.keepComposed(F.localResponseNorm(x, this.size, { alpha: this.alpha, beta: this.beta, k: this.k }));
    } catch (error) {
      throw error instanceof Error && error.message.startsWith('localResponseNorm: ') ? new Error(`${this.describe()}: ${error.message.slice('localResponseNorm: '.length)}`) : error;
    }
  }
}

/** torch.nn.GroupNorm(num_groups, num_channels, eps=1e-5, affine=True): F.groupNorm, weight 1 and bias 0 per channel. */
export class GroupNorm extends Module {
  readonly eps: number;
  readonly affine: boolean;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;

  constructor(
    readonly numGroups: number,
    readonly numChannels: number,
    options: { eps?: number; affine?: boolean; gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu());
    const o = normalizeOptions('GroupNorm', options, ['eps', 'affine', 'gpu'], {}, { device: null, dtype: null }) as { eps?: number; affine?: boolean };
    expectFlag('GroupNorm', 'affine', o.affine);
    for (const [name, v] of [['num_groups', numGroups], ['num_channels', numChannels]] as const) if (!Number.isInteger(v) || v < 1) throw new Error(`GroupNorm: argument '${name}' expected a positive integer, got ${show(v)}`);
    if (numChannels % numGroups !== 0) throw new Error(`GroupNorm: num_channels must be divisible by num_groups (${numChannels} and ${numGroups})`);
    [this.eps, this.affine] = [o.eps ?? 1e-5, o.affine ?? true];
    [this.weight, this.bias] = channelAffine(this, 'GroupNorm', numChannels, this.affine);
  }

  override describe(): string {
    return `GroupNorm(${this.numGroups}, ${this.numChannels}, eps=${pythonFloat(this.eps)}, affine=${this.affine ? 'True' : 'False'})`;
  }

  forward(x: Tensor): Tensor {
    if (x.shape[1] !== this.numChannels) throw new Error(`${this.describe()}: input expected [N, ${this.numChannels}, *], got ${shapeText(x.shape)}`);
    return this.keepComposed(F.groupNorm(x, this.numGroups, this.weight, this.bias, this.eps));
  }
}

/** A per-channel tensor (not a parameter) filled with `value`: a normalisation's running statistics. */
function channelConstant(gpu: Gpu, channels: number, label: string, value: number): Tensor {
  const t = Tensor.empty(gpu, [channels], 'f32', label);
  fillConstant(t, value);
  return t;
}

/** A normalisation's weight (1) and bias (0) per channel, or none. */
function channelAffine(module: AnyModule, kind: string, channels: number, affine: boolean): [Parameter | null, Parameter | null] {
  if (!affine) return [null, null];
  const [weight, bias] = [allocateParameter(module.gpu, [channels], `${kind}.weight`), allocateParameter(module.gpu, [channels], `${kind}.bias`)];
  fillConstant(weight, 1);
  fillConstant(bias, 0);
  return [weight, bias];
}

/**
 * nn.InstanceNorm1d, 2d and 3d: each sample's channel normalised over its positions. With
 * track_running_stats (off by default, as PyTorch's), training also updates running_mean and
 * running_var as PyTorch's does (its batch norm over [1, N·C, *]: each channel's running value moves
 * by momentum toward the mean over the batch of the samples' means, and of their unbiased variances),
 * and eval normalises with them.
 */
abstract class InstanceNorm extends Module {
  readonly eps: number;
  readonly momentum: number;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly runningMean: Tensor | null = null;
  readonly runningVar: Tensor | null = null;
  /** Kept for PyTorch's state dict; PyTorch's instance norm never counts, so it stays 0. */
  readonly numBatchesTracked = new Counter();

  constructor(
    protected readonly kind: string,
    private readonly positions: number,
    readonly numFeatures: number,
    options: InstanceNormOptions,
  ) {
    super(options?.gpu ?? currentGpu());
    const o = normalizeOptions(kind, options, ['eps', 'momentum', 'affine', 'trackRunningStats', 'gpu'], { track_running_stats: 'trackRunningStats' }, { device: null, dtype: null }) as InstanceNormOptions;
    expectFlag(kind, 'affine', o.affine);
    expectFlag(kind, 'trackRunningStats', o.trackRunningStats);
    if (!Number.isInteger(numFeatures) || numFeatures < 1) throw new Error(`${kind}: argument 'num_features' expected a positive integer, got ${show(numFeatures)}`);
    if (o.momentum === null) throw new Error(`${kind}: momentum=None (a cumulative average) is not supported for instance norm (PyTorch's fails at the forward)`);
    if (o.momentum !== undefined && (typeof o.momentum !== 'number' || !(o.momentum >= 0 && o.momentum <= 1))) throw new Error(`${kind}: argument 'momentum' expected a number in [0, 1], got ${show(o.momentum)}`);
    [this.eps, this.momentum, this.affine, this.trackRunningStats] = [o.eps ?? 1e-5, o.momentum ?? 0.1, o.affine ?? false, o.trackRunningStats ?? false];
    [this.weight, this.bias] = channelAffine(this, kind, numFeatures, this.affine);
    if (this.trackRunningStats) {
      [this.runningMean, this.runningVar] = [this.own(channelConstant(this.gpu, numFeatures, `${kind}.running_mean`, 0)), this.own(channelConstant(this.gpu, numFeatures, `${kind}.running_var`, 1))];
    }
  }

  override describe(): string {
    return `${this.kind}(${this.numFeatures}, eps=${pythonFloat(this.eps)}, momentum=${pythonFloat(this.momentum)}, affine=${this.affine ? 'True' : 'False'}, track_running_stats=${this.trackRunningStats ? 'True' : 'False'})`;
  }

  protected override ownBuffers(): [string, Tensor | Counter][] {
    return this.trackRunningStats ? [['running_mean', this.runningMean!], ['running_var', this.runningVar!], ['num_batches_tracked', this.numBatchesTracked]] : [];
  }

  /** [N, C, *positions] or one sample [C, *positions] (PyTorch's unbatched input). */
  forward(x: Tensor): Tensor {
    const rank = this.positions + 2;
    if (!(x instanceof Tensor) || (x.shape.length !== rank && x.shape.length !== rank - 1) || x.shape.at(-1 - this.positions) !== this.numFeatures) throw new Error(`${this.describe()}: expected ${rank}D or ${rank - 1}D input with ${this.numFeatures} channels, got ${x instanceof Tensor ? shapeText(x.shape) : show(x)}`);
    if (x.shape.length === rank - 1) return F.reshape(this.forward(F.reshape(x, [1, ...x.shape])), x.shape);
    if (!this.trackRunningStats) return this.keepComposed(F.instanceNorm(x, { weight: this.weight, bias: this.bias, eps: this.eps }));
    const [N, C] = x.shape as [number, number];
    const P = x.size / (N * C);
    const perChannel = [1, C, ...new Array<number>(this.positions).fill(1)];
    if (!this.training) {
      // Eval: the running statistics, per channel, then the affine.
      return this.keepComposed(composite(() => {
        let y = F.div(F.sub(x, F.reshape(this.runningMean!, perChannel)), F.reshape(F.sqrt(F.add(this.runningVar!, this.eps)), perChannel));
        if (this.weight && this.bias) y = F.add(F.mul(y, F.reshape(this.weight, perChannel)), F.reshape(this.bias, perChannel));
        return y;
      }));
    }
    if (P < 2) throw new Error(`${this.describe()}: tracking running statistics needs more than one position per channel (an unbiased variance of 1 value), got ${shapeText(x.shape)}`);
    withoutGrad(() => tidy(() => {
      const flat = F.reshape(x, [N, C, P]);
      const m = this.momentum;
      const mean = F.mean(F.mean(flat, 2), 0);
      const variance = F.mean(F.var(flat, 2), 0);
      this.gpu.copy(F.add(F.mul(this.runningMean!, 1 - m), F.mul(mean, m)), this.runningMean!);
      this.gpu.copy(F.add(F.mul(this.runningVar!, 1 - m), F.mul(variance, m)), this.runningVar!);
    }));
    return this.keepComposed(F.instanceNorm(x, { weight: this.weight, bias: this.bias, eps: this.eps }));
  }
}

export interface InstanceNormOptions {
  eps?: number;
  momentum?: number | null;
  affine?: boolean;
  /** Keep running_mean and running_var while training, and normalise with them in eval. */
  trackRunningStats?: boolean;
  track_running_stats?: boolean;
  gpu?: Gpu;
}

/** torch.nn.InstanceNorm1d(num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False) over [N, C, L] or [C, L]. */
export class InstanceNorm1d extends InstanceNorm {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super('InstanceNorm1d', 1, numFeatures, options);
  }
}

/** torch.nn.InstanceNorm2d(num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False) over [N, C, H, W] or [C, H, W]. */
export class InstanceNorm2d extends InstanceNorm {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super('InstanceNorm2d', 2, numFeatures, options);
  }
}

/** torch.nn.InstanceNorm3d(num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False) over [N, C, D, H, W] or [C, D, H, W]. */
export class InstanceNorm3d extends InstanceNorm {
  constructor(numFeatures: number, options: InstanceNormOptions = {}) {
    super('InstanceNorm3d', 3, numFeatures, options);
  }
}

// ── Transformer ──────────────────────────────────────────────────────────────────────────────────
// PyTorch 1.13's encoder and decoder layers, their stacks and nn.Transformer, built of the modules
// above: each block's output goes through dropout, is added to its input (a residual sum kept as a
// composed op's output is) and normalised after (or before, norm_first).

type TransformerActivation = 'relu' | 'gelu';

export interface TransformerLayerOptions {
  dimFeedforward?: number;
  dim_feedforward?: number;
  dropout?: number;
  /** 'relu' (PyTorch's default) or 'gelu'. */
  activation?: TransformerActivation;
  layerNormEps?: number;
  layer_norm_eps?: number;
  batchFirst?: boolean;
  batch_first?: boolean;
  normFirst?: boolean;
  norm_first?: boolean;
  gpu?: Gpu;
}
type LayerConfig = Required<Pick<TransformerLayerOptions, 'dimFeedforward' | 'dropout' | 'activation' | 'layerNormEps' | 'batchFirst' | 'normFirst'>>;

const LAYER_ALIASES = { dim_feedforward: 'dimFeedforward', layer_norm_eps: 'layerNormEps', batch_first: 'batchFirst', norm_first: 'normFirst' };

/** A layer's options, checked, with PyTorch's defaults. */
function layerConfig(where: string, dModel: number, options: TransformerLayerOptions): LayerConfig {
  const o = normalizeOptions(where, options, ['dimFeedforward', 'dropout', 'activation', 'layerNormEps', 'batchFirst', 'normFirst', 'gpu'], LAYER_ALIASES, { device: null, dtype: null }) as TransformerLayerOptions;
  if (!Number.isInteger(dModel) || dModel < 1) throw new Error(`${where}: argument 'd_model' expected a positive integer, got ${show(dModel)}`);
  const { dimFeedforward = 2048, dropout = 0.1, activation = 'relu', layerNormEps = 1e-5, batchFirst = false, normFirst = false } = o;
  if (!Number.isInteger(dimFeedforward) || dimFeedforward < 1) throw new Error(`${where}: option 'dim_feedforward' expected a positive integer, got ${show(dimFeedforward)}`);
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout <= 1)) throw new Error(`${where}: option 'dropout' expected a probability in [0, 1], got ${show(dropout)}`);
  if (activation !== 'relu' && activation !== 'gelu') throw new Error(`${where}: option 'activation' expected 'relu' or 'gelu', got ${show(activation)} (a function or module is not supported)`);
  expectFlag(where, 'batchFirst', batchFirst);
  expectFlag(where, 'normFirst', normFirst);
  return { dimFeedforward, dropout, activation, layerNormEps, batchFirst, normFirst };
}

/** linear1 then the activation: relu fused into linear1's product; gelu its own kernel, with its own reused output. */
function feedForwardInput(gpu: Gpu, activation: TransformerActivation, linear1: Linear): (x: Tensor) => Tensor {
  if (activation === 'relu') return (x) => linear1.forward(x, 'relu');
  const gelu = new GELU({ gpu });
  return (x) => gelu.forward(linear1.forward(x));
}

/** An Error unless t is a 3-D [L, N, d_model] ([N, L, d_model] batch first) tensor, or one sequence [L, d_model] (PyTorch's unbatched input). */
function expectSequence(where: string, name: string, t: unknown, dModel: number, batchFirst: boolean): asserts t is Tensor {
  if (!(t instanceof Tensor) || (t.shape.length !== 3 && t.shape.length !== 2) || t.shape.at(-1) !== dModel) {
    throw new Error(`${where}: argument '${name}' expected a 3-D tensor ${batchFirst ? '[N, L, d_model]' : '[L, N, d_model]'} or one sequence [L, d_model], with d_model = ${dModel}, got ${t instanceof Tensor ? shapeText(t.shape) : show(t)}`);
  }
}

/** Copies every parameter of `from` into `to`, a module of the same make (PyTorch's copy.deepcopy). */
function copyParameters<M extends Module>(from: M, to: M): M {
  // By name, every name a tied parameter has (the copy's are untied, as many as the names).
  const mine = new Map(from.namedState());
  for (const [name, p] of to.namedParameters()) from.gpu.copy(mine.get(name) as Tensor, p);
  return to.train(from.training);
}

/**
 * torch.nn.TransformerEncoderLayer(d_model, nhead, dim_feedforward=2048, dropout=0.1,
 * activation='relu', layer_norm_eps=1e-5, batch_first=False, norm_first=False), PyTorch 1.13's:
 * self-attention then a two-layer feed-forward block. Its children and state dict as PyTorch's
 * (self_attn, linear1, dropout, linear2, norm1, norm2, dropout1, dropout2), each with its own init.
 */
export class TransformerEncoderLayer extends Module {
  /** The class's name in messages (a bundler may rename the class itself). */
  static readonly title = 'TransformerEncoderLayer';
  readonly self_attn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  /** The options it was made with (TransformerEncoder makes its copies from them). */
  readonly config: LayerConfig;
  /** A function, not a child, as PyTorch's string activation: no entry in the state dict or the printout. */
  private readonly activate: (x: Tensor) => Tensor;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    options: TransformerLayerOptions = {},
  ) {
    super(options?.gpu ?? currentGpu());
    const c = (this.config = layerConfig('TransformerEncoderLayer', dModel, options));
    const gpu = this.gpu;
    // The attention's own dropout is on its weights; dropout1 and dropout2 are on the blocks' outputs.
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: c.dropout, batchFirst: c.batchFirst, gpu });
    this.linear1 = new Linear(dModel, c.dimFeedforward, { gpu });
    this.dropout = new Dropout(c.dropout, { gpu });
    this.linear2 = new Linear(c.dimFeedforward, dModel, { gpu });
    this.norm1 = new LayerNorm(dModel, { eps: c.layerNormEps, gpu });
    this.norm2 = new LayerNorm(dModel, { eps: c.layerNormEps, gpu });
    this.dropout1 = new Dropout(c.dropout, { gpu });
    this.dropout2 = new Dropout(c.dropout, { gpu });
    this.activate = feedForwardInput(gpu, c.activation, this.linear1);
  }

  override describe(): string {
    return containerText('TransformerEncoderLayer', this.namedChildren());
  }

  forward(src: Tensor, options: EncoderMasks = {}): Tensor {
    const where = 'TransformerEncoderLayer.forward';
    const o = normalizeOptions(where, options, ['srcMask', 'srcKeyPaddingMask'], { src_mask: 'srcMask', src_key_padding_mask: 'srcKeyPaddingMask' }, { is_causal: false }) as { srcMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null };
    expectSequence(where, 'src', src, this.dModel, this.config.batchFirst);
    const masks = { attnMask: o.srcMask ?? null, keyPaddingMask: o.srcKeyPaddingMask ?? null };
    const selfAttention = (x: Tensor) => this.dropout1.forward(this.self_attn.forward(x, x, x, masks));
    const feedForward = (x: Tensor) => this.dropout2.forward(this.linear2.forward(this.dropout.forward(this.activate(x))));
    const residual = (x: Tensor, block: Tensor) => this.keepComposed(F.add(x, block));
    let x = src;
    if (this.config.normFirst) {
      x = residual(x, selfAttention(this.norm1.forward(x)));
      return residual(x, feedForward(this.norm2.forward(x)));
    }
    x = this.norm1.forward(residual(x, selfAttention(x)));
    return this.norm2.forward(residual(x, feedForward(x)));
  }

  /** A new layer of the same options with a copy of this one's parameters (PyTorch's copy.deepcopy). */
  copy(): TransformerEncoderLayer {
    return copyParameters(this, new TransformerEncoderLayer(this.dModel, this.nhead, { ...this.config, gpu: this.gpu }));
  }
}

/** A forward's masks, as PyTorch's src_mask ([L, L] or [N·heads, L, L], added) and src_key_padding_mask ([N, L], nonzero for padding). */
export interface EncoderMasks {
  srcMask?: Tensor | null;
  src_mask?: Tensor | null;
  srcKeyPaddingMask?: Tensor | null;
  src_key_padding_mask?: Tensor | null;
}

/** A decoder forward's masks: on its self-attention (tgt) and on the encoder's output (memory), as PyTorch's. */
export interface DecoderMasks {
  tgtMask?: Tensor | null;
  tgt_mask?: Tensor | null;
  memoryMask?: Tensor | null;
  memory_mask?: Tensor | null;
  tgtKeyPaddingMask?: Tensor | null;
  tgt_key_padding_mask?: Tensor | null;
  memoryKeyPaddingMask?: Tensor | null;
  memory_key_padding_mask?: Tensor | null;
}
const DECODER_MASKS = ['tgtMask', 'memoryMask', 'tgtKeyPaddingMask', 'memoryKeyPaddingMask'];
const DECODER_MASK_ALIASES = { tgt_mask: 'tgtMask', memory_mask: 'memoryMask', tgt_key_padding_mask: 'tgtKeyPaddingMask', memory_key_padding_mask: 'memoryKeyPaddingMask' };
type Masks = { tgtMask?: Tensor | null; memoryMask?: Tensor | null; tgtKeyPaddingMask?: Tensor | null; memoryKeyPaddingMask?: Tensor | null };

/**
 * torch.nn.TransformerDecoderLayer(d_model, nhead, ...the encoder layer's options), PyTorch 1.13's:
 * self-attention over the target, attention from the target to the encoder's output (memory), then
 * the feed-forward block. Children as PyTorch's: self_attn, multihead_attn, linear1, dropout,
 * linear2, norm1, norm2, norm3, dropout1, dropout2, dropout3.
 */
export class TransformerDecoderLayer extends Module {
  static readonly title = 'TransformerDecoderLayer';
  readonly self_attn: MultiheadAttention;
  readonly multihead_attn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly norm3: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly dropout3: Dropout;
  readonly config: LayerConfig;
  private readonly activate: (x: Tensor) => Tensor;

  constructor(
    readonly dModel: number,
    readonly nhead: number,
    options: TransformerLayerOptions = {},
  ) {
    super(options?.gpu ?? currentGpu());
    const c = (this.config = layerConfig('TransformerDecoderLayer', dModel, options));
    const gpu = this.gpu;
    this.self_attn = new MultiheadAttention(dModel, nhead, { dropout: c.dropout, batchFirst: c.batchFirst, gpu });
    this.multihead_attn = new MultiheadAttention(dModel, nhead, { dropout: c.dropout, batchFirst: c.batchFirst, gpu });
    this.linear1 = new Linear(dModel, c.dimFeedforward, { gpu });
    this.dropout = new Dropout(c.dropout, { gpu });
    this.linear2 = new Linear(c.dimFeedforward, dModel, { gpu });
    this.norm1 = new LayerNorm(dModel, { eps: c.layerNormEps, gpu });
    this.norm2 = new LayerNorm(dModel, { eps: c.layerNormEps, gpu });
    this.norm3 = new LayerNorm(dModel, { eps: c.layerNormEps, gpu });
    this.dropout1 = new Dropout(c.dropout, { gpu });
    this.dropout2 = new Dropout(c.dropout, { gpu });
    this.dropout3 = new Dropout(c.dropout, { gpu });
    this.activate = feedForwardInput(gpu, c.activation, this.linear1);
  }

  override describe(): string {
    return containerText('TransformerDecoderLayer', this.namedChildren());
  }

  forward(tgt: Tensor, memory: Tensor, options: DecoderMasks = {}): Tensor {
    const where = 'TransformerDecoderLayer.forward';
    const o = normalizeOptions(where, options, DECODER_MASKS, DECODER_MASK_ALIASES, { tgt_is_causal: false, memory_is_causal: false }) as Masks;
    expectSequence(where, 'tgt', tgt, this.dModel, this.config.batchFirst);
    expectSequence(where, 'memory', memory, this.dModel, this.config.batchFirst);
    const selfAttention = (x: Tensor) => this.dropout1.forward(this.self_attn.forward(x, x, x, { attnMask: o.tgtMask ?? null, keyPaddingMask: o.tgtKeyPaddingMask ?? null }));
    const crossAttention = (x: Tensor) => this.dropout2.forward(this.multihead_attn.forward(x, memory, memory, { attnMask: o.memoryMask ?? null, keyPaddingMask: o.memoryKeyPaddingMask ?? null }));
    const feedForward = (x: Tensor) => this.dropout3.forward(this.linear2.forward(this.dropout.forward(this.activate(x))));
    const residual = (x: Tensor, block: Tensor) => this.keepComposed(F.add(x, block));
    let x = tgt;
    if (this.config.normFirst) {
      x = residual(x, selfAttention(this.norm1.forward(x)));
      x = residual(x, crossAttention(this.norm2.forward(x)));
      return residual(x, feedForward(this.norm3.forward(x)));
    }
    x = this.norm1.forward(residual(x, selfAttention(x)));
    x = this.norm2.forward(residual(x, crossAttention(x)));
    return this.norm3.forward(residual(x, feedForward(x)));
  }

  /** A new layer of the same options with a copy of this one's parameters (PyTorch's copy.deepcopy). */
  copy(): TransformerDecoderLayer {
    return copyParameters(this, new TransformerDecoderLayer(this.dModel, this.nhead, { ...this.config, gpu: this.gpu }));
  }
}

type StackOptions = { norm?: Module | null; enableNestedTensor?: boolean; enable_nested_tensor?: boolean; gpu?: Gpu };

/**
 * num_layers copies of a layer, run in turn, then an optional final norm: what TransformerEncoder and
 * TransformerDecoder share (the layer given is not itself used, as PyTorch's deepcopies).
 */
abstract class LayerStack<L extends Module & { copy(): Module }> extends Module {
  readonly layers: ModuleList<L>;
  readonly norm: Module | null;

  /** `nested`: the encoder's enable_nested_tensor, PyTorch's inference fast path for padded batches (the same values). */
  constructor(
    private readonly kind: string,
    argument: string,
    layerClass: { new (...args: never[]): L; readonly title: string },
    layer: L,
    numLayers: number,
    options: StackOptions,
    nested: boolean,
  ) {
    if (!(layer instanceof layerClass)) throw new Error(`${kind}: argument '${argument}' expected an nn.${layerClass.title}, got ${describeValue(layer)}`);
    super(options?.gpu ?? layer.gpu);
    const o = normalizeOptions(kind, options, ['norm', 'gpu', ...(nested ? ['enableNestedTensor'] : [])], nested ? { enable_nested_tensor: 'enableNestedTensor' } : {}) as { norm?: Module | null; enableNestedTensor?: boolean };
    expectFlag(kind, 'enableNestedTensor', o.enableNestedTensor);
    if (!Number.isInteger(numLayers) || numLayers < 1) throw new Error(`${kind}: argument 'num_layers' expected a positive integer, got ${show(numLayers)}`);
    if (o.norm != null && !(o.norm instanceof Module)) throw new Error(`${kind}: option 'norm' expected a Module (nn.LayerNorm(d_model)) or null, got ${describeValue(o.norm)}`);
    this.norm = o.norm ?? null;
    this.layers = new ModuleList<L>(Array.from({ length: numLayers }, () => layer.copy() as L), { gpu: this.gpu });
  }

  override namedChildren(): [string, AnyModule][] {
    return this.norm ? [['layers', this.layers], ['norm', this.norm]] : [['layers', this.layers]];
  }

  override describe(): string {
    return containerText(this.kind, this.namedChildren());
  }

  /** The layers' output through the final norm, if any. */
  protected normed(x: Tensor): Tensor {
    return this.norm ? this.norm.forward(x) : x;
  }
}

/**
 * torch.nn.TransformerEncoder(encoder_layer, num_layers, norm=None): num_layers copies of the layer
 * (each starting with its weights, as PyTorch's deepcopy), run in turn, then the optional norm.
 * Names as PyTorch's: layers.0.self_attn.in_proj_weight, norm.weight.
 */
export class TransformerEncoder extends LayerStack<TransformerEncoderLayer> {
  constructor(encoderLayer: TransformerEncoderLayer, numLayers: number, options: StackOptions = {}) {
    super('TransformerEncoder', 'encoder_layer', TransformerEncoderLayer, encoderLayer, numLayers, options, true);
  }

  /** PyTorch's forward(src, mask=None, src_key_padding_mask=None): the masks go to every layer. */
  forward(src: Tensor, options: { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; src_key_padding_mask?: Tensor | null } = {}): Tensor {
    const o = normalizeOptions('TransformerEncoder.forward', options, ['mask', 'srcKeyPaddingMask'], { src_key_padding_mask: 'srcKeyPaddingMask' }, { is_causal: false }) as { mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null };
    let x = src;
    for (const layer of this.layers) x = layer.forward(x, { srcMask: o.mask ?? null, srcKeyPaddingMask: o.srcKeyPaddingMask ?? null });
    return this.normed(x);
  }
}

/** torch.nn.TransformerDecoder(decoder_layer, num_layers, norm=None): as TransformerEncoder, each layer also attending to memory. */
export class TransformerDecoder extends LayerStack<TransformerDecoderLayer> {
  constructor(decoderLayer: TransformerDecoderLayer, numLayers: number, options: { norm?: Module | null; gpu?: Gpu } = {}) {
    super('TransformerDecoder', 'decoder_layer', TransformerDecoderLayer, decoderLayer, numLayers, options, false);
  }

  /** PyTorch's forward(tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask): the masks go to every layer. */
  forward(tgt: Tensor, memory: Tensor, options: DecoderMasks = {}): Tensor {
    const o = normalizeOptions('TransformerDecoder.forward', options, DECODER_MASKS, DECODER_MASK_ALIASES, { tgt_is_causal: false, memory_is_causal: false }) as Masks;
    let x = tgt;
    for (const layer of this.layers) x = layer.forward(x, memory, o);
    return this.normed(x);
  }
}

export interface TransformerOptions extends Omit<TransformerLayerOptions, 'gpu'> {
  numEncoderLayers?: number;
  num_encoder_layers?: number;
  numDecoderLayers?: number;
  num_decoder_layers?: number;
  gpu?: Gpu;
}

/**
 * torch.nn.Transformer(d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, ...the
 * layers' options), PyTorch 1.13's: an encoder and a decoder, each with a final LayerNorm, every
 * parameter of two or more dimensions xavier-uniform (its _reset_parameters).
 */
export class Transformer extends Module {
  readonly encoder: TransformerEncoder;
  readonly decoder: TransformerDecoder;
  readonly dModel: number;
  readonly nhead: number;
  readonly batchFirst: boolean;

  constructor(dModel = 512, nhead = 8, options: TransformerOptions = {}) {
    super(options?.gpu ?? currentGpu());
    const where = 'Transformer';
    const o = normalizeOptions(where, options, ['numEncoderLayers', 'numDecoderLayers', 'dimFeedforward', 'dropout', 'activation', 'layerNormEps', 'batchFirst', 'normFirst', 'gpu'], { ...LAYER_ALIASES, num_encoder_layers: 'numEncoderLayers', num_decoder_layers: 'numDecoderLayers' }, { custom_encoder: null, custom_decoder: null, device: null, dtype: null }) as TransformerOptions;
    const { numEncoderLayers = 6, numDecoderLayers = 6, ...layer } = o;
    const gpu = this.gpu;
    const norm = (): LayerNorm => new LayerNorm(dModel, { eps: o.layerNormEps ?? 1e-5, gpu });
    this.encoder = new TransformerEncoder(new TransformerEncoderLayer(dModel, nhead, { ...layer, gpu }), numEncoderLayers, { norm: norm() });
    this.decoder = new TransformerDecoder(new TransformerDecoderLayer(dModel, nhead, { ...layer, gpu }), numDecoderLayers, { norm: norm() });
    [this.dModel, this.nhead, this.batchFirst] = [dModel, nhead, o.batchFirst ?? false];
    for (const p of this.parameters()) if (p.shape.length > 1) xavierUniform_(p);
  }

  override describe(): string {
    return containerText('Transformer', this.namedChildren());
  }

  /** PyTorch's forward(src, tgt, src_mask, tgt_mask, memory_mask, src_key_padding_mask, tgt_key_padding_mask, memory_key_padding_mask). */
  forward(src: Tensor, tgt: Tensor, options: DecoderMasks & { srcMask?: Tensor | null; src_mask?: Tensor | null; srcKeyPaddingMask?: Tensor | null; src_key_padding_mask?: Tensor | null } = {}): Tensor {
    const where = 'Transformer.forward';
    const o = normalizeOptions(where, options, ['srcMask', 'srcKeyPaddingMask', ...DECODER_MASKS], { src_mask: 'srcMask', src_key_padding_mask: 'srcKeyPaddingMask', ...DECODER_MASK_ALIASES }) as Masks & { srcMask?: Tensor | null; srcKeyPaddingMask?: Tensor | null };
    expectSequence(where, 'src', src, this.dModel, this.batchFirst);
    expectSequence(where, 'tgt', tgt, this.dModel, this.batchFirst);
    const batch = this.batchFirst ? 0 : 1;
    if (src.shape.length !== tgt.shape.length) throw new Error(`${where}: src ${shapeText(src.shape)} and tgt ${shapeText(tgt.shape)} must both be batches (3-D) or both one sequence (2-D)`);
    if (src.shape.length === 3 && src.shape[batch] !== tgt.shape[batch]) throw new Error(`${where}: the batch number of src and tgt must be equal (src ${shapeText(src.shape)}, tgt ${shapeText(tgt.shape)}${this.batchFirst ? ', batch first' : ''})`);
    const memory = this.encoder.forward(src, { mask: o.srcMask ?? null, srcKeyPaddingMask: o.srcKeyPaddingMask ?? null });
    return this.decoder.forward(tgt, memory, { tgtMask: o.tgtMask ?? null, memoryMask: o.memoryMask ?? null, tgtKeyPaddingMask: o.tgtKeyPaddingMask ?? null, memoryKeyPaddingMask: o.memoryKeyPaddingMask ?? null });
  }

  /** PyTorch's Transformer.generate_square_subsequent_mask(sz): −∞ above the diagonal, 0 elsewhere (position i sees 0 … i). */
  static generateSquareSubsequentMask(size: number, options: { gpu?: Gpu } = {}): Tensor {
    if (!Number.isInteger(size) || size < 1) throw new Error(`Transformer.generateSquareSubsequentMask: argument 'sz' expected a positive integer, got ${show(size)}`);
    const gpu = normalizeOptions('Transformer.generateSquareSubsequentMask', options, ['gpu']).gpu as Gpu | undefined;
    return Tensor.fromArray(gpu ?? currentGpu(), Float32Array.from({ length: size * size }, (_, i) => (i % size > Math.floor(i / size) ? -Infinity : 0)), [size, size], 'f32', 'square subsequent mask');
  }
}

// ── RNN, LSTM, GRU and their cells: composed of F ops (src/recurrent.ts) ────────────────────────

type RecurrentOptions = {
  numLayers?: number;
  num_layers?: number;
  bias?: boolean;
  batchFirst?: boolean;
  batch_first?: boolean;
  dropout?: number;
  bidirectional?: boolean;
  gpu?: Gpu;
};
type RnnOptions = RecurrentOptions & { nonlinearity?: 'tanh' | 'relu' };
type LstmOptions = RecurrentOptions & { projSize?: number; proj_size?: number };

/** A positive integer argument, or an Error naming it. */
function expectSize(where: string, name: string, v: unknown): number {
  if (!Number.isInteger(v) || (v as number) < 1) throw new Error(`${where}: argument '${name}' expected a positive integer, got ${show(v)}`);
  return v as number;
}

/** nn.RNN's nonlinearity, 'tanh' or 'relu', or PyTorch's Error. */
function recurrentMode(where: string, nonlinearity: unknown): recurrent.RecurrentMode {
  if (nonlinearity === undefined || nonlinearity === 'tanh') return 'RNN_TANH';
  if (nonlinearity === 'relu') return 'RNN_RELU';
  throw new Error(`${where}: Unknown nonlinearity ${show(nonlinearity)}. Select from 'tanh' or 'relu'.`);
}

/**
 * nn.RNN, nn.LSTM and nn.GRU as PyTorch 1.13's RNNBase: parameters weight_ih_l{k}, weight_hh_l{k},
 * bias_ih_l{k}, bias_hh_l{k} (and weight_hr_l{k} for an LSTM's proj_size; '_reverse' for the second
 * direction), in PyTorch's order and shapes, all U(−1/√hidden_size, 1/√hidden_size), so a PyTorch
 * state dict loads as is. num_layers as PyTorch's third argument or an option.
 */
abstract class RecurrentLayers<Output> extends Module<Output> {
  readonly numLayers: number;
  readonly bias: boolean;
  readonly batchFirst: boolean;
  /** The probability of dropping each output of every layer but the last, while training. */
  readonly dropout: number;
  readonly bidirectional: boolean;
  readonly projSize: number;
  /** Threefry key word 0 for the dropout masks; word 1 counts the masks drawn (as nn.Dropout's). */
  readonly seed: number;
  private step = 0;
  /** Each layer's and direction's parameters, layer · directions + direction. */
  private readonly cells: recurrent.CellWeights[] = [];

  constructor(
    protected readonly kind: string,
    readonly mode: recurrent.RecurrentMode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    o: RecurrentOptions & { projSize?: number },
  ) {
    super(o.gpu ?? currentGpu());
    expectSize(kind, 'input_size', inputSize);
    expectSize(kind, 'hidden_size', hiddenSize);
    this.numLayers = expectSize(kind, 'num_layers', o.numLayers ?? 1);
    for (const flag of ['bias', 'batchFirst', 'bidirectional'] as const) expectFlag(kind, flag, o[flag]);
    if (o.dropout !== undefined && (typeof o.dropout !== 'number' || !(o.dropout >= 0 && o.dropout <= 1))) throw new Error(`${kind}: dropout should be a number in range [0, 1] representing the probability of an element being zeroed, got ${show(o.dropout)}`);
    const projSize = o.projSize ?? 0;
    if (!Number.isInteger(projSize) || projSize < 0) throw new Error(`${kind}: proj_size should be a positive integer or zero to disable projections, got ${show(projSize)}`);
    if (projSize >= hiddenSize) throw new Error(`${kind}: proj_size has to be smaller than hidden_size (${projSize} ≥ ${hiddenSize})`);
    [this.bias, this.batchFirst, this.bidirectional, this.dropout, this.projSize] = [o.bias ?? true, o.batchFirst ?? false, o.bidirectional ?? false, o.dropout ?? 0, projSize];
    if (this.dropout > 0 && this.numLayers === 1) console.warn(`${kind}: dropout option adds dropout after all but last recurrent layer, so non-zero dropout expects num_layers greater than 1, but got dropout=${this.dropout} and num_layers=1 (as PyTorch warns)`);
    this.seed = F.nextDropoutSeed();
    const gates = recurrent.GATES[mode];
    const outputSize = projSize || hiddenSize;
    const bound = 1 / Math.sqrt(hiddenSize);
    for (let layer = 0; layer < this.numLayers; layer++) {
      for (const suffix of this.bidirectional ? ['', '_reverse'] : ['']) {
        const parameter = (name: string, shape: number[]) => {
          const p = allocateParameter(this.gpu, shape, `${kind}.${name}_l${layer}${suffix}`);
          uniform_(p, -bound, bound);
          // A field of PyTorch's name, so parameters() and the state dict see it, in PyTorch's order.
          Object.defineProperty(this, `${name}_l${layer}${suffix}`, { value: p, enumerable: true });
          return p;
        };
        const weightIh = parameter('weight_ih', [gates * hiddenSize, layer === 0 ? inputSize : outputSize * (this.bidirectional ? 2 : 1)]);
        const weightHh = parameter('weight_hh', [gates * hiddenSize, outputSize]);
        const biasIh = this.bias ? parameter('bias_ih', [gates * hiddenSize]) : null;
        const biasHh = this.bias ? parameter('bias_hh', [gates * hiddenSize]) : null;
        const weightHr = projSize ? parameter('weight_hr', [projSize, hiddenSize]) : null;
        this.cells.push({ weightIh, weightHh, biasIh, biasHh, weightHr });
      }
    }
  }

  /** PyTorch's all_weights: each layer's and direction's parameters, in the state dict's order. */
  get allWeights(): Parameter[][] {
    return this.cells.map((w) => [w.weightIh, w.weightHh, w.biasIh, w.biasHh, w.weightHr].filter((p): p is Parameter => p !== null));
  }

  override describe(): string {
    let s = `${this.kind}(${this.inputSize}, ${this.hiddenSize}`;
    if (this.projSize) s += `, proj_size=${this.projSize}`;
    if (this.numLayers !== 1) s += `, num_layers=${this.numLayers}`;
    if (!this.bias) s += ', bias=False';
    if (this.batchFirst) s += ', batch_first=True';
    if (this.dropout) s += `, dropout=${pythonFloat(this.dropout)}`;
    if (this.bidirectional) s += ', bidirectional=True';
    return `${s})`;
  }

  private get shape(): recurrent.RecurrentShape {
    return { kind: this.kind, mode: this.mode, inputSize: this.inputSize, hiddenSize: this.hiddenSize, outputSize: this.projSize || this.hiddenSize, numLayers: this.numLayers, bidirectional: this.bidirectional, batchFirst: this.batchFirst };
  }

  /** The output's shape, [L, N, D · H_out] in the input's layout. */
  override outputShape(input: readonly number[]): readonly number[] {
    if ((input.length !== 2 && input.length !== 3) || input.at(-1) !== this.inputSize) throw new Error(`${this.describe()}: input expected shape [L, N, ${this.inputSize}]${this.batchFirst ? ' (batch_first: [N, L, …])' : ''} or one sequence [L, ${this.inputSize}], got ${shapeText(input)}`);
    return [...input.slice(0, -1), (this.projSize || this.hiddenSize) * (this.bidirectional ? 2 : 1)];
  }

  /**
   * The whole forward; its output is kept until a later forward finds it off the graph (the states
   * with it). A PackedSequence (nn.utils.rnn) comes back as one, in its own layout.
   */
  protected run(input: Tensor | PackedSequence, h0: Tensor | null, c0: Tensor | null): { output: Tensor | PackedSequence; h: Tensor; c: Tensor | null } {
    const packed = input instanceof PackedSequence ? input : null;
    const shape = packed ? { ...this.shape, batchFirst: packed.batchFirst } : this.shape;
    const result = recurrent.run(shape, packed ? packed.padded : (input as Tensor), h0, c0, this.cells, { dropout: this.dropout, training: this.training, dropoutSeed: this.seed, dropoutStep: this.step }, packed?.lengths ?? null);
    if (this.training && this.dropout > 0) this.step += this.numLayers;
    this.keepComposed(result.output, result.c ? [result.h, result.c] : [result.h]);
    return { ...result, output: packed ? new PackedSequence(result.output, packed.lengths, packed.batchFirst) : result.output };
  }
}

/** An initial state argument: a Tensor or null (zeros), or an Error naming what came. */
function expectState(where: string, hx: unknown, lstm: boolean): void {
  if (lstm && hx !== null && !(Array.isArray(hx) && hx.length === 2 && hx.every((t) => t instanceof Tensor))) throw new Error(`${where}: hx expected [h_0, c_0], two tensors (PyTorch's tuple (h_0, c_0)), or null for zeros, got ${hx instanceof Tensor ? `one Tensor ${shapeText(hx.shape)}` : Array.isArray(hx) ? `[${hx.map((t) => (t instanceof Tensor ? shapeText(t.shape) : show(t))).join(', ')}]` : show(hx)}`);
  if (!lstm && hx !== null && !(hx instanceof Tensor)) throw new Error(`${where}: hx expected a Tensor (h_0) or null for zeros, got ${Array.isArray(hx) ? 'an array (only an LSTM takes [h_0, c_0])' : show(hx)}`);
}

/**
 * torch.nn.RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
 * batch_first=False, dropout=0, bidirectional=False): h_t = tanh(x_t W_ihᵀ + b_ih + h_{t−1} W_hhᵀ + b_hh).
 * PyTorch's `output, h_n = rnn(x, h_0)` is `const [output, hN] = rnn.forward(x, h0)`.
 */
export class RNN extends RecurrentLayers<[Tensor, Tensor]> {
  readonly nonlinearity: 'tanh' | 'relu';

  constructor(inputSize: number, hiddenSize: number, numLayersOrOptions: number | RnnOptions = {}, options: RnnOptions = {}) {
    const o = recurrentOptions('RNN', numLayersOrOptions, options, ['nonlinearity']) as RnnOptions;
    super('RNN', recurrentMode('RNN', o.nonlinearity), inputSize, hiddenSize, o);
    this.nonlinearity = o.nonlinearity ?? 'tanh';
  }

  /** input [L, N, input_size] ([N, L, …] batch first, or one sequence [L, …]; or a PackedSequence), h0 [num_layers · D, N, H] or null → [output, h_n]. */
  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  forward(input: Tensor | PackedSequence, hx: Tensor | null = null): [Tensor | PackedSequence, Tensor] {
    expectState('RNN', hx, false);
    const { output, h } = this.run(input, hx, null);
    return [output, h];
  }
}

/**
 * torch.nn.LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0,
 * bidirectional=False, proj_size=0). PyTorch's `output, (h_n, c_n) = lstm(x, (h_0, c_0))` is
 * `const [output, [hN, cN]] = lstm.forward(x, [h0, c0])`.
 */
export class LSTM extends RecurrentLayers<[Tensor, [Tensor, Tensor]]> {
  constructor(inputSize: number, hiddenSize: number, numLayersOrOptions: number | LstmOptions = {}, options: LstmOptions = {}) {
    super('LSTM', 'LSTM', inputSize, hiddenSize, recurrentOptions('LSTM', numLayersOrOptions, options, ['projSize'], { proj_size: 'projSize' }));
  }

  /** input as nn.RNN's; hx [h0, c0] (c0 [num_layers · D, N, hidden_size], h0 proj_size wide with one) or null → [output, [h_n, c_n]]. */
  forward(input: Tensor, hx?: readonly [Tensor, Tensor] | null): [Tensor, [Tensor, Tensor]];
  forward(input: PackedSequence, hx?: readonly [Tensor, Tensor] | null): [PackedSequence, [Tensor, Tensor]];
  forward(input: Tensor | PackedSequence, hx: readonly [Tensor, Tensor] | null = null): [Tensor | PackedSequence, [Tensor, Tensor]] {
    expectState('LSTM', hx, true);
    const { output, h, c } = this.run(input, hx?.[0] ?? null, hx?.[1] ?? null);
    return [output, [h, c!]];
  }
}

/**
 * torch.nn.GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0,
 * bidirectional=False). PyTorch's `output, h_n = gru(x, h_0)` is `const [output, hN] = gru.forward(x, h0)`.
 */
export class GRU extends RecurrentLayers<[Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, numLayersOrOptions: number | RecurrentOptions = {}, options: RecurrentOptions = {}) {
    super('GRU', 'GRU', inputSize, hiddenSize, recurrentOptions('GRU', numLayersOrOptions, options));
  }

  forward(input: Tensor, hx?: Tensor | null): [Tensor, Tensor];
  forward(input: PackedSequence, hx?: Tensor | null): [PackedSequence, Tensor];
  forward(input: Tensor | PackedSequence, hx: Tensor | null = null): [Tensor | PackedSequence, Tensor] {
    expectState('GRU', hx, false);
    const { output, h } = this.run(input, hx, null);
    return [output, h];
  }
}

/** The options of a recurrent module, num_layers given as PyTorch's third positional argument or among them. */
function recurrentOptions(kind: string, numLayersOrOptions: number | RecurrentOptions, options: RecurrentOptions, more: string[] = [], aliases: Record<string, string> = {}): RecurrentOptions {
  const positional = typeof numLayersOrOptions === 'number' ? { numLayers: numLayersOrOptions } : {};
  const given = typeof numLayersOrOptions === 'number' ? options : numLayersOrOptions;
  if (!more.includes('projSize') && given && typeof given === 'object' && ('proj_size' in given || 'projSize' in given)) throw new Error(`${kind}: proj_size argument is only supported for LSTM, not RNN or GRU`);
  const o = normalizeOptions(kind, given ?? {}, ['numLayers', 'bias', 'batchFirst', 'dropout', 'bidirectional', 'gpu', ...more], { num_layers: 'numLayers', batch_first: 'batchFirst', ...aliases }, { device: null, dtype: null });
  if ('numLayers' in positional && 'numLayers' in o) throw new Error(`${kind}: num_layers given twice, as the third argument and as an option`);
  return { ...o, ...positional } as RecurrentOptions;
}

/** nn.RNNCell, nn.LSTMCell, nn.GRUCell: weight_ih [gates · H, I], weight_hh [gates · H, H], bias_ih, bias_hh, U(−1/√H, 1/√H). */
abstract class RecurrentCell<Output> extends Module<Output> {
  readonly weight_ih: Parameter;
  readonly weight_hh: Parameter;
  readonly bias_ih: Parameter | null;
  readonly bias_hh: Parameter | null;

  constructor(
    protected readonly kind: string,
    readonly mode: recurrent.RecurrentMode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    bias: unknown,
    gpu: Gpu | undefined,
  ) {
    super(gpu ?? currentGpu());
    expectSize(kind, 'input_size', inputSize);
    expectSize(kind, 'hidden_size', hiddenSize);
    expectFlag(kind, 'bias', bias);
    const gates = recurrent.GATES[mode];
    const bound = 1 / Math.sqrt(hiddenSize);
    const parameter = (name: string, shape: number[]) => uniform_(allocateParameter(this.gpu, shape, `${kind}.${name}`), -bound, bound) as Parameter;
    this.weight_ih = parameter('weight_ih', [gates * hiddenSize, inputSize]);
    this.weight_hh = parameter('weight_hh', [gates * hiddenSize, hiddenSize]);
    this.bias_ih = bias === false ? null : parameter('bias_ih', [gates * hiddenSize]);
    this.bias_hh = bias === false ? null : parameter('bias_hh', [gates * hiddenSize]);
  }

  override describe(): string {
    return `${this.kind}(${this.inputSize}, ${this.hiddenSize}${this.bias_ih ? '' : ', bias=False'}${this.mode === 'RNN_RELU' ? ', nonlinearity=relu' : ''})`;
  }

  override outputShape(input: readonly number[]): readonly number[] {
    if ((input.length !== 1 && input.length !== 2) || input.at(-1) !== this.inputSize) throw new Error(`${this.describe()}: input expected shape [N, ${this.inputSize}] or one sample [${this.inputSize}], got ${shapeText(input)}`);
    return [...input.slice(0, -1), this.hiddenSize];
  }

  /** One step; h' is kept until a later forward finds it off the graph (c' with it). */
  protected cell(input: Tensor, hx: Tensor | null, cx: Tensor | null): recurrent.State {
    const weights = { weightIh: this.weight_ih, weightHh: this.weight_hh, biasIh: this.bias_ih, biasHh: this.bias_hh, weightHr: null };
    const next = recurrent.cell(this.kind, this.mode, this.inputSize, this.hiddenSize, input, hx, cx, weights);
    this.keepComposed(next.h, next.c ? [next.c] : []);
    return next;
  }
}

/** torch.nn.RNNCell(input_size, hidden_size, bias=True, nonlinearity='tanh'): h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh). */
export class RNNCell extends RecurrentCell<Tensor> {
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean; nonlinearity?: 'tanh' | 'relu'; gpu?: Gpu } = {}) {
    const o = normalizeOptions('RNNCell', options, ['bias', 'nonlinearity', 'gpu'], {}, { device: null, dtype: null }) as { bias?: boolean; nonlinearity?: string; gpu?: Gpu };
    super('RNNCell', recurrentMode('RNNCell', o.nonlinearity), inputSize, hiddenSize, o.bias, o.gpu);
  }

  /** input [N, input_size] or [input_size], hx [N, hidden_size] or [hidden_size] (null: zeros) → h'. */
  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    expectState('RNNCell', hx, false);
    return this.cell(input, hx, null).h;
  }
}

/** torch.nn.LSTMCell(input_size, hidden_size, bias=True): PyTorch's `h, c = cell(x, (h, c))` is `const [h, c] = cell.forward(x, [h, c])`. */
export class LSTMCell extends RecurrentCell<[Tensor, Tensor]> {
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean; gpu?: Gpu } = {}) {
    const o = normalizeOptions('LSTMCell', options, ['bias', 'gpu'], {}, { device: null, dtype: null }) as { bias?: boolean; gpu?: Gpu };
    super('LSTMCell', 'LSTM', inputSize, hiddenSize, o.bias, o.gpu);
  }

  forward(input: Tensor, hx: readonly [Tensor, Tensor] | null = null): [Tensor, Tensor] {
    expectState('LSTMCell', hx, true);
    const { h, c } = this.cell(input, hx?.[0] ?? null, hx?.[1] ?? null);
    return [h, c!];
  }
}

/** torch.nn.GRUCell(input_size, hidden_size, bias=True). */
export class GRUCell extends RecurrentCell<Tensor> {
  constructor(inputSize: number, hiddenSize: number, options: { bias?: boolean; gpu?: Gpu } = {}) {
    const o = normalizeOptions('GRUCell', options, ['bias', 'gpu'], {}, { device: null, dtype: null }) as { bias?: boolean; gpu?: Gpu };
    super('GRUCell', 'GRU', inputSize, hiddenSize, o.bias, o.gpu);
  }

  forward(input: Tensor, hx: Tensor | null = null): Tensor {
    expectState('GRUCell', hx, false);
    return this.cell(input, hx, null).h;
  }
}

// ── BatchNorm ────────────────────────────────────────────────────────────────────────────────────

export interface BatchNormOptions {
  eps?: number;
  /** null: the cumulative average of every batch so far (PyTorch's momentum=None). */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
  /** PyTorch's spelling, accepted as pasted. */
  track_running_stats?: boolean;
  gpu?: Gpu;
}

abstract class BatchNorm extends Module {
  readonly eps: number;
  readonly momentum: number | null;
  readonly affine: boolean;
  readonly trackRunningStats: boolean;
  readonly weight: Parameter | null;
  readonly bias: Parameter | null;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;
  readonly numBatchesTracked = new Counter();
  /** γ = 1 and β = 0 for the kernel when affine is false; scratch gradients for them. */
  private readonly fixed: { gamma: Tensor; beta: Tensor; dgamma: Tensor; dbeta: Tensor } | null;

  constructor(
    readonly numFeatures: number,
    options: BatchNormOptions,
    private readonly ranks: readonly number[],
  ) {
    super(options?.gpu ?? currentGpu());
    const name = this.constructor.name;
    const o = normalizeOptions(name, options, ['eps', 'momentum', 'affine', 'trackRunningStats', 'gpu'], { track_running_stats: 'trackRunningStats' }) as BatchNormOptions;
    const { eps = 1e-5, momentum = 0.1, affine = true, trackRunningStats = true } = o;
    expectFlag(name, 'affine', affine);
    expectFlag(name, 'trackRunningStats', trackRunningStats);
    if (!Number.isInteger(numFeatures) || numFeatures <= 0) throw new Error(`${name}: argument 'numFeatures' expected a positive integer, got ${numFeatures}`);
    if (typeof eps !== 'number' || !(eps > 0)) throw new Error(`${name}: argument 'eps' expected a number > 0, got ${eps}`);
    if (momentum !== null && (typeof momentum !== 'number' || !(momentum >= 0 && momentum <= 1))) throw new Error(`${name}: argument 'momentum' expected a number in [0, 1] or null, got ${momentum}`);
    this.eps = eps;
    this.momentum = momentum;
    this.affine = affine;
    this.trackRunningStats = trackRunningStats;
    const C = [numFeatures];
    const constant = (label: string, value: number) => this.own(channelConstant(this.gpu, numFeatures, `${name}.${label}`, value));
    this.weight = affine ? allocateParameter(this.gpu, C, `${name}.weight`) : null;
    this.bias = affine ? allocateParameter(this.gpu, C, `${name}.bias`) : null;
    if (this.weight && this.bias) {
      fillConstant(this.weight, 1);
      fillConstant(this.bias, 0);
    }
    this.fixed = affine ? null : { gamma: constant('gamma', 1), beta: constant('beta', 0), dgamma: constant('dgamma', 0), dbeta: constant('dbeta', 0) };
    this.runningMean = constant('running_mean', 0);
    this.runningVar = constant('running_var', 1);
  }

  override describe(): string {
    return `${this.constructor.name}(${this.numFeatures}, eps=${pythonFloat(this.eps)}, momentum=${this.momentum === null ? 'None' : pythonFloat(this.momentum)}, affine=${this.affine ? 'True' : 'False'}, track_running_stats=${this.trackRunningStats ? 'True' : 'False'})`;
  }

  protected override ownBuffers(): [string, Tensor | Counter][] {
    return this.trackRunningStats ? [['running_mean', this.runningMean], ['running_var', this.runningVar], ['num_batches_tracked', this.numBatchesTracked]] : [];
  }

  override outputShape(input: readonly number[]): readonly number[] {
    const C = this.numFeatures;
    if (!this.ranks.includes(input.length) || input[1] !== C) {
      const expected = this.ranks.includes(5) ? `[N, ${C}, D, H, W]` : this.ranks.includes(4) ? `[N, ${C}, H, W]` : `[N, ${C}] or [N, ${C}, L]`;
      throw new Error(`${this.describe()}: input expected shape ${expected}, got ${shapeText(input)}`);
    }
    return input;
  }

  forward(x: Tensor): Tensor {
    this.outputShape(x.shape);
    const C = this.numFeatures;
    // Without running statistics, PyTorch normalises with the batch's statistics in eval mode too.
    const useBatchStats = this.training || !this.trackRunningStats;
    const updateRunning = this.training && this.trackRunningStats;
    // momentum null averages every batch so far: this is batch n + 1, weighted 1/(n + 1) (float64).
    const momentum = this.momentum ?? (updateRunning ? 1 / (this.numBatchesTracked.value + 1) : 0);
    const buffer = this.buffers();
    const args: BatchNormArgs = {
      gamma: this.weight ?? this.fixed!.gamma,
      beta: this.bias ?? this.fixed!.beta,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      mean: buffer('mean', [C]),
      invstd: buffer('invstd', [C]),
      eps: this.eps,
      momentum,
      training: useBatchStats,
      trackRunningStats: updateRunning,
    };
    const affine = this.weight && this.bias ? { weight: this.weight, bias: this.bias } : null;
    // What the backward writes that no gradient receives: dx for an input without grad, dγ and dβ
    // without affine or for a frozen weight or bias.
    const frozen = (p: Parameter | null) => p !== null && !p.requiresGrad;
    const scratch = needsGrad([x, ...(affine ? [affine.weight, affine.bias] : [])])
      ? {
          sums: buffer('sums', [2 * C]),
          ...(x.requiresGrad ? {} : { dx: buffer('dx', x.shape) }),
          ...(this.fixed ? { dgamma: this.fixed.dgamma, dbeta: this.fixed.dbeta } : {}),
          ...(frozen(this.weight) ? { dgamma: buffer('dgamma', [C]) } : {}),
          ...(frozen(this.bias) ? { dbeta: buffer('dbeta', [C]) } : {}),
        }
      : null;
    const y = F.batchNorm(x, args, { out: buffer('out', x.shape), affine, scratch, name: this.describe() });
    if (updateRunning) this.numBatchesTracked.value++;
    return y;
  }
}

/** Batch normalisation over [N, C] or [N, C, L]. */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options, [2, 3]);
  }
}

/** Batch normalisation over NCHW [N, C, H, W]. */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options, [4]);
  }
}

/** Batch normalisation over NCDHW [N, C, D, H, W]: batchnorm.wgsl over each channel's N·D·H·W values (it takes any [N, C, …]). */
export class BatchNorm3d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, options, [5]);
  }
}

// ── ZeroPad2d, ConstantPad1d/2d, ReflectionPad1d/2d, ReplicationPad1d/2d: F.pad ───────────────────

/** PyTorch's padding tuple for a module over `dims` dimensions: one size for every side, or 2·dims of them. */
function paddingTuple(where: string, padding: unknown, dims: 1 | 2): number[] {
  if (Number.isInteger(padding) && (padding as number) >= 0) return Array<number>(2 * dims).fill(padding as number);
  if (Array.isArray(padding) && padding.length === 2 * dims && padding.every((p) => Number.isInteger(p))) return [...padding];
  throw new Error(`${where}: argument 'padding' expected a size ≥ 0 or ${2 * dims} of them (${dims === 1 ? 'left, right' : 'left, right, top, bottom'}), got ${show(padding)}`);
}

/** A padding module: F.pad over the last one or two dimensions, its output kept as composed ones are. */
abstract class Padding extends Module {
  readonly padding: number[];

  constructor(
    protected readonly kind: string,
    readonly mode: F.PadMode,
    readonly dims: 1 | 2,
    padding: number | readonly number[],
    readonly value: number,
    options: { gpu?: Gpu },
  ) {
    super(options?.gpu ?? currentGpu());
    normalizeOptions(new.target.name, options, ['gpu']);
    this.padding = paddingTuple(kind, padding, dims);
    if (mode !== 'constant' && this.padding.some((p) => p < 0)) throw new Error(`${kind}: argument 'padding' expected sizes ≥ 0, got ${show(padding)}`);
    if (typeof value !== 'number' || Number.isNaN(value)) throw new Error(`${kind}: argument 'value' expected a number, got ${show(value)}`);
  }

  override describe(): string {
    const tuple = `(${this.padding.join(', ')})`;
    return this.mode === 'constant' && this.kind !== 'ZeroPad2d' ? `${this.kind}(padding=${tuple}, value=${this.value})` : `${this.kind}(${tuple})`;
  }

  /** Reflection and replication pad [C, *] or [N, C, *] (PyTorch's limit); constant padding any input with the dimensions. */
  private expectRank(input: readonly number[]): void {
    const ranks = [this.dims + 1, this.dims + 2];
    if (this.mode !== 'constant' && !ranks.includes(input.length)) throw new Error(`${this.describe()}: expected ${ranks[0]}D or ${ranks[1]}D input (${this.dims === 1 ? '[C, W] or [N, C, W]' : '[C, H, W] or [N, C, H, W]'}), got ${shapeText(input)}`);
    if (input.length < this.dims) throw new Error(`${this.describe()}: expected at least ${this.dims} dimensions, got ${shapeText(input)}`);
  }

  override outputShape(input: readonly number[]): readonly number[] {
    this.expectRank(input);
    const shape = [...input];
    for (let k = 0; k < this.dims; k++) shape[shape.length - 1 - k]! += this.padding[2 * k]! + this.padding[2 * k + 1]!;
    return shape;
  }

  forward(x: Tensor): Tensor {
    this.expectRank(x.shape);
    return this.keepComposed(F.pad(x, this.padding, this.mode, this.mode === 'constant' ? this.value : null));
  }
}

/** torch.nn.ZeroPad2d(padding): zeros around the last two dimensions (padding: one size, or left, right, top, bottom). */
export class ZeroPad2d extends Padding {
  constructor(padding: number | readonly number[], options: { gpu?: Gpu } = {}) {
    super('ZeroPad2d', 'constant', 2, padding, 0, options);
  }
}

/** torch.nn.ConstantPad1d(padding, value). */
export class ConstantPad1d extends Padding {
  constructor(padding: number | readonly number[], value: number, options: { gpu?: Gpu } = {}) {
    super('ConstantPad1d', 'constant', 1, padding, value, options);
  }
}

/** torch.nn.ConstantPad2d(padding, value). */
export class ConstantPad2d extends Padding {
  constructor(padding: number | readonly number[], value: number, options: { gpu?: Gpu } = {}) {
    super('ConstantPad2d', 'constant', 2, padding, value, options);
  }
}

/** torch.nn.ReflectionPad1d(padding): x mirrored about its edges, over [C, W] or [N, C, W]. */
export class ReflectionPad1d extends Padding {
  constructor(padding: number | readonly number[], options: { gpu?: Gpu } = {}) {
    super('ReflectionPad1d', 'reflect', 1, padding, 0, options);
  }
}

/** torch.nn.ReflectionPad2d(padding), over [C, H, W] or [N, C, H, W]. */
export class ReflectionPad2d extends Padding {
  constructor(padding: number | readonly number[], options: { gpu?: Gpu } = {}) {
    super('ReflectionPad2d', 'reflect', 2, padding, 0, options);
  }
}

/** torch.nn.ReplicationPad1d(padding): the edge repeated. */
export class ReplicationPad1d extends Padding {
  constructor(padding: number | readonly number[], options: { gpu?: Gpu } = {}) {
    super('ReplicationPad1d', 'replicate', 1, padding, 0, options);
  }
}

/** torch.nn.ReplicationPad2d(padding). */
export class ReplicationPad2d extends Padding {
  constructor(padding: number | readonly number[], options: { gpu?: Gpu } = {}) {
    super('ReplicationPad2d', 'replicate', 2, padding, 0, options);
  }
}

// ── Conv2d, pooling, Flatten ─────────────────────────────────────────────────────────────────────

/** A convolution's padding_mode: zeros in its kernel, or F.pad's other modes before it. */
export type PaddingMode = 'zeros' | 'reflect' | 'replicate' | 'circular';

function expectPaddingMode(where: string, mode: unknown): PaddingMode {
  if (mode === undefined) return 'zeros';
  if (mode === 'zeros' || mode === 'reflect' || mode === 'replicate' || mode === 'circular') return mode;
  throw new Error(`${where}: padding_mode must be one of ['zeros', 'reflect', 'replicate', 'circular'], but got padding_mode=${show(mode)}`);
}

/**
 * PyTorch's unbatched input to a layer of batched rank `rank` ([C, H, W] to a 2-D layer's 4, [C, D, H,
 * W] to a 3-D layer's 5): a batch of one through `forward`, the output without that dimension
 * (F.reshape views: no copy, gradients in place); null for any other rank.
 */
function unbatched(x: Tensor, rank: number, forward: (batched: Tensor) => Tensor): Tensor | null {
  if (!(x instanceof Tensor) || x.shape.length !== rank - 1) return null;
  const y = forward(F.reshape(x, [1, ...x.shape]));
  return F.reshape(y, y.shape.slice(1));
}

/** A layer's output shape for a batch of batched rank `rank` or one unbatched input. */
function unbatchedShape(input: readonly number[], rank: number, batched: (input: readonly number[]) => readonly number[]): readonly number[] {
  return input.length === rank - 1 ? batched([1, ...input]).slice(1) : batched(input);
}

/** F.pad for a convolution's padding_mode, its errors naming the convolution and the mode. */
function padFor(where: string, x: Tensor, padding: number[], mode: PaddingMode): Tensor {
  try {
    return F.pad(x, padding, mode as F.PadMode);
  } catch (error) {
    throw new Error(`${where}: padding_mode='${mode}' on input ${shapeText(x.shape)}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

const pairText = (v: convOps.Pair) => (typeof v === 'number' ? `(${v}, ${v})` : `(${v[0]}, ${v[1]})`);
const isOne = (v: convOps.Pair, n: number) => (typeof v === 'number' ? v === n : v[0] === n && v[1] === n);

export interface Conv2dOptions {
  stride?: convOps.Pair;
  /** A size or pair, or PyTorch's 'valid' (0) or 'same' (stride 1; the output keeps the input's size). */
  padding?: convOps.Pair | 'same' | 'valid';
  dilation?: convOps.Pair;
  groups?: number;
  bias?: boolean;
  /** What the padding holds: zeros (PyTorch's default), or x reflected, replicated or wrapped around (F.pad first). */
  paddingMode?: PaddingMode;
  padding_mode?: PaddingMode;
  gpu?: Gpu;
}

/** A convolution's channels and groups, or an Error naming `where` (PyTorch's divisibility rules). */
function expectConvChannels(where: string, inChannels: number, outChannels: number, groups: number): void {
  for (const [name, v] of [['inChannels', inChannels], ['outChannels', outChannels], ['groups', groups]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new Error(`${where}: argument '${name}' expected a positive integer, got ${show(v)}`);
  }
  if (inChannels % groups !== 0) throw new Error(`${where}: in_channels (${inChannels}) must be divisible by groups (${groups})`);
  if (outChannels % groups !== 0) throw new Error(`${where}: out_channels (${outChannels}) must be divisible by groups (${groups})`);
}

/**
 * A convolution's weight [out, in / groups, …kernel] and bias [out] (expectConvChannels first),
 * initialised as PyTorch's ConvNd.reset_parameters: kaiming_uniform_(a = √5), which is
 * U(±1/√fan_in) with fan_in = in / groups · ∏ kernel, and the bias U(±1/√fan_in).
 */
function convParameters(module: AnyModule, where: string, inChannels: number, outChannels: number, groups: number, kernel: readonly number[], withBias: boolean): { weight: Parameter; bias: Parameter | null } {
  const weight = allocateParameter(module.gpu, [outChannels, inChannels / groups, ...kernel], `${where}.weight`);
  const bias = withBias ? allocateParameter(module.gpu, [outChannels], `${where}.bias`) : null;
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  const fanIn = (inChannels / groups) * kernel.reduce((a, b) => a * b, 1);
  if (bias) uniform_(bias, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
  return { weight, bias };
}

/**
 * Conv2d and Conv3d: PyTorch's unbatched input as a batch of one, the output in the module's buffer,
 * the kernel, its backward rule recorded. A padding_mode other than zeros is F.pad's padding first
 * (kept until a later forward), then none in the kernel.
 */
abstract class ConvLayer extends Module {
  abstract readonly weight: Parameter;
  abstract readonly bias: Parameter | null;
  /** Per spatial axis, first to last. */
  abstract readonly padding: readonly number[];
  abstract readonly dilation: readonly number[];
  abstract readonly groups: number;
  abstract readonly paddingMode: PaddingMode;
  /** padding='same' or 'valid' as given (the printout shows it as PyTorch does); null for sizes. */
  protected abstract readonly paddingName: 'same' | 'valid' | null;

  constructor(
    gpu: Gpu,
    private readonly rank: number,
  ) {
    super(gpu);
  }

  /** Runs the kernel from x into y, with the module's padding (`padInKernel`) or none (x padded already); returns the backward rule. */
  protected abstract convolve(x: Tensor, y: Tensor, padInKernel: boolean, where: string): BackwardRule;

  /** PyTorch's printout after kernel_size and stride: padding (or its name), dilation, groups, bias and padding_mode where not the defaults. */
  protected printoutTail(sizes: (v: readonly number[]) => string): string {
    const extra = [this.paddingName ? `padding=${this.paddingName}` : this.padding.some((p) => p !== 0) && `padding=${sizes(this.padding)}`, this.dilation.some((d) => d !== 1) && `dilation=${sizes(this.dilation)}`, this.groups !== 1 && `groups=${this.groups}`, !this.bias && 'bias=False', this.paddingMode !== 'zeros' && `padding_mode=${this.paddingMode}`].filter(Boolean);
    return extra.map((e) => `, ${e}`).join('');
  }

  forward(input: Tensor): Tensor {
    const one = unbatched(input, this.rank, (batched) => this.forward(batched));
    if (one) return one;
    const where = this.describe();
    const y = this.output(this.outputShape(input.shape));
    const padded = this.paddingMode !== 'zeros' && this.padding.some((p) => p > 0);
    // F.pad's pairs run from the last dimension back.
    const x = padded ? this.keepComposed(padFor(where, input, [...this.padding].reverse().flatMap((p) => [p, p]), this.paddingMode)) : input;
    const rule = this.convolve(x, y, !padded, where);
    const inputs = this.bias ? [x, this.weight, this.bias] : [x, this.weight];
    if (needsGrad(inputs)) record({ name: where, inputs, output: y, backward: rule });
    return y;
  }
}

/** 2-D convolution over NCHW input (torch.nn.Conv2d, zero padding). */
export class Conv2d extends ConvLayer {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;
  protected readonly paddingName: 'same' | 'valid' | null;
  readonly paddingMode: PaddingMode;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: convOps.Pair,
    options: Conv2dOptions = {},
  ) {
    super(options?.gpu ?? currentGpu(), 4);
    options = normalizeOptions('Conv2d', options, ['stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode', 'gpu'], { padding_mode: 'paddingMode' }) as typeof options;
    expectFlag('Conv2d', 'bias', options.bias);
    this.paddingMode = expectPaddingMode('Conv2d', options.paddingMode);
    const { stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
    expectConvChannels('Conv2d', inChannels, outChannels, groups);
    this.kernelSize = typeof kernelSize === 'number' ? [kernelSize, kernelSize] : [kernelSize[0], kernelSize[1]];
    if (!this.kernelSize.every((k) => Number.isInteger(k) && k > 0)) throw new Error(`Conv2d: argument 'kernelSize' expected a positive integer or a pair of them, got ${JSON.stringify(kernelSize)}`);
    // Checked when the module is made (PyTorch finds a bad stride, padding or dilation only at forward).
    if (typeof padding === 'string' && padding !== 'same' && padding !== 'valid') throw new Error(`Conv2d: argument 'padding' expected a size, a pair of them, 'same' or 'valid', got ${show(padding)}`);
    this.stride = expectPair('Conv2d', 'stride', stride, 1);
    this.dilation = expectPair('Conv2d', 'dilation', dilation, 1);
    this.paddingName = padding === 'same' || padding === 'valid' ? padding : null;
    this.padding = padding === 'same' ? convOps.samePadding('Conv2d', this.kernelSize, this.stride, this.dilation) : padding === 'valid' ? [0, 0] : expectPair('Conv2d', 'padding', padding, 0);
    this.groups = groups;
    ({ weight: this.weight, bias: this.bias } = convParameters(this, 'Conv2d', inChannels, outChannels, groups, this.kernelSize, options.bias !== false));
  }

  private options(): convOps.Conv2dOptions {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }

  override describe(): string {
    return `Conv2d(${this.inChannels}, ${this.outChannels}, kernel_size=${pairText(this.kernelSize)}, stride=${pairText(this.stride)}${this.printoutTail((v) => pairText(v as [number, number]))})`;
  }

  override outputShape(input: readonly number[]): readonly number[] {
    return unbatchedShape(input, 4, (input4) => {
      const g = convOps.conv2dGeometry(input4, this.weight.shape, this.options(), this.describe());
      return [g.N, g.C_out, g.OH, g.OW];
    });
  }

  /** Over [N, C, H, W], or one image [C, H, W] (PyTorch's unbatched input): ConvLayer's forward. */
  protected convolve(x: Tensor, y: Tensor, padInKernel: boolean, where: string): BackwardRule {
    const options = padInKernel ? this.options() : { ...this.options(), padding: 0 };
    convOps.conv2d(x, this.weight, this.bias, y, options, where);
    return gradients.conv2d(x, this.weight, this.bias, options, where);
  }
}

/**
 * torch.nn.ConvTranspose2d(in, out, k, stride=1, padding=0, output_padding=0, groups=1, bias=True,
 * dilation=1): the adjoint of Conv2d (an autoencoder's or a GAN's upsampling), output
 * (H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1 per axis. PyTorch's weight
 * [in, out/groups, KH, KW] and init, so its state dict loads as is. conv2d.wgsl's kernels: forward
 * is the convolution's input gradient, backward its forward and weight gradient.
 */
export class ConvTranspose2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly outputPadding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: convOps.Pair,
    options: { stride?: convOps.Pair; padding?: convOps.Pair; outputPadding?: convOps.Pair; output_padding?: convOps.Pair; groups?: number; bias?: boolean; dilation?: convOps.Pair; paddingMode?: 'zeros'; padding_mode?: 'zeros'; gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu());
    const where = 'ConvTranspose2d';
    const o = normalizeOptions(where, options, ['stride', 'padding', 'outputPadding', 'groups', 'bias', 'dilation', 'gpu'], { output_padding: 'outputPadding', padding_mode: 'paddingMode' }, { paddingMode: 'zeros' }) as typeof options;
    expectFlag(where, 'bias', o.bias);
    const groups = o.groups ?? 1;
    expectConvChannels(where, inChannels, outChannels, groups);
    this.kernelSize = expectPair(where, 'kernel_size', kernelSize, 1) as [number, number];
    this.stride = expectPair(where, 'stride', o.stride ?? 1, 1) as [number, number];
    this.padding = expectPair(where, 'padding', o.padding ?? 0, 0) as [number, number];
    this.outputPadding = expectPair(where, 'output_padding', o.outputPadding ?? 0, 0) as [number, number];
    this.dilation = expectPair(where, 'dilation', o.dilation ?? 1, 1) as [number, number];
    if (this.outputPadding.some((p, i) => p >= this.stride[i]!)) throw new Error(`${where}: output padding must be smaller than stride, but got output_padding=${pairText(this.outputPadding)} and stride=${pairText(this.stride)}`);
    this.groups = groups;
    // PyTorch's ConvNd init over its weight [in, out/groups, KH, KW]: fan_in = out/groups · KH · KW.
    ({ weight: this.weight } = convParameters(this, where, outChannels, inChannels, groups, this.kernelSize, false));
    this.bias = o.bias === false ? null : allocateParameter(this.gpu, [outChannels], `${where}.bias`);
    const fanIn = (outChannels / groups) * this.kernelSize[0] * this.kernelSize[1];
    if (this.bias) uniform_(this.bias, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
  }

  private options(): convOps.Conv2dOptions {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }

  override describe(): string {
    const extra = [!isOne(this.padding, 0) && `padding=${pairText(this.padding)}`, !isOne(this.dilation, 1) && `dilation=${pairText(this.dilation)}`, !isOne(this.outputPadding, 0) && `output_padding=${pairText(this.outputPadding)}`, this.groups !== 1 && `groups=${this.groups}`, !this.bias && 'bias=False'].filter(Boolean);
    return `ConvTranspose2d(${this.inChannels}, ${this.outChannels}, kernel_size=${pairText(this.kernelSize)}, stride=${pairText(this.stride)}${extra.map((e) => `, ${e}`).join('')})`;
  }

  /** Each axis: (H − 1)·stride − 2·padding + dilation·(k − 1) + output_padding + 1 (output_padding given, or what outputSize asks). */
  private outputExtent(input: readonly number[], outputPadding: readonly number[]): [number, number] {
    return [0, 1].map((i) => (input[2 + i]! - 1) * this.stride[i]! - 2 * this.padding[i]! + this.dilation[i]! * (this.kernelSize[i]! - 1) + outputPadding[i]! + 1) as [number, number];
  }

  /** output_padding for PyTorch's forward(input, output_size): the sizes asked for must be reachable with one in [0, stride). */
  private outputPaddingFor(input: readonly number[], outputSize: readonly number[] | null): [number, number] {
    if (outputSize === null) return this.outputPadding;
    if (!Array.isArray(outputSize) || (outputSize.length !== 2 && outputSize.length !== 4) || !outputSize.every((v) => Number.isInteger(v))) throw new Error(`${this.describe()}: output_size must have 2 or 4 elements ([H, W] or [N, C, H, W]), got ${show(outputSize)}`);
    const size = outputSize.slice(-2);
    const smallest = this.outputExtent(input, [0, 0]);
    const padding = [0, 1].map((i) => size[i]! - smallest[i]!) as [number, number];
    if (padding.some((p, i) => p < 0 || p >= this.stride[i]!)) throw new Error(`${this.describe()}: requested an output size of ${show(size)}, but valid sizes range from ${show(smallest)} to ${show(smallest.map((v, i) => v + this.stride[i]! - 1))} (for an input of ${shapeText(input.slice(2))})`);
    return padding;
  }

  override outputShape(input: readonly number[]): readonly number[] {
    return unbatchedShape(input, 4, (input4) => {
      expectInput4dShape(this.describe(), input4, this.inChannels);
      return [input4[0]!, this.outChannels, ...this.outputExtent(input4, this.outputPadding)];
    });
  }

  /** [N, in, H, W] or one image [in, H, W]; outputSize (PyTorch's output_size) picks output_padding. */
  forward(input: Tensor, outputSize: readonly number[] | null = null): Tensor {
    const one = unbatched(input, 4, (x4) => this.forward(x4, outputSize));
    if (one) return one;
    const where = this.describe();
    expectInput4dShape(where, input.shape, this.inChannels);
    const [OH, OW] = this.outputExtent(input.shape, this.outputPaddingFor(input.shape, outputSize));
    if (OH < 1 || OW < 1) throw new Error(`${where}: input ${shapeText(input.shape)} gives an output of ${OH} × ${OW}`);
    const y = this.output([input.shape[0]!, this.outChannels, OH, OW]);
    const { weight, bias } = this;
    convOps.convTranspose2d(input, weight, bias, y, this.options(), where);
    const inputs = bias ? [input, weight, bias] : [input, weight];
    if (needsGrad(inputs)) record({ name: where, inputs, output: y, reads: [input, weight], backward: gradients.convTranspose2d(input, weight, bias, y, this.options(), where) });
    return y;
  }
}

/** An input [N, channels, H, W], or an Error naming the layer. */
function expectInput4dShape(where: string, input: readonly number[], channels: number): void {
  if (input.length !== 4 || input[1] !== channels) throw new Error(`${where}: input expected a 4-D NCHW shape [N, ${channels}, H, W] (or one image [${channels}, H, W]), got ${shapeText(input)}`);
}

type UpsampleOptions = { size?: number | readonly number[] | null; scaleFactor?: number | readonly number[] | null; scale_factor?: number | readonly number[] | null; mode?: F.InterpolateMode; alignCorners?: boolean | null; align_corners?: boolean | null; recomputeScaleFactor?: boolean | null; recompute_scale_factor?: boolean | null; gpu?: Gpu };

/** torch.nn.Upsample(size=None, scale_factor=None, mode='nearest', align_corners=None): F.interpolate, its output kept as composed ones are. */
export class Upsample extends Module {
  readonly size: number | readonly number[] | null;
  readonly scaleFactor: number | readonly number[] | null;
  readonly mode: F.InterpolateMode;
  readonly alignCorners: boolean | null;
  readonly recomputeScaleFactor: boolean | null;

  constructor(options: UpsampleOptions = {}, protected readonly kind = 'Upsample') {
    super(options?.gpu ?? currentGpu());
    const o = normalizeOptions(kind, options, ['size', 'scaleFactor', 'mode', 'alignCorners', 'recomputeScaleFactor', 'gpu'], { scale_factor: 'scaleFactor', align_corners: 'alignCorners', recompute_scale_factor: 'recomputeScaleFactor' }) as UpsampleOptions;
    [this.size, this.scaleFactor, this.mode, this.alignCorners, this.recomputeScaleFactor] = [o.size ?? null, o.scaleFactor ?? null, o.mode ?? 'nearest', o.alignCorners ?? null, o.recomputeScaleFactor ?? null];
  }

  override describe(): string {
    const tuple = (v: number | readonly number[], text: (u: number) => string) => (typeof v === 'number' ? text(v) : `(${v.map(text).join(', ')})`);
    const what = this.size !== null ? `size=${tuple(this.size, String)}` : `scale_factor=${tuple(this.scaleFactor!, pythonFloat)}`;
    return `${this.kind}(${what}, mode=${this.mode})`;
  }

  private options(): F.InterpolateOptions {
    return { size: this.size, scaleFactor: this.scaleFactor, mode: this.mode, alignCorners: this.alignCorners, recomputeScaleFactor: this.recomputeScaleFactor };
  }

  override outputShape(input: readonly number[]): readonly number[] {
    return F.interpolatedShape(input, this.options());
  }

  forward(x: Tensor): Tensor {
    return this.keepComposed(F.interpolate(x, this.options()));
  }
}

/** torch.nn.UpsamplingNearest2d(size=None, scale_factor=None): Upsample in mode nearest. */
export class UpsamplingNearest2d extends Upsample {
  constructor(options: { size?: number | readonly number[] | null; scaleFactor?: number | readonly number[] | null; scale_factor?: number | readonly number[] | null; gpu?: Gpu } = {}) {
    super({ ...normalizeOptions('UpsamplingNearest2d', options, ['size', 'scaleFactor', 'gpu'], { scale_factor: 'scaleFactor' }), mode: 'nearest' }, 'UpsamplingNearest2d');
  }
}

/** torch.nn.UpsamplingBilinear2d(size=None, scale_factor=None): Upsample in mode bilinear with align_corners. */
export class UpsamplingBilinear2d extends Upsample {
  constructor(options: { size?: number | readonly number[] | null; scaleFactor?: number | readonly number[] | null; scale_factor?: number | readonly number[] | null; gpu?: Gpu } = {}) {
    super({ ...normalizeOptions('UpsamplingBilinear2d', options, ['size', 'scaleFactor', 'gpu'], { scale_factor: 'scaleFactor' }), mode: 'bilinear', alignCorners: true }, 'UpsamplingBilinear2d');
  }
}

/**
 * A pooling layer over [N, C, …spatial] of batched rank `rank` (4 for the 2-D pools, 5 for the 3-D
 * ones) or one unbatched input: its kernel run into the module's output buffer, its backward rule
 * recorded. Each pool gives its output shape and its kernel; the forward is this one.
 */
abstract class PoolingLayer extends Module {
  constructor(
    gpu: Gpu,
    protected readonly rank: number,
  ) {
    super(gpu);
  }

  /** The output shape of a batched input, or an Error naming the module. */
  protected abstract batchedShape(input: readonly number[]): readonly number[];
  /** Runs the kernel from x into y (and each window's arg-max into indices, for a max pool); returns the backward rule. */
  protected abstract pool(x: Tensor, y: Tensor, indices: Tensor | null, where: string): BackwardRule;

  override outputShape(input: readonly number[]): readonly number[] {
    return unbatchedShape(input, this.rank, (batched) => this.batchedShape(batched));
  }

  forward(x: Tensor): Tensor {
    const one = unbatched(x, this.rank, (batched) => this.forward(batched));
    if (one) return one;
    const where = this.describe();
    const y = this.output(this.outputShape(x.shape));
    const rule = this.pool(x, y, null, where);
    if (needsGrad([x])) record({ name: where, inputs: [x], output: y, backward: rule });
    return y;
  }
}

/** A max pool: the arg-max of the last forward kept in .indices (as return_indices gives), the backward reading it alone. */
abstract class MaxPoolingLayer extends PoolingLayer {
  /** The last forward's arg-max indices (u32, within each plane or volume: h·W + w, (d·H + h)·W + w). */
  indices: Tensor | null = null;

  override forward(x: Tensor): Tensor {
    const one = unbatched(x, this.rank, (batched) => this.forward(batched));
    if (one) {
      this.indices = this.indices!.reshapeView(one.shape); // without the batch of one, as PyTorch's
      return one;
    }
    const where = this.describe();
    const shape = this.outputShape(x.shape);
    const buffer = this.buffers();
    const y = buffer('out', shape);
    const indices = (this.indices = buffer('indices', shape, 'u32'));
    const rule = this.pool(x, y, indices, where);
    // The backward reads the arg-max alone (not x, not y): a write to .indices since is an Error.
    if (needsGrad([x])) record({ name: where, inputs: [x], output: y, saved: [indices], reads: [indices], backward: rule });
    return y;
  }
}

/** A 2-D pooling module's kernel_size, checked before its printout (which shows it) builds an Error: PyTorch's first argument, not an option. */
function expectPoolKernel(where: string, kernelSize: unknown): void {
  const ok = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 1;
  if (ok(kernelSize) || (Array.isArray(kernelSize) && kernelSize.length === 2 && kernelSize.every(ok))) return;
  throw new Error(`${where}: argument 'kernel_size' expected a positive integer or a pair of them, first, as PyTorch's (new nn.${where}(2, { stride: 2 })), got ${kernelSize !== null && typeof kernelSize === 'object' && !Array.isArray(kernelSize) ? JSON.stringify(kernelSize) : show(kernelSize)}`);
}

/** torch.nn.MaxPool2d (ceil_mode off); the arg-max of each window is kept for the backward. */
export class MaxPool2d extends MaxPoolingLayer {
  readonly stride: convOps.Pair;
  readonly padding: convOps.Pair;
  readonly dilation: convOps.Pair;

  constructor(
    readonly kernelSize: convOps.Pair,
    options: { stride?: convOps.Pair; padding?: convOps.Pair; dilation?: convOps.Pair; ceilMode?: false; ceil_mode?: false; returnIndices?: false; return_indices?: false; gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu(), 4);
    expectPoolKernel('MaxPool2d', kernelSize);
    // return_indices: the indices are kept anyway, in .indices; forward returns the output alone.
    options = normalizeOptions('MaxPool2d', options, ['stride', 'padding', 'dilation', 'gpu'], { ceil_mode: 'ceilMode', return_indices: 'returnIndices' }, { ceilMode: false, returnIndices: false }) as typeof options;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    poolOps.pool2dGeometry([1, 1, 4096, 4096], this.options(), this.describe());
  }

  options(): poolOps.Pool2dOptions {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation };
  }

  override describe(): string {
    const t = (v: convOps.Pair) => (typeof v === 'number' ? String(v) : pairText(v));
    return `MaxPool2d(kernel_size=${t(this.kernelSize)}, stride=${t(this.stride)}, padding=${t(this.padding)}, dilation=${t(this.dilation)}, ceil_mode=False)`;
  }

  protected batchedShape(input: readonly number[]): readonly number[] {
    const g = poolOps.pool2dGeometry(input, this.options(), this.describe());
    return [g.N, g.C, g.OH, g.OW];
  }

  protected pool(x: Tensor, y: Tensor, indices: Tensor | null, where: string): BackwardRule {
    const options = this.options();
    poolOps.maxPool2d(x, y, indices!, options, where);
    return gradients.maxPool2d(x, indices!, options, where);
  }
}

/** torch.nn.AvgPool2d (ceil_mode off, no divisor_override). */
export class AvgPool2d extends PoolingLayer {
  readonly stride: convOps.Pair;
  readonly padding: convOps.Pair;
  readonly countIncludePad: boolean;

  constructor(
    readonly kernelSize: convOps.Pair,
    options: { stride?: convOps.Pair; padding?: convOps.Pair; ceilMode?: false; ceil_mode?: false; countIncludePad?: boolean; count_include_pad?: boolean; divisorOverride?: null; divisor_override?: null; gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu(), 4);
    expectPoolKernel('AvgPool2d', kernelSize);
    options = normalizeOptions('AvgPool2d', options, ['stride', 'padding', 'countIncludePad', 'gpu'], { ceil_mode: 'ceilMode', count_include_pad: 'countIncludePad', divisor_override: 'divisorOverride' }, { ceilMode: false, divisorOverride: null }) as typeof options;
    expectFlag('AvgPool2d', 'countIncludePad', options.countIncludePad);
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.countIncludePad = options.countIncludePad ?? true;
    poolOps.pool2dGeometry([1, 1, 4096, 4096], this.options(), this.describe());
  }

  options(): poolOps.Pool2dOptions {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, countIncludePad: this.countIncludePad };
  }

  override describe(): string {
    const t = (v: convOps.Pair) => (typeof v === 'number' ? String(v) : pairText(v));
    // PyTorch's repr, which leaves count_include_pad out.
    return `AvgPool2d(kernel_size=${t(this.kernelSize)}, stride=${t(this.stride)}, padding=${t(this.padding)})`;
  }

  protected batchedShape(input: readonly number[]): readonly number[] {
    const g = poolOps.pool2dGeometry(input, this.options(), this.describe());
    return [g.N, g.C, g.OH, g.OW];
  }

  protected pool(x: Tensor, y: Tensor, _indices: Tensor | null, where: string): BackwardRule {
    const options = this.options();
    poolOps.avgPool2d(x, y, options, where);
    return gradients.avgPool2d(x, options, where);
  }
}

/**
 * torch.nn.AdaptiveAvgPool2d(output_size): each output the mean of its bin (pool.wgsl), over [N, C, H, W]
 * or one image; output_size 1 is global average pooling, (None, 7) keeps the input's height.
 */
export class AdaptiveAvgPool2d extends PoolingLayer {
  constructor(
    readonly outputSize: F.AdaptiveSize2d = 1,
    options: { gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu(), 4);
    normalizeOptions('AdaptiveAvgPool2d', options, ['gpu']);
    F.adaptiveOutputSize(this.describe(), outputSize, [1, 1, 1, 1]);
  }

  override describe(): string {
    return `AdaptiveAvgPool2d(output_size=${adaptiveSizeText(this.outputSize)})`;
  }

  protected batchedShape(input: readonly number[]): readonly number[] {
    return adaptiveShape(this.describe(), input, this.outputSize);
  }

  protected pool(x: Tensor, y: Tensor, _indices: Tensor | null, where: string): BackwardRule {
    poolOps.adaptiveAvgPool2d(x, y, where);
    return gradients.adaptiveAvgPool2d(x, where);
  }
}

/** PyTorch's printout of an adaptive output size: 7, (7, 5), (None, 5), and the 3-D pools' (7, 5, None). */
const adaptiveSizeText = (v: F.AdaptiveSize2d | F.AdaptiveSize3d, axes = 2) => (typeof v === 'number' ? String(v) : Array.isArray(v) && v.length === axes ? `(${v.map((u) => (u === null ? 'None' : String(u))).join(', ')})` : show(v));

/** [N, C, …output] of adaptive pooling over a 4-D input (a 5-D one with `axes` 3), or an Error naming the module. */
function adaptiveShape(where: string, input: readonly number[], outputSize: F.AdaptiveSize2d | F.AdaptiveSize3d, axes = 2): number[] {
  if (input.length !== axes + 2) throw new Error(axes === 2 ? `${where}: input expected a 4-D NCHW shape [N, C, H, W] or one image [C, H, W], got ${shapeText(input)}` : `${where}: input expected a 5-D NCDHW shape [N, C, D, H, W] or one volume [C, D, H, W], got ${shapeText(input)}`);
  return [input[0]!, input[1]!, ...F.adaptiveSizes(where, outputSize, input, axes)];
}

/**
 * torch.nn.AdaptiveMaxPool2d(output_size): the max of each bin (pool.wgsl), over [N, C, H, W] or one
 * image. As MaxPool2d, the arg-max of the last forward is kept in .indices (return_indices=True is an
 * Error: forward returns the output alone).
 */
export class AdaptiveMaxPool2d extends MaxPoolingLayer {
  constructor(
    readonly outputSize: F.AdaptiveSize2d,
    options: { returnIndices?: false; return_indices?: false; gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu(), 4);
    normalizeOptions('AdaptiveMaxPool2d', options, ['gpu'], { return_indices: 'returnIndices' }, { returnIndices: false });
    F.adaptiveOutputSize(this.describe(), outputSize, [1, 1, 1, 1]);
  }

  override describe(): string {
    return `AdaptiveMaxPool2d(output_size=${adaptiveSizeText(this.outputSize)})`;
  }

  protected batchedShape(input: readonly number[]): readonly number[] {
    return adaptiveShape(this.describe(), input, this.outputSize);
  }

  protected pool(x: Tensor, y: Tensor, indices: Tensor | null, where: string): BackwardRule {
    poolOps.adaptiveMaxPool2d(x, y, indices!, where);
    return gradients.adaptiveMaxPool2d(x, indices!, where);
  }
}

// ── Conv1d, MaxPool1d, AvgPool1d: the 2-D kernels over [N, C, 1, L] ─────────────────────────────

/** PyTorch's 1-tuples in module reprs: (3,). */
const singleText = (v: number) => `(${v},)`;

/** A 1-D size given as a number or PyTorch's 1-tuple ([3]), or an Error naming it. */
function single(where: string, name: string, v: unknown, min: number): number {
  const n = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) throw new Error(`${where}: argument '${name}' expected an integer ≥ ${min} (or a list of one), got ${show(v)}`);
  return n;
}

/** [N, C, L] or one sequence [C, L] (PyTorch's unbatched input): N, C, L, or an Error naming the module. */
function sequenceShape(where: string, shape: readonly number[] | null, channels: number | null): { N: number; C: number; L: number; unbatched: boolean } {
  if (shape === null || (shape.length !== 3 && shape.length !== 2) || (channels !== null && shape.at(-2) !== channels)) {
    const c = channels ?? 'C';
    throw new Error(`${where}: input expected [N, ${c}, L] or one sequence [${c}, L], got ${shape === null ? 'no tensor' : shapeText(shape)}`);
  }
  const unbatched = shape.length === 2;
  const [N, C, L] = unbatched ? [1, shape[0]!, shape[1]!] : [shape[0]!, shape[1]!, shape[2]!];
  return { N, C, L, unbatched };
}

/** x's shape, or null for what is not a tensor (sequenceShape then names it). */
const shapeOf = (x: unknown) => (x instanceof Tensor ? x.shape : null);

/** An Error in 1-D terms (the 2-D kernels would name a 1 × k window) unless the dilated kernel fits the padded length. */
function expectWindowFits(where: string, shape: readonly number[], L: number, kernel: number, padding: number, dilation: number): void {
  const span = dilation * (kernel - 1) + 1;
  if (span > L + 2 * padding) throw new Error(`${where}: kernel ${kernel}${dilation > 1 ? ` (dilated to ${span})` : ''} is longer than the padded input ${L + 2 * padding} (input ${shapeText(shape)}, padding ${padding})`);
}

/** A 1-D pool's padding, at most half its kernel (PyTorch's rule), or an Error in 1-D terms. */
function expectPoolPadding(where: string, kernel: number, padding: number): void {
  if (padding > kernel / 2) throw new Error(`${where}: padding ${padding} must be at most half the kernel ${kernel}`);
}

/**
 * A 2-D op of a 1-D module over x seen as [N, C, 1, L]: y (the module's buffer, [N, C', L'] or
 * [C', L']) is written as [N, C', 1, L'], and the node's rule gets dy under that shape; `saved`:
 * all the backward reads besides dy (max pooling's arg-max).
 */
function recordAs4d(where: string, inputs: Tensor[], y: Tensor, y4: readonly number[], rule: BackwardRule, saved?: Tensor[]): void {
  if (needsGrad(inputs)) record({ name: where, inputs, output: y, ...(saved ? { saved, reads: saved } : {}), backward: (ctx, dy) => rule(ctx, dy && dy.reshapeView(y4)) });
}

export interface Conv1dOptions {
  stride?: number | [number];
  padding?: number | [number] | 'same' | 'valid';
  dilation?: number | [number];
  groups?: number;
  bias?: boolean;
  paddingMode?: PaddingMode;
  padding_mode?: PaddingMode;
  gpu?: Gpu;
}

/**
 * torch.nn.Conv1d over [N, C, L] (or one sequence [C, L]), zero padding: conv2d.wgsl over
 * [N, C, 1, L] with a 1 × k kernel. The weight is PyTorch's [out, in / groups, k], so its state
 * dict loads as is; PyTorch's init (kaiming_uniform_(a = √5), the bias U(±1/√fan_in)).
 */
export class Conv1d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;
  readonly groups: number;
  private readonly paddingName: 'same' | 'valid' | null;
  readonly paddingMode: PaddingMode;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | [number],
    options: Conv1dOptions = {},
  ) {
    super(options?.gpu ?? currentGpu());
    const where = 'Conv1d';
    options = normalizeOptions(where, options, ['stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode', 'gpu'], { padding_mode: 'paddingMode' }) as typeof options;
    expectFlag(where, 'bias', options.bias);
    this.paddingMode = expectPaddingMode(where, options.paddingMode);
    const { padding = 0, groups = 1 } = options;
    expectConvChannels(where, inChannels, outChannels, groups);
    this.kernelSize = single(where, 'kernelSize', kernelSize, 1);
    this.stride = single(where, 'stride', options.stride ?? 1, 1);
    this.dilation = single(where, 'dilation', options.dilation ?? 1, 1);
    if (typeof padding === 'string' && padding !== 'same' && padding !== 'valid') throw new Error(`${where}: argument 'padding' expected a size, 'same' or 'valid', got ${show(padding)}`);
    this.paddingName = padding === 'same' || padding === 'valid' ? padding : null;
    if (padding === 'same' && this.stride !== 1) throw new Error(`${where}: padding='same' is not supported for strided convolutions (stride ${this.stride}), as in PyTorch`);
    const total = this.dilation * (this.kernelSize - 1);
    if (padding === 'same' && total % 2 !== 0) throw new Error(`${where}: padding='same' with kernel_size ${this.kernelSize} (dilation ${this.dilation}) needs ${total} positions of padding; PyTorch puts the odd one after the input, this Conv1d pads both sides alike: use an odd kernel size, or give the padding`);
    this.padding = padding === 'same' ? total / 2 : padding === 'valid' ? 0 : single(where, 'padding', padding, 0);
    this.groups = groups;
    ({ weight: this.weight, bias: this.bias } = convParameters(this, where, inChannels, outChannels, groups, [this.kernelSize], options.bias !== false));
  }

  private options(): convOps.Conv2dOptions {
    return { stride: [1, this.stride], padding: [0, this.padding], dilation: [1, this.dilation], groups: this.groups };
  }

  override describe(): string {
    const extra = [this.paddingName ? `padding=${this.paddingName}` : this.padding !== 0 && `padding=${singleText(this.padding)}`, this.dilation !== 1 && `dilation=${singleText(this.dilation)}`, this.groups !== 1 && `groups=${this.groups}`, !this.bias && 'bias=False', this.paddingMode !== 'zeros' && `padding_mode=${this.paddingMode}`].filter(Boolean);
    return `Conv1d(${this.inChannels}, ${this.outChannels}, kernel_size=${singleText(this.kernelSize)}, stride=${singleText(this.stride)}${extra.map((e) => `, ${e}`).join('')})`;
  }

  override outputShape(input: readonly number[]): readonly number[] {
    const where = this.describe();
    const { N, L, unbatched } = sequenceShape(where, input, this.inChannels);
    expectWindowFits(where, input, L, this.kernelSize, this.padding, this.dilation);
    const g = convOps.conv2dGeometry([N, this.inChannels, 1, L], [this.outChannels, this.inChannels / this.groups, 1, this.kernelSize], this.options(), where);
    return unbatched ? [g.C_out, g.OW] : [N, g.C_out, g.OW];
  }

  forward(input: Tensor): Tensor {
    const where = this.describe();
    const { N, C, L: length, unbatched } = sequenceShape(where, shapeOf(input), this.inChannels);
    expectWindowFits(where, input.shape, length, this.kernelSize, this.padding, this.dilation);
    const w4 = [this.outChannels, this.inChannels / this.groups, 1, this.kernelSize];
    // padding_mode other than zeros: the padding made by F.pad (kept until a later forward), then none in the kernel.
    const padded = this.paddingMode !== 'zeros' && this.padding > 0;
    const x = padded ? this.keepComposed(padFor(where, input, [this.padding, this.padding], this.paddingMode)) : input;
    const L = padded ? length + 2 * this.padding : length;
    const options = padded ? { ...this.options(), padding: [0, 0] as convOps.Pair } : this.options();
    const g = convOps.conv2dGeometry([N, C, 1, L], w4, options, where);
    const y = this.output(unbatched ? [g.C_out, g.OW] : [N, g.C_out, g.OW]);
    const [xs, ws] = [F.reshape(x, [N, C, 1, L]), F.reshape(this.weight, w4)];
    const { bias } = this;
    convOps.conv2d(xs, ws, bias, y.reshapeView([N, g.C_out, 1, g.OW]), options, where);
    const inputs = bias ? [xs, ws, bias] : [xs, ws];
    recordAs4d(where, inputs, y, [N, g.C_out, 1, g.OW], gradients.conv2d(xs, ws, bias, options, where));
    return y;
  }
}

/**
 * torch.nn.ConvTranspose1d(in, out, k, stride=1, padding=0, output_padding=0, groups=1, bias=True,
 * dilation=1) over [N, C, L] or one sequence [C, L]: ConvTranspose2d's kernels over [N, C, 1, L],
 * PyTorch's weight [in, out/groups, k] and init, output (L − 1)·stride − 2·padding + dilation·(k − 1)
 * + output_padding + 1.
 */
export class ConvTranspose1d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly outputPadding: number;
  readonly dilation: number;
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | [number],
    options: { stride?: number | [number]; padding?: number | [number]; outputPadding?: number | [number]; output_padding?: number | [number]; groups?: number; bias?: boolean; dilation?: number | [number]; paddingMode?: 'zeros'; padding_mode?: 'zeros'; gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu());
    const where = 'ConvTranspose1d';
    const o = normalizeOptions(where, options, ['stride', 'padding', 'outputPadding', 'groups', 'bias', 'dilation', 'gpu'], { output_padding: 'outputPadding', padding_mode: 'paddingMode' }, { paddingMode: 'zeros' }) as typeof options;
    expectFlag(where, 'bias', o.bias);
    const groups = o.groups ?? 1;
    expectConvChannels(where, inChannels, outChannels, groups);
    this.kernelSize = single(where, 'kernel_size', kernelSize, 1);
    this.stride = single(where, 'stride', o.stride ?? 1, 1);
    this.padding = single(where, 'padding', o.padding ?? 0, 0);
    this.outputPadding = single(where, 'output_padding', o.outputPadding ?? 0, 0);
    this.dilation = single(where, 'dilation', o.dilation ?? 1, 1);
    if (this.outputPadding >= this.stride) throw new Error(`${where}: output padding must be smaller than stride, but got output_padding=${singleText(this.outputPadding)} and stride=${singleText(this.stride)}`);
    this.groups = groups;
    ({ weight: this.weight } = convParameters(this, where, outChannels, inChannels, groups, [this.kernelSize], false));
    this.bias = o.bias === false ? null : allocateParameter(this.gpu, [outChannels], `${where}.bias`);
    const fanIn = (outChannels / groups) * this.kernelSize;
    if (this.bias) uniform_(this.bias, -1 / Math.sqrt(fanIn), 1 / Math.sqrt(fanIn));
  }

  private options(): convOps.Conv2dOptions {
    return { stride: [1, this.stride], padding: [0, this.padding], dilation: [1, this.dilation], groups: this.groups };
  }

  override describe(): string {
    const extra = [this.padding !== 0 && `padding=${singleText(this.padding)}`, this.dilation !== 1 && `dilation=${singleText(this.dilation)}`, this.outputPadding !== 0 && `output_padding=${singleText(this.outputPadding)}`, this.groups !== 1 && `groups=${this.groups}`, !this.bias && 'bias=False'].filter(Boolean);
    return `ConvTranspose1d(${this.inChannels}, ${this.outChannels}, kernel_size=${singleText(this.kernelSize)}, stride=${singleText(this.stride)}${extra.map((e) => `, ${e}`).join('')})`;
  }

  private length(L: number): number {
    return (L - 1) * this.stride - 2 * this.padding + this.dilation * (this.kernelSize - 1) + this.outputPadding + 1;
  }

  override outputShape(input: readonly number[]): readonly number[] {
    const { N, L, unbatched } = sequenceShape(this.describe(), input, this.inChannels);
    return unbatched ? [this.outChannels, this.length(L)] : [N, this.outChannels, this.length(L)];
  }

  forward(x: Tensor): Tensor {
    const where = this.describe();
    const { N, C, L, unbatched } = sequenceShape(where, shapeOf(x), this.inChannels);
    const OL = this.length(L);
    if (OL < 1) throw new Error(`${where}: input ${shapeText(x.shape)} gives an output of length ${OL}`);
    const y = this.output(unbatched ? [this.outChannels, OL] : [N, this.outChannels, OL]);
    const y4 = [N, this.outChannels, 1, OL];
    const [xs, ws] = [F.reshape(x, [N, C, 1, L]), F.reshape(this.weight, [this.inChannels, this.outChannels / this.groups, 1, this.kernelSize])];
    const { bias } = this;
    const options = this.options();
    const out = y.reshapeView(y4);
    convOps.convTranspose2d(xs, ws, bias, out, options, where);
    const inputs = bias ? [xs, ws, bias] : [xs, ws];
    if (needsGrad(inputs)) record({ name: where, inputs, output: y, reads: [xs, ws], backward: (ctx, dy) => gradients.convTranspose2d(xs, ws, bias, out, options, where)(ctx, dy && dy.reshapeView(y4)) });
    return y;
  }
}

/** torch.nn.MaxPool1d (ceil_mode off) over [N, C, L] or [C, L]: max_pool2d over [N, C, 1, L]; the arg-max kept in .indices (positions along L). */
export class MaxPool1d extends Module {
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly dilation: number;
  indices: Tensor | null = null;

  constructor(kernelSize: number | [number], options: { stride?: number | [number] | null; padding?: number | [number]; dilation?: number | [number]; ceilMode?: false; ceil_mode?: false; returnIndices?: false; return_indices?: false; gpu?: Gpu } = {}) {
    super(options?.gpu ?? currentGpu());
    const where = 'MaxPool1d';
    options = normalizeOptions(where, options, ['stride', 'padding', 'dilation', 'gpu'], { ceil_mode: 'ceilMode', return_indices: 'returnIndices' }, { ceilMode: false, returnIndices: false }) as typeof options;
    this.kernelSize = single(where, 'kernelSize', kernelSize, 1);
    this.stride = single(where, 'stride', options.stride ?? this.kernelSize, 1);
    this.padding = single(where, 'padding', options.padding ?? 0, 0);
    this.dilation = single(where, 'dilation', options.dilation ?? 1, 1);
    expectPoolPadding(where, this.kernelSize, this.padding);
    poolOps.pool2dGeometry([1, 1, 1, 4096], this.options(), this.describe());
  }

  options(): poolOps.Pool2dOptions {
    return { kernelSize: [1, this.kernelSize], stride: [1, this.stride], padding: [0, this.padding], dilation: [1, this.dilation] };
  }

  override describe(): string {
    return `MaxPool1d(kernel_size=${this.kernelSize}, stride=${this.stride}, padding=${this.padding}, dilation=${this.dilation}, ceil_mode=False)`;
  }

  override outputShape(input: readonly number[]): readonly number[] {
    const where = this.describe();
    const { N, C, L, unbatched } = sequenceShape(where, input, null);
    expectWindowFits(where, input, L, this.kernelSize, this.padding, this.dilation);
    const g = poolOps.pool2dGeometry([N, C, 1, L], this.options(), where);
    return unbatched ? [C, g.OW] : [N, C, g.OW];
  }

  forward(x: Tensor): Tensor {
    const where = this.describe();
    const { N, C, L, unbatched } = sequenceShape(where, shapeOf(x), null);
    expectWindowFits(where, x.shape, L, this.kernelSize, this.padding, this.dilation);
    const options = this.options();
    const g = poolOps.pool2dGeometry([N, C, 1, L], options, where);
    const shape = unbatched ? [C, g.OW] : [N, C, g.OW];
    const buffer = this.buffers();
    const y = buffer('out', shape);
    const indices = (this.indices = buffer('indices', shape, 'u32'));
    const xs = F.reshape(x, [N, C, 1, L]);
    const y4 = [N, C, 1, g.OW];
    poolOps.maxPool2d(xs, y.reshapeView(y4), indices.reshapeView(y4), options, where);
    recordAs4d(where, [xs], y, y4, gradients.maxPool2d(xs, indices.reshapeView(y4), options, where), [indices]);
    return y;
  }
}

/** torch.nn.AvgPool1d (ceil_mode off) over [N, C, L] or [C, L]: avg_pool2d over [N, C, 1, L], count_include_pad as PyTorch's. */
export class AvgPool1d extends Module {
  readonly kernelSize: number;
  readonly stride: number;
  readonly padding: number;
  readonly countIncludePad: boolean;

  constructor(kernelSize: number | [number], options: { stride?: number | [number] | null; padding?: number | [number]; ceilMode?: false; ceil_mode?: false; countIncludePad?: boolean; count_include_pad?: boolean; gpu?: Gpu } = {}) {
    super(options?.gpu ?? currentGpu());
    const where = 'AvgPool1d';
    options = normalizeOptions(where, options, ['stride', 'padding', 'countIncludePad', 'gpu'], { ceil_mode: 'ceilMode', count_include_pad: 'countIncludePad' }, { ceilMode: false }) as typeof options;
    expectFlag(where, 'countIncludePad', options.countIncludePad);
    this.kernelSize = single(where, 'kernelSize', kernelSize, 1);
    this.stride = single(where, 'stride', options.stride ?? this.kernelSize, 1);
    this.padding = single(where, 'padding', options.padding ?? 0, 0);
    this.countIncludePad = options.countIncludePad ?? true;
    expectPoolPadding(where, this.kernelSize, this.padding);
    poolOps.pool2dGeometry([1, 1, 1, 4096], this.options(), this.describe());
  }

  options(): poolOps.Pool2dOptions {
    return { kernelSize: [1, this.kernelSize], stride: [1, this.stride], padding: [0, this.padding], countIncludePad: this.countIncludePad };
  }

  override describe(): string {
    return `AvgPool1d(kernel_size=${singleText(this.kernelSize)}, stride=${singleText(this.stride)}, padding=${singleText(this.padding)})`;
  }

  override outputShape(input: readonly number[]): readonly number[] {
    const where = this.describe();
    const { N, C, L, unbatched } = sequenceShape(where, input, null);
    expectWindowFits(where, input, L, this.kernelSize, this.padding, 1);
    const g = poolOps.pool2dGeometry([N, C, 1, L], this.options(), where);
    return unbatched ? [C, g.OW] : [N, C, g.OW];
  }

  forward(x: Tensor): Tensor {
    const where = this.describe();
    const { N, C, L, unbatched } = sequenceShape(where, shapeOf(x), null);
    expectWindowFits(where, x.shape, L, this.kernelSize, this.padding, 1);
    const options = this.options();
    const g = poolOps.pool2dGeometry([N, C, 1, L], options, where);
    const y = this.output(unbatched ? [C, g.OW] : [N, C, g.OW]);
    const xs = F.reshape(x, [N, C, 1, L]);
    const y4 = [N, C, 1, g.OW];
    poolOps.avgPool2d(xs, y.reshapeView(y4), options, where);
    recordAs4d(where, [xs], y, y4, gradients.avgPool2d(xs, options, where));
    return y;
  }
}


/** torch.nn.AdaptiveAvgPool1d(output_size) over [N, C, L] or [C, L]: adaptive_avg_pool2d over [N, C, 1, L]. */
export class AdaptiveAvgPool1d extends Module {
  readonly outputSize: number;

  constructor(outputSize: number | [number], options: { gpu?: Gpu } = {}) {
    super(options?.gpu ?? currentGpu());
    normalizeOptions('AdaptiveAvgPool1d', options, ['gpu']);
    this.outputSize = single('AdaptiveAvgPool1d', 'output_size', outputSize, 1);
  }

  override describe(): string {
    return `AdaptiveAvgPool1d(output_size=${this.outputSize})`;
  }

  override outputShape(input: readonly number[]): readonly number[] {
    const { N, C, unbatched } = sequenceShape(this.describe(), input, null);
    return unbatched ? [C, this.outputSize] : [N, C, this.outputSize];
  }

  forward(x: Tensor): Tensor {
    const where = this.describe();
    const { N, C, L } = sequenceShape(where, shapeOf(x), null);
    const y = this.output(this.outputShape(x.shape));
    const xs = F.reshape(x, [N, C, 1, L]);
    const y4 = [N, C, 1, this.outputSize];
    poolOps.adaptiveAvgPool2d(xs, y.reshapeView(y4), where);
    recordAs4d(where, [xs], y, y4, gradients.adaptiveAvgPool2d(xs, where));
    return y;
  }
}

/** torch.nn.AdaptiveMaxPool1d(output_size) over [N, C, L] or [C, L]; .indices holds positions along L. */
export class AdaptiveMaxPool1d extends Module {
  readonly outputSize: number;
  indices: Tensor | null = null;

  constructor(outputSize: number | [number], options: { returnIndices?: false; return_indices?: false; gpu?: Gpu } = {}) {
    super(options?.gpu ?? currentGpu());
    normalizeOptions('AdaptiveMaxPool1d', options, ['gpu'], { return_indices: 'returnIndices' }, { returnIndices: false });
    this.outputSize = single('AdaptiveMaxPool1d', 'output_size', outputSize, 1);
  }

  override describe(): string {
    return `AdaptiveMaxPool1d(output_size=${this.outputSize})`;
  }

  override outputShape(input: readonly number[]): readonly number[] {
    const { N, C, unbatched } = sequenceShape(this.describe(), input, null);
    return unbatched ? [C, this.outputSize] : [N, C, this.outputSize];
  }

  forward(x: Tensor): Tensor {
    const where = this.describe();
    const { N, C, L } = sequenceShape(where, shapeOf(x), null);
    const shape = this.outputShape(x.shape);
    const buffer = this.buffers();
    const y = buffer('out', shape);
    const indices = (this.indices = buffer('indices', shape, 'u32'));
    const xs = F.reshape(x, [N, C, 1, L]);
    const y4 = [N, C, 1, this.outputSize];
    poolOps.adaptiveMaxPool2d(xs, y.reshapeView(y4), indices.reshapeView(y4), where);
    recordAs4d(where, [xs], y, y4, gradients.adaptiveMaxPool2d(xs, indices.reshapeView(y4), where), [indices]);
    return y;
  }
}

// ── Conv3d, MaxPool3d, AvgPool3d, AdaptiveAvgPool3d, AdaptiveMaxPool3d: conv3d.wgsl, pool3d.wgsl ───
// The 2-D layers' twins over [N, C, D, H, W] or one volume [C, D, H, W] (PyTorch's unbatched input):
// the same options, defaults, printouts and checks, one more axis.

const tripleText = (v: Triple) => (typeof v === 'number' ? `(${v}, ${v}, ${v})` : `(${v.join(', ')})`);
/** A pool's printout of a size as given: 2, or (3, 2, 2). */
const poolSizeText = (v: Triple) => (typeof v === 'number' ? String(v) : tripleText(v));

export interface Conv3dOptions {
  stride?: Triple;
  /** A size or triple, or PyTorch's 'valid' (0) or 'same' (stride 1; the output keeps the input's size). */
  padding?: Triple | 'same' | 'valid';
  dilation?: Triple;
  groups?: number;
  bias?: boolean;
  /** What the padding holds: zeros (PyTorch's default), or x reflected, replicated or wrapped around (F.pad first). */
  paddingMode?: PaddingMode;
  padding_mode?: PaddingMode;
  gpu?: Gpu;
}

/** 3-D convolution over NCDHW input (torch.nn.Conv3d): a video clip's frames or a scan's slices. */
export class Conv3d extends ConvLayer {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly kernelSize: [number, number, number];
  readonly stride: [number, number, number];
  readonly padding: [number, number, number];
  readonly dilation: [number, number, number];
  readonly groups: number;
  protected readonly paddingName: 'same' | 'valid' | null;
  readonly paddingMode: PaddingMode;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Triple,
    options: Conv3dOptions = {},
  ) {
    super(options?.gpu ?? currentGpu(), 5);
    const where = 'Conv3d';
    options = normalizeOptions(where, options, ['stride', 'padding', 'dilation', 'groups', 'bias', 'paddingMode', 'gpu'], { padding_mode: 'paddingMode' }) as typeof options;
    expectFlag(where, 'bias', options.bias);
    this.paddingMode = expectPaddingMode(where, options.paddingMode);
    const { stride = 1, padding = 0, dilation = 1, groups = 1 } = options;
    expectConvChannels(where, inChannels, outChannels, groups);
    this.kernelSize = expectTriple(where, 'kernelSize', kernelSize, 1);
    // Checked when the module is made (PyTorch finds a bad stride, padding or dilation only at forward).
    if (typeof padding === 'string' && padding !== 'same' && padding !== 'valid') throw new Error(`${where}: argument 'padding' expected a size, a triple of them, 'same' or 'valid', got ${show(padding)}`);
    this.stride = expectTriple(where, 'stride', stride, 1);
    this.dilation = expectTriple(where, 'dilation', dilation, 1);
    this.paddingName = padding === 'same' || padding === 'valid' ? padding : null;
    this.padding = padding === 'same' ? conv3dOps.samePadding3d(where, this.kernelSize, this.stride, this.dilation) : padding === 'valid' ? [0, 0, 0] : expectTriple(where, 'padding', padding, 0);
    this.groups = groups;
    ({ weight: this.weight, bias: this.bias } = convParameters(this, where, inChannels, outChannels, groups, this.kernelSize, options.bias !== false));
  }

  private options(): conv3dOps.Conv3dOptions {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }

  override describe(): string {
    return `Conv3d(${this.inChannels}, ${this.outChannels}, kernel_size=${tripleText(this.kernelSize)}, stride=${tripleText(this.stride)}${this.printoutTail((v) => tripleText(v as Triple))})`;
  }

  override outputShape(input: readonly number[]): readonly number[] {
    return unbatchedShape(input, 5, (input5) => {
      const g = conv3dOps.conv3dGeometry(input5, this.weight.shape, this.options(), this.describe());
      return [g.N, g.C_out, g.OD, g.OH, g.OW];
    });
  }

  /** Over [N, C, D, H, W], or one volume [C, D, H, W] (PyTorch's unbatched input): ConvLayer's forward. */
  protected convolve(x: Tensor, y: Tensor, padInKernel: boolean, where: string): BackwardRule {
    const options = padInKernel ? this.options() : { ...this.options(), padding: 0 };
    conv3dOps.conv3d(x, this.weight, this.bias, y, options, where);
    return gradients.conv3d(x, this.weight, this.bias, options, where);
  }
}

/** torch.nn.MaxPool3d (ceil_mode off); the arg-max of the last forward kept in .indices ((d·H + h)·W + w within each volume). */
export class MaxPool3d extends MaxPoolingLayer {
  readonly stride: Triple;
  readonly padding: Triple;
  readonly dilation: Triple;

  constructor(
    readonly kernelSize: Triple,
    options: { stride?: Triple | null; padding?: Triple; dilation?: Triple; ceilMode?: false; ceil_mode?: false; returnIndices?: false; return_indices?: false; gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu(), 5);
    // return_indices: the indices are kept anyway, in .indices; forward returns the output alone.
    options = normalizeOptions('MaxPool3d', options, ['stride', 'padding', 'dilation', 'gpu'], { ceil_mode: 'ceilMode', return_indices: 'returnIndices' }, { ceilMode: false, returnIndices: false }) as typeof options;
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    pool3dOps.pool3dGeometry([1, 1, 4096, 4096, 4096], this.options(), this.describe());
  }

  options(): pool3dOps.Pool3dOptions {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, dilation: this.dilation };
  }

  override describe(): string {
    return `MaxPool3d(kernel_size=${poolSizeText(this.kernelSize)}, stride=${poolSizeText(this.stride)}, padding=${poolSizeText(this.padding)}, dilation=${poolSizeText(this.dilation)}, ceil_mode=False)`;
  }

  protected batchedShape(input: readonly number[]): readonly number[] {
    const g = pool3dOps.pool3dGeometry(input, this.options(), this.describe());
    return [g.N, g.C, g.OD, g.OH, g.OW];
  }

  protected pool(x: Tensor, y: Tensor, indices: Tensor | null, where: string): BackwardRule {
    const options = this.options();
    pool3dOps.maxPool3d(x, y, indices!, options, where);
    return gradients.maxPool3d(x, indices!, options, where);
  }
}

/** torch.nn.AvgPool3d (ceil_mode off, no divisor_override). */
export class AvgPool3d extends PoolingLayer {
  readonly stride: Triple;
  readonly padding: Triple;
  readonly countIncludePad: boolean;

  constructor(
    readonly kernelSize: Triple,
    options: { stride?: Triple | null; padding?: Triple; ceilMode?: false; ceil_mode?: false; countIncludePad?: boolean; count_include_pad?: boolean; divisorOverride?: null; divisor_override?: null; gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu(), 5);
    options = normalizeOptions('AvgPool3d', options, ['stride', 'padding', 'countIncludePad', 'gpu'], { ceil_mode: 'ceilMode', count_include_pad: 'countIncludePad', divisor_override: 'divisorOverride' }, { ceilMode: false, divisorOverride: null }) as typeof options;
    expectFlag('AvgPool3d', 'countIncludePad', options.countIncludePad);
    this.stride = options.stride ?? kernelSize;
    this.padding = options.padding ?? 0;
    this.countIncludePad = options.countIncludePad ?? true;
    pool3dOps.pool3dGeometry([1, 1, 4096, 4096, 4096], this.options(), this.describe());
  }

  options(): pool3dOps.Pool3dOptions {
    return { kernelSize: this.kernelSize, stride: this.stride, padding: this.padding, countIncludePad: this.countIncludePad };
  }

  override describe(): string {
    // PyTorch's repr, which leaves count_include_pad out.
    return `AvgPool3d(kernel_size=${poolSizeText(this.kernelSize)}, stride=${poolSizeText(this.stride)}, padding=${poolSizeText(this.padding)})`;
  }

  protected batchedShape(input: readonly number[]): readonly number[] {
    const g = pool3dOps.pool3dGeometry(input, this.options(), this.describe());
    return [g.N, g.C, g.OD, g.OH, g.OW];
  }

  protected pool(x: Tensor, y: Tensor, _indices: Tensor | null, where: string): BackwardRule {
    const options = this.options();
    pool3dOps.avgPool3d(x, y, options, where);
    return gradients.avgPool3d(x, options, where);
  }
}

/**
 * torch.nn.AdaptiveAvgPool3d(output_size): each output the mean of its bin (pool3d.wgsl), over
 * [N, C, D, H, W] or one volume; output_size 1 is global average pooling (a video network's last pool).
 */
export class AdaptiveAvgPool3d extends PoolingLayer {
  constructor(
    readonly outputSize: F.AdaptiveSize3d = 1,
    options: { gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu(), 5);
    normalizeOptions('AdaptiveAvgPool3d', options, ['gpu']);
    F.adaptiveSizes(this.describe(), outputSize, [1, 1, 1, 1, 1], 3);
  }

  override describe(): string {
    return `AdaptiveAvgPool3d(output_size=${adaptiveSizeText(this.outputSize, 3)})`;
  }

  protected batchedShape(input: readonly number[]): readonly number[] {
    return adaptiveShape(this.describe(), input, this.outputSize, 3);
  }

  protected pool(x: Tensor, y: Tensor, _indices: Tensor | null, where: string): BackwardRule {
    pool3dOps.adaptiveAvgPool3d(x, y, where);
    return gradients.adaptiveAvgPool3d(x, where);
  }
}

/** torch.nn.AdaptiveMaxPool3d(output_size): the max of each bin (pool3d.wgsl); the arg-max of the last forward in .indices, as MaxPool3d's. */
export class AdaptiveMaxPool3d extends MaxPoolingLayer {
  constructor(
    readonly outputSize: F.AdaptiveSize3d,
    options: { returnIndices?: false; return_indices?: false; gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu(), 5);
    normalizeOptions('AdaptiveMaxPool3d', options, ['gpu'], { return_indices: 'returnIndices' }, { returnIndices: false });
    F.adaptiveSizes(this.describe(), outputSize, [1, 1, 1, 1, 1], 3);
  }

  override describe(): string {
    return `AdaptiveMaxPool3d(output_size=${adaptiveSizeText(this.outputSize, 3)})`;
  }

  protected batchedShape(input: readonly number[]): readonly number[] {
    return adaptiveShape(this.describe(), input, this.outputSize, 3);
  }

  protected pool(x: Tensor, y: Tensor, indices: Tensor | null, where: string): BackwardRule {
    pool3dOps.adaptiveMaxPool3d(x, y, indices!, where);
    return gradients.adaptiveMaxPool3d(x, indices!, where);
  }
}

/** torch.nn.Flatten: a view of the input with dimensions startDim … endDim merged (default: all but the batch). */
export class Flatten extends Module {
  /** The views given out, by the memory they view, then by offset and shape: one per call a graph holds. */
  private readonly views = new Map<GPUBuffer, Map<string, Tensor[]>>();

  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
    options: { gpu?: Gpu } = {},
  ) {
    super(options?.gpu ?? currentGpu());
    normalizeOptions('Flatten', options, ['gpu']);
    for (const [name, v] of [['start_dim', startDim], ['end_dim', endDim]] as const) {
      if (!Number.isInteger(v)) throw new Error(`Flatten: argument '${name}' expected an integer, got ${show(v)}${typeof v === 'object' ? ' (options come third: new nn.Flatten(1, -1, { gpu }))' : ''}`);
    }
  }

  override describe(): string {
    return `Flatten(start_dim=${this.startDim}, end_dim=${this.endDim})`;
  }

  override outputShape(input: readonly number[]): readonly number[] {
    return F.flattenedShape(input, this.startDim, this.endDim, this.describe());
  }

  /**
   * A view of x. The view this module gave for the same memory before hands over its gradient
   * buffer, so none is made per step; one the current graph still holds (the same x flattened
   * twice) is kept, and this call gets another.
   */
  forward(x: Tensor): Tensor {
    const shape = this.outputShape(x.shape);
    // Inputs freed since (a composed module's output, an F op's at the end of a tidy()) take their
    // views' gradient buffers with them; a new input each step would otherwise leave one a step.
    for (const [memory, byKey] of this.views) {
      if (!this.gpu.isDestroyed(memory)) continue;
      for (const view of [...byKey.values()].flat()) if (view.ownsGrad && view.grad) view.grad.destroy();
      this.views.delete(memory);
    }
    let byKey = this.views.get(x.buffer);
    if (!byKey) this.views.set(x.buffer, (byKey = new Map()));
    const key = `${x.byteOffset}${shapeText(shape)}`;
    const earlier = byKey.get(key) ?? [];
    byKey.set(key, earlier);
    const free = earlier.findIndex((v) => !isOnLiveGraph(v));
    const view = x.reshapeView(shape);
    if (free >= 0) [view.grad, view.ownsGrad, earlier[free]!.ownsGrad] = [earlier[free]!.grad, earlier[free]!.ownsGrad, false];
    earlier[free >= 0 ? free : earlier.length] = view;
    return F.flatten(x, this.startDim, this.endDim, { out: view });
  }

  protected override freeExtras(why: string): void {
    for (const view of [...this.views.values()].flatMap((byKey) => [...byKey.values()].flat())) {
      view.freedBy ??= why;
      if (view.ownsGrad && view.grad) view.grad.destroy();
    }
    this.views.clear();
  }
}

// ── Sequential, ModuleList, ModuleDict ───────────────────────────────────────────────────────────

let engineModules: Set<unknown> | null = null;

/**
 * Whether outputShape tells m's output shape without running it: the engine's modules do; one of
 * your own does when it overrides outputShape (Module's default says the shape is kept).
 */
function shapeKnown(m: AnyModule): boolean {
  if (m instanceof Sequential) return m.layers.every(shapeKnown);
  engineModules ??= new Set(Object.values(nn));
  return engineModules.has(m.constructor) || m.outputShape !== Module.prototype.outputShape;
}

/** What was given where a Module was expected, for the error. */
function describeValue(v: unknown): string {
  if (typeof v === 'function') return `${v.name ? `the class or function ${v.name}` : 'a function'} (a module is made with new, e.g. new nn.ReLU())`;
  if (typeof v === 'string') return `the string '${v}'`;
  if (v === null || typeof v !== 'object') return String(v);
  return `an object (${Object.getPrototypeOf(v)?.constructor?.name ?? 'no prototype'})`;
}

/** What PyTorch prints for a ModuleList or ModuleDict: each child as '(name): …', nested ones indented. */
function containerText(kind: string, children: [string, AnyModule][]): string {
  if (children.length === 0) return `${kind}()`;
  return `${kind}(\n${children.map(([name, m]) => `  (${name}): ${m.describe().split('\n').join('\n  ')}`).join('\n')}\n)`;
}

export class Sequential extends Module implements Iterable<Module> {
  readonly layers: readonly Module[];
  /** PyTorch's model[0]: the layer at an index (model.at(-1) from the end). */
  readonly [index: number]: Module;

  constructor(...layers: Module[]) {
    if (layers.length === 0) throw new Error('Sequential: expected at least one module');
    layers.forEach((m, i) => {
      if (!(m instanceof Module)) throw new Error(`Sequential: argument ${i} (layer (${i})) expected a Module such as new nn.ReLU(), got ${describeValue(m)}`);
      if (m instanceof RecurrentLayers || m instanceof LSTMCell) throw new Error(`Sequential: layer (${i}) is ${(m as AnyModule).describe()}, whose forward returns ${m instanceof LSTM ? '[output, [h_n, c_n]]' : m instanceof LSTMCell ? '[h, c]' : '[output, h_n]'}, not a tensor, and a Sequential passes a tensor from layer to layer (PyTorch's fails on it too unless it is the last layer, returning the tuple): call it in a Module's forward and pass the output on`);
    });
    super(layers[0]!.gpu);
    this.layers = layers;
    layers.forEach((m, i) => Object.defineProperty(this, i, { value: m, enumerable: false }));
  }

  get length(): number {
    return this.layers.length;
  }

  /** The layer at index i (negative: from the end), or an Error naming the index. */
  at(i: number): Module {
    const m = Number.isInteger(i) ? this.layers.at(i) : undefined;
    if (!m) throw new Error(`Sequential.at: index ${i} is out of range for ${this.layers.length} layers`);
    return m;
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.layers[Symbol.iterator]();
  }

  override namedChildren(): [string, AnyModule][] {
    return this.layers.map((m, i) => [String(i), m]);
  }


  /** The output shape; a layer that refuses its input is named with its index and the shape it got. */
  override outputShape(input: readonly number[]): readonly number[] {
    return this.checkShapes(input, this.layers.length);
  }

  /** The shapes through layers [0, end), each refusal named with its layer's index. */
  private checkShapes(input: readonly number[], end: number): readonly number[] {
    return this.layers.slice(0, end).reduce((shape, layer, i) => {
      try {
        return layer.outputShape(shape);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        throw new Error(`Sequential layer (${i}) of input ${shapeText(input)}: ${message}`);
      }
    }, input);
  }

  /**
   * Runs the layers in order, after checking the shapes (a mismatch dispatches nothing) up to the
   * first module of your own that does not say its output shape (outputShape: Module's default
   * keeps the shape, which a Lambda's view would not): past it, each layer checks what it is given.
   * A Linear followed by Sigmoid or ReLU runs as one matmul with the activation fused.
   */
  forward(x: Tensor): Tensor {
    const unknown = this.layers.findIndex((layer) => !shapeKnown(layer));
    this.checkShapes(x.shape, unknown < 0 ? this.layers.length : unknown + 1);
    for (let i = 0; i < this.layers.length; i++) {
      const layer = this.layers[i]!;
      const next = this.layers[i + 1];
      const given = x.shape;
      try {
        if (layer instanceof Linear && next instanceof Activation) {
          x = layer.forward(x, next.kind);
          i++;
        } else {
          x = layer.forward(x);
        }
      } catch (error) {
        if (unknown < 0 || i <= unknown) throw error;
        throw new Error(`Sequential layer (${i}), given ${shapeText(given)}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return x;
  }
}

/**
 * torch.nn.ModuleList: modules held in order and registered as children '0', '1', … (a model's
 * field `blocks = new nn.ModuleList([...])` gives 'blocks.0.weight'). Iterable, with length, at(i)
 * (negative counts from the end) and append; like PyTorch's, it has no forward of its own.
 */
export class ModuleList<M extends AnyModule = Module> extends Module implements Iterable<M> {
  private readonly items: M[] = [];
  /** PyTorch's layers[0]: the module at an index (at(-1) from the end). */
  readonly [index: number]: M;

  constructor(modules: Iterable<M> = [], options: { gpu?: Gpu } = {}) {
    const list = [...modules];
    super(options?.gpu ?? list[0]?.gpu ?? currentGpu());
    normalizeOptions('ModuleList', options, ['gpu']);
    for (const m of list) this.append(m);
  }

  get length(): number {
    return this.items.length;
  }

  /** The module at index i (negative: from the end), or an Error naming the index. */
  at(i: number): M {
    const m = Number.isInteger(i) ? this.items.at(i) : undefined;
    if (!m) throw new Error(`ModuleList.at: index ${i} is out of range for ${this.items.length} modules`);
    return m;
  }

  append(module: M): this {
    if (!(module instanceof Module)) throw new Error(`ModuleList: module (${this.items.length}) expected a Module such as new nn.Linear(4, 4), got ${describeValue(module)}`);
    Object.defineProperty(this, this.items.length, { value: module, enumerable: false, configurable: true });
    this.items.push(module);
    return this;
  }

  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }

  override namedChildren(): [string, AnyModule][] {
    return this.items.map((m, i) => [String(i), m]);
  }

  override describe(): string {
    return containerText('ModuleList', this.namedChildren());
  }

  override outputShape(): readonly number[] {
    return this.forward();
  }

  forward(): never {
    throw new Error('ModuleList has no forward (as in PyTorch): call its modules, e.g. for (const block of this.blocks) x = block.forward(x)');
  }
}

/**
 * torch.nn.ModuleDict: modules held by name, in insertion order, and registered as children under
 * those names (a field `heads = new nn.ModuleDict({ price: … })` gives 'heads.price.weight'). Like a
 * Map: get, set, has, keys(), values(), entries(), size, and iteration yields [name, module].
 */
export class ModuleDict<M extends AnyModule = Module> extends Module implements Iterable<[string, M]> {
  private readonly items = new Map<string, M>();

  constructor(modules: Record<string, M> | Iterable<readonly [string, M]> = {}, options: { gpu?: Gpu } = {}) {
    const entries = Symbol.iterator in modules ? [...(modules as Iterable<readonly [string, M]>)] : Object.entries(modules);
    super(options?.gpu ?? entries[0]?.[1]?.gpu ?? currentGpu());
    normalizeOptions('ModuleDict', options, ['gpu']);
    for (const [name, m] of entries) this.set(name, m);
  }

  get size(): number {
    return this.items.size;
  }

  /** The module named `name`, or an Error listing the names there are. */
  get(name: string): M {
    const m = this.items.get(name);
    if (!m) throw new Error(`ModuleDict.get: no module named '${name}'; it holds ${this.items.size ? [...this.items.keys()].map((k) => `'${k}'`).join(', ') : 'none'}`);
    return m;
  }

  has(name: string): boolean {
    return this.items.has(name);
  }

  /** Adds or replaces a module. Names are parameter-name segments, so no '.' and not empty (as PyTorch). */
  set(name: string, module: M): this {
    if (typeof name !== 'string' || name === '' || name.includes('.')) throw new Error(`ModuleDict: name ${JSON.stringify(name)} is not a module name (a non-empty string without '.'; it becomes a segment of 'heads.NAME.weight')`);
    if (!(module instanceof Module)) throw new Error(`ModuleDict: module '${name}' expected a Module such as new nn.Linear(4, 4), got ${describeValue(module)}`);
    this.items.set(name, module);
    return this;
  }

  keys(): IterableIterator<string> {
    return this.items.keys();
  }

  values(): IterableIterator<M> {
    return this.items.values();
  }

  entries(): IterableIterator<[string, M]> {
    return this.items.entries();
  }

  [Symbol.iterator](): Iterator<[string, M]> {
    return this.items.entries();
  }

  override namedChildren(): [string, AnyModule][] {
    return [...this.items];
  }

  override describe(): string {
    return containerText('ModuleDict', this.namedChildren());
  }

  override outputShape(): readonly number[] {
    return this.forward();
  }

  forward(): never {
    throw new Error("ModuleDict has no forward (as in PyTorch): call its modules, e.g. this.heads.get('price').forward(x)");
  }
}

// ── CrossEntropyLoss, NLLLoss ────────────────────────────────────────────────────────────────────

export interface CrossEntropyLossOptions {
  /** [C] per-class weights, as a tensor or numbers. */
  weight?: Tensor | ArrayLike<number>;
  /** Targets with this class index count nowhere (default −100, as PyTorch; u32 labels never hold a negative one). */
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
  gpu?: Gpu;
}

/**
 * What nn.CrossEntropyLoss and nn.NLLLoss share: PyTorch's options, the fused kernel's buffers, and
 * the epoch's metrics, summed on the GPU from every batch of class indices.
 */
abstract class ClassificationLoss extends Module {
  /** Since resetMetrics(): sums of batch losses, correct rows, counted rows, batches; the first non-finite batch; the first bad label (METRICS_LENGTH). */
  readonly metrics: Tensor;
  /** Batches since resetMetrics(), and the batch from which each label dtype ran: how a recorded bad label's 32 bits read (−1 or 4294967295). */
  private batches = 0;
  private dtypeFrom: { batch: number; dtype: 'u32' | 'i32' }[] = [];
  readonly weight: Tensor | null;
  readonly ignoreIndex: number;
  readonly reduction: Reduction;
  readonly labelSmoothing: number;
  protected abstract readonly op: 'crossEntropy' | 'nllLoss';

  constructor(title: string, options: CrossEntropyLossOptions & { ignore_index?: number; label_smoothing?: number }, known: readonly string[]) {
    super(options?.gpu ?? currentGpu());
    const o = normalizeOptions(title, options, [...known, 'gpu'], { ignore_index: 'ignoreIndex', label_smoothing: 'labelSmoothing' }) as CrossEntropyLossOptions;
    const { ignoreIndex = -100, reduction = 'mean', labelSmoothing = 0 } = o;
    if (!['mean', 'sum', 'none'].includes(reduction)) throw new Error(`${title}: argument 'reduction' expected 'mean', 'sum' or 'none', got ${String(reduction)}`);
    if (!Number.isInteger(ignoreIndex) || Math.abs(ignoreIndex) >= 2 ** 31) throw new Error(`${title}: argument 'ignoreIndex' expected an int32, got ${String(ignoreIndex)}`);
    if (typeof labelSmoothing !== 'number' || !(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new Error(`${title}: argument 'labelSmoothing' expected a number in [0, 1], got ${String(labelSmoothing)}`);
    if (o.weight !== undefined && !(o.weight instanceof Tensor) && !Array.from(o.weight).every((v) => Number.isFinite(v) && v >= 0)) throw new Error(`${title}: argument 'weight' expected finite numbers ≥ 0, got [${Array.from(o.weight).join(', ')}]`);
    this.weight = o.weight === undefined ? null : o.weight instanceof Tensor ? o.weight : this.own(Tensor.fromArray(this.gpu, o.weight, [o.weight.length], 'f32', `${title}.weight`));
    this.ignoreIndex = ignoreIndex;
    this.reduction = reduction;
    this.labelSmoothing = labelSmoothing;
    this.metrics = this.own(Tensor.empty(this.gpu, [METRICS_LENGTH], 'f32', `${title}.metrics`));
    this.gpu.clear(this.metrics);
  }

  override describe(): string {
    const options = [
      ...(this.weight ? ['weight=…'] : []),
      ...(this.ignoreIndex !== -100 ? [`ignore_index=${this.ignoreIndex}`] : []),
      ...(this.reduction !== 'mean' ? [`reduction='${this.reduction}'`] : []),
      ...(this.labelSmoothing ? [`label_smoothing=${this.labelSmoothing}`] : []),
    ];
    return `${this.constructor.name}(${options.join(', ')})`;
  }

  resetMetrics(): void {
    this.gpu.clear(this.metrics);
    this.batches = 0;
    this.dtypeFrom = [];
  }

  /**
   * Reads the sums once: the mean of the batch losses, the accuracy over the counted rows (for
   * K-dimensional input, positions), the first batch (from 1) whose loss was NaN or infinite, and
   * the first label outside [0, C) (PyTorch raises there; a kernel cannot): its batch (from 1), its
   * row in that batch (from 0; for K-dimensional input, the flat position) and its value. Batches of
   * class probabilities are not counted.
   */
  async readMetrics(): Promise<{ loss: number; accuracy: number; rows: number; batches: number; firstNonFiniteBatch: number; badLabel: { batch: number; row: number; label: number } | null }> {
    const m = await this.metrics.read();
    const [lossSum = 0, correct = 0, rows = 0, batches = 0, firstNonFiniteBatch = 0, badLabelBatch = 0] = m;
    const dtype = this.dtypeFrom.findLast((d) => d.batch <= badLabelBatch)?.dtype ?? 'u32';
    return { loss: batches ? lossSum / batches : NaN, accuracy: rows ? correct / rows : NaN, rows, batches, firstNonFiniteBatch, badLabel: badLabelIn(m, dtype) };
  }

  /**
   * The loss of input [N, C], [C] or [N, C, d1, …, dk] against class indices (u32 or i32) of the
   * input's shape without dimension 1 ([1] for [C]): a [1] tensor for 'mean' and 'sum', the target's
   * shape for 'none'. nn.CrossEntropyLoss also takes class probabilities (f32, the input's shape).
   */
  forward(input: Tensor, target: Tensor): Tensor {
    const where = this.describe();
    const { C, targetShape, M, classesLast } = F.classLossShapes(where, input, target);
    if (this.weight) F.expectClassWeight(where, this.weight, input.shape); // before a batch is counted
    const options = { reduction: this.reduction, ...(this.weight ? { weight: this.weight } : {}), ...(this.op === 'crossEntropy' ? { labelSmoothing: this.labelSmoothing } : {}), name: where };
    if (target.dtype === 'f32') return this.keepComposed(F[this.op](input, target, { ...options, ignoreIndex: this.ignoreIndex }));
    this.batches++;
    if (this.dtypeFrom.at(-1)?.dtype !== target.dtype) this.dtypeFrom.push({ batch: this.batches, dtype: target.dtype as 'u32' | 'i32' });
    const buffer = this.buffers();
    const out = {
      rowLoss: buffer('row_loss', targetShape), dlogits: buffer('dlogits', [M, C]), loss: buffer('loss', [1], 'f32', LOSS_OUTPUTS_KEPT), metrics: this.metrics, rowWeight: buffer('row_weight', [M]), norm: buffer('norm', [1]),
      ...(classesLast ? { classesLast: buffer('classes_last', classesLast) } : {}),
    };
    return F[this.op](input, target, out, { ...options, ignoreIndex: this.ignoreIndex });
  }
}

/** torch.nn.CrossEntropyLoss(weight, ignore_index=−100, reduction='mean', label_smoothing=0): log_softmax and NLL in one kernel. */
export class CrossEntropyLoss extends ClassificationLoss {
  protected readonly op = 'crossEntropy';

  constructor(options: CrossEntropyLossOptions & { ignore_index?: number; label_smoothing?: number } = {}) {
    super('CrossEntropyLoss', options, ['weight', 'ignoreIndex', 'reduction', 'labelSmoothing']);
  }
}

/** torch.nn.NLLLoss(weight, ignore_index=−100, reduction='mean'): −w_t · input[n, t], the input holding log-probabilities (nn.LogSoftmax's output). */
export class NLLLoss extends ClassificationLoss {
  protected readonly op = 'nllLoss';

  constructor(options: Omit<CrossEntropyLossOptions, 'labelSmoothing'> & { ignore_index?: number } = {}) {
    super('NLLLoss', options, ['weight', 'ignoreIndex', 'reduction']);
  }
}

// ── MSELoss, L1Loss, SmoothL1Loss, HuberLoss ─────────────────────────────────────────────────────

export interface RegressionLossOptions {
  reduction?: Reduction;
  gpu?: Gpu;
}

abstract class RegressionLossModule extends Module {
  readonly reduction: Reduction;
  /** SmoothL1Loss's beta or HuberLoss's delta (PyTorch's default, 1); 1 and unused for the others. */
  protected readonly knee: number;

  /** `knee`: the option SmoothL1Loss ('beta') or HuberLoss ('delta') takes besides reduction. */
  constructor(options: RegressionLossOptions & { beta?: number; delta?: number } = {}, knee: 'beta' | 'delta' | null = null) {
    super(options?.gpu ?? currentGpu());
    const where = this.constructor.name;
    // PyTorch's deprecated size_average and reduce are refused as unknown: reduction says it all.
    const o = normalizeOptions(where, options, ['reduction', ...(knee ? [knee] : []), 'gpu'], {}) as RegressionLossOptions & { beta?: number; delta?: number };
    const { reduction = 'mean' } = o;
    if (!['mean', 'sum', 'none'].includes(reduction)) throw new Error(`${where}: argument 'reduction' expected 'mean', 'sum' or 'none', got ${String(reduction)}`);
    this.reduction = reduction;
    this.knee = knee ? (o[knee] ?? 1) : 1;
    if (knee) expectKnee(where, knee === 'beta' ? 'smoothL1' : 'huber', this.knee);
  }

  /** The F op, given this module's buffers and name. */
  protected abstract loss(input: Tensor, target: Tensor, options: F.RegressionLossOptions): Tensor;

  /** PyTorch's printout, which shows no options: MSELoss(), SmoothL1Loss(). */
  override describe(): string {
    return `${this.constructor.name}()`;
  }

  /** The loss of input against a target of the same shape: [1], or the elements' losses for 'none'. */
  forward(input: Tensor, target: Tensor): Tensor {
    const where = this.describe();
    if (!(input instanceof Tensor)) throw new Error(`${where}: input expected a Tensor, got ${show(input)}`);
    if (!(target instanceof Tensor)) throw new Error(`${where}: target expected a Tensor, got ${show(target)}`);
    if (input.shape.length !== target.shape.length || input.shape.some((d, i) => d !== target.shape[i])) throw new Error(`${where}: input has shape ${shapeText(input.shape)} and target ${shapeText(target.shape)}; they must be the same (no broadcasting)`);
    const { reduction } = this;
    const buffer = this.buffers();
    const out = buffer('loss', lossShape(input.shape, reduction), 'f32', reduction === 'none' ? 1 : LOSS_OUTPUTS_KEPT);
    const partials = reduction === 'none' ? {} : { partials: buffer('partials', [partialCount(input.size)]) };
    return this.loss(input, target, { reduction, out, ...partials, name: where });
  }
}

/** torch.nn.BCEWithLogitsLoss(weight=None, reduction='mean', pos_weight=None): F.binaryCrossEntropyWithLogits. */
export class BCEWithLogitsLoss extends Module {
  readonly reduction: Reduction;
  readonly weight: Tensor | null;
  readonly posWeight: Tensor | null;

  constructor(options: { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null; pos_weight?: Tensor | null; gpu?: Gpu } = {}) {
    super(options?.gpu ?? currentGpu());
    const o = normalizeOptions('BCEWithLogitsLoss', options, ['weight', 'reduction', 'posWeight', 'gpu'], { pos_weight: 'posWeight' }) as { weight?: Tensor | null; reduction?: Reduction; posWeight?: Tensor | null };
    const { reduction = 'mean' } = o;
    if (!['mean', 'sum', 'none'].includes(reduction)) throw new Error(`BCEWithLogitsLoss: argument 'reduction' expected 'mean', 'sum' or 'none', got ${show(reduction)}`);
    this.reduction = reduction;
    this.weight = o.weight ?? null;
    this.posWeight = o.posWeight ?? null;
  }

  override describe(): string {
    return `BCEWithLogitsLoss(${this.reduction !== 'mean' ? `reduction='${this.reduction}'` : ''})`;
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return this.keepComposed(F.binaryCrossEntropyWithLogits(input, target, { reduction: this.reduction, weight: this.weight, posWeight: this.posWeight }));
  }
}

/**
 * torch.nn.BCELoss(weight=None, reduction='mean'): binary cross-entropy of probabilities (a
 * sigmoid's output) against targets in [0, 1], logs clamped at −100 and PyTorch's gradients
 * (F.binaryCrossEntropy); nn.BCEWithLogitsLoss is the stable form on logits.
 */
export class BCELoss extends Module {
  readonly reduction: Reduction;
  readonly weight: Tensor | null;

  constructor(options: { weight?: Tensor | null; reduction?: Reduction; gpu?: Gpu } = {}) {
    super(options?.gpu ?? currentGpu());
    const o = normalizeOptions('BCELoss', options, ['weight', 'reduction', 'gpu'], {}) as { weight?: Tensor | null; reduction?: Reduction };
    const { reduction = 'mean' } = o;
    if (!['mean', 'sum', 'none'].includes(reduction)) throw new Error(`BCELoss: argument 'reduction' expected 'mean', 'sum' or 'none', got ${show(reduction)}`);
    if (o.weight != null && !(o.weight instanceof Tensor)) throw new Error(`BCELoss: argument 'weight' expected a Tensor or null, got ${show(o.weight)}`);
    this.reduction = reduction;
    this.weight = o.weight ?? null;
  }

  override describe(): string {
    return 'BCELoss()'; // PyTorch's printout shows no options
  }

  forward(input: Tensor, target: Tensor): Tensor {
    const where = this.describe();
    const { reduction } = this;
    if (this.weight) return this.keepComposed(F.binaryCrossEntropy(input, target, { weight: this.weight, reduction, name: where }));
    if (!(input instanceof Tensor) || !(target instanceof Tensor)) throw new Error(`${where}: input and target expected Tensors, got ${show(input)} and ${show(target)}`);
    if (input.shape.join() !== target.shape.join()) throw new Error(`${where}: input has shape ${shapeText(input.shape)} and target ${shapeText(target.shape)}; they must be the same (PyTorch's "Using a target size that is different to the input size")`);
    const buffer = this.buffers();
    const out = buffer('loss', lossShape(input.shape, reduction), 'f32', reduction === 'none' ? 1 : LOSS_OUTPUTS_KEPT);
    const partials = reduction === 'none' ? {} : { partials: buffer('partials', [partialCount(input.size)]) };
    return F.binaryCrossEntropy(input, target, { reduction, out, ...partials, name: where });
  }
}

/** torch.nn.MSELoss(reduction='mean'): (input − target)². */
export class MSELoss extends RegressionLossModule {
  protected loss(input: Tensor, target: Tensor, options: F.RegressionLossOptions): Tensor {
    return F.mseLoss(input, target, options);
  }
}

/** torch.nn.L1Loss(reduction='mean'): |input − target|; the gradient at input = target is 0, as PyTorch's. */
export class L1Loss extends RegressionLossModule {
  protected loss(input: Tensor, target: Tensor, options: F.RegressionLossOptions): Tensor {
    return F.l1Loss(input, target, options);
  }
}

/**
 * torch.nn.SmoothL1Loss(reduction='mean', beta=1.0): 0.5 d²/β where |d| < β, |d| − 0.5β elsewhere
 * (d = input − target; β = 0 is L1), F.smoothL1Loss.
 */
export class SmoothL1Loss extends RegressionLossModule {
  constructor(options: RegressionLossOptions & { beta?: number } = {}) {
    super(options, 'beta');
  }

  get beta(): number {
    return this.knee;
  }

  protected loss(input: Tensor, target: Tensor, options: F.RegressionLossOptions): Tensor {
    return F.smoothL1Loss(input, target, { ...options, beta: this.knee });
  }
}

/**
 * torch.nn.HuberLoss(reduction='mean', delta=1.0): 0.5 d² where |d| < δ, δ(|d| − 0.5δ) elsewhere
 * (d = input − target), F.huberLoss.
 */
export class HuberLoss extends RegressionLossModule {
  constructor(options: RegressionLossOptions & { delta?: number } = {}) {
    super(options, 'delta');
  }

  get delta(): number {
    return this.knee;
  }

  protected loss(input: Tensor, target: Tensor, options: F.RegressionLossOptions): Tensor {
    return F.huberLoss(input, target, { ...options, delta: this.knee });
  }
}

/**
 * torch.nn.KLDivLoss(reduction='mean', log_target=False): F.klDiv, the input log-probabilities
 * (nn.LogSoftmax's output), the target probabilities (log-probabilities with logTarget). 'batchmean'
 * is the KL divergence; 'mean', the default, divides by every element, as PyTorch's (which warns).
 * Printed as PyTorch prints it, `KLDivLoss()`, whatever its options.
 */
export class KLDivLoss extends Module {
  readonly reduction: Reduction | 'batchmean';
  readonly logTarget: boolean;

  constructor(options: F.KLDivOptions & { gpu?: Gpu } = {}) {
    super(options?.gpu ?? currentGpu());
    const o = normalizeOptions('KLDivLoss', options, ['reduction', 'logTarget', 'gpu'], { log_target: 'logTarget' }) as F.KLDivOptions;
    const { reduction = 'mean', logTarget = false } = o;
    if (!['mean', 'batchmean', 'sum', 'none'].includes(reduction)) throw new Error(`KLDivLoss: argument 'reduction' expected 'mean', 'batchmean', 'sum' or 'none', got ${show(reduction)}`);
    expectFlag('KLDivLoss', 'log_target', logTarget);
    this.reduction = reduction;
    this.logTarget = logTarget;
  }

  override describe(): string {
    return 'KLDivLoss()';
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return this.keepComposed(F.klDiv(input, target, { reduction: this.reduction, logTarget: this.logTarget }));
  }
}

// ── composed losses: MarginRankingLoss, SoftMarginLoss, HingeEmbeddingLoss, CosineEmbeddingLoss,
// PoissonNLLLoss, GaussianNLLLoss. Each keeps its options and runs its F form; PyTorch prints none
// of their options, and neither do they.

/** A composed loss module: its options normalised once, its reduction checked, PyTorch's printout. */
abstract class ComposedLoss<O extends { reduction?: Reduction }> extends Module {
  readonly reduction: Reduction;
  protected readonly options: O;

  constructor(name: string, options: O & { gpu?: Gpu }, known: readonly string[], aliases: Record<string, string> = {}) {
    super(options?.gpu ?? currentGpu());
    const o = normalizeOptions(name, options, ['reduction', ...known, 'gpu'], aliases) as O & { gpu?: Gpu };
    const { gpu: _, ...rest } = o;
    const reduction = o.reduction ?? 'mean';
    if (!['mean', 'sum', 'none'].includes(reduction)) throw new Error(`${name}: argument 'reduction' expected 'mean', 'sum' or 'none', got ${show(reduction)}`);
    this.reduction = reduction;
    const given = rest as Record<string, unknown>;
    for (const key of ['margin', 'eps']) if (key in given && (typeof given[key] !== 'number' || !Number.isFinite(given[key]))) throw new Error(`${name}: argument '${key}' expected a finite number, got ${show(given[key])}`);
    for (const key of ['full', 'logInput']) expectFlag(name, key === 'logInput' ? 'log_input' : key, given[key]);
    this.options = { ...rest, reduction } as unknown as O;
  }

  override describe(): string {
    return `${this.constructor.name}()`;
  }
}

/** torch.nn.MarginRankingLoss(margin=0.0, reduction='mean'): max(0, −y · (x1 − x2) + margin), F.marginRankingLoss. */
export class MarginRankingLoss extends ComposedLoss<F.MarginOptions> {
  constructor(options: F.MarginOptions & { gpu?: Gpu } = {}) {
    super('MarginRankingLoss', options, ['margin']);
  }

  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return this.keepComposed(F.marginRankingLoss(input1, input2, target, this.options));
  }
}

/** torch.nn.SoftMarginLoss(reduction='mean'): ln(1 + e^(−y · x)), F.softMarginLoss. */
export class SoftMarginLoss extends ComposedLoss<{ reduction?: Reduction }> {
  constructor(options: { reduction?: Reduction; gpu?: Gpu } = {}) {
    super('SoftMarginLoss', options, []);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return this.keepComposed(F.softMarginLoss(input, target, this.options));
  }
}

/** torch.nn.HingeEmbeddingLoss(margin=1.0, reduction='mean'): x where y = 1, max(0, margin − x) where y = −1, F.hingeEmbeddingLoss. */
export class HingeEmbeddingLoss extends ComposedLoss<F.MarginOptions> {
  constructor(options: F.MarginOptions & { gpu?: Gpu } = {}) {
    super('HingeEmbeddingLoss', options, ['margin']);
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return this.keepComposed(F.hingeEmbeddingLoss(input, target, this.options));
  }
}

/** torch.nn.CosineEmbeddingLoss(margin=0.0, reduction='mean'): 1 − cos where y = 1, max(0, cos − margin) where y = −1, F.cosineEmbeddingLoss. */
export class CosineEmbeddingLoss extends ComposedLoss<F.MarginOptions> {
  constructor(options: F.MarginOptions & { gpu?: Gpu } = {}) {
    super('CosineEmbeddingLoss', options, ['margin']);
  }

  forward(input1: Tensor, input2: Tensor, target: Tensor): Tensor {
    return this.keepComposed(F.cosineEmbeddingLoss(input1, input2, target, this.options));
  }
}

/** torch.nn.PoissonNLLLoss(log_input=True, full=False, eps=1e-08, reduction='mean'): F.poissonNllLoss. */
export class PoissonNLLLoss extends ComposedLoss<F.PoissonNLLOptions> {
  constructor(options: F.PoissonNLLOptions & { gpu?: Gpu } = {}) {
    super('PoissonNLLLoss', options, ['logInput', 'full', 'eps'], { log_input: 'logInput' });
  }

  forward(input: Tensor, target: Tensor): Tensor {
    return this.keepComposed(F.poissonNllLoss(input, target, this.options));
  }
}

/** torch.nn.GaussianNLLLoss(full=False, eps=1e-06, reduction='mean'): forward(input, target, var), F.gaussianNllLoss. */
export class GaussianNLLLoss extends ComposedLoss<F.GaussianNLLOptions> {
  constructor(options: F.GaussianNLLOptions & { gpu?: Gpu } = {}) {
    super('GaussianNLLLoss', options, ['full', 'eps']);
  }

  forward(input: Tensor, target: Tensor, variance: Tensor): Tensor {
    return this.keepComposed(F.gaussianNllLoss(input, target, variance, this.options));
  }
}
