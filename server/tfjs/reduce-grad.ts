/**
 * Gradients of Mean and Sum that broadcast with a `Fill` instead of `ones()`.
 *
 * The stock gradients build `ones(x.shape)` as a JS array and upload it (a full-size allocation and copy on every
 * call, plus garbage), multiply, and for Mean divide the full-size product. Here the small dy is scaled first and
 * multiplied by a `tf.fill` made by the backend (on wasm: a fill inside the heap). Batch-norm statistics use two
 * Means per layer, so this runs twice per BN layer and training step. Registered for every backend.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradConfig, NamedAttrMap, Tensor } from '@tensorflow/tfjs';

function broadcastGrad(dyIn: Tensor | Tensor[], x: Tensor, axis: number | number[], mean: boolean): Tensor {
  const dy = Array.isArray(dyIn) ? dyIn[0] : dyIn;
  const axes = tf.util.parseAxisParam(axis, x.shape);
  const expanded = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const count = axes.reduce((p, a) => p * x.shape[a], 1);
  const small = tf.reshape(mean ? tf.div(dy, count) : dy, expanded);
  return tf.mul(small, tf.fill(x.shape, 1, 'float32'));
}

export const meanGradConfig: GradConfig = {
  kernelName: tf.Mean,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const { axis } = attrs as unknown as tf.MeanAttrs;
    return { x: () => broadcastGrad(dy, saved[0], axis, true) };
  },
};

export const sumGradConfig: GradConfig = {
  kernelName: tf.Sum,
  inputsToSave: ['x'],
  gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
    const { axis } = attrs as unknown as tf.SumAttrs;
    return { x: () => broadcastGrad(dy, saved[0], axis, false) };
  },
};
