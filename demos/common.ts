// What every demo page shares: the navigation, the WebGPU check (a page without WebGPU says so and
// how to enable it, instead of failing blank), and a `window.demo` handle the Puppeteer tests read.
import { Chart, registerables } from 'chart.js';
import { HOW_TO_GET_WEBGPU, tryRequestGpu, type Gpu } from '../src/device/gpu';
import './style.css';

Chart.register(...registerables);
Chart.defaults.animation = false;

export const PAGES: [string, string][] = [
  ['index.html', 'wgslgrad'],
  ['demos/init.html', 'Init explorer'],
  ['demos/ewa.html', 'Weighted averages'],
  ['demos/optimizers.html', 'Optimizer race'],
  ['demos/dropout.html', 'Dropout'],
  ['demos/batchnorm.html', 'Batch norm'],
  ['demos/train.html', 'Phone-price training'],
  ['demos/mnist.html', 'MNIST CNN'],
  ['demos/inspector.html', 'Shader inspector'],
  ['demos/bench.html', 'Bench'],
];

export interface DemoHandle {
  /** Increments each time the page finishes showing a new result. */
  version: number;
  /** The raw kernel outputs behind what is on screen, for the tests to check. */
  values: Record<string, unknown>;
  error?: string;
}

declare global {
  interface Window {
    demo?: DemoHandle;
  }
}

function nav(): void {
  const header = document.createElement('header');
  const base = import.meta.env.BASE_URL;
  for (const [href, name] of PAGES) {
    const a = document.createElement('a');
    a.href = base + href;
    a.textContent = name;
    if (href === 'index.html') a.className = 'home';
    if (location.pathname.endsWith(href)) a.classList.add('current');
    header.append(a);
  }
  document.body.prepend(header);
}

/** Adds the navigation and acquires the GPU; without WebGPU, shows why and how to enable it. */
export async function setupPage(): Promise<Gpu | null> {
  nav();
  window.demo = { version: 0, values: {} };
  const { gpu, error: message } = await tryRequestGpu({ debug: new URLSearchParams(location.search).has('debug') });
  if (gpu) return gpu;
  const box = document.createElement('div');
  box.className = 'warning';
  box.id = 'no-webgpu';
  box.innerHTML = `<strong>This page needs WebGPU.</strong> <span></span>`;
  box.querySelector('span')!.textContent = `${message.includes(HOW_TO_GET_WEBGPU) ? message : `${message} ${HOW_TO_GET_WEBGPU}`} In Chrome, check chrome://gpu; on Linux, chrome://flags/#enable-unsafe-webgpu may be needed.`;
  document.querySelector('main')!.prepend(box);
  window.demo.error = message;
  return null;
}

/** Marks a result as shown: the tests wait on window.demo.version. */
export function shown(values: Record<string, unknown>): void {
  window.demo!.values = values;
  window.demo!.version++;
}

/** Reports an error on the page (and to the tests) instead of failing silently. */
export function showError(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  let box = document.getElementById('error');
  if (!box) {
    box = document.createElement('div');
    box.id = 'error';
    box.className = 'warning';
    document.querySelector('main')!.prepend(box);
  }
  box.textContent = message;
  window.demo!.error = message;
}

export function fmt(v: number, digits = 4): string {
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}
