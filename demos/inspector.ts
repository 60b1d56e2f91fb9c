// The shader inspector: source (highlighted by Shiki's WGSL grammar), reflected bindings, and a run
// of the chosen entry point on the GPU beside its float64 CPU reference, with the dispatch grid used.
import wgslGrammar from '@shikijs/langs/wgsl';
import githubLight from '@shikijs/themes/github-light';
import { createHighlighterCore } from 'shiki/core';
import { createJavaScriptRegexEngine } from 'shiki/engine/javascript';
import type { Gpu } from '../src/gpu';
import type { EntryPoint } from '../src/kernel';
import { kernels } from '../src/kernels';
import * as ops from '../src/ops';
import { batchNorm as batchNormRef, batchNormBackward as batchNormBackwardRef } from '../src/reference/batchnorm';
import { dropout as dropoutRef } from '../src/reference/dropout';
import * as linalg from '../src/reference/linalg';
import { softmaxCrossEntropy as crossEntropyRef } from '../src/reference/losses';
import * as optimRef from '../src/reference/optim';
import { threefry2x32 } from '../src/reference/random';
import { mulberry32 } from '../src/random';
import type { Tensor } from '../src/tensor';
import { fmt, setupPage, showError, shown } from './common';

const gpu = await setupPage();
const highlighter = await createHighlighterCore({ themes: [githubLight], langs: [wgslGrammar], engine: createJavaScriptRegexEngine() });
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

type Dims = Record<string, number>;
interface Runner {
  dims: Dims;
  /** Records the GPU work (returns the output tensor) and computes the CPU reference. */
  run(gpu: Gpu, d: Dims, random: () => number, keep: Tensor[]): { record: () => Tensor; reference: () => ArrayLike<number> };
}

const rand = (random: () => number, n: number, lo = -1, hi = 1) => Float32Array.from({ length: n }, () => lo + (hi - lo) * random());
const tensor = (g: Gpu, keep: Tensor[], data: ArrayLike<number>, shape: number[], dtype: 'f32' | 'u32' = 'f32') => {
  const t = g.fromArray(data, shape, dtype);
  keep.push(t);
  return t;
};
const empty = (g: Gpu, keep: Tensor[], shape: number[]) => {
  const t = g.empty(shape);
  keep.push(t);
  return t;
};

function matmulRunner(variant: ops.MatmulVariant): Runner {
  return {
    dims: { M: 64, N: 48, K: 32 },
    run(g, { M = 1, N = 1, K = 1 }, random, keep) {
      const [a, b] = [rand(random, M * K), rand(random, K * N)];
      const [ta, tb, c] = [tensor(g, keep, a, [M, K]), tensor(g, keep, b, [K, N]), empty(g, keep, [M, N])];
      return { record: () => (ops.matmul(ta, tb, c, { variant }), c), reference: () => linalg.matmul(a, b, { M, N, K }) };
    },
  };
}

function elementwiseRunner(forward: 'sigmoid' | 'relu', backward: boolean): Runner {
  return {
    dims: { n: 10000 },
    run(g, { n = 1 }, random, keep) {
      const [x, dy] = [rand(random, n, -5, 5), rand(random, n)];
      const [tx, ty, tdy, tdx] = [tensor(g, keep, x, [n]), empty(g, keep, [n]), tensor(g, keep, dy, [n]), empty(g, keep, [n])];
      const f = forward === 'sigmoid' ? linalg.sigmoid : linalg.relu;
      if (!backward) return { record: () => ((forward === 'sigmoid' ? ops.sigmoid : ops.relu)(tx, ty), ty), reference: () => Array.from(x, f) };
      (forward === 'sigmoid' ? ops.sigmoid : ops.relu)(tx, ty);
      return { record: () => ((forward === 'sigmoid' ? ops.sigmoidBackward : ops.reluBackward)(ty, tdy, tdx), tdx), reference: () => (forward === 'sigmoid' ? linalg.sigmoidBackward : linalg.reluBackward)(x, dy) };
    },
  };
}

function crossEntropyRunner(part: 'rows' | 'mean', variant: ops.ReductionVariant = 'serial'): Runner {
  return {
    dims: { N: 256, C: 10 },
    run(g, { N = 1, C = 1 }, random, keep) {
      const logits = rand(random, N * C, -4, 4);
      const labels = Uint32Array.from({ length: N }, () => Math.floor(random() * C));
      const out = { rowLoss: empty(g, keep, [N]), dlogits: empty(g, keep, [N, C]), loss: empty(g, keep, [1]), metrics: empty(g, keep, [5]) };
      const [tl, ty] = [tensor(g, keep, logits, [N, C]), tensor(g, keep, labels, [N], 'u32')];
      return { record: () => (ops.softmaxCrossEntropy(tl, ty, out, { variant }), part === 'rows' ? out.dlogits : out.loss), reference: () => (part === 'rows' ? crossEntropyRef(logits, labels, N, C).grad : [crossEntropyRef(logits, labels, N, C).loss]) };
    },
  };
}

function batchNormRunner(which: 'forward' | 'backward', variant: ops.ReductionVariant = 'serial'): Runner {
  return {
    dims: { N: 32, C: 16, S: 4 },
    run(g, { N = 2, C = 1, S = 1 }, random, keep) {
      const [x, dy, gamma, beta] = [rand(random, N * C * S, -2, 2), rand(random, N * C * S), rand(random, C, 0.5, 1.5), rand(random, C)];
      const spec = { N, C, S, eps: 1e-5, momentum: 0.1, training: true, gamma, beta, runningMean: new Float32Array(C), runningVar: new Float32Array(C).fill(1) };
      const args = { gamma: tensor(g, keep, gamma, [C]), beta: tensor(g, keep, beta, [C]), runningMean: tensor(g, keep, spec.runningMean, [C]), runningVar: tensor(g, keep, spec.runningVar, [C]), mean: empty(g, keep, [C]), invstd: empty(g, keep, [C]), eps: 1e-5, momentum: 0.1, training: true, trackRunningStats: false, variant };
      const tx = tensor(g, keep, x, [N, C, S]);
      const y = empty(g, keep, [N, C, S]);
      const grads = { dx: empty(g, keep, [N, C, S]), dgamma: empty(g, keep, [C]), dbeta: empty(g, keep, [C]), sums: empty(g, keep, [2 * C]) };
      if (which === 'forward') return { record: () => (ops.batchNorm(tx, y, args), y), reference: () => batchNormRef(x, spec).y };
      ops.batchNorm(tx, y, args);
      return { record: () => (ops.batchNormBackward(tx, tensor(g, keep, dy, [N, C, S]), args, grads), grads.dx), reference: () => batchNormBackwardRef(x, dy, spec).dx };
    },
  };
}

function sumRowsRunner(variant: ops.ReductionVariant): Runner {
  return {
    dims: { M: 256, N: 100 },
    run(g, { M = 1, N = 1 }, random, keep) {
      const x = rand(random, M * N);
      const [tx, out] = [tensor(g, keep, x, [M, N]), empty(g, keep, [N])];
      return { record: () => (ops.sumRows(tx, out, false, variant), out), reference: () => linalg.sumRows(x, M, N) };
    },
  };
}

function fillRunner(kind: 'uniform' | 'normal' | 'constant'): Runner {
  return {
    dims: { n: 100000, seed: 7 },
    run(g, { n = 1, seed = 0 }, _random, keep) {
      const t = empty(g, keep, [n]);
      const key = { seed, stream: 3 };
      const draw = (i: number) => threefry2x32([i, 0], [seed, 3]).map((w) => (w >>> 8) / 2 ** 24) as [number, number];
      const record = () => (kind === 'uniform' ? ops.fillUniform(t, -2, 3, key) : kind === 'normal' ? ops.fillNormal(t, 1, 0.5, key) : ops.fillConstant(t, 0.25), t);
      const reference = () =>
        Float64Array.from({ length: n }, (_, i) => {
          const [u, v] = draw(i);
          return kind === 'uniform' ? -2 + 5 * u : kind === 'normal' ? 1 + 0.5 * Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v) : 0.25;
        });
      return { record, reference };
    },
  };
}

function optimizerRunner(name: 'sgd' | 'adagrad' | 'rmsprop' | 'adam'): Runner {
  return {
    dims: { n: 4096 },
    run(g, { n = 1 }, random, keep) {
      const [theta, grad] = [rand(random, n), rand(random, n)];
      const p = Float64Array.from(theta);
      const [tp, tg] = [tensor(g, keep, theta, [n]), tensor(g, keep, grad, [n])];
      // optimizer state, created before the timed pass (an upload inside it would end the pass)
      const [s1, s2, s3] = [0, 1, 2].map(() => tensor(g, keep, new Float32Array(n), [n])) as [Tensor, Tensor, Tensor];
      if (name === 'sgd') return { record: () => (ops.sgdStep(tp, tg, s1, { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false, firstStep: true }), tp), reference: () => (optimRef.sgdStep(p, grad, { buf: null }, { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false }), p) };
      if (name === 'adagrad') return { record: () => (ops.adagradStep(tp, tg, s1, { clr: 0.1, weightDecay: 0, eps: 1e-10 }), tp), reference: () => (optimRef.adagradStep(p, grad, { sum: new Float64Array(n), step: 0 }, { lr: 0.1, lrDecay: 0, weightDecay: 0, eps: 1e-10 }), p) };
      if (name === 'rmsprop') return { record: () => (ops.rmspropStep(tp, tg, { squareAvg: s1 }, { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false }), tp), reference: () => (optimRef.rmspropStep(p, grad, { squareAvg: new Float64Array(n), gradAvg: new Float64Array(n), buf: new Float64Array(n) }, { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false }), p) };
      const s = optimRef.adamInit(theta);
      return { record: () => (ops.adamStep({ param: tp, grad: tg, expAvg: s2, expAvgSq: s3 }, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false, step: 1 }), tp), reference: () => (optimRef.adamStep(s, grad, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false }), s.param) };
    },
  };
}

const RUNNERS: Record<string, Runner> = {
  'matmul.matmul_naive': matmulRunner('naive'),
  'matmul.matmul_blocked': matmulRunner('blocked'),
  'matmul.matmul_vec4': matmulRunner('vec4'),
  'matmul.matmul_tiled': matmulRunner('tiled'),
  'activation.sigmoid_forward': elementwiseRunner('sigmoid', false),
  'activation.relu_forward': elementwiseRunner('relu', false),
  'activation.sigmoid_backward': elementwiseRunner('sigmoid', true),
  'activation.relu_backward': elementwiseRunner('relu', true),
  'softmax_cross_entropy.cross_entropy_rows': crossEntropyRunner('rows'),
  'softmax_cross_entropy.cross_entropy_mean': crossEntropyRunner('mean'),
  'softmax_cross_entropy.cross_entropy_mean_tree': crossEntropyRunner('mean', 'tree'),
  'dropout.dropout': {
    dims: { n: 10000, p: 0.3 },
    run(g, { n = 1, p = 0.5 }, random, keep) {
      const x = rand(random, n);
      const [tx, ty] = [tensor(g, keep, x, [n]), empty(g, keep, [n])];
      return { record: () => (ops.dropout(tx, ty, { p, seed: 11, step: 0 }), ty), reference: () => dropoutRef(x, p, 11, 0) };
    },
  },
  'batchnorm.batchnorm_stats': batchNormRunner('forward'),
  'batchnorm.batchnorm_stats_tree': batchNormRunner('forward', 'tree'),
  'batchnorm.batchnorm_backward_reduce_tree': batchNormRunner('backward', 'tree'),
  'batchnorm.batchnorm_normalize': batchNormRunner('forward'),
  'batchnorm.batchnorm_backward_reduce': batchNormRunner('backward'),
  'batchnorm.batchnorm_backward_dx': batchNormRunner('backward'),
  'reduce.sum_rows': sumRowsRunner('serial'),
  'reduce.sum_rows_tree': sumRowsRunner('tree'),
  'init.fill_uniform': fillRunner('uniform'),
  'init.fill_normal': fillRunner('normal'),
  'init.fill_constant': fillRunner('constant'),
  'ewa.ewa': {
    dims: { S: 16, T: 30, beta: 0.9 },
    run(g, { S = 1, T = 1, beta = 0.9 }, random, keep) {
      const x = rand(random, S * T, 10, 25);
      const [tx, ty] = [tensor(g, keep, x, [S, T]), empty(g, keep, [S, T])];
      return { record: () => (ops.ewa(tx, ty, beta, true), ty), reference: () => Array.from({ length: S }, (_, s) => Array.from(optimRef.ewa(x.subarray(s * T, (s + 1) * T), beta, true))).flat() };
    },
  },
  'sgd.sgd_step': optimizerRunner('sgd'),
  'adagrad.adagrad_step': optimizerRunner('adagrad'),
  'rmsprop.rmsprop_step': optimizerRunner('rmsprop'),
  'adam.adam_step': optimizerRunner('adam'),
  'adam.adam_step_vec4': optimizerRunner('adam'),
};

const kernelSelect = $<HTMLSelectElement>('kernel');
const entrySelect = $<HTMLSelectElement>('entry');
for (const k of Object.values(kernels)) kernelSelect.append(new Option(`${k.name}.wgsl`, k.name));
const kernelOf = () => Object.values(kernels).find((k) => k.name === kernelSelect.value)!;

function showKernel(): void {
  const kernel = kernelOf();
  $('source').innerHTML = highlighter.codeToHtml(kernel.source, { lang: 'wgsl', theme: 'github-light' });
  entrySelect.innerHTML = '';
  for (const name of kernel.entries.keys()) entrySelect.append(new Option(name, name));
  showEntry();
}

function showEntry(): void {
  const entry: EntryPoint = kernelOf().entry(entrySelect.value);
  $('entry-name').textContent = `${entry.kernel.name}.${entry.name}`;
  $('workgroup').textContent = entry.workgroupSize.join(' × ');
  $('overrides').textContent = [...entry.kernel.overrides.entries()].map(([n, t]) => `${n}: ${t}`).join(', ') || 'none';
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
  const runner = RUNNERS[`${entry.kernel.name}.${entry.name}`];
  const dims = $('dims');
  dims.innerHTML = '';
  for (const [name, value] of Object.entries(runner?.dims ?? {})) {
    const label = document.createElement('label');
    label.textContent = `${name} `;
    const input = Object.assign(document.createElement('input'), { type: 'number', value: String(value), id: `dim-${name}`, step: 'any' });
    label.append(input);
    dims.append(label);
  }
  $<HTMLButtonElement>('run').disabled = !runner;
}

async function runEntry(g: Gpu): Promise<void> {
  const entry = kernelOf().entry(entrySelect.value);
  const runner = RUNNERS[`${entry.kernel.name}.${entry.name}`];
  if (!runner) return;
  const d: Dims = Object.fromEntries(Object.keys(runner.dims).map((k) => [k, Number($<HTMLInputElement>(`dim-${k}`).value)]));
  const keep: Tensor[] = [];
  try {
    const { record, reference } = runner.run(g, d, mulberry32(1), keep);
    await g.sync();
    // Watch the dispatches to show the grid this entry point ran with.
    const grids: string[] = [];
    const original = g.dispatch.bind(g);
    g.dispatch = (e, args, grid, constants) => {
      if (e === entry) grids.push(`[${[...grid, 1, 1].slice(0, 3).join(', ')}]`);
      original(e, args, grid, constants);
    };
    let out: Tensor;
    let gpuMs: number;
    try {
      if (g.hasTimestamps) {
        let result: Tensor | null = null;
        gpuMs = await g.timeDispatches(() => (result = record()));
        out = result!;
      } else {
        const t = performance.now();
        out = record();
        await g.sync();
        gpuMs = performance.now() - t;
      }
    } finally {
      g.dispatch = original;
    }
    const gpuValues = Array.from(await out.read());
    const t = performance.now();
    const ref = Array.from(reference());
    const cpuMs = performance.now() - t;
    const maxError = ref.reduce((m, v, i) => Math.max(m, Math.abs(v - gpuValues[i]!)), 0);
    $('grid').textContent = grids.join(' then ') || 'not dispatched';
    $('gpu-time').textContent = `${gpuMs.toFixed(3)} ms${g.hasTimestamps ? '' : ' (wall clock)'}`;
    $('cpu-time').textContent = `${cpuMs.toFixed(3)} ms`;
    $('max-error').textContent = maxError.toExponential(2);
    $('count').textContent = String(ref.length);
    $('sample').textContent = `first values — GPU: ${gpuValues.slice(0, 4).map((v) => fmt(v)).join(', ')}; CPU: ${ref.slice(0, 4).map((v) => fmt(v)).join(', ')}`;
    shown({ entry: `${entry.kernel.name}.${entry.name}`, gpu: gpuValues, reference: ref, maxError, grids, dims: d });
  } finally {
    for (const t of keep) t.destroy();
  }
}

// The autotuner on this adapter: every matmul variant timed on the chosen M, N, K (A · B), the one
// it would pick (a default keeps its place unless another is 10% faster), and the picks it has kept.
async function timeVariants(g: Gpu): Promise<void> {
  const [M, N, K] = ['M', 'N', 'K'].map((k) => Number(($<HTMLInputElement>(`dim-${k}`) as HTMLInputElement | null)?.value ?? 64));
  const record = await g.tuner.time(ops.matmulTuningJob(g, M!, N!, K!, false, false));
  const rows = Object.entries(record.ms).map(([v, ms]) => `<tr><td>${v}</td><td>${ms.toFixed(3)} ms${g.hasTimestamps ? '' : ' (wall clock)'}</td><td>${v === record.pick ? 'picked' : ''}</td></tr>`);
  $('tuner').innerHTML = `<tr><th>matmul ${record.shape} variant</th><th>time per run</th><th></th></tr>${rows.join('')}`;
  const kept = [...g.tuner.records].map(([key, r]) => `${key} → ${r.pick}`);
  $('tuner-kept').textContent = kept.length ? `picks kept on this adapter: ${kept.join('; ')}` : 'no picks kept on this adapter yet';
  shown({ tuner: record });
}
$('time-variants').addEventListener('click', () => gpu && timeVariants(gpu).catch(showError));

kernelSelect.addEventListener('change', showKernel);
entrySelect.addEventListener('change', showEntry);
$('run').addEventListener('click', () => gpu && runEntry(gpu).catch(showError));
kernelSelect.value = 'matmul';
showKernel();
entrySelect.value = 'matmul_blocked';
showEntry();
if (gpu) await runEntry(gpu).catch(showError);
