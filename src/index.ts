// wgslgrad's public API, shaped like PyTorch's: nn, optim, init, F, and the tensor/graph runtime.
export { currentGpu, requestGpu, tryRequestGpu, Gpu, HOW_TO_GET_WEBGPU, type AdapterSummary, type GpuOptions } from './device/gpu';
export { Shader, grid1d, loadShader } from './device/shader';
export * as F from './functional';
export * as init from './init';
// torch.zeros, torch.randn, …: plain functions at the root, as PyTorch's sit at torch's top level (src/creation.ts says why).
export { arange, empty, eye, full, fullLike, linspace, ones, onesLike, rand, randLike, randn, randnLike, tensor, zeros, zerosLike, type CreationOptions } from './creation';
export { manualSeed } from './init';
export * as nn from './nn';
export * as optim from './optim';
export * as lrScheduler from './lr-scheduler';
export { Parameter } from './parameters';
export { backward, enableGrad, isGradEnabled, keep, noGrad, setGradEnabled, Tensor, tidy, tidyScope, TidyScope, UNREACHED_GRAPH_BACKWARDS } from './tensor';
export { fromSafetensors, toSafetensors } from './safetensors';
// Tensor's PyTorch methods (x.mul(y).sum(), x.view(-1, 400), p.sub_(…)): added to Tensor.prototype.
import './tensor-methods';
export { DataLoader, parseCsv, StandardScaler, subset, trainTestSplit, type Batch, type Dataset } from './data';
export { decodeMnist } from './mnist';
