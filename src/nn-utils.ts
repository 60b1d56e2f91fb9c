// torch.nn.utils: clip_grad_norm_ and clip_grad_value_, in place on the parameters' gradients
// (shaders/grad_clip.wgsl), between backward() and the optimizer's step(); rnn, the packed
// sequences of src/rnn-utils.ts. Reached as nn.utils.
import { currentGpu } from './device/gpu';
import { clipGradNorm, clipGradValue } from './kernels/grad_clip';
import { normalizeOptions, show } from './options';
import { Tensor } from './tensor';

export * as rnn from './rnn-utils';

/** The parameters (a tensor or a list, read once: a generator too) and the gradients to clip: of those that have one, as PyTorch skips grad None. */
function gradientsOf(op: string, parameters: Tensor | Iterable<Tensor>): { list: Tensor[]; grads: Tensor[] } {
  const list = parameters instanceof Tensor ? [parameters] : parameters !== null && typeof parameters === 'object' && Symbol.iterator in parameters ? [...parameters] : null;
  if (!list) throw new Error(`${op}: argument 'parameters' expected a Tensor or a list of them (model.parameters()), got ${show(parameters)}`);
  list.forEach((p, i) => {
    if (!(p instanceof Tensor)) throw new Error(`${op}: parameters[${i}] expected a Tensor, got ${show(p)}`);
  });
  return { list, grads: list.filter((p) => p.hasGrad && p.grad !== null).map((p) => p.grad!) };
}

/** Each Gpu's norm buffer: every call returns a new handle on it, the previous one marked overwritten. */
const norms = new WeakMap<Tensor['gpu'], Tensor>();

/**
 * torch.nn.utils.clip_grad_norm_(parameters, max_norm, norm_type=2): scales the gradients in place
 * by max_norm / (norm + 1e-6) when that is under 1, norm being their joint norm_type-norm
 * (Infinity or 'inf': the largest |g|). Returns that norm, before clipping, as a [1] tensor on the
 * GPU (nothing is read back); its buffer is reused by the next call, which makes this handle unusable
 * (read it first, or keep a clone()). A NaN or ∞ gradient spreads as in PyTorch; PyTorch's
 * error_if_nonfinite needs that read, so only its default (false) is accepted.
 */
export function clipGradNorm_(parameters: Tensor | Iterable<Tensor>, maxNorm: number, normType: number | 'inf' = 2, options: { errorIfNonfinite?: boolean; error_if_nonfinite?: boolean; foreach?: boolean | null } = {}): Tensor {
  const op = 'clipGradNorm_';
  const o = normalizeOptions(op, options, ['errorIfNonfinite', 'foreach'], { error_if_nonfinite: 'errorIfNonfinite' }) as { errorIfNonfinite?: boolean };
  if (o.errorIfNonfinite === true) throw new Error(`${op}: errorIfNonfinite: true would read the norm back every step; read the returned norm (await norm.read()) and check it where you want that`);
  if (typeof maxNorm !== 'number' || Number.isNaN(maxNorm)) throw new Error(`${op}: argument 'maxNorm' expected a number, got ${show(maxNorm)}`);
  const q = normType === 'inf' ? Infinity : normType;
  if (typeof q !== 'number' || !(q > 0)) throw new Error(`${op}: argument 'normType' expected a number > 0, Infinity or 'inf', got ${show(normType)}`);
  const { list, grads } = gradientsOf(op, parameters);
  const gpu = list[0]?.gpu ?? currentGpu();
  let norm = norms.get(gpu);
  if (!norm) norms.set(gpu, (norm = Tensor.empty(gpu, [1], 'f32', 'clipGradNorm_ total norm')));
  const handle = norm.rehandle();
  norm.overwrittenBy = `a later ${op} call, which reuses the buffer of the norm it returns: read it before the next call, or keep a clone()`;
  norms.set(gpu, handle);
  clipGradNorm(grads, maxNorm, q, handle);
  return handle;
}

/** torch.nn.utils.clip_grad_value_(parameters, clip_value): every gradient element clamped to [−clip_value, clip_value] in place. */
export function clipGradValue_(parameters: Tensor | Iterable<Tensor>, clipValue: number, options: { foreach?: boolean | null } = {}): void {
  const op = 'clipGradValue_';
  normalizeOptions(op, options, ['foreach'], {});
  if (typeof clipValue !== 'number' || !Number.isFinite(clipValue) || clipValue < 0) throw new Error(`${op}: argument 'clipValue' expected a finite number ≥ 0, got ${show(clipValue)}`);
  clipGradValue(gradientsOf(op, parameters).grads, clipValue);
}
