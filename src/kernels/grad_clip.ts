// shaders/grad_clip.wgsl: torch.nn.utils.clip_grad_norm_ and clip_grad_value_, in place on the
// gradients, nothing read back.
import { grid1d, loadShader } from '../device/shader';
import { expectDtype, expectRange, expectShape } from '../launch';
import { clipGradNorm as clipGradNormRef, clipGradValue as clipGradValueRef } from '../reference/grad_clip';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import { Tensor } from '../tensor';

export const shader = loadShader('grad_clip');

/** Elements of a gradient one norm_partials invocation sums (the shader's CHUNK). */
const CHUNK = 1024;

/**
 * Scales the gradients in place so their joint q-norm is at most maxNorm (PyTorch's
 * clip_grad_norm_: by max_norm / (norm + 1e-6) when that is under 1); writes the norm they had into
 * total [1]. q: a number > 0, or Infinity for the largest |g|.
 */
export function clipGradNorm(grads: readonly Tensor[], maxNorm: number, q: number, total: Tensor): void {
  const op = 'clipGradNorm';
  grads.forEach((g, i) => expectDtype(op, `grads[${i}]`, g, 'f32'));
  expectShape(op, 'total', total, [1]);
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) throw new Error(`${op}: argument 'maxNorm' expected a number (Infinity clips nothing), got ${maxNorm}`);
  if (q !== Infinity) expectRange(op, 'normType', q, q > 0, 'a number > 0, or Infinity');
  const gpu = total.gpu;
  const chunks = grads.map((g) => Math.ceil(g.size / CHUNK));
  const count = chunks.reduce((a, b) => a + b, 0);
  if (count === 0) return gpu.clear(total); // no gradients: PyTorch's norm is 0
  const partials = Tensor.scratch(gpu, 'clip_grad_norm partials', [count]);
  const coef = Tensor.scratch(gpu, 'clip_grad_norm coefficient', [1]);
  const constants = { INFINITY: q === Infinity };
  const params = (n: number, first: number) => ({ n, first, count, q: q === Infinity ? 0 : q, max_norm: maxNorm, clip_value: 0 });
  const [partialsEntry, totalEntry, scaleEntry] = ['norm_partials', 'norm_total', 'scale'].map((name) => shader.entry(name)) as [ReturnType<typeof shader.entry>, ReturnType<typeof shader.entry>, ReturnType<typeof shader.entry>];
  let first = 0;
  grads.forEach((g, k) => {
    gpu.dispatch(partialsEntry, { params: params(g.size, first), g, partials }, grid1d(partialsEntry, chunks[k]!), constants);
    first += chunks[k]!;
  });
  gpu.dispatch(totalEntry, { params: params(0, 0), partials, total, coef }, [1], constants);
  for (const g of grads) gpu.dispatch(scaleEntry, { params: params(g.size, 0), g, coef }, grid1d(scaleEntry, g.size), constants);
}

/** Clamps every gradient element to [−v, v] in place (PyTorch's clip_grad_value_); NaN stays NaN. */
export function clipGradValue(grads: readonly Tensor[], v: number): void {
  const op = 'clipGradValue';
  grads.forEach((g, i) => expectDtype(op, `grads[${i}]`, g, 'f32'));
  expectRange(op, 'clipValue', v, Number.isFinite(v) && v >= 0, 'a finite number ≥ 0');
  const entry = shader.entry('clamp_values');
  for (const g of grads) g.gpu.dispatch(entry, { params: { n: g.size, first: 0, count: 0, q: 0, max_norm: 0, clip_value: v }, g }, grid1d(entry, g.size));
}

const cases: KernelCase[] = [];
// Gradients of awkward lengths (one element, either side of a chunk, past the grid's x limit),
// clipped (a small max_norm) and not (a large one), for q = 2, 1, 3.5 and ∞.
for (const [sizes, maxNorm, q] of [
  [[1], 0.5, 2],
  [[1023, 1025, 7, 3000], 1, 2],
  [[1023, 1025, 7, 3000], 1e6, 2],
  [[64, 5, 2049], 2, 1],
  [[64, 5, 2049], 2, 3.5],
  [[64, 5, 2049], 0.25, Infinity],
  [[PAST_GRID_LIMIT, 3], 10, 2],
] as const) {
  cases.push(
    kernelCase({
      name: `clip_grad_norm [${sizes.join(', ')}] max_norm ${maxNorm} norm_type ${q}`,
      entries: ['norm_partials', 'norm_total', 'scale'],
      dims: { n: sizes.reduce((a, b) => a + b, 0) },
      showcase: sizes.length === 4 && maxNorm === 1,
      setup(s, _dims, random) {
        const grads = sizes.map((n) => uniform(random, n, -3, 3));
        const tensors = grads.map((g, i) => s.input(g, [g.length], 'f32', `g${i}`));
        const total = s.output([1], 'total');
        const expected = clipGradNormRef(grads, maxNorm, q);
        let runs = 0;
        return {
          run: () => {
            // In place: each run starts again from the drawn gradients.
            if (runs++ > 0) tensors.forEach((t, i) => t.write(grads[i]!));
            clipGradNorm(tensors, maxNorm, q, total);
          },
          check: async () => {
            // float32 sums of up to 4 million squares: the norm's relative error grows with n.
            const rtol = 1e-5 + 1e-11 * _dims.n;
            await s.check('total norm', total, [expected.total], 0, rtol);
            for (const [i, t] of tensors.entries()) await s.check(`g${i} clipped`, t, expected.grads[i]!, 1e-6, rtol);
          },
        };
      },
    }),
  );
}
// clip_grad_value_: clamped to [−v, v] (v = 0 included), a NaN kept.
for (const [n, v] of [[1, 0.5], [1025, 1], [70001, 0]] as const) {
  cases.push(
    kernelCase({
      name: `clip_grad_value [${n}] to ±${v}`,
      entries: ['clamp_values'],
      dims: { n },
      setup(s, { n }, random) {
        const g = uniform(random, n!, -3, 3);
        if (n! > 1) g[3] = NaN;
        const t = s.input(g, [n!], 'f32', 'g');
        const expected = clipGradValueRef([g], Math.fround(v))[0]!;
        let runs = 0;
        return {
          run: () => {
            if (runs++ > 0) t.write(g);
            clipGradValue([t], v);
          },
          check: () => s.check(`g clamped to ±${v}`, t, expected, 0, 0),
        };
      },
    }),
  );
}
// The bench: one gradient of n elements, as a model's parameters might be (three passes: read, read
// the partials, read and write).
cases.push(
  kernelCase({
    // max_norm 1e30 leaves g as it is (coef 1, the same work), so timed runs repeat without a rewrite.
    name: 'clip_grad_norm one gradient of 100000, max_norm 1e30',
    entries: ['norm_partials', 'norm_total', 'scale'],
    dims: { n: 100000 },
    setup(s, { n }, random) {
      const g = uniform(random, n!, -3, 3);
      const t = s.input(g, [n!], 'f32', 'g');
      const total = s.output([1], 'total');
      const expected = clipGradNormRef([g], 1e30, 2);
      return {
        run: () => clipGradNorm([t], 1e30, 2, total),
        check: async () => {
          await s.check('total norm', total, [expected.total], 0, 1e-5);
          await s.check('g unchanged', t, g, 0, 0);
        },
      };
    },
    bench: { sizes: [1e4, 1e5, 1e6, 1e7].map((n) => ({ n })), bytes: (d) => 12 * d.n! },
  }),
);
cases.push(
  // A NaN anywhere makes the norm NaN and every gradient NaN (PyTorch: error_if_nonfinite=False);
  // an ∞ makes it ∞, the coefficient 0: the others 0, the ∞ itself NaN (0 · ∞), as PyTorch's mul_.
  testCase('clip_grad_norm: a NaN or an ∞ gradient spreads as in PyTorch; no gradients give 0', async (s, random) => {
    for (const [bad, q] of [[NaN, 2], [Infinity, 2], [NaN, Infinity], [-Infinity, Infinity]] as const) {
      const grads = [uniform(random, 5), uniform(random, 1500)];
      grads[1]![1200] = bad;
      const tensors = grads.map((g) => s.input(g, [g.length]));
      const total = s.output([1], 'total');
      clipGradNorm(tensors, 1, q, total);
      const expected = clipGradNormRef(grads, 1, q);
      await s.check(`total with ${bad}, q = ${q}`, total, [expected.total], 0, 0);
      for (const [i, t] of tensors.entries()) await s.check(`g${i} with ${bad}, q = ${q}`, t, expected.grads[i]!, 1e-7, 1e-6);
    }
    const total = s.output([1], 'total');
    clipGradNorm([], 1, 2, total);
    await s.check('no gradients: total 0', total, [0], 0, 0);
  }),
  testCase('clip_grad: bad arguments are named before dispatch', (s, random) => {
    const g = s.input(uniform(random, 4), [4]);
    const total = s.output([1]);
    s.expectError('norm type 0', () => clipGradNorm([g], 1, 0, total), /clipGradNorm: argument 'normType' expected a number > 0, or Infinity, got 0/);
    s.expectError('NaN max norm', () => clipGradNorm([g], NaN, 2, total), /clipGradNorm: argument 'maxNorm' expected a number \(Infinity clips nothing\), got NaN/);
    s.expectError('negative clip value', () => clipGradValue([g], -1), /clipGradValue: argument 'clipValue' expected a finite number ≥ 0, got -1/);
    s.expectError('u32 gradient', () => clipGradValue([s.input([1, 2], [2], 'u32')], 1), /clipGradValue: argument 'grads\[0\]' expected dtype f32, got u32/);
  }),
);

export const spec: Spec = cases;
