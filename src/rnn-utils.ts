// torch.nn.utils.rnn: sequences of different lengths through nn.RNN, nn.LSTM and nn.GRU. Reached as
// nn.utils.rnn. PyTorch's PackedSequence holds the valid steps packed into one [Σ lengths, *]
// tensor; ours holds the padded tensor and the lengths, and a layer given one runs every step for
// every sequence, keeping each sequence's state from its last valid step on: PyTorch's outputs and
// h_n, in the batch's own order (so nothing is sorted). `data` packs it as PyTorch's does, when asked.
import { fillConstant } from './kernels/init';
import * as F from './functional';
import { shapeText } from './launch';
import { expectFlag, normalizeOptions, show } from './options';
import { composite, opOutput, Tensor } from './tensor';

/**
 * A batch of sequences of their own lengths: `padded` [L, N, *] ([N, L, *] batchFirst), sequence n
 * valid for its first lengths[n] steps; what lies past them is not read (a layer's output holds
 * anything there: padPackedSequence puts padding_value there).
 */
export class PackedSequence {
  constructor(
    readonly padded: Tensor,
    readonly lengths: readonly number[],
    readonly batchFirst: boolean,
  ) {}

  /** The sequences' order by length, longest first (ties in batch order): PyTorch's sorted_indices. */
  get sortedIndices(): number[] {
    return this.lengths.map((_, n) => n).sort((a, b) => this.lengths[b]! - this.lengths[a]! || a - b);
  }

  /** Where each sequence went in sortedIndices: PyTorch's unsorted_indices. */
  get unsortedIndices(): number[] {
    const inverse: number[] = [];
    this.sortedIndices.forEach((n, i) => (inverse[n] = i));
    return inverse;
  }

  /** How many sequences are still running at each step: PyTorch's batch_sizes. */
  get batchSizes(): number[] {
    return Array.from({ length: Math.max(...this.lengths) }, (_, t) => this.lengths.filter((l) => l > t).length);
  }

  /** PyTorch's data: the valid steps packed, [Σ lengths, *], step by step and longest sequence first within a step (a copy, F.indexSelect: gradients flow back). */
  get data(): Tensor {
    const [L, N] = this.batchFirst ? [this.padded.shape[1]!, this.padded.shape[0]!] : [this.padded.shape[0]!, this.padded.shape[1]!];
    const rows: number[] = [];
    for (let t = 0; t < Math.max(...this.lengths); t++) for (const n of this.sortedIndices) if (this.lengths[n]! > t) rows.push(this.batchFirst ? n * L + t : t * N + n);
    return composite(() => {
      const index = opOutput(this.padded.gpu, [rows.length], 'PackedSequence rows', 'i32');
      index.write(rows);
      return F.indexSelect(F.reshape(this.padded, [L * N, ...this.padded.shape.slice(2)]), 0, index);
    });
  }
}

/** Lengths as numbers (a PyTorch CPU tensor's are on the CPU too), each in [1, steps], one per sequence. */
function expectLengths(op: string, lengths: unknown, N: number, steps: number): number[] {
  if (lengths instanceof Tensor) throw new Error(`${op}: give 'lengths' as an array of numbers (PyTorch's must be a CPU tensor or a list too), got a Tensor ${shapeText(lengths.shape)} on the GPU`);
  if (lengths === null || typeof lengths !== 'object' || !('length' in lengths)) throw new Error(`${op}: argument 'lengths' expected an array of numbers, got ${show(lengths)}`);
  const list = Array.from(lengths as ArrayLike<number>);
  if (list.length !== N) throw new Error(`${op}: Expected \`len(lengths)\` to be equal to batch_size, but got ${list.length} (batch_size=${N})`);
  list.forEach((l, n) => {
    if (!Number.isInteger(l)) throw new Error(`${op}: lengths[${n}] expected an integer, got ${show(l)}`);
    if (l <= 0) throw new Error(`${op}: Length of all samples has to be greater than 0, but found an element in 'lengths' that is <= 0 (lengths[${n}] = ${l})`);
    if (l > steps) throw new Error(`${op}: lengths[${n}] = ${l} exceeds the ${steps} steps of the input`);
  });
  return list;
}

/** PyTorch's enforce_sorted: lengths in decreasing order, or its Error. */
function expectSorted(op: string, lengths: readonly number[], enforceSorted: boolean): void {
  if (enforceSorted && lengths.some((l, n) => n > 0 && l > lengths[n - 1]!)) throw new Error(`${op}: \`lengths\` array must be sorted in decreasing order when \`enforce_sorted\` is True. You can pass \`enforce_sorted=False\` to pack_padded_sequence and/or pack_sequence to sidestep this requirement if you do not need ONNX exportability. (lengths ${show(lengths)})`);
}

/** The [L, N] or [N, L] layout's steps and batch. */
const stepsAndBatch = (t: Tensor, batchFirst: boolean): [number, number] => (batchFirst ? [t.shape[1]!, t.shape[0]!] : [t.shape[0]!, t.shape[1]!]);

/**
 * torch.nn.utils.rnn.pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
 * input [L, N, *] ([N, L, *] batch_first), lengths one per sequence. enforce_sorted asks for lengths
 * in decreasing order, as PyTorch's (for ONNX); nothing here needs them sorted.
 */
export function packPaddedSequence(input: Tensor, lengths: ArrayLike<number>, options: { batchFirst?: boolean; batch_first?: boolean; enforceSorted?: boolean; enforce_sorted?: boolean } = {}, op = 'packPaddedSequence'): PackedSequence {
  const o = normalizeOptions(op, options, ['batchFirst', 'enforceSorted'], { batch_first: 'batchFirst', enforce_sorted: 'enforceSorted' }) as { batchFirst?: boolean; enforceSorted?: boolean };
  expectFlag(op, 'batchFirst', o.batchFirst);
  expectFlag(op, 'enforceSorted', o.enforceSorted);
  if (!(input instanceof Tensor) || input.shape.length < 2) throw new Error(`${op}: argument 'input' expected a Tensor [L, N, *] (or [N, L, *] with batch_first), got ${input instanceof Tensor ? shapeText(input.shape) : show(input)}`);
  const [L, N] = stepsAndBatch(input, o.batchFirst ?? false);
  const list = expectLengths(op, lengths, N, L);
  expectSorted(op, list, o.enforceSorted ?? true);
  return new PackedSequence(input, list, o.batchFirst ?? false);
}

/** A new [steps, N, *] (or [N, steps, *]) f32 tensor of 1 where sequence n is valid at step t, else 0, freed as op outputs are. */
export function validMask(like: Tensor, lengths: readonly number[], steps: number, trailing: readonly number[], batchFirst: boolean): Tensor {
  const N = lengths.length;
  const width = trailing.reduce((a, b) => a * b, 1);
  const shape = batchFirst ? [N, steps, ...trailing] : [steps, N, ...trailing];
  const values = new Float32Array(N * steps * width);
  for (let n = 0; n < N; n++) {
    for (let t = 0; t < lengths[n]!; t++) values.fill(1, ((batchFirst ? n * steps + t : t * N + n) * width), ((batchFirst ? n * steps + t : t * N + n) + 1) * width);
  }
  const mask = opOutput(like.gpu, shape, 'valid steps');
  mask.write(values);
  return mask;
}

/** A new tensor of `shape` holding `value` everywhere (NaN and ±∞ too: uploaded), freed as op outputs are. */
function filled(like: Tensor, shape: readonly number[], value: number): Tensor {
  const t = opOutput(like.gpu, shape, `filled with ${value}`);
  if (Number.isFinite(value)) fillConstant(t, value);
  else t.write(new Float32Array(t.size).fill(value));
  return t;
}

/**
 * torch.nn.utils.rnn.pad_packed_sequence(sequence, batch_first=False, padding_value=0.0,
 * total_length=None): the padded tensor, max(lengths) steps long (or total_length), padding_value
 * after each sequence's length, in the layout asked for; and the lengths (an array, where PyTorch's
 * is a CPU tensor).
 */
export function padPackedSequence(sequence: PackedSequence, options: { batchFirst?: boolean; batch_first?: boolean; paddingValue?: number; padding_value?: number; totalLength?: number | null; total_length?: number | null } = {}): [Tensor, number[]] {
  const op = 'padPackedSequence';
  if (!(sequence instanceof PackedSequence)) throw new Error(`${op}: argument 'sequence' expected a PackedSequence (nn.utils.rnn.packPaddedSequence's, or an RNN's output for one), got ${show(sequence)}`);
  const o = normalizeOptions(op, options, ['batchFirst', 'paddingValue', 'totalLength'], { batch_first: 'batchFirst', padding_value: 'paddingValue', total_length: 'totalLength' }) as { batchFirst?: boolean; paddingValue?: number; totalLength?: number | null };
  expectFlag(op, 'batchFirst', o.batchFirst);
  const paddingValue = o.paddingValue ?? 0;
  if (typeof paddingValue !== 'number') throw new Error(`${op}: option 'padding_value' expected a number, got ${show(paddingValue)}`);
  const longest = Math.max(...sequence.lengths);
  const total = o.totalLength ?? longest;
  if (!Number.isInteger(total) || total < longest) throw new Error(`${op}: Expected total_length to be at least the length of the longest sequence in input, but got total_length=${show(o.totalLength)} and max sequence length being ${longest}`);
  const batchFirst = o.batchFirst ?? false;
  const { padded, lengths } = sequence;
  const timeDim = sequence.batchFirst ? 1 : 0;
  const L = padded.shape[timeDim]!;
  // The steps asked for: the padded tensor's first `total`, or all of it and more of padding; then
  // padding_value after each sequence's length.
  const result = composite(() => {
    let y = total < L ? F.narrow(padded, timeDim, 0, total) : padded;
    if (total > L) {
      const more = [...padded.shape];
      more[timeDim] = total - L;
      y = F.cat([y, filled(padded, more, paddingValue)], timeDim);
    }
    if (batchFirst !== sequence.batchFirst) y = F.transpose(y, 0, 1);
    const mask = validMask(padded, lengths, total, padded.shape.slice(2), batchFirst);
    return F.where(mask, y, Number.isFinite(paddingValue) ? paddingValue : filled(padded, mask.shape, paddingValue));
  });
  return [result, [...lengths]];
}

/**
 * torch.nn.utils.rnn.pad_sequence(sequences, batch_first=False, padding_value=0.0): tensors [l_i, *]
 * stacked into [max l, N, *] ([N, max l, *] batch_first), each padded with padding_value after its
 * length; gradients flow back to each.
 */
export function padSequence(sequences: readonly Tensor[], options: { batchFirst?: boolean; batch_first?: boolean; paddingValue?: number; padding_value?: number } = {}): Tensor {
  const op = 'padSequence';
  const o = normalizeOptions(op, options, ['batchFirst', 'paddingValue'], { batch_first: 'batchFirst', padding_value: 'paddingValue' }) as { batchFirst?: boolean; paddingValue?: number };
  expectFlag(op, 'batchFirst', o.batchFirst);
  if (!Array.isArray(sequences) || sequences.length === 0) throw new Error(`${op}: argument 'sequences' expected a non-empty list of tensors [l, *], got ${show(sequences)}`);
  sequences.forEach((t, i) => {
    if (!(t instanceof Tensor)) throw new Error(`${op}: sequences[${i}] expected a Tensor, got ${show(t)}`);
    if (shapeText(t.shape.slice(1)) !== shapeText(sequences[0]!.shape.slice(1))) throw new Error(`${op}: sequences[${i}] ${shapeText(t.shape)} has other trailing dimensions than sequences[0] ${shapeText(sequences[0]!.shape)}`);
  });
  const longest = Math.max(...sequences.map((t) => t.shape[0]!));
  const paddingValue = o.paddingValue ?? 0;
  return composite(() => {
    const each = sequences.map((t) => (t.shape[0] === longest ? t : F.cat([t, filled(t, [longest - t.shape[0]!, ...t.shape.slice(1)], paddingValue)], 0)));
    return F.stack(each, o.batchFirst ? 0 : 1);
  });
}

/** torch.nn.utils.rnn.pack_sequence(sequences, enforce_sorted=True): padSequence, then packPaddedSequence with their lengths. */
export function packSequence(sequences: readonly Tensor[], options: { enforceSorted?: boolean; enforce_sorted?: boolean } = {}): PackedSequence {
  const lengths = Array.isArray(sequences) ? sequences.map((t) => (t instanceof Tensor ? t.shape[0]! : 0)) : [];
  const o = normalizeOptions('packSequence', options, ['enforceSorted'], { enforce_sorted: 'enforceSorted' }) as { enforceSorted?: boolean };
  // Checked before padding, so a refused order dispatches nothing.
  expectSorted('packSequence', lengths, o.enforceSorted ?? true);
  return packPaddedSequence(padSequence(sequences), lengths, o, 'packSequence');
}
