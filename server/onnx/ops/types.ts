/**
 * What the op converters share: how an ONNX value is held while the graph is rebuilt as TF.js layers, and the
 * context each converter gets. The layout matters because the importer converts NCHW to NHWC once, at the input:
 * every 4-D value is held as an NHWC Keras tensor, and values that left image space carry what the next op needs.
 */
import * as tf from '@tensorflow/tfjs';
import type { OnnxNode, OnnxTensor } from '../proto';

export type Layout =
  /** A 4-D ONNX value [N,C,H,W], held as a Keras [N,H,W,C] tensor. */
  | 'image'
  /** A 2-D ONNX value [N,F]. */
  | 'vector'
  /** GlobalAveragePool's [N,C,1,1], held as Keras [N,C] until a Flatten or Reshape makes it a vector. */
  | 'pooled';

export interface TensorValue {
  kind: 'tensor';
  sym: tf.SymbolicTensor;
  layout: Layout;
  /** Set on a vector that flattened an image with H·W > 1: ONNX flattened it C-major, Keras H,W-major. */
  flattenedFrom?: { h: number; w: number; c: number };
  /** Known ≥ 0 (after Relu/Clip): zero padding is then the same as max-pooling's −∞ padding. */
  nonNegative?: boolean;
}

export interface ConstValue {
  kind: 'const';
  tensor: OnnxTensor;
}

export type Value = TensorValue | ConstValue;

/** An error tied to one node: the message names it, which is what a user needs to find it in Netron. */
export class OnnxImportError extends Error {}

export interface OpContext {
  readonly node: OnnxNode;
  readonly opset: number;
  /** Keras layer name derived from the node's name (sanitised, unique). */
  layerName(suffix?: string): string;
  tensor(index: number): TensorValue;
  constant(index: number): OnnxTensor | null;
  /** A constant by value name (an initializer or a Constant node's output), or null. */
  constantNamed(name: string): OnnxTensor | null;
  /** True when input `index` is given (ONNX marks skipped optional inputs with an empty name). */
  has(index: number): boolean;
  define(index: number, v: Value): void;
  /** Applies a fresh layer to one or more inputs and loads its weights (tensors are disposed after loading). */
  apply(layer: tf.layers.Layer, inputs: tf.SymbolicTensor | tf.SymbolicTensor[], weights?: { data: Float32Array; shape: number[] }[]): tf.SymbolicTensor;
  /** The nodes reading this node's output `index` (lookahead for fusions such as MatMul + Add). */
  consumers(index: number): OnnxNode[];
  /** Marks a later node as already converted, its outputs aliased to `v`. */
  absorb(node: OnnxNode, v: Value): void;
  fail(why: string): never;
}

export interface OpConverter {
  /** Problems visible from the node alone (attributes, constant inputs), found before any layer is built. */
  check?(node: OnnxNode, opset: number): string | null;
  convert(ctx: OpContext): void;
}

/**
 * A value as an image: GlobalAveragePool's [N, C, 1, 1] (held as Keras [N, C]) gets a Reshape to [1, 1, C] the first
 * time an image op reads it (squeeze-and-excitation gates: GAP → 1×1 convs → Sigmoid → Mul).
 */
export function asImage(ctx: OpContext, v: TensorValue): TensorValue {
  if (v.layout !== 'pooled') return v;
  const c = v.sym.shape[1]!;
  const sym = ctx.apply(tf.layers.reshape({ targetShape: [1, 1, c], name: ctx.layerName('as_image') }), v.sym);
  return { ...v, sym, layout: 'image' };
}

/** Spatial size of an image value (H, W, C of the NHWC tensor). */
export function hwc(v: TensorValue, ctx: OpContext): [number, number, number] {
  const s = v.sym.shape;
  if (v.layout !== 'image' || s.length !== 4) ctx.fail(`expects a 4-D image input, got a ${v.layout} of shape [${s.join(', ')}]`);
  const [, h, w, c] = s;
  if (h == null || w == null || c == null) ctx.fail('needs a fixed input size (H, W and C known)');
  return [h, w, c];
}
