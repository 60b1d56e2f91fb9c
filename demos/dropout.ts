// Dropout on a 5×8 integer matrix for a p slider (the 1/(1 − p) scaling visible), and the gradient of
// sum(x @ w) with and without dropout, all from the WGSL kernels and the autograd tape.
import * as F from '../src/functional';
import * as init from '../src/init';
import { Dropout } from '../src/nn';
import { numberField, setupPage, shown, task } from './common';
import { Tensor } from '../src/tensor';

const gpu = await setupPage();
const p = document.getElementById('p') as HTMLInputElement;
const step = document.getElementById('step') as HTMLInputElement;

function table(id: string, rows: number[][], digits: number): void {
  const el = document.getElementById(id)!;
  el.innerHTML = '';
  for (const row of rows) {
    const tr = document.createElement('tr');
    for (const v of row) {
      const td = document.createElement('td');
      td.textContent = v.toFixed(digits);
      if (v === 0) td.className = 'zero';
      tr.append(td);
    }
    el.append(tr);
  }
}

const rowsOf = (v: ArrayLike<number>, cols: number) => Array.from({ length: v.length / cols }, (_, r) => Array.from({ length: cols }, (_, c) => v[r * cols + c]!));

async function update(): Promise<void> {
  if (!gpu) return;
  document.getElementById('p-value')!.textContent = p.value;
  const prob = Number(p.value);
  const stepValue = numberField('step', { integer: true });
  init.manualSeed(0);
  const draws = Tensor.empty(gpu, [5, 8], 'f32', 'draws');
  init.uniform_(draws, 0, 10);
  const integers = Array.from(await draws.read(), Math.floor);
  draws.destroy();
  const x = Tensor.fromArray(gpu, integers, [5, 8], 'f32', 'x');
  const w = Tensor.empty(gpu, [8, 1], 'f32', 'w');
  init.normal_(w);
  w.requiresGrad = true;
  const dropout = new Dropout(prob, { gpu });
  const xDropped = F.dropout(x, prob, { training: true, seed: dropout.seed, step: stepValue });
  const dropped = Array.from(await xDropped.read());
  const outputs = [F.sum(F.matmul(x, w))];
  outputs[0]!.backward();
  const gradPlain = Array.from(await w.grad!.read());
  gpu.clear(w.grad!);
  outputs.push(F.sum(F.matmul(xDropped, w)));
  outputs[1]!.backward();
  const gradDropout = Array.from(await w.grad!.read());
  table('x', rowsOf(integers, 8), 0);
  table('y', rowsOf(dropped, 8), 2);
  table('grads', [gradPlain, gradDropout], 2);
  document.getElementById('scale')!.textContent = prob < 1 ? `1/(1 − ${prob}) = ${(1 / (1 - prob)).toFixed(2)}` : '0 (p = 1 drops everything)';
  for (const t of [x, w, w.grad!, ...(xDropped === x ? [] : [xDropped])]) t.destroy();
  shown({ x: integers, dropped, gradPlain, gradDropout, p: prob });
}

const run = task(update);
p.addEventListener('input', run);
step.addEventListener('change', run);
await run();
