// The case study's data pipeline and model file, in Node (no browser): CSV checks, the split, the
// scaler, the loader, safetensors round trips and corrupt files.
import fs from 'node:fs';
import { describe, expect, test } from 'vitest';
import { DataLoader, labelsLookContinuous, parseCsv, StandardScaler, subset, trainTestSplit } from '../src/data';
import { decodeModelFile, encodeModelFile, expectedState, type ModelFile } from '../src/model-file';
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
    // A headerless file whose first row repeats a value: that is why the names clash, and it says so.
    ['a headerless file', '1,0,3.5,0,2\n0,1,2.5,1,1\n1,1,0.5,0,3\n', /^f\.csv:1: the first row looks like data, not a header \(its names are numbers, and '0' appears twice\): add a header line/],
    ['empty label cell', 'a,b,label\n1,2,\n3,4,1\n', /^f\.csv:2: column 3 \('label'\) is empty$/],
    ['a cell past float32', 'a,b,label\n1,2,0\n3,1e39,1\n', /^f\.csv:3: column 2 \('b'\): '1e39' is outside float32's range \(±3\.4e38\); rescale the column$/],
    ['a negative cell past float32', 'a,b,label\n-3.5e38,2,0\n3,4,1\n', /^f\.csv:2: column 1 \('a'\): '-3\.5e38' is outside float32's range/],
    ['a ;-separated file', 'a;b;label\n1;2;0\n', /^f\.csv:1: expected a header with at least one feature and a label column, found 1 column\(s\); the line looks ';'-separated: pass --delimiter ';'$/],
    ['a tab-separated file', 'a\tb\tlabel\n1\t2\t0\n', /found 1 column\(s\); the line looks tab-separated: pass --delimiter tab$/],
    ['a ;-separated row', 'a,b,label\n1,2,0\n3;4;1\n', /^f\.csv:3: expected 3 fields \(as the header\), found 1; the line looks ';'-separated: pass --delimiter ';'$/],
  ])('%s is an error naming file, line and column', (_, text, pattern, label?) => {
    expect(() => parseCsv(text, 'f.csv', label === undefined ? {} : { label })).toThrow(pattern);
  });
});

describe('parseCsv: what parses but looks wrong', () => {
  test('float32 range: 3.4e38 is a number, 1e39 is not', () => {
    expect(parseCsv('a,label\n3.4e38,0\n-3.4e38,1\n', 'f.csv').x[1]).toBe(Math.fround(-3.4e38));
  });

  test("labels '1', '1.0' and '1e0' are one class, '1'", () => {
    const d = parseCsv('a,label\n1,1\n2,1.0\n3,0\n4,1e0\n5,0.0\n', 'f.csv');
    expect(d.classes).toEqual(['0', '1']);
    expect(Array.from(d.y)).toEqual([1, 1, 0, 1, 0]);
  });

  test('a header row of numbers is a warning naming the file; a real header is not', () => {
    const warnings: string[] = [];
    const d = parseCsv('1.5,2,0\n3,4,1\n5,6,0\n', 'h.csv', { warn: (m) => warnings.push(m) });
    expect(d.rows).toBe(2);
    expect(warnings).toEqual([expect.stringMatching(/^h\.csv:1: the header row looks like data \(every feature name is a number: 1\.5, 2\); a headerless file loses its first row to column names: add a header line$/)]);
    warnings.length = 0;
    parseCsv('a,b,label\n1,2,0\n3,4,1\n', 'ok.csv', { warn: (m) => warnings.push(m) });
    parseCsv('x1,2020,label\n1,2,0\n3,4,1\n', 'ok.csv', { warn: (m) => warnings.push(m) });
    expect(warnings).toEqual([]);
  });

  test('--delimiter: ; and tab', () => {
    expect(Array.from(parseCsv('a;b;label\n1;2;0\n3;4;1\n', 'f.csv', { delimiter: ';' }).x)).toEqual([1, 2, 3, 4]);
    expect(parseCsv('a\tb\tlabel\n1\t2\tx\n3\t4\ty\n', 'f.csv', { delimiter: '\t' }).classes).toEqual(['x', 'y']);
  });

  test('a label column looks continuous when fractional, or with many distinct values', () => {
    expect(labelsLookContinuous(phones)).toBe(false);
    expect(labelsLookContinuous(parseCsv('a,y\n1,0.5\n2,1.5\n', 'f.csv'))).toBe(true);
    expect(labelsLookContinuous(parseCsv(`a,y\n${Array.from({ length: 50 }, (_, i) => `${i},${i * 3}`).join('\n')}\n`, 'f.csv'))).toBe(true);
    expect(labelsLookContinuous(parseCsv('a,y\n1,cat\n2,dog\n', 'f.csv'))).toBe(false);
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

  test('20,000 classes of 3 rows each: 2 train and 1 test row each, in one pass over the rows (a pass per class took 110 s)', () => {
    const rows = Array.from({ length: 60_000 }, (_, r) => `${r % 13},${r % 20_000}`).join('\n');
    const many = parseCsv(`a,label\n${rows}\n`, 'many.csv');
    const { train, test } = trainTestSplit(many, { seed: 1 });
    expect([train.rows, test.rows]).toEqual([40_000, 20_000]);
    const counts = new Uint32Array(20_000);
    test.y.forEach((k) => counts[k]!++);
    expect(counts.every((n) => n === 1)).toBe(true);
  }, 10_000); // ~0.2 s; the pass per class took 76 s here

  test('a class too small for both splits is an error', () => {
    const d = parseCsv('a,label\n1,0\n2,0\n3,0\n4,1\n', 'tiny.csv');
    expect(() => trainTestSplit(d)).toThrow(/^tiny\.csv: class '1' of label column 'label' has 1 row\(s\), too few to appear in both the training and the test split \(each class needs at least 3\)$/);
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

describe('StandardScaler: a constant column', () => {
  test('gets scale 1, as sklearn, and transforms to finite values (0 for the column)', () => {
    const d = parseCsv('a,k,label\n1,5,0\n2,5,1\n4,5,0\n', 'const.csv');
    const scaler = StandardScaler.fit(d);
    expect(scaler.mean[1]).toBe(5);
    expect(scaler.scale).toEqual([expect.closeTo(Math.sqrt(14 / 9), 12), 1]);
    const z = scaler.transform(d).x;
    expect(Array.from(z).every(Number.isFinite)).toBe(true);
    expect([z[1], z[3], z[5]]).toEqual([0, 0, 0]);
  });

  test('whose mean rounds (5 in 1,000 rows, 0.1 in 7): scale 1, as sklearn (a variance within rounding error is 0)', () => {
    for (const [value, rows] of [[5, 1000], [0.1, 7], [1.7, 10]] as const) {
      const d = parseCsv(`a,k,label\n${Array.from({ length: rows }, (_, i) => `${i},${value},${i % 2}`).join('\n')}\n`, 'const.csv');
      const scaler = StandardScaler.fit(d);
      expect(scaler.scale[1], `${value} × ${rows}`).toBe(1);
      expect(scaler.scale[0], `${value} × ${rows}`).toBeCloseTo(Math.sqrt((rows * rows - 1) / 12), 9);
      const z = scaler.transform(d).x;
      for (let r = 0; r < rows; r++) expect(Math.abs(z[2 * r + 1]!)).toBeLessThan(1e-6);
    }
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

  test("takes PyTorch's batch_size; an unknown or mistyped option is an Error naming it", () => {
    expect([...new DataLoader(small, { batch_size: 10 }).batches()].map((b) => b.size)).toEqual([10, 10, 1]);
    const make = (options: object) => () => new DataLoader(small, options as { batchSize: number });
    expect(make({ batchSize: 1, shufle: true })).toThrow("DataLoader: unknown option 'shufle' (known: batchSize, shuffle, seed, dropLast; or PyTorch's batch_size, drop_last)");
    const dropping = new DataLoader(small, { batch_size: 10, drop_last: true });
    expect([...dropping.batches()].map((b) => b.size)).toEqual([10, 10]);
    expect(dropping.length).toBe(2);
    expect(make({ batchSize: 1, drop_last: 'yes' })).toThrow("DataLoader: option 'dropLast' expected true or false, got 'yes'");
    expect(make({ batchSize: 1, sampler: 'random' })).toThrow("DataLoader: unknown option 'sampler'");
    expect(make({ batchSize: 1, shuffle: 'yes' })).toThrow("DataLoader: option 'shuffle' expected true or false, got 'yes'");
    expect(make({ batchSize: 1, seed: 0.5 })).toThrow("DataLoader: option 'seed' expected an integer, got 0.5");
  });

  test('batches rows of any width without feature names (images: x of rows × C·H·W); iterating goes an epoch at a time; bad data named', () => {
    const images = { x: Float32Array.from({ length: 5 * 12 }, (_, i) => i), y: Uint32Array.of(0, 1, 2, 0, 1), rows: 5 };
    const loader = new DataLoader(images, { batchSize: 2, shuffle: true, seed: 3 });
    const first = [...loader];
    expect(first.map((b) => b.size)).toEqual([2, 2, 1]);
    expect(first.map((b) => Array.from(b.x))).toEqual([...loader.batches(0)].map((b) => Array.from(b.x)));
    expect(first[0]!.x.length).toBe(24); // two rows of 12
    const row = first[0]!.y[0]!;
    expect(Array.from(first[0]!.x.subarray(0, 12))).toEqual(Array.from(images.x.subarray(12 * [...loader.order(0)][0]!, 12 * [...loader.order(0)][0]! + 12)));
    expect(row).toBe(images.y[loader.order(0)[0]!]);
    expect([...loader].flatMap((b) => Array.from(b.y))).toEqual(loader.order(1).map((r) => images.y[r]));
    expect(() => new DataLoader({ x: [1, 2], y: Uint32Array.of(0), rows: 1 } as never, { batchSize: 1 })).toThrow("DataLoader: argument 'data' expected { x: Float32Array (rows × row values; Int32Array or Uint32Array for integer rows), y: Uint32Array (a class per row, or a whole number of labels per row; or Int32Array, Float32Array), rows } (a Dataset, as parseCsv gives), got { x: an array, y: Uint32Array, rows: number } (Float32Array.from(x) makes one of an array)");
    expect(() => new DataLoader({ x: new Float32Array(7), y: new Uint32Array(2), rows: 2 }, { batchSize: 1 })).toThrow('DataLoader: x holds 7 values, not a whole number of values for each of the 2 rows');
    expect(() => new DataLoader({ x: new Float32Array(8), y: new Uint32Array(3), rows: 2 }, { batchSize: 1 })).toThrow('DataLoader: y holds 3 labels, not a whole number of labels for each of the 2 rows');
    const some = subset(images, [4, 0]); // rows of 12 values, no feature names
    expect(Array.from(some.x)).toEqual([...Array.from(images.x.subarray(48, 60)), ...Array.from(images.x.subarray(0, 12))]);
    expect(Array.from(some.y)).toEqual([1, 0]);
  });
});

describe('DataLoader over sequences', () => {
  test('integer rows (token ids, Int32Array) with a sequence of targets each (the translation tutorial\'s pairs): batches keep both arrays\' types and rows, shuffled together', () => {
    const [rows, L] = [5, 4];
    const x = Int32Array.from({ length: rows * L }, (_, i) => 100 + i);
    const y = Int32Array.from({ length: rows * L }, (_, i) => -i);
    const loader = new DataLoader({ x, y, rows }, { batchSize: 2, shuffle: true, seed: 1 });
    expect(loader.labelWidth).toBe(L);
    const batches = [...loader.batches(0)];
    expect(batches.map((b) => b.size)).toEqual([2, 2, 1]);
    expect(batches.every((b) => b.x instanceof Int32Array && b.y instanceof Int32Array)).toBe(true);
    const order = loader.order(0);
    expect(batches.flatMap((b) => Array.from(b.x))).toEqual(order.flatMap((r) => Array.from(x.subarray(r * L, (r + 1) * L))));
    expect(batches.flatMap((b) => Array.from(b.y))).toEqual(order.flatMap((r) => Array.from(y.subarray(r * L, (r + 1) * L))));
    // A Dataset with named features has one class per row: more is a mistake there.
    expect(() => new DataLoader({ x: new Float32Array(4), y: new Uint32Array(4), rows: 2, features: ['a', 'b'] }, { batchSize: 1 })).toThrow('DataLoader: y holds 4 labels for a Dataset of 2 rows (one class each)');
  });
});

describe('safetensors', () => {
  const file = (): ModelFile => ({
    model: { features: 2, classes: 2, hidden: [3], activation: 'sigmoid', dropout: 0, batchNorm: true },
    features: ['a', 'b'], label: 'y', classes: ['no', 'yes'], scaler: { mean: [1, 2], scale: [3, 4] }, testRows: [4, 1],
    training: { epochs: 1, batchSize: 8, lr: 0.1, optimizer: 'adam', seed: 0, standardize: true }, testAccuracy: 0.5,
    state: new Map([
      ['linear1.weight', { shape: [3, 2], dtype: 'F32' as const, values: Float32Array.of(1, 2, 3, 4, 5, 6) }],
      ['linear1.bias', { shape: [3], dtype: 'F32' as const, values: Float32Array.of(-1, 0.5, 7) }],
      ['bn1.weight', { shape: [3], dtype: 'F32' as const, values: Float32Array.of(1, 1, 1) }],
      ['bn1.bias', { shape: [3], dtype: 'F32' as const, values: Float32Array.of(0, 0, 0) }],
      ['bn1.running_mean', { shape: [3], dtype: 'F32' as const, values: Float32Array.of(0.1, 0.2, 0.3) }],
      ['bn1.running_var', { shape: [3], dtype: 'F32' as const, values: Float32Array.of(1, 2, 3) }],
      ['bn1.num_batches_tracked', { shape: [], dtype: 'I64' as const, values: Float32Array.of(42) }],
      ['linear2.weight', { shape: [2, 3], dtype: 'F32' as const, values: Float32Array.of(1, -1, 2, -2, 3, -3) }],
      ['linear2.bias', { shape: [2], dtype: 'F32' as const, values: Float32Array.of(0.25, -0.25) }],
    ]),
    data: { name: 'train.csv', sha256: 'ab'.repeat(32), rows: 10 },
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
    const mnist = encodeSafetensors({ tensors: new Map(), metadata: { wgslgrad: 'wgslgrad-mnist-cnn-1' } });
    expect(() => decodeModelFile(mnist, 'digits.safetensors')).toThrow(/^digits\.safetensors: not a wgslgrad classifier \(.*\) \(an MNIST CNN: add --task mnist, or load it on the MNIST page\)$/);
    expect(decodeSafetensors(plain, 'other.safetensors').tensors.get('w')!.shape).toEqual([1]);
  });

  test('the expected state is the fixture\'s, which is what MLP names (the CLI end-to-end test loads one)', () => {
    expect([...expectedState(file().model).keys()].sort()).toEqual([...file().state.keys()].sort());
  });

  // The file as encodeModelFile writes it, with one metadata field replaced: what a hand edit or a bug makes.
  const edited = (key: string, value: string) => {
    const { tensors, metadata } = decodeSafetensors(encodeModelFile(file()), 'm.safetensors');
    return encodeSafetensors({ tensors, metadata: { ...metadata, [key]: value } });
  };
  test('test rows that leave none for training are refused', () => {
    const { tensors, metadata } = decodeSafetensors(encodeModelFile(file()), 'm.safetensors');
    const all = encodeSafetensors({ tensors, metadata: { ...metadata, test_rows: '[1,0]', data: JSON.stringify({ ...file().data, rows: 2 }) } });
    expect(() => decodeModelFile(all, 'm.safetensors')).toThrow(/^m\.safetensors: not a usable model:\n {2}test_rows: 2 test rows of 2, which leaves none for training$/);
  });
  const architecture = (change: object) => JSON.stringify({ ...file().model, ...change });

  test.each([
    ['test_rows: []', 'test_rows', '[]', /test_rows: empty; --eval needs the held-out rows/],
    ['a repeated test row', 'test_rows', '[4,1,4]', /test_rows: row 4 appears twice/],
    ['a negative test row', 'test_rows', '[4,-1]', /test_rows: -1 is not a row index/],
    ['a fractional test row', 'test_rows', '[4,1.5]', /test_rows: 1\.5 is not a row index/],
    ['a test row past the CSV', 'test_rows', '[4,10]', /test_rows: row 10 is past the 10 rows of train\.csv/],
    ['test_rows not a list', 'test_rows', '{"a":1}', /metadata 'test_rows' has an unexpected form/],
    ['a zero scale', 'scaler', '{"mean":[1,2],"scale":[3,0]}', /scaler: the scale of feature 'b' is 0, expected a finite float32 > 0/],
    ['an infinite mean', 'scaler', '{"mean":[1e999,2],"scale":[3,4]}', /scaler: the mean of feature 'a' is Infinity/],
    ['a mean past float32', 'scaler', '{"mean":[1,1e300],"scale":[3,4]}', /scaler: the mean of feature 'b' is 1e\+300, expected a finite float32/],
    ['a scale past float32', 'scaler', '{"mean":[1,2],"scale":[1e39,4]}', /scaler: the scale of feature 'a' is 1e\+39, expected a finite float32 > 0/],
    ['a short scaler', 'scaler', '{"mean":[1],"scale":[3]}', /scaler: 1 means and 1 scales for 2 features/],
    ['no scaler though standardised', 'scaler', 'null', /scaler: null, but training\.standardize is true/],
    ['a negative dropout', 'architecture', architecture({ dropout: -0.1 }), /architecture: dropout must be a probability in \[0, 1\), got -0\.1/],
    ['a hidden size of 1e9', 'architecture', architecture({ hidden: [1e9] }), /architecture: hidden layer 1 has size 1000000000, expected an integer in \[1, 65,536\]/],
    ['a fractional hidden size', 'architecture', architecture({ hidden: [2.5] }), /hidden layer 1 has size 2\.5/],
    ['one class', 'architecture', architecture({ classes: 1 }), /architecture: classes must be an integer ≥ 2, got 1/],
    ['an unknown activation', 'architecture', architecture({ activation: 'tanh' }), /activation must be sigmoid or relu, got "tanh"/],
    ['another layer size than the weights', 'architecture', architecture({ hidden: [4] }), /tensor 'linear1\.weight' is F32 \[3, 2\], the architecture needs F32 \[4, 2\]/],
    ['no batch-norm though bn tensors', 'architecture', architecture({ batchNorm: false }), /tensor 'bn1\.weight' is not part of the architecture/],
    ['a repeated feature', 'features', '["a","a"]', /features: 'a' appears twice/],
    ['a feature short', 'features', '["a"]', /features: 1 names for 2 features of the architecture/],
    ['a repeated class', 'classes', '["no","no"]', /classes: 'no' appears twice/],
    ['a label that is a feature', 'label', 'a', /label: 'a' is also a feature/],
    ['a negative lr', 'training', JSON.stringify({ ...file().training, lr: -1 }), /training: lr must be a number > 0 within float32's range \(1\.4e-45 to 3\.4e38\), got -1/],
    ['an unknown optimizer', 'training', JSON.stringify({ ...file().training, optimizer: 'lbfgs' }), /training: optimizer must be one of/],
    ['an accuracy of 2', 'test_accuracy', '2', /test_accuracy: 2, expected a number in \[0, 1\]/],
    ['an accuracy of nothing', 'test_accuracy', '', /test_accuracy: NaN/],
    ['a bad checksum', 'data', '{"name":"x.csv","sha256":"zz","rows":10}', /data: expected \{name, sha256 \(64 hex digits\), rows ≥ 1\}/],
    ['an empty feature name', 'features', '["a"," "]', /^m\.safetensors: not a usable model:\n {2}features: an empty name$/],
    ['an empty class name', 'classes', '["","yes"]', /^m\.safetensors: not a usable model:\n {2}classes: an empty name$/],
    ['an empty label', 'label', ' ', /^m\.safetensors: not a usable model:\n {2}label: empty$/],
  ])('%s is refused, naming the file and the field', (_, key, value, pattern) => {
    expect(() => decodeModelFile(edited(key, value), 'm.safetensors')).toThrow(/^m\.safetensors: /);
    expect(() => decodeModelFile(edited(key, value), 'm.safetensors')).toThrow(pattern);
  });

  test('tensors: NaN, a missing one, an extra one, a negative variance, a negative count', () => {
    const withState = (change: (state: ModelFile['state']) => void) => {
      const { tensors, metadata } = decodeSafetensors(encodeModelFile(file()), 'm.safetensors');
      const state: ModelFile['state'] = new Map([...tensors].map(([n, t]) => [n, { shape: t.shape, dtype: t.dtype, values: Float32Array.from(t.values) }]));
      change(state);
      return encodeSafetensors({ tensors: new Map([...state].map(([n, e]) => [n, { dtype: e.dtype, shape: e.shape, values: e.dtype === 'I64' ? Array.from(e.values) : e.values }])), metadata });
    };
    expect(() => decodeModelFile(withState((s) => (s.get('linear2.weight')!.values[3] = NaN)), 'm.safetensors')).toThrow(/NaN or infinite values in 'linear2\.weight' \(1 of 6 values\)/);
    expect(() => decodeModelFile(withState((s) => s.delete('linear2.bias')), 'm.safetensors')).toThrow(/tensor 'linear2\.bias' is missing/);
    expect(() => decodeModelFile(withState((s) => s.set('linear3.bias', { shape: [1], dtype: 'F32', values: Float32Array.of(0) })), 'm.safetensors')).toThrow(/tensor 'linear3\.bias' is not part of the architecture/);
    expect(() => decodeModelFile(withState((s) => (s.get('bn1.running_var')!.values[0] = -1)), 'm.safetensors')).toThrow(/tensor 'bn1\.running_var' holds negative variances/);
    expect(() => decodeModelFile(withState((s) => (s.get('bn1.num_batches_tracked')!.values[0] = -3)), 'm.safetensors')).toThrow(/^m\.safetensors: not a usable model:\n {2}tensor 'bn1\.num_batches_tracked' is -3, expected a count$/);
  });

  test('the writer refuses a model with NaN weights or a non-finite scaler: a broken model is never written', () => {
    const nan = file();
    nan.state.get('linear1.weight')!.values.fill(NaN);
    expect(() => encodeModelFile(nan)).toThrow(/^refusing to write a broken model file:\n {2}NaN or infinite values in 'linear1\.weight' \(6 of 6 values\)$/);
    const scaler = file();
    scaler.scaler = { mean: [Infinity, 0], scale: [1, 1] };
    expect(() => encodeModelFile(scaler)).toThrow(/scaler: the mean of feature 'a' is Infinity/);
  });

  test('a file from before the data record (no data field) still loads', () => {
    const { tensors, metadata } = decodeSafetensors(encodeModelFile(file()), 'm.safetensors');
    delete metadata.data;
    expect(decodeModelFile(encodeSafetensors({ tensors, metadata }), 'm.safetensors').data).toBeUndefined();
  });
});

test('the writer refuses values that disagree with the shape', () => {
  expect(() => encodeSafetensors({ tensors: new Map([['b', { dtype: 'F32', shape: [128], values: new Float32Array(2048) }]]), metadata: {} })).toThrow(/tensor 'b' of shape \[128\] has 2048 values, expected 128/);
});

describe('numbers are decimal, a label is never NaN (found by a new-user review)', () => {
  test('a hex, octal or binary cell is not a number (Number() read 0x10 as 16)', () => {
    for (const cell of ['0x10', '0o7', '0b1']) expect(() => parseCsv(`a,b,label\n${cell},1,0\n2,3,1\n`, 'hex.csv')).toThrow(new RegExp(`^hex\\.csv:2: column 1 \\('a'\\): '${cell}' is not a number$`));
    const d = parseCsv('a,b,label\n-.5,+1e3,0\n2.,3E-2,1\n', 'ok.csv');
    expect(Array.from(d.x)).toEqual([-0.5, 1000, 2, Math.fround(0.03)]);
  });

  test('a NaN or infinite label is refused, with its line (it became a class and split 1 from 1.0)', () => {
    for (const cell of ['NaN', 'nan', '-inf', 'Infinity']) expect(() => parseCsv(`a,label\n1,0\n2,1\n3,${cell}\n4,1.0\n`, 'labels.csv')).toThrow(new RegExp(`^labels\\.csv:4: column 2 \\('label'\\): the label '${cell}' is a missing or non-finite value \\(pandas reads it as NaN\\), not a class; drop the row or give it a class$`));
    expect(parseCsv('a,label\n1,0\n2,1\n4,1.0\n', 'labels.csv').classes).toEqual(['0', '1']);
  });
});

describe('pandas parity a second new-user review found', () => {
  test("pandas' missing markers (NA, N/A, NULL, None, …) are no class and no feature value", () => {
    for (const cell of ['NA', 'N/A', 'NULL', 'None', 'n/a', '<NA>', '#N/A']) {
      expect(() => parseCsv(`a,label\n1,0\n2,1\n3,${cell}\n`, 'na.csv')).toThrow(`na.csv:4: column 2 ('label'): the label '${cell}' is a missing or non-finite value (pandas reads it as NaN), not a class`);
      expect(() => parseCsv(`a,label\n${cell},0\n2,1\n`, 'na.csv')).toThrow(`na.csv:2: column 1 ('a'): '${cell}' marks a missing value (pandas reads it as NaN); fill it or drop the row`);
    }
    // a string label that merely contains the letters is a class
    expect(parseCsv('a,label\n1,NAB\n2,nano\n', 'ok.csv').classes).toEqual(['NAB', 'nano']);
  });

  test('integer labels past 2^53 stay apart, in numeric order (pandas reads them as int64)', () => {
    const d = parseCsv('a,label\n1,9007199254740993\n2,9007199254740992\n3,5\n4,+5\n5,-9007199254740993\n', 'big.csv');
    expect(d.classes).toEqual(['-9007199254740993', '5', '9007199254740992', '9007199254740993']);
    expect(Array.from(d.y)).toEqual([3, 2, 1, 1, 0]);
  });

  test('a quoted field that spans lines moves the line numbers of the rows after it', () => {
    expect(() => parseCsv('a,b,label\n1,2,"0\n"\n3,zz,1\n', 'multi.csv')).toThrow(/^multi\.csv:4: column 2 \('b'\): 'zz' is not a number$/);
    expect(() => parseCsv('a,b,label\r\n1,2,"x\r\ny"\r\n\r\n3,zz,1\r\n', 'crlf.csv')).toThrow(/^crlf\.csv:5: column 2/);
  });
});
