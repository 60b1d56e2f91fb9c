// Every kernel family's spec (src/kernels/<family>.ts), run in headless Chrome by
// tests/kernels.test.ts, and the device layer's own cases: every shader compiles, every shader has a
// family, and dispatch arguments are checked against the reflected bindings.
import { loadShader } from '../src/device/shader';
import { families, orphanShaders } from '../src/spec/families';
import { rng, uniform } from '../src/spec/random';
import { BUDGET_MS, BUDGET_SHARE, HOT_USES, KERNEL_SOURCES_HASH, type TuningStore } from '../src/device/tuner';
import { matmul, matmulTuningKey } from '../src/kernels/matmul';
import { sumRows } from '../src/kernels/reduce';
import * as bnRef from '../src/reference/batchnorm';
import * as ref from '../src/reference/linalg';
import { caseTable, type CaseScope, type KernelCase } from '../src/spec/scope';

const { cases, add } = caseTable();

add('every shader compiles', async (s) => {
  for (const { shader } of families) {
    let message = 'compiled';
    try {
      await s.gpu.compile(shader);
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    s.expect(shader.name, message === 'compiled', message);
  }
});

add('every shader has a family file, and every 1-D entry point sizes its grid from WORKGROUP_SIZE', (s) => {
  s.expect('shaders without src/kernels/<name>.ts', orphanShaders.length === 0, orphanShaders.join(', ') || 'none');
  for (const { shader } of families) {
    for (const entry of shader.entries.values()) {
      const [x, y, z] = entry.workgroupSize;
      if (y !== 1 || z !== 1 || x === 1) continue;
      s.expect(`${shader.name}.${entry.name}`, shader.overrides.get('WORKGROUP_SIZE') === 'u32' && !/\* *64u/.test(shader.source), `workgroup ${x}, override WORKGROUP_SIZE ${shader.overrides.has('WORKGROUP_SIZE') ? 'declared' : 'missing'}`);
    }
  }
});

add('dispatch arguments are checked against the reflected bindings', (s) => {
  const gpu = s.gpu;
  const entry = loadShader('activation').entry('sigmoid_forward');
  const x = s.input(uniform(rng(8), 5));
  const y = s.output([5]);
  const u = s.input([1, 2, 3, 4, 5], [5], 'u32');
  s.expectError('missing binding', () => gpu.dispatch(entry, { params: { n: 5 }, x }, [1]), /activation\.sigmoid_forward: missing argument 'y'/);
  s.expectError('extra binding', () => gpu.dispatch(entry, { params: { n: 5 }, x, y, z: y }, [1]), /unexpected argument 'z'/);
  s.expectError('wrong element type', () => gpu.dispatch(entry, { params: { n: 5 }, x: u, y }, [1]), /argument 'x' expected dtype f32, got u32/);
  s.expectError('unknown uniform member', () => gpu.dispatch(entry, { params: { n: 5, m: 1 }, x, y }, [1]), /uniform 'params' has no member 'm'/);
  s.expectError('uniform member not an integer', () => gpu.dispatch(entry, { params: { n: 2.5 }, x, y }, [1]), /member 'n' \(u32\) expected an integer/);
  s.expectError('writable overlap', () => gpu.dispatch(entry, { params: { n: 5 }, x: y, y }, [1]), /arguments 'x' and 'y' overlap/);
  s.expectError('unknown override', () => gpu.dispatch(entry, { params: { n: 5 }, x, y }, [1], { FAST: true }), /has no override 'FAST'/);
  s.expectError('grid too large', () => gpu.dispatch(entry, { params: { n: 5 }, x, y }, [70000]), /workgroup grid \[70000, 1, 1\] is outside/);
  s.expectError('zero-sized dimension', () => s.output([0, 3], 'x'), /tensor 'x': every dimension must be a positive integer, got shape \[0, 3\]/);
});

// The tree reductions take their channel or column block from a 2-D grid, as the launchers lay out
// more than 65,535 workgroups. Real grids that large take minutes on SwiftShader (each barrier is a
// coroutine switch), so this case dispatches the entry points on a small grid folded into 2-D.
add('tree reductions index a 2-D grid (as past 65,535 workgroups)', async (s, random) => {
  const [N, C] = [3, 100];
  const x = uniform(random, N * C, -3, 3);
  const spec: bnRef.BatchNormSpec = { N, C, S: 1, eps: 1e-5, momentum: 0.1, training: true, gamma: [], beta: [], runningMean: new Float64Array(C), runningVar: new Float64Array(C).fill(1) };
  const [mean, invstd] = [s.output([C], 'mean'), s.output([C], 'invstd')];
  const [runningMean, runningVar] = [s.input(spec.runningMean), s.input(spec.runningVar)];
  const xt = s.input(x, [N, C]);
  // 7 × 15 = 105 workgroups for 100 channels: channel = wid.x + 7 · wid.y.
  s.gpu.dispatch(loadShader('batchnorm').entry('batchnorm_stats_tree'), { params: { N, C, S: 1, eps: spec.eps, momentum: spec.momentum }, x: xt, mean, invstd, running_mean: runningMean, running_var: runningVar }, [7, 15]);
  const fwd = bnRef.batchNorm(x, { ...spec, gamma: new Float64Array(C).fill(1), beta: new Float64Array(C) });
  await s.check('mean', mean, fwd.mean, 1e-5, 1e-5);
  await s.check('invstd', invstd, fwd.invstd, 1e-5, 1e-4);
  // The backward's per-channel sums on the same folded grid, from the statistics just checked.
  const dy = uniform(random, N * C);
  const [sums, dgamma, dbeta] = [s.output([2 * C], 'sums'), s.input(new Float64Array(C)), s.input(new Float64Array(C))];
  s.gpu.dispatch(loadShader('batchnorm').entry('batchnorm_backward_reduce_tree'), { params: { N, C, S: 1, eps: spec.eps, momentum: spec.momentum }, x: xt, mean, invstd, dy: s.input(dy, [N, C]), sums, dgamma, dbeta }, [7, 15]);
  const bwd = bnRef.batchNormBackward(x, dy, { ...spec, gamma: new Float64Array(C).fill(1), beta: new Float64Array(C) });
  await s.check('dgamma (Σ dy·x̂)', dgamma, bwd.dgamma, 1e-5, 1e-4);
  await s.check('dbeta (Σ dy)', dbeta, bwd.dbeta, 1e-5, 1e-4);
  // 3 × 2 workgroups of 32 columns for 161 columns.
  const [M, cols] = [9, 161];
  const y = uniform(random, M * cols);
  const out = s.output([cols]);
  s.gpu.dispatch(loadShader('reduce').entry('sum_rows_tree'), { params: { M, N: cols, chunk_rows: M, alpha: 1 }, x: s.input(y, [M, cols]), out }, [3, 2]);
  await s.check('column sums', out, ref.sumRows(y, M, cols), 1e-5, 1e-5);
});

// ── the tuner ────────────────────────────────────────────────────────────────────────────────────
/** A store in memory, counting saves. */
function memoryStore(text: string | null): TuningStore & { text: string | null; saves: number } {
  const store = { text, saves: 0, load: async () => store.text, save: async (t: string) => { store.text = t; store.saves++; } };
  return store;
}

/** Runs body with the harness's device switched to the tuned policy on `store`, then back to fixed. */
async function withTuner(s: CaseScope, store: TuningStore | null, body: () => Promise<void>): Promise<void> {
  const tuner = s.gpu.tuner;
  tuner.policy = 'tuned';
  tuner.notices.length = 0;
  tuner.hotUses = 1; // tuned on first use
  tuner.budgetMs = Infinity; // SwiftShader compiles v4 in seconds
  const print = tuner.print;
  tuner.print = () => {}; // the notices these cases provoke ("unreadable (disk on fire)") are checked, not shown
  try {
    await tuner.attach(store);
    await body();
  } finally {
    tuner.policy = 'fixed';
    tuner.hotUses = HOT_USES;
    tuner.budgetMs = BUDGET_MS;
    tuner.budgetShare = BUDGET_SHARE;
    await tuner.attach(null);
    tuner.print = print;
  }
}

add('tuner: times every candidate on first use, keeps the pick, saves and reloads it', async (s, random) => {
  const store = memoryStore(null);
  const [M, N, K] = [8, 12, 16];
  const a = s.input(uniform(random, M * K), [M, K]);
  const b = s.input(uniform(random, N * K), [N, K]);
  await withTuner(s, store, async () => {
    const tuner = s.gpu.tuner;
    s.expect('missing cache: one notice', tuner.notices.length === 1 && /no tuning cache yet/.test(tuner.notices[0]!), tuner.notices.join(' | '));
    const c = s.output([M, N], 'c');
    matmul(a, b, c, { transposeB: true });
    const key = matmulTuningKey(M, N, K, false, true);
    s.expect('first use queues the key', tuner.pendingKeys.join() === key, tuner.pendingKeys.join());
    const before = tuner.stats.ms;
    await s.check('c (default variant, before tuning)', c, ref.matmul(await a.read(), await b.read(), { M, N, K, transposeB: true }), 1e-5, 1e-5);
    const record = tuner.records.get(key);
    s.expect('the read tuned it', record !== undefined && tuner.pendingKeys.length === 0 && tuner.stats.ms > before, JSON.stringify(record));
    const timed = Object.keys(record?.ms ?? {}).sort().join();
    s.expect('every variant timed', timed === 'blocked,naive,tiled,vec4', timed);
    s.expect('times are positive', Object.values(record?.ms ?? {}).every((t) => t > 0), JSON.stringify(record?.ms));
    s.expect('saved once', store.saves === 1, `${store.saves}`);
    matmul(a, b, c, { transposeB: true });
    s.expect('a known key is not queued again', tuner.pendingKeys.length === 0, tuner.pendingKeys.join());
    await s.check('c (the pick)', c, ref.matmul(await a.read(), await b.read(), { M, N, K, transposeB: true }), 1e-5, 1e-5);
  });
  await withTuner(s, store, async () => {
    const tuner = s.gpu.tuner;
    s.expect('reloaded: no notice', tuner.notices.length === 0, tuner.notices.join(' | '));
    s.expect('reloaded: the pick is known', tuner.records.has(matmulTuningKey(M, N, K, false, true)), [...tuner.records.keys()].join());
  });
});

add('tuner: a key is timed once hot; past the budget it keeps its default, unrecorded, with one notice', async (s, random) => {
  const store = memoryStore(null);
  const [M, N] = [6, 5];
  const x = s.input(uniform(random, M * N), [M, N]);
  const out = s.output([N], 'sums');
  const key = `sumRows M≤8 N≤8`;
  await withTuner(s, store, async () => {
    const tuner = s.gpu.tuner;
    tuner.hotUses = 3;
    sumRows(x, out);
    sumRows(x, out);
    s.expect('two uses: not queued', tuner.pendingKeys.length === 0, tuner.pendingKeys.join());
    sumRows(x, out);
    s.expect('the third use queues it', tuner.pendingKeys.join() === key, tuner.pendingKeys.join());
    tuner.budgetMs = 0;
    tuner.budgetShare = 0;
    tuner.notices.length = 0;
    const deferredBefore = tuner.stats.deferred;
    await s.check('sums (the default)', out, ref.sumRows(await x.read(), M, N), 1e-5, 1e-5);
    s.expect('out of budget: not recorded, not saved', !tuner.records.has(key) && store.saves === 0 && tuner.pendingKeys.length === 0, `${[...tuner.records.keys()]} saves ${store.saves}`);
    s.expect('one notice', tuner.notices.length === 1 && /tuning budget/.test(tuner.notices[0]!) && tuner.stats.deferred === deferredBefore + 1, tuner.notices.join(' | '));
    for (let i = 0; i < 3; i++) sumRows(x, out);
    s.expect('deferred while the allowance is spent', tuner.pendingKeys.length === 0 && tuner.notices.length === 1, tuner.pendingKeys.join());
    tuner.budgetShare = 1; // the allowance grows with the run: all the time since attach()
    for (let i = 0; i < 3; i++) sumRows(x, out);
    s.expect('queued again once the allowance has grown, no second notice', tuner.pendingKeys.join() === key && tuner.notices.length === 1, `${tuner.pendingKeys.join()} | ${tuner.notices.join(' | ')}`);
  });
});

add("tuner: the caller's queued work is waited for off the tuner's clock", async (s, random) => {
  // A training loop has steps in flight when it reads; that wait is training, not tuning. Counted as
  // tuning it ate MNIST's whole budget before any key was timed (0 keys in 15.9 s) and shortened the
  // epoch's reported training time by as much. Here the wait is made long and fixed (the queue's
  // first "work done" answers 1 s late), so load on the machine cannot blur it.
  const x = s.input(uniform(random, 6 * 5), [6, 5]);
  const sums = s.output([5], 'sums');
  const WAIT_MS = 1000;
  await s.gpu.sync();
  await withTuner(s, memoryStore(null), async () => {
    const tuner = s.gpu.tuner;
    const queue = s.gpu.device.queue;
    const done = queue.onSubmittedWorkDone;
    let first = true;
    queue.onSubmittedWorkDone = async function (this: GPUQueue) {
      await done.call(this);
      if (first) {
        first = false;
        await new Promise((resolve) => setTimeout(resolve, WAIT_MS));
      }
    };
    try {
      const before = tuner.stats.ms;
      sumRows(x, sums); // queues its key (hot on first use here)
      const t0 = performance.now();
      await s.gpu.sync();
      const total = performance.now() - t0;
      const tuning = tuner.stats.ms - before;
      s.expect('the key was tuned', tuner.records.has('sumRows M≤8 N≤8'), [...tuner.records.keys()].join());
      s.expect(`the caller's ${WAIT_MS} ms wait is not tuning time (${tuning.toFixed(0)} of ${total.toFixed(0)} ms)`, !first && total >= WAIT_MS && tuning <= total - WAIT_MS + 1, `${tuning} ${total}`);
    } finally {
      queue.onSubmittedWorkDone = done;
    }
  });
  await s.check('sums', sums, ref.sumRows(await x.read(), 6, 5), 1e-5, 1e-5);
});

add('tuner: a corrupt, stale or unreadable cache is rebuilt with one notice', async (s) => {
  const adapter = s.gpu.tuner.adapterKey;
  const stale = JSON.stringify({ format: 1, sources: 'other', adapters: { [adapter]: { k: { shape: '1', pick: 'naive', ms: {} } } } });
  const unreadable: TuningStore = { load: async () => { throw new Error('disk on fire'); }, save: async () => {} };
  for (const [label, store, pattern] of [
    ['not JSON', memoryStore('{"format": 1, "sou'), /corrupt \(not JSON\)/],
    ['wrong contents', memoryStore('{"format": 1, "sources": 3}'), /corrupt \(unexpected contents\)/],
    ['other kernel sources', memoryStore(stale), /made for other kernel sources/],
    ['unreadable', unreadable, /unreadable \(disk on fire\)/],
  ] as const) {
    await withTuner(s, store, async () => {
      const { notices, records } = s.gpu.tuner;
      s.expect(label, notices.length === 1 && pattern.test(notices[0]!) && records.size === 0, notices.join(' | '));
    });
  }
});

add('tuner: a cache that cannot be written is said once, and saveError says why until a save succeeds', async (s, random) => {
  let fail = true;
  let saves = 0;
  const store: TuningStore = { load: async () => null, save: async () => { saves++; if (fail) throw new Error('read-only disk'); } };
  const x = s.input(uniform(random, 6 * 5), [6, 5]);
  const y = s.input(uniform(random, 9 * 7), [9, 7]);
  const [sumsX, sumsY] = [s.output([5], 'sums x'), s.output([7], 'sums y')];
  await withTuner(s, store, async () => {
    const tuner = s.gpu.tuner;
    sumRows(x, sumsX);
    await s.gpu.sync();
    sumRows(y, sumsY); // another key: a second save
    await s.gpu.sync();
    const unsaved = tuner.notices.filter((n) => /tuning cache not saved \(read-only disk\)/.test(n));
    s.expect('two saves tried, one notice', saves === 2 && unsaved.length === 1, `${saves} saves | ${tuner.notices.join(' | ')}`);
    s.expect('saveError names the cause', tuner.saveError === 'read-only disk', String(tuner.saveError));
    fail = false;
    sumRows(s.input(uniform(random, 3 * 2), [3, 2]), s.output([2], 'sums z'));
    await s.gpu.sync();
    s.expect('a save that succeeds clears it', saves === 3 && tuner.saveError === null, `${saves} ${tuner.saveError}`);
  });
  await s.check('sums x', sumsX, ref.sumRows(await x.read(), 6, 5), 1e-5, 1e-5);
});

add("tuner: a cached pick that is not one of the key's variants is dropped with a notice, and timed again", async (s, random) => {
  const adapter = s.gpu.tuner.adapterKey;
  const [M, N, K] = [8, 10, 16]; // N = 10: vec4 cannot run it, so the key says '(no v3)'
  const key = matmulTuningKey(M, N, K, false, false);
  const store = memoryStore(JSON.stringify({ format: 1, sources: KERNEL_SOURCES_HASH, adapters: { [adapter]: { [key]: { shape: '8×10×16', pick: 'vec4', ms: {} }, 'sumRows M≤8 N≤8': { shape: '6×5', pick: 'Serial', ms: {} } } } }));
  const [a, b] = [s.input(uniform(random, M * K), [M, K]), s.input(uniform(random, K * N), [K, N])];
  const x = s.input(uniform(random, 6 * 5), [6, 5]);
  const [c, sums] = [s.output([M, N], 'c'), s.output([5], 'sums')];
  await withTuner(s, store, async () => {
    const tuner = s.gpu.tuner;
    matmul(a, b, c);
    sumRows(x, sums);
    const dropped = tuner.notices.filter((n) => /tuning cache: '(vec4|Serial)' is not a variant of/.test(n));
    s.expect('one notice per bad pick', dropped.length === 2, tuner.notices.join(' | '));
    await s.gpu.sync();
    s.expect('timed again', tuner.records.get(key)?.pick !== 'vec4' && tuner.records.get('sumRows M≤8 N≤8')?.pick !== 'Serial', JSON.stringify([tuner.records.get(key), tuner.records.get('sumRows M≤8 N≤8')]));
  });
  await s.check('c', c, ref.matmul(await a.read(), await b.read(), { M, N, K }), 1e-5, 1e-5);
  await s.check('sums', sums, ref.sumRows(await x.read(), 6, 5), 1e-5, 1e-5);
});

add('tuner: picks another process saved meanwhile are kept when this one saves (ours win on a shared key)', async (s, random) => {
  const store = memoryStore(null);
  const x = s.input(uniform(random, 6 * 5), [6, 5]);
  const sums = s.output([5], 'sums');
  await withTuner(s, store, async () => {
    const adapter = s.gpu.tuner.adapterKey;
    // Another run, started at the same time, saved two picks after this one loaded an empty cache.
    store.text = JSON.stringify({ format: 1, sources: KERNEL_SOURCES_HASH, adapters: { [adapter]: { 'matmul other': { shape: '1', pick: 'naive', ms: {} }, 'sumRows M≤8 N≤8': { shape: '1', pick: 'tree', ms: {} } }, 'other adapter': { k: { shape: '1', pick: 'naive', ms: {} } } } });
    sumRows(x, sums);
    await s.gpu.sync();
    const file = JSON.parse(store.text!) as { adapters: Record<string, Record<string, { pick: string; shape: string }>> };
    s.expect('its picks kept', file.adapters[adapter]?.['matmul other']?.pick === 'naive' && file.adapters['other adapter']?.['k']?.pick === 'naive', store.text!);
    s.expect('ours on the shared key', file.adapters[adapter]?.['sumRows M≤8 N≤8']?.shape === '6×5', JSON.stringify(file.adapters[adapter]?.['sumRows M≤8 N≤8']));
  });
  await s.check('sums', sums, ref.sumRows(await x.read(), 6, 5), 1e-5, 1e-5);
});

add("tuner: a save holds the store's lock from its read to its write, so another run saving at once keeps its picks", async (s, random) => {
  const x = s.input(uniform(random, 6 * 5), [6, 5]);
  const sums = s.output([5], 'sums');
  const store = memoryStore(null);
  let held = false;
  const waiting: (() => void)[] = [];
  const lock = async () => {
    while (held) await new Promise<void>((resolve) => waiting.push(resolve));
    held = true;
    return async () => {
      held = false;
      waiting.splice(0).forEach((resume) => resume());
    };
  };
  // The other run: a save of its own (read, add its pick, write) under the same lock.
  const rivalSave = async () => {
    const release = await lock();
    const file = store.text ? JSON.parse(store.text) : { format: 1, sources: KERNEL_SOURCES_HASH, adapters: {} };
    file.adapters['rival adapter'] = { k: { shape: '1', pick: 'naive', ms: {} } };
    store.text = JSON.stringify(file);
    await release();
  };
  let armed = false;
  let rival: Promise<void> = Promise.resolve();
  const locked: TuningStore = {
    save: store.save,
    lock,
    // This run's read before its save starts the rival's save. Without the lock held, the rival's
    // whole write lands between this read and this run's write (the race); with it, the rival waits.
    load: async () => {
      const text = store.text;
      if (armed) {
        armed = false;
        rival = rivalSave();
        if (!held) await rival;
      }
      return text;
    },
  };
  await withTuner(s, locked, async () => {
    armed = true;
    sumRows(x, sums);
    await s.gpu.sync();
    await rival;
    const file = JSON.parse(store.text!) as { adapters: Record<string, Record<string, { pick: string }>> };
    s.expect("the other run's pick kept", file.adapters['rival adapter']?.['k']?.pick === 'naive', store.text!);
    s.expect('and ours', file.adapters[s.gpu.tuner.adapterKey]?.['sumRows M≤8 N≤8'] !== undefined, store.text!);
    s.expect('the lock released', !held, 'held');
  });
  await s.check('sums', sums, ref.sumRows(await x.read(), 6, 5), 1e-5, 1e-5);
});

add('tuner: an explicit variant wins, a recorded pick is used, policy fixed turns it off', async (s, random) => {
  const adapter = s.gpu.tuner.adapterKey; // with '|no bounds checks' where they are off
  const [M, N, K] = [5, 7, 3];
  const key = matmulTuningKey(M, N, K, false, false);
  const store = memoryStore(JSON.stringify({ format: 1, sources: KERNEL_SOURCES_HASH, adapters: { [adapter]: { [key]: { shape: '5×7×3', pick: 'naive', ms: { naive: 1, blocked: 2 } } } } }));
  const [a, b] = [s.input(uniform(random, M * K), [M, K]), s.input(uniform(random, K * N), [K, N])];
  const c = s.output([M, N]);
  await withTuner(s, store, async () => {
    const tuner = s.gpu.tuner;
    s.expect('a cached pick is not reported as used before it is asked for', !tuner.used.has(key), [...tuner.used].join());
    // job() is asked for the candidates (the pick is checked against them), never prepared: nothing is timed.
    const notTimed = () => ({ shape: '5×7×3', fallback: 'blocked', candidates: ['naive', 'blocked'], prepare: () => { throw new Error('not timed'); } });
    s.expect('recorded pick', tuner.choose<string>(key, 'blocked', notTimed) === 'naive' && tuner.pendingKeys.length === 0, 'naive expected');
    s.expect('asked for: used', tuner.used.has(key), [...tuner.used].join());
    matmul(a, b, c, { variant: 'tiled' });
    matmul(a, b, c, { variant: 'tiled', transposeA: false });
    sumRows(c, s.output([N]), false, 'tree');
    s.expect('explicit variants queue nothing', tuner.pendingKeys.length === 0, tuner.pendingKeys.join());
    tuner.policy = 'fixed';
    s.expect('fixed: the default', tuner.choose(key, 'blocked', () => { throw new Error('not queued'); }) === 'blocked', 'blocked expected');
    sumRows(s.output([9, 2]), s.output([2]));
    s.expect('fixed: nothing queued', tuner.pendingKeys.length === 0, tuner.pendingKeys.join());
  });
  await s.check('c', c, ref.matmul(await a.read(), await b.read(), { M, N, K }), 1e-5, 1e-5);
});

export type { KernelCase };
export const kernelCases: readonly KernelCase[] = [...cases, ...families.flatMap((f) => f.spec)];
