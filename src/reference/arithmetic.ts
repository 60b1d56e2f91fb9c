// Float64 references for broadcasting (PyTorch's rule, by multi-index): spreading a tensor over a
// larger shape, and summing a gradient back to the smaller one. Written from the shapes, not from
// arithmetic.wgsl's inner / b_size.
import { tabulate } from './arrays';

/** For each element of `shape` (row-major), the flat index of the element of `small` it reads. */
function sourceIndices(small: readonly number[], shape: readonly number[]): Uint32Array {
  const size = shape.reduce((p, d) => p * d, 1);
  const offset = shape.length - small.length; // small's dimensions align with shape's last ones
  const out = new Uint32Array(size);
  for (let i = 0; i < size; i++) {
    let rest = i;
    let index = 0;
    let stride = 1;
    for (let d = shape.length - 1; d >= 0; d--) {
      const coordinate = rest % shape[d]!;
      rest = Math.floor(rest / shape[d]!);
      const s = d - offset;
      if (s < 0) continue;
      if (small[s] !== 1) index += coordinate * stride;
      stride *= small[s]!;
    }
    out[i] = index;
  }
  return out;
}

/** small's values spread over `shape` (torch.broadcast_to). */
export function broadcastTo(small: ArrayLike<number>, smallShape: readonly number[], shape: readonly number[]): Float64Array {
  const source = sourceIndices(smallShape, shape);
  return tabulate(source.length, (i) => small[source[i]!]!);
}

/** x (of `shape`) summed over every dimension `smallShape` broadcasts: the gradient of a broadcast operand. */
export function sumTo(x: ArrayLike<number>, shape: readonly number[], smallShape: readonly number[]): Float64Array {
  const source = sourceIndices(smallShape, shape);
  const out = new Float64Array(smallShape.reduce((p, d) => p * d, 1));
  for (let i = 0; i < source.length; i++) out[source[i]!]! += x[i]!;
  return out;
}
