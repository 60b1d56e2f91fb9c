// truncNormal_, orthogonal_, sparse_, eye_ and dirac_ (tests/init-cases.ts), in Node on Dawn.
import { initCases } from './init-cases';
import { runCasesInNode } from './support/harness';

runCasesInNode(initCases);
