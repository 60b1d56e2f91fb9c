// A trained classifier as one safetensors file: the weights under the course's names (linear1.weight
// [out, in], linear1.bias, …), and in the metadata everything needed to reproduce its predictions:
// the architecture, the feature names, the label mapping, the scaler, the test split and the CSV it
// came from. The writer and the reader run the same checks, so a file that one refuses to write the
// other refuses to read: every number must be finite, every tensor the architecture's shape.
import { modelConfigProblems, trainConfigProblems, type ModelConfig, type TrainConfig } from './run-config';
import type { StateDict } from './nn';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from './safetensors';

export interface ModelFile {
  model: ModelConfig;
  features: string[];
  label: string;
  /** Class names in index order: logit i is class classes[i]. */
  classes: string[];
  /** StandardScaler fitted on the training rows; null when features are used raw. */
  scaler: { mean: number[]; scale: number[] } | null;
  /** The data rows (0-based, after the header) held out for testing. */
  testRows: number[];
  training: TrainConfig;
  testAccuracy: number;
  state: StateDict;
  /** The CSV it was trained on: its file name, SHA-256 of its bytes, and data rows (absent in older files). */
  data?: { name: string; sha256: string; rows: number };
}

const FORMAT = 'wgslgrad-classifier-1';

/** The state-dict entries an MLP of this architecture has (classifier.ts's names), with their shapes. */
export function expectedState(m: ModelConfig): Map<string, { shape: number[]; dtype: 'F32' | 'I64' }> {
  const sizes = [m.features, ...m.hidden, m.classes];
  const expected = new Map<string, { shape: number[]; dtype: 'F32' | 'I64' }>();
  for (let i = 0; i + 1 < sizes.length; i++) {
    const [n, inputs, outputs] = [i + 1, sizes[i]!, sizes[i + 1]!];
    expected.set(`linear${n}.weight`, { shape: [outputs, inputs], dtype: 'F32' });
    expected.set(`linear${n}.bias`, { shape: [outputs], dtype: 'F32' });
    if (m.batchNorm && i + 2 < sizes.length) {
      for (const name of ['weight', 'bias', 'running_mean', 'running_var']) expected.set(`bn${n}.${name}`, { shape: [outputs], dtype: 'F32' });
      expected.set(`bn${n}.num_batches_tracked`, { shape: [], dtype: 'I64' });
    }
  }
  return expected;
}

const count = (values: ArrayLike<number>, bad: (v: number) => boolean) => Array.prototype.filter.call(values, bad).length;

/** The state entries holding NaN or ±Infinity, as phrases ("'linear1.weight' (12 of 2560 values)"). */
export function nonFiniteState(state: StateDict): string[] {
  return [...state].flatMap(([name, e]) => {
    const bad = count(e.values, (v) => !Number.isFinite(v));
    return bad ? [`'${name}' (${bad} of ${e.values.length} values)`] : [];
  });
}

/** Everything wrong with a model file's contents, as phrases naming the field; empty when sound. */
export function modelFileProblems(f: ModelFile): string[] {
  const problems = modelConfigProblems(f.model).map((p) => `architecture: ${p}`);
  if (problems.length) return problems; // the checks below assume a sound architecture
  problems.push(...trainConfigProblems(f.training).map((p) => `training: ${p}`));
  const names = (key: string, list: string[], length: number) => {
    if (list.length !== length) problems.push(`${key}: ${list.length} names for ${length} ${key} of the architecture`);
    if (list.some((n) => n.trim() === '')) problems.push(`${key}: an empty name`);
    const repeated = list.find((n, i) => list.indexOf(n) !== i);
    if (repeated !== undefined) problems.push(`${key}: '${repeated}' appears twice`);
  };
  names('features', f.features, f.model.features);
  names('classes', f.classes, f.model.classes);
  if (f.label.trim() === '') problems.push('label: empty');
  else if (f.features.includes(f.label)) problems.push(`label: '${f.label}' is also a feature`);
  if (f.scaler) {
    const { mean, scale } = f.scaler;
    if (mean.length !== f.model.features || scale.length !== f.model.features) problems.push(`scaler: ${mean.length} means and ${scale.length} scales for ${f.model.features} features`);
    // Features are float32: a mean or scale past its range could not have been fitted, and would make them ±∞.
    const F32_MAX = 3.4028234663852886e38;
    const badMean = mean.findIndex((v) => !(Number.isFinite(v) && Math.abs(v) <= F32_MAX));
    if (badMean >= 0) problems.push(`scaler: the mean of feature '${f.features[badMean]}' is ${mean[badMean]}, expected a finite float32`);
    const badScale = scale.findIndex((v) => !(Number.isFinite(v) && v > 0 && v <= F32_MAX));
    if (badScale >= 0) problems.push(`scaler: the scale of feature '${f.features[badScale]}' is ${scale[badScale]}, expected a finite float32 > 0`);
  }
  if (f.training.standardize !== (f.scaler !== null)) problems.push(`scaler: ${f.scaler ? 'present' : 'null'}, but training.standardize is ${f.training.standardize}`);
  if (f.testRows.length === 0) problems.push('test_rows: empty; --eval needs the held-out rows');
  const badRow = f.testRows.find((r) => !Number.isInteger(r) || r < 0);
  if (badRow !== undefined) problems.push(`test_rows: ${badRow} is not a row index (an integer ≥ 0)`);
  const seen = new Set<number>();
  const repeatedRow = f.testRows.find((r) => seen.size === seen.add(r).size);
  if (repeatedRow !== undefined) problems.push(`test_rows: row ${repeatedRow} appears twice`);
  if (f.data) {
    const { name, sha256, rows } = f.data;
    if (typeof name !== 'string' || typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256) || !Number.isInteger(rows) || rows < 1) problems.push(`data: expected {name, sha256 (64 hex digits), rows ≥ 1}, got ${JSON.stringify(f.data)}`);
    else {
      const outside = f.testRows.find((r) => r >= rows);
      if (outside !== undefined) problems.push(`test_rows: row ${outside} is past the ${rows} rows of ${name}`);
      if (f.testRows.length >= rows) problems.push(`test_rows: ${f.testRows.length} test rows of ${rows}, which leaves none for training`);
    }
  }
  if (!(f.testAccuracy >= 0 && f.testAccuracy <= 1)) problems.push(`test_accuracy: ${f.testAccuracy}, expected a number in [0, 1]`);

  const expected = expectedState(f.model);
  for (const [name, want] of expected) {
    const e = f.state.get(name);
    if (!e) problems.push(`tensor '${name}' is missing`);
    else if (e.dtype !== want.dtype || e.shape.join(',') !== want.shape.join(',')) problems.push(`tensor '${name}' is ${e.dtype} [${e.shape.join(', ')}], the architecture needs ${want.dtype} [${want.shape.join(', ')}]`);
    else if (name.endsWith('running_var') && count(e.values, (v) => v < 0) > 0) problems.push(`tensor '${name}' holds negative variances`);
    else if (name.endsWith('num_batches_tracked') && !(Number.isInteger(e.values[0]) && e.values[0]! >= 0)) problems.push(`tensor '${name}' is ${e.values[0]}, expected a count`);
  }
  for (const name of f.state.keys()) if (!expected.has(name)) problems.push(`tensor '${name}' is not part of the architecture`);
  const nonFinite = nonFiniteState(f.state);
  if (nonFinite.length) problems.push(`NaN or infinite values in ${nonFinite.join(', ')}`);
  return problems;
}

/** The file's bytes; refuses (throws) a model with any problem, so a broken model is never written. */
export function encodeModelFile(f: ModelFile): Uint8Array {
  const problems = modelFileProblems(f);
  if (problems.length) throw new Error(`refusing to write a broken model file:\n  ${problems.join('\n  ')}`);
  const tensors = new Map<string, SafeTensor>([...f.state].map(([name, e]) => [name, { dtype: e.dtype, shape: e.shape, values: e.dtype === 'I64' ? Array.from(e.values) : e.values }]));
  const metadata: Record<string, string> = {
    format: 'pt',
    wgslgrad: FORMAT,
    architecture: JSON.stringify(f.model),
    features: JSON.stringify(f.features),
    label: f.label,
    classes: JSON.stringify(f.classes),
    scaler: JSON.stringify(f.scaler),
    test_rows: JSON.stringify(f.testRows),
    training: JSON.stringify(f.training),
    test_accuracy: f.testAccuracy.toFixed(6),
    ...(f.data ? { data: JSON.stringify(f.data) } : {}),
  };
  return encodeSafetensors({ tensors, metadata });
}

/** Reads a model file and checks everything in it; any problem is an Error naming the file. */
export function decodeModelFile(bytes: Uint8Array, source: string): ModelFile {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}`);
  };
  if (metadata.wgslgrad !== FORMAT) {
    const hint = metadata.wgslgrad === 'wgslgrad-mnist-cnn-1' ? ' (an MNIST CNN: add --task mnist, or load it on the MNIST page)' : '';
    fail(`not a wgslgrad classifier (metadata 'wgslgrad' is ${JSON.stringify(metadata.wgslgrad)}, expected '${FORMAT}')${hint}`);
  }
  const json = <T>(key: string, ok: (v: unknown) => boolean, optional = false): T => {
    const text = metadata[key];
    if (text === undefined) return optional ? (undefined as T) : fail(`metadata '${key}' is missing`);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      fail(`metadata '${key}' is not valid JSON`);
    }
    if (!ok(value)) fail(`metadata '${key}' has an unexpected form: ${text.slice(0, 200)}`);
    return value as T;
  };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const numbers = (v: unknown) => Array.isArray(v) && v.every((n) => typeof n === 'number');
  const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
  const model = json<ModelConfig>('architecture', (v) => isObject(v) && typeof v.features === 'number' && typeof v.classes === 'number' && numbers(v.hidden));
  const features = json<string[]>('features', strings);
  const classes = json<string[]>('classes', strings);
  const scaler = json<ModelFile['scaler']>('scaler', (v) => v === null || (isObject(v) && numbers(v.mean) && numbers(v.scale)));
  const testRows = json<number[]>('test_rows', numbers);
  const training = json<TrainConfig>('training', isObject);
  const data = json<ModelFile['data']>('data', isObject, true);
  const label = metadata.label ?? fail(`metadata 'label' is missing`);
  const accuracyText = metadata.test_accuracy ?? fail(`metadata 'test_accuracy' is missing`);
  const testAccuracy = accuracyText.trim() === '' ? NaN : Number(accuracyText);
  const state: StateDict = new Map([...tensors].map(([name, t]) => [name, { shape: t.shape, dtype: t.dtype, values: Float32Array.from(t.values) }]));
  const file: ModelFile = { model, features, label, classes, scaler, testRows, training, testAccuracy, state, ...(data ? { data } : {}) };
  const problems = modelFileProblems(file);
  if (problems.length) fail(`not a usable model:\n  ${problems.join('\n  ')}`);
  return file;
}
