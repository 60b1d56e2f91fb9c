// torch.nn.init, generated on the GPU by shaders/init.wgsl. Each call draws from the global seed
// (manualSeed) and the next stream number, so the same seed and the same sequence of calls give the
// same values. The gains and fans follow PyTorch's calculate_gain and _calculate_fan_in_and_fan_out.
import { fillConstant, fillNormal, fillUniform, type RandomKey } from './kernels/init';
import type { Tensor } from './tensor';

let globalSeed = 0x5eed;
let nextStream = 0;

/** torch.manual_seed: restarts the stream of random keys used by init and Dropout. */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed >= 2 ** 32) throw new Error(`manualSeed: argument 'seed' expected an integer in [0, 2³²), got ${seed}`);
  globalSeed = seed;
  nextStream = 0;
}

/** The next (seed, stream) key of the global generator. */
export function nextRandomKey(): RandomKey {
  return { seed: globalSeed, stream: nextStream++ };
}

export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'conv_transpose1d' | 'conv_transpose2d' | 'conv_transpose3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** torch.nn.init.calculate_gain. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
    case 'conv_transpose1d':
    case 'conv_transpose2d':
    case 'conv_transpose3d':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (!Number.isFinite(slope)) throw new Error(`calculateGain: negative_slope ${slope} is not a valid number`);
      return Math.sqrt(2 / (1 + slope ** 2));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unsupported nonlinearity '${String(nonlinearity)}'`);
  }
}

/** fan_in = shape[1] · receptive field, fan_out = shape[0] · receptive field (≥ 2 dimensions). */
export function calculateFanInAndFanOut(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new Error(`init: fan in and fan out can not be computed for a tensor with fewer than 2 dimensions, got shape [${shape.join(', ')}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

export type FanMode = 'fan_in' | 'fan_out';

function fan(shape: readonly number[], mode: FanMode): number {
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new Error(`init: mode '${String(mode)}' not supported, expected fan_in or fan_out`);
  const { fanIn, fanOut } = calculateFanInAndFanOut(shape);
  return mode === 'fan_in' ? fanIn : fanOut;
}

export function uniform_(t: Tensor, a = 0, b = 1): Tensor {
  fillUniform(t, a, b, nextRandomKey());
  return t;
}

export function normal_(t: Tensor, mean = 0, std = 1): Tensor {
  fillNormal(t, mean, std, nextRandomKey());
  return t;
}

export function constant_(t: Tensor, value: number): Tensor {
  fillConstant(t, value);
  return t;
}

export const zeros_ = (t: Tensor): Tensor => constant_(t, 0);
export const ones_ = (t: Tensor): Tensor => constant_(t, 1);

export interface KaimingOptions {
  /** The negative slope of the rectifier after this layer (leaky_relu only). */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

/** kaimingUniform_'s bound for a tensor of this shape: gain · √(3 / fan). */
export function kaimingUniformBound(shape: readonly number[], { a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu' }: KaimingOptions = {}): number {
  return Math.sqrt(3) * (calculateGain(nonlinearity, a) / Math.sqrt(fan(shape, mode)));
}

/** U(−bound, bound), bound = gain · √(3 / fan). */
export function kaimingUniform_(t: Tensor, options: KaimingOptions = {}): Tensor {
  const bound = kaimingUniformBound(t.shape, options);
  return uniform_(t, -bound, bound);
}

/** N(0, std²), std = gain / √fan. */
export function kaimingNormal_(t: Tensor, { a = 0, mode = 'fan_in', nonlinearity = 'leaky_relu' }: KaimingOptions = {}): Tensor {
  return normal_(t, 0, calculateGain(nonlinearity, a) / Math.sqrt(fan(t.shape, mode)));
}

/** U(−a, a), a = gain · √(6 / (fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t.shape);
  const a = gain * Math.sqrt(6 / (fanIn + fanOut));
  return uniform_(t, -a, a);
}

/** N(0, std²), std = gain · √(2 / (fan_in + fan_out)). */
export function xavierNormal_(t: Tensor, gain = 1): Tensor {
  const { fanIn, fanOut } = calculateFanInAndFanOut(t.shape);
  return normal_(t, 0, gain * Math.sqrt(2 / (fanIn + fanOut)));
}
