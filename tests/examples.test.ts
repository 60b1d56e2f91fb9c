// The course's chapter 1–4 programs ported to TypeScript (examples/), run in headless Chrome.
import { exampleCases } from './example-cases';
import { runCasesInChrome } from './support/harness';

runCasesInChrome(exampleCases.map((c) => c.name));
