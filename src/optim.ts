// torch.optim, each optimizer one fused WGSL kernel per contiguous span of its parameters (one
// span, one dispatch, for a model built in one go). PyTorch's documented algorithms and defaults.
// One difference: a parameter whose gradient was never written steps with a zero gradient
// (weight decay and momentum still act), where PyTorch skips parameters whose grad is None.
import type { Gpu } from './device/gpu';
import { adagradStep } from './kernels/adagrad';
import { adamStep } from './kernels/adam';
import { ewa } from './kernels/ewa';
import { fillConstant } from './kernels/init';
import { rmspropStep } from './kernels/rmsprop';
import { sgdStep } from './kernels/sgd';
import { Parameter, spansOf, type Span } from './parameters';
import { Tensor } from './tensor';

function check(optimizer: string, name: string, value: unknown, ok: boolean, expected: string): void {
  if (typeof value !== 'number' && typeof value !== 'boolean') throw new Error(`${optimizer}: argument '${name}' expected ${expected}, got ${String(value)}`);
  if (typeof value === 'number' && (!Number.isFinite(value) || !ok)) throw new Error(`${optimizer}: argument '${name}' expected ${expected}, got ${value}`);
}

export interface OptimizerStateDict {
  optimizer: string;
  step: number;
  /** The shapes of the parameters it was saved from, in order. */
  shapes: number[][];
  /** Per state name, one array per span, in span order. */
  state: Record<string, number[][]>;
}

export abstract class Optimizer {
  readonly params: readonly Parameter[];
  protected readonly spans: Span[];
  protected readonly gpu: Gpu;
  /** Steps taken so far. */
  stepCount = 0;
  private readonly state = new Map<string, Tensor[]>();

  constructor(params: Iterable<Parameter>) {
    this.params = [...params];
    if (this.params.length === 0) throw new Error(`${this.constructor.name}: got an empty parameter list`);
    for (const p of this.params) {
      if (!(p instanceof Parameter)) throw new Error(`${this.constructor.name}: expected Parameters (model.parameters()), got ${String(p)}`);
    }
    this.gpu = this.params[0]!.gpu;
    this.spans = spansOf(this.params);
  }

  /** Per-span state buffers named `name`, created on first use and filled with `initial`. */
  protected stateOf(name: string, initial = 0): Tensor[] {
    let tensors = this.state.get(name);
    if (!tensors) {
      tensors = this.spans.map((s) => {
        const t = Tensor.empty(this.gpu, [s.size], 'f32', `${this.constructor.name}.${name}`);
        if (initial === 0) this.gpu.clear(t);
        else fillConstant(t, initial);
        return t;
      });
      this.state.set(name, tensors);
    }
    return tensors;
  }

  /** Zeroes every gradient: one clear per span. */
  zeroGrad(): void {
    for (const s of this.spans) this.gpu.clear(s.grads);
    for (const p of this.params) p.gradIsZero = true;
  }

  /** Records one update of every parameter (one dispatch per span); nothing is read back. */
  step(): void {
    this.stepCount++;
    this.spans.forEach((span, i) => this.update(span, i));
  }

  protected abstract update(span: Span, index: number): void;

  async stateDict(): Promise<OptimizerStateDict> {
    const state: Record<string, number[][]> = {};
    for (const [name, tensors] of this.state) state[name] = await Promise.all(tensors.map(async (t) => Array.from(await t.read())));
    return { optimizer: this.constructor.name, step: this.stepCount, shapes: this.params.map((p) => [...p.shape]), state };
  }

  /** Restores a saved state after checking all of it; a mismatch loads nothing. */
  loadStateDict(saved: OptimizerStateDict): void {
    const where = `${this.constructor.name}.loadStateDict`;
    if (saved.optimizer !== this.constructor.name) throw new Error(`${where}: the state is from ${saved.optimizer}`);
    if (!Number.isInteger(saved.step) || saved.step < 0) throw new Error(`${where}: 'step' expected an integer ≥ 0, got ${saved.step}`);
    const text = (shapes: readonly (readonly number[])[]) => shapes.map((s) => `[${s.join(', ')}]`).join(', ');
    const ours = this.params.map((p) => p.shape);
    if (!Array.isArray(saved.shapes) || text(saved.shapes) !== text(ours)) throw new Error(`${where}: the state is for parameters of shapes ${text(saved.shapes ?? [])}, this optimizer has ${text(ours)}`);
    for (const [name, arrays] of Object.entries(saved.state)) {
      if (arrays.length !== this.spans.length) throw new Error(`${where}: state '${name}' has ${arrays.length} spans, this optimizer has ${this.spans.length}`);
      arrays.forEach((a, i) => {
        if (a.length !== this.spans[i]!.size) throw new Error(`${where}: state '${name}' span ${i} holds ${a.length} values, expected ${this.spans[i]!.size}`);
      });
    }
    for (const [name, arrays] of Object.entries(saved.state)) this.stateOf(name).forEach((t, i) => t.write(arrays[i]!));
    this.stepCount = saved.step;
  }
}

export interface SGDOptions {
  lr?: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

export class SGD extends Optimizer {
  readonly options: Required<SGDOptions>;

  constructor(params: Iterable<Parameter>, options: SGDOptions = {}) {
    super(params);
    const o = { lr: 1e-3, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, ...options };
    check('SGD', 'lr', o.lr, o.lr > 0, 'a number > 0');
    check('SGD', 'momentum', o.momentum, o.momentum >= 0, 'a number ≥ 0');
    check('SGD', 'dampening', o.dampening, true, 'a finite number');
    check('SGD', 'weightDecay', o.weightDecay, o.weightDecay >= 0, 'a number ≥ 0');
    if (o.nesterov && (o.momentum <= 0 || o.dampening !== 0)) throw new Error('SGD: nesterov momentum requires a momentum > 0 and zero dampening');
    this.options = o;
  }

  protected update(span: Span, i: number): void {
    const o = this.options;
    const buffer = o.momentum !== 0 ? this.stateOf('momentum_buffer')[i] : undefined;
    sgdStep(span.values, span.grads, buffer, { ...o, firstStep: this.stepCount === 1 });
  }
}

export interface AdagradOptions {
  lr?: number;
  lrDecay?: number;
  weightDecay?: number;
  initialAccumulatorValue?: number;
  eps?: number;
}

export class Adagrad extends Optimizer {
  readonly options: Required<AdagradOptions>;

  constructor(params: Iterable<Parameter>, options: AdagradOptions = {}) {
    super(params);
    const o = { lr: 1e-2, lrDecay: 0, weightDecay: 0, initialAccumulatorValue: 0, eps: 1e-10, ...options };
    check('Adagrad', 'lr', o.lr, o.lr > 0, 'a number > 0');
    check('Adagrad', 'lrDecay', o.lrDecay, o.lrDecay >= 0, 'a number ≥ 0');
    check('Adagrad', 'weightDecay', o.weightDecay, o.weightDecay >= 0, 'a number ≥ 0');
    check('Adagrad', 'initialAccumulatorValue', o.initialAccumulatorValue, o.initialAccumulatorValue >= 0, 'a number ≥ 0');
    check('Adagrad', 'eps', o.eps, o.eps >= 0, 'a number ≥ 0');
    this.options = o;
    this.stateOf('sum', o.initialAccumulatorValue);
  }

  protected update(span: Span, i: number): void {
    const o = this.options;
    const clr = o.lr / (1 + (this.stepCount - 1) * o.lrDecay);
    adagradStep(span.values, span.grads, this.stateOf('sum')[i]!, { clr, weightDecay: o.weightDecay, eps: o.eps });
  }
}

export interface RMSpropOptions {
  lr?: number;
  alpha?: number;
  eps?: number;
  weightDecay?: number;
  momentum?: number;
  centered?: boolean;
}

export class RMSprop extends Optimizer {
  readonly options: Required<RMSpropOptions>;

  constructor(params: Iterable<Parameter>, options: RMSpropOptions = {}) {
    super(params);
    const o = { lr: 1e-2, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false, ...options };
    check('RMSprop', 'lr', o.lr, o.lr > 0, 'a number > 0');
    check('RMSprop', 'alpha', o.alpha, o.alpha >= 0, 'a number ≥ 0');
    check('RMSprop', 'eps', o.eps, o.eps >= 0, 'a number ≥ 0');
    check('RMSprop', 'weightDecay', o.weightDecay, o.weightDecay >= 0, 'a number ≥ 0');
    check('RMSprop', 'momentum', o.momentum, o.momentum >= 0, 'a number ≥ 0');
    this.options = o;
  }

  protected update(span: Span, i: number): void {
    const o = this.options;
    rmspropStep(
      span.values,
      span.grads,
      {
        squareAvg: this.stateOf('square_avg')[i]!,
        ...(o.centered ? { gradAvg: this.stateOf('grad_avg')[i]! } : {}),
        ...(o.momentum > 0 ? { momentumBuffer: this.stateOf('momentum_buffer')[i]! } : {}),
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
}

export class Adam extends Optimizer {
  readonly options: Required<AdamOptions>;

  constructor(params: Iterable<Parameter>, options: AdamOptions = {}) {
    super(params);
    const o = { lr: 1e-3, betas: [0.9, 0.999] as [number, number], eps: 1e-8, weightDecay: 0, amsgrad: false, ...options };
    check('Adam', 'lr', o.lr, o.lr > 0, 'a number > 0');
    if (!Array.isArray(o.betas) || o.betas.length !== 2) throw new Error(`Adam: argument 'betas' expected two numbers, got ${String(o.betas)}`);
    check('Adam', 'betas[0]', o.betas[0], o.betas[0] >= 0 && o.betas[0] < 1, 'a number in [0, 1)');
    check('Adam', 'betas[1]', o.betas[1], o.betas[1] >= 0 && o.betas[1] < 1, 'a number in [0, 1)');
    check('Adam', 'eps', o.eps, o.eps >= 0, 'a number ≥ 0');
    check('Adam', 'weightDecay', o.weightDecay, o.weightDecay >= 0, 'a number ≥ 0');
    this.options = o;
  }

  protected update(span: Span, i: number): void {
    const o = this.options;
    adamStep(
      { param: span.values, grad: span.grads, expAvg: this.stateOf('exp_avg')[i]!, expAvgSq: this.stateOf('exp_avg_sq')[i]!, ...(o.amsgrad ? { maxExpAvgSq: this.stateOf('max_exp_avg_sq')[i]! } : {}) },
      { lr: o.lr, beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weightDecay, amsgrad: o.amsgrad, step: this.stepCount },
    );
  }
}

/**
 * Exponentially weighted averages v_t = β·v_{t−1} + (1 − β)·θ_t of a series (or of each row of a
 * [series, T] tensor), computed by shaders/ewa.wgsl; with biasCorrection, v_t / (1 − βᵗ).
 */
export function exponentiallyWeightedAverage(gpu: Gpu, values: Tensor | ArrayLike<number>, beta: number, options: { biasCorrection?: boolean } = {}): Tensor {
  const x = values instanceof Tensor ? values : Tensor.fromArray(gpu, values, [values.length], 'f32', 'ewa input');
  const y = Tensor.empty(gpu, x.shape, 'f32', 'ewa');
  ewa(x, y, beta, options.biasCorrection ?? false);
  return y;
}
