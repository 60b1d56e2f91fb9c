// `npm run gpu-bundle [-- --out DIR]`: one folder (out/gpu-bundle, git-ignored) that runs wgslgrad's
// kernel cases and bench on a bare x86-64 Linux machine with a GPU: no Node, no npm, no network.
//   node.gz             this Node's own binary (official builds need only glibc and libstdc++)
//   dawn.node.gz        Dawn's linux-x64 binding from the `webgpu` package
//   wgslgrad-gpu.mjs    scripts/gpu/run.ts with the engine, the WGSL, the cases and the bench, bundled
//   lib/                the Vulkan loader and libglvnd's libraries, from Debian (the .debs in debs/)
//   run.sh              unpacks, finds the GPU's Vulkan driver, runs it all (see its header)
//   torch_bench.py      PyTorch's same work on CUDA, for the comparison
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import * as esbuild from 'esbuild';
// @ts-expect-error: a plain ES module without types, shared with the Node module hooks
import { expandGlobs } from '../../src/node/glob.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const fail = (message: string): never => {
  console.error(`gpu-bundle: ${message}`);
  process.exit(1);
};
const args = process.argv.slice(2);
let outArg: string | undefined;
for (let i = 0; i < args.length; i++) {
  const a = args[i]!;
  if (a.startsWith('--out=')) outArg = a.slice(6);
  else if (a === '--out') outArg = args[++i] ?? fail('--out needs a folder: npm run gpu-bundle -- --out DIR');
  else fail(`unknown argument '${a}' (usage: npm run gpu-bundle [-- --out DIR])`);
}
if (outArg === '') fail('--out needs a folder: npm run gpu-bundle -- --out DIR');
const out = path.resolve(outArg ?? path.join(ROOT, 'out', 'gpu-bundle'));
const LIMIT = 60 * 2 ** 20;
if (process.platform !== 'linux' || process.arch !== 'x64') fail(`builds for x86-64 Linux from x86-64 Linux (this Node is ${process.platform}-${process.arch})`);

// The folder is replaced whole, so only an earlier bundle (or nothing) may be there.
if (fs.existsSync(out)) {
  if (!fs.statSync(out).isDirectory()) fail(`--out ${out} is a file`);
  const entries = fs.readdirSync(out);
  const earlierBundle = entries.includes('run.sh') && entries.includes('wgslgrad-gpu.mjs');
  if (entries.length && !earlierBundle) fail(`--out ${out} holds other files (${entries.slice(0, 3).join(', ')}${entries.length > 3 ? ', …' : ''}); the bundle replaces its folder whole: name an empty or new folder, or an earlier bundle`);
}
fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(path.join(out, 'lib'), { recursive: true });
fs.mkdirSync(path.join(out, 'debs'));

// The program: what Vite does for the engine's imports (import.meta.glob, ?raw text, ?url,
// wgsl_reflect's ES build).
await esbuild.build({
  entryPoints: [path.join(ROOT, 'scripts/gpu/run.ts')],
  outfile: path.join(out, 'wgslgrad-gpu.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Class names as written: error messages name modules and optimizers by them (a renamed
  // TransformerDecoderLayer read '_TransformerDecoderLayer').
  keepNames: true,
  logLevel: 'warning',
  // The bench's TensorFlow.js side-effect imports are dropped: no peers run here.
  logOverride: { 'ignored-bare-import': 'silent' },
  // The pages' stylesheets (imported by the bench's page module): nothing to style here.
  loader: { '.css': 'empty' },
  // Bundled CommonJS (TensorFlow.js's wasm glue) calls require().
  banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  alias: { wgsl_reflect: path.join(ROOT, 'node_modules/wgsl_reflect/wgsl_reflect.module.js') },
  plugins: [
    {
      name: 'vite-suffixes',
      setup(build) {
        build.onResolve({ filter: /\?(raw|url)$/ }, async (args) => {
          const [file, suffix] = args.path.split('?') as [string, string];
          const resolved = await build.resolve(file, { kind: args.kind, resolveDir: args.resolveDir });
          if (resolved.errors.length) return { errors: resolved.errors };
          return { path: resolved.path, namespace: suffix };
        });
        build.onLoad({ filter: /[/\\]src[/\\].*\.ts$/ }, (args) => {
          const code = fs.readFileSync(args.path, 'utf8');
          return code.includes('import.meta.glob') ? { contents: (expandGlobs as (code: string, file: string) => string)(code, args.path), loader: 'ts' } : undefined;
        });
        build.onLoad({ filter: /.*/, namespace: 'raw' }, (args) => ({ contents: fs.readFileSync(args.path, 'utf8'), loader: 'text' }));
        // The bench's TensorFlow.js wasm files: unused here (no peers), named only.
        build.onLoad({ filter: /.*/, namespace: 'url' }, (args) => ({ contents: `export default ${JSON.stringify(path.basename(args.path))};`, loader: 'js' }));
      },
    },
  ],
});

const gzip = (from: string, to: string) => fs.writeFileSync(path.join(out, to), zlib.gzipSync(fs.readFileSync(from), { level: 9 }));
gzip(process.execPath, 'node.gz');
gzip(path.join(ROOT, 'node_modules/webgpu/dist/linux-x64/dawn.node'), 'dawn.node.gz');

// The Vulkan loader and libglvnd's libraries, from Debian's packages (apt-get download needs no root
// and installs nothing). NVIDIA's Vulkan driver (libGLX_nvidia.so.0) is part of its GL stack: on an
// H100/H200 container with the driver mounted and none of these, it refused vkCreateInstance ("Could
// not get 'vkCreateInstance' via 'vk_icdGetInstanceProcAddr'"), also with the loader, libGLdispatch
// and libGLX in place; with all seven and the driver's EGL vendor file named, Dawn found the GPU.
// run.sh uses each library only where the system lacks it.
const LIBRARIES: [pkg: string, lib: string][] = [
  ['libvulkan1', 'libvulkan.so.1'],
  ['libglvnd0', 'libGLdispatch.so.0'],
  ['libglx0', 'libGLX.so.0'],
  ['libegl1', 'libEGL.so.1'],
  ['libgl1', 'libGL.so.1'],
  ['libopengl0', 'libOpenGL.so.0'],
  ['libgles2', 'libGLESv2.so.2'],
];
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-bundle-'));
try {
  const versions: string[] = [];
  for (const [pkg, lib] of LIBRARIES) {
    const dir = path.join(temp, pkg);
    fs.mkdirSync(dir);
    execFileSync('apt-get', ['-qq', '-oAPT::Architecture=amd64', 'download', pkg], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    const deb = fs.readdirSync(dir).find((f) => f.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} wrote no .deb`);
    fs.copyFileSync(path.join(dir, deb), path.join(out, 'debs', deb));
    execFileSync('dpkg-deb', ['-x', path.join(dir, deb), path.join(dir, 'root')]);
    fs.copyFileSync(fs.realpathSync(path.join(dir, 'root/usr/lib/x86_64-linux-gnu', lib)), path.join(out, 'lib', lib));
    versions.push(deb);
  }
  fs.writeFileSync(path.join(out, 'lib/versions.txt'), `${versions.join('\n')}\n`);
} catch (error) {
  throw new Error(`gpu-bundle: could not fetch the Vulkan loader and libglvnd with apt-get download ${LIBRARIES.map(([pkg]) => pkg).join(' ')} (Debian/Ubuntu with a package index needed): ${error instanceof Error ? error.message : String(error)}`);
} finally {
  fs.rmSync(temp, { recursive: true, force: true });
}

for (const f of ['run.sh', 'torch_bench.py']) fs.copyFileSync(path.join(ROOT, 'scripts/gpu', f), path.join(out, f));
fs.chmodSync(path.join(out, 'run.sh'), 0o755);

const files = fs.readdirSync(out, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name));
const total = files.reduce((n, f) => n + fs.statSync(f).size, 0);
for (const f of files) console.log(`${(fs.statSync(f).size / 2 ** 20).toFixed(2).padStart(7)} MiB  ${path.relative(out, f)}`);
console.log(`${(total / 2 ** 20).toFixed(2).padStart(7)} MiB  in ${path.relative(process.cwd(), out) || '.'} (limit 60 MiB); run it with: sh ${path.relative(process.cwd(), path.join(out, 'run.sh'))} RESULTS_DIR`);
if (total > LIMIT) throw new Error(`gpu-bundle: ${total} bytes, over the 60 MiB limit`);
