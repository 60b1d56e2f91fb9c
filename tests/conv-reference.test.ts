// The conv2d and pooling references checked on their own, in float64 with no GPU: small answers
// worked by hand, grouped convolution against separate convolutions, and every backward against
// central finite differences of Σ dy · forward(x).
import { describe, expect, test } from 'vitest';
import * as ref from '../src/reference/conv';
import { rng, uniform } from '../src/spec/random';
import { dot, expectClose, numericGradient } from './support/numeric';

describe('conv2d reference', () => {
  test('a 3×3 image and a 2×2 kernel of ones, by hand', () => {
    const x = Float64Array.from({ length: 9 }, (_, i) => i + 1);
    const spec = { N: 1, C: 1, H: 3, W: 3, F: 1, KH: 2, KW: 2 };
    expect(Array.from(ref.conv2d(x, [1, 1, 1, 1], [10], spec))).toEqual([22, 26, 34, 38]);
    // padding 1, stride 2: the corners of the padded 5×5 grid
    expect(Array.from(ref.conv2d(x, [1, 1, 1, 1], null, { ...spec, padding: [1, 1], stride: [2, 2] }))).toEqual([1, 5, 11, 28]);
    // dilation 2: the four corners of the image
    expect(Array.from(ref.conv2d(x, [1, 1, 1, 1], null, { ...spec, dilation: [2, 2] }))).toEqual([1 + 3 + 7 + 9]);
  });

  test('output size follows PyTorch, and is ≤ 0 when the kernel does not fit', () => {
    expect(ref.outputSize(28, 3, 1, 1, 1)).toBe(28);
    expect(ref.outputSize(7, 3, 2, 0, 1)).toBe(3);
    expect(ref.outputSize(8, 3, 3, 1, 2)).toBe(2);
    expect(ref.outputSize(2, 5, 1, 1, 1)).toBeLessThanOrEqual(0);
  });

  test('groups = 2 equals two separate convolutions on the halves', () => {
    const random = rng(3);
    const [N, C, H, W, F, K] = [2, 4, 5, 6, 6, 3];
    const x = uniform(random, N * C * H * W);
    const w = uniform(random, F * (C / 2) * K * K);
    const grouped = ref.conv2d(x, w, null, { N, C, H, W, F, KH: K, KW: K, groups: 2, padding: [1, 0] });
    const [OH, OW] = [5, 4];
    for (let g = 0; g < 2; g++) {
      const xs = new Float64Array(N * 2 * H * W);
      for (let n = 0; n < N; n++) xs.set(x.subarray((n * C + 2 * g) * H * W, (n * C + 2 * g + 2) * H * W), n * 2 * H * W);
      const ws = w.subarray(g * 3 * 2 * K * K, (g + 1) * 3 * 2 * K * K);
      const part = ref.conv2d(xs, ws, null, { N, C: 2, H, W, F: 3, KH: K, KW: K, padding: [1, 0] });
      for (let n = 0; n < N; n++) {
        expectClose(grouped.subarray((n * F + 3 * g) * OH * OW, (n * F + 3 * g + 3) * OH * OW), part.subarray(n * 3 * OH * OW, (n + 1) * 3 * OH * OW), 1e-12);
      }
    }
  });

  test.each([
    { N: 2, C: 3, H: 5, W: 4, F: 2, KH: 3, KW: 2 },
    { N: 1, C: 4, H: 7, W: 6, F: 6, KH: 3, KW: 3, stride: [2, 3] as [number, number], padding: [1, 2] as [number, number], dilation: [2, 1] as [number, number], groups: 2 },
    { N: 2, C: 3, H: 4, W: 4, F: 3, KH: 3, KW: 3, padding: [1, 1] as [number, number], groups: 3 },
  ])('backward matches finite differences: %j', (spec) => {
    const random = rng(7);
    const x = uniform(random, spec.N * spec.C * spec.H * spec.W);
    const w = uniform(random, spec.F * (spec.C / (spec.groups ?? 1)) * spec.KH * spec.KW);
    const b = uniform(random, spec.F);
    const dy = uniform(random, ref.conv2dOutputShape(spec).reduce((a, v) => a * v, 1));
    const { dx, dw, db } = ref.conv2dBackward(x, w, dy, spec);
    expectClose(dx, numericGradient((v) => dot(dy, ref.conv2d(v, w, b, spec)), x), 1e-7);
    expectClose(dw, numericGradient((v) => dot(dy, ref.conv2d(x, v, b, spec)), w), 1e-7);
    expectClose(db, numericGradient((v) => dot(dy, ref.conv2d(x, w, v, spec)), b), 1e-7);
  });
});

describe('pooling references', () => {
  test('max pool by hand: ties keep the first maximum in window order', () => {
    const x = [1, 3, 3, 0, 2, 3, 1, 1, 5, 5, 0, 0, 5, 5, 0, 7];
    const { y, indices } = ref.maxPool2d(x, { N: 1, C: 1, H: 4, W: 4, KH: 2, KW: 2 });
    expect(Array.from(y)).toEqual([3, 3, 5, 7]);
    expect(Array.from(indices)).toEqual([1, 2, 8, 15]);
  });

  test('avg pool by hand, with and without the padding counted', () => {
    const x = [1, 2, 3, 4];
    const spec = { N: 1, C: 1, H: 2, W: 2, KH: 2, KW: 2, stride: [1, 1] as [number, number], padding: [1, 1] as [number, number] };
    expect(Array.from(ref.avgPool2d(x, spec))).toEqual([1 / 4, 3 / 4, 2 / 4, 4 / 4, 10 / 4, 6 / 4, 3 / 4, 7 / 4, 4 / 4]);
    expect(Array.from(ref.avgPool2d(x, { ...spec, countIncludePad: false }))).toEqual([1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4]);
  });

  test.each([
    { N: 2, C: 3, H: 5, W: 7, KH: 2, KW: 3 },
    { N: 1, C: 2, H: 7, W: 6, KH: 3, KW: 3, stride: [2, 1] as [number, number], padding: [1, 1] as [number, number] },
    { N: 1, C: 1, H: 9, W: 8, KH: 3, KW: 2, stride: [2, 3] as [number, number], padding: [1, 1] as [number, number], dilation: [2, 3] as [number, number] },
  ])('max pool backward matches finite differences: %j', (spec) => {
    const random = rng(11);
    const x = uniform(random, spec.N * spec.C * spec.H * spec.W); // distinct values: no ties
    const { y, indices } = ref.maxPool2d(x, spec);
    const dy = uniform(random, y.length);
    expectClose(ref.maxPool2dBackward(dy, indices, spec), numericGradient((v) => dot(dy, ref.maxPool2d(v, spec).y), x), 1e-7);
  });

  test.each([true, false])('avg pool backward matches finite differences (count_include_pad %s)', (countIncludePad) => {
    const random = rng(13);
    const spec = { N: 2, C: 2, H: 7, W: 5, KH: 3, KW: 2, stride: [2, 1] as [number, number], padding: [1, 1] as [number, number], countIncludePad };
    const x = uniform(random, spec.N * spec.C * spec.H * spec.W);
    const dy = uniform(random, ref.pool2dOutputShape(spec).reduce((a, v) => a * v, 1));
    expectClose(ref.avgPool2dBackward(dy, spec), numericGradient((v) => dot(dy, ref.avgPool2d(v, spec)), x), 1e-7);
  });

  test('adaptive avg pool to 1×1: plane means, and its backward matches finite differences', () => {
    const random = rng(17);
    const x = uniform(random, 3 * 10);
    const spec = { N: 1, C: 3, H: 2, W: 5, OH: 1, OW: 1 };
    const y = ref.adaptiveAvgPool2d(x, spec);
    expectClose(y, [0, 1, 2].map((p) => x.subarray(p * 10, p * 10 + 10).reduce((a, v) => a + v, 0) / 10), 1e-12);
    const dy = uniform(random, 3);
    expectClose(ref.adaptiveAvgPool2dBackward(dy, spec), numericGradient((v) => dot(dy, ref.adaptiveAvgPool2d(v, spec)), x), 1e-7);
  });

  test("adaptive pooling's bins are PyTorch's: ⌊o·H/OH⌋ to ⌈(o + 1)·H/OH⌉, overlapping where OH does not divide H", () => {
    // 5 rows to 3: bins [0, 2), [1, 4), [3, 5); 2 columns to 4: [0, 1), [0, 1), [1, 2), [1, 2).
    const spec = { N: 1, C: 1, H: 5, W: 2, OH: 3, OW: 4 };
    const x = Float64Array.from({ length: 10 }, (_, i) => 10 * Math.floor(i / 2) + (i % 2)); // 10·h + w
    const rows = [[0, 1], [1, 2, 3], [3, 4]];
    const expected = rows.flatMap((r) => [0, 0, 1, 1].map((w) => r.reduce((a, h) => a + 10 * h + w, 0) / r.length));
    expectClose(ref.adaptiveAvgPool2d(x, spec), expected, 1e-12);
    expect(Array.from(ref.adaptiveMaxPool2d(x, spec).y)).toEqual([10, 10, 11, 11, 30, 30, 31, 31, 40, 40, 41, 41]);
    const random = rng(19);
    const xr = uniform(random, 2 * 3 * 7 * 4);
    const spec2 = { N: 2, C: 3, H: 7, W: 4, OH: 3, OW: 6 };
    const dy = uniform(random, 2 * 3 * 3 * 6);
    expectClose(ref.adaptiveAvgPool2dBackward(dy, spec2), numericGradient((v) => dot(dy, ref.adaptiveAvgPool2d(v, spec2)), xr), 1e-7);
    const { indices } = ref.adaptiveMaxPool2d(xr, spec2);
    expectClose(ref.adaptiveMaxPool2dBackward(dy, indices, spec2), numericGradient((v) => dot(dy, ref.adaptiveMaxPool2d(v, spec2).y), xr), 1e-6);
  });
});
