// `npm start` as a user runs it: bad input fails before training with a message naming the file,
// line and column; a short run writes the model, metrics and plot, in Node (the default) and in Chrome with the
// same losses; --eval reproduces the accuracy in either;
// a corrupt model file loads nothing; a NaN loss stops training and leaves the saved model alone.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function start(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/start.ts', ...args], { maxBuffer: 1 << 24, env }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
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

describe('bad input fails before training', () => {
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
      [['--lr', '0'], /--lr expects a number > 0, got '0'/],
      [['--dropout', '1.5'], /--dropout expects a probability in \[0, 1\)/],
      [['--epochs', 'ten'], /--epochs expects a positive integer, got 'ten'/],
      [['--bogus'], /Unknown option '--bogus'/],
      [['--runtime', 'firefox'], /--runtime expects node or chrome, got 'firefox'/],
    ] as const) {
      const run = await start([...args]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(pattern);
    }
  });

  test('no Vulkan driver: the Node runtime says what to install', async () => {
    const run = await start(['--epochs', '1', '--out', temp], { ...process.env, VK_ICD_FILENAMES: path.join(temp, 'no-such-driver.json') });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: No WebGPU adapter was found\. In Node, wgslgrad runs on Dawn .* install your GPU's Vulkan driver and loader .* or Chromium/);
    expect(run.stdout).not.toMatch(/epoch 1/);
  });

  test('--help lists every flag', async () => {
    const run = await start(['--help']);
    expect(run.code).toBe(0);
    for (const flag of ['--variant', '--epochs', '--batch-size', '--lr', '--optimizer', '--hidden', '--activation', '--dropout', '--batch-norm', '--seed', '--data', '--label', '--out', '--eval', '--runtime']) expect(run.stdout).toContain(flag);
  });
});

describe('a short training run', () => {
  const out = path.join(temp, 'short');
  // ReLU, Adam 3e-3, one hidden layer of 64, batch 16: learns in a few epochs (the tuned sigmoid model needs ~10).
  const args = ['--epochs', '6', '--activation', 'relu', '--hidden', '64', '--lr', '0.003', '--batch-size', '16', '--out', out];
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
    expect(fs.readdirSync(out).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  test('--eval reproduces the printed accuracy', async () => {
    const printed = /^test accuracy: (0\.\d{4})$/m.exec(trained.stdout)?.[1];
    const run = await start(['--eval', path.join(out, 'model.safetensors')]);
    expect(run.code).toBe(0);
    expect(run.stdout.trim().split('\n').at(-1)).toBe(`test accuracy: ${printed}`);
  });

  test('--runtime chrome trains the same run to the same losses, and evaluates the Node-trained model alike', async () => {
    const chromeOut = path.join(temp, 'short-chrome');
    const run = await start([...args, '--out', chromeOut, '--runtime', 'chrome']);
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
    expect(run.stderr).toMatch(/other\.csv: its features \(2\) differ from the model's \(20/);
  });

  test('a NaN loss stops training, names the epoch and step, and keeps the saved model', async () => {
    const before = fs.readFileSync(path.join(out, 'model.safetensors'));
    // SGD with lr 1e37 diverges: the weights overflow float32 within a few steps and the loss turns NaN.
    const run = await start(['--optimizer', 'sgd', '--lr', '1e37', '--hidden', '16', '--epochs', '2', '--out', out]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/error: the training loss became NaN or infinite at epoch 1, step \d+; training stopped and no model was written/);
    expect(fs.readFileSync(path.join(out, 'model.safetensors')).equals(before)).toBe(true);
  });
});
