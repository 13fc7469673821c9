/**
 * FLOPs of the model when some convs keep only some input channels, counted from the cuts surgery would make
 * (graph/plan.ts cutsFor): a conv's multiply-adds scale with its input channels and with its filters, a depthwise
 * conv's and a BatchNorm's with their channels. Several pruned layers are applied together, so a conv that loses
 * input channels to its own selection and filters to its consumer's is counted once, with both factors.
 * A sensitivity snapshot may leave a concatenated branch empty (a real run would keep one channel of it: not `exact`,
 * docs/sensitivity.md); such a branch is counted with the one filter surgery must keep, rather than refused.
 */
import type { ModelSummary } from '../../../protocol/model';
import { producerChannels } from '../graph/analyze';
import type { ConvPlan } from '../graph/plan';

/** (layer, kept, of) per layer `plan.conv` keeping `kept` slices: itself on its inputs, its producers on their channels. */
function cuts(plan: ConvPlan, kept: readonly number[]): { layer: string; keep: number; inputs: boolean }[] {
  return [
    { layer: plan.conv, keep: kept.length, inputs: true },
    ...plan.producers.map((p) => ({ layer: p.layer, keep: Math.max(1, producerChannels(p, kept).length), inputs: false })),
  ];
}

/** Total multiply-adds per sample with each conv in `kept` keeping those input channels; other layers unchanged. */
export function prunedFlops(summary: Pick<ModelSummary, 'layers' | 'totalFlops'>, plans: readonly ConvPlan[], kept: ReadonlyMap<string, readonly number[]>): number {
  const info = new Map(summary.layers.map((l) => [l.name, l]));
  const factor = new Map<string, number>();
  for (const plan of plans) {
    const k = kept.get(plan.conv);
    if (!k) continue;
    for (const cut of cuts(plan, k)) {
      const l = info.get(cut.layer);
      if (!l) continue;
      const channels = cut.inputs ? (l.inChannels ?? plan.inChannels) : (l.outChannels ?? l.outputShape.at(-1) ?? 0);
      if (channels <= 0) continue;
      factor.set(cut.layer, (factor.get(cut.layer) ?? 1) * Math.min(1, cut.keep / channels));
    }
  }
  let saved = 0;
  for (const [name, f] of factor) saved += (info.get(name)?.flops ?? 0) * (1 - f);
  return Math.max(0, summary.totalFlops - saved);
}

/** Multiply-adds per sample removed by `plan.conv` keeping only `kept` (every other layer unpruned). */
export function flopsSavedBy(summary: Pick<ModelSummary, 'layers' | 'totalFlops'>, plan: ConvPlan, kept: readonly number[]): number {
  return summary.totalFlops - prunedFlops(summary, [plan], new Map([[plan.conv, kept]]));
}
