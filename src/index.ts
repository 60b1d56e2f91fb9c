// wgslgrad's public API, shaped like PyTorch's: nn, optim, init, and the tensor/graph runtime.
export { backward, noGrad, isGradEnabled } from './autograd';
export { currentGpu, grid1d, requestGpu, Gpu, HOW_TO_GET_WEBGPU, type AdapterSummary, type GpuOptions } from './gpu';
export * as init from './init';
export { Kernel } from './kernel';
export { kernels } from './kernels';
export * as F from './functional';
export * as nn from './nn';
export * as ops from './ops';
export * as optim from './optim';
export { Parameter } from './parameters';
export { Tensor } from './tensor';
