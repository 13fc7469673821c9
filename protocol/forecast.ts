/**
 * A run's forecast (time and peak memory per phase, estimated before any work by server/dcp/measure/forecast.ts)
 * and the actual time of each phase, read off the run's event stream. Plain JSON data: the engine puts the forecast
 * in `runStarted` and the comparison in the report; the panel and the CLI show both. Pure (no Node, no TF.js).
 */
import type { RunEvent } from './model';

/** The run's phases, in order. Loading (model, data, the unpruned model's stats) happens before `runStarted`. */
export const FORECAST_PHASES = ['heads', 'selection', 'stageFinetune', 'finetune', 'measure'] as const;
export type ForecastPhase = (typeof FORECAST_PHASES)[number];

export const PHASE_LABELS: Record<ForecastPhase, string> = {
  heads: 'Head training', selection: 'Channel selection', stageFinetune: 'Stage fine-tuning', finetune: 'Final fine-tuning', measure: 'Measuring',
};

/**
 * What the machine computes, measured by a short calibration (server/dcp/measure/calibrate.ts): a step costs a fixed
 * overhead (kernel dispatch, JS, tensor bookkeeping: what dominates small models) plus its multiply-adds at a rate.
 */
export interface MachineSpeed {
  backend: string;
  /** Training step: seconds per step, and forward multiply-adds (× samples) per second of forward + backward + update. */
  trainStepSeconds: number;
  trainMacsPerSecond: number;
  /** Inference (a forward pass without gradients): seconds per call, and multiply-adds per second. */
  inferStepSeconds: number;
  inferMacsPerSecond: number;
  /** When it was measured (ms since the epoch), and whether this run measured it or read it from the cache. */
  measuredAt: number;
  cached: boolean;
}

export interface PhaseForecast {
  phase: ForecastPhase;
  /** Estimated wall-clock seconds; 0 for a phase the run skips. */
  seconds: number;
  /** Peak bytes on the compute backend, from the memory plan; 0 for a skipped phase. */
  peakBytes: number;
}

/** Split sizes the forecast assumed (the panel re-forecasts from them). */
export interface ForecastSamples {
  train: number;
  validation: number;
  selection: number;
}

/** The measure phase's latency comparison: batch 1 and `batch`, `repeats` timed rounds after 2 warm-up rounds. */
export interface LatencyPlan {
  batch: number;
  repeats: number;
}

export interface RunForecast {
  phases: PhaseForecast[];
  seconds: number;
  speed: MachineSpeed;
  samples: ForecastSamples;
  latency: LatencyPlan;
}

/** One row of forecast vs actual (the report's `phases`). */
export interface PhaseTiming {
  phase: ForecastPhase;
  forecastSeconds: number;
  /** Measured wall-clock seconds from the event stream. */
  seconds: number;
  forecastPeakBytes: number;
}

/** The phase an event's time belongs to: the interval since the previous event was spent on it. */
export function phaseOfEvent(e: RunEvent): ForecastPhase | null {
  switch (e.type) {
    case 'trainProgress':
    case 'epochDone':
      return e.phase === 'heads' ? 'heads' : e.phase === 'stage' ? 'stageFinetune' : 'finetune';
    case 'headsTrained':
      return 'heads';
    case 'stageStarted':
    case 'selectionStarted':
    case 'selectionIteration':
    case 'layerDone':
    case 'surgeryDone':
      return 'selection';
    case 'runFinished':
      return 'measure';
    default:
      return null;
  }
}

/**
 * Seconds per phase from (event, time) pairs in stream order, from `runStarted` on: each gap between two events is
 * charged to the phase of the later one. `end` (e.g. when the report is written) closes the measure phase.
 */
export class PhaseClock {
  private last: number | null = null;
  private readonly ms = new Map<ForecastPhase, number>();

  /** Observes `e` and returns it (for `yield clock.seen(event)`). */
  seen<E extends RunEvent>(e: E): E {
    this.observe(e);
    return e;
  }

  observe(e: RunEvent): void {
    if (e.type === 'runStarted') {
      this.last = e.time;
      return;
    }
    const phase = phaseOfEvent(e);
    if (this.last !== null && phase) this.ms.set(phase, (this.ms.get(phase) ?? 0) + Math.max(0, e.time - this.last));
    this.last = e.time;
  }

  /** Charges the time from the last event until `now` to `phase` (the run's last stretch, before it reports). */
  close(phase: ForecastPhase, now: number): void {
    if (this.last === null) return;
    this.ms.set(phase, (this.ms.get(phase) ?? 0) + Math.max(0, now - this.last));
    this.last = now;
  }

  seconds(phase: ForecastPhase): number {
    return (this.ms.get(phase) ?? 0) / 1000;
  }

  compare(forecast: RunForecast): PhaseTiming[] {
    return FORECAST_PHASES.map((phase) => {
      const f = forecast.phases.find((p) => p.phase === phase);
      return { phase, forecastSeconds: f?.seconds ?? 0, seconds: this.seconds(phase), forecastPeakBytes: f?.peakBytes ?? 0 };
    });
  }
}

/** Actual seconds per phase of a whole recorded stream (the panel's view of a run, live or loaded). */
export function phaseSeconds(events: readonly RunEvent[]): Record<ForecastPhase, number> {
  const clock = new PhaseClock();
  for (const e of events) clock.observe(e);
  return Object.fromEntries(FORECAST_PHASES.map((p) => [p, clock.seconds(p)])) as Record<ForecastPhase, number>;
}

export function formatSeconds(s: number): string {
  if (s < 1) return `${s.toFixed(1)} s`;
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${(s / 60).toFixed(1)} min`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function formatBytes(b: number): string {
  return b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${(b / 2 ** 20).toFixed(0)} MiB`;
}

/** Relative error of a forecast, signed: +0.25 = the phase took 25% longer than forecast. */
export function forecastError(t: PhaseTiming): number | null {
  return t.forecastSeconds > 0 ? t.seconds / t.forecastSeconds - 1 : null;
}
