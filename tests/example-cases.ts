// The course's chapter 1–4 programs (examples/), and one beyond it (sequences of their own lengths),
// run in headless Chrome with their outputs asserted.
import * as ch1 from '../examples/ch1-init';
import * as ch2 from '../examples/ch2-ewa';
import * as ch3 from '../examples/ch3-dropout';
import * as ch4 from '../examples/ch4-batchnorm';
import * as sequences from '../examples/sequences';
import { ewa } from '../src/reference/optim';
import { caseTable, type CaseScope, type KernelCase } from '../src/spec/scope';
import { compare } from '../src/spec/compare';

const { cases, add: addCase } = caseTable();
/** Example cases collect what the example prints into the report. */
const add = (name: string, body: (s: CaseScope, print: (line: string) => void) => Promise<void>) => addCase(name, (s) => body(s, (line) => s.notes.push(line)));

const within = (values: number[], low: number, high: number) => values.every((v) => v >= low && v <= high);

add(ch1.title, async (s, print) => {
  const r = await ch1.run(s.gpu, print);
  const all = (name: string, v: number) => r[name]!.length === 15 && r[name]!.every((x) => x === v);
  s.expect('default init within ±1/√5', within(r['nn.Linear default (U(±1/√5))']!, -1 / Math.sqrt(5), 1 / Math.sqrt(5)), r['nn.Linear default (U(±1/√5))']!.join(', '));
  s.expect('uniform_ in [0, 1)', within(r['uniform_']!, 0, 1), r['uniform_']!.join(', '));
  s.expect('zeros_, ones_, constant_(5)', all('zeros_', 0) && all('ones_', 1) && all('constant_(5)', 5), 'exact');
  s.expect('kaimingUniform_ within ±√(6/5)', within(r['kaimingUniform_']!, -Math.sqrt(6 / 5), Math.sqrt(6 / 5)), r['kaimingUniform_']!.join(', '));
  s.expect('xavierUniform_ within ±√(6/8)', within(r['xavierUniform_']!, -Math.sqrt(6 / 8), Math.sqrt(6 / 8)), r['xavierUniform_']!.join(', '));
  for (const name of ['normal_', 'kaimingNormal_', 'xavierNormal_']) s.expect(`${name} drawn`, r[name]!.every(Number.isFinite) && new Set(r[name]).size === 15, r[name]!.join(', '));
});

add(ch2.title, async (s, print) => {
  const { temperatures, curves } = await ch2.run(s.gpu, print);
  for (const beta of [0.5, 0.9]) {
    for (const corrected of [false, true]) {
      const name = `β=${beta}${corrected ? ', bias-corrected' : ''}`;
      s.comparisons.push(compare(name, curves[name]!, ewa(temperatures, beta, corrected), 1e-4, 1e-5));
    }
  }
  s.expect('bias correction starts at the first day', Math.abs(curves['β=0.9, bias-corrected']![0]! - temperatures[0]!) < 1e-4, `${curves['β=0.9, bias-corrected']![0]} vs ${temperatures[0]}`);
  const roughness = (c: number[]) => c.slice(1).reduce((a, v, i) => a + Math.abs(v - c[i]!), 0);
  s.expect('β = 0.9 is smoother than β = 0.5', roughness(curves['β=0.9, bias-corrected']!) < roughness(curves['β=0.5, bias-corrected']!), 'total variation');
});

add(ch3.title, async (s, print) => {
  const { x, dropped, gradPlain, gradDropout } = await ch3.run(s.gpu, print);
  s.expect('x is integers 0–9', x.every((v) => Number.isInteger(v) && v >= 0 && v <= 9), x.join(','));
  s.expect('each output is 0 or 5 × input', dropped.every((v, i) => v === 0 || Math.abs(v - 5 * x[i]!) < 1e-5), dropped.join(','));
  s.expect('some dropped, some kept', dropped.some((v, i) => v === 0 && x[i] !== 0) && dropped.some((v) => v !== 0), dropped.join(','));
  const columnSums = (m: number[]) => Array.from({ length: 8 }, (_, j) => [0, 1, 2, 3, 4].reduce((a, i) => a + m[i * 8 + j]!, 0));
  s.comparisons.push(compare('d sum(x @ w) / d w = column sums of x', gradPlain, columnSums(x), 1e-5, 1e-6));
  s.comparisons.push(compare('with dropout: column sums of the dropped x', gradDropout, columnSums(dropped), 1e-5, 1e-6));
});

add(ch4.title, async (s, print) => {
  const r = await ch4.run(s.gpu, print);
  const M = 2 * 4 * 4;
  for (let c = 0; c < 3; c++) {
    const { mean, variance } = r.before[c]!;
    s.expect(`channel ${c} normalised`, Math.abs(r.after[c]!.mean) < 1e-5 && Math.abs(r.after[c]!.variance - variance / (variance + 1e-5)) < 1e-4, JSON.stringify(r.after[c]));
    s.expect(`channel ${c} running_mean = 0.1 · mean`, Math.abs(r.runningMean[c]! - 0.1 * mean) < 1e-5, `${r.runningMean[c]} vs ${0.1 * mean}`);
    s.expect(`channel ${c} running_var = 0.9 + 0.1 · unbiased var`, Math.abs(r.runningVar[c]! - (0.9 + (0.1 * variance * M) / (M - 1))) < 1e-4, `${r.runningVar[c]}`);
  }
  const expected0 = (r.input[0]! - r.runningMean[0]!) / Math.sqrt(r.runningVar[0]! + 1e-5);
  s.expect('eval uses running statistics', Math.abs(r.evalOut[0]! - expected0) < 1e-4, `${r.evalOut[0]} vs ${expected0}`);
});

add(sequences.title, async (s, print) => {
  const { losses, accuracy } = await sequences.run(s.gpu, print);
  s.expect('the loss falls from ln 2', losses[0]! > 0.6 && losses.at(-1)! < losses[0]! / 2, losses.map((l) => l.toFixed(4)).join(' → '));
  s.expect('≥ 0.9 test accuracy', accuracy >= 0.9, accuracy.toFixed(3));
});

export const exampleCases: readonly KernelCase[] = cases;
