// [f(0), f(1), …, f(n − 1)] as a Float64Array, by a plain loop. V8 runs Float64Array.from and
// Array.from with a map function through the iterator protocol, 4–10× slower: seconds per case at
// the millions of elements of the cases past the grid limit.

export function tabulate(n: number, f: (i: number) => number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = f(i);
  return out;
}
