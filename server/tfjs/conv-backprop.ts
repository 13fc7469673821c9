/**
 * Conv2DBackpropFilter and Conv2DBackpropInput for the `wasm` backend, built from XNNPACK forward convolutions.
 *
 * The stock wasm backend has no filter gradient at all and a scalar-loop input gradient (~10× slower than the
 * forward conv). Layers' convolutions go through `tf.fused.conv2d`, whose backward pass runs these kernels
 * directly, so replacing the kernels (not the Conv2D gradient) is what speeds up training.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { pads, withOps, type Ops } from './wasm-ops';
import { conv, transposedConv } from './transposed-conv';

/** Geometry of the "filter gradient as a forward conv" trick along one axis. */
export interface FilterGradAxis {
  padBefore: number;
  padAfter: number;
  /** Rows the conv produces; rows ≥ k are leftovers of `valid` convs and are cropped. */
  outRows: number;
}

/**
 * dW[a] = Σ_i x[i·s + a·d − p] · dy[i] is a conv over x whose "filter" is dy (Ho taps, dilation s) and whose
 * output index is the tap a (stride d). Pads so that at least k outputs exist.
 * @param inSize H, dySize Ho, k taps, s stride, d dilation, p padding before (all of the original conv).
 */
export function filterGradAxis(inSize: number, dySize: number, k: number, s: number, d: number, p: number): FilterGradAxis {
  const span = (dySize - 1) * s + 1;
  const padAfter = Math.max(0, (k - 1) * d + span - inSize - p);
  const outRows = Math.floor((inSize + p + padAfter - span) / d) + 1;
  return { padBefore: p, padAfter, outRows };
}

/** Reads [h, w] from a stride/dilation attribute that may be a single number. */
export function pair(v: [number, number] | number | undefined, dflt = 1): [number, number] {
  if (v === undefined) return [dflt, dflt];
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/** Original conv geometry recovered from the kernel's attributes. */
export interface OrigConv {
  inH: number; inW: number; outH: number; outW: number;
  kh: number; kw: number;
  strides: [number, number];
  dilations: [number, number];
  top: number; left: number;
}

export function origConv(
  inShape: number[], filterShape: number[], strides: [number, number], dilations: [number, number],
  pad: tf.Conv2DBackpropFilterAttrs['pad'], dimRoundingMode: 'floor' | 'round' | 'ceil' | undefined, depthwise: boolean,
): OrigConv {
  const info = tf.backend_util.computeConv2DInfo(
    inShape as [number, number, number, number], filterShape as [number, number, number, number],
    strides, dilations, pad, dimRoundingMode, depthwise, 'channelsLast');
  return {
    inH: info.inHeight, inW: info.inWidth, outH: info.outHeight, outW: info.outWidth,
    kh: info.filterHeight, kw: info.filterWidth, strides, dilations,
    top: info.padInfo.top, left: info.padInfo.left,
  };
}

/**
 * Runs the filter-gradient conv: `forward(xt, dyt)` with the swapped geometry, then crops leftover taps.
 * `xt` is [B', H, W, C'] and `dyt` the filter [Ho, Wo, C', M']; the result is [B', kh, kw, ·].
 */
export function filterGradConv(
  ops: Ops, o: OrigConv, xt: TensorInfo, dyt: TensorInfo,
  forward: (x: TensorInfo, f: TensorInfo, g: { strides: [number, number]; dilations: [number, number]; pads: ReturnType<typeof pads> }) => TensorInfo,
): TensorInfo {
  const r = filterGradAxis(o.inH, o.outH, o.kh, o.strides[0], o.dilations[0], o.top);
  const c = filterGradAxis(o.inW, o.outW, o.kw, o.strides[1], o.dilations[1], o.left);
  const z = forward(xt, dyt, {
    strides: o.dilations, dilations: o.strides, pads: pads(r.padBefore, r.padAfter, c.padBefore, c.padAfter),
  });
  if (r.outRows === o.kh && c.outRows === o.kw) return z;
  const cropped = ops.slice(z, [0, 0, 0, 0], [z.shape[0], o.kh, o.kw, z.shape[3]]);
  ops.free(z);
  return cropped;
}

function assertNHWC(kernel: string, dataFormat: string | undefined): void {
  if (dataFormat !== undefined && dataFormat !== 'NHWC') {
    throw new Error(`${kernel} on wasm supports only NHWC (got ${dataFormat})`);
  }
}

/** dW [kh,kw,Cin,Cout] from x [N,H,W,Cin] and dy [N,Ho,Wo,Cout]. */
export const conv2DBackpropFilter: tf.KernelFunc = ({ inputs, backend, attrs }) => withOps(backend, (ops) => {
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const a = attrs as unknown as tf.Conv2DBackpropFilterAttrs & { dilations?: [number, number] | number };
  assertNHWC('Conv2DBackpropFilter', a.dataFormat);
  const o = origConv(x.shape, a.filterShape, pair(a.strides), pair(a.dilations), a.pad, a.dimRoundingMode, false);
  const xt = ops.transpose(x, [3, 1, 2, 0]); // [Cin, H, W, N]: channels become the batch
  const dyt = ops.transpose(dy, [1, 2, 0, 3]); // [Ho, Wo, N, Cout]: dy becomes the filter
  const z = filterGradConv(ops, o, xt, dyt, (xx, ff, g) => ops.conv2d(xx, ff, g)); // [Cin, kh, kw, Cout]
  ops.free(xt);
  ops.free(dyt);
  return ops.transpose(z, [1, 2, 0, 3]);
});

/** dx [N,H,W,Cin] from dy [N,Ho,Wo,Cout] and filter [kh,kw,Cin,Cout]. */
export const conv2DBackpropInput: tf.KernelFunc = ({ inputs, backend, attrs }) => withOps(backend, (ops) => {
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const a = attrs as unknown as tf.Conv2DBackpropInputAttrs & { dilations?: [number, number] | number };
  assertNHWC('Conv2DBackpropInput', a.dataFormat);
  const o = origConv(a.inputShape, filter.shape, pair(a.strides), pair(a.dilations), a.pad, a.dimRoundingMode, false);
  const reversed = ops.reverse(filter, [0, 1]);
  const flipped = ops.transpose(reversed, [0, 1, 3, 2]); // [kh, kw, Cout, Cin]
  ops.free(reversed);
  return transposedConv(ops, conv, dy, flipped, [o.inH, o.inW], o.strides, o.dilations, [o.top, o.left]);
});

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter, backendName: 'wasm', kernelFunc: conv2DBackpropFilter,
};

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: tf.Conv2DBackpropInput, backendName: 'wasm', kernelFunc: conv2DBackpropInput,
};
