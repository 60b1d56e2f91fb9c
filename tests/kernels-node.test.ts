// The kernel cases of tests/kernel-cases.ts in Node on Dawn (the `webgpu` package), against the
// float64 references. A representative subset: the multi-million-element cases (past the 65,535-
// workgroup grid limit, the 1024³ matmuls, the 2100×2100 images, the batch-512 bench products) take ~3.5 of Node's ~4 minutes on
// SwiftShader and test the same WGSL kernels.test.ts already runs in headless Chrome at full size.
// WGSLGRAD_NODE_ALL=1 runs them all.
import { kernelCases } from './kernel-cases';
import { runCasesInNode } from './support/harness';

const huge = (name: string) => /\d{7,}|2100, 2100|1024×1024×1024| bench .*b512/.test(name);

runCasesInNode(process.env.WGSLGRAD_NODE_ALL ? kernelCases : kernelCases.filter((c) => !huge(c.name)));
