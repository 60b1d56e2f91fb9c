// torch.optim, each optimizer one fused WGSL kernel per contiguous span of a parameter group's
// parameters (one group, one span, one dispatch for a model built in one go). PyTorch's documented
// algorithms, defaults, option names (camelCase, or PyTorch's snake_case pasted as is) and param
// groups. As in PyTorch, a step skips a parameter whose grad is None: one frozen (requiresGrad =
// false), or one no backward() has reached since zeroGrad() (whose default, setToNone = true, is
// PyTorch 2's); each keeps its own step count. After zeroGrad(false), an unused parameter steps with a
// zero gradient (weight decay and momentum still act), as in PyTorch.
import { methodSpellings } from './pytorch-names';
import type { Gpu } from './device/gpu';
import { combine } from './kernels/arithmetic';
import { adagradStep } from './kernels/adagrad';
import { adadeltaStep } from './kernels/adadelta';
import { adamStep } from './kernels/adam';
import { adamaxStep } from './kernels/adamax';
import { asgdSchedule, asgdStep } from './kernels/asgd';
import { ewa } from './kernels/ewa';
import { fillConstant } from './kernels/init';
import { nadamStep } from './kernels/nadam';
import { radamStep } from './kernels/radam';
import { rmspropStep } from './kernels/rmsprop';
import { rpropStep } from './kernels/rprop';
import { sgdStep } from './kernels/sgd';
import { paddedEnd, spansOf, type Parameter, type Span } from './parameters';
import { expectNoArguments, expectZeroGradArguments, normalizeOptions, show } from './options';
import { enableGrad, keptAsState, withoutGrad, Tensor, tidy } from './tensor';
import * as F from './functional';
import { shapeText } from './launch';

/** PyTorch's snake_case spellings, accepted beside our camelCase names. */
const ALIASES: Record<string, string> = {
  weight_decay: 'weightDecay',
  lr_decay: 'lrDecay',
  initial_accumulator_value: 'initialAccumulatorValue',
  initial_lr: 'initialLr',
  momentum_decay: 'momentumDecay',
  decoupled_weight_decay: 'decoupledWeightDecay',
  step_sizes: 'stepSizes',
  max_iter: 'maxIter',
  max_eval: 'maxEval',
  tolerance_grad: 'toleranceGrad',
  tolerance_change: 'toleranceChange',
  history_size: 'historySize',
  line_search_fn: 'lineSearchFn',
};


function check(where: string, name: string, value: unknown, ok: (v: number) => boolean, expected: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) throw new Error(`${where}: argument '${name}' expected ${expected}, got ${show(value)}`);
}

function checkFlag(where: string, name: string, value: unknown): void {
  if (typeof value !== 'boolean') throw new Error(`${where}: argument '${name}' expected true or false, got ${show(value)}`);
}

/** PyTorch's spellings, accepted as given (each optimizer still refuses the ones it lacks). */
export interface SnakeCaseOptions {
  weight_decay?: number;
  lr_decay?: number;
  initial_accumulator_value?: number;
  momentum_decay?: number;
  decoupled_weight_decay?: boolean;
  step_sizes?: [number, number];
}

/** A parameter group as given: its parameters, and options that override the optimizer's. */
export type ParamGroupInput<O> = { params: Iterable<Parameter> } & O & SnakeCaseOptions;

/**
 * A parameter group as held: every option filled in, and writable (opt.paramGroups[i].lr = …).
 * initialLr is PyTorch's initial_lr: the lr the first learning-rate scheduler made on the optimizer
 * found (src/lr-scheduler.ts), saved and loaded with the group.
 */
export type ParamGroup<O> = { params: readonly Parameter[]; initialLr?: number } & Required<O>;

/**
 * What one dispatch of a step updates: adjacent parameters of a span that take part and have taken
 * as many steps, with the matching part of each state buffer.
 */
export interface StepRun {
  values: Tensor;
  grads: Tensor;
  /** This update's number for these parameters, from 1 (PyTorch's per-parameter state['step']). */
  step: number;
  /** The parameters it updates, in order. */
  params: readonly Parameter[];
  /** The part of per-span state buffer `name` that lines up with `values`. */
  state(name: string): Tensor;
}

export interface OptimizerStateDict {
  optimizer: string;
  step: number;
  /** Each parameter's own updates, in order (a frozen parameter's stay behind); absent in older saves: all `step`. */
  steps?: number[];
  /** The shapes of the parameters it was saved from, in order (groups concatenated). */
  shapes: number[][];
  /** Each group's options, and its parameters as indices into `shapes` (PyTorch's param_groups). */
  paramGroups: Record<string, unknown>[];
  /** Per state name, one array per span, in span order. */
  state: Record<string, number[][]>;
  /** Numbers kept per parameter on the CPU (NAdam's mu_product), one per parameter in order. */
  scalars?: Record<string, number[]>;
  /** L-BFGS's numbers (its vectors are in `state`: d, prev_flat_grad, old_dirs.i, old_stps.i). */
  lbfgs?: { nIter: number; funcEvals: number; t: number; ro: number[]; hDiag: number; prevLoss: number };
}

function isParameter(p: unknown): p is Parameter {
  return p !== null && typeof p === 'object' && 'chunk' in p && 'offset' in p;
}

export abstract class Optimizer<O extends { lr?: number } = { lr?: number }> {
  /**
   * PyTorch's param_groups: each group's parameters and its options. The options are read at every
   * step, so writing one (opt.paramGroups[0].lr = 0.01, as a scheduler does) takes effect at the next.
   */
  readonly paramGroups: ParamGroup<O>[];
  /** The options every group starts from (PyTorch's defaults). */
  readonly defaults: Required<O>;
  /** Every group's spans, in group order: one dispatch each per step. */
  protected readonly spans: { span: Span; group: number }[];
  protected readonly gpu: Gpu;
  /** Steps taken so far. */
  stepCount = 0;
  /** Each parameter's updates so far: a frozen parameter's count stands still. */
  private readonly paramSteps = new Map<Parameter, number>();
  private readonly state = new Map<string, Tensor[]>();
  /** Each state's starting value per group (stateOf's `initial`), for spans added later. */
  private readonly initials = new Map<string, (group: never) => number>();
  /** Per-parameter numbers by name (scalarState), with the value a parameter starts from. */
  private readonly scalars = new Map<string, { values: Map<Parameter, number>; initial: number }>();
  /** Set by destroy(). */
  private destroyed = false;

  constructor(params: Iterable<Parameter> | Iterable<ParamGroupInput<Partial<O>>>, options: Partial<O> & SnakeCaseOptions, defaults: Required<O>) {
    const name = this.constructor.name;
    const known = Object.keys(defaults);
    this.defaults = { ...defaults, ...(normalizeOptions(name, options, known, ALIASES) as Partial<O>) };
    this.validate(this.defaults, name);
    if (isParameter(params)) throw new Error(`${name}: expected an iterable of Parameters (model.parameters(), or [weight]), got one Parameter '${params.label}' ${shapeText(params.shape)}: pass [${params.label}]`);
    if (params instanceof Tensor) throw new Error(`${name}: expected an iterable of Parameters, got a Tensor '${params.label}' ${shapeText(params.shape)}: optimizers update Parameters; make one holding its values with Parameter.from(tensor), and pass [it]`);
    if (params == null || typeof (params as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') throw new Error(`${name}: expected Parameters (model.parameters()) or param groups ({ params, ...options }), got ${show(params)}`);
    const given = [...params] as unknown[];
    if (given.length === 0) throw new Error(`${name}: got an empty parameter list`);
    const tensor = given.find((p) => p instanceof Tensor && !isParameter(p)) as Tensor | undefined;
    if (tensor) throw new Error(`${name}: expected Parameters (model.parameters()), got a Tensor '${tensor.label}' ${shapeText(tensor.shape)}: optimizers update Parameters; make one holding its values with Parameter.from(tensor)`);
    const groups: ParamGroupInput<Partial<O>>[] = given.every(isParameter) ? [{ params: given } as unknown as ParamGroupInput<Partial<O>>] : (given as ParamGroupInput<Partial<O>>[]);
    const seen = new Set<Parameter>();
    this.paramGroups = groups.map((g, i) => this.group(g, i, seen));
    this.gpu = this.paramGroups[0]!.params[0]!.gpu;
    this.spans = this.paramGroups.flatMap((g, group) => spansOf(g.params).map((span) => ({ span, group })));
  }

  /** Param group `i` as given, checked, with the defaults filled in; its parameters join `seen`. */
  private group(g: ParamGroupInput<Partial<O>>, i: number, seen: Set<Parameter>): ParamGroup<O> {
    const name = this.constructor.name;
    const where = `${name}: param group ${i}`;
    if (g === null || typeof g !== 'object' || isParameter(g) || !('params' in g)) throw new Error(`${name}: expected Parameters (model.parameters()) or param groups ({ params, ...options }), got ${String(g)} at ${i}`);
    const { params: ps, ...rest } = g;
    if (isParameter(ps)) throw new Error(`${where}: 'params' expected an iterable of Parameters, got one Parameter '${ps.label}': pass [${ps.label}]`);
    const list = [...ps];
    if (list.length === 0) throw new Error(`${where} has no parameters`);
    for (const p of list) {
      if (!isParameter(p)) throw new Error(`${where}: expected Parameters (model.parameters()), got ${(p as unknown) instanceof Tensor ? `a Tensor '${(p as Tensor).label}' ${shapeText((p as Tensor).shape)}: optimizers update Parameters; make one holding its values with Parameter.from(tensor)` : show(p)}`);
      if (seen.has(p)) throw new Error(`${where}: parameter '${p.label}' [${p.shape.join(', ')}] appears in more than one group (or twice)`);
      if (p.freedBy !== null) throw new Error(`${where}: parameter '${p.label}' [${p.shape.join(', ')}] was freed by ${p.freedBy}`);
      seen.add(p);
    }
    const group = { ...this.defaults, ...(normalizeOptions(where, rest, Object.keys(this.defaults), ALIASES) as Partial<O>), params: list } as ParamGroup<O>;
    this.validate(group, where);
    return group;
  }

  /**
   * PyTorch's add_param_group: more parameters (a layer unfrozen for fine-tuning), their options
   * over the defaults; their state starts as a new parameter's would.
   */
  addParamGroup(group: ParamGroupInput<Partial<O>>): void {
    const i = this.paramGroups.length;
    this.expectUsable(`${this.constructor.name}.addParamGroup`);
    const added = this.group(group, i, new Set(this.params));
    if (added.params.some((p) => p.gpu !== this.gpu)) throw new Error(`${this.constructor.name}.addParamGroup: its parameters are on another Gpu than the optimizer's`);
    this.paramGroups.push(added);
    this.spans.push(...spansOf(added.params).map((span) => ({ span, group: i })));
  }

  /**
   * Frees the optimizer's state on the GPU (momenta, moments, L-BFGS's history; TensorFlow.js's
   * dispose()), as a sweep that builds a model and an optimizer per run needs. The parameters stay;
   * any later use of the optimizer is an Error.
   */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    for (const tensors of this.state.values()) tensors.forEach((t) => t.destroy());
    this.state.clear();
    this.freeState();
  }

  /** A subclass's own GPU state, for destroy(). */
  protected freeState(): void {}

  /** Throws for a destroyed optimizer, or one with a parameter freed since (its module's destroy()): its spans would update whatever took that space. */
  protected expectUsable(where: string): void {
    if (this.destroyed) throw new Error(`${where}: this optimizer was destroyed (destroy()); make a new one`);
    const freed = this.params.find((p) => p.freedBy !== null);
    if (freed) throw new Error(`${where}: parameter '${freed.label}' ${shapeText(freed.shape)} was freed by ${freed.freedBy}; destroy this optimizer too, or make one over live parameters`);
  }

  /** Every parameter, groups concatenated. */
  get params(): readonly Parameter[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  /** Throws an Error naming `where` and the option when a group's options are out of range. */
  protected abstract validate(options: Required<O>, where: string): void;

  /** Per-span state buffers named `name`, created on first use and filled with `initial(group)`. */
  protected stateOf(name: string, initial?: (group: Required<O>) => number): Tensor[] {
    if (initial) this.initials.set(name, initial);
    let tensors = this.state.get(name);
    if (!tensors) this.state.set(name, (tensors = []));
    // Every span's, the first time; later, those of a group added since (addParamGroup).
    if (tensors.length < this.spans.length) {
      const fill = (this.initials.get(name) ?? (() => 0)) as (group: Required<O>) => number;
      tensors.push(...this.spans.slice(tensors.length).map(({ span, group }) => this.stateTensor(name, span, fill(this.paramGroups[group]!))));
    }
    return tensors;
  }

  /**
   * A number per parameter kept on the CPU (NAdam's mu_product: one value for all of a parameter's
   * elements), `initial` before its first step; saved and loaded with the state. Adjacent parameters
   * share a dispatch only while their values agree (runKey).
   */
  protected scalarState(name: string, initial: number): Map<Parameter, number> {
    let s = this.scalars.get(name);
    if (!s) this.scalars.set(name, (s = { values: new Map(), initial }));
    return s.values;
  }

  /** What must be equal, besides the step count, for adjacent parameters to share a dispatch. */
  protected runKey(_p: Parameter): unknown {
    return undefined;
  }

  private stateTensor(name: string, span: Span, value: number): Tensor {
    const t = Tensor.empty(this.gpu, [span.size], 'f32', `${this.constructor.name}.${name}`);
    if (value === 0) this.gpu.clear(t);
    else fillConstant(t, value);
    return t;
  }

  /** PyTorch's spellings of zeroGrad, stateDict, loadStateDict and addParamGroup: the same methods (src/pytorch-names.ts). */
  declare zero_grad: Optimizer<O>['zeroGrad'];
  declare state_dict: Optimizer<O>['stateDict'];
  declare load_state_dict: Optimizer<O>['loadStateDict'];
  declare add_param_group: Optimizer<O>['addParamGroup'];

  /**
   * Zeroes every gradient: one clear per span. With setToNone (PyTorch 2's default) the parameters also
   * have no gradient until the next backward() reaches them, so a step skips those it does not.
   */
  zeroGrad(setToNone = true, ...unsupported: never[]): void {
    expectZeroGradArguments(`${this.constructor.name}.zeroGrad`, setToNone, unsupported);
    this.expectUsable(`${this.constructor.name}.zeroGrad`);
    for (const { span } of this.spans) this.gpu.clear(span.grads);
    for (const p of this.params) {
      p.gradIsZero = true;
      if (setToNone) p.hasGrad = false;
    }
  }

  /**
   * Records one update of every parameter with a gradient (one dispatch per span); nothing is read back.
   * PyTorch's step(closure): the closure zeroes the gradients, runs forward and backward and returns
   * the loss; step calls it first (with grad enabled, up to an async closure's first await) and
   * returns what it returns. An async closure is awaited before the update: step returns its Promise.
   */
  step(): void;
  step<T>(closure: () => T): T;
  step<T>(closure?: (() => T) | null, ...unsupported: never[]): T | undefined {
    const where = `${this.constructor.name}.step`;
    if (closure !== undefined && closure !== null && typeof closure !== 'function') throw new Error(`${where}: argument 'closure' expected a function (or nothing), got ${show(closure)}`);
    expectNoArguments(where, unsupported, 'its one argument is a closure');
    this.expectUsable(where);
    if (!closure) {
      this.updateAll();
      return undefined;
    }
    const loss = enableGrad(closure);
    if (loss instanceof Promise) {
      return loss.then((value: unknown) => {
        this.updateAll();
        return value;
      }) as T;
    }
    this.updateAll();
    return loss;
  }

  private updateAll(): void {
    this.expectUsable(`${this.constructor.name}.step`); // again: an async closure may have freed a module
    this.paramGroups.forEach((g, i) => this.validate(g, `${this.constructor.name}: param group ${i}`));
    this.stepCount++;
    this.spans.forEach(({ span, group }, i) => {
      for (const run of this.runs(span, i)) this.update(run, this.paramGroups[group]!);
    });
  }

  protected abstract update(run: StepRun, group: Required<O>): void;

  /**
   * One step's dispatches over span `i`: runs of adjacent parameters that have a gradient and have
   * taken as many steps. When every parameter has one, one run: the whole span.
   */
  private runs(span: Span, i: number): StepRun[] {
    const runs: StepRun[] = [];
    let members: Parameter[] = [];
    let step = 0;
    let key: unknown;
    const close = () => {
      if (members.length > 0) runs.push(this.run(span, i, members, step));
      members = [];
    };
    for (const p of span.params) {
      if (!p.requiresGrad || !p.hasGrad) {
        close();
        continue;
      }
      const next = (this.paramSteps.get(p) ?? 0) + 1;
      this.paramSteps.set(p, next);
      if (members.length > 0 && (next !== step || this.runKey(p) !== key)) close();
      if (members.length === 0) [step, key] = [next, this.runKey(p)];
      members.push(p);
    }
    close();
    return runs;
  }

  /** The floats of span `i` from `members`' first to its last (padding between them included). */
  private run(span: Span, i: number, members: Parameter[], step: number): StepRun {
    const [from, to] = [members[0]!.offset - span.offset, paddedEnd(members.at(-1)!) - span.offset];
    const part = (t: Tensor) => (from === 0 && to === span.size ? t : new Tensor(this.gpu, t.buffer, [to - from], 'f32', t.byteOffset + from * 4, `${t.label}[${from}:${to}]`));
    return { values: part(span.values), grads: part(span.grads), step, params: members, state: (name) => part(this.stateOf(name)[i]!) };
  }

  protected groupOptions(): Record<string, unknown>[] {
    const indices = new Map(this.params.map((p, i) => [p, i]));
    return this.paramGroups.map(({ params, ...options }) => ({ ...structuredClone(options), params: params.map((p) => indices.get(p)!) }));
  }

  async stateDict(): Promise<OptimizerStateDict> {
    this.expectUsable(`${this.constructor.name}.stateDict`);
    const state: Record<string, number[][]> = {};
    // stateOf first: a group added since the state was made (addParamGroup) gets its spans' state.
    for (const name of [...this.state.keys()]) state[name] = await Promise.all(this.stateOf(name).map(async (t) => Array.from(await t.read())));
    const scalars = Object.fromEntries([...this.scalars].map(([name, s]) => [name, this.params.map((p) => s.values.get(p) ?? s.initial)]));
    return { optimizer: this.constructor.name, step: this.stepCount, steps: this.params.map((p) => this.paramSteps.get(p) ?? 0), shapes: this.params.map((p) => [...p.shape]), paramGroups: this.groupOptions(), state, ...(this.scalars.size > 0 ? { scalars } : {}) };
  }

  /**
   * Restores a saved state after checking all of it; a mismatch loads nothing. As PyTorch's
   * load_state_dict, each group's options (lr, …) come back with it.
   */
  loadStateDict(saved: OptimizerStateDict): void {
    const where = `${this.constructor.name}.loadStateDict`;
    this.expectUsable(where);
    if (saved.optimizer !== this.constructor.name) throw new Error(`${where}: the state is from ${saved.optimizer}`);
    if (!Number.isInteger(saved.step) || saved.step < 0) throw new Error(`${where}: 'step' expected an integer ≥ 0, got ${saved.step}`);
    const text = (shapes: readonly (readonly number[])[]) => shapes.map((s) => `[${s.join(', ')}]`).join(', ');
    const ours = this.params.map((p) => p.shape);
    if (!Array.isArray(saved.shapes) || text(saved.shapes) !== text(ours)) throw new Error(`${where}: the state is for parameters of shapes ${text(saved.shapes ?? [])}, this optimizer has ${text(ours)}`);
    const steps = saved.steps ?? this.params.map(() => saved.step);
    if (!Array.isArray(steps) || steps.length !== this.params.length || !steps.every((n) => Number.isInteger(n) && n >= 0 && n <= saved.step)) throw new Error(`${where}: 'steps' expected ${this.params.length} integers in [0, ${saved.step}] (one per parameter), got ${JSON.stringify(saved.steps)}`);
    const mine = this.groupOptions();
    const groups = saved.paramGroups ?? [];
    const members = (gs: Record<string, unknown>[]) => gs.map((g) => JSON.stringify(g['params'])).join(' ');
    if (groups.length !== mine.length || members(groups) !== members(mine)) throw new Error(`${where}: the state has param groups ${members(groups) || 'none'}, this optimizer has ${members(mine)} (parameter indices)`);
    const restored = groups.map((g, i) => {
      const { params: _, ...options } = g;
      const { initialLr, ...saved } = normalizeOptions(`${where}: param group ${i}`, options, [...Object.keys(this.defaults), 'initialLr'], ALIASES) as Partial<O> & { initialLr?: number };
      // The saved group replaces the live one, as in PyTorch: an initialLr the save lacks goes too.
      const { initialLr: _live, ...live } = this.paramGroups[i]!;
      const group = { ...live, ...saved, ...(initialLr === undefined ? {} : { initialLr }) } as ParamGroup<O>;
      this.validate(group, `${where}: param group ${i}`);
      if (initialLr !== undefined) check(`${where}: param group ${i}`, 'initialLr', initialLr, (v) => v >= 0, 'a number ≥ 0');
      return group;
    });
    for (const [name, arrays] of Object.entries(saved.state)) {
      if (arrays.length !== this.spans.length) throw new Error(`${where}: state '${name}' has ${arrays.length} spans, this optimizer has ${this.spans.length}`);
      arrays.forEach((a, i) => {
        if (a.length !== this.spans[i]!.span.size) throw new Error(`${where}: state '${name}' span ${i} holds ${a.length} values, expected ${this.spans[i]!.span.size}`);
      });
    }
    for (const [name, { initial }] of this.scalars) {
      // A save with steps needs its per-parameter numbers: without them the run would go on from the wrong ones.
      if (saved.scalars?.[name] === undefined && steps.some((n) => n > 0)) throw new Error(`${where}: the state has steps but no 'scalars.${name}' (${this.constructor.name} keeps one per parameter); it is from another optimizer or was cut short`);
      const values = saved.scalars?.[name] ?? this.params.map(() => initial);
      if (!Array.isArray(values) || values.length !== this.params.length || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) throw new Error(`${where}: 'scalars.${name}' expected ${this.params.length} finite numbers (one per parameter), got ${show(saved.scalars?.[name])}`);
    }
    restored.forEach((g, i) => {
      delete this.paramGroups[i]!.initialLr;
      Object.assign(this.paramGroups[i]!, g);
    });
    for (const [name, arrays] of Object.entries(saved.state)) this.stateOf(name).forEach((t, i) => t.write(arrays[i]!));
    this.stepCount = saved.step;
    this.params.forEach((p, i) => this.paramSteps.set(p, steps[i]!));
    for (const [name, s] of this.scalars) {
      const values = saved.scalars?.[name];
      this.params.forEach((p, i) => (values ? s.values.set(p, values[i]!) : s.values.delete(p)));
    }
  }
}

// PyTorch's names (src/pytorch-names.ts): optimizer.zero_grad(), optimizer.state_dict().
methodSpellings(Optimizer.prototype, ['zero_grad', 'state_dict', 'load_state_dict', 'add_param_group']);

type Params<O> = Iterable<Parameter> | Iterable<ParamGroupInput<O>>;
type Given<O> = O & SnakeCaseOptions;

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
  maximize?: boolean;
}

export class SGD extends Optimizer<SGDOptions> {
  constructor(params: Params<SGDOptions>, options: Given<SGDOptions> = {}) {
    super(params, options, { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false });
  }

  protected validate(o: Required<SGDOptions>, where: string): void {
    check(where, 'lr', o.lr, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'momentum', o.momentum, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'dampening', o.dampening, () => true, 'a finite number');
    check(where, 'weightDecay', o.weightDecay, (v) => v >= 0, 'a number ≥ 0');
    checkFlag(where, 'nesterov', o.nesterov);
    checkFlag(where, 'maximize', o.maximize);
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) throw new Error(`${where}: nesterov momentum requires a momentum > 0 and zero dampening`);
  }

  protected update(run: StepRun, o: Required<SGDOptions>): void {
    const buffer = o.momentum !== 0 ? run.state('momentum_buffer') : undefined;
    sgdStep(run.values, run.grads, buffer, { ...o, firstStep: run.step === 1 });
  }
}

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
  maximize?: boolean;
}

export class Adagrad extends Optimizer<AdagradOptions> {
  constructor(params: Params<AdagradOptions>, options: Given<AdagradOptions> = {}) {
    super(params, options, { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, maximize: false });
    this.stateOf('sum', (g) => g.initialAccumulatorValue);
  }

  protected validate(o: Required<AdagradOptions>, where: string): void {
    check(where, 'lr', o.lr, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'lrDecay', o.lrDecay, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'weightDecay', o.weightDecay, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'initialAccumulatorValue', o.initialAccumulatorValue, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'eps', o.eps, (v) => v >= 0, 'a number ≥ 0');
    checkFlag(where, 'maximize', o.maximize);
  }

  protected update(run: StepRun, o: Required<AdagradOptions>): void {
    const clr = o.lr / (1 + (run.step - 1) * o.lrDecay);
    adagradStep(run.values, run.grads, run.state('sum'), { clr, weightDecay: o.weightDecay, eps: o.eps, maximize: o.maximize });
  }
}

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
  maximize?: boolean;
}

export class RMSprop extends Optimizer<RMSpropOptions> {
  constructor(params: Params<RMSpropOptions>, options: Given<RMSpropOptions> = {}) {
    super(params, options, { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, maximize: false });
  }

  protected validate(o: Required<RMSpropOptions>, where: string): void {
    check(where, 'lr', o.lr, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'alpha', o.alpha, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'eps', o.eps, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'weightDecay', o.weightDecay, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'momentum', o.momentum, (v) => v >= 0, 'a number ≥ 0');
    checkFlag(where, 'centered', o.centered);
    checkFlag(where, 'maximize', o.maximize);
  }

  protected update(run: StepRun, o: Required<RMSpropOptions>): void {
    rmspropStep(
      run.values,
      run.grads,
      {
        squareAvg: run.state('square_avg'),
        ...(o.centered ? { gradAvg: run.state('grad_avg') } : {}),
        ...(o.momentum > 0 ? { momentumBuffer: run.state('momentum_buffer') } : {}),
      },
      o,
    );
  }
}

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  maximize?: boolean;
}

/** What Adam and its variants share: lr, betas, eps, weightDecay and maximize. */
function validateAdamLike(o: { lr: number; betas: [number, number]; eps: number; weightDecay: number; maximize: boolean }, where: string): void {
  check(where, 'lr', o.lr, (v) => v >= 0, 'a number ≥ 0');
  expectPair(where, 'betas', o.betas);
  check(where, 'betas[0]', o.betas[0], (v) => v >= 0 && v < 1, 'a number in [0, 1)');
  check(where, 'betas[1]', o.betas[1], (v) => v >= 0 && v < 1, 'a number in [0, 1)');
  check(where, 'eps', o.eps, (v) => v >= 0, 'a number ≥ 0');
  check(where, 'weightDecay', o.weightDecay, (v) => v >= 0, 'a number ≥ 0');
  checkFlag(where, 'maximize', o.maximize);
}

function expectPair(where: string, name: string, value: unknown): void {
  if (!Array.isArray(value) || value.length !== 2) throw new Error(`${where}: argument '${name}' expected two numbers, got ${show(value)}`);
}

function validateAdam(o: Required<AdamOptions>, where: string): void {
  validateAdamLike(o, where);
  checkFlag(where, 'amsgrad', o.amsgrad);
}

export class Adam extends Optimizer<AdamOptions> {
  /** AdamW decays the weights directly (θ ← θ·(1 − lr·λ)) instead of adding λ·θ to the gradient. */
  protected readonly decoupledWeightDecay: boolean = false;

  constructor(params: Params<AdamOptions>, options: Given<AdamOptions> = {}, defaults: Partial<Required<AdamOptions>> = {}) {
    super(params, options, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, amsgrad: false, maximize: false, ...defaults });
  }

  protected validate(o: Required<AdamOptions>, where: string): void {
    validateAdam(o, where);
  }

  protected update(run: StepRun, o: Required<AdamOptions>): void {
    adamStep(
      { param: run.values, grad: run.grads, expAvg: run.state('exp_avg'), expAvgSq: run.state('exp_avg_sq'), ...(o.amsgrad ? { maxExpAvgSq: run.state('max_exp_avg_sq') } : {}) },
      { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay, amsgrad: o.amsgrad, maximize: o.maximize, step: run.step, decoupledWeightDecay: this.decoupledWeightDecay },
    );
  }
}

/** torch.optim.AdamW: Adam with decoupled weight decay, default weightDecay 0.01. */
export class AdamW extends Adam {
  protected override readonly decoupledWeightDecay = true;

  constructor(params: Params<AdamOptions>, options: Given<AdamOptions> = {}) {
    super(params, options, { weightDecay: 1e-2 });
  }
}

/**
 * Exponentially weighted averages v_t = β·v_{t−1} + (1 − β)·θ_t of a series (or of each row of a
 * [series, T] tensor), computed by shaders/ewa.wgsl; with biasCorrection, v_t / (1 − βᵗ).
 */
export function exponentiallyWeightedAverage(gpu: Gpu, values: Tensor | ArrayLike<number>, beta: number, options: { biasCorrection?: boolean } = {}): Tensor {
  normalizeOptions('exponentiallyWeightedAverage', options, ['biasCorrection']);
  const x = values instanceof Tensor ? values : Tensor.fromArray(gpu, values, [values.length], 'f32', 'ewa input');
  const y = Tensor.empty(gpu, x.shape, 'f32', 'ewa');
  ewa(x, y, beta, options.biasCorrection ?? false);
  return y;
}

export interface AdamaxOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
}

/** torch.optim.Adamax: Adam with an exponentially weighted infinity norm in place of the second moment. */
export class Adamax extends Optimizer<AdamaxOptions> {
  constructor(params: Params<AdamaxOptions>, options: Given<AdamaxOptions> = {}) {
    super(params, options, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false });
  }

  protected validate(o: Required<AdamaxOptions>, where: string): void {
    validateAdamLike(o, where);
  }

  protected update(run: StepRun, o: Required<AdamaxOptions>): void {
    adamaxStep(run.values, run.grads, { expAvg: run.state('exp_avg'), expInf: run.state('exp_inf') }, { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay, maximize: o.maximize, step: run.step });
  }
}

export interface NAdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  momentumDecay?: number;
  /** PyTorch 2's: ascend. */
  maximize?: boolean;
  /** PyTorch 2.1's: decay θ by lr·weightDecay directly (as AdamW) instead of through the gradient. */
  decoupledWeightDecay?: boolean;
}

/**
 * torch.optim.NAdam: Adam with Nesterov momentum and PyTorch's momentum schedule; each parameter keeps
 * the product of its momentum coefficients (PyTorch's mu_product) on the CPU, saved in stateDict.
 */
export class NAdam extends Optimizer<NAdamOptions> {
  private readonly muProducts = this.scalarState('mu_product', 1);

  constructor(params: Params<NAdamOptions>, options: Given<NAdamOptions> = {}) {
    super(params, options, { lr: 2e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3, maximize: false, decoupledWeightDecay: false });
  }

  protected validate(o: Required<NAdamOptions>, where: string): void {
    validateAdamLike(o, where);
    check(where, 'momentumDecay', o.momentumDecay, (v) => v >= 0, 'a number ≥ 0');
    checkFlag(where, 'decoupledWeightDecay', o.decoupledWeightDecay);
  }

  protected override runKey(p: Parameter): unknown {
    return this.muProducts.get(p) ?? 1;
  }

  protected update(run: StepRun, o: Required<NAdamOptions>): void {
    const muProduct = this.muProducts.get(run.params[0]!) ?? 1;
    const product = nadamStep(run.values, run.grads, { expAvg: run.state('exp_avg'), expAvgSq: run.state('exp_avg_sq') }, { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay, momentumDecay: o.momentumDecay, maximize: o.maximize, decoupledWeightDecay: o.decoupledWeightDecay, step: run.step, muProduct });
    for (const p of run.params) this.muProducts.set(p, product);
  }
}

export interface RAdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /** PyTorch 2's: ascend. */
  maximize?: boolean;
  /** PyTorch 2.1's: decay θ by lr·weightDecay directly (as AdamW) instead of through the gradient. */
  decoupledWeightDecay?: boolean;
}

/** torch.optim.RAdam: Adam rectified while its second moment rests on few gradients. */
export class RAdam extends Optimizer<RAdamOptions> {
  constructor(params: Params<RAdamOptions>, options: Given<RAdamOptions> = {}) {
    super(params, options, { lr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0, maximize: false, decoupledWeightDecay: false });
  }

  protected validate(o: Required<RAdamOptions>, where: string): void {
    validateAdamLike(o, where);
    checkFlag(where, 'decoupledWeightDecay', o.decoupledWeightDecay);
  }

  protected update(run: StepRun, o: Required<RAdamOptions>): void {
    radamStep(run.values, run.grads, { expAvg: run.state('exp_avg'), expAvgSq: run.state('exp_avg_sq') }, { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay, maximize: o.maximize, decoupledWeightDecay: o.decoupledWeightDecay, step: run.step });
  }
}

export interface AdadeltaOptions {
  lr?: number;
  rho?: number;
  eps?: number;
  weightDecay?: number;
  maximize?: boolean;
}

/** torch.optim.Adadelta: steps in the parameter's own units, from running RMS values of steps and gradients. */
export class Adadelta extends Optimizer<AdadeltaOptions> {
  constructor(params: Params<AdadeltaOptions>, options: Given<AdadeltaOptions> = {}) {
    super(params, options, { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0, maximize: false });
  }

  protected validate(o: Required<AdadeltaOptions>, where: string): void {
    check(where, 'lr', o.lr, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'rho', o.rho, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    check(where, 'eps', o.eps, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'weightDecay', o.weightDecay, (v) => v >= 0, 'a number ≥ 0');
    checkFlag(where, 'maximize', o.maximize);
  }

  protected update(run: StepRun, o: Required<AdadeltaOptions>): void {
    adadeltaStep(run.values, run.grads, { squareAvg: run.state('square_avg'), accDelta: run.state('acc_delta') }, o);
  }
}

export interface RpropOptions {
  lr?: number;
  /** (η₋, η₊): how a step size shrinks when the gradient's sign flips, and grows while it holds. */
  etas?: [number, number];
  /** (min, max) of every step size. */
  stepSizes?: [number, number];
  maximize?: boolean;
}

/**
 * torch.optim.Rprop: each element moves by its own step size against its gradient's sign; the sizes
 * start at lr (a parameter's first step reads lr; later changes to lr do not reach them, as in PyTorch).
 */
export class Rprop extends Optimizer<RpropOptions> {
  constructor(params: Params<RpropOptions>, options: Given<RpropOptions> = {}) {
    super(params, options, { lr: 1e-2, etas: [0.5, 1.2], stepSizes: [1e-6, 50], maximize: false });
  }

  protected validate(o: Required<RpropOptions>, where: string): void {
    check(where, 'lr', o.lr, (v) => v >= 0, 'a number ≥ 0');
    expectPair(where, 'etas', o.etas);
    check(where, 'etas[0]', o.etas[0], (v) => v > 0 && v < 1, 'a number in (0, 1) (η₋, the shrink factor)');
    check(where, 'etas[1]', o.etas[1], (v) => v > 1, 'a number > 1 (η₊, the growth factor)');
    expectPair(where, 'stepSizes', o.stepSizes);
    check(where, 'stepSizes[0]', o.stepSizes[0], (v) => v >= 0, 'a number ≥ 0');
    check(where, 'stepSizes[1]', o.stepSizes[1], (v) => v >= o.stepSizes[0], `a number ≥ stepSizes[0] (${o.stepSizes[0]})`);
    checkFlag(where, 'maximize', o.maximize);
  }

  protected update(run: StepRun, o: Required<RpropOptions>): void {
    rpropStep(run.values, run.grads, { prev: run.state('prev'), stepSize: run.state('step_size') }, { lr: o.lr, etaMinus: o.etas[0], etaPlus: o.etas[1], stepSizeMin: o.stepSizes[0], stepSizeMax: o.stepSizes[1], maximize: o.maximize, step: run.step });
  }
}

export interface ASGDOptions {
  lr?: number;
  /** λ: the decay term's weight (θ·(1 − λη)), and how fast η falls. */
  lambd?: number;
  /** α: the power of η's decay. */
  alpha?: number;
  /** The step after which the average starts. */
  t0?: number;
  weightDecay?: number;
  maximize?: boolean;
}

/**
 * torch.optim.ASGD: SGD with step sizes η_t = lr/(1 + λ·lr·t)^α and a running average of the
 * parameters from step t0 on (`ax(p)`, PyTorch's opt.state[p]['ax']); η and μ per parameter on the CPU.
 */
export class ASGD extends Optimizer<ASGDOptions> {
  private readonly etas = this.scalarState('eta', 0);
  private readonly mus = this.scalarState('mu', 1);

  constructor(params: Params<ASGDOptions>, options: Given<ASGDOptions> = {}) {
    super(params, options, { lr: 1e-2, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0, maximize: false });
  }

  protected validate(o: Required<ASGDOptions>, where: string): void {
    check(where, 'lr', o.lr, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'lambd', o.lambd, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'alpha', o.alpha, () => true, 'a finite number');
    check(where, 't0', o.t0, () => true, 'a finite number');
    check(where, 'weightDecay', o.weightDecay, (v) => v >= 0, 'a number ≥ 0');
    checkFlag(where, 'maximize', o.maximize);
  }

  protected override runKey(p: Parameter): unknown {
    return `${this.etas.get(p)} ${this.mus.get(p)}`;
  }

  protected update(run: StepRun, o: Required<ASGDOptions>): void {
    // A parameter's first step uses η = lr (float32, as PyTorch's state tensor) and μ = 1.
    const first = run.params[0]!;
    const [eta, mu] = run.step === 1 ? [Math.fround(o.lr), 1] : [this.etas.get(first)!, this.mus.get(first)!];
    asgdStep(run.values, run.grads, run.state('ax'), { lambd: o.lambd, eta, mu, weightDecay: o.weightDecay, maximize: o.maximize });
    const next = asgdSchedule(run.step, o);
    for (const p of run.params) {
      this.etas.set(p, next.eta);
      this.mus.set(p, next.mu);
    }
  }

  /** PyTorch's opt.state[p]['ax']: p's running average, a view of the optimizer's buffer (zeros before p's first step). */
  ax(p: Parameter): Tensor {
    const i = this.spans.findIndex(({ span }) => span.params.includes(p));
    if (i < 0) throw new Error(`ASGD.ax: parameter '${p.label}' ${shapeText(p.shape)} is not one of this optimizer's`);
    const t = this.stateOf('ax')[i]!;
    return new Tensor(this.gpu, t.buffer, p.shape, 'f32', t.byteOffset + (p.offset - this.spans[i]!.span.offset) * 4, `ASGD.ax of ${p.label}`);
  }
}

// ── L-BFGS ────────────────────────────────────────────────────────────────────────────────────────

export interface LBFGSOptions {
  lr?: number;
  /** Iterations per step(). */
  maxIter?: number;
  /** Closure calls per step() (PyTorch's default: maxIter · 5/4). */
  maxEval?: number | null;
  /** Stop when every |gradient| is at most this. */
  toleranceGrad?: number;
  /** Stop when a step, or the loss's change, is smaller than this. */
  toleranceChange?: number;
  /** How many (s, y) pairs the inverse-Hessian approximation keeps. */
  historySize?: number;
  /** null (fixed steps of lr) or 'strong_wolfe' (a line search for each step's length). */
  lineSearchFn?: null | 'strong_wolfe';
}

type LBFGSSnakeCase = { max_iter?: number; max_eval?: number | null; tolerance_grad?: number; tolerance_change?: number; history_size?: number; line_search_fn?: null | 'strong_wolfe' };

/** A vector over every parameter: one tensor per span of the optimizer (padding between parameters included, its gradient 0). */
type Flat = Tensor[];

/** Σ a·b over the spans, as a [1] tensor (no read). */
function flatDot(a: Flat, b: Flat): Tensor {
  return tidy(() => a.map((t, i) => F.sum(F.mul(t, b[i]!))).reduce((x, y) => F.add(x, y)));
}

/** out += sign · scale · x, scale a [1] tensor on the GPU (nothing read back). */
function flatAddScaledBy(out: Flat, x: Flat, scale: Tensor, sign: number): void {
  out.forEach((o, i) => combine(o, { op: 'mul', a: x[i]!, b: scale, broadcast: { inner: o.size, bSize: 1 }, alpha: sign, accumulate: true }));
}

/** out += alpha · x. */
function flatAddScaled(out: Flat, x: Flat, alpha: number): void {
  out.forEach((o, i) => combine(o, { op: 'add', a: x[i]!, b: null, broadcast: { inner: o.size, bSize: 1 }, alpha, accumulate: true }));
}

async function readScalar(t: Tensor): Promise<number> {
  return (await t.read())[0]!;
}

/** max |x| over the spans, read back. */
async function flatAbsMax(x: Flat): Promise<number> {
  const maxima = tidy(() => x.map((t) => F.max(F.abs(t))));
  const values = await Promise.all(maxima.map(readScalar));
  maxima.forEach((t) => t.destroy());
  return Math.max(...values);
}

/** Σ |x| over the spans, read back. */
async function flatAbsSum(x: Flat): Promise<number> {
  const total = tidy(() => x.map((t) => F.sum(F.abs(t))).reduce((a, b) => F.add(a, b)));
  const value = await readScalar(total);
  total.destroy();
  return value;
}

const destroyFlat = (x: Flat | null) => x?.forEach((t) => t.destroy());

/**
 * PyTorch's _cubic_interpolate: the minimiser of the cubic through (x1, f1) and (x2, f2) with slopes
 * g1 and g2, clamped to `bounds` (default [x1, x2] in order); their middle where it has none.
 */
function cubicInterpolate(x1: number, f1: number, g1: number, x2: number, f2: number, g2: number, bounds?: [number, number]): number {
  const [low, high] = bounds ?? (x1 <= x2 ? [x1, x2] : [x2, x1]);
  const d1 = g1 + g2 - (3 * (f1 - f2)) / (x1 - x2);
  const d2Square = d1 ** 2 - g1 * g2;
  if (d2Square < 0) return (low + high) / 2;
  const d2 = Math.sqrt(d2Square);
  const minPos = x1 <= x2 ? x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2)) : x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2));
  return Math.min(Math.max(minPos, low), high);
}

/**
 * torch.optim.LBFGS (Nocedal's limited-memory BFGS, PyTorch's algorithm): each step() runs up to
 * maxIter iterations, each a direction from the last historySize (s, y) pairs by the two-loop
 * recursion, a step of lr along it (the first iteration ever: min(1, 1/‖g‖₁)·lr), and a closure call
 * for the new loss and gradient. The vectors stay on the GPU (the recursion's scalars too, as [1]
 * tensors); what decides the next move (y·s, g·d, max |g|, the loss) is read back, as PyTorch's CPU
 * comparisons read its device. step(closure) is async: `const loss = await opt.step(closure)`.
 * One param group only, as PyTorch's.
 */
export class LBFGS extends Optimizer<LBFGSOptions> {
  /** PyTorch's state['n_iter'] and state['func_evals'], over every step() so far. */
  nIter = 0;
  funcEvals = 0;
  private d: Flat | null = null;
  private t = 0;
  private oldDirs: Flat[] = [];
  private oldStps: Flat[] = [];
  private ro: number[] = [];
  private hDiag = 1;
  private prevFlatGrad: Flat | null = null;
  private prevLoss = 0;

  constructor(params: Iterable<Parameter>, options: LBFGSOptions & LBFGSSnakeCase = {}) {
    super(params, options as object, { lr: 1, maxIter: 20, maxEval: null as unknown as number, toleranceGrad: 1e-7, toleranceChange: 1e-9, historySize: 100, lineSearchFn: null as unknown as 'strong_wolfe' });
    if (this.paramGroups.length !== 1) throw new Error("LBFGS: got " + this.paramGroups.length + " param groups; LBFGS doesn't support per-parameter options (parameter groups), as PyTorch's");
  }

  protected validate(o: Required<LBFGSOptions>, where: string): void {
    check(where, 'lr', o.lr, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'maxIter', o.maxIter, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
    if (o.maxEval !== null) check(where, 'maxEval', o.maxEval, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1 or null (maxIter · 5/4)');
    check(where, 'toleranceGrad', o.toleranceGrad, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'toleranceChange', o.toleranceChange, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'historySize', o.historySize, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
    if (o.lineSearchFn !== null && o.lineSearchFn !== 'strong_wolfe') throw new Error(`${where}: argument 'lineSearchFn' expected null or 'strong_wolfe', got ${show(o.lineSearchFn)} (PyTorch's "only 'strong_wolfe' is supported")`);
  }

  override addParamGroup(): void {
    throw new Error("LBFGS.addParamGroup: LBFGS doesn't support per-parameter options (parameter groups), as PyTorch's");
  }

  protected update(): void {
    throw new Error('LBFGS: step() needs a closure, and is async: await opt.step(closure)');
  }

  /** The gradient buffers (live: the next closure call overwrites them). */
  private get liveGrad(): Flat {
    return this.spans.map(({ span }) => span.grads);
  }

  /** The closure's loss as a number (it returns a one-element tensor, or a number); `owned`: a copy of ours, freed once read. */
  private static async lossOf(value: unknown, owned: boolean): Promise<number> {
    const v = await value;
    if (v instanceof Tensor) {
      if (v.size !== 1) {
        if (owned) v.destroy();
        throw new Error(`LBFGS.step: the closure's loss must have one element, got ${shapeText(v.shape)} (PyTorch: "only one element tensors can be converted to Python scalars")`);
      }
      const value = await readScalar(v);
      if (owned) v.destroy();
      return value;
    }
    if (typeof v === 'number') return v;
    throw new Error(`LBFGS.step: the closure must return the loss (a Tensor or a number), got ${show(v)}`);
  }

  /**
   * One closure call with grad enabled. A plain (synchronous) closure runs inside a tidy(): what its F
   * ops made is freed once its loss is copied (a module's loss is the module's and stays), so a
   * closure written as PyTorch's leaves nothing behind at each of its many calls. An async closure
   * cannot be scoped so: it must free its own intermediates.
   */
  private static runClosure<T>(closure: () => T): { value: unknown; owned: boolean } {
    if (closure.constructor.name === 'AsyncFunction') return { value: enableGrad(closure), owned: false };
    const value = enableGrad(() =>
      tidy(() => {
        const value = closure();
        if (value instanceof Promise) throw new Error('LBFGS.step: the closure returned a Promise; declare it async (async () => …) so its awaits run outside the step\'s tidy scope');
        return value instanceof Tensor ? value.clone('LBFGS loss') : value; // a copy: tidy frees an F op's loss, and a module's stays the module's
      }),
    );
    return { value, owned: true };
  }

  /**
   * PyTorch's step(closure): the closure zeroes the gradients, runs forward and backward and returns
   * the loss (a [1] tensor, or a number); it runs with grad enabled, once at the start and once after
   * each iteration but the last. Resolves to the first loss as a number (PyTorch returns the tensor,
   * but a module's loss buffer holds the last call's by then). The `& T` in the type is only there to
   * fit Optimizer.step's; the value is the Promise.
   */
  override step<T>(closure?: (() => T) | null, ...unsupported: never[]): Promise<number> & T {
    if (typeof closure !== 'function') throw new Error(`LBFGS.step: expected a closure that re-evaluates the model and returns the loss (PyTorch's step(closure)), got ${show(closure)}`);
    expectNoArguments('LBFGS.step', unsupported, 'its one argument is the closure');
    if (this.stepping) throw new Error('LBFGS.step: the previous step has not finished; await each step (await opt.step(closure)) before the next');
    this.expectUsable('LBFGS.step');
    this.stepping = true;
    return this.iterate(closure).finally(() => (this.stepping = false)) as Promise<number> & T;
  }

  private stepping = false;

  private async iterate<T>(closure: () => T): Promise<number> {
    const g = this.paramGroups[0]!;
    this.validate(g, 'LBFGS: param group 0');
    const maxEval = g.maxEval ?? Math.floor((g.maxIter * 5) / 4);
    this.stepCount++;
    const evaluate = async () => {
      const { value: returned, owned } = LBFGS.runClosure(closure);
      const value = await LBFGS.lossOf(returned, owned);
      this.funcEvals++;
      return value;
    };
    const origLoss = await evaluate();
    let loss = origLoss;
    let currentEvals = 1;
    // The gradient the iteration works from: the live gradient buffers after a closure call, or the
    // line search's copy of the one at the step it chose (owned here, freed when replaced).
    let flatGrad = this.liveGrad;
    let owned: Flat | null = null;
    if ((await flatAbsMax(flatGrad)) <= g.toleranceGrad) return origLoss;
    let nIter = 0;
    while (nIter < g.maxIter) {
      nIter++;
      this.nIter++;
      if (this.nIter === 1) {
        this.resetHistory();
        destroyFlat(this.d);
        const grad = flatGrad;
        this.d = keptAsState(withoutGrad(() => tidy(() => grad.map((t) => F.mul(t, -1)))));
        this.hDiag = 1;
      } else {
        await this.remember(flatGrad, g.historySize);
        const d = keptAsState(withoutGrad(() => this.direction(flatGrad)));
        destroyFlat(this.d);
        this.d = d;
      }
      const d = this.d!;
      if (this.prevFlatGrad === null) this.prevFlatGrad = keptAsState(flatGrad.map((t) => t.clone('LBFGS prev_flat_grad')));
      else this.prevFlatGrad.forEach((t, i) => this.gpu.copy(flatGrad[i]!, t));
      this.prevLoss = loss;
      this.t = this.nIter === 1 ? Math.min(1, 1 / (await flatAbsSum(flatGrad))) * g.lr : g.lr;
      const gtd = await this.dot(flatGrad, d);
      if (gtd > -g.toleranceChange) break;
      let evals = 0;
      let optimal = false;
      if (g.lineSearchFn === 'strong_wolfe') {
        // PyTorch's step calls _strong_wolfe without the group's tolerance_change: its default 1e-9.
        const found = await this.strongWolfe(evaluate, d, loss, flatGrad, gtd, 1e-9);
        destroyFlat(owned);
        [loss, flatGrad, owned, this.t, evals] = [found.loss, found.grad, found.grad, found.t, found.evals];
        flatAddScaled(this.values, d, this.t);
        optimal = (await flatAbsMax(flatGrad)) <= g.toleranceGrad;
      } else {
        flatAddScaled(this.values, d, this.t);
        if (nIter !== g.maxIter) {
          loss = await evaluate();
          destroyFlat(owned);
          [flatGrad, owned] = [this.liveGrad, null];
          optimal = (await flatAbsMax(flatGrad)) <= g.toleranceGrad;
          evals = 1;
        }
      }
      currentEvals += evals;
      if (nIter === g.maxIter || currentEvals >= maxEval || optimal) break;
      if ((await flatAbsMax(d)) * Math.abs(this.t) <= g.toleranceChange) break;
      if (Math.abs(loss - this.prevLoss) < g.toleranceChange) break;
    }
    destroyFlat(owned);
    return origLoss;
  }

  private get values(): Flat {
    return this.spans.map(({ span }) => span.values);
  }

  private async dot(a: Flat, b: Flat): Promise<number> {
    const t = withoutGrad(() => flatDot(a, b));
    const value = await readScalar(t);
    t.destroy();
    return value;
  }

  /**
   * PyTorch's _strong_wolfe: a step t along d meeting the strong Wolfe conditions (sufficient decrease
   * f(t) ≤ f + c1·t·g·d, curvature |g(t)·d| ≤ −c2·g·d), bracketed, then zoomed by cubic interpolation;
   * at most 25 evaluations. Each evaluation moves the parameters to x + t·d, calls the closure and
   * puts them back. Returns the chosen step's loss, a copy of its gradient, t and the evaluations.
   */
  private async strongWolfe(evaluate: () => Promise<number>, d: Flat, f: number, grad: Flat, gtd: number, toleranceChange: number): Promise<{ loss: number; grad: Flat; t: number; evals: number }> {
    const [c1, c2, maxLs] = [1e-4, 0.9, 25];
    const x = this.values.map((v) => v.clone('LBFGS x_init'));
    const copies: Flat[] = [];
    const copy = (v: Flat) => {
      const c = v.map((u) => u.clone('LBFGS line search gradient'));
      copies.push(c);
      return c;
    };
    /** f, a copy of g and g·d at x + t·d, the parameters put back after. */
    const at = async (t: number) => {
      flatAddScaled(this.values, d, t);
      const fT = await evaluate();
      const gT = copy(this.liveGrad);
      this.values.forEach((v, i) => this.gpu.copy(x[i]!, v));
      return { f: fT, g: gT, gtd: await this.dot(gT, d) };
    };
    const dNorm = await flatAbsMax(d);
    const g0 = copy(grad); // grad may be the live buffers, which the evaluations overwrite
    let t = this.t;
    let evals = 1;
    let next = await at(t);
    let [tPrev, fPrev, gPrev, gtdPrev] = [0, f, g0, gtd];
    let done = false;
    let lsIter = 0;
    let bracket: number[] = [];
    let bracketF: number[] = [];
    let bracketG: Flat[] = [];
    let bracketGtd: number[] = [];
    while (lsIter < maxLs) {
      if (next.f > f + c1 * t * gtd || (lsIter > 1 && next.f >= fPrev)) {
        [bracket, bracketF, bracketG, bracketGtd] = [[tPrev, t], [fPrev, next.f], [gPrev, next.g], [gtdPrev, next.gtd]];
        break;
      }
      if (Math.abs(next.gtd) <= -c2 * gtd) {
        [bracket, bracketF, bracketG, done] = [[t], [next.f], [next.g], true];
        break;
      }
      if (next.gtd >= 0) {
        [bracket, bracketF, bracketG, bracketGtd] = [[tPrev, t], [fPrev, next.f], [gPrev, next.g], [gtdPrev, next.gtd]];
        break;
      }
      const [minStep, maxStep] = [t + 0.01 * (t - tPrev), t * 10];
      const tNew = cubicInterpolate(tPrev, fPrev, gtdPrev, t, next.f, next.gtd, [minStep, maxStep]);
      [tPrev, fPrev, gPrev, gtdPrev] = [t, next.f, next.g, next.gtd];
      t = tNew;
      next = await at(t);
      evals++;
      lsIter++;
    }
    if (lsIter === maxLs) [bracket, bracketF, bracketG] = [[0, t], [f, next.f], [g0, next.g]];
    let insufficientProgress = false;
    let [low, high] = bracketF[0]! <= bracketF.at(-1)! ? [0, 1] : [1, 0];
    while (!done && lsIter < maxLs) {
      if (Math.abs(bracket[1]! - bracket[0]!) * dNorm < toleranceChange) break;
      t = cubicInterpolate(bracket[0]!, bracketF[0]!, bracketGtd[0]!, bracket[1]!, bracketF[1]!, bracketGtd[1]!);
      const [top, bottom] = [Math.max(...bracket), Math.min(...bracket)];
      const eps = 0.1 * (top - bottom);
      if (Math.min(top - t, t - bottom) < eps) {
        // Too close to an end: move eps inside, unless the last try already made no progress.
        if (insufficientProgress || t >= top || t <= bottom) {
          t = Math.abs(t - top) < Math.abs(t - bottom) ? top - eps : bottom + eps;
          insufficientProgress = false;
        } else {
          insufficientProgress = true;
        }
      } else {
        insufficientProgress = false;
      }
      next = await at(t);
      evals++;
      lsIter++;
      if (next.f > f + c1 * t * gtd || next.f >= bracketF[low]!) {
        [bracket[high], bracketF[high], bracketG[high], bracketGtd[high]] = [t, next.f, next.g, next.gtd];
        [low, high] = bracketF[0]! <= bracketF[1]! ? [0, 1] : [1, 0];
      } else {
        if (Math.abs(next.gtd) <= -c2 * gtd) done = true;
        else if (next.gtd * (bracket[high]! - bracket[low]!) >= 0) {
          [bracket[high], bracketF[high], bracketG[high], bracketGtd[high]] = [bracket[low]!, bracketF[low]!, bracketG[low]!, bracketGtd[low]!];
        }
        [bracket[low], bracketF[low], bracketG[low], bracketGtd[low]] = [t, next.f, next.g, next.gtd];
      }
    }
    const chosen = bracketG[low]!;
    // The chosen gradient's copy is returned (the caller owns it); every other copy, and x, is freed.
    for (const c of copies) if (c !== chosen) destroyFlat(c);
    destroyFlat(x);
    return { loss: bracketF[low]!, grad: chosen, t: bracket[low]!, evals };
  }

  /** y = g − g_prev and s = t·d join the history where y·s > 1e-10 (the curvature condition), as PyTorch's. */
  private async remember(flatGrad: Flat, historySize: number): Promise<void> {
    const [y, s] = withoutGrad(() => tidy(() => [flatGrad.map((t, i) => F.sub(t, this.prevFlatGrad![i]!)), this.d!.map((t) => F.mul(t, this.t))]));
    const [ysTensor, yyTensor] = withoutGrad(() => [flatDot(y!, s!), flatDot(y!, y!)]);
    const [ys, yy] = [await readScalar(ysTensor), await readScalar(yyTensor)];
    ysTensor.destroy();
    yyTensor.destroy();
    if (!(ys > 1e-10)) {
      destroyFlat(y!);
      destroyFlat(s!);
      return;
    }
    if (this.oldDirs.length === historySize) {
      destroyFlat(this.oldDirs.shift()!);
      destroyFlat(this.oldStps.shift()!);
      this.ro.shift();
    }
    this.oldDirs.push(keptAsState(y!));
    this.oldStps.push(keptAsState(s!));
    this.ro.push(1 / Math.fround(ys));
    this.hDiag = Math.fround(ys) / Math.fround(yy);
  }

  /**
   * The two-loop recursion: d = −H·g, H the L-BFGS inverse-Hessian approximation from the history
   * and the initial scaling H_diag = y·s / y·y of the newest pair. Each α_i and β_i stays a [1] tensor.
   */
  private direction(flatGrad: Flat): Flat {
    return tidy(() => {
      const q = flatGrad.map((t) => F.mul(t, -1));
      const al: Tensor[] = [];
      for (let i = this.oldDirs.length - 1; i >= 0; i--) {
        al[i] = F.mul(flatDot(this.oldStps[i]!, q), this.ro[i]!);
        flatAddScaledBy(q, this.oldDirs[i]!, al[i]!, -1);
      }
      const r = q.map((t) => F.mul(t, this.hDiag));
      for (let i = 0; i < this.oldDirs.length; i++) {
        const coefficient = F.sub(al[i]!, F.mul(flatDot(this.oldDirs[i]!, r), this.ro[i]!));
        flatAddScaledBy(r, this.oldStps[i]!, coefficient, 1);
      }
      return r;
    });
  }

  override destroy(): void {
    if (this.stepping) throw new Error('LBFGS.destroy: a step is running; await it first');
    super.destroy();
  }

  protected override freeState(): void {
    this.resetHistory();
    destroyFlat(this.d);
    destroyFlat(this.prevFlatGrad);
    [this.d, this.prevFlatGrad] = [null, null];
  }

  private resetHistory(): void {
    this.oldDirs.forEach(destroyFlat);
    this.oldStps.forEach(destroyFlat);
    [this.oldDirs, this.oldStps, this.ro] = [[], [], []];
  }

  /** PyTorch's state: the direction, the last gradient, the history and the counters (vectors as one array per span). */
  override async stateDict(): Promise<OptimizerStateDict> {
    this.expectUsable('LBFGS.stateDict');
    const read = (v: Flat) => Promise.all(v.map(async (t) => Array.from(await t.read())));
    const state: Record<string, number[][]> = {};
    if (this.d) state['d'] = await read(this.d);
    if (this.prevFlatGrad) state['prev_flat_grad'] = await read(this.prevFlatGrad);
    for (const [i, v] of this.oldDirs.entries()) state[`old_dirs.${i}`] = await read(v);
    for (const [i, v] of this.oldStps.entries()) state[`old_stps.${i}`] = await read(v);
    const { nIter, funcEvals, t, ro, hDiag, prevLoss } = this;
    return { optimizer: 'LBFGS', step: this.stepCount, shapes: this.params.map((p) => [...p.shape]), paramGroups: this.groupOptions(), state, lbfgs: { nIter, funcEvals, t, ro: [...ro], hDiag, prevLoss } };
  }

  /** Restores stateDict()'s save after checking all of it (the parameters' shapes, the vectors' sizes); a mismatch loads nothing. */
  override loadStateDict(saved: OptimizerStateDict): void {
    const where = 'LBFGS.loadStateDict';
    this.expectUsable(where);
    const l = saved?.lbfgs;
    if (saved?.optimizer !== 'LBFGS' || !l) throw new Error(`${where}: the state is from ${saved?.optimizer ?? 'nothing'}${saved?.optimizer === 'LBFGS' ? ' but has no lbfgs numbers' : ''}`);
    const history = Object.keys(saved.state).filter((k) => k.startsWith('old_dirs.')).length;
    const expected = [...(saved.state['d'] ? ['d'] : []), ...(saved.state['prev_flat_grad'] ? ['prev_flat_grad'] : []), ...Array.from({ length: history }, (_, i) => [`old_dirs.${i}`, `old_stps.${i}`]).flat()];
    const extra = Object.keys(saved.state).filter((k) => !expected.includes(k));
    if (extra.length > 0) throw new Error(`${where}: unknown state '${extra[0]}' (expected d, prev_flat_grad, old_dirs.i and old_stps.i)`);
    if (!Array.isArray(l.ro) || l.ro.length !== history || ![l.nIter, l.funcEvals, l.t, l.hDiag, l.prevLoss, ...l.ro].every((v) => typeof v === 'number' && Number.isFinite(v))) throw new Error(`${where}: 'lbfgs' expected finite numbers and ${history} ro values (one per history pair), got ${show(l)}`);
    for (const name of expected) {
      const arrays = saved.state[name]!;
      if (!Array.isArray(arrays) || arrays.length !== this.spans.length || arrays.some((a, i) => a.length !== this.spans[i]!.span.size)) throw new Error(`${where}: state '${name}' holds ${Array.isArray(arrays) ? arrays.map((a) => a.length).join(' + ') : show(arrays)} values, expected ${this.spans.map(({ span }) => span.size).join(' + ')}`);
    }
    // The base checks the shapes, groups and steps, and restores them (its per-span state is not L-BFGS's).
    super.loadStateDict({ ...saved, state: {}, steps: this.params.map(() => saved.step) });
    const load = (name: string): Flat => saved.state[name]!.map((a) => Tensor.fromArray(this.gpu, a, [a.length], 'f32', `LBFGS ${name}`));
    this.resetHistory();
    destroyFlat(this.d);
    destroyFlat(this.prevFlatGrad);
    this.d = saved.state['d'] ? load('d') : null;
    this.prevFlatGrad = saved.state['prev_flat_grad'] ? load('prev_flat_grad') : null;
    this.oldDirs = Array.from({ length: history }, (_, i) => load(`old_dirs.${i}`));
    this.oldStps = Array.from({ length: history }, (_, i) => load(`old_stps.${i}`));
    Object.assign(this, { nIter: l.nIter, funcEvals: l.funcEvals, t: l.t, ro: [...l.ro], hDiag: l.hDiag, prevLoss: l.prevLoss });
  }
}
