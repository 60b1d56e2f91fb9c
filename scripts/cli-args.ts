// The CLI's flags: the help text (defaults drawn from the variants themselves), parsing, and the
// checks that turn every flag into a validated run configuration before any work starts.
import { parseArgs } from 'node:util';
import { decimal, DEFAULT_LR, isLearningRate, LR_EXPECTED, LR_SCHEDULE_HELP, MAX_WIDTH, OPTIMIZERS, parseLrSchedule, SGD_ADVICE, VARIANTS, type OptimizerName, type RunConfig } from '../src/run-config';

/** Without a terminal (a log, CI), progress within an epoch is a line this often, on epochs longer than it. */
export const LOG_PROGRESS_SECONDS = 10;
export const OUTPUTS = ['model.safetensors', 'metrics.json', 'training.png'] as const;
/** The files a run writes: Node, without a browser to draw with Chart.js, plots an SVG. */
export const outputs = (runtime: 'node' | 'chrome') => [OUTPUTS[0], OUTPUTS[1], runtime === 'chrome' ? OUTPUTS[2] : 'training.svg'] as const;
/** Where WebGPU runs (--runtime, checked by start.ts's main before any task): Node on Dawn unless 'chrome'. */
export const runtimeOf = (values: Values): 'node' | 'chrome' => (values.runtime === 'chrome' ? 'chrome' : 'node');
/** The plot the other runtime writes: a run removes it with the old set, so no plot of another model stays. */
export const otherPlot = (runtime: 'node' | 'chrome') => (runtime === 'chrome' ? 'training.svg' : OUTPUTS[2]);

const { tuned, baseline } = VARIANTS;
const arch = (c: RunConfig) => `${c.hidden.join(',')}`;
export const HELP = `Usage: npm start -- [options]

Trains an MLP classifier on a CSV with wgslgrad's WebGPU kernels, in Node (Dawn) or headless Chrome.
Default: the course's tuned phone-price model on data/mobile-price.csv. Defaults below are the tuned
variant's, with the baseline's in brackets where it differs; relative paths are from your shell's folder.

Model and training:
  --variant NAME      tuned or baseline (default: tuned); the flags below override either
                        tuned:    standardised inputs, F→${tuned.hidden.join('→')}→C, ${tuned.activation}, ${tuned.optimizer} lr ${tuned.lr}
                        baseline: raw inputs, F→${baseline.hidden.join('→')}→C, ${baseline.activation}, ${baseline.optimizer} lr ${baseline.lr}
  --epochs N          training epochs (default: ${tuned.epochs})
  --batch-size N      rows per step (default: ${tuned.batchSize})
  --optimizer NAME    ${OPTIMIZERS.join(', ')} (default: ${tuned.optimizer} [${baseline.optimizer}]);
                      momentum is SGD with momentum 0.9
  --lr X              learning rate (default: ${tuned.lr} [${baseline.lr}]); an --optimizer other than the
                      variant's gets its own default: ${OPTIMIZERS.map((o) => `${o} ${DEFAULT_LR[o]}`).join(', ')}
  --lr-schedule SPEC  stepped once an epoch: ${LR_SCHEDULE_HELP}
                      (PyTorch's StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR, ReduceLROnPlateau on the training loss)
  --hidden LIST       hidden layer sizes, comma-separated, each ≤ ${MAX_WIDTH.toLocaleString('en')} (default: ${arch(tuned)} [${arch(baseline)}]);
                      input and output sizes follow the data; '' for none (one Linear layer)
  --activation NAME   sigmoid or relu (default: ${tuned.activation})
  --dropout P         dropout probability after each hidden layer, in [0, 1) (default: ${tuned.dropout}, none)
  --batch-norm        BatchNorm1d after each hidden Linear (default: off)
  --standardize       StandardScaler fitted on the training rows (default: on [off]);
  --no-standardize    or the raw features
  --seed N            seed for the split, the init and the shuffles, in [0, 2³²) (default: ${tuned.seed})

Data:
  --data PATH         a CSV with a header row and numeric features (default: the embedded data/mobile-price.csv)
  --label NAME        the label column (default: the last column); integer or string labels
  --delimiter C       the field separator: one character, or tab (default: ,)

Output:
  --out DIR           where ${OUTPUTS[0]}, ${OUTPUTS[1]} and the plot go (default: ./out); the plot
                      is training.svg in Node, ${OUTPUTS[2]} with --runtime chrome
  --eval PATH         evaluate a saved model on its test split instead of training
                      (takes --data, --label and --delimiter; the model fixes everything else)
  --progress S        within an epoch, report progress every S seconds (default: a bar on a
                      terminal, otherwise a line every ${LOG_PROGRESS_SECONDS} s on epochs that take longer)
  --runtime NAME      node (default: WebGPU in this process through Dawn, the \`webgpu\` package)
                      or chrome (headless Chrome through Puppeteer); the same kernels and training code
  --debug             print every WGSL source as it is compiled
  --variant-policy P  tuned (default): each kernel runs the variant timed fastest on this adapter, timed
                      once (a few seconds at most) and kept in ~/.cache/wgslgrad/tuning.json
                      (WGSLGRAD_CACHE_DIR overrides); fixed: the built-in defaults
  --no-bounds-checks  Node only: WebGPU without its bounds checks on buffer accesses (Dawn's
                      disable_robustness). Faster on a CPU adapter (SwiftShader); a kernel bug could
                      then read or write outside its buffers. The kernels are proved with checks on
  -h, --help          this text

The last line printed is "test accuracy: 0.XXXX".`;

/** Bad input from the user: its message is the whole story (no stack trace, even with WGSLGRAD_DEBUG). */
export class UsageError extends Error {}

export const STRING_FLAGS = ['variant', 'epochs', 'batch-size', 'lr', 'optimizer', 'lr-schedule', 'hidden', 'activation', 'dropout', 'seed', 'data', 'label', 'delimiter', 'out', 'eval', 'progress', 'task', 'runtime', 'variant-policy'] as const;
const BOOLEAN_FLAGS = ['batch-norm', 'standardize', 'no-standardize', 'debug', 'no-bounds-checks'] as const;
/** Flags that only training reads: with --eval they would be silently ignored. */
export const TRAINING_FLAGS = ['variant', 'epochs', 'batch-size', 'lr', 'optimizer', 'lr-schedule', 'hidden', 'activation', 'dropout', 'seed', 'out', 'progress', 'batch-norm', 'standardize', 'no-standardize'];
export type Values = Record<string, string | boolean | undefined>;

function positiveInt(name: string, text: string): number {
  const v = decimal(text);
  if (text.trim() === '' || !Number.isInteger(v) || v <= 0) throw new UsageError(`--${name} expects a positive integer, got '${text}'`);
  return v;
}

/**
 * The configuration from the flags, a note on the lr when the optimizer changed without --lr, and
 * advice where the combination is known not to learn.
 */
export function runConfig(values: Values): { config: RunConfig; lrNote: string; advice: string } {
  const variant = (values.variant as string | undefined) ?? 'tuned';
  if (variant !== 'tuned' && variant !== 'baseline') throw new UsageError(`--variant expects tuned or baseline, got '${variant}'`);
  const c: RunConfig = { ...VARIANTS[variant], hidden: [...VARIANTS[variant].hidden] };
  if (values.epochs !== undefined) c.epochs = positiveInt('epochs', values.epochs as string);
  if (values['batch-size'] !== undefined) c.batchSize = positiveInt('batch-size', values['batch-size'] as string);
  if (values.seed !== undefined) {
    c.seed = decimal(values.seed as string);
    if ((values.seed as string).trim() === '' || !Number.isInteger(c.seed) || c.seed < 0 || c.seed >= 2 ** 32) throw new UsageError(`--seed expects an integer in [0, 2³²), got '${values.seed}'`);
  }
  let lrNote = '';
  if (values.optimizer !== undefined) {
    if (!OPTIMIZERS.includes(values.optimizer as OptimizerName)) throw new UsageError(`--optimizer expects one of ${OPTIMIZERS.join(', ')}, got '${values.optimizer}'`);
    c.optimizer = values.optimizer as OptimizerName;
    if (values.lr === undefined && c.optimizer !== VARIANTS[variant].optimizer) {
      c.lr = DEFAULT_LR[c.optimizer];
      lrNote = ` (${c.optimizer}'s default; the ${variant} variant's lr ${VARIANTS[variant].lr} is for ${VARIANTS[variant].optimizer}; --lr to choose)`;
    }
  }
  if (values.lr !== undefined) {
    c.lr = decimal(values.lr as string);
    if ((values.lr as string).trim() === '' || !isLearningRate(c.lr)) throw new UsageError(`--lr expects ${LR_EXPECTED}, got '${values.lr}'`);
  }
  if (values.hidden !== undefined) {
    const text = values.hidden as string;
    c.hidden = text.trim() === '' ? [] : text.split(',').map((h) => positiveInt('hidden', h.trim()));
    const wide = c.hidden.find((h) => h > MAX_WIDTH);
    if (wide !== undefined) throw new UsageError(`--hidden: a layer of ${wide} is wider than ${MAX_WIDTH.toLocaleString('en')}`);
  }
  if (values['lr-schedule'] !== undefined) {
    try {
      parseLrSchedule(values['lr-schedule'] as string);
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    c.lrSchedule = values['lr-schedule'] as string;
  }
  if (values.activation !== undefined) {
    if (values.activation !== 'sigmoid' && values.activation !== 'relu') throw new UsageError(`--activation expects sigmoid or relu, got '${values.activation}'`);
    c.activation = values.activation;
  }
  if (values.dropout !== undefined) {
    c.dropout = decimal(values.dropout as string);
    if ((values.dropout as string).trim() === '' || !(c.dropout >= 0 && c.dropout < 1)) throw new UsageError(`--dropout expects a probability in [0, 1), got '${values.dropout}'`);
  }
  if (values['batch-norm']) c.batchNorm = true;
  if (values.standardize && values['no-standardize']) throw new UsageError('--standardize and --no-standardize contradict each other');
  if (values.standardize) c.standardize = true;
  if (values['no-standardize']) c.standardize = false;
  const sgd = c.optimizer === 'sgd' || c.optimizer === 'momentum';
  const advice = sgd && c.activation === 'sigmoid' && c.hidden.length >= 3 ? SGD_ADVICE : '';
  return { config: c, lrNote, advice };
}

export function variantPolicy(values: Values): 'tuned' | 'fixed' {
  const policy = (values['variant-policy'] as string | undefined) ?? 'tuned';
  if (policy !== 'tuned' && policy !== 'fixed') throw new UsageError(`--variant-policy expects tuned or fixed, got '${policy}'`);
  return policy;
}

/** --no-bounds-checks: false turns WebGPU's bounds checks off (Node only). */
export function boundsChecks(values: Values): boolean {
  if (values['no-bounds-checks'] !== true) return true;
  if (runtimeOf(values) === 'chrome') throw new UsageError('--no-bounds-checks is for --runtime node: a page cannot turn WebGPU\'s bounds checks off');
  return false;
}

export function delimiter(values: Values): string {
  const text = values.delimiter as string | undefined;
  if (text === undefined) return ',';
  if (text === 'tab' || text === '\\t' || text === '\t') return '\t';
  if ([...text].length !== 1 || /[\s"\r\n]/.test(text)) throw new UsageError(`--delimiter expects one character (not a quote or a space), or tab, got '${text}'`);
  return text;
}

export function progressSeconds(values: Values, interactive: boolean): number {
  const text = values.progress as string | undefined;
  if (text === undefined) return interactive ? 0.5 : LOG_PROGRESS_SECONDS;
  const v = decimal(text);
  if (text.trim() === '' || !(v >= 0) || !Number.isFinite(v)) throw new UsageError(`--progress expects a number of seconds ≥ 0, got '${text}'`);
  return v;
}

/**
 * The command line, for parseArgs. It reads '--lr -0.1' as --lr missing its value followed by an
 * unknown flag; joining a negative number to its flag ('--lr=-0.1') lets our own checks answer.
 */
export function argv(args: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const next = args[i + 1];
    if (next !== undefined && STRING_FLAGS.some((f) => a === `--${f}`) && /^-(\d|\.\d|inf)/i.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}


/** The flags as parseArgs reads them; a malformed command line is a UsageError. */
export function parseCommandLine(args: string[]): Values {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv(args),
      options: {
        ...Object.fromEntries(STRING_FLAGS.map((f) => [f, { type: 'string' as const }])),
        ...Object.fromEntries(BOOLEAN_FLAGS.map((f) => [f, { type: 'boolean' as const }])),
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      tokens: true,
    });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)} (see --help)`);
  }
  // parseArgs keeps the last of a repeated flag; which one the user meant is not ours to guess.
  const given = new Map<string, string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option') continue;
    const text = token.value === undefined ? token.rawName : `${token.rawName} ${token.value}`;
    const earlier = given.get(token.name);
    if (earlier !== undefined) throw new UsageError(`--${token.name} is given twice ('${earlier}' and '${text}'); give it once`);
    given.set(token.name, text);
  }
  // An empty path would resolve to the current folder: --out '' wrote the model into it.
  for (const [flag, what] of [['out', 'a folder'], ['data', 'a file'], ['eval', 'a file']] as const) {
    const value = (parsed.values as Record<string, unknown>)[flag];
    if (typeof value === 'string' && value.trim() === '') throw new UsageError(`--${flag} expects ${what}, got '${value}'`);
  }
  return parsed.values as Values;
}
