// shaders/init.wgsl: uniform, normal (Box–Muller), truncated normal and constant fills, drawn from a Threefry-2x32
// counter-based generator keyed by (seed, stream). torch.nn.init (src/init.ts) is built on these.
import { grid1d, loadShader } from '../device/shader';
import { shaderSource } from '../device/shader-sources';
import { expectDtype, expectRange } from '../launch';
import { tabulate } from '../reference/arrays';
import { threefry2x32 } from '../reference/random';
import { erf, erfinv } from '../reference/special';
import { PAST_GRID_LIMIT } from '../spec/random';
import { kernelCase, testCase, type KernelCase, type Spec } from '../spec/scope';
import type { Tensor } from '../tensor';

export const shader = loadShader('init');

export interface RandomKey {
  /** Threefry key word 0: the generator's seed. */
  seed: number;
  /** Threefry key word 1: which draw of that seed (one per initialised tensor). */
  stream: number;
}

function fill(entryName: string, x: Tensor, values: Partial<Record<'low' | 'high' | 'mean' | 'std_dev' | 'value' | 'erf_low' | 'erf_high', number>>, key: RandomKey, accumulate = false): void {
  expectDtype('init', 'x', x, 'f32');
  const params = { n: x.size, low: 0, high: 0, mean: 0, std_dev: 0, value: 0, seed: key.seed >>> 0, stream: key.stream >>> 0, erf_low: 0, erf_high: 0, ...values };
  const entry = shader.entry(entryName);
  x.gpu.dispatch(entry, { params, x }, grid1d(entry, x.size), entryName === 'fill_constant' ? { ACCUMULATE: accumulate } : {});
}

/** x ~ U(low, high), drawn on the GPU from (seed, stream). */
export function fillUniform(x: Tensor, low: number, high: number, key: RandomKey): void {
  expectRange('fillUniform', 'low', low, true, 'a finite number');
  expectRange('fillUniform', 'high', high, high >= low, `a finite number ≥ low (${low})`);
  fill('fill_uniform', x, { low, high }, key);
}

/** x ~ N(mean, std²), drawn on the GPU from (seed, stream). */
export function fillNormal(x: Tensor, mean: number, std: number, key: RandomKey): void {
  expectRange('fillNormal', 'mean', mean, true, 'a finite number');
  expectRange('fillNormal', 'std', std, std >= 0, 'a number ≥ 0');
  fill('fill_normal', x, { mean, std_dev: std }, key);
}

// erf(±3.9) rounds to ±1 in float32, where erfinv is infinite: the draws stop 5.4 std from the mean.
const ERF_LIMIT = 1 - 2 ** -24;
const erfBound = (z: number) => Math.min(ERF_LIMIT, Math.max(-ERF_LIMIT, erf(z / Math.SQRT2)));

/** x ~ N(mean, std²) cut to [low, high] (PyTorch's inverse-CDF method), drawn on the GPU from (seed, stream). */
export function fillTruncNormal(x: Tensor, mean: number, std: number, low: number, high: number, key: RandomKey): void {
  expectRange('fillTruncNormal', 'mean', mean, true, 'a finite number');
  expectRange('fillTruncNormal', 'std', std, std > 0, 'a number > 0');
  expectRange('fillTruncNormal', 'a', low, true, 'a finite number');
  expectRange('fillTruncNormal', 'b', high, high > low, `a finite number > a (${low})`);
  fill('fill_trunc_normal', x, { mean, std_dev: std, low, high, erf_low: erfBound((low - mean) / std), erf_high: erfBound((high - mean) / std) }, key);
}

/** x = value everywhere; with accumulate, x += value. */
export function fillConstant(x: Tensor, value: number, accumulate = false): void {
  expectRange('fillConstant', 'value', value, true, 'a finite number');
  fill('fill_constant', x, { value }, { seed: 0, stream: 0 }, accumulate);
}

// ── spec ────────────────────────────────────────────────────────────────────────────────────────

/** Element i's two 24-bit draws in [0, 1), from the reference generator. */
const draws = (i: number, key: RandomKey) => threefry2x32([i, 0], [key.seed, key.stream]).map((w) => (w >>> 8) / 2 ** 24) as [number, number];

const cases: KernelCase[] = [];
for (const n of [1, 1000, 100000, PAST_GRID_LIMIT]) {
  cases.push(
    kernelCase({
      // low 0, high 2²⁴: every value is the generator's top 24 bits as an exact integer.
      name: `init fill_uniform n=${n}: Threefry bit-exact against the reference generator`,
      entries: ['fill_uniform'],
      dims: { n, seed: 7 },
      setup(s, { n, seed }, random) {
        const key = { seed, stream: Math.floor(random() * 2 ** 32) };
        const t = s.output([n]);
        return { run: () => fillUniform(t, 0, 2 ** 24, key), check: () => s.check('x', t, tabulate(n, (i) => draws(i, key)[0] * 2 ** 24), 0, 0) };
      },
      ...(n === 100000 ? { showcase: true, bench: { sizes: [{ n: 1e5, seed: 7 }, { n: 1e7, seed: 7 }], bytes: (d: { n?: number }) => 4 * d.n! } } : {}),
    }),
  );
}
cases.push(
  kernelCase({
    name: 'init fill_normal n=4099 against Box–Muller from the reference generator',
    entries: ['fill_normal'],
    dims: { n: 4099, seed: 11 },
    showcase: true,
    setup(s, { n, seed }, random) {
      const key = { seed, stream: Math.floor(random() * 2 ** 32) };
      const t = s.output([n]);
      const expected = tabulate(n, (i) => {
        const [u, v] = draws(i, key);
        return 1 + 0.5 * Math.sqrt(-2 * Math.log(1 - u)) * Math.cos(2 * Math.PI * v);
      });
      // f32 log and cos are approximations (SwiftShader's err by up to 4e-4 here); a wrong word, key or
      // formula errs by the order of the std, 0.5.
      return { run: () => fillNormal(t, 1, 0.5, key), check: () => s.check('x', t, expected, 1e-3, 1e-4) };
    },
  }),
);
for (const [n, mean, std, low, high] of [[1, 0, 1, -2, 2], [4099, 0.5, 2, -1, 6], [100003, 0, 0.02, -0.04, 0.04]] as const) {
  cases.push(
    kernelCase({
      name: `init fill_trunc_normal n=${n} N(${mean}, ${std}²) on [${low}, ${high}] against the inverse CDF from the reference generator`,
      entries: ['fill_trunc_normal'],
      dims: { n, seed: 13 },
      showcase: n === 4099,
      setup(s, { n, seed }, random) {
        const key = { seed, stream: Math.floor(random() * 2 ** 32) };
        const t = s.output([n]);
        const [yLow, yHigh] = [erf((low - mean) / std / Math.SQRT2), erf((high - mean) / std / Math.SQRT2)];
        const expected = tabulate(n, (i) => Math.min(high, Math.max(low, mean + std * Math.SQRT2 * erfinv(yLow + (yHigh - yLow) * draws(i, key)[0]))));
        // float32 y = erf_low + (erf_high − erf_low)·u and erfinv's float32 polynomials (SwiftShader's
        // log included) leave ~1e-6·std; a wrong coefficient, factor or bound errs by ~std.
        return { run: () => fillTruncNormal(t, mean, std, low, high, key), check: () => s.check('x', t, expected, 2e-5 * std, 1e-4) };
      },
    }),
  );
}
for (const [n, accumulate] of [[1, false], [4099, true], [PAST_GRID_LIMIT, false]] as const) {
  cases.push(
    kernelCase({
      name: `init fill_constant n=${n}${accumulate ? ' accumulate' : ''}`,
      entries: ['fill_constant'],
      dims: { n },
      showcase: n === 4099,
      setup(s, { n }, random) {
        const t = s.output([n]);
        const previous = tabulate(n, () => Math.fround(random()));
        if (accumulate) t.write(previous);
        // x + 0.25 rounds to f32: half an ulp of values below 1.25.
        return { run: () => fillConstant(t, 0.25, accumulate), check: () => s.check('x', t, previous.map((p) => 0.25 + (accumulate ? p : 0)), accumulate ? 6e-8 : 0, 0) };
      },
    }),
  );
}

/** The Threefry block (rotl, four_rounds, threefry2x32) of a shader's source. */
function threefryText(source: string): string {
  const match = /\nfn rotl\([\s\S]*?\nfn threefry2x32\([\s\S]*?\n}\n/.exec(source);
  return match ? match[0] : '';
}

cases.push(
  testCase("init's Threefry is dropout's Threefry (the same WGSL text)", (s) => {
    const [ours, theirs] = [threefryText(shaderSource('init')), threefryText(shaderSource('dropout'))];
    s.expect('init.wgsl has the block', ours.length > 500, `${ours.length} characters`);
    const firstDifference = [...ours].findIndex((ch, i) => ch !== theirs[i]);
    s.expect('identical in dropout.wgsl', ours === theirs, ours === theirs ? `${ours.length} characters match` : `differs at character ${firstDifference}: '${ours.slice(firstDifference, firstDifference + 40)}' vs '${theirs.slice(firstDifference, firstDifference + 40)}'`);
  }),
);

export const spec: Spec = cases;
