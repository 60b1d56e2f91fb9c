// Runs a table of cases, one Vitest test per case: by name on the harness page in headless Chrome, or
// in this Node process on Dawn (the `webgpu` package). No WebGPU adapter is a failure, never a skip.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { HOW_TO_GET_WEBGPU, requestGpu, type Gpu } from '../../src/device/gpu';
import { runCase, type KernelCase } from '../../src/spec/scope';
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
  }, 300_000); // the cases past 65,535 workgroups (millions of elements, float64 references) on a loaded CPU
}

/**
 * The cases that take most of Node's time on SwiftShader and test WGSL that Chrome's run already
 * covers at full size: past the 65,535-workgroup grid limit (millions of elements), the 1024³
 * matmuls, the 2100×2100 images, the batch-512 bench products.
 */
export const heavyCase = (name: string) => /\d{7,}|2100, 2100|1024×1024×1024| bench .*b512/.test(name);

/** The same cases in Node, on Dawn: what `npm start -- --runtime node` and the GPU bundle run on. */
export function runCasesInNode(cases: readonly KernelCase[], { boundsChecks = true } = {}): void {
  let gpu: Gpu;

  beforeAll(async () => {
    // Fixed variants, as in the Chrome harness: each case names the variant it checks. New buffers
    // start as NaN, so an output or gradient a kernel should have written but did not shows.
    gpu = await requestGpu({ variantPolicy: 'fixed', boundsChecks, poisonNewBuffers: true });
    const { adapter } = gpu;
    console.log(`WebGPU adapter (Node, Dawn${boundsChecks ? '' : ', bounds checks off'}): vendor ${adapter.vendor}, architecture ${adapter.architecture}, fallback ${adapter.isFallbackAdapter}; WGSLGRAD_SEED=${runSeed}`);
  });

  afterAll(() => gpu?.destroy());

  test.each(cases.map((c) => [c.name, c] as const))('%s', async (name, c) => {
    const seed = (hashString(name) ^ runSeed) >>> 0;
    const result = await runCase(gpu, c, seed);
    await gpu.sync();
    if (!result.ok) throw new Error(`${name} (seed ${seed}):\n${result.report}`);
    expect(result.checked).toBeGreaterThan(0);
  });
}
