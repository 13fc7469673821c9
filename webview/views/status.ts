/**
 * Where the run is and what it achieved. The header: model and run, the pipeline step and layer, a progress bar
 * with elapsed time and ETA, notices from the host, and the switch that shows every chart's data table on screen.
 * The summary: params, FLOPs, accuracy (before, after selection, after fine-tuning) and measured latency; already a
 * table, so it is its own text alternative and always shown.
 */
import { button, dataTable, el, fillTable, section, setText } from '../dom';
import { progressInfo } from '../progress';
import { formatDuration, summaryRows, type HostNotice, visibleNotice } from '../selectors';
import type { PanelState } from '../state';

export class HeaderView {
  readonly root: HTMLElement;
  private readonly title: HTMLHeadingElement;
  private readonly badge: HTMLSpanElement;
  private readonly step: HTMLSpanElement;
  private readonly detail: HTMLSpanElement;
  private readonly bar: HTMLDivElement;
  private readonly fill: HTMLDivElement;
  private readonly times: HTMLSpanElement;
  private readonly notice: HTMLParagraphElement;
  private readonly tablesToggle: HTMLButtonElement;

  constructor(onToggleTables: () => void) {
    this.title = el('h1', { text: 'DCP pruning' });
    this.badge = el('span', { class: 'badge' });
    this.tablesToggle = button('Show data tables', onToggleTables, { class: 'secondary', attrs: { 'aria-pressed': 'false' } });
    // Only the step is a live region: it changes a few times per run, while the detail changes every iteration.
    this.step = el('span', { class: 'step', attrs: { 'aria-live': 'polite' } });
    this.detail = el('span', { class: 'detail' });
    this.fill = el('div', { class: 'progress-fill' });
    this.bar = el('div', { class: 'progress', attrs: { role: 'progressbar', 'aria-label': 'Run progress', 'aria-valuemin': '0', 'aria-valuemax': '100' } }, [this.fill]);
    this.times = el('span', { class: 'times' });
    this.notice = el('p', { class: 'notice', attrs: { role: 'alert' } });
    this.notice.hidden = true;
    this.root = el('header', { class: 'header' }, [
      el('div', { class: 'row title-row' }, [this.title, this.badge, el('span', { class: 'spacer' }), this.tablesToggle]),
      el('div', { class: 'row progress-row' }, [this.step, this.detail]),
      this.bar,
      this.times,
      this.notice,
    ]);
  }

  update(s: PanelState, hostNotice: HostNotice | null): void {
    const info = progressInfo(s);
    setText(this.title, s.model ? `DCP pruning: ${s.model.name}` : 'DCP pruning');
    setText(this.badge, s.config ? `${s.config.method.toUpperCase()} · ${info.stepLabel}` : info.stepLabel);
    this.badge.dataset.status = s.status;
    setText(this.step, info.stepLabel);
    setText(this.detail, info.detail ?? '');
    const pct = info.fraction === null ? null : Math.round(info.fraction * 100);
    this.bar.classList.toggle('indeterminate', pct === null && s.status === 'running');
    this.fill.style.width = `${pct ?? (s.status === 'finished' ? 100 : 0)}%`;
    if (pct === null) this.bar.removeAttribute('aria-valuenow');
    else this.bar.setAttribute('aria-valuenow', String(pct));
    const parts: string[] = [];
    if (info.elapsedSeconds !== null) parts.push(`elapsed ${formatDuration(info.elapsedSeconds)}`);
    if (s.status === 'running') {
      parts.push(info.etaSeconds === null ? 'ETA: estimating…'
        : `ETA ${formatDuration(info.etaSeconds)}${info.etaScope === 'step' ? ' (this step)' : ''}`);
    }
    if (pct !== null && s.status === 'running') parts.unshift(`${pct} %`);
    setText(this.times, parts.join(' · '));
    const notice = visibleNotice(s, hostNotice);
    this.notice.hidden = notice === null;
    if (notice) this.notice.dataset.level = notice.level;
    setText(this.notice, notice?.message ?? '');
  }

  setTablesShown(shown: boolean): void {
    this.tablesToggle.setAttribute('aria-pressed', String(shown));
    setText(this.tablesToggle, shown ? 'Hide data tables' : 'Show data tables');
  }
}

export class SummaryView {
  readonly root: HTMLElement;
  private readonly table = dataTable('Model before and after pruning');
  private readonly note: HTMLParagraphElement;
  private last: PanelState | null = null;

  constructor() {
    const s = section('summary', 'Before and after');
    this.root = s.root;
    this.table.classList.add('visible-table');
    this.note = el('p', { class: 'hint' });
    s.body.append(el('div', { class: 'summary-box' }, [this.table]), this.note);
  }

  update(s: PanelState): void {
    if (this.last && s.before === this.last.before && s.afterSelection === this.last.afterSelection && s.after === this.last.after
      && s.status === this.last.status) return;
    this.last = s;
    fillTable(this.table, ['Metric', 'Before', 'After selection', 'After fine-tuning', 'Change'],
      summaryRows(s).map((r) => [r.label, r.before, r.afterSelection, r.after, r.change]));
    setText(this.note, noteFor(s));
  }
}

/** What the "after" columns mean right now, since they fill in over the run. */
function noteFor(s: PanelState): string {
  if (s.status === 'idle') return 'Start a run to measure the model.';
  if (s.status === 'finished') {
    const cfg = s.config;
    const when = s.startedAt !== null && s.lastTime !== null ? ` in ${formatDuration((s.lastTime - s.startedAt) / 1000)}` : '';
    return `Finished${when}. Accuracy is measured on the held-out split; latency is the median at batch 1 and batch ${s.before?.latencyBatch ?? 1}${s.latency ? ` on ${s.latency.backend}` : ''}`
      + (cfg?.method === 'dkp' ? '; DKP counts only kept kernels (the dense kernel keeps its zeros).' : '.');
  }
  if (!s.afterSelection) return 'After-selection and fine-tuned numbers appear once channels are removed.';
  return 'Fine-tuned numbers appear when the run finishes.';
}
