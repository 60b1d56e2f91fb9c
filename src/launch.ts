// What every family's launchers share: argument checks that throw before anything is dispatched,
// naming the op, the argument, what was expected and what came.
import { grid1d, type Shader } from './device/shader';
import type { Tensor } from './tensor';

export const shapeText = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

export function expectDtype(op: string, name: string, t: Tensor, dtype: Tensor['dtype']): void {
  if (t.dtype !== dtype) throw new Error(`${op}: argument '${name}' expected dtype ${dtype}, got ${t.dtype}`);
}

export function expectShape(op: string, name: string, t: Tensor, shape: readonly number[]): void {
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new Error(`${op}: argument '${name}' expected shape ${shapeText(shape)}, got ${shapeText(t.shape)}`);
  }
}

/** `dtype` (f32 unless said) and exactly `shape`. */
export function expectTensor(op: string, name: string, t: Tensor, shape: readonly number[], dtype: Tensor['dtype'] = 'f32'): void {
  expectDtype(op, name, t, dtype);
  expectShape(op, name, t, shape);
}

export function expectRank(op: string, name: string, t: Tensor, ranks: readonly number[]): void {
  if (!ranks.includes(t.shape.length)) throw new Error(`${op}: argument '${name}' expected ${ranks.join(' or ')} dimensions, got shape ${shapeText(t.shape)}`);
}

export function expectRange(op: string, name: string, value: number, ok: boolean, expected: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || !ok) throw new Error(`${op}: argument '${name}' expected ${expected}, got ${value}`);
}

/** Every tensor f32 with as many elements as the first; undefined entries (optional state) are skipped. */
export function expectSameSize(op: string, tensors: Record<string, Tensor | undefined>): void {
  const entries = Object.entries(tensors).filter((e): e is [string, Tensor] => e[1] !== undefined);
  const [firstName, first] = entries[0]!;
  for (const [name, t] of entries) {
    expectDtype(op, name, t, 'f32');
    if (t.size !== first.size) throw new Error(`${op}: argument '${name}' expected ${first.size} elements (as '${firstName}'), got shape ${shapeText(t.shape)}`);
  }
}

/** Binding names for a vec4 entry point: x → x4. */
export function vec4Names<T>(args: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(args).map(([k, t]) => [`${k}4`, t]));
}

// ── 2-D windows over NCHW (conv2d.ts, pool.ts) ──────────────────────────────────────────────────

/** A kernel size, stride, padding or dilation: one number for both axes, or [h, w] (PyTorch's int or tuple). */
export type Pair = number | readonly [number, number];

export const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);
/** `v` as a pair, or [fallback, fallback] when it is not given. */
export const pairOr = (v: Pair | undefined, fallback: number): [number, number] => (v === undefined ? [fallback, fallback] : pair(v));

export function expectPair(op: string, name: string, v: Pair, min: number): [number, number] {
  const p = pair(v);
  const isPair = typeof v === 'number' || (Array.isArray(v) && v.length === 2);
  if (!isPair || !p.every((d) => Number.isInteger(d) && d >= min)) throw new Error(`${op}: argument '${name}' expected ${min === 0 ? 'a non-negative' : 'a positive'} integer or a pair of them, got ${JSON.stringify(v)}`);
  return p;
}

/** A 4-D NCHW shape of positive integers; `channels` names the C the message shows. */
export function expectInput4d(op: string, input: readonly number[], channels: string): void {
  if (input.length !== 4 || !input.every((d) => Number.isInteger(d) && d > 0)) throw new Error(`${op}: input expected a 4-D NCHW shape [N, ${channels}, H, W], got ${shapeText(input)}`);
}

/** The output's [OH, OW] for an NCHW input, or an Error when the (dilated) kernel does not fit the padded input. */
export function outputExtent(op: string, input: readonly number[], k: [number, number], stride: [number, number], pad: [number, number], dil: [number, number]): [number, number] {
  return windowExtent(op, input, k, stride, pad, dil) as [number, number];
}

/**
 * The output's spatial sizes for an input [N, C, …spatial] and a window of k.length axes (2-D, 3-D),
 * or an Error when the (dilated) kernel does not fit the padded input, its sizes written 3×3 or 3×3×3.
 */
export function windowExtent(op: string, input: readonly number[], k: readonly number[], stride: readonly number[], pad: readonly number[], dil: readonly number[]): number[] {
  const size = input.slice(2);
  const effective = k.map((v, a) => dil[a]! * (v - 1) + 1);
  const padded = size.map((v, a) => v + 2 * pad[a]!);
  if (effective.some((e, a) => e > padded[a]!)) {
    const dilated = dil.some((d) => d > 1) ? ` (dilated to ${effective.join('×')})` : '';
    throw new Error(`${op}: kernel ${k.join('×')}${dilated} is larger than the padded input ${padded.join('×')} (input ${shapeText(input)}, padding ${pad.join('×')})`);
  }
  return padded.map((p, a) => Math.floor((p - effective[a]!) / stride[a]!) + 1);
}

// ── 3-D windows over NCDHW (conv3d.ts, pool3d.ts) ───────────────────────────────────────────────

/** A 3-D kernel size, stride, padding or dilation: one number for all three axes, or [d, h, w]. */
export type Triple = number | readonly [number, number, number];

export const triple = (v: Triple): [number, number, number] => (typeof v === 'number' ? [v, v, v] : [v[0], v[1], v[2]]);

export function expectTriple(op: string, name: string, v: Triple, min: number): [number, number, number] {
  const isTriple = typeof v === 'number' || (Array.isArray(v) && v.length === 3);
  const t = isTriple ? triple(v) : [NaN, NaN, NaN];
  if (!t.every((d) => Number.isInteger(d) && d >= min)) throw new Error(`${op}: argument '${name}' expected ${min === 0 ? 'a non-negative' : 'a positive'} integer or a triple of them, got ${JSON.stringify(v)}`);
  return t as [number, number, number];
}

/** A 5-D NCDHW shape of positive integers; `channels` names the C the message shows. */
export function expectInput5d(op: string, input: readonly number[], channels: string): void {
  if (input.length !== 5 || !input.every((d) => Number.isInteger(d) && d > 0)) throw new Error(`${op}: input expected a 5-D NCDHW shape [N, ${channels}, D, H, W], got ${shapeText(input)}`);
}

/** Records one dispatch of `shader`'s entry `name` over n invocations (1-D, spilling into y past 65,535 workgroups). */
export function dispatch1d(gpu: Tensor['gpu'], shader: Shader, name: string, args: Parameters<Tensor['gpu']['dispatch']>[1], n: number, constants: Record<string, boolean> = {}): void {
  const entry = shader.entry(name);
  gpu.dispatch(entry, args, grid1d(entry, n), constants);
}
