// The PyTorch-parity cases (tests/parity-cases.ts), in Node on Dawn.
import { parityCases } from './parity-cases';
import { runCasesInNode } from './support/harness';

runCasesInNode(parityCases);
