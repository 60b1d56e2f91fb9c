// PyTorch's "Deep Learning with PyTorch: A 60 Minute Blitz", part 4 (Training a Classifier), written
// as a student ports it, the tutorial's lines in the comments. CIFAR-10 cannot be downloaded here, so
// the images are made up: 3×32×32, each class a colour tint plus noise, which the tutorial's Net
// learns in two epochs. From the repository root:
//
//   npx tsx --import ./src/node/register.ts examples/blitz-cifar.ts
import { pathToFileURL } from 'node:url';
import { DataLoader, F, fromSafetensors, manualSeed, nn, noGrad, optim, randn, requestGpu, tensor, tidy, toSafetensors, type Tensor } from '../src';

export const title = "PyTorch's 60-minute blitz, Training a Classifier (made-up images)";
const classes = ['plane', 'car', 'bird', 'cat'];

// class Net(nn.Module): def __init__(self): super().__init__(); self.conv1 = nn.Conv2d(3, 6, 5) …
class Net extends nn.Module {
  conv1 = new nn.Conv2d(3, 6, 5);
  pool = new nn.MaxPool2d(2, { stride: 2 });
  conv2 = new nn.Conv2d(6, 16, 5);
  fc1 = new nn.Linear(16 * 5 * 5, 120);
  fc2 = new nn.Linear(120, 84);
  fc3 = new nn.Linear(84, classes.length);

  // def forward(self, x): x = self.pool(F.relu(self.conv1(x))) …; return x
  forward(x: Tensor): Tensor {
    x = this.pool.forward(F.relu(this.conv1.forward(x)));
    x = this.pool.forward(F.relu(this.conv2.forward(x)));
    x = x.view(-1, 16 * 5 * 5); // torch.flatten(x, 1)
    x = F.relu(this.fc1.forward(x));
    x = F.relu(this.fc2.forward(x));
    return this.fc3.forward(x);
  }
}

export async function run(print: (line: string) => void = console.log): Promise<{ losses: number[]; accuracy: number; perClass: number[]; reloaded: number }> {
  await requestGpu();
  manualSeed(0);
  const made = async (n: number) => {
    const y = Uint32Array.from({ length: n }, (_, i) => i % classes.length);
    const noise = tidy(() => randn(n, 3, 32, 32).mul(0.5));
    const x = Float32Array.from(await noise.read());
    noise.destroy();
    for (let i = 0; i < n; i++) {
      const k = y[i]!;
      for (let c = 0; c < 3; c++) for (let p = 0; p < 32 * 32; p++) x[(i * 3 + c) * 1024 + p]! += k === 3 ? -0.8 : c === k ? 0.8 : 0;
    }
    return { x, y, rows: n };
  };
  const [trainset, testset] = [await made(96), await made(40)];
  // trainloader = torch.utils.data.DataLoader(trainset, batch_size=4, shuffle=True)
  const trainloader = new DataLoader(trainset, { batchSize: 4, shuffle: true, seed: 0 });
  const testloader = new DataLoader(testset, { batchSize: 4 });

  const net = new Net();
  print(net.describe()); // print(net)
  const criterion = new nn.CrossEntropyLoss();
  const optimizer = new optim.SGD(net.parameters(), { lr: 0.001 * 10, momentum: 0.9 }); // the tutorial's 0.001, ×10 for 48 steps instead of 25,000

  const losses: number[] = [];
  for (let epoch = 0; epoch < 2; epoch++) {
    let runningLoss = 0;
    let i = 0;
    for (const data of trainloader) {
      // inputs, labels = data; optimizer.zero_grad(); outputs = net(inputs); loss = criterion(outputs, labels) …
      const loss = tidy(() => {
        const [inputs, labels] = [tensor(data.x).view(data.size, 3, 32, 32), tensor(data.y)];
        optimizer.zeroGrad();
        const outputs = net.forward(inputs);
        const loss = criterion.forward(outputs, labels);
        loss.backward();
        optimizer.step();
        return loss.clone(); // the module's loss buffer is reused at its next call
      });
      runningLoss += await loss.item();
      loss.destroy();
      if (++i % 12 === 0) {
        print(`[${epoch + 1}, ${String(i).padStart(5)}] loss: ${(runningLoss / 12).toFixed(3)}`);
        losses.push(runningLoss / 12);
        runningLoss = 0;
      }
    }
  }
  print('Finished Training');

  // torch.save(net.state_dict(), PATH); net = Net(); net.load_state_dict(torch.load(PATH))
  const saved = toSafetensors(await net.stateDict());
  const reloadedNet = new Net();
  reloadedNet.loadStateDict(fromSafetensors(saved, 'cifar_net.safetensors'));

  // with torch.no_grad(): for data in testloader: … _, predicted = torch.max(outputs.data, 1); correct += (predicted == labels).sum().item()
  const counts = async (model: Net) => {
    let [correct, total] = [0, 0];
    const perClass = classes.map(() => ({ correct: 0, total: 0 }));
    for (const data of testloader) {
      const [right, predicted] = tidy(() => {
        const [images, labels] = [tensor(data.x).view(data.size, 3, 32, 32), tensor(data.y)];
        const outputs = noGrad(() => model.forward(images));
        const { indices } = F.max(outputs, 1);
        return [indices.eq(labels).sum(), indices];
      });
      correct += await right.item();
      total += data.size;
      const p = await predicted.read();
      data.y.forEach((label, k) => {
        perClass[label]!.total++;
        if (p[k] === label) perClass[label]!.correct++;
      });
      right.destroy();
      predicted.destroy();
    }
    return { accuracy: correct / total, perClass: perClass.map((c) => c.correct / c.total) };
  };
  const { accuracy, perClass } = await counts(net);
  print(`Accuracy of the network on the ${testset.rows} test images: ${Math.round(100 * accuracy)} %`);
  classes.forEach((name, k) => print(`Accuracy for class: ${name.padEnd(5)} is ${(100 * perClass[k]!).toFixed(1)} %`));
  const reloaded = (await counts(reloadedNet)).accuracy;
  for (const m of [net, reloadedNet, criterion]) m.destroy();
  optimizer.destroy();
  return { losses, accuracy, perClass, reloaded };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await run();
