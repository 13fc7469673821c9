/**
 * ONNX padding (explicit `pads` or `auto_pad`) against what TF.js can express: 'valid', 'same' (TensorFlow's
 * SAME, the extra row/column at the end, i.e. ONNX's SAME_UPPER) or an explicit ZeroPadding2D before a 'valid' op.
 */
import * as tf from '@tensorflow/tfjs';
import { attrInts, attrString } from '../proto';
import type { OnnxNode } from '../proto';
import type { OpContext, TensorValue } from './types';

/** [top, left, bottom, right]. */
export type Pads4 = [number, number, number, number];

export interface Window {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
}

export function windowOf(node: OnnxNode, kernel: [number, number]): Window {
  const s = attrInts(node, 'strides') ?? [1, 1];
  const d = attrInts(node, 'dilations') ?? [1, 1];
  return { kernel, strides: [s[0] ?? 1, s[1] ?? 1], dilations: [d[0] ?? 1, d[1] ?? 1] };
}

function samePads(size: number, k: number, s: number, d: number, upper: boolean): [number, number] {
  const out = Math.ceil(size / s);
  const total = Math.max((out - 1) * s + (k - 1) * d + 1 - size, 0);
  const small = Math.floor(total / 2);
  return upper ? [small, total - small] : [total - small, small];
}

/** The pads an ONNX node asks for, resolved against the input's spatial size. */
export function onnxPads(node: OnnxNode, hw: [number, number], win: Window): Pads4 {
  const auto = attrString(node, 'auto_pad', 'NOTSET');
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    const up = auto === 'SAME_UPPER';
    const [t, b] = samePads(hw[0], win.kernel[0], win.strides[0], win.dilations[0], up);
    const [l, r] = samePads(hw[1], win.kernel[1], win.strides[1], win.dilations[1], up);
    return [t, l, b, r];
  }
  if (auto === 'VALID') return [0, 0, 0, 0];
  const p = attrInts(node, 'pads') ?? [0, 0, 0, 0];
  return [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0, p[3] ?? 0];
}

export function tfSamePads(hw: [number, number], win: Window): Pads4 {
  const [t, b] = samePads(hw[0], win.kernel[0], win.strides[0], win.dilations[0], true);
  const [l, r] = samePads(hw[1], win.kernel[1], win.strides[1], win.dilations[1], true);
  return [t, l, b, r];
}

export function isZero(p: Pads4): boolean {
  return p.every((x) => x === 0);
}

export function samePadsEqual(a: Pads4, b: Pads4): boolean {
  return a.every((x, i) => x === b[i]);
}

/**
 * 'valid' or 'same' when one of them is exactly the ONNX padding; otherwise a ZeroPadding2D in front and 'valid'
 * (only when the caller says zeros are the right fill: convolutions, count_include_pad averages, ≥0 inputs of max).
 */
export function resolvePadding(ctx: OpContext, x: TensorValue, pads: Pads4, hw: [number, number], win: Window, zerosOk: boolean): { input: tf.SymbolicTensor; padding: 'valid' | 'same' } {
  if (isZero(pads)) return { input: x.sym, padding: 'valid' };
  if (samePadsEqual(pads, tfSamePads(hw, win))) return { input: x.sym, padding: 'same' };
  if (!zerosOk) ctx.fail(`padding [${pads.join(', ')}] (top, left, bottom, right) is neither VALID nor TensorFlow's SAME, and zero-filling would change the result here`);
  const layer = tf.layers.zeroPadding2d({ padding: [[pads[0], pads[2]], [pads[1], pads[3]]], name: ctx.layerName('pad') });
  return { input: ctx.apply(layer, x.sym), padding: 'valid' };
}
