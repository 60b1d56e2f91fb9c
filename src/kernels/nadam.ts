// shaders/nadam.wgsl: one torch.optim.NAdam step over flat parameter, gradient and state buffers, in
// one dispatch. The momentum schedule (μ_t, its running product) is computed here, on the CPU.
import { grid1d, loadShader } from '../device/shader';
import { expectRange, expectSameSize } from '../launch';
import * as optimRef from '../reference/optim';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { optimizerBench } from '../spec/optimizer-bench';
import { kernelCase, type KernelCase, type Spec } from '../spec/scope';
import type { Tensor } from '../tensor';

export const shader = loadShader('nadam');

export interface NadamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  momentumDecay: number;
  /** The step being taken, counting from 1. */
  step: number;
  /** Π of μ over the parameters' previous steps (1 before the first), as PyTorch's state['mu_product']. */
  muProduct: number;
  maximize?: boolean;
  /** PyTorch 2.1's decoupled_weight_decay: θ ← θ·(1 − lr·λ) before the step, instead of λ·θ in the gradient. */
  decoupledWeightDecay?: boolean;
}

/**
 * PyTorch's momentum schedule at step t: μ_t, μ_{t+1}, the running product Π_t = Π_{t−1}·μ_t (rounded
 * to float32, as PyTorch's mu_product tensor is) and Π_t·μ_{t+1}. PyTorch 1.13's default (single-
 * tensor) path took Π_t·μ_t·μ_{t+1} for the latter, counting μ_t twice; its foreach path, the
 * documented algorithm and PyTorch ≥ 2.0 (pytorch#92699) take Π_t·μ_{t+1}, as here.
 */
export function nadamMomentum(step: number, beta1: number, momentumDecay: number, muProduct: number) {
  const mu = beta1 * (1 - 0.5 * 0.96 ** (step * momentumDecay));
  const muNext = beta1 * (1 - 0.5 * 0.96 ** ((step + 1) * momentumDecay));
  const product = Math.fround(muProduct * Math.fround(mu));
  return { mu, muNext, product, productNext: product * muNext };
}

/** One NAdam step; returns Π_t, the parameters' new mu_product (the caller keeps it). */
export function nadamStep(param: Tensor, grad: Tensor, s: { expAvg: Tensor; expAvgSq: Tensor }, h: NadamHyper): number {
  const op = 'nadamStep';
  expectSameSize(op, { param, grad, expAvg: s.expAvg, expAvgSq: s.expAvgSq });
  expectRange(op, 'step', h.step, Number.isInteger(h.step) && h.step >= 1, 'an integer ≥ 1');
  const { mu, muNext, product, productNext } = nadamMomentum(h.step, h.beta1, h.momentumDecay, h.muProduct);
  const decoupled = h.decoupledWeightDecay ?? false;
  const params = {
    n: param.size,
    beta1: h.beta1,
    one_minus_beta1: 1 - h.beta1,
    beta2: h.beta2,
    one_minus_beta2: 1 - h.beta2,
    bias_correction2: 1 - h.beta2 ** h.step,
    eps: h.eps,
    weight_decay: decoupled ? 0 : h.weightDecay,
    grad_sign: h.maximize ? -1 : 1,
    decay_factor: decoupled ? 1 - h.lr * h.weightDecay : 1,
    grad_coef: (h.lr * (1 - mu)) / (1 - product),
    momentum_coef: (h.lr * muNext) / (1 - productNext),
  };
  const entry = shader.entry('nadam_step');
  param.gpu.dispatch(entry, { params, param, grad, exp_avg: s.expAvg, exp_avg_sq: s.expAvgSq }, grid1d(entry, param.size));
  return product;
}

const defaults = { lr: 2e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, momentumDecay: 4e-3 };
const cases: KernelCase[] = [];
for (const [n, options] of [
  [1, {}],
  [4096, {}],
  [777, { lr: 0.05, beta1: 0.5, beta2: 0.9, eps: 1e-6, weightDecay: 0.1, momentumDecay: 0.1, maximize: true }],
  [1001, { lr: 0.01, weightDecay: 0.1, decoupled: true }],
  [PAST_GRID_LIMIT, {}],
] as const) {
  const o: optimRef.NadamOptions = { ...defaults, ...options };
  const steps = n > 1e6 ? 2 : 8;
  cases.push(
    kernelCase({
      name: `nadam n=${n} ${steps} steps ${JSON.stringify(options)}`,
      entries: ['nadam_step'],
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
          run: () => {
            let muProduct = 1;
            gradTensors.forEach((grad, t) => {
              muProduct = nadamStep(param, grad, state, { ...o, step: t + 1, muProduct, decoupledWeightDecay: o.decoupled ?? false });
            });
          },
          check: async () => {
            const p = Float64Array.from(theta);
            const ref = { expAvg: new Float64Array(n), expAvgSq: new Float64Array(n), muProduct: 1, step: 0 };
            for (const g of grads) optimRef.nadamStep(p, g, ref, o);
            await s.check('param', param, p, 2e-6, 2e-5);
            await s.check('exp_avg_sq', state.expAvgSq, ref.expAvgSq, 1e-7, 1e-5);
          },
        };
      },
    }),
  );
}

// The bench: one step at each size, exp_avg and exp_avg_sq read and written (28 bytes an element).
cases.push(
  optimizerBench({
    family: 'nadam',
    entry: 'nadam_step',
    state: ['expAvg', 'expAvgSq'],
    bytes: 28,
    step: (param, grad, st) => void nadamStep(param, grad, st as { expAvg: Tensor; expAvgSq: Tensor }, { ...defaults, step: 1, muProduct: 1 }),
    reference: (p, g) => optimRef.nadamStep(p, g, { expAvg: new Float64Array(p.length), expAvgSq: new Float64Array(p.length), muProduct: 1, step: 0 }, defaults),
    tolerance: [2e-6, 2e-5],
  }),
);

export const spec: Spec = cases;
