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

export interface AdamaxOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  maximize?: boolean;
}

/** One step of torch.optim.Adamax, in place: Adam with the infinity norm u = max(β₂u, |g| + ε). */
export function adamaxStep(param: Float64Array, grad: ArrayLike<number>, s: { expAvg: Float64Array; expInf: Float64Array; step: number }, o: AdamaxOptions): void {
  s.step++;
  for (let i = 0; i < param.length; i++) {
    const g = (o.maximize ? -grad[i]! : grad[i]!) + o.weightDecay * param[i]!;
    s.expAvg[i] = o.beta1 * s.expAvg[i]! + (1 - o.beta1) * g;
    s.expInf[i] = Math.max(o.beta2 * s.expInf[i]!, Math.abs(g) + o.eps);
    param[i] = param[i]! - (o.lr / (1 - o.beta1 ** s.step)) * (s.expAvg[i]! / s.expInf[i]!);
  }
}

export interface NadamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  momentumDecay: number;
  maximize?: boolean;
  /** PyTorch 2's decoupled_weight_decay: θ ← θ·(1 − lr·λ) first, and no λ·θ in the gradient. */
  decoupled?: boolean;
}

/**
 * One step of torch.optim.NAdam, in place (Dozat's Nesterov Adam with PyTorch's momentum schedule):
 * μ_t = β₁(1 − ½·0.96^(t·ψ)), the product of the μ so far in s.muProduct.
 */
export function nadamStep(param: Float64Array, grad: ArrayLike<number>, s: { expAvg: Float64Array; expAvgSq: Float64Array; muProduct: number; step: number }, o: NadamOptions): void {
  const t = ++s.step;
  const mu = o.beta1 * (1 - 0.5 * 0.96 ** (t * o.momentumDecay));
  const muNext = o.beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * o.momentumDecay));
  s.muProduct *= mu;
  const muProductNext = s.muProduct * muNext;
  for (let i = 0; i < param.length; i++) {
    if (o.decoupled) param[i] = param[i]! * (1 - o.lr * o.weightDecay);
    const g = (o.maximize ? -grad[i]! : grad[i]!) + (o.decoupled ? 0 : o.weightDecay * param[i]!);
    s.expAvg[i] = o.beta1 * s.expAvg[i]! + (1 - o.beta1) * g;
    s.expAvgSq[i] = o.beta2 * s.expAvgSq[i]! + (1 - o.beta2) * g * g;
    const denom = Math.sqrt(s.expAvgSq[i]! / (1 - o.beta2 ** t)) + o.eps;
    param[i] = param[i]! - (o.lr * (1 - mu) * g) / ((1 - s.muProduct) * denom) - (o.lr * muNext * s.expAvg[i]!) / ((1 - muProductNext) * denom);
  }
}

export interface RadamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  maximize?: boolean;
  decoupled?: boolean;
}

/**
 * One step of torch.optim.RAdam, in place (Liu et al.'s rectified Adam): while the approximated
 * length of the SMA ρ_t is ≤ 5 the step is plain momentum, m̂·lr; afterwards Adam's, times r_t.
 */
export function radamStep(param: Float64Array, grad: ArrayLike<number>, s: { expAvg: Float64Array; expAvgSq: Float64Array; step: number }, o: RadamOptions): void {
  const t = ++s.step;
  const bc1 = 1 - o.beta1 ** t;
  const bc2 = 1 - o.beta2 ** t;
  const rhoInf = 2 / (1 - o.beta2) - 1;
  const rho = rhoInf - (2 * t * o.beta2 ** t) / bc2;
  const rect = rho > 5 ? Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho)) : 0;
  for (let i = 0; i < param.length; i++) {
    if (o.decoupled) param[i] = param[i]! * (1 - o.lr * o.weightDecay);
    const g = (o.maximize ? -grad[i]! : grad[i]!) + (o.decoupled ? 0 : o.weightDecay * param[i]!);
    s.expAvg[i] = o.beta1 * s.expAvg[i]! + (1 - o.beta1) * g;
    s.expAvgSq[i] = o.beta2 * s.expAvgSq[i]! + (1 - o.beta2) * g * g;
    const mHat = s.expAvg[i]! / bc1;
    param[i] = param[i]! - (rho > 5 ? (o.lr * mHat * rect * Math.sqrt(bc2)) / (Math.sqrt(s.expAvgSq[i]!) + o.eps) : o.lr * mHat);
  }
}

export interface AdadeltaOptions {
  lr: number;
  rho: number;
  eps: number;
  weightDecay: number;
  maximize?: boolean;
}

/** One step of torch.optim.Adadelta, in place: Zeiler's update Δ = √(E[Δ²] + ε)/√(E[g²] + ε) · g, scaled by lr. */
export function adadeltaStep(param: Float64Array, grad: ArrayLike<number>, s: { squareAvg: Float64Array; accDelta: Float64Array }, o: AdadeltaOptions): void {
  for (let i = 0; i < param.length; i++) {
    const g = (o.maximize ? -grad[i]! : grad[i]!) + o.weightDecay * param[i]!;
    s.squareAvg[i] = o.rho * s.squareAvg[i]! + (1 - o.rho) * g * g;
    const delta = (Math.sqrt(s.accDelta[i]! + o.eps) / Math.sqrt(s.squareAvg[i]! + o.eps)) * g;
    s.accDelta[i] = o.rho * s.accDelta[i]! + (1 - o.rho) * delta * delta;
    param[i] = param[i]! - o.lr * delta;
  }
}

export interface RpropOptions {
  lr: number;
  etaMinus: number;
  etaPlus: number;
  stepSizeMin: number;
  stepSizeMax: number;
  maximize?: boolean;
}

/**
 * One step of torch.optim.Rprop, in place (resilient backpropagation): each element's step size grows
 * by η₊ while its gradient keeps its sign and shrinks by η₋ when the sign flips, where that gradient
 * is then taken as 0 (no step, and no sign to compare next time). Step sizes start at lr.
 */
export function rpropStep(param: Float64Array, grad: ArrayLike<number>, s: { prev: Float64Array; stepSize: Float64Array; step: number }, o: RpropOptions): void {
  if (s.step++ === 0) s.stepSize.fill(o.lr);
  for (let i = 0; i < param.length; i++) {
    let g = o.maximize ? -grad[i]! : grad[i]!;
    const agreement = Math.sign(g * s.prev[i]!);
    const factor = agreement > 0 ? o.etaPlus : agreement < 0 ? o.etaMinus : 1;
    s.stepSize[i] = Math.min(Math.max(s.stepSize[i]! * factor, o.stepSizeMin), o.stepSizeMax);
    if (agreement < 0) g = 0;
    param[i] = param[i]! - Math.sign(g) * s.stepSize[i]!;
    s.prev[i] = g;
  }
}

export interface AsgdOptions {
  lr: number;
  lambd: number;
  alpha: number;
  t0: number;
  weightDecay: number;
  maximize?: boolean;
}

/**
 * One step of torch.optim.ASGD, in place (Polyak–Juditsky averaged SGD with Bottou's step sizes):
 * θ ← θ·(1 − λη) − η·g, then ax, the average of θ over the steps since t0 (before them ax follows θ).
 * η_t = lr / (1 + λ·lr·t)^α and μ_t = 1 / max(1, t − t0) are set after step t for step t + 1 (η_1 = lr, μ_1 = 1).
 */
export function asgdStep(param: Float64Array, grad: ArrayLike<number>, s: { ax: Float64Array; eta: number; mu: number; step: number }, o: AsgdOptions): void {
  if (s.step === 0) [s.eta, s.mu] = [o.lr, 1];
  const t = ++s.step;
  for (let i = 0; i < param.length; i++) {
    const g = (o.maximize ? -grad[i]! : grad[i]!) + o.weightDecay * param[i]!;
    param[i] = param[i]! * (1 - o.lambd * s.eta) - s.eta * g;
    s.ax[i] = s.mu !== 1 ? s.ax[i]! + (param[i]! - s.ax[i]!) * s.mu : param[i]!;
  }
  s.eta = o.lr / (1 + o.lambd * o.lr * t) ** o.alpha;
  s.mu = 1 / Math.max(1, t - o.t0);
}

/** v_t = β v_{t−1} + (1 − β) θ_t from v_0 = 0, optionally divided by 1 − βᵗ. */
export function ewa(series: ArrayLike<number>, beta: number, biasCorrection: boolean): Float64Array {
  let v = 0;
  return tabulate(series.length, (i) => {
    v = beta * v + (1 - beta) * series[i]!;
    return biasCorrection ? v / (1 - beta ** (i + 1)) : v;
  });
}
