// shaders/adadelta.wgsl: one torch.optim.Adadelta step over flat parameter, gradient and state
// buffers, in one dispatch.
import { grid1d, loadShader } from '../device/shader';
import { expectSameSize } from '../launch';
import * as optimRef from '../reference/optim';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { optimizerBench } from '../spec/optimizer-bench';
import { kernelCase, type KernelCase, type Spec } from '../spec/scope';
import type { Tensor } from '../tensor';

export const shader = loadShader('adadelta');

/** One Adadelta step; 1 − ρ computed here in float64, rounded to float32 once. */
export function adadeltaStep(param: Tensor, grad: Tensor, s: { squareAvg: Tensor; accDelta: Tensor }, h: { lr: number; rho: number; eps: number; weightDecay: number; maximize?: boolean }): void {
  expectSameSize('adadeltaStep', { param, grad, squareAvg: s.squareAvg, accDelta: s.accDelta });
  const params = { n: param.size, lr: h.lr, rho: h.rho, one_minus_rho: 1 - h.rho, eps: h.eps, weight_decay: h.weightDecay, grad_sign: h.maximize ? -1 : 1 };
  const entry = shader.entry('adadelta_step');
  param.gpu.dispatch(entry, { params, param, grad, square_avg: s.squareAvg, acc_delta: s.accDelta }, grid1d(entry, param.size));
}

const defaults = { lr: 1, rho: 0.9, eps: 1e-6, weightDecay: 0 };
const cases: KernelCase[] = [];
for (const [n, options] of [
  [1, {}],
  [4096, {}],
  [777, { lr: 0.5, rho: 0.5, eps: 1e-3, weightDecay: 0.1, maximize: true }],
  [PAST_GRID_LIMIT, {}],
] as const) {
  const o: optimRef.AdadeltaOptions = { ...defaults, ...options };
  const steps = n > 1e6 ? 2 : 6;
  cases.push(
    kernelCase({
      name: `adadelta n=${n} ${steps} steps ${JSON.stringify(options)}`,
      entries: ['adadelta_step'],
      dims: { n },
      showcase: n === 4096,
      setup(s, { n }, random) {
        const theta = uniform(random, n);
        const grads = Array.from({ length: steps }, () => uniform(random, n));
        const zeros = new Float32Array(n);
        const param = s.input(theta);
        const state = { squareAvg: s.input(zeros), accDelta: s.input(zeros) };
        const gradTensors = grads.map((g) => s.input(g));
        return {
          run: () => gradTensors.forEach((grad) => adadeltaStep(param, grad, state, o)),
          check: async () => {
            const p = Float64Array.from(theta);
            const ref = { squareAvg: new Float64Array(n), accDelta: new Float64Array(n) };
            for (const g of grads) optimRef.adadeltaStep(p, g, ref, o);
            await s.check('param', param, p, 1e-7, 2e-5);
            await s.check('acc_delta', state.accDelta, ref.accDelta, 1e-10, 2e-5);
          },
        };
      },
    }),
  );
}

// The bench: one step at each size, square_avg and acc_delta read and written (28 bytes an element).
cases.push(
  optimizerBench({
    family: 'adadelta',
    entry: 'adadelta_step',
    state: ['squareAvg', 'accDelta'],
    bytes: 28,
    step: (param, grad, st) => adadeltaStep(param, grad, st as { squareAvg: Tensor; accDelta: Tensor }, defaults),
    reference: (p, g) => optimRef.adadeltaStep(p, g, { squareAvg: new Float64Array(p.length), accDelta: new Float64Array(p.length) }, defaults),
    tolerance: [1e-7, 2e-5],
  }),
);

export const spec: Spec = cases;
