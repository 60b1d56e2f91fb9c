// A Tensor is a shaped view of GPU memory: a whole buffer, or a slice of a flat one (parameters and
// their gradients each live in one flat buffer, so an optimizer step is one dispatch).
import { backward, type GraphNode } from './autograd';
import type { Gpu } from './gpu';
import type { BufferView, DType } from './kernel';

export class Tensor implements BufferView {
  readonly shape: readonly number[];
  readonly size: number;
  /** Autograd: whether gradients flow to this tensor; set on leaves by the user, on outputs by the tape. */
  requiresGrad = false;
  /** Autograd: d(loss)/d(this), same shape; kept between steps and reused. */
  grad: Tensor | null = null;
  /** Autograd: the recorded operation that produced this tensor (null for leaves). */
  node: GraphNode | null = null;

  constructor(
    readonly gpu: Gpu,
    readonly buffer: GPUBuffer,
    shape: readonly number[],
    readonly dtype: DType = 'f32',
    readonly byteOffset = 0,
    readonly label = 'tensor',
  ) {
    this.shape = [...shape];
    this.size = Tensor.sizeOf(shape, label);
    if (byteOffset + this.size * 4 > buffer.size) throw new Error(`tensor '${label}': ${this.size} elements at byte ${byteOffset} overrun buffer '${buffer.label}' (${buffer.size} bytes)`);
  }

  /** Element count of a shape; every dimension must be a positive integer. */
  static sizeOf(shape: readonly number[], label = 'tensor'): number {
    if (shape.length === 0) throw new Error(`tensor '${label}': shape must have at least one dimension`);
    for (const d of shape) {
      if (!Number.isInteger(d) || d <= 0) throw new Error(`tensor '${label}': every dimension must be a positive integer, got shape [${shape.join(', ')}]`);
    }
    return shape.reduce((a, b) => a * b, 1);
  }

  get byteLength(): number {
    return this.size * 4;
  }

  /** The same memory under another shape with the same element count. */
  reshape(shape: readonly number[]): Tensor {
    const size = Tensor.sizeOf(shape, this.label);
    if (size !== this.size) throw new Error(`tensor '${this.label}': cannot reshape [${this.shape.join(', ')}] to [${shape.join(', ')}]`);
    return new Tensor(this.gpu, this.buffer, shape, this.dtype, this.byteOffset, this.label);
  }

  write(data: ArrayLike<number>): void {
    this.gpu.write(this, data);
  }

  read(): Promise<Float32Array | Uint32Array | Int32Array> {
    return this.gpu.read(this);
  }

  async toArray(): Promise<number[]> {
    return Array.from(await this.read());
  }

  /** Back-propagates from this scalar (a loss) through the recorded graph, as loss.backward(). */
  backward(): void {
    backward(this);
  }

  /** Frees the buffer; only for tensors that own a whole buffer. */
  destroy(): void {
    if (this.byteOffset !== 0 || this.buffer.size !== Math.ceil(this.byteLength / 4) * 4) throw new Error(`tensor '${this.label}' is a view into '${this.buffer.label}' and does not own it`);
    this.gpu.destroyBuffer(this.buffer);
  }
}
