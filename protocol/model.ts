/**
 * Plain, JSON-safe data shared by the engine, the CLI, the language server, the extension and the webview.
 * Nothing here may hold a tensor, a class instance or a `vscode.Uri`: every value must survive JSON.stringify.
 */

/**
 * The run settings (`RunConfig`) and their choice types are declared once, with their ranges, defaults and
 * descriptions, in `settings.ts`; re-exported here so every process keeps importing its data types from one module.
 */
export type {
  BackendName, HeadTraining, HeadWeighting, LabelSource, PruneMethod, RunConfig, ScoreRule, SolverName, StopRule,
} from './settings';
import type { RunConfig, SolverName } from './settings';
import type { Recipe } from './recipe';
import type { PhaseTiming, RunForecast } from './forecast';
export type { Recipe, RecipeLayer } from './recipe';

/** One layer as `dcp inspect` reports it. Shapes omit the batch axis. */
export interface LayerInfo {
  name: string;
  className: string;
  inboundLayers: string[];
  outputShape: number[];
  params: number;
  /** Multiply-adds for one sample. */
  flops: number;
  /** Only for convolutions: whether DCP may select this conv's input channels. */
  prunable?: boolean;
  /** Why a convolution is not prunable, in words a person can act on. */
  reason?: string;
  /** Input channels of a conv (the axis DCP selects). */
  inChannels?: number;
  outChannels?: number;
  /** What the engine's graph analysis knows about channels tied to other layers'; absent when nothing is tied. */
  coupling?: LayerCoupling;
}

/** A layer that loses channel k together with a prunable conv's input channel k (a concat input owns a slice). */
export interface CoupledProducer {
  layer: string;
  kind: 'conv-filters' | 'batchnorm' | 'depthwise';
  /** The conv's input channels `offset … offset+channels-1` are this layer's channels `0 … channels-1`. */
  offset: number;
  channels: number;
}

/** How a layer's channels are tied to other layers' channels (server/dcp/graph analysis). */
export interface LayerCoupling {
  /** A prunable conv: the layers that lose channels with its input channels (producer filters, BatchNorm, depthwise). */
  removesWith?: CoupledProducer[];
  /** A layer that loses channels when this prunable conv's input channels are selected. */
  prunedBy?: string;
  /**
   * Residual width group: layers whose output channels are joined by residual Adds, so they share one width and none
   * of them can lose channels alone. Same number = same group; numbered from 0 in forward order.
   */
  widthGroup?: number;
}

/** Static description of a model: what `dcp inspect` prints and a run starts from. */
export interface ModelSummary {
  name: string;
  inputShape: number[];
  numClasses: number;
  layers: LayerInfo[];
  totalParams: number;
  totalFlops: number;
  /** Names of the prunable convolutions, in forward order. */
  prunable: string[];
}

/** Measured or counted size and quality of a model at one point of the pipeline. */
export interface ModelStats {
  params: number;
  flops: number;
  /** Validation accuracy in [0, 1]; null when not measured. */
  accuracy: number | null;
  /** Median latency in milliseconds at batch 1 and at `latencyBatch`; null when not measured. */
  latencyMs1: number | null;
  latencyMsBatch: number | null;
  latencyBatch: number;
}

/** Final per-layer outcome of selection. */
export interface LayerResult {
  layer: string;
  stage: number;
  inChannels: number;
  kept: number[];
  /** Final reconstruction loss L_M and weighted discrimination loss λ·L_S on the selection set. */
  lossM: number;
  lossS: number;
  iterations: number;
  /** Layers that lost filters/entries because of this selection. */
  removedWith: string[];
  /** DKP only: kernel mask, row-major [inChannels][outChannels] as 0/1 over the kept input channels (full index space). */
  kernelMask?: number[][];
  keptKernels?: number;
  totalKernels?: number;
  seconds: number;
  /** How the sub-problems were solved (`dcp.solver`); absent in reports from before the exact solver. */
  solver?: SolverName;
  /** Why the layer did not run the solver the config asked for (e.g. its Gram statistics exceed `dcp.solverMemoryMB`). */
  solverNote?: string;
  /** Channels added per greedy step when more than one (`dcp.channelsPerStep`, or auto's step plan). */
  channelsPerStep?: number;
}

/**
 * Auto `channelsPerStep` (server/dcp/run/step-plan.ts), in `runStarted` when it raised any conv above one channel per
 * step: the forecast selection time at one per step did not fit `dcp.selectionMinutes`.
 */
export interface StepPlanInfo {
  /** Every conv's greedy steps are capped at this count. */
  cap: number;
  /** Channels per step, by conv. */
  perStep: Record<string, number>;
  /** Forecast selection seconds at one channel per step, and with the plan. */
  secondsOneByOne: number;
  seconds: number;
  /** Set when even one step per conv is over the budget. */
  note?: string;
}

/** Training curve point. */
export interface EpochPoint {
  epoch: number;
  loss: number;
  accuracy: number | null;
  valAccuracy: number | null;
}

/** Which training phase a progress event belongs to. */
export type TrainPhase = 'heads' | 'stage' | 'final';

/**
 * Events the engine yields, in order:
 * runStarted → headsTrained → (stageStarted → (selectionStarted → selectionIteration* → layerDone)* → stageFinetune*)*
 * → surgeryDone → finetune* → runFinished | runFailed | runCancelled.
 * `trainProgress` may appear in every training phase. Epochs, batches and greedy iterations count from 1.
 * `selectionIteration` is one greedy step of one layer (DKP numbers its kernel steps from 1 again, after the channel
 * steps). `scores` is the gradient score of EVERY unit of the layer, always a finite number: c entries for a channel
 * step (c = inChannels), c·n for a DKP kernel step (row-major, kernel W[:,:,k,j] at k·n + j, n = outChannels).
 * Units selected at earlier steps are scored too (they are out of the running): they are the union of the layer's
 * earlier `added` lists since its `selectionStarted`, which clients read from the stream, never from the scores.
 */
export type RunEvent =
  | { type: 'runStarted'; config: RunConfig; model: ModelSummary; before: ModelStats; heads: HeadInfo[]; stages: StageInfo[]; memory?: MemoryPlan; forecast?: RunForecast; stepPlan?: StepPlanInfo; time: number }
  | { type: 'trainProgress'; phase: TrainPhase; stage: number | null; epoch: number; epochs: number; batch: number; batches: number; loss: number; time: number }
  | { type: 'epochDone'; phase: TrainPhase; stage: number | null; point: EpochPoint; time: number }
  | { type: 'headsTrained'; heads: HeadAccuracy[]; time: number }
  | { type: 'stageStarted'; stage: number; layers: string[]; time: number }
  | { type: 'selectionStarted'; layer: string; stage: number; inChannels: number; target: number | null; channelsPerStep?: number; time: number }
  | { type: 'selectionIteration'; layer: string; iteration: number; added: number[]; scores: number[]; lossM: number; lossS: number; loss: number; time: number }
  | { type: 'layerDone'; result: LayerResult; time: number }
  | { type: 'surgeryDone'; afterSelection: ModelStats; time: number }
  | { type: 'runFinished'; report: RunReport; time: number }
  | { type: 'runFailed'; message: string; time: number }
  | { type: 'runCancelled'; time: number };

/** One phase's estimated peak memory on the compute backend, at the batch the plan chose for it. */
export interface PhaseMemory {
  phase: 'training' | 'selection' | 'inference';
  bytes: number;
  batch: number;
}

/** How one conv's selection set is kept: cached in memory, or spilled to temp files and read back per batch. */
export interface LayerMemory {
  layer: string;
  /** The whole cache (cut + baseline target over the selection set), float32. */
  cacheBytes: number;
  spill: boolean;
  /** Batch of the cached selection set (the run's batch size unless even a spilled cache needed less). */
  batch: number;
  /** Samples per forward pass while the cache is built (both networks keep every intermediate of a pass). */
  buildBatch: number;
  peakBytes: number;
}

/**
 * The memory plan a run starts from (server/dcp/measure/memory.ts): the budget, what each phase is estimated to
 * need, and the choices that keep it inside the budget. Training splits each batch of `batchSize` into
 * `accumulationSteps` micro-batches of at most `microBatch` and sums their gradients into one optimiser step.
 */
export interface MemoryPlan {
  /** Bytes the run may use on the compute backend; null = no known limit (native backend without a cap). */
  budgetBytes: number | null;
  budgetSource: string;
  batchSize: number;
  microBatch: number;
  accumulationSteps: number;
  /** Batch of inference passes (accuracy, teacher labels). */
  inferenceBatch: number;
  phases: PhaseMemory[];
  layers: LayerMemory[];
  /** Bytes written to temp files (the spilled layers' caches, one layer at a time). */
  spillBytes: number;
}

/** An auxiliary head's position. Head `index` = number of heads is the network's own classifier. */
export interface HeadInfo {
  index: number;
  /** Name of the layer whose output feeds the head. */
  after: string;
  weight: number;
}

export interface HeadAccuracy {
  index: number;
  after: string;
  /** Validation accuracy after head training, in [0, 1]. */
  accuracy: number;
  /** Present when the accuracy is within a few points of chance (1 / number of classes): says so and what to try. */
  warning?: string;
}

export interface StageInfo {
  index: number;
  /** Prunable convs selected in this stage, forward order. */
  layers: string[];
  /** Head index whose loss L_S^p drives this stage. */
  head: number;
}

/** Machine-readable result of a run; its schema is documented in docs/report.md. */
export interface RunReport {
  schema: 'dcp-report/1';
  config: RunConfig;
  model: { name: string; input: string; output: string | null };
  layers: LayerResult[];
  heads: HeadAccuracy[];
  before: ModelStats;
  afterSelection: ModelStats;
  after: ModelStats;
  finetune: EpochPoint[];
  /** Cost of selection in training-epoch equivalents, ours vs. the reference algorithm's 2·Σk_l full passes. */
  selectionCost: { epochEquivalents: number; referenceEpochEquivalents: number };
  seconds: number;
  backend: string;
  /** Size of the validation split every accuracy was measured on (absent in reports of older versions). */
  validationSamples?: number;
  /** Per layer of the unpruned model, its size before and after pruning (absent in reports of older versions). */
  layerDiff?: LayerDiff[];
  /** The per-layer recipe the run applied (`config.recipe`), as read; absent when the run had none. */
  recipe?: Recipe;
  /** Each phase's forecast (time, peak memory) next to its measured time; absent for resumed runs and older reports. */
  phases?: PhaseTiming[];
  /** The TF.js backend every latency figure (stats and `layerLatency`) was timed on (`config.latencyBackend`); older reports: `backend`. */
  latencyBackend?: string;
  /** When the chosen `latencyBackend` could not be used (tfjs-node not installed, say): why; latency was timed on `backend`. */
  latencyBackendNote?: string;
  /** With `layerLatency` on: each convolution timed on its own, unpruned vs pruned (docs/report.md). */
  layerLatency?: LayerLatency[];
  /** With `foldBatchNorm` on: what the saved model's convs absorbed, and the unpruned model folded the same way, timed beside it. */
  folding?: FoldingReport;
  /** With `foldBatchNorm` on and nothing folded as asked (an ONNX output, a Sequential model): why. */
  foldingNote?: string;
  /** ONNX models only: the original and pruned `.onnx` timed in onnxruntime, where they will run (docs/report.md). */
  onnxLatency?: OnnxLatency;
  /** ONNX models only, when `onnxLatency` could not be measured: why (e.g. onnxruntime-node not installed). */
  onnxLatencyNote?: string;
}

/** Deployment folding (`foldBatchNorm`): the saved model's convs that absorbed a BatchNorm and/or a ReLU layer. */
export interface FoldingReport {
  convs: { conv: string; batchNorm: string | null; activation: string | null }[];
  /** Layer count of the pruned model before and after folding. */
  layers: [number, number];
  /**
   * The unpruned model folded the same way, timed interleaved with the saved one (median ms at batch 1 and at the
   * stats' latencyBatch): `before` over these is the gain of pruning alone; `before` over `after`, what the user gets.
   */
  beforeFoldedLatencyMs1: number | null;
  beforeFoldedLatencyMsBatch: number | null;
}

/** Median ms in onnxruntime of the original and the pruned `.onnx`, per batch size, timed interleaved. */
export interface OnnxLatency {
  /** e.g. `onnxruntime 1.30.0, CPU, 1 thread`. */
  runtime: string;
  batches: number[];
  /** Median ms per entry of `batches`. */
  before: number[];
  after: number[];
  /** Interleaved timings per model and batch size, after 3 warm-ups. */
  runs: number;
}

/** One convolution's latency in isolation, unpruned vs pruned, at batch 1 and at the stats' `latencyBatch`. */
export interface LayerLatency {
  layer: string;
  className: string;
  /** Input shape (no batch axis) before and after pruning. */
  inputShape: [number[], number[]];
  outChannels: [number, number];
  /** Median ms at [batch 1, latencyBatch]. */
  before: [number, number];
  after: [number, number];
}

/** One layer's size before → after pruning (structure only: fine-tuning does not change it). */
export interface LayerDiff {
  layer: string;
  className: string;
  /** Input channels of a conv, else null. */
  inBefore: number | null;
  inAfter: number | null;
  /** Channels of the layer's output (last axis). */
  outBefore: number;
  outAfter: number;
  paramsBefore: number;
  paramsAfter: number;
  flopsBefore: number;
  flopsAfter: number;
  /**
   * Output drift on the selection set: ‖a − b‖ / ‖a‖ between the unpruned output `a` (restricted to the channels the
   * pruned layer keeps) and the final pruned model's `b`; absent where the kept channels cannot be traced.
   */
  drift?: number;
}
