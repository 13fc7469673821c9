import * as tf from '@tensorflow/tfjs';
import type { GraphRunner, LayerOverride } from './executor';

/** The parts of a Conv2D that selection needs. Kernel axes are HWIO: [kh, kw, in, out]. */
export interface ConvSpec {
  name: string;
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: [number, number];
  padding: 'same' | 'valid';
  dilation: [number, number];
  activation: (x: tf.Tensor) => tf.Tensor;
}

interface ConvInternals {
  kernel?: tf.LayerVariable;
  bias?: tf.LayerVariable | null;
  strides?: number | number[];
  padding?: string;
  dilationRate?: number | number[];
  dataFormat?: string;
  activation?: { apply(x: tf.Tensor): tf.Tensor; getClassName(): string };
}

function pair(v: number | number[] | undefined, dflt: number): [number, number] {
  if (v === undefined) return [dflt, dflt];
  if (typeof v === 'number') return [v, v];
  return [v[0], v[1] ?? v[0]];
}

/** Reads a Conv2D layer's kernel, bias and geometry; refuses channels-first convs. */
export function convSpec(layer: tf.layers.Layer): ConvSpec {
  const c = layer as unknown as ConvInternals;
  if (layer.getClassName() !== 'Conv2D' || !c.kernel) throw new Error(`${layer.name} is not a Conv2D layer`);
  if (c.dataFormat && c.dataFormat !== 'channelsLast') throw new Error(`${layer.name}: only channels-last convolutions are supported`);
  const act = c.activation;
  return {
    name: layer.name,
    kernel: c.kernel,
    bias: c.bias ?? null,
    strides: pair(c.strides, 1),
    padding: c.padding === 'valid' ? 'valid' : 'same',
    dilation: pair(c.dilationRate, 1),
    activation: act ? (x) => act.apply(x) : (x) => x,
  };
}

/** The conv's raw output (before activation, BN, residual add): DCP-SPEC §3 defines L_M on it. */
export function rawConv(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null, spec: ConvSpec): tf.Tensor4D {
  const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, spec.strides, spec.padding, 'NHWC', spec.dilation);
  return b ? tf.add(y, b) : y;
}

/**
 * How to get class logits out of a model whose last layer may apply softmax: cross-entropy on logits
 * is stable, on probabilities it is not. Returns the layer to target and the overrides to use.
 */
export function logitsOf(runner: GraphRunner): { target: string; overrides: Map<string, LayerOverride> } {
  const out = runner.layer(runner.outputName);
  const cls = out.getClassName();
  const internals = out as unknown as ConvInternals & { kernel?: tf.LayerVariable; bias?: tf.LayerVariable | null };
  const actName = internals.activation?.getClassName();
  if (cls === 'Activation' || cls === 'Softmax') {
    return { target: runner.inputsOf(out.name)[0], overrides: new Map() };
  }
  if (cls === 'Dense' && actName && actName !== 'linear') {
    const kernel = internals.kernel!;
    const bias = internals.bias ?? null;
    const override: LayerOverride = ([x]) => {
      const y = tf.matMul(x as tf.Tensor2D, kernel.read() as tf.Tensor2D);
      return bias ? tf.add(y, bias.read()) : y;
    };
    return { target: out.name, overrides: new Map([[out.name, override]]) };
  }
  return { target: out.name, overrides: new Map() };
}

/** Mean softmax cross-entropy of integer labels against logits. */
export function crossEntropy(labels: tf.Tensor1D, logits: tf.Tensor): tf.Scalar {
  return tf.tidy(() => {
    const oneHot = tf.oneHot(labels, logits.shape[logits.shape.length - 1]!);
    return tf.losses.softmaxCrossEntropy(oneHot, logits as tf.Tensor2D) as tf.Scalar;
  });
}

/** Number of correct argmax predictions (a plain number; the tensors are freed). */
export async function countCorrect(labels: tf.Tensor1D, logits: tf.Tensor): Promise<number> {
  const hits = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, -1), labels), 'int32')));
  const n = (await hits.data())[0];
  hits.dispose();
  return n;
}
