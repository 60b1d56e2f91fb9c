// shaders/arithmetic.wgsl: elementwise add, multiply and divide with one operand broadcast (F.add,
// F.sub, F.mul, F.div, F.mean), the sum of a gradient back to a broadcast operand's shape, and their
// gradients.
import type { Gpu } from '../device/gpu';
import { grid1d, loadShader } from '../device/shader';
import { sizeClass } from '../device/tuner';
import { expectDtype, shapeText } from '../launch';
import { broadcastTo, sumTo } from '../reference/arithmetic';
import { PAST_GRID_LIMIT, uniform } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import { Tensor, upstream, type BackwardRule } from '../tensor';
import { LONG_COLUMN, sumRows } from './reduce';
import { gatherSum } from './strided';

export const shader = loadShader('arithmetic');

const product = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);

/** How b spreads over a's elements: element i meets b[(i / inner) % bSize]. */
export interface Broadcast {
  inner: number;
  bSize: number;
}

/** b spread over a tensor of `shape` (b's own shape: inner 1). */
export const sameShape = (shape: readonly number[]): Broadcast => ({ inner: 1, bSize: product(shape) });

/**
 * How `small` broadcasts over `shape` (PyTorch's rule: dimensions aligned from the right, each 1 or
 * equal), or null when it does not, or when its dimensions other than 1 are not one contiguous run
 * of `shape`'s (the kernel's one index formula covers every other case).
 */
export function broadcastOver(shape: readonly number[], small: readonly number[]): Broadcast | null {
  if (small.length > shape.length) return null;
  const aligned = [...new Array<number>(shape.length - small.length).fill(1), ...small];
  if (aligned.some((d, i) => d !== 1 && d !== shape[i])) return null;
  const kept = aligned.flatMap((d, i) => (d !== 1 ? [i] : []));
  if (kept.length === 0) return { inner: product(shape), bSize: 1 };
  const [first, last] = [kept[0]!, kept.at(-1)!];
  for (let i = first; i <= last; i++) if (aligned[i] !== shape[i]) return null;
  return { inner: product(shape.slice(last + 1)), bSize: product(shape.slice(first, last + 1)) };
}

/** The shader's OP for each operation. */
const OPS = { add: 0, mul: 1, div: 2, rdiv: 3 } as const;

export interface CombineArgs {
  /** 'add': alpha·a + beta·b + offset; 'mul': alpha·a·b + offset; 'div': alpha·a/b + offset (b null: alpha·a/beta); 'rdiv': alpha·b/a + offset. */
  op: keyof typeof OPS;
  /** n elements, out's count; null: not read (add, and div, where it is taken as 1). */
  a: Tensor | null;
  /** broadcast.bSize elements, spread over out; null: not read. */
  b: Tensor | null;
  broadcast: Broadcast;
  alpha?: number;
  beta?: number;
  offset?: number;
  accumulate?: boolean;
}

function expectBroadcast(op: string, n: number, { inner, bSize }: Broadcast): void {
  if (!(Number.isInteger(inner) && Number.isInteger(bSize) && inner >= 1 && bSize >= 1 && n % (inner * bSize) === 0)) {
    throw new Error(`${op}: broadcast {inner: ${inner}, bSize: ${bSize}} does not tile ${n} elements`);
  }
}

/** out = alpha·a + beta·b, alpha·a·b, alpha·a/b or alpha·b/a, + offset, b spread by `broadcast`; with accumulate, out += …. */
export function combine(out: Tensor, args: CombineArgs): void {
  const op = `combine (${args.op})`;
  const { a, b, broadcast, alpha = 1, beta = 1, offset = 0, accumulate = false } = args;
  const n = out.size;
  expectDtype(op, 'out', out, 'f32');
  expectBroadcast(op, n, broadcast);
  if (a) {
    expectDtype(op, 'a', a, 'f32');
    if (a.size !== n) throw new Error(`${op}: argument 'a' expected ${n} elements (as out), got shape ${shapeText(a.shape)}`);
  }
  if (b) {
    expectDtype(op, 'b', b, 'f32');
    if (b.size !== broadcast.bSize) throw new Error(`${op}: argument 'b' expected ${broadcast.bSize} elements, got shape ${shapeText(b.shape)}`);
  }
  const read = a ?? b;
  // div without b divides by beta (a number divisor), so it needs a then.
  const needs = { add: a ?? b, mul: a, div: b ?? a, rdiv: a && b }[args.op];
  if (!read || !needs) throw new Error(`${op}: needs ${{ add: "'a' or 'b'", mul: "'a'", div: "'a' or 'b'", rdiv: "'a' and 'b'" }[args.op]}`);
  for (const [name, v] of [['alpha', alpha], ['beta', beta], ['offset', offset]] as const) {
    if (!Number.isFinite(v)) throw new Error(`${op}: argument '${name}' expected a finite number, got ${v}`);
  }
  const entry = shader.entry('combine');
  const params = { n, inner: broadcast.inner, b_size: broadcast.bSize, alpha, beta, offset };
  out.gpu.dispatch(entry, { params, a: a ?? read, b: b ?? read, out }, grid1d(entry, n), { OP: OPS[args.op], HAS_A: a !== null, HAS_B: b !== null, ACCUMULATE: accumulate });
}

/** The spread operand's gradient sum: v1 one invocation loops serially per element of b; v2 a workgroup tree per element. */
export type SumVariant = 'serial' | 'tree';
const SUM_VARIANTS: readonly SumVariant[] = ['serial', 'tree'];
const SUM_ENTRY: Record<SumVariant, string> = { serial: 'sum_to_broadcast', tree: 'sum_to_broadcast_tree' };

/**
 * out[k] = alpha · Σ terms[i] · factors[i] over the i that meet b's element k (factors null: 1); out
 * has broadcast.bSize elements. Without a variant, the tuner's pick for this many sums of this length
 * (default serial).
 */
export function sumToBroadcast(out: Tensor, terms: Tensor, factors: Tensor | null, broadcast: Broadcast, alpha = 1, accumulate = false, explicitVariant?: SumVariant): void {
  const op = 'sumToBroadcast';
  const n = terms.size;
  expectDtype(op, 'terms', terms, 'f32');
  expectDtype(op, 'out', out, 'f32');
  expectBroadcast(op, n, broadcast);
  if (out.size !== broadcast.bSize) throw new Error(`${op}: argument 'out' expected ${broadcast.bSize} elements, got shape ${shapeText(out.shape)}`);
  if (factors) {
    expectDtype(op, 'factors', factors, 'f32');
    if (factors.size !== n) throw new Error(`${op}: argument 'factors' expected ${n} elements (as terms), got shape ${shapeText(factors.shape)}`);
  }
  if (!Number.isFinite(alpha)) throw new Error(`${op}: argument 'alpha' expected a finite number, got ${alpha}`);
  const gpu = out.gpu;
  const { inner, bSize } = broadcast;
  if (explicitVariant === undefined && n / bSize > LONG_COLUMN) {
    // Long sums (F.sum(x, 0) over millions of rows, a broadcast scale's gradient over as many) in
    // chunks of 64, then their partial sums the same way: one float32 loop over them all loses digits
    // as the total grows (reduce.wgsl's header). Products of factors first, in a scratch of their own
    // (F.div's backward passes its ratio in the arithmetic scratch).
    let summed = terms;
    if (factors) {
      summed = Tensor.scratch(gpu, 'long sums: products', [n]);
      combine(summed, { op: 'mul', a: terms, b: factors, broadcast: sameShape([n]) });
    }
    const outer = n / (bSize * inner);
    // [outer, bSize] summed over rows (a bias's gradient over a large batch, F.sum(x, 0)): reduce.wgsl's
    // column sums, whose chunks read neighbouring columns side by side; otherwise the strided gather.
    if (inner === 1) return sumRows(summed.reshapeView([outer, bSize]), out.reshapeView([bSize]), accumulate, undefined, alpha);
    const layout = { kept: [{ size: bSize, stride: inner }], reduced: [{ size: outer, stride: bSize * inner }, { size: inner, stride: 1 }] };
    return gatherSum(summed, out, layout, alpha, accumulate);
  }
  const variant = explicitVariant ?? gpu.tuner.choose<SumVariant>(`sumToBroadcast n/b≤${sizeClass(n / bSize)} b≤${sizeClass(bSize)}`, 'serial', () => ({
    shape: `${n / bSize}·${bSize}`,
    fallback: 'serial',
    candidates: SUM_VARIANTS,
    prepare() {
      const [t, sums] = [Tensor.empty(gpu, [n], 'f32', 'tuning terms'), Tensor.empty(gpu, [bSize], 'f32', 'tuning sums')];
      return { run: (v) => sumToBroadcast(sums, t, null, broadcast, 1, false, v as SumVariant), destroy: () => [t, sums].forEach((u) => u.destroy()) };
    },
  }));
  if (!SUM_VARIANTS.includes(variant)) throw new Error(`${op}: argument 'variant' expected ${SUM_VARIANTS.join(' or ')}, got ${variant}`);
  const entry = shader.entry(SUM_ENTRY[variant]);
  const params = { n, inner, b_size: bSize, alpha, beta: 0, offset: 0 };
  gpu.dispatch(entry, { params, terms, factors: factors ?? terms, out }, grid1d(entry, variant === 'tree' ? bSize * 256 : bSize), { HAS_B: factors !== null, ACCUMULATE: accumulate });
}

/**
 * An intermediate of `shape` in the Gpu's arithmetic scratch (Gpu.scratch): F.div's
 * backward terms, F.mseLoss/F.l1Loss's partial sums. Written and read by consecutive dispatches, so one buffer serves them all, and a
 * step that uses them allocates nothing.
 */
export function scratchTensor(gpu: Gpu, label: string, shape: readonly number[]): Tensor {
  return Tensor.scratch(gpu, 'arithmetic intermediates', shape, 'f32', label);
}

export const gradients = {
  /** out = alpha·big + beta·small (+ a number): d big = alpha·dy; d small = beta·Σ dy over the dimensions small broadcasts. */
  add: (big: Tensor, small: Tensor | null, broadcast: Broadcast, alpha: number, beta: number): BackwardRule => (ctx, dy) => {
    const g = upstream(dy, big.gpu, [1]); // at the root: one element
    if (big.requiresGrad) {
      const { grad, accumulate } = ctx.target(big);
      combine(grad, { op: 'add', a: g, b: null, broadcast: sameShape(big.shape), alpha, accumulate });
    }
    if (small?.requiresGrad) {
      const { grad, accumulate } = ctx.target(small);
      sumToBroadcast(grad, g, null, broadcast, beta, accumulate);
    }
  },
  /** out = alpha·big·small: d big = alpha·dy·small (spread); d small = alpha·Σ dy·big. (A number factor is add's alpha.) */
  mul: (big: Tensor, small: Tensor, broadcast: Broadcast, alpha: number): BackwardRule => (ctx, dy) => {
    const g = upstream(dy, big.gpu, [1]);
    if (big.requiresGrad) {
      const { grad, accumulate } = ctx.target(big);
      combine(grad, { op: 'mul', a: g, b: small, broadcast, alpha, accumulate });
    }
    if (small.requiresGrad) {
      const { grad, accumulate } = ctx.target(small);
      sumToBroadcast(grad, g, big, broadcast, alpha, accumulate);
    }
  },
  /**
   * out = scale · Σ x over the dimensions `broadcast` spreads (F.sum and F.mean, over every element
   * or over dim): d x = scale · dy spread over x (at the root, scale everywhere).
   */
  sumOver: (x: Tensor, broadcast: Broadcast, scale: number): BackwardRule => (ctx, dy) => {
    const { grad, accumulate } = ctx.target(x);
    combine(grad, { op: 'add', a: null, b: upstream(dy, x.gpu, [broadcast.bSize]), broadcast, beta: scale, accumulate });
  },
  /** out = x / divisor, a number: d x = dy / divisor, divided as the forward (PyTorch's too). */
  divByNumber: (x: Tensor, divisor: number): BackwardRule => (ctx, dy) => {
    const g = upstream(dy, x.gpu, [1]);
    const { grad, accumulate } = ctx.target(x);
    combine(grad, { op: 'div', a: g, b: null, broadcast: sameShape(x.shape), beta: divisor, accumulate });
  },
  /**
   * out = u/v, `spread` the operand spread over the other's shape by `broadcast`, or c/v for a number
   * c (u null, v of out's shape). With y = out: d u = dy/v and d v = −dy·y/v (c is in y), each summed
   * back to a spread operand's shape. Three of the four paths go through an n-element intermediate
   * (y/v, dy/v or dy·y) in the Gpu's scratch.
   */
  div: (u: Tensor | null, v: Tensor, y: Tensor, broadcast: Broadcast, spread: 'u' | 'v'): BackwardRule => (ctx, dy) => {
    const g = upstream(dy, v.gpu, [1]);
    const whole = sameShape(y.shape);
    const scratch = (label: string) => scratchTensor(v.gpu, label, y.shape);
    if (spread === 'v') {
      if (u?.requiresGrad) {
        const { grad, accumulate } = ctx.target(u);
        combine(grad, { op: 'div', a: g, b: v, broadcast, accumulate });
      }
      if (v.requiresGrad) {
        const { grad, accumulate } = ctx.target(v);
        const ratio = scratch('y / v');
        combine(ratio, { op: 'div', a: y, b: v, broadcast });
        sumToBroadcast(grad, g, ratio, broadcast, -1, accumulate);
      }
      return;
    }
    // u spread over v's shape.
    if (u!.requiresGrad) {
      const { grad, accumulate } = ctx.target(u!);
      const quotient = scratch('dy / v');
      combine(quotient, { op: 'div', a: g, b: v, broadcast: whole });
      sumToBroadcast(grad, quotient, null, broadcast, 1, accumulate);
    }
    if (v.requiresGrad) {
      const { grad, accumulate } = ctx.target(v);
      const product = scratch('dy · y');
      combine(product, { op: 'mul', a: g, b: y, broadcast: whole });
      combine(grad, { op: 'div', a: product, b: v, broadcast: whole, alpha: -1, accumulate });
    }
  },
};

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

const cases: KernelCase[] = [];
// b's shape against a's: the same, a scalar, a row over rows, a column, a channel over NCHW, a middle run.
const layouts: [string, number[], number[]][] = [
  ['same shape', [37, 5], [37, 5]],
  ['scalar', [6, 7], [1]],
  ['row [C] over [N, C]', [9, 13], [13]],
  ['column [N, 1] over [N, C]', [11, 4], [11, 1]],
  ['channel [C, 1, 1] over [N, C, H, W]', [3, 5, 4, 3], [5, 1, 1]],
  ['middle run [1, C, D, 1] over [N, C, D, W]', [2, 3, 4, 5], [1, 3, 4, 1]],
  ['1 element', [1], [1]],
];
for (const [label, shape, small] of layouts) {
  for (const op of ['add', 'mul'] as const) {
    for (const accumulate of op === 'add' ? [false, true] : [false]) {
      cases.push(kernelCase({
        name: `arithmetic ${op} ${label} ${shapeText(shape)} · ${shapeText(small)}${accumulate ? ' accumulate' : ''}`,
        entries: ['combine'],
        dims: { n: product(shape) },
        showcase: op === 'add' && label === 'row [C] over [N, C]' && !accumulate,
        setup(s, _d, random) {
          const n = product(shape);
          const [a, b, previous] = [uniform(random, n, -2, 2), uniform(random, product(small), -2, 2), uniform(random, n)];
          const [alpha, beta, offset] = [uniform(random, 1)[0]! * 3, uniform(random, 1)[0]! * 3, uniform(random, 1)[0]!];
          const out = s.output(shape);
          if (accumulate) out.write(previous);
          const [at, bt] = [s.input(a, shape), s.input(b, small)];
          const broadcast = broadcastOver(shape, small)!;
          const spread = broadcastTo(b, small, shape);
          return {
            run: () => combine(out, { op, a: at, b: bt, broadcast, alpha, beta, offset, accumulate }),
            check: () => s.check('out', out, spread.map((bj, i) => (op === 'add' ? alpha * a[i]! + beta * bj : alpha * a[i]! * bj) + offset + (accumulate ? previous[i]! : 0)), 1e-6, 1e-6),
          };
        },
      }));
    }
  }
  for (const variant of SUM_VARIANTS) {
    for (const [withFactors, accumulate] of [[false, false], [true, false], ...(variant === 'tree' ? [[true, true] as const] : [])] as const) {
      cases.push(kernelCase({
        name: `arithmetic sum to ${label} ${shapeText(shape)} → ${shapeText(small)}${withFactors ? ' of products' : ''}${accumulate ? ' accumulate' : ''}${variant === 'tree' ? ' v2 tree' : ''}`,
        entries: [SUM_ENTRY[variant]],
        variant: variant === 'tree' ? 'v2 tree' : 'v1 serial',
        dims: { n: product(shape) },
        showcase: withFactors && label === 'column [N, 1] over [N, C]' && !accumulate,
        setup(s, _d, random) {
          const n = product(shape);
          const [terms, factors, previous] = [uniform(random, n, -2, 2), uniform(random, n, -2, 2), uniform(random, product(small))];
          const out = s.output(small);
          if (accumulate) out.write(previous);
          const [tt, ft] = [s.input(terms, shape), s.input(factors, shape)];
          const expected = sumTo(withFactors ? terms.map((t, i) => t * factors[i]!) : terms, shape, small).map((v, k) => -0.5 * v + (accumulate ? previous[k]! : 0));
          return {
            run: () => sumToBroadcast(out, tt, withFactors ? ft : null, broadcastOver(shape, small)!, -0.5, accumulate, variant),
            check: () => s.check('out', out, expected, 1e-6 * Math.sqrt(n), 1e-5),
          };
        },
      }));
    }
  }
}

// A weighted per-row loss's shapes: x [N, C] times a row of weights [C], and its gradient summed back
// to [C]; the bench times both from the first size (a batch of 8) up.
for (const entry of ['combine', 'sum_to_broadcast', 'sum_to_broadcast_tree'] as const) {
  cases.push(kernelCase({
    name: `arithmetic ${entry === 'combine' ? 'mul by a row' : 'sum to a row'} [N, C] · [C], N = 513, C = 67${entry === 'sum_to_broadcast_tree' ? ' v2 tree' : ''}`,
    entries: [entry],
    ...(entry === 'combine' ? {} : { variant: entry === 'sum_to_broadcast' ? 'v1 serial' : 'v2 tree' }),
    dims: { N: 513, C: 67 },
    setup(s, { N, C }, random) {
      const [x, row] = [uniform(random, N * C), uniform(random, C)];
      const [xt, rowt] = [s.input(x, [N, C]), s.input(row, [C])];
      const broadcast = broadcastOver([N, C], [C])!;
      if (entry === 'combine') {
        const out = s.output([N, C]);
        return { run: () => combine(out, { op: 'mul', a: xt, b: rowt, broadcast }), check: () => s.check('out', out, x.map((v, i) => v * row[i % C]!), 1e-6, 1e-6) };
      }
      const out = s.output([C]);
      return { run: () => sumToBroadcast(out, xt, null, broadcast, 1, false, entry === 'sum_to_broadcast' ? 'serial' : 'tree'), check: () => s.check('out', out, sumTo(x, [N, C], [C]), 1e-6 * Math.sqrt(N), 1e-5) };
    },
    bench: {
      sizes: [{ N: 8, C: 512 }, { N: 512, C: 512 }, { N: 4096, C: 1024 }],
      bytes: (d) => 4 * (entry === 'combine' ? 2 * d.N! * d.C! + d.C! : d.N! * d.C! + d.C!),
    },
  }));
}

// Past the grid limit: a [PAST_GRID_LIMIT] operand with a [2] row and a scalar b; the sum back to a
// [PAST_GRID_LIMIT, 1] column walks a grid past 65,535 workgroups too.
cases.push(kernelCase({
  name: `arithmetic add past the grid limit [${PAST_GRID_LIMIT / 2 | 0}·2] · [2], then a without b, b without a`,
  entries: ['combine'],
  dims: { n: 2 * Math.floor(PAST_GRID_LIMIT / 2) },
  setup(s, { n }, random) {
    const shape = [n / 2, 2];
    const [a, b] = [uniform(random, n), uniform(random, 2)];
    const [at, bt] = [s.input(a, shape), s.input(b, [2])];
    const [sum, scaled, spread] = [s.output(shape, 'a + b'), s.output(shape, '2a + 1'), s.output(shape, '3b')];
    return {
      run: () => {
        combine(sum, { op: 'add', a: at, b: bt, broadcast: broadcastOver(shape, [2])! });
        combine(scaled, { op: 'add', a: at, b: null, broadcast: sameShape(shape), alpha: 2, offset: 1 });
        combine(spread, { op: 'add', a: null, b: bt, broadcast: broadcastOver(shape, [2])!, beta: 3 });
      },
      check: async () => {
        await s.check('a + b', sum, a.map((v, i) => v + b[i % 2]!), 1e-6, 1e-6);
        await s.check('2a + 1', scaled, a.map((v) => 2 * v + 1), 1e-6, 1e-6);
        await s.check('3b', spread, a.map((_, i) => 3 * b[i % 2]!), 1e-6, 1e-6);
      },
    };
  },
}));
// A number divisor (F.div(x, c)): alpha · a / beta, b not read; divided, not multiplied by 1 / beta.
cases.push(kernelCase({
  name: 'arithmetic divide by a number [1031] / 0.3081 (b not read), then accumulate',
  entries: ['combine'],
  dims: { n: 1031 },
  setup(s, { n }, random) {
    const [a, previous] = [uniform(random, n, -3, 3), uniform(random, n)];
    const at = s.input(a);
    const [quotient, summed] = [s.output([n], 'a / c'), s.output([n], 'previous + 2a / c')];
    summed.write(previous);
    const c = Math.fround(0.3081);
    return {
      run: () => {
        combine(quotient, { op: 'div', a: at, b: null, broadcast: sameShape([n]), beta: 0.3081 });
        combine(summed, { op: 'div', a: at, b: null, broadcast: sameShape([n]), alpha: 2, beta: 0.3081, accumulate: true });
      },
      check: async () => {
        // WGSL's division is within 2.5 ulp (a CPU adapter's is IEEE's, exact: graph-cases checks that).
        await s.check('a / c', quotient, Array.from(a, (v) => Math.fround(v) / c), 0, 3e-7);
        await s.check('previous + 2a / c', summed, Array.from(a, (v, i) => previous[i]! + (2 * Math.fround(v)) / c), 1e-6, 1e-6);
      },
    };
  },
}));
// The tree's gradient of a scalar operand: every element into one sum, over 256 lanes (against the
// serial loop's one); the bench times both from 10⁴ to 10⁶ elements.
for (const variant of SUM_VARIANTS) {
  cases.push(kernelCase({
    name: `arithmetic sum to a scalar [100003] → [1]${variant === 'tree' ? ' v2 tree' : ''}`,
    entries: [SUM_ENTRY[variant]],
    variant: variant === 'tree' ? 'v2 tree' : 'v1 serial',
    dims: { n: 100_003 },
    setup(s, { n }, random) {
      const terms = uniform(random, n);
      const [tt, out] = [s.input(terms), s.output([1])];
      return {
        run: () => sumToBroadcast(out, tt, null, broadcastOver([n], [1])!, 1, false, variant),
        // A serial float32 sum of n terms in [−1, 1]: its partial sums wander to ~√n, each rounding
        // ~√n·2⁻²⁴, n of them adding like a random walk: ~n·2⁻²⁴ in all (1.3e-3 seen at n = 10⁵).
        check: () => s.check('out', out, [terms.reduce((t, v) => t + v, 0)], 5e-8 * n, 1e-5),
      };
    },
    bench: { sizes: [{ n: 10_000 }, { n: 1_000_000 }], bytes: (d) => 4 * d.n! },
  }));
}
// v2's grid past 65,535 workgroups (one per element of b) is checked on a folded grid
// (tests/kernels-folded.test.ts): a real one takes a minute of SwiftShader's barriers.
cases.push(kernelCase({
  name: `arithmetic sum to a column past the grid limit [${PAST_GRID_LIMIT}, 2] → [${PAST_GRID_LIMIT}, 1]`,
  entries: ['sum_to_broadcast'],
  dims: { rows: PAST_GRID_LIMIT },
  setup(s, { rows }, random) {
    const terms = uniform(random, rows * 2);
    const out = s.output([rows, 1]);
    const tt = s.input(terms, [rows, 2]);
    return {
      run: () => sumToBroadcast(out, tt, null, broadcastOver([rows, 2], [rows, 1])!, 1, false),
      check: () => s.check('out', out, sumTo(terms, [rows, 2], [rows, 1]), 1e-6, 1e-6),
    };
  },
}));

cases.push(testCase('arithmetic broadcasts: what the index formula covers, and what it refuses', (s) => {
  const expect = (shape: number[], small: number[], want: Broadcast | null) => {
    const got = broadcastOver(shape, small);
    s.expect(`${shapeText(small)} over ${shapeText(shape)}`, JSON.stringify(got) === JSON.stringify(want), JSON.stringify(got));
  };
  expect([4, 3], [3], { inner: 1, bSize: 3 });
  expect([4, 3], [4, 1], { inner: 3, bSize: 4 });
  expect([4, 3], [1, 1], { inner: 12, bSize: 1 });
  expect([2, 5, 3, 3], [5, 1, 1], { inner: 9, bSize: 5 });
  expect([4, 3], [2], null); // not 1 and not 3
  expect([4, 3], [2, 4, 3], null); // more dimensions than the result
  expect([2, 3, 4], [2, 1, 4], null); // two runs: the formula has one
  s.expectError('a too short', () => combine(s.output([4, 3]), { op: 'add', a: s.output([5]), b: null, broadcast: sameShape([4, 3]) }), /combine \(add\): argument 'a' expected 12 elements \(as out\), got shape \[5\]/);
  s.expectError('b of another size', () => combine(s.output([4, 3]), { op: 'mul', a: s.output([4, 3]), b: s.output([4]), broadcast: { inner: 1, bSize: 3 } }), /argument 'b' expected 3 elements, got shape \[4\]/);
  s.expectError('a tiling that does not fit', () => combine(s.output([4, 3]), { op: 'add', a: s.output([4, 3]), b: s.output([5]), broadcast: { inner: 1, bSize: 5 } }), /broadcast \{inner: 1, bSize: 5\} does not tile 12 elements/);
  s.expectError('alpha NaN', () => combine(s.output([2]), { op: 'add', a: s.output([2]), b: null, broadcast: sameShape([2]), alpha: NaN }), /argument 'alpha' expected a finite number, got NaN/);
}));

export const spec: Spec = cases;
