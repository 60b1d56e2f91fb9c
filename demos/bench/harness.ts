// What every contender in the bench shares: the report's types, the timing protocol and the checks.
// One clock for all: each timed run is the wall clock from the call that records or enqueues the
// work to the moment the library says it is done (WebGPU: onSubmittedWorkDone, or a read of the
// result where the library offers no other public wait; wasm: the call returning, or the result
// being ready). Our GPU timestamp-query figure is an extra column, never the headline.
import type { TuningRecord } from '../../src/device/tuner';
import { mulberry32 } from '../../src/random';

export interface Timing {
  median: number;
  p10: number;
  p90: number;
  samples: number;
}

/** Who ran a row: ours, or a peer library on one of its backends. */
export type Contender = 'wgslgrad' | 'tfjs-webgpu' | 'tfjs-wasm' | 'jax-webgpu' | 'jax-wasm';
export const PEERS: Contender[] = ['tfjs-webgpu', 'tfjs-wasm', 'jax-webgpu', 'jax-wasm'];

export interface BenchRow {
  /** The kernel family (src/kernels/<family>.ts), or 'training step'. */
  kernel: string;
  /** Ours: the spec case timed. */
  case?: string;
  contender: Contender;
  /** Ours: the kernel variant ('v3 vec4'), or 'auto' (none named: the autotuner picks); a peer: its contender name. */
  variant: string;
  /** Ours, variant 'auto': the variant the engine ran, as the autotuner picked it before the timed runs. */
  pick?: string;
  size: string;
  /** Work per run: floating-point operations (GFLOP/s) or bytes moved (GB/s). */
  flop?: number;
  bytes?: number;
  /** Whether the output matched the float64 reference before timing, and the max |error| seen. */
  checked: boolean;
  maxError: number;
  /** First run (pipeline compile included) minus the median run, ms. */
  compileMs: number;
  /** Wall clock per run, the same clock for every contender. */
  timing: Timing;
  /** Ours where the adapter has timestamp queries: GPU time of the same dispatches. */
  gpuTiming?: Timing;
  rate: string;
  dispatchesPerStep?: number;
  /** The training step's wall time split (medians, ms): recording the dispatches, submitting them, waiting for the GPU. */
  stepSplit?: { record: number; submit: number; wait: number };
}

export interface BenchMeta {
  /** Filled by scripts/bench.ts (the page cannot see git or the machine). */
  commit?: string;
  dirty?: boolean;
  machine?: { platform: string; cpus: number; cpuModel: string; memoryGiB: number; node: string };
  browser: string;
  date: string;
  quick: boolean;
  protocol: Protocol;
  crossOriginIsolated: boolean;
}

export interface BenchReport {
  schema: 2;
  meta: BenchMeta;
  adapter: { vendor: string; architecture: string; description: string; isFallbackAdapter: boolean };
  /** The families whose spec has a bench plan. */
  benchedFamilies: string[];
  timestamps: { available: boolean; quantised: boolean | null };
  rows: BenchRow[];
  /** Each peer: whether it ran, and why not. */
  peers: { contender: Contender; ok: boolean; error?: string; version?: string }[];
  /** Sizes not measured, and why. */
  skipped: string[];
  /** The autotuner's picks on this adapter (made before the timed runs) and its time, ms; absent in older reports. */
  tuning?: { ms: number; picks: Record<string, TuningRecord> };
}

/** A row's variant as the tables print it: 'auto: v3 vec4' for the engine's own pick. */
export const variantText = (r: BenchRow): string => (r.variant === 'auto' ? `auto: ${r.pick ?? '?'}` : r.variant);

/**
 * Where a family times more than the peers' workload, the cases that are that workload: the peers'
 * activation rows are sigmoid's forward, and ReLU's and the backward passes, at the same sizes, are
 * ours only.
 */
const PEER_WORKLOAD_CASES: Record<string, RegExp> = { activation: /^sigmoid forward / };

/**
 * Our rows that stand beside the peers' (the tables' ratios and the page's charts): only the cases
 * that are the peers' workload; where a workload and size has an 'auto' row, the engine's own pick,
 * that row alone; elsewhere every variant's, of which the reader takes the fastest checked (reports
 * from before the 'auto' rows).
 */
export function oursBesidePeers(rows: readonly BenchRow[]): BenchRow[] {
  const ours = rows.filter((r) => r.contender === 'wgslgrad' && (r.case === undefined || (PEER_WORKLOAD_CASES[r.kernel]?.test(r.case) ?? true)));
  const auto = new Set(ours.filter((r) => r.variant === 'auto').map((r) => `${r.kernel}|${r.size}`));
  return ours.filter((r) => r.variant === 'auto' || !auto.has(`${r.kernel}|${r.size}`));
}

/** Warm-up runs and timed runs, the same for every contender on every row. */
export interface Protocol {
  warmup: number;
  samples: number;
  /** A contender whose first warm run (the one after the compile) takes longer than this (ms) gets `slowSamples` timed runs and no more warm-up. */
  slowMs: number;
  slowSamples: number;
}

export const FULL: Protocol = { warmup: 3, samples: 20, slowMs: 1000, slowSamples: 3 };
export const QUICK: Protocol = { warmup: 1, samples: 3, slowMs: 1000, slowSamples: 3 };

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

/** Whether GPU times (ms) all sit on a timer's rounding steps: Chrome's 100 µs, or Dawn's default 2¹⁶ ns. */
export function looksQuantised(times: number[]): boolean {
  const onSteps = (step: number) => times.every((t) => Math.abs(t / step - Math.round(t / step)) < 1e-6);
  return times.length > 0 && (onSteps(0.1) || onSteps(0.065536));
}

export function summarise(times: number[]): Timing {
  const sorted = [...times].sort((a, b) => a - b);
  return { median: percentile(sorted, 0.5), p10: percentile(sorted, 0.1), p90: percentile(sorted, 0.9), samples: sorted.length };
}

export function rate(row: Pick<BenchRow, 'flop' | 'bytes'>, ms: number): string {
  if (row.flop) return `${(row.flop / ms / 1e6).toFixed(2)} GFLOP/s`;
  if (row.bytes) return `${(row.bytes / ms / 1e6).toFixed(2)} GB/s`;
  return '';
}

/** A check's verdict: the worst |error| and whether it is within tolerance. */
export interface Verdict {
  maxError: number;
  ok: boolean;
}

/** max |actual − expected| (NaN counts as infinite), and ok when every element is within atol + rtol·|expected|. */
export function compare(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol = 0): Verdict {
  if (actual.length !== expected.length) return { maxError: Infinity, ok: false };
  let maxError = 0;
  let ok = true;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.abs(actual[i]! - expected[i]!);
    const err = Number.isNaN(e) ? Infinity : e;
    maxError = Math.max(maxError, err);
    if (!(err <= atol + rtol * Math.abs(expected[i]!))) ok = false;
  }
  return { maxError, ok };
}

/** Several checks as one: the worst error, ok only if all are. */
export function allOf(...verdicts: Verdict[]): Verdict {
  return { maxError: Math.max(0, ...verdicts.map((v) => v.maxError)), ok: verdicts.every((v) => v.ok) };
}

/**
 * One row for one contender: run once (compile included), check that run's result, warm up (the
 * first warm run decides whether the row is slow), then time `protocol.samples` runs one by one. `once` does one run and resolves when it is done.
 */
export async function measure(protocol: Protocol, once: () => Promise<void>, check: () => Promise<Verdict>): Promise<{ verdict: Verdict; timing: Timing; compileMs: number }> {
  const clock = async () => {
    const t = performance.now();
    await once();
    return performance.now() - t;
  };
  const firstMs = await clock();
  const verdict = await check();
  // Slow or not is decided by a warm run: the first includes the pipeline's compile, which on a
  // software adapter can pass a second for a kernel whose runs take a millisecond.
  const slow = (await clock()) > protocol.slowMs;
  for (let i = 1; i < (slow ? 0 : protocol.warmup); i++) await clock();
  const times: number[] = [];
  for (let i = 0, n = slow ? protocol.slowSamples : protocol.samples; i < n; i++) times.push(await clock());
  const timing = summarise(times);
  return { verdict, timing, compileMs: Math.max(0, firstMs - timing.median) };
}

export function randomArray(n: number, seed: number, lo = -1, hi = 1): Float32Array {
  const r = mulberry32(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

/** Collects rows and tells the page what it measured. */
export class RowSink {
  readonly rows: BenchRow[] = [];
  readonly skipped: string[] = [];
  constructor(
    readonly protocol: Protocol,
    private readonly log?: (line: string) => void,
    /** Aborting it stops the run before its next measurement. */
    private readonly signal?: AbortSignal,
  ) {}

  add(row: Omit<BenchRow, 'rate'>): BenchRow {
    const full: BenchRow = { ...row, rate: rate(row, row.timing.median) };
    this.rows.push(full);
    this.log?.(`${row.checked ? '' : 'MISMATCH '}${row.kernel} ${row.variant} ${row.size}${row.case ? ` (${row.case})` : ''}: ${row.timing.median.toFixed(3)} ms ${full.rate}`);
    return full;
  }

  /** Measures a row with `measure` and records it. */
  async time(row: Omit<BenchRow, 'rate' | 'timing' | 'checked' | 'maxError' | 'compileMs'>, once: () => Promise<void>, check: () => Promise<Verdict>): Promise<BenchRow> {
    this.signal?.throwIfAborted();
    const { verdict, timing, compileMs } = await measure(this.protocol, once, check);
    return this.add({ ...row, checked: verdict.ok, maxError: verdict.maxError, compileMs, timing });
  }
}
