// Chapter 1 — parameter initialisation: every scheme applied to the weight of a Linear(5, 3).
// Ported from the course's PyTorch:  linear = nn.Linear(5, 3); nn.init.kaiming_uniform_(linear.weight) …
import type { Gpu } from '../src/device/gpu';
import * as init from '../src/init';
import { Linear } from '../src/nn';
import type { Tensor } from '../src/tensor';
import { formatMatrix, type Print } from './format';

export const title = 'Chapter 1: every init scheme on a Linear(5, 3)';

export async function run(gpu: Gpu, print: Print): Promise<Record<string, number[]>> {
  init.manualSeed(0);
  const linear = new Linear(5, 3, { gpu });
  const schemes: [string, (w: Tensor) => void][] = [
    ['nn.Linear default (U(±1/√5))', () => {}],
    ['uniform_', (w) => init.uniform_(w)],
    ['normal_', (w) => init.normal_(w)],
    ['zeros_', (w) => init.zeros_(w)],
    ['ones_', (w) => init.ones_(w)],
    ['constant_(5)', (w) => init.constant_(w, 5)],
    ['kaimingUniform_', (w) => init.kaimingUniform_(w)],
    ['kaimingNormal_', (w) => init.kaimingNormal_(w)],
    ['xavierUniform_', (w) => init.xavierUniform_(w)],
    ['xavierNormal_', (w) => init.xavierNormal_(w)],
  ];
  const results: Record<string, number[]> = {};
  for (const [name, apply] of schemes) {
    apply(linear.weight);
    const values = Array.from(await linear.weight.read());
    results[name] = values;
    print(`${name}:\n${formatMatrix(values, linear.weight.shape)}`);
  }
  return results;
}
