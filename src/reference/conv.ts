// Float64 CPU references for 2-D convolution and pooling over NCHW, written from the definitions
// (torch.nn.functional.conv2d, max_pool2d, avg_pool2d, adaptive_avg_pool2d). The backward passes
// scatter: each output position sends its gradient back along the taps that produced it, the
// transpose of the forward sum (the kernels gather instead, one invocation per element written).
import { tabulate } from './arrays';

export interface Conv2dSpec {
  N: number;
  C: number;
  H: number;
  W: number;
  /** Output channels. */
  F: number;
  KH: number;
  KW: number;
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  groups?: number;
}

/** ⌊(size + 2·pad − dil·(k − 1) − 1) / stride⌋ + 1 (may be ≤ 0 when the kernel does not fit). */
export function outputSize(size: number, k: number, stride: number, pad: number, dil: number): number {
  return Math.floor((size + 2 * pad - dil * (k - 1) - 1) / stride) + 1;
}

function geometry(spec: Conv2dSpec) {
  const [sh, sw] = spec.stride ?? [1, 1];
  const [ph, pw] = spec.padding ?? [0, 0];
  const [dh, dw] = spec.dilation ?? [1, 1];
  const G = spec.groups ?? 1;
  const OH = outputSize(spec.H, spec.KH, sh, ph, dh);
  const OW = outputSize(spec.W, spec.KW, sw, pw, dw);
  return { sh, sw, ph, pw, dh, dw, G, OH, OW, Cg: spec.C / G, Fg: spec.F / G };
}

/**
 * Visits every (output element, weight element, input element) triple of the convolution:
 * visit(yIndex, wIndex, xIndex) for each tap that lands inside the input.
 */
function forEachTap(spec: Conv2dSpec, visit: (yi: number, wi: number, xi: number) => void): void {
  const { N, C, H, W, F, KH, KW } = spec;
  const { sh, sw, ph, pw, dh, dw, OH, OW, Cg, Fg } = geometry(spec);
  for (let n = 0; n < N; n++) {
    for (let f = 0; f < F; f++) {
      const g = Math.floor(f / Fg);
      for (let oh = 0; oh < OH; oh++) {
        for (let ow = 0; ow < OW; ow++) {
          const yi = ((n * F + f) * OH + oh) * OW + ow;
          for (let c = 0; c < Cg; c++) {
            for (let kh = 0; kh < KH; kh++) {
              const ih = oh * sh - ph + kh * dh;
              if (ih < 0 || ih >= H) continue;
              for (let kw = 0; kw < KW; kw++) {
                const iw = ow * sw - pw + kw * dw;
                if (iw < 0 || iw >= W) continue;
                visit(yi, ((f * Cg + c) * KH + kh) * KW + kw, ((n * C + g * Cg + c) * H + ih) * W + iw);
              }
            }
          }
        }
      }
    }
  }
}

export function conv2dOutputShape(spec: Conv2dSpec): [number, number, number, number] {
  const { OH, OW } = geometry(spec);
  return [spec.N, spec.F, OH, OW];
}

/** y = x ⋆ w (+ bias per output channel). */
export function conv2d(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null, spec: Conv2dSpec): Float64Array {
  const [N, F, OH, OW] = conv2dOutputShape(spec);
  const y = new Float64Array(N * F * OH * OW);
  if (bias) for (let i = 0; i < y.length; i++) y[i] = bias[Math.floor(i / (OH * OW)) % F]!;
  forEachTap(spec, (yi, wi, xi) => (y[yi] = y[yi]! + w[wi]! * x[xi]!));
  return y;
}

/** Gradients of Σ dy·y with respect to x, w and the bias. */
export function conv2dBackward(x: ArrayLike<number>, w: ArrayLike<number>, dy: ArrayLike<number>, spec: Conv2dSpec): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const [, F, OH, OW] = conv2dOutputShape(spec);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(w.length);
  const db = new Float64Array(F);
  forEachTap(spec, (yi, wi, xi) => {
    dx[xi] = dx[xi]! + dy[yi]! * w[wi]!;
    dw[wi] = dw[wi]! + dy[yi]! * x[xi]!;
  });
  for (let i = 0; i < dy.length; i++) {
    const f = Math.floor(i / (OH * OW)) % F;
    db[f] = db[f]! + dy[i]!;
  }
  return { dx, dw, db };
}

export interface Pool2dSpec {
  N: number;
  C: number;
  H: number;
  W: number;
  KH: number;
  KW: number;
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  countIncludePad?: boolean;
}

function poolGeometry(spec: Pool2dSpec) {
  const [sh, sw] = spec.stride ?? [spec.KH, spec.KW];
  const [ph, pw] = spec.padding ?? [0, 0];
  const [dh, dw] = spec.dilation ?? [1, 1];
  return { sh, sw, ph, pw, dh, dw, OH: outputSize(spec.H, spec.KH, sh, ph, dh), OW: outputSize(spec.W, spec.KW, sw, pw, dw) };
}

export function pool2dOutputShape(spec: Pool2dSpec): [number, number, number, number] {
  const { OH, OW } = poolGeometry(spec);
  return [spec.N, spec.C, OH, OW];
}

/** The window of output (plane, oh, ow): the input positions (h·W + w) inside the input, in (kh, kw) order; and the window's size counting padding. */
function windowOf(spec: Pool2dSpec, oh: number, ow: number): { positions: number[]; padded: number } {
  const { sh, sw, ph, pw, dh, dw } = poolGeometry(spec);
  const positions: number[] = [];
  for (let kh = 0; kh < spec.KH; kh++) {
    for (let kw = 0; kw < spec.KW; kw++) {
      const [h, w] = [oh * sh - ph + kh * dh, ow * sw - pw + kw * dw];
      if (h >= 0 && h < spec.H && w >= 0 && w < spec.W) positions.push(h * spec.W + w);
    }
  }
  return { positions, padded: spec.KH * spec.KW };
}

function forEachWindow(spec: Pool2dSpec, visit: (planeStart: number, yi: number, positions: number[], padded: number) => void): void {
  const { OH, OW } = poolGeometry(spec);
  for (let plane = 0; plane < spec.N * spec.C; plane++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const { positions, padded } = windowOf(spec, oh, ow);
        visit(plane * spec.H * spec.W, (plane * OH + oh) * OW + ow, positions, padded);
      }
    }
  }
}

/** Max over each window; indices hold the first maximum's h·W + w within its plane. */
export function maxPool2d(x: ArrayLike<number>, spec: Pool2dSpec): { y: Float64Array; indices: Uint32Array } {
  const [N, C, OH, OW] = pool2dOutputShape(spec);
  const y = new Float64Array(N * C * OH * OW);
  const indices = new Uint32Array(y.length);
  forEachWindow(spec, (start, yi, positions) => {
    let best = positions[0]!;
    // A NaN wins (the last one), as PyTorch's `val > maxval || isnan(val)`.
    for (const at of positions) if (x[start + at]! > x[start + best]! || Number.isNaN(x[start + at]!)) best = at;
    y[yi] = x[start + best]!;
    indices[yi] = best;
  });
  return { y, indices };
}

/** Each window's gradient goes to its maximum. */
export function maxPool2dBackward(dy: ArrayLike<number>, indices: ArrayLike<number>, spec: Pool2dSpec): Float64Array {
  const dx = new Float64Array(spec.N * spec.C * spec.H * spec.W);
  forEachWindow(spec, (start, yi) => (dx[start + indices[yi]!] = dx[start + indices[yi]!]! + dy[yi]!));
  return dx;
}

const divisor = (spec: Pool2dSpec, positions: number[], padded: number) => ((spec.countIncludePad ?? true) ? padded : positions.length);

export function avgPool2d(x: ArrayLike<number>, spec: Pool2dSpec): Float64Array {
  const [N, C, OH, OW] = pool2dOutputShape(spec);
  const y = new Float64Array(N * C * OH * OW);
  forEachWindow(spec, (start, yi, positions, padded) => {
    let sum = 0;
    for (const at of positions) sum += x[start + at]!;
    y[yi] = sum / divisor(spec, positions, padded);
  });
  return y;
}

export function avgPool2dBackward(dy: ArrayLike<number>, spec: Pool2dSpec): Float64Array {
  const dx = new Float64Array(spec.N * spec.C * spec.H * spec.W);
  forEachWindow(spec, (start, yi, positions, padded) => {
    for (const at of positions) dx[start + at] = dx[start + at]! + dy[yi]! / divisor(spec, positions, padded);
  });
  return dx;
}

export interface AdaptivePool2dSpec {
  N: number;
  C: number;
  H: number;
  W: number;
  OH: number;
  OW: number;
}

/**
 * The input positions (h·W + w) of adaptive pooling's bin (oh, ow), row by row: rows
 * ⌊oh·H/OH⌋ ≤ h < ⌈(oh + 1)·H/OH⌉, and the same for columns (PyTorch's start_index, end_index).
 */
function adaptiveBin(spec: AdaptivePool2dSpec, oh: number, ow: number): number[] {
  const [h0, h1] = [Math.floor((oh * spec.H) / spec.OH), Math.ceil(((oh + 1) * spec.H) / spec.OH)];
  const [w0, w1] = [Math.floor((ow * spec.W) / spec.OW), Math.ceil(((ow + 1) * spec.W) / spec.OW)];
  const positions: number[] = [];
  for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) positions.push(h * spec.W + w);
  return positions;
}

function forEachBin(spec: AdaptivePool2dSpec, visit: (planeStart: number, yi: number, positions: number[]) => void): void {
  for (let plane = 0; plane < spec.N * spec.C; plane++) {
    for (let oh = 0; oh < spec.OH; oh++) {
      for (let ow = 0; ow < spec.OW; ow++) visit(plane * spec.H * spec.W, (plane * spec.OH + oh) * spec.OW + ow, adaptiveBin(spec, oh, ow));
    }
  }
}

/** adaptive_avg_pool2d: the mean of each bin. */
export function adaptiveAvgPool2d(x: ArrayLike<number>, spec: AdaptivePool2dSpec): Float64Array {
  const y = new Float64Array(spec.N * spec.C * spec.OH * spec.OW);
  forEachBin(spec, (start, yi, positions) => (y[yi] = positions.reduce((sum, at) => sum + x[start + at]!, 0) / positions.length));
  return y;
}

export function adaptiveAvgPool2dBackward(dy: ArrayLike<number>, spec: AdaptivePool2dSpec): Float64Array {
  const dx = new Float64Array(spec.N * spec.C * spec.H * spec.W);
  forEachBin(spec, (start, yi, positions) => {
    for (const at of positions) dx[start + at] = dx[start + at]! + dy[yi]! / positions.length;
  });
  return dx;
}

/** adaptive_max_pool2d: the max of each bin and its position h·W + w (the first maximum; a NaN wins, the last one). */
export function adaptiveMaxPool2d(x: ArrayLike<number>, spec: AdaptivePool2dSpec): { y: Float64Array; indices: Uint32Array } {
  const y = new Float64Array(spec.N * spec.C * spec.OH * spec.OW);
  const indices = new Uint32Array(y.length);
  forEachBin(spec, (start, yi, positions) => {
    let best = positions[0]!;
    for (const at of positions) if (x[start + at]! > x[start + best]! || Number.isNaN(x[start + at]!)) best = at;
    y[yi] = x[start + best]!;
    indices[yi] = best;
  });
  return { y, indices };
}

export function adaptiveMaxPool2dBackward(dy: ArrayLike<number>, indices: ArrayLike<number>, spec: AdaptivePool2dSpec): Float64Array {
  const dx = new Float64Array(spec.N * spec.C * spec.H * spec.W);
  forEachBin(spec, (start, yi) => (dx[start + indices[yi]!] = dx[start + indices[yi]!]! + dy[yi]!));
  return dx;
}
