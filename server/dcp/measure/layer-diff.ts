/**
 * The report's per-layer before → after table (RunReport.layerDiff): channels, parameters and FLOPs of every layer
 * of the unpruned model, from the two summaries. The after-summary counts DKP's kernel-sparse convs from their masks.
 */
import type { LayerDiff, LayerInfo, ModelSummary } from '../../../protocol/model';

export function layerDiff(before: ModelSummary, after: ModelSummary): LayerDiff[] {
  const byName = new Map(after.layers.map((l) => [l.name, l]));
  return before.layers.map((b) => {
    // Surgery keeps every layer; a missing one would mean the pruned model lost it, shown as zero rather than hidden.
    const a: LayerInfo | undefined = byName.get(b.name);
    return {
      layer: b.name, className: b.className,
      inBefore: b.inChannels ?? null, inAfter: b.inChannels === undefined ? null : a?.inChannels ?? 0,
      outBefore: b.outputShape.at(-1) ?? 0, outAfter: a?.outputShape.at(-1) ?? 0,
      paramsBefore: b.params, paramsAfter: a?.params ?? 0,
      flopsBefore: b.flops, flopsAfter: a?.flops ?? 0,
    };
  });
}
