/** The ops the importer converts, by ONNX op type (default domain). Anything else is reported before any work. */
import { batchNorm, clip, leakyRelu, relu, sigmoid, softmax } from './activation';
import { conv } from './conv';
import { gemm, matMul } from './dense';
import { averagePool, globalAveragePool, maxPool, pad } from './pool';
import { cast, gather, shape, unsqueeze } from './shape-ops';
import { add, concat, constant, flattenOp, identity, mul, reshape } from './structure';
import type { OpConverter } from './types';

export const OPS: ReadonlyMap<string, OpConverter> = new Map<string, OpConverter>([
  ['Conv', conv],
  ['BatchNormalization', batchNorm],
  ['Relu', relu],
  ['Clip', clip],
  ['LeakyRelu', leakyRelu],
  ['Sigmoid', sigmoid],
  ['Softmax', softmax],
  ['Add', add],
  ['Mul', mul],
  ['Concat', concat],
  ['MaxPool', maxPool],
  ['AveragePool', averagePool],
  ['GlobalAveragePool', globalAveragePool],
  ['Pad', pad],
  ['Flatten', flattenOp],
  ['Reshape', reshape],
  ['Gemm', gemm],
  ['MatMul', matMul],
  ['Identity', identity],
  ['Dropout', identity],
  ['Constant', constant],
  ['Shape', shape],
  ['Gather', gather],
  ['Unsqueeze', unsqueeze],
  ['Cast', cast],
]);

export const SUPPORTED_OPS: readonly string[] = [...OPS.keys()];
