/**
 * Every custom message between the extension (LSP client) and the DCP language server (LSP server).
 * Each message is declared exactly once here as a typed handle; both sides import the handle, so a method
 * name never appears as a string literal at a call site. Documented with examples in docs/protocol.md.
 *
 * URIs are strings (`file:///…`), never `vscode.Uri`: everything here must survive JSON.stringify.
 */
import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import type { ModelSummary, RunConfig, RunEvent, RunReport } from './model';
import type { SensitivityEvent } from './sensitivity';

// ---- data types --------------------------------------------------------------------------------------------------

/** Options the client passes in `initialize`'s `initializationOptions`. */
export interface DcpInitializationOptions {
  /**
   * Absolute folder that holds every run's folder (`<runsDir>/<runId>/`).
   * Unset: each run lives next to its model, in `<model dir>/.dcp-runs/<runId>/`.
   */
  runsDir?: string;
}

/** Identifies a model file. */
export interface ModelParams {
  /** `file:` URI of a TF.js Layers `model.json`. */
  uri: string;
}

export interface StartRunParams extends ModelParams {
  /** Options to override; the rest take the server's defaults (server/dcp/config.ts). Validated before the run starts. */
  config?: Partial<RunConfig>;
  /** Absolute folder for the pruned model and report.json; default `<run folder>/output`. Written only when the run finishes. */
  outDir?: string;
}

export interface StartRunResult {
  runId: string;
  /** Absolute path of the run's history folder (config.json, events.jsonl, report.json, checkpoints/). */
  runDir: string;
  /** Absolute folder the pruned model is written to when the run finishes. */
  outDir: string;
}

/** Names one run. `uri` (the run's model) lets the server find runs of earlier sessions on disk. */
export interface RunParams {
  runId: string;
  uri?: string;
}

/** Lifecycle of a run. `interrupted` = the server stopped while it ran; it can be resumed like a cancelled run. */
export type RunStatus = 'running' | 'finished' | 'failed' | 'cancelled' | 'interrupted';

/** Size and quality before and after, for list views; the full numbers are in the report. */
export interface RunOutcome {
  paramsBefore: number;
  paramsAfter: number;
  flopsBefore: number;
  flopsAfter: number;
  /** Validation accuracy in [0, 1]; null when not measured. */
  accuracyBefore: number | null;
  accuracyAfter: number | null;
  seconds: number;
}

/** One run of the history, as `dcp/listRuns` returns it. */
export interface RunHistoryEntry {
  runId: string;
  /** `file:` URI of the model the run pruned. */
  modelUri: string;
  runDir: string;
  outDir: string;
  status: RunStatus;
  /** null when the run folder's config.json is unreadable or invalid (`message` says why; the run is not resumable). */
  config: RunConfig | null;
  /** Epoch milliseconds. */
  startedAt: number;
  endedAt: number | null;
  /** Whether `dcp/resumeRun` can continue it: cancelled, failed and interrupted runs can. */
  resumable: boolean;
  /** Layers finished so far (from the checkpoint or the report). */
  layersDone: number;
  outcome: RunOutcome | null;
  /** Why it failed, in words a person can act on. */
  message: string | null;
}

export interface ListRunsParams {
  /** Only the runs of this model; omitted = every run the server knows of (this session's plus the configured runsDir). */
  uri?: string;
}

/** One engine event, tagged with its run. */
export interface RunEventParams {
  runId: string;
  /** 0-based position in the run's event log; resumed runs continue the numbering. */
  seq: number;
  event: RunEvent;
}

/** Sent once when a run stops for any reason, after its last `dcp/runEvent`. */
export interface RunEndedParams {
  runId: string;
  status: Exclude<RunStatus, 'running'>;
  /** Present when status is `finished`. */
  report: RunReport | null;
  /** Present when status is `failed`. */
  message: string | null;
  runDir: string;
  outDir: string;
  /**
   * TF.js memory in the run's worker after the engine returned (every phase's cleanup done, just before the thread
   * ends): what a leak would show as. Null when the worker died or was stopped before it could say.
   */
  workerMemory?: WorkerMemory | null;
}

/** `tf.memory()` of a worker: live tensors and their bytes. */
export interface WorkerMemory {
  numTensors: number;
  numBytes: number;
}

/** The server process's memory (`process.memoryUsage()`, bytes), after a garbage collection when the server can force one. */
export interface ServerMemory {
  heapUsed: number;
  heapTotal: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  /** Whether a full GC ran first (the server was started with `--expose-gc`); without it heapUsed includes garbage. */
  collected: boolean;
  /** Runs whose worker is alive. */
  liveRuns: number;
}

export interface DeleteRunResult {
  /** The history folder that was removed (with the default output folder inside it). */
  runDir: string;
  /** The pruned model's folder when it lies outside `runDir` and so was kept; null otherwise. */
  keptOutDir: string | null;
}

export interface CancelRunResult {
  /** false when the run had already ended (cancelling is idempotent). */
  cancelled: boolean;
}

/** Error codes of failed `dcp/…` requests (JSON-RPC `error.code`), besides the standard InvalidParams (-32602). */
export const DcpErrorCodes = {
  /** The model file does not exist or cannot be read. */
  ModelNotFound: 1001,
  /** The model file is not a valid TF.js Layers model (message says where). */
  ModelInvalid: 1002,
  /** No run with that id. */
  RunNotFound: 1003,
  /** The run cannot do that now (e.g. resuming a finished or running run). */
  RunState: 1004,
  /** An option of the run config is out of range (message names it). */
  ConfigInvalid: 1005,
} as const;

/** Commands the server's CodeLenses invoke; the extension registers them. Argument: the model's URI string. */
export const DcpCommands = {
  pruneModel: 'dcp.pruneModel',
  inspectModel: 'dcp.inspectModel',
  setLayerBudget: 'dcp.setLayerBudget',
  layerSensitivity: 'dcp.layerSensitivity',
} as const;

export interface StartSensitivityParams extends ModelParams {
  /** Rates in (0, 1) to prune each layer at (ascending after validation). */
  rates: number[];
  /** Suggest per-layer rates for this FLOPs reduction (≥ 1); null = no suggestion. */
  targetFlops: number | null;
  /** Run settings to override (data, λ, heads…); validated like a run's. */
  config?: Partial<RunConfig>;
}

export interface StartSensitivityResult {
  /** Names the analysis in its notifications and in a cancel. */
  analysisId: string;
  /** Absolute path `sensitivity.json` is written to when the analysis finishes (next to the model). */
  outFile: string;
}

export interface SensitivityEventParams {
  analysisId: string;
  event: SensitivityEvent;
}

/** The argument of `dcp.setLayerBudget` (the per-layer CodeLens): which model's recipe, and which layer in it. */
export interface LayerBudgetArgs {
  uri: string;
  layer: string;
}

// ---- messages ----------------------------------------------------------------------------------------------------

/** Sent from the client to the server to load a model and describe its layers, sizes and prunable convolutions. */
export const InspectModelRequest = new RequestType<ModelParams, ModelSummary, void>('dcp/inspectModel');

/** Sent from the client to the server to start pruning a model in a worker; answers at once with the run id. */
export const StartRunRequest = new RequestType<StartRunParams, StartRunResult, void>('dcp/startRun');

/** Sent from the client to the server to cancel a run; the run ends with `runCancelled` and writes no output. */
export const CancelRunRequest = new RequestType<RunParams, CancelRunResult, void>('dcp/cancelRun');

/** Sent from the client to the server to continue a cancelled/failed/interrupted run from its last finished layer. */
export const ResumeRunRequest = new RequestType<RunParams, StartRunResult, void>('dcp/resumeRun');

/** Sent from the client to the server to list past and current runs, newest first. */
export const ListRunsRequest = new RequestType<ListRunsParams, RunHistoryEntry[], void>('dcp/listRuns');

/** Sent from the client to the server to delete a run's history folder; refused (RunState) while the run is running. */
export const DeleteRunRequest = new RequestType<RunParams, DeleteRunResult, void>('dcp/deleteRun');

/** Sent from the client to the server to get a run's events so far, in order (to replay them into a new panel). */
export const GetRunEventsRequest = new RequestType<RunParams, RunEventParams[], void>('dcp/getRunEvents');

/** Sent from the server to the client for every event the engine yields during a run, in order. */
export const RunEventNotification = new NotificationType<RunEventParams>('dcp/runEvent');

/** Sent from the client to the server to read the server's own memory use (a diagnostic: leak soaks, bug reports). */
export const ServerMemoryRequest = new RequestType<Record<string, never>, ServerMemory, void>('dcp/serverMemory');

/** Sent from the server to the client when a run has ended (finished, failed or cancelled), with the report if any. */
export const RunEndedNotification = new NotificationType<RunEndedParams>('dcp/runEnded');

/** Sent from the client to the server to start a layer-sensitivity analysis of a model in a worker; answers at once. */
export const StartSensitivityRequest = new RequestType<StartSensitivityParams, StartSensitivityResult, void>('dcp/startSensitivity');

/** Sent from the client to the server to cancel a sensitivity analysis; it ends with `sensitivityCancelled`. */
export const CancelSensitivityRequest = new RequestType<{ analysisId: string }, { cancelled: boolean }, void>('dcp/cancelSensitivity');

/** Sent from the server to the client for every event of a sensitivity analysis, in order; the last one ends it. */
export const SensitivityEventNotification = new NotificationType<SensitivityEventParams>('dcp/sensitivityEvent');
