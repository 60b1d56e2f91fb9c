// Lab: v2 (matmul_blocked) with its 8×8 workgroup vs a 32×2 one, on the case study's skinny shapes.
import { requestGpu } from '../src/device/gpu';
import { Shader } from '../src/device/shader';
import source from '../shaders/matmul.wgsl?raw';
import { Tensor } from '../src/tensor';

export async function run() {
  // fixed: with the tuner on, its timing of a key turned hot would land inside the timed loops
  const gpu = await requestGpu({ variantPolicy: 'fixed' });
  const results: Record<string, number> = {};
  const shapes = [[8, 128, 20, 1], [8, 256, 128, 1], [8, 512, 256, 1], [8, 128, 512, 1], [8, 256, 512, 0], [8, 128, 256, 0], [8, 512, 128, 0]] as const;
  for (const [label, wg, tile] of [['8×8', '8, 8', [32, 32]], ['32×2', '32, 2', [128, 8]], ['64×1', '64, 1', [256, 4]], ['16×2', '16, 2', [64, 8]]] as const) {
    const k = new Shader(`blocked-${label}`, source.replace('@compute @workgroup_size(8, 8)\nfn matmul_blocked', `@compute @workgroup_size(${wg})\nfn matmul_blocked`));
    for (const [M, N, K, tB] of shapes) {
      const a = Tensor.empty(gpu, [M, K]); const b = Tensor.empty(gpu, tB ? [N, K] : [K, N]); const c = Tensor.empty(gpu, [M, N]);
      const go = () => { gpu.dispatch(k.entry('matmul_blocked'), { params: { M, N, K, a_batch_stride: 0, b_batch_stride: 0 }, a, b, bias: gpu.placeholders[0], c }, [Math.ceil(N / tile[0]), Math.ceil(M / tile[1])], { TRANSPOSE_B: !!tB }); gpu.flush(); };
      for (let i = 0; i < 5; i++) go();
      await gpu.sync();
      const t = performance.now();
      for (let i = 0; i < 100; i++) go();
      await gpu.sync();
      results[`${label} ${M}x${N}x${K}${tB ? ' Bt' : ''}`] = (performance.now() - t) / 100;
    }
  }
  return results;
}
