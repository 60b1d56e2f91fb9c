// Sampling: at positions, the spatial transformer's F.affineGrid and F.gridSample, against PyTorch
// itself (tests/fixtures/pytorch-sampling.json, from scripts/make-fixtures.py: every mode, padding
// and align_corners on 4-D and 5-D input, positions past the edges and exactly on samples and
// borders) and against the float64 reference written from the definition (src/reference/sampling.ts)
// on fresh random inputs of awkward shapes; and from categories, F.multinomial, whose draws are
// checked against the distribution's exact law (PyTorch's generator is not ours), with
// F.searchsorted and F.bucketize against PyTorch. Part of tests/parity-cases.ts's table.
import * as F from '../src/functional';
import { manualSeed } from '../src/init';
import { caseTable, type CaseScope, type KernelCase } from '../src/spec/scope';
import { uniform } from '../src/spec/random';
import * as ref from '../src/reference/sampling';
import golden from './fixtures/pytorch-sampling.json';

const { cases, add } = caseTable();

/** Σ y · dy backward from a sampled y: the gradients of what requires them. */
function backwardFrom(s: CaseScope, y: ReturnType<typeof F.gridSample>, dy: ArrayLike<number>): void {
  s.own(F.sum(s.own(F.mul(y, s.input(dy, y.shape, 'f32', 'dy'))))).backward();
}

for (const f of golden.affine_grid) {
  add(`PyTorch ${golden.torch_version}: F.affineGrid of theta [${f.theta_shape.join(', ')}] for size [${f.size.join(', ')}], align_corners=${f.align_corners}: the grid and theta's gradient`, async (s) => {
    const theta = s.input(f.theta, f.theta_shape, 'f32', 'theta');
    theta.requiresGrad = true;
    const grid = s.own(F.affineGrid(theta, f.size, f.align_corners));
    s.expect('shape', grid.shape.join() === f.grid_shape.join(), `[${grid.shape.join(', ')}] (PyTorch: [${f.grid_shape.join(', ')}])`);
    await s.check('grid', grid, f.grid, 1e-6, 1e-6);
    await s.check('grid vs float64', grid, ref.affineGrid(f.theta, f.size, f.align_corners), 1e-6, 1e-6);
    backwardFrom(s, grid, f.dgrid);
    await s.check('d theta', theta.grad!, f.dtheta, 1e-5, 1e-5);
  });
}

for (const f of golden.grid_sample) {
  const kwargs = f.kwargs as { mode: 'bilinear' | 'nearest'; padding_mode: ref.Padding; align_corners: boolean };
  add(`PyTorch ${golden.torch_version}: F.gridSample of [${f.shape.join(', ')}] at grid [${f.grid_shape.join(', ')}] ${JSON.stringify(kwargs)} (${f.name}): values and both gradients`, async (s) => {
    const x = s.input(f.x, f.shape, 'f32', 'x');
    const grid = s.input(f.grid, f.grid_shape, 'f32', 'grid');
    x.requiresGrad = true;
    grid.requiresGrad = true;
    const y = s.own(F.gridSample(x, grid, kwargs));
    s.expect('shape', y.shape.join() === f.y_shape.join(), `[${y.shape.join(', ')}] (PyTorch: [${f.y_shape.join(', ')}])`);
    await s.check('y', y, f.y, 1e-6, 1e-5);
    backwardFrom(s, y, f.dy);
    await s.check('d x', x.grad!, f.dx, 1e-5, 1e-5);
    // The grid's gradient is the corner values' differences times size/2: a few ulps of that.
    await s.check('d grid', grid.grad!, f.dgrid, 2e-5, 1e-5);
  });
}

add(`PyTorch ${golden.torch_version}: the spatial transformer's pair, F.gridSample(x, F.affineGrid(theta, x.shape)): output and theta's gradient through both`, async (s) => {
  const f = golden.transformer;
  const x = s.input(f.x, f.shape, 'f32', 'x');
  const theta = s.input(f.theta, [f.shape[0]!, 2, 3], 'f32', 'theta');
  theta.requiresGrad = true;
  const grid = s.own(F.affineGrid(theta, x.shape));
  const y = s.own(F.gridSample(x, grid));
  await s.check('y', y, f.y, 1e-6, 1e-5);
  backwardFrom(s, y, f.dy);
  await s.check('d theta', theta.grad!, f.dtheta, 1e-4, 1e-5);
});

// Fresh random inputs against the float64 reference: awkward sizes (1 along an axis, odd counts,
// more channels than positions), positions from far outside to inside.
const SHAPES: [number[], number[]][] = [
  [[3, 5, 7, 1], [3, 4, 3, 2]],
  [[2, 1, 1, 6], [2, 2, 5, 2]],
  [[1, 9, 4, 3], [1, 1, 7, 2]],
  [[2, 2, 3, 1, 4], [2, 2, 2, 3, 3]],
];
for (const mode of ['bilinear', 'nearest'] as const) {
  for (const padding of ['zeros', 'border', 'reflection'] as const) {
    for (const align of [false, true]) {
      add(`F.gridSample ${mode}, padding ${padding}, align_corners=${align}: values and both gradients vs float64 on fresh inputs of awkward shapes`, async (s, random) => {
        for (const [shape, gridShape] of SHAPES) {
          const size = (dims: number[]) => dims.reduce((a, b) => a * b, 1);
          const [xv, gv] = [uniform(random, size(shape), -2, 2), uniform(random, size(gridShape), -1.6, 1.6)];
          const x = s.input(xv, shape, 'f32', 'x');
          const grid = s.input(gv, gridShape, 'f32', 'grid');
          x.requiresGrad = true;
          grid.requiresGrad = true;
          const y = s.own(F.gridSample(x, grid, { mode, padding_mode: padding, align_corners: align }));
          const dy = uniform(random, y.size, -1, 1);
          const expected = ref.gridSample(x.dtype === 'f32' ? Float32Array.from(xv) : xv, shape, Float32Array.from(gv), gridShape, mode, padding, align, Float32Array.from(dy));
          const at = `[${shape.join(', ')}] at [${gridShape.join(', ')}]`;
          // A position is float32 (its unnormalising and reflection a few ulps of |position| ≲ 8 off),
          // times the input's slope (≤ 4 here): 2e-5, where PyTorch's own fixtures above hold 1e-6.
          await s.check(`y ${at}`, y, expected.y, 2e-5, 1e-5);
          backwardFrom(s, y, dy);
          await s.check(`d x ${at}`, x.grad!, expected.dx, 1e-5, 1e-5);
          await s.check(`d grid ${at}`, grid.grad!, expected.dgrid, 2e-5, 1e-4);
        }
      });
    }
  }
}

add('F.gridSample: positions that are not finite (NaN, ±∞) read 0, or the border value where border padding clips ±∞, and send no NaN into either gradient (PyTorch 1.13\'s CPU backward crashes there; its CUDA kernel gives 0)', async (s, random) => {
  const shape = [2, 2, 3, 4];
  const xv = uniform(random, 48, -2, 2);
  const specials = [NaN, Infinity, -Infinity];
  const gv = Float32Array.from(uniform(random, 2 * 3 * 3 * 2, -1.2, 1.2), (v, i) => (i % 5 === 2 ? specials[i % 3]! : v));
  for (const mode of ['bilinear', 'nearest'] as const) {
    for (const padding of ['zeros', 'border', 'reflection'] as const) {
      const x = s.input(xv, shape, 'f32', 'x');
      const grid = s.input(gv, [2, 3, 3, 2], 'f32', 'grid');
      x.requiresGrad = true;
      grid.requiresGrad = true;
      const y = s.own(F.gridSample(x, grid, { mode, padding_mode: padding }));
      const dy = uniform(random, y.size, -1, 1);
      const expected = ref.gridSample(Float32Array.from(xv), shape, gv, [2, 3, 3, 2], mode, padding, false, Float32Array.from(dy));
      await s.check(`${mode}, ${padding}: y`, y, expected.y, 1e-6, 1e-5);
      backwardFrom(s, y, dy);
      await s.check(`${mode}, ${padding}: d x`, x.grad!, expected.dx, 1e-5, 1e-5);
      await s.check(`${mode}, ${padding}: d grid`, grid.grad!, expected.dgrid, 2e-5, 1e-4);
    }
  }
});

add('F.gridSample: a batch past 2^24 input rows is sampled in parts (the rows are indexed in float32), the last image read where it lies', async (s, random) => {
  // [2, 1, 2049, 4096]: 8,392,704 positions an image, so image 1's rows run past 2^24 = 16,777,216.
  const shape = [2, 1, 2049, 4096];
  const positions = 2049 * 4096;
  const xv = new Float32Array(2 * positions);
  for (let i = 0; i < xv.length; i++) xv[i] = (i % 9973) - 4986;
  const x = s.input(xv, shape, 'f32', 'x');
  // Positions on the samples of the last rows (align_corners: −1 and 1 are the corner samples), where
  // rounding a row index past 2^24 would read the neighbouring sample.
  const gv = uniform(random, 2 * 16 * 2, -1, 1).map((v, i) => (i % 2 === 0 ? -1 + (2 * Math.round(((v + 1) / 2) * 4095)) / 4095 : 1 - (2 * (i % 3)) / 2048));
  const grid = s.input(gv, [2, 4, 4, 2], 'f32', 'grid');
  const y = s.own(F.gridSample(x, grid, { align_corners: true }));
  // A neighbour read instead differs by 1 or more; float32's unnormalising leaves ~1e-7 of it.
  await s.check('y vs float64', y, ref.gridSample(xv, shape, Float32Array.from(gv), [2, 4, 4, 2], 'bilinear', 'zeros', true).y, 1e-3, 1e-6);
});

add('F.affineGrid and F.gridSample: options as PyTorch passes them, in order or by name; the errors PyTorch gives, named', (s) => {
  const x = s.input(new Float32Array(24), [1, 2, 3, 4], 'f32', 'x');
  const grid = s.input(new Float32Array(12), [1, 2, 3, 2], 'f32', 'grid');
  const theta = s.input(new Float32Array(6), [1, 2, 3], 'f32', 'theta');
  s.expect('positional mode, padding_mode, align_corners', s.own(F.gridSample(x, grid, 'nearest', 'border', true)).shape.join() === '1,2,2,3', 'sampled');
  s.expect('mode left undefined before padding_mode, as PyTorch\'s default', s.own(F.gridSample(x, grid, undefined, 'border')).shape.join() === '1,2,2,3', 'sampled');
  // The results in their own shape, not views: destroy() frees what each holds (views left their companions behind).
  const w2 = s.input([0.5, 0.5], [2], 'f32', 'w2');
  const both = () => {
    F.affineGrid(theta, [1, 2, 5, 6]).destroy();
    F.multinomial(w2, 1).destroy();
  };
  both(); // the first call's one-off buffers (scratch, uniforms)
  const live = s.gpu.stats.liveBuffers;
  for (let i = 0; i < 3; i++) both();
  s.expect('affineGrid and a 1-D multinomial, destroyed: nothing left behind', s.gpu.stats.liveBuffers === live, `${s.gpu.stats.liveBuffers - live} buffers more after 3 calls`);
  s.expect('align_corners by name for affineGrid', s.own(F.affineGrid(theta, [1, 2, 5, 6], { align_corners: true })).shape.join() === '1,5,6,2', 'made');
  s.expectError('a mode PyTorch lacks', () => F.gridSample(x, grid, { mode: 'linear' as never }), /gridSample: expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: 'linear'/);
  s.expectError('bicubic', () => F.gridSample(x, grid, { mode: 'bicubic' as never }), /gridSample: mode 'bicubic' is not supported \(bilinear or nearest\)/);
  s.expectError('a padding PyTorch lacks', () => F.gridSample(x, grid, { padding_mode: 'reflect' as never }), /gridSample: expected padding_mode to be 'zeros', 'border', or 'reflection', but got: 'reflect'/);
  s.expectError('an unknown option', () => F.gridSample(x, grid, { antialias: true } as never), /gridSample: unknown option 'antialias'/);
  s.expectError('align_corners not a boolean', () => F.gridSample(x, grid, { align_corners: 1 as never }), /gridSample: option 'alignCorners' expected true or false, got 1/);
  s.expectError('options both ways', () => F.gridSample(x, grid, {}, 'zeros'), /gridSample: give mode, padding_mode and align_corners either in order or as one options object, not both/);
  s.expectError('ranks differ', () => F.gridSample(x, s.input(new Float32Array(6), [1, 3, 2], 'f32', 'g3')), /gridSample: expected 4D or 5D input and grid with same number of dimensions, but got input with sizes \[1, 2, 3, 4\] and grid with sizes \[1, 3, 2\]/);
  s.expectError('batches differ', () => F.gridSample(x, s.input(new Float32Array(24), [2, 2, 3, 2], 'f32', 'g2')), /gridSample: expected grid and input to have same batch size, but got input with sizes \[1, 2, 3, 4\] and grid with sizes \[2, 2, 3, 2\]/);
  s.expectError('3 coordinates for 4-D input', () => F.gridSample(x, s.input(new Float32Array(18), [1, 2, 3, 3], 'f32', 'g33')), /gridSample: expected grid to have size 2 in last dimension, but got grid with sizes \[1, 2, 3, 3\]/);
  s.expectError('an integer grid', () => F.gridSample(x, s.input(new Int32Array(12), [1, 2, 3, 2], 'i32', 'gi')), /gridSample: argument 'grid' expected dtype f32, got i32/);
  s.expectError('theta for 3-D with a 4-D size', () => F.affineGrid(s.input(new Float32Array(12), [1, 3, 4], 'f32', 't34'), [1, 2, 3, 4]), /affineGrid: Expected a batch of 2D affine matrices of shape Nx2x3 for size \[1, 2, 3, 4\]\. Got \[1, 3, 4\]\./);
  s.expectError('a 3-D size', () => F.affineGrid(theta, [1, 2, 3]), /affineGrid: affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, respectively\. Got size \[1, 2, 3\]\./);
  s.expectError('a size of 0', () => F.affineGrid(theta, [1, 2, 0, 4]), /affineGrid: Expected non-zero, positive output size\. Got \[1, 2, 0, 4\]/);
  s.expectError('x.size (the element count) for x.shape', () => F.affineGrid(theta, x.size as never), /affineGrid: argument 'size' expected the output's shape, \[N, C, H, W\] or \[N, C, D, H, W\] \(x\.shape: x\.size is the element count here\), got 24/);
  s.expectError('theta for another batch', () => F.affineGrid(theta, [2, 2, 3, 4]), /affineGrid: theta holds 1 matrices for a size of batch 2 \(one per image\)/);
  s.expectError('an integer theta', () => F.affineGrid(s.input(new Int32Array(6), [1, 2, 3], 'i32', 'ti'), [1, 2, 3, 4]), /affineGrid: Expected theta to have floating point type, but got i32/);
});

for (const f of golden.searchsorted) {
  add(`PyTorch ${golden.torch_version}: F.searchsorted (${f.name})${f.right ? ', right' : ''}${f.bucketize ? ', and F.bucketize' : ''}`, async (s) => {
    // JSON has no infinities: the fixture writes "Infinity" and "-Infinity".
    const numbers = (v: readonly (number | string)[]) => v.map(Number);
    const sequence = s.input(numbers(f.sequence), f.sequence_shape, f.sequence_dtype as 'f32' | 'i32', 'sequence');
    const values = Array.isArray(f.values) ? s.input(numbers(f.values), f.values_shape, f.sequence_dtype as 'f32' | 'i32', 'values') : (f.values as number);
    const out = s.own(F.searchsorted(sequence, values, f.right ? { right: true } : {}));
    s.expect('shape and dtype', out.shape.join() === (f.out_shape.length ? f.out_shape : [1]).join() && out.dtype === 'i32', `[${out.shape.join(', ')}] ${out.dtype}`);
    await s.check('indices', out, f.out, 0, 0);
    if (f.right) await s.check("side: 'right' as right", s.own(F.searchsorted(sequence, values, { side: 'right' })), f.out, 0, 0);
    if (f.bucketize) await s.check('bucketize', s.own(F.bucketize(values as ReturnType<typeof s.input>, sequence, { right: f.right })), f.bucketize, 0, 0);
  });
}

/** Each count within 5 standard deviations of its expectation n·p (never a draw where p is 0, always where 1). */
function expectCounts(s: CaseScope, label: string, counts: number[], n: number, p: number[]): void {
  const worst = counts.map((c, i) => (p[i] === 0 || p[i] === 1 ? (c === n * p[i]! ? 0 : Infinity) : Math.abs(c - n * p[i]!) / Math.sqrt(n * p[i]! * (1 - p[i]!)))).reduce((a, b) => Math.max(a, b), 0);
  s.expect(label, worst < 5, `counts ${counts.join(', ')} for p ${p.map((v) => v.toFixed(3)).join(', ')} over ${n} draws: ${worst === Infinity ? 'a category of p 0 drawn, or one of p 1 not always' : `the furthest ${worst.toFixed(2)} σ out`}`);
}

add('F.multinomial with replacement: every row\'s draws follow its weights (unnormalised, zeros among them), within 5σ over 20,000 draws a row; never a category of weight 0', async (s, random) => {
  manualSeed(Math.floor(random() * 2 ** 31));
  const weights = [[0.1, 0.2, 0, 0.3, 0.4], [5, 0, 0, 0, 1], [0, 0, 0, 0, 2], [1, 1, 1, 1, 1]];
  const draws = 20000;
  const x = s.input(weights.flat(), [4, 5], 'f32', 'weights');
  const out = s.own(F.multinomial(x, draws, true));
  s.expect('shape and dtype', out.shape.join() === `4,${draws}` && out.dtype === 'i32', `[${out.shape.join(', ')}] ${out.dtype}`);
  const picked = (await out.read()) as Int32Array;
  weights.forEach((w, r) => {
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < draws; i++) counts[picked[r * draws + i]!]!++;
    const total = w.reduce((a, b) => a + b, 0);
    expectCounts(s, `row ${r}`, counts, draws, w.map((v) => v / total));
  });
});

add('F.multinomial without replacement: the first draw follows the weights, the first two the law of drawing in turn (p_a · p_b / (1 − p_a)), within 5σ over 20,000 rows; all C draws a permutation; one draw', async (s, random) => {
  manualSeed(Math.floor(random() * 2 ** 31));
  const p = [0.1, 0.4, 0.2, 0.3];
  const rows = 20000;
  const x = s.input(Array.from({ length: rows }, () => p).flat(), [rows, 4], 'f32', 'p');
  const two = (await s.own(F.multinomial(x, 2)).read()) as Int32Array;
  const pairs = Array<number>(16).fill(0);
  for (let r = 0; r < rows; r++) pairs[two[2 * r]! * 4 + two[2 * r + 1]!]!++;
  expectCounts(s, 'ordered pairs', pairs, rows, pairs.map((_, k) => (k % 5 === 0 ? 0 : (p[Math.floor(k / 4)]! * p[k % 4]!) / (1 - p[Math.floor(k / 4)]!))));
  const one = (await s.own(F.multinomial(x, 1)).read()) as Int32Array;
  const firsts = [0, 0, 0, 0];
  for (const i of one) firsts[i]!++;
  expectCounts(s, 'one draw (argmax of p/q)', firsts, rows, p);
  const all = (await s.own(F.multinomial(s.input(uniform(random, 50 * 7, 0.01, 1), [50, 7], 'f32', 'w7'), 7)).read()) as Int32Array;
  const permutations = Array.from({ length: 50 }, (_, r) => [...all.subarray(r * 7, r * 7 + 7)].sort().join()).every((row) => row === '0,1,2,3,4,5,6');
  s.expect('7 of 7 without replacement: each row a permutation', permutations, Array.from(all.subarray(0, 7)).join(', '));
});

add('F.multinomial at float32\'s edges: weights of 2e-38 and of 1e38 draw as equal weights do (keys from weights over their row\'s largest), 2e38 twice is a distribution (its sum overflows), a weight of 0 comes after a positive one; within 5σ over 6,000 rows', async (s, random) => {
  manualSeed(Math.floor(random() * 2 ** 31));
  const rows = 6000;
  const drawsOf = async (row: number[], n: number, replacement: boolean) => {
    const x = s.input(Array.from({ length: rows }, () => row).flat(), [rows, row.length], 'f32', 'w');
    return (await s.own(F.multinomial(x, n, replacement)).read()) as Int32Array;
  };
  for (const [label, row, p] of [
    ['[0, 2e-38, 2e-38] (keys under 2e-38 / q once flushed to 0, the first index winning)', [0, 2e-38, 2e-38], [0, 0.5, 0.5]],
    ['[1e38, 1e38, 1e38] (keys past float32\'s range once, the first ∞ winning)', [1e38, 1e38, 1e38], [1 / 3, 1 / 3, 1 / 3]],
  ] as const) {
    for (const replacement of [false, true]) {
      const drawn = await drawsOf([...row], 1, replacement);
      const counts = row.map((_, c) => drawn.filter((d) => d === c).length);
      expectCounts(s, `${label}, replacement=${replacement}`, counts, rows, [...p]);
    }
  }
  const huge = await drawsOf([2e38, 2e38], 1, true);
  s.expect('[2e38, 2e38]: drawn, not −1', huge.every((d) => d === 0 || d === 1) && huge.some((d) => d === 1), Array.from(huge.subarray(0, 6)).join(', '));
  const second = await drawsOf([1, 0, 1e-30], 2, false);
  s.expect('[1, 0, 1e-30] without replacement: the weight of 1e-30 before the weight of 0', second.every((d, i) => (i % 2 === 0 ? d === 0 || d === 2 : d === 2 || d === 0) && d !== 1), Array.from(second.subarray(0, 6)).join(', '));
});

add('F.multinomial: a 1-D input gives [n]; 33,278 categories with one of weight 1 draw it every time; rows PyTorch refuses give −1; the same seed the same draws; x.multinomial; PyTorch\'s errors', async (s) => {
  const C = 33278;
  const peak = new Float32Array(C);
  peak[30001] = 1;
  const x = s.input(peak, [C], 'f32', 'peak');
  const one = s.own(F.multinomial(x, 1));
  s.expect('1-D: [1]', one.shape.join() === '1', `[${one.shape.join(', ')}]`);
  await s.check('the only category of weight > 0', one, [30001], 0, 0);
  await s.check('with replacement, 5 draws', s.own(F.multinomial(x, 5, { replacement: true })), [30001, 30001, 30001, 30001, 30001], 0, 0);
  const bad = s.input([1, -1, 1, 0, 0, 0, 1, NaN, 1, 1, Infinity, 1, 1, 2, 3], [5, 3], 'f32', 'bad');
  for (const replacement of [false, true]) {
    const picked = (await s.own(F.multinomial(bad, 2, replacement)).read()) as Int32Array;
    s.expect(`replacement=${replacement}: rows with −1, all 0, NaN, ∞ give −1; the valid row does not`, Array.from(picked.subarray(0, 8)).every((v) => v === -1) && picked[8]! >= 0 && picked[9]! >= 0, Array.from(picked).join(', '));
  }
  const w = s.input([0.2, 0.3, 0.5, 0.1, 0.1, 0.8], [2, 3], 'f32', 'w');
  manualSeed(7);
  const first = Array.from((await s.own(F.multinomial(w, 50, true)).read()) as Int32Array);
  manualSeed(7);
  const again = Array.from((await s.own(w.multinomial(50, true)).read()) as Int32Array);
  s.expect('manualSeed(7) twice: the same draws (x.multinomial as F.multinomial)', first.join() === again.join(), first.slice(0, 8).join(', '));
  s.expectError('more draws than categories without replacement', () => F.multinomial(w, 4), /multinomial: cannot sample n_sample > prob_dist\.size\(-1\) samples without replacement/);
  s.expectError('0 draws', () => F.multinomial(w, 0), /multinomial: cannot sample n_sample <= 0 samples/);
  s.expectError('3-D', () => F.multinomial(s.input(new Float32Array(8), [2, 2, 2], 'f32', 'x3'), 1), /multinomial: prob_dist must be 1 or 2 dim, got \[2, 2, 2\]/);
  s.expectError('a fractional count', () => F.multinomial(w, 1.5), /multinomial: argument 'num_samples' expected an integer, got 1\.5/);
  s.expectError('a generator', () => F.multinomial(w, 1, false, {} as never), /multinomial: takes input, num_samples and replacement, got .* too \(generator= is not supported: manualSeed sets the draws\)/);
  s.expectError('integer weights', () => F.multinomial(s.input([1, 2], [2], 'i32', 'wi'), 1), /multinomial: argument 'input' expected dtype f32, got i32/);
  await s.check('searchsorted of the number ∞ (it was refused as not finite)', s.own(F.searchsorted(s.input([0.5, 1, 2], [3], 'f32', 'seq'), Infinity)), [3], 0, 0);
  s.expectError('searchsorted: a sorter', () => F.searchsorted(w, w, { sorter: w } as never), /searchsorted: sorter=.* is not supported/);
  s.expectError('searchsorted: opposite sides', () => F.searchsorted(w, w, { side: 'left', right: true }), /searchsorted: side and right can't be set to opposites, got side of left while right was True/);
  s.expectError('searchsorted: rows that do not match', () => F.searchsorted(w, s.input([1, 2, 3], [3, 1], 'f32', 'v31')), /searchsorted: boundaries tensor should be 1 dimension or the first N-1 dimensions of boundaries tensor and input value tensor must match, but we got boundaries tensor \[2, 3\] and input value tensor \[3, 1\]/);
  s.expectError('bucketize: 2-D boundaries', () => F.bucketize(w, w), /bucketize: boundaries tensor must be 1 dimension, but got dim\(2\)/);
});

export const samplingCases: readonly KernelCase[] = cases;
