// Vite's `import.meta.glob(pattern, { eager: true })` (and `query: '?raw', import: 'default'`), written
// out as plain imports, for runtimes without Vite: Node's module hooks (vite-imports.mjs) and the GPU
// bundle's esbuild. Handles what the engine uses: one `dir/*.ext` pattern, eager.
import fs from 'node:fs';
import path from 'node:path';

const GLOB = /import\.meta\.glob(?:<[^>]*>)?\(\s*(['"])([^'"]+)\1\s*,\s*\{([^}]*)\}\s*\)/g;

/** code with every eager import.meta.glob replaced by an object of the files' texts or modules. */
export function expandGlobs(code, file) {
  if (!code.includes('import.meta.glob')) return code;
  const imports = [];
  const expanded = code.replace(GLOB, (_, _quote, pattern, options) => {
    if (!/eager\s*:\s*true/.test(options)) throw new Error(`${file}: only eager import.meta.glob is supported outside Vite`);
    const match = /^(.*)\/\*(\.[\w]+)$/.exec(pattern);
    if (!match) throw new Error(`${file}: import.meta.glob('${pattern}') — only 'dir/*.ext' is supported outside Vite`);
    const [, dir, ext] = match;
    const names = fs.readdirSync(path.resolve(path.dirname(file), dir)).filter((f) => f.endsWith(ext)).sort();
    const raw = /query\s*:\s*['"]\?raw['"]/.test(options);
    const entries = names.map((name) => {
      const key = `${dir}/${name}`;
      const target = path.resolve(path.dirname(file), dir, name);
      if (raw) return `${JSON.stringify(key)}: ${JSON.stringify(fs.readFileSync(target, 'utf8'))}`;
      const id = `__glob_${imports.length}`;
      imports.push(`import * as ${id} from ${JSON.stringify(target)};`);
      return `${JSON.stringify(key)}: ${id}`;
    });
    return `{ ${entries.join(', ')} }`;
  });
  return `${imports.join('\n')}\n${expanded}`;
}
