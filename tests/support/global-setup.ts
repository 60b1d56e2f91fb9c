// Starts one Vite server and one headless Chrome for the whole test run; each browser test file
// connects to that Chrome and opens its own page.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { launchChrome, startServer } from '../../scripts/chrome';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    wsEndpoint: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The tuner's cache (scripts/output.ts) in a folder of the run's own, for every test and every
  // `npm start` it spawns: never the user's ~/.cache/wgslgrad.
  const cacheDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-test-cache-'));
  process.env.WGSLGRAD_CACHE_DIR = cacheDir;
  const { server, url } = await startServer();
  const browser = await launchChrome();
  project.provide('baseUrl', url);
  project.provide('wsEndpoint', browser.wsEndpoint());
  return async () => {
    await browser.close();
    await server.close();
    fs.rmSync(cacheDir, { recursive: true, force: true });
  };
}
