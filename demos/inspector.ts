// The shader inspector: every family's source (highlighted by Shiki's WGSL grammar), the bindings
// wgsl_reflect reads from it, and a run of any spec case covering the chosen entry point, at sizes
// you type, on the GPU beside its float64 CPU reference, with the dispatch grid used.
import wgslGrammar from '@shikijs/langs/wgsl';
import githubLight from '@shikijs/themes/github-light';
import { createHighlighterCore } from 'shiki/core';
import { createJavaScriptRegexEngine } from 'shiki/engine/javascript';
import type { Gpu } from '../src/device/gpu';
import type { EntryPoint } from '../src/device/shader';
import { matmulTuningJob } from '../src/kernels/matmul';
import { mulberry32 } from '../src/random';
import { families, type Family } from '../src/spec/families';
import { CaseScope, type Dims, type KernelCase } from '../src/spec/scope';
import { FieldError, fmt, setupPage, shown, task } from './common';

const gpu = await setupPage();
const highlighter = await createHighlighterCore({ themes: [githubLight], langs: [wgslGrammar], engine: createJavaScriptRegexEngine() });
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const kernelSelect = $<HTMLSelectElement>('kernel');
const entrySelect = $<HTMLSelectElement>('entry');
const caseSelect = $<HTMLSelectElement>('case');
for (const f of families) kernelSelect.append(new Option(`${f.name}.wgsl`, f.name));
const familyOf = (): Family => families.find((f) => f.name === kernelSelect.value)!;
const entryOf = (): EntryPoint => familyOf().shader.entry(entrySelect.value);
/** The spec's cases that dispatch this entry point, the showcase first. */
const casesOf = (entry: EntryPoint): KernelCase[] => {
  const covering = familyOf().spec.filter((c) => c.entries.includes(entry.name));
  return [...covering.filter((c) => c.showcase), ...covering.filter((c) => !c.showcase)];
};
const caseOf = (): KernelCase | undefined => casesOf(entryOf()).find((c) => c.name === caseSelect.value);

function showKernel(): void {
  const { shader } = familyOf();
  $('source').innerHTML = highlighter.codeToHtml(shader.source, { lang: 'wgsl', theme: 'github-light' });
  entrySelect.innerHTML = '';
  for (const name of shader.entries.keys()) entrySelect.append(new Option(name, name));
  showEntry();
}

function showEntry(): void {
  const entry = entryOf();
  $('entry-name').textContent = `${entry.shader.name}.${entry.name}`;
  $('workgroup').textContent = entry.workgroupSize.join(' × ');
  $('overrides').textContent = [...entry.shader.overrides.entries()].map(([n, t]) => `${n}: ${t}`).join(', ') || 'none';
  const table = $('bindings');
  table.innerHTML = '<tr><th>@binding</th><th>name</th><th>kind</th><th>element</th><th>bytes</th><th>uniform members (offset)</th></tr>';
  for (const b of entry.bindings) {
    const tr = document.createElement('tr');
    for (const v of [String(b.binding), b.name, b.kind, b.kind === 'uniform' ? 'struct' : `${b.elementBytes === 16 ? 'vec4<' : ''}${b.dtype}${b.elementBytes === 16 ? '>' : ''}`, String(b.elementBytes), b.members.map((m) => `${m.name}: ${m.type} (${m.offset})`).join(', ')]) {
      const td = document.createElement('td');
      td.textContent = v;
      tr.append(td);
    }
    table.append(tr);
  }
  caseSelect.innerHTML = '';
  for (const c of casesOf(entry)) caseSelect.append(new Option(c.name, c.name));
  showCase();
}

function showCase(): void {
  const c = caseOf();
  const dims = $('dims');
  dims.innerHTML = '';
  for (const [name, value] of Object.entries(c?.dims ?? {})) {
    const label = document.createElement('label');
    label.textContent = `${name} `;
    const input = Object.assign(document.createElement('input'), { type: 'number', value: String(value), id: `dim-${name}`, step: 'any' });
    label.append(input);
    dims.append(label);
  }
  $<HTMLButtonElement>('run').disabled = !c;
  $('run-note').textContent = c ? '' : `No case in src/kernels/${familyOf().name}.ts's spec dispatches ${entryOf().name}, so there is nothing to run it with.`;
}

// Inputs are drawn and checked on the CPU: a size past these would freeze the page for minutes.
const MAX_SIZE = 2 ** 24; // elements along any one size (64 MiB of float32)
const MAX_WORK = 2 ** 31; // product of the sizes (a matmul's M·N·K is the reference's work)

/** The sizes typed in, checked before anything is allocated; a bad one is shown beside its field. */
function readDims(c: KernelCase): Dims {
  const d: Dims = {};
  for (const [name, initial] of Object.entries(c.dims)) {
    const field = $<HTMLInputElement>(`dim-${name}`);
    const value = Number(field.value);
    const integer = Number.isInteger(initial);
    if (field.value.trim() === '' || !Number.isFinite(value)) throw new FieldError(field, `${name}: enter ${integer ? 'a whole number' : 'a number'}.`);
    if (integer && (!Number.isInteger(value) || value < 0)) throw new FieldError(field, `${name} must be a whole number ≥ 0; got ${field.value}.`);
    if (integer && name !== 'seed' && value > MAX_SIZE) throw new FieldError(field, `${name} = ${value} is past the inspector's ${MAX_SIZE.toLocaleString('en')} per size (inputs are drawn and checked on the CPU); pick a smaller size.`);
    d[name] = value;
  }
  const work = Object.entries(d).filter(([name, v]) => name !== 'seed' && Number.isInteger(c.dims[name])).reduce((p, [, v]) => p * Math.max(1, v), 1);
  if (work > MAX_WORK) {
    const first = Object.keys(c.dims)[0]!;
    throw new FieldError($<HTMLInputElement>(`dim-${first}`), `these sizes multiply to ${work.toExponential(2)}, past the inspector's ${MAX_WORK.toExponential(2)} (the CPU reference would take minutes); pick smaller sizes.`);
  }
  return d;
}

const RESULT_IDS = ['grid', 'gpu-time', 'cpu-time', 'max-error', 'count'];
function clearResult(): void {
  for (const id of RESULT_IDS) $(id).textContent = '–';
  $('sample').textContent = '';
  $('ran').textContent = '';
}

async function runEntry(g: Gpu): Promise<void> {
  const entry = entryOf();
  const c = caseOf();
  clearResult();
  if (!c) return;
  const d = readDims(c);
  const scope = new CaseScope(g);
  scope.values = [];
  try {
    const work = c.setup(scope, d, mulberry32(1));
    await g.sync();
    // Watch the dispatches: the grid the chosen entry point ran with, and every entry point that ran
    // (a launcher picks its variant from the shape, so other sizes may run another entry point).
    const grids: string[] = [];
    const ran = new Set<string>();
    const original = g.dispatch.bind(g);
    g.dispatch = (e, args, grid, constants) => {
      ran.add(`${e.shader.name}.${e.name}`);
      if (e === entry) grids.push(`[${[...grid, 1, 1].slice(0, 3).join(', ')}]`);
      original(e, args, grid, constants);
    };
    let gpuMs: number;
    try {
      if (g.hasTimestamps) {
        gpuMs = await g.timeDispatches(work.run);
      } else {
        const t = performance.now();
        work.run();
        await g.sync();
        gpuMs = performance.now() - t;
      }
    } finally {
      g.dispatch = original;
    }
    const t = performance.now();
    await work.check();
    const cpuMs = performance.now() - t;
    const maxError = Math.max(0, ...scope.comparisons.map((x) => x.maxAbsError));
    const first = scope.values[0] ?? { label: '', actual: [], expected: [] };
    const entryName = `${entry.shader.name}.${entry.name}`;
    $('grid').textContent = grids.join(' then ') || 'not dispatched';
    $('ran').textContent = grids.length
      ? `Ran ${[...ran].join(', ')}.`
      : `At these sizes the case ran ${[...ran].join(', ') || 'nothing'}, not ${entryName}: the launcher picks its variant from the shape (the times and errors below are those of what ran). The case's own sizes run ${entryName}.`;
    $('gpu-time').textContent = `${gpuMs.toFixed(3)} ms${g.hasTimestamps ? '' : ' (wall clock)'}`;
    $('cpu-time').textContent = `${cpuMs.toFixed(3)} ms`;
    $('max-error').textContent = maxError.toExponential(2);
    $('count').textContent = String(scope.comparisons.reduce((n, x) => n + x.count, 0));
    const ok = scope.comparisons.every((x) => x.ok);
    $('sample').textContent = `${ok ? 'every check passed' : 'MISMATCH'} — ${first.label}, first values — GPU: ${first.actual.slice(0, 4).map((v) => fmt(v)).join(', ')}; CPU: ${first.expected.slice(0, 4).map((v) => fmt(v)).join(', ')}`;
    shown({ entry: entryName, ran: [...ran], case: c.name, ok, gpu: first.actual, reference: first.expected, maxError, grids, dims: d });
  } finally {
    scope.finish();
  }
}

// The autotuner on this adapter: every matmul variant timed on the chosen M, N, K (A · B), the one
// it would pick (a default keeps its place unless another is 10% faster), and the picks it has kept.
async function timeVariants(g: Gpu): Promise<void> {
  const [M, N, K] = ['M', 'N', 'K'].map((k) => Number(($<HTMLInputElement>(`dim-${k}`) as HTMLInputElement | null)?.value ?? 64));
  const record = await g.tuner.time(matmulTuningJob(g, M!, N!, K!, false, false));
  const rows = Object.entries(record.ms).map(([v, ms]) => `<tr><td>${v}</td><td>${ms.toFixed(3)} ms${g.hasTimestamps ? '' : ' (wall clock)'}</td><td>${v === record.pick ? 'picked' : ''}</td></tr>`);
  $('tuner').innerHTML = `<tr><th>matmul ${record.shape} variant</th><th>time per run</th><th></th></tr>${rows.join('')}`;
  const kept = [...g.tuner.records].map(([key, r]) => `${key} → ${r.pick}`);
  $('tuner-kept').textContent = kept.length ? `picks kept on this adapter: ${kept.join('; ')}` : 'no picks kept on this adapter yet';
  shown({ tuner: record });
}
$('time-variants').addEventListener(
  'click',
  task(async () => void (gpu && (await timeVariants(gpu))), { controls: [$<HTMLButtonElement>('time-variants')] }),
);

kernelSelect.addEventListener('change', showKernel);
entrySelect.addEventListener('change', showEntry);
caseSelect.addEventListener('change', showCase);
// One run at a time; a failed run leaves no stale result, and a good run clears the last error.
const run = task(
  async () => {
    try {
      if (gpu) await runEntry(gpu);
    } catch (error) {
      clearResult();
      throw error;
    }
  },
  { controls: [$<HTMLButtonElement>('run'), kernelSelect, entrySelect, caseSelect] },
);
$('run').addEventListener('click', run);
kernelSelect.value = 'matmul';
showKernel();
entrySelect.value = 'matmul_blocked';
showEntry();
await run();
