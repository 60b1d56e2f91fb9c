// A hyper-parameter sweep in one process: a model and its Adam optimizer built, trained 5 steps and
// dropped, 10 times. Prints the GPU buffers and MiB alive after each run (gpu.stats), with and without
// destroy() when it exists: `npx tsx --import ./src/node/register.ts lab/sweep-memory.mts [--destroy]`.
import { nn, optim, requestGpu, Tensor, init } from '../src';
const gpu = await requestGpu();
const destroy = process.argv.includes('--destroy');
const [B, F, H, C] = [64, 20, 512, 4];
const x = Tensor.fromArray(gpu, Float32Array.from({ length: B * F }, (_, i) => Math.sin(i)), [B, F]);
const y = Tensor.fromArray(gpu, Uint32Array.from({ length: B }, (_, i) => i % C), [B], 'u32');
for (let run = 0; run < 10; run++) {
  init.manualSeed(run);
  const model = new nn.Sequential(new nn.Linear(F, H), new nn.BatchNorm1d(H), new nn.ReLU(), new nn.Dropout(0.2), new nn.Linear(H, H), new nn.ReLU(), new nn.Linear(H, C));
  const lossFn = new nn.CrossEntropyLoss();
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  for (let step = 0; step < 5; step++) {
    opt.zeroGrad();
    lossFn.forward(model.forward(x), y).backward();
    opt.step();
  }
  const { loss } = await lossFn.readMetrics();
  if (destroy) {
    const d = (o: object) => (o as { destroy?: () => void }).destroy?.();
    d(opt);
    d(model);
    d(lossFn);
  }
  console.log(`run ${run}: loss ${loss.toFixed(4)}, ${gpu.stats.liveBuffers} buffers, ${(gpu.stats.liveBytes / 2 ** 20).toFixed(2)} MiB alive`);
}
