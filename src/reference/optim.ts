// Float64 CPU references of PyTorch's documented optimizer algorithms (torch.optim docs).

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
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

/** One step of torch.optim.Adam, in place. */
export function adamStep(s: AdamState, grad: ArrayLike<number>, o: AdamOptions): void {
  s.step++;
  const bc1 = 1 - o.beta1 ** s.step;
  const bc2 = 1 - o.beta2 ** s.step;
  for (let i = 0; i < s.param.length; i++) {
    const g = grad[i]! + o.weightDecay * s.param[i]!;
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
