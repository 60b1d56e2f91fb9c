// `npm start -- --no-bounds-checks` runs the kernels without WebGPU's bounds checks (Dawn's
// disable_robustness). The kernels check their own indices; this runs the first few small cases
// of every entry point of every family in Node without the checks, against the float64
// references, so a kernel that leaned on the checks (an unguarded read past its buffer that the
// clamp made harmless) shows here as a mismatch or a crash rather than in a user's run.
import { families } from '../src/spec/families';
import type { KernelCase } from '../src/spec/scope';
import { heavyCase, runCasesInNode } from './support/harness';

const CASES_PER_ENTRY = 3;
const picked = new Set<KernelCase>();
for (const { shader, spec } of families) {
  for (const entry of shader.entries.keys()) {
    for (const c of spec.filter((c) => c.entries.includes(entry) && !heavyCase(c.name)).slice(0, CASES_PER_ENTRY)) picked.add(c);
  }
}
runCasesInNode([...picked], { boundsChecks: false });
