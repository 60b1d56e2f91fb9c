// shaders/gelu.wgsl: GELU (F.gelu, nn.GELU), exact (approximate 'none') and tanh forms, forward and
// backward; the backward reads the input x.
import { grid1d, loadShader } from '../device/shader';
import { expectSameSize } from '../launch';
import * as ref from '../reference/activations';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import { upstream, type BackwardRule, type Tensor } from '../tensor';

export const shader = loadShader('gelu');

/** PyTorch's `approximate`: 'none' (x · Φ(x), from erf) or 'tanh'. */
export type GeluApproximate = 'none' | 'tanh';

export function expectApproximate(op: string, approximate: unknown): asserts approximate is GeluApproximate {
  if (approximate !== 'none' && approximate !== 'tanh') throw new Error(`${op}: argument 'approximate' expected 'none' or 'tanh', got ${JSON.stringify(approximate)}`);
}

function dispatch(op: string, entryName: string, args: Record<string, Tensor>, approximate: GeluApproximate, accumulate = false): void {
  expectSameSize(op, args);
  expectApproximate(op, approximate);
  const first = Object.values(args)[0]!;
  const entry = shader.entry(entryName);
  first.gpu.dispatch(entry, { params: { n: first.size }, ...args }, grid1d(entry, first.size), { APPROXIMATE: approximate === 'tanh', ACCUMULATE: accumulate });
}

/** y = gelu(x). */
export function gelu(x: Tensor, y: Tensor, approximate: GeluApproximate = 'none'): void {
  dispatch('gelu', 'gelu_forward', { x, y }, approximate);
}

/** dx = dy · gelu′(x), from the forward's input x; accumulate adds into dx. */
export function geluBackward(x: Tensor, dy: Tensor, dx: Tensor, approximate: GeluApproximate = 'none', accumulate = false): void {
  dispatch('geluBackward', 'gelu_backward', { x, dy, dx }, approximate, accumulate);
}

export const gradients = {
  gelu: (x: Tensor, y: Tensor, approximate: GeluApproximate): BackwardRule => (ctx, dy) => {
    const { grad, accumulate } = ctx.target(x);
    geluBackward(x, upstream(dy, y.gpu, y.shape), grad, approximate, accumulate);
  },
};

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

const cases: KernelCase[] = [];
for (const approximate of ['none', 'tanh'] as const) {
  const label = `gelu approximate=${approximate}`;
  // 1, a workgroup and one more and one less, a bench size, and past 65,535 workgroups (forward).
  for (const n of [1, 63, 65, 10000, PAST_GRID_LIMIT]) {
    cases.push(kernelCase({
      name: `${label} forward n=${n}`,
      entries: ['gelu_forward'],
      dims: { n },
      showcase: n === 10000,
      setup(s, { n }, random) {
        // ±10 reaches the tails: at −10, x · Φ(x) is −7.6e-23, which a cancelling 1 + erf would give as 0.
        const x = uniform(random, n, -10, 10);
        const [xt, y] = [s.input(x), s.output([n])];
        return { run: () => gelu(xt, y, approximate), check: () => s.check('y', y, Array.from(x, (v) => ref.gelu(Math.fround(v), approximate)), 1e-6, 1e-5) };
      },
      ...(n === 10000 ? { bench: { sizes: [1e4, 1e6].map((n) => ({ n })), bytes: (d: { n?: number }) => 8 * d.n! } } : {}),
    }));
  }
  for (const [n, accumulate] of [[1, false], [97, true], [10000, false]] as const) {
    cases.push(kernelCase({
      name: `${label} backward n=${n}${accumulate ? ' accumulate' : ''}`,
      entries: ['gelu_backward'],
      dims: { n },
      showcase: n === 10000,
      setup(s, { n }, random) {
        const [x, dy, previous] = [uniform(random, n, -10, 10), uniform(random, n), uniform(random, n)];
        const dx = s.output([n], 'dx');
        if (accumulate) dx.write(previous);
        const [xt, dyt] = [s.input(x), s.input(dy)];
        const expected = ref.geluBackward(Float32Array.from(x), Float32Array.from(dy), approximate).map((v, i) => v + (accumulate ? Math.fround(previous[i]!) : 0));
        return { run: () => geluBackward(xt, dyt, dx, approximate, accumulate), check: () => s.check('dx', dx, expected, 1e-6, 1e-5) };
      },
      // Reads x and dy, writes dx.
      ...(n === 10000 ? { bench: { sizes: [1e4, 1e6].map((n) => ({ n })), bytes: (d: { n?: number }) => 12 * d.n! } } : {}),
    }));
  }
}
cases.push(
  // PyTorch's values at the edges: gelu(−∞) = NaN (−∞ · 0), gelu(+∞) = +∞, NaN stays NaN; the
  // gradient is NaN at ±∞ (∞ · 0) and 0.5 at 0; far out the tails give ±0 and gradients 0 or 1; small
  // values keep their relative precision (Φ from erfc, not 1 + erf); past |x| ≈ 2e19, where x² overflows,
  // the tanh form's gradient is still 1 or 0 (PyTorch's float32 gives NaN from 1e30 on).
  testCase('gelu at the edges: ±∞, NaN, ±0, far tails, as PyTorch; both forms', async (s, random) => {
    const x = [-Infinity, Infinity, NaN, 0, -0, -20, 20, -1e6, 1e6, -5, -8, 1e-3, -1e-30, 2e19, -2e19, 3e38, -3e38]; // ±2e19: v² overflows float32
    const dy = uniform(random, x.length);
    for (const approximate of ['none', 'tanh'] as const) {
      const [y, dx] = [s.output([x.length], 'y'), s.output([x.length], 'dx')];
      const [xt, dyt] = [s.input(x), s.input(dy)];
      gelu(xt, y, approximate);
      geluBackward(xt, dyt, dx, approximate);
      const expectedY = x.map((v) => (v === -Infinity ? NaN : v === Infinity ? Infinity : ref.gelu(v, approximate)));
      const expectedDx = Array.from(ref.geluBackward(x, Float32Array.from(dy), approximate), (g, i) => (Math.abs(x[i]!) === Infinity ? NaN : g));
      await s.check(`${approximate} y`, y, expectedY, 1e-12, 2e-6);
      await s.check(`${approximate} dx`, dx, expectedDx, 1e-12, 2e-6);
    }
  }),
  // Where the tanh gate s is within 1e-5 of 1 (x ≈ 4–6), 1 − s taken by subtraction lost its digits:
  // the slope was 16 float32 steps off at x = 4.96. Both forms' slopes within 3e-7 over a grid there.
  testCase('gelu gradient where the gate nears 1 (x in [3, 7]) to 3e-7: no cancellation in 1 − s', async (s) => {
    const x = Array.from({ length: 4001 }, (_, i) => Math.fround(3 + i / 1000));
    const dy = new Array<number>(x.length).fill(1);
    for (const approximate of ['none', 'tanh'] as const) {
      const dx = s.output([x.length], 'dx');
      geluBackward(s.input(x), s.input(dy), dx, approximate);
      await s.check(`${approximate} slope`, dx, ref.geluBackward(x, Float32Array.from(dy), approximate), 3e-7, 0);
    }
  }),
  testCase('gelu bad input is rejected before dispatch', (s, random) => {
    const v = s.input(uniform(random, 4));
    s.expectError('size mismatch', () => gelu(v, s.output([5])), /gelu: argument 'y' expected 4 elements/);
    s.expectError('an unknown approximation', () => gelu(v, s.output([4]), 'erf' as GeluApproximate), /gelu: argument 'approximate' expected 'none' or 'tanh', got "erf"/);
  }),
);

export const spec: Spec = cases;
