// `npm start -- --task mnist`: trains MnistCNN (src/cnn.ts) on the committed MNIST digits in Node on
// Dawn or (--runtime chrome) in headless Chrome, through src/runner.ts either way, with the same progress bar and outputs as the phone-price run: model.safetensors (loads into
// scripts/mnist_cnn.py's MnistCNN), metrics.json and the plot (training.svg; training.png from Chrome), in out/mnist by default. Ends
// with "test accuracy: 0.XXXX". `--task mnist --eval FILE` evaluates a saved model on its test rows.
import fs from 'node:fs';
import path from 'node:path';
import type { Failure, MnistTrainResult, TrainListeners, WireState } from '../src/runner';
import { encodeMnistModel, MNIST_CNN_ARCHITECTURE, MNIST_DEFAULTS, readMnistModel, type MnistTraining } from '../src/mnist';
import type { StateDict } from '../src/nn';
import type { EpochReport, Evaluation } from '../src/run-config';
import { decimal, isLearningRate, LR_EXPECTED } from '../src/run-config';
import { nonFiniteState } from '../src/model-file';
import { otherPlot, outputs, progressSeconds, runtimeOf, UsageError, variantPolicy, boundsChecks } from './cli-args';
import { divergedLossWarning, prepareOutDir, printTuning, removeFoldersOnExit, shown, userPath, writeFileSet } from './output';
import { trainingProgress } from './progress';

export const MNIST_HELP = `  --task mnist        train the MNIST CNN instead (${MNIST_CNN_ARCHITECTURE});
                      takes --epochs (5), --batch-size (32), --lr (0.001), --seed (0), --out (out/mnist),
                      --eval FILE, --progress S, --runtime, --variant-policy, --no-bounds-checks and --debug`;

const ALLOWED = new Set(['task', 'epochs', 'batch-size', 'lr', 'seed', 'out', 'eval', 'progress', 'runtime', 'variant-policy', 'debug', 'no-bounds-checks']);

type Values = Record<string, string | boolean | undefined>;

/** The stratified 80% of the 10,000 digits that trains. */
const MNIST_TRAIN_ROWS = 8000;
/** Classes: the digits 0–9. */
const DIGITS = 10;

function fail(message: string): never {
  throw new UsageError(message);
}

function trainingOf(values: Values): MnistTraining {
  const extra = Object.keys(values).filter((k) => values[k] !== undefined && !ALLOWED.has(k));
  if (extra.length) fail(`--${extra[0]} does not apply to --task mnist (it takes ${[...ALLOWED].filter((k) => k !== 'task').map((k) => `--${k}`).join(', ')})`);
  const c = { ...MNIST_DEFAULTS };
  const int = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) => {
    const v = decimal(String(values[name]));
    const range = max === Number.MAX_SAFE_INTEGER ? (min === 1 ? 'a positive integer' : `an integer ≥ ${min}`) : `an integer in [${min}, ${max}]`;
    if (!Number.isInteger(v) || v < min || v > max) fail(`--${name} expects ${range}, got '${values[name]}'`);
    return v;
  };
  if (values.epochs !== undefined) c.epochs = int('epochs', 1);
  if (values['batch-size'] !== undefined) c.batchSize = int('batch-size', 1, MNIST_TRAIN_ROWS);
  if (values.seed !== undefined) c.seed = int('seed', 0, 2 ** 32 - 1);
  if (values.lr !== undefined) {
    c.lr = decimal(String(values.lr));
    if (!isLearningRate(c.lr)) fail(`--lr expects ${LR_EXPECTED}, got '${values.lr}'`);
  }
  return c;
}

interface MnistSession {
  train(config: MnistTraining, listeners: Required<TrainListeners>, progressSeconds: number): Promise<MnistTrainResult | Failure>;
  evaluate(request: { state: WireState[]; testRows: number[] }): Promise<Evaluation | Failure>;
  plot(reports: EpochReport[], title: string): Promise<Uint8Array>;
}


/** The page in headless Chrome, or this process on Dawn (scripts/node-session.ts). */
async function withSession<T>(values: Values, body: (session: MnistSession) => Promise<T>): Promise<T> {
  const debug = values.debug === true;
  if (values.runtime === 'chrome') {
    // Puppeteer and Vite load only here: a second and more on every run (and every error) otherwise.
    const { withRunnerPage } = await import('./chrome');
    return withRunnerPage(debug, (page) =>
      body({
        async train(config, { onEpoch, onProgress }, progressSeconds) {
          await page.exposeFunction('wgslgradReport', onEpoch);
          await page.exposeFunction('wgslgradProgress', onProgress);
          return page.evaluate((c, s) => window.runner!.mnist!.train(c, s), config, progressSeconds);
        },
        evaluate: (request) => page.evaluate((r) => window.runner!.mnist!.evaluate(r), request),
        plot: async (reports, title) => Buffer.from(await page.evaluate((r, t) => window.runner!.plot(r, t), reports, title), 'base64'),
      }),
      variantPolicy(values),
    );
  }
  const session = await (await import('./node-session')).openNodeSession(debug, variantPolicy(values), boundsChecks(values));
  try {
    return await body({ ...session.mnist, plot: session.plot });
  } finally {
    session.close();
  }
}

const toState = (wire: WireState[]): StateDict => new Map(wire.map((s) => { const b = Buffer.from(s.values, 'base64'); return [s.name, { shape: s.shape, dtype: s.dtype, values: new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)) }]; }));

function printConfusion(confusion: number[][]): void {
  console.log('confusion matrix (rows: true digit, columns: predicted)');
  console.log('     ' + confusion.map((_, i) => String(i).padStart(5)).join(''));
  confusion.forEach((row, i) => console.log(String(i).padStart(5) + row.map((n) => String(n).padStart(5)).join('')));
}

async function train(values: Values): Promise<void> {
  const config = trainingOf(values);
  // The output folder first: a bad --out fails now, not after minutes of training.
  const outDir = userPath((values.out as string | undefined) ?? path.join('out', 'mnist'));
  const created = prepareOutDir(outDir, outputs(runtimeOf(values)));
  removeFoldersOnExit(created); // a failed run leaves no empty folder behind
  await trainInto(values, config, outDir);
}

async function trainInto(values: Values, config: MnistTraining, outDir: string): Promise<void> {
  const interactive = process.stdout.isTTY === true;
  const progressEvery = progressSeconds(values, interactive); // a bad --progress fails before anything is printed
  console.log(`data: data/mnist-10k.u8.gz — 10,000 MNIST digits (the mnist npm package), 28×28; 8,000 train / 2,000 test (stratified, seed ${config.seed})`);
  console.log(`model: ${MNIST_CNN_ARCHITECTURE}; adam lr ${config.lr}, batch ${config.batchSize}, ${config.epochs} epochs`);
  const result = await withSession(values, async (session) => {
    const progress = trainingProgress(config.epochs, Math.ceil(MNIST_TRAIN_ROWS / config.batchSize), interactive);
    try {
      const trained = await session.train(config, { onEpoch: progress.onEpoch, onProgress: progress.onProgress }, progressEvery);
      if ('error' in trained) throw new Error(trained.error);
      return { ...trained, plot: await session.plot(trained.reports, `MNIST CNN, adam lr ${config.lr}, batch ${config.batchSize}`) };
    } finally {
      progress.stop();
    }
  });
  printTuning(result.tuning, runtimeOf(values));
  const trainSeconds = result.reports.reduce((a, r) => a + r.seconds, 0);
  const steps = result.reports.reduce((a, r) => a + r.steps, 0);
  console.log(`training: ${trainSeconds.toFixed(1)} s for ${steps} steps (${(steps / trainSeconds).toFixed(1)} steps/s, ${((trainSeconds / steps) * 1000).toFixed(1)} ms/step, ${result.reports.at(-1)?.dispatchesPerStep.toFixed(0)} dispatches/step)`);
  const state = toState(result.state);
  // The loss can stay finite while a weight does not; a model file of NaNs would replace a good one.
  const nonFinite = nonFiniteState(state);
  if (nonFinite.length) fail(`training diverged: NaN or infinite values in ${nonFinite.join(', ')}; no model was written and ${shown(outDir)} is unchanged. Try a smaller --lr`);
  const diverged = divergedLossWarning(result.reports.at(-1)!.loss, DIGITS, 'Try a smaller --lr');
  if (diverged) console.error(diverged);
  const files = outputs(runtimeOf(values));
  const [modelName, metricsName, plotName] = files;
  writeFileSet([
    { file: path.join(outDir, modelName), data: encodeMnistModel(state, { testRows: result.testRows, training: config, testAccuracy: result.test.accuracy }) },
    { file: path.join(outDir, metricsName), data: `${JSON.stringify({ task: 'mnist', architecture: MNIST_CNN_ARCHITECTURE, config, epochs: result.reports, test: { accuracy: result.test.accuracy, confusion: result.test.confusion, classes: [...'0123456789'] }, trainSeconds }, null, 2)}\n` },
    { file: path.join(outDir, plotName), data: result.plot },
  ], undefined, [path.join(outDir, otherPlot(runtimeOf(values)))]);
  console.log(`wrote ${files.join(', ')} in ${shown(outDir)}`);
  printConfusion(result.test.confusion!); // 10 classes: always kept
  console.log(`test accuracy: ${result.test.accuracy.toFixed(4)}`);
}

async function evalModel(values: Values): Promise<void> {
  trainingOf(values);
  const ignored = ['epochs', 'batch-size', 'lr', 'seed', 'out'].filter((f) => values[f] !== undefined);
  if (ignored.length) fail(`${ignored.map((f) => `--${f}`).join(', ')} cannot be used with --eval: the model file fixes the training and the test split`);
  const file = userPath(values.eval as string);
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    fail(`${file}: cannot read the model (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const saved = readMnistModel(bytes, file);
  const state = [...saved.state].map(([name, e]) => ({ name, shape: e.shape, dtype: e.dtype, values: Buffer.from(e.values.buffer, e.values.byteOffset, e.values.byteLength).toString('base64') }));
  const evaluation = await withSession(values, (session) => session.evaluate({ state, testRows: saved.testRows }));
  if ('error' in evaluation) throw new Error(`${file}: ${evaluation.error}`);
  console.log(`model: ${file} (${MNIST_CNN_ARCHITECTURE}); test accuracy when saved: ${saved.testAccuracy.toFixed(4)}`);
  printConfusion(evaluation.confusion!);
  console.log(`test accuracy: ${evaluation.accuracy.toFixed(4)}`);
}

/** The entry point start.ts calls for --task mnist. */
export async function mnistCommand(values: Values): Promise<void> {
  if (values.eval !== undefined) await evalModel(values);
  else await train(values);
}
