// |actual − expected| ≤ atol + rtol·|expected|, element by element. NaN passes only where the
// reference is NaN too (a NaN input carried through, as PyTorch carries it); anywhere else an element
// the kernel failed to write (poisoned with NaN beforehand) is reported.

export interface Comparison {
  ok: boolean;
  count: number;
  maxAbsError: number;
  mismatches: number;
  report: string;
}

export function compare(label: string, actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): Comparison {
  const lines: string[] = [];
  let maxAbsError = 0;
  let mismatches = 0;
  if (actual.length !== expected.length) {
    return { ok: false, count: 0, maxAbsError: Infinity, mismatches: 1, report: `${label}: length ${actual.length}, expected ${expected.length}` };
  }
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const err = Math.abs(a - e);
    const bad = !(err <= atol + rtol * Math.abs(e)) && !(a === e) && !(Number.isNaN(a) && Number.isNaN(e));
    if (Number.isFinite(err)) maxAbsError = Math.max(maxAbsError, err);
    if (bad) {
      mismatches++;
      if (lines.length < 8) lines.push(`  [${i}] got ${a}, expected ${e} (|diff| ${err.toExponential(2)} > ${(atol + rtol * Math.abs(e)).toExponential(2)})`);
    }
  }
  const head = `${label}: ${mismatches} of ${expected.length} outside atol ${atol} + rtol ${rtol}·|ref|, max |diff| ${maxAbsError.toExponential(2)}`;
  return { ok: mismatches === 0, count: expected.length, maxAbsError, mismatches, report: mismatches ? [head, ...lines].join('\n') : head };
}
