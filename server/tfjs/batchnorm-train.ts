/**
 * Training-mode batch normalisation over all axes but the last, as two kernels of our own on `wasm`
 * (`DcpBatchNormTrain` and its gradient), built from stock wasm kernels in the fewest full-size passes.
 *
 * tfjs-layers builds a training BatchNormalization from `tf.moments` (Mean, Cast, SquaredDifference, Mean) and
 * FusedBatchNorm, and differentiates that chain op by op: with the broadcasts, the subtractions and the three
 * gradient contributions to x added up, about twenty full-size passes per layer and step, which was a third of a
 * ResNet step on wasm. The closed form
 *   dx = γ/σ · (dy − Σdy/M − x̂ · Σdy·x̂/M),  dγ = Σdy·x̂,  dβ = Σdy,  with x̂ = (x − μ)/σ, σ = √(var + ε),
 * takes seven passes (two reductions, dy·x, and dx as a·dy + b·x + e per channel); the forward takes five, with
 * the variance two-pass as in `tf.moments`. Every per-channel scale-and-shift is one XNNPACK 1×1 depthwise conv
 * (`Ops.channelAffine`): the stock broadcasting Multiply/Add are 5× slower. (The same passes written as JavaScript
 * loops over the heap measured 2-4× slower than SIMD wasm kernels.)
 * The gradient also accepts upstream gradients for the mean and variance outputs, which layers never sends but a
 * caller of the op could.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, KernelBackend, KernelConfig, NamedAttrMap, Tensor, TensorInfo } from '@tensorflow/tfjs';
import { Ops } from './wasm-ops';

export const BATCH_NORM_TRAIN = 'DcpBatchNormTrain';
export const BATCH_NORM_TRAIN_GRAD = 'DcpBatchNormTrainGrad';

interface TrainAttrs { epsilon: number }

/** Runs `body` with a fresh `Ops` and keeps the several outputs it returns; every other intermediate is freed. */
function withOpsMulti(backend: unknown, body: (ops: Ops) => TensorInfo[]): TensorInfo[] {
  const ops = new Ops(backend as KernelBackend);
  try {
    return body(ops).map((t) => ops.keep(t));
  } finally {
    ops.release();
  }
}

const leading = (x: TensorInfo): number[] => x.shape.slice(0, -1).map((_, i) => i);

/** y, batch mean and (biased) batch variance of x [..., C], with y = γ·(x − μ)/σ + β. */
const batchNormTrain: tf.KernelFunc = ({ inputs, backend, attrs }) => withOpsMulti(backend, (ops) => {
  const { x, gamma, beta } = inputs as { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  const { epsilon } = attrs as unknown as TrainAttrs;
  const axes = leading(x);
  const c = x.shape[x.shape.length - 1];
  const mean = ops.meanLeading(x, axes);
  const centred = ops.channelAffine(x, ops.fill([c], 1), ops.neg(mean));
  const sq = ops.square(centred);
  ops.free(centred);
  const variance = ops.meanLeading(sq, axes);
  ops.free(sq);
  const gain = ops.mul(ops.rsqrt(ops.add(variance, ops.fill([1], epsilon))), gamma);
  const bias = ops.sub(beta, ops.mul(mean, gain));
  return [ops.channelAffine(x, gain, bias), mean, variance];
});

/** dx, dγ, dβ from dy, x, γ and the forward's batch mean and variance. */
const batchNormTrainGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => withOpsMulti(backend, (ops) => {
  const { dy, x, gamma, mean, variance } = inputs as Record<'dy' | 'x' | 'gamma' | 'mean' | 'variance', TensorInfo>;
  const { epsilon } = attrs as unknown as TrainAttrs;
  const axes = leading(x);
  const rows = x.shape.slice(0, -1).reduce((p, q) => p * q, 1);
  const sumDy = ops.sumLeading(dy, axes);
  const dyX = ops.mul(dy, x);
  const sumDyX = ops.sumLeading(dyX, axes);
  ops.free(dyX);
  // Σdy·(x − μ) = Σdy·x − μ·Σdy: one full-size product instead of a centred copy of x.
  const sumDyXc = ops.sub(sumDyX, ops.mul(mean, sumDy));
  const inv = ops.rsqrt(ops.add(variance, ops.fill([1], epsilon)));
  const dGamma = ops.mul(sumDyXc, inv);
  // dx = a·dy + b·x + e per channel: a = γ/σ, b = −a·Σdy·(x−μ)/(σ²M), e = −a·Σdy/M − b·μ.
  const a = ops.mul(gamma, inv);
  const invRows = ops.fill([1], -1 / rows);
  const b = ops.mul(ops.mul(ops.mul(a, dGamma), inv), invRows);
  const e = ops.sub(ops.mul(ops.mul(a, sumDy), invRows), ops.mul(b, mean));
  const t1 = ops.channelAffine(dy, a, e);
  const t2 = ops.channelAffine(x, b);
  const dx = ops.add(t1, t2);
  ops.free(t1);
  ops.free(t2);
  return [dx, dGamma, sumDy];
});

export const batchNormTrainConfig: KernelConfig = { kernelName: BATCH_NORM_TRAIN, backendName: 'wasm', kernelFunc: batchNormTrain };
export const batchNormTrainGradConfig: KernelConfig = {
  kernelName: BATCH_NORM_TRAIN_GRAD, backendName: 'wasm', kernelFunc: batchNormTrainGrad,
};

function nonZero(t: Tensor | null | undefined): t is Tensor {
  return t != null && (t.dataSync() as Float32Array).some((v) => v !== 0);
}

export const batchNormTrainGradient: GradConfig = {
  kernelName: BATCH_NORM_TRAIN,
  inputsToSave: ['x', 'gamma'],
  outputsToSave: [false, true, true],
  gradFunc: (dys: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const [dy, dMean, dVar] = Array.isArray(dys) ? dys : [dys];
    const [x, gamma, mean, variance] = saved;
    const [dxMain, dGamma, dBeta] = tf.engine().runKernel(BATCH_NORM_TRAIN_GRAD,
      { dy, x, gamma, mean, variance }, attrs) as Tensor[];
    let dx = dxMain;
    const rows = x.size / mean.size;
    // ∂μ/∂x = 1/M, ∂var/∂x = 2(x − μ)/M: only when a caller differentiates the statistics themselves. In layers'
    // training the tape hands zeros here (the moving-average updates consume the statistics), and adding those
    // would cost four full-size broadcast passes per layer: the C values are checked first (a cheap read on wasm).
    if (nonZero(dMean)) dx = tf.add(dx, tf.div(dMean, rows));
    if (nonZero(dVar)) dx = tf.add(dx, tf.mul(tf.sub(x, mean), tf.mul(dVar, 2 / rows)));
    return { x: () => dx, gamma: () => dGamma, beta: () => dBeta };
  },
};

/** [y, mean, variance] of training-mode batch norm over all axes but the last (wasm only). */
export function batchNormTraining(x: Tensor, gamma: Tensor, beta: Tensor, epsilon: number): [Tensor, Tensor, Tensor] {
  return tf.engine().runKernel(BATCH_NORM_TRAIN, { x, gamma, beta }, { epsilon }) as [Tensor, Tensor, Tensor];
}
