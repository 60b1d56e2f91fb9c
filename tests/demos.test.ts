// Every demo page in headless Chrome: it loads with no console errors, its main control changes what
// is shown, and the numbers on screen equal the kernels' outputs (checked here against independent
// CPU computations); a run disables the controls that start it, can be cancelled, and a bad field is
// named beside it instead of starting work. A screenshot of each page goes to out/screenshots/. Then
// the static build is served by `vite preview` and pages are checked there (the bench's run there is
// tests/bench.test.ts).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'puppeteer';
import { build, preview } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ewa } from '../src/reference/optim';
import { describeModel, type EpochReport } from '../src/run-config';
import { testBrowser } from './support/browser';
import { openPage, type OpenPage } from './support/page';

const SHOTS = path.resolve('out/screenshots');
fs.mkdirSync(SHOTS, { recursive: true });
let current: OpenPage | null = null;

async function open(file: string): Promise<Page> {
  current = await openPage(`/${file}?variant-policy=fixed`); // the tuner has its own tests
  await current.page.setViewport({ width: 1200, height: 900 });
  await waitForVersion(current.page, 1);
  return current.page;
}

async function waitForVersion(page: Page, version: number): Promise<void> {
  await page.waitForFunction((v) => (window.demo?.version ?? 0) >= v || window.demo?.error !== undefined, { timeout: 120_000 }, version);
  const error = await page.evaluate(() => window.demo!.error);
  if (error) throw new Error(`the page reported: ${error}`);
}

const values = <T>(page: Page) => page.evaluate(() => window.demo!.values) as Promise<T>;
const text = (page: Page, selector: string) => page.$eval(selector, (el) => el.textContent ?? '');
const version = (page: Page) => page.evaluate(() => window.demo!.version);
const disabled = (page: Page, selector: string) => page.$eval(selector, (el) => (el as HTMLButtonElement).disabled);
const hidden = (page: Page, selector: string) => page.$eval(selector, (el) => (el as HTMLElement).hidden);
const fieldErrors = (page: Page) => page.$$eval('.field-error', (els) => els.map((e) => e.textContent));
async function setInput(page: Page, selector: string, value: string, event = 'change'): Promise<void> {
  await page.$eval(selector, (el, v, e) => {
    (el as HTMLInputElement).value = v;
    el.dispatchEvent(new Event(e));
  }, value, event);
}

afterEach(async () => {
  if (!current) return;
  const name = expect.getState().currentTestName!.split(' > ').at(-1)!.split(':')[0]!;
  await current.page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  expect(current.errors).toEqual([]);
  await current.close();
  current = null;
});

describe('pages', () => {
  test('index: lists the pages and names the adapter', async () => {
    const page = await open('index.html');
    expect(await page.$$eval('main li a', (a) => a.length)).toBe(9);
    expect(await text(page, '#adapter')).toMatch(/^WebGPU adapter: \S+/);
  });

  test('init: the measured statistics are those of the generated weights; the scheme changes them', async () => {
    const page = await open('demos/init.html');
    const check = async () => {
      const v = await values<{ values: number[]; formula: { std: number } }>(page);
      const n = v.values.length;
      const mean = v.values.reduce((a, b) => a + b, 0) / n;
      const std = Math.sqrt(v.values.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
      expect(Number(await text(page, '#m-mean'))).toBeCloseTo(mean, 4);
      expect(Number(await text(page, '#m-std'))).toBeCloseTo(std, 4);
      expect(Number(await text(page, '#m-max'))).toBeCloseTo(v.values.reduce((a, b) => Math.max(a, b), -Infinity), 4);
      expect(Math.abs(std - v.formula.std) / v.formula.std).toBeLessThan(0.02);
      return n;
    };
    expect(await check()).toBe(256 * 512);
    expect(await text(page, '#formula')).toMatch(/kaimingUniform_ \(relu\): U\(−b, b\), b = .* = 0\.1083/);
    await page.select('#scheme', 'xavierNormal_');
    await waitForVersion(page, 2);
    await check();
    expect(await text(page, '#formula')).toMatch(/xavierNormal_: N\(0, σ²\), σ = √\(2\/\(fan_in \+ fan_out\)\) = 0\.0510/);
  });

  test('init-schemes: truncNormal_, orthogonal_, sparse_ and eye_ measure what their formulas say', async () => {
    const page = await open('demos/init.html');
    const stats = (xs: number[]) => {
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      return { mean, std: Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1)), min: xs.reduce((a, b) => Math.min(a, b), Infinity), max: xs.reduce((a, b) => Math.max(a, b), -Infinity) };
    };
    let shown = 1;
    const select = async (scheme: string) => {
      await page.select('#scheme', scheme);
      await waitForVersion(page, ++shown);
      expect((await text(page, '#formula')).startsWith(`${scheme}: `)).toBe(true);
      const v = await values<{ values: number[]; formula: { mean: number; std: number } }>(page);
      const s = stats(v.values);
      expect(Number(await text(page, '#m-mean'))).toBeCloseTo(s.mean, 4);
      expect(Number(await text(page, '#m-std'))).toBeCloseTo(s.std, 4);
      return { ...s, n: v.values.length, values: v.values, formula: v.formula };
    };
    // Normal-like: the mean within 4 standard errors of the formula's, the std within 3%.
    const normalLike = (s: Awaited<ReturnType<typeof select>>) => {
      expect(Math.abs(s.mean - s.formula.mean)).toBeLessThan((4 * s.formula.std) / Math.sqrt(s.n) + 1e-6);
      expect(Math.abs(s.std - s.formula.std) / s.formula.std).toBeLessThan(0.03);
    };
    const t = await select('truncNormal_(0, 1, −2, 2)');
    expect(t.formula.mean).toBeCloseTo(0, 12);
    expect(t.formula.std).toBeCloseTo(0.8796, 4);
    normalLike(t);
    expect(t.min).toBeGreaterThanOrEqual(-2);
    expect(t.max).toBeLessThanOrEqual(2);
    expect([await text(page, '#f-min'), await text(page, '#f-max')]).toEqual(['-2.0000', '2.0000']);

    const o = await select('orthogonal_');
    expect(o.formula.std).toBeCloseTo(1 / Math.sqrt(512), 12);
    expect(o.values.reduce((a, b) => a + b * b, 0) / o.n).toBeCloseTo(1 / 512, 6); // 256 orthonormal rows of 512
    normalLike(o);
    expect(await text(page, '#formula')).toContain('≈ N(0, 1/512)');

    const sp = await select('sparse_(sparsity 0.1, std 0.01)');
    const f = Math.ceil(0.1 * 256) / 256;
    expect(sp.formula.std).toBeCloseTo(0.01 * Math.sqrt(1 - f), 12);
    normalLike(sp);
    for (let col = 0; col < 512; col++) expect(Array.from({ length: 256 }, (_, row) => sp.values[row * 512 + col]).filter((x) => x === 0).length).toBe(26);
    expect(await text(page, '#formula')).toContain('spike at 0');

    const e = await select('eye_');
    expect(e.formula.mean).toBe(256 / (256 * 512));
    expect(Math.abs(e.mean - e.formula.mean)).toBeLessThan(1e-12);
    expect(Math.abs(e.std - e.formula.std)).toBeLessThan(1e-12);
    expect([e.min, e.max]).toEqual([0, 1]);
    e.values.forEach((x, k) => expect(x).toBe(Math.floor(k / 512) === k % 512 ? 1 : 0));
  });

  test('ewa: the curves equal the float64 recurrence over the GPU series; β changes them', async () => {
    const page = await open('demos/ewa.html');
    const check = async () => {
      const v = await values<{ temperatures: number[]; raw: number[]; corrected: number[]; beta: number }>(page);
      const [raw, corrected] = [ewa(v.temperatures, v.beta, false), ewa(v.temperatures, v.beta, true)];
      v.raw.forEach((x, i) => expect(x).toBeCloseTo(raw[i]!, 3));
      v.corrected.forEach((x, i) => expect(x).toBeCloseTo(corrected[i]!, 3));
      expect(await text(page, '#v1c')).toBe(v.temperatures[0]!.toFixed(3));
      expect(await text(page, '#v1')).toBe(((1 - v.beta) * v.temperatures[0]!).toFixed(3));
      return v.corrected[29];
    };
    const before = await check();
    await setInput(page, '#beta', '0.5', 'input');
    await waitForVersion(page, 2);
    expect(await check()).not.toBe(before);
  });

  test('optimizers: the SGD path is x ← x − lr·∇f; the table shows the final positions; the surface changes them', async () => {
    const page = await open('demos/optimizers.html');
    const v = await values<{ paths: Record<string, { x: number; y: number }[]>; lr: number }>(page);
    let [x, y] = [-1.8, 0.02];
    for (const p of v.paths.SGD!.slice(1, 11)) {
      [x, y] = [x - v.lr * 2 * x, y + v.lr * 2 * y];
      expect(p.x).toBeCloseTo(x, 4);
      expect(p.y).toBeCloseTo(y, 4);
    }
    const adam = v.paths.Adam!.at(-1)!;
    expect(await page.$$eval('#final tr.row td', (tds) => tds.map((t) => t.textContent))).toContain(adam.x.toFixed(4));
    expect(Object.keys(v.paths)).toEqual(['SGD', 'Momentum', 'AdaGrad', 'RMSProp', 'Adam']);
    // The page says how it scales lr per optimizer, and the table shows the lr each one ran with.
    expect(await text(page, 'main')).toContain('AdaGrad runs at 10 × lr, RMSProp at lr / 5 and Adam at 2 × lr');
    expect(await page.$$eval('#final tr.row', (trs) => trs.map((tr) => [tr.children[0]!.textContent, tr.children[1]!.textContent]))).toEqual([['SGD', '0.05'], ['Momentum', '0.05'], ['AdaGrad', '0.5'], ['RMSProp', '0.01'], ['Adam', '0.1']]);
    await page.select('#surface', 'ravine');
    await waitForVersion(page, 2);
    const ravine = await values<{ paths: Record<string, { x: number }[]> }>(page);
    expect(ravine.paths.SGD![0]!.x).toBe(-4.5);
    // The checkbox adds Adam's relatives, each moving from the start, with the lr the page says.
    await page.click('#more');
    await waitForVersion(page, 3);
    const more = await values<{ paths: Record<string, { x: number; y: number }[]>; lrs: Record<string, number> }>(page);
    expect(Object.keys(more.paths)).toEqual(['SGD', 'Momentum', 'AdaGrad', 'RMSProp', 'Adam', 'Adamax', 'NAdam', 'RAdam', 'Adadelta']);
    for (const name of ['Adamax', 'NAdam', 'RAdam', 'Adadelta']) expect(more.paths[name]!.at(-1)!.x).not.toBe(-4.5);
    expect([more.lrs.Adamax, more.lrs.Adadelta]).toEqual([0.1, 1]);
    expect(await text(page, 'main')).toContain('Adadelta at 20 × lr');
    await page.screenshot({ path: path.join(SHOTS, 'optimizers-more.png') });
  });

  test('dropout: kept values are x/(1 − p), the gradient is the column sums; p changes them', async () => {
    const page = await open('demos/dropout.html');
    const check = async () => {
      const v = await values<{ x: number[]; dropped: number[]; gradPlain: number[]; gradDropout: number[]; p: number }>(page);
      v.dropped.forEach((d, i) => expect(d === 0 || Math.abs(d - v.x[i]! / (1 - v.p)) < 1e-4).toBe(true));
      const columns = (m: number[]) => Array.from({ length: 8 }, (_, j) => [0, 1, 2, 3, 4].reduce((a, r) => a + m[r * 8 + j]!, 0));
      columns(v.x).forEach((s, j) => expect(v.gradPlain[j]).toBeCloseTo(s, 4));
      columns(v.dropped).forEach((s, j) => expect(v.gradDropout[j]).toBeCloseTo(s, 4));
      const cells = await page.$$eval('#y td', (tds) => tds.map((t) => Number(t.textContent)));
      cells.forEach((c, i) => expect(c).toBeCloseTo(v.dropped[i]!, 2));
      return v.dropped.filter((d) => d === 0).length;
    };
    expect(await text(page, '#scale')).toBe('1/(1 − 0.8) = 5.00');
    await check();
    await setInput(page, '#p', '0.2', 'input');
    await waitForVersion(page, 2);
    expect(await text(page, '#scale')).toBe('1/(1 − 0.2) = 1.25');
    await check();
  });

  test('batchnorm: train mode gives mean 0 and std 1 per channel; eval mode uses the running statistics', async () => {
    const page = await open('demos/batchnorm.html');
    const rows = async () => page.$$eval('#channels tr.row', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td'), (td) => Number(td.textContent))));
    for (const [, , , outMean, outStd] of await rows()) {
      expect(Math.abs(outMean!)).toBeLessThan(1e-3);
      expect(outStd!).toBeCloseTo(1, 2);
    }
    const trained = await values<{ runningMean: number[]; runningVar: number[]; batches: number }>(page);
    expect(trained.batches).toBe(21);
    expect(trained.runningMean[3]).toBeGreaterThan(5); // channel 3 has mean 10: 1 − 0.9²¹ of the way there
    await page.click('#eval');
    await waitForVersion(page, 2);
    const v = await values<{ input: number[]; output: number[]; evalMode: boolean; runningMean: number[]; runningVar: number[] }>(page);
    expect(v.evalMode).toBe(true);
    for (let i = 0; i < 8; i++) {
      const c = i % 4;
      expect(v.output[i]).toBeCloseTo((v.input[i]! - v.runningMean[c]!) / Math.sqrt(v.runningVar[c]! + 1e-5), 3);
    }
  });

  test('train: trains the tuned model in the page; the confusion matrix and accuracy come from its predictions', async () => {
    const page = await open('demos/train.html');
    await setInput(page, '#epochs', '2');
    await page.click('#train');
    await waitForVersion(page, 2);
    const v = await values<{ reports: { loss: number }[]; accuracy: number; confusion: number[][]; predictions: number[]; testLabels: number[]; modelBytes: number }>(page);
    expect(v.reports).toHaveLength(2);
    const correct = v.predictions.filter((p, i) => p === v.testLabels[i]).length;
    expect(v.accuracy).toBeCloseTo(correct / 400, 10);
    expect(await text(page, '#accuracy')).toBe(v.accuracy.toFixed(4));
    const cells = await page.$$eval('#confusion tr', (trs) => trs.slice(1).map((tr) => Array.from(tr.querySelectorAll('td')).slice(1).map((td) => Number(td.textContent))));
    expect(cells).toEqual(v.confusion);
    expect(cells.flat().reduce((a, b) => a + b, 0)).toBe(400);
    expect(await page.$eval('#download', (b) => (b as HTMLButtonElement).disabled)).toBe(false);
    expect(v.modelBytes).toBeGreaterThan(900_000);
  });

  test('mnist: a model trained by npm start -- --task mnist, loaded from a file, classifies a digit drawn with the mouse, and shows the maps of every layer', async () => {
    const page = await open('demos/mnist.html');
    const input = (await page.$('#model-file'))!;
    await (input as import('puppeteer').ElementHandle<HTMLInputElement>).uploadFile(path.resolve('tests/fixtures/mnist-cnn-wgslgrad.safetensors'));
    await page.waitForFunction(() => typeof window.demo?.values.loaded === 'string' && 'maps' in window.demo.values, { timeout: 120_000 });
    const box = (await (await page.$('#pad'))!.boundingBox())!;
    const drawn = await version(page);
    // a "7": the bar, then the stroke down to the left
    await page.mouse.move(box.x + 70, box.y + 60);
    await page.mouse.down();
    for (const [x, y] of [[130, 58], [210, 55], [190, 110], [160, 170], [135, 235]]) await page.mouse.move(box.x + x!, box.y + y!, { steps: 8 });
    await page.mouse.up();
    await waitForVersion(page, drawn + 1);
    const v = await values<{ prediction: number; probabilities: number[]; image: number[]; maps: Record<string, number[]>; running: Record<string, { mean: number[]; variance: number[] }> }>(page);
    expect(v.prediction).toBe(7);
    expect(await text(page, '#prediction')).toBe('7');
    expect(v.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(v.probabilities.indexOf(Math.max(...v.probabilities))).toBe(7);
    expect(v.image.filter((p) => p > 0.5).length).toBeGreaterThan(20);
    expect(Object.fromEntries(Object.entries(v.maps).map(([k, m]) => [k, m.length]))).toEqual({ conv1: 8 * 784, bn1: 8 * 784, pool1: 8 * 196, conv2: 16 * 196, bn2: 16 * 196, pool2: 16 * 49 });
    expect(v.running.bn1!.mean).toHaveLength(8);
    expect(v.running.bn2!.variance).toHaveLength(16);
    expect(await page.$$eval('#maps canvas', (c) => c.length)).toBe(8 + 8 + 8 + 16 + 16 + 16);
    expect(await page.$$eval('#probabilities tr', (r) => r.length)).toBe(10);
  });

  test('mnist-train: trains in the page with live curves, then evaluates on the 2,000 test digits', async () => {
    const page = await open('demos/mnist.html');
    await setInput(page, '#digits', '320');
    await page.click('#train');
    await page.waitForFunction(() => window.demo?.values.testAccuracy !== undefined || window.demo?.error !== undefined, { timeout: 600_000 });
    const v = await values<{ curve: { step: number; loss: number }[]; testAccuracy: number; trainedSteps: number }>(page);
    expect(v.trainedSteps).toBe(10);
    expect(v.curve.map((c) => c.step)).toEqual([10]);
    expect(Number.isFinite(v.curve[0]!.loss)).toBe(true);
    expect(v.testAccuracy).toBeGreaterThan(0.1);
    expect(await text(page, '#accuracy')).toBe(v.testAccuracy.toFixed(4));
    expect(await page.$eval('#download', (b) => (b as HTMLButtonElement).disabled)).toBe(false);
  }, 900_000);

  test('mnist-fields: bad fields are named beside the field and nothing trains; training disables its controls and cancel stops it', async () => {
    const page = await open('demos/mnist.html');
    for (const [id, value, message] of [
      ['#epochs', '0', 'epochs must be a whole number from 1 to 20; got 0.'],
      ['#digits', '5', 'training digits must be a whole number from 32 to 8000; got 5.'],
      ['#digits', '100', 'training digits must be a multiple of 32 (whole batches); got 100.'],
      ['#seed', '', 'seed: empty; enter a whole number from 0 to 4294967295.'],
    ]) {
      for (const [field, good] of [['#epochs', '1'], ['#digits', '8000'], ['#seed', '0']]) await setInput(page, field!, good!);
      await setInput(page, id!, value!);
      await page.click('#train');
      await page.waitForSelector('.field-error');
      expect(await fieldErrors(page)).toEqual([message]);
      expect(await text(page, '#status')).toBe(''); // nothing trained
    }
    await setInput(page, '#seed', '0');
    await page.click('#train');
    for (const id of ['#train', '#epochs', '#digits', '#seed', '#model-file']) expect(await disabled(page, id)).toBe(true);
    await page.waitForFunction(() => /^epoch 1\/1, step \d+\/250/.test(document.getElementById('status')!.textContent!), { timeout: 120_000 });
    await page.click('#cancel');
    await page.waitForFunction(() => !(document.getElementById('train') as HTMLButtonElement).disabled, { timeout: 60_000 });
    expect(await text(page, '#status')).toMatch(/^cancelled \(epoch 1\/1, step \d+\/250: loss /);
    expect(await hidden(page, '#cancel')).toBe(true);
    expect(await disabled(page, '#download')).toBe(true); // no model of a cancelled run is offered
    expect(await text(page, '#accuracy')).toBe('–');
  });

  test('inspector: GPU beside the CPU reference with the dispatch grid; another kernel shows its source and runs', async () => {
    const page = await open('demos/inspector.html');
    let v = await values<{ maxError: number; grids: string[]; gpu: number[]; reference: number[] }>(page);
    expect(v.maxError).toBeLessThan(1e-4);
    v.gpu.forEach((g, i) => expect(Math.abs(g - v.reference[i]!)).toBeLessThanOrEqual(v.maxError));
    expect(await text(page, '#grid')).toBe('[2, 2, 1]'); // 48 columns / 32, 64 rows / 32
    expect(await text(page, '#max-error')).toBe(v.maxError.toExponential(2));
    expect(await page.$$eval('#bindings tr', (r) => r.length)).toBe(6);
    await page.select('#kernel', 'softmax_cross_entropy');
    expect(await text(page, '#source')).toContain('fused softmax + cross-entropy');
    await page.select('#entry', 'cross_entropy_rows');
    await page.click('#run');
    await waitForVersion(page, 2);
    v = await values(page);
    expect(v.maxError).toBeLessThan(1e-5);
    expect(await text(page, '#grid')).toBe('[4, 1, 1]'); // 256 rows / 64
  });

  test('inspector: every entry point of every family runs at its default size, and the entry shown is the entry run', async () => {
    const page = await open('demos/inspector.html');
    await waitForVersion(page, 1);
    const kernels = await page.$$eval('#kernel option', (os) => os.map((o) => (o as HTMLOptionElement).value));
    const problems: string[] = [];
    let runs = 0;
    for (const kernel of kernels) {
      await page.select('#kernel', kernel);
      const entries = await page.$$eval('#entry option', (os) => os.map((o) => (o as HTMLOptionElement).value));
      for (const entry of entries) {
        await page.select('#entry', entry);
        const before = await version(page);
        if (await disabled(page, '#run')) {
          problems.push(`${kernel}.${entry}: Run disabled (${await text(page, '#run-note')})`);
          continue;
        }
        await page.click('#run');
        await page.waitForFunction((v) => window.demo!.version > v || window.demo!.error !== undefined, { timeout: 120_000 }, before);
        const error = await page.evaluate(() => window.demo!.error);
        const v = await values<{ entry: string; ran: string[]; ok: boolean }>(page);
        runs++;
        if (error) problems.push(`${kernel}.${entry}: ${error}`);
        else if (v.entry !== `${kernel}.${entry}` || !v.ran.includes(v.entry)) problems.push(`${kernel}.${entry}: shown ${v.entry}, ran ${v.ran.join(', ')}`);
        else if (!v.ok) problems.push(`${kernel}.${entry}: mismatch against the reference`);
        else if ((await text(page, '#grid')) === 'not dispatched') problems.push(`${kernel}.${entry}: grid says not dispatched`);
      }
    }
    expect(problems).toEqual([]);
    expect(runs).toBeGreaterThan(40);
  }, 600_000);

  test('inspector: a size that cannot fit is refused before anything runs; a failed run clears the last result, a good run the last error', async () => {
    const page = await open('demos/inspector.html');
    await waitForVersion(page, 1);
    await page.select('#kernel', 'activation');
    await page.select('#entry', 'sigmoid_forward');
    const before = await version(page);
    await setInput(page, '#dim-n', '1000000000');
    await page.click('#run');
    await page.waitForFunction(() => document.querySelector('.field-error') !== null, { timeout: 10_000 });
    expect((await fieldErrors(page)).join(' ')).toMatch(/n = 1000000000 is past the inspector's 16,777,216 per size/);
    expect(await text(page, '#grid')).toBe('–');
    expect(await version(page)).toBe(before);
    await setInput(page, '#dim-n', '1001'); // odd: the launcher runs v1, the entry picked
    await page.click('#run');
    await waitForVersion(page, before + 1);
    expect(await fieldErrors(page)).toEqual([]);
    expect((await values<{ ran: string[] }>(page)).ran).toEqual(['activation.sigmoid_forward']);
    await page.select('#entry', 'sigmoid_forward_vec4');
    await setInput(page, '#dim-n', '1001'); // not a multiple of 4: v1 runs, and the page says so
    await page.click('#run');
    await waitForVersion(page, before + 2);
    expect(await text(page, '#grid')).toBe('not dispatched');
    expect(await text(page, '#ran')).toMatch(/ran activation\.sigmoid_forward, not activation\.sigmoid_forward_vec4/);
  }, 120_000);

  test('bench: the page loads, ready to run, with the site navigation', async () => {
    current = await openPage('/demos/bench.html');
    await current.page.setViewport({ width: 1200, height: 900 });
    await current.page.waitForFunction(() => window.bench !== undefined, { timeout: 60_000 });
    expect(await text(current.page, '#run')).toBe('Run');
    expect(await text(current.page, 'header a.current')).toBe('Bench');
    expect(await current.page.$eval('body', (b) => getComputedStyle(b).margin)).toBe('0px'); // style.css, as every page
    expect(await hidden(current.page, '#cancel')).toBe(true);
    // A run disables Run and the size choice; cancel stops it before its next measurement.
    await current.page.click('#quick');
    await current.page.click('#run');
    expect(await disabled(current.page, '#run')).toBe(true);
    expect(await disabled(current.page, '#quick')).toBe(true);
    await current.page.click('#cancel');
    await current.page.waitForFunction(() => !(document.getElementById('run') as HTMLButtonElement).disabled, { timeout: 60_000 });
    expect(await text(current.page, '#status')).toMatch(/^cancelled/);
    expect(await current.page.$$('#results tbody tr')).toHaveLength(0);
  });

  test('optimizers-running: the race disables its controls, shows progress, and cancel stops it', async () => {
    const page = await open('demos/optimizers.html');
    await setInput(page, '#steps', '1000');
    await page.click('#race');
    for (const id of ['#race', '#surface', '#lr', '#momentum', '#steps']) expect(await disabled(page, id)).toBe(true);
    expect(await hidden(page, '#cancel')).toBe(false);
    await page.waitForFunction(() => /^step \d+\/1000$/.test(document.getElementById('status')!.textContent!), { timeout: 60_000 }); // progress
    await page.click('#race'); // disabled: no second race queued behind this one
    await page.click('#cancel');
    await page.waitForFunction(() => !(document.getElementById('race') as HTMLButtonElement).disabled, { timeout: 60_000 });
    expect(await text(page, '#status')).toMatch(/^cancelled \(step \d+\/1000\)$/);
    expect(await page.$eval('#surface', (el) => (el as HTMLSelectElement).value)).toBe('saddle');
    expect(await hidden(page, '#cancel')).toBe(true);
    expect(await page.$$('#final tr.row')).toHaveLength(0); // no stale final positions beside a partial race
    await new Promise((r) => setTimeout(r, 300));
    expect(await version(page)).toBe(1); // the cancelled race, and nothing after it, reported
  });

  test('optimizers-invalid: bad fields are named beside the field and nothing runs', async () => {
    const page = await open('demos/optimizers.html');
    for (const [value, message] of [
      ['0', 'steps must be a whole number from 1 to 1000; got 0.'],
      ['2.5', 'steps must be a whole number from 1 to 1000; got 2.5.'],
      ['', 'steps: empty; enter a whole number from 1 to 1000.'],
    ]) {
      await setInput(page, '#steps', value!);
      await page.click('#race');
      await page.waitForSelector('.field-error');
      expect(await fieldErrors(page)).toEqual([message]);
      expect(await page.$eval('#steps', (el) => el.getAttribute('aria-invalid'))).toBe('true');
      expect(await disabled(page, '#race')).toBe(false);
    }
    await setInput(page, '#steps', '40');
    await setInput(page, '#lr', '-1');
    await page.click('#race');
    await page.waitForSelector('.field-error');
    expect(await fieldErrors(page)).toEqual(['lr must be a number from 0.001 to 10; got -1.']);
    expect(await version(page)).toBe(1);
    await page.screenshot({ path: path.join(SHOTS, 'optimizers-invalid-field.png') });
    await setInput(page, '#lr', '0.05');
    await page.click('#race');
    await waitForVersion(page, 2);
    expect(await fieldErrors(page)).toEqual([]);
  });

  test('train-running: training disables its controls, counts epochs, and cancel stops it', async () => {
    const page = await open('demos/train.html');
    await setInput(page, '#epochs', '0');
    await page.click('#train');
    await page.waitForSelector('.field-error');
    expect(await fieldErrors(page)).toEqual(['epochs must be a whole number from 1 to 200; got 0.']);
    await setInput(page, '#epochs', '200');
    await page.click('#train');
    expect(await fieldErrors(page)).toEqual([]);
    for (const id of ['#train', '#variant', '#epochs', '#seed', '#download']) expect(await disabled(page, id)).toBe(true);
    await page.waitForFunction(() => /^epoch 1\/200: loss/.test(document.getElementById('status')!.textContent!), { timeout: 60_000 });
    await page.click('#cancel');
    await page.waitForFunction(() => !(document.getElementById('train') as HTMLButtonElement).disabled, { timeout: 60_000 });
    expect(await text(page, '#status')).toMatch(/^cancelled \(epoch \d+\/200: loss /);
    expect(await disabled(page, '#download')).toBe(true);
    expect(await version(page)).toBe(1);
  });

  test('init-invalid: a field out of its range is named and the weights are not redrawn', async () => {
    const page = await open('demos/init.html');
    await setInput(page, '#fan-in', '5000');
    await page.waitForSelector('.field-error');
    expect(await fieldErrors(page)).toEqual(['in_features must be a whole number from 1 to 4096; got 5000.']);
    await setInput(page, '#seed', '-1');
    await page.waitForFunction(() => document.querySelector('.field-error')?.textContent?.startsWith('in_features'), { timeout: 10_000 }); // the first bad field is named
    await setInput(page, '#fan-in', '7');
    await page.waitForFunction(() => document.querySelector('.field-error')?.textContent?.startsWith('seed'), { timeout: 10_000 });
    expect(await fieldErrors(page)).toEqual(['seed must be a whole number from 0 to 4294967295; got -1.']);
    expect(await version(page)).toBe(1);
  });

  test('runner-plot: a one-epoch training.png draws its point; the title names the whole architecture', async () => {
    current = await openPage('/demos/runner.html');
    await current.page.waitForFunction(() => window.runner !== undefined, { timeout: 60_000 });
    const report: EpochReport = { epoch: 1, loss: 1.2, accuracy: 0.4, seconds: 1, steps: 200, stepsPerSecond: 200, dispatchesPerStep: 30 };
    // Red (loss) and blue (accuracy) pixels inside the plot, below the title and legend.
    const coloured = await current.page.evaluate(async (r) => {
      const img = new Image();
      img.src = `data:image/png;base64,${window.runner!.plot([r], 'one epoch')}`;
      await img.decode();
      const ctx = Object.assign(document.createElement('canvas'), { width: img.width, height: img.height }).getContext('2d')!;
      ctx.drawImage(img, 0, 0);
      const { data } = ctx.getImageData(100, 100, img.width - 200, img.height - 160);
      let [red, blue] = [0, 0];
      for (let i = 0; i < data.length; i += 4) {
        const [R, G, B] = [data[i]!, data[i + 1]!, data[i + 2]!];
        if (R > 180 && G < 90 && B < 90) red++;
        if (B > 180 && R < 90 && G < 150) blue++;
      }
      return { red, blue };
    }, report);
    expect(coloured.red).toBeGreaterThan(20);
    expect(coloured.blue).toBeGreaterThan(20);
    expect(describeModel({ features: 20, classes: 4, hidden: [128, 64], activation: 'relu', batchNorm: true, dropout: 0.2 })).toBe('20→128→64→4, relu, batch-norm, dropout 0.2');
    expect(describeModel({ features: 20, classes: 4, hidden: [], activation: 'sigmoid', batchNorm: false, dropout: 0 })).toBe('20→4, sigmoid, no batch-norm, no dropout');
  });
});

describe('the built site', () => {
  let outDir: string;
  let server: Awaited<ReturnType<typeof preview>>;
  let site: { page: Page; errors: string[] } | null = null;

  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wgslgrad-site-'));
    await build({ logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    server = await preview({ logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1' } });
  });

  afterAll(async () => {
    await server?.close();
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  async function openBuilt(file: string): Promise<Page> {
    const browser = await testBrowser();
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    // Emscripten reports a failing worker with console.warn ("worker sent an error!"): count it too.
    page.on('console', (m) => m.type() === 'warn' && /worker/i.test(m.text()) && errors.push(m.text()));
    await page.setViewport({ width: 1200, height: 900 });
    await page.goto(`${server.resolvedUrls!.local[0]}${file}`);
    site = { page, errors };
    return page;
  }

  afterEach(async () => {
    if (!site) return;
    const name = expect.getState().currentTestName!.split(' > ').at(-1)!.split(':')[0]!;
    await site.page.screenshot({ path: path.join(SHOTS, `built-${name}.png`), fullPage: true });
    const { errors } = site;
    await site.page.close();
    site = null;
    expect(errors).toEqual([]);
  });

  test('pages: `vite build` writes every page and one works from `vite preview`', async () => {
    for (const page of ['index', 'demos/init', 'demos/train', 'demos/inspector', 'demos/bench']) expect(fs.existsSync(path.join(outDir, `${page}.html`))).toBe(true);
    const page = await openBuilt('demos/dropout.html');
    await waitForVersion(page, 1);
    expect(await text(page, '#scale')).toBe('1/(1 − 0.8) = 5.00');
  });

  test('bench-load: with no out/bench.json beside the built site, "Show out/bench.json" says so', async () => {
    const page = await openBuilt('demos/bench.html');
    await page.waitForFunction(() => window.bench !== undefined, { timeout: 60_000 });
    await page.click('#load');
    // The preview server answers a missing file with index.html, HTTP 200 (it was parsed as JSON).
    await page.waitForFunction(() => /^error: /.test(document.getElementById('status')!.textContent!), { timeout: 30_000 });
    expect(await text(page, '#status')).toMatch(/^error: no out\/bench\.json here \(the server sent a page instead\); run `npm run bench`/);
  });
});
