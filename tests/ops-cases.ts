// F.permute, F.transpose, F.expand, sums over a middle dimension, F.max/F.min (with indices, ties and
// a NaN), F.amax/F.amin, F.argmax/F.argmin, broadcasting that spreads both operands, F.abs, F.clamp,
// F.maximum/F.minimum (ties and a NaN), F.cat and F.stack, F.gather, F.indexSelect and F.embedding,
// comparisons and F.where, against
// PyTorch itself (tests/fixtures/pytorch-ops.json, from scripts/make-fixtures.py): values, indices
// and gradients, within a tolerance of PyTorch's float64 result that its own float32 result meets.
// Part of tests/parity-cases.ts's table.
import * as F from '../src/functional';
import * as nn from '../src/nn';
import { compare } from '../src/spec/compare';
import { caseTable, type CaseScope, type KernelCase } from '../src/spec/scope';
import { Tensor } from '../src/tensor';
import type { Gpu } from '../src/device/gpu';
import golden from './fixtures/pytorch-ops.json';

const { cases, add } = caseTable();

const ATOL = 1e-6;
const RTOL = 1e-5;
/**
 * Ours against PyTorch's float64: ATOL, but for cumsum, whose float32 running sums (as PyTorch's on
 * CUDA; its CPU one adds in double) lose ~1 ulp of the running sum per step: 300 steps of sums up to
 * ~20 reach 3e-6 where they cancel to near 0.
 */
const atolOf = (f: { op: string }) => (f.op === 'cumsum' ? 2e-5 : f.op === 'layer_norm' ? LAYER_NORM_ATOL : f.op === 'mha' ? MHA_ATOL : ATOL);
/** layer_norm's gradient subtracts row sums of (x − mean)·dy that nearly cancel: PyTorch's own float32 missed float64 by 1.3e-6 (ours, the fused kernel, 7.5e-7). */
const LAYER_NORM_ATOL = 2e-6;
/** Multi-head attention's in-projection bias gradient sums over every row, head and softmax: PyTorch's own float32 missed float64 by 2.4e-6 there (ours 2e-6). */
const MHA_ATOL = 3e-6;

type Fixture = (typeof golden.cases)[number];
interface Args {
  dims?: number[];
  p?: number | 'inf';
  dim0?: number;
  dim1?: number;
  size?: number[];
  dim?: number | number[];
  keepdim?: boolean;
  min?: number | null;
  max?: number | null;
  index?: number[] | number[][];
  other?: number;
  index_shape?: number[];
  padding_idx?: number;
  start?: number | null;
  end?: number | null;
  step?: number;
  length?: number;
  split_size_or_sections?: number | number[];
  chunks?: number;
  base?: number;
  correction?: number;
  normalized_shape?: number[];
  reduction?: 'mean' | 'sum' | 'none';
  beta?: number;
  threshold?: number;
  alpha?: number;
  approximate?: 'none' | 'tanh';
  num_heads?: number;
  output?: 'output' | 'weights';
  average?: boolean;
  padding?: boolean;
}

/** JSON has no NaN or infinities: the fixture writes null for NaN, "Infinity" and "-Infinity" for those. */
const numbers = (values: readonly (number | string | null)[]) => values.map((v) => (v === null ? NaN : Number(v)));

/** Pieces (split, chunk, unbind) joined flat, as the fixture joins PyTorch's. */
const joined = (pieces: Tensor[]) => F.cat(pieces.map((p) => F.reshape(p, [p.size])), 0);

/** The fixture's op on our inputs: its values (and indices, for max and min over a dim). */
function run(f: Fixture, inputs: Tensor[], s: CaseScope): { values: Tensor; indices?: Tensor } {
  const [x, y] = inputs;
  const a = f.args as Args;
  const index = () => s.own(Tensor.fromArray(x!.gpu, a.index!.flat() as number[], a.index_shape!, 'i32', 'index'));
  const dim = a.dim as number;
  switch (f.op) {
    case 'permute': return { values: F.permute(x!, a.dims!) };
    case 'transpose': return { values: F.transpose(x!, a.dim0!, a.dim1!) };
    case 'expand': return { values: F.expand(x!, a.size!) };
    case 'sum': return { values: F.sum(x!, a.dim, a.keepdim) };
    case 'mean': return { values: F.mean(x!, a.dim, a.keepdim) };
    case 'max': case 'min': return a.dim === undefined ? { values: F[f.op](x!) } : F[f.op](x!, dim, a.keepdim);
    case 'amax': case 'amin': return { values: F[f.op](x!, a.dim, a.keepdim) };
    case 'argmax': case 'argmin': return { values: a.dim === undefined ? F[f.op](x!) : F[f.op](x!, dim, a.keepdim) };
    case 'add': case 'sub': case 'mul': case 'div': case 'maximum': case 'minimum': return { values: F[f.op](x!, y!) };
    case 'abs': return { values: F.abs(x!) };
    case 'matmul': return { values: F.matmul(x!, y!) };
    case 'bmm': return { values: F.bmm(x!, y!) };
    case 'mha': {
      const [query, key, value, inProjWeight, inProjBias, outProjWeight, outProjBias, mask] = inputs as Tensor[];
      const masks = a.padding ? { keyPaddingMask: mask! } : { attnMask: mask ?? null };
      const options = { numHeads: a.num_heads!, inProjWeight: inProjWeight!, inProjBias: inProjBias!, outProjWeight: outProjWeight!, outProjBias: outProjBias!, ...masks, averageAttnWeights: a.average ?? true };
      const { output, weights } = F.multiHeadAttentionForward(query!, key!, value!, options);
      return { values: a.output === 'weights' ? weights! : output };
    }
    case 'sign': case 'floor': case 'ceil': case 'round': case 'trunc': return { values: F[f.op](x!) };
    case 'pow_base': return { values: F.pow(a.base!, x!) };
    case 'cumsum': return { values: F.cumsum(x!, dim) };
    case 'var': case 'std': return { values: F[f.op](x!, a.dim, { correction: a.correction, keepdim: a.keepdim }) };
    case 'norm': return { values: F.norm(x!, a.p === 'inf' ? Infinity : a.p ?? 2, a.dim, a.keepdim ?? false) };
    case 'logsumexp': return { values: F.logsumexp(x!, a.dim!, a.keepdim) };
    case 'layer_norm': return { values: F.layerNorm(x!, a.normalized_shape!, y ?? null, inputs[2] ?? null) };
    case 'bce_with_logits': return { values: F.binaryCrossEntropyWithLogits(x!, y!, { reduction: a.reduction, weight: inputs[2] ?? null, pos_weight: inputs[3] ?? null }) };
    case 'silu': return { values: F.silu(x!) };
    case 'softplus': return { values: F.softplus(x!, a.beta, a.threshold) };
    case 'elu': return { values: F.elu(x!, a.alpha) };
    case 'gelu': return { values: F.gelu(x!, a.approximate) };
    case 'clamp_tensors': return { values: 'max' in a ? F.clamp(x!, y!, null) : 'min' in a ? F.clamp(x!, null, y!) : F.clamp(x!, y!, inputs[2]!) };
    case 'logical_and': return { values: F.logicalAnd(x!, a.other ?? y!) };
    case 'logical_or': return { values: F.logicalOr(x!, a.other ?? y!) };
    case 'logical_xor': return { values: F.logicalXor(x!, a.other ?? y!) };
    case 'logical_not': return { values: F.logicalNot(x!) };
    case 'gt': case 'ge': case 'lt': case 'le': case 'eq': case 'ne': return { values: F[f.op](x!, a.other ?? y!) };
    case 'where': return { values: F.where(x!, y!, a.other ?? inputs[2]!) };
    case 'pow': return { values: F.pow(x!, y!) };
    case 'cat': return { values: F.cat(inputs, dim) };
    case 'gather': return { values: F.gather(x!, dim, index()) };
    case 'index_select': return { values: F.indexSelect(x!, dim, index()) };
    case 'embedding': return { values: F.embedding(index(), x!, { padding_idx: a.padding_idx }) };
    case 'stack': return { values: F.stack(inputs, dim) };
    case 'narrow': return { values: F.narrow(x!, dim, a.start!, a.length!) };
    case 'slice': return { values: F.slice(x!, dim, a.start, a.end, a.step) };
    case 'split': return { values: joined(F.split(x!, a.split_size_or_sections!, dim)) };
    case 'chunk': return { values: joined(F.chunk(x!, a.chunks!, dim)) };
    case 'unbind': return { values: joined(F.unbind(x!, dim)) };
    case 'clamp': return { values: F.clamp(x!, a.min ?? null, a.max ?? null) };
    default: throw new Error(`no op for fixture ${f.op}`);
  }
}

for (const f of golden.cases) {
  add(`PyTorch ${golden.torch_version}: ${f.op} ${JSON.stringify(f.args)} of ${f.shapes.map((s) => `[${s.join(', ')}]`).join(' and ')}: values${f.indices ? ', indices' : ''}${f.grads.length ? ' and gradients' : ''}`, async (s) => {
    const inputs = f.inputs.map((v, i) => s.input(numbers(v), f.shapes[i]!, 'f32', `input ${i}`));
    for (const t of inputs) t.requiresGrad = f.grads.length > 0;
    const { values, indices } = run(f, inputs, s);
    s.own(values);
    if (indices) s.own(indices);
    const shape = f.y_shape.length ? f.y_shape : [1];
    s.expect('output shape', values.shape.join() === shape.join(), `[${values.shape.join(', ')}] vs PyTorch [${shape.join(', ')}]`);
    s.comparisons.push(compare("PyTorch's own float32 values vs float64", numbers(f.y), numbers(f.y64), atolOf(f), RTOL));
    await s.check('values vs PyTorch float64', values, numbers(f.y64), atolOf(f), RTOL);
    if (indices) await s.check("indices vs PyTorch's", indices, f.indices!, 0, 0);
    if (!f.dy) return;
    s.own(F.sum(s.own(F.mul(values, s.input(f.dy, values.shape, 'f32', 'dy'))))).backward();
    for (const [k, g] of f.grads64.entries()) {
      const i = f.grad_of[k]!; // which input this gradient is for
      s.comparisons.push(compare(`PyTorch's own float32 d input ${i} vs float64`, numbers(f.grads[k]!), numbers(g), atolOf(f), RTOL));
      await s.check(`d input ${i} vs PyTorch float64`, inputs[i]!.grad!, numbers(g), atolOf(f), RTOL);
    }
  });
}

// nn.TransformerEncoderLayer, nn.TransformerEncoder, their decoder twins and nn.Transformer with
// PyTorch's initial weights, loaded through the state dict: output, and for Σ y · dy the gradients of
// every input sequence and of every parameter.
/** Up to three layers of attention, layer norms and feed-forward blocks: PyTorch's own float32 missed float64 by 1.8e-6 there (ours 1.5e-6). */
const TRANSFORMER_ATOL = 3e-6;
type TransformerKwargs = { d_model: number; nhead: number; dim_feedforward: number; activation?: 'relu' | 'gelu'; norm_first?: boolean; batch_first?: boolean; layer_norm_eps?: number; num_encoder_layers?: number; num_decoder_layers?: number };
type Sequences = Record<string, { shape: number[]; values: number[] }>;

/** The fixture's module, made as PyTorch's script made it, and its forward on our inputs and masks. */
function transformerOf(f: (typeof golden.transformers)[number], gpu: Gpu): { model: nn.Module; run: (x: Tensor[], masks: Record<string, Tensor>) => Tensor } {
  const k = f.kwargs as TransformerKwargs;
  const options = { dim_feedforward: k.dim_feedforward, activation: k.activation, norm_first: k.norm_first, batch_first: k.batch_first, layer_norm_eps: k.layer_norm_eps, dropout: 0, gpu };
  const norm = () => (f.final_norm ? new nn.LayerNorm(k.d_model, { gpu }) : null);
  switch (f.kind) {
    case 'encoder_layer': { const m = new nn.TransformerEncoderLayer(k.d_model, k.nhead, options); return { model: m, run: ([src], masks) => m.forward(src!, masks) }; }
    case 'encoder': { const m = new nn.TransformerEncoder(new nn.TransformerEncoderLayer(k.d_model, k.nhead, options), f.num_layers, { norm: norm() }); return { model: m, run: ([src], masks) => m.forward(src!, masks) }; }
    case 'decoder_layer': { const m = new nn.TransformerDecoderLayer(k.d_model, k.nhead, options); return { model: m, run: ([tgt, memory], masks) => m.forward(tgt!, memory!, masks) }; }
    case 'decoder': { const m = new nn.TransformerDecoder(new nn.TransformerDecoderLayer(k.d_model, k.nhead, options), f.num_layers, { norm: norm() }); return { model: m, run: ([tgt, memory], masks) => m.forward(tgt!, memory!, masks) }; }
    case 'transformer': { const m = new nn.Transformer(k.d_model, k.nhead, { ...options, num_encoder_layers: k.num_encoder_layers, num_decoder_layers: k.num_decoder_layers }); return { model: m, run: ([src, tgt], masks) => m.forward(src!, tgt!, masks) }; }
    default: throw new Error(`no module for fixture ${f.kind}`);
  }
}

for (const f of golden.transformers) {
  const inputs = f.inputs as unknown as Sequences;
  const masks = f.masks as unknown as Sequences;
  const shapes = Object.entries(inputs).map(([name, t]) => `${name} [${t.shape.join(', ')}]`).join(', ');
  add(`PyTorch ${golden.torch_version}: nn ${f.kind}${f.num_layers > 1 ? ` of ${f.num_layers} layers` : ''}${f.final_norm ? ' and a final LayerNorm' : ''} ${JSON.stringify(f.kwargs)} of ${shapes}${Object.keys(masks).length ? `, ${Object.keys(masks).join(', ')}` : ''}: values and gradients of the inputs and every parameter`, async (s) => {
    const { model, run } = transformerOf(f, s.gpu);
    // PyTorch's state dict as it is: loadStateDict checks every name and shape against ours.
    const entries = Object.entries(f.state as unknown as Record<string, { shape: number[]; values: number[] }>);
    model.loadStateDict(new Map(entries.map(([name, e]) => [name, { shape: e.shape, dtype: 'F32' as const, values: Float32Array.from(e.values) }])));
    const xs = Object.entries(inputs).map(([name, t]) => s.input(t.values, t.shape, 'f32', name));
    for (const x of xs) x.requiresGrad = true;
    const maskTensors = Object.fromEntries(Object.entries(masks).map(([name, t]) => [name, s.input(numbers(t.values), t.shape, 'f32', name)]));
    const y = run(xs, maskTensors);
    s.comparisons.push(compare("PyTorch's own float32 values vs float64", f.y, f.y64, TRANSFORMER_ATOL, RTOL));
    await s.check('values vs PyTorch float64', y, f.y64, TRANSFORMER_ATOL, RTOL);
    s.own(F.sum(s.own(F.mul(y, s.input(f.dy, y.shape, 'f32', 'dy'))))).backward();
    const [dInputs, dInputs32] = [f.dinputs64, f.dinputs] as unknown as Record<string, number[]>[];
    for (const [i, name] of Object.keys(inputs).entries()) {
      s.comparisons.push(compare(`PyTorch's own float32 d ${name} vs float64`, dInputs32![name]!, dInputs![name]!, TRANSFORMER_ATOL, RTOL));
      await s.check(`d ${name} vs PyTorch float64`, xs[i]!.grad!, dInputs![name]!, TRANSFORMER_ATOL, RTOL);
    }
    const [grads, grads32] = [f.grads64, f.grads] as unknown as Record<string, number[]>[];
    const names = model.namedParameters().map(([name]) => name);
    s.expect('parameters as PyTorch, in its order', names.join() === Object.keys(grads!).join(), `${names.join(', ')}`);
    for (const [name, p] of model.namedParameters()) {
      s.comparisons.push(compare(`PyTorch's own float32 d ${name} vs float64`, grads32![name]!, grads![name]!, TRANSFORMER_ATOL, RTOL));
      await s.check(`d ${name} vs PyTorch float64`, p.grad!, grads![name]!, TRANSFORMER_ATOL, RTOL);
    }
  });
}

export const opsCases: readonly KernelCase[] = cases;
