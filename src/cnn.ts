// The MNIST convolutional network of `npm start -- --task mnist` and the MNIST page, with PyTorch's
// names (conv1, bn1, conv2, bn2, fc), so its state dict loads into scripts/mnist_cnn.py's MnistCNN:
//   Conv(1→8, 3, pad 1)-BN2d-ReLU-MaxPool(2) → Conv(8→16, 3, pad 1)-BN2d-ReLU-MaxPool(2) → Flatten → Linear(784→10)
import type { Gpu } from './device/gpu';
import { BatchNorm2d, Conv2d, Flatten, Linear, MaxPool2d, Module, ReLU } from './nn';
import { MNIST_CNN_ARCHITECTURE } from './mnist';
import type { Tensor } from './tensor';

export { MNIST_CNN_ARCHITECTURE };

export class MnistCNN extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly fc: Linear;
  // No parameters and no state: kept out of the state dict's names (Module lists only Module fields).
  private readonly stateless: { relu1: ReLU; pool1: MaxPool2d; relu2: ReLU; pool2: MaxPool2d; flatten: Flatten };
  /** The last forward's intermediate maps, by layer (valid until the next forward). */
  maps = new Map<string, Tensor>();

  constructor(gpu: Gpu) {
    super(gpu);
    this.conv1 = new Conv2d(1, 8, 3, { padding: 1, gpu });
    this.bn1 = new BatchNorm2d(8, { gpu });
    this.conv2 = new Conv2d(8, 16, 3, { padding: 1, gpu });
    this.bn2 = new BatchNorm2d(16, { gpu });
    this.fc = new Linear(16 * 7 * 7, 10, { gpu });
    this.stateless = { relu1: new ReLU({ gpu }), pool1: new MaxPool2d(2, { gpu }), relu2: new ReLU({ gpu }), pool2: new MaxPool2d(2, { gpu }), flatten: new Flatten(1, -1, { gpu }) };
  }

  override namedChildren(): [string, Module][] {
    return [['conv1', this.conv1], ['bn1', this.bn1], ['conv2', this.conv2], ['bn2', this.bn2], ['fc', this.fc]];
  }

  override train(mode = true): this {
    super.train(mode);
    for (const m of Object.values(this.stateless)) m.train(mode);
    return this;
  }

  override destroy(): void {
    super.destroy();
    for (const m of Object.values(this.stateless)) m.destroy(); // their reused buffers: children only by being called
    this.maps.clear();
  }

  override describe(): string {
    return `MnistCNN(${MNIST_CNN_ARCHITECTURE})`;
  }

  private layers(): [string, Module][] {
    const s = this.stateless;
    return [['conv1', this.conv1], ['bn1', this.bn1], ['relu1', s.relu1], ['pool1', s.pool1], ['conv2', this.conv2], ['bn2', this.bn2], ['relu2', s.relu2], ['pool2', s.pool2], ['flatten', s.flatten], ['fc', this.fc]];
  }

  /** Every layer's shape checked first, the layer named in the error (as Sequential does). */
  override outputShape(input: readonly number[]): readonly number[] {
    return this.layers().reduce((shape, [name, layer]) => {
      try {
        return layer.outputShape(shape);
      } catch (error) {
        throw new Error(`MnistCNN layer '${name}' (input [${input.join(', ')}]): ${error instanceof Error ? error.message : String(error)}`);
      }
    }, input);
  }

  /** x [N, 1, 28, 28] → logits [N, 10]. */
  forward(x: Tensor): Tensor {
    this.outputShape(x.shape);
    this.maps.clear();
    for (const [name, layer] of this.layers()) {
      x = layer.forward(x);
      this.maps.set(name, x);
    }
    return x;
  }
}
