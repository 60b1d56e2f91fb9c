// Lab: the cost of a 250,000-element Adam step on SwiftShader by workgroup size, elements per
// invocation and vec4 loads, and a plain copy for the memory floor. `npx tsx lab/run.ts elementwise-page`
// (add --enable-dawn-features=disable_robustness to see the cost of bounds clamping).
import { requestGpu } from '../src/device/gpu';
import { MAX_WORKGROUPS_PER_DIMENSION } from '../src/device/shader';

const grid1d = (n: number, size: number): [number, number] => {
  const groups = Math.ceil(n / size);
  return groups <= MAX_WORKGROUPS_PER_DIMENSION ? [groups, 1] : [MAX_WORKGROUPS_PER_DIMENSION, Math.ceil(groups / MAX_WORKGROUPS_PER_DIMENSION)];
};
import { Shader } from '../src/device/shader';
import { Tensor } from '../src/tensor';

const variant = (wg: number, per: number, vec: boolean) => `
struct Params { n: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, weight_decay: f32, bias_correction1: f32, bias_correction2: f32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<${vec ? 'vec4f' : 'f32'}>;
@group(0) @binding(2) var<storage, read> grad: array<${vec ? 'vec4f' : 'f32'}>;
@group(0) @binding(3) var<storage, read_write> exp_avg: array<${vec ? 'vec4f' : 'f32'}>;
@group(0) @binding(4) var<storage, read_write> exp_avg_sq: array<${vec ? 'vec4f' : 'f32'}>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let first = (gid.x + gid.y * groups.x * ${wg}u) * ${per}u;
  for (var j = 0u; j < ${per}u; j++) {
    let i = first + j;
    if (i >= params.n) { return; }
    let theta = param[i];
    let g = grad[i] + params.weight_decay * theta;
    let m = params.beta1 * exp_avg[i] + (1.0 - params.beta1) * g;
    let v = params.beta2 * exp_avg_sq[i] + (1.0 - params.beta2) * g * g;
    exp_avg[i] = m;
    exp_avg_sq[i] = v;
    let denom = sqrt(v) / sqrt(params.bias_correction2) + params.eps;
    param[i] = theta - params.lr / params.bias_correction1 * m / denom;
  }
}`;

export async function run() {
  // fixed: with the tuner on, its timing of a key turned hot would land inside the timed loops
  const gpu = await requestGpu({ variantPolicy: 'fixed' });
  const n = 250_000;
  const bufs = ['param', 'grad', 'exp_avg', 'exp_avg_sq'].map((l) => Tensor.fromArray(gpu, new Float32Array(n).map(() => Math.random()), [n], 'f32', l));
  const results: Record<string, number> = {};
  for (const [wg, per, vec] of [[64, 4, true], [64, 8, true], [64, 16, true], [32, 8, true], [16, 16, true]] as const) {
    const k = new Shader(`adam-${wg}-${per}-${vec}`, variant(wg, per, vec));
    const count = vec ? n / 4 : n;
    const args = { params: { n: count, lr: 1e-4, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0, bias_correction1: 0.5, bias_correction2: 0.5 }, param: bufs[0]!, grad: bufs[1]!, exp_avg: bufs[2]!, exp_avg_sq: bufs[3]! };
    const grid = grid1d(Math.ceil(count / per), wg);
    const go = () => { gpu.dispatch(k.entry('main'), args, grid); gpu.flush(); };
    for (let i = 0; i < 5; i++) go();
    await gpu.sync();
    const t = performance.now();
    for (let i = 0; i < 50; i++) go();
    await gpu.sync();
    results[`wg ${wg}, ${per}/invocation, ${vec ? 'vec4' : 'f32'}`] = (performance.now() - t) / 50;
  }
  const copy = new Shader('copy', `
@group(0) @binding(0) var<storage, read> src: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> dst: array<vec4f>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let first = (gid.x + gid.y * groups.x * 64u) * 4u;
  for (var j = 0u; j < 4u; j++) { let i = first + j; if (i < arrayLength(&dst)) { dst[i] = src[i]; } }
}`);
  const go = () => { gpu.dispatch(copy.entry('main'), { src: bufs[1]!, dst: bufs[0]! }, grid1d(n / 16, 64)); gpu.flush(); };
  for (let i = 0; i < 5; i++) go();
  await gpu.sync();
  let t = performance.now();
  for (let i = 0; i < 50; i++) go();
  await gpu.sync();
  results['copy 1 MB (vec4, 4/invocation)'] = (performance.now() - t) / 50;
  t = performance.now();
  for (let i = 0; i < 50; i++) { gpu.copy(bufs[1]!, bufs[0]!); gpu.flush(); }
  await gpu.sync();
  results['copyBufferToBuffer 1 MB'] = (performance.now() - t) / 50;
  return results;
}
