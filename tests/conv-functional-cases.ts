// F.conv2d, F.convTranspose2d, F.maxPool2d and F.avgPool2d, the layers' kernels as functions
// (PyTorch's torch.nn.functional forms, as the classic MNIST script writes F.max_pool2d(F.relu(
// self.conv1(x)), 2)): equal exactly to the modules' values and gradients (which PyTorch's fixtures
// check), on batches and one image; a fixed filter gets no gradient; return_indices. Part of
// tests/parity-cases.ts's table.
import * as F from '../src/functional';
import * as nn from '../src/nn';
import { caseTable, type KernelCase } from '../src/spec/scope';
import type { Tensor } from '../src/tensor';
import { expectFunctionalAsModule, sameValues, type FunctionalPair } from './support/functional-vs-module';

const { cases, add } = caseTable();

add('F.conv2d, F.convTranspose2d, F.maxPool2d, F.avgPool2d: exactly the modules\' values and gradients, on a batch and on one image; a weight that requires no gradient gets none; return_indices', async (s, random) => {
  const { gpu } = s;
  const draw = (n: number) => Array.from({ length: n }, () => random() * 2 - 1);
  const xValues = draw(2 * 4 * 7 * 6);
  const conv = new nn.Conv2d(4, 6, 3, { stride: 2, padding: 1, groups: 2, gpu });
  const up = new nn.ConvTranspose2d(4, 2, 3, { stride: 2, padding: 1, output_padding: 1, gpu });
  const pairs: FunctionalPair[] = [
    ['conv2d', (x) => conv.forward(x), (x) => F.conv2d(x, conv.weight, conv.bias, { stride: 2, padding: 1, groups: 2 }), conv],
    ['convTranspose2d', (x) => up.forward(x), (x) => F.convTranspose2d(x, up.weight, up.bias, { stride: 2, padding: 1, output_padding: 1 }), up],
    ['maxPool2d', (x) => new nn.MaxPool2d(3, { stride: 2, padding: 1, gpu }).forward(x), (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1 }), null],
    ['avgPool2d', (x) => new nn.AvgPool2d(2, { count_include_pad: false, padding: 1, gpu }).forward(x), (x) => F.avgPool2d(x, 2, { padding: 1, count_include_pad: false }), null],
  ];
  await expectFunctionalAsModule(s, pairs, xValues, [[2, 4, 7, 6], [4, 7, 6]]);
  // A fixed filter (a Sobel kernel, no gradient wanted): the input's gradient alone.
  const sobel = s.input([1, 0, -1, 2, 0, -2, 1, 0, -1], [1, 1, 3, 3], 'f32', 'sobel');
  const image = s.input(draw(25), [1, 1, 5, 5], 'f32', 'image');
  image.requiresGrad = true;
  s.own(F.sum(s.own(F.conv2d(image, sobel, null, { padding: 'same' })))).backward();
  s.expect('a fixed filter: no gradient made for it, the image\'s made', sobel.grad === null && image.grad !== null, `sobel.grad ${sobel.grad === null ? 'null' : 'made'}`);
  const pool = new nn.MaxPool2d(2, { gpu });
  const x = s.input(xValues, [2, 4, 7, 6], 'f32', 'x');
  pool.forward(x);
  const [, indices] = F.maxPool2d(x, 2, { return_indices: true }) as [Tensor, Tensor];
  s.expect('return_indices: the module\'s arg-max', sameValues(await indices.read(), await pool.indices!.read()), `${indices.dtype} [${indices.shape.join(', ')}]`);
  s.expectError('padding same with a stride', () => F.conv2d(image, sobel, null, { stride: 2, padding: 'same' }), /conv2d: padding='same' is not supported for strided convolutions \(stride \(2, 2\)\), as in PyTorch/);
  s.expectError('ceil_mode', () => F.maxPool2d(x, 2, { ceil_mode: true as never }), /maxPool2d: ceil_mode=true is not supported/);
});

export const convFunctionalCases: readonly KernelCase[] = cases;
