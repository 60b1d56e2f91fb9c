// shaders/rmsprop.wgsl: one torch.optim.RMSprop step (centered, momentum, weight decay) over a flat
// parameter buffer, in one dispatch.
import { grid1d, loadShader } from '../device/shader';
import { expectSameSize } from '../launch';
import * as optimRef from '../reference/optim';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, type KernelCase, type Spec } from '../spec/scope';
import type { Tensor } from '../tensor';

export const shader = loadShader('rmsprop');

export interface RmspropState {
  squareAvg: Tensor;
  gradAvg?: Tensor;
  momentumBuffer?: Tensor;
}

export function rmspropStep(param: Tensor, grad: Tensor, s: RmspropState, h: { lr: number; alpha: number; eps: number; weightDecay: number; momentum: number; centered: boolean; maximize?: boolean }): void {
  const op = 'rmspropStep';
  expectSameSize(op, { param, grad, squareAvg: s.squareAvg, gradAvg: s.gradAvg, momentumBuffer: s.momentumBuffer });
  if (h.centered && !s.gradAvg) throw new Error(`${op}: argument 'gradAvg' is required when centered`);
  if (h.momentum > 0 && !s.momentumBuffer) throw new Error(`${op}: argument 'momentumBuffer' is required with momentum`);
  const [unused0, unused1] = param.gpu.placeholders;
  const params = { n: param.size, lr: h.lr, alpha: h.alpha, one_minus_alpha: 1 - h.alpha, eps: h.eps, weight_decay: h.weightDecay, grad_sign: h.maximize ? -1 : 1, momentum: h.momentum };
  const entry = shader.entry('rmsprop_step');
  param.gpu.dispatch(
    entry,
    { params, param, grad, square_avg: s.squareAvg, grad_avg: s.gradAvg ?? unused0, momentum_buffer: s.momentumBuffer ?? unused1 },
    grid1d(entry, param.size),
    { CENTERED: h.centered },
  );
}

const cases: KernelCase[] = [];
for (const [n, o] of [
  [1, { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false }],
  [4096, { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false }],
  [777, { lr: 0.001, alpha: 0.9, eps: 1e-6, weightDecay: 0.01, momentum: 0.5, centered: true }],
  [PAST_GRID_LIMIT, { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0.9, centered: true }],
] as const) {
  cases.push(
    kernelCase({
      name: `rmsprop n=${n} ${n > 1e6 ? 1 : 3} step(s) ${JSON.stringify(o)}`,
      entries: ['rmsprop_step'],
      dims: { n },
      showcase: n === 4096,
      setup(s, { n }, random) {
        const theta = uniform(random, n);
        const grads = Array.from({ length: n > 1e6 ? 1 : 3 }, () => uniform(random, n));
        const zeros = new Float32Array(n);
        const param = s.input(theta);
        const state = { squareAvg: s.input(zeros), gradAvg: s.input(zeros), momentumBuffer: s.input(zeros) };
        const gradTensors = grads.map((g) => s.input(g));
        return {
          run: () => gradTensors.forEach((grad) => {
            rmspropStep(param, grad, state, o);
          }),
          check: async () => {
            const p = Float64Array.from(theta);
            const st = { squareAvg: new Float64Array(n), gradAvg: new Float64Array(n), buf: new Float64Array(n) };
            for (const g of grads) optimRef.rmspropStep(p, g, st, o);
            await s.check('param', param, p, 2e-6, 2e-5);
          },
        };
      },
    }),
  );
}
// The bench: one plain step at each size (no momentum, not centered), the square average read and
// written (20 bytes an element).
cases.push(
  kernelCase({
    name: 'rmsprop bench one step {"lr":0.01,"alpha":0.99}',
    entries: ['rmsprop_step'],
    dims: { n: 1000 },
    setup(s, { n }, random) {
      const o = { lr: 0.01, alpha: 0.99, eps: 1e-8, weightDecay: 0, momentum: 0, centered: false };
      const [theta, g, avg0] = [uniform(random, n), uniform(random, n), uniform(random, n, 0, 1)];
      const param = s.input(theta);
      const grad = s.input(g);
      const state = { squareAvg: s.input(avg0, [n], 'f32', 'square average') };
      return {
        run: () => rmspropStep(param, grad, state, o),
        check: async () => {
          const p = Float64Array.from(theta);
          optimRef.rmspropStep(p, g, { squareAvg: Float64Array.from(avg0), gradAvg: new Float64Array(n), buf: new Float64Array(n) }, o);
          await s.check('param', param, p, 2e-6, 2e-5);
        },
      };
    },
    bench: { sizes: [1e3, 1e4, 1e5, 1e6, 1e7].map((n) => ({ n })), bytes: (d) => 20 * d.n! },
  }),
);

export const spec: Spec = cases;
