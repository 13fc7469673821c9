import * as tf from '@tensorflow/tfjs';
import type { GraphRunner, LayerOverride } from './executor';
import { RELU_CLIP_GRAD } from '../../tfjs/relu-clip-grad';

/**
 * Why: tfjs-layers computes a Conv2D with a linear activation as `tf.fused.conv2d`, and under a gradient tape a fused
 * op's gradient is one custom function that computes every gradient at once: the filter's (Conv2DBackpropFilter) and
 * the bias's too, even when only the input's is asked for. Selection's λ·L_S passes differentiate through the rest of
 * the stage only with respect to the selected conv's weights, so every conv of that rest paid for a filter gradient
 * nobody reads: a quarter of a MobileNetV2-224 selection's kernel time (bench/README.md, "Real models").
 *
 * These overrides compute each such layer exactly as the layer does (its own `apply`, so the values are the same
 * bits) and give it a gradient with respect to its input alone: the same Conv2DBackpropInput call the fused
 * gradient makes for the input (linear activation: the upstream gradient passes through unchanged). Capped ReLUs
 * (ReLU 6) get their gradient as one kernel where the wasm backend has it (cappedRelu below): the same bits, fewer passes.
 */
export function inputOnlyGradOverrides(runner: GraphRunner): Map<string, LayerOverride> {
  const out = new Map<string, LayerOverride>();
  const clipKernel = tf.getKernel(RELU_CLIP_GRAD, tf.getBackend()) !== undefined;
  for (const name of runner.order) {
    const layer = runner.layer(name);
    const max = (layer as unknown as { maxValue?: number | null }).maxValue;
    if (clipKernel && layer.getClassName() === 'ReLU' && typeof max === 'number') {
      out.set(name, cappedRelu(layer, max));
      continue;
    }
    if (layer.getClassName() !== 'Conv2D') continue;
    const c = layer as unknown as {
      kernel: tf.LayerVariable; strides: number[]; padding: string; dilationRate: number[]; dataFormat: string;
      activation: { getClassName(): string };
    };
    // Only the fused path (linear activation, dilation 1, channels-last); other convs already differentiate lazily.
    if (c.activation.getClassName() !== 'linear' || c.dataFormat !== 'channelsLast' || c.dilationRate.some((d) => d !== 1)) continue;
    const strides = [c.strides[0], c.strides[1] ?? c.strides[0]] as [number, number];
    const pad = c.padding === 'valid' ? 'valid' : 'same';
    const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const x = args[0] as tf.Tensor;
      const value = layer.apply(x, { training: false }) as tf.Tensor;
      const gradFunc = (dy: tf.Tensor): tf.Tensor => tf.conv2dTranspose(dy as tf.Tensor4D, c.kernel.read() as tf.Tensor4D, x.shape as [number, number, number, number], strides, pad);
      return { value, gradFunc };
    });
    out.set(name, ([x]) => run(x));
  }
  return out;
}

/**
 * A capped ReLU layer (ReLU 6) computed by the layer itself, with its gradient as one kernel
 * (server/tfjs/relu-clip-grad.ts) instead of the seven full-size passes of clipByValue's and relu's gradients.
 */
function cappedRelu(layer: tf.layers.Layer, max: number): LayerOverride {
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    (args[1] as tf.GradSaveFunc)([x]);
    const value = layer.apply(x, { training: false }) as tf.Tensor;
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor =>
      tf.engine().runKernel(RELU_CLIP_GRAD, { dy, x: saved[0] }, { max }) as tf.Tensor;
    return { value, gradFunc };
  });
  return ([x]) => run(x);
}
