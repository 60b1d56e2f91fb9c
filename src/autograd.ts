// The graph runner. Operations record a node (inputs, output, backward rule) on the tape as they
// dispatch their forward; loss.backward() walks the tape in reverse and records every backward
// dispatch into the same command encoder. Nothing is read back.
//
// Gradients follow PyTorch: a leaf's grad (a parameter, or a user tensor with requiresGrad) adds up
// across backward() calls until zeroGrad(); an intermediate tensor's grad is written by the first
// rule that reaches it in a pass and added to by the rest.
import type { Tensor } from './tensor';

export interface GraphNode {
  /** For error messages: the op or module that recorded it. */
  name: string;
  inputs: readonly Tensor[];
  output: Tensor;
  /** Which graph the node belongs to (see cutGraph). */
  generation: number;
  /** Propagates output.grad (gradOutput) into ctx.target(input) for each input that needs it. */
  backward(ctx: BackwardContext, gradOutput: Tensor | null): void;
}

let gradEnabled = true;
let generation = 0;
let tape: GraphNode[] = [];

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/** Runs fn with recording off (torch.no_grad()). */
export function noGrad<T>(fn: () => T): T {
  const previous = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = previous;
  }
}

/** Whether an op with these inputs should record a node. */
export function needsGrad(inputs: readonly Tensor[]): boolean {
  return gradEnabled && inputs.some((t) => t.requiresGrad);
}

export function record(node: Omit<GraphNode, 'generation'>): void {
  const full: GraphNode = { ...node, generation };
  tape.push(full);
  node.output.node = full;
  node.output.requiresGrad = true;
}

/**
 * Drops the current graph. Modules reuse their output buffers from step to step; when a module is
 * about to overwrite a tensor that the current graph holds, the graph is cut (as a forward without
 * backward would leave it for the garbage collector in PyTorch). A later backward() through a cut
 * graph is an Error, never silently wrong gradients.
 */
export function cutGraph(): void {
  tape = [];
  generation++;
}

export function isOnLiveGraph(t: Tensor): boolean {
  return t.node !== null && t.node.generation === generation;
}

export class BackwardContext {
  private readonly written = new Set<Tensor>();

  /** The grad a rule should write for input t, and whether to add to it rather than overwrite. */
  target(t: Tensor): { grad: Tensor; accumulate: boolean } {
    if (!t.grad) {
      t.grad = t.gpu.empty(t.shape, 'f32', `${t.label}.grad`);
      // a leaf's grad accumulates from zero
      if (t.node === null) t.gpu.clear(t.grad);
    }
    let accumulate = t.node === null || this.written.has(t);
    // A parameter's grad known to be zero (zeroGrad) can be overwritten: 0 + g = g, without the read.
    if ('gradIsZero' in t && t.gradIsZero === true) {
      accumulate = this.written.has(t);
      t.gradIsZero = false;
    }
    this.written.add(t);
    return { grad: t.grad, accumulate };
  }

  /**
   * Offers a ready-made gradient buffer for t (the fused cross-entropy computes d loss / d logits in
   * its forward). Accepted, with no copy, when t is an intermediate tensor not yet written in this
   * pass; otherwise the caller must write through target().
   */
  donate(t: Tensor, grad: Tensor): boolean {
    if (t.node === null || this.written.has(t)) return false;
    t.grad = grad;
    this.written.add(t);
    return true;
  }

  hasGradient(t: Tensor): boolean {
    return this.written.has(t);
  }
}

export function backward(root: Tensor): void {
  if (!root.node) throw new Error(`backward: '${root.label}' was not produced by a recorded operation (does it require grad, and was grad enabled?)`);
  if (root.size !== 1) throw new Error(`backward: grad can be implicitly created only for a scalar output, '${root.label}' has shape [${root.shape.join(', ')}]`);
  if (root.node.generation !== generation) throw new Error(`backward: the graph of '${root.label}' was cut when a module overwrote one of its tensors; run forward again before backward`);
  const ctx = new BackwardContext();
  const rootIndex = tape.lastIndexOf(root.node);
  for (let i = rootIndex; i >= 0; i--) {
    const node = tape[i]!;
    const reached = node === root.node || ctx.hasGradient(node.output);
    if (!reached) continue;
    for (const input of node.inputs) {
      if (input.requiresGrad && input.node !== null && input.node.generation !== generation) {
        throw new Error(`backward: '${node.name}' reads '${input.label}', whose producer was dropped from the graph (a module's output was overwritten before backward: is one module used twice in one graph?)`);
      }
    }
    node.backward(ctx, node === root.node ? null : node.output.grad);
  }
  cutGraph();
}
