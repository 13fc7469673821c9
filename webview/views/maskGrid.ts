/**
 * DKP kernel mask as an input × output grid: one cell per kernel W[:,:,k,j], filled when kept. Drawn on a plain
 * canvas (thousands of cells; a DOM grid would be slow) with a per-input-channel table as its text alternative.
 */
import { dataTable, el, fillTable, setText, tableBox } from '../dom';
import type { Palette } from '../theme';

export class MaskGrid {
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
