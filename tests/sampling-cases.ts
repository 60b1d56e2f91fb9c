// Sampling at positions, the spatial transformer's F.affineGrid and F.gridSample, against PyTorch
// itself (tests/fixtures/pytorch-sampling.json, from scripts/make-fixtures.py: every mode, padding
// and align_corners on 4-D and 5-D input, positions past the edges and exactly on samples and
// borders) and against the float64 reference written from the definition (src/reference/sampling.ts)
// on fresh random inputs of awkward shapes. Part of tests/parity-cases.ts's table.
import * as F from '../src/functional';
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
          await s.check(`y ${at}`, y, expected.y, 1e-6, 1e-5);
          backwardFrom(s, y, dy);
          await s.check(`d x ${at}`, x.grad!, expected.dx, 1e-5, 1e-5);
          await s.check(`d grid ${at}`, grid.grad!, expected.dgrid, 2e-5, 1e-4);
        }
      });
    }
  }
}

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

export const samplingCases: readonly KernelCase[] = cases;
