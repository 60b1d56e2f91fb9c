// The autotuner: each adapter runs the variant that is fastest on it, found by measuring.
//
// A launcher called without an explicit `variant` asks choose() for one, naming its kernel, layout
// and shape class (each size rounded up to a power of 2) as the key. A key seen before on this
// adapter gets its recorded pick; any other key gets today's default at once (launchers record
// dispatches synchronously). A key is queued for tuning only once it is hot (dispatched 16 times in
// this process): shapes used a few times, such as evaluation batches, never pay for timing. At the
// next point where the caller waits on the GPU anyway (read or sync), the queued keys are tuned on
// scratch tensors of the shape first seen: the default first, then each other candidate, warm-up
// (which compiles it) and one timed run each; a candidate over 2× the best run so far is dropped.
// The rest are timed in up to three interleaved samples of ~8 ms (timestamp queries where the
// adapter has them, else wall clock), and a challenger is out at the first sample in which it fails
// to beat the default by 10%: timing noise never trades a known-good default for a tie. The fastest
// survivor is the pick.
//
// Tuning is bounded per process: 3 s, plus 3% of the time since attach() (a long run may tune more,
// at the same small share of its time), plus the compile in flight. Past it, queued and new keys keep
// the default, unrecorded, until the allowance has grown past the time spent; a later run tunes them. A variant whose
// warm-up alone outlasts the budget (v4 on SwiftShader) stops being a candidate on that adapter. Picks are remembered per adapter
// (vendor, architecture, description) in a TuningStore: IndexedDB in pages, a JSON file in the CLI.
// A missing, stale (other kernel sources) or corrupt cache is rebuilt with a one-line notice, never
// an error. Policy 'fixed' turns the tuner off (defaults everywhere); an explicit `variant` argument
// always wins.
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
  /**
   * Holds other runs' saves off until the returned release is called: a save reads the cache, merges
   * and writes it under the lock, so two runs saving at once keep each other's picks. Optional: a
   * store only this run writes needs none.
   */
  lock?(): Promise<() => Promise<void>>;
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
  /** Set by choose(): the key being tuned (its first word names the kernel). */
  key?: string;
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
  /** Per adapter, variants ('matmul tiled') whose warm-up (compile and one run) took longer than the budget, ms. */
  slow?: Record<string, Record<string, number>>;
}

const FORMAT = 1;
/** A challenger must take under this fraction of the default's time, in every sample. */
const MARGIN = 0.9;
const SAMPLES = 3;
/** A candidate whose single timed run is over this multiple of the best so far is not sampled. */
const DROP = 2;
/** Each timed sample repeats a run until it lasts about this long (at most 32 runs): a 1 ms run timed alone is mostly jitter. */
const SAMPLE_MS = 8;
/** Dispatches of a key in this process before it is worth timing. */
export const HOT_USES = 16;
/** Tuning time per process, ms; past it, untuned keys keep their default for the run. */
export const BUDGET_MS = 3000;
/** Share of the time since attach() added to the budget. */
export const BUDGET_SHARE = 0.03;

/** Thrown inside time() when the budget runs out: the key keeps its default, unrecorded. */
class OutOfTime extends Error {}

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
  /** The keys this process asked about (records also hold the cache's picks for other models). */
  readonly used = new Set<string>();
  /** Dispatches of a key before it is tuned (tests set 1). */
  hotUses = HOT_USES;
  /** Tuning time per process, ms. */
  budgetMs = BUDGET_MS;
  /** Share of the time since attach() added to budgetMs (tests set 0). */
  budgetShare = BUDGET_SHARE;
  private attachedAt = performance.now();
  private budgetNoticed = false;
  /** Time spent tuning (ms) and its dispatches, kept apart from the work it tuned; keys tuned; keys left untuned by the budget. */
  readonly stats = { ms: 0, tuned: 0, deferred: 0, dispatches: 0 };
  readonly notices: string[] = [];
  /** Why the last save of the picks failed; null once one succeeds (or none was tried). */
  saveError: string | null = null;
  /** Prints each notice as it is kept (the tuner's own test cases, whose notices are expected, silence it). */
  print: (line: string) => void = (line) => console.info(line);
  private readonly pending = new Map<string, TuningJob>();
  /** Dispatches so far of each key not yet tuned. */
  private readonly uses = new Map<string, number>();
  /** Keys the budget left untuned: the default until the allowance has grown past the time spent. */
  private readonly deferred = new Set<string>();
  /** Tuning time (ms) against the budget since attach(). */
  private spent = 0;
  /**
   * Variants of a kernel ('matmul tiled') whose warm-up alone outlasted the budget on this adapter
   * (SwiftShader compiles v4 in about 4 s): not candidates any more, since every run would pay it.
   */
  readonly slow: Record<string, number> = {};
  /** Keys whose cached pick was found among their candidates (checked once per key: choose() is hot). */
  private readonly checked = new Set<string>();
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
    // Without bounds checks the variants' relative speeds differ (SwiftShader's loads are cheaper): picks apart.
    return `${a.vendor}|${a.architecture}|${a.description}${this.gpu.boundsChecks === false ? '|no bounds checks' : ''}`;
  }

  /** Uses `store` for this adapter's picks from now on, loading what it holds. */
  async attach(store: TuningStore | null): Promise<void> {
    this.store = store;
    this.records.clear();
    this.used.clear();
    this.checked.clear();
    this.pending.clear();
    this.uses.clear();
    this.deferred.clear();
    this.spent = 0;
    this.attachedAt = performance.now();
    this.budgetNoticed = false;
    this.saveError = null;
    for (const v of Object.keys(this.slow)) delete this.slow[v];
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
    Object.assign(this.slow, parsed.slow?.[this.adapterKey] ?? {});
  }

  /**
   * The variant to run for `key`: a recorded pick, else the default; a key's hotUses-th dispatch
   * queues it for tuning (job() is called only then), unless the budget is spent.
   */
  choose<V extends string>(key: string, fallback: V, job: () => TuningJob): V {
    if (this.policy === 'fixed' || this.running) return fallback;
    this.used.add(key);
    let known = this.records.get(key);
    if (known && !this.checked.has(key)) {
      // A hand-edited or stale pick would fail in the launcher, naming an argument the caller never gave.
      if (!job().candidates.includes(known.pick)) {
        this.notice(`tuning cache: '${known.pick}' is not a variant of ${key}; timing it again`);
        this.records.delete(key);
        known = undefined;
      } else {
        this.checked.add(key);
      }
    }
    if (known) return known.pick as V;
    if (this.pending.has(key)) return fallback;
    if (this.deferred.has(key)) {
      if (this.spent >= this.allowance()) return fallback;
      this.deferred.delete(key); // the allowance has grown: its next hot use queues it again
      this.uses.delete(key);
    }
    const uses = (this.uses.get(key) ?? 0) + 1;
    this.uses.set(key, uses);
    if (uses < this.hotUses) return fallback;
    if (this.spent >= this.allowance()) this.defer(key);
    else this.pending.set(key, { ...job(), key });
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
    let started = performance.now();
    const dispatchesBefore = this.gpu.stats.dispatches;
    let tuned = 0;
    const slowBefore = Object.keys(this.slow).length;
    try {
      // The caller's queued work first, and off the tuner's clock: a training loop that reads back
      // every 16 steps may have seconds of its own steps in flight (MNIST on SwiftShader: ~10 s),
      // which would count as tuning, eat the budget before any key is timed, and leave the epoch's
      // reported training time short by as much.
      await this.drain();
      started = performance.now();
      const deadline = started + this.allowance() - this.spent;
      for (const [key, job] of [...this.pending]) {
        this.pending.delete(key);
        if (performance.now() > deadline) {
          this.defer(key);
          continue;
        }
        try {
          this.records.set(key, await this.time(job, deadline));
          this.uses.delete(key);
          tuned++;
        } catch (error) {
          if (!(error instanceof OutOfTime)) throw error;
          this.defer(key);
        }
      }
      this.stats.tuned += tuned;
      if (tuned || Object.keys(this.slow).length > slowBefore) await this.save();
    } finally {
      this.running = false;
      this.stats.ms += performance.now() - started;
      this.spent += performance.now() - started;
      this.stats.dispatches += this.gpu.stats.dispatches - dispatchesBefore;
    }
  }

  /**
   * Times one job's candidates, the default first; the pick is the fastest that beat the default by
   * 10% in every sample. Throws OutOfTime past `deadline` (performance.now() ms).
   */
  async time(job: TuningJob, deadline = Infinity): Promise<TuningRecord> {
    const scratch = job.prepare();
    const inTime = () => {
      if (performance.now() > deadline) throw new OutOfTime();
    };
    try {
      const base = job.candidates.includes(job.fallback) ? job.fallback : job.candidates[0]!;
      const family = (v: string) => `${(job.key ?? '').split(' ')[0]} ${v}`;
      // Only a budgeted run (not the inspector's) skips, or marks, variants too slow to warm up.
      const budgeted = deadline !== Infinity;
      const ms: Record<string, number> = {};
      let best = Infinity;
      for (const v of [base, ...job.candidates.filter((c) => c !== base && !(budgeted && this.slow[family(c)] !== undefined))]) {
        const warming = performance.now();
        scratch.run(v); // compiles
        await this.drain();
        const warmMs = performance.now() - warming;
        if (budgeted && v !== base && warmMs > this.budgetMs) {
          this.slow[family(v)] = Math.round(warmMs);
          inTime();
          continue;
        }
        inTime();
        ms[v] = await this.measure(() => scratch.run(v), 1);
        best = Math.min(best, ms[v]!);
        inTime();
      }
      // Clearly slower (over 2× the best single run): not sampled; it keeps that one time.
      let challengers = job.candidates.filter((v) => v !== base && ms[v] !== undefined && ms[v]! <= DROP * best);
      const reps = (v: string) => Math.max(1, Math.min(32, Math.round(SAMPLE_MS / Math.max(ms[v]!, 1e-3))));
      const samples: Record<string, number[]> = Object.fromEntries([base, ...challengers].map((v) => [v, []]));
      // Paired, interleaved samples: a challenger that fails to beat the default's sample by 10% is
      // out at once, so a stall of a loaded machine in one sample cannot hand it the pick.
      // The order alternates: whichever runs first after a pause may pay for waking the adapter up.
      for (let sample = 0; sample < SAMPLES && challengers.length; sample++) {
        const order = sample % 2 === 0 ? [base, ...challengers] : [...challengers, base];
        for (const v of order) samples[v]!.push(await this.measure(() => scratch.run(v), reps(v)));
        const baseMs = samples[base]!.at(-1)!;
        challengers = challengers.filter((v) => samples[v]!.at(-1)! < baseMs * MARGIN);
        inTime();
      }
      for (const [v, times] of Object.entries(samples)) if (times.length) ms[v] = Math.min(...times);
      let pick = base;
      for (const v of challengers) if (ms[v]! < ms[pick]!) pick = v;
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

  /** Tuning time allowed so far (ms): the budget plus a share of the time since attach(). */
  private allowance(): number {
    return this.budgetMs + this.budgetShare * (performance.now() - this.attachedAt);
  }

  /** Leaves `key` on its default until the allowance grows, with one notice for the run. */
  private defer(key: string): void {
    if (this.deferred.has(key)) return;
    this.deferred.add(key);
    this.stats.deferred++;
    if (!this.budgetNoticed) this.notice(`tuning budget (${(this.budgetMs / 1000).toFixed(0)} s + ${Math.round(this.budgetShare * 100)}% of the run) spent; kernel shapes not yet tuned keep their default until the run has gone on long enough, or a later run tunes them`);
    this.budgetNoticed = true;
  }

  private async drain(): Promise<void> {
    this.gpu.flush();
    await this.gpu.device.queue.onSubmittedWorkDone();
    this.gpu.check();
  }

  private async save(): Promise<void> {
    let release: (() => Promise<void>) | null = null;
    try {
      // Read, merge and write under the store's lock: another run's save between our read and our
      // write would otherwise be overwritten.
      release = (await this.store?.lock?.()) ?? null;
      await this.mergeSaved();
      this.file.adapters[this.adapterKey] = Object.fromEntries(this.records);
      if (Object.keys(this.slow).length) (this.file.slow ??= {})[this.adapterKey] = { ...this.slow };
      if (!this.store) return;
      await this.store.save(JSON.stringify(this.file, null, 1));
      this.saveError = null;
    } catch (error) {
      this.saveError = error instanceof Error ? error.message : String(error);
      this.notice(`tuning cache not saved (${this.saveError})`);
    } finally {
      await release?.();
    }
  }

  /**
   * Picks another process saved since this one loaded the cache (two runs at once): kept, so the
   * last writer does not drop them; this process's own picks win on a key both timed. A cache that
   * is unreadable or made for other sources now is left to be overwritten, as at load.
   */
  private async mergeSaved(): Promise<void> {
    let saved: unknown;
    try {
      const text = this.store ? await this.store.load() : null;
      saved = text === null ? null : JSON.parse(text);
    } catch {
      return;
    }
    if (!isTuningFile(saved) || saved.format !== FORMAT || saved.sources !== this.sources) return;
    for (const [adapter, records] of Object.entries(saved.adapters)) {
      if (adapter !== this.adapterKey) this.file.adapters[adapter] = { ...records, ...this.file.adapters[adapter] };
    }
    for (const [key, record] of Object.entries(saved.adapters[this.adapterKey] ?? {})) if (!this.records.has(key)) this.records.set(key, record);
    for (const [adapter, slow] of Object.entries(saved.slow ?? {})) (this.file.slow ??= {})[adapter] = { ...slow, ...this.file.slow?.[adapter] };
    Object.assign(this.slow, { ...saved.slow?.[this.adapterKey], ...this.slow });
  }

  private notice(text: string): void {
    const line = `wgslgrad: ${text} (adapter ${this.gpu.adapter.vendor} ${this.gpu.adapter.architecture})`;
    if (this.notices.includes(line)) return; // an unwritable cache fails each save the same way: said once
    this.notices.push(line);
    this.print(line);
  }
}

function isTuningFile(v: unknown): v is TuningFile {
  if (typeof v !== 'object' || v === null) return false;
  const f = v as Partial<TuningFile>;
  if (typeof f.format !== 'number' || typeof f.sources !== 'string' || typeof f.adapters !== 'object' || f.adapters === null) return false;
  if (f.slow !== undefined && (typeof f.slow !== 'object' || f.slow === null)) return false;
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
