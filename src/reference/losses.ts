// Float64 CPU reference for softmax + cross-entropy: nn.CrossEntropyLoss with class-index targets,
// written from PyTorch's documented definition, with its weight, ignore_index, reduction and
// label_smoothing:
//   l_i = (1 − ε) · w_{t_i} · (−log p_i,t_i) + ε/C · Σ_j w_j · (−log p_ij),   0 when t_i = ignore_index
//   mean = Σ l_i / Σ_{i not ignored} w_{t_i},   sum = Σ l_i,   none = l_i.

export interface CrossEntropyOptions {
  weight?: ArrayLike<number>;
  ignoreIndex?: number;
  reduction?: 'mean' | 'sum' | 'none';
  labelSmoothing?: number;
}

export interface CrossEntropyResult {
  /** The reduced loss (for 'none', the mean, as the metrics record it). */
  loss: number;
  rowLoss: Float64Array;
  /** d loss / d logits of the reduced loss ('none': of the sum of the rows). */
  grad: Float64Array;
  /** Rows, not ignored, whose first arg-max equals the label. */
  correct: number;
  /** Rows not ignored. */
  counted: number;
}

export function softmaxCrossEntropy(logits: ArrayLike<number>, labels: ArrayLike<number>, N: number, C: number, options: CrossEntropyOptions = {}): CrossEntropyResult {
  const { weight, ignoreIndex = -100, reduction = 'mean', labelSmoothing: eps = 0 } = options;
  const w = (j: number) => (weight ? weight[j]! : 1);
  const rowLoss = new Float64Array(N);
  const rowGrad = new Float64Array(N * C); // d l_i / d z_ij
  let weightSum = 0;
  for (let j = 0; j < C; j++) weightSum += w(j);
  let denominator = 0;
  let correct = 0;
  let counted = 0;
  for (let i = 0; i < N; i++) {
    const label = labels[i]!;
    if (label === ignoreIndex) continue;
    counted++;
    const row: number[] = [];
    for (let j = 0; j < C; j++) row.push(logits[i * C + j]!);
    const max = Math.max(...row);
    const logSumExp = max + Math.log(row.reduce((s, z) => s + Math.exp(z - max), 0));
    const logP = row.map((z) => z - logSumExp);
    const valid = Number.isInteger(label) && label >= 0 && label < C;
    denominator += valid ? w(label) : 1;
    if (!valid) {
      rowLoss[i] = NaN;
    } else {
      const smooth = logP.reduce((s, lp, j) => s - w(j) * lp, 0);
      rowLoss[i] = (1 - eps) * w(label) * -logP[label]! + (eps / C) * smooth;
    }
    for (let j = 0; j < C; j++) {
      const p = Math.exp(logP[j]!);
      const hard = w(label) * (p - (j === label ? 1 : 0));
      // PyTorch raises on a label outside [0, C); a GPU cannot, so its row's gradient is NaN too.
      rowGrad[i * C + j] = valid ? (1 - eps) * hard + (eps / C) * (p * weightSum - w(j)) : NaN;
    }
    if (row.indexOf(max) === label) correct++;
  }
  const total = rowLoss.reduce((s, v) => s + v, 0);
  const scale = reduction === 'mean' ? 1 / denominator : 1;
  const grad = rowGrad.map((g) => g * scale);
  const loss = reduction === 'sum' ? total : total / denominator;
  return { loss, rowLoss, grad, correct, counted };
}

/**
 * nn.NLLLoss from PyTorch's definition: the input x holds log-probabilities, so
 *   l_i = −w_{t_i} · x_i,t_i   (0 when t_i = ignore_index),   mean = Σ l_i / Σ_{i not ignored} w_{t_i}.
 * A label outside [0, C) gives NaN (PyTorch raises), counted with weight 1 in the mean.
 */
export function nllLoss(x: ArrayLike<number>, labels: ArrayLike<number>, N: number, C: number, options: Omit<CrossEntropyOptions, 'labelSmoothing'> = {}): CrossEntropyResult {
  const { weight, ignoreIndex = -100, reduction = 'mean' } = options;
  const w = (j: number) => (weight ? weight[j]! : 1);
  const rowLoss = new Float64Array(N);
  const rowGrad = new Float64Array(N * C);
  let [denominator, correct, counted] = [0, 0, 0];
  for (let i = 0; i < N; i++) {
    const label = labels[i]!;
    if (label === ignoreIndex) continue;
    counted++;
    const valid = Number.isInteger(label) && label >= 0 && label < C;
    denominator += valid ? w(label) : 1;
    rowLoss[i] = valid ? -w(label) * x[i * C + label]! : NaN;
    for (let j = 0; j < C; j++) rowGrad[i * C + j] = valid ? (j === label ? -w(label) : 0) : NaN;
    const row = Array.from({ length: C }, (_, j) => x[i * C + j]!);
    if (row.indexOf(Math.max(...row)) === label) correct++;
  }
  const total = rowLoss.reduce((s, v) => s + v, 0);
  const scale = reduction === 'mean' ? 1 / denominator : 1;
  return { loss: reduction === 'sum' ? total : total / denominator, rowLoss, grad: rowGrad.map((g) => g * scale), correct, counted };
}
