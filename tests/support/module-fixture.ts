// A module against a PyTorch fixture of loss = Σ y · dy (scripts/make-fixtures.py's traced()): its
// printout, the fixture's parameters loaded by name, the output's shape and values, and the
// gradients of the input and of every parameter the fixture holds one for.
import * as F from '../../src/functional';
import type { AnyModule } from '../../src/nn';
import type { CaseScope } from '../../src/spec/scope';
import type { Tensor } from '../../src/tensor';

export interface ModuleFixture {
  x: number[];
  shape: number[];
  y: number[];
  y_shape: number[];
  dy: number[];
  dx: number[];
  repr: string;
}

export interface FixtureTolerances {
  /** Values and the input's gradient: atol, rtol. */
  values: [number, number];
  /** The parameters' gradients (sums over the batch): atol, rtol. */
  parameters: [number, number];
}

/**
 * Runs `run` (the module's forward by default) on the fixture's input and checks it; `outputShape`
 * false where the module's outputShape cannot know the size (ConvTranspose2d's output_size).
 * Returns the output, for checks of the caller's own.
 */
export async function checkModuleFixture(s: CaseScope, m: AnyModule, f: ModuleFixture, tolerances: FixtureTolerances, run: (x: Tensor) => Tensor = (x) => m.forward(x) as Tensor, outputShape = true): Promise<Tensor> {
  const values = f as unknown as Record<string, number[] | undefined>;
  s.expect('printout as PyTorch', m.describe() === f.repr, `${m.describe()} (PyTorch: ${f.repr})`);
  for (const [name, p] of m.namedParameters()) if (values[name]) p.write(values[name]!);
  const x = s.input(f.x, f.shape, 'f32', 'x');
  x.requiresGrad = true;
  const y = run(x);
  s.expect('output shape', y.shape.join() === f.y_shape.join() && (!outputShape || m.outputShape(f.shape).join() === f.y_shape.join()), `[${y.shape.join(', ')}] (PyTorch: [${f.y_shape.join(', ')}])`);
  await s.check('y', y, f.y, ...tolerances.values);
  s.own(F.sum(s.own(F.mul(y, s.input(f.dy, y.shape, 'f32', 'dy'))))).backward();
  await s.check('d x', x.grad!, f.dx, ...tolerances.values);
  for (const [name, p] of m.namedParameters()) if (values[`d${name}`]) await s.check(`d ${name}`, p.grad, values[`d${name}`]!, ...tolerances.parameters);
  return y;
}
