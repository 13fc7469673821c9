import type * as tf from '@tensorflow/tfjs';
import type { LayerResult, ModelStats, ModelSummary, RunConfig } from '../../../../protocol/model';
import { analyzeGraph, summarizeModel } from '../../graph/graph';
import { cutsFor } from '../../graph/plan';
import { kernelSparseSummary } from '../../measure/kernel-stats';
import { measureModel } from '../../measure/stats';
import { pruneModel, type LayerCut } from '../../surgery/surgery';
import type { RunInputs } from './load';

/** The physically smaller model and what was cut to make it. The caller owns `pruned`. */
export interface PrunedModel {
  pruned: tf.LayersModel;
  /** Its summary, with DKP's kernel-sparse convs counted from their masks. */
  summary: ModelSummary;
  cuts: LayerCut[];
  afterSelection: ModelStats;
}

/**
 * Slices the kept channels out of the model (the heads are not part of it and are dropped) and measures the result
 * before fine-tuning. The pruned model is freed here if measuring fails or is cancelled.
 */
export async function surgeryPhase(
  model: tf.LayersModel, inputs: RunInputs, layers: readonly LayerResult[], cfg: RunConfig, signal: AbortSignal | undefined,
): Promise<PrunedModel> {
  const cuts = layers.flatMap((r) => cutsFor(inputs.plan.convs.find((c) => c.conv === r.layer)!, r.kept));
  const pruned = await pruneModel(model, cuts);
  try {
    const summary = kernelSparseSummary(summarizeModel(pruned, analyzeGraph(pruned), model.name), [...layers], cuts);
    const afterSelection = await measureModel(pruned, summary, inputs.data.validation, inputs.inputShape, { batchSize: cfg.batchSize, signal });
    return { pruned, summary, cuts, afterSelection };
  } catch (e) {
    pruned.dispose();
    throw e;
  }
}
