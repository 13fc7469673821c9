import type { ModelSummary } from '../../../protocol/model';
import type { Dataset } from '../../data/dataset';
import type { GraphRunner } from '../exec/executor';
import type { ConvPlan, PrunePlan } from '../graph/plan';

/** What one layer's selection cost, in passes over the selection set. */
export interface PassCount {
  plan: ConvPlan;
  /** Layer whose output feeds the stage's loss (a head's input or the logits). */
  head: string;
  gradientPasses: number;
  forwardPasses: number;
  kept: number;
  /** Multiply-adds per sample of the path a pass runs: the conv and the rest of its stage. */
  pathFlops?: number;
  /** Multiply-adds per sample before the conv (run once per layer, on both networks, to build the cache). */
  prefixFlops?: number;
}

/** Fills in the per-sample FLOPs of a layer's selection path and of its prefix. */
export function measurePath(count: PassCount, runner: GraphRunner, summary: ModelSummary): PassCount {
  const flops = new Map(summary.layers.map((l) => [l.name, l.flops]));
  const cut = runner.cutFor(count.plan.conv, count.head);
  const path = runner.ancestors([count.head], new Set([...cut, count.plan.conv]));
  path.add(count.plan.conv);
  let pathFlops = 0;
  for (const n of path) if (!cut.includes(n)) pathFlops += flops.get(n) ?? 0;
  const at = runner.indexOf(count.plan.conv);
  let prefixFlops = 0;
  for (const n of runner.order) if (runner.indexOf(n) < at) prefixFlops += flops.get(n) ?? 0;
  return { ...count, pathFlops, prefixFlops };
}

/**
 * Selection cost in training-epoch equivalents. One epoch = forward + backward (≈ 3 forwards) of the whole
 * network over the training split. Ours: each gradient pass ≈ 3 forwards of the layer's path over the
 * selection subset, each loss-only pass 1 forward, plus building the cache (2 forwards of the prefix).
 * The reference algorithm runs 2·k_l passes per layer over the training data: 2·Σk_l epochs.
 */
export function selectionCost(_plan: PrunePlan, passes: PassCount[], summary: ModelSummary, data: Dataset): { epochEquivalents: number; referenceEpochEquivalents: number } {
  const epoch = 3 * Math.max(1, summary.totalFlops) * Math.max(1, data.train.count);
  let ours = 0;
  for (const p of passes) {
    const path = p.pathFlops ?? summary.totalFlops;
    const prefix = p.prefixFlops ?? 0;
    ours += data.selection.count * ((3 * p.gradientPasses + p.forwardPasses) * path + 2 * prefix);
  }
  return {
    epochEquivalents: ours / epoch,
    referenceEpochEquivalents: passes.reduce((a, p) => a + 2 * p.kept, 0),
  };
}
