// `npm run bench`'s command line, read strictly: a value given to a flag that takes none
// (--quick=yes), a flag missing its value, an unknown or repeated flag, a stray argument, or options
// that would be ignored together (a run's options with --table) are an Error of one line, thrown
// before anything runs. Pure, so the tests run it without starting a bench.
import { parseArgs } from 'node:util';

const OPTIONS = {
  quick: { type: 'boolean' },
  'no-peers': { type: 'boolean' },
  'no-bounds-checks': { type: 'boolean' },
  table: { type: 'boolean' },
  runtime: { type: 'string' },
  out: { type: 'string' },
  compare: { type: 'string' },
  peers: { type: 'string' },
  node: { type: 'string' },
} as const;

export interface BenchArgs {
  values: { quick?: boolean; 'no-peers'?: boolean; 'no-bounds-checks'?: boolean; table?: boolean; runtime?: string; out?: string; compare?: string; peers?: string; node?: string };
  /** With --table: the report file and/or 'all'. */
  positionals: string[];
}

const HELP = '(npm run bench -- --help lists the options)';

export function parseBenchArgs(args: string[]): BenchArgs {
  let parsed;
  try {
    parsed = parseArgs({
      // `--table=FILE` and `--table=all` name --table's file (or every row); parseArgs wants them apart
      args: args.flatMap((a) => (a.startsWith('--table=') ? ['--table', a.slice('--table='.length)] : [a])),
      options: OPTIONS,
      allowPositionals: true,
      tokens: true,
    });
  } catch (error) {
    throw new Error(`${error instanceof Error ? error.message : String(error)} ${HELP}`);
  }
  const given = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    if (given.has(token.name)) throw new Error(`--${token.name} is given twice; give it once`);
    given.add(token.name);
  }
  const { values, positionals } = parsed;
  for (const flag of ['runtime', 'out', 'compare', 'peers', 'node'] as const) if (values[flag]?.trim() === '') throw new Error(`--${flag} needs a value ${HELP}`);
  const runOnly = (['quick', 'no-peers', 'no-bounds-checks', 'runtime', 'out', 'compare', 'peers'] as const).filter((f) => values[f] !== undefined);
  if (values.table) {
    if (runOnly.length) throw new Error(`--table runs nothing, so ${runOnly.map((f) => `--${f}`).join(', ')} would do nothing; leave ${runOnly.length > 1 ? 'them' : 'it'} out`);
    const files = positionals.filter((p) => p !== 'all');
    if (files.length > 1) throw new Error(`--table reads one report, got ${files.map((p) => `'${p}'`).join(' and ')}`);
  } else {
    if (positionals.length) throw new Error(`unexpected argument '${positionals[0]}' ${HELP}`);
    if (values.node !== undefined) throw new Error('--node names the Node report for --table; a run has no use for it');
    if (values['no-peers'] && values.peers !== undefined) throw new Error('--no-peers and --peers disagree: give one of them');
  }
  return { values, positionals };
}
