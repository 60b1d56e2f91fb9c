// The CPU references checked on their own, in float64, with no GPU: Threefry against Random123's
// published known-answer vectors, and every backward rule against central finite differences.
import { describe, expect, test } from 'vitest';
import { batchNorm, batchNormBackward, type BatchNormSpec } from '../src/reference/batchnorm';
import { dropout, dropoutMask } from '../src/reference/dropout';
import { matmul, reluBackward, sigmoid, sigmoidBackward, relu } from '../src/reference/linalg';
import { softmaxCrossEntropy } from '../src/reference/losses';
import { threefry2x32 } from '../src/reference/random';
import { regressionLoss } from '../src/reference/regression_loss';
import { softmax as softmaxRef, softmaxBackward } from '../src/reference/softmax';
import { erf, erfc, erfinv } from '../src/reference/special';
import { rng, uniform, integers } from '../src/spec/random';
import { dot, expectClose, numericGradient } from './support/numeric';

/** The R×C row-major matrix x, transposed to C×R. */
const transpose = (x: Float64Array, R: number, C: number) => x.map((_, i) => x[(i % R) * C + Math.floor(i / R)]!);

describe('threefry2x32-20 known answers (Random123 kat_vectors)', () => {
  test.each([
    [[0, 0], [0, 0], [0x6b200159, 0x99ba4efe]],
    [[0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff], [0x1cb996fc, 0xbb002be7]],
    [[0x243f6a88, 0x85a308d3], [0x13198a2e, 0x03707344], [0xc4923a9c, 0x483df7a0]],
  ])('counter %j key %j', (counter, key, expected) => {
    expect(threefry2x32(counter as [number, number], key as [number, number])).toEqual(expected);
  });
  test('13 rounds too', () => {
    expect(threefry2x32([0, 0], [0, 0], 13)).toEqual([0x9d1c5ec6, 0x8bd50731]);
  });
});

describe('erf and erfinv (truncNormal_\'s reference)', () => {
  test('erf against known values (Python\'s math.erf), both sides of the series/continued-fraction switch at 3', () => {
    const known: [number, number][] = [[0, 0], [1e-9, 1.1283791670955127e-9], [0.5, 0.5204998778130465], [1, 0.8427007929497149], [-1.3, -0.9340079449406524], [2, 0.9953222650189527], [2.9999, 0.9999778955735178], [3, 0.9999779095030014], [3.5, 0.9999992569016276], [4.5, 0.9999999998033839], [7, 1]];
    for (const [x, value] of known) expect(Math.abs(erf(x) - value)).toBeLessThan(1e-14);
  });
  test('erfc against known values (Python\'s math.erfc), relative: its tail far below float64\'s 1 − erf', () => {
    const known = [[-1, 1.842700792949715], [0.5, 0.4795001221869535], [2.9, 4.109787809945886e-5], [3, 2.2090496998585438e-5], [5, 1.5374597944280351e-12], [10, 2.088487583762545e-45], [26, 5.663192408856143e-296]];
    // Below 3 it is 1 − erf, whose series keeps ~2e-14: 5e-10 of erfc(2.9); past 3 the tail's own fraction, to ~1e-15.
    for (const [x, value] of known) expect(Math.abs(erfc(x!) / value! - 1)).toBeLessThan(x! < 3 ? 1e-9 : 1e-14);
  });
  test('erfinv inverts erf; ±1 and outside', () => {
    for (const y of [-0.999999, -0.9, -0.3, 0, 1e-12, 0.5, 0.95449973610364158, 0.999]) expect(Math.abs(erf(erfinv(y)) - y)).toBeLessThan(1e-15);
    expect(erfinv(0.5)).toBeCloseTo(0.4769362762044699, 14);
    expect([erfinv(1), erfinv(-1), erfinv(1.5)]).toEqual([Infinity, -Infinity, NaN]);
  });
});

describe('dropout reference', () => {
  test('p = 0 is the identity, p = 1 gives zeros', () => {
    const x = uniform(rng(1), 100);
    expect(Array.from(dropout(x, 0, 7, 0))).toEqual(Array.from(x));
    expect(dropout(x, 1, 7, 0).every((v) => v === 0)).toBe(true);
  });
  test('keeps about 1 − p of 100,000 elements, each scaled by 1/(1 − p)', () => {
    const mask = dropoutMask(100_000, 0.3, 42, 3);
    const kept = mask.filter((m) => m !== 0);
    // binomial sd = sqrt(n p (1 − p)) ≈ 145; allow 5 sd
    expect(Math.abs(kept.length - 70_000)).toBeLessThan(5 * 145);
    expect(kept.every((m) => Math.abs(m - 1 / (1 - Math.fround(0.3))) < 1e-12)).toBe(true);
  });
  test('another step or seed gives another mask', () => {
    const a = dropoutMask(1000, 0.5, 1, 0);
    expect(dropoutMask(1000, 0.5, 1, 1)).not.toEqual(a);
    expect(dropoutMask(1000, 0.5, 2, 0)).not.toEqual(a);
    expect(dropoutMask(1000, 0.5, 1, 0)).toEqual(a);
  });
});

describe('backward rules vs finite differences (float64)', () => {
  test('matmul: dA = dC·Bᵀ and dB = Aᵀ·dC, every transpose', () => {
    const r = rng(11);
    const [M, N, K] = [3, 4, 5];
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const a = uniform(r, M * K);
        const b = uniform(r, K * N);
        const w = uniform(r, M * N); // dC
        const spec = { M, N, K, transposeA, transposeB };
        // the backward products, as the graph runner will issue them
        const dAop = matmul(w, b, { M, N: K, K: N, transposeB: !transposeB }); // dC · op(B)ᵀ : M×K
        const dBop = matmul(a, w, { M: K, N, K: M, transposeA: !transposeA }); // op(A)ᵀ · dC : K×N
        // stored layouts: transpose back when the operand is stored transposed
        const dA = transposeA ? transpose(dAop, M, K) : dAop;
        const dB = transposeB ? transpose(dBop, K, N) : dBop;
        expectClose(dA, numericGradient((x) => dot(matmul(x, b, spec), w), a), 1e-6);
        expectClose(dB, numericGradient((x) => dot(matmul(a, x, spec), w), b), 1e-6);
      }
    }
  });

  test('sigmoid and relu', () => {
    const r = rng(12);
    const x = uniform(r, 50, -4, 4);
    const dy = uniform(r, 50);
    expectClose(sigmoidBackward(x, dy), numericGradient((v) => dot(Array.from(v, sigmoid), dy), x), 1e-6);
    expectClose(reluBackward(x, dy), numericGradient((v) => dot(Array.from(v, relu), dy), x), 1e-6);
  });

  test('softmax cross-entropy', () => {
    const r = rng(13);
    const [N, C] = [6, 5];
    const logits = uniform(r, N * C, -3, 3);
    const labels = integers(r, N, C);
    const { grad } = softmaxCrossEntropy(logits, labels, N, C);
    expectClose(grad, numericGradient((z) => softmaxCrossEntropy(z, labels, N, C).loss, logits), 1e-6);
  });

  test('softmax cross-entropy with logits of ±1e4 stays finite', () => {
    const { loss, grad } = softmaxCrossEntropy([1e4, -1e4, 0, -1e4, 1e4, 0], [1, 0], 2, 3);
    expect(loss).toBeCloseTo(2e4, 6);
    expect(grad.every(Number.isFinite)).toBe(true);
  });

  test('dropout is linear: its backward is the same mask', () => {
    const x = uniform(rng(14), 40);
    const dy = uniform(rng(15), 40);
    const g = numericGradient((v) => dot(dropout(v, 0.4, 9, 2), dy), x);
    expectClose(dropout(dy, 0.4, 9, 2), g, 1e-6);
  });

  test.each([
    ['1d training', [5, 3, 1], true],
    ['1d with length, training', [3, 2, 4], true],
    ['2d training', [2, 3, 6], true],
    ['2d batch 1, training', [1, 2, 5], true],
    ['eval', [4, 3, 2], false],
  ] as const)('batch-norm %s', (_, [N, C, S], training) => {
    const r = rng(16 + N * 7 + S);
    const spec: BatchNormSpec = {
      N, C, S, eps: 1e-5, momentum: 0.1, training,
      gamma: uniform(r, C, 0.5, 1.5), beta: uniform(r, C), runningMean: uniform(r, C), runningVar: uniform(r, C, 0.5, 2),
    };
    const x = uniform(r, N * C * S, -2, 2);
    const dy = uniform(r, N * C * S);
    const { dx, dgamma, dbeta } = batchNormBackward(x, dy, spec);
    expectClose(dx, numericGradient((v) => dot(batchNorm(v, spec).y, dy), x), 1e-5);
    const g = numericGradient((v) => dot(batchNorm(x, { ...spec, gamma: v }).y, dy), Float64Array.from(spec.gamma));
    const b = numericGradient((v) => dot(batchNorm(x, { ...spec, beta: v }).y, dy), Float64Array.from(spec.beta));
    expectClose(dgamma, g, 1e-6);
    expectClose(dbeta, b, 1e-6);
  });

  test('batch-norm running statistics use the unbiased variance', () => {
    const x = [1, 2, 3, 4]; // one channel, M = 4: mean 2.5, biased var 1.25, unbiased 5/3
    const out = batchNorm(x, { N: 4, C: 1, S: 1, eps: 1e-5, momentum: 0.1, training: true, gamma: [1], beta: [0], runningMean: [0], runningVar: [1] });
    expect(out.runningMean[0]).toBeCloseTo(0.25, 12);
    expect(out.runningVar[0]).toBeCloseTo(0.9 + 0.1 * (5 / 3), 12);
    expect(out.invstd[0]).toBeCloseTo(1 / Math.sqrt(1.25 + 1e-5), 12);
  });
});

describe('softmax and regression-loss references vs finite differences (float64)', () => {
  test.each([
    [[4, 7], 1],
    [[3, 5, 2], 1],
    [[2, 3, 4], 0],
    [[6, 1], -1],
  ] as const)('softmax and log-softmax of shape %j along dim %d', (shape, dim) => {
    const r = rng(40 + shape.length * 3 + dim);
    const n = shape.reduce((a: number, b: number) => a * b, 1);
    const [x, dy] = [uniform(r, n, -3, 3), uniform(r, n)];
    for (const log of [false, true]) {
      expectClose(softmaxBackward(x, dy, shape, dim, log), numericGradient((v) => dot(softmaxRef(v, shape, dim, log), dy), x), 1e-6);
    }
    // Rows sum to 1, whatever the dimension; a shift of the logits changes nothing.
    const p = softmaxRef(x, shape, dim);
    expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(n / shape.at(dim)!, 12);
    expectClose(softmaxRef(x.map((v) => v + 1e4), shape, dim), p, 1e-9);
  });

  test.each(['mse', 'l1'] as const)('%s loss, every reduction', (kind) => {
    const r = rng(kind === 'mse' ? 50 : 51);
    const [x, t, dy] = [uniform(r, 11, -2, 2), uniform(r, 11, -2, 2), uniform(r, 11)];
    for (const reduction of ['mean', 'sum'] as const) {
      expectClose(regressionLoss(kind, x, t, reduction).grad, numericGradient((v) => regressionLoss(kind, v, t, reduction).loss, x), 1e-6);
    }
    expectClose(regressionLoss(kind, x, t, 'none', dy).grad, numericGradient((v) => dot(regressionLoss(kind, v, t, 'none').elements, dy), x), 1e-6);
    // At x = t: MSE's slope is 0, and L1's is 0 by PyTorch's choice (sign(0) = 0).
    expect(Array.from(regressionLoss(kind, [1.5, -2], [1.5, -2], 'sum').grad)).toEqual([0, 0]);
  });
});
