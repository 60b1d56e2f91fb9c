// shaders/sgd.wgsl: one torch.optim.SGD step (momentum, dampening, weight decay, Nesterov) over a
// flat parameter buffer, in one dispatch.
import { grid1d, loadShader } from '../device/shader';
import { expectSameSize } from '../launch';
import * as optimRef from '../reference/optim';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, type KernelCase, type Spec } from '../spec/scope';
import type { Tensor } from '../tensor';

export const shader = loadShader('sgd');

export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** True on the first step: the momentum buffer starts as the gradient. */
  firstStep: boolean;
  maximize?: boolean;
}

export function sgdStep(param: Tensor, grad: Tensor, momentumBuffer: Tensor | undefined, h: SgdHyper): void {
  const op = 'sgdStep';
  expectSameSize(op, { param, grad, momentumBuffer });
  if (h.momentum !== 0 && !momentumBuffer) throw new Error(`${op}: argument 'momentumBuffer' is required with momentum`);
  const params = { n: param.size, lr: h.lr, momentum: h.momentum, one_minus_dampening: 1 - h.dampening, weight_decay: h.weightDecay, grad_sign: h.maximize ? -1 : 1, first_step: h.firstStep ? 1 : 0 };
  const entry = shader.entry('sgd_step');
  param.gpu.dispatch(entry, { params, param, grad, momentum_buffer: momentumBuffer ?? param.gpu.placeholders[0] }, grid1d(entry, param.size), { NESTEROV: h.nesterov });
}

const cases: KernelCase[] = [];
for (const [n, o] of [
  [1, { lr: 0.1, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false }],
  [4096, { lr: 0.1, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false }],
  [777, { lr: 0.05, momentum: 0.8, dampening: 0, weightDecay: 0.01, nesterov: true }],
  [PAST_GRID_LIMIT, { lr: 0.01, momentum: 0.9, dampening: 0.3, weightDecay: 0.01, nesterov: false }],
  // Dampening acts from the second step on (the first copies the gradient): 3 steps, and maximize.
  [131, { lr: 0.05, momentum: 0.9, dampening: 0.3, weightDecay: 0.01, nesterov: false, maximize: true }],
] as const) {
  cases.push(
    kernelCase({
      name: `sgd n=${n} ${n > 1e6 ? 1 : 3} step(s) ${JSON.stringify(o)}`,
      entries: ['sgd_step'],
      dims: { n },
      showcase: n === 4096,
      setup(s, { n }, random) {
        const theta = uniform(random, n);
        const grads = Array.from({ length: n > 1e6 ? 1 : 3 }, () => uniform(random, n));
        const [param, buffer] = [s.input(theta), s.output([n], 'momentum buffer')];
        const gradTensors = grads.map((g) => s.input(g));
        return {
          run: () => gradTensors.forEach((grad, step) => {
            sgdStep(param, grad, buffer, { ...o, firstStep: step === 0 });
          }),
          check: async () => {
            const p = Float64Array.from(theta);
            const state = { buf: null };
            for (const g of grads) optimRef.sgdStep(p, g, state, o);
            await s.check('param', param, p, 1e-6, 1e-5);
          },
        };
      },
    }),
  );
}
// The bench: one step with momentum at each size, the buffer read and written (20 bytes an element).
cases.push(
  kernelCase({
    name: 'sgd bench one step {"lr":0.01,"momentum":0.9}',
    entries: ['sgd_step'],
    dims: { n: 1000 },
    setup(s, { n }, random) {
      const o = { lr: 0.01, momentum: 0.9, dampening: 0, weightDecay: 0, nesterov: false };
      const [theta, g, b] = [uniform(random, n), uniform(random, n), uniform(random, n)];
      const [param, grad, buffer] = [s.input(theta), s.input(g), s.input(b, [n], 'f32', 'momentum buffer')];
      return {
        run: () => sgdStep(param, grad, buffer, { ...o, firstStep: false }),
        check: async () => {
          const p = Float64Array.from(theta);
          optimRef.sgdStep(p, g, { buf: Float64Array.from(b) }, o);
          await s.check('param', param, p, 1e-6, 1e-5);
        },
      };
    },
    bench: { sizes: [1e3, 1e4, 1e5, 1e6, 1e7].map((n) => ({ n })), bytes: (d) => 20 * d.n! },
  }),
);

export const spec: Spec = cases;
