// Starts one Vite server for the whole test run; each browser test file opens its pages from it in a
// headless Chrome of its own (browser.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startServer } from '../../scripts/chrome';

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // One folder for everything the run writes outside out/, removed at its end. TMPDIR reaches the test
  // files, every `npm start` they spawn and every Chrome (its profile, Puppeteer's profile folder), so
  // the run leaves nothing in /tmp even where a process is killed by its test. The tuner's cache
  // (src/node/tuning-file.ts) is in it too: never the user's ~/.cache/wgslgrad.
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-test-'));
  process.env.TMPDIR = runDir;
  process.env.WGSLGRAD_CACHE_DIR = path.join(runDir, 'cache');
  const { server, url } = await startServer();
  project.provide('baseUrl', url);
  return async () => {
    await server.close();
    // Retried: a Chrome helper that outlives its browser by a moment may still be writing there.
    fs.rmSync(runDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  };
}
