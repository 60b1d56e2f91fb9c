// One table of kernel cases, run in headless Chrome by tests/kernels.test.ts. Each case draws fresh
// random inputs from its own seed, poisons its outputs with NaN, runs the WGSL kernel and compares
// with the float64 CPU reference (src/reference/). Shapes include 1, primes, non-multiples of every
// workgroup size, and 1-D work longer than 65,535 workgroups of 64.
import { kernels } from '../src/kernels';
import { adamStep, batchNorm, batchNormBackward, dropout, matmul, relu, reluBackward, sigmoid, sigmoidBackward, softmaxCrossEntropy, sumRows, type Activation, type MatmulVariant } from '../src/ops';
import * as bnRef from '../src/reference/batchnorm';
import { dropoutMask } from '../src/reference/dropout';
import * as ref from '../src/reference/linalg';
import { softmaxCrossEntropy as crossEntropyRef } from '../src/reference/losses';
import { adamInit, adamStep as adamRef, type AdamOptions } from '../src/reference/optim';
import { caseTable, type KernelCase } from './harness/scope';
import { integers, rng, uniform } from './support/random';

const { cases, add } = caseTable();

/** More than 65,535 workgroups of 64: the grid must spill into y. */
const PAST_GRID_LIMIT = 65535 * 64 + 4099;

add('every shader compiles', async (s) => {
  for (const kernel of Object.values(kernels)) {
    let message = 'compiled';
    try {
      await s.gpu.compile(kernel);
    } catch (error) {
      message = error instanceof Error ? error.message : String(error);
    }
    s.expect(kernel.name, message === 'compiled', message);
  }
});

// ── matmul ──────────────────────────────────────────────────────────────────────────────────────
interface MatmulCase {
  M: number;
  N: number;
  K: number;
  transposeA?: boolean;
  transposeB?: boolean;
  bias?: boolean;
  activation?: Activation;
  accumulate?: boolean;
}

function addMatmul(variant: MatmulVariant, c: MatmulCase): void {
  const flags = [c.transposeA && 'Aᵀ', c.transposeB && 'Bᵀ', c.bias && '+bias', c.activation && c.activation !== 'none' && c.activation, c.accumulate && 'accumulate'].filter(Boolean);
  add(`matmul ${variant} ${c.M}×${c.N}×${c.K}${flags.length ? ` ${flags.join(' ')}` : ''}`, async (s, random) => {
    const { M, N, K, transposeA = false, transposeB = false } = c;
    const a = uniform(random, M * K);
    const b = uniform(random, K * N);
    const bias = c.bias ? uniform(random, N) : undefined;
    const out = s.output([M, N], 'c');
    const previous = uniform(random, M * N);
    if (c.accumulate) out.write(previous);
    matmul(s.input(a, transposeA ? [K, M] : [M, K]), s.input(b, transposeB ? [N, K] : [K, N]), out, {
      transposeA, transposeB, variant, activation: c.activation ?? 'none', accumulate: c.accumulate ?? false,
      ...(bias ? { bias: s.input(bias) } : {}),
    });
    const expected = ref.matmul(a, b, { M, N, K, transposeA, transposeB, activation: c.activation ?? 'none', ...(bias ? { bias } : {}) });
    if (c.accumulate) expected.forEach((v, i) => (expected[i] = v + previous[i]!));
    // f32 rounding grows with K; a wrong index or bound gives errors of order 1.
    await s.check('c', out, expected, 1e-6 * K + 1e-6, 1e-5);
  });
}

for (const variant of ['naive', 'blocked'] as const) {
  for (const [M, N, K] of [[1, 1, 1], [7, 13, 17], [33, 65, 31], [129, 3, 257], [5, 130, 1], [8, 128, 20]]) {
    addMatmul(variant, { M: M!, N: N!, K: K! });
  }
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      if (transposeA || transposeB) addMatmul(variant, { M: 7, N: 13, K: 17, transposeA, transposeB });
      if (transposeA || transposeB) addMatmul(variant, { M: 37, N: 35, K: 9, transposeA, transposeB });
    }
  }
  addMatmul(variant, { M: 8, N: 256, K: 128, transposeB: true, bias: true, activation: 'sigmoid' });
  addMatmul(variant, { M: 19, N: 23, K: 29, transposeB: true, bias: true, activation: 'relu' });
  addMatmul(variant, { M: 21, N: 11, K: 3, bias: true });
  addMatmul(variant, { M: 128, N: 20, K: 8, transposeA: true, accumulate: true });
  addMatmul(variant, { M: 8, N: 20, K: 128, accumulate: true });
  addMatmul(variant, { M: 256, N: 256, K: 256 });
}
addMatmul('blocked', { M: 1024, N: 1024, K: 1024 });
// v3 (vec4) runs the layouts of a Linear layer when the contiguous dimensions are multiples of 4.
for (const c of [
  { M: 8, N: 128, K: 20, transposeB: true },
  { M: 7, N: 12, K: 20, transposeB: true },
  { M: 1, N: 4, K: 4, transposeB: true },
  { M: 33, N: 68, K: 32, transposeB: true, bias: true, activation: 'sigmoid' as const },
  { M: 8, N: 256, K: 128, transposeB: true, bias: true, activation: 'relu' as const },
  { M: 8, N: 20, K: 128 },
  { M: 9, N: 12, K: 16, accumulate: true },
  { M: 131, N: 4, K: 4 },
  { M: 128, N: 20, K: 8, transposeA: true, accumulate: true },
  { M: 12, N: 8, K: 7, transposeA: true },
  { M: 512, N: 256, K: 8, transposeA: true },
  { M: 1024, N: 1024, K: 1024, transposeB: true },
]) {
  addMatmul('vec4', c);
}
add('matmul vec4 refuses layouts it cannot run', (s, random) => {
  const a = s.input(uniform(random, 7 * 17), [7, 17]);
  const b = s.input(uniform(random, 5 * 17), [5, 17]);
  s.expectError('K not a multiple of 4', () => matmul(a, b, s.output([7, 5]), { transposeB: true, variant: 'vec4' }), /variant 'vec4' cannot run 7×5×17 Bᵀ: K = 17 and N = 5 must be multiples of 4/);
  const c = s.input(uniform(random, 8 * 6), [8, 6]);
  s.expectError('N not a multiple of 4', () => matmul(c, s.input(uniform(random, 6 * 6), [6, 6]), s.output([8, 6]), { variant: 'vec4' }), /K = 6 and N = 6 must be multiples of 4/);
});

// ── activations ──────────────────────────────────────────────────────────────────────────────────
for (const act of ['sigmoid', 'relu'] as const) {
  const forward = act === 'sigmoid' ? sigmoid : relu;
  const backward = act === 'sigmoid' ? sigmoidBackward : reluBackward;
  const f = act === 'sigmoid' ? ref.sigmoid : ref.relu;
  const df = act === 'sigmoid' ? ref.sigmoidBackward : ref.reluBackward;
  for (const n of [1, 63, 65, 1000, 4, 4100, PAST_GRID_LIMIT, PAST_GRID_LIMIT + 1]) {
    add(`${act} forward ${n % 4 === 0 ? 'v2 vec4' : 'v1'} n=${n}`, async (s, random) => {
      const x = uniform(random, n, -6, 6);
      const y = s.output([n]);
      forward(s.input(x), y);
      await s.check('y', y, Array.from(x, f), 1e-6, 1e-5);
    });
  }
  for (const [n, accumulate] of [[1, false], [97, false], [4099, true], [PAST_GRID_LIMIT, false], [8, false], [1028, true], [PAST_GRID_LIMIT + 1, false]] as const) {
    add(`${act} backward ${n % 4 === 0 ? 'v2 vec4' : 'v1'} n=${n}${accumulate ? ' accumulate' : ''}`, async (s, random) => {
      const x = uniform(random, n, -6, 6);
      const dy = uniform(random, n);
      const previous = uniform(random, n);
      const y = s.output([n], 'y');
      const dx = s.output([n], 'dx');
      if (accumulate) dx.write(previous);
      forward(s.input(x), y);
      backward(y, s.input(dy), dx, accumulate);
      const expected = df(x, dy).map((v, i) => v + (accumulate ? previous[i]! : 0));
      await s.check('dx', dx, expected, 1e-6, 1e-5);
    });
  }
}

// ── softmax + cross-entropy ──────────────────────────────────────────────────────────────────────
for (const [N, C, scale, ties] of [[1, 1, 3, false], [8, 4, 3, false], [37, 10, 5, false], [1000, 7, 3, false], [5, 3, 1e4, false], [3, 1, 1e4, false], [70001, 2, 2, false], [300, 4, 1, true]] as const) {
  add(`softmax-cross-entropy ${N}×${C}${scale >= 1e4 ? ' logits ±1e4' : ''}${ties ? ' tied logits' : ''}`, async (s, random) => {
    // Tied logits (integers in {−1, 0, 1}) check that accuracy's arg-max takes the first maximum.
    const logits = uniform(random, N * C, -scale, scale).map((v) => (ties ? Math.round(v) : v));
    const labels = integers(random, N, C);
    const out = { rowLoss: s.output([N], 'row loss'), dlogits: s.output([N, C], 'dlogits'), loss: s.output([1], 'loss'), metrics: s.output([5], 'metrics') };
    out.metrics.write([0, 0, 0, 0, 0]);
    softmaxCrossEntropy(s.input(logits, [N, C]), s.input(labels, [N], 'u32', 'labels'), out);
    const expected = crossEntropyRef(logits, labels, N, C);
    const tol = 1e-5 * Math.max(1, scale);
    await s.check('row loss', out.rowLoss, expected.rowLoss, tol, 1e-5);
    await s.check('loss', out.loss, [expected.loss], tol, 1e-5);
    await s.check('dlogits', out.dlogits, expected.grad, 1e-6 / N + 1e-7, 1e-4);
    await s.check('metrics (loss, correct, rows, batches, first non-finite)', out.metrics, [expected.loss, expected.correct, N, 1, 0], tol, 1e-5);
  });
}
add('softmax-cross-entropy records the first non-finite batch', async (s, random) => {
  const [N, C] = [4, 3];
  const out = { rowLoss: s.output([N]), dlogits: s.output([N, C]), loss: s.output([1]), metrics: s.output([5]) };
  out.metrics.write([0, 0, 0, 0, 0]);
  const labels = s.input(integers(random, N, C), [N], 'u32');
  const finite = s.input(uniform(random, N * C), [N, C]);
  const poisoned = uniform(random, N * C);
  poisoned[5] = NaN;
  const bad = s.input(poisoned, [N, C]);
  for (const logits of [finite, finite, bad, finite, bad]) softmaxCrossEntropy(logits, labels, out);
  const m = await out.metrics.read();
  s.expect('batches', m[3] === 5, `${m[3]}`);
  s.expect('first non-finite batch is the 3rd', m[4] === 3, `${m[4]}`);
});

// ── dropout ──────────────────────────────────────────────────────────────────────────────────────
for (const [n, p] of [[1, 0.5], [1000, 0], [1000, 1], [1000, 0.8], [4099, 0.1], [PAST_GRID_LIMIT, 0.5]] as const) {
  add(`dropout n=${n} p=${p}`, async (s, random) => {
    const x = uniform(random, n);
    const seed = Math.floor(random() * 2 ** 32);
    const step = Math.floor(random() * 1000);
    const y = s.output([n]);
    dropout(s.input(x), y, { p, seed, step });
    const mask = dropoutMask(n, p, seed, step);
    await s.check('y', y, Array.from(mask, (m, i) => m * x[i]!), 0, 1e-6);
    if (n >= 1000 && p > 0 && p < 1) {
      const kept = mask.filter((m) => m !== 0).length;
      const sd = Math.sqrt(n * p * (1 - p));
      s.expect('kept fraction', Math.abs(kept - n * (1 - p)) < 5 * sd, `${kept} of ${n} kept, expected ${n * (1 - p)} ± ${(5 * sd).toFixed(0)}`);
    }
  });
}
add('dropout backward (same mask) accumulate', async (s, random) => {
  const n = 5000;
  const [dy, previous] = [uniform(random, n), uniform(random, n)];
  const dx = s.output([n]);
  dx.write(previous);
  dropout(s.input(dy), dx, { p: 0.3, seed: 1234, step: 7, accumulate: true });
  const mask = dropoutMask(n, 0.3, 1234, 7);
  await s.check('dx', dx, Array.from(mask, (m, i) => m * dy[i]! + previous[i]!), 1e-7, 1e-6);
});

// ── batch-norm ───────────────────────────────────────────────────────────────────────────────────
interface BatchNormCase {
  shape: number[];
  training: boolean;
  equal?: boolean;
  track?: boolean;
}

function addBatchNorm(c: BatchNormCase): void {
  const label = `batch-norm ${c.shape.length === 4 ? '2d' : '1d'} [${c.shape.join(', ')}] ${c.training ? 'train' : 'eval'}${c.equal ? ' all-equal inputs' : ''}${c.track === false ? ' no running stats' : ''}`;
  add(label, async (s, random) => {
    const [N, C] = [c.shape[0]!, c.shape[1]!];
    const S = c.shape.slice(2).reduce((a, b) => a * b, 1);
    const size = N * C * S;
    const x = c.equal ? new Float64Array(size).fill(Math.fround(0.7)) : uniform(random, size, -3, 3);
    const dy = uniform(random, size);
    const spec: bnRef.BatchNormSpec = {
      N, C, S, eps: 1e-5, momentum: 0.1, training: c.training,
      gamma: uniform(random, C, 0.5, 1.5), beta: uniform(random, C), runningMean: uniform(random, C), runningVar: uniform(random, C, 0.5, 2),
    };
    const [prevDgamma, prevDbeta] = [uniform(random, C), uniform(random, C)];
    const args = {
      gamma: s.input(spec.gamma), beta: s.input(spec.beta), runningMean: s.input(spec.runningMean), runningVar: s.input(spec.runningVar),
      mean: s.output([C], 'mean'), invstd: s.output([C], 'invstd'), eps: spec.eps, momentum: spec.momentum, training: c.training, trackRunningStats: c.track ?? true,
    };
    const y = s.output(c.shape, 'y');
    const grads = { dx: s.output(c.shape, 'dx'), dgamma: s.input(prevDgamma), dbeta: s.input(prevDbeta), sums: s.output([2 * C], 'sums') };
    const xt = s.input(x, c.shape);
    batchNorm(xt, y, args);
    batchNormBackward(xt, s.input(dy, c.shape), args, grads);

    const fwd = bnRef.batchNorm(x, spec);
    const bwd = bnRef.batchNormBackward(x, dy, spec);
    // With variance 0, invstd = 1/√eps ≈ 316 magnifies the f32 rounding of the mean.
    const scale = c.equal ? 1e3 : 1;
    await s.check('y', y, fwd.y, 2e-5 * scale, 1e-4);
    await s.check('mean', args.mean, fwd.mean, 1e-5, 1e-5);
    await s.check('invstd', args.invstd, fwd.invstd, 1e-5, 1e-4);
    const tracked = c.training && c.track !== false;
    await s.check('running mean', args.runningMean, tracked ? fwd.runningMean : spec.runningMean, 1e-6, 1e-5);
    await s.check('running var', args.runningVar, tracked ? fwd.runningVar : spec.runningVar, 1e-6, 1e-5);
    await s.check('dx', grads.dx, bwd.dx, 1e-4 * scale, 1e-4);
    await s.check('dgamma (accumulated)', grads.dgamma, bwd.dgamma.map((v, i) => v + prevDgamma[i]!), 1e-4 * Math.sqrt(N * S) * scale, 1e-4);
    await s.check('dbeta (accumulated)', grads.dbeta, bwd.dbeta.map((v, i) => v + prevDbeta[i]!), 1e-5 * Math.sqrt(N * S), 1e-4);
  });
}

for (const c of [
  { shape: [8, 128], training: true },
  { shape: [8, 128], training: false },
  { shape: [7, 5], training: true },
  { shape: [1, 5], training: false },
  { shape: [3, 4, 11], training: true },
  { shape: [4, 3, 5, 7], training: true },
  { shape: [4, 3, 5, 7], training: false },
  { shape: [1, 3, 5, 7], training: true },
  { shape: [2, 67, 3, 3], training: true },
  { shape: [16, 6], training: true, equal: true },
  { shape: [2, 3, 4, 4], training: true, equal: true },
  { shape: [6, 9], training: true, track: false },
]) {
  addBatchNorm(c);
}

// ── column sums (a bias's gradient) ──────────────────────────────────────────────────────────────
for (const [M, N, accumulate] of [[1, 1, false], [8, 128, true], [1000, 3, false], [3, 4099, false]] as const) {
  add(`sum rows ${M}×${N}${accumulate ? ' accumulate' : ''}`, async (s, random) => {
    const x = uniform(random, M * N);
    const previous = uniform(random, N);
    const out = s.output([N]);
    if (accumulate) out.write(previous);
    sumRows(s.input(x, [M, N]), out, accumulate);
    await s.check('out', out, ref.sumRows(x, M, N).map((v, i) => v + (accumulate ? previous[i]! : 0)), 1e-6 * M, 1e-5);
  });
}

// ── Adam ─────────────────────────────────────────────────────────────────────────────────────────
const adamDefaults: AdamOptions = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false };
for (const [n, options] of [
  [1, {}],
  [1000, {}],
  [4099, { weightDecay: 0.01 }],
  [1000, { amsgrad: true }],
  [777, { lr: 0.1, beta1: 0.5, beta2: 0.9, eps: 1e-6, weightDecay: 0.1, amsgrad: true }],
  [PAST_GRID_LIMIT, {}],
  [4096, { amsgrad: true }],
  [PAST_GRID_LIMIT + 1, { weightDecay: 0.01 }],
] as const) {
  const o: AdamOptions = { ...adamDefaults, ...options };
  const flags = Object.entries(options).map(([k, v]) => `${k}=${v}`).join(' ');
  add(`adam ${n % 4 === 0 ? 'v2 vec4' : 'v1'} n=${n} 10 steps${flags ? ` ${flags}` : ''}`, async (s, random) => {
    const steps = n > 1e6 ? 3 : 10;
    const theta = uniform(random, n);
    const state = adamInit(theta);
    const param = s.input(theta, [n], 'f32', 'param');
    const zeros = new Float32Array(n);
    const gpuState = { param, grad: s.input(zeros), expAvg: s.input(zeros), expAvgSq: s.input(zeros), ...(o.amsgrad ? { maxExpAvgSq: s.input(zeros) } : {}) };
    for (let step = 1; step <= steps; step++) {
      const g = uniform(random, n);
      gpuState.grad.write(g);
      adamStep(gpuState, { ...o, step });
      adamRef(state, g, o);
    }
    await s.check('param', param, state.param, 1e-6 * o.lr * 1e3, 1e-5);
    await s.check('exp_avg', gpuState.expAvg, state.expAvg, 1e-6, 1e-5);
    await s.check('exp_avg_sq', gpuState.expAvgSq, state.expAvgSq, 1e-7, 1e-5);
  });
}

// ── bad input: a clear Error naming the op and argument, and nothing dispatched ─────────────────────
add('bad input is rejected before dispatch', (s) => {
  const gpu = s.gpu;
  const a = s.input(uniform(rng(1), 6), [2, 3]);
  const b = s.input(uniform(rng(2), 8), [4, 2]);
  const c = s.output([2, 2]);
  const labels = s.input([0, 1], [2], 'u32', 'labels');
  const v = s.input(uniform(rng(3), 4), [4]);
  const col = s.output([4]);
  s.expectError('matmul inner dimensions', () => matmul(a, b, c), /matmul: argument 'b' expected 3 rows/);
  s.expectError('matmul output shape', () => matmul(a, b, c, { transposeB: false }), /matmul/);
  s.expectError('matmul rank', () => matmul(v, b, c), /matmul: argument 'a' expected 2 dimensions, got shape \[4\]/);
  s.expectError('matmul dtype', () => matmul(labels.reshape([1, 2]), b, c), /matmul: argument 'a' expected dtype f32, got u32/);
  s.expectError('matmul bias shape', () => matmul(a, s.input(uniform(rng(4), 6), [3, 2]), c, { bias: v }), /matmul: argument 'bias' expected shape \[2\], got \[4\]/);
  s.expectError('matmul variant', () => matmul(a, s.input(uniform(rng(4), 6), [3, 2]), c, { variant: 'magic' as MatmulVariant }), /variant/);
  s.expectError('zero-sized dimension', () => gpu.empty([0, 3], 'f32', 'x'), /tensor 'x': every dimension must be a positive integer, got shape \[0, 3\]/);
  s.expectError('sigmoid size mismatch', () => sigmoid(a, v), /sigmoid: argument 'y' expected 6 elements/);
  s.expectError('dropout p > 1', () => dropout(v, col, { p: 1.5, seed: 1, step: 0 }), /dropout: argument 'p' expected a probability in \[0, 1\], got 1.5/);
  s.expectError('dropout p < 0', () => dropout(v, col, { p: -0.1, seed: 1, step: 0 }), /dropout: argument 'p'/);
  s.expectError('dropout p NaN', () => dropout(v, col, { p: NaN, seed: 1, step: 0 }), /dropout: argument 'p'.*got NaN/);
  const bn = { gamma: v, beta: v, runningMean: col, runningVar: col, mean: col, invstd: col, eps: 1e-5, momentum: 0.1, training: true, trackRunningStats: true };
  const x = s.input(uniform(rng(5), 8), [2, 4]);
  s.expectError('batch-norm eps = 0', () => batchNorm(x, s.output([2, 4]), { ...bn, eps: 0 }), /batchNorm: argument 'eps' expected a number > 0, got 0/);
  s.expectError('batch-norm eps < 0', () => batchNorm(x, s.output([2, 4]), { ...bn, eps: -1 }), /argument 'eps'/);
  s.expectError('batch-norm channels', () => batchNorm(s.input(uniform(rng(6), 6), [2, 3]), s.output([2, 3]), bn), /batchNorm: argument 'gamma' expected shape \[3\], got \[4\]/);
  s.expectError('batch-norm batch 1 training', () => batchNorm(s.input(uniform(rng(7), 4), [1, 4]), s.output([1, 4]), bn), /expected more than 1 value per channel when training/);
  s.expectError('cross-entropy label dtype', () => softmaxCrossEntropy(a, a.reshape([6]).reshape([6]), { rowLoss: col, dlogits: c, loss: col, metrics: s.output([5]) }), /softmaxCrossEntropy: argument 'labels' expected dtype u32 or i32, got f32/);
  s.expectError('cross-entropy label count', () => softmaxCrossEntropy(a, s.input([0, 1, 2], [3], 'u32'), { rowLoss: col, dlogits: c, loss: col, metrics: s.output([5]) }), /argument 'labels' expected shape \[2\], got \[3\]/);
  s.expectError('adam lr < 0', () => adamStep({ param: v, grad: v, expAvg: col, expAvgSq: col }, { ...adamDefaults, step: 1, lr: -1 }), /adamStep: argument 'lr' expected a number ≥ 0, got -1/);
  s.expectError('adam beta1 = 1', () => adamStep({ param: v, grad: v, expAvg: col, expAvgSq: col }, { ...adamDefaults, step: 1, beta1: 1 }), /argument 'beta1' expected a number in \[0, 1\), got 1/);
  s.expectError('adam amsgrad without state', () => adamStep({ param: v, grad: v, expAvg: col, expAvgSq: col }, { ...adamDefaults, step: 1, amsgrad: true }), /maxExpAvgSq/);
});

add('dispatch arguments are checked against the reflected bindings', (s) => {
  const gpu = s.gpu;
  const entry = kernels.activation.entry('sigmoid_forward');
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
});

export type { KernelCase };
export const kernelCases: readonly KernelCase[] = cases;
