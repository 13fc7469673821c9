/**
 * Per-layer size and cost of a model, as `dcp inspect` prints it and a run reports it.
 *
 * FLOPs convention: multiply-adds for one sample, counted for layers with weights that multiply:
 * - Conv (1-D/2-D/3-D): k_1·…·k_n · C_in/groups · C_out · (output positions)
 * - Conv2DTranspose: kh·kw · C_in · C_out · (input positions)
 * - DepthwiseConv2D: kh·kw · C_in · multiplier · Ho·Wo
 * - SeparableConv2D: the depthwise part plus C_in·multiplier · C_out · Ho·Wo
 * - Dense: in · units (times the positions when applied to a tensor of rank > 2)
 * Biases, BatchNorm, activations, pooling and merges count 0: they are a few percent of a conv net's cost and the
 * papers' FLOPs columns leave them out too. A nested model counts the sum of its layers.
 */
import * as tf from '@tensorflow/tfjs';
import type { LayerInfo, ModelSummary } from '../../../protocol/model';
import type { GraphLayer, ModelGraph } from '../graph/graph';
import { analyzeGraph, CONV_CLASSES } from '../graph/analyze';
import { couplingOf } from '../graph/coupling';

type Config = tf.serialization.ConfigDict;

function numbers(v: Config[string] | undefined): number[] {
  if (typeof v === 'number') return [v];
  return Array.isArray(v) ? v.filter((x): x is number => typeof x === 'number') : [];
}

function product(xs: readonly number[]): number {
  return xs.reduce((a, b) => a * Math.max(b, 0), 1);
}

/** Splits a shape (no batch axis) into [spatial dims, channels] for the layer's data format. */
function split(shape: readonly number[], channelsFirst: boolean): [number[], number] {
  return channelsFirst ? [shape.slice(1), shape[0] ?? 0] : [shape.slice(0, -1), shape.at(-1) ?? 0];
}

/**
 * Multiply-adds of one layer for one sample (see the file comment for the convention).
 * @param inShape the layer's (first) input shape without the batch axis
 * @param outShape its output shape without the batch axis
 */
export function layerFlops(layer: tf.layers.Layer, inShape: readonly number[], outShape: readonly number[]): number {
  if (layer instanceof tf.LayersModel) return summarizeModel(layer).totalFlops;
  const cls = layer.getClassName();
  const cfg = layer.getConfig();
  const channelsFirst = cfg.dataFormat === 'channelsFirst';
  const [inSpace, cin] = split(inShape, channelsFirst);
  const [outSpace, cout] = split(outShape, channelsFirst);
  const kernel = product(numbers(cfg.kernelSize));
  const mult = numbers(cfg.depthMultiplier)[0] ?? 1;
  if (cls === 'Dense') return product(outShape.slice(0, -1)) * (inShape.at(-1) ?? 0) * (outShape.at(-1) ?? 0);
  if (cls === 'DepthwiseConv2D') return kernel * cin * mult * product(outSpace);
  if (cls === 'SeparableConv1D' || cls === 'SeparableConv2D') return (kernel * cin * mult + cin * mult * cout) * product(outSpace);
  if (cls === 'Conv2DTranspose' || cls === 'Conv3DTranspose') return kernel * cin * cout * product(inSpace);
  if (CONV_CLASSES.has(cls) && cls !== 'ConvLSTM2D') {
    const groups = numbers(cfg.groups)[0] ?? 1;
    return kernel * (cin / groups) * cout * product(outSpace);
  }
  return 0;
}

/**
 * Summarises a model: one row per layer (model input layers left out: `inputShape` describes them), totals,
 * the number of classes (last axis of the first output) and the prunable convs.
 */
export function summarizeModel(model: tf.LayersModel, graph: ModelGraph = analyzeGraph(model), name: string = model.name): ModelSummary {
  const own = new Map(model.layers.map((l) => [l.name, l]));
  const reasons = new Map(graph.notPrunable.map((n) => [n.layer, n.reason]));
  const prunable = new Map(graph.prunable.map((p) => [p.layer, p]));
  const coupling = couplingOf(graph);
  const layers: LayerInfo[] = [];
  for (const layerName of graph.order) {
    const layer = own.get(layerName);
    const g = graph.layers[layerName];
    if (!layer || g.className === 'InputLayer') continue;
    const inShape = g.inputs.length > 0 ? graph.layers[g.inputs[0]].outputShape : [];
    const calls = callsOf(model, layer);
    const info: LayerInfo = {
      name: layerName, className: g.className, inboundLayers: [...g.inputs], outputShape: [...g.outputShape],
      params: layer.countParams(), flops: layerFlops(layer, inShape, g.outputShape) * calls,
    };
    Object.assign(info, convFields(g, inShape, prunable.has(layerName), reasons.get(layerName)));
    const tied = coupling.get(layerName);
    if (tied) info.coupling = tied;
    layers.push(info);
  }
  const first = graph.inputs[0];
  return {
    name,
    inputShape: first ? [...graph.layers[first].outputShape] : [],
    numClasses: graph.outputs.length > 0 ? (graph.layers[graph.outputs[0]].outputShape.at(-1) ?? 0) : 0,
    layers,
    totalParams: layers.reduce((s, l) => s + l.params, 0),
    totalFlops: layers.reduce((s, l) => s + l.flops, 0),
    prunable: graph.prunable.map((p) => p.layer),
  };
}

/** Conv rows carry their channel counts and verdict; other rows only a reason when they have one (Dense). */
function convFields(g: GraphLayer, inShape: number[], isPrunable: boolean, reason: string | undefined): Partial<LayerInfo> {
  if (!CONV_CLASSES.has(g.className)) return reason ? { reason } : {};
  const fields: Partial<LayerInfo> = { prunable: isPrunable, inChannels: inShape.at(-1) ?? 0, outChannels: g.outputShape.at(-1) ?? 0 };
  if (!isPrunable && reason) fields.reason = reason;
  return fields;
}

/** How often the layer runs per sample inside this model (shared layers run once per call). */
function callsOf(model: tf.LayersModel, layer: tf.layers.Layer): number {
  if (model.getClassName() === 'Sequential') return 1;
  return Math.max(1, layer.inboundNodes.filter((_, i) => model.containerNodes.has(`${layer.name}_ib-${i}`)).length);
}
