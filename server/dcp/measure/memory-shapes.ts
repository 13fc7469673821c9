/**
 * Element counts per sample that the memory planner (memory.ts) turns into bytes, read from the graph's shapes
 * alone: nothing here touches a tensor, so a plan costs nothing and can refuse a run before any work.
 */
import type { ModelSummary } from '../../../protocol/model';
import type { MemoryModel } from './memory';
import type { ModelGraph } from '../graph/graph';
import type { PrunePlan } from '../graph/plan';

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * Math.max(1, b), 1);
}

/** Σ over the layers of their output's elements, one sample: what a forward pass produces (and backprop, or a tidy, keeps). */
export function activationElements(summary: Pick<ModelSummary, 'layers'>): number {
  return summary.layers.reduce((a, l) => a + size(l.outputShape), 0);
}

/** What selecting one conv needs per selection sample (elements, float32). */
export interface LayerCacheShape {
  layer: string;
  /** Cached per sample: the cut (the conv's input and the tensors the rest of its stage reads) + the baseline's target. */
  cacheElements: number;
  /** Produced per sample by one gradient pass of the sub-problem: the conv's output and the rest of its stage. */
  stepElements: number;
  /** Produced per sample while the cache is built: every output up to the cut, in the pruned net and the baseline. */
  buildElements: number;
}

/** Layers needed to compute `target`, walking inputs back from it. */
function ancestors(graph: ModelGraph, target: string): Set<string> {
  const seen = new Set<string>();
  const stack = [target];
  while (stack.length) {
    const n = stack.pop()!;
    if (seen.has(n)) continue;
    seen.add(n);
    stack.push(...(graph.layers[n]?.inputs ?? []));
  }
  return seen;
}

/**
 * Per prunable conv of the plan: the cache and step sizes of its selection, with the same cut rule as
 * GraphRunner.cutFor (every tensor produced before the conv that a layer at or after it, on the way to the
 * stage's head or the classifier, reads). `headTargets[stage]` is the layer the stage's head reads; the last
 * stage ends at the model's output.
 */
export function selectionShapes(graph: ModelGraph, plan: PrunePlan): LayerCacheShape[] {
  const position = new Map(graph.order.map((n, i) => [n, i]));
  const output = graph.outputs[0];
  return plan.convs.map((c) => {
    const target = plan.heads[c.stage]?.after ?? output;
    const at = position.get(c.conv) ?? 0;
    const needed = ancestors(graph, target);
    const cut = new Set<string>();
    let step = 0;
    for (const n of needed) {
      if ((position.get(n) ?? 0) < at) continue;
      step += size(graph.layers[n].outputShape);
      for (const p of graph.layers[n].inputs) if ((position.get(p) ?? 0) < at) cut.add(p);
    }
    let cached = size(graph.layers[c.conv].outputShape);
    for (const p of cut) cached += size(graph.layers[p].outputShape);
    const before = new Set<string>();
    for (const p of cut) for (const a of ancestors(graph, p)) before.add(a);
    let build = 0;
    for (const a of before) build += size(graph.layers[a].outputShape);
    return { layer: c.conv, cacheElements: cached, stepElements: step, buildElements: 2 * build };
  });
}

/** The planner's view of a model under a pruning plan. Heads are left out of the weights: a few percent of a net's. */
export function memoryModelOf(graph: ModelGraph, summary: ModelSummary, plan: PrunePlan): MemoryModel {
  return {
    params: summary.totalParams,
    activationElements: activationElements(summary),
    layers: selectionShapes(graph, plan),
  };
}
