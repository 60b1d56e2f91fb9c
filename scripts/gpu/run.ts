// The GPU bundle's program (bundled by scripts/gpu/bundle.ts into plain JavaScript, run by run.sh):
// every kernel, init, graph, PyTorch-parity and example case against its float64 reference (or
// PyTorch's values), then the bench at GPU sizes, on the adapter Dawn finds. Writes cases.json,
// bench.json and summary.md into --out, beside PyTorch's numbers (torch.json from torch_bench.py)
// when run.sh measured them first.
// Also runs from the project: `npx tsx --import ./src/node/register.ts scripts/gpu/run.ts --out DIR`.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runBench, type BenchRow } from '../../demos/bench';
import { FULL, QUICK, RowSink, summarise, variantText } from '../../demos/bench/harness';
import { matmul, MATMUL_VARIANTS, vec4Unsupported } from '../../src/kernels/matmul';
import { Tensor } from '../../src/tensor';
import { requestGpu } from '../../src/device/gpu';
import { installWebGpu, waitPolitely } from '../../src/node/webgpu';
import { isCpuAdapter } from '../../src/device/gpu';
import { exampleCases } from '../../tests/example-cases';
import { graphCases } from '../../tests/graph-cases';
import { initCases } from '../../tests/init-cases';
import { kernelCases } from '../../tests/kernel-cases';
import { parityCases } from '../../tests/parity-cases';
import { hashString } from '../../src/spec/random';
import { runCase } from '../../src/spec/scope';

const USAGE = 'usage: run.ts --out DIR [--quick] [--cases-only] [--large-only SIZES] [--no-bounds-checks]  (SIZES: 1024,2048)';
const usageError = (message: string): never => {
  console.error(`run.ts: ${message}; ${USAGE}`);
  process.exit(2);
};
let values: { out?: string; quick?: boolean; 'cases-only'?: boolean; 'large-only'?: string; 'no-bounds-checks'?: boolean } = {};
try {
  ({ values } = parseArgs({ options: { out: { type: 'string' }, quick: { type: 'boolean' }, 'cases-only': { type: 'boolean' }, 'large-only': { type: 'string' }, 'no-bounds-checks': { type: 'boolean' } } }));
} catch (error) {
  usageError(error instanceof Error ? error.message : String(error));
}
const outArg = values.out ?? usageError('--out DIR is missing');
if (values['large-only'] !== undefined && !/^[1-9]\d*(,[1-9]\d*)*$/.test(values['large-only'])) usageError(`--large-only expects sizes like 1024,2048, got '${values['large-only']}'`);
// Everything without WebGPU's bounds checks (Dawn's disable_robustness), to measure what they cost on this adapter.
const boundsChecks = !values['no-bounds-checks'];
const out = path.resolve(outArg);
fs.mkdirSync(out, { recursive: true });
const write = (name: string, text: string) => fs.writeFileSync(path.join(out, name), text);

const vulkan = await installWebGpu({ boundsChecks });
// Cases name their variants (the bench tunes its own); new buffers start as NaN, as in the test harnesses.
const gpu = await requestGpu({ variantPolicy: 'fixed', boundsChecks, poisonNewBuffers: true });
const info = gpu.device.adapterInfo ?? ({} as Partial<GPUAdapterInfo>);
const adapter = { ...gpu.adapter, boundsChecks, vulkan, features: [...gpu.device.features].sort(), maxBufferSize: gpu.limits.maxBufferSize, subgroupMinSize: info.subgroupMinSize, subgroupMaxSize: info.subgroupMaxSize };
/**
 * The floor under every wall-clock figure: a one-dispatch submit's round trip to onSubmittedWorkDone,
 * median of 200, with the wait spinning (what hardware GPUs get) and polling every 1 ms (CPU adapters).
 */
async function roundTripMs(politely: boolean): Promise<number> {
  const [t, out] = [Tensor.fromArray(gpu, new Float32Array(64).fill(1), [8, 8]), Tensor.empty(gpu, [8, 8])];
  const times: number[] = [];
  waitPolitely(politely);
  try {
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      matmul(t, t, out, { variant: 'naive' });
      await gpu.sync();
      times.push(performance.now() - started);
    }
  } finally {
    waitPolitely(isCpuAdapter(gpu.adapter));
    [t, out].forEach((x) => x.destroy());
  }
  return summarise(times).median;
}
const roundTrip = { spinMs: await roundTripMs(false), politeMs: await roundTripMs(true) };
Object.assign(adapter, { roundTrip });
console.log(`adapter: ${gpu.adapter.vendor} ${gpu.adapter.architecture} (${gpu.adapter.description})${gpu.adapter.isFallbackAdapter ? ', fallback/software' : ''}${boundsChecks ? '' : ', bounds checks off'}; Vulkan loader ${vulkan?.loader ?? '-'}, drivers ${vulkan?.drivers ?? '-'}`);

/**
 * The GPU's sizes, which the spec cases do not time: square float32 matmuls at 1024, 2048 and 4096
 * for every variant (naive only at 1024), each checked first on 16 sampled rows of C against float64
 * dot products (a whole float64 reference at 4096³ would take minutes of CPU), then timed by the
 * bench's protocol (wall clock to onSubmittedWorkDone, GPU timestamps beside it where available).
 */
async function largeMatmuls(sizes: number[], quick: boolean, log: (line: string) => void): Promise<BenchRow[]> {
  const sink = new RowSink(quick ? QUICK : FULL, log);
  const rows: BenchRow[] = [];
  for (const n of sizes) {
    const random = (seed: number) => Float32Array.from({ length: n * n }, (_, i) => Math.sin(i * 12.9898 + seed * 78.233) % 1);
    const [a, b] = [random(1), random(2)];
    const [A, B, C] = [Tensor.fromArray(gpu, a, [n, n]), Tensor.fromArray(gpu, b, [n, n]), Tensor.empty(gpu, [n, n])];
    const sampled = Array.from({ length: Math.min(16, n) }, (_, i) => Math.floor((i * (n - 1)) / 15));
    for (const variant of MATMUL_VARIANTS) {
      if ((variant === 'naive' && n > 1024) || (variant === 'vec4' && vec4Unsupported(n, n, n, false, false))) continue;
      C.write(new Float32Array(n * n).fill(NaN));
      const row = await sink.time(
        { contender: 'wgslgrad', kernel: 'matmul', case: `matmul ${variant} large`, variant: `v${MATMUL_VARIANTS.indexOf(variant) + 1} ${variant}`, size: `${n}×${n}×${n}`, flop: 2 * n ** 3 },
        async () => {
          matmul(A, B, C, { variant });
          await gpu.sync();
        },
        async () => {
          const c = (await C.read()) as Float32Array;
          let maxError = 0;
          let ok = true;
          for (const i of sampled) {
            for (let j = 0; j < n; j++) {
              let ref = 0;
              for (let k = 0; k < n; k++) ref += a[i * n + k]! * b[k * n + j]!;
              const error = Math.abs(c[i * n + j]! - ref);
              maxError = Math.max(maxError, Number.isNaN(error) ? Infinity : error);
              if (!(error <= 1e-3 * Math.sqrt(n) + 1e-4 * Math.abs(ref))) ok = false;
            }
          }
          return { ok, maxError };
        },
      );
      if (gpu.hasTimestamps) {
        const times: number[] = [];
        for (let i = 0; i < row.timing.samples; i++) times.push(await gpu.timeDispatches(() => matmul(A, B, C, { variant })));
        row.gpuTiming = summarise(times);
      }
      rows.push(row);
    }
    [A, B, C].forEach((t) => t.destroy());
  }
  return rows;
}

// 1. Every case, fresh inputs (the seed is printed and saved, so a failure can be replayed).
const runSeed = process.env.WGSLGRAD_SEED ? Number(process.env.WGSLGRAD_SEED) : Math.floor(Math.random() * 2 ** 31);
const cases = [];
for (const c of values['large-only'] ? [] : [...kernelCases, ...initCases, ...graphCases, ...parityCases, ...exampleCases]) {
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

// 2. The bench at GPU sizes (our kernels only: PyTorch is the peer here). The large matmuls first and
// bench.json rewritten after each part, so a run stopped by a time limit still leaves its figures.
let rows: BenchRow[] = [];
let picks: Record<string, { pick: string }> = {};
// The large plan: square matmuls to 4096 and the step at batch 512 (quick: 256, and batch 8 and 64).
if (!values['cases-only']) {
  const log = (line: string) => console.log(`  ${line}`);
  const quick = values.quick ?? false;
  const large = values['large-only'] ? values['large-only'].split(',').map(Number) : quick ? [256] : [1024, 2048, 4096];
  rows = await largeMatmuls(large, quick, log);
  write('bench.json', `${JSON.stringify({ rows, adapter }, null, 2)}\n`);
  const report = values['large-only'] ? null : await runBench({ quick, noPeers: true, trainingBatches: quick ? [8, 64] : [8, 256, 512], log });
  rows = [...(report?.rows ?? []), ...rows];
  picks = report?.tuning?.picks ?? {};
  write('bench.json', `${JSON.stringify({ ...report, rows, adapter }, null, 2)}\n`);
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
  `# wgslgrad on ${gpu.adapter.vendor} ${gpu.adapter.architecture} (${gpu.adapter.description})${boundsChecks ? '' : ', bounds checks off'}, ${new Date().toISOString()}`,
  '',
  values['large-only'] ? 'Cases: not run (--large-only).' : `Cases: ${cases.length - failed.length} of ${cases.length} pass against the float64 references (WGSLGRAD_SEED=${runSeed}).${failed.length ? ` Failed: ${failed.map((c) => c.name).join('; ')}` : ''}`,
  '',
  `One dispatch's round trip (record, submit, onSubmittedWorkDone), median of 200: ${roundTrip.spinMs.toFixed(3)} ms with the wait spinning, ${roundTrip.politeMs.toFixed(3)} ms polling every 1 ms.`,
  '',
  `PyTorch: ${torch ? `${torch.device ?? '?'}` : 'not measured (no python3 with torch + CUDA)'}. Our median ms: wall clock per run (record + submit + wait for the GPU)${gpu.hasTimestamps ? '; (GPU …): timestamp queries around the same dispatches' : ''}. PyTorch: ${torch?.device && !/cuda/i.test(torch.device) ? 'wall clock' : 'CUDA events'} for the matmuls, wall clock with synchronisation for the step.`,
  '',
  '| kernel | variant | size | median ms | rate | ok | PyTorch (fp32: TF32 off / on) |',
  '|---|---|---|---:|---:|---|---|',
  ...rows.map((r) => `| ${r.kernel} | ${variantText(r)} | ${r.size} | ${r.timing.median.toFixed(3)}${r.gpuTiming ? ` (GPU ${r.gpuTiming.median.toFixed(3)})` : ''} | ${r.rate} | ${r.checked === false ? 'NO' : 'yes'} | ${torchFor(r)} |`),
  '',
  ...rows.filter((r) => r.stepSplit).map((r) => `Training step ${r.size}: ${r.dispatchesPerStep?.toFixed(0)} dispatches; record ${r.stepSplit!.record.toFixed(3)} ms, submit ${r.stepSplit!.submit.toFixed(3)} ms, wait ${r.stepSplit!.wait.toFixed(3)} ms (medians).`),
  '',
  // The large rows name their variant, so the tuner never sees them: this is the fastest measured
  // (the 'auto' rows, the tuner's picks, are one of the variants run again).
  'Fastest matmul variant per shape: ' + [...new Set(rows.filter((r) => r.kernel === 'matmul').map((r) => r.size))].map((size) => `${size} → ${rows.filter((r) => r.kernel === 'matmul' && r.size === size && r.variant !== 'auto').sort((a, b) => a.timing.median - b.timing.median)[0]!.variant}`).join('; '),
  '',
  `The autotuner's picks on this adapter (the bench's shapes): ${Object.entries(picks).map(([key, r]) => `${key} → ${r.pick}`).join('; ') || (values.quick ? 'none (--quick runs the defaults, untuned)' : 'none (nothing was tuned)')}`,
  '',
];
write('summary.md', table.join('\n'));
console.log(table.join('\n'));
if (failed.length || rows.some((r) => r.checked === false)) process.exit(1);
