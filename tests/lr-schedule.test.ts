// --lr-schedule: the parser (CPU only), its errors, and a short CLI run whose epochs use the schedule.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseLrSchedule } from '../src/run-config';

describe('parseLrSchedule', () => {
  test.each([
    ['none', { kind: 'none' }],
    ['step:5', { kind: 'step', stepSize: 5, gamma: 0.1 }],
    ['step:5:0.5', { kind: 'step', stepSize: 5, gamma: 0.5 }],
    ['multistep:10,20,20:0.3', { kind: 'multistep', milestones: [10, 20, 20], gamma: 0.3 }],
    ['exponential:0.95', { kind: 'exponential', gamma: 0.95 }],
    ['cosine', { kind: 'cosine', tMax: null, etaMin: 0 }],
    ['cosine:30:0.0001', { kind: 'cosine', tMax: 30, etaMin: 0.0001 }],
    ['plateau', { kind: 'plateau', factor: 0.1, patience: 10 }],
    ['plateau:0.5:2', { kind: 'plateau', factor: 0.5, patience: 2 }],
    ['linear', { kind: 'linear', startFactor: 1 / 3, endFactor: 1, totalIters: 5 }],
    ['linear:0.1:1:3', { kind: 'linear', startFactor: 0.1, endFactor: 1, totalIters: 3 }],
    ['constant:0.5', { kind: 'constant', factor: 0.5, totalIters: 5 }],
    ['warmrestarts:10', { kind: 'warmrestarts', t0: 10, tMult: 1, etaMin: 0 }],
    ['warmrestarts:5:2:0.001', { kind: 'warmrestarts', t0: 5, tMult: 2, etaMin: 0.001 }],
    ['onecycle:0.01', { kind: 'onecycle', maxLr: 0.01, pctStart: 0.3 }],
    ['onecycle:0.01:0.25', { kind: 'onecycle', maxLr: 0.01, pctStart: 0.25 }],
  ])('%s', (text, spec) => {
    expect(parseLrSchedule(text)).toEqual(spec);
  });

  test.each([
    ['linearly', /unknown schedule 'linearly'/],
    ['linear:0', /START expected a number in \(0, 1\], got '0'/],
    ['constant:0.5:0', /ITERS expected a positive integer, got '0'/],
    ['warmrestarts', /T_0 is missing/],
    ['onecycle', /MAX_LR is missing/],
    ['onecycle:0.1:1', /PCT_START expected a number in \(0, 1\), got '1'/],
    ['step', /SIZE is missing/],
    ['step:0', /SIZE expected a positive integer, got '0'/],
    ['step:3:0.5:1', /step takes at most 2 values/],
    ['multistep:10,x', /milestones expected positive integers/],
    ['exponential:-1', /GAMMA expected a number > 0, got '-1'/],
    ['cosine:2.5', /T_MAX expected a positive integer/],
    ['plateau:1.5', /FACTOR expected a number in \(0, 1\)/],
  ])('%s is refused', (text, pattern) => {
    expect(() => parseLrSchedule(text)).toThrow(pattern);
    expect(() => parseLrSchedule(text)).toThrow(/expected none, step:SIZE\[:GAMMA\]/);
  });
});

function start(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/start.ts', ...args], { maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('npm start -- --lr-schedule', () => {
  test('a bad schedule stops before training', async () => {
    const run = await start(['--lr-schedule', 'step:zero']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--lr-schedule 'step:zero': SIZE expected a positive integer, got 'zero'/);
    expect(run.stdout).not.toMatch(/epoch 1/);
  });

  test('each epoch trains with the scheduled lr (StepLR halving every epoch)', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-lr-'));
    const run = await start(['--epochs', '3', '--hidden', '16', '--activation', 'relu', '--lr', '0.004', '--batch-size', '32', '--lr-schedule', 'step:1:0.5', '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')) as { config: { lrSchedule: string }; epochs: { lr: number }[] };
    expect(metrics.config.lrSchedule).toBe('step:1:0.5');
    expect(metrics.epochs.map((e) => e.lr)).toEqual([0.004, 0.002, 0.001]);
  });

  test("onecycle spans the epochs: each epoch's lr as PyTorch's OneCycleLR(max_lr=0.01, total_steps=4) stepped once an epoch", async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-lr-'));
    const run = await start(['--epochs', '4', '--hidden', '16', '--activation', 'relu', '--batch-size', '64', '--lr-schedule', 'onecycle:0.01', '--out', out]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const metrics = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')) as { epochs: { lr: number }[] };
    // PyTorch 1.13: [0.0003999999999999993, 0.00811745653949763, 0.0028306099820869924, 4e-08]
    const pytorch = [0.0004, 0.00811745653949763, 0.0028306099820869924, 4e-8];
    metrics.epochs.forEach((e, i) => expect(e.lr).toBeCloseTo(pytorch[i]!, 12));
  });
});
