/**
 * THE declaration of a pruning run's settings: per setting its type and range (a zod schema), default, description,
 * CLI flag and VS Code setting key. Everything else is derived from this table: the `RunConfig` type, the validator
 * the engine, the server, the worker and the webview use, the CLI's flags and help, the settings the extension reads,
 * and `contributes.configuration` in package.json (generated, and checked by a test).
 *
 * Adding a setting = one entry in RUN_SETTINGS (+ its docs). Choice lists (methods, stopping rules, …) exist only here.
 * Pure: no TF.js, no Node, no VS Code, so the webview bundles it too.
 */
import * as z from 'zod';

/** A closed list of choices, each with the sentence shown beside it in VS Code, the CLI help and the panel. */
function choices<const T extends readonly [string, ...string[]]>(values: T, descriptions: { [K in T[number]]: string }) {
  return { values, descriptions: values.map((v: T[number]) => descriptions[v]) as string[], schema: z.enum(values) };
}

export const PRUNE_METHODS = choices(['dcp', 'dkp', 'random', 'l1', 'recon', 'disc'], {
  dcp: 'Discrimination-aware channel pruning (reconstruction + discrimination loss).',
  dkp: 'Discrimination-aware kernel pruning: removes individual kernels of the kept channels.',
  random: 'Baseline: random channels, fitted with the same loss.',
  l1: 'Baseline: channels with the largest L1 weight norm, fitted with the same loss.',
  recon: 'Ablation: reconstruction loss only (λ = 0, ThiNet-like).',
  disc: 'Ablation: discrimination loss only.',
});
export const STOP_RULES = choices(['rate', 'epsilon', 'adaptive'], {
  rate: 'Keep exactly the number of channels the pruning rate implies.',
  epsilon: 'Stop adding channels when the loss changes by less than ε (relative).',
  adaptive: 'Stop when the loss is within τ of the unpruned loss: L(Wᵗ) ≤ (1+τ)·L(Ŵ).',
});
export const SCORE_RULES = choices(['official', 'paper'], {
  official: 'Σ_j ‖G[:,:,k,j]‖_F, as in the authors\' code.',
  paper: '‖G[:,:,k,:]‖_F, as written in the paper.',
});
export const SOLVERS = choices(['exact', 'sgd'], {
  exact: 'Least squares on L_M from XᵀX and XᵀY (exact, no data pass for L_M), then a few SGD steps for λ·L_S.',
  sgd: 'One masked SGD pass over the selection set per added channel (the authors\' code).',
});
export const HEAD_WEIGHTINGS = choices(['v2', 'sum'], {
  v2: 'The authors\' v2 depth weights.',
  sum: 'Plain sum of the head losses.',
});
export const HEAD_TRAININGS = choices(['frozen', 'joint'], {
  frozen: 'Train only the heads on the unchanged network (a safe default on a CPU budget).',
  joint: 'Train heads and network together on Σ w_p·L_S^p + L_f (the authors\' v2 / TPAMI pipeline).',
});
export const LABEL_SOURCES = choices(['dataset', 'teacher'], {
  dataset: 'The dataset\'s own labels.',
  teacher: 'The unpruned model\'s predictions (no labels needed).',
});
export const QUANTIZE_DTYPES = choices(['none', 'uint8', 'uint16', 'float16'], {
  none: 'float32 weights (any quantisation of the input is decoded).',
  uint8: 'Affine 8-bit: 4x smaller shards, error up to (max − min)/510 per weight.',
  uint16: 'Affine 16-bit: 2x smaller shards, error up to (max − min)/131070 per weight.',
  float16: 'IEEE half precision: 2x smaller shards, about 3 significant digits.',
});
export const BACKENDS = choices(['auto', 'node', 'wasm', 'cpu'], {
  auto: 'tfjs-node when it is installed and loads, else WebAssembly.',
  node: 'Native TensorFlow (needs @tensorflow/tfjs-node).',
  wasm: 'WebAssembly (bundled; works everywhere).',
  cpu: 'Plain JavaScript (slow; for debugging).',
});

/** Where a setting appears in VS Code's settings editor (package.json's configuration sections, in this order). */
export const SETTING_GROUPS = ['Method', 'Selection', 'Heads', 'Fine-tuning', 'Data', 'Compute'] as const;
export type SettingGroup = (typeof SETTING_GROUPS)[number];

/** One run setting. `flag` is the CLI option without `--`; `setting` the VS Code key without `dcp.`. */
export interface SettingSpec<S extends z.ZodType = z.ZodType> {
  schema: S;
  default: z.output<S>;
  /** Markdown, one or two sentences; the first sentence is the CLI help line. */
  description: string;
  flag: string;
  setting: string;
  group: SettingGroup;
  /** Value placeholder in the CLI help (`--rate η`). */
  metavar?: string;
  /** Sentences shown beside each choice (enum settings). */
  enumDescriptions?: readonly string[];
  /** VS Code scope; default `window`. Settings that name files are `resource` (per workspace folder). */
  scope?: 'application' | 'machine' | 'window' | 'resource';
  /** Ignored in untrusted workspaces (it names folders or limits the machine): package.json's restrictedConfigurations. */
  restricted?: boolean;
  /** A sentence only the VS Code settings editor shows (it names a VS Code command, say). */
  editorNote?: string;
}

function spec<S extends z.ZodType>(s: SettingSpec<S>): SettingSpec<S> {
  return s;
}

const num = z.number();
const int = z.int();

export const RUN_SETTINGS = {
  method: spec({ schema: PRUNE_METHODS.schema, default: 'dcp', flag: 'method', setting: 'method', group: 'Method', metavar: 'M', enumDescriptions: PRUNE_METHODS.descriptions,
    description: 'How channels are chosen. `dcp` is the method; the others are the baselines and ablations of the paper.' }),
  rate: spec({ schema: num.min(0).lt(1), default: 0.5, flag: 'rate', setting: 'rate', group: 'Method', metavar: 'η',
    description: 'Pruning rate η in [0, 1): a convolution with `c` input channels keeps `c − ⌊η·c⌋`.' }),
  lambda: spec({ schema: num.min(0).max(1e6), default: 1, flag: 'lambda', setting: 'lambda', group: 'Method', metavar: 'λ',
    description: 'λ, the weight of the discrimination loss L_S against the reconstruction loss L_M (1 in the paper).' }),
  kernelRate: spec({ schema: num.min(0).lt(1), default: 0.3, flag: 'kernel-rate', setting: 'kernelRate', group: 'Method', metavar: 'R',
    description: 'DKP only: fraction of kernels removed among the kept channels\' kernels.' }),
  kernelsPerStep: spec({ schema: int.min(1).max(1e6), default: 4, flag: 'kernels-per-step', setting: 'kernelsPerStep', group: 'Method', metavar: 'K',
    description: 'DKP only: kernels added per greedy step.' }),
  roundTo: spec({ schema: int.min(1).max(1024), default: 1, flag: 'round-to', setting: 'roundTo', group: 'Method', metavar: 'N',
    description: 'Rounds each pruned convolution\'s kept channel count to a multiple of N (1 = off): the nearest multiple, at least N, never more than the layer has; under `epsilon`/`adaptive`, up to the next multiple. Meant for kernels that work on blocks of channels; on WASM/XNNPACK we measured no gain from it (bench/README.md, `bench/real-models.ts --sweep`).' }),
  stop: spec({ schema: STOP_RULES.schema, default: 'rate', flag: 'stop', setting: 'stop', group: 'Selection', metavar: 'RULE', enumDescriptions: STOP_RULES.descriptions,
    description: 'When greedy selection stops adding channels to a layer.' }),
  epsilon: spec({ schema: num.min(0).max(1), default: 0.001, flag: 'epsilon', setting: 'epsilon', group: 'Selection', metavar: 'ε',
    description: 'ε of the `epsilon` stopping rule (relative loss change).' }),
  tau: spec({ schema: num.min(0).max(10), default: 0.05, flag: 'tau', setting: 'tau', group: 'Selection', metavar: 'τ',
    description: 'τ of the `adaptive` stopping rule.' }),
  score: spec({ schema: SCORE_RULES.schema, default: 'official', flag: 'score', setting: 'score', group: 'Selection', metavar: 'RULE', enumDescriptions: SCORE_RULES.descriptions,
    description: 'How a channel\'s gradient is scored during greedy selection.' }),
  // Measured with the exact solver (docs/compare.md, "Selection-set size"): on the example ResNet accuracy after
  // selection is flat from 256 to 2048 samples (within noise) while the cost grows linearly; 128 is worse on one seed.
  selectionSamples: spec({ schema: int.min(1).max(1e6), default: 256, flag: 'selection-samples', setting: 'selectionSamples', group: 'Selection', metavar: 'N',
    description: 'Size of the fixed, class-balanced subset of training samples that channel selection runs on. Smaller = faster, noisier.' }),
  selectionLearningRate: spec({ schema: num.min(0).max(10), default: 0.01, flag: 'selection-lr', setting: 'selectionLearningRate', group: 'Selection', metavar: 'LR',
    description: 'Learning rate of the per-channel sub-problem (0.01 in the authors\' code).' }),
  recipe: spec({ schema: z.string().trim().max(4096), default: '', flag: 'recipe', setting: 'recipe', group: 'Selection', metavar: 'FILE', scope: 'resource', restricted: true,
    editorNote: 'Unset, a run from VS Code uses `<model>.dcp-recipe.json` next to the model when it exists (the pruning panel writes it).',
    description: 'Per-layer budgets: a `dcp-recipe.json` file giving some convolutions their own rate or `"prune": false` (keep every channel); the other layers use `rate`. Empty = none. Schema: `schemas/dcp-recipe.schema.json`.' }),
  solver: spec({ schema: SOLVERS.schema, default: 'exact', flag: 'solver', setting: 'solver', group: 'Selection', metavar: 'S', enumDescriptions: SOLVERS.descriptions,
    description: 'How each added channel\'s sub-problem is solved: `exact` least squares on L_M from the layer\'s Gram statistics (then a few SGD steps for λ·L_S), or `sgd`, one SGD pass as in the authors\' code.' }),
  // 2, not 4: measured with the headless default on the examples, 4 steps gave the same choices' accuracy within noise
  // (ResNet 97.10 vs 97.00%, VGG 98.35 vs 98.30%) at 1.4× the selection cost (VGG 2.67 vs 1.93 epoch-equivalents).
  solverSgdSteps: spec({ schema: int.min(0).max(1e6), default: 2, flag: 'solver-sgd-steps', setting: 'solverSgdSteps', group: 'Selection', metavar: 'N',
    description: 'Exact solver: SGD steps (one mini-batch each) on the joint loss after each least-squares solve, for the λ·L_S part.' }),
  // A shortcut that changes results (DCP-SPEC §3 "Cost"): auto leaves the paper's one-at-a-time greedy wherever the
  // selection fits its time budget (all the examples); bench/README.md has the measured effect of K > 1.
  channelsPerStep: spec({ schema: int.min(0).max(4096), default: 0, flag: 'channels-per-step', setting: 'channelsPerStep', group: 'Selection', metavar: 'K',
    description: 'Channels added per greedy step. 0 = auto: one at a time (the paper) when the forecast selection time fits `selectionMinutes`, else each convolution\'s greedy steps are capped so it fits (a layer keeping k channels adds ⌈k/cap⌉ per step). K ≥ 1 adds the K best-scoring channels per step in every layer.' }),
  selectionMinutes: spec({ schema: num.min(0).max(1e5), default: 10, flag: 'selection-minutes', setting: 'selectionMinutes', group: 'Selection', metavar: 'MIN',
    description: 'Time budget of channel selection for `channelsPerStep` = 0 (auto), against the run\'s forecast on this machine (0 = no budget: always one channel per step). Real-size models (224×224) need it; the examples select in a minute or two and are not affected.' }),
  solverMemoryMB: spec({ schema: num.min(0).max(1e6), default: 256, flag: 'solver-memory-mb', setting: 'solverMemoryMB', group: 'Selection', metavar: 'MB',
    description: 'Exact solver: memory one layer\'s Gram statistics may take, 8·(k²·c+1)·(k²·c+1+n) bytes; a larger layer falls back to `sgd` and its `layerDone` says so (0 = always `sgd`).' }),
  heads: spec({ schema: int.min(0).max(64).nullable(), default: null, flag: 'heads', setting: 'heads', group: 'Heads', metavar: 'P',
    description: 'Number of auxiliary discrimination-aware heads P (0 = only the final classifier). Unset (`null`) = chosen from the depth: none up to 8 blocks (the classifier is close; measured better on the examples), 2 for mid-size or plain nets, 3 for deep residual nets (≥ 12 blocks).' }),
  headWeighting: spec({ schema: HEAD_WEIGHTINGS.schema, default: 'v2', flag: 'head-weighting', setting: 'headWeighting', group: 'Heads', metavar: 'W', enumDescriptions: HEAD_WEIGHTINGS.descriptions,
    description: 'How the head losses are weighted while training the heads.' }),
  headEpochs: spec({ schema: int.min(0).max(1000), default: 5, flag: 'head-epochs', setting: 'headEpochs', group: 'Heads', metavar: 'E',
    description: 'Most epochs of head training before selection (see `dcp.headTraining`); training stops earlier when the heads plateau (`dcp.headPlateau`).' }),
  headTraining: spec({ schema: HEAD_TRAININGS.schema, default: 'frozen', flag: 'head-training', setting: 'headTraining', group: 'Heads', metavar: 'MODE', enumDescriptions: HEAD_TRAININGS.descriptions,
    description: 'How the auxiliary heads are trained before selection.' }),
  // Measured on the example ResNet (demo settings): at 0.5 the first head reached 73% instead of 50%, but its
  // over-confident logits made λ·L_S jump to ~19 early in selection and accuracy after selection fell to 93.65% (95.3% at 0.1).
  headLearningRate: spec({ schema: num.min(0).max(10), default: 0.1, flag: 'head-lr', setting: 'headLearningRate', group: 'Heads', metavar: 'LR',
    description: 'Learning rate of head training when the network is frozen (fresh layers learn fast).' }),
  headPlateau: spec({ schema: num.min(0).max(100), default: 0.5, flag: 'head-plateau', setting: 'headPlateau', group: 'Heads', metavar: 'PT',
    description: 'Head training stops when no head gains this many points of validation accuracy over an epoch (0 = always train `dcp.headEpochs` epochs).' }),
  stageFinetune: spec({ schema: z.boolean(), default: true, flag: 'stage-finetune', setting: 'stageFinetune', group: 'Fine-tuning',
    description: 'Fine-tune one epoch with all losses after each stage (TPAMI version).' }),
  finetuneEpochs: spec({ schema: int.min(0).max(10000), default: 2, flag: 'finetune-epochs', setting: 'finetuneEpochs', group: 'Fine-tuning', metavar: 'E',
    description: 'Epochs of final fine-tuning of the pruned model; 0 skips it.' }),
  learningRate: spec({ schema: num.min(0).max(10), default: 0.01, flag: 'lr', setting: 'learningRate', group: 'Fine-tuning', metavar: 'LR',
    description: 'Learning rate of head training and fine-tuning (SGD with Nesterov momentum 0.9).' }),
  batchSize: spec({ schema: int.min(1).max(4096), default: 64, flag: 'batch-size', setting: 'batchSize', group: 'Fine-tuning', metavar: 'B',
    description: 'Mini-batch size of training and fine-tuning.' }),
  data: spec({ schema: z.string().trim().min(1).max(4096), default: 'mnist', flag: 'data', setting: 'dataset', group: 'Data', metavar: 'SPEC', scope: 'resource', restricted: true,
    editorNote: 'Use **DCP: Select Dataset** to pick one.',
    description: 'Training data: `mnist` (bundled), `fashion-mnist` (Debian\'s dataset-fashion-mnist, or `fashion-mnist:FOLDER`), `idx:PATH` (IDX files), `folder:PATH` (one sub-folder of images per class), `npz:PATH` (arrays `x`, `y`), or a path. Relative paths are resolved against the model\'s workspace folder.' }),
  labels: spec({ schema: LABEL_SOURCES.schema, default: 'dataset', flag: 'labels', setting: 'labels', group: 'Data', metavar: 'SOURCE', enumDescriptions: LABEL_SOURCES.descriptions,
    description: 'Where the labels of the training data come from.' }),
  maxTrainSamples: spec({ schema: int.min(0).max(1e9), default: 0, flag: 'max-train-samples', setting: 'maxTrainSamples', group: 'Data', metavar: 'N',
    description: 'Cap on the number of training samples used (0 = all). Handy for a quick first run.' }),
  seed: spec({ schema: int.min(0).max(2 ** 32 - 1), default: 1, flag: 'seed', setting: 'seed', group: 'Data', metavar: 'S',
    description: 'Random seed of data splits, subsets and initialisation, for repeatable runs.' }),
  choiceSeed: spec({ schema: int.min(0).max(2 ** 32 - 1).nullable(), default: null, flag: 'choice-seed', setting: 'choiceSeed', group: 'Data', metavar: 'S',
    description: 'Seed of the `random` baseline\'s channel choice, apart from the data split. Unset (`null`) = `dcp.seed`; vary it alone to draw several random choices on one split.' }),
  onnxModelJson: spec({ schema: z.boolean(), default: false, flag: 'onnx-model-json', setting: 'onnxModelJson', group: 'Data',
    description: 'ONNX models only: besides the pruned `model.onnx`, also write the pruned network as a TF.js `model.json` (NHWC input).' }),
  validationSamples: spec({ schema: int.min(1).max(1e7).nullable(), default: null, flag: 'validation-samples', setting: 'validationSamples', group: 'Data', metavar: 'N',
    description: 'Samples held out for validation (every accuracy is measured on them). Unset (`null`) = 2,000 for `mnist`, 10% of the samples otherwise. On `mnist` more than 2,000 overlaps the digits the example models were trained on.' }),
  backend: spec({ schema: BACKENDS.schema, default: 'auto', flag: 'backend', setting: 'backend', group: 'Compute', metavar: 'NAME', enumDescriptions: BACKENDS.descriptions,
    description: 'TensorFlow.js backend the pruning engine computes with.' }),
  threads: spec({ schema: int.min(1).max(16), default: 1, flag: 'threads', setting: 'threads', group: 'Compute', metavar: 'N',
    description: 'WebAssembly threads. 2 makes convolutions about 1.4-1.7x faster on two cores; whole training steps gain less. Takes effect for the next run in a new worker.' }),
  quantize: spec({ schema: QUANTIZE_DTYPES.schema, default: 'none', flag: 'quantize', setting: 'quantize', group: 'Compute', metavar: 'DTYPE', enumDescriptions: QUANTIZE_DTYPES.descriptions,
    description: 'How the pruned model\'s float32 weights are stored in its shards, as the TF.js converter\'s `--quantize_*` options do; tf.loadLayersModel decodes them on load.' }),
  foldBatchNorm: spec({ schema: z.boolean(), default: false, flag: 'fold-batchnorm', setting: 'foldBatchNorm', group: 'Compute',
    description: 'Fold each BatchNormalization (inference mode) into the conv before it, and a plain ReLU after a Conv2D into its activation (the one tfjs-layers runs fused), in the saved model: the same outputs with fewer layers, faster at small batches (no BatchNorm left to fine-tune). The report times the unpruned model folded the same way beside it. TF.js outputs only.' }),
  layerLatency: spec({ schema: z.boolean(), default: false, flag: 'layer-latency', setting: 'layerLatency', group: 'Compute',
    description: 'Also time every convolution on its own, before and after pruning, at batch 1 and the latency batch (the report\'s `layerLatency`). Adds a few seconds per run on small models.' }),
  // One block (the choices inline): the backend latency is timed on, apart from the one the run computes with.
  latencyBackend: spec({ schema: z.enum(['run', 'wasm', 'cpu', 'tensorflow']), default: 'run', flag: 'latency-backend', setting: 'latencyBackend', group: 'Compute', metavar: 'NAME',
    enumDescriptions: [
      'The backend the run computes with (`dcp.backend`).',
      'WebAssembly (XNNPACK), as in a browser or Node without native TensorFlow.',
      'Plain JavaScript: the slowest, for a device with neither WebAssembly nor WebGL.',
      'Native TensorFlow (tfjs-node). When it cannot be loaded, latency is timed on the run\'s backend and the report says why (`latencyBackendNote`).',
    ],
    description: 'Backend the whole-model and per-layer latency are timed on: the one the pruned model will be deployed to. Copies of both models are timed there; the run itself stays on `dcp.backend`. The report\'s `latencyBackend` names the backend used.' }),
} satisfies Record<string, SettingSpec>;

export type RunSettingKey = keyof typeof RUN_SETTINGS;

/** Everything a pruning run needs besides the model, as the table above declares it. */
export type RunConfig = { -readonly [K in RunSettingKey]: z.output<(typeof RUN_SETTINGS)[K]['schema']> };

export type PruneMethod = RunConfig['method'];
export type StopRule = RunConfig['stop'];
export type ScoreRule = RunConfig['score'];
export type SolverName = RunConfig['solver'];
export type HeadWeighting = RunConfig['headWeighting'];
export type HeadTraining = RunConfig['headTraining'];
export type LabelSource = RunConfig['labels'];
export type BackendName = RunConfig['backend'];

export const RUN_SETTING_KEYS = Object.keys(RUN_SETTINGS) as RunSettingKey[];

/** Every setting at its default. */
export const DEFAULT_RUN_CONFIG: Readonly<RunConfig> = Object.freeze(
  Object.fromEntries(RUN_SETTING_KEYS.map((k) => [k, RUN_SETTINGS[k].default])) as RunConfig,
);
export type QuantizeDtype = RunConfig['quantize'];
