// Runs a table of cases by name on the harness page in headless Chrome, one Vitest test per case.
// No WebGPU adapter is a failure, never a skip.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { HOW_TO_GET_WEBGPU } from '../../src/device/gpu';
import { openPage, type OpenPage } from './page';
import { hashString } from '../../src/spec/random';

// Fresh inputs on every run; set WGSLGRAD_SEED to replay one.
const runSeed = process.env.WGSLGRAD_SEED ? Number(process.env.WGSLGRAD_SEED) : Math.floor(Math.random() * 2 ** 31);

export function runCasesInChrome(names: readonly string[]): void {
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

  test.each(names)('%s', async (name) => {
    const seed = (hashString(name) ^ runSeed) >>> 0;
    const result = await harness.page.evaluate((n, s) => window.harness!.runCase(n, s), name, seed);
    if (!result.ok) throw new Error(`${name} (seed ${seed}):\n${result.report}`);
    expect(result.checked).toBeGreaterThan(0);
  });
}
