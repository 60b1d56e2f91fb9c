// Float64 CPU references for tanh and leaky ReLU, written from the math (not from the WGSL).
import { tabulate } from './arrays';

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
