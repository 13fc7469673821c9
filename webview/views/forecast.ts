/**
 * The run's forecast in the run controls: estimated seconds and peak memory per phase (the engine computes it when
 * the run starts, from the plan and this machine's cached calibration), then, once the run finished, the measured
 * seconds next to it and the error. The numbers are the report's `phases`; nothing is estimated here.
 */
import { FORECAST_PHASES, formatBytes, formatSeconds, forecastError, PHASE_LABELS, type PhaseTiming, type RunForecast } from '../../protocol/forecast';
import { dataTable, el, fillTable, setText } from '../dom';
import { MISSING } from '../selectors';
import type { PanelState } from '../state';

function errorText(t: PhaseTiming | undefined): string {
  if (!t) return MISSING;
  const e = forecastError(t);
  return e === null ? MISSING : `${e >= 0 ? '+' : '−'}${Math.abs(Math.round(e * 100))}%`;
}

export class ForecastView {
  readonly root: HTMLElement;
  private readonly line: HTMLParagraphElement;
  private readonly table = dataTable('Forecast per phase, and the measured time once the run finished');
  private readonly box: HTMLDivElement;
  private last: { forecast: RunForecast | null; phases: PhaseTiming[] | null; status: string } | null = null;

  constructor() {
    this.line = el('p', { class: 'hint', attrs: { id: 'forecast-line', 'aria-live': 'polite' } });
    this.box = el('div', { class: 'summary-box forecast-box' }, [this.table]);
    this.root = el('div', { class: 'forecast', attrs: { id: 'forecast' } }, [el('h3', { text: 'Forecast' }), this.line, this.box]);
  }

  update(s: PanelState): void {
    const l = this.last;
    if (l && l.forecast === s.forecast && l.phases === s.phaseTimes && l.status === s.status) return;
    this.last = { forecast: s.forecast, phases: s.phaseTimes, status: s.status };
    const f = s.forecast;
    this.box.hidden = !f;
    if (!f) {
      setText(this.line, s.status === 'idle'
        ? 'When a run starts, the engine forecasts its time and memory per phase (this machine is calibrated once, then cached).'
        : 'This run has no forecast (a resumed run, or one from an older engine).');
      return;
    }
    const done = s.phaseTimes;
    const total = done ? done.reduce((a, p) => a + p.seconds, 0) : null;
    setText(this.line, `About ${formatSeconds(f.seconds)} in all${total !== null ? `; took ${formatSeconds(total)}` : ''} · this machine: ` +
      `${(f.speed.trainMacsPerSecond / 1e9).toFixed(2)} G multiply-adds/s training on ${f.speed.backend} (${f.speed.cached ? 'cached calibration' : 'calibrated for this run'}).`);
    const rows = FORECAST_PHASES.map((phase) => {
      const p = f.phases.find((x) => x.phase === phase);
      const t = done?.find((x) => x.phase === phase);
      const skipped = !p || (p.seconds === 0 && (!t || t.seconds === 0));
      return [
        PHASE_LABELS[phase], skipped ? 'skipped' : formatSeconds(p.seconds), !p || p.peakBytes === 0 ? MISSING : formatBytes(p.peakBytes),
        t ? (skipped ? MISSING : formatSeconds(t.seconds)) : s.status === 'running' ? '…' : MISSING, skipped ? MISSING : errorText(t),
      ];
    });
    fillTable(this.table, ['Phase', 'Forecast', 'Peak memory', 'Actual', 'Error'], rows);
  }
}
