// Float64 CPU reference for inverted dropout: keep x_i with probability 1 − p and scale it by
// 1 / (1 − p), so E[y] = x. Element i is dropped when its Threefry draw u_i < p.
import { uniformAt } from './random';
import { tabulate } from './arrays';

export function dropoutMask(n: number, p: number, seed: number, step: number): Float64Array {
  const pf = Math.fround(p); // the kernel compares against p as an f32
  return tabulate(n, (i) => (p < 1 && uniformAt(i, seed, step) >= pf ? 1 / (1 - pf) : 0));
}

/** y = mask ⊙ x; dropout is linear, so its backward is the same map applied to dy. */
export function dropout(x: ArrayLike<number>, p: number, seed: number, step: number): Float64Array {
  const mask = dropoutMask(x.length, p, seed, step);
  return tabulate(mask.length, (i) => mask[i]! * x[i]!);
}
