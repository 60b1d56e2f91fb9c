// Every parameter lives in one flat GPU buffer and its gradient at the same offset of a twin buffer,
// so zeroGrad() is one clear and an optimizer step is one dispatch over the span its parameters
// cover. Offsets are aligned to 256 bytes, WebGPU's minimum storage-binding offset alignment.
// A freed parameter's space (releaseParameters, a module's destroy()) is reused, first fit; a chunk
// left empty is freed.
import type { Gpu } from './device/gpu';
import { Tensor } from './tensor';

const ALIGN_FLOATS = 64;
const CHUNK_FLOATS = 4 * 1024 * 1024; // 16 MiB; a larger parameter gets a chunk of its own

export class ArenaChunk {
  readonly values: GPUBuffer;
  readonly grads: GPUBuffer;
  /** Live parameters (in the order made), so an optimizer can tell whether a span holds foreign ones. */
  readonly members: Parameter[] = [];

  constructor(
    gpu: Gpu,
    readonly capacity: number,
    readonly index: number,
  ) {
    this.values = gpu.createBuffer(capacity * 4, `parameters #${index}`);
    this.grads = gpu.createBuffer(capacity * 4, `gradients #${index}`);
  }
}

/**
 * A parameter's gradient: writing it by hand gives the parameter a gradient, as assigning p.grad does in
 * PyTorch. Only write() (and backward) does: filling the buffer another way (a kernel, gpu.clear) leaves
 * hasGrad as it was, so set p.hasGrad = true after it if the next step() should use it.
 */
class Gradient extends Tensor {
  constructor(
    private readonly owner: Parameter,
    buffer: GPUBuffer,
  ) {
    super(owner.gpu, buffer, owner.shape, 'f32', owner.byteOffset, `${owner.label}.grad`);
  }

  override write(data: ArrayLike<number>): void {
    super.write(data);
    this.owner.hasGrad = true;
    this.owner.gradIsZero = false; // a backward() after this adds to it
  }
}

export class Parameter extends Tensor {
  override requiresGrad = true;
  /** The gradient's place in the arena's twin buffer, for the parameter's life. */
  private readonly arenaGrad: Gradient;
  /** The arena's gradients start cleared; hasGrad starts false (PyTorch's grad starts None). */
  override gradIsZero = true;

  constructor(
    gpu: Gpu,
    readonly chunk: ArenaChunk,
    /** In floats, from the start of the chunk. */
    readonly offset: number,
    shape: readonly number[],
    label: string,
  ) {
    super(gpu, chunk.values, shape, 'f32', offset * 4, label);
    this.arenaGrad = new Gradient(this, chunk.grads);
  }

  /**
   * Gives the parameter's arena space back (a Parameter.from one of your own; a module's go with its
   * destroy()): any later use of it, or an optimizer over it, is an Error naming it.
   */
  override destroy(): void {
    releaseParameters([this], `destroy() of parameter '${this.label}'`);
  }

  override get grad(): Tensor {
    return this.arenaGrad;
  }

  /**
   * PyTorch's `p.grad = None`: no gradient until the next backward (zeroed, so that one starts from
   * 0; a step skips it until then), as zeroGrad() does for all. `p.grad = g` copies g's values in, as
   * p.grad.write(values) does.
   */
  override set grad(g: Tensor | null) {
    if (g === null) {
      this.gpu.clear(this.arenaGrad);
      [this.gradIsZero, this.hasGrad] = [true, false];
      return;
    }
    if (g === this.arenaGrad) return;
    if (!(g instanceof Tensor) || g.dtype !== 'f32' || g.shape.length !== this.shape.length || g.shape.some((d, i) => d !== this.shape[i])) throw new Error(`parameter '${this.label}' ${`[${this.shape.join(', ')}]`}: its grad can be set to null or to an f32 tensor of its shape, got ${g instanceof Tensor ? `${g.dtype} [${g.shape.join(', ')}]` : String(g)}`);
    this.gpu.copy(g, this.arenaGrad);
    [this.gradIsZero, this.hasGrad] = [false, true];
  }

  /**
   * torch.nn.Parameter(data): a new parameter holding a copy of `data`'s values (an f32 tensor or an
   * array with its shape), for an optimizer to update — the image neural style transfer optimizes.
   */
  static from(data: Tensor | { gpu: Gpu; values: ArrayLike<number>; shape: readonly number[] }, label = 'parameter'): Parameter {
    if (data instanceof Tensor) {
      if (data.dtype !== 'f32') throw new Error(`Parameter.from: expected an f32 tensor, got dtype ${data.dtype}`);
      const p = allocateParameter(data.gpu, data.shape, label);
      data.gpu.copy(data, p);
      return p;
    }
    const p = allocateParameter(data.gpu, data.shape, label);
    p.write(data.values);
    return p;
  }
}

const arenas = new WeakMap<Gpu, ArenaChunk[]>();

let chunksMade = 0;

/** Where in `chunk` `floats` fit: the first gap between its parameters that holds them, else its end; −1 if neither. */
function placeIn(chunk: ArenaChunk, floats: number): number {
  let start = 0;
  for (const p of [...chunk.members].sort((a, b) => a.offset - b.offset)) {
    if (p.offset - start >= floats) return start;
    start = paddedEnd(p);
  }
  return chunk.capacity - start >= floats ? start : -1;
}

/** A new parameter in gpu's arena; its values are undefined until initialised, its gradient zero. */
export function allocateParameter(gpu: Gpu, shape: readonly number[], label: string): Parameter {
  const floats = Math.ceil(Tensor.sizeOf(shape, label) / ALIGN_FLOATS) * ALIGN_FLOATS;
  const chunks = arenas.get(gpu) ?? [];
  arenas.set(gpu, chunks);
  let chunk = chunks.find((c) => placeIn(c, floats) >= 0);
  if (!chunk) {
    chunk = new ArenaChunk(gpu, Math.max(CHUNK_FLOATS, floats), chunksMade++);
    chunks.push(chunk);
    // Gradients start at zero, as PyTorch's grads start at None (releaseParameters keeps freed space so).
    gpu.clear(new Tensor(gpu, chunk.grads, [chunk.capacity], 'f32', 0, chunk.grads.label));
  }
  const p = new Parameter(gpu, chunk, placeIn(chunk, floats), shape, label);
  chunk.members.push(p);
  return p;
}

/**
 * Gives the parameters' arena space back for later ones: each is marked freed (`why` says by whom),
 * so any later use of it or its gradient is an Error; its gradient's space is zeroed for the next
 * parameter there; a chunk left without parameters is freed.
 */
export function releaseParameters(params: Iterable<Parameter>, why: string): void {
  for (const p of new Set(params)) {
    if (p.freedBy !== null) continue;
    const { gpu, chunk } = p;
    gpu.clear(new Tensor(gpu, chunk.grads, [paddedEnd(p) - p.offset], 'f32', p.offset * 4, chunk.grads.label));
    [p.freedBy, p.grad.freedBy] = [why, why];
    chunk.members.splice(chunk.members.indexOf(p), 1);
    if (chunk.members.length > 0) continue;
    const chunks = arenas.get(gpu)!;
    chunks.splice(chunks.indexOf(chunk), 1);
    gpu.destroyBuffer(chunk.values);
    gpu.destroyBuffer(chunk.grads);
  }
}

/**
 * After a write into gradient memory other than Gradient.write (an in-place op, tensor-methods.ts,
 * on p.grad or p.grad.data): the parameters whose gradients it covers have one, and a later
 * backward() adds to it (not known zero), as write() gives them.
 */
export function gradientsWritten(view: Tensor): void {
  const chunk = arenas.get(view.gpu)?.find((c) => c.grads === view.memoryBuffer);
  if (!chunk) return;
  const [start, end] = [view.byteOffset / 4, view.byteOffset / 4 + view.size];
  for (const p of chunk.members) {
    if (p.offset < end && p.offset + p.size > start) [p.gradIsZero, p.hasGrad] = [false, true];
  }
}

/** Where a parameter's padding ends, in floats from the start of its chunk: spans stay multiples of 64 floats (vec4 kernels). */
export const paddedEnd = (p: Parameter): number => p.offset + Math.ceil(p.size / ALIGN_FLOATS) * ALIGN_FLOATS;

/** A contiguous range of one chunk, covering some parameters and the padding between them. */
export interface Span {
  chunk: ArenaChunk;
  offset: number;
  size: number;
  values: Tensor;
  grads: Tensor;
  /** The parameters it covers, by offset. */
  params: Parameter[];
}

/**
 * Groups parameters into as few contiguous spans as possible. A span never covers a parameter
 * outside the given set (another model's, in the same arena), nor a gap between ours (freed space a
 * later parameter may take), so updating a span touches only ours.
 */
export function spansOf(params: readonly Parameter[]): Span[] {
  const spans: Span[] = [];
  const byChunk = new Map<ArenaChunk, Parameter[]>();
  for (const p of new Set(params)) byChunk.set(p.chunk, [...(byChunk.get(p.chunk) ?? []), p]);
  for (const [chunk, ours] of byChunk) {
    const mine = new Set(ours);
    const ordered = [...chunk.members].sort((a, b) => a.offset - b.offset);
    let start = -1;
    let end = 0;
    let covered: Parameter[] = [];
    const close = () => {
      if (start < 0) return;
      const gpu = ours[0]!.gpu;
      spans.push({
        chunk, offset: start, size: end - start,
        values: new Tensor(gpu, chunk.values, [end - start], 'f32', start * 4, `${chunk.values.label}[${start}:${end}]`),
        grads: new Tensor(gpu, chunk.grads, [end - start], 'f32', start * 4, `${chunk.grads.label}[${start}:${end}]`),
        params: covered,
      });
      start = -1;
      covered = [];
    };
    for (const p of ordered) {
      if (!mine.has(p)) {
        close();
        continue;
      }
      if (start >= 0 && p.offset !== end) close();
      if (start < 0) start = p.offset;
      end = paddedEnd(p);
      covered.push(p);
    }
    close();
  }
  return spans;
}
