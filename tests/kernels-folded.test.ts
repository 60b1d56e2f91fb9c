// Past 65,535 workgroups a 1-D grid spills into y, and every 1-D entry point must then find its
// element as gid.x + gid.y · (num_workgroups.x · WORKGROUP_SIZE). Only multi-million-element cases
// reach that path for real, and not for every entry point (a vec4 entry needs 67 million elements).
// Here grid1d folds every grid of two or more workgroups into a column (1 along x), and each 1-D
// entry point of every family runs its small cases again, in Node, against their float64
// references, until one of them has dispatched it folded: an entry point that reads gid.x alone, or
// a row from workgroup_id.x alone, then computes its first workgroup's share again and again and
// never the rest (the NaN poison shows).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { requestGpu, type Gpu } from '../src/device/gpu';
import { foldedInTests, foldGridsAt } from '../src/device/shader';
import { families } from '../src/spec/families';
import { hashString } from '../src/spec/random';
import { runCase, type Dims, type KernelCase } from '../src/spec/scope';
import { heavyCase } from './support/harness';

foldGridsAt(1);

/** Entry points dispatched as one workgroup by design ([1]): nothing to fold. */
const SINGLE_WORKGROUP = new Set(['regression_loss.loss_total', 'softmax_cross_entropy.cross_entropy_mean_tree']);
/** Entry points whose only cases are showcases of one workgroup's work: run those at these sizes too. */
const LARGER: Record<string, Dims> = {
  'conv2d.conv2d_backward_bias': { N: 1, H: 3, W: 3, F: 70 }, // one invocation per output channel
  'conv3d.conv3d_backward_bias': { N: 1, D: 2, H: 3, W: 3, F: 70 },
};
const seed = process.env.WGSLGRAD_SEED ? Number(process.env.WGSLGRAD_SEED) : Math.floor(Math.random() * 2 ** 31);

const entries: { name: string; cases: KernelCase[] }[] = [];
for (const { shader, spec } of families) {
  for (const entry of shader.entries.values()) {
    const [x, y, z] = entry.workgroupSize;
    const name = `${shader.name}.${entry.name}`;
    if (y !== 1 || z !== 1 || x === 1 || SINGLE_WORKGROUP.has(name)) continue;
    entries.push({ name, cases: spec.filter((c) => c.entries.includes(entry.name) && !heavyCase(c.name)) });
  }
}

let gpu: Gpu;
beforeAll(async () => {
  gpu = await requestGpu({ variantPolicy: 'fixed' });
  console.log(`grids folded at 1 workgroup along x; WGSLGRAD_SEED=${seed}`);
});
afterAll(() => gpu?.destroy());

test.each(entries.map((e) => [e.name, e] as const))('%s on a folded grid', async (name, { cases }) => {
  const ran: string[] = [];
  const runs = [...cases.map((c) => ({ c, dims: c.dims })), ...(LARGER[name] ? cases.map((c) => ({ c, dims: { ...c.dims, ...LARGER[name] } })) : [])];
  for (const { c, dims } of runs) {
    const caseSeed = (hashString(c.name) ^ seed) >>> 0;
    const result = await runCase(gpu, c, caseSeed, dims);
    await gpu.sync();
    if (!result.ok) throw new Error(`${c.name} at ${JSON.stringify(dims)} (seed ${caseSeed}), grids folded:\n${result.report}`);
    ran.push(c.name);
    if (foldedInTests.has(name)) return;
  }
  expect.fail(`no case dispatched ${name} over more than one workgroup; ran: ${ran.join('; ') || 'none'}`);
});
