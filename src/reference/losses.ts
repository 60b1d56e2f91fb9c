// Float64 CPU reference for softmax + cross-entropy (nn.CrossEntropyLoss with reduction 'mean').

export interface CrossEntropyResult {
  loss: number;
  rowLoss: Float64Array;
  /** d loss / d logits for the mean loss: (softmax − onehot) / N. */
  grad: Float64Array;
  /** Rows whose first arg-max equals the label. */
  correct: number;
}

export function softmaxCrossEntropy(logits: ArrayLike<number>, labels: ArrayLike<number>, N: number, C: number): CrossEntropyResult {
  const rowLoss = new Float64Array(N);
  const grad = new Float64Array(N * C);
  let correct = 0;
  for (let i = 0; i < N; i++) {
    const row = Array.from({ length: C }, (_, j) => logits[i * C + j]!);
    const max = Math.max(...row);
    const logSumExp = max + Math.log(row.reduce((s, z) => s + Math.exp(z - max), 0));
    const label = labels[i]!;
    rowLoss[i] = logSumExp - row[label]!;
    for (let j = 0; j < C; j++) grad[i * C + j] = (Math.exp(row[j]! - logSumExp) - (j === label ? 1 : 0)) / N;
    if (row.indexOf(max) === label) correct++;
  }
  const loss = rowLoss.reduce((s, v) => s + v, 0) / N;
  return { loss, rowLoss, grad, correct };
}
