// shaders/softmax_cross_entropy.wgsl: fused softmax + cross-entropy (nn.CrossEntropyLoss, mean over
// the batch): each row's loss and d loss / d logits in one pass, then the mean and the epoch metrics.
import { grid1d, loadShader } from '../device/shader';
import { expectDtype, expectRange, expectRank, expectShape } from '../launch';
import { softmaxCrossEntropy as crossEntropyRef } from '../reference/losses';
import { integers, PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import type { BackwardRule, Tensor } from '../tensor';

export const shader = loadShader('softmax_cross_entropy');

export interface CrossEntropyOutputs {
  /** [N]: each row's loss. */
  rowLoss: Tensor;
  /** [N, C]: the logits' gradient, (softmax − onehot) · gradScale. */
  dlogits: Tensor;
  /** [1]: the mean loss. */
  loss: Tensor;
  /** [5]: running sums of (mean loss, correct rows, rows, batches) and the first non-finite batch (1-based, 0 if none); never cleared here. */
  metrics: Tensor;
}

/** Fused softmax + cross-entropy (nn.CrossEntropyLoss, mean over the batch) and its gradient. */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, out: CrossEntropyOutputs, options: { gradScale?: number; accumulate?: boolean; gradientOnly?: boolean } = {}): void {
  const op = 'softmaxCrossEntropy';
  expectRank(op, 'logits', logits, [2]);
  expectDtype(op, 'logits', logits, 'f32');
  const [N, C] = [logits.shape[0]!, logits.shape[1]!];
  expectDtype(op, 'labels', labels, 'u32');
  expectShape(op, 'labels', labels, [N]);
  expectShape(op, 'rowLoss', out.rowLoss, [N]);
  expectShape(op, 'dlogits', out.dlogits, [N, C]);
  expectShape(op, 'loss', out.loss, [1]);
  expectShape(op, 'metrics', out.metrics, [5]);
  const gradScale = options.gradScale ?? 1 / N;
  expectRange(op, 'gradScale', gradScale, true, 'a finite number');
  const params = { N, C, grad_scale: gradScale };
  const gpu = logits.gpu;
  const rows = shader.entry('cross_entropy_rows');
  gpu.dispatch(rows, { params, logits, labels, row_loss: out.rowLoss, dlogits: out.dlogits }, grid1d(rows, N), { ACCUMULATE: options.accumulate ?? false });
  if (options.gradientOnly) return;
  gpu.dispatch(shader.entry('cross_entropy_mean'), { params, logits, labels, row_loss: out.rowLoss, loss: out.loss, metrics: out.metrics }, [1]);
}

export const gradients = {
  /** loss = mean CE(logits, labels): d loss / d logits = (softmax − onehot) / N, already computed by the forward. */
  crossEntropy: (logits: Tensor, labels: Tensor, out: CrossEntropyOutputs): BackwardRule => (ctx, dloss) => {
    if (dloss !== null) throw new Error('CrossEntropyLoss: backward must start at the loss itself (loss.backward())');
    // Hand the forward's gradient buffer over when we can; otherwise write it again through target().
    if (ctx.donate(logits, out.dlogits)) return;
    const { grad, accumulate } = ctx.target(logits);
    softmaxCrossEntropy(logits, labels, { ...out, dlogits: grad }, { accumulate, gradientOnly: true });
  },
};

const cases: KernelCase[] = [];
for (const [N, C, scale, ties] of [[1, 1, 3, false], [8, 4, 3, false], [37, 10, 5, false], [256, 10, 4, false], [1000, 7, 3, false], [5, 3, 1e4, false], [3, 1, 1e4, false], [70001, 2, 2, false], [300, 4, 1, true], [PAST_GRID_LIMIT, 2, 2, false]] as const) {
  cases.push(
    kernelCase({
      name: `softmax-cross-entropy ${N}×${C}${scale >= 1e4 ? ' logits ±1e4' : ''}${ties ? ' tied logits' : ''}`,
      entries: ['cross_entropy_rows', 'cross_entropy_mean'],
      variant: 'v1 fused',
      dims: { N, C },
      showcase: N === 256,
      setup(s, { N, C }, random) {
        // Tied logits (integers in {−1, 0, 1}) check that accuracy's arg-max takes the first maximum.
        const logits = uniform(random, N * C, -scale, scale).map((v) => (ties ? Math.round(v) : v));
        const labels = integers(random, N, C);
        const out = { rowLoss: s.output([N], 'row loss'), dlogits: s.output([N, C], 'dlogits'), loss: s.output([1], 'loss'), metrics: s.output([5], 'metrics') };
        out.metrics.write([0, 0, 0, 0, 0]);
        const [lt, yt] = [s.input(logits, [N, C]), s.input(labels, [N], 'u32', 'labels')];
        let runs = 0;
        return {
          run: () => {
            runs++;
            softmaxCrossEntropy(lt, yt, out);
          },
          check: async () => {
            const expected = crossEntropyRef(logits, labels, N, C);
            const tol = 1e-5 * Math.max(1, scale);
            await s.check('dlogits', out.dlogits, expected.grad, 1e-6 / N + 1e-7, 1e-4);
            await s.check('row loss', out.rowLoss, expected.rowLoss, tol, 1e-5);
            // cross_entropy_mean sums the rows serially in f32: its relative error grows with N
            // (1.7e-3 at 4.2 million rows).
            const meanRtol = 1e-5 + 1e-9 * N;
            await s.check('loss', out.loss, [expected.loss], tol, meanRtol);
            await s.check('metrics (loss, correct, rows, batches, first non-finite)', out.metrics, [expected.loss * runs, expected.correct * runs, N * runs, runs, 0], tol * runs, meanRtol);
          },
        };
      },
      ...(N === 1000 ? { bench: { sizes: [1e3, 1e4, 1e5, 1e6].map((n) => ({ N: n / 10, C: 10 })), bytes: (d: { N?: number; C?: number }) => 12 * d.N! * d.C! } } : {}),
    }),
  );
}
cases.push(
  testCase('softmax-cross-entropy records the first non-finite batch', async (s, random) => {
    const [N, C] = [4, 3];
    const out = { rowLoss: s.output([N]), dlogits: s.output([N, C]), loss: s.output([1]), metrics: s.output([5]) };
    out.metrics.write([0, 0, 0, 0, 0]);
    const labels = s.input(integers(random, N, C), [N], 'u32');
    const finite = s.input(uniform(random, N * C), [N, C]);
    const poisoned = uniform(random, N * C);
    poisoned[5] = NaN;
    const bad = s.input(poisoned, [N, C]);
    for (const logits of [finite, finite, bad, finite, bad]) softmaxCrossEntropy(logits, labels, out);
    const m = await out.metrics.read();
    s.expect('batches', m[3] === 5, `${m[3]}`);
    s.expect('first non-finite batch is the 3rd', m[4] === 3, `${m[4]}`);
  }),
  testCase('softmax-cross-entropy bad input is rejected before dispatch', (s, random) => {
    const a = s.input(uniform(random, 6), [2, 3]);
    const out = { rowLoss: s.output([2]), dlogits: s.output([2, 3]), loss: s.output([1]), metrics: s.output([5]) };
    s.expectError('label dtype', () => softmaxCrossEntropy(a, s.input([0, 1], [2]), out), /softmaxCrossEntropy: argument 'labels' expected dtype u32, got f32/);
    s.expectError('label count', () => softmaxCrossEntropy(a, s.input([0, 1, 2], [3], 'u32'), out), /argument 'labels' expected shape \[2\], got \[3\]/);
    s.expectError('dlogits shape', () => softmaxCrossEntropy(a, s.input([0, 1], [2], 'u32'), { ...out, dlogits: s.output([3, 2]) }), /argument 'dlogits' expected shape \[2, 3\], got \[3, 2\]/);
  }),
);

export const spec: Spec = cases;
