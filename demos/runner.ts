// The page behind `npm start`: receives the prepared data and configuration from Node, trains and
// evaluates on WebGPU, reports each epoch through window.wgslgradReport (and, on long epochs, the
// steps so far through window.wgslgradProgress), and renders the plot. Failures come back as
// { error } with the message alone: an Error thrown through page.evaluate carries a stack frame.
import { Chart, registerables } from 'chart.js';
import { base64ToF32, base64ToU32, f32ToBase64 } from '../src/base64';
import { buildModel, evaluate, train, type EpochReport, type Evaluation, type ModelConfig, type StepProgress, type TrainConfig } from '../src/classifier';
import type { Dataset } from '../src/data';
import { tryRequestGpu, type AdapterSummary } from '../src/device/gpu';
import type { StateDict } from '../src/nn';
import { mnistRunner } from './mnist-runner';

Chart.register(...registerables);

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

export interface TrainResult {
  reports: EpochReport[];
  test: Evaluation;
  state: WireState[];
}

export interface Runner {
  adapter?: AdapterSummary;
  error?: string;
  train(request: TrainRequest): Promise<TrainResult | { error: string }>;
  evaluate(request: { model: ModelConfig; state: WireState[]; features: string[]; classes: string[]; test: WireData }): Promise<Evaluation | { error: string }>;
  plot(reports: EpochReport[], title: string): string;
  /** `npm start -- --task mnist` (demos/mnist-runner.ts). */
  mnist?: ReturnType<typeof mnistRunner>;
}

declare global {
  interface Window {
    runner?: Runner;
    wgslgradReport?: (report: EpochReport) => Promise<void>;
    wgslgradProgress?: (progress: StepProgress) => Promise<void>;
  }
}

const dataset = (d: WireData, features: string[], classes: string[]): Dataset => ({ features, label: '', classes, x: base64ToF32(d.x), y: base64ToU32(d.y), rows: d.rows });

const failure = (e: unknown) => ({ error: e instanceof Error ? e.message : String(e) });

const { gpu, error } = await tryRequestGpu({ debug: new URLSearchParams(location.search).has('debug') });

window.runner = {
  ...(gpu ? { adapter: gpu.adapter } : {}),
  ...(error ? { error } : {}),
  ...(gpu ? { mnist: mnistRunner(gpu) } : {}),

  async train(request) {
    try {
      if (!gpu) throw new Error(error);
      const model = buildModel(gpu, request.model, request.training.seed);
      let reported = performance.now();
      const onProgress = async (p: StepProgress) => {
        if (performance.now() - reported < request.progressSeconds * 1000) return;
        reported = performance.now();
        await window.wgslgradProgress?.(p);
      };
      const reports = await train(gpu, model, dataset(request.train, request.features, request.classes), request.training, (r) => window.wgslgradReport?.(r), { onProgress });
      const test = await evaluate(gpu, model, dataset(request.test, request.features, request.classes));
      const state = [...(await model.stateDict())].map(([name, e]) => ({ name, shape: e.shape, dtype: e.dtype, values: f32ToBase64(e.values) }));
      return { reports, test, state };
    } catch (e) {
      return failure(e);
    }
  },

  async evaluate(request) {
    try {
      if (!gpu) throw new Error(error);
      const model = buildModel(gpu, request.model, 0);
      const state: StateDict = new Map(request.state.map((s) => [s.name, { shape: s.shape, dtype: s.dtype, values: base64ToF32(s.values) }]));
      model.loadStateDict(state);
      return await evaluate(gpu, model, dataset(request.test, request.features, request.classes));
    } catch (e) {
      return failure(e);
    }
  },

  plot(reports, title) {
    const canvas = document.getElementById('plot') as HTMLCanvasElement;
    const epochs = reports.map((r) => r.epoch);
    // Lines without markers; a single epoch has no line, so it is a marker in the middle of the axis.
    const single = reports.length === 1;
    const pointRadius = single ? 5 : 0;
    const chart = new Chart(canvas, {
      type: 'line',
      data: {
        labels: epochs,
        datasets: [
          { label: 'training loss', data: reports.map((r) => r.loss), borderColor: '#dc2626', backgroundColor: '#dc2626', yAxisID: 'loss', pointRadius },
          { label: 'training accuracy', data: reports.map((r) => r.accuracy), borderColor: '#2563eb', backgroundColor: '#2563eb', yAxisID: 'accuracy', pointRadius },
        ],
      },
      options: {
        animation: false,
        responsive: false,
        plugins: { title: { display: true, text: title } },
        scales: {
          x: { title: { display: true, text: 'epoch' }, offset: single },
          loss: { type: 'linear', position: 'left', title: { display: true, text: 'cross-entropy loss' } },
          accuracy: { type: 'linear', position: 'right', min: 0, max: 1, title: { display: true, text: 'accuracy' }, grid: { drawOnChartArea: false } },
        },
      },
      plugins: [{ id: 'white-background', beforeDraw: (c) => { c.ctx.save(); c.ctx.fillStyle = '#fff'; c.ctx.fillRect(0, 0, c.width, c.height); c.ctx.restore(); } }],
    });
    const png = chart.toBase64Image('image/png').replace(/^data:image\/png;base64,/, '');
    chart.destroy();
    return png;
  },
};
