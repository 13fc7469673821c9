/**
 * Gemm and MatMul (+ a bias Add, fused) → Dense. A vector that came from flattening an NCHW map lists features
 * channel-major; Keras flattened the NHWC map position-major, so the kernel's rows are permuted to match.
 */
import * as tf from '@tensorflow/tfjs';
import { attrFloat, attrInt } from '../proto';
import type { OnnxTensor } from '../proto';
import { transposeArray } from './conv';
import type { OpContext, OpConverter, TensorValue } from './types';

/** Keras row r = (y·W + x)·C + c holds ONNX row (c·H + y)·W + x. */
export function nchwRowOf(kerasRow: number, from: { h: number; w: number; c: number }): number {
  const c = kerasRow % from.c;
  const pos = Math.floor(kerasRow / from.c);
  return c * from.h * from.w + pos;
}

export function permuteRows(kernel: Float32Array, rows: number, cols: number, rowOf: (r: number) => number): Float32Array {
  const out = new Float32Array(kernel.length);
  for (let r = 0; r < rows; r++) out.set(kernel.subarray(rowOf(r) * cols, rowOf(r) * cols + cols), r * cols);
  return out;
}

function dense(ctx: OpContext, x: TensorValue, kernel: Float32Array, rows: number, cols: number, bias: Float32Array | null): TensorValue {
  if (x.layout !== 'vector') ctx.fail(`expects a 2-D [N, features] input, got a ${x.layout} value; flatten it first`);
  const inFeatures = x.sym.shape[1];
  if (inFeatures !== rows) ctx.fail(`weights expect ${rows} input features, the input has ${inFeatures}`);
  const from = x.flattenedFrom;
  const k = from ? permuteRows(kernel, rows, cols, (r) => nchwRowOf(r, from)) : kernel;
  const layer = tf.layers.dense({ units: cols, useBias: bias !== null, name: ctx.layerName() });
  const weights = [{ data: k, shape: [rows, cols] }, ...(bias ? [{ data: bias, shape: [cols] }] : [])];
  return { kind: 'tensor', sym: ctx.apply(layer, x.sym, weights), layout: 'vector' };
}

function biasOf(t: OnnxTensor | null, cols: number, scale: number): Float32Array | null {
  if (!t?.floats) return null;
  if (t.floats.length === cols) return t.floats.map((v) => v * scale);
  if (t.floats.length === 1) return new Float32Array(cols).fill(t.floats[0]! * scale);
  return null;
}

export const gemm: OpConverter = {
  check: (n) => (attrInt(n, 'transA', 0) !== 0 ? 'transA = 1 is not supported' : null),
  convert(ctx: OpContext) {
    const x = ctx.tensor(0);
    const b = ctx.constant(1);
    if (!b?.floats || b.dims.length !== 2) ctx.fail('needs its B matrix as a 2-D initializer');
    const transB = attrInt(ctx.node, 'transB', 0) === 1;
    const alpha = attrFloat(ctx.node, 'alpha', 1);
    const m = transB ? transposeArray(b.floats, b.dims, [1, 0]) : { data: b.floats, shape: b.dims };
    const [rows, cols] = m.shape as [number, number];
    const kernel = alpha === 1 ? m.data : m.data.map((v) => v * alpha);
    let bias: Float32Array | null = null;
    if (ctx.has(2)) {
      bias = biasOf(ctx.constant(2), cols, attrFloat(ctx.node, 'beta', 1));
      if (!bias) ctx.fail('needs C as a constant of shape [N] or [1, N]');
    }
    ctx.define(0, dense(ctx, x, kernel, rows, cols, bias));
  },
};

export const matMul: OpConverter = {
  convert(ctx: OpContext) {
    const x = ctx.tensor(0);
    const b = ctx.constant(1);
    if (!b?.floats || b.dims.length !== 2) ctx.fail('needs its second input as a 2-D initializer');
    const [rows, cols] = b.dims as [number, number];
    // PyTorch exports Linear as MatMul + Add when it cannot use Gemm; folding the Add keeps one Dense layer.
    const next = ctx.consumers(0);
    const addNode = next.length === 1 && next[0]!.opType === 'Add' ? next[0]! : null;
    const biasInput = addNode?.inputs.find((n) => n !== ctx.node.outputs[0]);
    const biasTensor = biasInput !== undefined ? ctx.constantNamed(biasInput) : null;
    const bias = biasOf(biasTensor, cols, 1);
    const out = dense(ctx, x, b.floats, rows, cols, bias);
    ctx.define(0, out);
    if (addNode && bias) ctx.absorb(addNode, out);
  },
};
