// The case study's configurations and result shapes: plain data, shared by the Node CLI (which must
// not load GPU code) and the page that trains.

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

export interface EpochReport {
  epoch: number;
  loss: number;
  accuracy: number;
  seconds: number;
  steps: number;
  stepsPerSecond: number;
  dispatchesPerStep: number;
}

export interface Evaluation {
  accuracy: number;
  /** confusion[true class][predicted class] */
  confusion: number[][];
  predictions: number[];
}

