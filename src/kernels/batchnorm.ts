// shaders/batchnorm.wgsl: batch normalisation over [N, C], [N, C, L] or [N, C, H, W]: statistics and
// running statistics, normalise, and the backward (dx, and dγ, dβ added into their gradients).
import { grid1d, loadShader } from '../device/shader';
import { sizeClass } from '../device/tuner';
import { expectDtype, expectRange, expectRank, expectShape, shapeText } from '../launch';
import * as bnRef from '../reference/batchnorm';
import { uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import { Tensor, upstream, type BackwardRule } from '../tensor';
import { expectReductionVariant, REDUCTION_VARIANTS, type ReductionVariant } from './reduce';

export const shader = loadShader('batchnorm');

export interface BatchNormArgs {
  gamma: Tensor;
  beta: Tensor;
  runningMean: Tensor;
  runningVar: Tensor;
  /** [C] each: written by the forward, read by the backward. */
  mean: Tensor;
  invstd: Tensor;
  eps: number;
  momentum: number;
  training: boolean;
  trackRunningStats: boolean;
  /** The per-channel reductions (statistics, backward sums): serial or tree; the tuner's pick if absent. */
  variant?: ReductionVariant;
}

function batchNormDims(op: string, x: Tensor, args: BatchNormArgs): { N: number; C: number; S: number } {
  expectRank(op, 'x', x, [2, 3, 4, 5]);
  expectDtype(op, 'x', x, 'f32');
  const [N, C] = [x.shape[0]!, x.shape[1]!];
  const S = x.shape.slice(2).reduce((a, b) => a * b, 1);
  for (const name of ['gamma', 'beta', 'runningMean', 'runningVar', 'mean', 'invstd'] as const) {
    expectDtype(op, name, args[name], 'f32');
    expectShape(op, name, args[name], [C]);
  }
  expectRange(op, 'eps', args.eps, args.eps > 0, 'a number > 0');
  expectRange(op, 'momentum', args.momentum, args.momentum >= 0 && args.momentum <= 1, 'a number in [0, 1]');
  if (args.training && N * S === 1) throw new Error(`${op}: expected more than 1 value per channel when training, got input shape ${shapeText(x.shape)}`);
  if (args.variant) expectReductionVariant(op, args.variant);
  return { N, C, S };
}

/** The reduction variant for batch-norm: explicit, else the tuner's pick for this channel count and size. */
function batchNormVariant(x: Tensor, args: BatchNormArgs, N: number, C: number, S: number): ReductionVariant {
  if (args.variant) return args.variant;
  return x.gpu.tuner.choose(`batchNorm C≤${sizeClass(C)} M≤${sizeClass(N * S)}`, 'serial', () => ({
    shape: shapeText(x.shape),
    fallback: 'serial',
    candidates: REDUCTION_VARIANTS,
    prepare() {
      const t = (shape: readonly number[]) => Tensor.empty(x.gpu, shape, 'f32', 'tuning batch-norm');
      const [xs, y, dy, dx] = [t(x.shape), t(x.shape), t(x.shape), t(x.shape)];
      const [gamma, beta, runningMean, runningVar, mean, invstd, dgamma, dbeta, sums] = [t([C]), t([C]), t([C]), t([C]), t([C]), t([C]), t([C]), t([C]), t([2 * C])];
      const a = { gamma, beta, runningMean, runningVar, mean, invstd, eps: 1e-5, momentum: 0.1, training: true, trackRunningStats: true };
      return {
        run: (variant) => {
          batchNorm(xs, y, { ...a, variant: variant as ReductionVariant });
          batchNormBackward(xs, dy, { ...a, variant: variant as ReductionVariant }, { dx, dgamma, dbeta, sums });
        },
        destroy: () => [xs, y, dy, dx, gamma, beta, runningMean, runningVar, mean, invstd, dgamma, dbeta, sums].forEach((u) => u.destroy()),
      };
    },
  }));
}

/** y = γ · (x − mean) / √(var + eps) + β per channel; x is [N, C], [N, C, L] or [N, C, H, W]. */
export function batchNorm(x: Tensor, y: Tensor, args: BatchNormArgs): void {
  const op = 'batchNorm';
  const { N, C, S } = batchNormDims(op, x, args);
  expectShape(op, 'y', y, x.shape);
  const params = { N, C, S, eps: args.eps, momentum: args.momentum };
  const { mean, invstd, gamma, beta } = args;
  const tree = batchNormVariant(x, args, N, C, S) === 'tree';
  const stats = shader.entry(tree ? 'batchnorm_stats_tree' : 'batchnorm_stats');
  const normalize = shader.entry('batchnorm_normalize');
  x.gpu.dispatch(stats, { params, x, mean, invstd, running_mean: args.runningMean, running_var: args.runningVar }, tree ? grid1d(stats, C * 256) : grid1d(stats, C), { TRAINING: args.training, TRACK_RUNNING_STATS: args.trackRunningStats });
  x.gpu.dispatch(normalize, { params, x, mean, invstd, gamma, beta, y }, grid1d(normalize, x.size));
}

export interface BatchNormGrads {
  dx: Tensor;
  /** [C] each; the parameter gradients are added to, as in PyTorch. */
  dgamma: Tensor;
  dbeta: Tensor;
  /** [2·C] scratch: per-channel Σdy and Σdy·x̂. */
  sums: Tensor;
  accumulate?: boolean;
}

/** The backward of batchNorm with the same args: dx, and dγ, dβ added into their gradients. */
export function batchNormBackward(x: Tensor, dy: Tensor, args: BatchNormArgs, grads: BatchNormGrads): void {
  const op = 'batchNormBackward';
  const { N, C, S } = batchNormDims(op, x, args);
  expectShape(op, 'dy', dy, x.shape);
  expectShape(op, 'dx', grads.dx, x.shape);
  expectShape(op, 'dgamma', grads.dgamma, [C]);
  expectShape(op, 'dbeta', grads.dbeta, [C]);
  expectShape(op, 'sums', grads.sums, [2 * C]);
  const params = { N, C, S, eps: args.eps, momentum: args.momentum };
  const { mean, invstd, gamma } = args;
  const { sums, dgamma, dbeta, dx } = grads;
  const tree = batchNormVariant(x, args, N, C, S) === 'tree';
  const reduce = shader.entry(tree ? 'batchnorm_backward_reduce_tree' : 'batchnorm_backward_reduce');
  const dxEntry = shader.entry('batchnorm_backward_dx');
  x.gpu.dispatch(reduce, { params, x, mean, invstd, dy, sums, dgamma, dbeta }, tree ? grid1d(reduce, C * 256) : grid1d(reduce, C));
  x.gpu.dispatch(dxEntry, { params, x, mean, invstd, gamma, dy, sums, dx }, grid1d(dxEntry, x.size), { TRAINING: args.training, ACCUMULATE: grads.accumulate ?? false });
}

/** The backward's [2·C] per-channel sums, and what it writes that no gradient receives. */
export interface BatchNormScratch {
  sums: Tensor;
  /** Needed when x does not require grad. */
  dx?: Tensor;
  /** Needed without affine parameters. */
  dgamma?: Tensor;
  dbeta?: Tensor;
}

export const gradients = {
  /** dx, and dγ, dβ for the affine parameters (weight = γ, bias = β) when there are any. */
  batchNorm: (x: Tensor, args: BatchNormArgs, affine: { weight: Tensor; bias: Tensor } | null, scratch: BatchNormScratch): BackwardRule => (ctx, dy) => {
    const missing = (name: string) => {
      throw new Error(`batchNorm backward: scratch.${name} is required here`);
    };
    const dx = x.requiresGrad ? ctx.target(x) : { grad: scratch.dx ?? missing('dx'), accumulate: false };
    // The kernel adds into dγ and dβ (always accumulating): mark them written for the tape. A frozen
    // weight or bias gets no gradient (PyTorch leaves its grad None); the kernel writes scratch instead.
    const dgamma = affine?.weight.requiresGrad ? ctx.target(affine.weight).grad : (scratch.dgamma ?? missing('dgamma'));
    const dbeta = affine?.bias.requiresGrad ? ctx.target(affine.bias).grad : (scratch.dbeta ?? missing('dbeta'));
    batchNormBackward(x, upstream(dy, x.gpu, x.shape), args, { dx: dx.grad, accumulate: dx.accumulate, dgamma, dbeta, sums: scratch.sums });
  },
};

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

interface BatchNormCase {
  shape: number[];
  training: boolean;
  equal?: boolean;
  track?: boolean;
  /** Even channels drawn with mean 100 and std 1: the sums must not lose the small deviations. */
  offset?: boolean;
  variant?: ReductionVariant;
  /** Tolerance multiplier: with 2 values per channel, x − mean cancels (ulp(x) / |x − mean| reaches 1e-4). */
  scale?: number;
  /** Running variances in [1e-5, 1e-3], near eps (1e-5): eval mode's 1/√(var + eps) must keep eps. */
  smallVar?: boolean;
  /** Long channels: the mean checked at 1e-6 (a plain f32 serial sum misses by ~1e-5 there, v1's centred second pass by ~2e-7), dγ and dβ at 1e-3. */
  long?: boolean;
  /** dx added to a pre-filled gradient (ACCUMULATE), as when x feeds two ops. */
  accumulate?: boolean;
  /** Image-like channels: 80% zeros, the rest in (0, 1), the first 0.42 (the shift the sums start from, far from the mean 0.1); the mean checked at 3e-6 relative (v2 without its correction pass: 1.4e-5). */
  image?: boolean;
}

function batchNormCase(c: BatchNormCase): KernelCase {
  const [N, C, ...rest] = c.shape;
  const S = rest.reduce((a, b) => a * b, 1);
  return kernelCase({
    name: `batch-norm ${c.shape.length === 4 ? '2d' : '1d'} [${c.shape.join(', ')}] ${c.training ? 'train' : 'eval'}${c.equal ? ' all-equal inputs' : ''}${c.track === false ? ' no running stats' : ''}${c.offset ? ' mean-100 channels' : ''}${c.smallVar ? ' small running var' : ''}${c.long ? ' long channels' : ''}${c.image ? ' image channels, first value far from the mean' : ''}${c.accumulate ? ' accumulate' : ''}${c.variant === 'tree' ? ' v2 tree' : ''}`,
    entries: c.variant === 'tree' ? ['batchnorm_stats_tree', 'batchnorm_normalize', 'batchnorm_backward_reduce_tree', 'batchnorm_backward_dx'] : ['batchnorm_stats', 'batchnorm_normalize', 'batchnorm_backward_reduce', 'batchnorm_backward_dx'],
    variant: `${c.variant === 'tree' ? 'v2 tree' : 'v1'} ${c.training ? 'train' : 'eval'}`,
    dims: { N: N!, C: C!, S },
    showcase: N === 32,
    setup(s, { N, C, S }, random) {
      const shape = [N, C, S];
      const size = N * C * S;
      const x = c.equal ? new Float64Array(size).fill(Math.fround(0.7)) : uniform(random, size, -3, 3);
      if (c.image) {
        for (let i = 0; i < size; i++) x[i] = random() < 0.8 ? 0 : Math.fround(random()); // 80% black pixels
        for (let ch = 0; ch < C; ch++) x[ch * S] = Math.fround(0.42); // element 0 of each channel
      }
      if (c.offset) {
        // std 1: uniform on 100 ± √3, each value exactly a float32.
        for (let i = 0; i < size; i++) if (Math.floor(i / S) % C % 2 === 0) x[i] = Math.fround(100 + Math.sqrt(3) * (2 * random() - 1));
      }
      const dy = uniform(random, size);
      const spec: bnRef.BatchNormSpec = {
        N, C, S, eps: 1e-5, momentum: 0.1, training: c.training,
        gamma: uniform(random, C, 0.5, 1.5), beta: uniform(random, C), runningMean: uniform(random, C), runningVar: c.smallVar ? uniform(random, C, 1e-5, 1e-3) : uniform(random, C, 0.5, 2),
      };
      const [prevDgamma, prevDbeta] = [uniform(random, C), uniform(random, C)];
      const prevDx = c.accumulate ? uniform(random, size) : null;
      const args = {
        gamma: s.input(spec.gamma), beta: s.input(spec.beta), runningMean: s.input(spec.runningMean), runningVar: s.input(spec.runningVar),
        mean: s.output([C], 'mean'), invstd: s.output([C], 'invstd'), eps: spec.eps, momentum: spec.momentum, training: c.training, trackRunningStats: c.track ?? true,
        variant: c.variant ?? 'serial',
      };
      const y = s.output(shape, 'y');
      const grads = { dx: prevDx ? s.input(prevDx, shape) : s.output(shape, 'dx'), dgamma: s.input(prevDgamma), dbeta: s.input(prevDbeta), sums: s.output([2 * C], 'sums'), accumulate: c.accumulate ?? false };
      const [xt, dyt] = [s.input(x, shape), s.input(dy, shape)];
      return {
        run: () => {
          batchNorm(xt, y, args);
          batchNormBackward(xt, dyt, args, grads);
        },
        check: async () => {
          const fwd = bnRef.batchNorm(x, spec);
          const bwd = bnRef.batchNormBackward(x, dy, spec);
          // With variance 0, invstd = 1/√eps ≈ 316 magnifies the f32 rounding of the mean.
          const scale = c.equal ? 1e3 : (c.scale ?? 1);
          // Mean-100 channels: PyTorch's float32 batch_norm is within 6.5e-6 of float64 on 2d shapes like
          // these (5.7e-5 on its 1d path); a sum that rounds at the scale of 100 misses by ~2e-4.
          if (c.offset) await s.check('y (mean-100 channels: PyTorch-level tolerance)', y, fwd.y, 2e-5, 1e-5);
          else await s.check('y', y, fwd.y, 2e-5 * scale, 1e-4);
          await s.check('mean', args.mean, fwd.mean, c.image ? 0 : c.long ? 1e-6 : 1e-5, c.image ? 3e-6 : c.long ? 1e-6 : 1e-5);
          await s.check('invstd', args.invstd, fwd.invstd, 1e-5, 1e-4);
          const tracked = c.training && c.track !== false;
          await s.check('running mean', args.runningMean, tracked ? fwd.runningMean : spec.runningMean, 1e-6, 1e-5);
          await s.check('running var', args.runningVar, tracked ? fwd.runningVar : spec.runningVar, 1e-6, 1e-5);
          // Two rows a channel: x̂ = ±1 and dx is a difference of nearly equal terms, whose float32
          // error is about 10× that of longer columns (seen: 3.5e-3 at |dx| = 13.6, scale 10).
          const cancellation = N === 2 ? 10 : 1;
          if (prevDx) await s.check('dx (accumulated)', grads.dx, bwd.dx.map((v, i) => v + prevDx[i]!), 1e-4 * scale * cancellation, 1e-4);
          else await s.check('dx', grads.dx, bwd.dx, 1e-4 * scale * cancellation, 1e-4);
          // Long channels: a plain serial Σdy misses by up to 4e-3 there (|Σ| ≈ 150), a blocked one by 3e-4.
          const [dgammaTol, dbetaTol] = c.long ? [[1e-3, 1e-6], [1e-3, 1e-6]] : [[1e-4 * Math.sqrt(N * S) * scale, 1e-4], [1e-5 * Math.sqrt(N * S), 1e-4]];
          await s.check('dgamma (accumulated)', grads.dgamma, bwd.dgamma.map((v, i) => v + prevDgamma[i]!), dgammaTol[0]!, dgammaTol[1]!);
          await s.check('dbeta (accumulated)', grads.dbeta, bwd.dbeta.map((v, i) => v + prevDbeta[i]!), dbetaTol[0]!, dbetaTol[1]!);
        },
      };
    },
    ...(N === 8 && C === 128 && c.training ? { bench: { sizes: [1e3, 1e4, 1e5, 1e6, 1e7].map((n) => ({ N: Math.max(2, Math.floor(n / 64)), C: 64, S: 1 })), bytes: (d: { N?: number; C?: number }) => 24 * d.N! * d.C! } } : {}),
  });
}

const cases: KernelCase[] = [
  { shape: [8, 128], training: true },
  { shape: [8, 128], training: false },
  { shape: [8, 128], training: false, smallVar: true },
  { shape: [7, 5], training: true },
  { shape: [1, 5], training: false },
  { shape: [3, 4, 11], training: true },
  { shape: [32, 16, 4], training: true },
  { shape: [4, 3, 5, 7], training: true },
  { shape: [4, 3, 5, 7], training: false },
  { shape: [4, 3, 5, 7], training: false, accumulate: true },
  { shape: [3, 4, 11], training: true, accumulate: true },
  { shape: [1, 3, 5, 7], training: true },
  { shape: [2, 67, 3, 3], training: true },
  { shape: [16, 6], training: true, equal: true },
  { shape: [2, 3, 4, 4], training: true, equal: true },
  { shape: [6, 9], training: true, track: false },
  // 65,535 · 64 + 1 channels: every entry point's grid spills into y.
  { shape: [2, 65535 * 64 + 1], training: true, scale: 10 },
  { shape: [512, 6], training: true, offset: true },
  { shape: [16, 3, 32, 32], training: true, offset: true },
  { shape: [65521, 3], training: true, long: true },
  { shape: [256, 3, 32, 32], training: true, image: true },
  // v2 (a workgroup tree per channel). Its 2-D grid is checked by 'tree reductions index a 2-D grid'
  // (65,536 real workgroups of 256 with barriers take minutes on SwiftShader).
  ...([
    { shape: [8, 128], training: true },
    { shape: [8, 128], training: false },
    { shape: [8, 128], training: false, smallVar: true },
    { shape: [7, 5], training: true },
    { shape: [1, 3, 5, 7], training: true },
    { shape: [2, 67, 3, 3], training: true },
    { shape: [2, 3, 4, 4], training: true, equal: true },
    { shape: [6, 9], training: true, track: false },
    { shape: [512, 6], training: true, offset: true },
    { shape: [16, 3, 32, 32], training: true, offset: true },
    { shape: [65521, 3], training: true, long: true },
    { shape: [256, 3, 32, 32], training: true, image: true },
  ] as BatchNormCase[]).map((c) => ({ ...c, variant: 'tree' as const })),
].map(batchNormCase);

cases.push(
  testCase('batch-norm bad input is rejected before dispatch', (s, random) => {
    const v = s.input(uniform(random, 4), [4]);
    const col = s.output([4]);
    const bn = { gamma: v, beta: v, runningMean: col, runningVar: col, mean: col, invstd: col, eps: 1e-5, momentum: 0.1, training: true, trackRunningStats: true };
    const x = s.input(uniform(random, 8), [2, 4]);
    s.expectError('eps = 0', () => batchNorm(x, s.output([2, 4]), { ...bn, eps: 0 }), /batchNorm: argument 'eps' expected a number > 0, got 0/);
    s.expectError('eps < 0', () => batchNorm(x, s.output([2, 4]), { ...bn, eps: -1 }), /argument 'eps'/);
    s.expectError('channels', () => batchNorm(s.input(uniform(random, 6), [2, 3]), s.output([2, 3]), bn), /batchNorm: argument 'gamma' expected shape \[3\], got \[4\]/);
    s.expectError('batch 1 training', () => batchNorm(s.input(uniform(random, 4), [1, 4]), s.output([1, 4]), bn), /expected more than 1 value per channel when training/);
  }),
);

export const spec: Spec = cases;
