// shaders/ewa.wgsl: exponentially weighted averages of each row of x (series × steps), with or without
// bias correction.
import { grid1d, loadShader } from '../device/shader';
import { expectDtype, expectRange, expectRank, expectShape } from '../launch';
import * as optimRef from '../reference/optim';
import { uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import { Tensor } from '../tensor';

export const shader = loadShader('ewa');

// Each (β, T)'s table of 1 / (1 − βᵗ), t = 1 … T, computed once in float64 and kept on the GPU.
const ewaCorrections = new WeakMap<Tensor['gpu'], Map<string, Tensor>>();

function ewaCorrection(gpu: Tensor['gpu'], beta: number, T: number): Tensor {
  const tables = ewaCorrections.get(gpu) ?? new Map<string, Tensor>();
  ewaCorrections.set(gpu, tables);
  const key = `${beta}:${T}`;
  let table = tables.get(key);
  if (!table) {
    table = Tensor.fromArray(gpu, Float64Array.from({ length: T }, (_, t) => 1 / (1 - beta ** (t + 1))), [T], 'f32', `ewa 1/(1 − β^t), β = ${beta}`);
    tables.set(key, table);
  }
  return table;
}

/** Exponentially weighted averages of each row of x (series × steps) into y. */
export function ewa(x: Tensor, y: Tensor, beta: number, biasCorrection: boolean): void {
  const op = 'ewa';
  expectRank(op, 'x', x, [1, 2]);
  expectDtype(op, 'x', x, 'f32');
  expectShape(op, 'y', y, x.shape);
  expectRange(op, 'beta', beta, beta >= 0 && beta < 1, 'a number in [0, 1)');
  const [S, T] = x.shape.length === 1 ? [1, x.shape[0]!] : [x.shape[0]!, x.shape[1]!];
  const inverse_correction = biasCorrection ? ewaCorrection(x.gpu, beta, T) : x.gpu.placeholders[0];
  const entry = shader.entry('ewa');
  x.gpu.dispatch(entry, { params: { S, T, beta, one_minus_beta: 1 - beta }, x, inverse_correction, y }, grid1d(entry, S), { BIAS_CORRECTION: biasCorrection });
}

const cases: KernelCase[] = [];
// 65,535 · 64 + 1 series: the grid spills into y.
for (const [S, T, beta, biasCorrection] of [[1, 1, 0.9, false], [16, 30, 0.9, true], [3, 100, 0.98, false], [70, 4, 0.9, true], [65535 * 64 + 1, 1, 0.5, true]] as const) {
  cases.push(
    kernelCase({
      name: `ewa ${S}×${T} β=${beta}${biasCorrection ? ' corrected' : ''}`,
      entries: ['ewa'],
      dims: { S, T, beta },
      showcase: S === 16,
      setup(s, { S, T, beta }, random) {
        const x = uniform(random, S * T, 10, 25);
        const y = s.output([S, T]);
        const xt = s.input(x, [S, T]);
        if (biasCorrection) ewaCorrection(s.gpu, beta, T); // its upload now, not inside a timed run
        const expected = new Float64Array(S * T);
        for (let i = 0; i < S; i++) expected.set(optimRef.ewa(x.subarray(i * T, (i + 1) * T), beta, biasCorrection), i * T);
        return { run: () => ewa(xt, y, beta, biasCorrection), check: () => s.check('y', y, expected, 1e-5, 1e-5) };
      },
      // Series of 100 steps, as many as the size allows: reads x, writes y.
      ...(T === 100 ? { bench: { sizes: [1e4, 1e6, 1e7].map((n) => ({ S: n / 100, T: 100, beta })), bytes: (d: { S?: number; T?: number }) => 8 * d.S! * d.T! } } : {}),
    }),
  );
}

// The correction tables are kept per (β, T): a table made for a short series must not serve a longer
// one with the same β (the cases above run the long series first, which would hide that).
cases.push(
  testCase('ewa: one β over 4 steps, then over 30, each with its own bias correction', async (s, random) => {
    const beta = 0.77;
    for (const T of [4, 30]) {
      const x = uniform(random, 2 * T, 10, 25);
      const y = s.output([2, T], `y, T = ${T}`);
      ewa(s.input(x, [2, T]), y, beta, true);
      const expected = new Float64Array(2 * T);
      for (let i = 0; i < 2; i++) expected.set(optimRef.ewa(x.subarray(i * T, (i + 1) * T), beta, true), i * T);
      await s.check(`y, T = ${T}`, y, expected, 1e-5, 1e-5);
    }
  }),
);

export const spec: Spec = cases;
