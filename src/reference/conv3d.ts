// Float64 CPU references for 3-D convolution and pooling over NCDHW, written from the definitions
// (torch.nn.functional.conv3d, max_pool3d, avg_pool3d, adaptive_avg_pool3d, adaptive_max_pool3d).
// As conv.ts's, the backward passes scatter: each output position sends its gradient back along the
// taps that produced it (the kernels gather instead, one invocation per element written). A window
// or kernel is walked as a list of its taps' (depth, row, column) offsets, so one loop serves all.
import { outputSize } from './conv';

export type Triple = [number, number, number];

export interface Conv3dSpec {
  N: number;
  C: number;
  /** Input depth, height, width. */
  size: Triple;
  /** Output channels. */
  F: number;
  kernel: Triple;
  stride?: Triple;
  padding?: Triple;
  dilation?: Triple;
  groups?: number;
}

const product = (v: readonly number[]) => v.reduce((a, b) => a * b, 1);

/** The output's depth, height and width (⌊(size + 2·pad − dil·(k − 1) − 1) / stride⌋ + 1 per axis). */
function extent(size: Triple, kernel: Triple, stride: Triple, padding: Triple, dilation: Triple): Triple {
  return [0, 1, 2].map((a) => outputSize(size[a]!, kernel[a]!, stride[a]!, padding[a]!, dilation[a]!)) as Triple;
}

/** Every (kd, kh, kw) of a kernel, in row-major order: its flat index is the position in the list. */
function taps(kernel: Triple): Triple[] {
  const all: Triple[] = [];
  for (let kd = 0; kd < kernel[0]; kd++) for (let kh = 0; kh < kernel[1]; kh++) for (let kw = 0; kw < kernel[2]; kw++) all.push([kd, kh, kw]);
  return all;
}

/** The flat index within a volume of `size` of input position o·stride − pad + k·dil per axis, or −1 outside it. */
function inputAt(o: Triple, k: Triple, size: Triple, stride: Triple, padding: Triple, dilation: Triple): number {
  const at = [0, 1, 2].map((a) => o[a]! * stride[a]! - padding[a]! + k[a]! * dilation[a]!);
  if (at.some((v, a) => v < 0 || v >= size[a]!)) return -1;
  return (at[0]! * size[1] + at[1]!) * size[2] + at[2]!;
}

/** Every output position (od, oh, ow) of an extent, with its flat index. */
function positions(out: Triple): { at: Triple; flat: number }[] {
  return taps(out).map((at, flat) => ({ at, flat }));
}

export function conv3dOutputShape(spec: Conv3dSpec): number[] {
  return [spec.N, spec.F, ...extent(spec.size, spec.kernel, spec.stride ?? [1, 1, 1], spec.padding ?? [0, 0, 0], spec.dilation ?? [1, 1, 1])];
}

/** visit(yIndex, wIndex, xIndex) for every tap of the convolution that lands inside the input. */
function forEachTap(spec: Conv3dSpec, visit: (yi: number, wi: number, xi: number) => void): void {
  const [stride, padding, dilation]: [Triple, Triple, Triple] = [spec.stride ?? [1, 1, 1], spec.padding ?? [0, 0, 0], spec.dilation ?? [1, 1, 1]];
  const G = spec.groups ?? 1;
  const out = extent(spec.size, spec.kernel, stride, padding, dilation);
  const [Cg, Fg, inVolume, outVolume, K] = [spec.C / G, spec.F / G, product(spec.size), product(out), product(spec.kernel)];
  const kernelTaps = taps(spec.kernel);
  for (let n = 0; n < spec.N; n++) {
    for (let f = 0; f < spec.F; f++) {
      const g = Math.floor(f / Fg);
      for (const o of positions(out)) {
        const yi = (n * spec.F + f) * outVolume + o.flat;
        for (let c = 0; c < Cg; c++) {
          kernelTaps.forEach((k, ki) => {
            const xi = inputAt(o.at, k, spec.size, stride, padding, dilation);
            if (xi >= 0) visit(yi, (f * Cg + c) * K + ki, (n * spec.C + g * Cg + c) * inVolume + xi);
          });
        }
      }
    }
  }
}

/** y = x ⋆ w (+ bias per output channel). */
export function conv3d(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null, spec: Conv3dSpec): Float64Array {
  const shape = conv3dOutputShape(spec);
  const volume = product(shape.slice(2));
  const y = new Float64Array(product(shape));
  if (bias) for (let i = 0; i < y.length; i++) y[i] = bias[Math.floor(i / volume) % spec.F]!;
  forEachTap(spec, (yi, wi, xi) => (y[yi] = y[yi]! + w[wi]! * x[xi]!));
  return y;
}

/** Gradients of Σ dy·y with respect to x, w and the bias. */
export function conv3dBackward(x: ArrayLike<number>, w: ArrayLike<number>, dy: ArrayLike<number>, spec: Conv3dSpec): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const volume = product(conv3dOutputShape(spec).slice(2));
  const [dx, dw, db] = [new Float64Array(x.length), new Float64Array(w.length), new Float64Array(spec.F)];
  forEachTap(spec, (yi, wi, xi) => {
    dx[xi] = dx[xi]! + dy[yi]! * w[wi]!;
    dw[wi] = dw[wi]! + dy[yi]! * x[xi]!;
  });
  for (let i = 0; i < dy.length; i++) {
    const f = Math.floor(i / volume) % spec.F;
    db[f] = db[f]! + dy[i]!;
  }
  return { dx, dw, db };
}

export interface Pool3dSpec {
  N: number;
  C: number;
  size: Triple;
  kernel: Triple;
  /** Defaults to the kernel, as PyTorch's. */
  stride?: Triple;
  padding?: Triple;
  dilation?: Triple;
  countIncludePad?: boolean;
}

function poolGeometry(spec: Pool3dSpec) {
  const [stride, padding, dilation] = [spec.stride ?? spec.kernel, spec.padding ?? [0, 0, 0], spec.dilation ?? [1, 1, 1]] as [Triple, Triple, Triple];
  return { stride, padding, dilation, out: extent(spec.size, spec.kernel, stride, padding, dilation) };
}

export function pool3dOutputShape(spec: Pool3dSpec): number[] {
  return [spec.N, spec.C, ...poolGeometry(spec).out];
}

/**
 * visit(volumeStart, yIndex, positions, padded) for every window: its input positions inside the
 * input (flat within the volume, in (kd, kh, kw) order) and its size counting padding.
 */
function forEachWindow(spec: Pool3dSpec, visit: (start: number, yi: number, inside: number[], padded: number) => void): void {
  const { stride, padding, dilation, out } = poolGeometry(spec);
  const [inVolume, outVolume, kernelTaps] = [product(spec.size), product(out), taps(spec.kernel)];
  for (let plane = 0; plane < spec.N * spec.C; plane++) {
    for (const o of positions(out)) {
      const inside = kernelTaps.map((k) => inputAt(o.at, k, spec.size, stride, padding, dilation)).filter((i) => i >= 0);
      visit(plane * inVolume, plane * outVolume + o.flat, inside, kernelTaps.length);
    }
  }
}

/** The first maximum of x over `at` (offsets from start); a NaN wins, the last one, as PyTorch's `val > maxval || isnan(val)`. */
function argMax(x: ArrayLike<number>, start: number, at: number[]): number {
  let best = at[0]!;
  for (const i of at) if (x[start + i]! > x[start + best]! || Number.isNaN(x[start + i]!)) best = i;
  return best;
}

/** Max over each window; indices hold the first maximum's (d·H + h)·W + w within its volume. */
export function maxPool3d(x: ArrayLike<number>, spec: Pool3dSpec): { y: Float64Array; indices: Uint32Array } {
  const y = new Float64Array(product(pool3dOutputShape(spec)));
  const indices = new Uint32Array(y.length);
  forEachWindow(spec, (start, yi, inside) => {
    indices[yi] = argMax(x, start, inside);
    y[yi] = x[start + indices[yi]!]!;
  });
  return { y, indices };
}

/** Each output's gradient goes to the position its index names: max_pool3d's and adaptive_max_pool3d's backward. */
export function maxPool3dBackward(dy: ArrayLike<number>, indices: ArrayLike<number>, spec: { N: number; C: number; size: Triple }): Float64Array {
  const inVolume = product(spec.size);
  const outVolume = dy.length / (spec.N * spec.C);
  const dx = new Float64Array(spec.N * spec.C * inVolume);
  for (let yi = 0; yi < dy.length; yi++) {
    const xi = Math.floor(yi / outVolume) * inVolume + indices[yi]!;
    dx[xi] = dx[xi]! + dy[yi]!;
  }
  return dx;
}

const divisor = (spec: Pool3dSpec, inside: number[], padded: number) => ((spec.countIncludePad ?? true) ? padded : inside.length);

export function avgPool3d(x: ArrayLike<number>, spec: Pool3dSpec): Float64Array {
  const y = new Float64Array(product(pool3dOutputShape(spec)));
  forEachWindow(spec, (start, yi, inside, padded) => (y[yi] = inside.reduce((sum, i) => sum + x[start + i]!, 0) / divisor(spec, inside, padded)));
  return y;
}

export function avgPool3dBackward(dy: ArrayLike<number>, spec: Pool3dSpec): Float64Array {
  const dx = new Float64Array(spec.N * spec.C * product(spec.size));
  forEachWindow(spec, (start, yi, inside, padded) => {
    for (const i of inside) dx[start + i] = dx[start + i]! + dy[yi]! / divisor(spec, inside, padded);
  });
  return dx;
}

export interface AdaptivePool3dSpec {
  N: number;
  C: number;
  size: Triple;
  out: Triple;
}

/**
 * visit(volumeStart, yIndex, bin) for every output: its bin's positions (flat within the volume),
 * along each axis ⌊o·size/out⌋ ≤ t < ⌈(o + 1)·size/out⌉ (PyTorch's start_index, end_index).
 */
function forEachBin(spec: AdaptivePool3dSpec, visit: (start: number, yi: number, bin: number[]) => void): void {
  const [inVolume, outVolume] = [product(spec.size), product(spec.out)];
  for (let plane = 0; plane < spec.N * spec.C; plane++) {
    for (const o of positions(spec.out)) {
      const [first, end] = [0, 1].map((e) => [0, 1, 2].map((a) => (e === 0 ? Math.floor((o.at[a]! * spec.size[a]!) / spec.out[a]!) : Math.ceil(((o.at[a]! + 1) * spec.size[a]!) / spec.out[a]!))));
      const span = [0, 1, 2].map((a) => end![a]! - first![a]!) as Triple;
      const bin = taps(span).map(([d, h, w]) => ((first![0]! + d) * spec.size[1] + first![1]! + h) * spec.size[2] + first![2]! + w);
      visit(plane * inVolume, plane * outVolume + o.flat, bin);
    }
  }
}

export function adaptiveAvgPool3d(x: ArrayLike<number>, spec: AdaptivePool3dSpec): Float64Array {
  const y = new Float64Array(spec.N * spec.C * product(spec.out));
  forEachBin(spec, (start, yi, bin) => (y[yi] = bin.reduce((sum, i) => sum + x[start + i]!, 0) / bin.length));
  return y;
}

export function adaptiveAvgPool3dBackward(dy: ArrayLike<number>, spec: AdaptivePool3dSpec): Float64Array {
  const dx = new Float64Array(spec.N * spec.C * product(spec.size));
  forEachBin(spec, (start, yi, bin) => {
    for (const i of bin) dx[start + i] = dx[start + i]! + dy[yi]! / bin.length;
  });
  return dx;
}

/** The max of each bin and its position (d·H + h)·W + w (the first maximum; a NaN wins, the last one). */
export function adaptiveMaxPool3d(x: ArrayLike<number>, spec: AdaptivePool3dSpec): { y: Float64Array; indices: Uint32Array } {
  const y = new Float64Array(spec.N * spec.C * product(spec.out));
  const indices = new Uint32Array(y.length);
  forEachBin(spec, (start, yi, bin) => {
    indices[yi] = argMax(x, start, bin);
    y[yi] = x[start + indices[yi]!]!;
  });
  return { y, indices };
}
