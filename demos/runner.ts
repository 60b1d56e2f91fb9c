// The page behind `npm start -- --runtime chrome`: receives the prepared data and configuration from
// Node, trains and evaluates with src/runner.ts (as Node does on Dawn), reports each epoch through
// window.wgslgradReport (and, on long epochs, the steps so far through window.wgslgradProgress), and
// renders the plot. Failures come back as { error } with the message alone (src/runner.ts settle).
import { Chart, registerables } from 'chart.js';
import type { EpochReport, Evaluation, StepProgress } from '../src/classifier';
import { tryRequestGpu, type AdapterSummary } from '../src/device/gpu';
import type { TuningStore, VariantPolicy } from '../src/device/tuner';
import { evaluateRequest, settle, trainRequest, type EvaluateRequest, type Failure, type TrainRequest, type TrainResult } from '../src/runner';
import { mnistRunner } from './mnist-runner';

export type { TrainRequest, TrainResult, WireData, WireState } from '../src/runner';

Chart.register(...registerables);

export interface Runner {
  adapter?: AdapterSummary;
  error?: string;
  train(request: TrainRequest): Promise<TrainResult | Failure>;
  evaluate(request: EvaluateRequest): Promise<Evaluation | Failure>;
  plot(reports: EpochReport[], title: string): string;
  /** `npm start -- --task mnist` (demos/mnist-runner.ts). */
  mnist?: ReturnType<typeof mnistRunner>;
}

declare global {
  interface Window {
    runner?: Runner;
    wgslgradReport?: (report: EpochReport) => Promise<void>;
    wgslgradProgress?: (progress: StepProgress) => Promise<void>;
    /** The CLI's tuning cache file, exposed by scripts/chrome.ts. */
    wgslgradTuningLoad?: () => Promise<string | null>;
    wgslgradTuningSave?: (text: string) => Promise<void>;
    wgslgradTuningLock?: () => Promise<void>;
    wgslgradTuningUnlock?: () => Promise<void>;
  }
}

const search = new URLSearchParams(location.search);
const cliStore: TuningStore | undefined = window.wgslgradTuningLoad && {
  load: () => window.wgslgradTuningLoad!(),
  save: (text) => window.wgslgradTuningSave!(text),
  lock: async () => {
    await window.wgslgradTuningLock!();
    return () => window.wgslgradTuningUnlock!();
  },
};
const { gpu, error } = await tryRequestGpu({
  debug: search.has('debug'),
  variantPolicy: (search.get('variant-policy') as VariantPolicy | null) ?? 'tuned',
  ...(cliStore ? { tuningStore: cliStore } : {}),
});

window.runner = {
  ...(gpu ? { adapter: gpu.adapter } : {}),
  ...(error ? { error } : {}),
  ...(gpu ? { mnist: mnistRunner(gpu) } : {}),

  async train(request) {
    return settle(async () => {
      if (!gpu) throw new Error(error);
      return trainRequest(gpu, request, { onEpoch: (r) => window.wgslgradReport?.(r), onProgress: (p) => window.wgslgradProgress?.(p) });
    });
  },

  async evaluate(request) {
    return settle(async () => {
      if (!gpu) throw new Error(error);
      return evaluateRequest(gpu, request);
    });
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
