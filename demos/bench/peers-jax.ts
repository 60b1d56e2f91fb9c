// jax-js as a peer, on its WebGPU and (multi-threaded, on our cross-origin-isolated page) wasm
// devices, through its public API only. Written the way its docs do: numpy-style ops, one jit of
// value-and-grad for softmax cross-entropy, and a training step that is one jit of value-and-grad
// plus the Adam update. Arrays are reference-counted: passing an array to a function gives it away,
// `.ref` keeps a reference (see its README).
import { blockUntilReady, defaultDevice, init, jit, nn, numpy as np, tree, valueAndGrad, type Device } from '@jax-js/jax';
import type { Contender, RowSink } from './harness';
import { ADAM, TUNED, transpose, type MatmulCase, type SigmoidCase, type SoftmaxCase, type TrainingCase } from './workloads';

type Params = { w: np.Array[]; b: np.Array[] };

const read = async (a: np.Array) => Float32Array.from((await a.ref.data()) as ArrayLike<number>);

/** Runs every workload on one jax-js device. Throws if the device cannot start. */
export async function runJax(
  sink: RowSink,
  device: 'webgpu' | 'wasm',
  work: { matmul: MatmulCase[]; sigmoid: SigmoidCase[]; softmax: SoftmaxCase[]; training: TrainingCase[] },
): Promise<void> {
  const contender: Contender = `jax-${device}`;
  const available = (await init(device)) ?? []; // its init() gives undefined where it finds no device at all
  if (!available.includes(device as Device)) throw new Error(`jax-js: device '${device}' is not available here (init gave ${JSON.stringify(available)})`);
  defaultDevice(device);
  const row = { contender, variant: contender };

  const matmul = jit((a: np.Array, b: np.Array, transposeA: boolean, transposeB: boolean) => np.matmul(transposeA ? a.transpose() : a, transposeB ? b.transpose() : b), { staticArgnums: [2, 3] });
  for (const m of work.matmul) {
    const a = np.array(m.a, { shape: m.transposeA ? [m.K, m.M] : [m.M, m.K] });
    const b = np.array(m.b, { shape: m.transposeB ? [m.N, m.K] : [m.K, m.N] });
    let c: np.Array | null = null;
    await sink.time(
      { ...row, kernel: 'matmul', size: m.size, flop: 2 * m.M * m.N * m.K },
      async () => {
        c?.dispose();
        c = await matmul(a.ref, b.ref, m.transposeA, m.transposeB).blockUntilReady();
      },
      async () => m.check(await read(c!)),
    );
    tree.dispose([a, b, c]);
  }
  matmul.dispose();

  for (const s of work.sigmoid) {
    const x = np.array(s.x);
    let y: np.Array | null = null;
    await sink.time(
      { ...row, kernel: 'activation', size: s.size, bytes: 8 * s.n },
      async () => {
        y?.dispose();
        y = await nn.sigmoid(x.ref).blockUntilReady();
      },
      async () => s.check(await read(y!)),
    );
    tree.dispose([x, y]);
  }

  // Mean softmax cross-entropy and its gradient with respect to the logits, fused by jit.
  const lossAndGrad = jit(valueAndGrad((logits: np.Array, onehot: np.Array) => crossEntropy(logits, onehot)));
  let tooSlow = false; // once a size takes over 3 s a run, larger ones are skipped
  for (const s of work.softmax) {
    if (tooSlow) {
      sink.skipped.push(`softmax_cross_entropy ${contender} ${s.size} (the previous size took over 3 s a run)`);
      continue;
    }
    const logits = np.array(s.logits, { shape: [s.N, s.C] });
    const onehot = np.array(s.onehot, { shape: [s.N, s.C] });
    let out: [np.Array, np.Array] | null = null;
    const r = await sink.time(
      { ...row, kernel: 'softmax_cross_entropy', size: s.size, bytes: 12 * s.N * s.C },
      async () => {
        tree.dispose(out);
        out = await blockUntilReady(lossAndGrad(logits.ref, onehot.ref));
      },
      async () => s.check((await read(out![0]))[0]!, await read(out![1])),
    );
    tooSlow = r.timing.median > 3000;
    tree.dispose([logits, onehot, out]);
  }
  lossAndGrad.dispose();

  for (const t of work.training) await trainingStep(sink, contender, t);
}

/** mean over rows of −Σ onehot · log softmax(logits). */
function crossEntropy(logits: np.Array, onehot: np.Array): np.Array {
  const rows = logits.shape[0]!;
  return nn.logSoftmax(logits, -1).mul(onehot).sum().mul(-1 / rows);
}

function forwardLoss(p: Params, x: np.Array, onehot: np.Array): np.Array {
  const L = p.w.length;
  let h = x;
  for (let l = 0; l < L; l++) {
    h = np.matmul(h, p.w[l]!).add(p.b[l]!);
    if (l < L - 1) h = nn.sigmoid(h);
  }
  return crossEntropy(h, onehot);
}

/** One jit: value-and-grad of the loss, then Adam (PyTorch's formula, the step count in the state). */
const makeTrainStep = () =>
  jit((p: Params, m: Params, v: Params, count: np.Array, x: np.Array, onehot: np.Array) => {
  const [loss, g] = valueAndGrad(forwardLoss)(tree.ref(p), x, onehot);
  const t = count.add(1);
  const bc1 = np.subtract(1, np.power(ADAM.beta1, t.ref));
  const bc2 = np.subtract(1, np.power(ADAM.beta2, t.ref));
  const m2 = tree.map((mi: np.Array, gi: np.Array) => mi.mul(ADAM.beta1).add(gi.mul(1 - ADAM.beta1)), m, tree.ref(g)) as Params;
  const v2 = tree.map((vi: np.Array, gi: np.Array) => vi.mul(ADAM.beta2).add(gi.ref.mul(gi).mul(1 - ADAM.beta2)), v, g) as Params;
  const p2 = tree.map(
    (pi: np.Array, mi: np.Array, vi: np.Array) => pi.sub(mi.div(bc1.ref).mul(ADAM.lr).div(np.sqrt(vi.div(bc2.ref)).add(ADAM.eps))),
    p,
    tree.ref(m2),
    tree.ref(v2),
  ) as Params;
  bc1.dispose();
  bc2.dispose();
  return [loss, p2, m2, v2, t] as [np.Array, Params, Params, Params, np.Array];
  });

async function trainingStep(sink: RowSink, contender: Contender, t: TrainingCase): Promise<void> {
  const L = TUNED.length - 1;
  let params: Params = {
    w: t.weights.map((w, l) => np.array(transpose(w, TUNED[l + 1]!, TUNED[l]!), { shape: [TUNED[l]!, TUNED[l + 1]!] })),
    b: t.biases.map((b) => np.array(b)),
  };
  const zeros = (): Params => ({ w: params.w.map((w) => np.zeros(w.shape)), b: params.b.map((b) => np.zeros(b.shape)) });
  let m = zeros();
  let v = zeros();
  let count = np.array(0);
  const x = np.array(t.x, { shape: [t.batch, TUNED[0]!] });
  const onehot = np.array(t.onehot, { shape: [t.batch, TUNED[L]!] });
  let firstLoss: np.Array | null = null;
  const adamTrainStep = makeTrainStep();
  await sink.time(
    { contender, variant: contender, kernel: 'training step', size: t.size, flop: t.flop },
    async () => {
      const [loss, p2, m2, v2, c2] = adamTrainStep(params, m, v, count, x.ref, onehot.ref);
      [params, m, v, count] = [p2, m2, v2, c2];
      // The first run keeps its loss for the check; timed runs wait on the parameters, read nothing.
      if (firstLoss === null) firstLoss = loss;
      else loss.dispose();
      await blockUntilReady(params);
    },
    async () => {
      const w = await Promise.all(params.w.map(async (a, l) => transpose(await read(a), TUNED[l]!, TUNED[l + 1]!)));
      const b = await Promise.all(params.b.map(read));
      return t.check((await read(firstLoss!))[0]!, w, b);
    },
  );
  tree.dispose([params, m, v, count, x, onehot, firstLoss]);
  adamTrainStep.dispose();
}
