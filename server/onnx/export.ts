/**
 * A (pruned) Layers model that importOnnx made → an ONNX model with the original's opset, input and output names
 * and NCHW layout: each Keras layer becomes the ONNX op(s) it came from, weights transposed back to ONNX's order.
 * Padding is written explicitly (TF's SAME resolved against the layer's input size), ZeroPadding2D as Pad.
 * Layers the importer never makes are refused with the layer's name.
 */
import * as tf from '@tensorflow/tfjs';
import { ATTR_FLOAT, ATTR_INT, ATTR_INTS, DT_FLOAT, DT_INT64 } from './proto';
import type { OnnxAttribute, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from './proto';
import { transposeArray } from './ops/conv';
import { permuteRows } from './ops/dense';
import { tfSamePads } from './ops/padding';
import type { Pads4 } from './ops/padding';
import { opsetOf } from './import';

const ints = (name: string, v: number[]): OnnxAttribute => ({ name, type: ATTR_INTS, ints: v, floats: [] });
const int = (name: string, v: number): OnnxAttribute => ({ name, type: ATTR_INT, i: v, ints: [], floats: [] });
const float = (name: string, v: number): OnnxAttribute => ({ name, type: ATTR_FLOAT, f: v, ints: [], floats: [] });

interface Emitted {
  name: string;
  rank: number;
  /** C, H, W of the image a 2-D value was flattened from (Dense rows must go back to channel-major order). */
  flattenedFrom?: { h: number; w: number; c: number };
}

type Cfg = tf.serialization.ConfigDict;

class Emitter {
  readonly nodes: OnnxNode[] = [];
  readonly inits: OnnxTensor[] = [];
  private n = 0;

  constructor(readonly opset: number) {}

  node(op: string, inputs: string[], attributes: OnnxAttribute[], name: string, output: string): string {
    this.nodes.push({ name, opType: op, domain: '', inputs, outputs: [output], attributes });
    return output;
  }

  weight(base: string, data: Float32Array, dims: number[]): string {
    const name = `${base}.${this.n++}`;
    this.inits.push({ name, dims, dataType: DT_FLOAT, floats: data });
    return name;
  }

  int64(base: string, values: number[]): string {
    const name = `${base}.${this.n++}`;
    this.inits.push({ name, dims: [values.length], dataType: DT_INT64, ints: values });
    return name;
  }

  /** `activation` of a Conv2D/Dense config, as a node after it (the importer only makes linear ones). */
  activation(act: string, x: string, layer: string, out: string): string {
    if (act === 'linear') return this.node('Identity', [x], [], `${layer}/linear`, out);
    if (act === 'relu') return this.node('Relu', [x], [], `${layer}/relu`, out);
    if (act === 'sigmoid') return this.node('Sigmoid', [x], [], `${layer}/sigmoid`, out);
    if (act === 'softmax') return this.node('Softmax', [x], [int('axis', this.opset >= 13 ? -1 : 1)], `${layer}/softmax`, out);
    throw new Error(`layer ${layer}: activation "${act}" has no ONNX export`);
  }
}

function weightsOf(layer: tf.layers.Layer): { data: Float32Array; shape: number[] }[] {
  return layer.getWeights().map((w) => ({ data: Float32Array.from(w.dataSync() as Float32Array), shape: w.shape }));
}

function padsOf(cfg: Cfg, hw: [number, number], kernel: [number, number], strides: [number, number], dilations: [number, number]): Pads4 {
  return cfg.padding === 'same' ? tfSamePads(hw, { kernel, strides, dilations }) : [0, 0, 0, 0];
}

function pair(v: unknown, dflt: number): [number, number] {
  if (Array.isArray(v)) return [Number(v[0] ?? dflt), Number(v[1] ?? v[0] ?? dflt)];
  return typeof v === 'number' ? [v, v] : [dflt, dflt];
}

function inputHw(layer: tf.layers.Layer): [number, number] {
  const s = (layer.input as tf.SymbolicTensor).shape;
  return [s[1]!, s[2]!];
}

/**
 * Converts `model` to ONNX. `original` (the model it was imported from) gives the opset, IR version, input and output
 * names and value infos; the network's own shape comes from `model`.
 */
export function exportOnnx(model: tf.LayersModel, original: OnnxModel): OnnxModel {
  const opset = opsetOf(original);
  const e = new Emitter(opset);
  const origInputs = original.graph.inputs.filter((v) => !original.graph.initializers.some((t) => t.name === v.name));
  if (model.inputs.length !== origInputs.length || model.outputs.length !== original.graph.outputs.length) {
    throw new Error('the model has a different number of inputs or outputs than the ONNX model it came from');
  }
  const values = new Map<string, Emitted>();
  model.inputs.forEach((sym, i) => values.set(sym.sourceLayer.name, { name: origInputs[i]!.name, rank: sym.shape.length }));
  const outputNames = new Map<string, string>(model.outputs.map((sym, i) => [sym.sourceLayer.name, original.graph.outputs[i]!.name]));
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls === 'InputLayer') continue;
    if (layer.inboundNodes.length !== 1) throw new Error(`layer ${layer.name} is used ${layer.inboundNodes.length} times; shared layers have no ONNX export`);
    const ins = layer.inboundNodes[0]!.inboundLayers.map((l) => {
      const v = values.get(l.name);
      if (!v) throw new Error(`layer ${layer.name} reads ${l.name}, which was not exported before it`);
      return v;
    });
    const out = outputNames.get(layer.name) ?? layer.name;
    values.set(layer.name, exportLayer(e, layer, cls, ins, out));
  }
  const inputs: OnnxValueInfo[] = origInputs.map((v) => ({ ...v }));
  const outputs: OnnxValueInfo[] = original.graph.outputs.map((v) => ({ ...v }));
  return {
    irVersion: original.irVersion,
    producerName: 'dcp-pruner',
    producerVersion: '',
    opsets: original.opsets.filter((o) => o.domain === '' || o.domain === 'ai.onnx'),
    graph: { name: original.graph.name, nodes: e.nodes, initializers: e.inits, inputs, outputs },
  };
}

function exportLayer(e: Emitter, layer: tf.layers.Layer, cls: string, ins: Emitted[], out: string): Emitted {
  const cfg = layer.getConfig();
  const x = ins[0]!;
  const name = layer.name;
  const pre = `${name}/pre`;
  const same = (node: string): Emitted => ({ ...x, name: node });
  switch (cls) {
    case 'Conv2D':
    case 'DepthwiseConv2D': {
      const w = weightsOf(layer);
      const k = w[0]!;
      const [kh, kw, cin, last] = k.shape as [number, number, number, number];
      let kernel: Float32Array;
      let cout: number;
      if (cls === 'Conv2D') {
        kernel = transposeArray(k.data, k.shape, [3, 2, 0, 1]).data;
        cout = last;
      } else {
        cout = cin * last;
        kernel = transposeArray(k.data, [kh, kw, cout], [2, 0, 1]).data;
      }
      const strides = pair(cfg.strides, 1);
      const dil = pair(cfg.dilationRate, 1);
      const pads = padsOf(cfg, inputHw(layer), [kh, kw], strides, dil);
      const inputs = [x.name, e.weight(`${name}.weight`, kernel, [cout, cls === 'Conv2D' ? cin : 1, kh, kw])];
      if (w[1]) inputs.push(e.weight(`${name}.bias`, w[1].data, [cout]));
      const attrs = [ints('kernel_shape', [kh, kw]), ints('strides', strides), ints('dilations', dil), ints('pads', pads), int('group', cls === 'Conv2D' ? 1 : cin)];
      const act = String(cfg.activation ?? 'linear');
      if (act === 'linear') return same(e.node('Conv', inputs, attrs, name, out));
      return same(e.activation(act, e.node('Conv', inputs, attrs, name, pre), name, out));
    }
    case 'BatchNormalization': {
      const w = weightsOf(layer);
      const c = w[w.length - 1]!.shape[0]!;
      let i = 0;
      const gamma = cfg.scale === false ? new Float32Array(c).fill(1) : w[i++]!.data;
      const beta = cfg.center === false ? new Float32Array(c) : w[i++]!.data;
      const [mean, variance] = [w[i]!.data, w[i + 1]!.data];
      const inputs = [x.name, ...[['scale', gamma], ['bias', beta], ['mean', mean], ['var', variance]].map(([n, d]) => e.weight(`${name}.${String(n)}`, d as Float32Array, [c]))];
      return same(e.node('BatchNormalization', inputs, [float('epsilon', Number(cfg.epsilon)), float('momentum', Number(cfg.momentum))], name, out));
    }
    case 'ReLU': {
      if (cfg.negativeSlope || cfg.threshold) throw new Error(`layer ${name}: a ReLU with a slope or threshold has no export`);
      if (cfg.maxValue == null) return same(e.node('Relu', [x.name], [], name, out));
      const lo = e.weight(`${name}.min`, Float32Array.of(0), []);
      const hi = e.weight(`${name}.max`, Float32Array.of(Number(cfg.maxValue)), []);
      return same(e.node('Clip', [x.name, lo, hi], [], name, out));
    }
    case 'LeakyReLU':
      return same(e.node('LeakyRelu', [x.name], [float('alpha', Number(cfg.alpha))], name, out));
    case 'Activation':
      return same(e.activation(String(cfg.activation), x.name, name, out));
    case 'Add':
    case 'Multiply': {
      // ONNX Add/Mul are binary: chain them for more inputs.
      const op = cls === 'Add' ? 'Add' : 'Mul';
      let acc = ins[0]!.name;
      for (let i = 1; i < ins.length; i++) acc = e.node(op, [acc, ins[i]!.name], [], i === ins.length - 1 ? name : `${name}/${i}`, i === ins.length - 1 ? out : `${name}/${i}`);
      return same(acc);
    }
    case 'Concatenate':
      return { name: e.node('Concat', ins.map((v) => v.name), [int('axis', 1)], name, out), rank: x.rank };
    case 'MaxPooling2D':
    case 'AveragePooling2D': {
      const k = pair(cfg.poolSize, 2);
      const strides = pair(cfg.strides ?? cfg.poolSize, 2);
      const pads = padsOf(cfg, inputHw(layer), k, strides, [1, 1]);
      const attrs = [ints('kernel_shape', k), ints('strides', strides), ints('pads', pads)];
      return same(e.node(cls === 'MaxPooling2D' ? 'MaxPool' : 'AveragePool', [x.name], attrs, name, out));
    }
    case 'GlobalAveragePooling2D': {
      const pooled = e.node('GlobalAveragePool', [x.name], [], name, pre);
      return { name: e.node('Flatten', [pooled], [int('axis', 1)], `${name}/flatten`, out), rank: 2 };
    }
    case 'ZeroPadding2D': {
      const p = cfg.padding as number[][];
      const [[t, b], [l, r]] = [p[0]!, p[1]!] as [[number, number], [number, number]];
      return same(e.node('Pad', [x.name, e.int64(`${name}.pads`, [0, 0, t, l, 0, 0, b, r])], [], name, out));
    }
    case 'Flatten': {
      const s = (layer.input as tf.SymbolicTensor).shape as [null, number, number, number];
      const from = s.length === 4 && s[1] * s[2] > 1 ? { h: s[1], w: s[2], c: s[3] } : undefined;
      return { name: e.node('Flatten', [x.name], [int('axis', 1)], name, out), rank: 2, ...(from ? { flattenedFrom: from } : {}) };
    }
    case 'Reshape': {
      // The importer's only Reshape: a pooled [N, C] back to an image [N, C, 1, 1] (squeeze-and-excitation).
      const t = cfg.targetShape as number[];
      if (x.rank !== 2 || t.length !== 3 || t[0] !== 1 || t[1] !== 1) throw new Error(`layer ${name}: only a Reshape of [N, C] to [N, 1, 1, C] has an ONNX export`);
      return { name: e.node('Reshape', [x.name, e.int64(`${name}.shape`, [0, t[2]!, 1, 1])], [], name, out), rank: 4 };
    }
    case 'Dropout':
      return same(e.node('Identity', [x.name], [], name, out));
    case 'Dense': {
      const w = weightsOf(layer);
      const [rows, cols] = w[0]!.shape as [number, number];
      const f = x.flattenedFrom;
      // ONNX row o = c·H·W + pos holds Keras row pos·C + c.
      const kernel = f ? permuteRows(w[0]!.data, rows, cols, (o) => (o % (f.h * f.w)) * f.c + Math.floor(o / (f.h * f.w))) : w[0]!.data;
      const inputs = [x.name, e.weight(`${name}.weight`, kernel, [rows, cols]), ...(w[1] ? [e.weight(`${name}.bias`, w[1].data, [cols])] : [])];
      const act = String(cfg.activation ?? 'linear');
      if (act === 'linear') return { name: e.node('Gemm', inputs, [], name, out), rank: 2 };
      return { name: e.activation(act, e.node('Gemm', inputs, [], name, pre), name, out), rank: 2 };
    }
    default:
      throw new Error(`layer ${name} (${cls}) has no ONNX export`);
  }
}
