// One optimizer case body for tests/graph-cases.ts (PyTorch's options) and tests/parity-cases.ts
// (maximize, AdamW): 30 steps on three parameters against the float64 reference of the same algorithm.
import type * as optim from '../../src/optim';
import { allocateParameter, type Parameter } from '../../src/parameters';
import { uniform } from '../../src/spec/random';
import type { CaseScope } from '../../src/spec/scope';

export type Stepper = { name: string; make: (params: Parameter[]) => optim.Optimizer; reference: (param: Float64Array) => (grad: Float64Array) => void };

/** `optimizer NAME: 30 steps vs float64`, as a case for caseTable's add. */
export function stepsVsFloat64(st: Stepper): [string, (s: CaseScope, random: () => number) => Promise<void>] {
  return [
    `optimizer ${st.name}: 30 steps vs float64`,
    async (s, random) => {
      // Three parameters of awkward sizes in one span, padding between them included.
      const params = [[7, 13], [13], [3, 5, 2]].map((shape) => allocateParameter(s.gpu, shape, 'p'));
      const values = params.map((p) => uniform(random, p.size));
      params.forEach((p, i) => p.write(values[i]!));
      const opt = st.make(params);
      const refSteps = values.map((v) => st.reference(v));
      for (let step = 0; step < 30; step++) {
        opt.zeroGrad();
        params.forEach((p, i) => {
          const g = uniform(random, p.size);
          p.grad.write(g);
          refSteps[i]!(g);
        });
        opt.step();
      }
      for (const [i, p] of params.entries()) await s.check(`param ${i}`, p, values[i]!, 2e-6, 2e-5);
    },
  ];
}
