/**
 * Routes tfjs-layers' BatchNormalization in training mode through our fused kernel (batchnorm-train.ts) on `wasm`.
 *
 * The layer composes its training path from `tf.moments` and `tf.batchNorm`; no kernel replacement can fuse that
 * chain, because its gradient is taken op by op. So the layer's `call` is wrapped: on wasm, in training, with the
 * channel axis last and both γ and β present (the Keras defaults every example uses), it runs the fused op and
 * updates the moving statistics exactly as the layer does (moving ← moving − (moving − batch)·(1 − momentum), with
 * the biased batch variance); every other case, and every other backend, runs the layer's own code.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormTraining } from './batchnorm-train';

interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  gamma?: tf.LayerVariable;
  beta?: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

type Call = (this: BatchNormLayer, inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>) => tf.Tensor | tf.Tensor[];

let original: Call | null = null;

function fastApplies(layer: BatchNormLayer, x: tf.Tensor, kwargs: Record<string, unknown>): boolean {
  if (kwargs.training !== true || tf.getBackend() !== 'wasm') return false;
  const axis = layer.axis >= 0 ? layer.axis : layer.axis + x.rank;
  return axis === x.rank - 1 && x.rank >= 2 && x.dtype === 'float32' && layer.gamma != null && layer.beta != null;
}

function movingAverage(variable: tf.LayerVariable, value: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const current = variable.read();
    variable.write(tf.sub(current, tf.mul(tf.sub(current, value), 1 - momentum)));
  });
}

/** Installs the wrapper once per process (the layer class is shared by every model). */
export function patchBatchNormalization(): void {
  if (original !== null) return;
  const proto = Object.getPrototypeOf(tf.layers.batchNormalization({})) as { call: Call };
  const stock = proto.call;
  original = stock;
  proto.call = function call(this: BatchNormLayer, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if ((Array.isArray(inputs) && inputs.length !== 1) || !fastApplies(this, x, kwargs)) return stock.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const [y, mean, variance] = batchNormTraining(x, this.gamma!.read(), this.beta!.read(), this.epsilon);
      movingAverage(this.movingMean, mean, this.momentum);
      movingAverage(this.movingVariance, variance, this.momentum);
      return y;
    });
  };
}

/** Whether the wrapper is installed (for tests). */
export function batchNormalizationPatched(): boolean {
  return original !== null;
}
