// The bench at tiny sizes, from the page's own Run button in the built site (`vite build`, served by
// `vite preview`, as a user would host it): it runs end to end, TensorFlow.js's threaded wasm worker
// included (the production build once broke it: vite.config.ts says how), the report has the schema
// `npm run bench` writes, and every contender's every result was checked against the float64
// reference before it was timed. Times are not asserted: benchmarks are not timed tests. (One run
// for all of this: the quick bench takes about half a minute on SwiftShader.)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer';
import { build, preview } from 'vite';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BenchReport } from '../demos/bench';
import { PEERS } from '../demos/bench/harness';
import { likeForLike } from '../scripts/bench-report';
import { testBrowser } from './support/browser';

let outDir: string;
let server: Awaited<ReturnType<typeof preview>>;
let page: Page;
const errors: string[] = [];
let report: BenchReport;

beforeAll(async () => {
  outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-bench-site-'));
  await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true } });
  server = await preview({ logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1' } });
  const browser = await testBrowser();
  page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  // Emscripten reports a failing worker with console.warn ("worker sent an error!"): count it too.
  page.on('console', (m) => m.type() === 'warn' && /worker/i.test(m.text()) && errors.push(m.text()));
  await page.setViewport({ width: 1200, height: 900 });
  await page.goto(`${server.resolvedUrls!.local[0]}demos/bench.html`);
  await page.waitForFunction(() => window.bench !== undefined, { timeout: 60_000 });
}, 120_000);

afterAll(async () => {
  await page?.close();
  await server?.close();
  if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
});

test('the page runs the bench at tiny sizes to the end, TensorFlow.js wasm included', async () => {
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true); // else tfjs would pick its unthreaded build
  await page.click('#quick');
  await page.click('#run');
  expect(await page.$eval('#run', (b) => (b as HTMLButtonElement).disabled)).toBe(true);
  await page.waitForFunction(() => /^done /.test(document.getElementById('status')!.textContent!) || document.getElementById('error'), { timeout: 300_000 });
  expect(await page.$eval('#status', (e) => e.textContent)).toMatch(/^done on .*; GPU timestamps [^;]+$/); // no peer reported as not measured
  expect(await page.$eval('#run', (b) => (b as HTMLButtonElement).disabled)).toBe(false);
  report = (await page.evaluate(() => window.bench!.last))!;
  expect(report.meta.quick).toBe(true);
}, 360_000);

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
  // ours: every family has a bench plan (the page says which it found), and the training step
  const familyFiles = fs.readdirSync('src/kernels').filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, ''));
  expect([...report.benchedFamilies].sort()).toEqual(familyFiles.sort());
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
  test('shows the report: a table row per result, a chart per workload family (matmul, sigmoid, softmax + cross-entropy, training step)', async () => {
    const contenders = await page.$$eval('#results tbody tr', (trs) => trs.map((tr) => tr.children[1]!.textContent));
    expect(contenders).toHaveLength(report.rows.length);
    expect(contenders).toContain('tfjs-wasm');
    expect(contenders).toContain('tfjs-webgpu');
    // No two of our rows read the same: rows sharing a family, variant and size name their op.
    const ours = await page.$$eval('#results tbody tr', (trs) => trs.filter((tr) => tr.children[1]!.textContent !== 'wgslgrad' && !/^(tfjs|jax)-/.test(tr.children[1]!.textContent!)).map((tr) => [0, 1, 2].map((i) => tr.children[i]!.textContent).join(' | ')));
    expect(ours.filter((row, i) => ours.indexOf(row) !== i)).toEqual([]);
    expect(ours).toEqual(expect.arrayContaining(['activation (sigmoid forward) | v2 vec4 | n=1000', 'activation (relu forward) | v2 vec4 | n=1000', 'pool (max_pool2d) | v1 | N=4 C=8 H=14 W=14 kernel=2', 'regression_loss (mse loss) | v1 | n=10000']));
    expect(await page.$$eval('#charts canvas', (canvases) => canvases.length)).toBe(4);
    fs.mkdirSync('out/screenshots', { recursive: true });
    await page.screenshot({ path: 'out/screenshots/built-bench.png', fullPage: true });
  });

  test('reports no errors', () => {
    expect(errors).toEqual([]);
  });
});
