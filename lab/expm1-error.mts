// F.expm1, F.log1p and F.log against float64 (Node on Dawn/SwiftShader): the worst relative error per range.
import { F, requestGpu, Tensor } from '../src';
const gpu = await requestGpu();
const n = 200_000;
for (const [op, lo, hi] of [['expm1', -0.5, 0.5], ['expm1', 0.5, 0.7], ['expm1', -0.7, -0.5], ['expm1', -30, 30], ['log1p', -0.5, 0.5], ['log1p', 0.5, 1e3], ['log', 0.99, 1.01], ['log', 0.5, 2], ['log', 1e-30, 1e30]] as const) {
  const xs = Float32Array.from({ length: n }, (_, i) => lo + ((hi - lo) * i) / n);
  const y = await (op === 'expm1' ? F.expm1 : op === 'log' ? F.log : F.log1p)(Tensor.fromArray(gpu, xs, [n])).read();
  const f = op === 'expm1' ? Math.expm1 : op === 'log' ? Math.log : Math.log1p;
  let [worst, at] = [0, 0];
  for (let i = 0; i < n; i++) {
    const e = Math.abs(y[i]! - f(xs[i]!)) / Math.abs(f(xs[i]!));
    if (e > worst) [worst, at] = [e, xs[i]!];
  }
  console.log(`${op} over [${lo}, ${hi}]: worst relative error ${worst.toExponential(2)} at x = ${at}`);
}
