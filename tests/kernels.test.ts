// Runs every kernel case of tests/kernel-cases.ts in headless Chrome on the machine's WebGPU adapter
// (SwiftShader's software adapter when there is no GPU). No adapter is a failure, never a skip.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { HOW_TO_GET_WEBGPU } from '../src/gpu';
import { kernelCases } from './kernel-cases';
import { openPage, type OpenPage } from './support/page';
import { hashString } from './support/random';

// Fresh inputs on every run; set WGSLGRAD_SEED to replay one.
const runSeed = process.env.WGSLGRAD_SEED ? Number(process.env.WGSLGRAD_SEED) : Math.floor(Math.random() * 2 ** 31);
let harness: OpenPage;

beforeAll(async () => {
  harness = await openPage('/tests/harness/index.html');
  await harness.page.waitForFunction(() => window.harness !== undefined, { timeout: 60_000 });
  const { adapter, error } = await harness.page.evaluate(() => ({ adapter: window.harness!.adapter, error: window.harness!.error }));
  if (!adapter) throw new Error(`No WebGPU adapter in headless Chrome: ${error ?? 'unknown error'}. ${HOW_TO_GET_WEBGPU}`);
  console.log(`WebGPU adapter: vendor ${adapter.vendor}, architecture ${adapter.architecture}, fallback ${adapter.isFallbackAdapter}; WGSLGRAD_SEED=${runSeed}`);
});

afterAll(async () => {
  expect(harness?.errors ?? []).toEqual([]);
  await harness?.close();
});

test.each(kernelCases.map((c) => c.name))('%s', async (name) => {
  const seed = (hashString(name) ^ runSeed) >>> 0;
  const result = await harness.page.evaluate((n, s) => window.harness!.runCase(n, s), name, seed);
  if (!result.ok) throw new Error(`${name} (seed ${seed}):\n${result.report}`);
  expect(result.checked).toBeGreaterThan(0);
});
