// Optimizer race: SGD, Momentum, AdaGrad, RMSProp and Adam on a saddle and on a narrow ravine,
// animated over the surface's contour lines (d3-contour for the lines, Chart.js to draw).
import { Chart } from 'chart.js';
import { contours } from 'd3-contour';
import { allocateParameter, type Parameter } from '../src/parameters';
import { Adagrad, Adam, RMSprop, SGD, type Optimizer } from '../src/optim';
import { fmt, setupPage, showError, shown } from './common';

const gpu = await setupPage();

interface Surface {
  f: (x: number, y: number) => number;
  grad: (x: number, y: number) => [number, number];
  start: [number, number];
  range: [number, number, number, number];
  levels: number[];
}

const SURFACES: Record<string, Surface> = {
  saddle: { f: (x, y) => x * x - y * y, grad: (x, y) => [2 * x, -2 * y], start: [-1.8, 0.02], range: [-2, 2, -2, 2], levels: [-3, -2, -1, -0.5, -0.1, 0, 0.1, 0.5, 1, 2, 3] },
  ravine: { f: (x, y) => (x * x) / 20 + 2 * y * y, grad: (x, y) => [x / 10, 4 * y], start: [-4.5, 1.2], range: [-5, 5, -1.5, 1.5], levels: [0.05, 0.2, 0.5, 1, 2, 3, 4] },
};

const COLORS = ['#6b7280', '#f59e0b', '#16a34a', '#9333ea', '#dc2626'];
const value = (id: string) => Number((document.getElementById(id) as HTMLInputElement).value);
const chart = new Chart(document.getElementById('plot') as HTMLCanvasElement, {
  type: 'scatter',
  data: { datasets: [] },
  options: { maintainAspectRatio: false, plugins: { legend: { labels: { filter: (item) => !item.text.startsWith('f =') } } }, scales: { x: { type: 'linear' }, y: { type: 'linear' } } },
});

function contourDatasets(s: Surface) {
  const [x0, x1, y0, y1] = s.range;
  const [nx, ny] = [120, 120];
  const grid = new Array<number>(nx * ny);
  for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) grid[j * nx + i] = s.f(x0 + ((x1 - x0) * i) / (nx - 1), y0 + ((y1 - y0) * j) / (ny - 1));
  return contours().size([nx, ny]).thresholds(s.levels)(grid).flatMap((level) =>
    level.coordinates.flatMap((polygon) =>
      polygon.map((ring) => ({
        label: `f = ${level.value}`,
        data: ring.map(([i = 0, j = 0]) => ({ x: x0 + ((x1 - x0) * i) / (nx - 1), y: y0 + ((y1 - y0) * j) / (ny - 1) })),
        showLine: true,
        pointRadius: 0,
        borderWidth: 1,
        borderColor: level.value < 0 ? '#fecaca' : '#bfdbfe',
      })),
    ),
  );
}

let racing = false;

async function race(): Promise<void> {
  if (!gpu || racing) return;
  racing = true;
  try {
    const s = SURFACES[(document.getElementById('surface') as HTMLSelectElement).value]!;
    const [lr, momentum, steps] = [value('lr'), value('momentum'), value('steps')];
    const runners: { name: string; param: Parameter; opt: Optimizer; path: { x: number; y: number }[] }[] = [];
    const make: [string, (p: Parameter[]) => Optimizer][] = [
      ['SGD', (p) => new SGD(p, { lr })],
      ['Momentum', (p) => new SGD(p, { lr, momentum })],
      ['AdaGrad', (p) => new Adagrad(p, { lr: lr * 10 })],
      ['RMSProp', (p) => new RMSprop(p, { lr: lr / 5 })],
      ['Adam', (p) => new Adam(p, { lr: lr * 2 })],
    ];
    for (const [name, build] of make) {
      const param = allocateParameter(gpu, [2], name);
      param.write(s.start);
      runners.push({ name, param, opt: build([param]), path: [{ x: s.start[0], y: s.start[1] }] });
    }
    const background = contourDatasets(s);
    const [x0, x1, y0, y1] = s.range;
    chart.options.scales = { x: { type: 'linear', min: x0, max: x1 }, y: { type: 'linear', min: y0, max: y1 } };
    for (let step = 0; step < steps; step++) {
      for (const r of runners) {
        const { x, y } = r.path.at(-1)!;
        r.opt.zeroGrad();
        r.param.grad.write(s.grad(x, y));
        r.opt.step();
      }
      for (const r of runners) {
        const [x, y] = await r.param.read();
        r.path.push({ x: x!, y: y! });
      }
      if (step % 4 === 3 || step === steps - 1) {
        chart.data.datasets = [...background, ...runners.map((r, i) => ({ label: r.name, data: r.path.filter((p) => Math.abs(p.x) < 1e3 && Math.abs(p.y) < 1e3), showLine: true, pointRadius: 1.5, borderWidth: 2, borderColor: COLORS[i], backgroundColor: COLORS[i] }))];
        chart.update();
        await new Promise(requestAnimationFrame);
      }
    }
    const table = document.getElementById('final')!;
    table.querySelectorAll('tr.row').forEach((r) => r.remove());
    for (const r of runners) {
      const { x, y } = r.path.at(-1)!;
      const tr = document.createElement('tr');
      tr.className = 'row';
      for (const v of [r.name, fmt(x, 4), fmt(y, 4), fmt(s.f(x, y), 4)]) {
        const td = document.createElement('td');
        td.textContent = v;
        tr.append(td);
      }
      table.append(tr);
    }
    shown({ surface: s.start, paths: Object.fromEntries(runners.map((r) => [r.name, r.path])), lr, momentum, steps });
  } finally {
    racing = false;
  }
}

const run = () => race().catch(showError);
document.getElementById('race')!.addEventListener('click', run);
document.getElementById('surface')!.addEventListener('change', run);
await run();
