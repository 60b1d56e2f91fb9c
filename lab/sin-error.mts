// The largest error of F.sin and F.cos against float64, over a turn and out to ±10^7 (the reduction's
// reach), on this machine's adapter: npx tsx --import ./src/node/register.ts lab/sin-error.mts
import { F, requestGpu, Tensor } from '../src';

const gpu = await requestGpu();
for (const hi of [7, 8192, 1e5, 1e6, 1e7]) {
  const x = Float32Array.from({ length: 200_000 }, () => (Math.random() * 2 - 1) * hi);
  const t = Tensor.fromArray(gpu, x, [x.length]);
  for (const [name, f, exact] of [['sin', F.sin, Math.sin], ['cos', F.cos, Math.cos]] as const) {
    const y = await f(t).read();
    let worst = 0;
    y.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - exact(x[i]!)))));
    console.log(`${name} over ±${hi}: max |error| ${worst.toExponential(2)}`);
  }
}
