/**
 * The forecast of a run before any work: seconds and peak memory per phase (protocol/forecast.ts). Pure arithmetic,
 * shared by the engine (at run start, server/dcp/run/pipeline.ts) and the panel (the next run's forecast as the
 * run controls change, from the last run's plan and speed)
 * over what the run is about to do (the graph's per-layer FLOPs, the plan's stages and convs, the settings, the
 * split sizes, the memory plan) and what this machine does per second (calibrate.ts). Every phase is counted as
 * steps × a fixed per-step overhead + multiply-adds / rate, with the steps the engine takes:
 *   heads      headEpochs epochs over the training split (the frozen network's forward, the heads' backward; with
 *              `headTraining: joint` the whole network trains), plus the plateau check's validation pass per epoch.
 *              An upper bound: the plateau rule may stop earlier.
 *   selection  per conv: the cache (prefix forward on the pruned and the baseline network), then per kept channel
 *              one gradient pass of the conv's path (the conv to its stage's head) over the selection set, plus the
 *              exact solver's SGD steps (`solverSgdSteps` batches) or the SGD solver's epoch.
 *   stage FT   one epoch per stage over the training split (when `stageFinetune`).
 *   final FT   finetuneEpochs epochs of the pruned network plus a validation pass each.
 *   measure    validation accuracy of the pruned network, the latency comparison (interleaved, batch 1 and 64), the
 *              per-layer drift (both networks over the selection set) and saving.
 * Peak memory per phase is the memory plan's (training, selection, inference), as the run will use it.
 */
import type { MemoryPlan, ModelSummary, RunConfig, StageInfo } from './model';
import type { ForecastSamples, LatencyPlan, MachineSpeed, PhaseForecast, RunForecast } from './forecast';

export interface ForecastConv {
  conv: string;
  inChannels: number;
  stage: number;
  /** Channels the run keeps (plannedKeep with the recipe's rate, or the rate rule's count). */
  keep: number;
}

export interface ForecastInput {
  summary: Pick<ModelSummary, 'layers' | 'totalFlops'>;
  stages: readonly StageInfo[];
  /** The auxiliary heads' `after` layers, by head index; index = heads.length is the network's own classifier. */
  heads: readonly { after: string }[];
  convs: readonly ForecastConv[];
  config: Pick<RunConfig, 'headEpochs' | 'headTraining' | 'headPlateau' | 'finetuneEpochs' | 'stageFinetune' | 'solver' | 'solverSgdSteps' | 'method'>;
  samples: ForecastSamples;
  memory: Pick<MemoryPlan, 'batchSize' | 'microBatch' | 'inferenceBatch' | 'phases' | 'layers'>;
  speed: MachineSpeed;
  /** The measure phase's latency comparison (server/dcp/measure/stats.ts: LATENCY_BATCH, LATENCY_REPEATS). */
  latency: LatencyPlan;
  /** Channels each conv adds per greedy step (server/dcp/run/step-plan.ts); a conv not named adds 1. */
  channelsPerStep?: Readonly<Record<string, number>>;
}

/** FLOPs after pruning, roughly: each prunable conv scaled by its kept share of input channels (the rest unchanged). */
function prunedFlops(input: ForecastInput): number {
  const share = new Map(input.convs.map((c) => [c.conv, c.keep / Math.max(1, c.inChannels)]));
  return input.summary.layers.reduce((a, l) => a + l.flops * (share.get(l.name) ?? 1), 0);
}

/** Per-sample FLOPs of the layers from `from` through `to` in forward order, and of the layers before `from`. */
function pathAndPrefix(layers: ForecastInput['summary']['layers'], from: string, to: string | null): { path: number; prefix: number } {
  const at = layers.findIndex((l) => l.name === from);
  const end = to === null ? layers.length - 1 : layers.findIndex((l) => l.name === to);
  let path = 0;
  let prefix = 0;
  layers.forEach((l, i) => {
    if (i < at) prefix += l.flops;
    else if (end < 0 || i <= end) path += l.flops;
  });
  return { path, prefix };
}

/**
 * One conv's selection time as fixed + per greedy step (the step planner, server/dcp/run/step-plan.ts, needs them
 * apart). Fixed: the cache (prefix forward on the pruned and the baseline network) and the path's final forward.
 * Per step: one gradient pass of the conv's path (the conv to its stage's head) over the selection set plus the
 * exact solver's SGD steps (or the SGD solver's epoch).
 */
export function convSelectionCost(input: ForecastInput, c: ForecastConv): { fixed: number; perStep: number; heuristic: boolean } {
  const { config: cfg, samples, memory, speed } = input;
  const infer = (n: number, flops: number, batch: number): number =>
    Math.ceil(n / Math.max(1, batch)) * speed.inferStepSeconds + (n * flops) / speed.inferMacsPerSecond;
  const stage = input.stages.find((s) => s.index === c.stage);
  const head = stage ? input.heads[stage.head]?.after ?? null : null;
  const { path, prefix } = pathAndPrefix(input.summary.layers, c.conv, head);
  const batch = memory.layers.find((l) => l.layer === c.conv)?.batch ?? memory.batchSize;
  const batches = Math.max(1, Math.ceil(samples.selection / Math.max(1, batch)));
  const S = samples.selection;
  const gradPass = batches * speed.trainStepSeconds + (S * path) / speed.trainMacsPerSecond;
  const solverPasses = cfg.solver === 'exact' ? cfg.solverSgdSteps / batches : 1;
  // Random / L1 pick without gradients, then fit once.
  const heuristic = !['dcp', 'dkp', 'recon', 'disc'].includes(cfg.method);
  return { fixed: 2 * infer(S, prefix, batch) + infer(S, path, batch), perStep: (1 + solverPasses) * gradPass, heuristic };
}

/** One conv's selection seconds when each greedy step adds `perStep` channels. */
export function convSelectionSeconds(input: ForecastInput, c: ForecastConv, perStep: number): number {
  const cost = convSelectionCost(input, c);
  const steps = cost.heuristic ? 1 : Math.ceil(c.keep / Math.max(1, perStep));
  return cost.fixed + steps * cost.perStep;
}

/**
 * Whether the heads phase trains anything: frozen training with no auxiliary head (the default up to 8 blocks) has no
 * variable to train, so the run only measures the classifier. Shared by the engine and the forecast.
 */
export function headsPhaseTrains(headTraining: RunConfig['headTraining'], auxiliaryHeads: number): boolean {
  return headTraining === 'joint' || auxiliaryHeads > 0;
}

export function estimateRun(input: ForecastInput): RunForecast {
  const { config: cfg, samples, memory, speed } = input;
  const F = Math.max(1, input.summary.totalFlops);
  const Fp = prunedFlops(input);
  const steps = (n: number): number => Math.ceil(n / Math.max(1, memory.batchSize)) * Math.max(1, Math.ceil(memory.batchSize / Math.max(1, memory.microBatch)));
  const inferCalls = (n: number, batch = memory.inferenceBatch): number => Math.ceil(n / Math.max(1, batch));
  const train = (n: number, flops: number): number => steps(n) * speed.trainStepSeconds + (n * flops) / speed.trainMacsPerSecond;
  const infer = (n: number, flops: number, batch?: number): number => inferCalls(n, batch) * speed.inferStepSeconds + (n * flops) / speed.inferMacsPerSecond;
  const bytes = (phase: 'training' | 'selection' | 'inference'): number =>
    memory.phases.find((p) => p.phase === phase)?.bytes ?? memory.phases.find((p) => p.phase === 'training')?.bytes ?? 0;

  // Heads: frozen = forward of the network + the heads' backward (small); joint = the whole network trains.
  const headEpoch = cfg.headTraining === 'joint'
    ? train(samples.train, F)
    : steps(samples.train) * speed.trainStepSeconds + (samples.train * F) / speed.inferMacsPerSecond;
  const plateauCheck = cfg.headPlateau > 0 ? infer(samples.validation, F) : 0;
  // With nothing to train the phase only measures the classifier's accuracy on the validation split.
  const heads = headsPhaseTrains(cfg.headTraining, input.heads.length) ? cfg.headEpochs * (headEpoch + plateauCheck) : infer(samples.validation, F);

  const selection = input.convs.reduce((a, c) => a + convSelectionSeconds(input, c, input.channelsPerStep?.[c.conv] ?? 1), 0);

  // Only stages that end at an auxiliary head are fine-tuned; the last (the classifier's) is left to the final one.
  const stageFinetune = cfg.stageFinetune ? Math.min(input.stages.length, input.heads.length) * train(samples.train, F) : 0;
  const finetune = cfg.finetuneEpochs * (train(samples.train, Fp) + infer(samples.validation, Fp));
  const latencyCalls = 2 * (input.latency.repeats + 2);
  const latency = latencyCalls * (2 * speed.inferStepSeconds + ((1 + input.latency.batch) * (F + Fp)) / 2 / speed.inferMacsPerSecond);
  const measure = infer(samples.validation, Fp) + latency + infer(samples.selection, F + Fp);

  const phases: PhaseForecast[] = [
    { phase: 'heads', seconds: heads, peakBytes: heads > 0 ? bytes('training') : 0 },
    { phase: 'selection', seconds: selection, peakBytes: bytes('selection') },
    { phase: 'stageFinetune', seconds: stageFinetune, peakBytes: stageFinetune > 0 ? bytes('training') : 0 },
    { phase: 'finetune', seconds: finetune, peakBytes: finetune > 0 ? bytes('training') : 0 },
    { phase: 'measure', seconds: measure, peakBytes: bytes('inference') },
  ];
  return { phases, seconds: phases.reduce((a, p) => a + p.seconds, 0), speed, samples, latency: input.latency };
}
