// shaders/asgd.wgsl: one torch.optim.ASGD step over flat parameter, gradient and average buffers, in
// one dispatch. The step size η and averaging weight μ are the caller's (per parameter, on the CPU).
import { grid1d, loadShader } from '../device/shader';
import { expectSameSize } from '../launch';
import * as optimRef from '../reference/optim';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { optimizerBench } from '../spec/optimizer-bench';
import { kernelCase, type KernelCase, type Spec } from '../spec/scope';
import type { Tensor } from '../tensor';

export const shader = loadShader('asgd');

export interface AsgdHyper {
  lambd: number;
  /** This step's η and μ (PyTorch's state['eta'], state['mu']: lr and 1 at a parameter's first step). */
  eta: number;
  mu: number;
  weightDecay: number;
  maximize?: boolean;
}

export function asgdStep(param: Tensor, grad: Tensor, ax: Tensor, h: AsgdHyper): void {
  expectSameSize('asgdStep', { param, grad, ax });
  const params = { n: param.size, decay_factor: 1 - h.lambd * h.eta, eta: h.eta, mu: h.mu, weight_decay: h.weightDecay, grad_sign: h.maximize ? -1 : 1, averaging: h.mu !== 1 ? 1 : 0 };
  const entry = shader.entry('asgd_step');
  param.gpu.dispatch(entry, { params, param, grad, ax }, grid1d(entry, param.size));
}

/** η and μ for the step after step t (PyTorch's, rounded to float32 as its state tensors are). */
export function asgdSchedule(t: number, o: { lr: number; lambd: number; alpha: number; t0: number }): { eta: number; mu: number } {
  return { eta: Math.fround(o.lr / (1 + o.lambd * o.lr * t) ** o.alpha), mu: Math.fround(1 / Math.max(1, t - o.t0)) };
}

const defaults = { lr: 0.01, lambd: 1e-4, alpha: 0.75, t0: 1e6, weightDecay: 0 };
const cases: KernelCase[] = [];
for (const [n, options] of [
  [1, {}],
  [4096, { t0: 3 }],
  // A strong decay and fast-falling step sizes, averaging from step 2; maximize.
  [777, { lr: 0.5, lambd: 0.5, alpha: 1, t0: 1, weightDecay: 0.1, maximize: true }],
  [PAST_GRID_LIMIT, { t0: 1 }],
] as const) {
  const o: optimRef.AsgdOptions = { ...defaults, ...options };
  const steps = n > 1e6 ? 3 : 8;
  cases.push(
    kernelCase({
      name: `asgd n=${n} ${steps} steps ${JSON.stringify(options)}`,
      entries: ['asgd_step'],
      dims: { n },
      showcase: n === 4096,
      setup(s, { n }, random) {
        const theta = uniform(random, n);
        const grads = Array.from({ length: steps }, () => uniform(random, n));
        const param = s.input(theta);
        const ax = s.input(new Float32Array(n).fill(Number.NaN)); // the first step must not read it
        const gradTensors = grads.map((g) => s.input(g));
        return {
          run: () => {
            let [eta, mu] = [Math.fround(o.lr), 1];
            gradTensors.forEach((grad, t) => {
              asgdStep(param, grad, ax, { ...o, eta, mu });
              ({ eta, mu } = asgdSchedule(t + 1, o));
            });
          },
          check: async () => {
            const p = Float64Array.from(theta);
            const ref = { ax: new Float64Array(n), eta: 0, mu: 0, step: 0 };
            for (const g of grads) optimRef.asgdStep(p, g, ref, o);
            await s.check('param', param, p, 1e-6, 1e-5);
            await s.check('ax', ax, ref.ax, 1e-6, 1e-5);
          },
        };
      },
    }),
  );
}

// The bench: one step at each size, the average ax read and written (20 bytes an element).
cases.push(
  optimizerBench({
    family: 'asgd',
    entry: 'asgd_step',
    state: ['ax'],
    bytes: 20,
    step: (param, grad, st) => asgdStep(param, grad, st.ax!, { ...defaults, eta: Math.fround(defaults.lr), mu: 1 }),
    reference: (p, g) => optimRef.asgdStep(p, g, { ax: new Float64Array(p.length), eta: 0, mu: 0, step: 0 }, defaults),
    tolerance: [1e-6, 1e-5],
  }),
);

export const spec: Spec = cases;
