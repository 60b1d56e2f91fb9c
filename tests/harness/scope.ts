// Browser-side helpers for one kernel case: tensors it creates (freed at the end), NaN-poisoned
// outputs, and the comparisons it makes.
import type { Gpu } from '../../src/gpu';
import type { DType } from '../../src/kernel';
import type { Tensor } from '../../src/tensor';
import { mulberry32 } from '../../src/random';
import { compare, type Comparison } from '../support/compare';

export interface KernelCase {
  name: string;
  run: (gpu: Gpu, seed: number) => Promise<CaseResult>;
}

/**
 * A table of cases: add(name, body) registers a case whose body gets a fresh CaseScope and a random
 * generator seeded for it; an exception in the body is reported as a failed check.
 */
export function caseTable(): { cases: KernelCase[]; add: (name: string, body: (s: CaseScope, random: () => number) => Promise<void> | void) => void } {
  const cases: KernelCase[] = [];
  const add = (name: string, body: (s: CaseScope, random: () => number) => Promise<void> | void) => {
    cases.push({
      name,
      run: async (gpu, seed) => {
        const scope = new CaseScope(gpu);
        try {
          await body(scope, mulberry32(seed));
        } catch (error) {
          scope.expect('unexpected error', false, error instanceof Error ? (error.stack ?? error.message) : String(error));
        }
        return scope.finish();
      },
    });
  };
  return { cases, add };
}

export interface CaseResult {
  ok: boolean;
  /** Elements compared against the reference (0 means the case checked nothing: a defect). */
  checked: number;
  report: string;
}

export class CaseScope {
  private readonly tensors: Tensor[] = [];
  readonly comparisons: Comparison[] = [];
  readonly notes: string[] = [];

  constructor(readonly gpu: Gpu) {}

  input(data: ArrayLike<number>, shape: readonly number[] = [data.length], dtype: DType = 'f32', label = 'input'): Tensor {
    const t = this.gpu.fromArray(data, shape, dtype, label);
    this.tensors.push(t);
    return t;
  }

  /** An output tensor filled with NaN, so any element the kernel fails to write is caught. */
  output(shape: readonly number[], label = 'output'): Tensor {
    const t = this.gpu.empty(shape, 'f32', label);
    this.tensors.push(t);
    t.write(new Float32Array(t.size).fill(NaN));
    return t;
  }

  async check(label: string, t: Tensor, expected: ArrayLike<number>, atol: number, rtol: number): Promise<void> {
    this.comparisons.push(compare(label, await t.read(), expected, atol, rtol));
  }

  /** Asserts that fn throws an Error matching pattern and that nothing was dispatched. */
  expectError(label: string, fn: () => void, pattern: RegExp): void {
    const before = this.gpu.stats.dispatches;
    let message = '';
    try {
      fn();
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    const dispatched = this.gpu.stats.dispatches - before;
    const ok = pattern.test(message) && dispatched === 0;
    const report = `${label}: ${message ? `threw "${message}"` : 'did not throw'}${dispatched ? `, and dispatched ${dispatched}` : ''}${ok ? '' : ` (expected ${pattern})`}`;
    this.comparisons.push({ ok, count: 1, maxAbsError: 0, mismatches: ok ? 0 : 1, report });
  }

  /** A plain assertion, reported with the comparisons. */
  expect(label: string, ok: boolean, detail: string): void {
    this.comparisons.push({ ok, count: 1, maxAbsError: 0, mismatches: ok ? 0 : 1, report: `${label}: ${detail}` });
  }

  finish(): CaseResult {
    for (const t of this.tensors) t.destroy();
    const ok = this.comparisons.length > 0 && this.comparisons.every((c) => c.ok);
    const checked = this.comparisons.reduce((n, c) => n + c.count, 0);
    return { ok, checked, report: [...this.comparisons.map((c) => c.report), ...this.notes].join('\n') };
  }
}
