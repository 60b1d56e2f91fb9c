// shaders/radam.wgsl: one torch.optim.RAdam step over flat parameter, gradient and state buffers, in
// one dispatch. The rectification (ρ_t, r_t, and whether to use it) is computed here, on the CPU.
import { grid1d, loadShader } from '../device/shader';
import { expectRange, expectSameSize } from '../launch';
import * as optimRef from '../reference/optim';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { optimizerBench } from '../spec/optimizer-bench';
import { kernelCase, type KernelCase, type Spec } from '../spec/scope';
import type { Tensor } from '../tensor';

export const shader = loadShader('radam');

export interface RadamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** The step being taken, counting from 1. */
  step: number;
  maximize?: boolean;
  /** PyTorch 2.1's decoupled_weight_decay: θ ← θ·(1 − lr·λ) before the step, instead of λ·θ in the gradient. */
  decoupledWeightDecay?: boolean;
}

/** ρ_t, the approximated length of the simple moving average, and r_t where ρ_t > 5 (else null). */
export function radamRectification(step: number, beta2: number): { rho: number; rect: number | null } {
  const rhoInf = 2 / (1 - beta2) - 1;
  const rho = rhoInf - (2 * step * beta2 ** step) / (1 - beta2 ** step);
  return { rho, rect: rho > 5 ? Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho)) : null };
}

export function radamStep(param: Tensor, grad: Tensor, s: { expAvg: Tensor; expAvgSq: Tensor }, h: RadamHyper): void {
  const op = 'radamStep';
  expectSameSize(op, { param, grad, expAvg: s.expAvg, expAvgSq: s.expAvgSq });
  expectRange(op, 'step', h.step, Number.isInteger(h.step) && h.step >= 1, 'an integer ≥ 1');
  const { rect } = radamRectification(h.step, h.beta2);
  const decoupled = h.decoupledWeightDecay ?? false;
  const params = {
    n: param.size,
    beta1: h.beta1,
    one_minus_beta1: 1 - h.beta1,
    beta2: h.beta2,
    one_minus_beta2: 1 - h.beta2,
    bias_correction1: 1 - h.beta1 ** h.step,
    eps: h.eps,
    weight_decay: decoupled ? 0 : h.weightDecay,
    grad_sign: h.maximize ? -1 : 1,
    decay_factor: decoupled ? 1 - h.lr * h.weightDecay : 1,
    lr: h.lr,
    adaptive_scale: rect === null ? 0 : rect * Math.sqrt(1 - h.beta2 ** h.step),
    rectified: rect === null ? 0 : 1,
  };
  const entry = shader.entry('radam_step');
  param.gpu.dispatch(entry, { params, param, grad, exp_avg: s.expAvg, exp_avg_sq: s.expAvgSq }, grid1d(entry, param.size));
}

const defaults = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };
const cases: KernelCase[] = [];
// 8 steps: at β2 = 0.999 the first 5 unrectified (ρ_t ≤ 5), the rest rectified; at β2 = 0.9 too (ρ_6 = 5.39).
for (const [n, options] of [
  [1, {}],
  [4096, {}],
  [777, { lr: 0.05, beta1: 0.5, beta2: 0.9, eps: 1e-6, weightDecay: 0.1, maximize: true }],
  [1001, { lr: 0.01, weightDecay: 0.1, decoupled: true }],
  // eps near √v (gradients of about ±0.5), rectified from step 6: where eps sits shows.
  [1003, { lr: 0.1, beta2: 0.9, eps: 0.1 }],
  [PAST_GRID_LIMIT, {}],
] as const) {
  const o: optimRef.RadamOptions = { ...defaults, ...options };
  const steps = 8;
  cases.push(
    kernelCase({
      name: `radam n=${n} ${steps} steps ${JSON.stringify(options)}`,
      entries: ['radam_step'],
      dims: { n },
      showcase: n === 4096,
      setup(s, { n }, random) {
        const theta = uniform(random, n);
        const grads = Array.from({ length: steps }, () => uniform(random, n));
        const zeros = new Float32Array(n);
        const param = s.input(theta);
        const state = { expAvg: s.input(zeros), expAvgSq: s.input(zeros) };
        const gradTensors = grads.map((g) => s.input(g));
        return {
          run: () => gradTensors.forEach((grad, t) => radamStep(param, grad, state, { ...o, step: t + 1, decoupledWeightDecay: o.decoupled ?? false })),
          check: async () => {
            const p = Float64Array.from(theta);
            const ref = { expAvg: new Float64Array(n), expAvgSq: new Float64Array(n), step: 0 };
            for (const g of grads) optimRef.radamStep(p, g, ref, o);
            await s.check('param', param, p, 2e-6, 2e-5);
            await s.check('exp_avg', state.expAvg, ref.expAvg, 1e-7, 1e-5);
          },
        };
      },
    }),
  );
}

// The bench: one step at each size, exp_avg and exp_avg_sq read and written (28 bytes an element).
cases.push(
  optimizerBench({
    family: 'radam',
    entry: 'radam_step',
    state: ['expAvg', 'expAvgSq'],
    bytes: 28,
    step: (param, grad, st) => radamStep(param, grad, st as { expAvg: Tensor; expAvgSq: Tensor }, { ...defaults, step: 1 }),
    reference: (p, g) => optimRef.radamStep(p, g, { expAvg: new Float64Array(p.length), expAvgSq: new Float64Array(p.length), step: 0 }, defaults),
    tolerance: [2e-6, 2e-5],
  }),
);

export const spec: Spec = cases;
