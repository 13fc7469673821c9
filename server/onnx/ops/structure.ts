/**
 * Ops that join, reshape or pass values through: Add, Mul, Concat, Flatten, Reshape (of a flatten), Identity,
 * Dropout (inference: identity) and Constant. Add and Mul take two same-shaped tensors, as residual and gating
 * branches do; broadcasting against a constant has no Keras merge layer.
 */
import * as tf from '@tensorflow/tfjs';
import { attrInt } from '../proto';
import type { OnnxTensor } from '../proto';
import { concatConstants } from './shape-ops';
import { asImage } from './types';
import type { OpContext, OpConverter, TensorValue } from './types';

/**
 * The operands of Add/Mul: one shape, or an image times a 1×1 image of the same channels (a squeeze-and-excitation
 * gate; Keras merge layers broadcast size-1 axes like ONNX). A pooled [N, C, 1, 1] operand becomes a 1×1 image.
 */
function mergeOperands(ctx: OpContext): TensorValue[] {
  let xs = ctx.node.inputs.map((_, i) => ctx.tensor(i));
  if (xs.some((x) => x.layout === 'image')) xs = xs.map((x) => asImage(ctx, x));
  const shapes = xs.map((x) => x.sym.shape);
  const full = shapes.find((s) => s.length !== 4 || s[1] !== 1 || s[2] !== 1) ?? shapes[0]!;
  for (const [i, x] of xs.entries()) {
    const s = shapes[i]!;
    const same = x.layout === xs[0]!.layout && s.join() === full.join();
    const gate = s.length === 4 && full.length === 4 && s[1] === 1 && s[2] === 1 && s[3] === full[3];
    if (!same && !gate) {
      ctx.fail(`needs inputs of one shape, or an image and a 1×1 gate of its channels (got [${full.join(', ')}] and [${s.join(', ')}]); other broadcasting is not supported`);
    }
  }
  return xs;
}

function merge(kind: 'add' | 'mul'): OpConverter {
  return {
    convert(ctx: OpContext) {
      const xs = mergeOperands(ctx);
      const name = ctx.layerName();
      const layer = kind === 'add' ? tf.layers.add({ name }) : tf.layers.multiply({ name });
      const nonNegative = xs.every((x) => x.nonNegative);
      const sym = ctx.apply(layer, xs.map((x) => x.sym));
      ctx.define(0, { kind: 'tensor', sym, layout: xs[0]!.layout, nonNegative });
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
