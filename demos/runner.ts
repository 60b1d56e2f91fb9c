// The page behind `npm start -- --runtime chrome`: receives the prepared data and configuration from
// Node, trains and evaluates with src/runner.ts (as Node does on Dawn), reports each epoch through
// window.wgslgradReport, and renders the plot.
import { Chart, registerables } from 'chart.js';
import type { EpochReport, Evaluation } from '../src/classifier';
import { tryRequestGpu, type AdapterSummary } from '../src/device/gpu';
import { evaluateRequest, trainRequest, type EvaluateRequest, type TrainRequest, type TrainResult } from '../src/runner';

export type { TrainRequest, TrainResult, WireData, WireState } from '../src/runner';

Chart.register(...registerables);

export interface Runner {
  adapter?: AdapterSummary;
  error?: string;
  train(request: TrainRequest): Promise<TrainResult>;
  evaluate(request: EvaluateRequest): Promise<Evaluation>;
  plot(reports: EpochReport[], title: string): string;
}

declare global {
  interface Window {
    runner?: Runner;
    wgslgradReport?: (report: EpochReport) => Promise<void>;
  }
}

const { gpu, error } = await tryRequestGpu({ debug: new URLSearchParams(location.search).has('debug') });

window.runner = {
  ...(gpu ? { adapter: gpu.adapter } : {}),
  ...(error ? { error } : {}),

  async train(request) {
    if (!gpu) throw new Error(error);
    return trainRequest(gpu, request, (r) => window.wgslgradReport?.(r));
  },

  async evaluate(request) {
    if (!gpu) throw new Error(error);
    return evaluateRequest(gpu, request);
  },

  plot(reports, title) {
    const canvas = document.getElementById('plot') as HTMLCanvasElement;
    const epochs = reports.map((r) => r.epoch);
    const chart = new Chart(canvas, {
      type: 'line',
      data: {
        labels: epochs,
        datasets: [
          { label: 'training loss', data: reports.map((r) => r.loss), borderColor: '#dc2626', yAxisID: 'loss', pointRadius: 0 },
          { label: 'training accuracy', data: reports.map((r) => r.accuracy), borderColor: '#2563eb', yAxisID: 'accuracy', pointRadius: 0 },
        ],
      },
      options: {
        animation: false,
        responsive: false,
        plugins: { title: { display: true, text: title } },
        scales: {
          x: { title: { display: true, text: 'epoch' } },
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
