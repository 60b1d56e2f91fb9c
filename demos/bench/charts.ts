// The bench's charts: wall-clock time per size, one line per contender, log scales on both axes.
// Ours is drawn as the row the ratios use: what the engine runs with no variant named (the
// autotuner's pick, variant 'auto'), or the fastest checked variant in a report without that row.
import { Chart, registerables, type ChartDataset } from 'chart.js';
import { oursBesidePeers, type BenchReport, type BenchRow, type Contender } from './harness';

Chart.register(...registerables);

const COLOURS: Record<Contender, string> = {
  wgslgrad: '#d62728',
  'tfjs-webgpu': '#1f77b4',
  'tfjs-wasm': '#aec7e8',
  'jax-webgpu': '#2ca02c',
  'jax-wasm': '#98df8a',
};

interface Group {
  title: string;
  x: string;
  /** The size's x value, or null when the row is not in this chart. */
  pick: (r: BenchRow) => number | null;
}

/** The first number a size label's pattern captures ('M=64 N=64 K=64' → 64), or null. */
const sizeOf = (pattern: RegExp, r: BenchRow) => {
  const m = pattern.exec(r.size);
  return m ? Number(m[1]) : null;
};

const GROUPS: Group[] = [
  { title: 'matmul, n×n×n', x: 'n', pick: (r) => (r.kernel === 'matmul' ? sizeOf(/^M=(\d+) N=\1 K=\1$/, r) : null) },
  { title: 'sigmoid', x: 'elements', pick: (r) => (r.kernel === 'activation' ? sizeOf(/^n=(\d+)$/, r) : null) },
  { title: 'softmax + cross-entropy (loss and gradient), N×10', x: 'rows N', pick: (r) => (r.kernel === 'softmax_cross_entropy' ? sizeOf(/^N=(\d+) C=10$/, r) : null) },
  { title: `training step, ${'20→128→256→512→128→4'}, Adam`, x: 'batch', pick: (r) => (r.kernel === 'training step' ? Number(/^batch (\d+)/.exec(r.size)?.[1]) : null) },
];

/** The points of one chart: per contender, the fastest checked row at each x (ours: the 'auto' row where there is one). */
export function series(report: BenchReport, group: Group): Map<Contender, { x: number; y: number }[]> {
  const best = new Map<Contender, Map<number, number>>();
  const ours = new Set(oursBesidePeers(report.rows));
  for (const r of report.rows) {
    const x = group.pick(r);
    if (x === null || !r.checked || (r.contender === 'wgslgrad' && !ours.has(r))) continue;
    const points = best.get(r.contender) ?? new Map<number, number>();
    best.set(r.contender, points);
    points.set(x, Math.min(points.get(x) ?? Infinity, r.timing.median));
  }
  return new Map([...best].map(([c, points]) => [c, [...points].sort((a, b) => a[0] - b[0]).map(([x, y]) => ({ x, y }))]));
}

const charts: Chart[] = [];

/** Replaces the charts in `container` with one per group that has data. */
export function drawCharts(container: HTMLElement, report: BenchReport): void {
  charts.splice(0).forEach((c) => c.destroy());
  container.innerHTML = '';
  for (const group of GROUPS) {
    const data = series(report, group);
    if (data.size === 0) continue;
    const figure = document.createElement('figure');
    figure.className = 'bench-chart';
    const canvas = document.createElement('canvas');
    figure.append(canvas);
    container.append(figure);
    const xs = [...new Set([...data.values()].flatMap((points) => points.map((p) => p.x)))].sort((a, b) => a - b);
    const datasets: ChartDataset<'line', { x: number; y: number }[]>[] = [...data].map(([contender, points]) => ({
      label: contender === 'wgslgrad' ? 'wgslgrad (as it runs: the tuner\'s pick)' : contender,
      data: points,
      borderColor: COLOURS[contender],
      backgroundColor: COLOURS[contender],
    }));
    charts.push(
      new Chart(canvas, {
        type: 'line',
        data: { datasets },
        options: {
          animation: false,
          plugins: { title: { display: true, text: `${group.title} — median wall clock per run` } },
          scales: {
            // ticks at the sizes measured, not at log-scale's 1-2-3-5 steps
            x: { type: 'logarithmic', title: { display: true, text: group.x }, afterBuildTicks: (axis) => void (axis.ticks = xs.map((value) => ({ value }))), ticks: { maxRotation: 0 } },
            y: { type: 'logarithmic', title: { display: true, text: 'ms (log)' } },
          },
        },
      }),
    );
  }
}
