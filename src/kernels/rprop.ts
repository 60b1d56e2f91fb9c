// shaders/rprop.wgsl: one torch.optim.Rprop step over flat parameter, gradient and state buffers, in
// one dispatch; the first step starts the state (step sizes at lr, previous gradients 0).
import { grid1d, loadShader } from '../device/shader';
import { expectRange, expectSameSize } from '../launch';
import * as optimRef from '../reference/optim';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { optimizerBench } from '../spec/optimizer-bench';
import { kernelCase, type KernelCase, type Spec } from '../spec/scope';
import type { Tensor } from '../tensor';

export const shader = loadShader('rprop');

export interface RpropHyper {
  lr: number;
  etaMinus: number;
  etaPlus: number;
  stepSizeMin: number;
  stepSizeMax: number;
  /** The step being taken, counting from 1: the first fills the state, as PyTorch's first step does. */
  step: number;
  maximize?: boolean;
}

export function rpropStep(param: Tensor, grad: Tensor, s: { prev: Tensor; stepSize: Tensor }, h: RpropHyper): void {
  const op = 'rpropStep';
  expectSameSize(op, { param, grad, prev: s.prev, stepSize: s.stepSize });
  expectRange(op, 'step', h.step, Number.isInteger(h.step) && h.step >= 1, 'an integer ≥ 1');
  const params = { n: param.size, lr: h.lr, eta_minus: h.etaMinus, eta_plus: h.etaPlus, step_size_min: h.stepSizeMin, step_size_max: h.stepSizeMax, grad_sign: h.maximize ? -1 : 1, first_step: h.step === 1 ? 1 : 0 };
  const entry = shader.entry('rprop_step');
  param.gpu.dispatch(entry, { params, param, grad, prev: s.prev, step_size: s.stepSize }, grid1d(entry, param.size));
}

const defaults = { lr: 0.01, etaMinus: 0.5, etaPlus: 1.2, stepSizeMin: 1e-6, stepSizeMax: 50 };
const cases: KernelCase[] = [];
for (const [n, options] of [
  [1, {}],
  [4096, {}],
  // Bounds close enough to reach in a few steps, both ways; and maximize.
  [777, { lr: 0.1, etaMinus: 0.3, etaPlus: 2, stepSizeMin: 0.02, stepSizeMax: 0.5, maximize: true }],
  [PAST_GRID_LIMIT, {}],
] as const) {
  const o: optimRef.RpropOptions = { ...defaults, ...options };
  const steps = n > 1e6 ? 3 : 8;
  cases.push(
    kernelCase({
      name: `rprop n=${n} ${steps} steps ${JSON.stringify(options)}`,
      entries: ['rprop_step'],
      dims: { n },
      showcase: n === 4096,
      setup(s, { n }, random) {
        const theta = uniform(random, n);
        // Signs that repeat, flip and vanish: a third of the gradients keep the last step's sign,
        // and some are exactly 0 (no step, the size kept).
        const grads: ReturnType<typeof uniform>[] = [];
        for (let t = 0; t < steps; t++) {
          const g = uniform(random, n);
          for (let i = 0; i < n; i++) {
            if (t > 0 && i % 3 === 0) g[i] = Math.abs(g[i]!) * Math.sign(grads[t - 1]![i]! || 1);
            if (i % 11 === 5) g[i] = 0;
          }
          grads.push(g);
        }
        // Stale state the first step must not read: previous gradients of both signs (NaN would act as
        // a first step's 0, as agreement NaN takes neither branch) and huge step sizes.
        const param = s.input(theta);
        const state = { prev: s.input(Float32Array.from({ length: n }, (_, i) => (i % 2 ? 7 : -7))), stepSize: s.input(new Float32Array(n).fill(123)) };
        const gradTensors = grads.map((g) => s.input(g));
        return {
          run: () => gradTensors.forEach((grad, t) => rpropStep(param, grad, state, { ...o, step: t + 1 })),
          check: async () => {
            const p = Float64Array.from(theta);
            const ref = { prev: new Float64Array(n), stepSize: new Float64Array(n), step: 0 };
            for (const g of grads) optimRef.rpropStep(p, g, ref, o);
            await s.check('param', param, p, 1e-6, 1e-5);
            await s.check('step_size', state.stepSize, ref.stepSize, 0, 1e-5);
          },
        };
      },
    }),
  );
}

// The bench: one step at each size, prev and step_size read and written (28 bytes an element).
cases.push(
  optimizerBench({
    family: 'rprop',
    entry: 'rprop_step',
    state: ['prev', 'stepSize'],
    bytes: 28,
    step: (param, grad, st) => rpropStep(param, grad, st as { prev: Tensor; stepSize: Tensor }, { ...defaults, step: 1 }),
    reference: (p, g) => optimRef.rpropStep(p, g, { prev: new Float64Array(p.length), stepSize: new Float64Array(p.length), step: 0 }, defaults),
    tolerance: [1e-6, 1e-5],
  }),
);

export const spec: Spec = cases;
