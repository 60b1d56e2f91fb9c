// The case study's data pipeline and model file, in Node (no browser): CSV checks, the split, the
// scaler, the loader, safetensors round trips and corrupt files.
import fs from 'node:fs';
import { describe, expect, test } from 'vitest';
import { DataLoader, parseCsv, StandardScaler, trainTestSplit } from '../src/data';
import { decodeModelFile, encodeModelFile, type ModelFile } from '../src/model-file';
import { decodeSafetensors, encodeSafetensors } from '../src/safetensors';

const phones = parseCsv(fs.readFileSync('data/mobile-price.csv', 'utf8'), 'data/mobile-price.csv');

describe('parseCsv', () => {
  test('reads the embedded dataset: 2000 rows, 20 features, 4 classes of 500', () => {
    expect(phones.rows).toBe(2000);
    expect(phones.features).toHaveLength(20);
    expect(phones.label).toBe('price_range');
    expect(phones.classes).toEqual(['0', '1', '2', '3']);
    expect([0, 1, 2, 3].map((k) => phones.y.filter((v) => v === k).length)).toEqual([500, 500, 500, 500]);
    expect(Array.from(phones.x.subarray(0, 3))).toEqual([842, 0, Math.fround(2.2)]);
  });

  test('string labels map to sorted class indices; --label picks another column', () => {
    const d = parseCsv('a,kind,b\n1,pear,2\n3,apple,4\n5,pear,6\n', 'fruit.csv', { label: 'kind' });
    expect(d.features).toEqual(['a', 'b']);
    expect(d.classes).toEqual(['apple', 'pear']);
    expect(Array.from(d.y)).toEqual([1, 0, 1]);
    expect(Array.from(d.x)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  test('numeric labels sort numerically', () => {
    expect(parseCsv('x,y\n1,10\n2,9\n3,10\n', 'n.csv').classes).toEqual(['9', '10']);
  });

  test.each([
    ['empty file', '', /^f\.csv: the file is empty$/],
    ['header only', 'a,b,label\n', /^f\.csv: no data rows after the header$/],
    ['ragged row', 'a,b,label\n1,2,0\n3,1\n', /^f\.csv:3: expected 3 fields \(as the header\), found 2$/],
    ['non-numeric cell', 'a,b,label\n1,2,0\n3,x1,1\n', /^f\.csv:3: column 2 \('b'\): 'x1' is not a number$/],
    ['empty cell', 'a,b,label\n1,,0\n3,4,1\n', /^f\.csv:2: column 2 \('b'\) is empty$/],
    ['NaN', 'a,b,label\n1,NaN,0\n3,4,1\n', /^f\.csv:2: column 2 \('b'\): 'NaN' is not a finite number$/],
    ['Infinity', 'a,b,label\n1,2,0\n-Infinity,4,1\n', /^f\.csv:3: column 1 \('a'\): '-Infinity' is not a finite number$/],
    ['a single class', 'a,b,label\n1,2,0\n3,4,0\n', /single class \('0'\)/],
    ['unknown label column', 'a,b,label\n1,2,0\n3,4,1\n', /^f\.csv: unknown label column 'price' \(columns: a, b, label\)$/, 'price'],
    ['duplicate column', 'a,a,label\n1,2,0\n', /column name 'a' appears twice/],
    ['empty label cell', 'a,b,label\n1,2,\n3,4,1\n', /^f\.csv:2: column 3 \('label'\) is empty$/],
  ])('%s is an error naming file, line and column', (_, text, pattern, label?) => {
    expect(() => parseCsv(text, 'f.csv', label === undefined ? {} : { label })).toThrow(pattern);
  });
});

describe('trainTestSplit', () => {
  test('80/20, stratified: 400/100 of each class, disjoint, covering every row', () => {
    const { train, test, trainRows, testRows } = trainTestSplit(phones, { seed: 3 });
    expect([train.rows, test.rows]).toEqual([1600, 400]);
    for (let k = 0; k < 4; k++) {
      expect(train.y.filter((v) => v === k).length).toBe(400);
      expect(test.y.filter((v) => v === k).length).toBe(100);
    }
    expect(new Set([...trainRows, ...testRows]).size).toBe(2000);
    expect(Array.from(test.x.subarray(0, 20))).toEqual(Array.from(phones.x.subarray(testRows[0]! * 20, testRows[0]! * 20 + 20)));
  });

  test('the same seed gives the same split, another seed another', () => {
    expect(trainTestSplit(phones, { seed: 3 }).testRows).toEqual(trainTestSplit(phones, { seed: 3 }).testRows);
    expect(trainTestSplit(phones, { seed: 4 }).testRows).not.toEqual(trainTestSplit(phones, { seed: 3 }).testRows);
  });

  test('a class too small for both splits is an error', () => {
    const d = parseCsv('a,label\n1,0\n2,0\n3,0\n4,1\n', 'tiny.csv');
    expect(() => trainTestSplit(d)).toThrow(/class '1' has 1 row\(s\), too few/);
  });
});

describe('StandardScaler', () => {
  test('fits on the training rows only', () => {
    const { train, test } = trainTestSplit(phones, { seed: 0 });
    const scaler = StandardScaler.fit(train);
    const F = 20;
    for (const f of [0, 13]) {
      const col = Array.from({ length: train.rows }, (_, r) => train.x[r * F + f]!);
      const mean = col.reduce((a, b) => a + b, 0) / col.length;
      expect(scaler.mean[f]).toBeCloseTo(mean, 6);
      expect(scaler.scale[f]).toBeCloseTo(Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length), 6);
    }
    const all = StandardScaler.fit(phones);
    expect(scaler.mean[0]).not.toBeCloseTo(all.mean[0]!, 6); // the test rows were left out
    const z = scaler.transform(train);
    const zCol = Array.from({ length: train.rows }, (_, r) => z.x[r * F]!);
    expect(zCol.reduce((a, b) => a + b, 0) / zCol.length).toBeCloseTo(0, 4);
    expect(scaler.transform(test).x[0]).toBeCloseTo((test.x[0]! - scaler.mean[0]!) / scaler.scale[0]!, 4);
  });
});

describe('DataLoader', () => {
  const small = parseCsv(`a,label\n${Array.from({ length: 21 }, (_, i) => `${i},${i % 2}`).join('\n')}\n`, 'small.csv');

  test('keeps the last partial batch', () => {
    const sizes = [...new DataLoader(small, { batchSize: 8 }).batches()].map((b) => b.size);
    expect(sizes).toEqual([8, 8, 5]);
  });

  test('shuffles reproducibly by seed, differently each epoch, every row once', () => {
    const order = (seed: number, epoch: number) => [...new DataLoader(small, { batchSize: 4, shuffle: true, seed }).batches(epoch)].flatMap((b) => Array.from(b.x));
    expect(order(1, 1)).toEqual(order(1, 1));
    expect(order(1, 2)).not.toEqual(order(1, 1));
    expect(order(2, 1)).not.toEqual(order(1, 1));
    expect([...order(1, 1)].sort((a, b) => a - b)).toEqual(Array.from({ length: 21 }, (_, i) => i));
  });
});

describe('safetensors', () => {
  const file = (): ModelFile => ({
    model: { features: 2, classes: 2, hidden: [3], activation: 'sigmoid', dropout: 0, batchNorm: false },
    features: ['a', 'b'], label: 'y', classes: ['no', 'yes'], scaler: { mean: [1, 2], scale: [3, 4] }, testRows: [4, 1],
    training: { epochs: 1, batchSize: 8, lr: 0.1, optimizer: 'adam', seed: 0, standardize: true }, testAccuracy: 0.5,
    state: new Map([
      ['linear1.weight', { shape: [3, 2], dtype: 'F32' as const, values: Float32Array.of(1, 2, 3, 4, 5, 6) }],
      ['linear1.bias', { shape: [3], dtype: 'F32' as const, values: Float32Array.of(-1, 0.5, 7) }],
      ['bn1.num_batches_tracked', { shape: [], dtype: 'I64' as const, values: Float32Array.of(42) }],
    ]),
  });

  test('round trip: tensors, dtypes, metadata; data 8-byte aligned', () => {
    const bytes = encodeModelFile(file());
    const headerLength = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLength) % 8).toBe(0);
    const back = decodeModelFile(bytes, 'm.safetensors');
    expect(back.model).toEqual(file().model);
    expect(back.scaler).toEqual(file().scaler);
    expect(back.testRows).toEqual([4, 1]);
    expect(Array.from(back.state.get('linear1.weight')!.values)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(back.state.get('bn1.num_batches_tracked')).toEqual({ shape: [], dtype: 'I64', values: Float32Array.of(42) });
  });

  test.each([
    ['truncated', (b: Uint8Array) => b.subarray(0, b.length - 3), /not a valid safetensors file: tensor '.*' ends at byte \d+ of a \d+-byte data section \(truncated\?\)/],
    ['header cut', (b: Uint8Array) => b.subarray(0, 40), /the header claims \d+ bytes but the file has 32/],
    ['tiny', (b: Uint8Array) => b.subarray(0, 5), /5 bytes, shorter than the 8-byte header length/],
    ['garbage header', (b: Uint8Array) => { const c = b.slice(); c[9] = 0x7b; c[10] = 0x7b; return c; }, /header is not valid JSON/],
    ['extra bytes', (b: Uint8Array) => Uint8Array.from([...b, 0, 0, 0, 0]), /4 bytes after the last tensor/],
  ])('a %s file is an Error', (_, corrupt, pattern) => {
    expect(() => decodeModelFile(corrupt(encodeModelFile(file())), 'm.safetensors')).toThrow(pattern);
  });

  test('a safetensors file from elsewhere is rejected by the model reader', () => {
    const plain = encodeSafetensors({ tensors: new Map([['w', { dtype: 'F32', shape: [1], values: Float32Array.of(1) }]]), metadata: {} });
    expect(() => decodeModelFile(plain, 'other.safetensors')).toThrow(/not a wgslgrad classifier/);
    expect(decodeSafetensors(plain, 'other.safetensors').tensors.get('w')!.shape).toEqual([1]);
  });

  test('mismatched metadata is rejected', () => {
    const f = file();
    f.features = ['a'];
    expect(() => decodeModelFile(encodeModelFile(f), 'm.safetensors')).toThrow(/metadata 'features' has an unexpected form/);
  });
});

test('the writer refuses values that disagree with the shape', () => {
  expect(() => encodeSafetensors({ tensors: new Map([['b', { dtype: 'F32', shape: [128], values: new Float32Array(2048) }]]), metadata: {} })).toThrow(/tensor 'b' of shape \[128\] has 2048 values, expected 128/);
});
