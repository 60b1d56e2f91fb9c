/// <reference types="vitest/config" />
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  resolve: {
    // wgsl_reflect 1.6's Node entry is a CommonJS file inside an ESM package; its ESM build works everywhere.
    alias: [{ find: /^wgsl_reflect$/, replacement: fileURLToPath(new URL('./node_modules/wgsl_reflect/wgsl_reflect.module.js', import.meta.url)) }],
  },
  server: { host: '127.0.0.1' },
  test: {
    include: ['tests/**/*.test.ts'],
    globalSetup: ['tests/support/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
  },
});
