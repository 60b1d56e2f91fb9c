// Lab: one MNIST CNN training step (batch 32) on SwiftShader, whole and per kernel.
// `npx tsx lab/run.ts cnn-page`
export async function run() {
  const { requestGpu } = await import('../src/device/gpu');
  const { Tensor } = await import('../src/tensor');
  const { MnistCNN } = await import('../src/cnn');
  const nn = await import('../src/nn');
  const optim = await import('../src/optim');
  const ops = await import('../src/kernels/batchnorm');
  const c = { ...(await import('../src/kernels/conv2d')), ...(await import('../src/kernels/pool')) };
  // fixed: with the tuner on, its timing of a key turned hot would land inside the timed loops
  const gpu = await requestGpu({ variantPolicy: 'fixed' });
  const results: Record<string, number> = {};
  const time = async (name: string, n: number, f: () => void) => {
    f();
    await gpu.sync();
    const t = performance.now();
    for (let i = 0; i < n; i++) f();
    await gpu.sync();
    results[name] = (performance.now() - t) / n;
  };
  const model = new MnistCNN(gpu);
  const lossFn = new nn.CrossEntropyLoss({ gpu });
  const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
  const x = Tensor.fromArray(gpu, new Float32Array(32 * 784).map(() => Math.random()), [32, 1, 28, 28]);
  const y = Tensor.fromArray(gpu, Array.from({ length: 32 }, (_, i) => i % 10), [32], 'u32');
  await time('full step', 5, () => { opt.zeroGrad(); lossFn.forward(model.forward(x), y).backward(); opt.step(); gpu.flush(); });
  const t = (shape: number[], dtype: 'f32' | 'u32' = 'f32') => Tensor.empty(gpu, shape, dtype);
  const [a1, w1, b1, y1] = [x, t([8, 1, 3, 3]), t([8]), t([32, 8, 28, 28])];
  const [a2, w2, b2, y2] = [t([32, 8, 14, 14]), t([16, 8, 3, 3]), t([16]), t([32, 16, 14, 14])];
  // v1 and v2 interleaved, three rounds: the machine's load drifts between runs.
  for (let round = 1; round <= 3; round++) {
    for (const variant of ['scalar', 'vec4'] as const) {
      await time(`r${round} conv1 forward ${variant}`, 3, () => c.conv2d(a1, w1, b1, y1, { padding: 1, variant }));
      await time(`r${round} conv2 forward ${variant}`, 3, () => c.conv2d(a2, w2, b2, y2, { padding: 1, variant }));
      await time(`r${round} conv2 backward input ${variant}`, 3, () => c.conv2dBackwardInput(y2, w2, a2, { padding: 1, variant }));
    }
  }
  await time('conv1 forward', 5, () => c.conv2d(a1, w1, b1, y1, { padding: 1 }));
  await time('conv1 backward weight', 5, () => c.conv2dBackwardWeight(a1, y1, w1, { padding: 1 }));
  await time('conv1 backward bias', 5, () => c.conv2dBackwardBias(y1, b1));
  await time('conv2 forward', 5, () => c.conv2d(a2, w2, b2, y2, { padding: 1 }));
  await time('conv2 backward input', 5, () => c.conv2dBackwardInput(y2, w2, a2, { padding: 1 }));
  await time('conv2 backward weight', 5, () => c.conv2dBackwardWeight(a2, y2, w2, { padding: 1 }));
  const idx = t([32, 8, 14, 14], 'u32');
  await time('pool1 forward', 5, () => c.maxPool2d(y1, a2, idx, { kernelSize: 2 }));
  await time('pool1 backward', 5, () => c.maxPool2dBackward(a2, idx, y1, { kernelSize: 2 }));
  const bn = { gamma: t([8]), beta: t([8]), runningMean: t([8]), runningVar: t([8]), mean: t([8]), invstd: t([8]), eps: 1e-5, momentum: 0.1, training: true, trackRunningStats: true };
  const y1b = t([32, 8, 28, 28]);
  await time('bn1 forward', 5, () => ops.batchNorm(y1, y1b, bn));
  await time('bn1 backward', 5, () => ops.batchNormBackward(y1, y1b, bn, { dx: t([32, 8, 28, 28]), dgamma: t([8]), dbeta: t([8]), sums: t([16]) }));
  return results;
}
