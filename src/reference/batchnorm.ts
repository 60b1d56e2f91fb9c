// Float64 CPU reference for batch normalisation over a (N, C, S) view of NCHW data, following
// PyTorch's BatchNorm: biased variance to normalise, unbiased variance into running_var, and
// momentum weighting the new batch.

export interface BatchNormSpec {
  N: number;
  C: number;
  S: number;
  eps: number;
  momentum: number;
  training: boolean;
  gamma: ArrayLike<number>;
  beta: ArrayLike<number>;
  runningMean: ArrayLike<number>;
  runningVar: ArrayLike<number>;
}

export interface BatchNormForward {
  y: Float64Array;
  mean: Float64Array;
  invstd: Float64Array;
  runningMean: Float64Array;
  runningVar: Float64Array;
}

const at = (spec: BatchNormSpec, n: number, c: number, s: number) => (n * spec.C + c) * spec.S + s;

/** Each channel's mean and 1/√(var + eps) (the batch's in training, the running ones in eval), and the updated running statistics. */
function statistics(x: ArrayLike<number>, spec: BatchNormSpec): Omit<BatchNormForward, 'y'> {
  const { N, C, S, eps, momentum, training } = spec;
  const M = N * S;
  const mean = new Float64Array(C);
  const invstd = new Float64Array(C);
  const runningMean = Float64Array.from(spec.runningMean);
  const runningVar = Float64Array.from(spec.runningVar);
  for (let c = 0; c < C; c++) {
    let mu: number;
    let variance: number;
    if (training) {
      let sum = 0;
      for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) sum += x[at(spec, n, c, s)]!;
      mu = sum / M;
      let sq = 0;
      for (let n = 0; n < N; n++) for (let s = 0; s < S; s++) sq += (x[at(spec, n, c, s)]! - mu) ** 2;
      variance = sq / M;
      runningMean[c] = (1 - momentum) * runningMean[c]! + momentum * mu;
      runningVar[c] = (1 - momentum) * runningVar[c]! + momentum * (sq / (M - 1));
    } else {
      mu = spec.runningMean[c]!;
      variance = spec.runningVar[c]!;
    }
    mean[c] = mu;
    invstd[c] = 1 / Math.sqrt(variance + eps);
  }
  return { mean, invstd, runningMean, runningVar };
}

export function batchNorm(x: ArrayLike<number>, spec: BatchNormSpec): BatchNormForward {
  const { N, C, S } = spec;
  const stats = statistics(x, spec);
  const { mean, invstd } = stats;
  const y = new Float64Array(N * C * S);
  for (let c = 0; c < C; c++) {
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const i = at(spec, n, c, s);
        y[i] = spec.gamma[c]! * (x[i]! - mean[c]!) * invstd[c]! + spec.beta[c]!;
      }
    }
  }
  return { y, ...stats };
}

export interface BatchNormBackward {
  dx: Float64Array;
  dgamma: Float64Array;
  dbeta: Float64Array;
}

/**
 * Gradients of y = γ·x̂ + β. In training the batch statistics depend on x:
 *   dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy · x̂)); in eval they are constants: dx = γ/σ · dy.
 */
export function batchNormBackward(x: ArrayLike<number>, dy: ArrayLike<number>, spec: BatchNormSpec): BatchNormBackward {
  const { N, C, S, training } = spec;
  const M = N * S;
  const { mean, invstd } = statistics(x, spec);
  const dx = new Float64Array(N * C * S);
  const dgamma = new Float64Array(C);
  const dbeta = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const i = at(spec, n, c, s);
        sumDy += dy[i]!;
        sumDyXhat += dy[i]! * (x[i]! - mean[c]!) * invstd[c]!;
      }
    }
    dbeta[c] = sumDy;
    dgamma[c] = sumDyXhat;
    for (let n = 0; n < N; n++) {
      for (let s = 0; s < S; s++) {
        const i = at(spec, n, c, s);
        const xhat = (x[i]! - mean[c]!) * invstd[c]!;
        const g = training ? dy[i]! - dbeta[c]! / M - (xhat * dgamma[c]!) / M : dy[i]!;
        dx[i] = spec.gamma[c]! * invstd[c]! * g;
      }
    }
  }
  return { dx, dgamma, dbeta };
}
