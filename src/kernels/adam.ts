// shaders/adam.wgsl: one torch.optim.Adam step (weight decay, AMSGrad) over flat parameter, gradient
// and state buffers, in one dispatch. v2 (vec4, 16 elements per invocation) when the length is a
// multiple of 4; v1 otherwise.
import { grid1d, loadShader } from '../device/shader';
import { expectRange, expectSameSize } from '../launch';
import { adamInit, adamStep as adamRef, type AdamOptions } from '../reference/optim';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import type { Tensor } from '../tensor';

export const shader = loadShader('adam');

export interface AdamState {
  param: Tensor;
  grad: Tensor;
  expAvg: Tensor;
  expAvgSq: Tensor;
  /** Needed with amsgrad only. */
  maxExpAvgSq?: Tensor;
}

export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  /** The step being taken, counting from 1. */
  step: number;
  /** Ascend the gradient instead (PyTorch's maximize). */
  maximize?: boolean;
  /** AdamW: θ ← θ·(1 − lr·weightDecay) before the step, instead of L2 in the gradient. */
  decoupledWeightDecay?: boolean;
}

/**
 * One Adam or AdamW step (torch.optim.Adam / AdamW) over flat parameter, gradient and state buffers.
 * Every constant is computed here in float64 and rounded to float32 once, as PyTorch does in Python.
 */
export function adamStep(state: AdamState, h: AdamHyper): void {
  const op = 'adamStep';
  const { param, grad, expAvg, expAvgSq } = state;
  expectSameSize(op, { param, grad, expAvg, expAvgSq });
  expectRange(op, 'lr', h.lr, h.lr >= 0, 'a number ≥ 0');
  expectRange(op, 'beta1', h.beta1, h.beta1 >= 0 && h.beta1 < 1, 'a number in [0, 1)');
  expectRange(op, 'beta2', h.beta2, h.beta2 >= 0 && h.beta2 < 1, 'a number in [0, 1)');
  expectRange(op, 'eps', h.eps, h.eps >= 0, 'a number ≥ 0');
  expectRange(op, 'weightDecay', h.weightDecay, h.weightDecay >= 0, 'a number ≥ 0');
  expectRange(op, 'step', h.step, Number.isInteger(h.step) && h.step >= 1, 'an integer ≥ 1');
  if (h.amsgrad && !state.maxExpAvgSq) throw new Error(`${op}: argument 'maxExpAvgSq' is required with amsgrad`);
  if (state.maxExpAvgSq) expectSameSize(op, { param, maxExpAvgSq: state.maxExpAvgSq });
  const decoupled = h.decoupledWeightDecay ?? false;
  const params = {
    n: param.size,
    beta1: h.beta1,
    one_minus_beta1: 1 - h.beta1,
    beta2: h.beta2,
    one_minus_beta2: 1 - h.beta2,
    eps: h.eps,
    weight_decay: decoupled ? 0 : h.weightDecay,
    grad_sign: h.maximize ? -1 : 1,
    decay_factor: decoupled ? 1 - h.lr * h.weightDecay : 1,
    step_size: h.lr / (1 - h.beta1 ** h.step),
    bias_correction2_sqrt: Math.sqrt(1 - h.beta2 ** h.step),
  };
  // v2 (vec4, 16 elements per invocation) when the length allows; v1 otherwise.
  const vec4 = param.size % 4 === 0 && (!state.maxExpAvgSq || state.maxExpAvgSq.size % 4 === 0);
  const unused = param.gpu.placeholders[0];
  const buffers = { param, grad, exp_avg: expAvg, exp_avg_sq: expAvgSq, max_exp_avg_sq: state.maxExpAvgSq ?? unused };
  const entry = shader.entry(vec4 ? 'adam_step_vec4' : 'adam_step');
  param.gpu.dispatch(
    entry,
    vec4 ? { params: { ...params, n: param.size / 4 }, ...Object.fromEntries(Object.entries(buffers).map(([k, t]) => [`${k}4`, t])) } : { params, ...buffers },
    vec4 ? grid1d(entry, param.size / 16) : grid1d(entry, param.size),
    { AMSGRAD: h.amsgrad },
  );
}

const adamDefaults: AdamOptions = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, amsgrad: false };
const cases: KernelCase[] = [];
for (const [n, options] of [
  [1, {}],
  [1000, {}],
  [4099, { weightDecay: 0.01 }],
  [1000, { amsgrad: true }],
  [777, { lr: 0.1, beta1: 0.5, beta2: 0.9, eps: 1e-6, weightDecay: 0.1, amsgrad: true }],
  [4096, {}],
  [PAST_GRID_LIMIT, {}],
  [4096, { amsgrad: true }],
  [4100, { weightDecay: 0.01 }],
  // eps near √v̂ (gradients of about ±0.5): where eps sits in the denominator shows in the step.
  [4096, { lr: 0.1, eps: 0.01 }],
  [1001, { lr: 0.1, eps: 0.01 }],
] as const) {
  const o: AdamOptions = { ...adamDefaults, ...options };
  const flags = Object.entries(options).map(([k, v]) => `${k}=${v}`).join(' ');
  const variant = n % 4 === 0 ? 'v2 vec4' : 'v1';
  const steps = n > 1e6 ? 3 : 10;
  cases.push(
    kernelCase({
      name: `adam ${variant} n=${n} ${steps} steps${flags ? ` ${flags}` : ''}`,
      entries: [n % 4 === 0 ? 'adam_step_vec4' : 'adam_step'],
      variant,
      dims: { n },
      showcase: n === 4096 && !o.amsgrad,
      setup(s, { n }, random) {
        const theta = uniform(random, n);
        const grads = Array.from({ length: steps }, () => uniform(random, n));
        const zeros = new Float32Array(n);
        const gradTensors = grads.map((g) => s.input(g));
        const state = { param: s.input(theta, [n], 'f32', 'param'), grad: gradTensors[0]!, expAvg: s.input(zeros), expAvgSq: s.input(zeros), ...(o.amsgrad ? { maxExpAvgSq: s.input(zeros) } : {}) };
        return {
          run: () => gradTensors.forEach((grad, i) => adamStep({ ...state, grad }, { ...o, step: i + 1 })),
          check: async () => {
            const ref = adamInit(theta);
            for (const g of grads) adamRef(ref, g, o);
            const paramAtol = 1e-6 * o.lr * 1e3;
            await s.check('param', state.param, ref.param, paramAtol, 1e-5);
            // With weight decay the moments read the parameter (g + λθ): the float32 parameter's drift
            // the bound above allows reaches them as λ·Δθ (m) and 2|g + λθ|·λ·Δθ, |g + λθ| ≤ 1 + λ (v),
            // summed over steps with weights that add to at most 1. (A fresh-clone CI run's draw:
            // exp_avg 1.8e-6 off after 10 steps at λ = 0.1, lr = 0.1, the parameter 1.7e-5.)
            const coupled = o.weightDecay * paramAtol;
            await s.check('exp_avg', state.expAvg, ref.expAvg, 1e-6 + coupled, 1e-5);
            await s.check('exp_avg_sq', state.expAvgSq, ref.expAvgSq, 1e-7 + 2 * (1 + o.weightDecay) * coupled, 1e-5);
          },
        };
      },
    }),
  );
}
// The bench: one step at each size, v1 at n = 10ᵏ + 1 beside v2 at 10ᵏ.
for (const [variant, offset] of [['v2 vec4', 0], ['v1', 1]] as const) {
  cases.push(
    kernelCase({
      name: `adam ${variant} bench one step`,
      entries: [offset ? 'adam_step' : 'adam_step_vec4'],
      variant,
      dims: { n: 1000 + offset },
      setup(s, { n }, random) {
        const [theta, g] = [uniform(random, n), uniform(random, n)];
        const zeros = new Float32Array(n);
        const state = { param: s.input(theta), grad: s.input(g), expAvg: s.input(zeros), expAvgSq: s.input(zeros) };
        return {
          run: () => adamStep(state, { ...adamDefaults, step: 1 }),
          check: async () => {
            const ref = adamInit(theta);
            adamRef(ref, g, adamDefaults);
            await s.check('param', state.param, ref.param, 1e-6, 1e-5);
          },
        };
      },
      bench: { sizes: [1e3, 1e4, 1e5, 1e6, 1e7].map((n) => ({ n: n + offset })), bytes: (d) => 28 * d.n! },
    }),
  );
}
// Past 65,535 workgroups both entry points take their element from a 2-D grid (grid1d); the real
// spill cases above reach v1 only (a vec4 spill needs 67 million elements), and Node skips them.
// This folds a small grid into 2-D: 5 · 64 + 7 invocations on 3 × 2 workgroups, one step.
cases.push(
  testCase('adam entry points find their element on a 2-D grid (as past 65,535 workgroups)', async (s, random) => {
    const o = { ...adamDefaults, weightDecay: 0.01 };
    const invocations = 5 * shader.entry('adam_step').workgroupSize[0] + 7;
    for (const vec4 of [false, true]) {
      const n = vec4 ? 16 * invocations : invocations;
      const [theta, g] = [uniform(random, n), uniform(random, n)];
      const zeros = new Float32Array(n);
      const buffers = { param: s.input(theta), grad: s.input(g), exp_avg: s.input(zeros), exp_avg_sq: s.input(zeros), max_exp_avg_sq: s.gpu.placeholders[0] };
      const params = {
        n: vec4 ? n / 4 : n, beta1: o.beta1, one_minus_beta1: 1 - o.beta1, beta2: o.beta2, one_minus_beta2: 1 - o.beta2, eps: o.eps,
        weight_decay: o.weightDecay, grad_sign: 1, decay_factor: 1, step_size: o.lr / (1 - o.beta1), bias_correction2_sqrt: Math.sqrt(1 - o.beta2),
      };
      const args = vec4 ? Object.fromEntries(Object.entries(buffers).map(([k, t]) => [`${k}4`, t])) : buffers;
      s.gpu.dispatch(shader.entry(vec4 ? 'adam_step_vec4' : 'adam_step'), { params, ...args }, [3, 2], { AMSGRAD: false });
      const ref = adamInit(theta);
      adamRef(ref, g, o);
      await s.check(`param${vec4 ? ' (vec4)' : ''}`, buffers.param, ref.param, 1e-6, 1e-5);
      await s.check(`exp_avg${vec4 ? ' (vec4)' : ''}`, buffers.exp_avg, ref.expAvg, 1e-6, 1e-5);
    }
  }),
  testCase('adam bad input is rejected before dispatch', (s, random) => {
    const v = s.input(uniform(random, 4), [4]);
    const col = s.output([4]);
    const state = { param: v, grad: v.reshapeView([4]), expAvg: col, expAvgSq: s.output([4]) };
    s.expectError('lr < 0', () => adamStep(state, { ...adamDefaults, step: 1, lr: -1 }), /adamStep: argument 'lr' expected a number ≥ 0, got -1/);
    s.expectError('beta1 = 1', () => adamStep(state, { ...adamDefaults, step: 1, beta1: 1 }), /argument 'beta1' expected a number in \[0, 1\), got 1/);
    s.expectError('amsgrad without state', () => adamStep(state, { ...adamDefaults, step: 1, amsgrad: true }), /maxExpAvgSq/);
    s.expectError('state size', () => adamStep({ ...state, expAvg: s.output([5]) }, { ...adamDefaults, step: 1 }), /adamStep: argument 'expAvg' expected 4 elements/);
  }),
);

export const spec: Spec = cases;
