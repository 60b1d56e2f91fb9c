// shaders/recurrent_cell.wgsl: the elementwise half of one step of nn.RNN, nn.LSTM, nn.GRU and
// their cells, forward and backward (the two projections are matmuls: src/recurrent.ts).
import { grid1d, loadShader } from '../device/shader';
import { expectDtype, shapeText } from '../launch';
import * as ref from '../reference/recurrent';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type CaseScope, type KernelCase, type Spec } from '../spec/scope';
import type { Tensor } from '../tensor';

export const shader = loadShader('recurrent_cell');

/** PyTorch's mode names: the update a step makes. */
export type CellMode = 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';

/** Blocks of H per row of the projections (weight_ih's rows are gates · H): LSTM i, f, g, o; GRU r, z, n. */
export const GATES: Record<CellMode, number> = { RNN_TANH: 1, RNN_RELU: 1, LSTM: 4, GRU: 3 };

/**
 * Where a step's input projection lies in x, the whole sequence's: row n's gates · H values from
 * element offset + n · rowStride (time-major [L, N, G·H]: offset t · N · G·H, stride G·H; batch
 * first [N, L, G·H]: offset t · G·H, stride L · G·H).
 */
export interface StepRows {
  rows: number;
  hiddenSize: number;
  offset: number;
  rowStride: number;
}

/** An Error naming the first argument of the wrong dtype or size; the step's rows checked against x. */
function expectStep(op: string, mode: CellMode, x: Tensor, at: StepRows, sized: Record<string, [Tensor, 'gates' | 'units']>): void {
  const { rows, hiddenSize: H, offset, rowStride } = at;
  const G = GATES[mode];
  for (const [name, v] of Object.entries({ rows, hiddenSize: H, offset, rowStride })) {
    if (!Number.isInteger(v) || v < (name === 'offset' ? 0 : 1)) throw new Error(`${op}: '${name}' expected an integer ≥ ${name === 'offset' ? 0 : 1}, got ${String(v)}`);
  }
  expectDtype(op, 'x', x, 'f32');
  if (rowStride < G * H) throw new Error(`${op}: rows of x ${rowStride} apart overlap their ${G * H} values (${G} gates · hidden_size ${H})`);
  if (offset + (rows - 1) * rowStride + G * H > x.size) throw new Error(`${op}: ${rows} rows of ${G * H} from element ${offset}, ${rowStride} apart, overrun x ${shapeText(x.shape)}`);
  for (const [name, [t, kind]] of Object.entries(sized)) {
    expectDtype(op, name, t, 'f32');
    const size = kind === 'gates' ? rows * G * H : rows * H;
    if (t.size !== size) throw new Error(`${op}: argument '${name}' expected ${size} elements (${rows} rows of ${kind === 'gates' ? `${G} gates · ${H}` : H}), got shape ${shapeText(t.shape)}`);
  }
}

const paramsOf = (at: StepRows) => ({ rows: at.rows, hidden_size: at.hiddenSize, x_offset: at.offset, x_row_stride: at.rowStride });

/**
 * One step forward: h (and an LSTM's c and gates, a GRU's gates) from the step's input projection
 * (in x, at `at`), the state's projection hidden [rows, G·H] and the state (an LSTM's c, a GRU's h;
 * none for an RNN).
 */
export function cellForward(mode: CellMode, x: Tensor, at: StepRows, hidden: Tensor, state: Tensor | null, out: { h: Tensor; c?: Tensor; gates?: Tensor }): void {
  const op = 'cellForward';
  const sized: Record<string, [Tensor, 'gates' | 'units']> = { hidden: [hidden, 'gates'], h: [out.h, 'units'] };
  if (mode === 'LSTM' || mode === 'GRU') {
    if (!state || !out.gates || (mode === 'LSTM' && !out.c)) throw new Error(`${op}: ${mode} needs the state${mode === 'LSTM' ? ', c' : ''} and gates`);
    Object.assign(sized, { state: [state, 'units'], gates: [out.gates, 'gates'] }, mode === 'LSTM' ? { c: [out.c!, 'units'] } : {});
  }
  expectStep(op, mode, x, at, sized);
  const entry = shader.entry(mode === 'LSTM' ? 'lstm_forward' : mode === 'GRU' ? 'gru_forward' : 'rnn_forward');
  const bindings = { params: paramsOf(at), x, hidden, h_out: out.h, ...(state ? { state } : {}), ...(out.gates ? { gates: out.gates } : {}), ...(out.c ? { state_out: out.c } : {}) };
  x.gpu.dispatch(entry, bindings, grid1d(entry, at.rows * at.hiddenSize), mode.startsWith('RNN') ? { RELU: mode === 'RNN_RELU' } : {});
}

/** Where a backward writes: dx (the sequence's, added into), dhidden and the state's gradient, each overwritten or added into. */
export interface CellGrads {
  dx: Tensor;
  dhidden: Tensor;
  accumulateHidden: boolean;
  dState?: Tensor;
  accumulateState?: boolean;
}

function backward(op: string, mode: CellMode, entryName: string, x: Tensor, at: StepRows, reads: Record<string, [Tensor, 'gates' | 'units']>, g: CellGrads): void {
  const sized = { ...reads, dhidden: [g.dhidden, 'gates'] as [Tensor, 'gates'], ...(g.dState ? { d_state: [g.dState, 'units'] as [Tensor, 'units'] } : {}) };
  expectStep(op, mode, x, at, sized);
  if (g.dx.size !== x.size) throw new Error(`${op}: argument 'dx' expected x's ${x.size} elements, got shape ${shapeText(g.dx.shape)}`);
  const entry = shader.entry(entryName);
  const tensors = Object.fromEntries(Object.entries(reads).map(([name, [t]]) => [name, t]));
  x.gpu.dispatch(entry, { params: paramsOf(at), ...tensors, dx: g.dx, dhidden: g.dhidden, ...(g.dState ? { d_state: g.dState } : {}) }, grid1d(entry, at.rows * at.hiddenSize), {
    ACCUMULATE_HIDDEN: g.accumulateHidden,
    ...(g.dState ? { ACCUMULATE_STATE: g.accumulateState ?? false } : {}),
    ...(mode.startsWith('RNN') ? { RELU: mode === 'RNN_RELU' } : {}),
  });
}

/** From dh' and the forward's h': d = dh' · act'(h'), added into dx's step rows, written (or added) into dhidden. */
export function rnnBackward(relu: boolean, x: Tensor, at: StepRows, h: Tensor, dh: Tensor, g: CellGrads): void {
  const mode = relu ? 'RNN_RELU' : 'RNN_TANH';
  backward('rnnBackward', mode, 'rnn_backward', x, at, { out_saved: [h, 'units'], d_out: [dh, 'units'] }, g);
}

/** The h' node's part: the o block from dh' (into dx and dhidden), and dh' · o · (1 − tanh² c') into dc' (g.dState). */
export function lstmBackwardH(x: Tensor, at: StepRows, gates: Tensor, c: Tensor, dh: Tensor, g: CellGrads): void {
  backward('lstmBackwardH', 'LSTM', 'lstm_backward_h', x, at, { gates_saved: [gates, 'gates'], out_saved: [c, 'units'], d_out: [dh, 'units'] }, g);
}

/** The c' node's part: the i, f, g blocks from the whole dc' (into dx and dhidden), and dc' · f into dc (g.dState). */
export function lstmBackwardC(x: Tensor, at: StepRows, gates: Tensor, cPrev: Tensor, dc: Tensor, g: CellGrads): void {
  backward('lstmBackwardC', 'LSTM', 'lstm_backward_c', x, at, { gates_saved: [gates, 'gates'], state: [cPrev, 'units'], d_out: [dc, 'units'] }, g);
}

/** The GRU step's gradients from dh': x's and hidden's pre-activations, and dh' · z into dh (g.dState). */
export function gruBackward(x: Tensor, at: StepRows, gates: Tensor, hidden: Tensor, hPrev: Tensor, dh: Tensor, g: CellGrads): void {
  backward('gruBackward', 'GRU', 'gru_backward', x, at, { gates_saved: [gates, 'gates'], hidden: [hidden, 'gates'], state: [hPrev, 'units'], d_out: [dh, 'units'] }, g);
}

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

/** A step of `rows` inside a sequence of `steps`, time-major or batch first: its rows of x, and where they lie. */
function stepIn(s: CaseScope, random: () => number, G: number, d: { rows: number; H: number; steps: number; batchFirst: number }) {
  const { rows, H, steps } = d;
  const t = steps - 1 - (steps > 2 ? 1 : 0); // not the first step, not always the last
  const width = G * H;
  const at: StepRows = d.batchFirst ? { rows, hiddenSize: H, offset: t * width, rowStride: steps * width } : { rows, hiddenSize: H, offset: t * rows * width, rowStride: width };
  // ±4 reaches σ's and tanh's saturation; the sequence around the step is drawn too, to catch stray reads and writes.
  const sequence = uniform(random, steps * rows * width, -4, 4);
  const stepValues = Float64Array.from({ length: rows * width }, (_, i) => sequence[at.offset + Math.floor(i / width) * at.rowStride + (i % width)]!);
  return { at, sequence, stepValues, x: s.input(sequence, [steps * rows * width], 'f32', 'x') };
}

/** A step's draws: its rows of x, and hidden and the state, as numbers (for the reference) and as tensors. */
function stepDraws(s: CaseScope, random: () => number, G: number, d: { rows: number; H: number; steps: number; batchFirst: number }) {
  const { rows, H } = d;
  const step = stepIn(s, random, G, d);
  const hidden = uniform(random, rows * G * H, -4, 4);
  const state = uniform(random, rows * H, -2, 2);
  return { ...step, hidden, state, hiddenT: s.input(hidden, [rows, G * H], 'f32', 'hidden'), stateT: s.input(state, [rows, H], 'f32', 'state') };
}

/** dx holding earlier steps' values (the caller clears it once; each step adds), and what it must hold after: only the step's rows changed. */
function sequenceGrad(s: CaseScope, random: () => number, at: StepRows, G: number, length: number, dStep: Float64Array) {
  const before = uniform(random, length);
  const dx = s.output([length], 'dx');
  dx.write(before);
  const width = G * at.hiddenSize;
  const expected = Float64Array.from(before);
  for (let i = 0; i < dStep.length; i++) expected[at.offset + Math.floor(i / width) * at.rowStride + (i % width)]! += dStep[i]!;
  return { dx, expected };
}

const SHAPES = [
  { rows: 1, H: 1, steps: 1, batchFirst: 0 },
  { rows: 3, H: 5, steps: 4, batchFirst: 1 },
  { rows: 7, H: 33, steps: 3, batchFirst: 0 },
  { rows: 64, H: 100, steps: 2, batchFirst: 1 },
];
const label = (d: { rows: number; H: number; steps: number; batchFirst: number }) => `rows=${d.rows} H=${d.H} in ${d.steps} steps${d.batchFirst ? ' batch first' : ''}`;

const cases: KernelCase[] = [];
for (const mode of ['RNN_TANH', 'RNN_RELU', 'LSTM', 'GRU'] as const) {
  const G = GATES[mode];
  const name = mode.toLowerCase();
  const forwardEntry = mode === 'LSTM' ? 'lstm_forward' : mode === 'GRU' ? 'gru_forward' : 'rnn_forward';
  for (const shape of SHAPES) {
    cases.push(
      kernelCase({
        name: `recurrent_cell ${name} forward ${label(shape)}`,
        entries: [forwardEntry],
        dims: shape,
        showcase: shape.rows === 7,
        setup(s, d, random) {
          const { at, stepValues, x, hidden, state, hiddenT, stateT } = stepDraws(s, random, G, d);
          const { rows, H } = d;
          const out = { h: s.output([rows, H], 'h'), ...(G > 1 ? { gates: s.output([rows, G * H], 'gates') } : {}), ...(mode === 'LSTM' ? { c: s.output([rows, H], 'c') } : {}) };
          return {
            run: () => cellForward(mode, x, at, hiddenT, G > 1 ? stateT : null, out),
            check: async () => {
              if (mode === 'LSTM') {
                const e = ref.lstmStep(stepValues, hidden, state, rows, H);
                await s.check('gates', out.gates!, e.gates, 1e-6, 1e-5);
                await s.check("c'", out.c!, e.c, 1e-6, 1e-5);
                await s.check("h'", out.h, e.h, 1e-6, 1e-5);
              } else if (mode === 'GRU') {
                const e = ref.gruStep(stepValues, hidden, state, rows, H);
                await s.check('gates', out.gates!, e.gates, 1e-6, 1e-5);
                await s.check("h'", out.h, e.h, 1e-6, 1e-5);
              } else {
                await s.check("h'", out.h, ref.rnnStep(mode === 'RNN_RELU', stepValues, hidden, rows, H), 1e-6, 1e-5);
              }
            },
          };
        },
        // Reads x's step rows, hidden and the state; writes h' (and c', the gates).
        ...(shape.rows === 64 ? { bench: { sizes: [{ ...shape }, { rows: 256, H: 1024, steps: 2, batchFirst: 0 }], bytes: (d: { rows?: number; H?: number }) => 4 * d.rows! * d.H! * (2 * G + (G > 1 ? 1 : 0) + 1 + (G > 1 ? G : 0) + (mode === 'LSTM' ? 1 : 0)) } } : {}),
      }),
    );
  }
  for (const [i, shape] of SHAPES.entries()) {
    const accumulateHidden = i % 2 === 1;
    const accumulateState = i >= 2;
    const entries = mode === 'LSTM' ? ['lstm_backward_h', 'lstm_backward_c'] : [mode === 'GRU' ? 'gru_backward' : 'rnn_backward'];
    for (const entry of entries) {
      cases.push(
        kernelCase({
          name: `recurrent_cell ${entry}${mode === 'RNN_RELU' ? ' relu' : ''} ${label(shape)}${accumulateHidden ? ' accumulate dhidden' : ''}${accumulateState && entry !== 'rnn_backward' ? ' accumulate d state' : ''}`,
          entries: [entry],
          dims: shape,
          showcase: shape.rows === 7,
          setup(s, d, random) {
            const { at, stepValues, x, hidden, state, hiddenT, stateT } = stepDraws(s, random, G, d);
            const { rows, H } = d;
            const dOut = uniform(random, rows * H);
            const dOutT = s.input(dOut, [rows, H], 'f32', 'd out');
            // The forward's saved values, from the kernel itself (checked by the forward cases).
            const saved = { h: s.output([rows, H], "h'"), ...(G > 1 ? { gates: s.output([rows, G * H], 'gates') } : {}), ...(mode === 'LSTM' ? { c: s.output([rows, H], "c'") } : {}) };
            cellForward(mode, x, at, hiddenT, G > 1 ? stateT : null, saved);
            // Added into or overwritten: what was there before, or NaN (the kernel must write every element).
            const target = (shapeOf: number[], accumulate: boolean, label: string) => {
              const t = s.output(shapeOf, label);
              const before = accumulate ? uniform(random, t.size) : new Float64Array(t.size);
              if (accumulate) t.write(before);
              return { t, before };
            };
            const dhidden = target([rows, G * H], accumulateHidden, 'dhidden');
            const dState = target([rows, H], accumulateState, 'd state');
            let expected: { dStep: Float64Array; dhidden: Float64Array; dState: Float64Array };
            if (mode === 'LSTM') {
              // backward_h from dh' (no later dc'); backward_c from a whole dc' (dOut).
              const e = entry === 'lstm_backward_h' ? ref.lstmStepBackward(stepValues, hidden, state, dOut, new Float64Array(rows * H), rows, H).fromH : ref.lstmStepBackward(stepValues, hidden, state, new Float64Array(rows * H), dOut, rows, H).fromC;
              expected = { dStep: e.dPre, dhidden: e.dPre, dState: e.dc };
            } else if (mode === 'GRU') {
              const e = ref.gruStepBackward(stepValues, hidden, state, dOut, rows, H);
              expected = { dStep: e.dx, dhidden: e.dhidden, dState: e.dh };
            } else {
              const e = ref.rnnStepBackward(mode === 'RNN_RELU', stepValues, hidden, dOut, rows, H);
              expected = { dStep: e, dhidden: e, dState: new Float64Array(0) };
            }
            const seq = sequenceGrad(s, random, at, G, x.size, expected.dStep);
            const grads: CellGrads = { dx: seq.dx, dhidden: dhidden.t, accumulateHidden, ...(G > 1 ? { dState: dState.t, accumulateState } : {}) };
            const add = (a: Float64Array, b: Float64Array) => a.map((v, i) => v + b[i]!);
            return {
              run: () => {
                if (mode === 'LSTM') {
                  if (entry === 'lstm_backward_h') lstmBackwardH(x, at, saved.gates!, saved.c!, dOutT, grads);
                  else lstmBackwardC(x, at, saved.gates!, stateT, dOutT, grads);
                } else if (mode === 'GRU') gruBackward(x, at, saved.gates!, hiddenT, stateT, dOutT, grads);
                else rnnBackward(mode === 'RNN_RELU', x, at, saved.h, dOutT, grads);
              },
              check: async () => {
                await s.check('dx: the step rows added into, the rest as it was', seq.dx, seq.expected, 1e-6, 1e-5);
                await s.check(`dhidden${accumulateHidden ? ' added into' : ''}`, dhidden.t, add(dhidden.before, expected.dhidden), 1e-6, 1e-5);
                if (G > 1) await s.check(`d state${accumulateState ? ' added into' : ''}`, dState.t, add(dState.before, expected.dState), 1e-6, 1e-5);
              },
            };
          },
          // Reads the saved values, d out and dx's rows; writes dx's rows, dhidden and d state.
          ...(shape.rows === 64 && entry !== 'lstm_backward_c' ? { bench: { sizes: [{ ...shape }, { rows: 256, H: 1024, steps: 2, batchFirst: 0 }], bytes: (d: { rows?: number; H?: number }) => 4 * d.rows! * d.H! * (4 * G + 3) } } : {}),
        }),
      );
    }
  }
}

cases.push(
  kernelCase({
    name: `recurrent_cell rnn forward past the grid's x limit (${PAST_GRID_LIMIT} units)`,
    entries: ['rnn_forward'],
    dims: { rows: 1, H: PAST_GRID_LIMIT, steps: 1, batchFirst: 0 },
    setup(s, d, random) {
      const { at, stepValues, x } = stepIn(s, random, 1, d);
      const hidden = uniform(random, d.H, -4, 4);
      const h = s.output([1, d.H], 'h');
      const hiddenT = s.input(hidden, [1, d.H], 'f32', 'hidden');
      return { run: () => cellForward('RNN_TANH', x, at, hiddenT, null, { h }), check: () => s.check("h'", h, ref.rnnStep(false, stepValues, hidden, 1, d.H), 1e-6, 1e-5) };
    },
  }),
  testCase('recurrent_cell: a NaN in a gate gives NaN in its unit alone, through σ and tanh', async (s) => {
    const H = 3;
    const x = s.input([NaN, 0, 0, 0, NaN, 0, 0, 0, 0, 0, 0, NaN], [1, 12], 'f32', 'x'); // i of unit 0, f of unit 1, o of unit 2
    const [hidden, c] = [s.input(new Float32Array(12), [1, 12], 'f32', 'hidden'), s.input([1, 1, 1], [1, 3], 'f32', 'c')];
    const out = { h: s.output([1, H], 'h'), c: s.output([1, H], 'c'), gates: s.output([1, 4 * H], 'gates') };
    cellForward('LSTM', x, { rows: 1, hiddenSize: H, offset: 0, rowStride: 12 }, hidden, c, out);
    const [h, cNext] = [await out.h.read(), await out.c.read()];
    s.expect('h: NaN in every unit with a NaN gate', h.every((v) => Number.isNaN(v)), Array.from(h).join(', '));
    s.expect("c': NaN where i or f is, finite where only o is", Number.isNaN(cNext[0]!) && Number.isNaN(cNext[1]!) && Number.isFinite(cNext[2]!), Array.from(cNext).join(', '));
  }),
  testCase('recurrent_cell: bad arguments are rejected before dispatch', (s) => {
    const x = s.input(new Float32Array(24), [24], 'f32', 'x');
    const hidden = s.input(new Float32Array(8), [2, 4], 'f32', 'hidden');
    const [c, h, gates] = [s.output([2, 1]), s.output([2, 1]), s.output([2, 4])];
    const at = { rows: 2, hiddenSize: 1, offset: 0, rowStride: 4 };
    s.expectError('rows past x', () => cellForward('LSTM', x, { ...at, offset: 21 }, hidden, c, { h, c, gates }), /cellForward: 2 rows of 4 from element 21, 4 apart, overrun x \[24\]/);
    s.expectError('overlapping rows', () => cellForward('LSTM', x, { ...at, rowStride: 3 }, hidden, c, { h, c, gates }), /rows of x 3 apart overlap their 4 values/);
    s.expectError('hidden of another size', () => cellForward('GRU', x, at, hidden, c, { h, gates }), /cellForward: argument 'hidden' expected 6 elements \(2 rows of 3 gates · 1\), got shape \[2, 4\]/);
    s.expectError('an LSTM without c', () => cellForward('LSTM', x, at, hidden, c, { h, gates }), /cellForward: LSTM needs the state, c and gates/);
    s.expectError('dx of another size', () => rnnBackward(false, x, { ...at, rowStride: 1 }, h, h, { dx: h, dhidden: h, accumulateHidden: false }), /rnnBackward: argument 'dx' expected x's 24 elements, got shape \[2, 1\]/);
  }),
);

export const spec: Spec = cases;
