// scripts/bench-report.ts on made-up reports (no browser): the like-for-like table pairs the peers
// with the engine's own pick (or, in older reports, our fastest checked variant) and gives ratios
// ours / peer, and --compare flags only changes beyond the spread.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, vi } from 'vitest';
import type { BenchReport, BenchRow } from '../demos/bench/harness';
import { FULL, looksQuantised, measure } from '../demos/bench/harness';
import { parseBenchArgs } from '../scripts/bench-args';
import { assertReport, compareRuns, likeForLike, readmeTable } from '../scripts/bench-report';

const row = (contender: BenchRow['contender'], variant: string, median: number, p10 = median * 0.9, p90 = median * 1.1, checked = true): BenchRow => ({
  kernel: 'matmul',
  contender,
  variant,
  size: 'M=512 N=512 K=512',
  checked,
  maxError: 0,
  compileMs: 0,
  timing: { median, p10, p90, samples: 20 },
  rate: '',
});

const report = (rows: BenchRow[]): BenchReport => ({
  schema: 2,
  meta: { browser: 'Chrome', date: '2026-11-27T00:00:00Z', quick: false, protocol: FULL, crossOriginIsolated: true, commit: 'abcdef0123', machine: { platform: 'linux', cpus: 2, cpuModel: 'CPU', memoryGiB: 8, node: 'v20' } },
  adapter: { vendor: 'v', architecture: 'a', description: '', isFallbackAdapter: false },
  benchedFamilies: ['matmul'],
  timestamps: { available: false, quantised: null },
  rows,
  peers: [],
  skipped: [],
});

test('like for like: our fastest checked variant, ratios ours / peer, no ratio for a wrong peer', () => {
  const r = report([row('wgslgrad', 'v1 naive', 10), row('wgslgrad', 'v2 blocked', 4), row('wgslgrad', 'v3 vec4', 2, 1.9, 2.1, false), row('tfjs-wasm', 'tfjs-wasm', 8), row('jax-wasm', 'jax-wasm', 1, 1, 1, false)]);
  const [line] = likeForLike(r);
  expect(line!.ours.variant).toBe('v2 blocked');
  const table = readmeTable(r);
  expect(table).toContain('| matmul | M=512 N=512 K=512 | 4.00 | 0.50 | wrong |');
  expect(table).toContain('Measured on: CPU, 2 cores');
});

test("like for like: where the engine's own pick ran (variant 'auto'), ours is that row, even when a named variant was faster", () => {
  const auto = { ...row('wgslgrad', 'auto', 5), pick: 'v2 blocked' };
  const r = report([row('wgslgrad', 'v1 naive', 10), row('wgslgrad', 'v3 vec4', 2), auto, row('tfjs-wasm', 'tfjs-wasm', 10)]);
  expect(likeForLike(r)[0]!.ours).toBe(auto);
  expect(readmeTable(r)).toContain('| matmul | M=512 N=512 K=512 | 5.00, auto: v2 blocked | 0.50 |');
  // a wrong result of ours gets no ratio, rather than a fallback to another variant
  const wrong = report([row('wgslgrad', 'v3 vec4', 2), { ...auto, checked: false }, row('tfjs-wasm', 'tfjs-wasm', 10)]);
  expect(readmeTable(wrong)).toContain('| matmul | M=512 N=512 K=512 | 5.00 WRONG, auto: v2 blocked | ours wrong |');
});

test("like for like: a family's cases that are not the peers' workload (ReLU, backward passes) never stand beside them", () => {
  const activation = (r: BenchRow, c?: string): BenchRow => ({ ...r, kernel: 'activation', size: 'n=1000', ...(c ? { case: c } : {}) });
  const sigmoid = activation(row('wgslgrad', 'v2 vec4', 4), 'sigmoid forward v2 vec4 n=1000');
  const r = report([sigmoid, activation(row('wgslgrad', 'v2 vec4', 1), 'relu forward v2 vec4 n=1000'), activation(row('wgslgrad', 'v2 vec4', 2), 'sigmoid backward v2 vec4 n=10000'), activation(row('tfjs-wasm', 'tfjs-wasm', 8))]);
  expect(likeForLike(r)[0]!.ours).toBe(sigmoid);
});

test('the Node report adds its own row of ours and Node / Chrome; a row Node lacks reads —', () => {
  const chrome = report([row('wgslgrad', 'v1 naive', 10), row('wgslgrad', 'v2 blocked', 4), row('tfjs-wasm', 'tfjs-wasm', 8), { ...row('wgslgrad', 'v1', 2), size: 'M=8 N=512 K=256' }, { ...row('tfjs-wasm', 'tfjs-wasm', 1), size: 'M=8 N=512 K=256' }]);
  const node = report([row('wgslgrad', 'v2 blocked', 6), row('wgslgrad', 'v1 naive', 3, 2.7, 3.3, false)]);
  node.meta.browser = 'Node v20, Dawn';
  const table = readmeTable(chrome, false, node);
  expect(table).toContain('| what | size | wgslgrad ms (median) | in Node ms | Node / Chrome | ours / tfjs-wasm |');
  // the same variant as Chrome's pick (v2 blocked), not Node's own fastest, which is wrong anyway
  expect(table).toContain('| matmul | M=512 N=512 K=512 | 4.00 | 6.00 | 1.50× | 0.50 |');
  expect(table).toContain('| matmul | M=8 N=512 K=256 | 2.00 | — | — | 2.00 |');
  expect(table).toContain('Node rows: CPU, 2 cores');
  expect(readmeTable(chrome)).not.toContain('in Node');
  // a table with no rows says why
  expect(readmeTable(report([row('wgslgrad', 'v1', 1)]))).toContain('— no rows: this report has no peers');
});

test('--compare flags a change only where the p10–p90 ranges part', () => {
  const old = report([row('wgslgrad', 'v1', 10, 9, 11), row('tfjs-wasm', 'tfjs-wasm', 10, 9, 11), row('jax-wasm', 'jax-wasm', 10, 9, 11)]);
  const now = report([row('wgslgrad', 'v1', 10.5, 10, 12), row('tfjs-wasm', 'tfjs-wasm', 13, 12, 14), row('jax-wasm', 'jax-wasm', 5, 4.5, 6)]);
  const { changes } = compareRuns(old, now);
  expect(changes.map((c) => [c.now.contender, c.flag, Number(c.ratio.toFixed(2))])).toEqual([
    ['wgslgrad', '', 1.05],
    ['tfjs-wasm', 'slower', 1.3],
    ['jax-wasm', 'faster', 0.5],
  ]);
  // Two of our cases with one kernel, variant and size (mse and l1 loss) are compared apart.
  const loss = (c: string, median: number) => ({ ...row('wgslgrad', 'v1', median, median * 0.9, median * 1.1), kernel: 'regression_loss', case: c, size: 'n=10000' });
  const apart = compareRuns(report([loss('mse loss', 100), loss('l1 loss', 9)]), report([loss('mse loss', 9), loss('l1 loss', 9)]));
  expect(apart.changes.map((c) => [c.now.case, c.flag])).toEqual([['mse loss', 'faster'], ['l1 loss', '']]);
});

test('a file that is not a current report is refused, naming the file', () => {
  expect(() => assertReport({ rows: [] }, 'old.json')).toThrow(/old\.json: bench report schema undefined, expected 2/);
  expect(() => assertReport(null, 'x.json')).toThrow(/x\.json: not a JSON object/);
  // schema 2 in name only: what the tables read is checked too
  expect(() => assertReport({ schema: 2, rows: [], meta: {}, adapter: {} }, 'bad.json')).toThrow(/^bad\.json: meta expected date, browser and protocol$/);
  const good = report([row('wgslgrad', 'v1', 1)]);
  expect(() => assertReport(good, 'good.json')).not.toThrow();
  const noTiming = { ...good, rows: [{ ...good.rows[0], timing: undefined }] };
  expect(() => assertReport(noTiming, 'rows.json')).toThrow(/^rows\.json: row 0 expected kernel, contender, variant, size, checked and timing/);
});

test('measure: a compile over a second does not make a row slow; a warm run over a second does', async () => {
  let now = 0;
  const spy = vi.spyOn(performance, 'now').mockImplementation(() => now);
  try {
    const rowOf = async (first: number, warm: number) => {
      let runs = 0;
      const result = await measure(FULL, async () => void (now += runs++ === 0 ? first : warm), async () => ({ maxError: 0, ok: true }));
      return { runs, samples: result.timing.samples, compileMs: result.compileMs };
    };
    // compile 1.5 s, then 5 ms runs: the full protocol (1 + 3 warm-up + 20 timed)
    expect(await rowOf(1500, 5)).toEqual({ runs: 24, samples: 20, compileMs: 1495 });
    // every run 1.5 s: one warm run decides it, then 3 timed
    expect(await rowOf(1500, 1500)).toEqual({ runs: 5, samples: 3, compileMs: 0 });
  } finally {
    spy.mockRestore();
  }
});

test("looksQuantised: Chrome's 100 µs steps and Dawn's 65.536 µs ones, not exact times", () => {
  expect(looksQuantised([0.1, 0.3, 1.2])).toBe(true);
  // The H100 run's timestamps, quantised by Dawn (results/gpu/2026-11-28-h100/bench.json).
  expect(looksQuantised([0.786432, 5.963776, 0.065536, 0])).toBe(true);
  // The H200 run's, unquantised.
  expect(looksQuantised([0.1208, 5.99104, 0.823552])).toBe(false);
  expect(looksQuantised([])).toBe(false);
});

test("npm run bench's command line: a flag given a value it takes none of, a missing value, a repeat or options that would be ignored are one line", () => {
  const error = (...args: string[]) => {
    try {
      parseBenchArgs(args);
      return 'accepted';
    } catch (e) {
      return (e as Error).message;
    }
  };
  expect(error('--quick=yes')).toMatch(/^Option '--quick' does not take an argument/);
  expect(error('--no-bounds-checks=1')).toMatch(/^Option '--no-bounds-checks' does not take an argument/);
  expect(error('--peers=')).toMatch(/^--peers needs a value/);
  expect(error('--out')).toMatch(/^Option '--out <value>' argument missing/);
  expect(error('--quick', '--quick')).toBe('--quick is given twice; give it once');
  expect(error('--no-peers', '--peers=jax-wasm')).toBe('--no-peers and --peers disagree: give one of them');
  expect(error('--node', 'x.json')).toMatch(/^--node names the Node report for --table/);
  expect(error('--table', '--compare', 'x.json')).toBe('--table runs nothing, so --compare would do nothing; leave it out');
  expect(error('--table', 'a.json', 'b.json')).toBe("--table reads one report, got 'a.json' and 'b.json'");
  expect(error('stray')).toMatch(/^unexpected argument 'stray'/);
  // what is accepted, and how it reads
  expect(parseBenchArgs(['--table=all', 'old.json']).positionals).toEqual(['all', 'old.json']);
  expect(parseBenchArgs(['--table', '--node', 'n.json']).values).toEqual({ table: true, node: 'n.json' });
  expect(parseBenchArgs(['--quick', '--runtime', 'node', '--peers=jax-wasm']).values).toEqual({ quick: true, runtime: 'node', peers: 'jax-wasm' });
});

test('npm run bench: a report file that is missing or not a report is one line, before anything runs', () => {
  const bench = (...args: string[]) => {
    try {
      execFileSync(process.execPath, ['--import', 'tsx', 'scripts/bench.ts', ...args], { encoding: 'utf8', stdio: 'pipe' });
      return 'exit 0';
    } catch (error) {
      return (error as { stderr: string }).stderr;
    }
  };
  expect(bench('--compare', 'nope.json')).toBe('error: nope.json: no such file\n');
  expect(bench('--table', 'package.json')).toMatch(/^error: package\.json: bench report schema undefined, expected 2[^\n]*\n$/);
  expect(bench('--table', 'all', 'nope.json')).toBe('error: nope.json: no such file\n'); // 'all' is the option's value, not the file
  // An --out it could not write is said before the run, not after minutes of timing.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-bench-out-'));
  fs.writeFileSync(path.join(dir, 'file'), '');
  expect(bench('--out', path.join(dir, 'file', 'bench.json'))).toBe(`error: --out ${path.join(dir, 'file', 'bench.json')}: ${path.join(dir, 'file')} is a file, not a folder\n`);
  expect(bench('--out', dir)).toBe(`error: --out ${dir}: is a folder; --out names the report's file (${path.join(dir, 'bench.json')}, say)\n`);
  expect(bench('--out', '/proc/wgslgrad/bench.json')).toMatch(/^error: --out \/proc\/wgslgrad\/bench\.json: cannot create \/proc\/wgslgrad \(\w+\)\n$/);
});
