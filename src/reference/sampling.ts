// Float64 CPU reference for sampling at positions (F.affineGrid, F.gridSample), written from
// PyTorch's definition (its GridSampler.h and affine_grid's docs), not from the composed F ops: each
// output is the input at a position given in [−1, 1], interpolated between the samples around it,
// and the gradients are those of that sum (the input's scattered back, the grid's by the weights'
// derivatives times the unnormalising and padding factors).

export type Padding = 'zeros' | 'border' | 'reflection';

/** affine_grid for theta [N, d, d + 1] and size [N, C, *spatial] (d = 2 or 3): [N, *spatial, d]. */
export function affineGrid(theta: ArrayLike<number>, size: readonly number[], align: boolean): Float64Array {
  const [N, , ...spatial] = size as [number, number, ...number[]];
  const d = spatial.length;
  const P = spatial.reduce((a, b) => a * b, 1);
  // Position i of n along an axis: the samples' centres from −1 to 1, or their edges' (scaled by (n − 1)/n).
  const along = (i: number, n: number) => (n <= 1 ? 0 : ((2 * i) / (n - 1) - 1) * (align ? 1 : (n - 1) / n));
  const out = new Float64Array(N * P * d);
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < P; p++) {
      // The homogeneous point (x, y, [z], 1): x along the last axis.
      const point: number[] = [];
      let rest = p;
      for (let a = d - 1; a >= 0; a--) {
        point.push(along(rest % spatial[a]!, spatial[a]!));
        rest = Math.floor(rest / spatial[a]!);
      }
      point.push(1);
      for (let r = 0; r < d; r++) {
        let v = 0;
        for (let c = 0; c <= d; c++) v += theta[(n * d + r) * (d + 1) + c]! * point[c]!;
        out[(n * P + p) * d + r] = v;
      }
    }
  }
  return out;
}

/** A coordinate's position along an axis of `size` samples, and d position / d coordinate. */
function source(c: number, size: number, padding: Padding, align: boolean): [number, number] {
  let x = align ? ((c + 1) / 2) * (size - 1) : ((c + 1) * size - 1) / 2;
  let slope = align ? (size - 1) / 2 : size / 2;
  if (padding === 'reflection') {
    const [low, high] = align ? [0, size - 1] : [-0.5, size - 0.5];
    if (low === high) return [0, 0];
    const span = high - low;
    let t = x - low;
    if (t < 0) [t, slope] = [-t, -slope];
    const flips = Math.floor(t / span);
    const extra = t - flips * span;
    [x, slope] = flips % 2 === 0 ? [low + extra, slope] : [high - extra, -slope];
  }
  if (padding !== 'zeros') {
    // Clipped to [0, size − 1], the bounds themselves counted outside for the gradient.
    if (!(x > 0)) return [Number.isNaN(x) ? x : 0, 0];
    if (x >= size - 1) return [size - 1, 0];
  }
  return [x, slope];
}

/** Round half to even (PyTorch's nearbyint). */
function roundEven(v: number): number {
  const r = Math.round(v);
  return Math.abs(v - Math.trunc(v)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * grid_sample of x [N, C, *sizes] at grid [N, *out, d] (coordinate 0 is x, along the last axis), and
 * for the upstream dy [N, C, *out] the gradients of x and of the grid.
 */
export function gridSample(x: ArrayLike<number>, shape: readonly number[], grid: ArrayLike<number>, gridShape: readonly number[], mode: 'bilinear' | 'nearest', padding: Padding, align: boolean, dy?: ArrayLike<number>): { y: Float64Array; dx: Float64Array; dgrid: Float64Array } {
  const [N, C, ...sizes] = shape as [number, number, ...number[]];
  const d = sizes.length;
  const P = gridShape.slice(1, -1).reduce((a, b) => a * b, 1);
  const S = sizes.reduce((a, b) => a * b, 1);
  const strides = sizes.map((_, a) => sizes.slice(a + 1).reduce((p, s) => p * s, 1));
  const y = new Float64Array(N * C * P);
  const dx = new Float64Array(x.length);
  const dgrid = new Float64Array(grid.length);
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < P; p++) {
      // Spatial axis a is read by the grid's coordinate d − 1 − a.
      const at = sizes.map((size, a) => source(grid[(n * P + p) * d + (d - 1 - a)]!, size, padding, align));
      const corners: { index: number[]; weight: number; dweight: number[] }[] = [];
      if (mode === 'nearest') corners.push({ index: at.map(([v]) => roundEven(v)), weight: 1, dweight: at.map(() => 0) });
      else {
        for (let k = 0; k < 2 ** d; k++) {
          const far = sizes.map((_, a) => (k >> (d - 1 - a)) & 1);
          const index = at.map(([v], a) => Math.floor(v) + far[a]!);
          // The weight is Π over axes of (1 − |v − corner|); its derivative along each axis.
          const factors = at.map(([v], a) => (far[a] ? v - Math.floor(v) : 1 - (v - Math.floor(v))));
          const weight = factors.reduce((q, f) => q * f, 1);
          const dweight = at.map((_, a) => (far[a] ? 1 : -1) * factors.reduce((q, f, b) => (b === a ? q : q * f), 1));
          corners.push({ index, weight, dweight });
        }
      }
      for (const { index, weight, dweight } of corners) {
        if (!index.every((i, a) => i >= 0 && i <= sizes[a]! - 1)) continue;
        const offset = index.reduce((o, i, a) => o + i * strides[a]!, 0);
        for (let c = 0; c < C; c++) {
          const v = x[(n * C + c) * S + offset]!;
          y[(n * C + c) * P + p]! += weight * v;
          if (!dy) continue;
          const g = dy[(n * C + c) * P + p]!;
          dx[(n * C + c) * S + offset]! += weight * g;
          for (let a = 0; a < d; a++) dgrid[(n * P + p) * d + (d - 1 - a)]! += g * v * dweight[a]! * at[a]![1];
        }
      }
    }
  }
  return { y, dx, dgrid };
}
