/**
 * DepthwiseConv2dNativeBackpropFilter and DepthwiseConv2dNativeBackpropInput for the `wasm` backend (it has
 * neither), built from XNNPACK depthwise forward convolutions with the same tricks as the dense conv:
 * - filter gradient: batch folded into channels (each (n, c) pair is its own depthwise channel), dy as the
 *   filter, original stride as dilation, then a sum over the batch;
 * - input gradient: the multiplier folded into channels (filter [kh,kw,C·M,1]), a transposed depthwise conv
 *   (polyphase when strided), then a sum over the multiplier.
 * Dilation is supported (the stock `cpu` kernels ignore it; tests check dilated cases against a direct loop).
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { withOps } from './wasm-ops';
import { depthwise, transposedConv } from './transposed-conv';
import { filterGradConv, origConv, pair } from './conv-backprop';

/** dW [kh,kw,C,M] from x [N,H,W,C] and dy [N,Ho,Wo,C·M]. */
export const depthwiseBackpropFilter: tf.KernelFunc = ({ inputs, backend, attrs }) => withOps(backend, (ops) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropFilterAttrs;
  const [kh, kw, c, m] = a.filterShape;
  const o = origConv(x.shape, a.filterShape, pair(a.strides), pair(a.dilations), a.pad, a.dimRoundingMode, true);
  const n = x.shape[0];
  // x → [1, H, W, N·C]; dy → filter [Ho, Wo, N·C, M].
  const xT = ops.transpose(x, [1, 2, 0, 3]);
  const xt = ops.reshape(xT, [1, o.inH, o.inW, n * c]);
  ops.free(xT);
  const dyT = ops.transpose(dy, [1, 2, 0, 3]);
  const dyt = ops.reshape(dyT, [o.outH, o.outW, n * c, m]);
  ops.free(dyT);
  const z = filterGradConv(ops, o, xt, dyt, (xx, ff, g) => ops.depthwiseConv2d(xx, ff, g)); // [1, kh, kw, N·C·M]
  ops.free(xt);
  ops.free(dyt);
  if (n === 1) return ops.reshape(z, [kh, kw, c, m]);
  const perBatch = ops.reshape(z, [kh * kw, n, c * m]);
  ops.free(z);
  const summed = ops.sum(perBatch, [1]);
  ops.free(perBatch);
  return ops.reshape(summed, [kh, kw, c, m]);
});

/** dx [N,H,W,C] from dy [N,Ho,Wo,C·M] and filter [kh,kw,C,M]. */
export const depthwiseBackpropInput: tf.KernelFunc = ({ inputs, backend, attrs }) => withOps(backend, (ops) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as tf.DepthwiseConv2dNativeBackpropInputAttrs;
  const [kh, kw, c, m] = filter.shape;
  const o = origConv(a.inputShape, filter.shape, pair(a.strides), pair(a.dilations), a.pad, a.dimRoundingMode, true);
  const reversed = ops.reverse(filter, [0, 1]);
  const flipped = ops.reshape(reversed, [kh, kw, c * m, 1]);
  ops.free(reversed);
  const dxAll = transposedConv(ops, depthwise, dy, flipped, [o.inH, o.inW], o.strides, o.dilations, [o.top, o.left]);
  if (m === 1) return dxAll;
  const [n, h, w] = dxAll.shape;
  const split = ops.reshape(dxAll, [n, h, w, c, m]);
  ops.free(dxAll);
  return ops.sum(split, [4]);
});

export const depthwiseBackpropFilterConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropFilter, backendName: 'wasm', kernelFunc: depthwiseBackpropFilter,
};

export const depthwiseBackpropInputConfig: KernelConfig = {
  kernelName: tf.DepthwiseConv2dNativeBackpropInput, backendName: 'wasm', kernelFunc: depthwiseBackpropInput,
};
