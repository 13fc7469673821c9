import type * as tf from '@tensorflow/tfjs';
import type { LayerLatency, ModelStats, RunConfig } from '../../../../protocol/model';
import { compareLayerLatency } from '../../measure/layer-latency';
import { compareLatency } from '../../measure/latency';
import { LATENCY_BATCH, LATENCY_REPEATS, measureModel } from '../../measure/stats';
import { checkCancelled } from '../cancel';
import type { RunInputs } from './load';
import type { PrunedModel } from './surgery';

/**
 * The fine-tuned model's stats (the selection's, when there was no fine-tuning), then latency. Latency depends
 * only on the architecture, so the unpruned and the pruned model are timed interleaved here, at the end, and the
 * times are written into `inputs.before`, `cut.afterSelection` and the returned stats alike. With `layerLatency`
 * on, every conv is then timed on its own as well.
 */
export async function measurePhase(
  model: tf.LayersModel, cut: PrunedModel, inputs: RunInputs, cfg: RunConfig, signal: AbortSignal | undefined,
): Promise<{ after: ModelStats; layerLatency?: LayerLatency[] }> {
  const after: ModelStats = cfg.finetuneEpochs > 0
    ? await measureModel(cut.pruned, cut.summary, inputs.data.validation, inputs.inputShape, { batchSize: inputs.memory.inferenceBatch, signal })
    : { ...cut.afterSelection };
  const lat = await compareLatency(model, cut.pruned, inputs.inputShape, LATENCY_BATCH, LATENCY_REPEATS, signal);
  [inputs.before.latencyMs1, inputs.before.latencyMsBatch] = lat.a;
  for (const s of [cut.afterSelection, after]) [s.latencyMs1, s.latencyMsBatch] = lat.b;
  checkCancelled(signal);
  if (!cfg.layerLatency) return { after };
  return { after, layerLatency: await compareLayerLatency(model, cut.pruned, LATENCY_BATCH, undefined, signal) };
}
