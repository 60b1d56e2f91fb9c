// Dawn's Node binding polls for finished GPU work from setImmediate, which spins the main thread for
// the whole wait and, on a CPU adapter, takes a core from the shaders. src/node/webgpu.ts hands it a
// 1 ms timer during the engine's waits on a CPU adapter; this checks that a long wait polls a
// handful of times, not thousands, that Node's own setImmediate is back afterwards, and that on a
// hardware GPU (where a wait is short and the CPU idle) the spin is kept.
import { expect, test } from 'vitest';
import { isCpuAdapter, requestGpu } from '../src/device/gpu';
import { matmul } from '../src/kernels/matmul';
import { installWebGpu, waitPolitely } from '../src/node/webgpu';
import { Tensor } from '../src/tensor';

/** setImmediate calls during a wait for four 192³ naive matmuls (tens of ms on SwiftShader). */
async function callsDuringWait(spinOnThisAdapter: boolean): Promise<{ calls: number; ms: number }> {
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
    expect(isCpuAdapter(gpu.adapter), `${gpu.adapter.vendor} ${gpu.adapter.architecture}`).toBe(true);
    if (spinOnThisAdapter) waitPolitely(false); // what requestGpu does on a hardware GPU
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
    gpu.destroy();
    return { calls, ms };
  } finally {
    globalThis.setImmediate = node;
    waitPolitely(true);
  }
}

test('a GPU wait in Node does not spin the main thread on a CPU adapter', async () => {
  const { calls, ms } = await callsDuringWait(false);
  // a spinning poll calls setImmediate thousands of times in tens of ms
  expect(calls, `${calls} setImmediate calls in a ${ms.toFixed(0)} ms wait`).toBeLessThan(20);
});

test('on a hardware GPU the wait spins (no 1 ms timer per wait)', async () => {
  const { calls, ms } = await callsDuringWait(true);
  expect(calls, `${calls} setImmediate calls in a ${ms.toFixed(0)} ms wait`).toBeGreaterThan(100);
});

test('isCpuAdapter: software adapters by flag or name, hardware GPUs not', () => {
  const adapter = (vendor: string, architecture: string, description = '', isFallbackAdapter = false) => ({ vendor, architecture, description, isFallbackAdapter });
  expect(isCpuAdapter(adapter('google', 'swiftshader'))).toBe(true);
  expect(isCpuAdapter(adapter('mesa', '', 'llvmpipe (LLVM 15.0.6, 256 bits)'))).toBe(true);
  expect(isCpuAdapter(adapter('', '', '', true))).toBe(true);
  expect(isCpuAdapter(adapter('nvidia', 'hopper', 'NVIDIA H100 80GB HBM3'))).toBe(false);
  expect(isCpuAdapter(adapter('apple', 'metal-3'))).toBe(false);
});
