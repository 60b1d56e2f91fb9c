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

/**
 * Where each value goes in its row of `sorted` (rows of n, ascending, NaN last): the count of the
 * row's elements before it, those < it (right: ≤ it), NaN after every number (torch.searchsorted).
 * values holds `take` per row; shared: one row of `sorted` for all.
 */
export function searchSorted(sorted: ArrayLike<number>, n: number, values: ArrayLike<number>, take: number, right: boolean, shared: boolean): Int32Array {
  // -1, 0, 1 as a is before, ties with, or after b; NaN after every number.
  const order = (a: number, b: number) => (Number.isNaN(a) ? (Number.isNaN(b) ? 0 : 1) : Number.isNaN(b) ? -1 : a < b ? -1 : a > b ? 1 : 0);
  return Int32Array.from(values, (v, e) => {
    const base = shared ? 0 : Math.floor(e / take) * n;
    let count = 0;
    for (let i = 0; i < n; i++) {
      const o = order(sorted[base + i]!, v);
      if (o < 0 || (right && o === 0)) count++;
    }
    return count;
  });
}
