// MNIST without a GPU: the committed extract decodes to the package's 10,000 digits and matches its
// checksum; the seeded split is 8,000 / 2,000 and stratified; model files of the MnistCNN load and
// files of another architecture are refused naming the tensor and both shapes; `--task mnist` refuses
// flags that do not apply and wrong model files before Chrome starts; every failure, in either
// runtime, is the message alone.
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { trainTestSplit } from '../src/data';
import { decodeMnist, encodeMnistModel, MNIST_CNN_STATE, readMnistModel } from '../src/mnist';
import { decodeSafetensors, encodeSafetensors } from '../src/safetensors';

const extract = new Uint8Array(fs.readFileSync('data/mnist-10k.u8.gz'));
const fixture = new Uint8Array(fs.readFileSync('tests/fixtures/mnist-cnn-pytorch.safetensors'));

describe('the MNIST extract', () => {
  test('10,000 digits of 784 pixels in [0, 1], the package per-digit counts, checksum verified', async () => {
    const data = await decodeMnist(extract);
    expect(data.rows).toBe(10_000);
    expect(data.x.length).toBe(10_000 * 784);
    expect(data.x.every((v) => v >= 0 && v <= 1)).toBe(true);
    const counts = data.classes.map((_, k) => data.y.filter((y) => y === k).length);
    expect(counts).toEqual([1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
    // the package's own decimals: round(k / 255, 3)
    expect(new Set(data.x).size).toBe(256);
    expect(data.x.includes(Math.fround(0.992))).toBe(true);
  });

  test('a changed byte fails the checksum; a truncated file fails the length', async () => {
    const raw = new Uint8Array(await new Response(new Blob([extract]).stream().pipeThrough(new DecompressionStream('gzip'))).arrayBuffer());
    raw[1234] = raw[1234]! ^ 1;
    await expect(decodeMnist(raw, 'tampered')).rejects.toThrow(/tampered: SHA-256 [0-9a-f]{64} differs from the recorded/);
    await expect(decodeMnist(raw.subarray(0, 5000), 'short')).rejects.toThrow(/short: 5000 bytes after decompression, expected 7850000/);
    // the gzip file itself cut short, or with a changed byte: named, not a bare zlib message
    await expect(decodeMnist(extract.subarray(0, 100_000), 'cut.gz')).rejects.toThrow(/^cut\.gz: a damaged gzip file \(.+\); restore it with git checkout -- data\/mnist-10k\.u8\.gz$/);
    const flipped = extract.slice();
    flipped[5000] = flipped[5000]! ^ 0xff;
    await expect(decodeMnist(flipped, 'flipped.gz')).rejects.toThrow(/^flipped\.gz: (a damaged gzip file|SHA-256)/);
  });

  test('the seeded split is 8,000 / 2,000, stratified, and reproducible', async () => {
    const data = await decodeMnist(extract);
    const a = trainTestSplit(data, { trainSize: 0.8, seed: 0 });
    expect([a.train.rows, a.test.rows]).toEqual([8000, 2000]);
    expect(new Set([...a.trainRows, ...a.testRows]).size).toBe(10_000);
    expect(trainTestSplit(data, { trainSize: 0.8, seed: 0 }).testRows).toEqual(a.testRows);
    expect(trainTestSplit(data, { trainSize: 0.8, seed: 1 }).testRows).not.toEqual(a.testRows);
  });
});

describe('MNIST model files', () => {
  test('a model trained by scripts/mnist_cnn.py (PyTorch) loads: every tensor of MnistCNN, the test rows', () => {
    const model = readMnistModel(fixture, 'fixture');
    expect([...model.state.keys()].sort()).toEqual(MNIST_CNN_STATE.map(([n]) => n).sort());
    expect(model.testRows.length).toBe(2000);
    expect(model.testAccuracy).toBeGreaterThan(0.95);
  });

  test('round trip through encodeMnistModel', () => {
    const model = readMnistModel(fixture, 'fixture');
    const again = readMnistModel(encodeMnistModel(model.state, { testRows: model.testRows, training: { epochs: 5, batchSize: 32, lr: 1e-3, seed: 0 }, testAccuracy: model.testAccuracy }), 'again');
    expect(Array.from(again.state.get('fc.weight')!.values)).toEqual(Array.from(model.state.get('fc.weight')!.values));
  });

  test('another architecture is refused, naming the tensor and both shapes', () => {
    const { tensors, metadata } = decodeSafetensors(fixture, 'fixture');
    const conv2 = tensors.get('conv2.weight')!;
    tensors.set('conv2.weight', { ...conv2, shape: [16, 4, 3, 3], values: Array.from(conv2.values).slice(0, 16 * 4 * 9) });
    tensors.delete('fc.bias');
    tensors.set('fc2.weight', { dtype: 'F32', shape: [1], values: [0] });
    const bytes = encodeSafetensors({ tensors, metadata });
    expect(() => readMnistModel(bytes, 'other.safetensors')).toThrow(/other\.safetensors: not this architecture \(Conv\(1→8.*\):\n  'conv2\.weight' has shape \[16, 4, 3, 3\], MnistCNN expects \[16, 8, 3, 3\]\n  missing 'fc\.bias' \(MnistCNN expects shape \[10\]\)\n  unexpected tensor 'fc2\.weight'/);
  });

  test('a hand-edited file is refused, naming each problem; the writer refuses a broken model', () => {
    const edited = (edit: (tensors: ReturnType<typeof decodeSafetensors>['tensors'], metadata: Record<string, string>) => void) => {
      const { tensors, metadata } = decodeSafetensors(fixture, 'fixture');
      edit(tensors, metadata);
      return encodeSafetensors({ tensors, metadata });
    };
    const withValue = (name: string, index: number, value: number) => (tensors: ReturnType<typeof decodeSafetensors>['tensors']) => {
      const t = tensors.get(name)!;
      const values = Array.from(t.values);
      values[index] = value;
      tensors.set(name, { ...t, values });
    };
    for (const [label, bytes, pattern] of [
      ['a negative running variance', edited(withValue('bn1.running_var', 3, -1)), /'bn1\.running_var' holds negative variances/],
      ['a NaN weight', edited(withValue('fc.weight', 7, NaN)), /NaN or infinite values in 'fc\.weight' \(1 of 7840 values\)/],
      ['a negative batch count', edited(withValue('bn2.num_batches_tracked', 0, -2)), /'bn2\.num_batches_tracked' is -2, expected a count/],
      ['no test rows', edited((_, m) => { m.test_rows = '[]'; }), /test_rows: empty/],
      ['a repeated test row', edited((_, m) => { m.test_rows = '[1,1,1]'; }), /test_rows: row 1 appears twice/],
      ['a test row past the data', edited((_, m) => { m.test_rows = '[5, 10000]'; }), /test_rows: expected row numbers below 10,000/],
      ['no recorded accuracy', edited((_, m) => { delete m.test_accuracy; }), /test_accuracy: NaN, expected a number in \[0, 1\]/],
    ] as const) {
      expect(() => readMnistModel(bytes, 'edited.safetensors'), label).toThrow(new RegExp(`^edited\\.safetensors: not a sound MNIST CNN model file:\\n  [^]*${pattern.source}`));
    }
    const model = readMnistModel(fixture, 'fixture');
    model.state.get('conv1.bias')!.values[0] = Infinity;
    expect(() => encodeMnistModel(model.state, { testRows: model.testRows, training: { epochs: 5, batchSize: 32, lr: 1e-3, seed: 0 }, testAccuracy: model.testAccuracy })).toThrow(/^refusing to write a broken model file:\n  NaN or infinite values in 'conv1\.bias' \(1 of 8 values\)$/);
  });

  test('a phone-price model file is refused, saying what it is', () => {
    const { tensors, metadata } = decodeSafetensors(fixture, 'fixture');
    const bytes = encodeSafetensors({ tensors, metadata: { ...metadata, wgslgrad: 'wgslgrad-classifier-1' } });
    expect(() => readMnistModel(bytes, 'phone.safetensors')).toThrow(/phone\.safetensors: not a wgslgrad MNIST CNN \(metadata 'wgslgrad' is "wgslgrad-classifier-1", expected 'wgslgrad-mnist-cnn-1'\) \(a phone-price classifier: npm start -- --eval FILE, without --task mnist, or the Phone-price training page, evaluates it\)/);
  });
});

/** A failure is the message alone: one `error:` line (an architecture's mismatches indented under it), no stack frame. */
function expectOneLine(stderr: string): void {
  expect(stderr).not.toMatch(/^ {4}at /m);
  expect(stderr.trim()).toMatch(/^error: [^\n]*(\n  \S[^\n]*)*$/);
}

function start(args: string[]): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/start.ts', ...args], (error, _stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stderr }));
  });
}

describe('npm start -- --task mnist refuses bad input before Chrome starts', () => {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-mnist-'));
  test.each([
    ['a flag of the phone-price task', ['--task', 'mnist', '--hidden', '64'], /error: --hidden does not apply to --task mnist/],
    ['an unknown task', ['--task', 'cifar'], /error: --task expects mnist or phone-price, got 'cifar'/],
    ['a bad batch size', ['--task', 'mnist', '--batch-size', '0'], /error: --batch-size expects an integer in \[1, 8000\], got '0'/],
    ['no epochs', ['--task', 'mnist', '--epochs', '0'], /error: --epochs expects a positive integer, got '0'/],
    ['a bad --progress', ['--task', 'mnist', '--progress', '-1'], /error: --progress expects a number of seconds ≥ 0, got '-1'/],
    ['a missing model file', ['--task', 'mnist', '--eval', path.join(temp, 'none.safetensors')], /none\.safetensors: cannot read the model \(ENOENT\)/],
    ['a training flag with --eval', ['--task', 'mnist', '--eval', path.join(temp, 'none.safetensors'), '--epochs', '2'], /error: --epochs cannot be used with --eval/],
    // --variant-policy is taken (the help lists it), and --out is checked before any training
    ['an --out it cannot create', ['--task', 'mnist', '--variant-policy', 'fixed', '--out', '/proc/wgslgrad-mnist'], /^error: --out \/proc\/wgslgrad-mnist: cannot create \/proc\/wgslgrad-mnist \(\w+\)$/m],
  ])('%s', async (_, args, pattern) => {
    const run = await start(args as string[]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(pattern);
    expectOneLine(run.stderr);
  });

  test('a model file of another architecture names the tensor and the shapes', async () => {
    const { tensors, metadata } = decodeSafetensors(fixture, 'fixture');
    tensors.set('fc.weight', { dtype: 'F32', shape: [10, 100], values: new Array(1000).fill(0) });
    const file = path.join(temp, 'other.safetensors');
    fs.writeFileSync(file, encodeSafetensors({ tensors, metadata }));
    const run = await start(['--task', 'mnist', '--eval', file]);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/other\.safetensors: not this architecture .*\n  'fc\.weight' has shape \[10, 100\], MnistCNN expects \[10, 784\]/);
    expectOneLine(run.stderr);
  });

  // Refused before either runtime starts (so one runtime each is enough).
  test('a phone-price model file (--runtime chrome) and a corrupt file (--runtime node)', async () => {
    const { tensors, metadata } = decodeSafetensors(fixture, 'fixture');
    const phone = path.join(temp, 'phone.safetensors');
    fs.writeFileSync(phone, encodeSafetensors({ tensors, metadata: { ...metadata, wgslgrad: 'wgslgrad-classifier-1' } }));
    const corrupt = path.join(temp, 'corrupt.safetensors');
    fs.writeFileSync(corrupt, fixture.subarray(0, 1000));
    for (const [runtime, file, pattern] of [['chrome', phone, /phone\.safetensors: not a wgslgrad MNIST CNN .*the Phone-price training page, evaluates it\)$/], ['node', corrupt, /corrupt\.safetensors: not a valid safetensors file/]] as const) {
      const run = await start(['--task', 'mnist', '--runtime', runtime, '--eval', file]);
      expect(run.code).toBe(1);
      expect(run.stderr.trim()).toMatch(pattern);
      expectOneLine(run.stderr);
    }
  });
});

describe('--task mnist fails in either runtime with the message alone', () => {
  // Adam at lr 1e37 diverges within a few steps; the failure crosses page.evaluate in Chrome, where
  // a thrown Error would bring a stack frame with it (src/runner.ts settle answers { error }).
  test.each(['node', 'chrome'])('a diverging run (--runtime %s)', { timeout: 180_000 }, async (runtime) => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-mnist-nan-'));
    const run = await start(['--task', 'mnist', '--runtime', runtime, '--lr', '1e37', '--epochs', '1', '--batch-size', '2', '--variant-policy', 'fixed', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toMatch(/^error: the training loss (became NaN or infinite|overflowed float32) .*no model was written$/);
    expectOneLine(run.stderr);
    expect(fs.readdirSync(out)).toEqual([]);
  });
});

describe('--task mnist shows its progress within an epoch', () => {
  // The same progress as the phone-price run: without a terminal, a line each --progress seconds. The
  // run is stopped at its first line (an epoch at batch 8 is 1,000 steps).
  test.each(['node', 'chrome'])('a step line with the loss, steps/s and the time left (--runtime %s)', { timeout: 120_000 }, async (runtime) => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-mnist-progress-'));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-mnist-tmpdir-'));
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts', '--task', 'mnist', '--epochs', '1', '--batch-size', '8', '--progress', '0', '--variant-policy', 'fixed', '--runtime', runtime, '--out', out], { env: { ...process.env, TMPDIR: tmp } });
    let stdout = '';
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        stdout += chunk;
        const found = stdout.split('\n').find((l) => /^ +epoch 1\/1 +step /.test(l));
        if (found) resolve(found);
      });
      child.on('exit', () => reject(new Error(`exited with no progress line:\n${stdout}`)));
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    await exited;
    expect(line).toMatch(/^  epoch 1\/1  step 16\/1000  loss \d\.\d{4}  \d+ steps\/s  ETA \S+ for the epoch, \S+ for the run$/);
    // Killed, the run leaves no Chrome profile behind (scripts/chrome.ts); tsx keeps its cache there.
    // Chrome's helper processes may outlive it by a moment, removing their own temporary files
    // (.org.chromium.Chromium.*; seen twice on a loaded machine, once still there after 5 s): what is
    // left after 15 s is a leak.
    const left = () => fs.readdirSync(tmp).filter((f) => !f.startsWith('tsx-'));
    for (let waited = 0; left().length && waited < 15_000; waited += 100) await new Promise((r) => setTimeout(r, 100));
    expect(left()).toEqual([]);
  });
});
