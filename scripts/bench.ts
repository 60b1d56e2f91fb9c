// `npm run bench`: runs demos/bench.html in headless Chrome, prints our variants and the
// like-for-like table (ours, as the engine runs it with no variant named, the rows 'auto', beside
// TensorFlow.js and jax-js; ratios ours / peer), and writes out/bench.json with the commit,
// adapter, browser and machine.
//   --quick               tiny sizes, few runs (the tuner off: defaults only); writes
//                         out/bench-quick.json (out/bench-node-quick.json), not the full run's file
//   --no-peers            ours only;  --peers=jax-wasm,tfjs-webgpu  only those peers
//   --runtime node        run the same bench in this process on Dawn (default: chrome); writes
//                         out/bench-node.json, which --table shows beside out/bench.json
//   --out=FILE            write there instead of out/bench.json (out/bench-node.json)
//   --no-bounds-checks    WebGPU without its bounds checks, for every WebGPU contender (Dawn's
//                         disable_robustness; in Chrome its --enable-dawn-features switch)
//   --compare OLD.json    then print each row's ratio to OLD and flag changes beyond the spread
//   -h, --help            this text
//   --table [FILE]        run nothing: print the README's table from FILE (default out/bench.json);
//                         --table=all for every like-for-like row; --node FILE for the Node rows
//                         (default out/bench-node.json when it exists, --node=none for none)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BenchReport } from '../demos/bench';
import { PEERS, type Contender } from '../demos/bench/harness';
import { assertReport, comparisonText, machineLine, peerTable, readmeTable, variantTable } from './bench-report';
import { launchChrome, startServer } from './chrome';
import { parseBenchArgs, type BenchArgs } from './bench-args';
import { prepareOutDir } from './output';

const args = process.argv.slice(2);
/** A mistake on the command line: one line, no stack trace, before anything runs. */
const fail = (message: string): never => {
  console.error(`error: ${message}`);
  process.exit(1);
};
if (args.includes('--help') || args.includes('-h')) {
  // The usage is this file's opening comment.
  const usage = fs.readFileSync(new URL(import.meta.url), 'utf8').split('\nimport')[0]!.split('\n').map((l) => l.slice(3)).join('\n');
  console.log(`Usage: npm run bench -- [options]\n${usage}`);
  process.exit(0);
}
const { values, positionals } = ((): BenchArgs => {
  try {
    return parseBenchArgs(args);
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
})();

/** A report written by npm run bench, or one line saying what is wrong with the file. */
function readReport(file: string): BenchReport {
  const writer = { 'out/bench.json': 'npm run bench', 'out/bench-node.json': 'npm run bench -- --runtime node' }[file];
  if (!fs.existsSync(file)) fail(`${file}: no such file${writer ? ` (${writer} writes it)` : ''}`);
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    fail(`${file}: not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  try {
    assertReport(value, file);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  return value as BenchReport;
}

if (values.table) {
  // `--table all` (with a space) asks for every row, as `--table=all` does.
  const file = positionals.find((a) => a !== 'all') ?? 'out/bench.json';
  const nodeFile = values.node ?? 'out/bench-node.json';
  const node = nodeFile !== 'none' && (values.node !== undefined || fs.existsSync(nodeFile)) ? readReport(nodeFile) : undefined;
  console.log(readmeTable(readReport(file), positionals.includes('all'), node));
  process.exit(0);
}

const runtime = values.runtime ?? 'chrome';
if (runtime !== 'node' && runtime !== 'chrome') fail(`--runtime expects node or chrome, got '${runtime}'`);
const quick = values.quick ?? false;
const boundsChecks = !values['no-bounds-checks'];
const unchecked = boundsChecks ? '' : ', bounds checks off';
const noPeers = values['no-peers'] ?? false;
const peers = values.peers?.split(',').map((p) => p.trim() as Contender);
const unknown = peers?.filter((p) => !PEERS.includes(p));
if (unknown?.length) fail(`--peers: unknown ${unknown.map((p) => `'${p}'`).join(', ')} (known: ${PEERS.join(', ')})`);
// A quick run keeps to its own file: it must not replace the full run's figures.
const outFile = path.resolve(values.out ?? `out/bench${runtime === 'node' ? '-node' : ''}${quick ? '-quick' : ''}.json`);
if (fs.existsSync(outFile) && fs.statSync(outFile).isDirectory()) fail(`--out ${outFile}: is a folder; --out names the report's file (${path.join(outFile, 'bench.json')}, say)`);
try {
  prepareOutDir(path.dirname(outFile), [path.basename(outFile)], `--out ${outFile}`); // now, not after minutes of timing
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
const old = values.compare !== undefined ? readReport(values.compare) : null; // read first: a bad file fails before a long run

const git = (...a: string[]) => {
  try {
    return execFileSync('git', a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
};
const versionOf = (pkg: string) => (JSON.parse(fs.readFileSync(path.join('node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;

let report: BenchReport;
if (runtime === 'node') {
  // Dawn's navigator.gpu first, so TensorFlow.js's WebGPU backend finds it when it loads.
  await import('../src/node/register');
  await (await import('../src/node/webgpu')).installWebGpu({ boundsChecks });
  const { runBench } = await import('../demos/bench');
  report = await runBench({ quick, noPeers, peers, log: (line) => process.stderr.write(`  ${line}\n`) });
  report.meta.browser = `Node ${process.version}, Dawn (the webgpu package ${versionOf('webgpu')})${unchecked}`;
} else {
  const { server, url } = await startServer();
  // Developer features lift Chrome's 100 µs quantisation of timestamp queries.
  const browser = await launchChrome(['--enable-webgpu-developer-features', ...(boundsChecks ? [] : ['--enable-dawn-features=disable_robustness,allow_unsafe_apis'])]);
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e instanceof Error ? e.message : String(e)}`));
    await page.exposeFunction('wgslgradBenchLog', (line: string) => process.stderr.write(`  ${line}\n`));
    await page.goto(`${url}/demos/bench.html`);
    await page.waitForFunction(() => window.bench !== undefined, { timeout: 120_000 });
    report = await page.evaluate((options) => window.bench!.run(options), { quick, noPeers, peers });
    report.meta.browser = `${await browser.version()} (${report.meta.browser})${unchecked}`;
  } finally {
    await browser.close();
    await server.close();
  }
}

const commit = git('rev-parse', 'HEAD');
report.meta.commit = commit;
report.meta.dirty = commit ? git('status', '--porcelain', '--untracked-files=no') !== '' : undefined;
report.meta.machine = { platform: `${os.platform()} ${os.release()} ${os.arch()}`, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version };
for (const p of report.peers) p.version = p.contender.startsWith('tfjs') ? versionOf('@tensorflow/tfjs-core') : versionOf('@jax-js/jax');

const { timestamps } = report;
console.log(`machine: ${machineLine(report)}`);
console.log(`clock: wall clock from the call to the work being done, for every contender; ${report.meta.protocol.warmup} warm-up runs, ${report.meta.protocol.samples} timed (${report.meta.protocol.slowSamples} past ${report.meta.protocol.slowMs} ms a run). GPU ms: our timestamp queries${timestamps.available ? (timestamps.quantised ? ' (quantised to 100 µs)' : '') : ' (not offered by this adapter)'}`);
for (const p of report.peers) console.log(`${p.contender}${p.version ? ` ${p.version}` : ''}: ${p.ok ? 'measured' : `not measured (${p.error})`}`);
for (const s of report.skipped) console.log(`not measured: ${s}`);
console.log(`\nours, every variant checked against the float64 reference:\n${variantTable(report)}`);
if (report.peers.length) console.log(`\nlike for like (ours: what the engine runs with no variant named, the autotuner's pick for matmul and cross-entropy; ours/peer under 1 means ours takes less time):\n${peerTable(report)}`);

fs.writeFileSync(`${outFile}.tmp`, `${JSON.stringify(report, null, 2)}\n`);
fs.renameSync(`${outFile}.tmp`, outFile);
for (const [key, r] of Object.entries(report.tuning?.picks ?? {})) {
  console.log(`tuner: ${key} (timed at ${r.shape}) → ${r.pick}  [${Object.entries(r.ms).map(([v, ms]) => `${v} ${ms.toFixed(3)} ms`).join(', ')}]`);
}
if (report.tuning && report.tuning.ms > 0) console.log(`tuner: ${(report.tuning.ms / 1000).toFixed(1)} s spent timing variants (outside every timed run)`);
console.log(`\nwrote ${path.relative(process.cwd(), outFile)}`);
if (old) console.log(`\n${comparisonText(old, report)}`);

const wrong = report.rows.filter((r) => !r.checked);
const describe = (rows: typeof wrong) => rows.map((r) => `${r.kernel} ${r.variant} ${r.size} (max error ${r.maxError})`).join('; ');
const peersWrong = wrong.filter((r) => r.contender !== 'wgslgrad');
if (peersWrong.length) console.warn(`warning: a peer's result disagreed with the float64 reference (no ratio given): ${describe(peersWrong)}`);
const oursWrong = wrong.filter((r) => r.contender === 'wgslgrad');
if (oursWrong.length) console.error(`error: ours disagreed with the float64 reference: ${describe(oursWrong)}`);
// A peer that could not run leaves its columns empty: the run wrote what it measured but did not do what was asked.
const peersFailed = report.peers.filter((p) => !p.ok);
if (peersFailed.length) console.error(`error: not measured: ${peersFailed.map((p) => `${p.contender} (${p.error})`).join('; ')}; --peers=… or --no-peers leaves a peer out`);
if (oursWrong.length || peersFailed.length) process.exit(1);
