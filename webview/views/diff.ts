/**
 * Before/after per layer, from the report's layerDiff: channels, parameters and FLOPs, sortable by any column
 * (header buttons, with aria-sort), optionally only the layers pruning changed. A table, so it is its own text form.
 */
import { button, el, fillTable, section, setText } from '../dom';
import { diffRows, reduction, type DiffKey } from '../graph-model';
import { formatCount, MISSING } from '../selectors';
import type { PanelState } from '../state';

const COLUMNS: Array<{ label: string; key: DiffKey | null }> = [
  { label: 'Layer', key: 'layer' }, { label: 'Type', key: null }, { label: 'In channels', key: null },
  { label: 'Out channels', key: 'channels' }, { label: 'Params before → after', key: 'params' },
  { label: 'FLOPs before → after', key: 'flops' }, { label: 'FLOPs saved', key: 'flopsSaved' },
  { label: 'Output drift', key: 'drift' },
];

export class DiffView {
  readonly root: HTMLElement;
  private readonly table: HTMLTableElement;
  private readonly hint: HTMLParagraphElement;
  private readonly changedOnly: HTMLInputElement;
  private readonly sortButtons = new Map<DiffKey, HTMLButtonElement>();
  private sort: { key: DiffKey; descending: boolean } = { key: 'order', descending: false };
  private lastDiff: PanelState['layerDiff'] | undefined;

  constructor() {
    const s = section('diff', 'Before / after per layer');
    this.root = s.root;
    this.hint = el('p', { class: 'hint', text: 'Shown when a run finishes.' });
    this.changedOnly = el('input', { attrs: { type: 'checkbox', id: 'diff-changed' } });
    this.changedOnly.checked = true;
    this.changedOnly.addEventListener('change', () => this.refresh());
    const order = button('Forward order', () => this.setSort('order'));
    const controls = el('div', { class: 'row' }, [this.changedOnly, el('label', { text: 'Only layers that changed', attrs: { for: 'diff-changed' } }), order]);
    this.table = el('table', { class: 'data-table visible-table diff-table' });
    this.table.createCaption().textContent = 'Per-layer size before and after pruning';
    const tr = el('tr');
    for (const c of COLUMNS) {
      const th = el('th', { attrs: { scope: 'col' } });
      if (c.key) {
        const key = c.key;
        const b = button(c.label, () => this.setSort(key), { class: 'sort' });
        this.sortButtons.set(key, b);
        th.append(b);
      } else {
        th.textContent = c.label;
      }
      tr.append(th);
    }
    this.table.createTHead().append(tr);
    s.body.append(this.hint, controls, el('div', { class: 'diff-box' }, [this.table]));
    this.root.hidden = true;
  }

  update(s: PanelState): void {
    if (s.layerDiff === this.lastDiff) return;
    this.lastDiff = s.layerDiff;
    this.refresh();
  }

  private setSort(key: DiffKey): void {
    // Name sorts A→Z first; the numeric columns biggest first, since the big changes are what one looks for.
    this.sort = this.sort.key === key ? { key, descending: !this.sort.descending } : { key, descending: key !== 'layer' && key !== 'order' };
    this.refresh();
  }

  private refresh(): void {
    const diff = this.lastDiff ?? null;
    this.root.hidden = diff === null;
    for (const [key, b] of this.sortButtons) {
      const th = b.parentElement as HTMLElement;
      const on = this.sort.key === key;
      th.setAttribute('aria-sort', on ? (this.sort.descending ? 'descending' : 'ascending') : 'none');
      setText(b, `${COLUMNS.find((c) => c.key === key)!.label}${on ? (this.sort.descending ? ' ▼' : ' ▲') : ''}`);
    }
    if (!diff) return;
    const rows = diffRows(diff, this.sort.key, this.sort.descending, this.changedOnly.checked);
    const changed = diffRows(diff, 'order', false, true).length;
    setText(this.hint, `${changed} of ${diff.length} layers changed. Sort by a column with its header button.`);
    fillTable(this.table, COLUMNS.map((c) => c.label), rows.map(({ d }) => [
      d.layer, d.className,
      d.inBefore === null ? MISSING : d.inBefore === d.inAfter ? String(d.inBefore) : `${d.inBefore} → ${d.inAfter}`,
      d.outBefore === d.outAfter ? String(d.outBefore) : `${d.outBefore} → ${d.outAfter}`,
      d.paramsBefore === d.paramsAfter ? formatCount(d.paramsBefore) : `${formatCount(d.paramsBefore)} → ${formatCount(d.paramsAfter)}`,
      d.flopsBefore === d.flopsAfter ? formatCount(d.flopsBefore) : `${formatCount(d.flopsBefore)} → ${formatCount(d.flopsAfter)}`,
      reduction(d.flopsBefore, d.flopsAfter),
      d.drift === undefined ? MISSING : d.drift.toPrecision(3),
    ]));
  }
}
