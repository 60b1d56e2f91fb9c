// Our F.tanh against float64 over [-5, 5] (Node on Dawn/SwiftShader): max relative error.
import { F, requestGpu, Tensor } from '../src';
const gpu = await requestGpu();
const n = 200_000;
const xs = Float32Array.from({ length: n }, (_, i) => -5 + (10 * i) / n);
const y = await F.tanh(Tensor.fromArray(gpu, xs, [n])).read();
let worst = 0;
for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(y[i]! - Math.tanh(xs[i]!)) / Math.max(Math.abs(Math.tanh(xs[i]!)), 1e-30));
console.log(`tanh max relative error over [-5, 5]: ${worst.toExponential(2)} (float32 ulp 6e-8)`);
