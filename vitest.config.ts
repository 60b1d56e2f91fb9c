// The test run: vite.config.ts (the engine's aliases and the pages' headers) plus what only Vitest reads.
import { defineConfig, mergeConfig } from 'vitest/config';
import SlowestFirst from './tests/support/sequencer.ts';
import viteConfig from './vite.config.ts';

export default mergeConfig(viteConfig, defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Two test files at a time, even on 2 cores (Vitest's default there is 1): a file spends much of
    // its time waiting on Chrome or on an `npm start` it spawned. Each browser file has a Chrome of its
    // own (tests/support/browser.ts), so no file's page is sent to the background by another's.
    maxWorkers: 2,
    sequence: { sequencer: SlowestFirst },
    globalSetup: ['tests/support/global-setup.ts'],
    setupFiles: ['tests/support/per-file.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
}));
