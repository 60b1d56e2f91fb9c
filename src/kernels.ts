// Every kernel family, one .wgsl file each, loaded as text and reflected once.
import activationSource from '../shaders/activation.wgsl?raw';
import adagradSource from '../shaders/adagrad.wgsl?raw';
import adamSource from '../shaders/adam.wgsl?raw';
import batchnormSource from '../shaders/batchnorm.wgsl?raw';
import conv2dSource from '../shaders/conv2d.wgsl?raw';
import dropoutSource from '../shaders/dropout.wgsl?raw';
import ewaSource from '../shaders/ewa.wgsl?raw';
import initSource from '../shaders/init.wgsl?raw';
import matmulSource from '../shaders/matmul.wgsl?raw';
import poolSource from '../shaders/pool.wgsl?raw';
import reduceSource from '../shaders/reduce.wgsl?raw';
import rmspropSource from '../shaders/rmsprop.wgsl?raw';
import sgdSource from '../shaders/sgd.wgsl?raw';
import softmaxCrossEntropySource from '../shaders/softmax_cross_entropy.wgsl?raw';
import { Kernel } from './kernel';

export const kernels = {
  activation: new Kernel('activation', activationSource),
  adagrad: new Kernel('adagrad', adagradSource),
  adam: new Kernel('adam', adamSource),
  batchnorm: new Kernel('batchnorm', batchnormSource),
  conv2d: new Kernel('conv2d', conv2dSource),
  dropout: new Kernel('dropout', dropoutSource),
  ewa: new Kernel('ewa', ewaSource),
  init: new Kernel('init', initSource),
  matmul: new Kernel('matmul', matmulSource),
  pool: new Kernel('pool', poolSource),
  reduce: new Kernel('reduce', reduceSource),
  rmsprop: new Kernel('rmsprop', rmspropSource),
  sgd: new Kernel('sgd', sgdSource),
  softmaxCrossEntropy: new Kernel('softmax_cross_entropy', softmaxCrossEntropySource),
} as const;
