// The graph runner, nn, init and optim (tests/graph-cases.ts), in Node on Dawn.
import { graphCases } from './graph-cases';
import { runCasesInNode } from './support/harness';

runCasesInNode(graphCases);
