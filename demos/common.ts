// What every demo page shares: the navigation, the WebGPU check (a page without WebGPU says so and
// how to enable it, instead of failing blank), a `window.demo` handle the Puppeteer tests read, and
// how a page runs work: numeric fields checked before it starts, one run at a time, cancellable.
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

/** The site's navigation bar, at the top of the page. */
export function nav(): void {
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
  const search = new URLSearchParams(location.search);
  // ?variant-policy=fixed turns the autotuner off (the tests do: tuning compiles every variant).
  const { gpu, error: message } = await tryRequestGpu({ debug: search.has('debug'), variantPolicy: search.get('variant-policy') === 'fixed' ? 'fixed' : 'tuned' });
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
  if (window.demo) window.demo.error = message;
}

export function fmt(v: number, digits = 4): string {
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

/** A field whose value cannot be used; the page shows the message beside it instead of running. */
export class FieldError extends Error {
  constructor(
    readonly field: HTMLInputElement,
    message: string,
  ) {
    super(message);
  }
}

/** What a field is called on screen: its label's text. */
function fieldName(field: HTMLInputElement): string {
  const label = field.closest('label');
  return (label ? Array.from(label.childNodes, (n) => (n.nodeType === Node.TEXT_NODE ? n.textContent : '')).join('') : field.id).trim() || field.id;
}

/**
 * The number in field `id`, checked against the field's own min and max attributes (the page's HTML
 * is the one place its limits are written), and whole when `integer`. Throws a FieldError naming the
 * field, its limits and what was typed.
 */
export function numberField(id: string, { integer = false } = {}): number {
  const field = document.getElementById(id) as HTMLInputElement;
  const [min, max] = [field.min === '' ? -Infinity : Number(field.min), field.max === '' ? Infinity : Number(field.max)];
  const kind = integer ? 'a whole number' : 'a number';
  const range = Number.isFinite(max) ? `from ${min} to ${max}` : `of at least ${min}`;
  const name = fieldName(field);
  // A number input holds '' both when empty and when what was typed is not a number (badInput).
  if (field.value.trim() === '') throw new FieldError(field, `${name}: ${field.validity.badInput ? 'not a number' : 'empty'}; enter ${kind} ${range}.`);
  const value = Number(field.value);
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || value < min || value > max) throw new FieldError(field, `${name} must be ${kind} ${range}; got ${field.value}.`);
  return value;
}

function clearFieldErrors(): void {
  document.querySelectorAll('.field-error').forEach((e) => e.remove());
  document.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
}

function showFieldError(error: FieldError): void {
  const note = document.createElement('span');
  note.className = 'field-error';
  note.setAttribute('role', 'alert');
  note.textContent = error.message;
  error.field.setAttribute('aria-invalid', 'true');
  (error.field.closest('label') ?? error.field).after(note);
}

type Control = HTMLButtonElement | HTMLInputElement | HTMLSelectElement;

export interface TaskOptions {
  /** Disabled while the work runs, so a second click is not lost and the inputs match what is shown. */
  controls?: Control[];
  /** Shown while the work runs; clicking it aborts the signal the work receives. */
  cancel?: HTMLButtonElement;
  /** Where the work writes its progress; a cancelled run says so there. */
  status?: HTMLElement;
}

/**
 * Wraps a page's work so that it runs once at a time: a call while it runs starts it again, once,
 * when it ends, with the fields' values then (so fast sliders end on what they show). Bad fields are
 * shown beside the field, other errors in the page's error box (cleared by the next good start).
 */
export function task(work: (signal: AbortSignal) => Promise<void>, { controls = [], cancel, status }: TaskOptions = {}): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  if (cancel) cancel.hidden = true;
  const once = async () => {
    clearFieldErrors();
    document.getElementById('error')?.remove();
    if (window.demo) delete window.demo.error;
    const abort = new AbortController();
    controls.forEach((c) => (c.disabled = true));
    if (cancel) {
      cancel.hidden = false;
      cancel.disabled = false;
      cancel.onclick = () => abort.abort();
    }
    try {
      await work(abort.signal);
    } catch (error) {
      if (error instanceof FieldError) showFieldError(error);
      else if (abort.signal.aborted) {
        if (status) status.textContent = `cancelled${status.textContent ? ` (${status.textContent})` : ''}`;
      } else showError(error);
    } finally {
      controls.forEach((c) => (c.disabled = false));
      if (cancel) cancel.hidden = true;
    }
  };
  const run = async (): Promise<void> => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await once();
      } while (again);
    })();
    try {
      await running;
    } finally {
      running = null;
    }
  };
  return run;
}
