// Chapter 3 — dropout: Dropout(p=0.8) on a 5×8 matrix of integers (kept values scaled ×5), and the
// gradient of x @ w with and without dropout (dropped inputs contribute zero gradient).
import type { Gpu } from '../src/device/gpu';
import * as F from '../src/functional';
import * as init from '../src/init';
import { Dropout } from '../src/nn';
import { formatMatrix, type Print } from './format';
import { Tensor } from '../src/tensor';

export const title = 'Chapter 3: dropout and its effect on gradients';

export async function run(gpu: Gpu, print: Print) {
  init.manualSeed(0);
  // torch.randint(0, 10, (5, 8)).float(): uniform draws floored on the CPU for integer values
  const draws = Tensor.empty(gpu, [5, 8], 'f32', 'draws');
  init.uniform_(draws, 0, 10);
  const integers = Array.from(await draws.read(), Math.floor);
  draws.destroy();
  const x = Tensor.fromArray(gpu, integers, [5, 8], 'f32', 'x');
  print(`x:\n${formatMatrix(integers, [5, 8], 0)}`);

  const dropout = new Dropout(0.8, { gpu });
  const xDropped = dropout.forward(x);
  const dropped = Array.from(await xDropped.read());
  print(`Dropout(p=0.8)(x) — kept values ×5:\n${formatMatrix(dropped, [5, 8], 0)}`);

  const w = Tensor.empty(gpu, [8, 1], 'f32', 'w');
  init.normal_(w);
  w.requiresGrad = true;
  F.sum(F.matmul(x, w)).backward();
  const gradPlain = Array.from(await w.grad!.read());
  print(`d sum(x @ w) / d w: ${gradPlain.map((v) => v.toFixed(0)).join(', ')}`);

  gpu.clear(w.grad!);
  F.sum(F.matmul(xDropped, w)).backward();
  const gradDropout = Array.from(await w.grad!.read());
  print(`with dropout:        ${gradDropout.map((v) => v.toFixed(0)).join(', ')}`);
  return { x: integers, dropped, gradPlain, gradDropout };
}
