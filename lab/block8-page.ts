// Lab: an 8×8 register block (v4 candidate) against v3's 4×4 on square A · B. Halves the loads per
// multiply-add; the question is whether 16 vec4 accumulators spill on SwiftShader.
import { requestGpu } from '../src/device/gpu';
import { Shader } from '../src/device/shader';
import * as ops from '../src/kernels/matmul';
import { Tensor } from '../src/tensor';

const source = `
struct Params { M: u32, N: u32, K: u32 }
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a4: array<vec4f>;
@group(0) @binding(2) var<storage, read> b4: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c4: array<vec4f>;
@compute @workgroup_size(16, 4)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let n0 = gid.x * 8u;
  let m0 = gid.y * 8u;
  let M = params.M; let N = params.N; let K = params.K;
  if (m0 >= M || n0 >= N) { return; }
  var c: array<vec4f, 16>;
  for (var k = 0u; k < K; k += 4u) {
    let bl0 = b4[(k * N + n0) / 4u]; let bh0 = b4[(k * N + n0 + 4u) / 4u];
    let bl1 = b4[((k + 1u) * N + n0) / 4u]; let bh1 = b4[((k + 1u) * N + n0 + 4u) / 4u];
    let bl2 = b4[((k + 2u) * N + n0) / 4u]; let bh2 = b4[((k + 2u) * N + n0 + 4u) / 4u];
    let bl3 = b4[((k + 3u) * N + n0) / 4u]; let bh3 = b4[((k + 3u) * N + n0 + 4u) / 4u];
    for (var r = 0u; r < 8u; r++) {
      let a = a4[((m0 + r) * K + k) / 4u];
      c[2u * r] += a.x * bl0 + a.y * bl1 + a.z * bl2 + a.w * bl3;
      c[2u * r + 1u] += a.x * bh0 + a.y * bh1 + a.z * bh2 + a.w * bh3;
    }
  }
  for (var r = 0u; r < 8u; r++) {
    c4[((m0 + r) * N + n0) / 4u] = c[2u * r];
    c4[((m0 + r) * N + n0 + 4u) / 4u] = c[2u * r + 1u];
  }
}`;

export async function run() {
  // fixed: with the tuner on, its timing of a key turned hot would land inside the timed loops
  const gpu = await requestGpu({ variantPolicy: 'fixed' });
  const k = new Shader('block8', source);
  const results: Record<string, number> = {};
  for (const n of [256, 512]) {
    const a = Tensor.fromArray(gpu, new Float32Array(n * n).map(() => Math.random()), [n, n]);
    const b = Tensor.fromArray(gpu, new Float32Array(n * n).map(() => Math.random()), [n, n]);
    const c = Tensor.empty(gpu, [n, n]);
    const c3 = Tensor.empty(gpu, [n, n]);
    const time = async (name: string, f: () => void) => {
      f();
      await gpu.sync();
      const t = performance.now();
      for (let i = 0; i < 5; i++) f();
      await gpu.sync();
      results[name] = (performance.now() - t) / 5;
    };
    await time(`8×8 block ${n}³`, () => gpu.dispatch(k.entry('main'), { params: { M: n, N: n, K: n }, a4: a, b4: b, c4: c }, [n / 128, n / 32]));
    await time(`v3 4×4 vec4 ${n}³`, () => ops.matmul(a, b, c3, { variant: 'vec4' }));
    const [x, y] = [await c.read(), await c3.read()];
    results[`max |8×8 − v3| ${n}`] = Array.from(x).reduce((m, v, i) => Math.max(m, Math.abs(v - y[i]!)), 0);
  }
  return results;
}
