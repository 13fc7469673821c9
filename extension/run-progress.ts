/**
 * Turns a run's event stream into "what is it doing, how far is it" for the progress notification and the
 * status bar. Pure (no `vscode`), so the arithmetic is unit-tested.
 *
 * The percentage is a weighted sum of the pipeline's phases rather than wall-clock time: head training,
 * the per-layer selection (the bulk of a run) and the final fine-tune each own a fixed share, and within a
 * phase the fraction comes from layers done or batches seen. It only ever moves forward.
 */
import type { RunEvent } from '../protocol/model';

/** Shares of the whole run; they sum to 1. */
const SHARE = { heads: 0.15, selection: 0.65, final: 0.2 } as const;

export interface RunProgress {
  /** In [0, 1]. */
  fraction: number;
  /** One short line: stage, layer, epoch. */
  message: string;
  /** Total prunable layers, known from `runStarted`. */
  layers: number;
  layersDone: number;
  /** Set once the run has ended. */
  ended: 'finished' | 'failed' | 'cancelled' | null;
  /** From the run's config once `runStarted` arrived. */
  plan: Plan | null;
}

export const INITIAL_PROGRESS: RunProgress = { fraction: 0, message: 'Starting…', layers: 0, layersDone: 0, ended: null, plan: null };

/** The configured epoch counts, which decide whether a phase exists at all. */
export interface Plan {
  headEpochs: number;
  finetuneEpochs: number;
}

function phaseStart(plan: Plan, phase: 'heads' | 'selection' | 'final'): number {
  const heads = plan.headEpochs > 0 ? SHARE.heads : 0;
  const final = plan.finetuneEpochs > 0 ? SHARE.final : 0;
  const selection = 1 - heads - final;
  if (phase === 'heads') return 0;
  if (phase === 'selection') return heads;
  return heads + selection;
}

function phaseSize(plan: Plan, phase: 'heads' | 'selection' | 'final'): number {
  if (phase === 'heads') return plan.headEpochs > 0 ? SHARE.heads : 0;
  if (phase === 'final') return plan.finetuneEpochs > 0 ? SHARE.final : 0;
  return 1 - phaseSize(plan, 'heads') - phaseSize(plan, 'final');
}

function pct(f: number): string {
  return `${Math.round(f * 100)}%`;
}

/** Folds one event into the progress. Before `runStarted` (e.g. a replay that starts mid-run) only the message moves. */
export function advance(p: RunProgress, event: RunEvent): RunProgress {
  const plan = p.plan;
  const at = (fraction: number, message: string, extra: Partial<RunProgress> = {}): RunProgress => ({
    ...p,
    ...extra,
    fraction: Math.min(1, Math.max(p.fraction, fraction)),
    message,
  });
  switch (event.type) {
    case 'runStarted': {
      const layers = event.stages.reduce((n, s) => n + s.layers.length, 0);
      const started = { headEpochs: event.config.headEpochs, finetuneEpochs: event.config.finetuneEpochs };
      return at(0, `${event.model.name}: ${layers} prunable layers, ${event.heads.length} heads`, { layers, plan: started });
    }
    case 'trainProgress': {
      if (!plan) return p;
      const phase = event.phase === 'heads' ? 'heads' : event.phase === 'final' ? 'final' : 'selection';
      // The engine counts epochs and batches from 1 (server/dcp/train.ts).
      const within = (event.epoch - 1 + event.batch / Math.max(1, event.batches)) / Math.max(1, event.epochs);
      const label = event.phase === 'heads' ? 'Training heads' : event.phase === 'final' ? 'Fine-tuning' : `Stage ${event.stage ?? '?'} fine-tune`;
      // Stage fine-tunes happen inside the selection phase: they move the message, not the bar.
      const fraction = phase === 'selection' ? p.fraction : phaseStart(plan, phase) + phaseSize(plan, phase) * Math.min(1, within);
      return at(fraction, `${label}: epoch ${event.epoch}/${event.epochs}, loss ${event.loss.toFixed(3)}`);
    }
    case 'epochDone':
      return p;
    case 'headsTrained':
      return at(plan ? phaseStart(plan, 'selection') : 0, `Heads trained (${event.heads.length})`);
    case 'stageStarted':
      return at(p.fraction, `Stage ${event.stage}: ${event.layers.length} layers`);
    case 'selectionStarted':
      return at(p.fraction, `Stage ${event.stage} · ${event.layer}: selecting ${event.target ?? '?'} of ${event.inChannels} channels`);
    case 'selectionIteration':
      return at(p.fraction, `${event.layer}: ${event.iteration + 1} channels chosen, loss ${event.loss.toFixed(4)}`);
    case 'layerDone': {
      const layersDone = p.layersDone + 1;
      const f = plan && p.layers > 0 ? phaseStart(plan, 'selection') + phaseSize(plan, 'selection') * (layersDone / p.layers) : p.fraction;
      return at(f, `${event.result.layer}: kept ${event.result.kept.length}/${event.result.inChannels} (${layersDone}/${p.layers} layers)`, { layersDone });
    }
    case 'surgeryDone':
      return at(plan ? phaseStart(plan, 'final') : p.fraction, `Pruned: ${event.afterSelection.params.toLocaleString('en-US')} params`);
    case 'runFinished':
      return at(1, `Finished in ${event.report.seconds.toFixed(1)} s`, { ended: 'finished' });
    case 'runFailed':
      return { ...p, message: `Failed: ${event.message}`, ended: 'failed' };
    case 'runCancelled':
      return { ...p, message: 'Cancelled', ended: 'cancelled' };
  }
}

/** The status-bar text: short, with the percentage. */
export function statusText(label: string, p: RunProgress): string {
  return `${label} ${pct(p.fraction)}`;
}
