// shaders/tanh_leaky_relu.wgsl: tanh and leaky ReLU, forward and backward (both backward rules read
// the forward's output y).
import { grid1d, loadShader } from '../device/shader';
import { shaderSource } from '../device/shader-sources';
import { expectRange, expectSameSize } from '../launch';
import * as ref from '../reference/activations';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import { upstream, type BackwardRule, type Tensor } from '../tensor';

export const shader = loadShader('tanh_leaky_relu');

function elementwise(op: string, entryName: string, args: Record<string, Tensor>, slope: number, accumulate?: boolean): void {
  expectSameSize(op, args);
  expectRange(op, 'slope', slope, slope >= 0, 'a number ≥ 0');
  const first = Object.values(args)[0]!;
  const entry = shader.entry(entryName);
  first.gpu.dispatch(entry, { params: { n: first.size, slope }, ...args }, grid1d(entry, first.size), accumulate === undefined ? {} : { ACCUMULATE: accumulate });
}

export function tanh(x: Tensor, y: Tensor): void {
  elementwise('tanh', 'tanh_forward', { x, y }, 0);
}

/** dx = dy · (1 − y²), from the forward's output y. */
export function tanhBackward(y: Tensor, dy: Tensor, dx: Tensor, accumulate = false): void {
  elementwise('tanhBackward', 'tanh_backward', { y_saved: y, dy, dx }, 0, accumulate);
}

export function leakyRelu(x: Tensor, y: Tensor, slope = 0.01): void {
  elementwise('leakyRelu', 'leaky_relu_forward', { x, y }, slope);
}

/** dx = dy where y > 0, slope · dy elsewhere, from the forward's output y. */
export function leakyReluBackward(y: Tensor, dy: Tensor, dx: Tensor, slope = 0.01, accumulate = false): void {
  elementwise('leakyReluBackward', 'leaky_relu_backward', { y_saved: y, dy, dx }, slope, accumulate);
}

export const gradients = {
  tanh: (x: Tensor, y: Tensor): BackwardRule => (ctx, dy) => {
    const { grad, accumulate } = ctx.target(x);
    tanhBackward(y, upstream(dy, y.gpu, y.shape), grad, accumulate);
  },
  leakyRelu: (x: Tensor, y: Tensor, slope: number): BackwardRule => (ctx, dy) => {
    const { grad, accumulate } = ctx.target(x);
    leakyReluBackward(y, upstream(dy, y.gpu, y.shape), grad, slope, accumulate);
  },
};

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

const cases: KernelCase[] = [];
for (const [op, slope] of [['tanh', 0], ['leaky_relu', 0.01], ['leaky_relu', 0.2]] as const) {
  const label = op === 'tanh' ? 'tanh' : `leaky_relu slope=${slope}`;
  const forward = (x: Tensor, y: Tensor) => (op === 'tanh' ? tanh(x, y) : leakyRelu(x, y, slope));
  const f = (v: number) => (op === 'tanh' ? ref.tanh(v) : ref.leakyRelu(v, slope));
  for (const n of [1, 63, 65, 10000, ...(slope === 0.2 ? [] : [PAST_GRID_LIMIT])]) {
    cases.push(
      kernelCase({
        name: `${label} forward n=${n}`,
        entries: [`${op}_forward`],
        dims: { n },
        showcase: n === 10000,
        setup(s, { n }, random) {
          // ±20 reaches tanh's saturation, where e^(2x) overflows f32.
          const x = uniform(random, n, -20, 20);
          const [xt, y] = [s.input(x), s.output([n])];
          return { run: () => forward(xt, y), check: () => s.check('y', y, x.map(f), 1e-6, 1e-5) };
        },
        ...(n === 10000 && slope !== 0.2 ? { bench: { sizes: [1e4, 1e6].map((n) => ({ n })), bytes: (d: { n?: number }) => 8 * d.n! } } : {}),
      }),
    );
  }
  for (const [n, accumulate] of [[1, false], [97, true], [10000, false], ...(slope === 0.2 ? [] : [[PAST_GRID_LIMIT, false] as const])] as const) {
    cases.push(
      kernelCase({
        name: `${label} backward n=${n}${accumulate ? ' accumulate' : ''}`,
        entries: [`${op}_backward`],
        dims: { n },
        showcase: n === 10000,
        setup(s, { n }, random) {
          const [x, dy, previous] = [uniform(random, n, -4, 4), uniform(random, n), uniform(random, n)];
          // Exact zeros: leaky_relu's gradient there is slope · dy (PyTorch tests x > 0).
          for (let i = 0; i < n; i += 7) x[i] = 0;
          const [y, dx] = [s.output([n], 'y'), s.output([n], 'dx')];
          if (accumulate) dx.write(previous);
          forward(s.input(x), y);
          const dyt = s.input(dy);
          const expected = (op === 'tanh' ? ref.tanhBackward(x, dy) : ref.leakyReluBackward(x, dy, slope)).map((v, i) => v + (accumulate ? previous[i]! : 0));
          return {
            run: () => (op === 'tanh' ? tanhBackward(y, dyt, dx, accumulate) : leakyReluBackward(y, dyt, dx, slope, accumulate)),
            check: () => s.check('dx', dx, expected, 1e-6, 1e-5),
          };
        },
        // Reads y and dy, writes dx.
        ...(n === 10000 && slope !== 0.2 ? { bench: { sizes: [1e4, 1e6].map((n) => ({ n })), bytes: (d: { n?: number }) => 12 * d.n! } } : {}),
      }),
    );
  }
}
cases.push(
  // Far past ±20: e^x itself overflows f32 from 88.7 on (a quotient of exponentials gives ∞/∞ = NaN).
  testCase('tanh saturates to ±1 with gradient 0 at |x| ≥ 100', async (s, random) => {
    const x = [100, -100, 250, -250, 1e4, -1e4, 3e38, -3e38];
    const dy = uniform(random, x.length);
    const [y, dx] = [s.output([x.length], 'y'), s.output([x.length], 'dx')];
    tanh(s.input(x), y);
    tanhBackward(y, s.input(dy), dx);
    await s.check('y', y, x.map(Math.tanh), 0, 0);
    await s.check('dx', dx, ref.tanhBackward(x, dy), 0, 0);
  }),
  // Relative precision near 0, where 1 − 2/(e^(2x) + 1) cancels: it was 1.4e-3 off at |x| ~ 1e-4 (an
  // absolute tolerance hid it). Cephes' polynomial there is 2.5e-7 at worst; float32 rounding of x adds
  // no more (Math.tanh of the float32 x is the reference).
  testCase('tanh near 0 to float32 precision: relative error ≤ 4e-7 for |x| from 1e-30 to 5 (both branches)', async (s, random) => {
    const tiny = Array.from({ length: 400 }, (_, i) => (i % 2 ? -1 : 1) * 10 ** (-30 + (28 * i) / 400));
    const x = Float32Array.from([...tiny, ...uniform(random, 2000, -0.7, 0.7), ...uniform(random, 600, -5, 5), 0.625, -0.625, 0.62499994, 0]);
    const y = s.output([x.length], 'y');
    tanh(s.input(x), y);
    await s.check('y', y, Array.from(x, Math.tanh), 0, 4e-7);
  }),
  // recurrent_cell.wgsl computes its gates' tanh with the same function, written out there too so
  // each file reads alone: the case above checks both, as long as the text is the same.
  testCase("recurrent_cell.wgsl's tanh_accurate is this file's (the same WGSL text)", (s) => {
    const text = (source: string) => /\n\/\/ tanh\(v\) to float32's precision[\s\S]*?\nfn tanh_accurate\([\s\S]*?\n}\n/.exec(source)?.[0] ?? '';
    const [ours, theirs] = [text(shaderSource('tanh_leaky_relu')), text(shaderSource('recurrent_cell'))];
    s.expect('tanh_leaky_relu.wgsl has it', ours.length > 300, `${ours.length} characters`);
    s.expect('identical in recurrent_cell.wgsl', ours === theirs, ours === theirs ? `${ours.length} characters match` : `differs (${theirs.length} characters there)`);
  }),
  testCase('tanh and leaky_relu bad input is rejected before dispatch', (s, random) => {
    const v = s.input(uniform(random, 4));
    s.expectError('size mismatch', () => tanh(v, s.output([5])), /tanh: argument 'y' expected 4 elements/);
    s.expectError('negative slope', () => leakyRelu(v, s.output([4]), -0.1), /leakyRelu: argument 'slope' expected a number ≥ 0, got -0.1/);
  }),
);

// NaN in, NaN out, as in PyTorch; leaky_relu_backward takes slope · dy where y is NaN (as PyTorch's
// x > 0 test does). SwiftShader's exp(NaN) is +∞, which made tanh(NaN) = 1 before the bit test.
cases.push(
  testCase('tanh and leaky_relu: a NaN input stays NaN, forward and backward', async (s, random) => {
    const n = 67;
    const x = uniform(random, n, -4, 4);
    for (const i of [0, 5, n - 1]) x[i] = NaN;
    const dy = uniform(random, n);
    const [xt, dyt] = [s.input(x), s.input(dy)];
    const [y, dx] = [s.output([n], 'y'), s.output([n], 'dx')];
    tanh(xt, y);
    tanhBackward(y, dyt, dx);
    await s.check('tanh y', y, x.map(Math.tanh), 1e-6, 1e-5);
    await s.check('tanh dx', dx, ref.tanhBackward(x, dy), 1e-6, 1e-5);
    const [ly, ldx] = [s.output([n], 'leaky y'), s.output([n], 'leaky dx')];
    leakyRelu(xt, ly, 0.1);
    leakyReluBackward(ly, dyt, ldx, 0.1);
    await s.check('leaky_relu y', ly, x.map((v) => ref.leakyRelu(v, 0.1)), 1e-6, 1e-5);
    await s.check('leaky_relu dx', ldx, ref.leakyReluBackward(x, dy, 0.1), 1e-6, 1e-5);
  }),
);

export const spec: Spec = cases;
