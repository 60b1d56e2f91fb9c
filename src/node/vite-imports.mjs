// Node module hooks for what Vite does for the engine's imports, so its files load unchanged outside
// Vite: `file?raw` is the file's text (the kernels' WGSL), `file?url` its path (the bench's wasm
// files), `import.meta.glob` is written out (glob.mjs), and `wgsl_reflect` is its ES module build (vite.config.ts's alias: the package's Node entry
// is CommonJS in an ESM package). Registered by register.ts; Vitest and the esbuild bundle need none.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expandGlobs } from './glob.mjs';

const SUFFIX = /\?(raw|url)$/;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'wgsl_reflect') return nextResolve('wgsl_reflect/wgsl_reflect.module.js', context);
  const match = SUFFIX.exec(specifier);
  if (!match) return nextResolve(specifier, context);
  const { url } = await nextResolve(specifier.slice(0, match.index), context);
  return { url: `${url}?${match[1]}`, shortCircuit: true };
}

export async function load(url, context, nextLoad) {
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
