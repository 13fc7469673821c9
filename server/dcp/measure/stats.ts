import * as tf from '@tensorflow/tfjs';
import type { ModelStats, ModelSummary } from '../../../protocol/model';
import type { Split } from '../../data/dataset';
import { GraphRunner } from '../exec/executor';
import { logitsOf } from '../exec/layers';
import { accuracy, type Network } from '../train/train';

/** Latency is measured at batch 1 and at this batch, in the same runtime as the run. */
export const LATENCY_BATCH = 64;
export const LATENCY_REPEATS = 15;

/**
 * The batch latency is timed at: LATENCY_BATCH, or the memory plan's inference batch when that is smaller. A
 * 224×224 MobileNetV2's batch of 64 ran the WASM heap out of memory after selection (bench/README.md, "Real
 * models"); the plan's batch is the one known to fit. The report's `latencyBatch` says which was used.
 */
export function latencyBatch(memory: { inferenceBatch: number; batchSize: number }): number {
  // The plan caps inference at the run's batch size; below it, memory was the limit.
  const limited = memory.inferenceBatch < memory.batchSize;
  return limited ? Math.max(1, Math.min(LATENCY_BATCH, memory.inferenceBatch)) : LATENCY_BATCH;
}

/** A network without heads or masks around a model (for evaluation and final fine-tuning). */
export function plainNetwork(model: tf.LayersModel, inputShape: [number, number, number]): Network {
  const runner = new GraphRunner(model);
  return { runner, logits: logitsOf(runner), heads: [], masks: new Map(), inputShape };
}

/**
 * Params, FLOPs (from the model summary, or overridden for DKP's kernel-sparse convs) and validation accuracy.
 */
export async function measureModel(
  model: tf.LayersModel,
  summary: Pick<ModelSummary, 'totalParams' | 'totalFlops'>,
  validation: Split | null,
  inputShape: [number, number, number],
  opts: { batchSize: number; signal?: AbortSignal },
): Promise<ModelStats> {
  const net = plainNetwork(model, inputShape);
  const acc = validation ? await accuracy(net, validation, opts.batchSize, opts.signal) : null;
  return {
    params: summary.totalParams,
    flops: summary.totalFlops,
    accuracy: acc,
    // Filled in at the end of the run, when the unpruned and the pruned model are timed together (compareLatency).
    latencyMs1: null,
    latencyMsBatch: null,
    latencyBatch: LATENCY_BATCH,
  };
}
