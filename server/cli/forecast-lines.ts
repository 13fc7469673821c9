/** The run's forecast as terminal lines: one line when the run starts, forecast vs actual per phase when it ends. */
import { formatBytes, formatSeconds, forecastError, PHASE_LABELS, type PhaseTiming, type RunForecast } from '../../protocol/forecast';
import { formatTable } from './table';

export function forecastSummary(f: RunForecast): string {
  const parts = f.phases.filter((p) => p.seconds > 0).map((p) => `${PHASE_LABELS[p.phase].toLowerCase()} ${formatSeconds(p.seconds)}`);
  const rate = `${(f.speed.trainMacsPerSecond / 1e9).toFixed(2)} G MAC/s training`;
  return `forecast: about ${formatSeconds(f.seconds)} (${parts.join(', ')}; ${rate}, ${f.speed.cached ? 'cached calibration' : 'calibrated now'})`;
}

/** A signed percentage: +25% = took a quarter longer than forecast. */
export function errorText(t: PhaseTiming): string {
  const e = forecastError(t);
  return e === null ? (t.seconds > 0 ? 'not forecast' : '') : `${e >= 0 ? '+' : '−'}${Math.abs(Math.round(e * 100))}%`;
}

export function phaseTimingLines(phases: readonly PhaseTiming[]): string[] {
  const rows = phases.filter((p) => p.seconds > 0 || p.forecastSeconds > 0)
    .map((p) => [PHASE_LABELS[p.phase], formatSeconds(p.forecastSeconds), formatSeconds(p.seconds), errorText(p), p.forecastPeakBytes > 0 ? formatBytes(p.forecastPeakBytes) : '']);
  const total: PhaseTiming = {
    phase: 'measure', forecastSeconds: phases.reduce((a, p) => a + p.forecastSeconds, 0), seconds: phases.reduce((a, p) => a + p.seconds, 0), forecastPeakBytes: 0,
  };
  rows.push(['Total', formatSeconds(total.forecastSeconds), formatSeconds(total.seconds), errorText(total), '']);
  return formatTable(['phase', 'forecast', 'actual', 'error', 'peak memory (plan)'], rows, [false, true, true, true, true]);
}
