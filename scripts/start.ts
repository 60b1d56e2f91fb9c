// `npm start`: trains the course's phone-price classifier on WebGPU in headless Chrome, prints the
// test accuracy and a confusion matrix, and writes the model (safetensors), the metrics (JSON) and
// a loss/accuracy plot (PNG). `npm start -- --eval model.safetensors` evaluates a saved model.
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { OPTIMIZERS, VARIANTS, type EpochReport, type ModelConfig, type OptimizerName, type RunConfig } from '../src/run-config';
import { parseCsv, StandardScaler, subset, trainTestSplit, type Dataset } from '../src/data';
import { decodeModelFile, encodeModelFile } from '../src/model-file';
import type { StateDict } from '../src/nn';
import type { Runner, TrainResult, WireData } from '../demos/runner';
import { launchChrome, startServer } from './chrome';
import { MNIST_HELP, mnistCommand } from './mnist';

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const DEFAULT_DATA = path.join(ROOT, 'data', 'mobile-price.csv');

const HELP = `Usage: npm start -- [options]

Trains an MLP classifier on a CSV with wgslgrad's WebGPU kernels, in headless Chrome.
Default: the course's tuned phone-price model on data/mobile-price.csv.

Model and training:
  --variant NAME      tuned (default: standardised inputs, 20→128→256→512→128→4, sigmoid, Adam 1e-4)
                      or baseline (raw inputs, 20→128→256→4, sigmoid, SGD 1e-3); flags below override it
  --epochs N          training epochs (50)
  --batch-size N      rows per step (8)
  --lr X              learning rate
  --optimizer NAME    ${OPTIMIZERS.join(', ')} (momentum is SGD with momentum 0.9)
  --hidden LIST       hidden layer sizes, comma-separated (e.g. 128,256); input and output sizes follow the data
  --activation NAME   sigmoid or relu
  --dropout P         dropout probability after each hidden layer (0 = none)
  --batch-norm        BatchNorm1d after each hidden Linear
  --no-standardize    use the raw features (--standardize to force scaling)
  --seed N            seed for the split, the init and the shuffles (0)
${MNIST_HELP}

Data:
  --data PATH         a CSV with a header row and numeric features (default: the embedded dataset)
  --label NAME        the label column (default: the last column); integer or string labels

Output:
  --out DIR           where model.safetensors, metrics.json and training.png go (./out)
  --eval PATH         evaluate a saved model on its test split instead of training
  --debug             print every WGSL source as it is compiled
  -h, --help          this text

The last line printed is "test accuracy: 0.XXXX".`;

class UsageError extends Error {}

function positiveInt(name: string, text: string): number {
  const v = Number(text);
  if (!Number.isInteger(v) || v <= 0) throw new UsageError(`--${name} expects a positive integer, got '${text}'`);
  return v;
}

function runConfig(values: Record<string, string | boolean | undefined>): RunConfig {
  const variant = (values.variant as string | undefined) ?? 'tuned';
  if (variant !== 'tuned' && variant !== 'baseline') throw new UsageError(`--variant expects tuned or baseline, got '${variant}'`);
  const c: RunConfig = { ...VARIANTS[variant], hidden: [...VARIANTS[variant].hidden] };
  if (values.epochs !== undefined) c.epochs = positiveInt('epochs', values.epochs as string);
  if (values['batch-size'] !== undefined) c.batchSize = positiveInt('batch-size', values['batch-size'] as string);
  if (values.seed !== undefined) {
    c.seed = Number(values.seed);
    if (!Number.isInteger(c.seed) || c.seed < 0 || c.seed >= 2 ** 32) throw new UsageError(`--seed expects an integer in [0, 2³²), got '${values.seed}'`);
  }
  if (values.lr !== undefined) {
    c.lr = Number(values.lr);
    if (!(c.lr > 0) || !Number.isFinite(c.lr)) throw new UsageError(`--lr expects a number > 0, got '${values.lr}'`);
  }
  if (values.optimizer !== undefined) {
    if (!OPTIMIZERS.includes(values.optimizer as OptimizerName)) throw new UsageError(`--optimizer expects one of ${OPTIMIZERS.join(', ')}, got '${values.optimizer}'`);
    c.optimizer = values.optimizer as OptimizerName;
  }
  if (values.hidden !== undefined) {
    const text = values.hidden as string;
    c.hidden = text.trim() === '' ? [] : text.split(',').map((h) => positiveInt('hidden', h.trim()));
  }
  if (values.activation !== undefined) {
    if (values.activation !== 'sigmoid' && values.activation !== 'relu') throw new UsageError(`--activation expects sigmoid or relu, got '${values.activation}'`);
    c.activation = values.activation;
  }
  if (values.dropout !== undefined) {
    c.dropout = Number(values.dropout);
    if (!(c.dropout >= 0 && c.dropout < 1)) throw new UsageError(`--dropout expects a probability in [0, 1), got '${values.dropout}'`);
  }
  if (values['batch-norm']) c.batchNorm = true;
  if (values.standardize) c.standardize = true;
  if (values['no-standardize']) c.standardize = false;
  return c;
}

/** base64 → Float32Array. (Buffer.from(...).buffer may be Node's shared pool: copy just our bytes.) */
function float32FromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

const wire = (d: Dataset): WireData => ({ x: Buffer.from(d.x.buffer, d.x.byteOffset, d.x.byteLength).toString('base64'), y: Buffer.from(d.y.buffer, d.y.byteOffset, d.y.byteLength).toString('base64'), rows: d.rows });

/** Writes through a temporary file and a rename, so a reader never sees a half-written file. */
function writeAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.tmp-${process.pid}`;
  try {
    fs.writeFileSync(temp, data);
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

function readData(file: string, label: string | undefined): Dataset {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? String(error)})`);
  }
  return parseCsv(text, file, label === undefined ? {} : { label });
}

function printConfusion(confusion: number[][], classes: string[]): void {
  const width = Math.max(6, ...classes.map((c) => c.length + 1));
  console.log(`confusion matrix (rows: true ${classes.length > 0 ? 'class' : ''}, columns: predicted)`);
  console.log(' '.repeat(width) + classes.map((c) => c.padStart(width)).join(''));
  confusion.forEach((row, i) => console.log(classes[i]!.padStart(width) + row.map((n) => String(n).padStart(width)).join('')));
}

async function withRunner<T>(debug: boolean, body: (runner: import('puppeteer').Page) => Promise<T>): Promise<T> {
  const { server, url } = await startServer();
  const browser = await launchChrome();
  try {
    const page = await browser.newPage();
    page.on('pageerror', (e) => console.error(`page error: ${e instanceof Error ? e.message : String(e)}`));
    if (debug) page.on('console', (m) => console.log(m.text()));
    await page.goto(`${url}/demos/runner.html${debug ? '?debug' : ''}`);
    await page.waitForFunction(() => window.runner !== undefined, { timeout: 120_000 });
    const { adapter, error } = await page.evaluate(() => ({ adapter: window.runner!.adapter, error: window.runner!.error }));
    if (!adapter) throw new Error(`no WebGPU adapter in headless Chrome: ${error}`);
    console.log(`WebGPU adapter: ${adapter.vendor} ${adapter.architecture}${adapter.isFallbackAdapter ? ' (fallback/software)' : ''}`);
    return await body(page);
  } finally {
    await browser.close();
    await server.close();
  }
}

async function trainCommand(values: Record<string, string | boolean | undefined>): Promise<void> {
  const config = runConfig(values);
  const dataPath = path.resolve((values.data as string | undefined) ?? DEFAULT_DATA);
  const data = readData(dataPath, values.label as string | undefined);
  const split = trainTestSplit(data, { trainSize: 0.8, seed: config.seed });
  if (split.train.rows < config.batchSize) throw new UsageError(`${dataPath}: the training split has ${split.train.rows} rows, fewer than one batch of ${config.batchSize}`);
  const scaler = config.standardize ? StandardScaler.fit(split.train) : null;
  const [trainSet, testSet] = scaler ? [scaler.transform(split.train), scaler.transform(split.test)] : [split.train, split.test];
  const model: ModelConfig = { features: data.features.length, classes: data.classes.length, hidden: config.hidden, activation: config.activation, dropout: config.dropout, batchNorm: config.batchNorm };
  const { hidden, activation, dropout, batchNorm, ...training } = config;
  console.log(`data: ${dataPath} — ${data.rows} rows, ${data.features.length} features, label '${data.label}' with ${data.classes.length} classes; ${split.train.rows} train / ${split.test.rows} test (stratified, seed ${config.seed})`);
  console.log(`model: ${[model.features, ...hidden, model.classes].join('→')} ${activation}${batchNorm ? ' + batch-norm' : ''}${dropout ? ` + dropout ${dropout}` : ''}; ${config.optimizer} lr ${config.lr}, batch ${config.batchSize}, ${config.epochs} epochs; ${scaler ? 'standardised' : 'raw'} features`);

  const outDir = path.resolve((values.out as string | undefined) ?? 'out');
  const interactive = process.stdout.isTTY === true;
  const bar = new cliProgress.SingleBar({ format: 'epoch {value}/{total} |{bar}| loss {loss} · train acc {acc} · {secs}s · {sps} steps/s', hideCursor: true }, cliProgress.Presets.shades_classic);

  const result = await withRunner(values.debug === true, async (page) => {
    await page.exposeFunction('wgslgradReport', (r: EpochReport) => {
      const fields = { loss: r.loss.toFixed(4), acc: r.accuracy.toFixed(4), secs: r.seconds.toFixed(2), sps: r.stepsPerSecond.toFixed(0) };
      if (interactive) bar.update(r.epoch, fields);
      else console.log(`epoch ${r.epoch}/${config.epochs}  loss ${fields.loss}  train acc ${fields.acc}  ${fields.secs}s  ${fields.sps} steps/s`);
    });
    if (interactive) bar.start(config.epochs, 0, { loss: '-', acc: '-', secs: '-', sps: '-' });
    try {
      const request = { model, training, features: data.features, classes: data.classes, train: wire(trainSet), test: wire(testSet) };
      const trained: TrainResult = await page.evaluate((r) => window.runner!.train(r), request);
      const png = await page.evaluate((reports, title) => window.runner!.plot(reports, title), trained.reports, `${[model.features, ...hidden, model.classes].join('→')} ${config.optimizer} lr ${config.lr}`);
      return { ...trained, png };
    } finally {
      if (interactive) bar.stop();
    }
  });

  const trainSeconds = result.reports.reduce((a, r) => a + r.seconds, 0);
  const steps = result.reports.reduce((a, r) => a + r.steps, 0);
  console.log(`training: ${trainSeconds.toFixed(1)} s for ${steps} steps (${(steps / trainSeconds).toFixed(0)} steps/s, ${((trainSeconds / steps) * 1000).toFixed(2)} ms/step, ${result.reports.at(-1)?.dispatchesPerStep.toFixed(0)} dispatches/step)`);
  const state: StateDict = new Map(result.state.map((s) => [s.name, { shape: s.shape, dtype: s.dtype, values: float32FromBase64(s.values) }]));
  const modelPath = path.join(outDir, 'model.safetensors');
  writeAtomic(modelPath, encodeModelFile({ model, features: data.features, label: data.label, classes: data.classes, scaler: scaler && { mean: scaler.mean, scale: scaler.scale }, testRows: split.testRows, training, testAccuracy: result.test.accuracy, state }));
  writeAtomic(path.join(outDir, 'metrics.json'), `${JSON.stringify({ data: dataPath, config, epochs: result.reports, test: { accuracy: result.test.accuracy, confusion: result.test.confusion, classes: data.classes }, trainSeconds }, null, 2)}\n`);
  writeAtomic(path.join(outDir, 'training.png'), Buffer.from(result.png, 'base64'));
  console.log(`wrote ${path.relative(process.cwd(), modelPath)}, metrics.json and training.png in ${path.relative(process.cwd(), outDir) || '.'}`);
  printConfusion(result.test.confusion, data.classes);
  console.log(`test accuracy: ${result.test.accuracy.toFixed(4)}`);
}

async function evalCommand(values: Record<string, string | boolean | undefined>): Promise<void> {
  const file = path.resolve(values.eval as string);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new UsageError(`${file}: cannot read the model (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const saved = decodeModelFile(bytes, file);
  const dataPath = path.resolve((values.data as string | undefined) ?? DEFAULT_DATA);
  const data = readData(dataPath, (values.label as string | undefined) ?? saved.label);
  if (data.features.join(',') !== saved.features.join(',')) throw new UsageError(`${dataPath}: its features (${data.features.length}) differ from the model's (${saved.features.length}: ${saved.features.join(', ')})`);
  if (data.classes.join(',') !== saved.classes.join(',')) throw new UsageError(`${dataPath}: its classes (${data.classes.join(', ')}) differ from the model's (${saved.classes.join(', ')})`);
  const outside = saved.testRows.find((r) => r >= data.rows);
  if (outside !== undefined) throw new UsageError(`${dataPath}: has ${data.rows} rows, but the model's test split includes row ${outside}`);
  let test = subset(data, saved.testRows);
  if (saved.scaler) test = new StandardScaler(saved.scaler.mean, saved.scaler.scale).transform(test);
  const state = [...saved.state].map(([name, e]) => ({ name, shape: e.shape, dtype: e.dtype, values: Buffer.from(e.values.buffer, e.values.byteOffset, e.values.byteLength).toString('base64') }));
  const evaluation = await withRunner(values.debug === true, (page) =>
    page.evaluate((r) => window.runner!.evaluate(r), { model: saved.model, state, features: saved.features, classes: saved.classes, test: wire(test) }),
  );
  console.log(`model: ${file} (${[saved.model.features, ...saved.model.hidden, saved.model.classes].join('→')} ${saved.model.activation}); test accuracy when saved: ${saved.testAccuracy.toFixed(4)}`);
  printConfusion(evaluation.confusion, saved.classes);
  console.log(`test accuracy: ${evaluation.accuracy.toFixed(4)}`);
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        variant: { type: 'string' }, epochs: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' }, optimizer: { type: 'string' },
        hidden: { type: 'string' }, activation: { type: 'string' }, dropout: { type: 'string' }, 'batch-norm': { type: 'boolean' }, standardize: { type: 'boolean' },
        'no-standardize': { type: 'boolean' }, seed: { type: 'string' }, data: { type: 'string' }, label: { type: 'string' }, out: { type: 'string' },
        eval: { type: 'string' }, debug: { type: 'boolean' }, help: { type: 'boolean', short: 'h' }, task: { type: 'string' },
      },
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(`${error instanceof Error ? error.message : String(error)} (see --help)`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) {
    console.log(HELP);
    return;
  }
  // The task switch: --task mnist runs scripts/mnist.ts; the phone-price classifier is the default.
  if (values.task === 'mnist') return mnistCommand(values);
  if (values.task !== undefined && values.task !== 'phone-price') throw new UsageError(`--task expects mnist or phone-price, got '${values.task}'`);
  if (values.eval !== undefined) await evalCommand(values);
  else await trainCommand(values);
}

main().catch((error: unknown) => {
  const message = error instanceof Error ? error.message : String(error);
  console.error(`error: ${message}`);
  if (!(error instanceof UsageError) && process.env.WGSLGRAD_DEBUG) console.error(error);
  process.exit(1);
});
