// Float64 CPU references for nn.MSELoss, nn.L1Loss and nn.BCELoss, written from PyTorch's documented
// definitions (not from the WGSL): l_i = (x_i − t_i)², |x_i − t_i| or
// −(t_i · max(ln x_i, −100) + (1 − t_i) · max(ln(1 − x_i), −100)); 'none' = l_i, 'sum' = Σ l_i,
// 'mean' = Σ l_i / n. BCE's gradients are PyTorch's: (x − t) / max(x(1 − x), 1e-12) for x, and
// ln(1 − x) − ln x for t.
import { tabulate } from './arrays';

export type RegressionLoss = 'mse' | 'l1' | 'bce';
export type Reduction = 'mean' | 'sum' | 'none';

export interface RegressionResult {
  /** The reduced loss ('none': the element losses' sum, unused). */
  loss: number;
  elements: Float64Array;
  /** d loss / d x of the reduced loss ('none': of Σ dy_i · l_i, with dy given). */
  grad: Float64Array;
  /** d loss / d t, of the same. */
  targetGrad: Float64Array;
}

const bceElement = (x: number, t: number) => -(t * Math.max(Math.log(x), -100) + (1 - t) * Math.max(Math.log(1 - x), -100));

export function regressionLoss(kind: RegressionLoss, x: ArrayLike<number>, t: ArrayLike<number>, reduction: Reduction = 'mean', dy?: ArrayLike<number>): RegressionResult {
  const n = x.length;
  const elements = tabulate(n, (i) => (kind === 'mse' ? (x[i]! - t[i]!) ** 2 : kind === 'l1' ? Math.abs(x[i]! - t[i]!) : bceElement(x[i]!, t[i]!)));
  const total = elements.reduce((s, v) => s + v, 0);
  const scale = reduction === 'mean' ? 1 / n : 1;
  // d/dx (x − t)² = 2(x − t); d/dx |x − t| = sign(x − t), 0 at x = t (PyTorch's choice).
  const upstream = (i: number) => scale * (reduction === 'none' && dy ? dy[i]! : 1);
  const grad = tabulate(n, (i) => {
    const d = x[i]! - t[i]!;
    const slope = kind === 'mse' ? 2 * d : kind === 'l1' ? Math.sign(d) : d / Math.max(x[i]! * (1 - x[i]!), 1e-12);
    return slope * upstream(i);
  });
  // d/dt: −d/dx for the differences; BCE's own, ln(1 − x) − ln x.
  const targetGrad = tabulate(n, (i) => (kind === 'bce' ? (Math.log(1 - x[i]!) - Math.log(x[i]!)) * upstream(i) : -grad[i]!));
  return { loss: reduction === 'mean' ? total / n : total, elements, grad, targetGrad };
}
