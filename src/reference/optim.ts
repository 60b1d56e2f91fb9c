// Float64 CPU references of PyTorch's documented optimizer algorithms (torch.optim docs).
import { tabulate } from './arrays';

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize?: boolean;
  /** AdamW: θ ← θ·(1 − lr·λ) first, and no λ·θ in the gradient. */
  decoupled?: boolean;
}

export interface AdamState {
  param: Float64Array;
  expAvg: Float64Array;
  expAvgSq: Float64Array;
  maxExpAvgSq: Float64Array;
  step: number;
}

export function adamInit(param: ArrayLike<number>): AdamState {
  const n = param.length;
  return { param: Float64Array.from(param), expAvg: new Float64Array(n), expAvgSq: new Float64Array(n), maxExpAvgSq: new Float64Array(n), step: 0 };
}

/** One step of torch.optim.Adam (or AdamW, with decoupled), in place. */
export function adamStep(s: AdamState, grad: ArrayLike<number>, o: AdamOptions): void {
  s.step++;
  const bc1 = 1 - o.beta1 ** s.step;
  const bc2 = 1 - o.beta2 ** s.step;
  const sign = o.maximize ? -1 : 1;
  for (let i = 0; i < s.param.length; i++) {
    if (o.decoupled) s.param[i] = s.param[i]! * (1 - o.lr * o.weightDecay);
    const g = sign * grad[i]! + (o.decoupled ? 0 : o.weightDecay * s.param[i]!);
    s.expAvg[i] = o.beta1 * s.expAvg[i]! + (1 - o.beta1) * g;
    s.expAvgSq[i] = o.beta2 * s.expAvgSq[i]! + (1 - o.beta2) * g * g;
    let v = s.expAvgSq[i]!;
    if (o.amsgrad) {
      s.maxExpAvgSq[i] = Math.max(s.maxExpAvgSq[i]!, v);
      v = s.maxExpAvgSq[i]!;
    }
    const mHat = s.expAvg[i]! / bc1;
    const vHat = v / bc2;
    s.param[i] = s.param[i]! - (o.lr * mHat) / (Math.sqrt(vHat) + o.eps);
  }
}

export interface SgdOptions {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize?: boolean;
}

/** One step of torch.optim.SGD, in place; buf is null before the first step with momentum. */
export function sgdStep(param: Float64Array, grad: ArrayLike<number>, state: { buf: Float64Array | null }, o: SgdOptions): void {
  const g = tabulate(grad.length, (i) => (o.maximize ? -grad[i]! : grad[i]!) + o.weightDecay * param[i]!);
  let direction = g;
  if (o.momentum !== 0) {
    state.buf = state.buf === null ? Float64Array.from(g) : state.buf.map((b, i) => o.momentum * b + (1 - o.dampening) * g[i]!);
    const buf = state.buf;
    direction = o.nesterov ? g.map((v, i) => v + o.momentum * buf[i]!) : Float64Array.from(buf);
  }
  for (let i = 0; i < param.length; i++) param[i] = param[i]! - o.lr * direction[i]!;
}

export interface AdagradOptions {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  eps: number;
  maximize?: boolean;
}

/** One step of torch.optim.Adagrad, in place; stateSum starts at initial_accumulator_value. */
export function adagradStep(param: Float64Array, grad: ArrayLike<number>, state: { sum: Float64Array; step: number }, o: AdagradOptions): void {
  state.step++;
  const clr = o.lr / (1 + (state.step - 1) * o.lrDecay);
  for (let i = 0; i < param.length; i++) {
    const g = (o.maximize ? -grad[i]! : grad[i]!) + o.weightDecay * param[i]!;
    state.sum[i] = state.sum[i]! + g * g;
    param[i] = param[i]! - (clr * g) / (Math.sqrt(state.sum[i]!) + o.eps);
  }
}

export interface RmspropOptions {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
  maximize?: boolean;
}

/** One step of torch.optim.RMSprop, in place. */
export function rmspropStep(param: Float64Array, grad: ArrayLike<number>, s: { squareAvg: Float64Array; gradAvg: Float64Array; buf: Float64Array }, o: RmspropOptions): void {
  for (let i = 0; i < param.length; i++) {
    const g = (o.maximize ? -grad[i]! : grad[i]!) + o.weightDecay * param[i]!;
    s.squareAvg[i] = o.alpha * s.squareAvg[i]! + (1 - o.alpha) * g * g;
    let avg = s.squareAvg[i]!;
    if (o.centered) {
      s.gradAvg[i] = o.alpha * s.gradAvg[i]! + (1 - o.alpha) * g;
      avg -= s.gradAvg[i]! ** 2;
    }
    const denom = Math.sqrt(avg) + o.eps;
    if (o.momentum > 0) {
      s.buf[i] = o.momentum * s.buf[i]! + g / denom;
      param[i] = param[i]! - o.lr * s.buf[i]!;
    } else {
      param[i] = param[i]! - (o.lr * g) / denom;
    }
  }
}

/** v_t = β v_{t−1} + (1 − β) θ_t from v_0 = 0, optionally divided by 1 − βᵗ. */
export function ewa(series: ArrayLike<number>, beta: number, biasCorrection: boolean): Float64Array {
  let v = 0;
  return tabulate(series.length, (i) => {
    v = beta * v + (1 - beta) * series[i]!;
    return biasCorrection ? v / (1 - beta ** (i + 1)) : v;
  });
}
