// Times a recurrent layer's training step (forward + backward + SGD) in Node on Dawn: medians of
// repeated steps, with the dispatches and buffers each makes. npx tsx --import ./src/node/register.ts lab/rnn-step.mts [LSTM|GRU|RNN] [L] [N] [I] [H]
import { F, nn, optim, requestGpu, Tensor } from '../src';

const [kind = 'LSTM', L = '40', N = '8', I = '32', H = '64'] = process.argv.slice(2);
const [l, n, i, h] = [L, N, I, H].map(Number) as [number, number, number, number];
const gpu = await requestGpu();
const Module = { LSTM: nn.LSTM, GRU: nn.GRU, RNN: nn.RNN }[kind as 'LSTM']!;
const model = new Module(i, h, { gpu });
const opt = new optim.SGD(model.parameters(), { lr: 0.01 });
const x = Tensor.fromArray(gpu, new Float32Array(l * n * i).map(() => Math.random() - 0.5), [l, n, i]);
const times: number[] = [];
let dispatches = 0;
for (let step = 0; step < 12; step++) {
  const start = performance.now();
  const before = gpu.stats.dispatches;
  opt.zeroGrad();
  const out = model.forward(x)[0];
  const loss = F.mean(out);
  loss.backward();
  opt.step();
  await loss.read();
  loss.destroy();
  times.push(performance.now() - start);
  dispatches = gpu.stats.dispatches - before;
}
const sorted = times.slice(2).sort((a, b) => a - b);
console.log(`${kind} L=${l} N=${n} I=${i} H=${h}: median ${sorted[sorted.length >> 1]!.toFixed(1)} ms a step (min ${sorted[0]!.toFixed(1)}), ${dispatches} dispatches, ${gpu.stats.liveBuffers} live buffers`);
