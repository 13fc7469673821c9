/** Builds the ModelGraph (see graph.ts for the rules): topology → channel flow per conv → blocks. */
import type * as tf from '@tensorflow/tfjs';
import type { GraphLayer, ModelGraph, PrunableConv } from './graph';
import { findBlocks } from './blocks';
import { convStatus, isClassifier, type ChannelProducer } from './channels';
import { readTopology, type Topology, type TopoNode } from './topology';

/** Layer classes that are convolutions of some kind: each gets a prunable verdict. */
export const CONV_CLASSES = new Set([
  'Conv1D', 'Conv2D', 'Conv3D', 'Conv2DTranspose', 'Conv3DTranspose', 'DepthwiseConv2D', 'SeparableConv1D',
  'SeparableConv2D', 'ConvLSTM2D',
]);

const NESTED_MODELS = new Set(['Sequential', 'Functional', 'Model']);

/**
 * Analyses a loaded Sequential or functional model. Pure: reads layer configs and shapes, never weights.
 * Pass the network without auxiliary heads: layers called by other models (heads built on its tensors) are
 * ignored, but a model that itself outputs head predictions has one more reader per head, so the convs after
 * each head position would look shared.
 */
export function analyzeGraph(model: tf.LayersModel): ModelGraph {
  const topo = readTopology(model);
  const prunable: PrunableConv[] = [];
  const reasons = new Map<string, string>();
  for (const name of topo.order) {
    const node = topo.nodes.get(name) as TopoNode;
    if (node.className === 'Conv2D') {
      const status = convStatus(topo, name);
      if (status.prunable) {
        prunable.push({
          layer: name, inChannels: inChannels(topo, node), outChannels: node.outputShape.at(-1) ?? -1,
          producers: status.producers, through: status.through, index: prunable.length, block: -1,
        });
      } else {
        reasons.set(name, status.reason);
      }
    } else if (CONV_CLASSES.has(node.className)) {
      reasons.set(name, otherConvReason(node));
    } else if (node.className === 'Dense') {
      reasons.set(name, denseReason(topo, node));
    } else if (NESTED_MODELS.has(node.className)) {
      reasons.set(name, 'nested model: its layers are not analysed here; inspect or prune the inner model on its own');
    }
  }
  // A depthwise conv loses channels through the pointwise conv that reads it, when that one is prunable.
  for (const p of prunable) {
    for (const q of p.producers) {
      if (q.kind === 'depthwise') {
        reasons.set(q.layer, `depthwise convolution: it filters each channel on its own; its channels are removed with those of the pointwise conv '${p.layer}'`);
      }
    }
  }
  const blocks = findBlocks(topo, new Set(prunable.map((p) => p.layer)));
  for (const b of blocks) for (const c of b.convs) (prunable.find((p) => p.layer === c) as PrunableConv).block = b.index;
  const notPrunable = topo.order.filter((n) => reasons.has(n)).map((layer) => ({ layer, reason: reasons.get(layer) as string }));
  return { order: topo.order, inputs: topo.inputs, outputs: topo.outputs, layers: plainLayers(topo), prunable, notPrunable, blocks };
}

/**
 * The producer channels that survive when the consumer keeps input channels `keptInputs` (ascending consumer
 * indices): the slice of `keptInputs` that belongs to this producer, shifted by its offset.
 */
export function producerChannels(producer: ChannelProducer, keptInputs: readonly number[]): number[] {
  return keptInputs.filter((k) => k >= producer.offset && k < producer.offset + producer.channels).map((k) => k - producer.offset);
}

function inChannels(topo: Topology, node: TopoNode): number {
  return topo.nodes.get(node.inputs[0])?.outputShape.at(-1) ?? -1;
}

function otherConvReason(node: TopoNode): string {
  switch (node.className) {
    case 'DepthwiseConv2D':
      return 'depthwise convolution: it filters each channel on its own, so it has no input channels to select';
    case 'SeparableConv1D':
    case 'SeparableConv2D':
      return 'separable convolution: its depthwise and pointwise kernels live in one layer; DCP selects input channels of Conv2D layers only';
    case 'Conv2DTranspose':
    case 'Conv3DTranspose':
      return 'transposed convolution: not supported (its kernel holds input channels on the last axis)';
    default:
      return `${node.className}: only 2-D convolutions (Conv2D) are supported`;
  }
}

function denseReason(topo: Topology, node: TopoNode): string {
  if (isClassifier(topo, node.name)) return 'classifier: its outputs are the class scores';
  const flatten = topo.nodes.get(node.inputs[0]);
  const shape = flatten ? topo.nodes.get(flatten.inputs[0])?.outputShape : undefined;
  if (flatten?.className === 'Flatten' && shape && shape.length === 3 && shape[0] * shape[1] > 1) {
    const [h, w, c] = shape;
    return `dense layer after Flatten: each of the ${c} channels of '${flatten.inputs[0]}' feeds ${h * w} rows (row = (h·${w}+w)·${c}+c); ` +
      'DCP selects conv input channels only, so that layer keeps all its channels';
  }
  return 'dense layer: DCP selects input channels of convolutions only';
}

function plainLayers(topo: Topology): Record<string, GraphLayer> {
  const out: Record<string, GraphLayer> = {};
  for (const name of topo.order) {
    const n = topo.nodes.get(name) as TopoNode;
    out[name] = { name, className: n.className, inputs: [...n.inputs], consumers: [...n.consumers], outputShape: [...n.outputShape] };
  }
  return out;
}
