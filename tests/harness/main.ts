// The harness page: acquires the WebGPU device and runs kernel cases by name for the Node side.
import { tryRequestGpu, type AdapterSummary } from '../../src/device/gpu';
import { runCase, type CaseResult } from '../../src/spec/scope';
import { convCases } from '../conv-cases';
import { exampleCases } from '../example-cases';
import { graphCases } from '../graph-cases';
import { kernelCases } from '../kernel-cases';
import { parityCases } from '../parity-cases';

export interface Harness {
  adapter?: AdapterSummary;
  error?: string;
  runCase(name: string, seed: number): Promise<CaseResult>;
  /** Every case's name, in table order. */
  names: string[];
}

declare global {
  interface Window {
    harness?: Harness;
  }
}

const log = document.getElementById('log')!;
// Fixed variants: a case names the variant it checks, and the defaults stay what they are; the tuner
// has its own cases (tests/kernel-cases.ts, 'tuner …').
const { gpu, error } = await tryRequestGpu({ debug: new URLSearchParams(location.search).has('debug'), variantPolicy: 'fixed', tuningStore: null, poisonNewBuffers: true });

window.harness = {
  ...(gpu ? { adapter: gpu.adapter } : {}),
  ...(error ? { error } : {}),
  names: [...kernelCases, ...convCases, ...graphCases, ...exampleCases, ...parityCases].map((c) => c.name),
  async runCase(name, seed) {
    if (!gpu) throw new Error(error);
    const c = [...kernelCases, ...convCases, ...graphCases, ...exampleCases, ...parityCases].find((k) => k.name === name);
    if (!c) throw new Error(`no kernel case named '${name}'`);
    const result = await runCase(gpu, c, seed);
    await gpu.sync();
    log.textContent += `${result.ok ? 'ok  ' : 'FAIL'} ${name}\n`;
    return result;
  },
};
