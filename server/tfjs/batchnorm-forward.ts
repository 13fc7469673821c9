/**
 * FusedBatchNorm forward for the `wasm` backend as two broadcast XNNPACK passes.
 *
 * y = (x − mean) · g + offset with g = scale / √(variance + ε) is computed as y = x · g + (offset − mean · g):
 * the per-channel g and b = offset − mean · g are tiny, the full-size work is one multiply and one add. The stock
 * wasm kernel evaluates the formula per element and took about twice as long (≈10% of a ResNet training step).
 * Like TensorFlow's fused kernel, this rounds differently from the textbook formula when |mean| ≫ std (relative
 * error ≈ 1e-7 · |mean| / std).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { withOps } from './wasm-ops';

export const fusedBatchNorm: tf.KernelFunc = ({ inputs, backend, attrs }) => withOps(backend, (ops) => {
  const { x, mean, variance, offset, scale } = inputs as {
    x: TensorInfo; mean: TensorInfo; variance: TensorInfo; offset?: TensorInfo; scale?: TensorInfo;
  };
  const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
  const eps = ops.fill([1], varianceEpsilon);
  const varEps = ops.add(variance, eps);
  const invStd = ops.rsqrt(varEps);
  const gain = scale === undefined ? invStd : ops.mul(invStd, scale);
  const meanGain = ops.mul(mean, gain);
  const bias = offset === undefined ? ops.neg(meanGain) : ops.sub(offset, meanGain);
  const scaled = ops.mul(x, gain);
  const out = ops.add(scaled, bias);
  ops.free(scaled);
  return out;
});

export const fusedBatchNormConfig: KernelConfig = {
  kernelName: tf.FusedBatchNorm, backendName: 'wasm', kernelFunc: fusedBatchNorm,
};
