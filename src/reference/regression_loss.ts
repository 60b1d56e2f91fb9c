// Float64 CPU references for nn.MSELoss and nn.L1Loss, written from PyTorch's documented
// definitions (not from the WGSL): l_i = (x_i − t_i)² or |x_i − t_i|; 'none' = l_i, 'sum' = Σ l_i,
// 'mean' = Σ l_i / n.
import { tabulate } from './arrays';

export type RegressionLoss = 'mse' | 'l1';
export type Reduction = 'mean' | 'sum' | 'none';

export interface RegressionResult {
  /** The reduced loss ('none': the element losses' sum, unused). */
  loss: number;
  elements: Float64Array;
  /** d loss / d x of the reduced loss ('none': of Σ dy_i · l_i, with dy given). */
  grad: Float64Array;
}

export function regressionLoss(kind: RegressionLoss, x: ArrayLike<number>, t: ArrayLike<number>, reduction: Reduction = 'mean', dy?: ArrayLike<number>): RegressionResult {
  const n = x.length;
  const elements = tabulate(n, (i) => (kind === 'mse' ? (x[i]! - t[i]!) ** 2 : Math.abs(x[i]! - t[i]!)));
  const total = elements.reduce((s, v) => s + v, 0);
  const scale = reduction === 'mean' ? 1 / n : 1;
  // d/dx (x − t)² = 2(x − t); d/dx |x − t| = sign(x − t), 0 at x = t (PyTorch's choice).
  const grad = tabulate(n, (i) => {
    const d = x[i]! - t[i]!;
    const slope = kind === 'mse' ? 2 * d : Math.sign(d);
    return slope * scale * (reduction === 'none' && dy ? dy[i]! : 1);
  });
  return { loss: reduction === 'mean' ? total / n : total, elements, grad };
}
