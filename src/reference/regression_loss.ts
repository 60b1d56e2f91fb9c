// Float64 CPU references for nn.MSELoss, nn.L1Loss, nn.BCELoss, nn.SmoothL1Loss and nn.HuberLoss,
// written from PyTorch's documented definitions (not from the WGSL): with d = x − t, l_i = d²,
// |d|, −(t_i · max(ln x_i, −100) + (1 − t_i) · max(ln(1 − x_i), −100)), SmoothL1's
// 0.5 d²/β inside |d| < β and |d| − 0.5β outside, Huber's 0.5 d² inside |d| < δ and
// δ(|d| − 0.5δ) outside; 'none' = l_i, 'sum' = Σ l_i, 'mean' = Σ l_i / n. BCE's gradients are
// PyTorch's: (x − t) / max(x(1 − x), 1e-12) for x, and ln(1 − x) − ln x for t.
import { tabulate } from './arrays';

export type RegressionLoss = 'mse' | 'l1' | 'bce' | 'smoothL1' | 'huber';
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

/** The element loss of a difference d for the kinds that depend on d alone; `knee` is SmoothL1's β or Huber's δ. */
function ofDifference(kind: RegressionLoss, d: number, knee: number): number {
  const a = Math.abs(d);
  if (kind === 'mse') return d * d;
  if (kind === 'l1') return a;
  if (kind === 'smoothL1') return a < knee ? (0.5 * d * d) / knee : a - 0.5 * knee;
  return a < knee ? 0.5 * d * d : knee * (a - 0.5 * knee); // huber
}

/**
 * d l / d d. The quadratic pieces' slopes (d/β, d) meet the linear pieces' (±1, ±δ) at |d| = β, so
 * either side of the knee gives the same number there. At β = 0 SmoothL1 is L1, but PyTorch 1.13's
 * backward takes its linear branch at |d| ≥ β with the sign "d > 0 ? 1 : −1": −1 at d = 0, not L1's 0.
 */
function slopeOfDifference(kind: RegressionLoss, d: number, knee: number): number {
  if (kind === 'mse') return 2 * d;
  if (kind === 'l1') return Math.sign(d) || 0; // sign(0) = 0, as PyTorch (and not −0)
  const outer = d > 0 ? 1 : -1;
  if (kind === 'smoothL1') return Math.abs(d) >= knee ? outer : d / knee;
  return Math.abs(d) >= knee ? knee * outer : d; // huber
}

/**
 * The loss of x against t, with its gradients; `knee` is SmoothL1's β or Huber's δ (unused by the
 * other kinds). PyTorch's gradient for the target is its input's formula with x and t swapped: the
 * slope at t − x (−the input's, but for SmoothL1 at β = 0 and x = t, where both are −1).
 */
export function regressionLoss(kind: RegressionLoss, x: ArrayLike<number>, t: ArrayLike<number>, reduction: Reduction = 'mean', dy?: ArrayLike<number>, knee = 1): RegressionResult {
  const n = x.length;
  const elements = tabulate(n, (i) => (kind === 'bce' ? bceElement(x[i]!, t[i]!) : ofDifference(kind, x[i]! - t[i]!, knee)));
  const total = elements.reduce((s, v) => s + v, 0);
  const scale = reduction === 'mean' ? 1 / n : 1;
  const upstream = (i: number) => scale * (reduction === 'none' && dy ? dy[i]! : 1);
  const grad = tabulate(n, (i) => {
    const slope = kind === 'bce' ? (x[i]! - t[i]!) / Math.max(x[i]! * (1 - x[i]!), 1e-12) : slopeOfDifference(kind, x[i]! - t[i]!, knee);
    return slope * upstream(i);
  });
  // d/dt: BCE's own, ln(1 − x) − ln x; the others' slope at t − x.
  const targetGrad = tabulate(n, (i) => (kind === 'bce' ? Math.log(1 - x[i]!) - Math.log(x[i]!) : slopeOfDifference(kind, t[i]! - x[i]!, knee)) * upstream(i));
  return { loss: reduction === 'mean' ? total / n : total, elements, grad, targetGrad };
}
