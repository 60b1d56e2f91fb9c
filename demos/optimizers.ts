// Optimizer race: SGD, Momentum, AdaGrad, RMSProp and Adam (and, checked, Adamax, NAdam, RAdam and
// Adadelta) on a saddle and on a narrow ravine, animated over the surface's contour lines (d3-contour
// for the lines, Chart.js to draw).
import { Chart } from 'chart.js';
import { contours } from 'd3-contour';
import { allocateParameter, type Parameter } from '../src/parameters';
import { Adadelta, Adagrad, Adam, Adamax, NAdam, RAdam, RMSprop, SGD, type Optimizer } from '../src/optim';
import { fmt, numberField, setupPage, shown, task } from './common';

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

const COLORS = ['#6b7280', '#f59e0b', '#16a34a', '#9333ea', '#dc2626', '#0891b2', '#db2777', '#65a30d', '#1d4ed8'];
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

// The lr field is SGD's and Momentum's rate. The adaptive methods divide each step by a running
// scale of the gradient, so their step is about lr whatever the slope: they get their own multiple so
// that all five move visibly in the same number of steps.
const LR_SCALE: [string, number, (p: Parameter[], lr: number, momentum: number) => Optimizer][] = [
  ['SGD', 1, (p, lr) => new SGD(p, { lr })],
  ['Momentum', 1, (p, lr, momentum) => new SGD(p, { lr, momentum })],
  ['AdaGrad', 10, (p, lr) => new Adagrad(p, { lr })],
  ['RMSProp', 1 / 5, (p, lr) => new RMSprop(p, { lr })],
  ['Adam', 2, (p, lr) => new Adam(p, { lr })],
];
/** The checkbox's four: Adam's relatives at Adam's scale, Adadelta (whose steps grow from √eps) at 20 × lr. */
const MORE: typeof LR_SCALE = [
  ['Adamax', 2, (p, lr) => new Adamax(p, { lr })],
  ['NAdam', 2, (p, lr) => new NAdam(p, { lr })],
  ['RAdam', 2, (p, lr) => new RAdam(p, { lr })],
  ['Adadelta', 20, (p, lr) => new Adadelta(p, { lr })],
];
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const status = $('status');

async function race(signal: AbortSignal): Promise<void> {
  if (!gpu) return;
  const s = SURFACES[$<HTMLSelectElement>('surface').value]!;
  const [lr, momentum, steps] = [numberField('lr'), numberField('momentum'), numberField('steps', { integer: true })];
  const runners: { name: string; lr: number; param: Parameter; opt: Optimizer; path: { x: number; y: number }[] }[] = [];
  for (const [name, scale, build] of [...LR_SCALE, ...($<HTMLInputElement>('more').checked ? MORE : [])]) {
    const param = allocateParameter(gpu, [2], name);
    param.write(s.start);
    runners.push({ name, lr: lr * scale, param, opt: build([param], lr * scale, momentum), path: [{ x: s.start[0], y: s.start[1] }] });
  }
  const label = (r: (typeof runners)[number]) => `${r.name} (lr ${Number(r.lr.toPrecision(4))})`;
  const table = $('final');
  table.querySelectorAll('tr.row').forEach((r) => r.remove()); // a cancelled race leaves no stale row
  const background = contourDatasets(s);
  const [x0, x1, y0, y1] = s.range;
  chart.options.scales = { x: { type: 'linear', min: x0, max: x1 }, y: { type: 'linear', min: y0, max: y1 } };
  for (let step = 0; step < steps; step++) {
    signal.throwIfAborted();
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
      status.textContent = `step ${step + 1}/${steps}`;
      chart.data.datasets = [...background, ...runners.map((r, i) => ({ label: label(r), data: r.path.filter((p) => Math.abs(p.x) < 1e3 && Math.abs(p.y) < 1e3), showLine: true, pointRadius: 1.5, borderWidth: 2, borderColor: COLORS[i], backgroundColor: COLORS[i] }))];
      chart.update();
      await new Promise(requestAnimationFrame);
    }
  }
  for (const r of runners) {
    const { x, y } = r.path.at(-1)!;
    const tr = document.createElement('tr');
    tr.className = 'row';
    for (const v of [r.name, String(Number(r.lr.toPrecision(4))), fmt(x, 4), fmt(y, 4), fmt(s.f(x, y), 4)]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    table.append(tr);
  }
  shown({ surface: s.start, paths: Object.fromEntries(runners.map((r) => [r.name, r.path])), lrs: Object.fromEntries(runners.map((r) => [r.name, r.lr])), lr, momentum, steps });
}

const controls = ['surface', 'lr', 'momentum', 'steps', 'more', 'race'].map((id) => $<HTMLInputElement>(id));
const run = task(race, { controls, cancel: $<HTMLButtonElement>('cancel'), status });
$('race').addEventListener('click', run);
$('surface').addEventListener('change', run);
$('more').addEventListener('change', run);
await run();
