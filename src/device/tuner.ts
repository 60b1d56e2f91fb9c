// The autotuner: each adapter runs the variant that is fastest on it, found by measuring.
//
// A launcher called without an explicit `variant` asks choose() for one, naming its kernel, layout
// and shape class (each size rounded up to a power of 2) as the key. A key seen before on this
// adapter gets its recorded pick; a new key gets today's default at once (launchers record dispatches
// synchronously) and is queued. At the next point where the caller waits on the GPU anyway (read or
// sync), the queued keys are tuned: the queue is drained, each candidate variant runs on scratch
// tensors of the first shape seen (warm-up first, which compiles it) and is timed once; those within
// 3× of the best are then timed in three interleaved samples — with timestamp queries where the
// adapter has them, else wall clock — and the fastest becomes the pick, if it beat the default by
// 10% in every sample: timing noise never trades a known-good default for a tie.
//
// Picks are remembered per adapter (vendor, architecture, description) in a TuningStore: IndexedDB in
// pages, a JSON file in the CLI. A missing, stale (other kernel sources) or corrupt cache is rebuilt
// with a one-line notice, never an error. Policy 'fixed' turns the tuner off (defaults everywhere);
// an explicit `variant` argument always wins.
import type { Gpu } from './gpu';
import { shaderNames, shaderSource } from './shader-sources';

/** A hash of every kernel source: picks made for other kernels are stale. */
export const KERNEL_SOURCES_HASH = hashText(shaderNames.map(shaderSource).join('\n'));

export type VariantPolicy = 'fixed' | 'tuned';
export const VARIANT_POLICIES: readonly VariantPolicy[] = ['fixed', 'tuned'];

export interface TuningStore {
  /** The cache's text, or null when there is none. */
  load(): Promise<string | null>;
  save(text: string): Promise<void>;
}

export interface TuningRecord {
  /** The shape that was timed, e.g. '8×512×256'. */
  shape: string;
  pick: string;
  /** Milliseconds per run, per candidate. */
  ms: Record<string, number>;
}

/** What the tuner needs to time one key: its candidates and scratch inputs to run them on. */
export interface TuningJob {
  shape: string;
  /** Today's default, kept unless another candidate is 10% faster. */
  fallback: string;
  candidates: readonly string[];
  /** Allocates scratch tensors; run(v) records variant v's dispatches; destroy() frees them. */
  prepare(): { run(variant: string): void; destroy(): void };
}

interface TuningFile {
  format: number;
  /** A hash of every kernel source: other kernels make the timings stale. */
  sources: string;
  adapters: Record<string, Record<string, TuningRecord>>;
}

const FORMAT = 1;
const MARGIN = 0.9;
const SAMPLES = 3;
/** Each timed sample repeats a run until it lasts about this long (at most 32 runs). */
const SAMPLE_MS = 2;

/** Size class of a dimension: the next power of 2. */
export const sizeClass = (d: number): number => 2 ** Math.ceil(Math.log2(Math.max(1, d)));

export function hashText(text: string): string {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0).toString(16).padStart(8, '0');
}

export class Tuner {
  policy: VariantPolicy = 'tuned';
  /** This adapter's picks, by key. */
  readonly records = new Map<string, TuningRecord>();
  /** Time spent tuning (ms), kept apart from the work it tuned. */
  readonly stats = { ms: 0, tuned: 0 };
  readonly notices: string[] = [];
  private readonly pending = new Map<string, TuningJob>();
  private store: TuningStore | null = null;
  private file: TuningFile;
  private running = false;

  constructor(
    private readonly gpu: Gpu,
    /** A hash of the kernel sources the picks are for. */
    private readonly sources: string,
  ) {
    this.file = { format: FORMAT, sources, adapters: {} };
  }

  get adapterKey(): string {
    const a = this.gpu.adapter;
    return `${a.vendor}|${a.architecture}|${a.description}`;
  }

  /** Uses `store` for this adapter's picks from now on, loading what it holds. */
  async attach(store: TuningStore | null): Promise<void> {
    this.store = store;
    this.records.clear();
    this.file = { format: FORMAT, sources: this.sources, adapters: {} };
    if (!store) return;
    let text: string | null;
    try {
      text = await store.load();
    } catch (error) {
      return this.notice(`tuning cache unreadable (${error instanceof Error ? error.message : String(error)}); rebuilding it`);
    }
    if (text === null) return this.notice(`no tuning cache yet; each kernel's variants are timed on first use`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.notice('tuning cache is corrupt (not JSON); rebuilding it');
    }
    if (!isTuningFile(parsed)) return this.notice('tuning cache is corrupt (unexpected contents); rebuilding it');
    if (parsed.format !== FORMAT || parsed.sources !== this.sources) return this.notice('tuning cache was made for other kernel sources; rebuilding it');
    this.file = parsed;
    for (const [key, record] of Object.entries(parsed.adapters[this.adapterKey] ?? {})) this.records.set(key, record);
  }

  /**
   * The variant to run for `key`: an explicit choice wins, then a recorded pick; otherwise the
   * default, and the key is queued for tuning (job() is called only then).
   */
  choose<V extends string>(key: string, fallback: V, job: () => TuningJob): V {
    if (this.policy === 'fixed' || this.running) return fallback;
    const known = this.records.get(key);
    if (known) return known.pick as V;
    if (!this.pending.has(key)) this.pending.set(key, job());
    return fallback;
  }

  /** The keys queued for tuning at the next read or sync. */
  get pendingKeys(): string[] {
    return [...this.pending.keys()];
  }

  get hasPending(): boolean {
    return this.pending.size > 0 && !this.running;
  }

  /** Times every queued key now (the GPU's queue drained first), records and saves the picks. */
  async tunePending(): Promise<void> {
    if (!this.hasPending) return;
    this.running = true;
    const started = performance.now();
    try {
      await this.drain();
      for (const [key, job] of [...this.pending]) {
        this.records.set(key, await this.time(job));
        this.pending.delete(key);
        this.stats.tuned++;
      }
      await this.save();
    } finally {
      this.running = false;
      this.stats.ms += performance.now() - started;
    }
  }

  /** Times one job's candidates; the pick is the fastest that beat the job's fallback by 10% in every sample. */
  async time(job: TuningJob): Promise<TuningRecord> {
    const scratch = job.prepare();
    try {
      const base = job.candidates.includes(job.fallback) ? job.fallback : job.candidates[0]!;
      const ms: Record<string, number> = {};
      for (const v of job.candidates) {
        scratch.run(v); // compiles
        await this.drain();
        ms[v] = await this.measure(() => scratch.run(v), 1);
      }
      // A variant 3× slower than the best single run cannot win; it keeps that one time.
      const best = Math.min(...Object.values(ms));
      const contenders = job.candidates.filter((v) => v === base || ms[v]! <= 3 * best);
      const reps = Object.fromEntries(contenders.map((v) => [v, Math.max(1, Math.min(32, Math.round(SAMPLE_MS / Math.max(ms[v]!, 1e-3))))]));
      const samples: Record<string, number[]> = Object.fromEntries(contenders.map((v) => [v, []]));
      for (let sample = 0; sample < SAMPLES; sample++) {
        for (const v of contenders) samples[v]!.push(await this.measure(() => scratch.run(v), reps[v]!));
      }
      for (const v of contenders) ms[v] = Math.min(...samples[v]!);
      // A challenger must beat the default by 10% in every sample (paired, interleaved): a stall of
      // a loaded machine in one sample cannot hand it the pick.
      const beats = (v: string) => samples[v]!.every((t, i) => t < samples[base]![i]! * MARGIN);
      let pick = base;
      for (const v of contenders) if (v !== base && beats(v) && ms[v]! < ms[pick]!) pick = v;
      return { shape: job.shape, pick, ms };
    } finally {
      scratch.destroy();
    }
  }

  /** Milliseconds per run of `run`, repeated `reps` times in one submission. */
  private async measure(run: () => void, reps: number): Promise<number> {
    if (this.gpu.hasTimestamps) return (await this.gpu.timeDispatches(() => { for (let i = 0; i < reps; i++) run(); })) / reps;
    await this.drain();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) run();
    await this.drain();
    return (performance.now() - t0) / reps;
  }

  private async drain(): Promise<void> {
    this.gpu.flush();
    await this.gpu.device.queue.onSubmittedWorkDone();
    this.gpu.check();
  }

  private async save(): Promise<void> {
    this.file.adapters[this.adapterKey] = Object.fromEntries(this.records);
    if (!this.store) return;
    try {
      await this.store.save(JSON.stringify(this.file, null, 1));
    } catch (error) {
      this.notice(`tuning cache not saved (${error instanceof Error ? error.message : String(error)})`);
    }
  }

  private notice(text: string): void {
    const line = `wgslgrad: ${text} (adapter ${this.gpu.adapter.vendor} ${this.gpu.adapter.architecture})`;
    this.notices.push(line);
    console.info(line);
  }
}

function isTuningFile(v: unknown): v is TuningFile {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Partial<TuningFile>;
  if (typeof f.format !== 'number' || typeof f.sources !== 'string' || typeof f.adapters !== 'object' || f.adapters === null) return false;
  return Object.values(f.adapters).every(
    (records) => typeof records === 'object' && records !== null && Object.values(records).every((r: Partial<TuningRecord>) => typeof r?.pick === 'string' && typeof r.shape === 'string' && typeof r.ms === 'object' && r.ms !== null),
  );
}

/** Picks in IndexedDB (database 'wgslgrad', store 'tuning'), for pages. */
export function indexedDbStore(): TuningStore | null {
  if (typeof indexedDB === 'undefined') return null;
  const open = () =>
    new Promise<IDBDatabase>((resolve, reject) => {
      const request = indexedDB.open('wgslgrad', 1);
      request.onupgradeneeded = () => request.result.createObjectStore('tuning');
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB open failed'));
    });
  const run = async <T>(mode: IDBTransactionMode, body: (s: IDBObjectStore) => IDBRequest): Promise<T> => {
    const db = await open();
    try {
      return await new Promise<T>((resolve, reject) => {
        const request = body(db.transaction('tuning', mode).objectStore('tuning'));
        request.onsuccess = () => resolve(request.result as T);
        request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
      });
    } finally {
      db.close();
    }
  };
  return {
    load: async () => (await run<string | undefined>('readonly', (s) => s.get('picks'))) ?? null,
    save: async (text) => void (await run('readwrite', (s) => s.put(text, 'picks'))),
  };
}
