// Seeded test data. Every case draws fresh values from its own seed; none are zero.

import { mulberry32 } from '../random';

/** A seeded generator for test inputs. */
export const rng = mulberry32;

/**
 * n values uniform in [lo, hi), never exactly zero, each exactly representable in float32: the GPU
 * and the float64 reference then start from identical numbers, and only the arithmetic differs.
 */
export function uniform(random: () => number, n: number, lo = -1, hi = 1): Float64Array {
  // A plain loop: Float64Array.from({ length: n }, f) takes twice as long, seconds per case past the grid limit.
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    while (v === 0) v = Math.fround(lo + (hi - lo) * random());
    out[i] = v;
  }
  return out;
}

export function integers(random: () => number, n: number, below: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * below);
  return out;
}

/** A stable 32-bit hash of a string, to derive a case's seed from its name. */
export function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** More than 65,535 workgroups of 64 one-element invocations: the grid must spill into y. */
export const PAST_GRID_LIMIT = 65535 * 64 + 4099;
