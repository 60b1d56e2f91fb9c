// shaders/activation.wgsl: sigmoid and ReLU, forward and backward. v2 (vec4, 16 elements per
// invocation) runs when the length is a multiple of 4; v1 otherwise.
import { grid1d, loadShader } from '../device/shader';
import { expectSameSize, vec4Names } from '../launch';
import * as ref from '../reference/linalg';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import { upstream, type BackwardRule, type Tensor } from '../tensor';

export const shader = loadShader('activation');

export type Activation = 'none' | 'relu' | 'sigmoid';

function elementwise(entryName: string, args: Record<string, Tensor>, n: number, accumulate?: boolean): void {
  const gpu = Object.values(args)[0]!.gpu;
  const constants: Record<string, boolean> = accumulate === undefined ? {} : { ACCUMULATE: accumulate };
  if (n % 4 === 0) {
    const entry = shader.entry(`${entryName}_vec4`);
    gpu.dispatch(entry, { params: { n: n / 4 }, ...vec4Names(args) }, grid1d(entry, n / 16), constants);
  } else {
    const entry = shader.entry(entryName);
    gpu.dispatch(entry, { params: { n }, ...args }, grid1d(entry, n), constants);
  }
}

export function sigmoid(x: Tensor, y: Tensor): void {
  expectSameSize('sigmoid', { x, y });
  elementwise('sigmoid_forward', { x, y }, x.size);
}

export function relu(x: Tensor, y: Tensor): void {
  expectSameSize('relu', { x, y });
  elementwise('relu_forward', { x, y }, x.size);
}

/** dx = dy · y · (1 − y), from the forward's output y. */
export function sigmoidBackward(y: Tensor, dy: Tensor, dx: Tensor, accumulate = false): void {
  expectSameSize('sigmoidBackward', { y, dy, dx });
  elementwise('sigmoid_backward', { y_saved: y, dy, dx }, y.size, accumulate);
}

/** dx = dy · [y > 0], from the forward's output y. */
export function reluBackward(y: Tensor, dy: Tensor, dx: Tensor, accumulate = false): void {
  expectSameSize('reluBackward', { y, dy, dx });
  elementwise('relu_backward', { y_saved: y, dy, dx }, y.size, accumulate);
}

/** The backward of either activation, from its output y (also serves one fused into matmul). */
export function activationBackward(activation: 'relu' | 'sigmoid', y: Tensor, dy: Tensor, dx: Tensor, accumulate = false): void {
  (activation === 'sigmoid' ? sigmoidBackward : reluBackward)(y, dy, dx, accumulate);
}

// ── gradient rules ──────────────────────────────────────────────────────────────────────────────

export const gradients = {
  /** y = act(x): dx = dy ⊙ act'(x), written from y. */
  activation: (activation: 'relu' | 'sigmoid', x: Tensor, y: Tensor): BackwardRule => (ctx, dy) => {
    const { grad, accumulate } = ctx.target(x);
    activationBackward(activation, y, upstream(dy, y.gpu, y.shape), grad, accumulate);
  },
};

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

const variantOf = (n: number) => (n % 4 === 0 ? 'v2 vec4' : 'v1');
const entryOf = (name: string, n: number) => (n % 4 === 0 ? `${name}_vec4` : name);
const cases: KernelCase[] = [];

for (const act of ['sigmoid', 'relu'] as const) {
  const forward = act === 'sigmoid' ? sigmoid : relu;
  const f = act === 'sigmoid' ? ref.sigmoid : ref.relu;
  const df = act === 'sigmoid' ? ref.sigmoidBackward : ref.reluBackward;
  for (const n of [1, 63, 65, 1000, 4, 4100, 10000, PAST_GRID_LIMIT]) {
    cases.push(kernelCase({
      name: `${act} forward ${variantOf(n)} n=${n}`,
      entries: [entryOf(`${act}_forward`, n)],
      variant: variantOf(n),
      dims: { n },
      showcase: n === 10000,
      setup(s, { n }, random) {
        const x = uniform(random, n, -6, 6);
        const y = s.output([n]);
        const xt = s.input(x);
        return { run: () => forward(xt, y), check: () => s.check('y', y, x.map(f), 1e-6, 1e-5) };
      },
      ...(n === 1000 ? { bench: { sizes: [1e3, 1e4, 1e5, 1e6, 1e7].map((n) => ({ n })), bytes: (d) => 8 * d.n! } } : {}),
    }));
  }
  for (const [n, accumulate] of [[1, false], [97, false], [4099, true], [PAST_GRID_LIMIT, false], [8, false], [1028, true], [10000, false]] as const) {
    cases.push(kernelCase({
      name: `${act} backward ${variantOf(n)} n=${n}${accumulate ? ' accumulate' : ''}`,
      entries: [entryOf(`${act}_backward`, n)],
      variant: variantOf(n),
      dims: { n },
      showcase: n === 10000,
      setup(s, { n }, random) {
        const x = uniform(random, n, -6, 6);
        const dy = uniform(random, n);
        const previous = uniform(random, n);
        const y = s.output([n], 'y');
        const dx = s.output([n], 'dx');
        if (accumulate) dx.write(previous);
        forward(s.input(x), y);
        const dyt = s.input(dy);
        const expected = df(x, dy).map((v, i) => v + (accumulate ? previous[i]! : 0));
        return { run: () => activationBackward(act, y, dyt, dx, accumulate), check: () => s.check('dx', dx, expected, 1e-6, 1e-5) };
      },
      // Reads y and dy, writes dx.
      ...(n === 10000 ? { bench: { sizes: [1e4, 1e5, 1e6, 1e7].map((n) => ({ n })), bytes: (d) => 12 * d.n! } } : {}),
    }));
  }
}
// Past 65,535 workgroups every entry point takes its element from a 2-D grid (grid1d). The real
// spill cases above reach v1 only (4.2 million elements make 4,100 vec4 workgroups; a vec4 spill
// needs 67 million), and Node skips them: this folds a small grid into 2-D instead. 5 · 64 + 7
// invocations on a 3 × 2 grid (i = gid.x + 3 · 64 · gid.y): the last workgroup is partly idle.
cases.push(
  testCase('activation entry points find their element on a 2-D grid (as past 65,535 workgroups)', async (s, random) => {
    for (const vec4 of [false, true]) {
      const invocations = 5 * shader.entry('relu_forward').workgroupSize[0] + 7;
      const n = vec4 ? 16 * invocations : invocations;
      const [x, dy, previous] = [uniform(random, n, -6, 6), uniform(random, n), uniform(random, n)];
      const params = { n: vec4 ? n / 4 : n };
      const names = vec4 ? vec4Names : <T>(a: Record<string, T>) => a;
      const [xt, dyt] = [s.input(x), s.input(dy)];
      for (const act of ['sigmoid', 'relu'] as const) {
        const suffix = vec4 ? '_vec4' : '';
        const [y, dx] = [s.output([n], 'y'), s.input(previous, [n], 'f32', 'dx')];
        s.gpu.dispatch(shader.entry(`${act}_forward${suffix}`), { params, ...names({ x: xt, y }) }, [3, 2]);
        s.gpu.dispatch(shader.entry(`${act}_backward${suffix}`), { params, ...names({ y_saved: y, dy: dyt, dx }) }, [3, 2], { ACCUMULATE: true });
        const [f, df] = act === 'sigmoid' ? [ref.sigmoid, ref.sigmoidBackward] : [ref.relu, ref.reluBackward];
        await s.check(`${act}${suffix} y`, y, x.map(f), 1e-6, 1e-5);
        await s.check(`${act}${suffix} dx (accumulated)`, dx, df(x, dy).map((v, i) => v + previous[i]!), 1e-6, 1e-5);
      }
    }
  }),
);

// NaN in, NaN out, as in PyTorch; relu_backward passes dy on where y is NaN. WGSL lets a compiler
// assume no NaN (SwiftShader: max(NaN, 0) = 0, exp(NaN) = +∞), so the shaders test the bits.
cases.push(
  testCase('activation: a NaN input stays NaN, forward and backward, v1 and v2 vec4', async (s, random) => {
    for (const n of [67, 1028]) {
      const x = uniform(random, n, -6, 6);
      for (const i of [0, 5, 6, n - 1]) x[i] = NaN;
      const dy = uniform(random, n);
      const [xt, dyt] = [s.input(x), s.input(dy)];
      for (const act of ['sigmoid', 'relu'] as const) {
        const [y, dx] = [s.output([n], 'y'), s.output([n], 'dx')];
        (act === 'sigmoid' ? sigmoid : relu)(xt, y);
        activationBackward(act, y, dyt, dx);
        const [f, df] = act === 'sigmoid' ? [ref.sigmoid, ref.sigmoidBackward] : [ref.relu, ref.reluBackward];
        await s.check(`${act} ${variantOf(n)} y`, y, x.map(f), 1e-6, 1e-5);
        await s.check(`${act} ${variantOf(n)} dx`, dx, df(x, dy), 1e-6, 1e-5);
      }
    }
  }),
);

export const spec: Spec = cases;
