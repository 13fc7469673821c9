/**
 * Channel flow: how the channels a conv reads map back to layers that can lose them (DCP-SPEC §1, §5).
 * Removing input channel k of a conv is exact only if every layer between the conv and the filters that make
 * channel k handles channels one by one and nothing else reads them; this file checks exactly that.
 */
import * as tf from '@tensorflow/tfjs';
import type { Topology, TopoNode } from './topology';

/**
 * How a layer loses channel j when a consumer drops the matching input channel:
 * - `conv-filters`: a Conv2D loses output filter j: `kernel[:, :, :, j]` (HWIO axis 3) and `bias[j]`;
 * - `batchnorm`: gamma, beta, moving mean and moving variance lose entry j (those the layer has);
 * - `depthwise`: a DepthwiseConv2D (depth multiplier 1) loses channel j: `depthwiseKernel[:, :, j, 0]` and `bias[j]`,
 *   and so does its own input, which is why the trace continues to the layer before it.
 */
export type ProducerKind = 'conv-filters' | 'batchnorm' | 'depthwise';

/** A layer that loses channels together with a consumer's input channels. */
export interface ChannelProducer {
  layer: string;
  kind: ProducerKind;
  /**
   * The consumer's input channels `offset … offset+channels-1` are this layer's channels `0 … channels-1`
   * (consumer channel k = layer channel k − offset). `offset` is 0 unless a Concatenate sits in between.
   */
  offset: number;
  channels: number;
}

export type ConvStatus =
  | { prunable: true; producers: ChannelProducer[]; through: string[] }
  | { prunable: false; reason: string };

/** Layers that keep every channel separate and have no weights: channel j in = channel j out. */
const PASS_THROUGH = new Set([
  'Activation', 'ReLU', 'LeakyReLU', 'ELU', 'ThresholdedReLU', 'Dropout', 'SpatialDropout1D', 'SpatialDropout2D',
  'GaussianNoise', 'GaussianDropout', 'AlphaDropout', 'MaxPooling2D', 'AveragePooling2D', 'GlobalAveragePooling2D',
  'GlobalMaxPooling2D', 'ZeroPadding2D', 'Cropping2D', 'UpSampling2D',
]);
const MERGES = new Set(['Multiply', 'Average', 'Maximum', 'Minimum', 'Subtract', 'Dot']);
const NESTED = new Set(['Sequential', 'Functional', 'Model']);

type Flow =
  | { kind: 'input' | 'pass' | 'batchnorm' | 'depthwise' | 'conv' | 'concat' | 'residual' }
  | { kind: 'blocked'; why: string };

function config(node: TopoNode): tf.serialization.ConfigDict {
  return node.layer.getConfig();
}

/** The channel axis is last: -1 or rank-1 (rank counts the batch axis). Keras JSON may wrap it in a list. */
function isChannelAxis(axis: tf.serialization.ConfigDictValue, node: TopoNode): boolean {
  const a = Array.isArray(axis) ? (axis.length === 1 ? axis[0] : null) : axis;
  return a === -1 || a === node.outputShape.length;
}

function describe(node: TopoNode): string {
  return `'${node.name}' (${node.className})`;
}

/** What a layer does to the channels flowing through it, for a conv reading its output. */
function flowOf(topo: Topology, node: TopoNode): Flow {
  const c = node.className;
  if (c === 'InputLayer') return { kind: 'input' };
  if (node.calls > 1) return { kind: 'blocked', why: `${describe(node)} is called ${node.calls} times (shared weights)` };
  const cfg = config(node);
  if (cfg.dataFormat === 'channelsFirst') return { kind: 'blocked', why: `${describe(node)} is channels-first; only channels-last models are supported` };
  if (c === 'Activation' && cfg.activation === 'softmax') return { kind: 'blocked', why: `softmax ${describe(node)} normalises across channels` };
  if (PASS_THROUGH.has(c)) return { kind: 'pass' };
  if (c === 'Flatten' || c === 'Reshape') {
    // Only a reshape between [1, 1, C] and [C] keeps channel j at position j.
    const inShape = topo.nodes.get(node.inputs[0])?.outputShape ?? [];
    const keeps = (s: number[]): boolean => s.slice(0, -1).every((d) => d === 1);
    const same = inShape.at(-1) === node.outputShape.at(-1) && keeps(inShape) && keeps(node.outputShape);
    return same ? { kind: 'pass' } : { kind: 'blocked', why: `${describe(node)} mixes spatial positions and channels` };
  }
  if (c === 'BatchNormalization') {
    return isChannelAxis(cfg.axis, node) ? { kind: 'batchnorm' } : { kind: 'blocked', why: `${describe(node)} normalises over a non-channel axis` };
  }
  if (c === 'DepthwiseConv2D') {
    const m = Number(cfg.depthMultiplier ?? 1);
    return m === 1 ? { kind: 'depthwise' }
      : { kind: 'blocked', why: `${describe(node)} has depth multiplier ${m}: its output channels come in groups of ${m} per input channel` };
  }
  if (c === 'Conv2D') {
    const groups = Number(cfg.groups ?? 1);
    return groups === 1 ? { kind: 'conv' } : { kind: 'blocked', why: `${describe(node)} is a grouped convolution (${groups} groups)` };
  }
  if (c === 'Concatenate') {
    return isChannelAxis(cfg.axis, node) ? { kind: 'concat' } : { kind: 'blocked', why: `${describe(node)} concatenates along a non-channel axis` };
  }
  if (c === 'Add') return { kind: 'residual' };
  if (MERGES.has(c)) return { kind: 'blocked', why: `${describe(node)} combines its inputs channel by channel, tying their channels together` };
  if (NESTED.has(c)) return { kind: 'blocked', why: `${describe(node)} is a nested model; analyse it on its own` };
  if (c === 'Dense') return { kind: 'blocked', why: `${describe(node)} is a dense layer, not a convolution` };
  if (c === 'PReLU') return { kind: 'blocked', why: `${describe(node)} learns a slope per channel, which would have to be sliced too` };
  if (c === 'LayerNormalization') return { kind: 'blocked', why: `${describe(node)} normalises across channels` };
  return { kind: 'blocked', why: `DCP cannot follow channels through ${describe(node)}` };
}

/** First Add reached from `start` through single-input layers (BN, activations, convs): the shortcut it feeds. */
function addFedBy(topo: Topology, start: string, depth = 4): string | null {
  const node = topo.nodes.get(start);
  if (!node) return null;
  if (node.className === 'Add') return node.name;
  if (depth === 0 || node.inputs.length > 1) return null;
  for (const c of node.consumers) {
    const found = addFedBy(topo, c, depth - 1);
    if (found) return found;
  }
  return null;
}

/** Why a tensor read by `reader` cannot lose channels because something else also reads it, or null. */
function sharedReason(topo: Topology, tensor: string, reader: string): string | null {
  const node = topo.nodes.get(tensor) as TopoNode;
  const others = [...node.consumers];
  others.splice(others.indexOf(reader), 1);
  if (topo.outputs.includes(tensor)) return `shared channels: '${tensor}' is also a model output`;
  if (others.length === 0) return null;
  const add = others.map((o) => addFedBy(topo, o)).find((a) => a !== null);
  if (add) return `residual width: its input '${tensor}' also feeds the residual Add '${add}', so those channels are the block's width`;
  const list = [...new Set(others)].map((o) => `'${o}'`).join(', ');
  return `shared channels: '${tensor}' also feeds ${list}; removing a channel would change ${others.length > 1 ? 'those layers' : 'that layer'} too`;
}

interface Trace { producers: ChannelProducer[]; through: string[] }
/** `fromInput`: the channels were followed all the way to a model input. */
type TraceResult = { ok: true; trace: Trace } | { ok: false; reason: string; fromInput?: boolean };

/** Follows the tensor `tensor` (read by `reader` at input channel offset `offset`) back to layers with filters. */
function traceBack(topo: Topology, tensor: string, reader: string, offset: number): TraceResult {
  const node = topo.nodes.get(tensor) as TopoNode;
  const channels = node.outputShape.at(-1) ?? -1;
  const flow = flowOf(topo, node);
  if (flow.kind === 'input') {
    return { ok: false, reason: `its input channels are the channels of the model input '${tensor}'`, fromInput: true };
  }
  const shared = sharedReason(topo, tensor, reader);
  if (shared) return { ok: false, reason: shared };
  const here = (kind: ProducerKind): ChannelProducer => ({ layer: tensor, kind, offset, channels });
  const onward = (r: TraceResult, add: (t: Trace) => void): TraceResult => {
    if (r.ok) add(r.trace);
    return r;
  };
  switch (flow.kind) {
    case 'conv':
      return { ok: true, trace: { producers: [here('conv-filters')], through: [] } };
    case 'batchnorm':
    case 'depthwise':
      return onward(traceBack(topo, node.inputs[0], tensor, offset), (t) => {
        t.producers.push(here(flow.kind === 'batchnorm' ? 'batchnorm' : 'depthwise'));
      });
    case 'pass':
      return onward(traceBack(topo, node.inputs[0], tensor, offset), (t) => t.through.push(tensor));
    case 'concat':
      return traceConcat(topo, node, offset);
    case 'residual':
      return { ok: false, reason: `residual width: its input comes from the residual Add '${tensor}', whose channels are shared by the whole stage` };
    case 'blocked':
      return { ok: false, reason: flow.why };
  }
}

/** Each input of a Concatenate owns a slice of the channels; every slice must trace back on its own. */
function traceConcat(topo: Topology, node: TopoNode, offset: number): TraceResult {
  const merged: Trace = { producers: [], through: [] };
  let start = offset;
  for (const input of node.inputs) {
    const width = topo.nodes.get(input)?.outputShape.at(-1) ?? -1;
    const r = traceBack(topo, input, node.name, start);
    if (!r.ok) {
      return { ok: false, reason: `concatenated channels ${start}-${start + width - 1} come from '${input}' through '${node.name}': ${r.reason}` };
    }
    merged.producers.push(...r.trace.producers);
    merged.through.push(...r.trace.through);
    start += width;
  }
  merged.through.push(node.name);
  return { ok: true, trace: merged };
}

/** Whether a layer's output only reaches the model outputs through weightless reshaping: it is the classifier. */
export function isClassifier(topo: Topology, conv: string): boolean {
  let n = topo.nodes.get(conv) as TopoNode;
  for (;;) {
    if (topo.outputs.includes(n.name)) return true;
    if (n.consumers.length !== 1) return false;
    n = topo.nodes.get(n.consumers[0]) as TopoNode;
    const c = n.className;
    if (!(PASS_THROUGH.has(c) || c === 'Flatten' || c === 'Reshape' || c === 'Softmax')) return false;
  }
}

/** A conv reading a tensor that something else also reads, whose output goes into an Add: a projection shortcut. */
function shortcutAdd(topo: Topology, node: TopoNode): string | null {
  const input = topo.nodes.get(node.inputs[0]);
  if (!input || input.consumers.length < 2) return null;
  let n = node;
  for (let depth = 0; depth < 4 && n.consumers.length === 1; depth++) {
    n = topo.nodes.get(n.consumers[0]) as TopoNode;
    if (n.className === 'Add') return n.name;
    if (!(n.className === 'BatchNormalization' || PASS_THROUGH.has(n.className))) return null;
  }
  return null;
}

/** Whether DCP may select the input channels of the Conv2D `name`, and what loses channels with them. */
export function convStatus(topo: Topology, name: string): ConvStatus {
  const node = topo.nodes.get(name) as TopoNode;
  const own = flowOf(topo, node);
  if (own.kind === 'blocked') return { prunable: false, reason: own.why };
  if (isClassifier(topo, name)) return { prunable: false, reason: 'classifier: its outputs are the class scores' };
  // Selection rewrites the kernel it selects (the W of DCP-SPEC §3); a frozen layer must keep its weights.
  // Frozen producers may still lose filters: slicing removes values without changing the ones kept.
  if (!node.layer.trainable) return { prunable: false, reason: 'trainable: false: its weights are frozen, and selecting its input channels would re-fit them; set trainable: true to prune it' };
  const add = shortcutAdd(topo, node);
  if (add) return { prunable: false, reason: `shortcut convolution: it projects the block input onto the residual Add '${add}', whose width is fixed` };
  const input = topo.nodes.get(node.inputs[0]) as TopoNode;
  const r = traceBack(topo, input.name, name, 0);
  if (r.ok) return { prunable: true, producers: r.trace.producers, through: r.trace.through };
  if (r.fromInput) {
    const direct = traceStem(topo, input);
    return { prunable: false, reason: direct ? `stem convolution: its input channels are the image channels ('${direct}')` : r.reason };
  }
  return { prunable: false, reason: r.reason };
}

/** The model input a conv reads through weightless layers only, or null if filters sit in between. */
function traceStem(topo: Topology, node: TopoNode): string | null {
  let n = node;
  while (n.className !== 'InputLayer') {
    if (!(PASS_THROUGH.has(n.className) || n.className === 'BatchNormalization') || n.inputs.length !== 1) return null;
    n = topo.nodes.get(n.inputs[0]) as TopoNode;
  }
  return n.name;
}
