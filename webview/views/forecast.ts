/**
 * The forecast in the run controls. For the next run: its time per phase as the form and the recipe stand, estimated
 * (protocol/forecast-estimate.ts) from the shown run's plan, memory plan, split sizes and this machine's calibrated
 * speed, so it follows every edit before Start. For the shown run: the engine's forecast when it started (seconds
 * and peak memory per phase), then, once it finished, the measured seconds next to it and the error (the report's
 * `phases`).
 */
import { estimateRun } from '../../protocol/forecast-estimate';
import type { RunConfig } from '../../protocol/model';
import { layerRate, type Recipe } from '../../protocol/recipe';
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
  private readonly next: HTMLParagraphElement;
  private last: { forecast: RunForecast | null; phases: PhaseTiming[] | null; status: string } | null = null;

  constructor() {
    this.line = el('p', { class: 'hint', attrs: { id: 'forecast-line', 'aria-live': 'polite' } });
    // The table is in the document only while there is a forecast to fill it: an empty table says nothing.
    this.box = el('div', { class: 'summary-box forecast-box' });
    this.next = el('p', { class: 'forecast-next', attrs: { id: 'forecast-next', 'aria-live': 'polite' } });
    this.root = el('div', { class: 'forecast', attrs: { id: 'forecast' } }, [el('h3', { text: 'Forecast' }), this.next, this.line, this.box]);
  }

  /** `config`: what Start would send (the form over the defaults); `recipe`: the model's budgets (undefined = none known). */
  update(s: PanelState, config: RunConfig | null, recipe: Recipe | null | undefined): void {
    setText(this.next, config ? nextRunText(s, config, recipe ?? null) : '');
    const l = this.last;
    if (l && l.forecast === s.forecast && l.phases === s.phaseTimes && l.status === s.status) return;
    this.last = { forecast: s.forecast, phases: s.phaseTimes, status: s.status };
    const f = s.forecast;
    this.box.hidden = !f;
    if (f && this.table.parentNode !== this.box) this.box.append(this.table);
    if (!f) {
      this.table.remove();
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

/** The next run's forecast in words, or '' when there is no run of this model to take the plan and speed from. */
export function nextRunText(s: PanelState, config: RunConfig, recipe: Recipe | null): string {
  const f = nextRunForecast(s, config, recipe);
  if (!f) return '';
  const parts = f.phases.filter((p) => p.seconds > 0).map((p) => `${PHASE_LABELS[p.phase].toLowerCase()} ${formatSeconds(p.seconds)}`);
  return `Next run with these settings: about ${formatSeconds(f.seconds)} (${parts.join(', ')}), from the shown run's plan and this machine's speed.`;
}

export function nextRunForecast(s: PanelState, config: RunConfig, recipe: Recipe | null): RunForecast | null {
  if (!s.forecast || !s.model || !s.memory) return null;
  const info = new Map(s.model.layers.map((l) => [l.name, l]));
  const convs = s.stages.flatMap((st) => st.layers.map((name) => ({ name, stage: st.index }))).flatMap(({ name, stage }) => {
    const c = info.get(name)?.inChannels ?? 0;
    const r = layerRate(recipe, name, config.rate);
    return r === 'never' || c === 0 ? [] : [{ conv: name, inChannels: c, stage, keep: Math.max(1, c - Math.floor(r * c)) }];
  });
  return estimateRun({
    summary: s.model, stages: s.stages, heads: s.heads, convs, config, samples: s.forecast.samples, memory: s.memory,
    speed: s.forecast.speed, latency: s.forecast.latency,
  });
}
