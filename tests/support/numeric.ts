// Helpers for the tests of the float64 references: central finite differences (to check gradients
// against the forward), a dot product, and an element-wise closeness check.
import { expect } from 'vitest';

export function numericGradient(f: (x: Float64Array) => number, x: Float64Array, h = 1e-6): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const saved = x[i]!;
    x[i] = saved + h;
    const up = f(x);
    x[i] = saved - h;
    const down = f(x);
    x[i] = saved;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

export const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);

/** |actual − expected| ≤ tol · (1 + |expected|) element by element, the first failure named by index. */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number): void {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= tol * (1 + Math.abs(expected[i]!)))) throw new Error(`element ${i}: ${actual[i]} vs ${expected[i]} (|diff| ${diff})`);
  }
}
