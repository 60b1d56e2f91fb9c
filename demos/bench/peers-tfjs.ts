// TensorFlow.js as a peer, on its WebGPU and wasm backends, through its public API only. Each
// workload is written the way TensorFlow.js's own docs would write it fastest: one op per row,
// tf.losses.softmaxCrossEntropy (fused softmax + cross-entropy with its own gradient), and a
// training step of tf.fused.matMul layers (bias and sigmoid in the matmul) under the optimizer's
// minimize(), with no per-step read.
import * as tf from '@tensorflow/tfjs-core';
// The ops' gradients, as TensorFlow.js's custom-bundle guide registers them (the union package does this).
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import '@tensorflow/tfjs-backend-cpu';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import type { Contender, RowSink } from './harness';
import { ADAM, TUNED, transpose, type MatmulCase, type SigmoidCase, type SoftmaxCase, type TrainingCase } from './workloads';

setWasmPaths({ 'tfjs-backend-wasm.wasm': wasmPlain, 'tfjs-backend-wasm-simd.wasm': wasmSimd, 'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded });

export const tfjsVersion = tf.version_core;

/**
 * Waits for the work TensorFlow.js has recorded. WebGPU: its public backend methods end the open
 * compute pass and submit, then the device's queue says when the GPU is done. wasm runs each op
 * to completion inside the call, so there is nothing to wait for.
 */
async function done(): Promise<void> {
  const backend = tf.backend();
  if (backend instanceof WebGPUBackend) {
    backend.ensureCommandEncoderReady();
    backend.endComputePassEncoder();
    backend.submitQueue();
    await backend.queue.onSubmittedWorkDone();
  }
}

const read = async (t: tf.Tensor) => (await t.data()) as Float32Array;

/** Runs every workload on one backend ('webgpu' or 'wasm'). Throws if the backend cannot start. */
export async function runTfjs(
  sink: RowSink,
  backend: 'webgpu' | 'wasm',
  work: { matmul: MatmulCase[]; sigmoid: SigmoidCase[]; softmax: SoftmaxCase[]; training: TrainingCase[] },
): Promise<void> {
  const contender: Contender = `tfjs-${backend}`;
  if (!(await settlesWithin(tf.setBackend(backend), 60_000, `tf.setBackend('${backend}')`))) throw new Error(`tf.setBackend('${backend}') failed`);
  await tf.ready();
  const row = { contender, variant: contender };

  for (const m of work.matmul) {
    const a = tf.tensor2d(m.a, m.transposeA ? [m.K, m.M] : [m.M, m.K]);
    const b = tf.tensor2d(m.b, m.transposeB ? [m.N, m.K] : [m.K, m.N]);
    let c: tf.Tensor | null = null;
    await sink.time(
      { ...row, kernel: 'matmul', size: m.size, flop: 2 * m.M * m.N * m.K },
      async () => {
        c?.dispose();
        c = tf.matMul(a, b, m.transposeA, m.transposeB);
        await done();
      },
      async () => m.check(await read(c!)),
    );
    tf.dispose([a, b, c!]);
  }

  for (const s of work.sigmoid) {
    const x = tf.tensor1d(s.x);
    let y: tf.Tensor | null = null;
    await sink.time(
      { ...row, kernel: 'activation', size: s.size, bytes: 8 * s.n },
      async () => {
        y?.dispose();
        y = tf.sigmoid(x);
        await done();
      },
      async () => s.check(await read(y!)),
    );
    tf.dispose([x, y!]);
  }

  let tooSlow = false; // once a size takes over 3 s a run, larger ones are skipped
  for (const s of work.softmax) {
    if (tooSlow) {
      sink.skipped.push(`softmax_cross_entropy ${contender} ${s.size} (the previous size took over 3 s a run)`);
      continue;
    }
    const logits = tf.tensor2d(s.logits, [s.N, s.C]);
    const onehot = tf.tensor2d(s.onehot, [s.N, s.C]);
    // The loss and its gradient with respect to the logits, as the training step needs them.
    const lossAndGrad = tf.valueAndGrad((z: tf.Tensor) => tf.losses.softmaxCrossEntropy(onehot, z));
    let out: { value: tf.Scalar; grad: tf.Tensor } | null = null;
    const r = await sink.time(
      { ...row, kernel: 'softmax_cross_entropy', size: s.size, bytes: 12 * s.N * s.C },
      async () => {
        if (out) tf.dispose([out.value, out.grad]);
        out = lossAndGrad(logits) as { value: tf.Scalar; grad: tf.Tensor };
        await done();
      },
      async () => s.check((await read(out!.value))[0]!, await read(out!.grad)),
    );
    tooSlow = r.timing.median > 3000;
    tf.dispose([logits, onehot, out!.value, out!.grad]);
  }

  for (const t of work.training) await trainingStep(sink, contender, t);
}

/** Dense layers as tf.fused.matMul (x·W + b, sigmoid fused), weights [in, out] as tf.layers keeps them. */
async function trainingStep(sink: RowSink, contender: Contender, t: TrainingCase): Promise<void> {
  const L = TUNED.length - 1;
  const weights = t.weights.map((w, l) => tf.variable(tf.tensor2d(transpose(w, TUNED[l + 1]!, TUNED[l]!), [TUNED[l]!, TUNED[l + 1]!])));
  const biases = t.biases.map((b) => tf.variable(tf.tensor1d(b)));
  const x = tf.tensor2d(t.x, [t.batch, TUNED[0]!]);
  const onehot = tf.tensor2d(t.onehot, [t.batch, TUNED[L]!]);
  const optimizer = tf.train.adam(ADAM.lr, ADAM.beta1, ADAM.beta2, ADAM.eps);
  const loss = () => {
    let h: tf.Tensor2D = x;
    for (let l = 0; l < L; l++) h = tf.fused.matMul({ a: h, b: weights[l]!, bias: biases[l]!, activation: l < L - 1 ? 'sigmoid' : 'linear' }) as tf.Tensor2D;
    return tf.losses.softmaxCrossEntropy(onehot, h) as tf.Scalar;
  };
  const vars = [...weights, ...biases];
  let firstLoss: tf.Scalar | null = null;
  await sink.time(
    { contender, variant: contender, kernel: 'training step', size: t.size, flop: t.flop },
    async () => {
      // The first run keeps its loss for the check; timed runs ask for none (returnCost false).
      if (firstLoss === null) firstLoss = optimizer.minimize(loss, true, vars);
      else optimizer.minimize(loss, false, vars);
      await done();
    },
    async () => {
      const w = await Promise.all(weights.map(async (v, l) => transpose(await read(v), TUNED[l]!, TUNED[l + 1]!)));
      const b = await Promise.all(biases.map(read));
      return t.check((await read(firstLoss!))[0]!, w, b);
    },
  );
  tf.dispose([...vars, x, onehot, firstLoss!]);
  optimizer.dispose();
}

/**
 * A backend whose workers fail to start (a minifier that breaks TensorFlow.js's threaded wasm worker,
 * vite.config.ts says how) never settles setBackend: report it instead of hanging the bench.
 */
function settlesWithin<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle in ${ms / 1000} s`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
