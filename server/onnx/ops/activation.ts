/**
 * BatchNormalization and the pointwise activations. Clip is accepted only as ReLU or ReLU6 (min 0, max 6 or none),
 * the forms conv nets export; any other range has no Keras layer of its own.
 */
import * as tf from '@tensorflow/tfjs';
import { attrFloat, attrInt } from '../proto';
import type { OnnxNode } from '../proto';
import type { OpContext, OpConverter } from './types';

function scalarInput(ctx: OpContext, i: number): number | null {
  if (!ctx.has(i)) return null;
  const t = ctx.constant(i);
  const v = t?.floats?.[0] ?? t?.ints?.[0];
  if (v === undefined) ctx.fail(`needs input ${i + 1} as a constant`);
  return v;
}

export const batchNorm: OpConverter = {
  check: (n: OnnxNode) => (attrInt(n, 'training_mode', 0) !== 0 ? 'training_mode = 1 (only inference BatchNormalization can be imported)' : null),
  convert(ctx: OpContext) {
    const x = ctx.tensor(0);
    const parts = [1, 2, 3, 4].map((i) => ctx.constant(i));
    const [scale, b, mean, variance] = parts;
    if (!scale?.floats || !b?.floats || !mean?.floats || !variance?.floats) ctx.fail('needs scale, bias, mean and variance as initializers');
    const c = scale.floats.length;
    const layer = tf.layers.batchNormalization({ axis: -1, epsilon: attrFloat(ctx.node, 'epsilon', 1e-5), momentum: attrFloat(ctx.node, 'momentum', 0.9), name: ctx.layerName() });
    const w = [scale, b, mean, variance].map((t) => ({ data: t.floats!, shape: [c] }));
    ctx.define(0, { ...x, sym: ctx.apply(layer, x.sym, w), nonNegative: false });
  },
};

export const relu: OpConverter = {
  convert(ctx: OpContext) {
    const x = ctx.tensor(0);
    ctx.define(0, { ...x, sym: ctx.apply(tf.layers.reLU({ name: ctx.layerName() }), x.sym), nonNegative: true });
  },
};

export const clip: OpConverter = {
  convert(ctx: OpContext) {
    const x = ctx.tensor(0);
    const min = ctx.opset >= 11 ? scalarInput(ctx, 1) : attrFloat(ctx.node, 'min', -Infinity);
    const max = ctx.opset >= 11 ? scalarInput(ctx, 2) : attrFloat(ctx.node, 'max', Infinity);
    if (min !== 0) ctx.fail(`clips to [${min ?? '-inf'}, ${max ?? 'inf'}]: only ReLU (min 0) and ReLU6 (min 0, max 6) are supported`);
    const maxValue = max === null || max === Infinity ? undefined : max;
    const layer = tf.layers.reLU({ name: ctx.layerName(), ...(maxValue !== undefined ? { maxValue } : {}) });
    ctx.define(0, { ...x, sym: ctx.apply(layer, x.sym), nonNegative: true });
  },
};

export const leakyRelu: OpConverter = {
  convert(ctx: OpContext) {
    const x = ctx.tensor(0);
    const layer = tf.layers.leakyReLU({ alpha: attrFloat(ctx.node, 'alpha', 0.01), name: ctx.layerName() });
    ctx.define(0, { ...x, sym: ctx.apply(layer, x.sym), nonNegative: false });
  },
};

export const sigmoid: OpConverter = {
  convert(ctx: OpContext) {
    const x = ctx.tensor(0);
    ctx.define(0, { ...x, sym: ctx.apply(tf.layers.activation({ activation: 'sigmoid', name: ctx.layerName() }), x.sym), nonNegative: true });
  },
};

export const softmax: OpConverter = {
  convert(ctx: OpContext) {
    const x = ctx.tensor(0);
    if (x.layout !== 'vector') ctx.fail('is supported on 2-D [N, classes] values only');
    const axis = attrInt(ctx.node, 'axis', ctx.opset >= 13 ? -1 : 1);
    if (axis !== 1 && axis !== -1) ctx.fail(`axis ${axis}: only the class axis (1 or -1) is supported`);
    ctx.define(0, { ...x, sym: ctx.apply(tf.layers.activation({ activation: 'softmax', name: ctx.layerName() }), x.sym), nonNegative: true });
  },
};
