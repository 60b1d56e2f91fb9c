// shaders/ewa.wgsl: exponentially weighted averages of each row of x (series × steps), with or without
// bias correction.
import { grid1d, loadShader } from '../device/shader';
import { expectDtype, expectRange, expectRank, expectShape } from '../launch';
import * as optimRef from '../reference/optim';
import { uniform } from '../spec/random';
import { kernelCase, type KernelCase, type Spec } from '../spec/scope';
import type { Tensor } from '../tensor';

export const shader = loadShader('ewa');

/** y[s, t] = β·y[s, t − 1] + (1 − β)·x[s, t] from 0; with biasCorrection, divided by 1 − βᵗ⁺¹. */
export function ewa(x: Tensor, y: Tensor, beta: number, biasCorrection: boolean): void {
  const op = 'ewa';
  expectRank(op, 'x', x, [1, 2]);
  expectDtype(op, 'x', x, 'f32');
  expectShape(op, 'y', y, x.shape);
  expectRange(op, 'beta', beta, beta >= 0 && beta < 1, 'a number in [0, 1)');
  const [S, T] = x.shape.length === 1 ? [1, x.shape[0]!] : [x.shape[0]!, x.shape[1]!];
  const entry = shader.entry('ewa');
  x.gpu.dispatch(entry, { params: { S, T, beta }, x, y }, grid1d(entry, S), { BIAS_CORRECTION: biasCorrection });
}

const cases: KernelCase[] = [];
// 65,535 · 64 + 1 series: the grid spills into y.
for (const [S, T, beta, biasCorrection] of [[1, 1, 0.9, false], [16, 30, 0.9, true], [3, 100, 0.98, false], [65535 * 64 + 1, 1, 0.5, true]] as const) {
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
        return {
          run: () => ewa(xt, y, beta, biasCorrection),
          check: () => s.check('y', y, Array.from({ length: S }, (_, i) => Array.from(optimRef.ewa(x.subarray(i * T, (i + 1) * T), beta, biasCorrection))).flat(), 1e-5, 1e-5),
        };
      },
    }),
  );
}

export const spec: Spec = cases;
