// examples/port: the PyTorch script train.py and its line-by-line port train.ts print the same losses
// to 4 significant digits. train.out is train.py's committed output (no PyTorch needed here); the
// port runs in this Node process on Dawn.
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { main } from '../examples/port/train';

test('examples/port/train.ts prints what train.py printed (train.out), to 4 significant digits', async () => {
  const lines: string[] = [];
  await main((line) => lines.push(line));
  const pytorch = readFileSync(new URL('../examples/port/train.out', import.meta.url), 'utf8').trimEnd().split('\n');
  expect(pytorch).toHaveLength(5);
  expect(lines).toEqual(pytorch);
}, 180_000);

test("examples/api.ts (README's API section, whole) trains the case study to ≥ 0.8 test accuracy in 3 epochs", async () => {
  const { main } = await import('../examples/api');
  const lines: string[] = [];
  const accuracy = await main((line) => lines.push(line), 3);
  expect(lines.at(-1)).toMatch(/^test accuracy: 0\.\d{4}$/);
  expect(accuracy).toBeGreaterThanOrEqual(0.8);
}, 180_000);

test("examples/blitz-cifar.ts (the 60-minute blitz's classifier, as a student ports it) learns its made-up images, and the saved model reloads", async () => {
  const { run } = await import('../examples/blitz-cifar');
  const lines: string[] = [];
  const { losses, accuracy, reloaded } = await run((line) => lines.push(line));
  // print(net): PyTorch's repr, line for line.
  expect(lines[0]).toBe('Net(\n  (conv1): Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1))\n  (pool): MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)\n  (conv2): Conv2d(6, 16, kernel_size=(5, 5), stride=(1, 1))\n  (fc1): Linear(in_features=400, out_features=120, bias=True)\n  (fc2): Linear(in_features=120, out_features=84, bias=True)\n  (fc3): Linear(in_features=84, out_features=4, bias=True)\n)');
  expect(losses.at(-1)!).toBeLessThan(losses[0]! / 2);
  expect(accuracy).toBeGreaterThanOrEqual(0.9);
  expect(reloaded).toBe(accuracy);
}, 180_000);
