import * as tf from '@tensorflow/tfjs';
import type { EpochPoint, LayerResult, RunConfig, RunEvent } from '../../../../protocol/model';
import { kernelMasksAfterSurgery } from '../../measure/kernel-stats';
import { plainNetwork } from '../../measure/stats';
import { train } from '../../train/train';
import type { RunInputs } from './load';
import type { PrunedModel } from './surgery';

/**
 * Fine-tunes the pruned model on the final loss alone, with the authors' step schedule; DKP's removed kernels are
 * masked so they stay exactly zero. The masks are freed however training ends (finished, failed or cancelled).
 */
export async function* finetunePhase(
  cut: PrunedModel, layers: LayerResult[], inputs: RunInputs, cfg: RunConfig, signal: AbortSignal | undefined,
): AsyncGenerator<RunEvent, EpochPoint[]> {
  const net = plainNetwork(cut.pruned, inputs.inputShape);
  try {
    kernelMasksAfterSurgery(net, layers, cut.cuts);
    return yield* train(net, inputs.data.train, {
      phase: 'final', stage: null, epochs: cfg.finetuneEpochs, learningRate: cfg.learningRate, batchSize: cfg.batchSize,
      seed: cfg.seed + 7, withHeads: false, stepSchedule: true, validation: inputs.data.validation, signal,
      microBatch: inputs.memory.microBatch, inferenceBatch: inputs.memory.inferenceBatch,
    });
  } finally {
    tf.dispose([...net.masks.values()]);
    net.masks.clear();
  }
}
