// What every family's launchers share: argument checks that throw before anything is dispatched,
// naming the op, the argument, what was expected and what came.
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
