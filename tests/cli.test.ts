// `npm start` as a user runs it: bad input fails before training with a message naming the file,
// line and column; a short run writes the model, metrics and plot, in Node (the default) and in Chrome with the
// same losses; --eval reproduces the accuracy in either;
// a corrupt model file loads nothing; a NaN loss stops training and leaves the saved model alone.
// The flag parser and the output folder's checks are also tested in-process (fast).
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, test } from 'vitest';
import { delimiter, HELP, parseCommandLine, progressSeconds, runConfig } from '../scripts/cli-args';
import { prepareOutDir, tuningFileStore, writeFileSet, type FileOps } from '../scripts/output';
import { requestGpu } from '../src/device/gpu';
import { decodeModelFile, encodeModelFile } from '../src/model-file';
import { decodeSafetensors, encodeSafetensors } from '../src/safetensors';
import { DEFAULT_LR, VARIANTS } from '../src/run-config';
import { throttled } from '../src/runner';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

// By absolute paths, so a run may start in another folder.
const TSX = pathToFileURL(path.resolve('node_modules/tsx/dist/loader.mjs')).href;
const START = path.resolve('scripts/start.ts');

/** Runs the CLI; `env` adds to the environment (INIT_CWD is cleared unless given, as in a plain shell). */
function start(args: string[], env: Record<string, string> = {}, timeout = 0, cwd = process.cwd()): Promise<Run & { seconds: number }> {
  const began = performance.now();
  return new Promise((resolve) => {
    // The tuner's cache goes to the test's temporary folder, not the user's.
    execFile(process.execPath, ['--import', TSX, START, ...args], { cwd, maxBuffer: 1 << 24, env: { ...process.env, INIT_CWD: '', WGSLGRAD_CACHE_DIR: temp, ...env }, timeout }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr, seconds: (performance.now() - began) / 1000 });
    });
  });
}

const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-cli-'));
const csv = (name: string, text: string) => {
  const file = path.join(temp, name);
  fs.writeFileSync(file, text);
  return file;
};
const header = 'a,b,label\n';

describe('bad input fails before training', { timeout: 300_000 }, () => {
  test.each([
    ['a missing file', () => path.join(temp, 'nope.csv'), /nope\.csv: no such file/],
    ['an empty file', () => csv('empty.csv', ''), /empty\.csv: the file is empty/],
    ['a ragged row', () => csv('ragged.csv', `${header}1,2,0\n3,1\n`), /ragged\.csv:3: expected 3 fields \(as the header\), found 2/],
    ['a non-numeric cell', () => csv('text.csv', `${header}1,2,0\n3,abc,1\n`), /text\.csv:3: column 2 \('b'\): 'abc' is not a number/],
    ['an empty feature cell', () => csv('hole.csv', `${header}1,,0\n3,4,1\n`), /hole\.csv:2: column 2 \('b'\) is empty/],
    ['NaN', () => csv('nan.csv', `${header}1,NaN,0\n3,4,1\n`), /nan\.csv:2: column 2 \('b'\): 'NaN' is not a finite number/],
    ['Infinity', () => csv('inf.csv', `${header}1,2,0\nInfinity,4,1\n`), /inf\.csv:3: column 1 \('a'\): 'Infinity' is not a finite number/],
    ['a single class', () => csv('one.csv', `${header}1,2,0\n3,4,0\n`), /one\.csv: label column 'label' has a single class/],
    ['fewer rows than one batch', () => csv('few.csv', `${header}${Array.from({ length: 10 }, (_, i) => `${i},${i},${i % 2}`).join('\n')}\n`), /the training split has 8 rows, fewer than one batch of 16/],
    ['a cell past float32', () => csv('big.csv', `${header}${Array.from({ length: 200 }, (_, i) => `${i === 50 ? '1e39' : i},${i},${i % 2}`).join('\n')}\n`), /big\.csv:52: column 1 \('a'\): '1e39' is outside float32's range \(±3\.4e38\)/],
    ['a class of one row, the last column continuous', () => csv('price.csv', `kind,a,price\n${Array.from({ length: 30 }, (_, i) => `${i % 2},${i},${(i * 1.37).toFixed(2)}`).join('\n')}\n`), /price\.csv: class '0' of label column 'price' has 1 row\(s\), too few to appear in both the training and the test split \(each class needs at least 3\); the label column 'price' \(the last column, the default\) looks continuous \(30 distinct numbers in 30 rows\): if the label is another column, name it with --label/],
    ['a Latin-1 file (a warning, read as Latin-1), then too few rows', () => { const file = path.join(temp, 'latin.csv'); fs.writeFileSync(file, Buffer.from(`caf\xe9,b,label\n${Array.from({ length: 10 }, (_, i) => `${i},${i},${i % 2}`).join('\n')}\n`, 'latin1')); return file; }, /^warning: .*latin\.csv:1: not UTF-8; the file is read as Latin-1[\s\S]*fewer than one batch/],
    ['a UTF-16 file with its byte-order mark (read as UTF-16), then too few rows', () => { const file = path.join(temp, 'utf16.csv'); fs.writeFileSync(file, Buffer.from(`\ufeffcafé,b,label\r\n${Array.from({ length: 10 }, (_, i) => `${i},${i},${i % 2}`).join('\r\n')}\r\n`, 'utf16le')); return file; }, /^error: .*utf16\.csv: the training split has 8 rows, fewer than one batch of 16/],
    ['a header of numbers (a warning), then too few rows', () => csv('headerless.csv', `1,2,0\n${Array.from({ length: 10 }, (_, i) => `${i},${i},${i % 2}`).join('\n')}\n`), /^warning: .*headerless\.csv:1: the header row looks like data \(every feature name is a number: 1, 2\)[\s\S]*fewer than one batch/],
  ])('%s', async (_, file, pattern) => {
    const run = await start(['--data', file(), '--batch-size', '16', '--out', temp]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(pattern);
    expect(run.stdout).not.toMatch(/epoch 1/);
  });

  test('an unknown label column', async () => {
    const run = await start(['--label', 'price', '--out', temp]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/mobile-price\.csv: unknown label column 'price' \(columns: battery_power, .*, price_range\)/);
  });

  test('bad flags', async () => {
    for (const [args, pattern] of [
      [['--optimizer', 'lbfgs'], /--optimizer expects one of sgd, momentum, adagrad, rmsprop, adam, got 'lbfgs'/],
      [['--lr', '0'], /--lr expects a number > 0 within float32's range \(1\.4e-45 to 3\.4e38\), got '0'/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['--variant-policy', 'fast'], /--variant-policy expects tuned or fixed, got 'fast'/],
      [['--runtime', 'firefox'], /--runtime expects node or chrome, got 'firefox'/],
      [['--no-bounds-checks', '--runtime', 'chrome'], /--no-bounds-checks is for --runtime node: a page cannot turn WebGPU's bounds checks off/],
      [['--lr', '-0.1'], /^error: --lr expects a number > 0 within float32's range \(1\.4e-45 to 3\.4e38\), got '-0\.1'$/m],
      [['--epochs=2', '--epochs', '3'], /^error: --epochs is given twice \('--epochs 2' and '--epochs 3'\); give it once$/m],
      [['--task', 'mnist', '--no-bounds-checks', '--no-bounds-checks'], /^error: --no-bounds-checks is given twice/m],
    ] as const) {
      const run = await start([...args]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(pattern);
      expect(run.stdout).not.toMatch(/^data:/m); // refused before the data is read
    }
  });

  test('no Vulkan driver: the Node runtime says what to install', async () => {
    const run = await start(['--epochs', '1', '--out', temp], { VK_ICD_FILENAMES: path.join(temp, 'no-such-driver.json') });
    expect(run.code).toBe(1);
    // The cause first (the Vulkan loader only prints warnings), then what to install.
    expect(run.stderr).toMatch(/error: No WebGPU adapter was found\. The Vulkan driver manifest \S*no-such-driver\.json \(from VK_ICD_FILENAMES\) does not exist\. In Node, wgslgrad runs on Dawn .* install your GPU's Vulkan driver and loader .* or Chromium/);
    expect(run.stdout).not.toMatch(/epoch 1/);
  });

  test('--help lists every flag', async () => {
    const run = await start(['--help']);
    expect(run.code).toBe(0);
    for (const flag of ['--variant', '--epochs', '--batch-size', '--lr', '--optimizer', '--hidden', '--activation', '--dropout', '--batch-norm', '--seed', '--data', '--label', '--delimiter', '--out', '--eval', '--progress', '--runtime']) expect(run.stdout).toContain(flag);
  });
});

describe('paths and the output folder, end to end', { timeout: 300_000 }, () => {
  test('--out is checked before anything else: /proc/foo fails at once, not after training (or never)', async () => {
    const run = await start(['--out', '/proc/wgslgrad-out'], {}, 60_000);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: --out \/proc\/wgslgrad-out: cannot create \/proc\/wgslgrad-out \(\w+\)$/m);
    expect(run.stdout).not.toMatch(/^data:/m);
  });

  test('relative --data and --out resolve against the folder npm was run from (INIT_CWD)', async () => {
    csv('rel-file', 'not a folder');
    let run = await start(['--data', 'rel.csv', '--out', 'rel-file'], { INIT_CWD: temp });
    expect(run.stderr).toMatch(`error: --out ${path.join(temp, 'rel-file')}: is a file, not a folder`);
    csv('rel.csv', `${header}1,2,0\n3,1\n`);
    run = await start(['--data', 'rel.csv', '--out', 'rel-out/deeper'], { INIT_CWD: temp });
    expect(run.stderr).toMatch(`error: ${path.join(temp, 'rel.csv')}:3: expected 3 fields`);
    expect(fs.existsSync(path.join(temp, 'rel-out'))).toBe(false); // the folders it made for a failed run are gone
  });
});

test("no file turns import.meta.url into a path by hand: a clone under 'my proj' broke npm start ('my%20proj')", () => {
  const files = ['scripts', 'src', 'examples', 'lab'].flatMap((d) => fs.readdirSync(d, { recursive: true, encoding: 'utf8' }).map((f) => path.join(d, f))).filter((f) => /\.(ts|mjs)$/.test(f));
  expect(files.length).toBeGreaterThan(50);
  const byHand = files.filter((f) => /import\.meta\.url\)?\.pathname|`file:\/\/\$\{/.test(fs.readFileSync(f, 'utf8')));
  expect(byHand).toEqual([]); // use fileURLToPath(import.meta.url) and pathToFileURL(path).href
});

test('progress lines: every 10 s of an epoch, counted from its start, so epochs under 10 s print none', async () => {
  const lines: string[] = [];
  const report = throttled({ onProgress: (p) => void lines.push(`${p.epoch}@${p.seconds}`) }, 10);
  const at = (epoch: number, seconds: number) => report({ epoch, step: 0, steps: 1, loss: 0, seconds });
  for (const epoch of [1, 2, 3]) for (const s of [2, 5, 8.7]) await at(epoch, s); // three 8.7 s epochs
  await at(4, 9.9);
  await at(4, 10.1);
  await at(4, 15);
  await at(4, 20.2);
  await at(5, 3);
  expect(lines).toEqual(['4@10.1', '4@20.2']);
});

describe('flags, in-process', () => {
  const config = (...args: string[]) => runConfig(parseCommandLine(args));

  test.each([
    [['--lr', '-0.1'], /^--lr expects a number > 0 within float32's range \(1\.4e-45 to 3\.4e38\), got '-0\.1'$/],
    [['--lr', '-.5'], /^--lr expects a number > 0 within float32's range \(1\.4e-45 to 3\.4e38\), got '-\.5'$/],
    [['--lr', '-Infinity'], /^--lr expects a number > 0 within float32's range \(1\.4e-45 to 3\.4e38\), got '-Infinity'$/],
    [['--lr', ''], /^--lr expects a number > 0 within float32's range \(1\.4e-45 to 3\.4e38\), got ''$/],
    [['--lr', '1e40'], /^--lr expects a number > 0 within float32's range \(1\.4e-45 to 3\.4e38\), got '1e40'$/],
    [['--lr', '1e-50'], /^--lr expects a number > 0 within float32's range \(1\.4e-45 to 3\.4e38\), got '1e-50'$/], // float32 rounds it to 0
    [['--out', ''], /^--out expects a folder, got ''$/],
    [['--data', ' '], /^--data expects a file, got ' '$/],
    [['--eval', ''], /^--eval expects a file, got ''$/],
    [['--epochs', '-3'], /^--epochs expects a positive integer, got '-3'$/],
    [['--batch-size', '-8'], /^--batch-size expects a positive integer, got '-8'$/],
    [['--seed', '-1'], /^--seed expects an integer in \[0, 2³²\), got '-1'$/],
    [['--seed', ''], /^--seed expects an integer/],
    [['--dropout', '1.5'], /^--dropout expects a probability in \[0, 1\), got '1\.5'$/],
    [['--epochs', 'ten'], /^--epochs expects a positive integer, got 'ten'$/],
    [['--epochs', '0x2'], /^--epochs expects a positive integer, got '0x2'$/],
    [['--lr', '0x1'], /^--lr expects a number > 0 within float32's range \(1\.4e-45 to 3\.4e38\), got '0x1'$/],
    [['--lr-schedule', 'step:0x2'], /SIZE expected a positive integer, got '0x2'/],
    [['--delimiter', 'ab'], /^--delimiter expects one character/],
    [['--dropout', '-0.5'], /^--dropout expects a probability in \[0, 1\), got '-0\.5'$/],
    [['--dropout', ''], /^--dropout expects a probability/],
    [['--hidden', '-5'], /^--hidden expects a positive integer, got '-5'$/],
    [['--hidden', '64,1e9'], /^--hidden: a layer of 1000000000 is wider than 65,536$/],
    [['--progress', '-1'], /^--progress expects a number of seconds ≥ 0, got '-1'$/],
    [['--standardize', '--no-standardize'], /contradict/],
  ])('%j is refused with our message', (args, pattern) => {
    expect(() => {
      const values = parseCommandLine(args);
      runConfig(values);
      progressSeconds(values, false);
      delimiter(values);
    }).toThrow(pattern);
  });

  test('a negative number is joined to its flag only: a flag after a flag is still an error', () => {
    expect(parseCommandLine(['--lr', '-0.1', '--epochs', '2'])).toMatchObject({ lr: '-0.1', epochs: '2' });
    expect(() => parseCommandLine(['--lr', '--epochs', '2'])).toThrow(/argument is ambiguous/);
  });

  test('another optimizer without --lr gets its own default and says so; with --lr or the same optimizer, none', () => {
    const sgd = config('--optimizer', 'sgd');
    expect(sgd.config.lr).toBe(DEFAULT_LR.sgd);
    expect(sgd.lrNote).toBe(` (sgd's default; the tuned variant's lr ${VARIANTS.tuned.lr} is for adam; --lr to choose)`);
    expect(config('--optimizer', 'sgd', '--lr', '0.5')).toEqual(expect.objectContaining({ lrNote: '', config: expect.objectContaining({ lr: 0.5 }) }));
    expect(config('--optimizer', 'adam').config.lr).toBe(VARIANTS.tuned.lr);
    expect(config('--variant', 'baseline', '--optimizer', 'adam').config.lr).toBe(DEFAULT_LR.adam);
    expect(config('--optimizer', 'rmsprop').config.lr).toBe(1e-3); // PyTorch's 0.01 diverges on the tuned model
    // SGD through 4 sigmoid layers learns nothing at any lr: said, with what to try
    expect(sgd.advice).toMatch(/^SGD barely moves a network of 3 or more sigmoid layers .*consider --activation relu/);
    expect(config('--optimizer', 'sgd', '--activation', 'relu').advice).toBe('');
    expect(config('--variant', 'baseline').advice).toBe('');
  });

  test('--help shows each default, drawn from the variants', () => {
    const t = VARIANTS.tuned;
    for (const line of [`--epochs N          training epochs (default: ${t.epochs})`, `(default: ${t.batchSize})`, `(default: ${t.lr} [${VARIANTS.baseline.lr}])`, `(default: ${t.hidden.join(',')} [${VARIANTS.baseline.hidden.join(',')}])`, `(default: ${t.activation})`, `(default: ${t.seed})`, '(default: ./out)', '(default: the last column)', `sgd ${DEFAULT_LR.sgd}`]) expect(HELP).toContain(line);
  });
});

describe('the output folder, in-process', () => {
  const names = ['model.safetensors', 'metrics.json', 'training.png'];

  test('is checked and created before any work; a file, a path under a file, /proc/foo and /proc are refused at once', () => {
    const file = csv('a-file', 'x');
    const made = path.join(temp, 'new', 'deeper');
    expect(prepareOutDir(made, names)).toEqual([path.join(temp, 'new'), made]);
    expect(fs.statSync(made).isDirectory()).toBe(true);
    expect(() => prepareOutDir(file, names)).toThrow(/^--out .*a-file: is a file, not a folder$/);
    expect(() => prepareOutDir(path.join(file, 'sub'), names)).toThrow(/^--out .*a-file\/sub: .*a-file is a file, not a folder$/);
    const began = performance.now();
    expect(() => prepareOutDir('/proc/wgslgrad-out/deeper', names)).toThrow(/^--out \/proc\/wgslgrad-out\/deeper: cannot create \/proc\/wgslgrad-out \(\w+\)$/);
    expect(() => prepareOutDir('/proc', names)).toThrow(/^--out \/proc: cannot write there \(\w+\)$/);
    expect(performance.now() - began).toBeLessThan(1000);
    fs.mkdirSync(path.join(made, 'metrics.json'));
    expect(() => prepareOutDir(made, names)).toThrow(/metrics\.json there is a folder/);
  });

  const folder = (name: string, files: Record<string, string>) => {
    const dir = path.join(temp, name);
    fs.mkdirSync(dir);
    for (const [f, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, f), text);
    return dir;
  };
  const contents = (dir: string) => Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
  const outputs = (dir: string) => names.map((n) => ({ file: path.join(dir, n), data: `new ${n}` }));
  /** Real file operations, except that the chosen operation on the third file throws. */
  const failingOn = (which: 'write' | 'rename'): FileOps => ({
    write: (f, d) => (which === 'write' && f.includes('training.png') ? (() => { throw Object.assign(new Error('disk full'), { code: 'ENOSPC' }); })() : fs.writeFileSync(f, d)),
    rename: (a, b) => (which === 'rename' && b.endsWith('training.png') ? (() => { throw Object.assign(new Error('disk full'), { code: 'ENOSPC' }); })() : fs.renameSync(a, b)),
  });
  const old = { 'model.safetensors': 'old model', 'metrics.json': 'old metrics', 'training.png': 'old plot', 'notes.txt': 'mine' };

  test('the three outputs are written as a set', () => {
    const dir = folder('set-ok', old);
    writeFileSet(outputs(dir));
    expect(contents(dir)).toEqual({ 'metrics.json': 'new metrics.json', 'model.safetensors': 'new model.safetensors', 'notes.txt': 'mine', 'training.png': 'new training.png' });
  });

  test.each(['rename', 'write'] as const)('a failed %s of the third output leaves the first two as they were', (which) => {
    const dir = folder(`set-${which}`, old);
    expect(() => writeFileSet(outputs(dir), failingOn(which))).toThrow(/^cannot write .*training\.png \(ENOSPC\); the previous files are unchanged$/);
    expect(contents(dir)).toEqual(old); // and no temporary or backup file is left
    const empty = folder(`set-${which}-empty`, {});
    expect(() => writeFileSet(outputs(empty), failingOn(which))).toThrow(/ENOSPC/);
    expect(contents(empty)).toEqual({});
  });

  test("the other runtime's plot goes with the old set, and comes back if the new set fails", () => {
    const withSvg = { ...old, 'training.svg': 'old svg' };
    const dir = folder('set-stale', withSvg);
    writeFileSet(outputs(dir), undefined, [path.join(dir, 'training.svg')]);
    expect(contents(dir)).toEqual({ 'metrics.json': 'new metrics.json', 'model.safetensors': 'new model.safetensors', 'notes.txt': 'mine', 'training.png': 'new training.png' });
    const failed = folder('set-stale-failed', withSvg);
    expect(() => writeFileSet(outputs(failed), failingOn('rename'), [path.join(failed, 'training.svg')])).toThrow(/the previous files are unchanged$/);
    expect(contents(failed)).toEqual(withSvg);
  });
});

// Each test here starts Chrome or several CLI processes: minutes on a loaded 2-core machine.
test("the tuning cache's lock file: one holder at a time, the next waits for its release, one left by a killed run is taken after 10 s, a held one fails a save after 3 s", { timeout: 20_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-lock-'));
  const before = process.env.WGSLGRAD_CACHE_DIR;
  process.env.WGSLGRAD_CACHE_DIR = dir;
  const lockFile = path.join(dir, 'tuning.json.lock');
  try {
    const release = await tuningFileStore.lock();
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(process.pid));
    let second = false;
    const waiting = tuningFileStore.lock().then((r) => ((second = true), r));
    await new Promise((r) => setTimeout(r, 200));
    expect(second).toBe(false); // still waiting
    await release();
    const releaseSecond = await waiting;
    expect(second).toBe(true);
    await releaseSecond();
    expect(fs.existsSync(lockFile)).toBe(false);
    // A lock 11 s old, left by a run killed while saving: taken at once.
    fs.writeFileSync(lockFile, '1');
    const old = (Date.now() - 11_000) / 1000;
    fs.utimesSync(lockFile, old, old);
    const releaseStale = await tuningFileStore.lock();
    expect(fs.readFileSync(lockFile, 'utf8')).toBe(String(process.pid));
    // A fresh lock held by another run: given up after 3 s, naming the file.
    const started = Date.now();
    await expect(tuningFileStore.lock()).rejects.toThrow(`another run holds ${lockFile}; not saved this time`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2900);
    await releaseStale();
  } finally {
    if (before === undefined) delete process.env.WGSLGRAD_CACHE_DIR;
    else process.env.WGSLGRAD_CACHE_DIR = before;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("requestGpu() in a Node script reads the tuning cache, as the CLI does (until stop 31 a script kept none: a port paid a slow variant's 7-18 s compile at every run)", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-script-cache-'));
  const before = process.env.WGSLGRAD_CACHE_DIR;
  process.env.WGSLGRAD_CACHE_DIR = dir;
  fs.writeFileSync(path.join(dir, 'tuning.json'), '{ not json');
  const gpu = await requestGpu();
  try {
    expect(gpu.tuner.notices.join('\n')).toMatch(/tuning cache is corrupt \(not JSON\); rebuilding it/);
  } finally {
    gpu.destroy();
    if (before === undefined) delete process.env.WGSLGRAD_CACHE_DIR;
    else process.env.WGSLGRAD_CACHE_DIR = before;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

describe('a short training run', { timeout: 300_000 }, () => {
  const out = path.join(temp, 'short');
  // ReLU, Adam 3e-3, one hidden layer of 64, batch 16: learns in a few epochs (the tuned sigmoid model needs ~10).
  const recipe = ['--activation', 'relu', '--hidden', '64', '--lr', '0.003', '--batch-size', '16', '--progress', '0'];
  const args = [...recipe, '--epochs', '6', '--out', out];
  let trained: Run;

  test('trains to ≥ 0.90 test accuracy in 6 epochs and writes model, metrics and plot', async () => {
    trained = await start(args);
    expect(trained.stderr).toBe('');
    expect(trained.code).toBe(0);
    const accuracy = Number(/^test accuracy: (0\.\d{4})$/m.exec(trained.stdout)?.[1]);
    expect(trained.stdout.trim().split('\n').at(-1)).toMatch(/^test accuracy: 0\.\d{4}$/);
    expect(accuracy).toBeGreaterThanOrEqual(0.9);
    expect(trained.stdout).toMatch(/confusion matrix/);
    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
    expect(metrics.epochs).toHaveLength(6);
    expect(metrics.test.accuracy).toBeCloseTo(accuracy, 4);
    expect(trained.stdout).toMatch(/^WebGPU adapter: .* in Node on Dawn$/m); // the default runtime
    const svg = fs.readFileSync(path.join(out, 'training.svg'), 'utf8');
    expect(svg).toMatch(/^<svg /);
    expect(svg.match(/<polyline /g)).toHaveLength(2);
    expect(fs.readdirSync(out).sort()).toEqual(['metrics.json', 'model.safetensors', 'training.svg']);
    // progress within each epoch: 100 steps, a look every 16
    expect(trained.stdout).toMatch(/^ {2}epoch 1\/6 {2}step 16\/100 {2}loss \d\.\d{4} {2}\d+ steps\/s {2}ETA \S+ for the epoch, \S+ for the run$/m);
    expect(trained.stdout).toMatch(/^ {2}epoch 6\/6 {2}step 80\/100 /m);
    // the model records the CSV it was trained on
    const saved = decodeModelFile(fs.readFileSync(path.join(out, 'model.safetensors')), 'model');
    expect(saved.data).toEqual({ name: 'mobile-price.csv', sha256: crypto.createHash('sha256').update(fs.readFileSync('data/mobile-price.csv')).digest('hex'), rows: 2000 });
  });

  test('--eval reproduces the printed accuracy', async () => {
    const printed = /^test accuracy: (0\.\d{4})$/m.exec(trained.stdout)?.[1];
    const run = await start(['--eval', path.join(out, 'model.safetensors')]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n').at(-1)).toBe(`test accuracy: ${printed}`);
  });

  test('--no-bounds-checks trains the same run to the same losses, and says so', async () => {
    const uncheckedOut = path.join(temp, 'short-unchecked');
    // Also a tuning cache that cannot be written: said once, and not claimed as cached. In /proc, where
    // Node 20's recursive mkdir spun forever (hence the time limit).
    const run = await start([...recipe, '--epochs', '2', '--out', uncheckedOut, '--no-bounds-checks'], { WGSLGRAD_CACHE_DIR: '/proc/wgslgrad-cache' }, 120_000); // the 6-epoch run's first two
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^WebGPU adapter: .* in Node on Dawn, bounds checks off$/m);
    expect(run.stdout.match(/^wgslgrad: tuning cache not saved \(ENOENT\b.*\)/gm)).toHaveLength(1);
    expect(run.stdout).toMatch(/^tuning: .* kernel shapes, not cached \(ENOENT\b.*'\/proc\/wgslgrad-cache'\)$/m);
    const metrics = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
    expect([metrics(out).boundsChecks, metrics(uncheckedOut).boundsChecks]).toEqual([true, false]);
    // The same kernels on the same adapter; the checks only clamp accesses the kernels never make.
    // Not to the bit: the tuner keeps apart picks for each setting, and another reduction order
    // rounds differently (seen: 8e-8 in the first epoch's loss).
    const [checked, unchecked] = [metrics(out), metrics(uncheckedOut)].map((m) => m.epochs.map((e: { loss: number }) => e.loss) as number[]);
    expect(unchecked).toHaveLength(2);
    unchecked!.forEach((loss, i) => expect(Math.abs(loss - checked![i]!)).toBeLessThan(1e-5));
  });

  test('--runtime chrome trains the same run to the same losses, and evaluates the Node-trained model alike', async () => {
    const chromeOut = path.join(temp, 'short-chrome');
    // Started in another folder: the page is still served from the project (it once served the shell's folder and timed out).
    const run = await start([...recipe, '--epochs', '6', '--out', chromeOut, '--runtime', 'chrome'], {}, 0, temp);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^WebGPU adapter: .*$/m);
    // The same WGSL on the same SwiftShader: epoch losses agree to float32 rounding of the reductions.
    const losses = (file: string) => JSON.parse(fs.readFileSync(file, 'utf8')).epochs.map((e: { loss: number }) => e.loss) as number[];
    const [node, chrome] = [losses(path.join(out, 'metrics.json')), losses(path.join(chromeOut, 'metrics.json'))];
    chrome.forEach((loss, i) => expect(Math.abs(loss - node[i]!)).toBeLessThan(1e-4));
    const png = fs.readFileSync(path.join(chromeOut, 'training.png'));
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(png.length).toBeGreaterThan(10_000);
    const printed = /^test accuracy: (0\.\d{4})$/m.exec(trained.stdout)?.[1];
    const evaluated = await start(['--eval', path.join(out, 'model.safetensors'), '--runtime', 'chrome']);
    expect(evaluated.code).toBe(0);
    expect(evaluated.stdout.trim().split('\n').at(-1)).toBe(`test accuracy: ${printed}`);
  }, 300_000); // two Chrome start-ups

  test('a corrupt or truncated model file loads nothing', async () => {
    const good = fs.readFileSync(path.join(out, 'model.safetensors'));
    const truncated = path.join(temp, 'truncated.safetensors');
    fs.writeFileSync(truncated, good.subarray(0, good.length - 100));
    let run = await start(['--eval', truncated]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/truncated\.safetensors: not a valid safetensors file: tensor 'linear\d\.(weight|bias)' ends at byte \d+ of a \d+-byte data section \(truncated\?\)/);
    const garbage = csv('garbage.safetensors', 'definitely not a model');
    run = await start(['--eval', garbage]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/garbage\.safetensors: not a valid safetensors file/);
    run = await start(['--eval', path.join(out, 'model.safetensors'), '--data', csv('other.csv', `${header}1,2,0\n3,4,1\n`), '--label', 'label']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/other\.csv: its features differ from those of the model .*: missing 'battery_power', 'blue', .*, … \(20 in all\); not in the model: 'a', 'b'$/m);
  });

  test('--eval against another CSV says so, and names the features that differ', async () => {
    const model = path.join(out, 'model.safetensors');
    const lines = fs.readFileSync('data/mobile-price.csv', 'utf8').trim().split('\n');
    // The same columns, half the rows: the model's test rows run past its end.
    let run = await start(['--eval', model, '--data', csv('half.csv', `${lines.slice(0, 1001).join('\n')}\n`)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^warning: .*model\.safetensors was trained on mobile-price\.csv \(2000 rows, sha256 [0-9a-f]{12}…\), not on .*half\.csv \(1000 rows, sha256 [0-9a-f]{12}…\)/m);
    expect(run.stderr).toMatch(/^error: .*half\.csv: has 1000 rows, but the model's test split includes row \d+$/m);
    run = await start(['--eval', model, '--data', csv('renamed.csv', `${lines[0]!.replace('ram', 'RAM').replace('wifi', 'WiFi')}\n${lines.slice(1).join('\n')}\n`)]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^error: .*renamed\.csv: its features differ from those of the model .*: missing 'ram', 'wifi'; not in the model: 'RAM', 'WiFi'$/m);
  });

  test('--eval of a model trained on another CSV, without --data, asks for that file', async () => {
    const { tensors, metadata } = decodeSafetensors(fs.readFileSync(path.join(out, 'model.safetensors')), 'model');
    const file = path.join(temp, 'trained-on-mine.safetensors');
    fs.writeFileSync(file, encodeSafetensors({ tensors, metadata: { ...metadata, data: JSON.stringify({ ...JSON.parse(metadata.data!), name: 'mine.csv' }) } }));
    const run = await start(['--eval', file]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(/^error: .*trained-on-mine\.safetensors was trained on mine\.csv \(2000 rows\), not on the default data: pass that file with --data$/);
  });

  test('--eval trusts nothing in the metadata: each problem names the file, before Chrome starts', async () => {
    const { tensors, metadata } = decodeSafetensors(fs.readFileSync(path.join(out, 'model.safetensors')), 'model');
    const edited = (name: string, key: string, value: string) => {
      const file = path.join(temp, name);
      fs.writeFileSync(file, encodeSafetensors({ tensors, metadata: { ...metadata, [key]: value } }));
      return file;
    };
    const architecture = JSON.parse(metadata.architecture!);
    for (const [file, pattern] of [
      [edited('no-rows.safetensors', 'test_rows', '[]'), /no-rows\.safetensors: not a usable model:\n {2}test_rows: empty/],
      [edited('wide.safetensors', 'architecture', JSON.stringify({ ...architecture, hidden: [1e9] })), /wide\.safetensors: not a usable model:\n {2}architecture: hidden layer 1 has size 1000000000/],
      [edited('zero-scale.safetensors', 'scaler', JSON.stringify({ ...JSON.parse(metadata.scaler!), scale: new Array(20).fill(0) })), /zero-scale\.safetensors: not a usable model:\n {2}scaler: the scale of feature 'battery_power' is 0/],
    ] as const) {
      const run = await start(['--eval', file]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(pattern);
      expect(run.stdout).not.toMatch(/WebGPU adapter/);
    }
  });

  const snapshot = () => Object.fromEntries(fs.readdirSync(out).sort().map((f) => [f, crypto.createHash('sha256').update(fs.readFileSync(path.join(out, f))).digest('hex')]));

  test('weights that turn NaN behind a sigmoid reach the loss, which stops training before anything is written', async () => {
    const before = snapshot();
    // Raw features (in the thousands) and SGD lr 1e35: linear1's update overflows to ±Infinity, its
    // output to NaN. The sigmoid used to turn that NaN into 0 or 1 and the loss stayed finite (about
    // 1e35) until the weights were checked after training; the sigmoid now keeps NaN, as PyTorch's does.
    const run = await start(['--no-standardize', '--optimizer', 'sgd', '--lr', '1e35', '--hidden', '16', '--epochs', '1', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(/^error: the training loss became NaN or infinite at epoch 1, step \d+; training stopped and no model was written$/);
    expect(snapshot()).toEqual(before);
  });

  test('a loss that diverges but stays finite is warned of, with the loss and what to try; the model is still written', async () => {
    // Adam at lr 1e30: each step moves every weight by ~1e30, so the logits reach ~1e31, finite in float32.
    const dir = path.join(temp, 'diverged');
    const run = await start(['--lr', '1e30', '--hidden', '16', '--epochs', '1', '--out', dir, '--progress', '0']);
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/^warning: the last epoch's training loss is \d\.\d\de\+\d+, over 100× the 1\.39 of guessing every class equally \(ln 4\): training has likely diverged\. Try a smaller --lr$/m);
    expect(fs.existsSync(path.join(dir, 'model.safetensors'))).toBe(true);
  });

  test('a NaN loss stops training within a few steps, names the epoch and step, and keeps the saved model', async () => {
    const before = snapshot();
    // SGD with lr 1e37 diverges: the weights overflow float32 within a few steps and the loss turns NaN.
    const run = await start(['--optimizer', 'sgd', '--lr', '1e37', '--hidden', '16', '--epochs', '2', '--out', out, '--progress', '0']);
    expect(run.code).toBe(1);
    // the message alone: no stack frame after it
    expect(run.stderr.trim()).toMatch(/^error: the training loss became NaN or infinite at epoch 1, step (\d+); training stopped and no model was written$/);
    const step = Number(/step (\d+);/.exec(run.stderr)![1]);
    // The guard looks every 16 steps at the read it started 16 steps before: no progress past the NaN + 32 steps.
    const reported = [...run.stdout.matchAll(/^ {2}epoch 1\/2 {2}step (\d+)\/200 /gm)].map((m) => Number(m[1]));
    expect(Math.max(0, ...reported)).toBeLessThan(step + 32);
    expect(run.stdout).not.toMatch(/^epoch 1\/2 /m);
    expect(snapshot()).toEqual(before);
  });
});
