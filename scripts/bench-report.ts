// Reading out/bench.json: the like-for-like table (ours beside each peer, ratios ours / peer), the
// README's headline table, and the comparison of two runs. Pure functions of reports, so the tests
// run them without a browser.
import type { BenchReport, BenchRow, Contender } from '../demos/bench/harness';
import { oursBesidePeers, PEERS, variantText } from '../demos/bench/harness';

/**
 * One workload at one size: our row and each peer's. Ours is the row of what the engine runs when the
 * caller names no variant (variant 'auto': the autotuner's pick, made before the timed runs); a
 * family with one variant has only that row; a report from before 'auto' rows falls back to our
 * fastest checked variant, a choice made after the fact.
 */
export interface Line {
  kernel: string;
  size: string;
  ours: BenchRow;
  peers: Partial<Record<Contender, BenchRow>>;
}

/** Every workload at which at least one peer ran, in the report's order. */
export function likeForLike(report: BenchReport): Line[] {
  const lines = new Map<string, Line>();
  for (const r of oursBesidePeers(report.rows)) {
    if (r.variant !== 'auto' && !r.checked) continue; // a wrong 'auto' row stays ours: "ours wrong"
    const key = `${r.kernel}|${r.size}`;
    const line = lines.get(key);
    if (!line) lines.set(key, { kernel: r.kernel, size: r.size, ours: r, peers: {} });
    else if (r.timing.median < line.ours.timing.median) line.ours = r;
  }
  for (const r of report.rows) {
    const line = lines.get(`${r.kernel}|${r.size}`);
    if (r.contender !== 'wgslgrad' && line) line.peers[r.contender] = r;
  }
  // grouped by workload (ours interleaves them by size), sizes in the order run
  const order = ['matmul', 'activation', 'softmax_cross_entropy', 'training step'];
  const rank = (l: Line) => (order.includes(l.kernel) ? order.indexOf(l.kernel) : order.length);
  return [...lines.values()].filter((l) => Object.keys(l.peers).length > 0).sort((a, b) => rank(a) - rank(b));
}

const ms = (t: number) => (t >= 100 ? t.toFixed(0) : t >= 10 ? t.toFixed(1) : t >= 1 ? t.toFixed(2) : t.toFixed(3));
/** ours / peer: under 1, ours takes less time. A peer whose result failed its check has no ratio. */
export const ratio = (ours: BenchRow, peer?: BenchRow) => (!ours.checked ? 'ours wrong' : peer && peer.checked ? twoDigits(ours.timing.median / peer.timing.median) : peer ? 'wrong' : '');
/** Which of our variants a line ran: 'auto: v3 vec4' for the tuner's pick, the variant where a family has several. */
const variantNote = (r: BenchRow) => (r.variant === 'wgslgrad' ? '' : variantText(r));
/** Two significant digits below 0.1 (0.0049, not 0.00), two decimals up to 100, whole above. */
const twoDigits = (r: number) => (r < 0.1 ? r.toPrecision(2) : r < 100 ? r.toFixed(2) : r.toFixed(0));

/** Text columns: the first two (and any in `left`) aligned left, the numbers right. */
function columns(rows: string[][], left: number[] = []): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((cells) => cells.map((c, i) => (i < 2 || left.includes(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()).join('\n');
}

/** Our variants, each checked, with wall clock and (where measured) GPU time. */
export function variantTable(report: BenchReport): string {
  const rows = report.rows.filter((r) => r.contender === 'wgslgrad');
  return columns([
    ['kernel', 'variant', 'size', 'median ms', 'p10', 'p90', 'GPU ms', 'rate', 'compile ms', 'ok', 'spec case (as npm test names it, at its own size)'],
    ...rows.map((r) => [r.kernel, variantText(r), r.size, r.timing.median.toFixed(3), r.timing.p10.toFixed(3), r.timing.p90.toFixed(3), r.gpuTiming ? r.gpuTiming.median.toFixed(3) : '', r.rate, r.compileMs.toFixed(1), r.checked ? 'yes' : 'NO', r.case ?? '']),
  ], [10]);
}

/** Ours beside every peer: each median with its p10–p90, and ours / peer. */
export function peerTable(report: BenchReport): string {
  const peers = PEERS.filter((p) => report.rows.some((r) => r.contender === p));
  const spread = (r?: BenchRow) => (r ? `${ms(r.timing.median)} [${ms(r.timing.p10)}–${ms(r.timing.p90)}]${r.checked ? '' : ' WRONG'}` : '');
  return columns([
    ['kernel', 'size', 'wgslgrad ms [p10–p90]', ...peers.flatMap((p) => [`${p} ms`, `ours/${p}`])],
    ...likeForLike(report).map((l) => [l.kernel, `${l.size}${variantNote(l.ours) ? ` (${variantNote(l.ours)})` : ''}`, spread(l.ours), ...peers.flatMap((p) => [spread(l.peers[p]), ratio(l.ours, l.peers[p])])]),
  ]);
}

// With our case's name where there is one: mse and l1 loss share kernel, variant and size.
const rowKey = (r: BenchRow) => `${r.kernel}${r.case ? ` (${r.case})` : ''} | ${r.variant} | ${r.size}`;

/** The rows the README leads with. */
const HEADLINE = (l: Line) =>
  l.kernel === 'training step' ||
  (l.kernel === 'matmul' && ['M=512 N=512 K=512', 'M=1024 N=1024 K=1024', 'M=8 N=512 K=256'].includes(l.size)) ||
  (l.kernel === 'softmax_cross_entropy' && l.size === 'N=100000 C=10') ||
  (l.kernel === 'activation' && l.size === 'n=10000000');

/** The machine in one line, from the report's metadata. */
export function machineLine(report: BenchReport): string {
  const m = report.meta.machine;
  const a = report.adapter;
  const adapter = `${a.vendor || 'unknown vendor'} ${a.architecture}${a.description ? ` (${a.description})` : ''}${a.isFallbackAdapter ? ', fallback adapter' : ''}`;
  // "Chrome/131.0… (the page's user agent)": the version, and whether it ran headless
  const browser = `${report.meta.browser.split(' (')[0]}${report.meta.browser.includes('Headless') ? ', headless' : ''}`;
  return `${m ? `${m.cpuModel}, ${m.cpus} cores, ${m.memoryGiB} GiB, ${m.platform}; ` : ''}WebGPU adapter ${adapter}; ${browser}; commit ${report.meta.commit?.slice(0, 7) ?? 'unknown'}${report.meta.dirty ? ' (with local changes)' : ''}, ${report.meta.date.slice(0, 10)}${report.meta.quick ? '; a --quick run (tiny sizes, few samples)' : ''}`;
}

/**
 * The README's performance table (Markdown): ours in ms, then ours / peer for each peer. With `node`
 * (a `npm run bench -- --runtime node` report, out/bench-node.json) two more columns: the same row of
 * ours in Node on Dawn, and Node / Chrome.
 */
export function readmeTable(report: BenchReport, all = false, node?: BenchReport): string {
  const peers = PEERS.filter((p) => report.rows.some((r) => r.contender === p));
  const inNode = new Map((node?.rows ?? []).filter((r) => r.contender === 'wgslgrad').map((r) => [rowKey(r), r]));
  const head = ['what', 'size', 'wgslgrad ms (median)', ...(node ? ['in Node ms', 'Node / Chrome'] : []), ...peers.map((p) => `ours / ${p}`)];
  const body = likeForLike(report)
    .filter((l) => all || HEADLINE(l))
    .map((l) => {
      const n = inNode.get(rowKey(l.ours));
      const nodeCells = node ? (n ? [`${ms(n.timing.median)}${n.checked ? '' : ' WRONG'}`, n.checked && l.ours.checked ? `${(n.timing.median / l.ours.timing.median).toFixed(2)}×` : ''] : ['—', '—']) : [];
      const note = l.ours.dispatchesPerStep ? `, ${+l.ours.dispatchesPerStep.toFixed(1)} dispatches` : l.ours.variant === 'auto' ? `, ${variantNote(l.ours)}` : '';
      return [l.kernel, l.size, `${ms(l.ours.timing.median)}${l.ours.checked ? '' : ' WRONG'}${note}`, ...nodeCells, ...peers.map((p) => ratio(l.ours, l.peers[p]) || '—')];
    });
  const notes = report.skipped.length ? ['', `— not measured: ${report.skipped.join('; ')}.`] : [];
  if (body.length === 0) notes.push('', peers.length === 0 ? '— no rows: this report has no peers (a --no-peers run, or every peer failed).' : `— no rows: none of this report's sizes is a headline size${report.meta.quick ? ' (a --quick run)' : ''}; --table=all prints every like-for-like row.`);
  const measured = [`Measured on: ${machineLine(report)}.`, ...(node ? [`Node rows: ${machineLine(node)}.`] : [])];
  return [...measured, '', `| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...body.map((r) => `| ${r.join(' | ')} |`), ...notes].join('\n');
}

export interface Change {
  key: string;
  old: BenchRow;
  now: BenchRow;
  /** now / old median. */
  ratio: number;
  /** 'slower' or 'faster' when the two runs' p10–p90 ranges do not overlap. */
  flag: 'slower' | 'faster' | '';
}


/** Each row present in both runs: the ratio of medians, flagged where the spreads do not overlap. */
export function compareRuns(old: BenchReport, now: BenchReport): { changes: Change[]; onlyOld: string[]; onlyNew: string[]; notes: string[] } {
  const before = new Map(old.rows.map((r) => [rowKey(r), r]));
  const after = new Map(now.rows.map((r) => [rowKey(r), r]));
  const changes: Change[] = [];
  for (const [key, r] of after) {
    const o = before.get(key);
    if (!o) continue;
    const flag = r.timing.p10 > o.timing.p90 ? 'slower' : r.timing.p90 < o.timing.p10 ? 'faster' : '';
    changes.push({ key, old: o, now: r, ratio: r.timing.median / o.timing.median, flag });
  }
  const notes: string[] = [];
  const same = (what: string, a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b) && notes.push(`${what} differs: ${JSON.stringify(a)} then, ${JSON.stringify(b)} now`);
  same('adapter', old.adapter, now.adapter);
  same('browser', old.meta.browser, now.meta.browser);
  same('machine', old.meta.machine, now.meta.machine);
  same('protocol', old.meta.protocol, now.meta.protocol);
  return { changes, onlyOld: [...before.keys()].filter((k) => !after.has(k)), onlyNew: [...after.keys()].filter((k) => !before.has(k)), notes };
}

export function comparisonText(old: BenchReport, now: BenchReport): string {
  const { changes, onlyOld, onlyNew, notes } = compareRuns(old, now);
  const out = [`comparing with commit ${old.meta.commit?.slice(0, 7) ?? 'unknown'} of ${old.meta.date}`, ...notes.map((n) => `note: ${n}`)];
  out.push(
    columns([
      ['kernel', 'variant, size', 'old ms', 'new ms', 'new/old', 'beyond spread'],
      ...changes.map((c) => [c.now.kernel, `${c.now.variant}, ${c.now.size}`, c.old.timing.median.toFixed(3), c.now.timing.median.toFixed(3), c.ratio.toFixed(2), c.flag ? `${c.flag.toUpperCase()} (old p10–p90 ${c.old.timing.p10.toFixed(3)}–${c.old.timing.p90.toFixed(3)}, new ${c.now.timing.p10.toFixed(3)}–${c.now.timing.p90.toFixed(3)})` : '']),
    ]),
  );
  const flagged = changes.filter((c) => c.flag);
  out.push(`${flagged.length} of ${changes.length} rows changed beyond the measured spread (${flagged.filter((c) => c.flag === 'slower').length} slower, ${flagged.filter((c) => c.flag === 'faster').length} faster)`);
  if (onlyOld.length) out.push(`only in the old run: ${onlyOld.join('; ')}`);
  if (onlyNew.length) out.push(`only in the new run: ${onlyNew.join('; ')}`);
  return out.join('\n');
}

/** Throws with what is wrong if `value` is not a report this code reads. */
export function assertReport(value: unknown, file: string): asserts value is BenchReport {
  const r = value as Partial<BenchReport> | null;
  if (!r || typeof r !== 'object') throw new Error(`${file}: not a JSON object`);
  if (r.schema !== 2) throw new Error(`${file}: bench report schema ${String(r.schema)}, expected 2 (written by an older npm run bench?)`);
  if (!Array.isArray(r.rows) || !r.meta || !r.adapter) throw new Error(`${file}: missing rows, meta or adapter`);
  // What the tables read, checked here so that a hand-edited file is one line, not a stack trace.
  const isText = (v: unknown) => typeof v === 'string';
  if (!isText(r.meta.date) || !isText(r.meta.browser) || typeof r.meta.protocol !== 'object' || r.meta.protocol === null) throw new Error(`${file}: meta expected date, browser and protocol`);
  if (!isText(r.adapter.vendor) || !isText(r.adapter.architecture)) throw new Error(`${file}: adapter expected vendor and architecture`);
  if (!Array.isArray(r.skipped) || !Array.isArray(r.peers)) throw new Error(`${file}: expected the lists 'skipped' and 'peers'`);
  r.rows.forEach((row: Partial<BenchRow>, i) => {
    const timing = row?.timing;
    const ok = row && isText(row.kernel) && isText(row.contender) && isText(row.variant) && isText(row.size) && typeof row.checked === 'boolean' && timing && ['median', 'p10', 'p90'].every((k) => typeof timing[k as keyof typeof timing] === 'number');
    if (!ok) throw new Error(`${file}: row ${i} expected kernel, contender, variant, size, checked and timing {median, p10, p90}, got ${JSON.stringify(row).slice(0, 120)}`);
  });
}
