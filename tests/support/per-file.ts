// Runs before each test file (vitest.config.ts, setupFiles).
import { afterAll } from 'vitest';
import { closeTestBrowser } from './browser';

afterAll(closeTestBrowser);
