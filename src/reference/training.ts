// Float64 CPU reference of one training step of a multilayer perceptron: Linear → activation → … →
// Linear, mean cross-entropy, backward by the chain rule, then Adam on every parameter.
import { matmul, sumRows, type Activation } from './linalg';
import { softmaxCrossEntropy } from './losses';
import { adamStep, type AdamOptions, type AdamState } from './optim';

/**
 * One step. params holds each layer's weight [out, in] and bias [out], in order (weight 0, bias 0,
 * weight 1, …), as Adam states updated in place; sizes are the layer widths, input first. Returns
 * the step's loss (before the update).
 */
export function mlpTrainingStep(params: AdamState[], sizes: readonly number[], x: ArrayLike<number>, labels: ArrayLike<number>, activation: Exclude<Activation, 'none'>, adam: AdamOptions): number {
  const N = labels.length;
  const layers = sizes.length - 1;
  const acts: Float64Array[] = [Float64Array.from(x)];
  for (let l = 0; l < layers; l++) {
    const act = l < layers - 1 ? activation : 'none';
    acts.push(matmul(acts[l]!, params[2 * l]!.param, { M: N, N: sizes[l + 1]!, K: sizes[l]!, transposeB: true, bias: params[2 * l + 1]!.param, activation: act }));
  }
  const ce = softmaxCrossEntropy(acts[layers]!, labels, N, sizes[layers]!);
  let dz = ce.grad;
  const grads: Float64Array[] = [];
  for (let l = layers - 1; l >= 0; l--) {
    const [inF, outF] = [sizes[l]!, sizes[l + 1]!];
    grads[2 * l] = matmul(dz, acts[l]!, { M: outF, N: inF, K: N, transposeA: true });
    grads[2 * l + 1] = sumRows(dz, N, outF);
    if (l > 0) {
      const dh = matmul(dz, params[2 * l]!.param, { M: N, N: inF, K: outF });
      const h = acts[l]!;
      dz = dh.map((g, i) => (activation === 'sigmoid' ? g * h[i]! * (1 - h[i]!) : h[i]! > 0 ? g : 0));
    }
  }
  params.forEach((p, i) => adamStep(p, grads[i]!, adam));
  return ce.loss;
}
