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
