// Lets Node load the engine's `?raw` (WGSL) and `?url` imports; import this before the engine:
// `node --import tsx --import ./src/node/register.ts script.ts`, or `await import(...)` it first.
import { register } from 'node:module';

register('./vite-imports.mjs', import.meta.url);
