/**
 * MaxPool, AveragePool, GlobalAveragePool and Pad. Padding is where ONNX and TF.js differ: MaxPool pads with −∞,
 * AveragePool leaves the padding out of the count unless count_include_pad = 1, TF.js 'same' pools do the same as
 * those but only for TensorFlow's SAME split; anything else becomes a ZeroPadding2D when zeros are equivalent.
 */
import * as tf from '@tensorflow/tfjs';
import { attrFloat, attrInt, attrInts, attrString } from '../proto';
import type { OnnxNode } from '../proto';
import { onnxPads, resolvePadding, windowOf } from './padding';
import { hwc } from './types';
import type { OpContext, OpConverter } from './types';

function checkPool(node: OnnxNode): string | null {
  const k = attrInts(node, 'kernel_shape');
  if (!k || k.length !== 2) return 'needs a 2-D kernel_shape';
  const d = attrInts(node, 'dilations');
  if (d && d.some((x) => x !== 1)) return 'dilated pooling is not supported';
  if (node.outputs.length > 1 && node.outputs[1]) return 'the Indices output is not supported';
  return null;
}

function pool(ctx: OpContext, kind: 'max' | 'avg'): void {
  const x = ctx.tensor(0);
  const [h, w] = hwc(x, ctx);
  const k = attrInts(ctx.node, 'kernel_shape')!;
  const win = windowOf(ctx.node, [k[0]!, k[1]!]);
  const pads = onnxPads(ctx.node, [h, w], win);
  if (attrInt(ctx.node, 'ceil_mode', 0) === 1) {
    // ceil_mode only matters when the last window would start inside the padding-extended input.
    [[h, pads[0] + pads[2]], [w, pads[1] + pads[3]]].forEach(([size, p], i) => {
      const span = size! + p! - win.kernel[i]!;
      if (span % win.strides[i]! !== 0) ctx.fail('ceil_mode = 1 changes the output size here, which TF.js pooling cannot express');
    });
  }
  const includePad = kind === 'avg' && attrInt(ctx.node, 'count_include_pad', 0) === 1;
  const zerosOk = kind === 'max' ? x.nonNegative === true : includePad;
  // A count_include_pad average must not use 'same' (TF.js leaves padding out of the count).
  const { input, padding } = includePad ? resolveIncluded(ctx, x.sym, pads) : resolvePadding(ctx, x, pads, [h, w], win, zerosOk);
  const cfg = { poolSize: win.kernel, strides: win.strides, padding, name: ctx.layerName() };
  const layer = kind === 'max' ? tf.layers.maxPooling2d(cfg) : tf.layers.averagePooling2d(cfg);
  ctx.define(0, { ...x, sym: ctx.apply(layer, input) });
}

function resolveIncluded(ctx: OpContext, x: tf.SymbolicTensor, pads: [number, number, number, number]): { input: tf.SymbolicTensor; padding: 'valid' } {
  if (pads.every((p) => p === 0)) return { input: x, padding: 'valid' };
  const layer = tf.layers.zeroPadding2d({ padding: [[pads[0], pads[2]], [pads[1], pads[3]]], name: ctx.layerName('pad') });
  return { input: ctx.apply(layer, x), padding: 'valid' };
}

export const maxPool: OpConverter = { check: checkPool, convert: (ctx) => pool(ctx, 'max') };
export const averagePool: OpConverter = { check: checkPool, convert: (ctx) => pool(ctx, 'avg') };

export const globalAveragePool: OpConverter = {
  convert(ctx: OpContext) {
    const x = ctx.tensor(0);
    hwc(x, ctx);
    const layer = tf.layers.globalAveragePooling2d({ name: ctx.layerName() });
    ctx.define(0, { kind: 'tensor', sym: ctx.apply(layer, x.sym), layout: 'pooled', nonNegative: x.nonNegative });
  },
};

export const pad: OpConverter = {
  check(node, opset) {
    const mode = attrString(node, 'mode', 'constant');
    if (mode !== 'constant') return `mode "${mode}" (only constant zero padding is supported)`;
    if (opset < 11 && attrFloat(node, 'value', 0) !== 0) return 'pads with a non-zero value';
    return null;
  },
  convert(ctx: OpContext) {
    const x = ctx.tensor(0);
    hwc(x, ctx);
    let pads: number[] | null;
    if (ctx.opset >= 11) {
      pads = ctx.constant(1)?.ints ?? null;
      const value = ctx.has(2) ? ctx.constant(2) : null;
      if (ctx.has(2) && ((value?.floats?.[0] ?? value?.ints?.[0] ?? 1) !== 0)) ctx.fail('pads with a non-zero or non-constant value');
      if (ctx.has(3)) ctx.fail('the axes input is not supported');
    } else {
      pads = attrInts(ctx.node, 'pads');
    }
    if (!pads || pads.length !== 8) ctx.fail('needs constant pads for the 4 axes of an image');
    const [n0, c0, t, l, n1, c1, b, r] = pads as [number, number, number, number, number, number, number, number];
    if (n0 || c0 || n1 || c1) ctx.fail('pads the batch or channel axis');
    if ([t, l, b, r].some((p) => p < 0)) ctx.fail('has negative pads (cropping)');
    const layer = tf.layers.zeroPadding2d({ padding: [[t, b], [l, r]], name: ctx.layerName() });
    ctx.define(0, { ...x, sym: ctx.apply(layer, x.sym) });
  },
};
