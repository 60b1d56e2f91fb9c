// Lab: matmul v3 (vec4), v4 (tiled) and v5 (split-K, with its S) on the tuned step's batch-512
// products, wall clock per product (recorded, submitted, waited for; each row about 1 s).
// `npx tsx lab/run.ts splitk-page --node` (or without --node: in headless Chrome)
export async function run() {
  const { requestGpu } = await import('../src/device/gpu');
  const { Tensor } = await import('../src/tensor');
  const { matmul, splitKSlices } = await import('../src/kernels/matmul');
  const { TUNED } = await import('../demos/bench/workloads');
  const gpu = await requestGpu({ variantPolicy: 'fixed' });
  const results: Record<string, number> = {};
  const time = async (name: string, f: () => void) => {
    f(); // compiles the pipelines, grows v5's scratch
    await gpu.sync();
    let t = performance.now();
    f();
    await gpu.sync();
    const n = Math.max(3, Math.min(100, Math.ceil(1000 / Math.max(performance.now() - t, 0.01))));
    t = performance.now();
    for (let i = 0; i < n; i++) f();
    await gpu.sync();
    results[name] = (performance.now() - t) / n;
  };
  const layers = TUNED.slice(1).map((out, i) => [TUNED[i]!, out] as const);
  const products = [
    ...layers.map(([inF, out]) => [512, out, inF, false, true] as const), // forward x·Wᵀ
    ...layers.slice(1).map(([inF, out]) => [512, inF, out, false, false] as const), // dX = dY·W
    ...layers.map(([inF, out]) => [out, inF, 512, true, false] as const), // dW = dYᵀ·x
  ];
  for (const [M, N, K, transposeA, transposeB] of products) {
    const a = Tensor.empty(gpu, transposeA ? [K, M] : [M, K]);
    const b = Tensor.empty(gpu, transposeB ? [N, K] : [K, N]);
    const c = Tensor.empty(gpu, [M, N]);
    const shape = `${M}×${N}×${K}${transposeA ? ' Aᵀ' : ''}${transposeB ? ' Bᵀ' : ''}`;
    for (const variant of ['vec4', 'tiled', 'splitk'] as const) {
      const label = variant === 'splitk' ? `splitk S=${splitKSlices(M, N, K).slices}` : variant;
      await time(`${shape} ${label}`, () => matmul(a, b, c, { transposeA, transposeB, variant }));
    }
    [a, b, c].forEach((t) => t.destroy());
  }
  return results;
}
