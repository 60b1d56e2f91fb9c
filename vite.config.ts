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
  build: {
    target: 'es2022',
    // The bench page carries TensorFlow.js (its peer in the comparison): about 0.9 MB.
    chunkSizeWarningLimit: 1200,
    // TensorFlow.js's threaded wasm backend starts its workers with its Emscripten factory's source
    // text (`factory.toString()`), which guards a variable of the enclosing scope with
    // `typeof _scriptDir !== "undefined"`. Oxc's compressor rewrites that guard to `e !== void 0`, a
    // plain reference, so in the worker, where the function stands alone, it throws "e is not defined"
    // and `tf.setBackend('wasm')` never settles. tfjs asks bundlers to keep typeof guards (its README,
    // "JS Minification"); Oxc has no switch for that one rewrite, so the build mangles names and strips
    // whitespace but does not compress (2.4% more gzipped bytes). tests/demos.test.ts runs the bench,
    // wasm peer included, in the built site.
    rolldownOptions: {
      output: { minify: { compress: false } },
      // The static site: the landing page and one page per demo (the test harness and the
      // npm start runner are for Puppeteer and stay out of it).
      input: Object.fromEntries(['index', ...['init', 'ewa', 'optimizers', 'dropout', 'batchnorm', 'train', 'mnist', 'inspector', 'bench'].map((p) => `demos/${p}`)].map((p) => [p, fileURLToPath(new URL(`./${p}.html`, import.meta.url))])),
    },
  },
});
