// shaders/regression_loss.wgsl: mean squared error, L1 loss, binary cross-entropy, smooth L1 and
// Huber loss (nn.MSELoss, nn.L1Loss, nn.BCELoss, nn.SmoothL1Loss, nn.HuberLoss) with PyTorch's
// reductions, forward (a two-pass tree sum for 'mean' and 'sum') and backward.
import { grid1d, loadShader } from '../device/shader';
import { expectDtype, expectShape, shapeText } from '../launch';
import { show } from '../options';
import * as ref from '../reference/regression_loss';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import type { BackwardRule, Tensor } from '../tensor';

export const shader = loadShader('regression_loss');

export type RegressionLoss = ref.RegressionLoss;
export type Reduction = ref.Reduction;
const REDUCTIONS: readonly Reduction[] = ['mean', 'sum', 'none'];
export const OP = { mse: 'mseLoss', l1: 'l1Loss', bce: 'binaryCrossEntropy', smoothL1: 'smoothL1Loss', huber: 'huberLoss' } as const;

/** How many partial sums loss_partials writes for n elements (one per workgroup). */
export function partialCount(n: number): number {
  return Math.ceil(n / shader.entry('loss_partials').workgroupSize[0]);
}

/** The shape a loss of `reduction` has for an input of `shape`: [1], or the input's for 'none'. */
export function lossShape(shape: readonly number[], reduction: Reduction): readonly number[] {
  return reduction === 'none' ? shape : [1];
}

/**
 * SmoothL1's β (≥ 0; 0 is L1) and Huber's δ (> 0): PyTorch's conditions, with its messages; the
 * option named as the caller spelled it.
 */
export function expectKnee(op: string, kind: RegressionLoss, knee: unknown): void {
  const [name, least] = kind === 'huber' ? ['delta', 'positive'] : ['beta', 'non-negative'];
  if (typeof knee !== 'number' || Number.isNaN(knee)) throw new Error(`${op}: argument '${name}' expected a number, got ${show(knee)}`);
  if (kind === 'huber' ? knee <= 0 : knee < 0) throw new Error(`${op}: argument '${name}' expected a ${least} number, got ${knee} (PyTorch: "${kind === 'huber' ? 'huber_loss does not support non-positive values for delta.' : 'smooth_l1_loss does not support negative values for beta.'}")`);
}

function checkPair(op: string, x: Tensor, t: Tensor, reduction: Reduction, kind: RegressionLoss, knee: number): void {
  if (!REDUCTIONS.includes(reduction)) throw new Error(`${op}: argument 'reduction' expected 'mean', 'sum' or 'none', got ${String(reduction)}`);
  if (kind === 'smoothL1' || kind === 'huber') expectKnee(op, kind, knee);
  expectDtype(op, 'input', x, 'f32');
  expectDtype(op, 'target', t, 'f32');
  // PyTorch broadcasts a mismatched target with a warning; we refuse it.
  if (x.shape.length !== t.shape.length || x.shape.some((d, i) => d !== t.shape[i])) throw new Error(`${op}: input has shape ${shapeText(x.shape)} and target ${shapeText(t.shape)}; they must be the same (no broadcasting)`);
}

const constants = (kind: RegressionLoss) => ({ L1: kind === 'l1', BCE: kind === 'bce', SMOOTH_L1: kind === 'smoothL1', HUBER: kind === 'huber' });

/**
 * The loss of input x against target t: into `out` ([1] for 'mean' and 'sum', x's shape for
 * 'none'); 'mean' and 'sum' need `partials` ([partialCount(n)]) for the first pass. `beta` is
 * SmoothL1's β or Huber's δ (default 1, PyTorch's; the other kinds ignore it).
 */
export function regressionLoss(kind: RegressionLoss, x: Tensor, t: Tensor, out: Tensor, options: { reduction?: Reduction; partials?: Tensor; beta?: number } = {}): void {
  const op = OP[kind];
  const { reduction = 'mean', beta = 1 } = options;
  checkPair(op, x, t, reduction, kind, beta);
  expectShape(op, 'out', out, lossShape(x.shape, reduction));
  const n = x.size;
  const gpu = x.gpu;
  if (reduction === 'none') {
    const entry = shader.entry('loss_elements');
    gpu.dispatch(entry, { params: { n, scale: 1, partial_count: 0, beta }, x, t, out_elements: out }, grid1d(entry, n), constants(kind));
    return;
  }
  const partial_count = partialCount(n);
  if (!options.partials) throw new Error(`${op}: argument 'partials' ([${partial_count}]) is required for reduction '${reduction}'`);
  expectShape(op, 'partials', options.partials, [partial_count]);
  const params = { n, scale: reduction === 'mean' ? 1 / n : 1, partial_count, beta };
  const first = shader.entry('loss_partials');
  gpu.dispatch(first, { params, x, t, partials: options.partials }, grid1d(first, n), constants(kind));
  gpu.dispatch(shader.entry('loss_total'), { params, partials: options.partials, loss: out }, [1], constants(kind));
}

export interface RegressionBackwardOptions {
  reduction?: Reduction;
  /** The loss's upstream gradient: null where backward starts at the loss; [1], or x's shape for 'none'. */
  dy?: Tensor | null;
  /** Writes d loss / d target: the slope at t − x (−d loss / d input but at SmoothL1's β = 0, x = t), or BCE's ln(1 − x) − ln x. */
  negate?: boolean;
  /** SmoothL1's β or Huber's δ (default 1). */
  beta?: number;
  accumulate?: boolean;
}

/**
 * dx = g · scale · l'(x − t): 2(x − t) for MSE, sign(x − t) for L1 (0 at x = t), (x − t) /
 * max(x(1 − x), 1e-12) for BCE, (x − t)/β or ±1 for SmoothL1, (x − t) or ±δ for Huber.
 */
export function regressionLossBackward(kind: RegressionLoss, x: Tensor, t: Tensor, dx: Tensor, options: RegressionBackwardOptions = {}): void {
  const op = `${OP[kind]}Backward`;
  const { reduction = 'mean', dy = null, negate = false, accumulate = false, beta = 1 } = options;
  checkPair(op, x, t, reduction, kind, beta);
  expectShape(op, 'dx', dx, x.shape);
  if (dy) expectShape(op, 'dy', dy, lossShape(x.shape, reduction));
  const n = x.size;
  const entry = shader.entry('loss_backward');
  const params = { n, scale: reduction === 'mean' ? 1 / n : 1, partial_count: 0, beta };
  const upstream = dy === null ? 0 : reduction === 'none' ? 2 : 1;
  x.gpu.dispatch(entry, { params, x, t, dy: dy ?? x.gpu.placeholders[0], dx }, grid1d(entry, n), { ...constants(kind), NEGATE: negate, ACCUMULATE: accumulate, UPSTREAM: upstream });
}

export const gradients = {
  /** Into the input's gradient, and the target's when the target requires grad too. */
  regressionLoss: (kind: RegressionLoss, x: Tensor, t: Tensor, reduction: Reduction, beta = 1): BackwardRule => (ctx, dy) => {
    for (const [input, negate] of [[x, false], [t, true]] as const) {
      if (!input.requiresGrad) continue;
      const { grad, accumulate } = ctx.target(input);
      regressionLossBackward(kind, x, t, grad, { reduction, dy, negate, accumulate, beta });
    }
  },
};

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

/**
 * x and t drawn at random, with every fifth target equal to its input (x = t: L1's slope is 0 there);
 * for BCE probabilities in (0, 1) and targets in [0, 1], with x exactly 0 or 1 at two places when n
 * allows (the clamped logs; targets 0 and 1 there, where PyTorch's gradient is 0); for SmoothL1 and
 * Huber, targets on a grid of 1/8 and every tenth input exactly β above or below its target (the
 * knee, |x − t| = β exactly in float32: β is a multiple of 1/8 too).
 */
function draw(random: () => number, n: number, kind: RegressionLoss = 'mse', knee = 1): { x: Float64Array; t: Float64Array } {
  if (kind === 'bce') {
    const x = uniform(random, n, 0.02, 0.98);
    const t = uniform(random, n, 0, 1).map((v, i) => (i % 7 === 3 ? Math.round(v) : v));
    // and 1e-7 against a target of 1: a slope of −1e7, where PyTorch's 1e-12 floor does not act
    // and x = 0 against 0.5: the log's clamp at −100 sets that loss (50)
    if (n > 8) [x[5], t[5], x[6], t[6], x[7], t[7], x[8], t[8]] = [0, 0, 1, 1, Math.fround(1e-7), 1, 0, 0.5];
    return { x, t };
  }
  const x = uniform(random, n, -3, 3);
  const t = uniform(random, n, -3, 3).map((v, i) => (i % 5 === 2 ? x[i]! : v));
  if (kind === 'smoothL1' || kind === 'huber') {
    for (let i = 4; i < n; i += 5) {
      t[i] = Math.round(t[i]! * 8) / 8;
      if (i % 10 === 4) x[i] = t[i]! + (i % 20 === 4 ? knee : -knee);
    }
  }
  return { x, t };
}

/** The kinds and their knees: SmoothL1 at β = 0.75 and at β = 0 (L1, with PyTorch's −1 at x = t), Huber at δ = 1.5. */
const VARIANTS: readonly { kind: RegressionLoss; knee: number; label: string }[] = [
  { kind: 'mse', knee: 1, label: 'mse' },
  { kind: 'l1', knee: 1, label: 'l1' },
  { kind: 'bce', knee: 1, label: 'bce' },
  { kind: 'smoothL1', knee: 0.75, label: 'smooth_l1 beta=0.75' },
  { kind: 'smoothL1', knee: 0, label: 'smooth_l1 beta=0' },
  { kind: 'huber', knee: 1.5, label: 'huber delta=1.5' },
];

const cases: KernelCase[] = [];
for (const { kind, knee, label: kindLabel } of VARIANTS) {
  for (const reduction of REDUCTIONS) {
    // n = 1, a workgroup ± 1, primes, a 2-D shape, and past 65,535 workgroups (once for MSE, once for
    // SmoothL1: the other kinds index the same way).
    const past = (reduction === 'mean' && kind === 'mse') || (reduction === 'sum' && kind === 'smoothL1' && knee > 0);
    const shapes = [[1], [63], [65], [7, 9], [4099], [10000], ...(past ? [[PAST_GRID_LIMIT]] : [])];
    for (const shape of shapes) {
      const n = shape.reduce((a, b) => a * b, 1);
      const label = `${kindLabel} loss reduction=${reduction} [${shape.join(', ')}]`;
      const showcase = n === 10000 && (kind !== 'smoothL1' || knee > 0);
      cases.push(
        kernelCase({
          name: `${label} forward`,
          entries: reduction === 'none' ? ['loss_elements'] : ['loss_partials', 'loss_total'],
          dims: { n },
          showcase,
          setup(s, { n }, random) {
            const flat = [n];
            const { x, t } = draw(random, n, kind, knee);
            const expected = ref.regressionLoss(kind, x, t, reduction, undefined, knee);
            const [xt, tt] = [s.input(x, flat), s.input(t, flat, 'f32', 'target')];
            const out = s.output(lossShape(flat, reduction), 'loss');
            const partials = reduction === 'none' ? undefined : s.output([partialCount(n)], 'partials');
            return {
              run: () => regressionLoss(kind, xt, tt, out, { reduction, beta: knee, ...(partials ? { partials } : {}) }),
              // Reduced: two passes of tree sums, whose float32 error stays near 1e-6 relative.
              check: () => (reduction === 'none' ? s.check('elements', out, expected.elements, 1e-6, 1e-6) : s.check('loss', out, [expected.loss], 1e-6, 1e-5)),
            };
          },
          // Timed for the first three kinds, as before: SmoothL1 and Huber run the same entry points over the same bytes.
          ...(n === 10000 && reduction === 'mean' && (kind === 'mse' || kind === 'l1' || kind === 'bce') ? { bench: { sizes: [1e4, 1e6].map((n) => ({ n })), bytes: (d: { n?: number }) => 8 * d.n! } } : {}),
        }),
      );
      // The upstream gradient: none (backward starts at this loss), dy[0] (a reduced loss used further
      // on) or dy[i] ('none'); the target's gradient (negated) with accumulate on one shape.
      const upstreams = reduction === 'none' ? ['per element'] : n === 65 ? ['none', 'scalar'] : ['none'];
      for (const upstream of upstreams) {
        const negate = n === 63 || (n === 65 && knee === 0); // and SmoothL1 at β = 0's target gradient: −1 at x = t
        cases.push(
          kernelCase({
            name: `${label} backward${upstream === 'none' ? '' : `, upstream ${upstream}`}${negate ? ', target gradient, accumulate' : ''}`,
            entries: ['loss_backward'],
            dims: { n },
            showcase: showcase && upstream !== 'scalar',
            setup(s, { n }, random) {
              const flat = [n];
              const { x, t } = draw(random, n, kind, knee);
              const g = uniform(random, upstream === 'per element' ? n : 1);
              const previous = uniform(random, n);
              const dyData = upstream === 'per element' ? g : undefined;
              const scaleBy = upstream === 'scalar' ? g[0]! : 1;
              const result = ref.regressionLoss(kind, x, t, reduction, dyData, knee);
              const expected = (negate ? result.targetGrad : result.grad).map((v, i) => v * scaleBy + (negate ? previous[i]! : 0));
              const [xt, tt] = [s.input(x, flat), s.input(t, flat, 'f32', 'target')];
              const dy = upstream === 'none' ? null : s.input(g, lossShape(flat, reduction), 'f32', 'dy');
              const dx = s.output(flat, 'dx');
              if (negate) dx.write(previous);
              return {
                run: () => regressionLossBackward(kind, xt, tt, dx, { reduction, dy, negate, accumulate: negate, beta: knee }),
                check: async () => {
                  // BCE's target gradient is a difference of two float32 logs (each within ~1e-7 of its |value|).
                  await s.check('dx', dx, expected, kind === 'bce' && negate ? 2e-6 : 1e-7, 1e-6);
                  // ±∞ passes any relative tolerance: BCE's target gradient at x = 0 and 1 is checked by value.
                  if (kind === 'bce' && negate) {
                    const v = await dx.read();
                    s.expect("BCE's target gradient: ±∞ at x = 0 and 1, as float64's (the sign the upstream's)", [5, 6, 8].every((k) => Math.abs(v[k]!) === Infinity && v[k] === expected[k]), `${v[5]}, ${v[6]}, ${v[8]} vs ${expected[5]}, ${expected[6]}, ${expected[8]}`);
                  }
                },
              };
            },
          }),
        );
      }
    }
  }
}
// Past 65,535 workgroups the per-element entry points take their element (and loss_partials its
// workgroup) from a 2-D grid (grid1d); the real spill case above covers 'mean' only, and Node skips
// it. This folds a small grid into 2-D: 5 · 64 + 7 elements on 3 × 2 workgroups (i = gid.x + 3 · 64 · gid.y).
cases.push(
  testCase('mse loss entry points find their element on a 2-D grid (as past 65,535 workgroups)', async (s, random) => {
    const n = 5 * shader.entry('loss_elements').workgroupSize[0] + 7;
    const { x, t } = draw(random, n);
    const [xt, tt] = [s.input(x), s.input(t, [n], 'f32', 'target')];
    const expected = ref.regressionLoss('mse', x, t, 'sum');
    const [elements, partials, loss, dx] = [s.output([n], 'elements'), s.output([6], 'partials'), s.output([1], 'loss'), s.output([n], 'dx')];
    const params = { n, scale: 1, partial_count: 6, beta: 1 };
    s.gpu.dispatch(shader.entry('loss_elements'), { params, x: xt, t: tt, out_elements: elements }, [3, 2]);
    s.gpu.dispatch(shader.entry('loss_partials'), { params, x: xt, t: tt, partials }, [3, 2]);
    s.gpu.dispatch(shader.entry('loss_total'), { params, partials, loss }, [1]);
    s.gpu.dispatch(shader.entry('loss_backward'), { params, x: xt, t: tt, dy: s.gpu.placeholders[0]!, dx }, [3, 2]);
    await s.check('elements', elements, expected.elements, 1e-6, 1e-6);
    await s.check('loss (sum)', loss, [expected.loss], 1e-6, 1e-5);
    await s.check('dx', dx, expected.grad, 1e-7, 1e-6);
  }),
  testCase('mse, l1, smooth_l1 and huber loss bad input is rejected before dispatch', (s, random) => {
    const x = s.input(uniform(random, 12), [3, 4]);
    const t = s.input(uniform(random, 12), [4, 3], 'f32', 'target');
    s.expectError('shape mismatch', () => regressionLoss('mse', x, t, s.output([1]), { partials: s.output([1]) }), /mseLoss: input has shape \[3, 4\] and target \[4, 3\]; they must be the same/);
    s.expectError('bad reduction', () => regressionLoss('l1', x, x, s.output([1]), { reduction: 'avg' as Reduction }), /l1Loss: argument 'reduction' expected 'mean', 'sum' or 'none', got avg/);
    s.expectError('no partials', () => regressionLoss('l1', x, x, s.output([1]), { reduction: 'sum' }), /l1Loss: argument 'partials' \(\[1\]\) is required for reduction 'sum'/);
    s.expectError('none out shape', () => regressionLoss('mse', x, x, s.output([1]), { reduction: 'none' }), /mseLoss: argument 'out' expected shape \[3, 4\], got \[1\]/);
    s.expectError('dy shape', () => regressionLossBackward('mse', x, x, s.output([3, 4]), { reduction: 'none', dy: s.output([1]) }), /mseLossBackward: argument 'dy' expected shape \[3, 4\], got \[1\]/);
    s.expectError('negative beta', () => regressionLoss('smoothL1', x, x, s.output([3, 4]), { reduction: 'none', beta: -0.5 }), /^smoothL1Loss: argument 'beta' expected a non-negative number, got -0.5 \(PyTorch: "smooth_l1_loss does not support negative values for beta."\)$/);
    s.expectError('zero delta', () => regressionLossBackward('huber', x, x, s.output([3, 4]), { beta: 0 }), /^huberLossBackward: argument 'delta' expected a positive number, got 0 /);
    s.expectError('NaN beta', () => regressionLoss('smoothL1', x, x, s.output([3, 4]), { reduction: 'none', beta: NaN }), /^smoothL1Loss: argument 'beta' expected a number, got NaN$/);
  }),
);

export const spec: Spec = cases;
