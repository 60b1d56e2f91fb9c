// Small file helpers for the Node side (the tuning cache, the CLI's output folder).
import fs from 'node:fs';
import path from 'node:path';

export const errorCode = (error: unknown): string => (error as NodeJS.ErrnoException).code ?? String(error);

/** stat, or undefined where nothing is (including below a file: 'file/sub' is ENOTDIR). */
export function statOrNothing(p: string): fs.Stats | undefined {
  try {
    return fs.statSync(p);
  } catch (error) {
    if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') return undefined;
    throw error;
  }
}

/**
 * The folders from `dir` up that do not exist yet, outermost first, and the stat of the nearest that
 * does. Made one level at a time by the callers: Node 20's recursive mkdir spins at 100% CPU on paths
 * like /proc/foo. A stat that fails otherwise than "nothing there" throws, its error naming the path.
 */
export function missingFolders(dir: string): { missing: string[]; nearest: string; stat: fs.Stats } {
  const missing: string[] = [];
  let at = dir;
  let stat: fs.Stats | undefined;
  while (!(stat = statOrNothing(at))) {
    missing.unshift(at);
    at = path.dirname(at);
  }
  return { missing, nearest: at, stat };
}
