/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const isolation = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

export default defineConfig({
  resolve: {
    // wgsl_reflect 1.6's Node entry is a CommonJS file inside an ESM package; its ESM build works everywhere.
    alias: [{ find: /^wgsl_reflect$/, replacement: fileURLToPath(new URL('./node_modules/wgsl_reflect/wgsl_reflect.module.js', import.meta.url)) }],
  },
  // Cross-origin isolation: precise performance.now() (Chrome coarsens it to 100 µs otherwise) and
  // SharedArrayBuffer, which TensorFlow.js's threaded wasm backend needs in the bench.
  server: { host: '127.0.0.1', headers: isolation },
  preview: { host: '127.0.0.1', headers: isolation },
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
