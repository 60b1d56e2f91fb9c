// A trained classifier as one safetensors file: the weights under the course's names (linear1.weight
// [out, in], linear1.bias, …), and in the metadata everything needed to reproduce its predictions:
// the architecture, the feature names, the label mapping, the scaler and the test split.
import type { ModelConfig, TrainConfig } from './run-config';
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
}

const FORMAT = 'wgslgrad-classifier-1';

export function encodeModelFile(f: ModelFile): Uint8Array {
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
  };
  return encodeSafetensors({ tensors, metadata });
}

export function decodeModelFile(bytes: Uint8Array, source: string): ModelFile {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  const fail = (why: string): never => {
    throw new Error(`${source}: ${why}`);
  };
  if (metadata.wgslgrad !== FORMAT) fail(`not a wgslgrad classifier (metadata 'wgslgrad' is ${JSON.stringify(metadata.wgslgrad)}, expected '${FORMAT}')`);
  const json = <T>(key: string, ok: (v: unknown) => boolean): T => {
    const text = metadata[key];
    if (text === undefined) fail(`metadata '${key}' is missing`);
    let value: unknown;
    try {
      value = JSON.parse(text!);
    } catch {
      fail(`metadata '${key}' is not valid JSON`);
    }
    if (!ok(value)) fail(`metadata '${key}' has an unexpected form: ${text!.slice(0, 200)}`);
    return value as T;
  };
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const numbers = (v: unknown) => Array.isArray(v) && v.every((n) => typeof n === 'number' && Number.isFinite(n));
  const strings = (v: unknown) => Array.isArray(v) && v.every((s) => typeof s === 'string');
  const model = json<ModelConfig>('architecture', (v) => isObject(v) && Number.isInteger(v.features) && Number.isInteger(v.classes) && numbers(v.hidden) && (v.activation === 'sigmoid' || v.activation === 'relu') && typeof v.dropout === 'number' && typeof v.batchNorm === 'boolean');
  const features = json<string[]>('features', (v) => strings(v) && (v as string[]).length === model.features);
  const classes = json<string[]>('classes', (v) => strings(v) && (v as string[]).length === model.classes);
  const scaler = json<ModelFile['scaler']>('scaler', (v) => v === null || (isObject(v) && numbers(v.mean) && numbers(v.scale) && (v.mean as number[]).length === model.features && (v.scale as number[]).length === model.features));
  const testRows = json<number[]>('test_rows', (v) => Array.isArray(v) && v.every((r) => Number.isInteger(r) && r >= 0));
  const training = json<TrainConfig>('training', isObject);
  const label = metadata.label ?? fail(`metadata 'label' is missing`);
  const testAccuracy = Number(metadata.test_accuracy);
  const state: StateDict = new Map(
    [...tensors].map(([name, t]) => {
      const values = Float32Array.from(t.values);
      return [name, { shape: t.shape, dtype: t.dtype, values }];
    }),
  );
  return { model, features, label, classes, scaler, testRows, training, testAccuracy, state };
}
