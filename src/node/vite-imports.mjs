// Node module hooks for what Vite does for the engine's imports, so its files load unchanged outside
// Vite: `file?raw` is the file's text (the kernels' WGSL), `file?url` its path (the bench's wasm
// files), `import.meta.glob` is written out (glob.mjs), a `.css` import is empty, an extensionless or folder import is found as a bundler finds it, and `wgsl_reflect` is its ES module build (vite.config.ts's alias: the package's Node entry
// is CommonJS in an ESM package). Registered by register.ts; Vitest and the esbuild bundle need none.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expandGlobs } from './glob.mjs';

const SUFFIX = /\?(raw|url)$/;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'wgsl_reflect') return nextResolve('wgsl_reflect/wgsl_reflect.module.js', context);
  const match = SUFFIX.exec(specifier);
  if (!match) {
    try {
      return await nextResolve(specifier, context);
    } catch (error) {
      // Bundlers add the extension and resolve a folder to its index.js; Node's ESM does neither
      // (TensorFlow.js's dist/*.js import './gradients', beside both gradients.js and gradients/).
      if (error?.code !== 'ERR_UNSUPPORTED_DIR_IMPORT' && error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
      for (const candidate of [`${specifier}.js`, `${specifier}/index.js`]) {
        try {
          return await nextResolve(candidate, context);
        } catch {
          // the next candidate
        }
      }
      throw error;
    }
  }
  const { url } = await nextResolve(specifier.slice(0, match.index), context);
  return { url: `${url}?${match[1]}`, shortCircuit: true };
}

export async function load(url, context, nextLoad) {
  // A page's stylesheet (demos/common.ts imports style.css; the bench page imports common.ts): nothing in Node.
  if (url.startsWith('file:') && url.endsWith('.css')) return { format: 'module', source: '', shortCircuit: true };
  const match = SUFFIX.exec(url);
  if (!match || !url.startsWith('file:')) {
    // import.meta.glob (shader-sources.ts, families.ts): expanded in the compiled module.
    const loaded = await nextLoad(url, context);
    if (!url.startsWith('file:') || !url.includes('/src/') || loaded.source == null) return loaded;
    const source = String(loaded.source);
    return source.includes('import.meta.glob') ? { ...loaded, source: expandGlobs(source, fileURLToPath(url)) } : loaded;
  }
  const file = fileURLToPath(url.slice(0, match.index));
  const value = match[1] === 'raw' ? fs.readFileSync(file, 'utf8') : file;
  return { format: 'module', source: `export default ${JSON.stringify(value)};`, shortCircuit: true };
}
