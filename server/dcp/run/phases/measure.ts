import type * as tf from '@tensorflow/tfjs';
import type { LayerLatency, ModelStats, RunConfig } from '../../../../protocol/model';
import { compareLayerLatency } from '../../measure/layer-latency';
import { compareLatency } from '../../measure/latency';
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
}

/**
 * The fine-tuned model's stats (the selection's, when there was no fine-tuning), then latency. Latency depends
 * only on the architecture, so the unpruned and the pruned model are timed interleaved here, at the end, and the
 * times are written into `inputs.before`, `cut.afterSelection` and the returned stats alike. With `layerLatency`
 * on, every conv is then timed on its own as well. Both on the `latencyBackend` (measure/latency-backend.ts).
 */
export async function measurePhase(
  model: tf.LayersModel, cut: PrunedModel, inputs: RunInputs, cfg: RunConfig, signal: AbortSignal | undefined,
): Promise<Measured> {
  const after: ModelStats = cfg.finetuneEpochs > 0
    ? await measureModel(cut.pruned, cut.summary, inputs.data.validation, inputs.inputShape, { batchSize: inputs.memory.inferenceBatch, signal })
    : { ...cut.afterSelection };
  const batch = latencyBatch(inputs.memory);
  const timed = await onLatencyBackend(cfg.latencyBackend, [model, cut.pruned], async ([a, b]) => {
    const whole = await compareLatency(a, b, inputs.inputShape, batch, LATENCY_REPEATS, signal);
    checkCancelled(signal);
    return { whole, layers: cfg.layerLatency ? await compareLayerLatency(a, b, batch, undefined, signal) : undefined };
  }, { threads: cfg.threads });
  const { whole, layers } = timed.result;
  [inputs.before.latencyMs1, inputs.before.latencyMsBatch] = whole.a;
  for (const s of [cut.afterSelection, after]) [s.latencyMs1, s.latencyMsBatch] = whole.b;
  for (const s of [inputs.before, cut.afterSelection, after]) s.latencyBatch = batch;
  return {
    after, latencyBackend: timed.backend,
    ...(layers ? { layerLatency: layers } : {}), ...(timed.note ? { latencyBackendNote: timed.note } : {}),
  };
}
