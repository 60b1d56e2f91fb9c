// A Shader is one .wgsl file, reflected once with wgsl_reflect. The WGSL is the only place a binding
// or a workgroup size is declared: the bind-group layout, the uniform struct's byte layout, every
// dispatch's argument check and every dispatch grid are derived from the reflection here.
import { ResourceType, WgslReflect, type VariableInfo } from 'wgsl_reflect';
import { shaderSource } from './shader-sources';

export type DType = 'f32' | 'u32' | 'i32';

/** Anything that can be bound as a storage buffer: a Tensor, or a view into a flat buffer. */
export interface BufferView {
  readonly buffer: GPUBuffer;
  readonly byteOffset: number;
  readonly byteLength: number;
  readonly dtype: DType;
  readonly label: string;
}

/** A uniform's members by name: a number for a scalar, an array of numbers for a vector or an array of vec4s. */
export type UniformValues = Record<string, number | readonly number[]>;
export type DispatchArgs = Record<string, BufferView | UniformValues>;
export type OverrideValues = Record<string, number | boolean>;

interface UniformMember {
  name: string;
  offset: number;
  type: DType;
  /** Scalars in it, packed 4 bytes apart: 1 for a scalar, N for a vecN, 4·K for an array<vec4, K>. */
  components: number;
  /** Whether it is a vector or an array (its value is an array of numbers). */
  vector: boolean;
}

export interface Binding {
  name: string;
  binding: number;
  kind: 'uniform' | 'storage' | 'read-only-storage';
  /** Storage: the array's scalar type (vec4<f32> counts as f32). */
  dtype: DType;
  /** Storage: bytes of one array element; uniform: bytes of the whole struct. */
  elementBytes: number;
  /** Uniform: the struct's members, by name, with their byte offsets. */
  members: UniformMember[];
}

export interface EntryPoint {
  shader: Shader;
  name: string;
  workgroupSize: [number, number, number];
  bindings: Binding[];
}

const SCALARS: Record<string, DType> = { f32: 'f32', u32: 'u32', i32: 'i32', vec2f: 'f32', vec3f: 'f32', vec4f: 'f32', vec2u: 'u32', vec3u: 'u32', vec4u: 'u32', vec2i: 'i32', vec3i: 'i32', vec4i: 'i32' };

function scalarOf(typeName: string, where: string): DType {
  const dtype = SCALARS[typeName];
  if (!dtype) throw new Error(`${where}: unsupported element type '${typeName}' (wgslgrad binds f32, u32 and i32 data)`);
  return dtype;
}

function describeBinding(shaderName: string, v: VariableInfo): Binding {
  const where = `shader '${shaderName}', binding '${v.name}'`;
  if (v.group !== 0) throw new Error(`${where}: every binding must be in @group(0), found @group(${v.group})`);
  if (v.resourceType === ResourceType.Uniform) {
    if (!v.isStruct || !v.members) throw new Error(`${where}: a uniform must be a struct`);
    const members = v.members.map((m) => {
      const at = `${where}.${m.name}`;
      if (m.isStruct) throw new Error(`${at}: uniform members must be scalars, vectors or arrays of vec4 (found a struct)`);
      if (m.isArray) {
        // array<vec4u, K>: 16-byte elements, so its scalars lie 4 bytes apart; an array of scalars or
        // of shorter vectors would be padded to 16 bytes per element (WGSL's uniform layout).
        const array = m.type as unknown as { format?: { name: string } | null; count?: number };
        const element = array.format?.name ?? '';
        if (!/^vec4[fui]$/.test(element) || !array.count) throw new Error(`${at}: a uniform array must be array<vec4…, K> with a constant K (found array<${element}>)`);
        return { name: m.name, offset: m.offset, type: scalarOf(element, at), components: 4 * array.count, vector: true };
      }
      const length = /^vec([234])[fui]$/.exec(m.type.name);
      return { name: m.name, offset: m.offset, type: scalarOf(m.type.name, at), components: length ? Number(length[1]) : 1, vector: length !== null };
    });
    return { name: v.name, binding: v.binding, kind: 'uniform', dtype: 'u32', elementBytes: v.size, members };
  }
  if (v.resourceType === ResourceType.Storage) {
    if (!v.isArray || !v.format) throw new Error(`${where}: a storage binding must be an array`);
    // array<vec4<f32>> reflects as a 'vec4' template whose own format is the scalar.
    const inner = (v.format as { format?: { name: string } | null }).format;
    const format = inner ? inner.name : v.format.name;
    return {
      name: v.name,
      binding: v.binding,
      kind: v.access === 'read' ? 'read-only-storage' : 'storage',
      dtype: scalarOf(format, where),
      elementBytes: v.stride,
      members: [],
    };
  }
  throw new Error(`${where}: only uniform and storage buffers are supported`);
}

export class Shader {
  readonly entries = new Map<string, EntryPoint>();
  readonly overrides = new Map<string, string>();

  constructor(
    readonly name: string,
    readonly source: string,
  ) {
    const reflect = new WgslReflect(source);
    for (const o of reflect.overrides) this.overrides.set(o.name, o.type?.name ?? 'f32');
    for (const fn of reflect.entry.compute) {
      const bindings = fn.resources.map((v) => describeBinding(name, v)).sort((x, y) => x.binding - y.binding);
      const size = fn.workgroupSize ?? [1, 1, 1];
      this.entries.set(fn.name, { shader: this, name: fn.name, workgroupSize: [size[0], size[1] ?? 1, size[2] ?? 1], bindings });
    }
    if (this.entries.size === 0) throw new Error(`shader '${name}': no @compute entry point found`);
  }

  entry(name: string): EntryPoint {
    const e = this.entries.get(name);
    if (!e) throw new Error(`shader '${this.name}' has no entry point '${name}' (it has: ${[...this.entries.keys()].join(', ')})`);
    return e;
  }
}

function isView(value: unknown): value is BufferView {
  return typeof value === 'object' && value !== null && 'buffer' in value && 'dtype' in value;
}

/** Packs a uniform struct from named values, by the reflected layout; every member, nothing else. */
export function packUniform(entry: EntryPoint, binding: Binding, values: UniformValues): ArrayBuffer {
  const where = `${entry.shader.name}.${entry.name}: uniform '${binding.name}'`;
  const bytes = new ArrayBuffer(Math.ceil(binding.elementBytes / 16) * 16);
  const view = new DataView(bytes);
  const known = new Set(binding.members.map((m) => m.name));
  for (const key of Object.keys(values)) {
    if (!known.has(key)) throw new Error(`${where} has no member '${key}' (members: ${[...known].join(', ')})`);
  }
  for (const m of binding.members) {
    const value = values[m.name];
    if (m.vector) {
      if (!Array.isArray(value) || value.length !== m.components) throw new Error(`${where}: member '${m.name}' (${m.components} × ${m.type}) expected an array of ${m.components} numbers, got ${Array.isArray(value) ? `${value.length}` : String(value)}`);
    } else if (typeof value !== 'number') {
      throw new Error(`${where}: member '${m.name}' (${m.type}) expected a number, got ${String(value)}`);
    }
    const scalars: readonly number[] = typeof value === 'number' ? [value] : (value as readonly number[]);
    scalars.forEach((v, k) => {
      const [offset, what] = [m.offset + 4 * k, m.vector ? `${m.name}[${k}]` : m.name];
      if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`${where}: member '${what}' (${m.type}) expected a number, got ${String(v)}`);
      if (m.type === 'f32') return view.setFloat32(offset, v, true);
      const [lo, hi] = m.type === 'u32' ? [0, 2 ** 32 - 1] : [-(2 ** 31), 2 ** 31 - 1];
      if (!Number.isInteger(v) || v < lo || v > hi) throw new Error(`${where}: member '${what}' (${m.type}) expected an integer in [${lo}, ${hi}], got ${v}`);
      if (m.type === 'u32') view.setUint32(offset, v, true);
      else view.setInt32(offset, v, true);
    });
  }
  return bytes;
}

/**
 * Checks a dispatch's arguments against the reflected bindings before anything reaches the GPU:
 * every binding present, nothing extra, storage views of the right element type and big enough,
 * and no writable view overlapping another view of the same buffer.
 */
export function checkArgs(entry: EntryPoint, args: DispatchArgs): void {
  const where = `${entry.shader.name}.${entry.name}`;
  const names = new Set(entry.bindings.map((b) => b.name));
  for (const key of Object.keys(args)) {
    if (!names.has(key)) throw new Error(`${where}: unexpected argument '${key}' (bindings: ${[...names].join(', ')})`);
  }
  for (const b of entry.bindings) {
    const arg = args[b.name];
    if (arg === undefined) throw new Error(`${where}: missing argument '${b.name}'`);
    if (b.kind === 'uniform') {
      if (isView(arg)) throw new Error(`${where}: argument '${b.name}' is a uniform struct; pass its members as an object`);
      continue;
    }
    if (!isView(arg)) throw new Error(`${where}: argument '${b.name}' expected a ${b.dtype} buffer, got ${typeof arg}`);
    if (arg.dtype !== b.dtype) throw new Error(`${where}: argument '${b.name}' expected dtype ${b.dtype}, got ${arg.dtype} ('${arg.label}')`);
    if (arg.byteLength < b.elementBytes || arg.byteLength % b.elementBytes !== 0) {
      throw new Error(`${where}: argument '${b.name}' expected a whole number (≥ 1) of ${b.elementBytes}-byte elements, got ${arg.byteLength} bytes ('${arg.label}')`);
    }
  }
  const storage = entry.bindings.filter((b) => b.kind !== 'uniform');
  for (let i = 0; i < storage.length; i++) {
    for (let j = i + 1; j < storage.length; j++) {
      const [bi, bj] = [storage[i]!, storage[j]!];
      if (bi.kind !== 'storage' && bj.kind !== 'storage') continue;
      const [x, y] = [args[bi.name] as BufferView, args[bj.name] as BufferView];
      const overlap = x.buffer === y.buffer && x.byteOffset < y.byteOffset + y.byteLength && y.byteOffset < x.byteOffset + x.byteLength;
      if (overlap) throw new Error(`${where}: arguments '${bi.name}' and '${bj.name}' overlap in buffer '${x.buffer.label}' and one of them is written`);
    }
  }
}

export function checkOverrides(shader: Shader, constants: OverrideValues): void {
  for (const [key, value] of Object.entries(constants)) {
    if (!shader.overrides.has(key)) throw new Error(`shader '${shader.name}' has no override '${key}' (overrides: ${[...shader.overrides.keys()].join(', ') || 'none'})`);
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`shader '${shader.name}': override '${key}' must be finite, got ${value}`);
  }
}

const loaded = new Map<string, Shader>();

/** shaders/<name>.wgsl, reflected once. */
export function loadShader(name: string): Shader {
  let shader = loaded.get(name);
  if (!shader) {
    shader = new Shader(name, shaderSource(name));
    loaded.set(name, shader);
  }
  return shader;
}

/** The most workgroups per grid dimension that every WebGPU adapter accepts. */
export const MAX_WORKGROUPS_PER_DIMENSION = 65535;

/** Workgroups along x before grid1d spills into y: the adapter limit, or fewer while a test folds grids. */
let foldAt = MAX_WORKGROUPS_PER_DIMENSION;

/**
 * The grid for `invocations` one-dimensional work items on a 1-D entry point, in workgroups of the
 * size its shader declares. Past 65,535 workgroups the grid spills into y; the shader recovers the
 * item as gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE).
 */
export function grid1d(entry: EntryPoint, invocations: number): [number, number] {
  const [size, sizeY, sizeZ] = entry.workgroupSize;
  if (sizeY !== 1 || sizeZ !== 1) throw new Error(`${entry.shader.name}.${entry.name}: grid1d needs a 1-D workgroup, the shader declares ${entry.workgroupSize.join(' × ')}`);
  const max = MAX_WORKGROUPS_PER_DIMENSION;
  const groups = Math.ceil(invocations / size);
  if (groups <= foldAt) return [groups, 1];
  const y = Math.ceil(groups / foldAt);
  if (y > max) throw new Error(`${entry.shader.name}.${entry.name}: ${invocations} invocations need ${groups} workgroups, more than ${max}² in a 2-D grid`);
  if (foldAt < max) foldedInTests.add(`${entry.shader.name}.${entry.name}`);
  return [foldAt, y];
}

/** The entry points ('shader.entry') whose grid grid1d folded while a test lowered the limit. */
export const foldedInTests = new Set<string>();

/**
 * For tests: spill every 1-D grid into y past `workgroups` along x, so a case of a few hundred
 * elements takes the path that real work takes past 65,535 workgroups (multi-million elements).
 * foldGridsAt(MAX_WORKGROUPS_PER_DIMENSION) restores it.
 */
export function foldGridsAt(workgroups: number): void {
  if (!Number.isInteger(workgroups) || workgroups < 1 || workgroups > MAX_WORKGROUPS_PER_DIMENSION) throw new Error(`foldGridsAt: expected a whole number of workgroups in 1..${MAX_WORKGROUPS_PER_DIMENSION}, got ${workgroups}`);
  foldAt = workgroups;
}

/** The grid covering a columns × rows domain, each invocation handling a block of per[0] × per[1]. */
export function grid2d(entry: EntryPoint, columns: number, rows: number, per: [number, number] = [1, 1]): [number, number] {
  const [x, y] = entry.workgroupSize;
  return [Math.ceil(columns / (x * per[0])), Math.ceil(rows / (y * per[1]))];
}
