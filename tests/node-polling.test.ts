// Dawn's Node binding polls for finished GPU work from setImmediate, which spins the main thread for
// the whole wait and, on a CPU adapter, takes a core from the shaders. src/node/webgpu.ts hands it a
// 1 ms timer during the engine's waits; this checks that a long wait polls a handful of times, not
// thousands, and that Node's own setImmediate is back afterwards.
import { expect, test } from 'vitest';
import { requestGpu } from '../src/device/gpu';
import { matmul } from '../src/kernels/matmul';
import { installWebGpu } from '../src/node/webgpu';
import { Tensor } from '../src/tensor';

test('a GPU wait in Node does not spin the main thread', async () => {
  const node = globalThis.setImmediate;
  let calls = 0;
  const counting = ((...args: Parameters<typeof setImmediate>) => {
    calls++;
    return node(...args);
  }) as typeof setImmediate;
  globalThis.setImmediate = counting; // what the polling would call if it still spun
  try {
    await installWebGpu();
    const gpu = await requestGpu();
    const n = 192;
    const [a, b, c] = [Tensor.fromArray(gpu, new Float32Array(n * n).fill(1), [n, n]), Tensor.fromArray(gpu, new Float32Array(n * n).fill(1), [n, n]), Tensor.empty(gpu, [n, n])];
    await gpu.sync();
    calls = 0;
    const started = performance.now();
    for (let i = 0; i < 4; i++) matmul(a, b, c, { variant: 'naive' });
    await gpu.sync();
    const ms = performance.now() - started;
    expect((await c.read())[0]).toBe(n);
    expect(globalThis.setImmediate).toBe(counting);
    // SwiftShader takes tens of ms for this; a spinning poll calls setImmediate thousands of times
    expect(calls, `${calls} setImmediate calls in a ${ms.toFixed(0)} ms wait`).toBeLessThan(20);
    gpu.destroy();
  } finally {
    globalThis.setImmediate = node;
  }
});
