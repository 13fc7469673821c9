/**
 * Model graph analysis, the engine's map of a network (DCP-SPEC §2 and §5): which convs DCP may prune, which layers
 * lose channels with each, why the others may not be pruned, and the blocks that auxiliary heads attach after.
 * Everything here is plain JSON-safe data; the TF.js model is only read.
 *
 * Rules, all derived from channel flow rather than from layer names:
 * - A Conv2D is prunable when its input channels trace back, through layers that treat channels one by one
 *   (activations, pooling, padding, dropout, BatchNorm, depthwise convs with multiplier 1, Concatenate), to Conv2D
 *   filters, and nothing else reads any tensor on the way. That covers plain stacks, the inner convs of basic,
 *   pre-activation and bottleneck blocks, MobileNet pointwise convs and convs reading a Concatenate.
 * - Not prunable: the stem (reads the image), convs reading a residual Add or a tensor that also feeds an Add
 *   (the residual width), shortcut convs, convs whose input is shared (fan-out) or is a model output, the
 *   classifier conv, and anything behind a layer whose channel mapping we cannot follow. Dilation and strides do
 *   not matter (they act on space, not channels); grouped, channels-first, separable, transposed, 1-D and 3-D convs
 *   are reported as unsupported.
 * - Flatten → Dense: DCP selects input channels of convs only, so the conv feeding a Flatten keeps its filters
 *   (its own input channels can still be pruned); the Dense is reported with that reason.
 */
import type { ChannelProducer } from './channels';
import type { GraphBlock } from './blocks';

export type { ChannelProducer, ProducerKind } from './channels';
export type { GraphBlock, HeadPosition } from './blocks';
export { analyzeGraph, producerChannels } from './analyze';
export { assignStages, defaultHeads, headPositions, layersPerBlock } from './blocks';
export { summarizeModel, layerFlops } from '../measure/summary';

/** One prunable convolution: DCP selects its input channels (axis 2 of the HWIO kernel). */
export interface PrunableConv {
  /** The Conv2D whose input channels are selected (for MobileNet, the pointwise conv). */
  layer: string;
  inChannels: number;
  outChannels: number;
  /**
   * Layers that lose channel k together with this conv's input channel k, in forward order: the producer conv's
   * filters (+ bias), every BatchNorm and depthwise conv between them; with a Concatenate, one group per input,
   * each with the `offset` of its slice.
   */
  producers: ChannelProducer[];
  /** Weightless layers between the producers and this conv (ReLU, pooling, padding, Concatenate…), forward order. */
  through: string[];
  /** Position among the prunable convs, forward order. */
  index: number;
  /** Index of the block holding this conv (`ModelGraph.blocks`), which decides its stage. */
  block: number;
}

/** One layer of the graph (inputs included). */
export interface GraphLayer {
  name: string;
  className: string;
  /** Layers whose outputs this layer reads, call order. */
  inputs: string[];
  /** Layers reading this layer's output, one entry per read. */
  consumers: string[];
  /** Output shape without the batch axis. */
  outputShape: number[];
}

export interface ModelGraph {
  /** Every layer name, producers before consumers, model input layers first (a Sequential's input layer is not in `model.layers`). */
  order: string[];
  inputs: string[];
  outputs: string[];
  layers: Record<string, GraphLayer>;
  /** Prunable convs in forward order. */
  prunable: PrunableConv[];
  /** Every convolution and dense layer that is not prunable, with the reason in words, forward order. */
  notPrunable: { layer: string; reason: string }[];
  /** Blocks in forward order; `headPositions` picks heads among their ends. */
  blocks: GraphBlock[];
}

