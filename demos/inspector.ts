// The shader inspector: every family's source (highlighted by Shiki's WGSL grammar), the bindings
// wgsl_reflect reads from it, and a run of any spec case covering the chosen entry point, at sizes
// you type, on the GPU beside its float64 CPU reference, with the dispatch grid used.
import wgslGrammar from '@shikijs/langs/wgsl';
import githubLight from '@shikijs/themes/github-light';
import { createHighlighterCore } from 'shiki/core';
import { createJavaScriptRegexEngine } from 'shiki/engine/javascript';
import type { Gpu } from '../src/device/gpu';
import type { EntryPoint } from '../src/device/shader';
import { mulberry32 } from '../src/random';
import { families, type Family } from '../src/spec/families';
import { CaseScope, type Dims, type KernelCase } from '../src/spec/scope';
import { fmt, setupPage, showError, shown } from './common';

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
}

async function runEntry(g: Gpu): Promise<void> {
  const entry = entryOf();
  const c = caseOf();
  if (!c) return;
  const d: Dims = Object.fromEntries(Object.keys(c.dims).map((k) => [k, Number($<HTMLInputElement>(`dim-${k}`).value)]));
  const scope = new CaseScope(g);
  scope.values = [];
  try {
    const work = c.setup(scope, d, mulberry32(1));
    await g.sync();
    // Watch the dispatches to show the grid this entry point ran with.
    const grids: string[] = [];
    const original = g.dispatch.bind(g);
    g.dispatch = (e, args, grid, constants) => {
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
    $('grid').textContent = grids.join(' then ') || 'not dispatched';
    $('gpu-time').textContent = `${gpuMs.toFixed(3)} ms${g.hasTimestamps ? '' : ' (wall clock)'}`;
    $('cpu-time').textContent = `${cpuMs.toFixed(3)} ms`;
    $('max-error').textContent = maxError.toExponential(2);
    $('count').textContent = String(scope.comparisons.reduce((n, x) => n + x.count, 0));
    const ok = scope.comparisons.every((x) => x.ok);
    $('sample').textContent = `${ok ? 'every check passed' : 'MISMATCH'} — ${first.label}, first values — GPU: ${first.actual.slice(0, 4).map((v) => fmt(v)).join(', ')}; CPU: ${first.expected.slice(0, 4).map((v) => fmt(v)).join(', ')}`;
    shown({ entry: `${entry.shader.name}.${entry.name}`, case: c.name, ok, gpu: first.actual, reference: first.expected, maxError, grids, dims: d });
  } finally {
    scope.finish();
  }
}

kernelSelect.addEventListener('change', showKernel);
entrySelect.addEventListener('change', showEntry);
caseSelect.addEventListener('change', showCase);
$('run').addEventListener('click', () => gpu && runEntry(gpu).catch(showError));
kernelSelect.value = 'matmul';
showKernel();
entrySelect.value = 'matmul_blocked';
showEntry();
if (gpu) await runEntry(gpu).catch(showError);
