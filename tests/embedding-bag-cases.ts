// nn.EmbeddingBag and F.embeddingBag against PyTorch itself (tests/fixtures/pytorch-embedding-bag.json,
// from scripts/make-fixtures.py): every mode over offsets (an empty bag among them) and over 2-D
// bags, per_sample_weights, include_last_offset, padding_idx; output, the weight's and the weights'
// gradients, printouts; errors. Part of tests/parity-cases.ts's table.
import * as F from '../src/functional';
import * as nn from '../src/nn';
import { caseTable, type KernelCase } from '../src/spec/scope';
import { type Tensor, UNREACHED_GRAPH_BACKWARDS } from '../src/tensor';
import golden from './fixtures/pytorch-embedding-bag.json';

const { cases, add } = caseTable();

type Fixture = (typeof golden.cases)[number] & { per_sample_weights?: number[]; dper_sample_weights?: number[] };

for (const f of golden.cases as Fixture[]) {
  const shape = Array.isArray(f.input[0]) ? [f.input.length, (f.input[0] as number[]).length] : [f.input.length];
  add(`PyTorch ${golden.torch_version}: nn.EmbeddingBag(10, 3, ${JSON.stringify(f.kwargs)}) on [${shape.join(', ')}]${f.offsets ? ` offsets ${JSON.stringify(f.offsets)}` : ''}${f.per_sample_weights ? ' with per_sample_weights' : ''}: output, gradients, printout`, async (s) => {
    const gpu = s.gpu;
    const m = new nn.EmbeddingBag(10, 3, { ...(f.kwargs as object), gpu });
    s.expect('printout as PyTorch', m.describe() === f.repr, `${m.describe()} (PyTorch: ${f.repr})`);
    m.weight.write(f.weight);
    const input = s.input((f.input as (number | number[])[]).flat(), shape, 'i32', 'input');
    const offsets = f.offsets ? s.input(f.offsets, [f.offsets.length], 'i32', 'offsets') : null;
    const psw = f.per_sample_weights ? s.input(f.per_sample_weights, shape, 'f32', 'per_sample_weights') : null;
    if (psw) psw.requiresGrad = true;
    const y = m.forward(input, offsets, psw);
    s.expect('output shape', y.shape.join() === f.y_shape.join(), `[${y.shape.join(', ')}] (PyTorch: [${f.y_shape.join(', ')}])`);
    await s.check('y', y, f.y, 1e-6, 1e-5);
    s.own(F.sum(s.own(F.mul(y, s.input(f.dy, y.shape, 'f32', 'dy'))))).backward();
    await s.check('d weight', m.weight.grad, f.dweight, 1e-6, 1e-5);
    if (psw) await s.check('d per_sample_weights', psw.grad!, f.dper_sample_weights!, 1e-6, 1e-5);
  });
}

add('EmbeddingBag.fromPretrained: a copy of the table, frozen unless told, options as the constructor\'s, the padding row kept', async (s, random) => {
  const gpu = s.gpu;
  const table = Array.from(Float32Array.from({ length: 5 * 3 }, () => random() * 2 - 1));
  const weights = s.input(table, [5, 3], 'f32', 'pretrained');
  const bag = nn.EmbeddingBag.fromPretrained(weights, { mode: 'sum', padding_idx: 2 });
  s.expect('printout as PyTorch', bag.describe() === 'EmbeddingBag(5, 3, mode=sum, padding_idx=2)', bag.describe());
  s.expect('frozen by default', bag.weight.requiresGrad === false, String(bag.weight.requiresGrad));
  await s.check('the table copied, its padding row kept', bag.weight, table, 0, 0);
  weights.write(new Float32Array(15)); // a copy: the source changing later changes nothing
  const input = s.input([0, 2, 4, 1, 1], [5], 'i32', 'input');
  const offsets = s.input([0, 3], [2], 'i32', 'offsets');
  const expected = [0, 1, 2].map((d) => table[d]! + table[12 + d]!).concat([0, 1, 2].map((d) => 2 * table[3 + d]!)); // bag 0 skips the padding row 2
  await s.check('sum of each bag without the padding row', bag.forward(input, offsets), expected, 1e-6, 1e-6);
  const trained = nn.EmbeddingBag.fromPretrained(s.input(table, [5, 3]), { freeze: false, include_last_offset: true });
  s.expect('freeze: false trains it; include_last_offset kept', trained.weight.requiresGrad && trained.includeLastOffset && trained.mode === 'mean', `${trained.weight.requiresGrad} ${trained.includeLastOffset} ${trained.mode}`);
  s.expectError('a 1-D table', () => nn.EmbeddingBag.fromPretrained(s.input([1, 2, 3], [3])), /^EmbeddingBag\.fromPretrained: argument 'embeddings' expected a 2-D f32 Tensor \[num_embeddings, embedding_dim\], got f32 \[3\]/);
  s.expectError('max_norm', () => nn.EmbeddingBag.fromPretrained(weights, { max_norm: 1 } as never), /EmbeddingBag\.fromPretrained: .*max_norm/);
  s.expectError('an unknown option', () => nn.EmbeddingBag.fromPretrained(weights, { fraze: true } as never), /EmbeddingBag\.fromPretrained: .*fraze/);
  bag.destroy();
  trained.destroy();
});

add('EmbeddingBag: the F form equals the module; a Sequential of EmbeddingBag and Linear over 2-D bags; errors named', async (s, random) => {
  const gpu = s.gpu;
  const m = new nn.EmbeddingBag(6, 4, { mode: 'sum', gpu });
  const input = s.input([1, 2, 3, 4, 5, 0, 1], [7], 'i32', 'input');
  const offsets = s.input([0, 4], [2], 'i32', 'offsets');
  const viaModule = Array.from(await m.forward(input, offsets).read());
  await s.check('F.embeddingBag = the module', s.own(F.embeddingBag(input, m.weight, { offsets, mode: 'sum' })), viaModule, 0, 0);
  // A training loop's steps leave no buffers behind (the module keeps its composed outputs, as others).
  const trainStep = () => {
    m.zeroGrad();
    const loss = F.sum(m.forward(input, offsets));
    loss.backward();
    loss.destroy();
  };
  // The first forward above, never backwarded, is kept through UNREACHED_GRAPH_BACKWARDS backwards, then freed.
  for (let i = 0; i < 2 + UNREACHED_GRAPH_BACKWARDS; i++) trainStep();
  const live = gpu.stats.liveBuffers;
  for (let i = 0; i < 3; i++) trainStep();
  s.expect('no buffers left behind by 3 more steps', gpu.stats.liveBuffers === live, `${live} → ${gpu.stats.liveBuffers}`);
  const net = new nn.Sequential(new nn.EmbeddingBag(6, 4, { gpu }), new nn.Linear(4, 2, { gpu }));
  s.expect('Sequential output shape', net.forward(s.input([1, 2, 3, 4, 5, 0], [2, 3], 'i32')).shape.join() === '2,2', '');
  const notUploaded = s.own(F.embeddingBag(s.input([0, 0], [2], 'i32'), s.input(new Float32Array(2 * 4), [2, 4]), { offsets: s.input([0, 1], [2], 'i32') }));
  s.expect('offsets uploaded: fine', notUploaded.shape.join() === '2,4', '');
  s.expectError('1-D input without offsets', () => m.forward(input), /^EmbeddingBag\(6, 4, mode=sum\): a 1-D input needs offsets, a 1-D i32 Tensor of where each bag starts, got null/);
  s.expectError('offsets with a 2-D input', () => m.forward(s.input([1, 2], [1, 2], 'i32'), offsets), /offsets has to be None if input is 2D/);
  s.expectError('a JavaScript array as offsets with a 2-D input', () => m.forward(s.input([1, 2], [1, 2], 'i32'), [0] as unknown as Tensor), /offsets has to be None if input is 2D \(PyTorch's\), got \[0\]/);
  s.expectError('offsets[0] not 0', () => m.forward(input, s.input([1, 4], [2], 'i32')), /offsets\[0\] has to be 0, i\.e\., the first sequence in the mini-batch has to start from position 0\. However, got 1/);
  s.expectError('decreasing offsets', () => m.forward(input, s.input([0, 5, 3], [3], 'i32')), /offsets must be non-decreasing and within the input's 7 indices: bag 1 is \[5, 3\)/);
  s.expectError('an index out of range', () => m.forward(s.input([1, 6], [2], 'i32'), s.input([0], [1], 'i32')), /input holds 6 at \[1\], out of range for weight's 6 rows/);
  const meanBag = new nn.EmbeddingBag(6, 4, { gpu });
  const weights = s.input(new Float32Array(7), [7]);
  s.expectError('per_sample_weights with mean', () => meanBag.forward(input, offsets, weights), /per_sample_weights is only supported for mode='sum' \(got mode='mean'\)/);
  s.expectError('a mode', () => new nn.EmbeddingBag(6, 4, { mode: 'min' as 'max', gpu }), /EmbeddingBag: argument 'mode' expected 'sum', 'mean' or 'max', got 'min'/);
  s.expectError('max_norm', () => new nn.EmbeddingBag(6, 4, { max_norm: 1, gpu } as object), /EmbeddingBag: max_norm=1 is not supported/);
  s.expectError('1-D in a Sequential', () => meanBag.outputShape([7]), /a 1-D input needs offsets: call forward\(input, offsets\)/);
  s.expectError('f32 indices', () => F.embeddingBag(s.input([1, 2], [2]) as Tensor, m.weight, { offsets }), /embeddingBag: argument 'input' expected an i32 Tensor of indices/);
  void random;
});

export const embeddingBagCases: readonly KernelCase[] = cases;
