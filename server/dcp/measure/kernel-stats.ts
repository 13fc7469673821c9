import * as tf from '@tensorflow/tfjs';
import type { LayerResult, ModelSummary } from '../../../protocol/model';
import type { LayerCut } from '../surgery/surgery';
import type { Network } from '../train/train';

/**
 * A DKP layer's kernel mask in the pruned model's index space: rows = the conv's kept input channels,
 * columns = its surviving filters (a later conv's selection may have removed some of them).
 */
export function maskAfterSurgery(r: LayerResult, cuts: readonly LayerCut[]): number[][] {
  const mask = r.kernelMask!;
  const filters = cuts.find((c) => c.layer === r.layer && c.role === 'filters')?.keep ?? mask[0].map((_, j) => j);
  return r.kept.map((k) => filters.map((j) => mask[k][j]));
}

/**
 * A dense conv cannot shrink from kernel sparsity (DCP-SPEC §4): DKP layers keep their dense kernel with
 * zeros, and params and FLOPs are counted from the mask, nnz(M)·kh·kw (·H_out·W_out for FLOPs).
 */
export function kernelSparseSummary(summary: ModelSummary, results: LayerResult[], cuts: readonly LayerCut[]): ModelSummary {
  const sparse = new Map(results.filter((r) => r.kernelMask).map((r) => [r.layer, r]));
  if (sparse.size === 0) return summary;
  let dParams = 0;
  let dFlops = 0;
  const layers = summary.layers.map((l) => {
    const r = sparse.get(l.name);
    if (!r || !l.inChannels || !l.outChannels) return l;
    const dense = l.inChannels * l.outChannels;
    const nnz = maskAfterSurgery(r, cuts).flat().reduce((a, v) => a + v, 0);
    const bias = l.params % dense === 0 ? 0 : l.outChannels;
    const params = Math.round(((l.params - bias) * nnz) / dense) + bias;
    const flops = Math.round((l.flops * nnz) / dense);
    dParams += params - l.params;
    dFlops += flops - l.flops;
    return { ...l, params, flops };
  });
  return { ...summary, layers, totalParams: summary.totalParams + dParams, totalFlops: summary.totalFlops + dFlops };
}

/** Masks for final fine-tuning, so the kernels DKP removed stay exactly zero. */
export function kernelMasksAfterSurgery(net: Network, results: LayerResult[], cuts: readonly LayerCut[]): void {
  for (const r of results) {
    if (!r.kernelMask) continue;
    const rows = maskAfterSurgery(r, cuts);
    net.masks.set(r.layer, tf.tensor4d(rows.flat(), [1, 1, rows.length, rows[0]?.length ?? 0]));
  }
}
