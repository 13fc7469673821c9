import type { HeadAccuracy, RunConfig } from '../../../protocol/model';

/**
 * Trained heads shared between runs that would train them identically (issue 11): `dcp compare` runs one job per
 * method and per random choice on the same split, and each used to retrain the same heads from the same seed, a
 * minute or more of every job. Plain data, no tensors, so a cache outlives any run without holding backend memory.
 * Only the frozen-network mode is cached: joint head training changes the network too.
 */
export interface CachedHeads {
  weights: { shape: number[]; values: number[] }[][];
  heads: HeadAccuracy[];
}

export type HeadsCache = Map<string, CachedHeads>;

/**
 * Settings that cannot change frozen head training: they act after it (selection, fine-tuning, output, latency).
 * Everything else is in the key, so a setting added later invalidates the cache until it is listed here.
 */
const AFTER_HEADS: ReadonlySet<keyof RunConfig> = new Set<keyof RunConfig>([
  'method', 'rate', 'lambda', 'kernelRate', 'kernelsPerStep', 'roundTo', 'stop', 'epsilon', 'tau', 'score',
  'selectionLearningRate', 'solver', 'solverSgdSteps', 'solverMemoryMB', 'choiceSeed', 'stageFinetune',
  'finetuneEpochs', 'quantize', 'foldBatchNorm', 'layerLatency', 'latencyBackend', 'onnxModelJson', 'learningRate',
]);

/** The cache key of a run's head training: the model and every setting that can change it. */
export function headsCacheKey(cfg: RunConfig, modelPath: string): string {
  const kept = Object.entries(cfg).filter(([k]) => !AFTER_HEADS.has(k as keyof RunConfig)).sort(([a], [b]) => (a < b ? -1 : 1));
  return JSON.stringify([modelPath, kept]);
}
