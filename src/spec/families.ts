// Every kernel family: src/kernels/<name>.ts beside shaders/<name>.wgsl. Found by file name, so a
// family added with its spec appears in the test harness, the bench and the shader inspector with
// no other edit.
import { loadShader, type Shader } from '../device/shader';
import { shaderNames } from '../device/shader-sources';
import type { Spec } from './scope';

export interface Family {
  name: string;
  shader: Shader;
  spec: Spec;
}

const modules = import.meta.glob<{ shader?: Shader; spec?: Spec }>('../kernels/*.ts', { eager: true });

export const families: readonly Family[] = Object.entries(modules)
  .map(([path, m]) => {
    const name = path.slice(path.lastIndexOf('/') + 1, -'.ts'.length);
    if (!m.spec || !m.shader) throw new Error(`src/kernels/${name}.ts must export its 'shader' and its 'spec'`);
    if (m.shader !== loadShader(name)) throw new Error(`src/kernels/${name}.ts must export shaders/${name}.wgsl as its 'shader'`);
    return { name, shader: m.shader, spec: m.spec };
  })
  .sort((a, b) => a.name.localeCompare(b.name));

/** Shaders without a family file (each must have one). */
export const orphanShaders: readonly string[] = shaderNames.filter((n) => !families.some((f) => f.name === n));
