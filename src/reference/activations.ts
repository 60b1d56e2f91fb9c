// Float64 CPU references for tanh, leaky ReLU and GELU, written from the math (not from the WGSL).
import { tabulate } from './arrays';
import { erfc } from './special';

export const tanh = (x: number): number => Math.tanh(x);

/** d/dx tanh(x) = 1 − tanh²(x), applied to an upstream gradient. */
export function tanhBackward(x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  return tabulate(dy.length, (i) => dy[i]! * (1 - Math.tanh(x[i]!) ** 2));
}

/** x for x > 0, slope · x otherwise (torch.nn.functional.leaky_relu). */
export const leakyRelu = (x: number, slope: number): number => (x > 0 ? x : slope * x);

/** d/dx leaky_relu(x) = 1 for x > 0, else slope (PyTorch's choice at 0). */
export function leakyReluBackward(x: ArrayLike<number>, dy: ArrayLike<number>, slope: number): Float64Array {
  return tabulate(dy.length, (i) => (x[i]! > 0 ? dy[i]! : slope * dy[i]!));
}

/** Φ(x) = ½ erfc(−x/√2), the standard normal CDF, precise in its lower tail. */
const normalCdf = (x: number): number => 0.5 * erfc(-x / Math.SQRT2);

/** GELU: x · Φ(x), Φ the standard normal CDF (approximate 'none'), or PyTorch's tanh form 0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 x³))). */
export function gelu(x: number, approximate: 'none' | 'tanh'): number {
  if (approximate === 'tanh') return 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
  return x * normalCdf(x);
}

/** d/dx of gelu, applied to an upstream gradient: Φ(x) + x · φ(x), or the tanh form's derivative. */
export function geluBackward(x: ArrayLike<number>, dy: ArrayLike<number>, approximate: 'none' | 'tanh'): Float64Array {
  return tabulate(dy.length, (i) => {
    const v = x[i]!;
    if (approximate === 'tanh') {
      const k = Math.sqrt(2 / Math.PI);
      const t = Math.tanh(k * (v + 0.044715 * v ** 3));
      return dy[i]! * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * 0.044715 * v * v));
    }
    return dy[i]! * (normalCdf(v) + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI));
  });
}
