// Every kernel case of tests/kernel-cases.ts, in headless Chrome against the float64 references.
import { kernelCases } from './kernel-cases';
import { runCasesInChrome } from './support/harness';

runCasesInChrome(kernelCases.map((c) => c.name));
