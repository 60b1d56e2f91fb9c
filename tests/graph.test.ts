// The graph runner, nn, init and optim (tests/graph-cases.ts), in headless Chrome.
import { graphCases } from './graph-cases';
import { runCasesInChrome } from './support/harness';

runCasesInChrome(graphCases.map((c) => c.name));
