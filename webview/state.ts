/**
 * The panel's state, derived from a run's event stream by a pure reducer: no DOM, no clock, no randomness,
 * so the same stream always gives the same state (replays after a reload, unit tests on recorded streams).
 * Updates are immutable with structural sharing: views re-render a section only when its slice changed identity.
 * Large arrays from events (scores, masks) are referenced, not copied: the event log already holds them.
 */
import type {
  EpochPoint, FoldingReport, HeadAccuracy, HeadInfo, LayerDiff, LayerLatency, LayerResult, MemoryPlan, ModelStats, ModelSummary, RunConfig, RunEvent, StageInfo, StepPlanInfo, TrainPhase,
} from '../protocol/model';
import type { PhaseTiming, RunForecast } from '../protocol/forecast';

export type RunStatus = 'idle' | 'running' | 'finished' | 'failed' | 'cancelled';

/** Pipeline step the run is in, for the progress line (DCP-SPEC §2). */
export type PipelineStep = 'starting' | 'heads' | 'selection' | 'stageFinetune' | 'surgery' | 'finetune' | 'done';

/**
 * One greedy step (the engine numbers them from 1, and again from 1 for DKP's kernel phase). `kind` = what `scores` are over: `channel` = one score per input channel;
 * `kernel` (DKP) = one per kernel, row-major [inChannels][outChannels], and `added` holds flat indices k·out + j.
 */
export interface IterationPoint {
  iteration: number;
  kind: 'channel' | 'kernel';
  added: number[];
  /**
   * The gradient score of every unit at this step (finite numbers, see RunEvent in protocol/model.ts), units
   * selected at earlier steps included: which those are comes from the earlier iterations' `added`, not the scores.
   */
  scores: readonly number[];
  lossM: number;
  /** λ·L_S, the same convention as LayerResult.lossS. */
  lossS: number;
  loss: number;
  time: number;
}

export interface LayerState {
  name: string;
  stage: number;
  inChannels: number;
  /** Output channels when the model summary gives them (needed to read DKP kernel indices). */
  outChannels: number | null;
  /** Channels the `rate` rule keeps; null for epsilon/adaptive rules. */
  target: number | null;
  status: 'pending' | 'selecting' | 'done';
  iterations: IterationPoint[];
  /** Input channels selected so far, in the order they were added. */
  kept: number[];
  /** DKP kernel mask [in][out] so far (final once done); null for channel-only methods. */
  kernelMask: ReadonlyArray<ReadonlyArray<number>> | null;
  result: LayerResult | null;
  startedAt: number | null;
  /** Channels per greedy step (selectionStarted); absent = one, or the config's K. */
  perStep?: number;
}

/** Latest batch-level progress of a training phase. Epochs and batches count from 1, as the engine yields them. */
export interface TrainTick {
  phase: TrainPhase;
  stage: number | null;
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  loss: number;
  time: number;
}

export interface PanelState {
  runId: string | null;
  status: RunStatus;
  step: PipelineStep;
  failure: string | null;
  /** runStarted events folded so far: 1 for a fresh run, one more per resumed attempt (each begins with runStarted). */
  attempt: number;
  config: RunConfig | null;
  model: ModelSummary | null;
  heads: HeadInfo[];
  stages: StageInfo[];
  currentStage: number | null;
  /** Prunable layers in forward order. */
  layerOrder: string[];
  layers: Readonly<Record<string, LayerState>>;
  currentLayer: string | null;
  headAccuracies: HeadAccuracy[];
  before: ModelStats | null;
  afterSelection: ModelStats | null;
  after: ModelStats | null;
  /** Epoch curves per phase key (`heads`, `stage:N`, `final`), keys in the order phases began. */
  curves: Readonly<Record<string, EpochPoint[]>>;
  curveOrder: string[];
  train: TrainTick | null;
  /** Duration (ms) of the latest finished training epoch of any phase, for estimating the ones still to come. */
  epochMs: number | null;
  epochStartedAt: number | null;
  /** Event times (ms) of the run's start, of the current step's start and of the latest event. */
  startedAt: number | null;
  stepStartedAt: number | null;
  lastTime: number | null;
  eventCount: number;
  /** Per-layer before → after sizes from the report (null until the run finishes, or from an older engine). */
  layerDiff: LayerDiff[] | null;
  /** The engine's forecast of this run (runStarted); null for resumed runs and older engines. */
  forecast: RunForecast | null;
  /** The run's memory plan (runStarted); the next run's forecast reuses it. */
  memory: MemoryPlan | null;
  /** Auto channels-per-step's plan (runStarted), when it raised any conv above one per step. */
  stepPlan?: StepPlanInfo;
  /** Forecast vs measured seconds per phase, from the report (null until the run finishes). */
  phaseTimes: PhaseTiming[] | null;
  /** Where the report's latency was timed, and its per-conv latency when the run measured it (null until it finishes). */
  latency: LatencyReport | null;
}

/** The report's latency beyond the stats: the backend it was timed on (`backend` in older reports), why not the chosen one, per conv. */
export interface LatencyReport {
  backend: string;
  note: string | null;
  /** Null when the run did not time each conv (`layerLatency` off). */
  layers: LayerLatency[] | null;
  /** With `foldBatchNorm`: what the saved model folded and the unpruned model folded the same way; or why nothing was folded. */
  folding: FoldingReport | null;
  foldingNote: string | null;
}

export function initialState(runId: string | null = null): PanelState {
  return {
    runId, status: 'idle', step: 'starting', failure: null, attempt: 0, config: null, model: null, heads: [], stages: [],
    currentStage: null, layerOrder: [], layers: {}, currentLayer: null, headAccuracies: [], before: null,
    afterSelection: null, after: null, curves: {}, curveOrder: [], train: null, epochMs: null, epochStartedAt: null,
    startedAt: null, stepStartedAt: null, lastTime: null, eventCount: 0, layerDiff: null, forecast: null, memory: null, phaseTimes: null, latency: null,
  };
}

/** Key of a training phase's curve. */
export function phaseKey(phase: TrainPhase, stage: number | null): string {
  return phase === 'stage' ? `stage:${stage ?? 0}` : phase;
}

const STEP_OF_PHASE: Record<TrainPhase, PipelineStep> = { heads: 'heads', stage: 'stageFinetune', final: 'finetune' };

/** Folds one event into the state. Unknown event types (a newer engine) leave the state unchanged but counted. */
export function reduce(state: PanelState, event: RunEvent): PanelState {
  const s: PanelState = { ...state, eventCount: state.eventCount + 1, lastTime: event.time };
  switch (event.type) {
    case 'runStarted':
      return startRun(s, event);
    case 'trainProgress': {
      const { type: _t, ...tick } = event;
      // The first batch's event comes after that batch ran: the epoch began at the event before it.
      const epochStartedAt = event.batch === 1 ? (state.lastTime ?? event.time) : s.epochStartedAt;
      return withStep({ ...s, train: tick, epochStartedAt }, STEP_OF_PHASE[event.phase], event.time);
    }
    case 'epochDone': {
      const key = phaseKey(event.phase, event.stage);
      const curve = [...(s.curves[key] ?? []), event.point];
      const curveOrder = s.curves[key] ? s.curveOrder : [...s.curveOrder, key];
      const epochMs = s.epochStartedAt === null ? s.epochMs : event.time - s.epochStartedAt;
      return withStep({ ...s, curves: { ...s.curves, [key]: curve }, curveOrder, epochMs }, STEP_OF_PHASE[event.phase], event.time);
    }
    case 'headsTrained':
      return { ...s, headAccuracies: event.heads };
    case 'stageStarted':
      return withStep({ ...s, currentStage: event.stage }, 'selection', event.time);
    case 'selectionStarted': {
      // A layer's selection always starts from nothing (W = 0), also when a resumed run redoes it.
      const layer = ensureLayer(s, event.layer, event.stage, event.inChannels);
      const next: LayerState = { ...emptyLayer(layer.name, event.stage, event.inChannels, layer.outChannels),
        target: event.target, status: 'selecting', startedAt: event.time, ...(event.channelsPerStep ? { perStep: event.channelsPerStep } : {}) };
      return withStep(putLayer({ ...s, currentLayer: event.layer, currentStage: event.stage }, next), 'selection', event.time);
    }
    case 'selectionIteration':
      return putLayer(s, addIteration(ensureLayer(s, event.layer, s.currentStage ?? 0, event.scores.length), event));
    case 'layerDone': {
      const r = event.result;
      const layer = ensureLayer(s, r.layer, r.stage, r.inChannels);
      return putLayer(s, { ...layer, status: 'done', kept: r.kept, kernelMask: r.kernelMask ?? layer.kernelMask, result: r });
    }
    case 'surgeryDone':
      return withStep({ ...s, afterSelection: event.afterSelection }, 'surgery', event.time);
    case 'runFinished':
      return finishRun(s, event.report);
    case 'runFailed':
      return { ...s, status: 'failed', failure: event.message };
    case 'runCancelled':
      return { ...s, status: 'cancelled' };
    default:
      return s;
  }
}

/** Folds many events; the webview calls this once per animation frame with everything queued since the last one. */
export function reduceAll(state: PanelState, events: Iterable<RunEvent>): PanelState {
  let s = state;
  for (const e of events) s = reduce(s, e);
  return s;
}

function startRun(s: PanelState, e: Extract<RunEvent, { type: 'runStarted' }>): PanelState {
  const base = initialState(s.runId);
  const layerOrder = e.model.prunable.length > 0 ? e.model.prunable : e.stages.flatMap((st) => st.layers);
  // A resumed run (same log, same layers) starts again with runStarted and continues after its last finished
  // layer: keep what the earlier attempt finished, drop the rest.
  const resumed = s.model !== null && s.layerOrder.length === layerOrder.length && s.layerOrder.every((l, i) => l === layerOrder[i]);
  const stageOf = new Map(e.stages.flatMap((st) => st.layers.map((l) => [l, st.index] as const)));
  const info = new Map(e.model.layers.map((l) => [l.name, l]));
  const layers: Record<string, LayerState> = {};
  for (const name of layerOrder) {
    const li = info.get(name);
    const earlier = resumed ? s.layers[name] : undefined;
    layers[name] = earlier?.status === 'done' ? earlier
      : emptyLayer(name, stageOf.get(name) ?? 0, li?.inChannels ?? 0, li?.outChannels ?? null);
  }
  const kept = resumed ? { headAccuracies: s.headAccuracies, curves: s.curves, curveOrder: s.curveOrder, epochMs: s.epochMs } : {};
  return {
    ...base, status: 'running', step: 'starting', config: e.config, model: e.model, heads: e.heads, stages: e.stages,
    before: e.before, layerOrder, layers, startedAt: e.time, stepStartedAt: e.time, lastTime: e.time,
    eventCount: s.eventCount, attempt: s.attempt + 1, ...kept, forecast: e.forecast ?? null, memory: e.memory ?? null, phaseTimes: null,
    ...(e.stepPlan ? { stepPlan: e.stepPlan } : {}),
  };
}

function finishRun(s: PanelState, report: Extract<RunEvent, { type: 'runFinished' }>['report']): PanelState {
  // The report is authoritative: it fixes up anything a dropped event left stale.
  let next: PanelState = {
    ...s, status: 'finished', step: 'done', before: report.before, afterSelection: report.afterSelection,
    after: report.after, headAccuracies: report.heads.length > 0 ? report.heads : s.headAccuracies, currentLayer: null,
    layerDiff: report.layerDiff ?? null, phaseTimes: report.phases ?? null,
    latency: {
      backend: report.latencyBackend ?? report.backend, note: report.latencyBackendNote ?? null, layers: report.layerLatency ?? null,
      folding: report.folding ?? null, foldingNote: report.foldingNote ?? null,
    },
  };
  for (const r of report.layers) {
    const layer = ensureLayer(next, r.layer, r.stage, r.inChannels);
    next = putLayer(next, { ...layer, status: 'done', kept: r.kept, kernelMask: r.kernelMask ?? layer.kernelMask, result: r });
  }
  if (report.finetune.length > 0 && !next.curves.final) {
    next = { ...next, curves: { ...next.curves, final: report.finetune }, curveOrder: [...next.curveOrder, 'final'] };
  }
  return next;
}

function emptyLayer(name: string, stage: number, inChannels: number, outChannels: number | null): LayerState {
  return { name, stage, inChannels, outChannels, target: null, status: 'pending', iterations: [], kept: [],
    kernelMask: null, result: null, startedAt: null };
}

/** The layer's state, created when a stream names a layer the model summary did not list. */
function ensureLayer(s: PanelState, name: string, stage: number, inChannels: number): LayerState {
  return s.layers[name] ?? emptyLayer(name, stage, inChannels, null);
}

function putLayer(s: PanelState, layer: LayerState): PanelState {
  const known = Object.hasOwn(s.layers, layer.name);
  return { ...s, layers: { ...s.layers, [layer.name]: layer }, layerOrder: known ? s.layerOrder : [...s.layerOrder, layer.name] };
}

function withStep(s: PanelState, step: PipelineStep, time: number): PanelState {
  return s.step === step ? s : { ...s, step, stepStartedAt: time };
}

function addIteration(layer: LayerState, e: Extract<RunEvent, { type: 'selectionIteration' }>): LayerState {
  const out = layer.outChannels;
  const isKernel = out !== null && out > 1 && e.scores.length === layer.inChannels * out;
  const point: IterationPoint = { iteration: e.iteration, kind: isKernel ? 'kernel' : 'channel', added: e.added,
    scores: e.scores, lossM: e.lossM, lossS: e.lossS, loss: e.loss, time: e.time };
  const iterations = [...layer.iterations, point];
  if (!isKernel) {
    return { ...layer, status: 'selecting', iterations, kept: [...layer.kept, ...e.added.filter((k) => !layer.kept.includes(k))] };
  }
  // DKP starts each layer's kernel selection from an empty mask (W = 0) and adds a batch of kernels per step.
  const mask = layer.kernelMask && layer.kernelMask.length === layer.inChannels
    ? layer.kernelMask.map((row) => [...row])
    : Array.from({ length: layer.inChannels }, () => new Array<number>(out).fill(0));
  for (const flat of e.added) {
    const k = Math.floor(flat / out);
    if (k >= 0 && k < layer.inChannels) mask[k][flat % out] = 1;
  }
  return { ...layer, status: 'selecting', iterations, kernelMask: mask };
}
