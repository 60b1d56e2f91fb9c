// The bench at tiny sizes, in the test run's headless Chrome: it runs end to end, every variant it
// times agrees with the float64 reference, and TensorFlow.js is measured beside it. Times are not
// asserted: benchmarks are not timed tests.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { BenchReport } from '../demos/bench';
import { openPage, type OpenPage } from './support/page';

let bench: OpenPage;
let report: BenchReport;

beforeAll(async () => {
  bench = await openPage('/demos/bench.html');
  await bench.page.waitForFunction(() => window.bench !== undefined, { timeout: 60_000 });
  report = await bench.page.evaluate(() => window.bench!.run({ quick: true }));
});

afterAll(async () => {
  await bench?.close();
});

test('every variant timed agrees with the reference', () => {
  const ours = report.rows.filter((r) => !r.variant.startsWith('tfjs-'));
  expect(ours.length).toBeGreaterThanOrEqual(15);
  for (const variant of ['v1 naive', 'v2 blocked', 'v3 vec4']) expect(ours.some((r) => r.kernel === 'matmul' && r.variant === variant)).toBe(true);
  // Every family whose spec has a bench plan (read from the page), and the training step, checked against float64.
  for (const kernel of [...report.benchedFamilies, 'training step']) expect(ours.some((r) => r.kernel === kernel)).toBe(true);
  expect(report.benchedFamilies).toEqual(expect.arrayContaining(['activation', 'adam', 'batchnorm', 'dropout', 'init', 'matmul', 'softmax_cross_entropy']));
  const failed = ours.filter((r) => r.checked !== true).map((r) => `${r.kernel} ${r.variant} ${r.size} (max error ${r.maxError})`);
  expect(failed).toEqual([]);
  for (const r of ours) {
    expect(r.timing.median).toBeGreaterThan(0);
    expect(r.timing.p10).toBeLessThanOrEqual(r.timing.p90);
  }
  expect(ours.find((r) => r.kernel === 'training step')!.dispatchesPerStep).toBeGreaterThan(10);
});

test('TensorFlow.js is measured on the same shapes (WebGPU and wasm)', () => {
  expect(report.peers).toEqual([
    { backend: 'webgpu', ok: true },
    { backend: 'wasm', ok: true },
  ]);
  for (const backend of ['webgpu', 'wasm']) {
    for (const kernel of ['matmul', 'activation', 'softmax_cross_entropy', 'training step']) expect(report.rows.some((r) => r.variant === `tfjs-${backend}` && r.kernel === kernel)).toBe(true);
  }
});

test('the page reports its adapter and timing method, with no errors', () => {
  expect(report.adapter.vendor).not.toBe('');
  expect(typeof report.timestamps.available).toBe('boolean');
  expect(bench.errors).toEqual([]);
});
