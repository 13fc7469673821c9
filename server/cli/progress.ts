import type { RunEvent, StepPlanInfo } from '../../protocol/model';
import { formatSeconds } from '../../protocol/forecast';
import { forecastSummary, phaseTimingLines } from './forecast-lines';
import { memorySummary } from './memory-plan';

/** Raw writes for the redrawn status line (a TTY's stream). */
export interface StatusSink {
  write(s: string): unknown;
}

/**
 * Renders the engine's events on a terminal: one redrawn progress line on a TTY, plain lines otherwise
 * (CI logs, pipes). It only formats; the engine does not know it exists.
 */
export class ProgressPrinter {
  private started = Date.now();
  private line = '';
  private layers = 0;
  private layersDone = 0;
  private current = '';
  private selectionTarget: number | null = null;
  private perStep = 1;

  /** `say` prints a milestone line; `status`, when given, is a TTY stream for the redrawn progress line. */
  constructor(private readonly sayLine: (line: string) => void, private readonly statusOut: StatusSink | null) {}

  onEvent(e: RunEvent): void {
    switch (e.type) {
      case 'runStarted':
        this.started = e.time;
        this.layers = e.stages.reduce((a, s) => a + s.layers.length, 0);
        this.say(`pruning ${e.model.name} (${this.layers} prunable convs, ${e.heads.length} auxiliary heads) with ${e.config.method} at rate ${e.config.rate}, λ = ${e.config.lambda}, stop = ${e.config.stop}`);
        this.say(`before: accuracy ${pct(e.before.accuracy)}, ${e.before.params} params, ${e.before.flops} FLOPs`);
        if (e.memory) this.say(memorySummary(e.memory));
        if (e.forecast) this.say(forecastSummary(e.forecast));
        if (e.stepPlan) this.say(stepPlanLine(e.stepPlan));
        break;
      case 'trainProgress':
        this.status(`${phaseName(e.phase, e.stage)} epoch ${e.epoch}/${e.epochs} ${bar(e.batch / e.batches)} batch ${e.batch}/${e.batches} loss ${e.loss.toFixed(4)}`);
        break;
      case 'epochDone':
        this.say(`${phaseName(e.phase, e.stage)} epoch ${e.point.epoch}: loss ${e.point.loss.toFixed(4)}${e.point.valAccuracy !== null ? `, val accuracy ${pct(e.point.valAccuracy)}` : ''}`);
        break;
      case 'headsTrained':
        this.say(`heads trained: ${e.heads.map((h) => `${h.after} ${pct(h.accuracy)}`).join(', ')}`);
        for (const h of e.heads) if (h.warning) this.say(`warning: head after ${h.after}: ${h.warning}`);
        break;
      case 'stageStarted':
        this.say(`stage ${e.stage}: ${e.layers.join(', ')}`);
        break;
      case 'selectionStarted':
        this.current = e.layer;
        this.selectionTarget = e.target;
        this.perStep = e.channelsPerStep ?? 1;
        this.status(`selecting ${e.layer} (${e.inChannels} input channels${e.target !== null ? `, keeping ${e.target}` : ''})`);
        break;
      case 'selectionIteration': {
        const frac = this.selectionTarget ? Math.min(1, (e.iteration * this.perStep) / this.selectionTarget) : 0;
        this.status(`layer ${this.layersDone + 1}/${this.layers} ${this.current} ${bar(frac)} iter ${e.iteration} L_M ${e.lossM.toFixed(4)} λL_S ${e.lossS.toFixed(4)}${this.eta()}`);
        break;
      }
      case 'layerDone':
        this.layersDone++;
        this.say(`  ${e.result.layer}: kept ${e.result.kept.length}/${e.result.inChannels} channels${e.result.keptKernels !== undefined ? `, ${e.result.keptKernels}/${e.result.totalKernels} kernels` : ''}, L_M ${e.result.lossM.toFixed(4)}, λ·L_S ${e.result.lossS.toFixed(4)} (${e.result.seconds.toFixed(1)} s)`);
        break;
      case 'surgeryDone':
        this.say(`after selection (before fine-tuning): accuracy ${pct(e.afterSelection.accuracy)}, ${e.afterSelection.params} params, ${e.afterSelection.flops} FLOPs`);
        break;
      case 'runFinished':
        this.say(`done in ${((e.time - this.started) / 1000).toFixed(1)} s; pruned model: ${e.report.model.output}`);
        if (e.report.phases) for (const line of phaseTimingLines(e.report.phases)) this.say(line);
        break;
      case 'runFailed':
        this.say(`run failed: ${e.message}`);
        break;
      case 'runCancelled':
        this.say('run cancelled; nothing was written');
        break;
    }
  }

  private eta(): string {
    if (this.layersDone === 0) return '';
    const perLayer = (Date.now() - this.started) / this.layersDone;
    return `  ETA selection ${Math.round((perLayer * (this.layers - this.layersDone)) / 1000)} s`;
  }

  /** A transient line: redrawn in place on a TTY, not printed otherwise (plain logs get only milestones). */
  private status(s: string): void {
    if (!this.statusOut) return;
    const text = s.length > 150 ? s.slice(0, 149) + '…' : s;
    this.statusOut.write(`\r${text.padEnd(this.line.length)}`);
    this.line = text;
  }

  private say(s: string): void {
    this.clear();
    this.sayLine(s);
  }

  /** Erases the status line (before a milestone, and when the run ends). */
  clear(): void {
    if (this.statusOut && this.line) {
      this.statusOut.write(`\r${' '.repeat(this.line.length)}\r`);
      this.line = '';
    }
  }
}

function phaseName(phase: string, stage: number | null): string {
  if (phase === 'heads') return 'head training';
  if (phase === 'stage') return `stage ${stage} fine-tune`;
  return 'fine-tune';
}

function bar(frac: number, width = 20): string {
  const n = Math.max(0, Math.min(width, Math.round(frac * width)));
  return `[${'#'.repeat(n)}${'.'.repeat(width - n)}]`;
}

function pct(a: number | null): string {
  return a === null ? '-' : `${(a * 100).toFixed(2)}%`;
}

/** Auto channels-per-step's plan, when it raised any conv above one per step. */
export function stepPlanLine(p: StepPlanInfo): string {
  const ks = Object.values(p.perStep);
  const most = Math.max(...ks);
  return `selection budget: one channel per step is forecast at ${formatSeconds(p.secondsOneByOne)}, over dcp.selectionMinutes; ` +
    `greedy steps capped at ${p.cap} per conv (1-${most} channels per step, forecast ${formatSeconds(p.seconds)})` + (p.note ? `; ${p.note}` : '');
}
