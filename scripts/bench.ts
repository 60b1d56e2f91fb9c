// `npm run bench`: runs demos/bench.html in headless Chrome, prints the table (ours beside
// TensorFlow.js, with ratios) and writes out/bench.json. `--quick` for tiny sizes, `--no-peers` to
// skip TensorFlow.js, `--runtime node` to run the same bench in this process on Dawn.
import fs from 'node:fs';
import path from 'node:path';
import type { BenchReport, BenchRow } from '../demos/bench';
import { launchChrome, startServer } from './chrome';

const quick = process.argv.includes('--quick');
const noPeers = process.argv.includes('--no-peers');
const outFile = path.resolve(process.argv.find((a) => a.startsWith('--out='))?.slice(6) ?? 'out/bench.json');
const runtimeAt = process.argv.indexOf('--runtime');
const runtime = runtimeAt > 0 ? process.argv[runtimeAt + 1] : 'chrome';
if (runtime !== 'node' && runtime !== 'chrome') throw new Error(`--runtime expects node or chrome, got '${runtime}'`);

let report: BenchReport;
if (runtime === 'node') {
  // Dawn's navigator.gpu first, so TensorFlow.js's WebGPU backend finds it when it loads.
  await import('../src/node/register');
  await (await import('../src/node/webgpu')).installWebGpu();
  const { runBench } = await import('../demos/bench');
  report = await runBench({ quick, noPeers, log: (line) => process.stderr.write(`  ${line}\n`) });
} else {
  const { server, url } = await startServer();
  // Developer features lift Chrome's 100 µs quantisation of timestamp queries.
  const browser = await launchChrome(['--enable-webgpu-developer-features']);
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e instanceof Error ? e.message : String(e)}`));
    await page.exposeFunction('wgslgradBenchLog', (line: string) => process.stderr.write(`  ${line}\n`));
    await page.goto(`${url}/demos/bench.html`);
    await page.waitForFunction(() => window.bench !== undefined, { timeout: 120_000 });
    report = await page.evaluate((options) => window.bench!.run(options), { quick, noPeers });
  } finally {
    await browser.close();
    await server.close();
  }
}

const { adapter, timestamps } = report;
console.log(`adapter: ${adapter.vendor} ${adapter.architecture}${adapter.isFallbackAdapter ? ' (fallback)' : ''}; our GPU times: ${timestamps.available ? `timestamp queries${timestamps.quantised ? ' (quantised to 100 µs)' : ''}` : 'wall clock around submit + onSubmittedWorkDone'}; TensorFlow.js: wall clock`);
for (const p of report.peers.filter((p) => !p.ok)) console.log(`TensorFlow.js ${p.backend}: not measured (${p.error})`);
for (const s of report.skipped) console.log(`not measured: ${s}`);

const peerOf = (row: BenchRow, backend: string) => report.rows.find((r) => r.variant === `tfjs-${backend}` && r.kernel === row.kernel && r.size === row.size);
const ours = report.rows.filter((r) => !r.variant.startsWith('tfjs-'));
const best = new Map<string, BenchRow>();
for (const r of ours) {
  const key = `${r.kernel} ${r.size}`;
  if (!best.has(key) || r.timing.median < best.get(key)!.timing.median) best.set(key, r);
}
const header = ['kernel', 'variant', 'size', 'median ms', 'p10', 'p90', 'rate', 'compile ms', 'ok', 'tfjs-webgpu ms', '×', 'tfjs-wasm ms', '×'];
const lines = ours.map((r) => {
  const [gpu, wasm] = [peerOf(r, 'webgpu'), peerOf(r, 'wasm')];
  const ratio = (p?: BenchRow) => (p ? (p.timing.median / r.timing.median).toFixed(1) : '');
  const isBest = best.get(`${r.kernel} ${r.size}`) === r;
  return [r.kernel, `${r.variant}${isBest ? ' *' : ''}`, r.size, r.timing.median.toFixed(3), r.timing.p10.toFixed(3), r.timing.p90.toFixed(3), r.rate, r.compileMs === undefined ? '' : r.compileMs.toFixed(1), r.checked === false ? 'NO' : 'yes', gpu ? gpu.timing.median.toFixed(3) : '', isBest ? ratio(gpu) : '', wasm ? wasm.timing.median.toFixed(3) : '', isBest ? ratio(wasm) : ''];
});
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
const format = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(format(header));
for (const l of lines) console.log(format(l));
const step = ours.find((r) => r.kernel === 'training step');
if (step) console.log(`training step: ${step.dispatchesPerStep} dispatches per step; * marks the fastest variant, the one ratios (TensorFlow.js time / ours) use`);

fs.mkdirSync(path.dirname(outFile), { recursive: true });
fs.writeFileSync(`${outFile}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
fs.renameSync(`${outFile}.tmp`, outFile);
console.log(`wrote ${path.relative(process.cwd(), outFile)}`);
if (ours.some((r) => r.checked === false)) {
  console.error('error: a variant disagreed with the reference (marked NO)');
  process.exit(1);
}
