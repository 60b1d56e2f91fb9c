// Every kernel case of tests/kernel-cases.ts, in Node on Dawn (the `webgpu` package), against the
// float64 references: the same table kernels.test.ts runs in headless Chrome.
import { kernelCases } from './kernel-cases';
import { runCasesInNode } from './support/harness';

runCasesInNode(kernelCases);
