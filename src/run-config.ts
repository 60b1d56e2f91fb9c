// The case study's configurations and result shapes: plain data, shared by the Node CLI (which must
// not load GPU code) and the page that trains.

/**
 * A decimal number as typed ('12', '-0.5', '.5', '1e-3'), else NaN. Number() alone also takes hex,
 * octal and binary ('0x10' is 16), '' (0) and 'Infinity'; a CSV cell or a flag means none of them.
 */
export function decimal(text: string): number {
  const t = text.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(t) ? Number(t) : NaN;
}

export type OptimizerName = 'sgd' | 'momentum' | 'adagrad' | 'rmsprop' | 'adam';
export const OPTIMIZERS: readonly OptimizerName[] = ['sgd', 'momentum', 'adagrad', 'rmsprop', 'adam'];

export interface ModelConfig {
  features: number;
  classes: number;
  hidden: number[];
  activation: 'sigmoid' | 'relu';
  /** Dropout probability after each hidden activation; 0 for none. */
  dropout: number;
  /** BatchNorm1d after each hidden Linear, before the activation. */
  batchNorm: boolean;
}

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  optimizer: OptimizerName;
  seed: number;
  /** Standardise features with a StandardScaler fitted on the training rows. */
  standardize: boolean;
  /** A learning-rate schedule stepped once an epoch, as `--lr-schedule` spells it (parseLrSchedule). */
  lrSchedule?: string;
}

/** The whole architecture in one line, e.g. `20→128→4, relu, batch-norm, dropout 0.2` (a plot's title). */
export function describeModel(model: ModelConfig): string {
  return `${[model.features, ...model.hidden, model.classes].join('→')}, ${model.activation}, ${model.batchNorm ? 'batch-norm' : 'no batch-norm'}, ${model.dropout > 0 ? `dropout ${model.dropout}` : 'no dropout'}`;
}

export type RunConfig = Omit<ModelConfig, 'features' | 'classes'> & TrainConfig;

/** The course's two models. PyTorch reaches 0.49–0.54 (baseline) and 0.955–0.980 (tuned) test accuracy. */
export const VARIANTS: Record<'baseline' | 'tuned', RunConfig> = {
  baseline: { hidden: [128, 256], activation: 'sigmoid', dropout: 0, batchNorm: false, epochs: 50, batchSize: 8, lr: 1e-3, optimizer: 'sgd', seed: 0, standardize: false },
  tuned: { hidden: [128, 256, 512, 128], activation: 'sigmoid', dropout: 0, batchNorm: false, epochs: 50, batchSize: 8, lr: 1e-4, optimizer: 'adam', seed: 0, standardize: true },
};

/**
 * The lr each optimizer gets when a run changes the optimizer without giving --lr. Measured on the
 * tuned architecture (standardised phone data, 4 sigmoid layers, batch 8, 5 epochs, seed 0): Adagrad
 * 0.01 (PyTorch's default) reaches 0.94 test accuracy, RMSprop 1e-3 0.95 (PyTorch's 0.01 diverges to
 * 0.25), Adam 1e-3 (PyTorch's) 0.95. Plain SGD and momentum learn nothing there at any lr from 1e-4 to
 * 2 (the sigmoids' gradients vanish; see SGD_ADVICE); they get the conventional 0.01.
 */
export const DEFAULT_LR: Record<OptimizerName, number> = { sgd: 0.01, momentum: 0.01, adagrad: 0.01, rmsprop: 1e-3, adam: 1e-3 };

/** Said when SGD meets a deep sigmoid network, where no lr helps. */
export const SGD_ADVICE = 'SGD barely moves a network of 3 or more sigmoid layers (on the tuned model, no lr from 1e-4 to 2 learns in 5 epochs): consider --activation relu, fewer layers, or adagrad, rmsprop or adam';

/** The widest hidden layer a run may ask for. */
export const MAX_WIDTH = 65_536;
/** Floats in one weight matrix: 128 MiB, WebGPU's default maxStorageBufferBindingSize. */
export const MAX_LAYER_FLOATS = 2 ** 25;

/** What is wrong with an architecture, as phrases naming the field; empty when it can be built. */
export function modelConfigProblems(m: ModelConfig): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(m.features) || m.features < 1) problems.push(`features must be a positive integer, got ${m.features}`);
  if (!Number.isInteger(m.classes) || m.classes < 2) problems.push(`classes must be an integer ≥ 2, got ${m.classes}`);
  if (!Array.isArray(m.hidden)) problems.push('hidden must be a list of layer sizes');
  else
    m.hidden.forEach((h, i) => {
      if (!Number.isInteger(h) || h < 1 || h > MAX_WIDTH) problems.push(`hidden layer ${i + 1} has size ${h}, expected an integer in [1, ${MAX_WIDTH.toLocaleString('en')}]`);
    });
  if (m.activation !== 'sigmoid' && m.activation !== 'relu') problems.push(`activation must be sigmoid or relu, got ${JSON.stringify(m.activation)}`);
  if (typeof m.dropout !== 'number' || !(m.dropout >= 0 && m.dropout < 1)) problems.push(`dropout must be a probability in [0, 1), got ${JSON.stringify(m.dropout)}`);
  if (typeof m.batchNorm !== 'boolean') problems.push(`batchNorm must be true or false, got ${JSON.stringify(m.batchNorm)}`);
  if (problems.length === 0) {
    const sizes = [m.features, ...m.hidden, m.classes];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const floats = sizes[i]! * sizes[i + 1]!;
      if (floats > MAX_LAYER_FLOATS) problems.push(`layer ${i + 1} (${sizes[i]}→${sizes[i + 1]}) has ${floats.toLocaleString('en')} weights, more than the ${MAX_LAYER_FLOATS.toLocaleString('en')} one WebGPU buffer binding holds`);
    }
  }
  return problems;
}

/**
 * A learning rate the kernels can use: within float32's range (they take it as an f32) and > 0 once
 * rounded to it (1e-50 becomes 0, and a model that never changes).
 */
export const isLearningRate = (lr: unknown): lr is number => typeof lr === 'number' && Math.fround(lr) > 0 && Number.isFinite(Math.fround(lr));
export const LR_EXPECTED = "a number > 0 within float32's range (1.4e-45 to 3.4e38)";

/** What is wrong with a training configuration, as phrases naming the field; empty when it can run. */
export function trainConfigProblems(t: TrainConfig): string[] {
  const problems: string[] = [];
  if (!Number.isInteger(t.epochs) || t.epochs < 1) problems.push(`epochs must be a positive integer, got ${JSON.stringify(t.epochs)}`);
  if (!Number.isInteger(t.batchSize) || t.batchSize < 1) problems.push(`batchSize must be a positive integer, got ${JSON.stringify(t.batchSize)}`);
  if (!isLearningRate(t.lr)) problems.push(`lr must be ${LR_EXPECTED}, got ${JSON.stringify(t.lr)}`);
  if (!OPTIMIZERS.includes(t.optimizer)) problems.push(`optimizer must be one of ${OPTIMIZERS.join(', ')}, got ${JSON.stringify(t.optimizer)}`);
  if (!Number.isInteger(t.seed) || t.seed < 0 || t.seed >= 2 ** 32) problems.push(`seed must be an integer in [0, 2³²), got ${JSON.stringify(t.seed)}`);
  if (typeof t.standardize !== 'boolean') problems.push(`standardize must be true or false, got ${JSON.stringify(t.standardize)}`);
  return problems;
}

export interface EpochReport {
  epoch: number;
  /** The learning rate this epoch trained with (the first param group's). */
  lr?: number;
  loss: number;
  accuracy: number;
  /** Wall time of the epoch's steps, without tuningSeconds. */
  seconds: number;
  /** Time the autotuner spent timing variants during the epoch (the first, usually). */
  tuningSeconds?: number;
  steps: number;
  stepsPerSecond: number;
  dispatchesPerStep: number;
}

/** Within an epoch: steps done so far (of `steps`), and the epoch's running mean loss. */
export interface StepProgress {
  epoch: number;
  step: number;
  steps: number;
  loss: number;
  seconds: number;
}

/** The most classes whose confusion matrix an evaluation keeps (10⁶ counts). */
export const MAX_CONFUSION_CLASSES = 1000;

export interface Evaluation {
  accuracy: number;
  /** confusion[true class][predicted class]; null past MAX_CONFUSION_CLASSES classes (C² counts: 400 million at 20,000) */
  confusion: number[][] | null;
  predictions: number[];
}


/** A parsed `--lr-schedule` (src/lr-scheduler.ts makes the scheduler). */
export type LrScheduleSpec =
  | { kind: 'none' }
  | { kind: 'step'; stepSize: number; gamma: number }
  | { kind: 'multistep'; milestones: number[]; gamma: number }
  | { kind: 'exponential'; gamma: number }
  | { kind: 'cosine'; tMax: number | null; etaMin: number }
  | { kind: 'plateau'; factor: number; patience: number }
  | { kind: 'linear'; startFactor: number; endFactor: number; totalIters: number }
  | { kind: 'constant'; factor: number; totalIters: number }
  | { kind: 'warmrestarts'; t0: number; tMult: number; etaMin: number }
  | { kind: 'onecycle'; maxLr: number; pctStart: number };

export const LR_SCHEDULE_HELP = 'none, step:SIZE[:GAMMA], multistep:E1,E2,…[:GAMMA], exponential:GAMMA, cosine[:T_MAX[:ETA_MIN]], plateau[:FACTOR[:PATIENCE]], linear[:START[:END[:ITERS]]], constant[:FACTOR[:ITERS]], warmrestarts:T_0[:T_MULT[:ETA_MIN]], onecycle:MAX_LR[:PCT_START]';

/**
 * `--lr-schedule` text → a schedule: StepLR (gamma 0.1), MultiStepLR (gamma 0.1), ExponentialLR,
 * CosineAnnealingLR (T_max = the epochs, eta_min 0), ReduceLROnPlateau on the epoch's training
 * loss (factor 0.1, patience 10), LinearLR (1/3 to 1 over 5), ConstantLR (1/3 for 5),
 * CosineAnnealingWarmRestarts (T_mult 1, eta_min 0) or OneCycleLR (over the epochs, pct_start 0.3),
 * with PyTorch's defaults. A malformed text is an Error saying why.
 */
export function parseLrSchedule(text: string): LrScheduleSpec {
  const [kind = '', ...args] = text.trim().split(':');
  const bad = (why: string) => new Error(`--lr-schedule '${text}': ${why} (expected ${LR_SCHEDULE_HELP})`);
  const num = (i: number, name: string, fallback: number | undefined, ok: (v: number) => boolean, expected: string): number => {
    const a = args[i];
    if (a === undefined || a === '') {
      if (fallback === undefined) throw bad(`${name} is missing`);
      return fallback;
    }
    const v = decimal(a);
    if (!Number.isFinite(v) || !ok(v)) throw bad(`${name} expected ${expected}, got '${a}'`);
    return v;
  };
  const most = (n: number) => {
    if (args.length > n) throw bad(`${kind} takes at most ${n} values`);
  };
  const positiveInt = (v: number) => Number.isInteger(v) && v > 0;
  switch (kind) {
    case 'none':
      most(0);
      return { kind };
    case 'step':
      most(2);
      return { kind, stepSize: num(0, 'SIZE', undefined, positiveInt, 'a positive integer'), gamma: num(1, 'GAMMA', 0.1, (v) => v > 0, 'a number > 0') };
    case 'multistep': {
      most(2);
      const milestones = (args[0] ?? '').split(',').map((m) => decimal(m));
      if (!args[0] || !milestones.every(positiveInt)) throw bad(`milestones expected positive integers separated by commas, got '${args[0] ?? ''}'`);
      return { kind, milestones, gamma: num(1, 'GAMMA', 0.1, (v) => v > 0, 'a number > 0') };
    }
    case 'exponential':
      most(1);
      return { kind, gamma: num(0, 'GAMMA', undefined, (v) => v > 0, 'a number > 0') };
    case 'cosine':
      most(2);
      return { kind, tMax: args[0] ? num(0, 'T_MAX', undefined, positiveInt, 'a positive integer') : null, etaMin: num(1, 'ETA_MIN', 0, (v) => v >= 0, 'a number ≥ 0') };
    case 'plateau':
      most(2);
      return { kind, factor: num(0, 'FACTOR', 0.1, (v) => v > 0 && v < 1, 'a number in (0, 1)'), patience: num(1, 'PATIENCE', 10, (v) => Number.isInteger(v) && v >= 0, 'an integer ≥ 0') };
    case 'linear':
      most(3);
      return { kind, startFactor: num(0, 'START', 1 / 3, (v) => v > 0 && v <= 1, 'a number in (0, 1]'), endFactor: num(1, 'END', 1, (v) => v >= 0 && v <= 1, 'a number in [0, 1]'), totalIters: num(2, 'ITERS', 5, positiveInt, 'a positive integer') };
    case 'constant':
      most(2);
      return { kind, factor: num(0, 'FACTOR', 1 / 3, (v) => v > 0 && v <= 1, 'a number in (0, 1]'), totalIters: num(1, 'ITERS', 5, positiveInt, 'a positive integer') };
    case 'warmrestarts':
      most(3);
      return { kind, t0: num(0, 'T_0', undefined, positiveInt, 'a positive integer'), tMult: num(1, 'T_MULT', 1, positiveInt, 'a positive integer'), etaMin: num(2, 'ETA_MIN', 0, (v) => v >= 0, 'a number ≥ 0') };
    case 'onecycle':
      most(2);
      return { kind, maxLr: num(0, 'MAX_LR', undefined, (v) => v > 0, 'a number > 0'), pctStart: num(1, 'PCT_START', 0.3, (v) => v > 0 && v < 1, 'a number in (0, 1)') };
    default:
      throw bad(`unknown schedule '${kind}'`);
  }
}
