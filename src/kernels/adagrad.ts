// shaders/adagrad.wgsl: one torch.optim.Adagrad step over a flat parameter buffer, in one dispatch.
import { grid1d, loadShader } from '../device/shader';
import { expectSameSize } from '../launch';
import * as optimRef from '../reference/optim';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, type KernelCase, type Spec } from '../spec/scope';
import type { Tensor } from '../tensor';

export const shader = loadShader('adagrad');

/** One Adagrad step; clr = lr / (1 + (t − 1)·lr_decay) is the caller's, computed in float64. */
export function adagradStep(param: Tensor, grad: Tensor, stateSum: Tensor, h: { clr: number; weightDecay: number; eps: number; maximize?: boolean }): void {
  expectSameSize('adagradStep', { param, grad, stateSum });
  const params = { n: param.size, clr: h.clr, weight_decay: h.weightDecay, eps: h.eps, grad_sign: h.maximize ? -1 : 1 };
  const entry = shader.entry('adagrad_step');
  param.gpu.dispatch(entry, { params, param, grad, state_sum: stateSum }, grid1d(entry, param.size));
}

const cases: KernelCase[] = [];
for (const [n, o] of [
  [1, { lr: 0.1, lrDecay: 0, weightDecay: 0, eps: 1e-10 }],
  [4096, { lr: 0.1, lrDecay: 0.01, weightDecay: 0.01, eps: 1e-10 }],
  [PAST_GRID_LIMIT, { lr: 0.01, lrDecay: 0, weightDecay: 0, eps: 1e-10 }],
  // maximize negates the gradient only, not the weight decay added to it (as PyTorch).
  [131, { lr: 0.1, lrDecay: 0.01, weightDecay: 0.1, eps: 1e-10, maximize: true }],
] as const) {
  cases.push(
    kernelCase({
      name: `adagrad n=${n} ${n > 1e6 ? 1 : 3} step(s) ${JSON.stringify(o)}`,
      entries: ['adagrad_step'],
      dims: { n },
      showcase: n === 4096,
      setup(s, { n }, random) {
        const theta = uniform(random, n);
        const grads = Array.from({ length: n > 1e6 ? 1 : 3 }, () => uniform(random, n));
        const [param, sum] = [s.input(theta), s.input(new Float32Array(n))];
        const gradTensors = grads.map((g) => s.input(g));
        return {
          run: () => gradTensors.forEach((grad, step) => {
            adagradStep(param, grad, sum, { clr: o.lr / (1 + step * o.lrDecay), weightDecay: o.weightDecay, eps: o.eps, maximize: 'maximize' in o && o.maximize });
          }),
          check: async () => {
            const p = Float64Array.from(theta);
            const state = { sum: new Float64Array(n), step: 0 };
            for (const g of grads) optimRef.adagradStep(p, g, state, o);
            await s.check('param', param, p, 1e-6, 1e-5);
          },
        };
      },
    }),
  );
}
// The bench: one step at each size, the running sum read and written (20 bytes an element).
cases.push(
  kernelCase({
    name: 'adagrad bench one step {"lr":0.01}',
    entries: ['adagrad_step'],
    dims: { n: 1000 },
    setup(s, { n }, random) {
      const o = { lr: 0.01, lrDecay: 0, weightDecay: 0, eps: 1e-10 };
      const [theta, g, sum0] = [uniform(random, n), uniform(random, n), uniform(random, n, 0, 1)];
      const [param, grad, sum] = [s.input(theta), s.input(g), s.input(sum0, [n], 'f32', 'state sum')];
      return {
        run: () => adagradStep(param, grad, sum, { clr: o.lr, weightDecay: 0, eps: o.eps, maximize: false }),
        check: async () => {
          const p = Float64Array.from(theta);
          optimRef.adagradStep(p, g, { sum: Float64Array.from(sum0), step: 0 }, o);
          await s.check('param', param, p, 1e-6, 1e-5);
        },
      };
    },
    bench: { sizes: [1e3, 1e4, 1e5, 1e6, 1e7].map((n) => ({ n })), bytes: (d) => 20 * d.n! },
  }),
);

export const spec: Spec = cases;
