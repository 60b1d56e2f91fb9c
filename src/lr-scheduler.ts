// torch.optim.lr_scheduler: each scheduler writes its optimizer's paramGroups[i].lr, which the next
// optimizer.step() reads. The formulas are PyTorch's own (1.13), in their recursive ("chainable")
// form where PyTorch uses it, so a scheduler reads the group's current lr and two schedulers chain
// as they do in PyTorch. Call order, as in PyTorch: optimizer.step() in the loop, scheduler.step()
// after it (once an epoch); the constructor sets the epoch-0 lr.
import { methodSpellings } from './pytorch-names';
import { expectNoArguments, normalizeOptions, pythonExponent, show } from './options';
import type { Optimizer } from './optim';
import type { LrScheduleSpec } from './run-config';

/** PyTorch's keyword names, accepted beside ours. */
const ALIASES: Record<string, string> = {
  step_size: 'stepSize', T_max: 'tMax', eta_min: 'etaMin', lr_lambda: 'lrLambda', threshold_mode: 'thresholdMode', min_lr: 'minLr', last_epoch: 'lastEpoch',
  start_factor: 'startFactor', end_factor: 'endFactor', total_iters: 'totalIters', T_0: 't0', T_mult: 'tMult',
  max_lr: 'maxLr', total_steps: 'totalSteps', steps_per_epoch: 'stepsPerEpoch', pct_start: 'pctStart', anneal_strategy: 'annealStrategy',
  cycle_momentum: 'cycleMomentum', base_momentum: 'baseMomentum', max_momentum: 'maxMomentum', div_factor: 'divFactor', final_div_factor: 'finalDivFactor', three_phase: 'threePhase',
  base_lr: 'baseLr', step_size_up: 'stepSizeUp', step_size_down: 'stepSizeDown', scale_fn: 'scaleFn', scale_mode: 'scaleMode',
};

function check(where: string, name: string, value: unknown, ok: (v: number) => boolean, expected: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) throw new Error(`${where}: argument '${name}' expected ${expected}, got ${String(value)}`);
}

/** Python's '{:.4e}' (1.0000e-01): PyTorch's verbose lines print lrs so. */
export function pythonExponential(v: number): string {
  return pythonExponent(v.toExponential(4));
}

/** One value for every param group, or one per group (PyTorch's _format_param), each checked. */
function perGroup(where: string, name: string, value: unknown, groups: number, ok: (v: number) => boolean, expected: string): number[] {
  const values = Array.isArray(value) ? (value as unknown[]) : new Array<unknown>(groups).fill(value);
  if (values.length !== groups) throw new Error(`${where}: argument '${name}' expected ${groups} values (one per param group), got ${values.length}`);
  values.forEach((v, i) => check(where, Array.isArray(value) ? `${name}[${i}]` : name, v, ok, expected));
  return values as number[];
}

function flagOption(where: string, name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new Error(`${where}: argument '${name}' expected true or false, got ${String(value)}`);
  return value;
}

/** An epoch as PyTorch's verbose lines print it: '%.5d' for an integer, '%.2f' for a fraction. */
function pythonEpoch(epoch: number): string {
  return Number.isInteger(epoch) ? String(epoch).padStart(5, '0') : epoch.toFixed(2);
}

function verboseOption(where: string, verbose: unknown): boolean {
  if (verbose === undefined) return false;
  if (typeof verbose !== 'boolean') throw new Error(`${where}: argument 'verbose' expected true or false, got ${String(verbose)}`);
  return verbose;
}

/** A param group as a scheduler sees it (initialLr: see ParamGroup in src/optim.ts). */
type Group = { lr: number; initialLr?: number };

/** PyTorch's last_epoch: the epoch a resumed schedule had reached (see LRScheduler's constructor). */
export type ResumeOption = { lastEpoch?: number; last_epoch?: number };

export interface SchedulerStateDict {
  scheduler: string;
  lastEpoch: number;
  baseLrs: number[];
  lastLr: number[];
  [extra: string]: unknown;
}

export abstract class LRScheduler {
  /** The epoch count: 0 after construction, +1 per step(). */
  lastEpoch = -1;
  /**
   * PyTorch's base_lrs: each group's initial lr, which the first scheduler made on the optimizer
   * records (initial_lr). A scheduler made later (after a warm-up) takes its base lrs from it too,
   * not from the lr the first one left; the chainable ones (StepLR, MultiStepLR, ExponentialLR,
   * CosineAnnealingLR's steps) still go on from the group's current lr, as in PyTorch.
   */
  readonly baseLrs: number[];
  protected lastLr: number[] = [];
  private optimizerStepsAtLastStep = 0;
  private warned = false;

  /** PyTorch's verbose: each step's lrs printed, 'Adjusting learning rate of group 0 to 1.0000e-01.' */
  readonly verbose: boolean;

  /**
   * `lastEpoch` resumes a schedule (PyTorch's last_epoch): the epoch the schedule had reached, −1 (the
   * default) to start one. Resuming needs each group's initialLr, which the optimizer's state dict
   * saved with the schedule brings back; the constructor's step then computes epoch lastEpoch + 1
   * from the group's current lr, as PyTorch's does (so load the optimizer's state first).
   */
  constructor(
    readonly optimizer: Optimizer,
    verbose: unknown = false,
    lastEpoch: unknown = -1,
  ) {
    const where = this.constructor.name;
    this.verbose = verboseOption(where, verbose);
    check(where, 'lastEpoch', lastEpoch, (v) => Number.isInteger(v) && v >= -1, 'an integer ≥ −1 (−1 starts a schedule)');
    if (lastEpoch === -1) {
      for (const g of this.groups) g.initialLr ??= g.lr;
    } else {
      const missing = this.groups.findIndex((g) => g.initialLr === undefined);
      if (missing >= 0) throw new Error(`${where}: lastEpoch=${String(lastEpoch)} resumes a schedule, but param group ${missing} has no initialLr (PyTorch's initial_lr: "param 'initial_lr' is not specified in param_groups[${missing}] when resuming an optimizer"); load the optimizer's state dict saved with the schedule first`);
    }
    this.baseLrs = this.groups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch as number;
    this.optimizerStepsAtLastStep = optimizer.stepCount;
  }

  /** PyTorch's _initial_step, at the end of each subclass's constructor: epoch 0's lr. */
  protected initialStep(): void {
    this.optimizerStepsAtLastStep = this.optimizer.stepCount;
    this.warned = false;
    this.advance();
  }

  /**
   * PyTorch's closed form (_get_closed_form_lr): the lr of epoch lastEpoch from the base lrs, where a
   * scheduler has one. Only PyTorch's step(epoch) uses it, and here only SequentialLR's step(0).
   */
  protected closedFormLr?(): number[];

  /**
   * PyTorch's step(0), with which SequentialLR hands over to the next scheduler at a milestone: the
   * epoch back to 0 and the lrs from the closed form, or from getLr where there is none (LambdaLR,
   * OneCycleLR). Its verbose lines name the epoch, as PyTorch's step(epoch) prints them.
   */
  protected restart(): void {
    this.lastEpoch = 0;
    this.optimizerStepsAtLastStep = this.optimizer.stepCount;
    this.warned = true; // PyTorch warns about the step order at the first step() after construction only
    this.write(this.closedFormLr?.() ?? this.getLr(), 0);
  }

  /** The steps SequentialLR and ChainedScheduler take on the schedulers they drive (protected in each). */
  protected static initialStepOf(scheduler: LRScheduler): void {
    scheduler.initialStep();
  }

  protected static restartOf(scheduler: LRScheduler): void {
    scheduler.restart();
  }

  protected get groups(): Group[] {
    return this.optimizer.paramGroups as unknown as Group[];
  }

  /** PyTorch's spellings of getLastLr, stateDict and loadStateDict: the same methods (src/pytorch-names.ts). */
  declare get_last_lr: LRScheduler['getLastLr'];
  declare state_dict: LRScheduler['stateDict'];
  declare load_state_dict: LRScheduler['loadStateDict'];

  /** The lr of each group after the last step(), as get_last_lr(). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  /** Each group's lr for epoch lastEpoch, from its current lr (PyTorch's get_lr). */
  protected abstract getLr(): number[];

  /** Advances one epoch and writes every group's lr. Call it after optimizer.step(), as PyTorch. */
  step(...unsupported: never[]): void {
    expectNoArguments(`${this.constructor.name}.step`, unsupported, 'step(epoch) is deprecated in PyTorch and not supported here; call step() once an epoch, and loadStateDict() to resume');
    if (this.optimizer.stepCount === this.optimizerStepsAtLastStep && !this.warned && this.lastEpoch === 0) {
      // PyTorch's warning, word for word in substance: the first lr would be skipped.
      console.warn(`${this.constructor.name}: step() was called before optimizer.step(); call optimizer.step() first, or the first value of the schedule is skipped (as PyTorch warns)`);
      this.warned = true;
    }
    this.optimizerStepsAtLastStep = this.optimizer.stepCount;
    this.advance();
  }

  /** One epoch on: lastEpoch + 1 and its lrs written (CosineAnnealingWarmRestarts has its own). */
  protected advance(): void {
    this.lastEpoch++;
    this.write(this.getLr());
  }

  /** Writes each group's lr; `epoch` is PyTorch's step(epoch) argument, which the verbose lines name. */
  protected write(lrs: number[], epoch?: number): void {
    // As PyTorch's zip: a group added after the scheduler was made (addParamGroup) and unknown to a
    // schedule of base lrs keeps its own lr.
    this.groups.forEach((g, i) => {
      if (i < lrs.length) g.lr = lrs[i]!;
    });
    this.lastLr = this.groups.map((g) => g.lr);
    if (!this.verbose) return;
    const adjusting = epoch === undefined ? 'Adjusting' : `Epoch ${pythonEpoch(epoch)}: adjusting`;
    this.lastLr.forEach((lr, i) => console.log(`${adjusting} learning rate of group ${i} to ${pythonExponential(lr)}.`));
  }

  stateDict(): SchedulerStateDict {
    return { scheduler: this.constructor.name, lastEpoch: this.lastEpoch, baseLrs: [...this.baseLrs], lastLr: [...this.lastLr] };
  }

  loadStateDict(state: SchedulerStateDict): void {
    const where = `${this.constructor.name}.loadStateDict`;
    if (state.scheduler !== this.constructor.name) throw new Error(`${where}: the state is from ${state.scheduler}`);
    if (state.baseLrs.length !== this.baseLrs.length) throw new Error(`${where}: the state has ${state.baseLrs.length} param groups, the optimizer has ${this.baseLrs.length}`);
    this.lastEpoch = state.lastEpoch;
    this.baseLrs.splice(0, this.baseLrs.length, ...state.baseLrs);
    this.lastLr = [...state.lastLr];
  }
}

// PyTorch's names (src/pytorch-names.ts): scheduler.get_last_lr(), scheduler.state_dict().
methodSpellings(LRScheduler.prototype, ['get_last_lr', 'state_dict', 'load_state_dict']);

/** lr × gamma every stepSize epochs. */
export class StepLR extends LRScheduler {
  readonly stepSize: number;
  readonly gamma: number;

  constructor(optimizer: Optimizer, options: { stepSize?: number; step_size?: number; gamma?: number; verbose?: boolean } & ResumeOption) {
    const o = normalizeOptions('StepLR', options, ['stepSize', 'gamma', 'verbose', 'lastEpoch'], ALIASES) as { verbose?: unknown; lastEpoch?: unknown; stepSize?: number; gamma?: number };
    check('StepLR', 'stepSize', o.stepSize, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
    check('StepLR', 'gamma', o.gamma ?? 0.1, () => true, 'a finite number');
    super(optimizer, o.verbose, o.lastEpoch);
    this.stepSize = o.stepSize!;
    this.gamma = o.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0 || this.lastEpoch % this.stepSize !== 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** Math.floor(this.lastEpoch / this.stepSize));
  }
}

/** lr × gamma at each milestone epoch (× gamma² for a milestone listed twice). */
export class MultiStepLR extends LRScheduler {
  readonly milestones: Map<number, number>;
  readonly gamma: number;

  constructor(optimizer: Optimizer, options: { milestones: number[]; gamma?: number; verbose?: boolean } & ResumeOption) {
    const o = normalizeOptions('MultiStepLR', options, ['milestones', 'gamma', 'verbose', 'lastEpoch'], ALIASES) as { verbose?: unknown; lastEpoch?: unknown; milestones?: number[]; gamma?: number };
    if (!Array.isArray(o.milestones) || !o.milestones.every((m) => Number.isInteger(m) && m >= 0)) throw new Error(`MultiStepLR: argument 'milestones' expected a list of integers ≥ 0, got ${String(o.milestones)}`);
    check('MultiStepLR', 'gamma', o.gamma ?? 0.1, () => true, 'a finite number');
    const counts = new Map<number, number>();
    for (const m of o.milestones) counts.set(m, (counts.get(m) ?? 0) + 1);
    super(optimizer, o.verbose, o.lastEpoch);
    this.milestones = counts;
    this.gamma = o.gamma ?? 0.1;
    this.initialStep();
  }

  protected getLr(): number[] {
    const times = this.milestones.get(this.lastEpoch);
    if (times === undefined) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma ** times);
  }

  protected override closedFormLr(): number[] {
    let passed = 0;
    for (const [milestone, times] of this.milestones) if (milestone <= this.lastEpoch) passed += times;
    return this.baseLrs.map((base) => base * this.gamma ** passed);
  }
}

/** lr × gamma every epoch. */
export class ExponentialLR extends LRScheduler {
  readonly gamma: number;

  constructor(optimizer: Optimizer, options: { gamma: number; verbose?: boolean } & ResumeOption) {
    const o = normalizeOptions('ExponentialLR', options, ['gamma', 'verbose', 'lastEpoch'], ALIASES) as { verbose?: unknown; lastEpoch?: unknown; gamma?: number };
    check('ExponentialLR', 'gamma', o.gamma, () => true, 'a finite number');
    super(optimizer, o.verbose, o.lastEpoch);
    this.gamma = o.gamma!;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * this.gamma);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * this.gamma ** this.lastEpoch);
  }
}

/**
 * Cosine annealing from the base lr to etaMin over tMax epochs (SGDR without restarts), in PyTorch's
 * recursive form: η_t = η_min + (η_{t−1} − η_min) · (1 + cos(πt/T)) / (1 + cos(π(t−1)/T)).
 */
export class CosineAnnealingLR extends LRScheduler {
  readonly tMax: number;
  readonly etaMin: number;

  constructor(optimizer: Optimizer, options: { tMax?: number; T_max?: number; etaMin?: number; eta_min?: number; verbose?: boolean } & ResumeOption) {
    const o = normalizeOptions('CosineAnnealingLR', options, ['tMax', 'etaMin', 'verbose', 'lastEpoch'], ALIASES) as { verbose?: unknown; lastEpoch?: unknown; tMax?: number; etaMin?: number };
    check('CosineAnnealingLR', 'tMax', o.tMax, (v) => v > 0, 'a number > 0 (PyTorch takes a fraction too)');
    check('CosineAnnealingLR', 'etaMin', o.etaMin ?? 0, (v) => v >= 0, 'a number ≥ 0');
    super(optimizer, o.verbose, o.lastEpoch);
    this.tMax = o.tMax!;
    this.etaMin = o.etaMin ?? 0;
    this.initialStep();
  }

  protected getLr(): number[] {
    const [t, T, etaMin] = [this.lastEpoch, this.tMax, this.etaMin];
    if (t === 0) return this.groups.map((g) => g.lr);
    if ((t - 1 - T) % (2 * T) === 0) return this.groups.map((g, i) => g.lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    return this.groups.map((g) => ((1 + Math.cos((Math.PI * t) / T)) / (1 + Math.cos((Math.PI * (t - 1)) / T))) * (g.lr - etaMin) + etaMin);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * this.lastEpoch) / this.tMax))) / 2);
  }
}

/** lr = base lr × lrLambda(epoch); one function for every group, or one per group. */
export class LambdaLR extends LRScheduler {
  private readonly lambdas: ((epoch: number) => number)[];

  constructor(optimizer: Optimizer, options: { lrLambda?: ((epoch: number) => number) | ((epoch: number) => number)[]; lr_lambda?: ((epoch: number) => number) | ((epoch: number) => number)[]; verbose?: boolean } & ResumeOption) {
    const o = normalizeOptions('LambdaLR', options, ['lrLambda', 'verbose', 'lastEpoch'], ALIASES) as { verbose?: unknown; lastEpoch?: unknown; lrLambda?: unknown };
    const groups = optimizer.paramGroups.length;
    const lambdas = Array.isArray(o.lrLambda) ? o.lrLambda : new Array<unknown>(groups).fill(o.lrLambda);
    if (lambdas.length !== groups) throw new Error(`LambdaLR: argument 'lrLambda' expected ${groups} functions (one per param group), got ${lambdas.length}`);
    if (!lambdas.every((f) => typeof f === 'function')) throw new Error(`LambdaLR: argument 'lrLambda' expected a function or a list of functions, got ${String(o.lrLambda)}`);
    super(optimizer, o.verbose, o.lastEpoch);
    this.lambdas = lambdas as ((epoch: number) => number)[];
    this.initialStep();
  }

  protected getLr(): number[] {
    return this.baseLrs.map((base, i) => {
      const factor = this.lambdas[i]!(this.lastEpoch);
      if (typeof factor !== 'number' || !Number.isFinite(factor)) throw new Error(`LambdaLR: lrLambda(${this.lastEpoch}) for group ${i} returned ${String(factor)}, expected a finite number`);
      return base * factor;
    });
  }
}

/**
 * A warm-up: the lr × a factor going linearly from startFactor to endFactor over totalIters epochs,
 * then endFactor on. PyTorch's recursive form, each epoch's lr from the last one:
 * η_t = η_{t−1} · (1 + (end − start) / (total·start + (t − 1)(end − start))) for 0 < t ≤ total.
 */
export class LinearLR extends LRScheduler {
  readonly startFactor: number;
  readonly endFactor: number;
  readonly totalIters: number;

  constructor(optimizer: Optimizer, options: { startFactor?: number; start_factor?: number; endFactor?: number; end_factor?: number; totalIters?: number; total_iters?: number; verbose?: boolean } & ResumeOption = {}) {
    const where = 'LinearLR';
    const o = normalizeOptions(where, options, ['startFactor', 'endFactor', 'totalIters', 'verbose', 'lastEpoch'], ALIASES) as { verbose?: unknown; lastEpoch?: unknown; startFactor?: number; endFactor?: number; totalIters?: number };
    const { startFactor = 1 / 3, endFactor = 1, totalIters = 5 } = o;
    // PyTorch 1.13 takes a start factor of 0, then divides by zero at the first step.
    check(where, 'startFactor', startFactor, (v) => v > 0 && v <= 1, 'a number in (0, 1]');
    check(where, 'endFactor', endFactor, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    check(where, 'totalIters', totalIters, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
    super(optimizer, o.verbose, o.lastEpoch);
    this.startFactor = startFactor;
    this.endFactor = endFactor;
    this.totalIters = totalIters;
    this.initialStep();
  }

  protected getLr(): number[] {
    const [t, start, end, total] = [this.lastEpoch, this.startFactor, this.endFactor, this.totalIters];
    if (t === 0) return this.groups.map((g) => g.lr * start);
    if (t > total) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 + (end - start) / (total * start + (t - 1) * (end - start))));
  }

  protected override closedFormLr(): number[] {
    const [start, end, total] = [this.startFactor, this.endFactor, this.totalIters];
    return this.baseLrs.map((base) => base * (start + ((end - start) * Math.min(total, this.lastEpoch)) / total));
  }
}

/** The lr × factor for the first totalIters epochs, then the lr itself (a warm-up at a constant lr). */
export class ConstantLR extends LRScheduler {
  readonly factor: number;
  readonly totalIters: number;

  constructor(optimizer: Optimizer, options: { factor?: number; totalIters?: number; total_iters?: number; verbose?: boolean } & ResumeOption = {}) {
    const where = 'ConstantLR';
    const o = normalizeOptions(where, options, ['factor', 'totalIters', 'verbose', 'lastEpoch'], ALIASES) as { verbose?: unknown; lastEpoch?: unknown; factor?: number; totalIters?: number };
    const { factor = 1 / 3, totalIters = 5 } = o;
    // PyTorch 1.13 takes a factor of 0, then divides by zero at totalIters.
    check(where, 'factor', factor, (v) => v > 0 && v <= 1, 'a number in (0, 1]');
    check(where, 'totalIters', totalIters, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
    super(optimizer, o.verbose, o.lastEpoch);
    this.factor = factor;
    this.totalIters = totalIters;
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch === 0) return this.groups.map((g) => g.lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return this.groups.map((g) => g.lr);
    return this.groups.map((g) => g.lr * (1 / this.factor));
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * (this.factor + (this.lastEpoch >= this.totalIters ? 1 : 0) * (1 - this.factor)));
  }
}

/**
 * SGDR (cosine annealing with warm restarts): η = η_min + (η_base − η_min)(1 + cos(π·T_cur/T_i))/2,
 * where T_cur counts the epochs since the last restart and T_i, the length of the current cycle,
 * starts at t0 and is × tMult at each restart. Not chainable: every lr comes from the base lrs.
 */
export class CosineAnnealingWarmRestarts extends LRScheduler {
  readonly t0: number;
  readonly tMult: number;
  readonly etaMin: number;
  /** PyTorch's T_i: the length of the current cycle. */
  tI: number;
  /**
   * PyTorch's T_cur: epochs since the last restart, fractional after step(epoch). A resumed schedule
   * (lastEpoch) starts it at lastEpoch, as if no restart had come before, as PyTorch does.
   */
  tCur: number;

  constructor(optimizer: Optimizer, options: { t0?: number; T_0?: number; tMult?: number; T_mult?: number; etaMin?: number; eta_min?: number; verbose?: boolean } & ResumeOption) {
    const where = 'CosineAnnealingWarmRestarts';
    const o = normalizeOptions(where, options, ['t0', 'tMult', 'etaMin', 'verbose', 'lastEpoch'], ALIASES) as { verbose?: unknown; lastEpoch?: unknown; t0?: number; tMult?: number; etaMin?: number };
    const { tMult = 1, etaMin = 0 } = o;
    check(where, 't0', o.t0, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
    check(where, 'tMult', tMult, (v) => Number.isInteger(v) && v >= 1, 'an integer ≥ 1');
    check(where, 'etaMin', etaMin, (v) => v >= 0, 'a number ≥ 0');
    super(optimizer, o.verbose, o.lastEpoch);
    [this.t0, this.tMult, this.etaMin] = [o.t0!, tMult, etaMin];
    this.tI = this.t0;
    this.tCur = this.lastEpoch;
    this.initialStep();
  }

  /**
   * step() goes one epoch on; step(epoch), PyTorch's, sets the schedule at any epoch ≥ 0, fractional
   * ones included (step(epoch + i / iters) after each batch), and a step() after it goes on from
   * there. Its verbose lines name the epoch, as PyTorch's do. It never warns about the step order
   * (PyTorch's own step() has no such check).
   */
  override step(epoch?: number, ...unsupported: never[]): void {
    const where = 'CosineAnnealingWarmRestarts.step';
    expectNoArguments(where, unsupported, 'its one argument is the epoch');
    if (epoch === undefined || epoch === null) return this.advance();
    check(where, 'epoch', epoch, (v) => v >= 0, 'a number ≥ 0');
    const [t0, tMult] = [this.t0, this.tMult];
    if (epoch < t0) {
      this.tI = t0;
      this.tCur = epoch;
    } else if (tMult === 1) {
      this.tCur = epoch % t0;
    } else {
      // n restarts lie before the epoch: t0 (tMult^n − 1)/(tMult − 1) ≤ epoch.
      const n = Math.trunc(Math.log((epoch / t0) * (tMult - 1) + 1) / Math.log(tMult));
      this.tCur = epoch - (t0 * (tMult ** n - 1)) / (tMult - 1);
      this.tI = t0 * tMult ** n;
    }
    this.lastEpoch = Math.floor(epoch);
    this.write(this.getLr(), epoch);
  }

  protected override advance(): void {
    if (this.lastEpoch < 0) return this.step(0);
    this.tCur++;
    if (this.tCur >= this.tI) {
      this.tCur -= this.tI;
      this.tI *= this.tMult;
    }
    this.lastEpoch++;
    this.write(this.getLr(), this.lastEpoch);
  }

  protected override restart(): void {
    this.step(0);
  }

  protected getLr(): number[] {
    return this.baseLrs.map((base) => this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * this.tCur) / this.tI))) / 2);
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), tI: this.tI, tCur: this.tCur };
  }

  override loadStateDict(state: SchedulerStateDict): void {
    const where = `${this.constructor.name}.loadStateDict`;
    check(where, 'tI', state['tI'], (v) => v > 0, 'a number > 0');
    check(where, 'tCur', state['tCur'], (v) => v >= -1, 'a number ≥ −1');
    super.loadStateDict(state);
    this.tI = state['tI'] as number;
    this.tCur = state['tCur'] as number;
  }
}

export interface OneCycleLROptions {
  /** The peak lr: one for every group, or one per group. */
  maxLr?: number | number[];
  /** The schedule's length in steps (scheduler.step() after each batch); or epochs × stepsPerEpoch. */
  totalSteps?: number;
  epochs?: number;
  stepsPerEpoch?: number;
  /** The fraction of the steps spent rising to maxLr. */
  pctStart?: number;
  annealStrategy?: 'cos' | 'linear';
  /** Momentum (SGD, RMSprop) or betas[0] (Adam, AdamW) cycled inversely to the lr, between these two. */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  /** The first lr is maxLr / divFactor; the last, that / finalDivFactor. */
  divFactor?: number;
  finalDivFactor?: number;
  /** Down to the first lr again before the final decay (fast.ai's schedule) instead of two phases. */
  threePhase?: boolean;
  verbose?: boolean;
}

type OneCycleLRSnakeCase = { max_lr?: number | number[]; total_steps?: number; steps_per_epoch?: number; pct_start?: number; anneal_strategy?: 'cos' | 'linear'; cycle_momentum?: boolean; base_momentum?: number | number[]; max_momentum?: number | number[]; div_factor?: number; final_div_factor?: number; three_phase?: boolean };

/** One phase of a one-cycle schedule: from step `start` of the previous phase's end to endStep. */
type Phase = { endStep: number; startLr: 'initial' | 'max' | 'min'; endLr: 'initial' | 'max' | 'min'; startMomentum: 'max' | 'base'; endMomentum: 'max' | 'base' };

/** A group OneCycleLR and CyclicLR cycle the momentum of: SGD's and RMSprop's momentum, or Adam's betas[0]. */
type MomentumGroup = Group & { momentum?: number; betas?: [number, number] };

function setMomentum(g: MomentumGroup, momentum: number, useBeta1: boolean): void {
  if (useBeta1) g.betas = [momentum, g.betas![1]];
  else g.momentum = momentum;
}

/**
 * The 1cycle policy (Smith & Topin, super-convergence), stepped after every batch: the lr rises from
 * maxLr / divFactor to maxLr over pctStart of totalSteps, then anneals to that / finalDivFactor (cos
 * or linear), while the momentum goes the other way, maxMomentum → baseMomentum → maxMomentum.
 * PyTorch's: the constructor sets each group's initialLr to maxLr / divFactor; the schedule may be
 * stepped totalSteps times after the constructor's step, and a step past that is an Error.
 * A resumed schedule (lastEpoch) takes each group's initialLr from the group, as PyTorch does, and
 * maxLr, the final lr and the momenta from these options (PyTorch's, from the saved groups).
 */
export class OneCycleLR extends LRScheduler {
  readonly totalSteps: number;
  readonly annealStrategy: 'cos' | 'linear';
  readonly cycleMomentum: boolean;
  readonly maxLrs: number[];
  readonly minLrs: number[];
  readonly maxMomenta: number[];
  readonly baseMomenta: number[];
  /** Adam's betas[0] cycled, not a momentum (PyTorch's use_beta1). */
  readonly useBeta1: boolean;
  private readonly phases: Phase[];

  constructor(optimizer: Optimizer, options: OneCycleLROptions & OneCycleLRSnakeCase & ResumeOption) {
    const where = 'OneCycleLR';
    const known = ['maxLr', 'totalSteps', 'epochs', 'stepsPerEpoch', 'pctStart', 'annealStrategy', 'cycleMomentum', 'baseMomentum', 'maxMomentum', 'divFactor', 'finalDivFactor', 'threePhase', 'verbose', 'lastEpoch'];
    const o = normalizeOptions(where, options, known, ALIASES) as OneCycleLROptions & { verbose?: unknown; lastEpoch?: unknown };
    const { pctStart = 0.3, annealStrategy = 'cos', divFactor = 25, finalDivFactor = 1e4 } = o;
    const groups = optimizer.paramGroups.length;
    const maxLrs = perGroup(where, 'maxLr', o.maxLr, groups, (v) => v >= 0, 'a number ≥ 0 (or one per param group)');
    // As PyTorch: totalSteps when given (epochs and stepsPerEpoch are then not read), else their product.
    if (o.totalSteps === undefined && o.epochs === undefined && o.stepsPerEpoch === undefined) throw new Error(`${where}: give totalSteps, or epochs and stepsPerEpoch (PyTorch's "You must define either total_steps OR (epochs AND steps_per_epoch)")`);
    if (o.totalSteps !== undefined) check(where, 'totalSteps', o.totalSteps, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
    else for (const name of ['epochs', 'stepsPerEpoch'] as const) check(where, name, o[name], (v) => Number.isInteger(v) && v > 0, 'a positive integer');
    const totalSteps = o.totalSteps ?? o.epochs! * o.stepsPerEpoch!;
    check(where, 'pctStart', pctStart, (v) => v >= 0 && v <= 1, 'a number in [0, 1]');
    if (annealStrategy !== 'cos' && annealStrategy !== 'linear') throw new Error(`${where}: argument 'annealStrategy' expected 'cos' or 'linear', got ${show(annealStrategy)}`);
    const cycleMomentum = flagOption(where, 'cycleMomentum', o.cycleMomentum, true);
    const threePhase = flagOption(where, 'threePhase', o.threePhase, false);
    const maxMomenta = perGroup(where, 'maxMomentum', o.maxMomentum ?? 0.95, groups, (v) => v >= 0, 'a number ≥ 0 (or one per param group)');
    const baseMomenta = perGroup(where, 'baseMomentum', o.baseMomentum ?? 0.85, groups, (v) => v >= 0, 'a number ≥ 0 (or one per param group)');
    check(where, 'divFactor', divFactor, (v) => v > 0, 'a number > 0');
    check(where, 'finalDivFactor', finalDivFactor, (v) => v > 0, 'a number > 0');
    const useBeta1 = 'betas' in optimizer.defaults;
    if (cycleMomentum && !useBeta1 && !('momentum' in optimizer.defaults)) throw new Error(`${where}: cycleMomentum needs an optimizer with a momentum (SGD, RMSprop) or betas (Adam, AdamW), and ${optimizer.constructor.name} has neither: pass cycleMomentum: false (PyTorch: "optimizer must support momentum with \`cycle_momentum\` option enabled")`);
    verboseOption(where, o.verbose); // before the groups change
    if (o.lastEpoch === undefined || o.lastEpoch === -1) {
      // PyTorch's: the schedule's first lr becomes the groups' initial lr (the base lrs), whatever an
      // earlier scheduler recorded, and the momentum starts at its maximum.
      (optimizer.paramGroups as unknown as MomentumGroup[]).forEach((g, i) => {
        g.initialLr = maxLrs[i]! / divFactor;
        if (cycleMomentum) setMomentum(g, maxMomenta[i]!, useBeta1);
      });
    }
    super(optimizer, o.verbose, o.lastEpoch);
    this.totalSteps = totalSteps;
    this.annealStrategy = annealStrategy;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.maxLrs = maxLrs;
    this.minLrs = maxLrs.map((max) => max / divFactor / finalDivFactor);
    this.maxMomenta = maxMomenta;
    this.baseMomenta = baseMomenta;
    const rise = pctStart * totalSteps - 1;
    this.phases = threePhase
      ? [
          { endStep: rise, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
          { endStep: 2 * pctStart * totalSteps - 2, startLr: 'max', endLr: 'initial', startMomentum: 'base', endMomentum: 'max' },
          { endStep: totalSteps - 1, startLr: 'initial', endLr: 'min', startMomentum: 'max', endMomentum: 'max' },
        ]
      : [
          { endStep: rise, startLr: 'initial', endLr: 'max', startMomentum: 'max', endMomentum: 'base' },
          { endStep: totalSteps - 1, startLr: 'max', endLr: 'min', startMomentum: 'base', endMomentum: 'max' },
        ];
    this.initialStep();
  }

  private anneal(start: number, end: number, pct: number): number {
    if (this.annealStrategy === 'linear') return (end - start) * pct + start;
    return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  }

  /** Each group's lr at step lastEpoch; its momentum (or betas[0]) written on the way, as PyTorch's get_lr. */
  protected getLr(): number[] {
    const step = this.lastEpoch;
    if (step > this.totalSteps) throw new Error(`OneCycleLR: Tried to step ${step + 1} times. The specified number of total steps is ${this.totalSteps}`);
    if (this.groups.length !== this.maxLrs.length) throw new Error(`OneCycleLR.step: the optimizer has ${this.groups.length} param groups, the scheduler was made for ${this.maxLrs.length} (a group added since, with addParamGroup, has no maxLr: PyTorch's fails too)`);
    const last = this.phases.length - 1;
    const k = this.phases.findIndex((p, k) => step <= p.endStep || k === last);
    const phase = this.phases[k]!;
    const start = k === 0 ? 0 : this.phases[k - 1]!.endStep;
    if (phase.endStep === start) throw new Error(`OneCycleLR: phase ${k + 1} of the schedule has no steps (pctStart × totalSteps is too small or too large for totalSteps ${this.totalSteps}); PyTorch stops here too, with ZeroDivisionError`);
    const pct = (step - start) / (phase.endStep - start);
    return (this.groups as MomentumGroup[]).map((g, i) => {
      if (this.cycleMomentum) {
        const momentum = { max: this.maxMomenta[i]!, base: this.baseMomenta[i]! };
        setMomentum(g, this.anneal(momentum[phase.startMomentum], momentum[phase.endMomentum], pct), this.useBeta1);
      }
      const lr = { initial: g.initialLr!, max: this.maxLrs[i]!, min: this.minLrs[i]! };
      return this.anneal(lr[phase.startLr], lr[phase.endLr], pct);
    });
  }
}

/** lr × lrLambda(epoch) at every epoch after the first (chainable); one function for every group, or one per group. */
export class MultiplicativeLR extends LRScheduler {
  private readonly lambdas: ((epoch: number) => number)[];

  constructor(optimizer: Optimizer, options: { lrLambda?: ((epoch: number) => number) | ((epoch: number) => number)[]; lr_lambda?: ((epoch: number) => number) | ((epoch: number) => number)[]; verbose?: boolean } & ResumeOption) {
    const where = 'MultiplicativeLR';
    const o = normalizeOptions(where, options, ['lrLambda', 'verbose', 'lastEpoch'], ALIASES) as { verbose?: unknown; lastEpoch?: unknown; lrLambda?: unknown };
    const groups = optimizer.paramGroups.length;
    const lambdas = Array.isArray(o.lrLambda) ? o.lrLambda : new Array<unknown>(groups).fill(o.lrLambda);
    if (lambdas.length !== groups) throw new Error(`${where}: argument 'lrLambda' expected ${groups} functions (one per param group), got ${lambdas.length} (PyTorch's "Expected ${groups} lr_lambdas, but got ${lambdas.length}")`);
    if (!lambdas.every((f) => typeof f === 'function')) throw new Error(`${where}: argument 'lrLambda' expected a function or a list of functions, got ${show(o.lrLambda)}`);
    super(optimizer, o.verbose, o.lastEpoch);
    this.lambdas = lambdas as ((epoch: number) => number)[];
    this.initialStep();
  }

  protected getLr(): number[] {
    if (this.lastEpoch <= 0) return this.groups.map((g) => g.lr);
    return this.groups.map((g, i) => {
      const factor = this.lambdas[i]?.(this.lastEpoch) ?? 1;
      if (typeof factor !== 'number' || !Number.isFinite(factor)) throw new Error(`MultiplicativeLR: lrLambda(${this.lastEpoch}) for group ${i} returned ${String(factor)}, expected a finite number`);
      return g.lr * factor;
    });
  }
}

/**
 * The lr decayed by a polynomial to 0 over totalIters epochs: base lr × (1 − t/T)^power, then 0. In
 * PyTorch's recursive form, each epoch's lr from the last one: η_t = η_{t−1} · ((1 − t/T)/(1 − (t − 1)/T))^power.
 */
export class PolynomialLR extends LRScheduler {
  readonly totalIters: number;
  readonly power: number;

  constructor(optimizer: Optimizer, options: { totalIters?: number; total_iters?: number; power?: number; verbose?: boolean } & ResumeOption = {}) {
    const where = 'PolynomialLR';
    const o = normalizeOptions(where, options, ['totalIters', 'power', 'verbose', 'lastEpoch'], ALIASES) as { verbose?: unknown; lastEpoch?: unknown; totalIters?: number; power?: number };
    const { totalIters = 5, power = 1 } = o;
    check(where, 'totalIters', totalIters, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
    check(where, 'power', power, () => true, 'a finite number');
    super(optimizer, o.verbose, o.lastEpoch);
    this.totalIters = totalIters;
    this.power = power;
    this.initialStep();
  }

  /**
   * With power < 0, step totalIters would raise 0 to it: PyTorch's ZeroDivisionError, here an Error
   * saying so, as PyTorch after counting the step and before writing an lr; later steps keep the lr.
   */
  protected override advance(): void {
    if (this.power < 0 && this.lastEpoch + 1 === this.totalIters) {
      this.lastEpoch++;
      throw new Error(`PolynomialLR.step: step ${this.totalIters} reaches total_iters ${this.totalIters}, where the lr's factor (1 − ${this.totalIters}/${this.totalIters})^${this.power} is 0 to a negative power (PyTorch raises ZeroDivisionError: 0.0 cannot be raised to a negative power); the lr is left as it was, as PyTorch's, and later steps keep it`);
    }
    super.advance();
  }

  protected getLr(): number[] {
    const [t, T] = [this.lastEpoch, this.totalIters];
    if (t === 0 || t > T) return this.groups.map((g) => g.lr);
    const factor = ((1 - t / T) / (1 - (t - 1) / T)) ** this.power;
    return this.groups.map((g) => g.lr * factor);
  }

  protected override closedFormLr(): number[] {
    return this.baseLrs.map((base) => base * (1 - Math.min(this.totalIters, this.lastEpoch) / this.totalIters) ** this.power);
  }
}

export interface CyclicLROptions {
  /** The cycle's lower bound (also each group's lr at the start): one for every group, or one per group. */
  baseLr?: number | number[];
  /** The cycle's upper bound, before scaling. */
  maxLr?: number | number[];
  /** Steps (batches) rising from baseLr to maxLr, and falling back (stepSizeDown, default stepSizeUp). */
  stepSizeUp?: number;
  stepSizeDown?: number | null;
  /** How the amplitude changes: 'triangular' (never), 'triangular2' (halved each cycle), 'exp_range' (× gamma^step). */
  mode?: 'triangular' | 'triangular2' | 'exp_range';
  gamma?: number;
  /** A custom amplitude scale in place of mode's, of the cycle number or of the step (scaleMode). */
  scaleFn?: ((x: number) => number) | null;
  scaleMode?: 'cycle' | 'iterations';
  /** Momentum (SGD, RMSprop) or betas[0] (Adam and its kin, as PyTorch 2's) cycled inversely to the lr, between these two. */
  cycleMomentum?: boolean;
  baseMomentum?: number | number[];
  maxMomentum?: number | number[];
  verbose?: boolean;
}

type CyclicLRSnakeCase = { base_lr?: number | number[]; max_lr?: number | number[]; step_size_up?: number; step_size_down?: number | null; scale_fn?: ((x: number) => number) | null; scale_mode?: 'cycle' | 'iterations'; cycle_momentum?: boolean; base_momentum?: number | number[]; max_momentum?: number | number[] };

/**
 * Cyclical learning rates (Smith, 2017), stepped after every batch: the lr goes linearly from baseLr
 * to maxLr over stepSizeUp steps and back over stepSizeDown, its amplitude scaled by mode's function
 * (or scaleFn); with cycleMomentum the momentum goes the other way, maxMomentum → baseMomentum. As
 * PyTorch's, the constructor sets each group's lr to baseLr and, with cycleMomentum, its momentum, and
 * every lr comes from the base lrs (not chainable).
 */
export class CyclicLR extends LRScheduler {
  readonly maxLrs: number[];
  readonly totalSize: number;
  readonly stepRatio: number;
  readonly mode: 'triangular' | 'triangular2' | 'exp_range';
  readonly gamma: number;
  readonly scaleMode: 'cycle' | 'iterations';
  readonly cycleMomentum: boolean;
  readonly baseMomenta: number[] = [];
  readonly maxMomenta: number[] = [];
  /** Adam's betas[0] cycled, not a momentum (PyTorch 2's use_beta1). */
  readonly useBeta1: boolean;
  private readonly scale: (x: number) => number;

  constructor(optimizer: Optimizer, options: CyclicLROptions & CyclicLRSnakeCase & ResumeOption) {
    const where = 'CyclicLR';
    const known = ['baseLr', 'maxLr', 'stepSizeUp', 'stepSizeDown', 'mode', 'gamma', 'scaleFn', 'scaleMode', 'cycleMomentum', 'baseMomentum', 'maxMomentum', 'verbose', 'lastEpoch'];
    const o = normalizeOptions(where, options, known, ALIASES) as CyclicLROptions & { verbose?: unknown; lastEpoch?: unknown };
    const groups = optimizer.paramGroups.length;
    const baseLrs = perGroup(where, 'baseLr', o.baseLr, groups, (v) => v >= 0, 'a number ≥ 0 (or one per param group)');
    const maxLrs = perGroup(where, 'maxLr', o.maxLr, groups, (v) => v >= 0, 'a number ≥ 0 (or one per param group)');
    const { stepSizeUp = 2000, mode = 'triangular', gamma = 1, scaleFn = null } = o;
    const stepSizeDown = o.stepSizeDown ?? stepSizeUp;
    check(where, 'stepSizeUp', stepSizeUp, (v) => v > 0, 'a number > 0');
    check(where, 'stepSizeDown', stepSizeDown, (v) => v > 0, 'a number > 0');
    check(where, 'gamma', gamma, () => true, 'a finite number');
    if (scaleFn !== null && typeof scaleFn !== 'function') throw new Error(`${where}: argument 'scaleFn' expected a function or null, got ${show(scaleFn)}`);
    if (scaleFn === null && !['triangular', 'triangular2', 'exp_range'].includes(mode)) throw new Error(`${where}: argument 'mode' expected 'triangular', 'triangular2' or 'exp_range', got ${show(mode)} (PyTorch's "mode is invalid and scale_fn is None")`);
    const scaleMode = scaleFn === null ? (mode === 'exp_range' ? 'iterations' : 'cycle') : (o.scaleMode ?? 'cycle');
    if (scaleMode !== 'cycle' && scaleMode !== 'iterations') throw new Error(`${where}: argument 'scaleMode' expected 'cycle' or 'iterations', got ${show(scaleMode)}`);
    const cycleMomentum = flagOption(where, 'cycleMomentum', o.cycleMomentum, true);
    const useBeta1 = 'betas' in optimizer.defaults;
    if (cycleMomentum && !useBeta1 && !('momentum' in optimizer.defaults)) throw new Error(`${where}: cycleMomentum needs an optimizer with a momentum (SGD, RMSprop) or betas (Adam and its kin), and ${optimizer.constructor.name} has neither: pass cycleMomentum: false (PyTorch: "optimizer must support momentum with \`cycle_momentum\` option enabled")`);
    const baseMomenta = cycleMomentum ? perGroup(where, 'baseMomentum', o.baseMomentum ?? 0.8, groups, (v) => v >= 0, 'a number ≥ 0 (or one per param group)') : [];
    const maxMomenta = cycleMomentum ? perGroup(where, 'maxMomentum', o.maxMomentum ?? 0.9, groups, (v) => v >= 0, 'a number ≥ 0 (or one per param group)') : [];
    verboseOption(where, o.verbose); // before the groups change
    if (o.lastEpoch === undefined || o.lastEpoch === -1) {
      (optimizer.paramGroups as unknown as MomentumGroup[]).forEach((g, i) => {
        g.lr = baseLrs[i]!;
        if (cycleMomentum) setMomentum(g, baseMomenta[i]!, useBeta1);
      });
    }
    super(optimizer, o.verbose, o.lastEpoch);
    this.baseLrs.splice(0, this.baseLrs.length, ...baseLrs); // the given ones, resumed or not (PyTorch's)
    this.maxLrs = maxLrs;
    this.totalSize = stepSizeUp + stepSizeDown;
    this.stepRatio = stepSizeUp / this.totalSize;
    this.mode = mode;
    this.gamma = gamma;
    this.scaleMode = scaleMode;
    this.cycleMomentum = cycleMomentum;
    this.useBeta1 = useBeta1;
    this.baseMomenta.push(...baseMomenta);
    this.maxMomenta.push(...maxMomenta);
    this.scale = scaleFn ?? (mode === 'triangular' ? () => 1 : mode === 'triangular2' ? (x) => 1 / 2 ** (x - 1) : (x) => gamma ** x);
    this.initialStep();
  }

  /** Each group's lr at step lastEpoch; its momentum (or betas[0]) written on the way, as PyTorch's get_lr. */
  protected getLr(): number[] {
    const t = this.lastEpoch;
    const cycle = Math.floor(1 + t / this.totalSize);
    const x = 1 + t / this.totalSize - cycle;
    const height = x <= this.stepRatio ? x / this.stepRatio : (x - 1) / (this.stepRatio - 1);
    const scale = this.scale(this.scaleMode === 'cycle' ? cycle : t);
    if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new Error(`CyclicLR: the scale function returned ${String(scale)} at ${this.scaleMode === 'cycle' ? `cycle ${cycle}` : `step ${t}`}, expected a finite number`);
    if (this.cycleMomentum) (this.groups as MomentumGroup[]).forEach((g, i) => setMomentum(g, this.maxMomenta[i]! - (this.maxMomenta[i]! - this.baseMomenta[i]!) * height * scale, this.useBeta1));
    return this.baseLrs.map((base, i) => base + (this.maxLrs[i]! - base) * height * scale);
  }
}

/** Python's bisect_right: how many of the sorted `values` are ≤ x. */
function bisectRight(values: readonly number[], x: number): number {
  let n = 0;
  while (n < values.length && values[n]! <= x) n++;
  return n;
}

function expectSchedulers(where: string, schedulers: unknown): LRScheduler[] {
  if (!Array.isArray(schedulers) || schedulers.length === 0 || !schedulers.every((s) => s instanceof LRScheduler)) {
    throw new Error(`${where}: argument 'schedulers' expected a list of learning-rate schedulers (ReduceLROnPlateau cannot be one: its step needs the metric), got ${show(schedulers)}`);
  }
  const list = [...(schedulers as LRScheduler[])];
  list.forEach((s, i) => {
    if (s.optimizer !== list[0]!.optimizer) throw new Error(`${where}: schedulers ${i} and 0 belong to different optimizers (PyTorch: "expects all schedulers to belong to the same optimizer")`);
  });
  return list;
}

/**
 * One scheduler after another: schedulers[i] from epoch milestones[i − 1] on (a warm-up, then a
 * decay). PyTorch's quirks kept: the constructor puts every group's lr back to its initial lr and
 * redoes the first scheduler's epoch 0 (the others' constructors already stepped: their epoch is
 * taken back by one), and at a milestone the next scheduler starts over with PyTorch's step(0), from
 * the base lrs (its closed form) rather than from the lr the last one left. `verbose` does nothing,
 * as PyTorch's; each scheduler prints its own lines.
 */
export class SequentialLR extends LRScheduler {
  readonly schedulers: LRScheduler[];
  readonly milestones: number[];

  constructor(optimizer: Optimizer, options: { schedulers: LRScheduler[]; milestones: number[]; verbose?: boolean } & ResumeOption) {
    const where = 'SequentialLR';
    const o = normalizeOptions(where, options, ['schedulers', 'milestones', 'verbose', 'lastEpoch'], ALIASES) as { verbose?: unknown; lastEpoch?: unknown; schedulers?: unknown; milestones?: unknown };
    const schedulers = expectSchedulers(where, o.schedulers);
    if (schedulers[0]!.optimizer !== optimizer) throw new Error(`${where}: the schedulers belong to another optimizer than the one given`);
    // PyTorch's fails on these as well: a ChainedScheduler has no epoch to take back, and neither takes step(0).
    const nested = schedulers.findIndex((s) => s instanceof SequentialLR || s instanceof ChainedScheduler);
    if (nested >= 0) throw new Error(`${where}: scheduler ${nested} is a ${schedulers[nested]!.constructor.name}, which SequentialLR cannot restart at a milestone; put the SequentialLR inside a ChainedScheduler instead`);
    const milestones = o.milestones;
    if (!Array.isArray(milestones) || !milestones.every((m, i) => Number.isInteger(m) && m >= 0 && (i === 0 || m >= milestones[i - 1]))) throw new Error(`${where}: argument 'milestones' expected a sorted list of integers ≥ 0, got ${show(milestones)}`);
    if (milestones.length !== schedulers.length - 1) throw new Error(`${where}: argument 'milestones' expected ${schedulers.length - 1} values (one fewer than the schedulers), got ${milestones.length}`);
    super(optimizer, o.verbose, o.lastEpoch);
    this.schedulers = schedulers;
    this.milestones = [...(milestones as number[])];
    this.lastEpoch += 1;
    for (const g of this.groups) g.lr = g.initialLr!;
    for (const s of schedulers) s.lastEpoch -= 1;
    LRScheduler.initialStepOf(schedulers[0]!);
    this.lastLr = schedulers[0]!.getLastLr();
  }

  override step(...unsupported: never[]): void {
    expectNoArguments('SequentialLR.step', unsupported, 'it takes no epoch (nor does PyTorch\'s)');
    this.lastEpoch++;
    const i = bisectRight(this.milestones, this.lastEpoch);
    const scheduler = this.schedulers[i]!;
    if (i > 0 && this.milestones[i - 1] === this.lastEpoch) LRScheduler.restartOf(scheduler);
    else scheduler.step();
    this.lastLr = scheduler.getLastLr();
  }

  protected getLr(): number[] {
    throw new Error('SequentialLR computes no lr of its own: its schedulers do');
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), milestones: [...this.milestones], schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(state: SchedulerStateDict): void {
    super.loadStateDict(state);
    loadEach(`${this.constructor.name}.loadStateDict`, this.schedulers, state);
  }
}

/**
 * Several schedulers stepped together, each step() calling theirs in order: their factors multiply
 * (the chainable ones, which go on from the group's current lr). `lastEpoch` stays −1: PyTorch's
 * ChainedScheduler has none.
 */
export class ChainedScheduler extends LRScheduler {
  readonly schedulers: LRScheduler[];

  constructor(schedulers: LRScheduler[], ...unsupported: never[]) {
    const where = 'ChainedScheduler';
    expectNoArguments(where, unsupported, 'its one argument is the list of schedulers (PyTorch\'s ChainedScheduler(schedulers))');
    const list = expectSchedulers(where, schedulers);
    super(list[0]!.optimizer);
    this.schedulers = list;
    this.lastLr = this.groups.map((g) => g.lr);
  }

  override step(...unsupported: never[]): void {
    expectNoArguments('ChainedScheduler.step', unsupported, 'it takes no epoch (nor does PyTorch\'s)');
    for (const s of this.schedulers) s.step();
    this.lastLr = this.groups.map((g) => g.lr);
  }

  protected getLr(): number[] {
    throw new Error('ChainedScheduler computes no lr of its own: its schedulers do');
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), schedulers: this.schedulers.map((s) => s.stateDict()) };
  }

  override loadStateDict(state: SchedulerStateDict): void {
    super.loadStateDict(state);
    loadEach(`${this.constructor.name}.loadStateDict`, this.schedulers, state);
  }
}

/** The states of the schedulers a SequentialLR or ChainedScheduler drives, loaded into each. */
function loadEach(where: string, schedulers: LRScheduler[], state: SchedulerStateDict): void {
  const saved = state['schedulers'];
  if (!Array.isArray(saved) || saved.length !== schedulers.length) throw new Error(`${where}: the state has ${Array.isArray(saved) ? saved.length : 'no'} schedulers, this one drives ${schedulers.length}`);
  schedulers.forEach((s, i) => s.loadStateDict(saved[i] as SchedulerStateDict));
}

export interface ReduceLROnPlateauOptions {
  mode?: 'min' | 'max';
  factor?: number;
  patience?: number;
  threshold?: number;
  thresholdMode?: 'rel' | 'abs';
  cooldown?: number;
  /** One floor for every group, or one per group. */
  minLr?: number | number[];
  eps?: number;
  /** Print a line when the lr is reduced, as PyTorch's: 'Epoch 00005: reducing learning rate of group 0 to 1.0000e-03.' */
  verbose?: boolean;
}

/**
 * Multiplies every group's lr by factor once the metric given to step(metric) has not improved for
 * more than patience epochs (PyTorch's ReduceLROnPlateau, its defaults and its threshold rules).
 */
export class ReduceLROnPlateau {
  readonly mode: 'min' | 'max';
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: 'rel' | 'abs';
  readonly cooldown: number;
  readonly minLrs: number[];
  readonly eps: number;
  readonly verbose: boolean;
  best: number;
  numBadEpochs = 0;
  cooldownCounter = 0;
  lastEpoch = 0;
  private lastLr: number[];

  constructor(
    readonly optimizer: Optimizer,
    options: ReduceLROnPlateauOptions & { threshold_mode?: 'rel' | 'abs'; min_lr?: number | number[] } = {},
  ) {
    const where = 'ReduceLROnPlateau';
    const o = { mode: 'min', factor: 0.1, patience: 10, threshold: 1e-4, thresholdMode: 'rel', cooldown: 0, minLr: 0, eps: 1e-8, ...normalizeOptions(where, options, ['mode', 'factor', 'patience', 'threshold', 'thresholdMode', 'cooldown', 'minLr', 'eps', 'verbose'], ALIASES) } as Required<ReduceLROnPlateauOptions>;
    if (o.mode !== 'min' && o.mode !== 'max') throw new Error(`${where}: argument 'mode' expected 'min' or 'max', got ${String(o.mode)}`);
    if (o.thresholdMode !== 'rel' && o.thresholdMode !== 'abs') throw new Error(`${where}: argument 'thresholdMode' expected 'rel' or 'abs', got ${String(o.thresholdMode)}`);
    check(where, 'factor', o.factor, (v) => v >= 0 && v < 1, 'a number in [0, 1) (factor should be < 1.0)');
    check(where, 'patience', o.patience, (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0');
    check(where, 'threshold', o.threshold, (v) => v >= 0, 'a number ≥ 0');
    check(where, 'cooldown', o.cooldown, (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0');
    check(where, 'eps', o.eps, (v) => v >= 0, 'a number ≥ 0');
    const groups = optimizer.paramGroups.length;
    const minLrs = Array.isArray(o.minLr) ? o.minLr : new Array<number>(groups).fill(o.minLr);
    if (minLrs.length !== groups) throw new Error(`${where}: argument 'minLr' expected ${groups} values (one per param group), got ${minLrs.length}`);
    minLrs.forEach((v, i) => check(where, `minLr[${i}]`, v, (x) => x >= 0, 'a number ≥ 0'));
    this.minLrs = minLrs;
    this.mode = o.mode;
    this.factor = o.factor;
    this.patience = o.patience;
    this.threshold = o.threshold;
    this.thresholdMode = o.thresholdMode;
    this.cooldown = o.cooldown;
    this.eps = o.eps;
    this.verbose = verboseOption(where, o.verbose);
    this.best = o.mode === 'min' ? Infinity : -Infinity;
    this.lastLr = this.groups.map((g) => g.lr);
  }

  private get groups(): Group[] {
    return this.optimizer.paramGroups as unknown as Group[];
  }

  /** PyTorch's spelling of getLastLr (src/pytorch-names.ts). */
  declare get_last_lr: ReduceLROnPlateau['getLastLr'];

  getLastLr(): number[] {
    return [...this.lastLr];
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode, threshold, best } = this;
    if (mode === 'min' && thresholdMode === 'rel') return a < best * (1 - threshold);
    if (mode === 'min') return a < best - threshold;
    if (thresholdMode === 'rel') return a > best * (threshold + 1);
    return a > best + threshold;
  }

  /** One epoch's metric (a validation loss, say): counts bad epochs and reduces the lr when due. */
  step(metric: number, ...unsupported: never[]): void {
    expectNoArguments('ReduceLROnPlateau.step', unsupported, 'step(metric, epoch) is deprecated in PyTorch and not supported here; call step(metric) once an epoch');
    if (typeof metric !== 'number' || Number.isNaN(metric)) throw new Error(`ReduceLROnPlateau.step: expected the epoch's metric (a number), got ${String(metric)}`);
    if (this.groups.length !== this.minLrs.length) throw new Error(`ReduceLROnPlateau.step: the optimizer has ${this.groups.length} param groups, the scheduler was made for ${this.minLrs.length} (a group added since, with addParamGroup: make the scheduler again, as PyTorch's would fail too)`);
    this.lastEpoch++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBadEpochs = 0;
    } else {
      this.numBadEpochs++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBadEpochs = 0;
    }
    if (this.numBadEpochs > this.patience) {
      this.groups.forEach((g, i) => {
        const newLr = Math.max(g.lr * this.factor, this.minLrs[i]!);
        if (g.lr - newLr <= this.eps) return;
        g.lr = newLr;
        if (this.verbose) console.log(`Epoch ${String(this.lastEpoch).padStart(5, '0')}: reducing learning rate of group ${i} to ${pythonExponential(newLr)}.`);
      });
      this.cooldownCounter = this.cooldown;
      this.numBadEpochs = 0;
    }
    this.lastLr = this.groups.map((g) => g.lr);
  }
}

methodSpellings(ReduceLROnPlateau.prototype, ['get_last_lr']);

/** The scheduler a parsed `--lr-schedule` names, stepped once an epoch; null for none. */
export function makeScheduler(spec: LrScheduleSpec, optimizer: Optimizer, epochs: number): LRScheduler | ReduceLROnPlateau | null {
  switch (spec.kind) {
    case 'none':
      return null;
    case 'step':
      return new StepLR(optimizer, { stepSize: spec.stepSize, gamma: spec.gamma });
    case 'multistep':
      return new MultiStepLR(optimizer, { milestones: spec.milestones, gamma: spec.gamma });
    case 'exponential':
      return new ExponentialLR(optimizer, { gamma: spec.gamma });
    case 'cosine':
      return new CosineAnnealingLR(optimizer, { tMax: spec.tMax ?? epochs, etaMin: spec.etaMin });
    case 'plateau':
      return new ReduceLROnPlateau(optimizer, { factor: spec.factor, patience: spec.patience });
    case 'linear':
      return new LinearLR(optimizer, { startFactor: spec.startFactor, endFactor: spec.endFactor, totalIters: spec.totalIters });
    case 'constant':
      return new ConstantLR(optimizer, { factor: spec.factor, totalIters: spec.totalIters });
    case 'warmrestarts':
      return new CosineAnnealingWarmRestarts(optimizer, { t0: spec.t0, tMult: spec.tMult, etaMin: spec.etaMin });
    case 'onecycle':
      // Stepped once an epoch here, so its cycle spans the epochs.
      return new OneCycleLR(optimizer, { maxLr: spec.maxLr, totalSteps: epochs, pctStart: spec.pctStart });
  }
}
