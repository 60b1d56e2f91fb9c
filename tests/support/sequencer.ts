// The slowest files first, then Vitest's own order, so that the two workers (vitest.config.ts) finish
// together. Vitest orders by the last run's times, and a fresh clone (CI) has none: in one run here the
// Chrome kernel cases (~165 s) started last, at 234 s, and the run ended 400 s in.
import path from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const SLOWEST = ['kernels.test.ts', 'demos.test.ts', 'cli.test.ts', 'mnist.test.ts', 'bench.test.ts', 'kernels-node.test.ts'];

export default class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = SLOWEST.indexOf(path.basename(f.moduleId));
      return i < 0 ? SLOWEST.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}
