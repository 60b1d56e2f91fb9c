// A model trained a few Adam steps on one batch (tests/graph-cases.ts's 1-D CNN, tests/conv3d-cases.ts's
// 3-D one), with what a steady-state training loop is checked by: the live GPU buffers after each
// step (no step after the first should make any) and each step's loss (it should go down).
import type { Gpu } from '../../src/device/gpu';
import * as nn from '../../src/nn';
import * as optim from '../../src/optim';
import type { Tensor } from '../../src/tensor';

export async function trainingSteps(gpu: Gpu, model: nn.AnyModule, x: Tensor, labels: Tensor, steps: number): Promise<{ live: number[]; losses: number[] }> {
  const lossFn = new nn.CrossEntropyLoss({ gpu });
  const opt = new optim.Adam(model.parameters(), { lr: 0.01 });
  const live: number[] = [];
  const losses: number[] = [];
  for (let step = 0; step < steps; step++) {
    opt.zeroGrad();
    const loss = lossFn.forward(model.forward(x) as Tensor, labels);
    loss.backward();
    opt.step();
    losses.push((await loss.read())[0]!);
    live.push(gpu.stats.liveBuffers);
  }
  return { live, losses };
}
