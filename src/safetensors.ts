// safetensors (huggingface/safetensors): an 8-byte little-endian header length, a JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then the raw
// little-endian bytes. PyTorch reads it with safetensors.torch.load_file. The reader checks every
// field, so a corrupt, truncated or hand-edited file is an Error, never a half-loaded model.

import type { StateDict } from './nn';

export type SafeDType = 'F32' | 'I64';

export interface SafeTensor {
  dtype: SafeDType;
  shape: number[];
  /** F32 values, or I64 values (exact up to 2⁵³). */
  values: Float32Array | number[];
}

export interface SafeFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

const BYTES: Record<SafeDType, number> = { F32: 4, I64: 8 };
const MAX_HEADER = 100 * 1024 * 1024;

export function encodeSafetensors(file: SafeFile): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: file.metadata };
  let offset = 0;
  for (const [name, t] of file.tensors) {
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (t.values.length !== count) throw new Error(`safetensors: tensor '${name}' of shape [${t.shape.join(', ')}] has ${t.values.length} values, expected ${count}`);
    const bytes = t.values.length * BYTES[t.dtype];
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8); // align the data to 8 bytes
  const head = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + head.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(head.length), true);
  out.set(head, 8);
  let at = 8 + head.length;
  for (const t of file.tensors.values()) {
    for (const v of t.values) {
      if (t.dtype === 'F32') view.setFloat32(at, v, true);
      else view.setBigInt64(at, BigInt(Math.round(v)), true);
      at += BYTES[t.dtype];
    }
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, source: string): SafeFile {
  const fail = (why: string): never => {
    throw new Error(`${source}: not a valid safetensors file: ${why}`);
  };
  if (bytes.length < 8) fail(`${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (headerLength > MAX_HEADER || 8 + headerLength > bytes.length) fail(`the header claims ${headerLength} bytes but the file has ${bytes.length - 8} after the length (truncated?)`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    fail(`the header is not valid JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) fail('the header is not a JSON object');
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, SafeTensor>();
  const ranges: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof entry !== 'object' || entry === null) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(entry as object)) {
        if (typeof v !== 'string') fail(`metadata '${k}' is not a string`);
        metadata[k] = v as string;
      }
      continue;
    }
    const e = entry as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (e.dtype !== 'F32' && e.dtype !== 'I64') fail(`tensor '${name}' has dtype ${String(e.dtype)} (wgslgrad reads F32 and I64)`);
    const dtype = e.dtype as SafeDType;
    if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isInteger(d) && d >= 0)) fail(`tensor '${name}' has an invalid shape ${JSON.stringify(e.shape)}`);
    const shape = e.shape as number[];
    const offsets = e.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isInteger(o) && o >= 0)) fail(`tensor '${name}' has invalid data_offsets ${JSON.stringify(offsets)}`);
    const [begin, end] = offsets as [number, number];
    const count = shape.reduce((a, b) => a * b, 1);
    if (end - begin !== count * BYTES[dtype]) fail(`tensor '${name}' of shape [${shape.join(', ')}] needs ${count * BYTES[dtype]} bytes, its offsets span ${end - begin}`);
    if (end > dataLength) fail(`tensor '${name}' ends at byte ${end} of a ${dataLength}-byte data section (truncated?)`);
    ranges.push([begin, end, name]);
    const at = dataStart + begin;
    const values = dtype === 'F32' ? Float32Array.from({ length: count }, (_, i) => view.getFloat32(at + 4 * i, true)) : Array.from({ length: count }, (_, i) => Number(view.getBigInt64(at + 8 * i, true)));
    tensors.set(name, { dtype, shape, values });
  }
  ranges.sort((a, b) => a[0] - b[0]);
  let covered = 0;
  for (const [begin, end, name] of ranges) {
    if (begin !== covered) fail(begin < covered ? `tensor '${name}' overlaps another` : `a gap of ${begin - covered} bytes before tensor '${name}'`);
    covered = end;
  }
  if (covered !== dataLength) fail(`${dataLength - covered} bytes after the last tensor`);
  return { tensors, metadata };
}

/**
 * A module's state dict as a safetensors file (PyTorch's torch.save(model.state_dict(), path), in the
 * format safetensors.torch.load_file reads): `fs.writeFileSync(path, toSafetensors(await net.stateDict()))`.
 */
export function toSafetensors(state: StateDict, metadata: Record<string, string> = {}): Uint8Array {
  if (!(state instanceof Map)) throw new Error(`toSafetensors: expected a state dict (the Map that await model.stateDict() gives), got ${state === null ? 'null' : typeof state}`);
  return encodeSafetensors({ tensors: state, metadata });
}

/**
 * A safetensors file's tensors as a state dict for model.loadStateDict (PyTorch's
 * model.load_state_dict(torch.load(path))): `net.loadStateDict(fromSafetensors(fs.readFileSync(path), path))`.
 * A corrupt or truncated file is an Error naming `source`.
 */
export function fromSafetensors(bytes: Uint8Array, source = 'safetensors file'): StateDict {
  if (!(bytes instanceof Uint8Array)) throw new Error(`fromSafetensors: expected the file's bytes (a Uint8Array: fs.readFileSync(path), or new Uint8Array(await file.arrayBuffer()) in a page), got ${bytes === null ? 'null' : typeof bytes}`);
  // I64 entries (num_batches_tracked) as float32, as stateDict() gives them.
  return new Map([...decodeSafetensors(bytes, source).tensors].map(([name, t]) => [name, { ...t, values: Float32Array.from(t.values) }]));
}
