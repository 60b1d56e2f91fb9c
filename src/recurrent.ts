// Recurrent layers (nn.RNN, nn.LSTM, nn.GRU and their cells) as PyTorch 1.13 defines them. A layer
// projects the whole sequence's inputs in one matmul (x · W_ihᵀ + b_ih over L·N rows); each step is
// then the state's projection (h · W_hhᵀ + b_hh, a matmul) and one kernel for the rest of the step
// (shaders/recurrent_cell.wgsl: the gates, their nonlinearities and the state update), which reads
// its rows of the sequence's projection in place. Backward is the kernel's and the matmuls'.
import * as F from './functional';
import { cellForward, GATES, gruBackward, lstmBackwardC, lstmBackwardH, rnnBackward, type CellMode, type StepRows } from './kernels/recurrent_cell';
import { shapeText } from './launch';
import { validMask } from './rnn-utils';
import { show } from './options';
import { composite, needsGrad, opOutput, record, Tensor, upstream, type BackwardContext } from './tensor';

export { GATES };
/** PyTorch's mode names: the update each step makes. */
export type RecurrentMode = CellMode;

/** One layer and direction's parameters (PyTorch's weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0, weight_hr_l0). */
export interface CellWeights {
  weightIh: Tensor;
  weightHh: Tensor;
  biasIh: Tensor | null;
  biasHh: Tensor | null;
  /** LSTM with proj_size: h = W_hr · (o ⊙ tanh(c)). */
  weightHr: Tensor | null;
}

/** The state a step carries: h, and an LSTM's cell state c. */
export interface State {
  h: Tensor;
  c: Tensor | null;
}

/**
 * The gradient a step's backward writes for t: t's own (added into, or overwritten, as `accumulate`
 * says), or a scratch buffer when t needs none (a frozen projection).
 */
function gradOf(ctx: BackwardContext, t: Tensor, scratch: string): { grad: Tensor; accumulate: boolean } {
  return t.requiresGrad ? ctx.target(t) : { grad: Tensor.scratch(t.gpu, scratch, t.shape), accumulate: false };
}

/**
 * The sequence projection's gradient, which every step adds its rows into: cleared by the first
 * step's backward to reach it (the last step), then added into.
 */
function sequenceGrad(ctx: BackwardContext, x: Tensor): Tensor {
  const { grad, accumulate } = gradOf(ctx, x, 'recurrent dx');
  if (!accumulate) x.gpu.clear(grad);
  return grad;
}

/**
 * One step from `state`: the state's projection h · W_hhᵀ + b_hh, then recurrent_cell.wgsl over
 * this step's rows of the input projection x (at `at`):
 *   RNN   h' = tanh (or relu)(x_t W_ihᵀ + b_ih + h W_hhᵀ + b_hh)
 *   LSTM  i, f, g, o = σ, σ, tanh, σ of the four blocks of (x_t W_ihᵀ + b_ih + h W_hhᵀ + b_hh)
 *         c' = f ⊙ c + i ⊙ g,  h' = o ⊙ tanh(c')  (then W_hr · h' with proj_size)
 *   GRU   r = σ(x_r + h_r), z = σ(x_z + h_z), n = tanh(x_n + r ⊙ h_n),  h' = (1 − z) ⊙ n + z ⊙ h
 *         (x_• and h_• the blocks of the two projections: b_hn stays inside r ⊙ …)
 * Recorded as one graph node (an LSTM's as two: c' and h', a node having one output).
 */
export function step(mode: RecurrentMode, x: Tensor, at: StepRows, state: State, w: CellWeights): State {
  const { gpu } = x;
  const hidden = F.linear(state.h, w.weightHh, w.biasHh);
  const units = (mode === 'LSTM' ? state.c! : state.h).shape; // [rows, H] or one sample's [H]
  const h = opOutput(gpu, units, `${mode} h`);
  if (mode === 'RNN_TANH' || mode === 'RNN_RELU') {
    cellForward(mode, x, at, hidden, null, { h });
    if (needsGrad([x, hidden])) {
      record({ name: `${mode} step`, inputs: [x, hidden], output: h, reads: [h], backward: (ctx, dh) => {
        const dhidden = gradOf(ctx, hidden, 'recurrent dhidden');
        rnnBackward(mode === 'RNN_RELU', x, at, h, upstream(dh, gpu, h.shape), { dx: sequenceGrad(ctx, x), dhidden: dhidden.grad, accumulateHidden: dhidden.accumulate });
      } });
    }
    return { h, c: null };
  }
  const gates = opOutput(gpu, [at.rows, GATES[mode] * at.hiddenSize], `${mode} gates`);
  if (mode === 'GRU') {
    const hPrev = state.h;
    cellForward(mode, x, at, hidden, hPrev, { h, gates });
    if (needsGrad([x, hidden, hPrev])) {
      record({ name: 'GRU step', inputs: [x, hidden, hPrev], output: h, saved: [gates], reads: [gates, hidden, hPrev], backward: (ctx, dh) => {
        const [dhidden, dState] = [gradOf(ctx, hidden, 'recurrent dhidden'), gradOf(ctx, hPrev, 'recurrent dstate')];
        gruBackward(x, at, gates, hidden, hPrev, upstream(dh, gpu, h.shape), { dx: sequenceGrad(ctx, x), dhidden: dhidden.grad, accumulateHidden: dhidden.accumulate, dState: dState.grad, accumulateState: dState.accumulate });
      } });
    }
    return { h, c: null };
  }
  // LSTM: c' and h' are two nodes. Backward reaches h' first (recorded later): its part of dc' goes
  // into c''s gradient, which c''s node then reads whole (the later steps' parts are there already).
  const cPrev = state.c!;
  const c = opOutput(gpu, units, 'LSTM c');
  cellForward(mode, x, at, hidden, cPrev, { h, c, gates });
  if (needsGrad([x, hidden, cPrev])) {
    record({ name: "LSTM step (c')", inputs: [x, hidden, cPrev], output: c, saved: [gates], reads: [gates, cPrev], backward: (ctx, dc) => {
      const [dhidden, dState] = [gradOf(ctx, hidden, 'recurrent dhidden'), gradOf(ctx, cPrev, 'recurrent dstate')];
      lstmBackwardC(x, at, gates, cPrev, upstream(dc, gpu, c.shape), { dx: sequenceGrad(ctx, x), dhidden: dhidden.grad, accumulateHidden: dhidden.accumulate, dState: dState.grad, accumulateState: dState.accumulate });
    } });
    record({ name: "LSTM step (h')", inputs: [c, x, hidden], output: h, saved: [gates], reads: [gates, c], backward: (ctx, dh) => {
      const [dhidden, dc] = [gradOf(ctx, hidden, 'recurrent dhidden'), ctx.target(c)];
      lstmBackwardH(x, at, gates, c, upstream(dh, gpu, h.shape), { dx: sequenceGrad(ctx, x), dhidden: dhidden.grad, accumulateHidden: dhidden.accumulate, dState: dc.grad, accumulateState: dc.accumulate });
    } });
  }
  return { h: w.weightHr ? F.linear(h, w.weightHr, null) : h, c };
}

/** The rows of step t in a sequence's projection [L, N, G·H] (time-major) or [N, L, G·H] (batch first). */
function stepRows(t: number, L: number, N: number, G: number, H: number, batchFirst: boolean): StepRows {
  return batchFirst ? { rows: N, hiddenSize: H, offset: t * G * H, rowStride: L * G * H } : { rows: N, hiddenSize: H, offset: t * N * G * H, rowStride: G * H };
}

/** A new tensor of zeros, freed as the op outputs around it are (the state PyTorch starts from when none is given). */
function zeros(like: Tensor, shape: readonly number[]): Tensor {
  const t = opOutput(like.gpu, shape, 'recurrent.zeros');
  like.gpu.clear(t);
  return t;
}

/** The shape of the sizes a recurrent module was made with, for run() and its errors. */
export interface RecurrentShape {
  /** PyTorch's class name, for errors: 'LSTM'. */
  kind: string;
  mode: RecurrentMode;
  inputSize: number;
  hiddenSize: number;
  /** h's width: proj_size when an LSTM has one, else hidden_size. */
  outputSize: number;
  numLayers: number;
  bidirectional: boolean;
  batchFirst: boolean;
}

export interface RunOptions {
  /** Dropout on each layer's output but the last's (PyTorch's dropout), drawn while training only. */
  dropout: number;
  training: boolean;
  dropoutSeed: number;
  /** The first layer's mask counter; layer l uses dropoutStep + l. */
  dropoutStep: number;
}

/**
 * A whole multi-layer recurrent forward, as PyTorch's nn.RNN/LSTM/GRU: input [L, N, I] ([N, L, I]
 * batch first, or one sequence [L, I]), h0 and c0 [layers·D, N, H] ([layers·D, H] for one sequence;
 * null: zeros), weights per layer and direction (layer·D + direction). Returns output [L, N, D·H]
 * (its layout as the input's) and the last states, which are companions of the output (freed with it).
 */
export function run(s: RecurrentShape, input: Tensor, h0: Tensor | null, c0: Tensor | null, weights: readonly CellWeights[], o: RunOptions, lengths: readonly number[] | null = null): { output: Tensor; h: Tensor; c: Tensor | null } {
  const op = s.kind;
  expectFloat(op, 'input', input);
  if (lengths && input.shape.length !== 3) throw new Error(`${op}: a PackedSequence's padded tensor expected 3 dimensions, got ${shapeText(input.shape)}`);
  if (input.shape.length !== 2 && input.shape.length !== 3) throw new Error(`${op}: Expected input to be 2-D or 3-D but received ${input.shape.length}-D tensor (${shapeText(input.shape)})`);
  if (input.shape.at(-1) !== s.inputSize) throw new Error(`${op}: input.size(-1) must be equal to input_size. Expected ${s.inputSize}, got ${input.shape.at(-1)} (input ${shapeText(input.shape)})`);
  const unbatched = input.shape.length === 2;
  const D = s.bidirectional ? 2 : 1;
  const timeDim = s.batchFirst && !unbatched ? 1 : 0;
  const L = input.shape[timeDim]!;
  const N = unbatched ? 1 : input.shape[1 - timeDim]!;
  if (L === 0 || N === 0) throw new Error(`${op}: input ${shapeText(input.shape)} holds no sequence`);
  const states: [string, Tensor | null, number][] = s.mode === 'LSTM' ? [['hx[0] (h_0)', h0, s.outputSize], ['hx[1] (c_0)', c0, s.hiddenSize]] : [['hx', h0, s.outputSize]];
  for (const [name, t, width] of states) {
    if (t === null) continue;
    expectFloat(op, name, t);
    const expected = unbatched ? [s.numLayers * D, width] : [s.numLayers * D, N, width];
    if (unbatched && t.shape.length !== 2) throw new Error(`${op}: For unbatched 2-D input, ${name} should also be 2-D but got ${t.shape.length}-D tensor (${shapeText(t.shape)})`);
    if (!unbatched && t.shape.length !== 3) throw new Error(`${op}: For batched 3-D input, ${name} should also be 3-D but got ${t.shape.length}-D tensor (${shapeText(t.shape)})`);
    if (shapeText(t.shape) !== shapeText(expected)) throw new Error(`${op}: Expected ${name} size ${shapeText(expected)} (num_layers · num_directions, batch, ${width === s.hiddenSize ? 'hidden_size' : 'proj_size'}), got ${shapeText(t.shape)}`);
  }
  let h: Tensor | null = null;
  let c: Tensor | null = null;
  const output = composite(() => {
    // One sequence runs as a batch of one (views), and its results come back without that dimension.
    const x0 = unbatched ? F.reshape(input, [L, 1, s.inputSize]) : input;
    const initial = (t: Tensor | null, width: number): Tensor[] => {
      if (t === null) return Array.from({ length: s.numLayers * D }, () => zeros(input, [N, width]));
      return F.unbind(unbatched ? F.reshape(t, [s.numLayers * D, 1, width]) : t, 0);
    };
    const hs0 = initial(h0, s.outputSize);
    const cs0 = s.mode === 'LSTM' ? initial(c0, s.hiddenSize) : [];
    const lastH: Tensor[] = [];
    const lastC: Tensor[] = [];
    // Sequences of their own lengths (a PackedSequence): each keeps its state past its length. What
    // lies there in the input is never read by PyTorch: zeros instead, so a NaN there reaches no gradient.
    const valid = lengths ? masks(input, lengths) : null;
    let x = lengths ? F.where(validMask(input, lengths, L, [s.inputSize], timeDim === 1), x0, 0) : x0;
    for (let layer = 0; layer < s.numLayers; layer++) {
      const last = layer === s.numLayers - 1;
      const directions: Tensor[] = [];
      for (let d = 0; d < D; d++) {
        const k = layer * D + d;
        const w = weights[k]!;
        // Every step's x_t · W_ihᵀ + b_ih in one matmul; each step reads its rows of it in place.
        const projected = F.linear(x, w.weightIh, w.biasIh);
        let state: State = { h: hs0[k]!, c: cs0[k] ?? null };
        const outputs: Tensor[] = new Array(L);
        for (let i = 0; i < L; i++) {
          const t = d === 0 ? i : L - 1 - i; // the reverse direction reads the sequence backwards
          const next = step(s.mode, projected, stepRows(t, L, N, GATES[s.mode], s.hiddenSize, timeDim === 1), state, w);
          // Past a sequence's length its state stays as it was; its outputs there are left as they come
          // (padPackedSequence puts padding_value there, and no later step reads them).
          const keep = valid?.(t, next.h.shape.at(-1)!);
          outputs[t] = next.h;
          state = keep ? { h: F.where(keep, next.h, state.h), c: next.c && F.where(valid!(t, next.c.shape.at(-1)!)!, next.c, state.c!) } : next;
        }
        lastH.push(state.h);
        if (state.c) lastC.push(state.c);
        directions.push(unbatched && last ? F.cat(outputs, 0) : F.stack(outputs, timeDim));
      }
      x = D === 1 ? directions[0]! : F.cat(directions, -1);
      if (!last && o.training && o.dropout > 0) x = F.dropout(x, o.dropout, { seed: o.dropoutSeed, step: o.dropoutStep + layer });
    }
    const joined = (states: Tensor[]) => (unbatched ? F.cat(states, 0) : F.stack(states, 0));
    h = joined(lastH);
    c = lastC.length ? joined(lastC) : null;
    return x;
  });
  return { output, ...handedOut(output, h!, c, s.kind) };
}

/**
 * For sequences of the given lengths, the mask [N, width] of those still running at step t (1, else
 * 0), or null when all of them are; each made once per forward.
 */
function masks(like: Tensor, lengths: readonly number[]): (t: number, width: number) => Tensor | null {
  const made = new Map<string, Tensor>();
  const shortest = Math.min(...lengths);
  return (t, width) => {
    if (t < shortest) return null;
    const key = `${t} ${width}`;
    let mask = made.get(key);
    if (!mask) {
      mask = opOutput(like.gpu, [lengths.length, width], `valid at step ${t}`);
      mask.write(Float32Array.from({ length: lengths.length * width }, (_, i) => (lengths[Math.floor(i / width)]! > t ? 1 : 0)));
      made.set(key, mask);
    }
    return mask;
  };
}

/**
 * The states beside a composite's output, taken out of its companions: the module frees them with
 * it, but a tidy() that returns them (a TBPTT step returning h_n) must not, as it frees the output.
 */
function handedOut(output: Tensor, h: Tensor, c: Tensor | null, kind: string): { h: Tensor; c: Tensor | null } {
  const cell = kind.endsWith('Cell');
  output.label = `${kind}.${cell ? 'h' : 'output'}`;
  for (const [t, name] of [[h, 'h_n'], [c, cell ? 'c' : 'c_n']] as const) {
    if (!t || t === output) continue;
    output.companions.splice(output.companions.indexOf(t), 1);
    t.label = `${kind}.${name}`;
  }
  return { h, c };
}

/** An f32 tensor argument, or an Error naming the module and the argument. */
function expectFloat(op: string, name: string, t: unknown): void {
  if (!(t instanceof Tensor)) throw new Error(`${op}: ${name === 'input' ? "argument 'input'" : name} expected a Tensor${name === 'input' ? '' : ' or null'}, got ${show(t)}`);
  if (t.dtype !== 'f32') throw new Error(`${op}: ${name === 'input' ? "argument 'input'" : name} expected dtype f32, got ${t.dtype}${name === 'input' ? ' (token ids go through an nn.Embedding first)' : ''}`);
}

/**
 * One cell step (nn.RNNCell, nn.LSTMCell, nn.GRUCell): input [N, I] or one sample [I], hx (and an
 * LSTM's cx) [N, H] or [H], null for zeros. Returns h' (and c', a companion of h').
 */
export function cell(kind: string, mode: RecurrentMode, inputSize: number, hiddenSize: number, input: Tensor, hx: Tensor | null, cx: Tensor | null, w: CellWeights): State {
  expectFloat(kind, 'input', input);
  if (input.shape.length !== 1 && input.shape.length !== 2) throw new Error(`${kind}: Expected input to be 1-D or 2-D but received ${input.shape.length}-D tensor (${shapeText(input.shape)})`);
  if (input.shape.at(-1) !== inputSize) throw new Error(`${kind}: input has inconsistent input_size: got ${input.shape.at(-1)} expected ${inputSize} (input ${shapeText(input.shape)})`);
  const batch = input.shape.slice(0, -1);
  const states: [string, Tensor | null][] = mode === 'LSTM' ? [['hx[0]', hx], ['hx[1]', cx]] : [['hx', hx]];
  for (const [name, t] of states) {
    if (t === null) continue;
    expectFloat(kind, name, t);
    if (shapeText(t.shape) !== shapeText([...batch, hiddenSize])) throw new Error(`${kind}: Expected ${name} of shape ${shapeText([...batch, hiddenSize])} (${batch.length ? 'batch, ' : 'one sample: '}hidden_size), got ${shapeText(t.shape)}`);
  }
  let c: Tensor | null = null;
  const h = composite(() => {
    const state = { h: hx ?? zeros(input, [...batch, hiddenSize]), c: mode === 'LSTM' ? (cx ?? zeros(input, [...batch, hiddenSize])) : null };
    const rows = batch[0] ?? 1;
    const next = step(mode, F.linear(input, w.weightIh, w.biasIh), stepRows(0, 1, rows, GATES[mode], hiddenSize, false), state, w);
    c = next.c;
    return next.h;
  });
  return handedOut(h, h, c, kind);
}
