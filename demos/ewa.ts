// Exponentially weighted averages of 30 days of temperatures, for a β slider, with and without
// bias correction; the series and both curves come from the GPU (init.wgsl, ewa.wgsl).
import { Chart } from 'chart.js';
import * as init from '../src/init';
import { exponentiallyWeightedAverage } from '../src/optim';
import { fmt, numberField, setupPage, shown, task } from './common';
import { Tensor } from '../src/tensor';

const gpu = await setupPage();
const beta = document.getElementById('beta') as HTMLInputElement;
const seed = document.getElementById('seed') as HTMLInputElement;
const days = Array.from({ length: 30 }, (_, i) => String(i + 1));
const chart = new Chart(document.getElementById('curves') as HTMLCanvasElement, {
  type: 'line',
  data: {
    labels: days,
    datasets: [
      { label: 'temperature θ', data: [] as number[], borderColor: '#9ca3af', showLine: false, pointRadius: 4 },
      { label: 'EWA', data: [] as number[], borderColor: '#dc2626', pointRadius: 0 },
      { label: 'EWA, bias-corrected', data: [] as number[], borderColor: '#2563eb', pointRadius: 0 },
    ],
  },
  options: { maintainAspectRatio: false, scales: { x: { title: { display: true, text: 'day' } }, y: { title: { display: true, text: '°C' } } } },
});

async function update(): Promise<void> {
  if (!gpu) return;
  document.getElementById('beta-value')!.textContent = beta.value;
  init.manualSeed(numberField('seed', { integer: true }));
  const series = Tensor.empty(gpu, [30], 'f32', 'temperatures');
  init.normal_(series, 18, 5); // the course's torch.randn(30) * 5 + 18
  const raw = exponentiallyWeightedAverage(gpu, series, Number(beta.value));
  const corrected = exponentiallyWeightedAverage(gpu, series, Number(beta.value), { biasCorrection: true });
  const [t, r, c] = [Array.from(await series.read()), Array.from(await raw.read()), Array.from(await corrected.read())];
  [series, raw, corrected].forEach((x) => x.destroy());
  chart.data.datasets[0]!.data = t;
  chart.data.datasets[1]!.data = r;
  chart.data.datasets[2]!.data = c;
  chart.update();
  document.getElementById('v1')!.textContent = fmt(r[0]!, 3);
  document.getElementById('v1c')!.textContent = fmt(c[0]!, 3);
  document.getElementById('t1')!.textContent = fmt(t[0]!, 3);
  document.getElementById('v30')!.textContent = fmt(c[29]!, 3);
  shown({ temperatures: t, raw: r, corrected: c, beta: Number(beta.value) });
}

const run = task(update);
beta.addEventListener('input', run);
seed.addEventListener('change', run);
await run();
