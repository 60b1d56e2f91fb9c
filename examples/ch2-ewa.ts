// Chapter 2 — exponentially weighted averages of 30 days of temperatures, β = 0.5 and 0.9, with and
// without bias correction (the EWA kernel, shaders/ewa.wgsl).
import type { Gpu } from '../src/device/gpu';
import * as init from '../src/init';
import { exponentiallyWeightedAverage } from '../src/optim';
import type { Print } from './format';
import { Tensor } from '../src/tensor';

export const title = 'Chapter 2: exponentially weighted averages of 30 days of temperatures';

export async function run(gpu: Gpu, print: Print): Promise<{ temperatures: number[]; curves: Record<string, number[]> }> {
  init.manualSeed(0);
  // torch.randn(30) * 5 + 18 in the course: daily temperatures around 18 °C
  const days = Tensor.empty(gpu, [30], 'f32', 'temperatures');
  init.normal_(days, 18, 5);
  const temperatures = Array.from(await days.read());
  print(`temperatures: ${temperatures.map((t) => t.toFixed(1)).join(' ')}`);
  const curves: Record<string, number[]> = {};
  for (const beta of [0.5, 0.9]) {
    for (const biasCorrection of [false, true]) {
      const name = `β=${beta}${biasCorrection ? ', bias-corrected' : ''}`;
      const curve = exponentiallyWeightedAverage(gpu, days, beta, { biasCorrection });
      curves[name] = Array.from(await curve.read());
      curve.destroy();
      print(`${name}: ${curves[name]!.map((t) => t.toFixed(1)).join(' ')}`);
    }
  }
  days.destroy();
  return { temperatures, curves };
}
