// The MNIST half of the page `npm start` drives (demos/runner.ts mounts it as window.runner.mnist):
// loads the committed digits, splits them, trains MnistCNN, evaluates it, hands the state back.
import mnistUrl from '../data/mnist-10k.u8.gz?url';
import { base64ToF32, f32ToBase64 } from '../src/base64';
import { evaluate, train, type EpochReport, type Evaluation } from '../src/classifier';
import { MnistCNN } from '../src/cnn';
import { subset, trainTestSplit, type Dataset } from '../src/data';
import type { Gpu } from '../src/device/gpu';
import { manualSeed } from '../src/init';
import { decodeMnist, type MnistTraining } from '../src/mnist';
import type { StateDict } from '../src/nn';
import type { WireState } from './runner';

export const IMAGE_SHAPE = [1, 28, 28] as const;

let cached: Promise<Dataset> | null = null;

/** The 10,000 digits, fetched once per page and checked against their SHA-256. */
export function loadMnist(): Promise<Dataset> {
  cached ??= fetch(mnistUrl).then(async (r) => {
    if (!r.ok) throw new Error(`${mnistUrl}: HTTP ${r.status}`);
    return decodeMnist(new Uint8Array(await r.arrayBuffer()), mnistUrl);
  });
  return cached;
}

export interface MnistTrainResult {
  reports: EpochReport[];
  test: Evaluation;
  state: WireState[];
  testRows: number[];
  trainRows: number;
}

export const wireState = async (model: MnistCNN): Promise<WireState[]> => [...(await model.stateDict())].map(([name, e]) => ({ name, shape: e.shape, dtype: e.dtype, values: f32ToBase64(e.values) }));

export function mnistRunner(gpu: Gpu) {
  return {
    async train(config: MnistTraining, onEpoch: (r: EpochReport) => unknown): Promise<MnistTrainResult> {
      const data = await loadMnist();
      const split = trainTestSplit(data, { trainSize: 0.8, seed: config.seed });
      manualSeed(config.seed);
      const model = new MnistCNN(gpu);
      const reports = await train(gpu, model, split.train, { ...config, optimizer: 'adam', standardize: false }, (r) => onEpoch(r) as void, { inputShape: IMAGE_SHAPE });
      const test = await evaluate(gpu, model, split.test, 250, IMAGE_SHAPE);
      return { reports, test, state: await wireState(model), testRows: split.testRows, trainRows: split.train.rows };
    },

    async evaluate(request: { state: WireState[]; testRows: number[] }): Promise<Evaluation> {
      const data = await loadMnist();
      const model = new MnistCNN(gpu);
      const state: StateDict = new Map(request.state.map((s) => [s.name, { shape: s.shape, dtype: s.dtype, values: base64ToF32(s.values) }]));
      model.loadStateDict(state);
      return evaluate(gpu, model, subset(data, request.testRows), 250, IMAGE_SHAPE);
    },
  };
}
