// The autotuner's picks kept across runs of Node scripts and the CLI, in the user's cache folder
// (WGSLGRAD_CACHE_DIR overrides): requestGpu() attaches this store by itself in Node, as a page
// attaches IndexedDB, so a script pays a slow variant's compile once, not every run.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorCode, missingFolders } from './files';

/** The tuning cache's file: WGSLGRAD_CACHE_DIR/tuning.json, or ~/.cache/wgslgrad/tuning.json. */
export const tuningCachePath = (): string => path.join(process.env.WGSLGRAD_CACHE_DIR || path.join(os.homedir(), '.cache', 'wgslgrad'), 'tuning.json');

/** How long a save waits for another run's lock on the tuning cache, and when a lock counts as left behind. */
const LOCK_WAIT_MS = 3000;
const LOCK_STALE_MS = 10_000;

/** The tuning cache as a TuningStore (src/device/tuner.ts): written whole, through a temporary file, under a lock file. */
export const tuningFileStore = {
  load: async (): Promise<string | null> => (fs.existsSync(tuningCachePath()) ? fs.readFileSync(tuningCachePath(), 'utf8') : null),
  save: async (text: string): Promise<void> => {
    const file = tuningCachePath();
    for (const d of missingFolders(path.dirname(file)).missing) fs.mkdirSync(d); // WGSLGRAD_CACHE_DIR=/proc/x spun forever
    const temp = `${file}.${process.pid}.tmp`;
    try {
      fs.writeFileSync(temp, text);
      fs.renameSync(temp, file);
    } catch (error) {
      fs.rmSync(temp, { force: true }); // a failed save leaves nothing behind
      throw error;
    }
  },
  /**
   * tuning.json.lock, created exclusively; another run's is waited for (up to 3 s, then this save is
   * skipped with the reason), and one older than 10 s, left by a run killed while saving, is removed.
   */
  lock: async (): Promise<() => Promise<void>> => {
    const file = `${tuningCachePath()}.lock`;
    for (const d of missingFolders(path.dirname(file)).missing) fs.mkdirSync(d);
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      try {
        fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
        return async () => fs.rmSync(file, { force: true });
      } catch (error) {
        if (errorCode(error) !== 'EEXIST') throw error;
      }
      const age = Date.now() - (fs.statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > LOCK_STALE_MS) fs.rmSync(file, { force: true });
      else if (Date.now() > deadline) throw new Error(`another run holds ${file}; not saved this time`);
      else await new Promise((r) => setTimeout(r, 25));
    }
  },
};
