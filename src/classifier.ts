// The course's case study: an MLP classifier (its PhonePriceModel, linear1 … linearN with an activation
// between) trained with cross-entropy, and its two configurations. Runs in the browser, where WebGPU
// lives; `npm start` drives it headless, the demo page drives it visibly.
import type { Gpu } from './device/gpu';
import type { Dataset } from './data';
import { DataLoader } from './data';
import { manualSeed } from './init';
import { BatchNorm1d, CrossEntropyLoss, Dropout, Linear, Module, ReLU, Sigmoid } from './nn';
import { makeScheduler, ReduceLROnPlateau } from './lr-scheduler';
import { Adagrad, Adam, RMSprop, SGD, type Optimizer } from './optim';
import type { Parameter } from './parameters';
import { withoutGrad, Tensor } from './tensor';
import { MAX_CONFUSION_CLASSES, OPTIMIZERS, parseLrSchedule, type EpochReport, type Evaluation, type ModelConfig, type OptimizerName, type StepProgress, type TrainConfig } from './run-config';

export * from './run-config';

/** linear1 … linearN, with optional bn_i and dropout_i after each hidden layer. */
export class MLP extends Module {
  private readonly blocks: { linear: Linear; bn?: BatchNorm1d; dropout?: Dropout }[] = [];

  constructor(
    readonly config: ModelConfig,
    gpu: Gpu,
  ) {
    super(gpu);
    const sizes = [config.features, ...config.hidden, config.classes];
    for (let i = 0; i + 1 < sizes.length; i++) {
      const n = i + 1;
      const linear = new Linear(sizes[i]!, sizes[i + 1]!, { gpu });
      (this as Record<string, unknown>)[`linear${n}`] = linear;
      const block: (typeof this.blocks)[number] = { linear };
      if (i + 2 < sizes.length) {
        if (config.batchNorm) (this as Record<string, unknown>)[`bn${n}`] = block.bn = new BatchNorm1d(sizes[i + 1]!, { gpu });
        if (config.dropout > 0) (this as Record<string, unknown>)[`dropout${n}`] = block.dropout = new Dropout(config.dropout, { gpu });
      }
      this.blocks.push(block);
    }
  }

  override describe(): string {
    const c = this.config;
    return `MLP(${[c.features, ...c.hidden, c.classes].join('→')}, ${c.activation}${c.batchNorm ? ', batch-norm' : ''}${c.dropout ? `, dropout ${c.dropout}` : ''})`;
  }

  override outputShape(input: readonly number[]): readonly number[] {
    return this.blocks.reduce((shape, b) => b.linear.outputShape(shape), input);
  }

  forward(x: Tensor): Tensor {
    this.outputShape(x.shape);
    const last = this.blocks.length - 1;
    this.blocks.forEach((b, i) => {
      if (i === last) {
        x = b.linear.forward(x);
      } else if (b.bn) {
        // the activation follows the normalisation, so it cannot fuse into the matmul
        x = b.bn.forward(b.linear.forward(x));
        x = this.activation(x, i);
      } else {
        x = b.linear.forward(x, this.config.activation);
      }
      if (b.dropout) x = b.dropout.forward(x);
    });
    return x;
  }

  // Kept in a Map, not as properties: activations hold no state and take no name in the state dict.
  private readonly activations = new Map<number, Module>();

  private activation(x: Tensor, layer: number): Tensor {
    let module = this.activations.get(layer);
    if (!module) {
      module = this.config.activation === 'sigmoid' ? new Sigmoid({ gpu: this.gpu }) : new ReLU({ gpu: this.gpu });
      this.activations.set(layer, module);
    }
    return module.forward(x);
  }
}

export function makeOptimizer(name: OptimizerName, params: Iterable<Parameter>, lr: number): Optimizer {
  switch (name) {
    case 'sgd':
      return new SGD(params, { lr });
    case 'momentum':
      return new SGD(params, { lr, momentum: 0.9 });
    case 'adagrad':
      return new Adagrad(params, { lr });
    case 'rmsprop':
      return new RMSprop(params, { lr });
    case 'adam':
      return new Adam(params, { lr });
    default:
      throw new Error(`unknown optimizer '${String(name)}' (expected ${OPTIMIZERS.join(', ')})`);
  }
}

export class NonFiniteLossError extends Error {
  constructor(
    readonly epoch: number,
    /** The first batch (from 1) whose loss was NaN or infinite; 0 when every batch's loss was finite but their sum overflowed. */
    readonly step: number,
    /** The step after which training stopped (the guard looks every few steps). */
    readonly stoppedAfter: number,
  ) {
    super(
      step > 0
        ? `the training loss became NaN or infinite at epoch ${epoch}, step ${step}; training stopped and no model was written`
        : `the training loss overflowed float32 in epoch ${epoch} (each batch's loss was finite, their sum was not: training is diverging); training stopped after step ${stoppedAfter} and no model was written`,
    );
  }
}

export interface TrainOptions {
  /** Called every `checkEvery` steps with the epoch's progress so far. */
  onProgress?: (progress: StepProgress) => void | Promise<void>;
  /** How often (in steps) the loop reads the epoch's metrics to look for a NaN loss. */
  checkEvery?: number;
  /** The shape of one example (default: [features]; an image: [C, H, W]). */
  inputShape?: readonly number[];
}

/**
 * Trains with one submission per step. The loss's metrics (sums, and the first non-finite batch)
 * accumulate on the GPU; every `checkEvery` steps the loop starts reading them back and looks at the
 * read it started the time before, which the GPU has long finished, so no step waits for a readback
 * and the CPU stays at most 2 · checkEvery steps ahead of the GPU. Stops with NonFiniteLossError
 * within 2 · checkEvery steps of the first NaN or infinite batch loss.
 */
export async function train(gpu: Gpu, model: Module, data: Dataset, config: TrainConfig, onEpoch: (report: EpochReport) => void | Promise<void> = () => {}, options: TrainOptions = {}): Promise<EpochReport[]> {
  const { onProgress, checkEvery = 16, inputShape = [data.features.length] } = options;
  if (!Number.isInteger(checkEvery) || checkEvery < 1) throw new Error(`train: option 'checkEvery' expected a positive integer, got ${checkEvery}`);
  if (data.rows < config.batchSize) throw new Error(`the training split has ${data.rows} rows, fewer than one batch of ${config.batchSize}`);
  // A class index past the classes would only show as a NaN loss (the kernel cannot raise): named here.
  const badRow = data.y.findIndex((c) => c >= data.classes.length);
  if (badRow >= 0) throw new Error(`${data.source ?? 'the training data'}: training row ${badRow} (from 0) has class index ${data.y[badRow]}, outside the ${data.classes.length} classes [0, ${data.classes.length})`);
  const loader = new DataLoader(data, { batchSize: config.batchSize, shuffle: true, seed: config.seed });
  const lossFn = new CrossEntropyLoss({ gpu });
  const optimizer = makeOptimizer(config.optimizer, model.parameters(), config.lr);
  const scheduler = makeScheduler(parseLrSchedule(config.lrSchedule ?? 'none'), optimizer, config.epochs);
  const inputs = new Map<number, { x: Tensor; y: Tensor }>();
  const reports: EpochReport[] = [];
  try {
    model.train();
    for (let epoch = 1; epoch <= config.epochs; epoch++) {
      const started = performance.now();
      const lr = optimizer.paramGroups[0]!.lr;
      const tuningBefore = { ...gpu.tuner.stats };
      const dispatchesBefore = gpu.stats.dispatches;
      lossFn.resetMetrics();
      let steps = 0;
      let inFlight: { step: number; metrics: ReturnType<CrossEntropyLoss['readMetrics']> } | null = null;
      const look = async (m: Awaited<ReturnType<CrossEntropyLoss['readMetrics']>>, step: number) => {
        if (m.firstNonFiniteBatch > 0 || !Number.isFinite(m.loss)) throw new NonFiniteLossError(epoch, m.firstNonFiniteBatch, steps);
        await onProgress?.({ epoch, step, steps: loader.length, loss: m.loss, seconds: (performance.now() - started) / 1000 });
      };
      for (const batch of loader.batches(epoch)) {
        let io = inputs.get(batch.size);
        if (!io) {
          io = { x: Tensor.empty(gpu, [batch.size, ...inputShape], 'f32', 'batch x'), y: Tensor.empty(gpu, [batch.size], 'u32', 'batch y') };
          inputs.set(batch.size, io);
        }
        io.x.write(batch.x); // submits the previous step first
        io.y.write(batch.y);
        optimizer.zeroGrad();
        lossFn.forward(model.forward(io.x), io.y).backward();
        optimizer.step();
        steps++;
        if (steps % checkEvery === 0 && steps < loader.length) {
          // Tune here, awaited: a read left in flight would tune while the next steps are recorded,
          // and their work would count (and be timed) as tuning.
          if (gpu.tuner.hasPending) await gpu.tuner.tunePending();
          const previous = inFlight;
          inFlight = { step: steps, metrics: lossFn.readMetrics() };
          inFlight.metrics.catch(() => {}); // handled where it is awaited; never an unhandled rejection
          if (previous) await look(await previous.metrics, previous.step);
        }
      }
      if (inFlight) await inFlight.metrics; // no readback is left pending
      const m = await lossFn.readMetrics();
      if (m.firstNonFiniteBatch > 0 || !Number.isFinite(m.loss)) throw new NonFiniteLossError(epoch, m.firstNonFiniteBatch, steps);
      const tuningSeconds = (gpu.tuner.stats.ms - tuningBefore.ms) / 1000;
      const seconds = (performance.now() - started) / 1000 - tuningSeconds;
      const report = { epoch, lr, loss: m.loss, accuracy: m.accuracy, seconds, tuningSeconds, steps, stepsPerSecond: steps / seconds, dispatchesPerStep: (gpu.stats.dispatches - dispatchesBefore - (gpu.tuner.stats.dispatches - tuningBefore.dispatches)) / steps };
      reports.push(report);
      // After the epoch's optimizer steps, as PyTorch orders them; the plateau watches the training loss.
      if (scheduler instanceof ReduceLROnPlateau) scheduler.step(m.loss);
      else scheduler?.step();
      await onEpoch(report);
    }
  } finally {
    // Each run's optimizer state, loss metrics and batch buffers: a page that trains again frees the last run's.
    optimizer.destroy();
    lossFn.destroy();
    for (const { x, y } of inputs.values()) [x, y].forEach((t) => t.destroy());
  }
  return reports;
}

/** Accuracy and confusion matrix in eval mode, without recording a graph; inputShape is one row's shape. */
export async function evaluate(gpu: Gpu, model: Module, data: Dataset, batchSize = 256, inputShape: readonly number[] = [data.features.length]): Promise<Evaluation> {
  model.eval();
  const C = data.classes.length;
  const confusion = C <= MAX_CONFUSION_CLASSES ? Array.from({ length: C }, () => new Array<number>(C).fill(0)) : null;
  const predictions: number[] = [];
  let correct = 0;
  const loader = new DataLoader(data, { batchSize });
  for (const batch of loader.batches()) {
    const x = Tensor.fromArray(gpu, batch.x, [batch.size, ...inputShape], 'f32', 'eval x');
    const logits = await withoutGrad(() => model.forward(x)).read();
    x.destroy();
    for (let r = 0; r < batch.size; r++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (logits[r * C + c]! > logits[r * C + best]!) best = c;
      predictions.push(best);
      if (confusion) confusion[batch.y[r]!]![best]!++;
      if (best === batch.y[r]) correct++;
    }
  }
  model.train();
  return { accuracy: correct / data.rows, confusion, predictions };
}

/** Builds the model for a run, seeding init (and dropout) from the run's seed. */
export function buildModel(gpu: Gpu, config: ModelConfig, seed: number): MLP {
  manualSeed(seed);
  return new MLP(config, gpu);
}
