import type * as tf from '@tensorflow/tfjs';
import type { FoldingReport, LayerLatency, ModelStats, RunConfig } from '../../../../protocol/model';
import { foldBatchNorms, type FoldedConv } from '../../surgery/fold';
import { compareLayerLatency } from '../../measure/layer-latency';
import { interleavedLatency } from '../../measure/latency';
import { onLatencyBackend } from '../../measure/latency-backend';
import { LATENCY_REPEATS, latencyBatch, measureModel } from '../../measure/stats';
import { checkCancelled } from '../cancel';
import type { RunInputs } from './load';
import type { PrunedModel } from './surgery';

/** What the measure phase adds to the report besides the stats: per-layer latency, and where latency was timed. */
export interface Measured {
  after: ModelStats;
  layerLatency?: LayerLatency[];
  /** The TF.js backend every latency figure was timed on (`latencyBackend`; the run's own by default). */
  latencyBackend: string;
  /** Why the chosen latency backend was not used, when it was not (tfjs-node not installed, say). */
  latencyBackendNote?: string;
  folding?: FoldingReport;
}

/** The model that is saved when `foldBatchNorm` is on (surgery/fold.ts), with what it absorbed. */
export interface DeployedModel {
  model: tf.LayersModel;
  folded: FoldedConv[];
  /** Layer count of the pruned model it was folded from. */
  layersBefore: number;
}

/**
 * The fine-tuned model's stats (the selection's, when there was no fine-tuning), then latency. Latency depends
 * only on the architecture, so the unpruned and the pruned model are timed interleaved here, at the end, and the
 * times are written into `inputs.before`, `cut.afterSelection` and the returned stats alike. With `layerLatency`
 * on, every conv is then timed on its own as well. Both on the `latencyBackend` (measure/latency-backend.ts).
 * With a `deployed` (folded) model, that is what is timed as "after", and the unpruned model folded the same way is
 * timed in the same rounds, so the report can tell pruning's gain from folding's.
 */
export async function measurePhase(
  model: tf.LayersModel, cut: PrunedModel, inputs: RunInputs, cfg: RunConfig, signal: AbortSignal | undefined, deployed?: DeployedModel,
): Promise<Measured> {
  const after: ModelStats = cfg.finetuneEpochs > 0
    ? await measureModel(cut.pruned, cut.summary, inputs.data.validation, inputs.inputShape, { batchSize: inputs.memory.inferenceBatch, signal })
    : { ...cut.afterSelection };
  const batch = latencyBatch(inputs.memory);
  const foldedOriginal = deployed ? await foldBatchNorms(model) : null;
  try {
    const timedModels = [model, deployed?.model ?? cut.pruned, ...(foldedOriginal ? [foldedOriginal.model] : [])];
    const timed = await onLatencyBackend(cfg.latencyBackend, timedModels, async ([a, b, c]) => {
      const whole = await interleavedLatency(c ? [a, b, c] : [a, b], inputs.inputShape, batch, LATENCY_REPEATS, signal);
      checkCancelled(signal);
      return { whole: whole.models, layers: cfg.layerLatency ? await compareLayerLatency(a, b, batch, undefined, signal) : undefined };
    }, { threads: cfg.threads });
    const { whole, layers } = timed.result;
    [inputs.before.latencyMs1, inputs.before.latencyMsBatch] = whole[0];
    for (const s of [cut.afterSelection, after]) [s.latencyMs1, s.latencyMsBatch] = whole[1];
    for (const s of [inputs.before, cut.afterSelection, after]) s.latencyBatch = batch;
    const folding: FoldingReport | undefined = deployed && whole[2] ? {
      convs: deployed.folded, layers: [deployed.layersBefore, deployed.model.layers.length],
      beforeFoldedLatencyMs1: whole[2][0], beforeFoldedLatencyMsBatch: whole[2][1],
    } : undefined;
    return {
      after, latencyBackend: timed.backend, ...(folding ? { folding } : {}),
      ...(layers ? { layerLatency: layers } : {}), ...(timed.note ? { latencyBackendNote: timed.note } : {}),
    };
  } finally {
    foldedOriginal?.model.dispose();
  }
}
