// Seeded test data. Every case draws fresh values from its own seed; none are zero.

/** mulberry32: a small, fast 32-bit PRNG, good enough for test inputs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n values uniform in [lo, hi), never exactly zero. */
export function uniform(random: () => number, n: number, lo = -1, hi = 1): Float64Array {
  return Float64Array.from({ length: n }, () => {
    let v = 0;
    while (v === 0) v = lo + (hi - lo) * random();
    return v;
  });
}

export function integers(random: () => number, n: number, below: number): Uint32Array {
  return Uint32Array.from({ length: n }, () => Math.floor(random() * below));
}

/** A stable 32-bit hash of a string, to derive a case's seed from its name. */
export function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
