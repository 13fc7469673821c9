/**
 * What drives the choice: the reconstruction loss L_M against the weighted discrimination loss λ·L_S (DCP-SPEC §3),
 * per layer at the end of its selection, and for the selected layer over its greedy iterations.
 */
import { chartBox, dataTable, el, fillTable, section, setText, tableBox } from '../dom';
import { formatLoss, lossRows } from '../selectors';
import type { LayerState, PanelState } from '../state';
import { Chart, axis, baseOptions, outline, withAlpha, type Palette } from '../theme';

export class LossView {
  readonly root: HTMLElement;
  private readonly perLayer: Chart<'bar', number[], string>;
  private readonly curve: Chart<'line', number[], number>;
  private readonly layerTable = dataTable('L_M and λ·L_S per layer at the end of selection');
  private readonly curveTable = dataTable('Losses of the selected layer per iteration');
  private readonly curveTitle: HTMLHeadingElement;
  private lastLayers: PanelState['layers'] | null = null;
  private lastLayer: LayerState | null | undefined;
  private rowsFinal: boolean[] = [];
  private palette: Palette | null = null;

  constructor(palette: Palette) {
    const s = section('losses', 'Loss contributions');
    this.root = s.root;
    const a = chartBox('Grouped bar chart of L_M and λ·L_S per layer');
    const b = chartBox('Line chart of the selected layer’s losses over greedy iterations');
    this.curveTitle = el('h3', { text: 'Selected layer over iterations' });
    s.body.append(
      el('p', { class: 'hint', text: 'Reconstruction L_M vs. discrimination λ·L_S: the last iteration of each layer (dimmed while in progress).' }),
      a.box, tableBox(this.layerTable), this.curveTitle, b.box, tableBox(this.curveTable),
    );
    this.perLayer = new Chart<'bar', number[], string>(a.canvas, {
      type: 'bar',
      data: { labels: [], datasets: [{ label: 'L_M', data: [] }, { label: 'λ·L_S', data: [] }] },
      options: baseOptions<'bar'>(palette),
    });
    this.curve = new Chart<'line', number[], number>(b.canvas, {
      type: 'line',
      data: { labels: [], datasets: [{ label: 'L_M', data: [] }, { label: 'λ·L_S', data: [] }, { label: 'L = L_M + λ·L_S', data: [] }] },
      options: baseOptions<'line'>(palette),
    });
    this.recolor(palette);
  }

  update(s: PanelState, layer: LayerState | null): void {
    if (s.layers !== this.lastLayers) {
      this.lastLayers = s.layers;
      const rows = lossRows(s);
      this.perLayer.data.labels = rows.map((r) => r.name);
      this.perLayer.data.datasets[0].data = rows.map((r) => r.lossM);
      this.perLayer.data.datasets[1].data = rows.map((r) => r.lossS);
      this.rowsFinal = rows.map((r) => r.final);
      this.applyBarColors();
      this.perLayer.update();
      fillTable(this.layerTable, ['Layer', 'L_M', 'λ·L_S', 'Final'], rows.map((r) =>
        [r.name, formatLoss(r.lossM), formatLoss(r.lossS), r.final ? 'yes' : 'in progress']));
    }
    if (layer === this.lastLayer) return;
    this.lastLayer = layer;
    setText(this.curveTitle, layer ? `${layer.name} over iterations` : 'Selected layer over iterations');
    const its = layer?.iterations ?? [];
    // Steps are numbered by position: the engine restarts its count for DKP's kernel phase.
    this.curve.data.labels = its.map((_, i) => i + 1);
    this.curve.data.datasets[0].data = its.map((p) => p.lossM);
    this.curve.data.datasets[1].data = its.map((p) => p.lossS);
    this.curve.data.datasets[2].data = its.map((p) => p.loss);
    this.curve.update();
    fillTable(this.curveTable, ['Iteration', 'L_M', 'λ·L_S', 'L', 'Added'], its.map((p, i) =>
      [String(i + 1), formatLoss(p.lossM), formatLoss(p.lossS), formatLoss(p.loss), `${p.kind === 'kernel' ? 'kernels' : 'channel'} ${p.added.join(', ')}`]));
  }

  recolor(p: Palette): void {
    this.palette = p;
    for (const c of [this.perLayer, this.curve] as const) {
      Object.assign(c.options, baseOptions(p));
    }
    this.perLayer.options.scales = { x: axis(p, 'layer', { grid: { display: false }, ticks: { autoSkip: true, maxRotation: 60 } }), y: axis(p, 'loss', { beginAtZero: true }) };
    this.curve.options.scales = { x: axis(p, 'iteration'), y: axis(p, 'loss', { beginAtZero: true }) };
    this.applyBarColors();
    const colors = [p.lossM, p.lossS, p.foreground];
    this.curve.data.datasets.forEach((d, i) => {
      Object.assign(d, { borderColor: colors[i], backgroundColor: colors[i], pointRadius: 0, borderWidth: 2 });
      d.borderDash = i === 2 ? [4, 3] : [];
    });
    this.lastLayers = null;
    this.lastLayer = undefined;
  }

  /** Layers still being selected are drawn translucent: their values are not final yet. */
  private applyBarColors(): void {
    const p = this.palette;
    if (!p) return;
    const o = outline(p);
    [p.lossM, p.lossS].forEach((color, i) => {
      const d = this.perLayer.data.datasets[i];
      d.backgroundColor = this.rowsFinal.map((final) => (final ? color : withAlpha(color, 0.45)));
      Object.assign(d, o);
    });
  }
}
