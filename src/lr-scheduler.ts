// torch.optim.lr_scheduler: each scheduler writes its optimizer's paramGroups[i].lr, which the next
// optimizer.step() reads. The formulas are PyTorch's own (1.13), in their recursive ("chainable")
// form where PyTorch uses it, so a scheduler reads the group's current lr and two schedulers chain
// as they do in PyTorch. Call order, as in PyTorch: optimizer.step() in the loop, scheduler.step()
// after it (once an epoch); the constructor sets the epoch-0 lr.
import { expectNoArguments, normalizeOptions, pythonExponent } from './options';
import type { Optimizer } from './optim';
import type { LrScheduleSpec } from './run-config';

/** PyTorch's keyword names, accepted beside ours. */
const ALIASES: Record<string, string> = {
  step_size: 'stepSize', T_max: 'tMax', eta_min: 'etaMin', lr_lambda: 'lrLambda', threshold_mode: 'thresholdMode', min_lr: 'minLr', last_epoch: 'lastEpoch',
};

function check(where: string, name: string, value: unknown, ok: (v: number) => boolean, expected: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok(value)) throw new Error(`${where}: argument '${name}' expected ${expected}, got ${String(value)}`);
}

/** Python's '{:.4e}' (1.0000e-01): PyTorch's verbose lines print lrs so. */
export function pythonExponential(v: number): string {
  return pythonExponent(v.toExponential(4));
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
  private lastLr: number[] = [];
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
    this.advance();
  }

  protected get groups(): Group[] {
    return this.optimizer.paramGroups as unknown as Group[];
  }

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

  private advance(): void {
    this.lastEpoch++;
    const lrs = this.getLr();
    // As PyTorch's zip: a group added after the scheduler was made (addParamGroup) and unknown to a
    // schedule of base lrs keeps its own lr.
    this.groups.forEach((g, i) => {
      if (i < lrs.length) g.lr = lrs[i]!;
    });
    this.lastLr = this.groups.map((g) => g.lr);
    if (this.verbose) this.lastLr.forEach((lr, i) => console.log(`Adjusting learning rate of group ${i} to ${pythonExponential(lr)}.`));
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
    check('CosineAnnealingLR', 'tMax', o.tMax, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
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
  }
}
