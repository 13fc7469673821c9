import type { StageInfo } from '../../../protocol/model';
import { type ModelGraph, type PrunableConv, type HeadPosition, headPositions, assignStages, defaultHeads, layersPerBlock, producerChannels } from './graph';
import type { LayerCut, CutRole } from '../surgery/surgery';

/** A prunable conv with the stage whose loss drives its selection. */
export interface ConvPlan extends PrunableConv {
  conv: string;
  stage: number;
  /** This conv's own pruning rate from the run's recipe (replaces `config.rate` for it); absent = the run's rate. */
  rate?: number;
}

/** The run's layout: heads, stages, and the convs in the order they are selected. */
export interface PrunePlan {
  heads: HeadPosition[];
  stages: StageInfo[];
  convs: ConvPlan[];
  blocks: number;
  /** Layers per block Lb of the v2 head weights: 2 for basic residual blocks, 3 for bottlenecks, 1 for plain stacks. */
  layersPerBlock: number;
}

/** Lays out heads and stages for `heads` auxiliary heads (null = the default for the model's depth). */
export function makePlan(graph: ModelGraph, heads: number | null): PrunePlan {
  const p = heads ?? defaultHeads(graph);
  const positions = headPositions(graph, p);
  const stages = assignStages(graph, positions);
  const stageOf = new Map<string, number>();
  for (const s of stages) for (const l of s.layers) stageOf.set(l, s.index);
  const convs = graph.prunable
    .filter((c) => stageOf.has(c.layer))
    .map((c) => ({ ...c, conv: c.layer, stage: stageOf.get(c.layer)! }));
  return {
    heads: positions,
    stages,
    convs,
    blocks: graph.blocks.length,
    layersPerBlock: layersPerBlock(graph),
  };
}

const ROLE: Record<string, CutRole> = { 'conv-filters': 'filters', batchnorm: 'batchnorm', depthwise: 'depthwise' };

/**
 * The slices surgery must make when `plan.conv` keeps input channels `kept`: its own kernel's
 * input axis and, through each producer, the matching filters, BatchNorm entries and depthwise channels.
 */
export function cutsFor(plan: ConvPlan, kept: readonly number[]): LayerCut[] {
  const cuts: LayerCut[] = [{ layer: plan.conv, role: 'inputs', keep: [...kept] }];
  for (const p of plan.producers) {
    const keep = producerChannels(p, kept);
    if (keep.length === 0) {
      throw new Error(`${plan.conv}: keeping channels ${kept.join(',')} would remove every channel of ${p.layer}; keep at least one channel per concatenated input`);
    }
    cuts.push({ layer: p.layer, role: ROLE[p.kind], keep });
  }
  return cuts;
}
