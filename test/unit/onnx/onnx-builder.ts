/**
 * Small ONNX graphs written by the tests themselves, so every supported op is exercised on a file whose contents
 * the test controls. Weights are seeded pseudo-random; BatchNorm statistics are kept positive.
 */
import * as ort from 'onnxruntime-node';
import * as tf from '@tensorflow/tfjs';
import { ATTR_FLOAT, ATTR_INT, ATTR_INTS, ATTR_STRING, DT_FLOAT, DT_INT64 } from '../../../server/onnx/proto';
import { encodeModel } from '../../../server/onnx/proto-encode';
import type { OnnxAttribute, OnnxNode, OnnxTensor } from '../../../server/onnx/proto';

export const ints = (name: string, v: number[]): OnnxAttribute => ({ name, type: ATTR_INTS, ints: v, floats: [] });
export const int = (name: string, v: number): OnnxAttribute => ({ name, type: ATTR_INT, i: v, ints: [], floats: [] });
export const float = (name: string, v: number): OnnxAttribute => ({ name, type: ATTR_FLOAT, f: v, ints: [], floats: [] });
export const str = (name: string, v: string): OnnxAttribute => ({ name, type: ATTR_STRING, s: v, ints: [], floats: [] });

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly inits: OnnxTensor[] = [];
  private seed: number;
  private n = 0;

  constructor(readonly inputShape: number[], seed = 1, readonly inputName = 'input') {
    this.seed = seed;
  }

  random(): number {
    this.seed = (this.seed * 1103515245 + 12345) % 2147483648;
    return this.seed / 2147483648;
  }

  weight(dims: number[], lo = -0.5, hi = 0.5): string {
    const size = dims.reduce((a, b) => a * b, 1);
    const name = `w${this.n++}`;
    this.inits.push({ name, dims, dataType: DT_FLOAT, floats: Float32Array.from({ length: size }, () => lo + (hi - lo) * this.random()) });
    return name;
  }

  int64(values: number[]): string {
    const name = `c${this.n++}`;
    this.inits.push({ name, dims: [values.length], dataType: DT_INT64, ints: values });
    return name;
  }

  int64Scalar(v: number): string {
    const name = `c${this.n++}`;
    this.inits.push({ name, dims: [], dataType: DT_INT64, ints: [v] });
    return name;
  }

  scalar(v: number): string {
    const name = `s${this.n++}`;
    this.inits.push({ name, dims: [], dataType: DT_FLOAT, floats: Float32Array.of(v) });
    return name;
  }

  node(op: string, inputs: string[], attributes: OnnxAttribute[] = [], name?: string): string {
    const out = `t${this.n++}`;
    this.nodes.push({ name: name ?? `${op.toLowerCase()}_${this.n}`, opType: op, domain: '', inputs, outputs: [out], attributes });
    return out;
  }

  conv(x: string, cin: number, cout: number, k: number, attrs: OnnxAttribute[] = [], group = 1, bias = true): string {
    const w = this.weight([cout, cin / group, k, k]);
    const inputs = bias ? [x, w, this.weight([cout], -0.2, 0.2)] : [x, w];
    return this.node('Conv', inputs, [ints('kernel_shape', [k, k]), int('group', group), ...attrs]);
  }

  bn(x: string, c: number): string {
    return this.node('BatchNormalization', [x, this.weight([c], 0.5, 1.5), this.weight([c], -0.3, 0.3), this.weight([c], -0.3, 0.3), this.weight([c], 0.5, 2)], [float('epsilon', 1e-5)]);
  }

  encode(outputs: string[], opset = 13, outShapes?: number[][]): Uint8Array {
    return encodeModel({
      irVersion: 7,
      producerName: 'dcp-tests',
      producerVersion: '',
      opsets: [{ domain: '', version: opset }],
      graph: {
        name: 'test_graph',
        nodes: this.nodes,
        initializers: this.inits,
        inputs: [{ name: this.inputName, elemType: DT_FLOAT, dims: ['N', ...this.inputShape.slice(1)] }],
        outputs: outputs.map((o, i) => ({ name: o, elemType: DT_FLOAT, dims: outShapes?.[i] ?? null })),
      },
    });
  }
}

/** A seeded NCHW input. */
export function randomInput(shape: number[], seed = 7): Float32Array {
  let s = seed;
  return Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return (s / 2147483648) * 2 - 1;
  });
}

/**
 * onnxruntime's output for one NCHW input, with its graph optimisations off: they are the reference semantics of the
 * ONNX ops. (Measured: onnxruntime 1.30's Pad fusion folds a zero Pad into a following MaxPool, whose padding is −∞,
 * which changes the result when the padded values are negative.)
 */
export async function runOrt(bytes: Uint8Array, input: Float32Array, shape: number[]): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'disabled' });
  try {
    const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input, shape) };
    const out = (await session.run(feeds))[session.outputNames[0]!]!;
    return { data: Float32Array.from(out.data as Float32Array), dims: out.dims };
  } finally {
    await session.release();
  }
}

/** Our model's output for the same input, converted to NHWC first. */
export function runLayers(model: tf.LayersModel, input: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => {
    const x = tf.tensor(input, shape).transpose([0, 2, 3, 1]);
    const y = model.predict(x) as tf.Tensor;
    // Image outputs come back NHWC; compare in ONNX's NCHW order.
    return (y.rank === 4 ? y.transpose([0, 3, 1, 2]) : y).dataSync() as Float32Array;
  });
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
