// Float64 CPU references for the elementwise half of one recurrent step (recurrent_cell.wgsl),
// written from the gate equations in PyTorch's nn.RNN, nn.LSTM and nn.GRU documentation and the
// chain rule, not from the WGSL. x is the step's input projection and hidden the state's, each
// [rows, G · H] with G blocks of H in PyTorch's gate order; states are [rows, H].

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));

/** Pre-activation of block b at (n, j): x + hidden (the GRU's n block is built apart). */
const pre = (x: ArrayLike<number>, hidden: ArrayLike<number>, G: number, H: number, n: number, b: number, j: number): number => x[(n * G + b) * H + j]! + hidden[(n * G + b) * H + j]!;

/** h' = tanh(x + hidden), or relu. */
export function rnnStep(relu: boolean, x: ArrayLike<number>, hidden: ArrayLike<number>, rows: number, H: number): Float64Array {
  return Float64Array.from({ length: rows * H }, (_, k) => {
    const v = pre(x, hidden, 1, H, Math.floor(k / H), 0, k % H);
    return relu ? Math.max(v, 0) : Math.tanh(v);
  });
}

/** d pre-activation = dh' · act'(v): the gradient of x and of hidden alike. */
export function rnnStepBackward(relu: boolean, x: ArrayLike<number>, hidden: ArrayLike<number>, dh: ArrayLike<number>, rows: number, H: number): Float64Array {
  return Float64Array.from({ length: rows * H }, (_, k) => {
    const v = pre(x, hidden, 1, H, Math.floor(k / H), 0, k % H);
    return dh[k]! * (relu ? (v > 0 ? 1 : 0) : 1 - Math.tanh(v) ** 2);
  });
}

/** i, f, g, o = σ, σ, tanh, σ of x + hidden; c' = f c + i g; h' = o tanh(c'). gates [rows, 4H] activated. */
export function lstmStep(x: ArrayLike<number>, hidden: ArrayLike<number>, c: ArrayLike<number>, rows: number, H: number): { gates: Float64Array; c: Float64Array; h: Float64Array } {
  const gates = new Float64Array(rows * 4 * H);
  const cNext = new Float64Array(rows * H);
  const h = new Float64Array(rows * H);
  for (let n = 0; n < rows; n++) {
    for (let j = 0; j < H; j++) {
      const [i, f, g, o] = [sigmoid(pre(x, hidden, 4, H, n, 0, j)), sigmoid(pre(x, hidden, 4, H, n, 1, j)), Math.tanh(pre(x, hidden, 4, H, n, 2, j)), sigmoid(pre(x, hidden, 4, H, n, 3, j))];
      [i, f, g, o].forEach((v, b) => (gates[(n * 4 + b) * H + j] = v));
      const k = n * H + j;
      cNext[k] = f * c[k]! + i * g;
      h[k] = o * Math.tanh(cNext[k]!);
    }
  }
  return { gates, c: cNext, h };
}

/**
 * The LSTM step's gradients from dh' and dc' (what later steps and the outputs gave c'): the
 * pre-activation's, [rows, 4H] (x's and hidden's alike), and c's. Split as the kernels split it:
 * `fromH` is what dh' alone gives (the o block, and dh' · o · (1 − tanh² c') for c'), `fromC` what
 * the whole dc' then gives (the i, f, g blocks and dc).
 */
export function lstmStepBackward(x: ArrayLike<number>, hidden: ArrayLike<number>, c: ArrayLike<number>, dh: ArrayLike<number>, dcLater: ArrayLike<number>, rows: number, H: number): { fromH: { dPre: Float64Array; dc: Float64Array }; fromC: { dPre: Float64Array; dc: Float64Array } } {
  const { gates, c: cNext } = lstmStep(x, hidden, c, rows, H);
  const fromH = { dPre: new Float64Array(rows * 4 * H), dc: new Float64Array(rows * H) };
  const fromC = { dPre: new Float64Array(rows * 4 * H), dc: new Float64Array(rows * H) };
  for (let n = 0; n < rows; n++) {
    for (let j = 0; j < H; j++) {
      const k = n * H + j;
      const at = (b: number) => (n * 4 + b) * H + j;
      const [i, f, g, o] = [gates[at(0)]!, gates[at(1)]!, gates[at(2)]!, gates[at(3)]!];
      const t = Math.tanh(cNext[k]!);
      fromH.dPre[at(3)] = dh[k]! * t * o * (1 - o); // ∂h'/∂o · σ'
      fromH.dc[k] = dh[k]! * o * (1 - t * t); // ∂h'/∂c'
      const dcTotal = dcLater[k]! + fromH.dc[k]!;
      fromC.dPre[at(0)] = dcTotal * g * i * (1 - i);
      fromC.dPre[at(1)] = dcTotal * c[k]! * f * (1 - f);
      fromC.dPre[at(2)] = dcTotal * i * (1 - g * g);
      fromC.dc[k] = dcTotal * f;
    }
  }
  return { fromH, fromC };
}

/** r = σ(x_r + hid_r), z = σ(x_z + hid_z), n = tanh(x_n + r · hid_n), h' = (1 − z) n + z h. gates [rows, 3H]: r, z, n. */
export function gruStep(x: ArrayLike<number>, hidden: ArrayLike<number>, h: ArrayLike<number>, rows: number, H: number): { gates: Float64Array; h: Float64Array } {
  const gates = new Float64Array(rows * 3 * H);
  const hNext = new Float64Array(rows * H);
  for (let n = 0; n < rows; n++) {
    for (let j = 0; j < H; j++) {
      const at = (b: number) => (n * 3 + b) * H + j;
      const r = sigmoid(x[at(0)]! + hidden[at(0)]!);
      const z = sigmoid(x[at(1)]! + hidden[at(1)]!);
      const nn = Math.tanh(x[at(2)]! + r * hidden[at(2)]!);
      [r, z, nn].forEach((v, b) => (gates[at(b)] = v));
      hNext[n * H + j] = (1 - z) * nn + z * h[n * H + j]!;
    }
  }
  return { gates, h: hNext };
}

/** The GRU step's gradients from dh': x's and hidden's pre-activations ([rows, 3H]; hidden's n block carries r) and h's. */
export function gruStepBackward(x: ArrayLike<number>, hidden: ArrayLike<number>, h: ArrayLike<number>, dh: ArrayLike<number>, rows: number, H: number): { dx: Float64Array; dhidden: Float64Array; dh: Float64Array } {
  const { gates } = gruStep(x, hidden, h, rows, H);
  const dx = new Float64Array(rows * 3 * H);
  const dhidden = new Float64Array(rows * 3 * H);
  const dhPrev = new Float64Array(rows * H);
  for (let n = 0; n < rows; n++) {
    for (let j = 0; j < H; j++) {
      const k = n * H + j;
      const at = (b: number) => (n * 3 + b) * H + j;
      const [r, z, nn] = [gates[at(0)]!, gates[at(1)]!, gates[at(2)]!];
      const dn = dh[k]! * (1 - z) * (1 - nn * nn); // through tanh
      const dr = dn * hidden[at(2)]! * r * (1 - r);
      const dz = dh[k]! * (h[k]! - nn) * z * (1 - z);
      [dx[at(0)], dx[at(1)], dx[at(2)]] = [dr, dz, dn];
      [dhidden[at(0)], dhidden[at(1)], dhidden[at(2)]] = [dr, dz, dn * r];
      dhPrev[k] = dh[k]! * z;
    }
  }
  return { dx, dhidden, dh: dhPrev };
}
