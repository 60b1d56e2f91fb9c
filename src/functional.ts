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
