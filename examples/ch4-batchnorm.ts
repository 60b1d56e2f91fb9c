// Chapter 4 — batch normalisation: BatchNorm2d(3) on an NCHW input [2, 3, 4, 4], train then eval.
import type { Gpu } from '../src/device/gpu';
import * as init from '../src/init';
import { BatchNorm2d } from '../src/nn';
import type { Print } from './format';
import { Tensor } from '../src/tensor';

export const title = 'Chapter 4: BatchNorm2d on an NCHW input';

function channelStats(values: ArrayLike<number>, shape: readonly number[]): { mean: number; variance: number }[] {
  const [N, C, H, W] = shape as [number, number, number, number];
  return Array.from({ length: C }, (_, c) => {
    const xs: number[] = [];
    for (let n = 0; n < N; n++) for (let i = 0; i < H * W; i++) xs.push(values[(n * C + c) * H * W + i]!);
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length;
    return { mean, variance };
  });
}

export async function run(gpu: Gpu, print: Print) {
  init.manualSeed(0);
  const shape = [2, 3, 4, 4];
  const x = Tensor.empty(gpu, shape, 'f32', 'x');
  init.normal_(x, 5, 3);
  const input = Array.from(await x.read());
  const bn = new BatchNorm2d(3, { gpu });
  const before = channelStats(input, shape);
  const train = Array.from(await bn.forward(x).read());
  const after = channelStats(train, shape);
  for (let c = 0; c < 3; c++) print(`channel ${c}: mean ${before[c]!.mean.toFixed(3)} → ${after[c]!.mean.toFixed(6)}, variance ${before[c]!.variance.toFixed(3)} → ${after[c]!.variance.toFixed(6)}`);
  const runningMean = Array.from(await bn.runningMean.read());
  const runningVar = Array.from(await bn.runningVar.read());
  print(`running_mean ${runningMean.map((v) => v.toFixed(4)).join(', ')}; running_var ${runningVar.map((v) => v.toFixed(4)).join(', ')}`);
  bn.eval();
  const evalOut = Array.from(await bn.forward(x).read());
  print(`eval mode normalises with the running statistics: first value ${input[0]!.toFixed(4)} → ${evalOut[0]!.toFixed(4)}`);
  x.destroy();
  return { input, before, after, runningMean, runningVar, evalOut };
}
