/**
 * Overview: one stacked bar per prunable layer, kept vs removed (vs still undecided) channels, or kernels for DKP.
 * Clicking a bar selects the layer; the canvas is focusable and Left/Right/Home/End move the selection; the table
 * alternative has a button per layer, so screen-reader and keyboard users can select too.
 */
import { button, chartBox, dataTable, el, fillTable, section, setText, tableBox } from '../dom';
import { overviewRows, overviewUnit, type OverviewRow } from '../selectors';
import type { PanelState } from '../state';
import { Chart, axis, baseOptions, outline, type Palette } from '../theme';

export class OverviewView {
  readonly root: HTMLElement;
  private readonly heading: HTMLHeadingElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly table = dataTable('Channels per layer');
  private readonly chart: Chart<'bar', number[], string>;
  private rows: OverviewRow[] = [];
  private palette: Palette | null = null;
  private readonly buttons = new Map<string, HTMLButtonElement>();
  private selected: string | null = null;
  private lastLayers: PanelState['layers'] | null = null;
  private lastSelected: string | null | undefined;

  constructor(palette: Palette, private readonly onSelect: (layer: string) => void) {
    const s = section('overview', 'Channels kept per layer');
    this.root = s.root;
    this.heading = s.heading;
    const { box, canvas } = chartBox('Bar chart of kept and removed channels per layer', 'chart-tall');
    this.canvas = canvas;
    canvas.tabIndex = 0;
    canvas.addEventListener('keydown', (e) => this.onKey(e));
    const hint = el('p', { class: 'hint', text: 'Click a bar, or focus the chart and use the arrow keys, to inspect a layer.' });
    s.body.append(hint, box, tableBox(this.table));
    this.chart = new Chart<'bar', number[], string>(canvas, {
      type: 'bar',
      data: { labels: [], datasets: [
        { label: 'kept', data: [], stack: 'n' },
        { label: 'removed', data: [], stack: 'n' },
        { label: 'not decided yet', data: [], stack: 'n' },
      ] },
      options: {
        ...baseOptions(palette),
        onClick: (_e, elements) => {
          const i = elements[0]?.index;
          if (i !== undefined && this.rows[i]) this.onSelect(this.rows[i].name);
        },
        interaction: { mode: 'index', intersect: false },
      },
    });
    this.recolor(palette);
  }

  update(s: PanelState, selected: string | null): void {
    if (s.layers === this.lastLayers && selected === this.lastSelected) return;
    const selectionOnly = s.layers === this.lastLayers;
    this.lastLayers = s.layers;
    this.lastSelected = selected;
    this.selected = selected;
    const unit = overviewUnit(s);
    const title = unit === 'kernels' ? 'Kernels kept per layer' : 'Channels kept per layer';
    setText(this.heading, title);
    if (this.table.caption) setText(this.table.caption, `${title} (table)`);
    this.canvas.setAttribute('aria-label', `${title}. Selected layer: ${selected ?? 'none'}. Left and right arrows change it.`);
    if (!selectionOnly) {
      this.rows = overviewRows(s);
      const [kept, removed, pending] = this.chart.data.datasets;
      this.chart.data.labels = this.rows.map((r) => r.name);
      kept.data = this.rows.map((r) => r.kept);
      removed.data = this.rows.map((r) => r.removed);
      pending.data = this.rows.map((r) => r.pending);
      const y = this.chart.options.scales?.y;
      if (y?.title) y.title.text = unit;
    }
    this.highlight();
    this.chart.update();
    fillTable(this.table, ['Layer', 'Kept', 'Removed', 'Not decided', 'Status', ''], this.rows.map((r) => [
      r.name, String(r.kept), String(r.removed), String(r.pending), r.status, this.selectButton(r.name, r.name === selected),
    ]));
  }

  /** One button per layer, kept across updates so keyboard focus survives a live run's re-renders. */
  private selectButton(name: string, pressed: boolean): HTMLButtonElement {
    let b = this.buttons.get(name);
    if (!b) {
      b = button('Select', () => this.onSelect(name), { attrs: { 'aria-label': `Select layer ${name}` } });
      this.buttons.set(name, b);
    }
    setText(b, pressed ? 'Selected' : 'Select');
    b.setAttribute('aria-pressed', String(pressed));
    return b;
  }

  recolor(p: Palette): void {
    const o = this.chart.options;
    Object.assign(o, baseOptions(p), { onClick: o.onClick, interaction: o.interaction });
    o.scales = { x: axis(p, 'layer', { stacked: true, grid: { display: false }, ticks: { autoSkip: true, maxRotation: 60 } }), y: axis(p, 'channels', { stacked: true, beginAtZero: true }) };
    const [kept, removed, pending] = this.chart.data.datasets;
    kept.backgroundColor = p.kept;
    removed.backgroundColor = p.removed;
    pending.backgroundColor = p.pending;
    this.palette = p;
    this.highlight();
    this.lastLayers = null;
  }

  /** Outlines the selected layer's bar in the focus colour; high-contrast themes outline every bar. */
  private highlight(): void {
    const p = this.palette;
    if (!p) return;
    const base = outline(p);
    const colors = this.rows.map((r) => (r.name === this.selected ? p.focus : base.borderColor));
    const widths = this.rows.map((r) => (r.name === this.selected ? 3 : base.borderWidth));
    for (const d of this.chart.data.datasets) {
      d.borderColor = colors;
      d.borderWidth = widths;
    }
  }

  private onKey(e: KeyboardEvent): void {
    if (this.rows.length === 0) return;
    const i = this.rows.findIndex((r) => r.name === this.selected);
    const last = this.rows.length - 1;
    const next = e.key === 'ArrowRight' || e.key === 'ArrowDown' ? Math.min(last, i + 1)
      : e.key === 'ArrowLeft' || e.key === 'ArrowUp' ? Math.max(0, i < 0 ? 0 : i - 1)
        : e.key === 'Home' ? 0 : e.key === 'End' ? last : null;
    if (next === null) return;
    e.preventDefault();
    this.onSelect(this.rows[next].name);
  }
}
