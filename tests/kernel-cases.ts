// Every kernel family's spec (src/kernels/<family>.ts), run in headless Chrome by
// tests/kernels.test.ts, and the device layer's own cases: every shader compiles, every shader has a
// family, and dispatch arguments are checked against the reflected bindings.
import { loadShader } from '../src/device/shader';
import { families, orphanShaders } from '../src/spec/families';
import { rng, uniform } from '../src/spec/random';
import { caseTable, type KernelCase } from '../src/spec/scope';

const { cases, add } = caseTable();

add('every shader compiles', async (s) => {
  for (const { shader } of families) {
    let message = 'compiled';
    try {
      await s.gpu.compile(shader);
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    s.expect(shader.name, message === 'compiled', message);
  }
});

add('every shader has a family file, and every 1-D entry point sizes its grid from WORKGROUP_SIZE', (s) => {
  s.expect('shaders without src/kernels/<name>.ts', orphanShaders.length === 0, orphanShaders.join(', ') || 'none');
  for (const { shader } of families) {
    for (const entry of shader.entries.values()) {
      const [x, y, z] = entry.workgroupSize;
      if (y !== 1 || z !== 1 || x === 1) continue;
      s.expect(`${shader.name}.${entry.name}`, shader.overrides.get('WORKGROUP_SIZE') === 'u32' && !/\* *64u/.test(shader.source), `workgroup ${x}, override WORKGROUP_SIZE ${shader.overrides.has('WORKGROUP_SIZE') ? 'declared' : 'missing'}`);
    }
  }
});

add('dispatch arguments are checked against the reflected bindings', (s) => {
  const gpu = s.gpu;
  const entry = loadShader('activation').entry('sigmoid_forward');
  const x = s.input(uniform(rng(8), 5));
  const y = s.output([5]);
  const u = s.input([1, 2, 3, 4, 5], [5], 'u32');
  s.expectError('missing binding', () => gpu.dispatch(entry, { params: { n: 5 }, x }, [1]), /activation\.sigmoid_forward: missing argument 'y'/);
  s.expectError('extra binding', () => gpu.dispatch(entry, { params: { n: 5 }, x, y, z: y }, [1]), /unexpected argument 'z'/);
  s.expectError('wrong element type', () => gpu.dispatch(entry, { params: { n: 5 }, x: u, y }, [1]), /argument 'x' expected dtype f32, got u32/);
  s.expectError('unknown uniform member', () => gpu.dispatch(entry, { params: { n: 5, m: 1 }, x, y }, [1]), /uniform 'params' has no member 'm'/);
  s.expectError('uniform member not an integer', () => gpu.dispatch(entry, { params: { n: 2.5 }, x, y }, [1]), /member 'n' \(u32\) expected an integer/);
  s.expectError('writable overlap', () => gpu.dispatch(entry, { params: { n: 5 }, x: y, y }, [1]), /arguments 'x' and 'y' overlap/);
  s.expectError('unknown override', () => gpu.dispatch(entry, { params: { n: 5 }, x, y }, [1], { FAST: true }), /has no override 'FAST'/);
  s.expectError('grid too large', () => gpu.dispatch(entry, { params: { n: 5 }, x, y }, [70000]), /workgroup grid \[70000, 1, 1\] is outside/);
  s.expectError('zero-sized dimension', () => s.output([0, 3], 'x'), /tensor 'x': every dimension must be a positive integer, got shape \[0, 3\]/);
});

export type { KernelCase };
export const kernelCases: readonly KernelCase[] = [...cases, ...families.flatMap((f) => f.spec)];
