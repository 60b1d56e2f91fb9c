// The kernel cases of tests/kernel-cases.ts in Node on Dawn (the `webgpu` package), against the
// float64 references. A representative subset: the heavy cases (heavyCase, tests/support/harness.ts)
// took ~3.5 of Node's ~4 minutes on SwiftShader and test the same WGSL kernels.test.ts already runs
// in headless Chrome at full size. WGSLGRAD_NODE_ALL=1 runs them all.
import { kernelCases } from './kernel-cases';
import { heavyCase, runCasesInNode } from './support/harness';

runCasesInNode(process.env.WGSLGRAD_NODE_ALL ? kernelCases : kernelCases.filter((c) => !heavyCase(c.name)));
