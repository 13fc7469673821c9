/**
 * Plain, JSON-safe data shared by the engine, the CLI, the language server, the extension and the webview.
 * Nothing here may hold a tensor, a class instance or a `vscode.Uri`: every value must survive JSON.stringify.
 */

/** Compute backend. `auto` = tfjs-node if it loads, else wasm. */
export type BackendName = 'auto' | 'node' | 'wasm' | 'cpu';

/** How channels (or kernels) are chosen. `dcp`/`dkp` are the method; the rest are the baselines the paper compares with. */
export type PruneMethod = 'dcp' | 'dkp' | 'random' | 'l1' | 'recon' | 'disc';

/** When greedy selection stops adding channels to a layer (DCP-SPEC §3 step 5). */
export type StopRule = 'rate' | 'epsilon' | 'adaptive';

/** Channel score: `official` = Σ_j ‖G[:,:,k,j]‖_F (authors' code), `paper` = ‖G[:,:,k,:]‖_F. */
export type ScoreRule = 'official' | 'paper';

/** Head loss weighting during head training: `v2` = the authors' v2 depth weights, `sum` = plain sum. */
export type HeadWeighting = 'v2' | 'sum';

/**
 * How heads are trained before selection: `frozen` trains only the heads on the unchanged network (our
 * default: on a CPU budget, one joint epoch measurably degraded the baseline); `joint` trains heads and
 * network together on Σ w_p·L_S^p + L_f (the authors' v2 / TPAMI pipeline).
 */
export type HeadTraining = 'frozen' | 'joint';

/** Where labels come from: the dataset's own, or the unpruned model's predictions. */
export type LabelSource = 'dataset' | 'teacher';

/** Everything a pruning run needs besides the model. Defaults live in `server/dcp/config.ts`. */
export interface RunConfig {
  method: PruneMethod;
  /** Pruning rate η in [0, 1): a layer with c input channels keeps c − ⌊η·c⌋. */
  rate: number;
  /** λ, the weight of the discrimination loss L_S (1 in the paper). */
  lambda: number;
  stop: StopRule;
  /** ε of the `epsilon` rule (relative loss change). */
  epsilon: number;
  /** τ of the `adaptive` rule: stop when L(W_t) ≤ (1+τ)·L(Ŵ). */
  tau: number;
  score: ScoreRule;
  /** Number of auxiliary heads P (0 = only the final classifier). `null` = chosen from depth. */
  heads: number | null;
  headWeighting: HeadWeighting;
  /** Size of the fixed, class-balanced selection subset. */
  selectionSamples: number;
  /** Epochs of head training before selection. */
  headEpochs: number;
  headTraining: HeadTraining;
  /** Learning rate of head training when the network is frozen (fresh layers learn fast). */
  headLearningRate: number;
  /** One-epoch fine-tune with all losses after each stage (TPAMI). */
  stageFinetune: boolean;
  /** Epochs of final fine-tuning; 0 skips it. */
  finetuneEpochs: number;
  /** Learning rate of head training and fine-tuning (SGD, Nesterov 0.9, wd 1e-4). */
  learningRate: number;
  /** Learning rate of the per-channel sub-problem (0.01 in the authors' code). */
  selectionLearningRate: number;
  batchSize: number;
  /** DKP: fraction of kernels removed among the kept channels' kernels. */
  kernelRate: number;
  /** DKP: kernels added per greedy step. */
  kernelsPerStep: number;
  /** Dataset spec: `mnist`, `folder:PATH`, `npz:PATH`, or a path (kind guessed). */
  data: string;
  labels: LabelSource;
  /** Cap on the number of training samples used (0 = all). */
  maxTrainSamples: number;
  seed: number;
  backend: BackendName;
  /** XNNPACK threads of the wasm backend (fixed by the first wasm start in a process). */
  threads: number;
}

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
