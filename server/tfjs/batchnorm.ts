/**
 * Batch normalisation on `wasm`: a faster FusedBatchNorm forward kernel, and a FusedBatchNorm gradient without
 * `tile` (registered for every backend).
 *
 * Forward: y = (x − mean) · g + offset with g = scale / √(variance + ε) is computed as y = x · g + (offset − mean · g):
 * the per-channel g and b = offset − mean · g are tiny, and the full-size work is one XNNPACK 1×1 depthwise conv
 * (`Ops.channelAffine`; 64×28×28×8: 0.25 ms, against 1.6 ms for the stock kernel, which evaluates the formula per
 * element, and 1.4 ms for a broadcast multiply and add).
 * Like TensorFlow's fused kernel, this rounds differently from the textbook formula when |mean| ≫ std (relative
 * error ≈ 1e-7 · |mean| / std).
 *
 * Gradient, with Σ over the axes `mean` is broadcast along:
 *   ∂x = dy · g,                         ∂offset = Σdy,
 *   ∂mean = −g · Σdy,                    ∂scale = Σ dy·(x − mean) / √(variance + ε),
 *   ∂variance = −½ · g / (variance + ε) · Σ dy·(x − mean).
 * The stock gradient tiles the per-channel factor to the full size of x (very slow on wasm) and recomputes partial
 * products in every thunk. Here ∂x broadcasts, and the only full-size reductions are Σdy and Σdy·(x − mean). They
 * are computed once, eagerly, because each thunk runs in its own `tidy` (a lazily cached value would be disposed
 * after the first thunk); the stock gradient is eager too.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelConfig, NamedAttrMap, Tensor, TensorInfo } from '@tensorflow/tfjs';
import { withOps } from './wasm-ops';

export const fusedBatchNorm: tf.KernelFunc = ({ inputs, backend, attrs }) => withOps(backend, (ops) => {
  const { x, mean, variance, offset, scale } = inputs as {
    x: TensorInfo; mean: TensorInfo; variance: TensorInfo; offset?: TensorInfo; scale?: TensorInfo;
  };
  const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
  const c = x.shape[x.shape.length - 1];
  // Per-channel statistics (the layers' case) take one fused pass; anything broadcast differently keeps two.
  const perChannel = [mean, variance, offset, scale].every((t) => t === undefined || t.shape.reduce((p, q) => p * q, 1) === c);
  const eps = ops.fill([1], varianceEpsilon);
  const varEps = ops.add(variance, eps);
  const invStd = ops.rsqrt(varEps);
  const gain = scale === undefined ? invStd : ops.mul(invStd, scale);
  const meanGain = ops.mul(mean, gain);
  const bias = offset === undefined ? ops.neg(meanGain) : ops.sub(offset, meanGain);
  if (perChannel && gain.shape.reduce((p, q) => p * q, 1) === c) {
    return ops.channelAffine(x, ops.reshape(gain, [c]), ops.reshape(bias, [c]));
  }
  const scaled = ops.mul(x, gain);
  const out = ops.add(scaled, bias);
  ops.free(scaled);
  return out;
});

export const fusedBatchNormConfig: KernelConfig = {
  kernelName: tf.FusedBatchNorm, backendName: 'wasm', kernelFunc: fusedBatchNorm,
};

/**
 * Σ of `t` over the axes along which a tensor of `shape` is broadcast to `t.shape`, reshaped to `shape`.
 * (A [1,R]×[R,C] matmul with ones is not faster on wasm: XNNPACK repacks the fresh [R,C] operand every call.)
 */
export function sumToShape(t: Tensor, shape: number[]): Tensor {
  return tf.tidy(() => {
    const axes = tf.backend_util.getReductionAxes(shape, t.shape);
    return tf.reshape(axes.length === 0 ? t : tf.sum(t, axes, true), shape);
  });
}

export const fusedBatchNormGradConfig: GradConfig = {
  kernelName: tf.FusedBatchNorm,
  inputsToSave: ['x', 'mean', 'variance', 'scale'],
  gradFunc: (dyIn: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const dy = Array.isArray(dyIn) ? dyIn[0] : dyIn;
    const [x, mean, variance, scale] = saved;
    const { varianceEpsilon } = attrs as unknown as tf.FusedBatchNormAttrs;
    const invStd = tf.rsqrt(tf.add(variance, tf.scalar(varianceEpsilon)));
    const gain = scale == null ? invStd : tf.mul(invStd, scale);
    const { sumDy, sumDyXc } = tf.tidy(() => {
      const xc = tf.sub(x, mean);
      const dyXc = tf.mul(dy, xc);
      xc.dispose();
      return { sumDy: sumToShape(dy, mean.shape), sumDyXc: sumToShape(dyXc, mean.shape) };
    });
    return {
      x: () => tf.mul(dy, gain),
      mean: () => tf.reshape(tf.neg(tf.mul(gain, sumDy)), mean.shape),
      variance: () => tf.reshape(tf.mul(tf.mul(tf.mul(gain, tf.square(invStd)), sumDyXc), tf.scalar(-0.5)), variance.shape),
      scale: () => tf.reshape(tf.mul(invStd, sumDyXc), scale == null ? mean.shape : scale.shape),
      offset: () => tf.reshape(sumDy, mean.shape),
    };
  },
};
