// Functional operations with autograd, for programs that compute outside modules (the course's
// "gradient of x @ w"). Unlike modules, each call allocates its output; free it with destroy().
import { needsGrad, record } from './autograd';
import * as ops from './ops';
import type { Tensor } from './tensor';

/** a @ b for 2-D tensors, with d a = dC · bᵀ and d b = aᵀ · dC. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  if (a.shape.length !== 2 || b.shape.length !== 2) throw new Error(`matmul: expected 2-D tensors, got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  const c = a.gpu.empty([a.shape[0]!, b.shape[1]!], 'f32', 'matmul');
  ops.matmul(a, b, c);
  if (!needsGrad([a, b])) return c;
  record({
    name: 'matmul',
    inputs: [a, b],
    output: c,
    backward: (ctx, dc) => {
      if (a.requiresGrad) {
        const { grad, accumulate } = ctx.target(a);
        ops.matmul(dc!, b, grad, { transposeB: true, accumulate });
      }
      if (b.requiresGrad) {
        const { grad, accumulate } = ctx.target(b);
        ops.matmul(a, dc!, grad, { transposeA: true, accumulate });
      }
    },
  });
  return c;
}

/** The sum of every element, a [1] tensor; its gradient is 1 everywhere (as the root of backward). */
export function sum(x: Tensor): Tensor {
  const out = x.gpu.empty([1], 'f32', 'sum');
  ops.sumRows(x.reshape([x.size, 1]), out);
  if (!needsGrad([x])) return out;
  record({
    name: 'sum',
    inputs: [x],
    output: out,
    backward: (ctx, dout) => {
      if (dout !== null) throw new Error('sum: backward must start at the sum itself (its gradient is 1)');
      const { grad, accumulate } = ctx.target(x);
      ops.fillConstant(grad, 1, accumulate);
    },
  });
  return out;
}

/**
 * Inverted dropout as a function (F.dropout): identity (x itself) unless training with p > 0. The
 * output is a new tensor, or `out` when given (nn.Dropout passes its reused buffer).
 */
export function dropout(x: Tensor, p: number, options: { training: boolean; seed: number; step?: number; out?: Tensor }): Tensor {
  if (!options.training || p === 0) return x;
  const y = options.out ?? x.gpu.empty(x.shape, 'f32', 'dropout');
  const mask = { p, seed: options.seed, step: options.step ?? 0 };
  ops.dropout(x, y, mask);
  if (!needsGrad([x])) return y;
  record({
    name: `dropout(p=${p})`,
    inputs: [x],
    output: y,
    backward: (ctx, dy) => {
      const { grad, accumulate } = ctx.target(x);
      ops.dropout(dy!, grad, { ...mask, accumulate });
    },
  });
  return y;
}

/**
 * x under another shape with the same element count (torch.reshape): a view of the same memory,
 * recorded so the gradient flows back under x's shape. The backward hands dy over as x's gradient
 * when it can (no copy); otherwise it copies, or adds with the dropout kernel at p = 0 (the identity).
 */
export function reshape(x: Tensor, shape: readonly number[], options: { out?: Tensor } = {}): Tensor {
  const y = options.out ?? x.reshape(shape);
  if (y.buffer !== x.buffer || y.byteOffset !== x.byteOffset || y.size !== x.size) throw new Error(`reshape: 'out' must be a view of the input's memory`);
  if (!needsGrad([x])) return y;
  record({
    name: `reshape([${x.shape.join(', ')}] → [${shape.join(', ')}])`,
    inputs: [x],
    output: y,
    backward: (ctx, dy) => {
      const g = dy!.reshape(x.shape);
      if (ctx.donate(x, g)) return;
      const { grad, accumulate } = ctx.target(x);
      if (accumulate) ops.dropout(g, grad, { p: 0, seed: 0, step: 0, accumulate: true });
      else x.gpu.copy(g, grad);
    },
  });
  return y;
}

/** The shape torch.flatten gives: dimensions startDim … endDim merged into one (negative counts from the end). */
export function flattenedShape(shape: readonly number[], startDim = 0, endDim = -1, where = 'flatten'): number[] {
  const rank = shape.length;
  const [start, end] = [startDim < 0 ? startDim + rank : startDim, endDim < 0 ? endDim + rank : endDim];
  if (!(Number.isInteger(start) && Number.isInteger(end) && start >= 0 && end < rank && start <= end)) {
    throw new Error(`${where}: start_dim ${startDim} and end_dim ${endDim} do not fit an input of shape [${shape.join(', ')}]`);
  }
  const merged = shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
  return [...shape.slice(0, start), merged, ...shape.slice(end + 1)];
}

/** torch.flatten(x, startDim, endDim), a view recorded by autograd. */
export function flatten(x: Tensor, startDim = 0, endDim = -1, options: { out?: Tensor } = {}): Tensor {
  return reshape(x, flattenedShape(x.shape, startDim, endDim), options);
}
