// The case study behind `npm start`, on wire data (base64 arrays, plain JSON): train and evaluate
// the classifier on a GPU. The same code runs in the page Puppeteer drives (demos/runner.ts) and
// in Node on Dawn (scripts/start.ts --runtime node); only the transport differs.
import { base64ToF32, base64ToU32, f32ToBase64 } from './base64';
import { buildModel, evaluate, train, type EpochReport, type Evaluation, type ModelConfig, type TrainConfig } from './classifier';
import type { Dataset } from './data';
import type { Gpu } from './device/gpu';
import type { StateDict } from './nn';

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
}

export interface TrainResult {
  reports: EpochReport[];
  test: Evaluation;
  state: WireState[];
}

export interface EvaluateRequest {
  model: ModelConfig;
  state: WireState[];
  features: string[];
  classes: string[];
  test: WireData;
}

const dataset = (d: WireData, features: string[], classes: string[]): Dataset => ({ features, label: '', classes, x: base64ToF32(d.x), y: base64ToU32(d.y), rows: d.rows });

export async function trainRequest(gpu: Gpu, request: TrainRequest, onEpoch: (report: EpochReport) => void | Promise<void> = () => {}): Promise<TrainResult> {
  const model = buildModel(gpu, request.model, request.training.seed);
  const reports = await train(gpu, model, dataset(request.train, request.features, request.classes), request.training, onEpoch);
  const test = await evaluate(gpu, model, dataset(request.test, request.features, request.classes));
  const state = [...(await model.stateDict())].map(([name, e]) => ({ name, shape: e.shape, dtype: e.dtype, values: f32ToBase64(e.values) }));
  return { reports, test, state };
}

export async function evaluateRequest(gpu: Gpu, request: EvaluateRequest): Promise<Evaluation> {
  const model = buildModel(gpu, request.model, 0);
  const state: StateDict = new Map(request.state.map((s) => [s.name, { shape: s.shape, dtype: s.dtype, values: base64ToF32(s.values) }]));
  model.loadStateDict(state);
  return evaluate(gpu, model, dataset(request.test, request.features, request.classes));
}
