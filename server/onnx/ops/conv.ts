/**
 * Conv → Conv2D (group = 1) or DepthwiseConv2D (group = input channels). ONNX keeps filters as [out, in/group, kh, kw]
 * on NCHW data; Keras as [kh, kw, in, out] (Conv2D) or [kh, kw, in, multiplier] (depthwise) on NHWC data. For the
 * depthwise case both number the outputs channel-major (output o = c·multiplier + m), so only the axes move.
 */
import * as tf from '@tensorflow/tfjs';
import { attrInt } from '../proto';
import type { OnnxNode } from '../proto';
import { onnxPads, resolvePadding, windowOf } from './padding';
import { asImage, hwc } from './types';
import type { OpContext, OpConverter } from './types';

function check(node: OnnxNode): string | null {
  if (node.inputs.length < 2) return 'needs a weight input';
  return null;
}

/** Reorders a row-major array of `shape` by `perm` (the output's axis i is the input's axis perm[i]). */
export function transposeArray(data: Float32Array, shape: number[], perm: number[]): { data: Float32Array; shape: number[] } {
  const outShape = perm.map((p) => shape[p]!);
  const inStrides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  const out = new Float32Array(data.length);
  const idx = new Array<number>(shape.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let i = 0; i < perm.length; i++) src += idx[i]! * inStrides[perm[i]!]!;
    out[o] = data[src]!;
    for (let i = perm.length - 1; i >= 0; i--) {
      if (++idx[i]! < outShape[i]!) break;
      idx[i] = 0;
    }
  }
  return { data: out, shape: outShape };
}

function convert(ctx: OpContext): void {
  const x = asImage(ctx, ctx.tensor(0));
  const [h, w, cin] = hwc(x, ctx);
  const wt = ctx.constant(1);
  if (!wt?.floats) ctx.fail('needs its weights as an initializer');
  if (wt.dims.length !== 4) ctx.fail(`handles 2-D convolutions only (weights of rank ${wt.dims.length})`);
  const [cout, cinPerGroup, kh, kw] = wt.dims as [number, number, number, number];
  const group = attrInt(ctx.node, 'group', 1);
  const bias = ctx.has(2) ? ctx.constant(2) : null;
  if (ctx.has(2) && !bias?.floats) ctx.fail('needs its bias as an initializer');
  const win = windowOf(ctx.node, [kh, kw]);
  const pads = onnxPads(ctx.node, [h, w], win);
  const { input, padding } = resolvePadding(ctx, x, pads, [h, w], win, true);
  const common = { kernelSize: [kh, kw] as [number, number], strides: win.strides, dilationRate: win.dilations, padding, useBias: bias != null, name: ctx.layerName() };
  const weights = [];
  let layer: tf.layers.Layer;
  if (group === 1) {
    if (cinPerGroup !== cin) ctx.fail(`weights expect ${cinPerGroup} input channels, the input has ${cin}`);
    layer = tf.layers.conv2d({ ...common, filters: cout });
    weights.push(transposeArray(wt.floats, wt.dims, [2, 3, 1, 0]));
  } else if (group === cin && cinPerGroup === 1 && cout % cin === 0) {
    const multiplier = cout / cin;
    layer = tf.layers.depthwiseConv2d({ ...common, depthMultiplier: multiplier });
    // [cin·m, 1, kh, kw] → [kh, kw, cin·m] → [kh, kw, cin, m].
    const t = transposeArray(wt.floats, [cout, kh, kw], [1, 2, 0]);
    weights.push({ data: t.data, shape: [kh, kw, cin, multiplier] });
  } else {
    ctx.fail(`group = ${group} with ${cin} input channels: only ordinary (group 1) and depthwise (group = channels) convolutions are supported`);
  }
  if (bias?.floats) weights.push({ data: bias.floats, shape: [cout] });
  ctx.define(0, { kind: 'tensor', sym: ctx.apply(layer, input, weights), layout: 'image' });
}

export const conv: OpConverter = { check, convert };
