// Beyond the course: sequences of their own lengths. A GRU reads sequences of 3 to 12 numbers in
// [−1, 1], packed by their lengths (nn.utils.rnn.packPaddedSequence, as in PyTorch), and a linear
// head on its last state says whether each sequence's sum is positive. Adam, 150 steps of 32.
import type { Gpu } from '../src/device/gpu';
import * as F from '../src/functional';
import * as init from '../src/init';
import { CrossEntropyLoss, GRU, Linear, utils } from '../src/nn';
import { Adam } from '../src/optim';
import { mulberry32 } from '../src/random';
import { noGrad, Tensor } from '../src/tensor';
import type { Print } from './format';

export const title = 'Beyond the course: a GRU over sequences of their own lengths (packed), learning whether a sum is positive';

const [STEPS, BATCH, LONGEST, HIDDEN] = [150, 32, 12, 16];

/** A batch of sequences padded to LONGEST (batch first), their lengths, and whether each sums above 0. */
function batch(random: () => number, n: number): { x: Float32Array; lengths: number[]; labels: Uint32Array } {
  const x = new Float32Array(n * LONGEST);
  const lengths = Array.from({ length: n }, () => 3 + Math.floor(random() * (LONGEST - 2)));
  const labels = new Uint32Array(n);
  lengths.forEach((length, i) => {
    let sum = 0;
    for (let t = 0; t < length; t++) sum += x[i * LONGEST + t] = random() * 2 - 1;
    labels[i] = sum > 0 ? 1 : 0;
  });
  return { x, lengths, labels };
}

export async function run(gpu: Gpu, print: Print) {
  init.manualSeed(0);
  const random = mulberry32(1);
  const gru = new GRU(1, HIDDEN, { batch_first: true, gpu });
  const head = new Linear(HIDDEN, 2, { gpu });
  const lossFn = new CrossEntropyLoss({ gpu });
  const opt = new Adam([...gru.parameters(), ...head.parameters()], { lr: 0.01 });
  const [x, y] = [Tensor.empty(gpu, [BATCH, LONGEST, 1], 'f32', 'x'), Tensor.empty(gpu, [BATCH], 'u32', 'y')];
  // The last state of each sequence, at its own length: h_n [1, N, H] → [N, H] → two scores.
  const scores = (lengths: number[], input: Tensor) => head.forward(F.reshape(gru.forward(utils.rnn.packPaddedSequence(input, lengths, { batch_first: true, enforce_sorted: false }))[1], [lengths.length, HIDDEN]));
  const losses: number[] = [];
  for (let step = 1; step <= STEPS; step++) {
    const b = batch(random, BATCH);
    x.write(b.x);
    y.write(b.labels);
    opt.zeroGrad();
    const loss = lossFn.forward(scores(b.lengths, x), y);
    loss.backward();
    opt.step();
    if (step % 50 === 0 || step === 1) {
      losses.push((await loss.read())[0]!);
      print(`step ${String(step).padStart(3)}: loss ${losses.at(-1)!.toFixed(4)}`);
    }
  }
  // 512 new sequences, without gradients.
  const test = batch(random, 512);
  const xTest = Tensor.fromArray(gpu, test.x, [512, LONGEST, 1], 'f32', 'x test');
  const classes = noGrad(() => F.argmax(scores(test.lengths, xTest), 1));
  const predicted = await classes.read();
  const accuracy = Array.from(predicted).filter((p, i) => p === test.labels[i]).length / 512;
  classes.destroy();
  print(`test accuracy on 512 new sequences: ${accuracy.toFixed(3)}`);
  xTest.destroy();
  return { losses, accuracy };
}
