// The gradient table: every differentiable op's backward rule, each written in its kernel family's
// file beside the forward launcher, and registered here in one place. functional.ts records these on
// the tape; the modules in nn.ts call functional.ts.
import { gradients as activation } from './kernels/activation';
import { gradients as arithmetic } from './kernels/arithmetic';
import { gradients as batchnorm } from './kernels/batchnorm';
import { gradients as conv2d } from './kernels/conv2d';
import { gradients as conv3d } from './kernels/conv3d';
import { gradients as dropout } from './kernels/dropout';
import { gradients as elementwise } from './kernels/elementwise';
import { gradients as gather } from './kernels/gather';
import { gradients as gelu } from './kernels/gelu';
import { gradients as layerNorm } from './kernels/layer_norm';
import { gradients as matmul } from './kernels/matmul';
import { gradients as pool } from './kernels/pool';
import { gradients as pool3d } from './kernels/pool3d';
import { gradients as regressionLoss } from './kernels/regression_loss';
import { gradients as softmax } from './kernels/softmax';
import { gradients as select } from './kernels/select';
import { gradients as softmaxCrossEntropy } from './kernels/softmax_cross_entropy';
import { gradients as scan } from './kernels/scan';
import { gradients as strided } from './kernels/strided';
import { gradients as tanhLeakyRelu } from './kernels/tanh_leaky_relu';

export const gradients = {
  ...matmul, // matmul (with bias and a fused activation): F.matmul, F.linear, nn.Linear
  ...activation, // activation: F.sigmoid, F.relu, nn.Sigmoid, nn.ReLU
  ...dropout, // dropout: F.dropout, nn.Dropout
  ...batchnorm, // batchNorm: F.batchNorm, nn.BatchNorm1d/2d/3d
  ...layerNorm, // layerNorm: F.layerNorm, nn.LayerNorm
  ...softmaxCrossEntropy, // crossEntropy: F.crossEntropy, nn.CrossEntropyLoss
  ...conv2d, // conv2d: nn.Conv2d
  ...pool, // maxPool2d, avgPool2d, adaptiveAvgPool2d: nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d
  ...conv3d, // conv3d: F.conv3d, nn.Conv3d
  ...pool3d, // maxPool3d, avgPool3d, adaptiveAvgPool3d, adaptiveMaxPool3d: their F forms and nn modules
  ...tanhLeakyRelu, // tanh, leakyRelu: F.tanh, F.leakyRelu, nn.Tanh, nn.LeakyReLU
  ...gelu, // gelu: F.gelu, nn.GELU
  ...softmax, // softmax (and log-softmax): F.softmax, F.logSoftmax, nn.Softmax, nn.LogSoftmax
  ...regressionLoss, // regressionLoss: F.mseLoss, F.l1Loss, nn.MSELoss, nn.L1Loss
  ...arithmetic, // add, mul, div, sumOver: F.add, F.sub, F.mul, F.div, F.sum, F.mean
  ...elementwise, // elementwise: F.exp, F.log, F.sqrt, F.pow
  ...select, // where: F.where
  ...gather, // gather: F.gather, F.indexSelect, F.embedding, nn.Embedding
  ...scan, // cumsum: F.cumsum
  ...strided, // permute, cat, slice, expand, sumOverDims, extreme: F.permute, F.transpose, F.cat, F.stack, F.narrow, F.slice, F.split, F.chunk, F.unbind, F.expand, F.sum/F.mean over any dims, F.max, F.min, F.amax, F.amin
};
