// The bench at tiny sizes, in the test run's headless Chrome: it runs end to end, the report has the
// schema `npm run bench` writes, and every contender's every result was checked against the float64
// reference before it was timed. Times are not asserted: benchmarks are not timed tests.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BenchReport } from '../demos/bench';
import { PEERS } from '../demos/bench/harness';
import { likeForLike } from '../scripts/bench-report';
import { openPage, type OpenPage } from './support/page';

let bench: OpenPage;
let report: BenchReport;

beforeAll(async () => {
  bench = await openPage('/demos/bench.html');
  await bench.page.waitForFunction(() => window.bench !== undefined, { timeout: 60_000 });
  report = await bench.page.evaluate(() => window.bench!.run({ quick: true }));
}, 600_000);

afterAll(async () => {
  await bench?.close();
});

const timingShape = { median: expect.any(Number), p10: expect.any(Number), p90: expect.any(Number), samples: expect.any(Number) };

test('the report has the schema npm run bench writes', () => {
  expect(report).toMatchObject({
    schema: 2,
    meta: { browser: expect.any(String), date: expect.any(String), quick: true, protocol: { warmup: expect.any(Number), samples: expect.any(Number) }, crossOriginIsolated: true },
    adapter: { vendor: expect.any(String), architecture: expect.any(String) },
    timestamps: { available: expect.any(Boolean) },
    skipped: expect.any(Array),
  });
  expect(report.rows.length).toBeGreaterThan(20);
  for (const r of report.rows) {
    expect(r).toMatchObject({ kernel: expect.any(String), contender: expect.any(String), variant: expect.any(String), size: expect.any(String), checked: expect.any(Boolean), maxError: expect.any(Number), compileMs: expect.any(Number), timing: timingShape, rate: expect.any(String) });
    expect(r.timing.p10).toBeLessThanOrEqual(r.timing.median);
    expect(r.timing.median).toBeLessThanOrEqual(r.timing.p90);
    if (r.gpuTiming) expect(r.gpuTiming).toMatchObject(timingShape);
  }
});

test('every contender ran every workload it can express, with the same number of runs', () => {
  expect(report.peers).toEqual(PEERS.map((contender) => ({ contender, ok: true })));
  for (const contender of ['wgslgrad', ...PEERS]) {
    for (const kernel of ['matmul', 'activation', 'softmax_cross_entropy', 'training step']) expect(report.rows.some((r) => r.contender === contender && r.kernel === kernel), `${contender} ${kernel}`).toBe(true);
  }
  // ours: every family whose spec has a bench plan (read from the page), and the training step
  expect(report.benchedFamilies).toEqual(expect.arrayContaining(['activation', 'adam', 'batchnorm', 'dropout', 'init', 'matmul', 'softmax_cross_entropy']));
  for (const kernel of [...report.benchedFamilies, 'training step']) expect(report.rows.some((r) => r.contender === 'wgslgrad' && r.kernel === kernel), kernel).toBe(true);
  for (const variant of ['v1 naive', 'v2 blocked', 'v3 vec4']) expect(report.rows.some((r) => r.kernel === 'matmul' && r.variant === variant)).toBe(true);
  // and matmul and cross-entropy as the engine runs them, no variant named: the rows the peers are paired with
  const auto = report.rows.filter((r) => r.variant === 'auto');
  expect(auto.map((r) => `${r.kernel} ${r.size}`)).toEqual(expect.arrayContaining(['matmul M=64 N=64 K=64', 'matmul M=8 N=128 K=20', 'softmax_cross_entropy N=100 C=10']));
  for (const r of auto) expect(['v1 naive', 'v2 blocked', 'v3 vec4', 'v4 tiled', 'v5 split-K', 'v1 fused', 'v1 fused, mean v2 tree']).toContain(r.pick);
  const lines = likeForLike(report).filter((l) => l.kernel === 'matmul' || l.kernel === 'softmax_cross_entropy');
  expect(lines.map((l) => [l.kernel, l.size, l.ours.variant])).toEqual(auto.map((r) => [r.kernel, r.size, 'auto']));
  const { samples, slowSamples } = report.meta.protocol;
  for (const r of report.rows) expect([samples, slowSamples]).toContain(r.timing.samples);
  expect(report.rows.find((r) => r.kernel === 'training step' && r.contender === 'wgslgrad')!.dispatchesPerStep).toBeGreaterThan(10);
});

test("every contender's every result was checked against the float64 reference, and agreed", () => {
  const failed = report.rows.filter((r) => r.checked !== true).map((r) => `${r.contender} ${r.kernel} ${r.variant} ${r.size} (max error ${r.maxError})`);
  expect(failed).toEqual([]);
  for (const r of report.rows) expect(Number.isFinite(r.maxError)).toBe(true);
});

describe('the page', () => {
  test('shows a report: a table row per result, a chart per workload family (matmul, sigmoid, softmax + cross-entropy, training step)', async () => {
    await bench.page.evaluate((r) => window.bench!.show(r), report);
    expect(await bench.page.$$eval('#results tbody tr', (rows) => rows.length)).toBe(report.rows.length);
    expect(await bench.page.$$eval('#charts canvas', (canvases) => canvases.length)).toBe(4);
  });

  test('reports no errors', () => {
    expect(bench.errors).toEqual([]);
  });
});
