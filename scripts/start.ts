// `npm start`: trains the course's phone-price classifier on WebGPU (in Node on Dawn, or in headless
// Chrome with --runtime chrome), prints the test accuracy and a confusion matrix, and writes the model
// (safetensors), the metrics (JSON) and a loss/accuracy plot (SVG from Node, PNG from Chrome). `npm start -- --eval model.safetensors` evaluates a saved model.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeModel, MAX_CONFUSION_CLASSES, modelConfigProblems, type EpochReport, type ModelConfig, type RunConfig } from '../src/run-config';
import { labelsLookContinuous, parseCsv, StandardScaler, subset, trainTestSplit, type Dataset } from '../src/data';
import { decodeModelFile, encodeModelFile, nonFiniteState } from '../src/model-file';
import type { StateDict } from '../src/nn';
import type { EvaluateRequest, Failure, TrainListeners, TrainRequest, TrainResult, WireData } from '../src/runner';
import type { Evaluation } from '../src/run-config';
import { delimiter, HELP, otherPlot, outputs, runtimeOf, parseCommandLine, progressSeconds, runConfig, TRAINING_FLAGS, UsageError, variantPolicy, boundsChecks, type Values } from './cli-args';
import { MNIST_HELP, mnistCommand } from './mnist';
import { divergedLossWarning, prepareOutDir, printTuning, removeFoldersOnExit, shown, userPath, writeFileSet } from './output';
import { trainingProgress } from './progress';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DEFAULT_DATA = path.join(ROOT, 'data', 'mobile-price.csv');

/** base64 → Float32Array. (Buffer.from(...).buffer may be Node's shared pool: copy just our bytes.) */
function float32FromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

const wire = (d: Dataset): WireData => ({ x: Buffer.from(d.x.buffer, d.x.byteOffset, d.x.byteLength).toString('base64'), y: Buffer.from(d.y.buffer, d.y.byteOffset, d.y.byteLength).toString('base64'), rows: d.rows });

/** Reads and checks a CSV; warnings go to stderr. Returns the data and the file's SHA-256. */
function readData(file: string, label: string | undefined, values: Values): { data: Dataset; sha256: string } {
  let bytes: Buffer;
  try {
    if (fs.statSync(file).isDirectory()) throw new UsageError(`${file}: is a folder; --data expects a CSV file`);
    bytes = fs.readFileSync(file);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${file}: no such file` : `${file}: cannot read (${code ?? String(error)})`);
  }
  const data = parseCsv(csvText(bytes, file), file, { ...(label === undefined ? {} : { label }), delimiter: delimiter(values), warn: (m) => console.error(`warning: ${m}`) });
  return { data, sha256: crypto.createHash('sha256').update(bytes).digest('hex') };
}

/**
 * The file as UTF-8; a file that is not (a spreadsheet's Latin-1 export) is read as Latin-1, with a
 * warning naming the line. A UTF-16 file (Excel's "Unicode text") is read as such: its byte-order
 * mark says so.
 */
function csvText(bytes: Buffer, file: string): string {
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : null;
  if (utf16) {
    try {
      return new TextDecoder(utf16, { fatal: true }).decode(bytes);
    } catch {
      throw new UsageError(`${file}: starts with a UTF-16 byte-order mark but is not valid ${utf16.toUpperCase()}; save it as UTF-8`);
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    const text = bytes.toString('utf8');
    const line = text.slice(0, text.indexOf('\uFFFD')).split('\n').length;
    console.error(`warning: ${file}:${line}: not UTF-8; the file is read as Latin-1 (save it as UTF-8 to be sure of its names)`);
    return bytes.toString('latin1');
  }
}

/** The most classes whose confusion matrix is printed: a terminal's width (metrics.json keeps up to MAX_CONFUSION_CLASSES). */
const MAX_PRINTED_CLASSES = 20;

function printConfusion(confusion: number[][] | null, classes: string[]): void {
  if (!confusion || classes.length > MAX_PRINTED_CLASSES) {
    const where = confusion ? 'it is in metrics.json (test.confusion)' : `it is not kept past ${MAX_CONFUSION_CLASSES} classes`;
    console.log(`confusion matrix: ${classes.length} classes, too many to print; ${where}`);
    return;
  }
  const width = Math.max(6, ...classes.map((c) => c.length + 1));
  console.log('confusion matrix (rows: true class, columns: predicted)');
  console.log(' '.repeat(width) + classes.map((c) => c.padStart(width)).join(''));
  confusion.forEach((row, i) => console.log(classes[i]!.padStart(width) + row.map((n) => String(n).padStart(width)).join('')));
}

/** Where training runs: the page in headless Chrome, or this process on Dawn (scripts/node-session.ts). */
export interface Session {
  train(request: TrainRequest, listeners: Required<TrainListeners>): Promise<TrainResult | Failure>;
  evaluate(request: EvaluateRequest): Promise<Evaluation | Failure>;
  /** Chrome draws a PNG with Chart.js; Node, without a browser, an SVG. */
  plot(reports: EpochReport[], title: string): Promise<Uint8Array>;
}

async function withSession<T>(values: Values, body: (session: Session) => Promise<T>): Promise<T> {
  const debug = values.debug === true;
  if (runtimeOf(values) === 'chrome') {
    // Puppeteer and Vite load only here: a second and more on every run (and every error) otherwise.
    const { withRunnerPage } = await import('./chrome');
    return withRunnerPage(debug, (page) =>
      body({
        async train(request, { onEpoch, onProgress }) {
          await page.exposeFunction('wgslgradReport', onEpoch);
          await page.exposeFunction('wgslgradProgress', onProgress);
          return page.evaluate((r) => window.runner!.train(r), request);
        },
        evaluate: (request) => page.evaluate((r) => window.runner!.evaluate(r), request),
        plot: async (reports, title) => Buffer.from(await page.evaluate((r, t) => window.runner!.plot(r, t), reports, title), 'base64'),
      }),
      variantPolicy(values),
    );
  }
  const session = await (await import('./node-session')).openNodeSession(debug, variantPolicy(values), boundsChecks(values));
  try {
    return await body(session);
  } finally {
    session.close();
  }
}

async function trainCommand(values: Values): Promise<void> {
  const { config, lrNote, advice } = runConfig(values);
  const interactive = process.stdout.isTTY === true;
  const progressEvery = progressSeconds(values, interactive);
  // The output folder first: a bad --out fails now, not after the training.
  const outDir = userPath((values.out as string | undefined) ?? 'out');
  const created = prepareOutDir(outDir, outputs(runtimeOf(values)));
  removeFoldersOnExit(created); // a failed run leaves no empty folder behind
  await train(values, config, lrNote, advice, outDir, interactive, progressEvery);
}

async function train(values: Values, config: RunConfig, lrNote: string, advice: string, outDir: string, interactive: boolean, progressEvery: number): Promise<void> {
  const dataPath = values.data === undefined ? DEFAULT_DATA : userPath(values.data as string);
  const { data, sha256 } = readData(dataPath, values.label as string | undefined, values);
  let split;
  try {
    split = trainTestSplit(data, { trainSize: 0.8, seed: config.seed });
  } catch (error) {
    const continuous = values.label === undefined && labelsLookContinuous(data);
    const hint = continuous ? `; the label column '${data.label}' (the last column, the default) looks continuous (${data.classes.length} distinct numbers in ${data.rows} rows): if the label is another column, name it with --label` : '';
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}${hint}`);
  }
  const perClass = data.rows / data.classes.length;
  if (data.classes.length > 100 && perClass < 5) {
    const hint = values.label === undefined ? `: if the label is another column, name it with --label` : ': few to learn each from';
    console.error(`warning: ${dataPath}: the label column '${data.label}' has ${data.classes.length} classes in ${data.rows} rows (${perClass.toFixed(1)} rows a class)${hint}`);
  }
  if (split.train.rows < config.batchSize) throw new UsageError(`${dataPath}: the training split has ${split.train.rows} rows, fewer than one batch of ${config.batchSize}`);
  const model: ModelConfig = { features: data.features.length, classes: data.classes.length, hidden: config.hidden, activation: config.activation, dropout: config.dropout, batchNorm: config.batchNorm };
  const problems = modelConfigProblems(model);
  if (problems.length) throw new UsageError(`the model cannot be built: ${problems.join('; ')}`);
  const scaler = config.standardize ? StandardScaler.fit(split.train) : null;
  if (scaler && ![...scaler.mean, ...scaler.scale].every(Number.isFinite)) throw new UsageError(`${dataPath}: the feature scaler came out non-finite; rescale the columns`);
  const [trainSet, testSet] = scaler ? [scaler.transform(split.train), scaler.transform(split.test)] : [split.train, split.test];
  const { hidden, activation, dropout, batchNorm, ...training } = config;
  const summary = `${describeModel(model)}; ${config.optimizer} lr ${config.lr}, batch ${config.batchSize}`;
  console.log(`data: ${dataPath} — ${data.rows} rows, ${data.features.length} features, label '${data.label}' with ${data.classes.length} classes; ${split.train.rows} train / ${split.test.rows} test (stratified, seed ${config.seed})`);
  console.log(`model: ${describeModel(model)}; ${config.optimizer} lr ${config.lr}${lrNote}, batch ${config.batchSize}, ${config.epochs} epochs; ${scaler ? 'standardised' : 'raw'} features`);
  if (advice) console.error(`note: ${advice}`);

  const stepsPerEpoch = Math.ceil(trainSet.rows / config.batchSize);
  const result = await withSession(values, async (session) => {
    const progress = trainingProgress(config.epochs, stepsPerEpoch, interactive);
    try {
      const request: TrainRequest = { model, training, features: data.features, classes: data.classes, train: wire(trainSet), test: wire(testSet), progressSeconds: progressEvery };
      const trained = await session.train(request, { onEpoch: progress.onEpoch, onProgress: progress.onProgress });
      if ('error' in trained) throw new Error(trained.error);
      return { ...trained, plot: await session.plot(trained.reports, summary) };
    } finally {
      progress.stop();
    }
  });

  printTuning(result.tuning, runtimeOf(values));
  const trainSeconds = result.reports.reduce((a, r) => a + r.seconds, 0);
  const steps = result.reports.reduce((a, r) => a + r.steps, 0);
  console.log(`training: ${trainSeconds.toFixed(1)} s for ${steps} steps (${(steps / trainSeconds).toFixed(0)} steps/s, ${((trainSeconds / steps) * 1000).toFixed(2)} ms/step, ${result.reports.at(-1)?.dispatchesPerStep.toFixed(0)} dispatches/step)`);
  const state: StateDict = new Map(result.state.map((s) => [s.name, { shape: s.shape, dtype: s.dtype, values: float32FromBase64(s.values) }]));
  // Defence in depth: the kernels keep NaN NaN, so a NaN weight reaches the loss and its guard first.
  const nonFinite = nonFiniteState(state);
  if (nonFinite.length) throw new UsageError(`training diverged: NaN or infinite values in ${nonFinite.join(', ')}; no model was written and ${shown(outDir)} is unchanged. Try a smaller --lr${scaler ? '' : ' or --standardize'}`);
  const diverged = divergedLossWarning(result.reports.at(-1)!.loss, data.classes.length, `Try a smaller --lr${scaler ? '' : ' or --standardize'}`);
  if (diverged) console.error(diverged);
  const modelFile = encodeModelFile({ model, features: data.features, label: data.label, classes: data.classes, scaler: scaler && { mean: scaler.mean, scale: scaler.scale }, testRows: split.testRows, training, testAccuracy: result.test.accuracy, state, data: { name: path.basename(dataPath), sha256, rows: data.rows } });
  const metrics = `${JSON.stringify({ data: dataPath, sha256, config, epochs: result.reports, test: { accuracy: result.test.accuracy, confusion: result.test.confusion, classes: data.classes }, trainSeconds, boundsChecks: boundsChecks(values) }, null, 2)}\n`;
  const files = outputs(runtimeOf(values));
  const [modelName, metricsName, plotName] = files;
  writeFileSet([
    { file: path.join(outDir, modelName), data: modelFile },
    { file: path.join(outDir, metricsName), data: metrics },
    { file: path.join(outDir, plotName), data: result.plot },
  ], undefined, [path.join(outDir, otherPlot(runtimeOf(values)))]);
  console.log(`wrote ${files.join(', ')} in ${shown(outDir)}`);
  printConfusion(result.test.confusion, data.classes);
  console.log(`test accuracy: ${result.test.accuracy.toFixed(4)}`);
}

/** How two lists of feature names differ, in words; null when they are equal. */
function featureDifference(model: string[], data: string[]): string | null {
  const missing = model.filter((f) => !data.includes(f));
  const extra = data.filter((f) => !model.includes(f));
  const list = (names: string[]) => names.slice(0, 8).map((n) => `'${n}'`).join(', ') + (names.length > 8 ? `, … (${names.length} in all)` : '');
  if (missing.length || extra.length) return [missing.length ? `missing ${list(missing)}` : '', extra.length ? `not in the model: ${list(extra)}` : ''].filter(Boolean).join('; ');
  const at = model.findIndex((f, i) => f !== data[i]);
  return at < 0 ? null : `the same features in another order (column ${at + 1} is '${data[at]}', the model's feature ${at + 1} is '${model[at]}')`;
}

async function evalCommand(values: Values): Promise<void> {
  const ignored = TRAINING_FLAGS.filter((f) => values[f] !== undefined);
  if (ignored.length) throw new UsageError(`${ignored.map((f) => `--${f}`).join(', ')} cannot be used with --eval: the model file fixes the architecture, the training and the test split`);
  const file = userPath(values.eval as string);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new UsageError(`${file}: cannot read the model (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const saved = decodeModelFile(bytes, file);
  // Said before reading: the default data would fail on the model's label or features instead.
  if (values.data === undefined && saved.data && saved.data.name !== path.basename(DEFAULT_DATA)) throw new UsageError(`${shown(file)} was trained on ${saved.data.name} (${saved.data.rows} rows), not on the default data: pass that file with --data`);
  const dataPath = values.data === undefined ? DEFAULT_DATA : userPath(values.data as string);
  const { data, sha256 } = readData(dataPath, (values.label as string | undefined) ?? saved.label, values);
  // Said first: a different file explains the errors that may follow.
  if (saved.data && saved.data.sha256 !== sha256) {
    console.error(`warning: ${shown(file)} was trained on ${saved.data.name} (${saved.data.rows} rows, sha256 ${saved.data.sha256.slice(0, 12)}…), not on ${dataPath} (${data.rows} rows, sha256 ${sha256.slice(0, 12)}…); its test rows are taken from this file by index, so they may include rows the model trained on`);
  }
  const difference = featureDifference(saved.features, data.features);
  if (difference) throw new UsageError(`${dataPath}: its features differ from those of the model ${shown(file)}: ${difference}`);
  if (data.classes.join(',') !== saved.classes.join(',')) throw new UsageError(`${dataPath}: its classes (${data.classes.join(', ')}) differ from the model's (${saved.classes.join(', ')})`);
  const outside = saved.testRows.find((r) => r >= data.rows);
  if (outside !== undefined) throw new UsageError(`${dataPath}: has ${data.rows} rows, but the model's test split includes row ${outside}`);
  let test = subset(data, saved.testRows);
  if (saved.scaler) test = new StandardScaler(saved.scaler.mean, saved.scaler.scale).transform(test);
  const state = [...saved.state].map(([name, e]) => ({ name, shape: e.shape, dtype: e.dtype, values: Buffer.from(e.values.buffer, e.values.byteOffset, e.values.byteLength).toString('base64') }));
  const evaluation = await withSession(values, (session) =>
    session.evaluate({ model: saved.model, state, features: saved.features, classes: saved.classes, test: wire(test) }),
  );
  if ('error' in evaluation) throw new Error(`${file}: ${evaluation.error}`);
  console.log(`model: ${file} (${describeModel(saved.model)}); test accuracy when saved: ${saved.testAccuracy.toFixed(4)}`);
  printConfusion(evaluation.confusion, saved.classes);
  console.log(`test accuracy: ${evaluation.accuracy.toFixed(4)}`);
}

async function main(): Promise<void> {
  const values = parseCommandLine(process.argv.slice(2));
  if (values.help) {
    console.log(`${HELP}\n\nOther tasks:\n${MNIST_HELP}`);
    return;
  }
  // The task switch: --task mnist runs scripts/mnist.ts; the phone-price classifier is the default.
  if (values.runtime !== undefined && values.runtime !== 'node' && values.runtime !== 'chrome') throw new UsageError(`--runtime expects node or chrome, got '${values.runtime}'`);
  variantPolicy(values); // checked now, not after the data is read
  boundsChecks(values);
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
