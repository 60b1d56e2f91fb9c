// Float64 CPU reference for sorting along rows (F.sort, F.argsort, F.topk), from PyTorch's definition
// of the order (not from the WGSL): ascending puts NaN after every number, descending before; equal
// values (−0 and +0 among them) keep their order (a stable sort).

/** Each row's indices in sorted order: rows of n, the first `take` of each row's order. */
export function sortedIndices(x: ArrayLike<number>, rows: number, n: number, descending: boolean, take = n): Int32Array {
  const out = new Int32Array(rows * take);
  for (let r = 0; r < rows; r++) {
    const value = (i: number) => x[r * n + i]!;
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => {
      const [va, vb] = [value(a), value(b)];
      const [na, nb] = [Number.isNaN(va), Number.isNaN(vb)];
      if (na !== nb) return (na ? 1 : -1) * (descending ? -1 : 1);
      if (!na && va !== vb) return (va < vb ? -1 : 1) * (descending ? -1 : 1);
      return a - b;
    });
    out.set(order.slice(0, take), r * take);
  }
  return out;
}
