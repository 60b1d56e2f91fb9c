// shaders/adamax.wgsl: one torch.optim.Adamax step over flat parameter, gradient and state buffers,
// in one dispatch.
import { grid1d, loadShader } from '../device/shader';
import { expectRange, expectSameSize } from '../launch';
import * as optimRef from '../reference/optim';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { optimizerBench } from '../spec/optimizer-bench';
import { kernelCase, type KernelCase, type Spec } from '../spec/scope';
import type { Tensor } from '../tensor';

export const shader = loadShader('adamax');

export interface AdamaxHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** The step being taken, counting from 1. */
  step: number;
  maximize?: boolean;
}

/** One Adamax step; 1 − β1 and lr / (1 − β1ᵗ) computed here in float64, rounded to float32 once. */
export function adamaxStep(param: Tensor, grad: Tensor, s: { expAvg: Tensor; expInf: Tensor }, h: AdamaxHyper): void {
  const op = 'adamaxStep';
  expectSameSize(op, { param, grad, expAvg: s.expAvg, expInf: s.expInf });
  expectRange(op, 'step', h.step, Number.isInteger(h.step) && h.step >= 1, 'an integer ≥ 1');
  const params = { n: param.size, beta1: h.beta1, one_minus_beta1: 1 - h.beta1, beta2: h.beta2, eps: h.eps, weight_decay: h.weightDecay, grad_sign: h.maximize ? -1 : 1, clr: h.lr / (1 - h.beta1 ** h.step) };
  const entry = shader.entry('adamax_step');
  param.gpu.dispatch(entry, { params, param, grad, exp_avg: s.expAvg, exp_inf: s.expInf }, grid1d(entry, param.size));
}

const defaults = { lr: 2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
const cases: KernelCase[] = [];
for (const [n, options] of [
  [1, {}],
  [4096, {}],
  [777, { lr: 0.05, beta1: 0.5, beta2: 0.9, weightDecay: 0.1, maximize: true }],
  // eps as large as |g| (gradients of about ±0.5): whether eps is inside the maximum shows.
  [1001, { eps: 0.3 }],
  [PAST_GRID_LIMIT, {}],
] as const) {
  const o: optimRef.AdamaxOptions = { ...defaults, ...options };
  const steps = n > 1e6 ? 2 : 6;
  cases.push(
    kernelCase({
      name: `adamax n=${n} ${steps} steps ${JSON.stringify(options)}`,
      entries: ['adamax_step'],
      dims: { n },
      showcase: n === 4096,
      setup(s, { n }, random) {
        const theta = uniform(random, n);
        // Gradients shrinking step by step: exp_inf is then the decayed maximum, not the latest |g|.
        const grads = Array.from({ length: steps }, (_, t) => uniform(random, n, -1 / (t + 1), 1 / (t + 1)));
        const zeros = new Float32Array(n);
        const param = s.input(theta);
        const state = { expAvg: s.input(zeros), expInf: s.input(zeros) };
        const gradTensors = grads.map((g) => s.input(g));
        return {
          run: () => gradTensors.forEach((grad, t) => adamaxStep(param, grad, state, { ...o, step: t + 1 })),
          check: async () => {
            const p = Float64Array.from(theta);
            const ref = { expAvg: new Float64Array(n), expInf: new Float64Array(n), step: 0 };
            for (const g of grads) optimRef.adamaxStep(p, g, ref, o);
            await s.check('param', param, p, 2e-6, 2e-5);
            await s.check('exp_inf', state.expInf, ref.expInf, 1e-7, 1e-5);
          },
        };
      },
    }),
  );
}

// The bench: one step at each size, exp_avg and exp_inf read and written (28 bytes an element).
cases.push(
  optimizerBench({
    family: 'adamax',
    entry: 'adamax_step',
    state: ['expAvg', 'expInf'],
    bytes: 28,
    step: (param, grad, st) => adamaxStep(param, grad, st as { expAvg: Tensor; expInf: Tensor }, { ...defaults, step: 1 }),
    reference: (p, g) => optimRef.adamaxStep(p, g, { expAvg: new Float64Array(p.length), expInf: new Float64Array(p.length), step: 0 }, defaults),
    tolerance: [2e-6, 2e-5],
  }),
);

export const spec: Spec = cases;
