// README's "The API, shaped like PyTorch", whole: the case study's CSV, a small classifier, Adam, a
// few epochs, then the test split. From the repository root (Node needs the register hook for the
// engine's WGSL imports):
//   npx tsx --import ./src/node/register.ts examples/api.ts
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { DataLoader, init, nn, noGrad, optim, parseCsv, requestGpu, StandardScaler, Tensor, trainTestSplit } from '../src';

export async function main(print: (line: string) => void = console.log, epochs = 5): Promise<number> {
  const file = new URL('../data/mobile-price.csv', import.meta.url);
  const data = parseCsv(readFileSync(file, 'utf8'), file.pathname); // the label is the last column
  const split = trainTestSplit(data, { trainSize: 0.8, seed: 0 });
  const scaler = StandardScaler.fit(split.train);
  const [trainSet, testSet] = [scaler.transform(split.train), scaler.transform(split.test)];
  const [F, C, B] = [data.features.length, data.classes.length, 8];

  const gpu = await requestGpu(); // the first device is every module's default; { gpu } names one
  init.manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(F, 128, { gpu }), new nn.ReLU({ gpu }), new nn.Linear(128, C, { gpu }));
  const lossFn = new nn.CrossEntropyLoss({ gpu });
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const loader = new DataLoader(trainSet, { batchSize: B, shuffle: true, seed: 0 });
  // One input tensor per batch size, written each step: a training step creates no GPU buffers.
  const x = Tensor.empty(gpu, [B, F]);
  const y = Tensor.empty(gpu, [B], 'u32');
  for (let epoch = 0; epoch < epochs; epoch++) {
    lossFn.resetMetrics();
    for (const batch of loader.batches(epoch)) {
      if (batch.size < B) continue; // the last, partial batch (PyTorch's drop_last); 1,600 rows have none
      x.write(batch.x); // the upload submits the previous step
      y.write(batch.y);
      opt.zeroGrad();
      lossFn.forward(model.forward(x), y).backward();
      opt.step();
    }
    const { loss, accuracy } = await lossFn.readMetrics(); // summed on the GPU, read once an epoch
    print(`epoch ${epoch + 1}: loss ${loss.toFixed(4)}, train accuracy ${accuracy.toFixed(4)}`);
  }
  model.eval();
  lossFn.resetMetrics();
  const xTest = Tensor.fromArray(gpu, testSet.x, [testSet.rows, F]);
  const yTest = Tensor.fromArray(gpu, testSet.y, [testSet.rows], 'u32');
  noGrad(() => lossFn.forward(model.forward(xTest), yTest));
  const { accuracy } = await lossFn.readMetrics();
  print(`test accuracy: ${accuracy.toFixed(4)}`);
  return accuracy;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
