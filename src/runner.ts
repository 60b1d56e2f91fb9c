// The case study behind `npm start` (and its --task mnist), on wire data (base64 arrays, plain JSON): train and evaluate
// the classifier on a GPU. The same code runs in the page Puppeteer drives (demos/runner.ts) and
// in Node on Dawn (scripts/start.ts --runtime node); only the transport differs.
import { base64ToF32, base64ToU32, f32ToBase64 } from './base64';
import { buildModel, evaluate, train, type EpochReport, type Evaluation, type ModelConfig, type StepProgress, type TrainConfig } from './classifier';
import type { Dataset } from './data';
import type { Gpu } from './device/gpu';
import type { TuningRecord } from './device/tuner';
import { MnistCNN } from './cnn';
import { subset, trainTestSplit } from './data';
import { manualSeed } from './init';
import type { MnistTraining } from './mnist';
import type { Module, StateDict } from './nn';

export interface WireData {
  x: string;
  y: string;
  rows: number;
}

export interface WireState {
  name: string;
  shape: number[];
  dtype: 'F32' | 'I64';
  values: string;
}

export interface TrainRequest {
  model: ModelConfig;
  training: TrainConfig;
  features: string[];
  classes: string[];
  train: WireData;
  test: WireData;
  /** Report progress within an epoch at most this often (seconds). */
  progressSeconds: number;
}

/** The autotuner: its notices, its time (ms), this adapter's picks and why they were not saved (null: saved, or nothing to save). */
export interface TuningReport {
  notices: string[];
  ms: number;
  picks: Record<string, TuningRecord>;
  saveError: string | null;
}

/** The picks of the keys this run used: the cache also holds other models' shapes. */
const tuningReport = (gpu: Gpu): TuningReport => ({ notices: gpu.tuner.notices, ms: gpu.tuner.stats.ms, picks: Object.fromEntries([...gpu.tuner.records].filter(([key]) => gpu.tuner.used.has(key))), saveError: gpu.tuner.saveError });

export interface TrainResult {
  reports: EpochReport[];
  test: Evaluation;
  state: WireState[];
  tuning: TuningReport;
}

export interface EvaluateRequest {
  model: ModelConfig;
  state: WireState[];
  features: string[];
  classes: string[];
  test: WireData;
}

const dataset = (d: WireData, features: string[], classes: string[]): Dataset => ({ features, label: '', classes, x: base64ToF32(d.x), y: base64ToU32(d.y), rows: d.rows });

/** What the training reports as it goes: each epoch, and the steps so far within one. */
export interface TrainListeners {
  onEpoch?: (report: EpochReport) => void | Promise<void>;
  onProgress?: (progress: StepProgress) => void | Promise<void>;
}

/**
 * A failure as plain data, the message alone: an Error thrown through page.evaluate carries a stack
 * frame, and both runtimes answer the same way.
 */
export type Failure = { error: string };

export async function settle<T>(work: () => Promise<T>): Promise<T | Failure> {
  try {
    return await work();
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * listeners.onProgress once every `seconds` of an epoch, counted from its start (each report crosses
 * from the page in Chrome): an epoch shorter than `seconds` reports nothing, its end aside.
 */
export function throttled(listeners: TrainListeners, seconds: number): (p: StepProgress) => Promise<void> {
  let epoch = 0;
  let next = seconds;
  return async (p) => {
    if (p.epoch !== epoch) [epoch, next] = [p.epoch, seconds];
    if (p.seconds < next) return;
    next = p.seconds + seconds;
    await listeners.onProgress?.(p);
  };
}

const wireState = async (model: Module): Promise<WireState[]> => [...(await model.stateDict())].map(([name, e]) => ({ name, shape: e.shape, dtype: e.dtype, values: f32ToBase64(e.values) }));
const fromWire = (state: WireState[]): StateDict => new Map(state.map((s) => [s.name, { shape: s.shape, dtype: s.dtype, values: base64ToF32(s.values) }]));

export async function trainRequest(gpu: Gpu, request: TrainRequest, listeners: TrainListeners = {}): Promise<TrainResult> {
  const model = buildModel(gpu, request.model, request.training.seed);
  try {
    const onProgress = throttled(listeners, request.progressSeconds);
    const reports = await train(gpu, model, dataset(request.train, request.features, request.classes), request.training, listeners.onEpoch, { onProgress });
    const test = await evaluate(gpu, model, dataset(request.test, request.features, request.classes));
    return { reports, test, state: await wireState(model), tuning: tuningReport(gpu) };
  } finally {
    model.destroy(); // the page's next run builds its own
  }
}

export async function evaluateRequest(gpu: Gpu, request: EvaluateRequest): Promise<Evaluation> {
  const model = buildModel(gpu, request.model, 0);
  try {
    model.loadStateDict(fromWire(request.state));
    return await evaluate(gpu, model, dataset(request.test, request.features, request.classes));
  } finally {
    model.destroy();
  }
}

export const IMAGE_SHAPE = [1, 28, 28] as const;

export interface MnistTrainResult {
  reports: EpochReport[];
  test: Evaluation;
  state: WireState[];
  testRows: number[];
  trainRows: number;
  tuning: TuningReport;
}


/**
 * `--task mnist`: MnistCNN on the 10,000 digits `load` gives (fetched by the page, read from disk in
 * Node). Failures come back as { error }, as the phone-price requests' do (settle).
 */
export function mnistRequests(gpu: Gpu, load: () => Promise<Dataset>) {
  const requests = {
    async train(config: MnistTraining, listeners: TrainListeners, progressSeconds: number): Promise<MnistTrainResult> {
      const data = await load();
      const split = trainTestSplit(data, { trainSize: 0.8, seed: config.seed });
      manualSeed(config.seed);
      const model = new MnistCNN(gpu);
      try {
        const reports = await train(gpu, model, split.train, { ...config, optimizer: 'adam', standardize: false }, listeners.onEpoch, { inputShape: IMAGE_SHAPE, onProgress: throttled(listeners, progressSeconds) });
        const test = await evaluate(gpu, model, split.test, 250, IMAGE_SHAPE);
        return { reports, test, state: await wireState(model), testRows: split.testRows, trainRows: split.train.rows, tuning: tuningReport(gpu) };
      } finally {
        model.destroy();
      }
    },

    async evaluate(request: { state: WireState[]; testRows: number[] }): Promise<Evaluation> {
      const data = await load();
      const model = new MnistCNN(gpu);
      try {
        model.loadStateDict(fromWire(request.state));
        return await evaluate(gpu, model, subset(data, request.testRows), 250, IMAGE_SHAPE);
      } finally {
        model.destroy();
      }
    },
  };
  return {
    train: (config: MnistTraining, listeners: TrainListeners, progressSeconds: number) => settle(() => requests.train(config, listeners, progressSeconds)),
    evaluate: (request: { state: WireState[]; testRows: number[] }) => settle(() => requests.evaluate(request)),
  };
}
