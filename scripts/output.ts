// The CLI's files: paths as the user typed them, the output folder checked before any work, the
// outputs written as one set, and the autotuner's cache and its report.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { errorCode, missingFolders, statOrNothing } from '../src/node/files';
import { tuningCachePath } from '../src/node/tuning-file';
import type { TuningReport } from '../src/runner';

// The tuning cache's store lives beside the Node runtime, which attaches it by itself.
export { tuningCachePath, tuningFileStore } from '../src/node/tuning-file';

/** The folder the user ran the command from: npm runs scripts in the package root and passes it as INIT_CWD. */
export function userFolder(): string {
  return process.env.INIT_CWD || process.cwd();
}

/** A path for a message: relative to the user's folder when inside it, absolute otherwise. */
export const shown = (p: string) => {
  const relative = path.relative(userFolder(), p);
  return relative === '' ? '.' : relative.startsWith('..') ? p : relative;
};

/** A path as typed on the command line, resolved against the user's folder. */
export function userPath(typed: string): string {
  return path.resolve(userFolder(), typed);
}

/**
 * Makes sure `dir` is a folder we can write `names` into, creating it if needed, before any work
 * starts. Returns the folders it created, outermost first, so a failed run can remove them again.
 * Messages begin with `where` (the flag as the user gave it).
 */
export function prepareOutDir(dir: string, names: readonly string[], where = `--out ${dir}`): string[] {
  let found: ReturnType<typeof missingFolders>;
  try {
    found = missingFolders(dir);
  } catch (error) {
    throw new Error(`${where}: cannot look at ${(error as NodeJS.ErrnoException).path ?? dir} (${errorCode(error)})`);
  }
  const { missing, nearest: at, stat } = found;
  if (!stat.isDirectory()) throw new Error(at === dir && where === `--out ${dir}` ? `${where}: is a file, not a folder` : `${where}: ${at} is a file, not a folder`);
  for (const d of missing) {
    try {
      fs.mkdirSync(d);
    } catch (error) {
      removeFolders(missing);
      throw new Error(`${where}: cannot create ${d} (${errorCode(error)})`);
    }
  }
  for (const name of names) {
    if (statOrNothing(path.join(dir, name))?.isDirectory()) throw new Error(`${where}: ${name} there is a folder; the run would write a file of that name`);
  }
  // A real write: access(W_OK) says yes to root on a read-only mount or in /proc.
  const probe = path.join(dir, `.wgslgrad-probe-${process.pid}`);
  try {
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
  } catch (error) {
    removeFolders(missing);
    throw new Error(`${where}: cannot write there (${errorCode(error)})`);
  }
  return missing;
}

/**
 * Removes the folders prepareOutDir created, where still empty, however the run ends: an error, a
 * process.exit, Ctrl-C or SIGTERM (each signal then exits 128 + its number, as a shell reports it;
 * Puppeteer's own exit handler closes Chrome). A run that wrote its files leaves them be.
 */
export function removeFoldersOnExit(created: readonly string[]): void {
  if (created.length === 0) return;
  process.on('exit', () => removeFolders(created));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(128 + os.constants.signals[signal]));
}

/** Removes folders that prepareOutDir created, innermost first, where they are still empty. */
export function removeFolders(created: readonly string[]): void {
  for (const d of [...created].reverse()) {
    try {
      fs.rmdirSync(d);
    } catch {
      // not empty, or already gone: leave it
    }
  }
}

export interface FileOps {
  write: (file: string, data: string | Uint8Array) => void;
  rename: (from: string, to: string) => void;
}

const realOps: FileOps = { write: (f, d) => fs.writeFileSync(f, d), rename: (a, b) => fs.renameSync(a, b) };

/**
 * Writes the files as one set: every file to a temporary name first, then each into place (rename,
 * so a reader never sees half a file) with a copy of the file it replaces kept aside. A failure at
 * any point removes the new files and puts every old one back: the folder holds the old set or the
 * new set, never a mix. `ops` is for tests, to make a chosen write fail.
 */
export function writeFileSet(files: readonly { file: string; data: string | Uint8Array }[], ops: FileOps = realOps, stale: readonly string[] = []): void {
  const staged = files.map((f) => ({ ...f, temp: `${f.file}.tmp-${process.pid}`, backup: `${f.file}.old-${process.pid}`, kept: false, placed: false }));
  // Files of the old set that the new one does not replace (the other runtime's plot): moved aside
  // with the rest, so the folder never holds a plot of another model.
  const removed = stale.filter((file) => statOrNothing(file)).map((file) => ({ file, backup: `${file}.old-${process.pid}`, moved: false }));
  let failing = '';
  try {
    for (const s of staged) {
      failing = s.file;
      ops.write(s.temp, s.data);
    }
    for (const r of removed) {
      failing = r.file;
      ops.rename(r.file, r.backup);
      r.moved = true;
    }
    for (const s of staged) {
      failing = s.file;
      if (statOrNothing(s.file)) {
        fs.copyFileSync(s.file, s.backup);
        s.kept = true;
      }
      ops.rename(s.temp, s.file);
      s.placed = true;
    }
  } catch (error) {
    const lost: string[] = [];
    for (const r of removed) {
      try {
        if (r.moved) fs.renameSync(r.backup, r.file);
      } catch {
        lost.push(`${r.file} (it is ${r.backup})`);
      }
    }
    for (const s of staged) {
      try {
        // Only a file the new set replaced needs its backup back; one it never reached is untouched
        // (an immutable training.svg refused the rename, and then refused the restore too).
        if (s.placed && s.kept) fs.renameSync(s.backup, s.file);
        else if (s.placed) fs.rmSync(s.file, { force: true });
      } catch {
        lost.push(`${s.file} (its previous version is ${s.backup})`);
      }
      if (s.kept && !s.placed) fs.rmSync(s.backup, { force: true });
      fs.rmSync(s.temp, { force: true });
    }
    const why = `cannot write ${failing} (${errorCode(error)})`;
    throw new Error(lost.length ? `${why}; could not restore ${lost.join(', ')}` : `${why}; the previous files are unchanged`);
  }
  for (const s of staged) fs.rmSync(s.backup, { force: true });
  for (const r of removed) fs.rmSync(r.backup, { force: true });
}

/**
 * The tuner's lines after a run: its notices (Node printed them as they came; the page's console is
 * not ours), the time spent timing variants, and the picks.
 */
export function printTuning(tuning: TuningReport, runtime: 'node' | 'chrome'): void {
  if (runtime === 'chrome') for (const notice of tuning.notices) console.log(notice);
  const picks = Object.entries(tuning.picks);
  if (tuning.ms > 0) console.log(`tuning: ${(tuning.ms / 1000).toFixed(1)} s timing variants (not counted in training), ${picks.length} kernel shapes, ${tuning.saveError === null ? `cached in ${tuningCachePath()}` : `not cached (${tuning.saveError})`}`);
  if (picks.length) console.log(`variants: ${picks.map(([key, r]) => `${key} → ${r.pick}`).join('; ')}`);
}

/**
 * A loss can stay finite and still have diverged (Adam at lr 1e30 ends near 1e31 on the phone CSV):
 * a warning when the last epoch's training loss is over 100× that of guessing every class equally.
 * Said, not refused: such a model is bad, not broken.
 */
export function divergedLossWarning(lastLoss: number, classes: number, hint: string): string | null {
  const guessing = Math.log(classes);
  if (!(lastLoss > 100 * guessing)) return null;
  return `warning: the last epoch's training loss is ${lastLoss.toPrecision(3)}, over 100× the ${guessing.toFixed(2)} of guessing every class equally (ln ${classes}): training has likely diverged. ${hint}`;
}
