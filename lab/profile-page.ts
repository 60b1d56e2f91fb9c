// Lab: one tuned training step on SwiftShader, whole and in parts, and each matmul variant on the
// skinny shapes of that step. `npx tsx lab/run.ts profile-page`
export async function run() {
  const { requestGpu } = await import('../src/device/gpu');
  const { Tensor } = await import('../src/tensor');
  const nn = await import('../src/nn');
  const optim = await import('../src/optim');
  const ops = { ...(await import('../src/kernels/matmul')), ...(await import('../src/kernels/activation')) };
  // fixed: with the tuner on, its timing of a key turned hot would land inside the timed loops
  const gpu = await requestGpu({ variantPolicy: 'fixed' });
  const results: Record<string, number> = {};
  // Up to n runs, fewer for slow work (about 1 s per row): SwiftShader takes ~0.1 s per 512³ matmul.
  const time = async (name: string, n: number, f: () => void) => {
    f(); // compiles the pipelines
    await gpu.sync();
    let t = performance.now();
    f();
    await gpu.sync();
    const once = performance.now() - t;
    n = Math.max(3, Math.min(n, Math.ceil(1000 / Math.max(once, 0.01))));
    t = performance.now();
    for (let i = 0; i < n; i++) f();
    await gpu.sync();
    results[name] = (performance.now() - t) / n;
  };
  const sizes = [20, 128, 256, 512, 128, 4];
  const model = new nn.Sequential(...sizes.slice(1).flatMap((s, i) => i < 4 ? [new nn.Linear(sizes[i]!, s, { gpu }), new nn.Sigmoid({ gpu })] : [new nn.Linear(sizes[i]!, s, { gpu })]));
  const lossFn = new nn.CrossEntropyLoss({ gpu });
  const opt = new optim.Adam(model.parameters(), { lr: 1e-4 });
  const x = Tensor.fromArray(gpu, new Float32Array(160).map(() => Math.random()), [8, 20]);
  const y = Tensor.fromArray(gpu, [0, 1, 2, 3, 0, 1, 2, 3], [8], 'u32');
  const xs = new Float32Array(160);
  await time('full step (write+fwd+bwd+adam)', 200, () => { x.write(xs); opt.zeroGrad(); lossFn.forward(model.forward(x), y).backward(); opt.step(); gpu.flush(); });
  await time('forward only', 200, () => { model.forward(x); gpu.flush(); });
  await time('upload only (x.write, one submit)', 200, () => { x.write(xs); gpu.flush(); });
  await time('adam only', 200, () => { opt.step(); gpu.flush(); });
  const t0 = performance.now();
  for (let i = 0; i < 50; i++) { x.write(xs); opt.zeroGrad(); lossFn.forward(model.forward(x), y).backward(); opt.step(); gpu.flush(); }
  results['record+submit only (CPU side, no wait)'] = (performance.now() - t0) / 50;
  await gpu.sync();
  // individual matmul shapes
  for (const [M, N, K, tA, tB] of [[8, 128, 20, 0, 1], [8, 256, 128, 0, 1], [8, 512, 256, 0, 1], [8, 128, 512, 0, 1], [512, 256, 8, 1, 0], [8, 256, 512, 0, 0], [256, 256, 256, 0, 0]] as const) {
    const a = Tensor.empty(gpu, tA ? [K, M] : [M, K]); const b = Tensor.empty(gpu, tB ? [N, K] : [K, N]); const c = Tensor.empty(gpu, [M, N]);
    for (const variant of ['blocked', 'vec4'] as const) await time(`matmul ${variant} ${M}x${N}x${K}${tA ? ' At' : ''}${tB ? ' Bt' : ''}`, 200, () => { ops.matmul(a, b, c, { transposeA: !!tA, transposeB: !!tB, variant }); gpu.flush(); });
  }
  const e = Tensor.empty(gpu, [1024]); const f = Tensor.empty(gpu, [1024]);
  await time('trivial dispatch (sigmoid 1024) + submit', 500, () => { ops.sigmoid(e, f); gpu.flush(); });
  await time('10 trivial dispatches, one submit', 200, () => { for (let i = 0; i < 10; i++) ops.sigmoid(e, f); gpu.flush(); });
  return results;
}
