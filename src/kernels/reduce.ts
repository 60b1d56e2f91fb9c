// shaders/reduce.wgsl: column sums, out[n] = Σ_m x[m, n] (a bias's gradient); and F.sum's backward.
import { grid1d, loadShader } from '../device/shader';
import { expectDtype, expectRank, expectShape } from '../launch';
import * as ref from '../reference/linalg';
import { uniform } from '../spec/random';
import { kernelCase, type KernelCase, type Spec } from '../spec/scope';
import type { BackwardRule, Tensor } from '../tensor';
import { fillConstant } from './init';

export const shader = loadShader('reduce');

/** out[n] = Σ_m x[m, n]; with accumulate, out[n] += …. */
export function sumRows(x: Tensor, out: Tensor, accumulate = false): void {
  const op = 'sumRows';
  expectRank(op, 'x', x, [2]);
  expectDtype(op, 'x', x, 'f32');
  const [M, N] = [x.shape[0]!, x.shape[1]!];
  expectShape(op, 'out', out, [N]);
  const entry = shader.entry('sum_rows');
  x.gpu.dispatch(entry, { params: { M, N }, x, out }, grid1d(entry, N), { ACCUMULATE: accumulate });
}

export const gradients = {
  /** s = Σ x: ds/dx = 1 everywhere (the sum is the root of backward). */
  sum: (x: Tensor): BackwardRule => (ctx, ds) => {
    if (ds !== null) throw new Error('sum: backward must start at the sum itself (its gradient is 1)');
    const { grad, accumulate } = ctx.target(x);
    fillConstant(grad, 1, accumulate);
  },
};

const cases: KernelCase[] = [];
// 65,535 · 64 + 1 columns: the grid spills into y.
for (const [M, N, accumulate] of [[1, 1, false], [8, 128, true], [1000, 3, false], [3, 4099, false], [256, 100, false], [2, 65535 * 64 + 1, false]] as const) {
  cases.push(kernelCase({
    name: `sum rows ${M}×${N}${accumulate ? ' accumulate' : ''}`,
    entries: ['sum_rows'],
    dims: { M, N },
    showcase: M === 256,
    setup(s, { M, N }, random) {
      const x = uniform(random, M * N);
      const previous = uniform(random, N);
      const out = s.output([N]);
      if (accumulate) out.write(previous);
      const xt = s.input(x, [M, N]);
      return {
        run: () => sumRows(xt, out, accumulate),
        check: () => s.check('out', out, ref.sumRows(x, M, N).map((v, i) => v + (accumulate ? previous[i]! : 0)), 1e-6 * M, 1e-5),
      };
    },
  }));
}

export const spec: Spec = cases;
