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
  | { type: 'runStarted'; config: RunConfig; model: ModelSummary; before: ModelStats; heads: HeadInfo[]; stages: StageInfo[]; time: number }
  | { type: 'trainProgress'; phase: TrainPhase; stage: number | null; epoch: number; epochs: number; batch: number; batches: number; loss: number; time: number }
  | { type: 'epochDone'; phase: TrainPhase; stage: number | null; point: EpochPoint; time: number }
  | { type: 'headsTrained'; heads: HeadAccuracy[]; time: number }
  | { type: 'stageStarted'; stage: number; layers: string[]; time: number }
  | { type: 'selectionStarted'; layer: string; stage: number; inChannels: number; target: number | null; time: number }
  | { type: 'selectionIteration'; layer: string; iteration: number; added: number[]; scores: number[]; lossM: number; lossS: number; loss: number; time: number }
  | { type: 'layerDone'; result: LayerResult; time: number }
  | { type: 'surgeryDone'; afterSelection: ModelStats; time: number }
  | { type: 'runFinished'; report: RunReport; time: number }
  | { type: 'runFailed'; message: string; time: number }
  | { type: 'runCancelled'; time: number };

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
  accuracy: number;
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
}
