/**
 * The selected layer: its channel scores at one greedy iteration (the latest unless the user moves the slider),
 * channels kept before it and the one added at it marked, and for DKP its kernel mask so far. Every channel has a
 * real score; "kept earlier" comes from the earlier iterations' picks (selectors.ts), never from the score.
 */
import { button, chartBox, dataTable, el, fillTable, section, setText, tableBox } from '../dom';
import { formatLoss, layerDetail, type ChannelMark, type LayerDetail } from '../selectors';
import type { LayerState, PanelState } from '../state';
import { Chart, axis, baseOptions, withAlpha, type Palette } from '../theme';

export interface LayerViewActions {
  /** Moves the selection by `delta` layers in forward order. */
  step(delta: number): void;
  /** Shows iteration `index` (0-based); null = follow the latest. */
  iteration(index: number | null): void;
  /** Goes back to showing the layer being selected. */
  follow(): void;
}

const MARK_LABEL: Record<ChannelMark, string> = { kept: 'kept earlier', added: 'added now', candidate: 'candidate', removed: 'removed' };

export class LayerView {
  readonly root: HTMLElement;
  private readonly title: HTMLHeadingElement;
  private readonly meta: HTMLParagraphElement;
  private readonly slider: HTMLInputElement;
  private readonly sliderLabel: HTMLSpanElement;
  private readonly latest: HTMLButtonElement;
  private readonly legend: HTMLParagraphElement;
  private readonly followBtn: HTMLButtonElement;
  private readonly chart: Chart<'bar', number[], string>;
  private readonly table = dataTable('Channel scores at the shown iteration');
  private readonly mask: MaskGrid;
  private palette: Palette;
  private detail: LayerDetail | null = null;
  private last: { layer: LayerState | null; iteration: number | null } | null = null;

  constructor(palette: Palette, private readonly actions: LayerViewActions) {
    this.palette = palette;
    const s = section('layer', 'Selected layer');
    this.root = s.root;
    this.title = el('h3', { class: 'layer-name', text: 'No layer selected' });
    this.followBtn = button('Follow the run', () => actions.follow(), { attrs: { 'aria-pressed': 'true' } });
    this.meta = el('p', { class: 'hint' });
    const nav = el('div', { class: 'row' }, [
      button('◀ Previous layer', () => actions.step(-1), { attrs: { 'aria-label': 'Previous layer' } }),
      button('Next layer ▶', () => actions.step(1), { attrs: { 'aria-label': 'Next layer' } }),
      this.followBtn,
    ]);
    this.slider = el('input', { attrs: { type: 'range', min: '0', max: '0', value: '0', id: 'iteration' } });
    this.slider.addEventListener('input', () => actions.iteration(Number(this.slider.value)));
    this.sliderLabel = el('span', { attrs: { id: 'iteration-label' } });
    this.slider.setAttribute('aria-labelledby', 'iteration-label');
    this.latest = button('Latest', () => actions.iteration(null));
    const iter = el('div', { class: 'row' }, [el('label', { text: 'Iteration', attrs: { for: 'iteration' } }), this.slider, this.sliderLabel, this.latest]);
    const { box, canvas } = chartBox('Bar chart of channel scores at the shown iteration');
    this.chart = new Chart<'bar', number[], string>(canvas, {
      type: 'bar',
      data: { labels: [], datasets: [{ label: 'score', data: [] }] },
      options: baseOptions<'bar'>(palette),
    });
    this.mask = new MaskGrid(palette);
    this.legend = el('p', { class: 'hint' });
    s.body.append(this.title, this.meta, nav, iter, this.legend, box, tableBox(this.table), this.mask.root);
    this.recolor(palette);
  }

  update(s: PanelState, layer: LayerState | null, iteration: number | null, following: boolean): void {
    this.followBtn.setAttribute('aria-pressed', String(following));
    if (this.last && this.last.layer === layer && this.last.iteration === iteration) return;
    this.last = { layer, iteration };
    if (!layer) {
      setText(this.title, 'No layer selected');
      setText(this.meta, s.layerOrder.length === 0 ? 'Start a run to see its layers.' : '');
      this.detail = null;
      this.mask.update(null, new Set(), []);
      return;
    }
    const d = layerDetail(layer, iteration);
    this.detail = d;
    setText(this.title, layer.name);
    const position = `${s.layerOrder.indexOf(layer.name) + 1} of ${s.layerOrder.length}`;
    const kept = layer.result ? layer.result.kept.length : layer.kept.length;
    setText(this.meta, `Layer ${position} · stage ${layer.stage + 1} · ${layer.status} · ${kept} of ${layer.inChannels} input channels kept`
      + (d.point ? ` · iteration ${d.index + 1}: L_M ${formatLoss(d.point.lossM)}, λ·L_S ${formatLoss(d.point.lossS)}` : ''));
    const n = layer.iterations.length;
    this.slider.max = String(Math.max(0, n - 1));
    this.slider.value = String(Math.max(0, d.index));
    this.slider.disabled = n === 0;
    this.latest.disabled = iteration === null;
    setText(this.sliderLabel, n === 0 ? 'no iterations yet' : `${d.index + 1} of ${n}${iteration === null ? ' (latest)' : ''}`
      + (d.point?.kind === 'kernel' ? ' · kernel step (scores summed over outputs)' : ''));
    setText(this.legend, d.point?.kind === 'kernel'
      ? 'Kernel step: each bar sums one input channel’s kernel scores over its outputs (channels kept by channel selection in blue). The grid below shows the kernels kept so far; highlighted ones were added at this step.'
      : 'Bars: each input channel’s score at this iteration. The channel added at it is highlighted; channels kept earlier are translucent (still scored, but out of the running); candidates are grey, and at the last step the removed ones red.');
    this.chart.data.labels = d.scores.map((c) => String(c.channel));
    this.chart.data.datasets[0].data = d.scores.map((c) => c.score);
    this.applyColors();
    this.chart.update();
    fillTable(this.table, ['Channel', 'Score', 'Mark'], d.scores.map((c) =>
      [String(c.channel), formatLoss(c.score), MARK_LABEL[c.mark]]));
    this.mask.update(d.mask, d.maskAdded, layer.result?.kept ?? layer.kept);
  }

  recolor(p: Palette): void {
    this.palette = p;
    Object.assign(this.chart.options, baseOptions(p));
    this.chart.options.scales = { x: axis(p, 'input channel', { grid: { display: false }, ticks: { autoSkip: true, maxRotation: 0 } }), y: axis(p, 'score', { beginAtZero: true }) };
    this.chart.options.plugins = { ...this.chart.options.plugins, legend: { display: false } };
    this.applyColors();
    this.chart.update();
    this.mask.recolor(p);
  }

  private applyColors(): void {
    const p = this.palette;
    const color: Record<ChannelMark, string> = { kept: withAlpha(p.kept, 0.55), added: p.added, candidate: p.pending, removed: withAlpha(p.removed, 0.6) };
    const d = this.chart.data.datasets[0];
    d.backgroundColor = (this.detail?.scores ?? []).map((c) => color[c.mark]);
    d.borderColor = (this.detail?.scores ?? []).map((c) => (c.mark === 'candidate' ? p.contrastBorder ?? 'transparent' : c.mark === 'added' ? p.added : p.kept));
    d.borderWidth = 1;
  }
}

/**
 * DKP kernel mask as an input × output grid: one cell per kernel W[:,:,k,j], filled when kept. Drawn on a plain
 * canvas (thousands of cells; a DOM grid would be slow) with a per-input-channel table as its text alternative.
 */
class MaskGrid {
  readonly root: HTMLElement;
  private readonly canvas: HTMLCanvasElement;
  private readonly caption: HTMLParagraphElement;
  private readonly table = dataTable('Kept kernels per input channel');
  private mask: ReadonlyArray<ReadonlyArray<number>> | null = null;
  private added: ReadonlySet<number> = new Set();
  private keptChannels: ReadonlySet<number> = new Set();

  constructor(private palette: Palette) {
    this.canvas = el('canvas', { class: 'mask-grid', attrs: { role: 'img', 'aria-label': 'Kernel mask' } });
    this.caption = el('p', { class: 'hint' });
    this.root = el('div', { class: 'mask' }, [el('h3', { text: 'Kernel mask (input × output)' }), this.caption, this.canvas, tableBox(this.table)]);
  }

  update(mask: ReadonlyArray<ReadonlyArray<number>> | null, added: ReadonlySet<number>, keptChannels: readonly number[]): void {
    this.mask = mask;
    this.added = added;
    this.keptChannels = new Set(keptChannels);
    this.root.hidden = mask === null;
    if (!mask) return;
    const rows = mask.length;
    const cols = mask[0]?.length ?? 0;
    let kept = 0;
    for (const row of mask) for (const v of row) kept += v ? 1 : 0;
    setText(this.caption, `${kept} of ${rows * cols} kernels kept. Rows: input channels (0 at top); columns: output channels. Highlighted: added at the shown iteration.`);
    this.canvas.setAttribute('aria-label', `Kernel mask, ${rows} inputs by ${cols} outputs, ${kept} kernels kept`);
    fillTable(this.table, ['Input channel', 'Kept kernels', 'Kept outputs'], mask.map((row, k) => {
      const outs = row.flatMap((v, j) => (v ? [j] : []));
      return [String(k), `${outs.length} of ${cols}`, outs.length === cols ? 'all' : outs.join(', ') || 'none'];
    }));
    this.draw();
  }

  recolor(p: Palette): void {
    this.palette = p;
    this.draw();
  }

  /** Cells are square and at most 14 CSS px, shrinking to fit the panel's width (at least 2 px). */
  private draw(): void {
    const mask = this.mask;
    if (!mask || mask.length === 0) return;
    const rows = mask.length;
    const cols = mask[0].length;
    const width = Math.max(120, (this.root.parentElement?.clientWidth ?? 480) - 24);
    const cell = Math.max(2, Math.min(14, Math.floor(width / cols)));
    const dpr = window.devicePixelRatio || 1;
    this.canvas.width = cols * cell * dpr;
    this.canvas.height = rows * cell * dpr;
    this.canvas.style.width = `${cols * cell}px`;
    this.canvas.style.height = `${rows * cell}px`;
    const ctx = this.canvas.getContext('2d');
    if (!ctx) return;
    const p = this.palette;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = p.background;
    ctx.fillRect(0, 0, cols * cell, rows * cell);
    const gap = cell >= 6 ? 1 : 0;
    for (let k = 0; k < rows; k++) {
      // Rows of channels that channel selection dropped are empty by construction: shade them to tell them apart.
      const droppedRow = this.keptChannels.size > 0 && !this.keptChannels.has(k);
      for (let j = 0; j < cols; j++) {
        const on = mask[k][j] === 1;
        ctx.fillStyle = this.added.has(k * cols + j) ? p.added : on ? p.kept : droppedRow ? p.removed : p.pending;
        ctx.globalAlpha = on || this.added.has(k * cols + j) ? 1 : droppedRow ? 0.25 : 0.35;
        ctx.fillRect(j * cell, k * cell, cell - gap, cell - gap);
      }
    }
    ctx.globalAlpha = 1;
    if (p.contrastBorder) {
      ctx.strokeStyle = p.contrastBorder;
      ctx.strokeRect(0.5, 0.5, cols * cell - 1, rows * cell - 1);
    }
  }
}
