/**
 * The progress line: which pipeline step and layer a run is at, and an ETA. Pure and clock-free: every estimate
 * comes from event times, so a replayed run shows the same numbers as it did live.
 *
 * ETA model: greedy selection costs about the same per iteration within a run (two passes over the fixed selection
 * set, DCP-SPEC §3), so remaining selection = mean ms per iteration × iterations still expected; training phases cost
 * the latest measured epoch time per epoch still to come.
 */
import type { RunConfig, StepPlanInfo } from '../protocol/model';
import type { LayerState, PanelState, PipelineStep, RunStatus, TrainTick } from './state';

export interface ProgressInfo {
  status: RunStatus;
  stepLabel: string;
  /** "stage 2 of 3 · layer 4 of 9: name · 5 of 16 channels", or "epoch 2 of 3 · batch 5 of 12". */
  detail: string | null;
  layer: string | null;
  /** Overall fraction done in [0, 1]; null before anything can be estimated. */
  fraction: number | null;
  etaSeconds: number | null;
  /** `run` = until the whole run ends; `step` = only the current step could be estimated. */
  etaScope: 'run' | 'step' | null;
  elapsedSeconds: number | null;
}

const STEP_LABELS: Record<PipelineStep, string> = {
  starting: 'Starting', heads: 'Training heads', selection: 'Selecting channels', stageFinetune: 'Fine-tuning stage',
  surgery: 'Removing channels', finetune: 'Fine-tuning', done: 'Finished',
};
const STATUS_LABELS: Partial<Record<RunStatus, string>> = { idle: 'No run', failed: 'Failed', cancelled: 'Cancelled' };

/** Iterations a layer's selection is expected to take (actual for finished layers; the rate rule's count otherwise). */
export function expectedIterations(layer: LayerState, config: RunConfig | null, plan?: StepPlanInfo): number {
  if (layer.status === 'done') return layer.iterations.length;
  const rate = config?.rate ?? 0.5;
  const keep = layer.target ?? layer.inChannels - Math.floor(rate * layer.inChannels);
  // Channels per greedy step: the layer's own once it started, else auto's plan, else the config's K (0 = auto = 1).
  const perStep = layer.perStep ?? plan?.perStep[layer.name] ?? config?.channelsPerStep ?? 1;
  const steps = Math.ceil(keep / Math.max(1, perStep));
  if (config?.method !== 'dkp' || layer.outChannels === null) return Math.max(steps, layer.iterations.length);
  const kernels = keep * layer.outChannels;
  const keptKernels = kernels - Math.floor(config.kernelRate * kernels);
  return Math.max(steps + Math.ceil(keptKernels / Math.max(1, config.kernelsPerStep)), layer.iterations.length);
}

/** Remaining ms of selection, or null before the first iteration gives a rate. */
function selectionRemainingMs(s: PanelState): number | null {
  let spent = 0;
  let done = 0;
  let remaining = 0;
  for (const name of s.layerOrder) {
    const l = s.layers[name];
    const last = l.iterations.at(-1);
    if (l.startedAt !== null && last) spent += (l.status === 'done' ? last.time : (s.lastTime ?? last.time)) - l.startedAt;
    done += l.iterations.length;
    if (l.status !== 'done') remaining += expectedIterations(l, s.config, s.stepPlan) - l.iterations.length;
  }
  return done === 0 ? null : (spent / done) * remaining;
}

function trainRemainingMs(tick: TrainTick | null, since: number | null): number | null {
  if (!tick || since === null) return null;
  const done = (tick.epoch - 1) * tick.batches + tick.batch;
  const total = tick.epochs * tick.batches;
  return done <= 0 ? null : ((tick.time - since) / done) * Math.max(0, total - done);
}

/** Training still to come after the current step: per-stage fine-tunes not yet run, and the final fine-tune. */
function laterTrainingMs(s: PanelState, afterStep: PipelineStep): number | null {
  const c = s.config;
  if (!c) return null;
  const stagesLeft = s.stages.filter((st) => st.index > (s.currentStage ?? -1)).length
    + (afterStep === 'selection' ? 1 : 0);
  const epochs = (c.stageFinetune && (afterStep === 'selection' || afterStep === 'stageFinetune') ? stagesLeft : 0)
    + (afterStep === 'finetune' ? 0 : c.finetuneEpochs);
  if (epochs === 0) return 0;
  return s.epochMs === null ? null : epochs * s.epochMs;
}

export function progressInfo(s: PanelState): ProgressInfo {
  const elapsedSeconds = s.startedAt !== null && s.lastTime !== null ? (s.lastTime - s.startedAt) / 1000 : null;
  const base = { status: s.status, layer: null, fraction: null, etaSeconds: null, etaScope: null, elapsedSeconds } as const;
  const statusLabel = STATUS_LABELS[s.status];
  if (statusLabel) return { ...base, stepLabel: statusLabel, detail: s.failure };
  if (s.status === 'finished') return { ...base, stepLabel: STEP_LABELS.done, detail: null, fraction: 1, etaSeconds: 0, etaScope: 'run' };

  let stepMs: number | null = null;
  let detail: string | null = null;
  let layer: string | null = null;
  let stepLabel = STEP_LABELS[s.step];
  if (s.step === 'selection') {
    stepMs = selectionRemainingMs(s);
    layer = s.currentLayer;
    const l = layer ? s.layers[layer] : undefined;
    if (l) {
      const unit = l.iterations.at(-1)?.kind === 'kernel' ? 'kernel steps' : 'channels';
      if (unit === 'kernel steps') stepLabel = 'Selecting kernels';
      const kept = unit === 'channels' ? `${l.kept.length} of ${l.target ?? l.inChannels} channels` : `${l.iterations.length} of ${expectedIterations(l, s.config, s.stepPlan)} steps`;
      const stage = s.stages.length > 0 ? `stage ${l.stage + 1} of ${s.stages.length} · ` : '';
      detail = `${stage}layer ${s.layerOrder.indexOf(l.name) + 1} of ${s.layerOrder.length}: ${l.name} · ${kept}`;
    }
  } else if (s.train && (s.step === 'heads' || s.step === 'stageFinetune' || s.step === 'finetune')) {
    const t = s.train;
    stepMs = trainRemainingMs(t, s.stepStartedAt);
    if (s.step === 'stageFinetune') stepLabel = `${STEP_LABELS.stageFinetune} ${(t.stage ?? 0) + 1}`;
    detail = `epoch ${t.epoch} of ${t.epochs} · batch ${t.batch} of ${t.batches}`;
  }
  let later = s.step === 'heads' || s.step === 'starting' ? null : laterTrainingMs(s, s.step);
  // A stage fine-tune sits between stages: the later stages' selection is still to come.
  if (s.step === 'stageFinetune' && later !== null) later += selectionRemainingMs(s) ?? 0;
  const runMs = stepMs !== null && later !== null ? stepMs + later : null;
  const etaMs = runMs ?? stepMs;
  const etaSeconds = etaMs === null ? null : etaMs / 1000;
  const fraction = runMs !== null && elapsedSeconds !== null && elapsedSeconds + runMs / 1000 > 0
    ? elapsedSeconds / (elapsedSeconds + runMs / 1000) : null;
  return { ...base, stepLabel, detail, layer, fraction, etaSeconds, etaScope: etaMs === null ? null : runMs !== null ? 'run' : 'step' };
}
