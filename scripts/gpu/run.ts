// The GPU bundle's program (bundled by scripts/gpu/bundle.ts into plain JavaScript, run by run.sh):
// every kernel, graph and example case against its float64 reference, then the bench at GPU sizes,
// on the adapter Dawn finds. Writes cases.json, bench.json and summary.md into --out, beside
// PyTorch's numbers (torch.json from torch_bench.py) when run.sh measured them first.
// Also runs from the project: `npx tsx --import ./src/node/register.ts scripts/gpu/run.ts --out DIR`.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runBench, type BenchRow } from '../../demos/bench';
import { requestGpu } from '../../src/device/gpu';
import { installWebGpu } from '../../src/node/webgpu';
import { exampleCases } from '../../tests/example-cases';
import { graphCases } from '../../tests/graph-cases';
import { kernelCases } from '../../tests/kernel-cases';
import { hashString } from '../../src/spec/random';
import { runCase } from '../../src/spec/scope';

const { values } = parseArgs({ options: { out: { type: 'string' }, quick: { type: 'boolean' }, 'cases-only': { type: 'boolean' } } });
if (!values.out) throw new Error('usage: run.ts --out DIR [--quick] [--cases-only]');
const out = path.resolve(values.out);
fs.mkdirSync(out, { recursive: true });
const write = (name: string, text: string) => fs.writeFileSync(path.join(out, name), text);

const vulkan = await installWebGpu();
const gpu = await requestGpu({ variantPolicy: 'fixed' }); // cases name their variants; the bench tunes its own
const info = gpu.device.adapterInfo ?? ({} as Partial<GPUAdapterInfo>);
const adapter = { ...gpu.adapter, vulkan, features: [...gpu.device.features].sort(), maxBufferSize: gpu.limits.maxBufferSize, subgroupMinSize: info.subgroupMinSize, subgroupMaxSize: info.subgroupMaxSize };
console.log(`adapter: ${gpu.adapter.vendor} ${gpu.adapter.architecture} (${gpu.adapter.description})${gpu.adapter.isFallbackAdapter ? ', fallback/software' : ''}; Vulkan loader ${vulkan?.loader ?? '-'}, drivers ${vulkan?.drivers ?? '-'}`);

// 1. Every case, fresh inputs (the seed is printed and saved, so a failure can be replayed).
const runSeed = process.env.WGSLGRAD_SEED ? Number(process.env.WGSLGRAD_SEED) : Math.floor(Math.random() * 2 ** 31);
const cases = [];
for (const c of [...kernelCases, ...graphCases, ...exampleCases]) {
  const seed = (hashString(c.name) ^ runSeed) >>> 0;
  const started = performance.now();
  const result = await runCase(gpu, c, seed);
  await gpu.sync();
  const ok = result.ok && result.checked > 0;
  cases.push({ name: c.name, ok, seed, checked: result.checked, ms: performance.now() - started, ...(ok ? {} : { report: result.report }) });
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${c.name}${ok ? '' : `\n${result.report}`}`);
}
const failed = cases.filter((c) => !c.ok);
console.log(`cases: ${cases.length - failed.length} of ${cases.length} pass (WGSLGRAD_SEED=${runSeed})`);
write('cases.json', `${JSON.stringify({ adapter, runSeed, cases }, null, 2)}\n`);

// 2. The bench at GPU sizes (our kernels only: PyTorch is the peer here).
let rows: BenchRow[] = [];
if (!values['cases-only']) {
  const report = await runBench({ quick: values.quick ?? false, noPeers: true, log: (line) => console.log(`  ${line}`) });
  rows = report.rows;
  write('bench.json', `${JSON.stringify({ ...report, adapter }, null, 2)}\n`);
}

// 3. The summary: cases, then the bench beside PyTorch where torch.json has the same work.
interface TorchRow {
  name: string;
  ms: number;
  gflops?: number;
}
const torchFile = path.join(out, 'torch.json');
const torch: { device?: string; rows: TorchRow[] } | null = fs.existsSync(torchFile) ? JSON.parse(fs.readFileSync(torchFile, 'utf8')) : null;
const torchFor = (r: BenchRow): string => {
  if (!torch) return '';
  const square = /^(\d+)×\1×\1$/.exec(r.size);
  if (r.kernel === 'matmul' && square) return ['tf32 off', 'tf32 on'].map((mode) => torch.rows.find((t) => t.name === `matmul ${square[1]} ${mode}`)).map((t) => (t ? `${t.ms.toFixed(3)} ms ${t.gflops!.toFixed(0)} GFLOP/s` : '-')).join(' / ');
  const batch = /^batch (\d+),/.exec(r.size);
  if (r.kernel === 'training step' && batch) {
    const t = torch.rows.find((t) => t.name === `training step batch ${batch[1]}`);
    return t ? `${t.ms.toFixed(3)} ms (ours ${(r.timing.median / t.ms).toFixed(2)}×)` : '';
  }
  return '';
};
const table = [
  `# wgslgrad on ${gpu.adapter.vendor} ${gpu.adapter.architecture} (${gpu.adapter.description}), ${new Date().toISOString()}`,
  '',
  `Cases: ${cases.length - failed.length} of ${cases.length} pass against the float64 references (WGSLGRAD_SEED=${runSeed}).${failed.length ? ` Failed: ${failed.map((c) => c.name).join('; ')}` : ''}`,
  '',
  `PyTorch: ${torch ? `${torch.device ?? '?'}` : 'not measured (no python3 with torch + CUDA)'}. Our times: ${gpu.hasTimestamps ? 'GPU timestamp queries' : 'wall clock'}; the training step: wall clock per step (record + submit + wait).`,
  '',
  '| kernel | variant | size | median ms | rate | ok | PyTorch (fp32: TF32 off / on) |',
  '|---|---|---|---:|---:|---|---|',
  ...rows.map((r) => `| ${r.kernel} | ${r.variant} | ${r.size} | ${r.timing.median.toFixed(3)} | ${r.rate} | ${r.checked === false ? 'NO' : 'yes'} | ${torchFor(r)} |`),
  '',
  // wgslgrad has no autotuner yet: this is the pick measurement makes, per shape, on this adapter.
  'Fastest matmul variant per shape: ' + [...new Set(rows.filter((r) => r.kernel === 'matmul').map((r) => r.size))].map((size) => `${size} → ${rows.filter((r) => r.kernel === 'matmul' && r.size === size).sort((a, b) => a.timing.median - b.timing.median)[0]!.variant}`).join('; '),
  '',
];
write('summary.md', table.join('\n'));
console.log(table.join('\n'));
if (failed.length || rows.some((r) => r.checked === false)) process.exit(1);
