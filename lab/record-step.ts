// How long recording a batch-8 training step of the tuned model takes on the CPU: zeroGrad, forward,
// backward and Adam's 26 dispatches, timed up to the submit (not waited), 500 steps after 20 warm.
// Run: npx tsx --import ./src/node/register.ts lab/record-step.ts  (Node on Dawn; the README's
// bind-group cache figures: 0.31–0.37 ms with it, 0.71–0.75 ms before, quiet, SwiftShader)
import { buildModel } from '../src/classifier';
import { requestGpu } from '../src/device/gpu';
import { CrossEntropyLoss } from '../src/nn';
import { Adam } from '../src/optim';
import { Tensor } from '../src/tensor';
import { TUNED } from '../demos/bench/workloads';
const gpu = await requestGpu({ variantPolicy: 'fixed' });
const model = buildModel(gpu, { features: TUNED[0]!, classes: TUNED.at(-1)!, hidden: TUNED.slice(1, -1), activation: 'sigmoid', dropout: 0, batchNorm: false }, 0);
const loss = new CrossEntropyLoss({ gpu });
const x = Tensor.fromArray(gpu, new Float32Array(8 * 20).fill(0.5), [8, 20]);
const y = Tensor.fromArray(gpu, new Uint32Array(8).fill(1), [8], 'u32');
const opt = new Adam(model.parameters(), { lr: 1e-4 });
const step = () => { opt.zeroGrad(); loss.forward(model.forward(x), y).backward(); opt.step(); };
for (let i = 0; i < 20; i++) step();
await gpu.sync();
const times: number[] = [];
for (let round = 0; round < 25; round++) {
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
    gpu.flush();
  }
  await gpu.sync();
}
times.sort((a, b) => a - b);
console.log(`record per step: median ${times[times.length >> 1]!.toFixed(3)} ms, p10 ${times[Math.floor(times.length * 0.1)]!.toFixed(3)}, ${gpu.stats.dispatches} dispatches total`);
