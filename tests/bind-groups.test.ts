// Bind groups are cached by kernel and buffers bound (src/device/gpu.ts), with the uniforms at a
// dynamic offset in the arena: a cache hit must still read its own dispatch's uniforms, and a
// training step that binds the same buffers each step must create none after its first.
import { expect, test } from 'vitest';
import { buildModel } from '../src/classifier';
import { requestGpu } from '../src/device/gpu';
import { sgdStep } from '../src/kernels/sgd';
import { CrossEntropyLoss, LOSS_OUTPUTS_KEPT } from '../src/nn';
import { Adam } from '../src/optim';
import { Tensor } from '../src/tensor';
import { TUNED } from '../demos/bench/workloads';

const hyper = { momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, maximize: false, firstStep: true };

test('one cached bind group, three dispatches in one submit, each with its own uniforms', async () => {
  const gpu = await requestGpu({ variantPolicy: 'fixed' });
  const [w, g] = [Tensor.fromArray(gpu, new Float32Array(1000).fill(1), [1000]), Tensor.fromArray(gpu, new Float32Array(1000).fill(1), [1000])];
  const before = gpu.stats.bindGroupsCreated;
  for (const lr of [0.5, 0.25, 0.125]) sgdStep(w, g, undefined, { ...hyper, lr });
  expect(gpu.stats.bindGroupsCreated - before).toBe(1);
  // All three read lr 0.5 if the offsets were lost: 1 − 1.5 = −0.5.
  expect([...(await w.read())].every((v) => v === 0.125)).toBe(true);
  // Another buffer of the same size is another bind group, and its update is its own.
  const w2 = Tensor.fromArray(gpu, new Float32Array(1000).fill(2), [1000]);
  sgdStep(w2, g, undefined, { ...hyper, lr: 1 });
  expect(gpu.stats.bindGroupsCreated - before).toBe(2);
  expect([...(await w2.read())].every((v) => v === 1)).toBe(true);
  expect([...(await w.read())].every((v) => v === 0.125)).toBe(true);
  // A freed buffer's successor never hits the freed one's bind group.
  w2.destroy();
  const w3 = Tensor.fromArray(gpu, new Float32Array(1000).fill(3), [1000]);
  sgdStep(w3, g, undefined, { ...hyper, lr: 1 });
  expect(gpu.stats.bindGroupsCreated - before).toBe(3);
  expect([...(await w3.read())].every((v) => v === 2)).toBe(true);
  gpu.destroy();
});

test('a training step creates no bind groups after its first, but for the loss output\'s ring (nn.LOSS_OUTPUTS_KEPT)', async () => {
  const gpu = await requestGpu({ variantPolicy: 'fixed' });
  const model = buildModel(gpu, { features: TUNED[0]!, classes: TUNED.at(-1)!, hidden: TUNED.slice(1, -1), activation: 'sigmoid', dropout: 0, batchNorm: false }, 0);
  const loss = new CrossEntropyLoss({ gpu });
  const x = Tensor.fromArray(gpu, Float32Array.from({ length: 8 * 20 }, (_, i) => Math.sin(i)), [8, 20]);
  const y = Tensor.fromArray(gpu, Uint32Array.from({ length: 8 }, (_, i) => i % 4), [8], 'u32');
  const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
  const losses: number[] = [];
  for (let step = 0; step < LOSS_OUTPUTS_KEPT + 2; step++) {
    const before = gpu.stats.bindGroupsCreated;
    optimizer.zeroGrad();
    const l = loss.forward(model.forward(x), y);
    l.backward();
    optimizer.step();
    losses.push((await l.read())[0]!);
    // Steps 2 to LOSS_OUTPUTS_KEPT bind the next [1] buffer of the loss's ring once each (its kernel's group), then none.
    expect(gpu.stats.bindGroupsCreated - before, `step ${step + 1}`).toBe(step === 0 ? 26 : step < LOSS_OUTPUTS_KEPT ? 1 : 0);
  }
  // The cached groups still train: the loss falls on a batch it keeps seeing.
  expect(losses[3]!).toBeLessThan(losses[0]!);
  gpu.destroy();
});
