// conv2d.wgsl and pool.wgsl (tests/conv-cases.ts), in headless Chrome against the float64 references.
import { convCases } from './conv-cases';
import { runCasesInChrome } from './support/harness';

runCasesInChrome(convCases.map((c) => c.name));
