// shaders/dropout.wgsl: inverted dropout with a Threefry mask recomputed from (seed, step), so the
// same call with dy → dx is its backward and no mask is stored.
import { grid1d, loadShader } from '../device/shader';
import { expectRange, expectSameSize } from '../launch';
import { dropoutMask } from '../reference/dropout';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import { upstream, type BackwardRule, type Tensor } from '../tensor';

export const shader = loadShader('dropout');

export interface DropoutMask {
  p: number;
  seed: number;
  step: number;
}

/** output = mask ⊙ input (kept elements scaled by 1 / (1 − p)); with accumulate, output += …. */
export function dropout(input: Tensor, output: Tensor, options: DropoutMask & { accumulate?: boolean }): void {
  const op = 'dropout';
  expectSameSize(op, { input, output });
  const { p, seed, step } = options;
  expectRange(op, 'p', p, p >= 0 && p <= 1, 'a probability in [0, 1]');
  expectRange(op, 'seed', seed, Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32, 'an integer in [0, 2³²)');
  expectRange(op, 'step', step, Number.isInteger(step) && step >= 0 && step < 2 ** 32, 'an integer in [0, 2³²)');
  const entry = shader.entry('dropout');
  input.gpu.dispatch(entry, { params: { n: input.size, p, seed, step }, input, output }, grid1d(entry, input.size), { ACCUMULATE: options.accumulate ?? false });
}

export const gradients = {
  /** y = mask ⊙ x is linear: dx = mask ⊙ dy, the same mask recomputed. */
  dropout: (x: Tensor, mask: DropoutMask): BackwardRule => (ctx, dy) => {
    const { grad, accumulate } = ctx.target(x);
    dropout(upstream(dy, x.gpu, x.shape), grad, { ...mask, accumulate });
  },
};

const cases: KernelCase[] = [];
for (const [n, p] of [[1, 0.5], [1000, 0], [1000, 1], [1000, 0.8], [4099, 0.1], [10000, 0.3], [PAST_GRID_LIMIT, 0.5]] as const) {
  cases.push(
    kernelCase({
      name: `dropout n=${n} p=${p}`,
      entries: ['dropout'],
      variant: 'v1',
      dims: { n, p },
      showcase: n === 10000,
      setup(s, { n, p }, random) {
        const x = uniform(random, n);
        const seed = Math.floor(random() * 2 ** 32);
        const step = Math.floor(random() * 1000);
        const y = s.output([n]);
        const xt = s.input(x);
        return {
          run: () => dropout(xt, y, { p, seed, step }),
          check: async () => {
            const mask = dropoutMask(n, p, seed, step);
            await s.check('y', y, mask.map((m, i) => m * x[i]!), 0, 1e-6);
            if (n >= 1000 && p > 0 && p < 1) {
              // The GPU's own output: inputs are never zero, so a zero is a dropped element.
              const kept = (await y.read()).filter((v) => v !== 0).length;
              const sd = Math.sqrt(n * p * (1 - p));
              s.expect('kept fraction', Math.abs(kept - n * (1 - p)) < 5 * sd, `${kept} of ${n} kept, expected ${n * (1 - p)} ± ${(5 * sd).toFixed(0)}`);
            }
          },
        };
      },
      ...(n === 1000 && p === 0.8 ? { bench: { sizes: [1e3, 1e4, 1e5, 1e6, 1e7].map((n) => ({ n, p: 0.5 })), bytes: (d: { n?: number }) => 8 * d.n! } } : {}),
    }),
  );
}
cases.push(
  kernelCase({
    name: 'dropout backward (same mask) accumulate',
    entries: ['dropout'],
    dims: { n: 5000 },
    setup(s, { n }, random) {
      const [dy, previous] = [uniform(random, n), uniform(random, n)];
      const dx = s.output([n]);
      dx.write(previous);
      const dyt = s.input(dy);
      return {
        run: () => dropout(dyt, dx, { p: 0.3, seed: 1234, step: 7, accumulate: true }),
        check: () => s.check('dx', dx, dropoutMask(n, 0.3, 1234, 7).map((m, i) => m * dy[i]! + previous[i]!), 1e-7, 1e-6),
      };
    },
  }),
  testCase('dropout bad input is rejected before dispatch', (s, random) => {
    const v = s.input(uniform(random, 4), [4]);
    const col = s.output([4]);
    s.expectError('p > 1', () => dropout(v, col, { p: 1.5, seed: 1, step: 0 }), /dropout: argument 'p' expected a probability in \[0, 1\], got 1.5/);
    s.expectError('p < 0', () => dropout(v, col, { p: -0.1, seed: 1, step: 0 }), /dropout: argument 'p'/);
    s.expectError('p NaN', () => dropout(v, col, { p: NaN, seed: 1, step: 0 }), /dropout: argument 'p'.*got NaN/);
    s.expectError('size mismatch', () => dropout(v, s.output([5]), { p: 0.5, seed: 1, step: 0 }), /dropout: argument 'output' expected 4 elements/);
  }),
);

export const spec: Spec = cases;
