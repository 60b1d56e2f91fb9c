// torch.nn.init's truncNormal_, orthogonal_, sparse_, eye_ and dirac_ (issue 12): eye_ and dirac_ exactly
// against PyTorch; orthogonal_ through PyTorch's own draws against PyTorch's matrix, and ours by its
// properties; truncNormal_ by its distribution (our generator is not PyTorch's). Fixtures:
// tests/fixtures/pytorch-init.json, from scripts/make-fixtures.py.
import * as init from '../src/init';
import { caseTable, type KernelCase } from '../src/spec/scope';
import { compare } from '../src/spec/compare';
import golden from './fixtures/pytorch-init.json';

const { cases, add } = caseTable();

for (const f of golden.eye) {
  add(`PyTorch ${golden.torch_version}: eye_ ${JSON.stringify(f.shape)}`, async (s) => {
    await s.check('eye_', init.eye_(s.output(f.shape)), f.values, 0, 0);
  });
}

for (const f of golden.dirac) {
  add(`PyTorch ${golden.torch_version}: dirac_ ${JSON.stringify(f.shape)}, groups ${f.groups}`, async (s) => {
    await s.check('dirac_', init.dirac_(s.output(f.shape), f.groups), f.values, 0, 0);
  });
}

add(`PyTorch ${golden.torch_version}: orthogonal_ from PyTorch's own draws gives PyTorch's matrix (sign convention included)`, (s) => {
  for (const f of golden.orthogonal) {
    const rows = f.shape[0]!;
    const q = init.orthogonalFromNormal(f.normal, rows, f.normal.length / rows).map((v) => f.gain * v);
    // PyTorch factors in float32 (LAPACK's sgeqrf); ours in float64.
    s.comparisons.push(compare(`${JSON.stringify(f.shape)} gain ${f.gain}`, q, f.values, 2e-6, 1e-5));
  }
});

/** max |MᵀM − gain²·I| over the tall side's Gram matrix, of a rows × cols row-major matrix. */
function gramError(values: ArrayLike<number>, rows: number, cols: number, gain: number): number {
  const [m, n] = rows >= cols ? [rows, cols] : [cols, rows];
  const at = (i: number, j: number) => (rows >= cols ? values[i * cols + j]! : values[j * cols + i]!); // the tall matrix
  let worst = 0;
  for (let j = 0; j < n; j++) {
    for (let k = 0; k <= j; k++) {
      let dot = 0;
      for (let i = 0; i < m; i++) dot += at(i, j) * at(i, k);
      worst = Math.max(worst, Math.abs(dot - (j === k ? gain * gain : 0)));
    }
  }
  return worst;
}

for (const [shape, gain] of [[[67, 13], 1], [[13, 67], 1], [[16, 3, 3, 3], Math.SQRT2], [[50, 2, 3], 0.5], [[1, 1], 1], [[1, 9], 1], [[31, 31], 5 / 3]] as const) {
  const rows = shape[0];
  const cols = shape.slice(1).reduce((a: number, b) => a * b, 1);
  add(`orthogonal_ ${JSON.stringify(shape)} gain ${gain.toFixed(3)}: ${rows < cols ? 'QQᵀ' : 'QᵀQ'} = gain²·I, the fill_normal draws, fresh each call`, async (s) => {
    init.manualSeed(1234);
    const t = init.orthogonal_(s.output(shape), gain);
    const q = await t.read();
    const error = gramError(q, rows, cols, gain);
    // float32 storage of a unit-norm matrix: ~n·2⁻²⁴ per dot product.
    s.expect('orthogonal to float32 tolerance', error <= 4e-7 * Math.max(rows, cols) * gain * gain, `max |Gram − gain²·I| = ${error.toExponential(2)}`);
    // Its draws are fill_normal's for the same key (float32 log and cos on the GPU, float64 here).
    // Only where the matrix is far from square: a square random matrix's condition number (~n)
    // amplifies float32's 1e-7 in the draws to ~1e-4 in Q; another key's draws differ by ~0.1.
    init.manualSeed(1234);
    const draws = await init.normal_(s.output([rows, cols]), 0, 1).read();
    if (Math.max(rows, cols) >= 2 * Math.min(rows, cols) || rows * cols === 1) {
      s.comparisons.push(compare('Q from the fill_normal draws of the same key', Array.from(init.orthogonalFromNormal(draws, rows, cols), (v) => gain * v), q, 1e-4, 1e-3));
    }
    const again = await init.orthogonal_(s.output(shape), gain).read();
    s.expect('the next call draws another matrix', again.some((v, i) => v !== q[i]), 'two calls gave the same values');
  });
}

// sparse_: in every column exactly ceil(sparsity·rows) zeros, the rest std × fill_normal's draws of
// the same key; the zero rows differ between columns and between calls.
for (const [shape, sparsity, std] of [[[100, 7], 0.1, 0.01], [[7, 100], 0.5, 1], [[1, 1], 0.3, 2], [[33, 5], 1, 0.01], [[33, 5], 0, 0.5], [[64, 64], 0.9, 0.02]] as const) {
  add(`sparse_ ${JSON.stringify(shape)} sparsity ${sparsity} std ${std}: ceil(sparsity·rows) zeros per column, the others std × fill_normal's draws, fresh each call`, async (s) => {
    const [rows, cols] = shape;
    init.manualSeed(4321);
    const values = await init.sparse_(s.output(shape), sparsity, std).read();
    init.manualSeed(4321);
    const draws = await init.normal_(s.output(shape), 0, std).read();
    const zeros = Math.ceil(sparsity * rows);
    const zeroRows: string[] = [];
    for (let col = 0; col < cols; col++) {
      const picked = Array.from({ length: rows }, (_, row) => row).filter((row) => values[row * cols + col] === 0);
      s.expect(`column ${col}: ${zeros} zeros`, picked.length === zeros, `${picked.length} zeros`);
      zeroRows.push(picked.join(','));
    }
    const kept = Array.from(values.keys()).filter((i) => values[i] !== 0);
    // The GPU's float32 log and cos against float64 here: ~2e-4 apart on SwiftShader; another key's draws differ by ~1.
    s.comparisons.push(compare('the others: fill_normal draws of the same key', kept.map((i) => values[i]!), kept.map((i) => draws[i]!), 5e-4 * std, 1e-3));
    if (zeros > 0 && zeros < rows && cols > 5) s.expect('each column picks its own rows', new Set(zeroRows).size > 1, zeroRows.slice(0, 3).join(' | '));
    const again = await init.sparse_(s.output(shape), sparsity, std).read();
    if (rows * cols > 1 && zeros < rows) s.expect('the next call draws again', again.some((v, i) => v !== values[i]), 'two calls gave the same values');
  });
}

add('sparse_ refuses what PyTorch refuses (not 2-D), and, stricter than PyTorch, a sparsity outside [0, 1] or a std it would misread', (s) => {
  s.expectError('1-D', () => init.sparse_(s.output([5]), 0.5), /^sparse_: only tensors with 2 dimensions are supported, got shape \[5\]$/);
  s.expectError('3-D', () => init.sparse_(s.output([2, 3, 4]), 0.5), /^sparse_: only tensors with 2 dimensions are supported, got shape \[2, 3, 4\]$/);
  s.expectError('sparsity above 1', () => init.sparse_(s.output([4, 4]), 1.5), /^sparse_: argument 'sparsity' expected a number in \[0, 1\], got 1\.5$/);
  s.expectError('negative sparsity', () => init.sparse_(s.output([4, 4]), -0.1), /argument 'sparsity' expected a number in \[0, 1\], got -0\.1/);
  s.expectError('std NaN', () => init.sparse_(s.output([4, 4]), 0.5, NaN), /^sparse_: argument 'std' expected a finite number ≥ 0, got NaN$/);
});

/** Mean and standard deviation of N(μ, σ²) truncated to [a, b], from the normal's pdf φ and cdf Φ. */
function truncatedMoments(mu: number, sigma: number, a: number, b: number): { mean: number; std: number } {
  const phi = (z: number) => Math.exp(-z * z / 2) / Math.sqrt(2 * Math.PI);
  // Φ by Simpson's rule from 0: the moments need only ~1e-6 here.
  const Phi = (z: number) => {
    const n = 2000;
    const h = z / n;
    let sum = phi(0) + phi(z);
    for (let i = 1; i < n; i++) sum += (i % 2 ? 4 : 2) * phi(i * h);
    return 0.5 + (sum * h) / 3;
  };
  const [alpha, beta] = [(a - mu) / sigma, (b - mu) / sigma];
  const Z = Phi(beta) - Phi(alpha);
  const shift = (phi(alpha) - phi(beta)) / Z;
  return { mean: mu + sigma * shift, std: sigma * Math.sqrt(1 + (alpha * phi(alpha) - beta * phi(beta)) / Z - shift * shift) };
}

for (const [mean, std, a, b] of [[0, 1, -2, 2], [1, 2, 0, 3], [0, 0.02, -0.04, 0.04], [-3, 1, -2, 5]] as const) {
  add(`truncNormal_ N(${mean}, ${std}²) on [${a}, ${b}]: every value inside, the truncated normal's mean and std`, async (s) => {
    const n = 200_003;
    const warnings: string[] = [];
    const warn = console.warn;
    console.warn = (m: string) => warnings.push(m);
    let x: Float32Array | Uint32Array | Int32Array;
    try {
      x = await init.truncNormal_(s.output([n]), mean, std, a, b).read();
    } finally {
      console.warn = warn;
    }
    const far = mean < a - 2 * std || mean > b + 2 * std;
    s.expect(far ? 'warns: mean more than 2 std from [a, b]' : 'no warning', warnings.length === (far ? 1 : 0), warnings.join(' | ') || 'none');
    let [low, high, sum] = [Infinity, -Infinity, 0];
    for (const v of x) [low, high, sum] = [Math.min(low, v), Math.max(high, v), sum + v];
    s.expect('every value in [a, b]', low >= a && high <= b, `min ${low}, max ${high}`);
    const sampleMean = sum / n;
    const sampleStd = Math.sqrt(Array.from(x).reduce((acc, v) => acc + (v - sampleMean) ** 2, 0) / (n - 1));
    const expected = truncatedMoments(mean, std, a, b);
    // Five standard errors: σ/√n for the mean; σ²·√(2/n) for the variance bounds a truncated normal's
    // (its kurtosis is below the normal's 3).
    const meanError = 5 * expected.std / Math.sqrt(n);
    s.expect('mean', Math.abs(sampleMean - expected.mean) <= meanError, `${sampleMean} vs ${expected.mean} ± ${meanError.toExponential(2)}`);
    const varError = 5 * expected.std ** 2 * Math.sqrt(2 / n);
    s.expect('std', Math.abs(sampleStd ** 2 - expected.std ** 2) <= varError, `${sampleStd} vs ${expected.std} (variance ± ${varError.toExponential(2)})`);
  });
}

add('eye_, dirac_, orthogonal_ and truncNormal_ refuse what PyTorch refuses, and bad numbers', (s) => {
  s.expectError('eye_ on 3-D', () => init.eye_(s.output([2, 3, 4])), /eye_: only tensors with 2 dimensions are supported, got shape \[2, 3, 4\]/);
  s.expectError('eye_ on 1-D', () => init.eye_(s.output([5])), /eye_: only tensors with 2 dimensions are supported, got shape \[5\]/);
  s.expectError('dirac_ on 2-D', () => init.dirac_(s.output([3, 3])), /dirac_: only tensors with 3, 4 or 5 dimensions are supported, got shape \[3, 3\]/);
  s.expectError('dirac_ on 6-D', () => init.dirac_(s.output([1, 1, 1, 1, 1, 1])), /dirac_: only tensors with 3, 4 or 5 dimensions/);
  s.expectError('dirac_ groups', () => init.dirac_(s.output([5, 2, 3]), 2), /dirac_: dim 0 must be divisible by groups: 5 output channels in 2 groups \(shape \[5, 2, 3\]\)/);
  s.expectError('dirac_ groups 0', () => init.dirac_(s.output([4, 2, 3]), 0), /dirac_: argument 'groups' expected a positive integer, got 0/);
  s.expectError('eye_ on u32', () => init.eye_(s.input([0, 0, 0, 0], [2, 2], 'u32')), /eye_: argument 'tensor' expected dtype f32, got u32/);
  s.expectError('orthogonal_ on 1-D', () => init.orthogonal_(s.output([7])), /orthogonal_: only tensors with 2 or more dimensions are supported, got shape \[7\]/);
  s.expectError('truncNormal_ b ≤ a', () => init.truncNormal_(s.output([7]), 0, 1, 2, 2), /fillTruncNormal: argument 'b' expected a finite number > a \(2\), got 2/);
  s.expectError('truncNormal_ std 0', () => init.truncNormal_(s.output([7]), 0, 0), /fillTruncNormal: argument 'std' expected a number > 0, got 0/);
});

export const initCases: readonly KernelCase[] = cases;
