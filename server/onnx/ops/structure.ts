/**
 * Ops that join, reshape or pass values through: Add, Mul, Concat, Flatten, Reshape (of a flatten), Identity,
 * Dropout (inference: identity) and Constant. Add and Mul take two same-shaped tensors, as residual and gating
 * branches do; broadcasting against a constant has no Keras merge layer.
 */
import * as tf from '@tensorflow/tfjs';
import { attrInt } from '../proto';
import type { OnnxTensor } from '../proto';
import { concatConstants } from './shape-ops';
import type { OpContext, OpConverter, TensorValue } from './types';

function sameOperands(ctx: OpContext): TensorValue[] {
  const xs = ctx.node.inputs.map((_, i) => ctx.tensor(i));
  const first = xs[0]!;
  for (const x of xs) {
    if (x.layout !== first.layout || x.sym.shape.join() !== first.sym.shape.join()) {
      ctx.fail(`needs inputs of one shape (got [${first.sym.shape.join(', ')}] and [${x.sym.shape.join(', ')}]); broadcasting is not supported`);
    }
  }
  return xs;
}

function merge(kind: 'add' | 'mul'): OpConverter {
  return {
    convert(ctx: OpContext) {
      const xs = sameOperands(ctx);
      const name = ctx.layerName();
      const layer = kind === 'add' ? tf.layers.add({ name }) : tf.layers.multiply({ name });
      const nonNegative = xs.every((x) => x.nonNegative);
      ctx.define(0, { ...xs[0]!, sym: ctx.apply(layer, xs.map((x) => x.sym)), nonNegative });
    },
  };
}

export const add = merge('add');
export const mul = merge('mul');

export const concat: OpConverter = {
  convert(ctx: OpContext) {
    if (concatConstants(ctx)) return;
    const xs = ctx.node.inputs.map((_, i) => ctx.tensor(i));
    const layout = xs[0]!.layout;
    if (xs.some((x) => x.layout !== layout) || layout === 'pooled') ctx.fail('concatenates values of different layouts');
    const axis = attrInt(ctx.node, 'axis', 1);
    const rank = layout === 'image' ? 4 : 2;
    if (axis !== 1 && axis !== 1 - rank) ctx.fail(`axis ${axis}: only the channel axis (1) is supported`);
    const layer = tf.layers.concatenate({ axis: -1, name: ctx.layerName() });
    ctx.define(0, { kind: 'tensor', sym: ctx.apply(layer, xs.map((x) => x.sym)), layout, nonNegative: xs.every((x) => x.nonNegative) });
  },
};

/** Flattening to [N, features], shared by Flatten and Reshape. */
function flatten(ctx: OpContext, x: TensorValue): void {
  if (x.layout === 'vector') return ctx.define(0, x);
  if (x.layout === 'pooled') return ctx.define(0, { ...x, layout: 'vector' });
  const [, h, w, c] = x.sym.shape as [null, number, number, number];
  const sym = ctx.apply(tf.layers.flatten({ name: ctx.layerName() }), x.sym);
  ctx.define(0, { kind: 'tensor', sym, layout: 'vector', nonNegative: x.nonNegative, ...(h * w > 1 ? { flattenedFrom: { h, w, c } } : {}) });
}

export const flattenOp: OpConverter = {
  check: (n) => (attrInt(n, 'axis', 1) !== 1 ? `axis ${attrInt(n, 'axis', 1)}: only Flatten(axis = 1) is supported` : null),
  convert: (ctx) => flatten(ctx, ctx.tensor(0)),
};

function features(x: TensorValue): number {
  return x.sym.shape.slice(1).reduce<number>((a, b) => a * (b ?? NaN), 1);
}

export const reshape: OpConverter = {
  // allowzero = 1 makes a 0 in the shape a real zero-sized axis, not "copy the input's": never a flatten.
  check: (n) => (attrInt(n, 'allowzero', 0) !== 0 ? 'allowzero = 1 is not supported' : null),
  convert(ctx: OpContext) {
    const x = ctx.tensor(0);
    const shape = ctx.constant(1)?.ints;
    if (!shape) ctx.fail('needs its target shape as a constant');
    // x.view(N, -1) and friends: keep the batch, flatten the rest. Any other reshape moves data between axes.
    const ok = shape.length === 2 && (shape[1] === -1 || shape[1] === features(x));
    if (!ok) ctx.fail(`to [${shape.join(', ')}]: only a reshape that flattens to [N, features] is supported`);
    flatten(ctx, x);
  },
};

export const identity: OpConverter = {
  check: (n) => (n.opType === 'Dropout' && n.outputs.length > 1 && n.outputs[1] ? 'the mask output of Dropout is not supported' : null),
  convert(ctx: OpContext) {
    // Exporters also pass weights through Identity (shared parameters): a constant stays a constant.
    const c = ctx.constant(0);
    ctx.define(0, c ? { kind: 'const', tensor: c } : ctx.tensor(0));
  },
};

export const constant: OpConverter = {
  check(n) {
    const a = n.attributes[0];
    return a && ['value', 'value_float', 'value_floats', 'value_int', 'value_ints'].includes(a.name) ? null : 'only tensor, float and int constants are supported';
  },
  convert(ctx: OpContext) {
    const a = ctx.node.attributes[0]!;
    let t: OnnxTensor;
    if (a.name === 'value') t = a.t!;
    else if (a.name === 'value_float') t = { name: '', dims: [], dataType: 1, floats: Float32Array.of(a.f ?? 0) };
    else if (a.name === 'value_floats') t = { name: '', dims: [a.floats.length], dataType: 1, floats: Float32Array.from(a.floats) };
    else if (a.name === 'value_int') t = { name: '', dims: [], dataType: 7, ints: [a.i ?? 0] };
    else t = { name: '', dims: [a.ints.length], dataType: 7, ints: a.ints };
    ctx.define(0, { kind: 'const', tensor: t });
  },
};
