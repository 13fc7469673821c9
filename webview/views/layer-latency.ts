/**
 * Latency per conv, before → after pruning, from the report's `layerLatency` (each conv timed alone, at batch 1 and
 * at the latency batch, on the report's `latencyBackend`). Sorted by the time saved at the latency batch, since
 * that is where pruning paid off; a bar chart of before vs after per conv, the table with every number (always
 * shown: it is the content), and the sums over the convs next to the whole model's latency, which they do not add
 * up to (no BatchNorm, activations or framework overhead). A finished run without it says how to get it.
 */
import type { FoldingReport, LayerLatency } from '../../protocol/model';
import { chartBox, el, fillTable, section, setText } from '../dom';
import { MISSING } from '../selectors';
import type { LatencyReport, PanelState } from '../state';
import { Chart, axis, baseOptions, outline, type Palette } from '../theme';

/** Milliseconds with enough digits for a single conv (often well under 1 ms). */
export function formatLayerMs(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return MISSING;
  const a = Math.abs(v);
  const digits = a >= 100 ? String(Math.round(a)) : a >= 1 ? a.toFixed(2) : a === 0 ? '0' : a.toPrecision(2);
  return `${v < 0 ? '−' : ''}${digits} ms`;
}

function speedUp(before: number | null | undefined, after: number | null | undefined): string {
  if (!before || !after || !Number.isFinite(before) || !Number.isFinite(after)) return MISSING;
  return `${(before / after).toFixed(2)}×`;
}

const change = (a: number, b: number): string => (a === b ? String(a) : `${a} → ${b}`);
const span = (before: number | null | undefined, after: number | null | undefined): string => `${formatLayerMs(before)} → ${formatLayerMs(after)}`;

/** One conv's row: `saved` = ms saved at the latency batch (negative when the pruned conv is slower). */
export interface LatencyRow {
  l: LayerLatency;
  saved: number;
}

/** Convs by the time saved at the latency batch, most first; ties (and NaN) keep model order. */
export function latencyRows(layers: readonly LayerLatency[]): LatencyRow[] {
  const rows = layers.map((l, i) => ({ l, i, saved: l.before[1] - l.after[1] }));
  const key = (r: { saved: number }) => (Number.isFinite(r.saved) ? r.saved : -Infinity);
  return rows.sort((a, b) => key(b) - key(a) || a.i - b.i).map(({ l, saved }) => ({ l, saved }));
}

/** Σ over the convs of [before, after] at [batch 1, latency batch]. */
export function latencySums(layers: readonly LayerLatency[]): { before: [number, number]; after: [number, number] } {
  const sum = (pick: (l: LayerLatency) => number) => layers.reduce((a, l) => a + pick(l), 0);
  return { before: [sum((l) => l.before[0]), sum((l) => l.before[1])], after: [sum((l) => l.after[0]), sum((l) => l.after[1])] };
}

const HINT_OFF = 'Per-layer latency was not measured in this run. Turn on the dcp.layerLatency setting (CLI: --layer-latency) '
  + 'to time every convolution on its own, before and after pruning; dcp.latencyBackend (--latency-backend) picks the backend to time on.';

/**
 * With `foldBatchNorm`, the whole-model "after" is the folded model: this line says what folding removed and how the
 * unpruned model folded the same way compares, i.e. pruning's own gain.
 */
export function foldingLine(f: FoldingReport | null, note: string | null, after: PanelState['after'], batch: number): string {
  if (note) return `BatchNorm folding: ${note}`;
  if (!f) return '';
  const bns = f.convs.filter((c) => c.batchNorm).length;
  const acts = f.convs.filter((c) => c.activation).length;
  return `The saved model has ${bns} BatchNorm and ${acts} activation layers folded into their convolutions (${f.layers[0]} → ${f.layers[1]} layers); `
    + `"after" is that model. Pruning alone (the unpruned model folded the same way → the saved model): batch 1 ${span(f.beforeFoldedLatencyMs1, after?.latencyMs1)} `
    + `(${speedUp(f.beforeFoldedLatencyMs1, after?.latencyMs1)}), batch ${batch} ${span(f.beforeFoldedLatencyMsBatch, after?.latencyMsBatch)} (${speedUp(f.beforeFoldedLatencyMsBatch, after?.latencyMsBatch)}).`;
}

export class LayerLatencyView {
  readonly root: HTMLElement;
  private readonly line: HTMLParagraphElement;
  private readonly note: HTMLParagraphElement;
  private readonly folding: HTMLParagraphElement;
  private readonly body: HTMLDivElement;
  /** Chart and tables: in the document only while there are rows to show (an empty table says nothing). */
  private readonly content: HTMLDivElement;
  private readonly table: HTMLTableElement;
  private readonly totals: HTMLTableElement;
  private readonly chart: Chart<'bar', number[], string>;
  private palette: Palette;
  /** The y axis's title; the scales are rebuilt when it changes (writing through Chart.js's option proxies is lost before the first draw). */
  private yTitle = 'ms';
  private last: { latency: LatencyReport | null; before: PanelState['before']; after: PanelState['after'] } | null = null;

  constructor(palette: Palette) {
    const s = section('layer-latency', 'Latency per layer');
    this.root = s.root;
    this.line = el('p', { class: 'hint', attrs: { id: 'layer-latency-line' } });
    this.note = el('p', { class: 'hint', attrs: { id: 'layer-latency-note' } });
    this.folding = el('p', { class: 'hint', attrs: { id: 'layer-latency-folding' } });
    const { box, canvas } = chartBox('Bar chart of each convolution\'s latency before and after pruning, at the latency batch, most time saved first', 'chart-tall');
    this.table = el('table', { class: 'data-table visible-table latency-table' });
    this.table.createCaption().textContent = 'Latency of each convolution timed alone, before → after pruning, most time saved first';
    this.totals = el('table', { class: 'data-table visible-table latency-totals' });
    this.totals.createCaption().textContent = 'Sum over the convolutions vs the whole model';
    this.content = el('div', {}, [box, el('div', { class: 'diff-box' }, [this.table]), el('div', { class: 'summary-box' }, [this.totals])]);
    this.body = s.body;
    s.body.append(this.line, this.note, this.folding);
    this.chart = new Chart<'bar', number[], string>(canvas, {
      type: 'bar',
      data: { labels: [], datasets: [{ label: 'before', data: [] }, { label: 'after', data: [] }] },
      options: { ...baseOptions(palette), interaction: { mode: 'index', intersect: false } },
    });
    this.palette = palette;
    this.recolor(palette);
    this.root.hidden = true;
  }

  update(s: PanelState): void {
    const l = this.last;
    if (l && l.latency === s.latency && l.before === s.before && l.after === s.after) return;
    this.last = { latency: s.latency, before: s.before, after: s.after };
    const lat = s.latency;
    this.root.hidden = lat === null;
    if (!lat) return;
    setText(this.note, lat.note ?? '');
    this.note.hidden = lat.note === null;
    const folding = foldingLine(lat.folding, lat.foldingNote, s.after, s.before?.latencyBatch ?? 1);
    setText(this.folding, folding);
    this.folding.hidden = folding === '';
    const layers = lat.layers;
    if (!layers) {
      this.content.remove();
      setText(this.line, HINT_OFF);
      return;
    }
    if (this.content.parentNode !== this.body) this.body.append(this.content);
    const batch = s.before?.latencyBatch ?? 1;
    setText(this.line, `${layers.length} convolutions, each timed alone on ${lat.backend} (median ms), sorted by the time saved at batch ${batch}.`);
    const rows = latencyRows(layers);
    this.chart.data.labels = rows.map((r) => r.l.layer);
    this.chart.data.datasets[0].data = rows.map((r) => r.l.before[1]);
    this.chart.data.datasets[1].data = rows.map((r) => r.l.after[1]);
    const title = `ms at batch ${batch}`;
    if (title !== this.yTitle) {
      this.yTitle = title;
      this.setScales(this.palette);
    }
    this.chart.update();
    fillTable(this.table, ['Layer', 'Type', 'In channels', 'Out channels', 'Batch 1', 'Speed-up', `Batch ${batch}`, 'Speed-up', `Saved at batch ${batch}`],
      rows.map(({ l, saved }) => [
        l.layer, l.className, change(l.inputShape[0].at(-1) ?? 0, l.inputShape[1].at(-1) ?? 0), change(l.outChannels[0], l.outChannels[1]),
        span(l.before[0], l.after[0]), speedUp(l.before[0], l.after[0]), span(l.before[1], l.after[1]), speedUp(l.before[1], l.after[1]),
        formatLayerMs(saved),
      ]));
    const sums = latencySums(layers);
    const b = s.before;
    const a = s.after;
    fillTable(this.totals, ['', 'Batch 1', 'Speed-up', `Batch ${batch}`, 'Speed-up'], [
      [`Sum over ${layers.length} convolutions`, span(sums.before[0], sums.after[0]), speedUp(sums.before[0], sums.after[0]), span(sums.before[1], sums.after[1]), speedUp(sums.before[1], sums.after[1])],
      ['Whole model', span(b?.latencyMs1, a?.latencyMs1), speedUp(b?.latencyMs1, a?.latencyMs1), span(b?.latencyMsBatch, a?.latencyMsBatch), speedUp(b?.latencyMsBatch, a?.latencyMsBatch)],
    ]);
  }

  recolor(p: Palette): void {
    const o = this.chart.options;
    Object.assign(o, baseOptions(p), { interaction: o.interaction });
    this.palette = p;
    this.setScales(p);
    const [before, after] = this.chart.data.datasets;
    const line = outline(p);
    Object.assign(before, { backgroundColor: p.added, ...line });
    Object.assign(after, { backgroundColor: p.kept, ...line });
    this.chart.update();
    this.last = null;
  }

  private setScales(p: Palette): void {
    this.chart.options.scales = {
      x: axis(p, 'convolution', { grid: { display: false }, ticks: { autoSkip: true, maxRotation: 60 } }),
      y: axis(p, this.yTitle, { beginAtZero: true }),
    };
  }
}
