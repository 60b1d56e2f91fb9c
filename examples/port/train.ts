// train.py beside this file, ported line by line to wgslgrad: the phone-price classifier with param
// groups, AdamW, a cosine learning rate, label smoothing and a validation pass after every epoch.
// It prints the losses train.py printed (train.out) to 4 significant digits. From the repository root:
//
//   node --import tsx --import ./src/node/register.ts examples/port/train.ts
//
// Our generator is not PyTorch's, so the port starts from train.py's initial weights and batch
// orders (initial.safetensors, orders.safetensors), as a PyTorch user would load_state_dict.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseCsv, StandardScaler, subset } from '../../src/data';
import { fromSafetensors, init, nn, noGrad, optim, requestGpu, Tensor } from '../../src';
import { CosineAnnealingLR } from '../../src/lr-scheduler';

const file = (name: string) => new URL(name, import.meta.url);
const loadFile = (name: string) => fromSafetensors(readFileSync(file(name)), name); // safetensors.torch.load_file
const g4 = (v: number) => String(Number(v.toPrecision(4))); // Python's f"{v:.4g}"

const [EPOCHS, BATCH, TRAIN] = [5, 32, 1600];

export async function main(print: (line: string) => void = console.log): Promise<void> {
  const gpu = await requestGpu();

  // The data: 2000 phones, 20 features, 4 price classes; the first 1600 train, the last 400 validate.
  const data = parseCsv(readFileSync(file('../../data/mobile-price.csv'), 'utf8'), 'mobile-price.csv');
  const rows = (from: number, to: number) => subset(data, [...Array(to - from).keys()].map((i) => from + i));
  const scaler = StandardScaler.fit(rows(0, TRAIN)); // StandardScaler on the training rows
  const [train, val] = [scaler.transform(rows(0, TRAIN)), scaler.transform(rows(TRAIN, data.rows))];
  const [xVal, yVal] = [Tensor.fromArray(gpu, val.x, [val.rows, 20]), Tensor.fromArray(gpu, val.y, [val.rows], 'u32')];

  init.manualSeed(0);
  const model = new nn.Sequential(new nn.Linear(20, 64), new nn.ReLU(), new nn.Linear(64, 64), new nn.ReLU(), new nn.Linear(64, 4));
  const orders = loadFile('orders.safetensors').get('orders')!.values; // each epoch's shuffle, from train.py
  model.loadStateDict(loadFile('initial.safetensors')); // train.py's initial weights

  const decay = model.namedParameters().filter(([name]) => name.endsWith('weight')).map(([, p]) => p);
  const noDecay = model.namedParameters().filter(([name]) => name.endsWith('bias')).map(([, p]) => p);
  const optimizer = new optim.AdamW([{ params: decay, weightDecay: 0.05 }, { params: noDecay, weightDecay: 0 }], { lr: 3e-3 });
  const scheduler = new CosineAnnealingLR(optimizer, { tMax: EPOCHS });
  const lossFn = new nn.CrossEntropyLoss({ labelSmoothing: 0.1 });

  const [x, y] = [Tensor.empty(gpu, [BATCH, 20]), Tensor.empty(gpu, [BATCH], 'u32')];
  for (let epoch = 0; epoch < EPOCHS; epoch++) {
    const lr = optimizer.paramGroups[0]!.lr;
    model.train();
    let total = 0;
    for (let i = 0; i < TRAIN; i += BATCH) {
      const batch = subset(train, Array.from(orders.slice(epoch * TRAIN + i, epoch * TRAIN + i + BATCH)));
      x.write(batch.x);
      y.write(batch.y);
      optimizer.zeroGrad();
      const loss = lossFn.forward(model.forward(x), y);
      loss.backward();
      optimizer.step();
      total += await loss.item();
    }
    scheduler.step();

    model.eval();
    lossFn.resetMetrics(); // the loss counts correct rows (the logits' argmax) as it goes
    const valLoss = await noGrad(() => lossFn.forward(model.forward(xVal), yVal)).item();
    const valAccuracy = (await lossFn.readMetrics()).accuracy;
    print(`epoch ${epoch + 1}: lr ${g4(lr)}, train loss ${g4(total / (TRAIN / BATCH))}, val loss ${g4(valLoss)}, val accuracy ${g4(valAccuracy)}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
