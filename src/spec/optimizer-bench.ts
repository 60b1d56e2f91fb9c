// The bench case an optimizer family's spec shares: one step over n elements from zeroed state,
// checked against the float64 reference first, then timed at 10³–10⁷ elements.
import type { Tensor } from '../tensor';
import { uniform } from './random';
import { kernelCase, type KernelCase } from './scope';

export interface OptimizerBench {
  /** The family, as the case's name starts: 'adamax'. */
  family: string;
  entry: string;
  /** The state tensors the step reads and writes, by the launcher's names, each starting at zeros. */
  state: readonly string[];
  /** Bytes the step moves per element (the parameter, its gradient and the state, read and written). */
  bytes: number;
  step: (param: Tensor, grad: Tensor, state: Record<string, Tensor>) => void;
  /** The same step in float64 on p, in place. */
  reference: (p: Float64Array, g: ArrayLike<number>) => void;
  tolerance: [atol: number, rtol: number];
}

export function optimizerBench(o: OptimizerBench): KernelCase {
  return kernelCase({
    name: `${o.family} bench one step {}`,
    entries: [o.entry],
    dims: { n: 1000 },
    setup(s, { n }, random) {
      const [theta, g] = [uniform(random, n), uniform(random, n)];
      const param = s.input(theta);
      const grad = s.input(g);
      const state = Object.fromEntries(o.state.map((name) => [name, s.input(new Float32Array(n))]));
      return {
        run: () => o.step(param, grad, state),
        check: async () => {
          const p = Float64Array.from(theta);
          o.reference(p, g);
          await s.check('param', param, p, ...o.tolerance);
        },
      };
    },
    bench: { sizes: [1e3, 1e4, 1e5, 1e6, 1e7].map((n) => ({ n })), bytes: (d) => o.bytes * d.n! },
  });
}
