// PyTorch parity (tests/parity-cases.ts), in headless Chrome.
import { parityCases } from './parity-cases';
import { runCasesInChrome } from './support/harness';

runCasesInChrome(parityCases.map((c) => c.name));
