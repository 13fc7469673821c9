/**
 * Before/after at a glance: params, FLOPs, accuracy (before, after selection, after fine-tuning) and measured
 * latency. Already a table, so it is its own text alternative; shown on screen always.
 */
import { dataTable, el, fillTable, section, setText } from '../dom';
import { formatDuration } from '../format';
import { summaryRows } from '../selectors';
import type { PanelState } from '../state';

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
    return `Finished${when}. Accuracy is measured on the held-out split; latency is the median at batch 1 and batch ${s.before?.latencyBatch ?? 1}`
      + (cfg?.method === 'dkp' ? '; DKP counts only kept kernels (the dense kernel keeps its zeros).' : '.');
  }
  if (!s.afterSelection) return 'After-selection and fine-tuned numbers appear once channels are removed.';
  return 'Fine-tuned numbers appear when the run finishes.';
}
