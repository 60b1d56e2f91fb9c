// `npm start -- --runtime node`: the case study in this Node process, on Dawn (the `webgpu`
// package), with the same src/runner.ts the Chrome page runs. No browser, so the plot is an SVG
// drawn here rather than Chart.js's PNG.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EpochReport } from '../src/run-config';
import { tuningFileStore } from './output';
import type { Session } from './start';

const MNIST_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'data', 'mnist-10k.u8.gz');

export async function openNodeSession(debug: boolean, variantPolicy: 'tuned' | 'fixed' = 'tuned', boundsChecks = true) {
  await import('../src/node/register'); // ?raw WGSL imports, before the engine loads
  const [{ requestGpu }, runner, { decodeMnist }] = await Promise.all([import('../src/device/gpu'), import('../src/runner'), import('../src/mnist')]);
  const gpu = await requestGpu({ debug, variantPolicy, tuningStore: tuningFileStore, boundsChecks });
  // A notice (the tuner's, mid-training) takes the progress bar's line, which is redrawn below it.
  if (process.stdout.isTTY) gpu.tuner.print = (line) => console.info(`\r\x1b[2K${line}`);
  const { adapter } = gpu;
  console.log(`WebGPU adapter: ${adapter.vendor} ${adapter.architecture}${adapter.isFallbackAdapter ? ' (fallback/software)' : ''}, in Node on Dawn${boundsChecks ? '' : ', bounds checks off'}`);
  const session: Session & { close(): void; mnist: ReturnType<typeof runner.mnistRequests> } = {
    train: (request, listeners) => runner.settle(() => runner.trainRequest(gpu, request, listeners)),
    evaluate: (request) => runner.settle(() => runner.evaluateRequest(gpu, request)),
    plot: async (reports, title) => Buffer.from(svgPlot(reports, title)),
    mnist: runner.mnistRequests(gpu, () => decodeMnist(fs.readFileSync(MNIST_FILE), MNIST_FILE)),
    close: () => gpu.destroy(),
  };
  return session;
}

/** Training loss (left axis) and accuracy (right axis, 0–1) against the epoch, as an SVG. */
export function svgPlot(reports: EpochReport[], title: string): string {
  const [width, height, left, right, top, bottom] = [800, 400, 60, 60, 40, 40];
  const maxLoss = Math.max(...reports.map((r) => r.loss), 1e-9);
  const lastEpoch = Math.max(reports.length, 2);
  const x = (epoch: number) => left + ((epoch - 1) / (lastEpoch - 1)) * (width - left - right);
  const y = (fraction: number) => height - bottom - fraction * (height - top - bottom);
  const line = (values: number[], colour: string) => `<polyline fill="none" stroke="${colour}" stroke-width="2" points="${values.map((v, i) => `${x(i + 1).toFixed(1)},${y(v).toFixed(1)}`).join(' ')}"/>`;
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-weight="bold">${escape(title)}</text>`,
    ...ticks.map((t) => `<line x1="${left}" x2="${width - right}" y1="${y(t)}" y2="${y(t)}" stroke="#e5e7eb"/><text x="${left - 6}" y="${y(t) + 4}" text-anchor="end" fill="#dc2626">${(t * maxLoss).toPrecision(3)}</text><text x="${width - right + 6}" y="${y(t) + 4}" fill="#2563eb">${t}</text>`),
    `<text x="${width / 2}" y="${height - 8}" text-anchor="middle">epoch (1–${reports.length})</text>`,
    `<text x="14" y="${height / 2}" transform="rotate(-90 14 ${height / 2})" text-anchor="middle" fill="#dc2626">cross-entropy loss</text>`,
    `<text x="${width - 14}" y="${height / 2}" transform="rotate(90 ${width - 14} ${height / 2})" text-anchor="middle" fill="#2563eb">training accuracy</text>`,
    line(reports.map((r) => r.loss / maxLoss), '#dc2626'),
    line(reports.map((r) => r.accuracy), '#2563eb'),
    '</svg>',
    '',
  ].join('\n');
}
