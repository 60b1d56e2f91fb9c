// The 3-D convolution and pooling references checked on their own, in float64 with no GPU: a small
// answer by hand, a depth of 1 against the 2-D references (written separately, from the same
// definitions), and every backward against central finite differences of Σ dy · forward(x).
import { describe, expect, test } from 'vitest';
import * as ref2d from '../src/reference/conv';
import * as ref from '../src/reference/conv3d';
import { rng, uniform } from '../src/spec/random';
import { dot, expectClose, numericGradient } from './support/numeric';

const size = (shape: readonly number[]) => shape.reduce((a, v) => a * v, 1);

describe('conv3d reference', () => {
  test('a 2×2×2 volume and a 2×2×2 kernel of ones, by hand: the sum, and with padding 1 stride 2 the eight corners', () => {
    const x = Float64Array.from({ length: 8 }, (_, i) => i + 1);
    const spec: ref.Conv3dSpec = { N: 1, C: 1, size: [2, 2, 2], F: 1, kernel: [2, 2, 2] };
    expect(Array.from(ref.conv3d(x, new Array(8).fill(1), [10], spec))).toEqual([46]);
    expect(Array.from(ref.conv3d(x, new Array(8).fill(1), null, { ...spec, padding: [1, 1, 1], stride: [2, 2, 2] }))).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  test('a depth of 1 is the 2-D convolution (strides, padding, dilation, groups)', () => {
    const random = rng(5);
    const [N, C, H, W, F] = [2, 4, 7, 6, 6];
    const x = uniform(random, N * C * H * W);
    const w = uniform(random, F * 2 * 3 * 2);
    const b = uniform(random, F);
    const spec2d: ref2d.Conv2dSpec = { N, C, H, W, F, KH: 3, KW: 2, stride: [2, 1], padding: [1, 1], dilation: [1, 2], groups: 2 };
    const spec: ref.Conv3dSpec = { N, C, size: [1, H, W], F, kernel: [1, 3, 2], stride: [3, 2, 1], padding: [0, 1, 1], dilation: [2, 1, 2], groups: 2 };
    expectClose(ref.conv3d(x, w, b, spec), ref2d.conv2d(x, w, b, spec2d), 1e-12);
    const dy = uniform(random, size(ref.conv3dOutputShape(spec)));
    const [ours, theirs] = [ref.conv3dBackward(x, w, dy, spec), ref2d.conv2dBackward(x, w, dy, spec2d)];
    expectClose(ours.dx, theirs.dx, 1e-12);
    expectClose(ours.dw, theirs.dw, 1e-12);
  });

  test.each<ref.Conv3dSpec>([
    { N: 2, C: 3, size: [3, 4, 5], F: 2, kernel: [2, 3, 2] },
    { N: 1, C: 4, size: [5, 4, 6], F: 6, kernel: [3, 2, 3], stride: [2, 1, 3], padding: [1, 0, 2], dilation: [1, 2, 1], groups: 2 },
  ])('backward matches finite differences: %j', (spec) => {
    const random = rng(7);
    const x = uniform(random, spec.N * spec.C * size(spec.size));
    const w = uniform(random, spec.F * (spec.C / (spec.groups ?? 1)) * size(spec.kernel));
    const b = uniform(random, spec.F);
    const dy = uniform(random, size(ref.conv3dOutputShape(spec)));
    const { dx, dw, db } = ref.conv3dBackward(x, w, dy, spec);
    expectClose(dx, numericGradient((v) => dot(dy, ref.conv3d(v, w, b, spec)), x), 1e-7);
    expectClose(dw, numericGradient((v) => dot(dy, ref.conv3d(x, v, b, spec)), w), 1e-7);
    expectClose(db, numericGradient((v) => dot(dy, ref.conv3d(x, w, v, spec)), b), 1e-7);
  });
});

describe('3-D pooling references', () => {
  test('a depth of 1 is the 2-D pooling: max (values and indices), avg with and without the padding counted, adaptive', () => {
    const random = rng(11);
    const [N, C, H, W] = [2, 3, 7, 8];
    const x = uniform(random, N * C * H * W);
    const spec2d: ref2d.Pool2dSpec = { N, C, H, W, KH: 3, KW: 2, stride: [2, 3], padding: [1, 1], dilation: [2, 1] };
    const spec: ref.Pool3dSpec = { N, C, size: [1, H, W], kernel: [1, 3, 2], stride: [1, 2, 3], padding: [0, 1, 1], dilation: [1, 2, 1] };
    const [ours, theirs] = [ref.maxPool3d(x, spec), ref2d.maxPool2d(x, spec2d)];
    expectClose(ours.y, theirs.y, 0);
    expect(Array.from(ours.indices)).toEqual(Array.from(theirs.indices));
    for (const countIncludePad of [true, false]) {
      const [a, b] = [{ ...spec, dilation: [1, 1, 1] as ref.Triple, countIncludePad }, { ...spec2d, dilation: [1, 1] as [number, number], countIncludePad }];
      expectClose(ref.avgPool3d(x, a), ref2d.avgPool2d(x, b), 1e-12);
    }
    const adaptive: ref.AdaptivePool3dSpec = { N, C, size: [1, H, W], out: [1, 3, 5] };
    const adaptive2d: ref2d.AdaptivePool2dSpec = { N, C, H, W, OH: 3, OW: 5 };
    expectClose(ref.adaptiveAvgPool3d(x, adaptive), ref2d.adaptiveAvgPool2d(x, adaptive2d), 1e-12);
    expect(Array.from(ref.adaptiveMaxPool3d(x, adaptive).indices)).toEqual(Array.from(ref2d.adaptiveMaxPool2d(x, adaptive2d).indices));
  });

  test('max pool by hand: ties keep the first maximum in window order (depth, then row, then column)', () => {
    const x = [1, 5, 5, 0, 5, 2, 3, 4];
    const { y, indices } = ref.maxPool3d(x, { N: 1, C: 1, size: [2, 2, 2], kernel: [2, 2, 2] });
    expect(Array.from(y)).toEqual([5]);
    expect(Array.from(indices)).toEqual([1]);
  });

  test('every backward matches finite differences', () => {
    const random = rng(13);
    const spec: ref.Pool3dSpec = { N: 1, C: 2, size: [5, 4, 6], kernel: [3, 2, 3], stride: [2, 1, 2], padding: [1, 1, 1] };
    const x = uniform(random, 2 * 5 * 4 * 6); // distinct values: no ties
    const max = ref.maxPool3d(x, { ...spec, dilation: [1, 2, 1] });
    const dyMax = uniform(random, max.y.length);
    expectClose(ref.maxPool3dBackward(dyMax, max.indices, spec), numericGradient((v) => dot(dyMax, ref.maxPool3d(v, { ...spec, dilation: [1, 2, 1] }).y), x), 1e-7);
    for (const countIncludePad of [true, false]) {
      const s = { ...spec, countIncludePad };
      const dy = uniform(random, size(ref.pool3dOutputShape(s)));
      expectClose(ref.avgPool3dBackward(dy, s), numericGradient((v) => dot(dy, ref.avgPool3d(v, s)), x), 1e-7);
    }
    const adaptive: ref.AdaptivePool3dSpec = { N: 1, C: 2, size: [5, 4, 6], out: [3, 5, 4] };
    const dy = uniform(random, 2 * 3 * 5 * 4);
    expectClose(ref.adaptiveAvgPool3dBackward(dy, adaptive), numericGradient((v) => dot(dy, ref.adaptiveAvgPool3d(v, adaptive)), x), 1e-7);
    const { indices } = ref.adaptiveMaxPool3d(x, adaptive);
    expectClose(ref.maxPool3dBackward(dy, indices, adaptive), numericGradient((v) => dot(dy, ref.adaptiveMaxPool3d(v, adaptive).y), x), 1e-6);
  });
});
