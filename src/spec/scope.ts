// A kernel family's test spec, and what runs it. A spec is a list of named cases; each case draws
// fresh random inputs, poisons its outputs with NaN, records the GPU work and compares with a
// float64 reference from src/reference/. The test harness runs every case, the bench times the
// cases that carry a `bench` plan, and the shader inspector runs the case covering the entry point
// you pick, at the sizes you type.
import type { Gpu } from '../device/gpu';
import type { DType } from '../device/shader';
import { Tensor } from '../tensor';
import { mulberry32 } from '../random';
import { compare, type Comparison } from './compare';

/** Named sizes and settings of a case (all numbers, so the inspector can offer them as inputs). */
export type Dims = Record<string, number>;

/** The GPU work of a case, set up, and the checks to make after it ran. */
export interface CaseRun {
  /**
   * Records the dispatches, nothing else (no upload or readback, which would end a timed pass); the
   * bench and the inspector time it, and the bench calls it again and again.
   */
  run(): void;
  /** Compares outputs with the reference (through CaseScope.check / expect). */
  check(): Promise<void>;
}

export interface BenchPlan {
  /** Sizes to time; `npm run bench -- --quick` and npm test time only the first. */
  sizes: Dims[];
  /** Work per run, for GFLOP/s or GB/s. */
  flop?(d: Dims): number;
  bytes?(d: Dims): number;
  /** Timed only in full runs, not --quick (sizes meant for GPUs, slow on a software adapter). */
  fullOnly?: boolean;
}

export interface KernelCase<D extends Dims = Dims> {
  /** Unique across every family; starts with the family's name. */
  name: string;
  /** The entry points of the family's shader that the case dispatches. */
  entries: readonly string[];
  /** The variant, as the bench labels it ('v2 vec4'). */
  variant?: string;
  dims: D;
  /** Draws inputs at sizes d (fresh from `random`) and returns the work and its checks. */
  setup(s: CaseScope, d: D, random: () => number): CaseRun;
  bench?: BenchPlan;
  /** The case the inspector opens first for its entry points. */
  showcase?: boolean;
}

/** A case, its dims' names typed from its `dims`. */
export function kernelCase<D extends Dims>(c: KernelCase<D>): KernelCase {
  return c as unknown as KernelCase;
}

/** A family's cases, in the order the harness runs them. */
export type Spec = readonly KernelCase[];

/** A case that is a plain test body (bad input, a property of the source): nothing to time or inspect. */
export function testCase(name: string, body: (s: CaseScope, random: () => number) => Promise<void> | void): KernelCase {
  return {
    name,
    entries: [],
    dims: {},
    setup: (s, _d, random) => ({ run: () => {}, check: async () => body(s, random) }),
  };
}

export interface CaseResult {
  ok: boolean;
  /** Elements compared against the reference (0 means the case checked nothing: a defect). */
  checked: number;
  report: string;
}

/** Sets a case up, runs it and checks it, at its own dims unless others are given. */
export async function runCase(gpu: Gpu, c: KernelCase, seed: number, dims: Dims = c.dims): Promise<CaseResult> {
  const scope = new CaseScope(gpu);
  try {
    const work = c.setup(scope, dims, mulberry32(seed));
    work.run();
    await work.check();
  } catch (error) {
    scope.expect('unexpected error', false, error instanceof Error ? (error.stack ?? error.message) : String(error));
  }
  return scope.finish();
}

/** A table of plain test bodies, for cases beyond the kernel families (the graph runner, examples). */
export function caseTable(): { cases: KernelCase[]; add: (name: string, body: (s: CaseScope, random: () => number) => Promise<void> | void) => void } {
  const cases: KernelCase[] = [];
  return { cases, add: (name, body) => cases.push(testCase(name, body)) };
}

/** Floats on each side of a case's tensor: 256 bytes, WebGPU's storage-binding offset alignment. */
const GUARD_FLOATS = 64;
/**
 * What the guard bands hold: finite, so a stray write computed from another band's values changes
 * them (a NaN band would hand NaN on to a NaN write: 777 floats of SGD writing float 777 did).
 */
const GUARD_VALUE = Math.fround(-12345.678);

export class CaseScope {
  private readonly tensors: Tensor[] = [];
  /** Each tensor, with the whole buffer it sits in: guard bands of GUARD_VALUE before and after it. */
  private readonly guarded = new Map<Tensor, Tensor>();
  readonly comparisons: Comparison[] = [];
  readonly notes: string[] = [];
  /** When set (the inspector), each check's values are kept here. */
  values: { label: string; actual: number[]; expected: number[] }[] | null = null;

  constructor(readonly gpu: Gpu) {}

  /** An input, between guard bands as an output's: kernels that update in place (optimizers) write inputs. */
  input(data: ArrayLike<number>, shape: readonly number[] = [data.length], dtype: DType = 'f32', label = 'input'): Tensor {
    const t = this.guardedTensor(shape, dtype, label);
    t.write(data);
    return t;
  }

  /**
   * An output tensor filled with NaN, so any element the kernel fails to write is caught, between
   * two guard bands that check() reads back too: a write past either end is caught (where WebGPU's
   * bounds checks are off: with them on, such a write is dropped or clamped into the output).
   */
  output(shape: readonly number[], label = 'output'): Tensor {
    const t = this.guardedTensor(shape, 'f32', label);
    t.write(new Float32Array(t.size).fill(NaN));
    return t;
  }

  private guardedTensor(shape: readonly number[], dtype: DType, label: string): Tensor {
    const size = Tensor.sizeOf(shape, label);
    const whole = Tensor.empty(this.gpu, [size + 2 * GUARD_FLOATS], 'f32', `${label} with guard bands`);
    this.tensors.push(whole);
    // The bands alone: the caller writes the tensor itself (a multi-million-element input once, not twice).
    const band = new Float32Array(GUARD_FLOATS).fill(GUARD_VALUE);
    for (const offset of [0, (GUARD_FLOATS + size) * 4]) new Tensor(this.gpu, whole.buffer, [GUARD_FLOATS], 'f32', offset, `${label} guard band`).write(band);
    const t = new Tensor(this.gpu, whole.buffer, shape, dtype, GUARD_FLOATS * 4, label);
    this.guarded.set(t, whole);
    return t;
  }

  /** Frees t with the case's own tensors. */
  own(t: Tensor): Tensor {
    this.tensors.push(t);
    return t;
  }

  async check(label: string, t: Tensor, expected: ArrayLike<number>, atol: number, rtol: number): Promise<void> {
    const whole = this.guarded.get(t);
    let actual: Float32Array | Uint32Array | Int32Array;
    if (whole) {
      const all = (await whole.read()) as Float32Array; // one read: the output and its guard bands
      const inside = all.subarray(GUARD_FLOATS, GUARD_FLOATS + t.size);
      actual = t.dtype === 'f32' ? inside : t.dtype === 'u32' ? new Uint32Array(inside.buffer, inside.byteOffset, t.size) : new Int32Array(inside.buffer, inside.byteOffset, t.size);
      const before = all.subarray(0, GUARD_FLOATS).filter((v) => v !== GUARD_VALUE).length;
      const after = all.subarray(GUARD_FLOATS + t.size).filter((v) => v !== GUARD_VALUE).length;
      if (before || after) this.expect(`${label}: nothing written outside it`, false, `${before} of the ${GUARD_FLOATS} floats before it and ${after} of the ${GUARD_FLOATS} after it were written`);
    } else {
      actual = await t.read();
    }
    this.comparisons.push(compare(label, actual, expected, atol, rtol));
    this.values?.push({ label, actual: Array.from(actual), expected: Array.from(expected) });
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
    // A failing line is marked, so it stands out among the passing ones a report also lists.
    return { ok, checked, report: [...this.comparisons.map((c) => (c.ok ? c.report : `✗ ${c.report}`)), ...this.notes].join('\n') };
  }
}
