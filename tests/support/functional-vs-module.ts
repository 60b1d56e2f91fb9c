// An F form against its module (tests/conv-functional-cases.ts, tests/conv3d-cases.ts): on each input
// shape, the output's shape and values, the input's gradient of Σ y² and, for a layer with
// parameters, its first parameter's gradient, all exactly equal.
import * as F from '../../src/functional';
import type { Module } from '../../src/nn';
import type { CaseScope } from '../../src/spec/scope';
import type { Tensor } from '../../src/tensor';

/** [name, the module's forward, the F form, the module when it has parameters (else null)]. */
export type FunctionalPair = [string, (x: Tensor) => Tensor, (x: Tensor) => Tensor, Module | null];

export const sameValues = (a: ArrayLike<number>, b: ArrayLike<number>) => a.length === b.length && Array.from(a).every((v, i) => v === b[i]);

export async function expectFunctionalAsModule(s: CaseScope, pairs: readonly FunctionalPair[], xValues: readonly number[], shapes: readonly number[][]): Promise<void> {
  for (const [name, module, functional, layer] of pairs) {
    for (const shape of shapes) {
      const run = async (f: (x: Tensor) => Tensor) => {
        layer?.zeroGrad();
        const x = s.input(xValues.slice(0, shape.reduce((a, b) => a * b, 1)), shape, 'f32', 'x');
        x.requiresGrad = true;
        const y = f(x);
        const values = Array.from(await y.read());
        s.own(F.sum(s.own(F.mul(y, y)))).backward();
        return { shape: y.shape.join(), values, dx: Array.from(await x.grad!.read()), dw: layer ? Array.from(await layer.parameters()[0]!.grad.read()) : [] };
      };
      const [m, f] = [await run(module), await run(functional)];
      s.expect(`${name} of [${shape.join(', ')}]: shape, values, dx${layer ? ', d weight' : ''} as the module's`, m.shape === f.shape && sameValues(m.values, f.values) && sameValues(m.dx, f.dx) && sameValues(m.dw, f.dw), `[${f.shape}]`);
    }
  }
}
