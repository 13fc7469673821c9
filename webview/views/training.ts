/**
 * Training: the heads' accuracies after head training (DCP-SPEC §2.2), and loss/accuracy per epoch of each
 * training phase (head training, per-stage fine-tunes, final fine-tune), one phase at a time.
 */
import type { EpochPoint } from '../../protocol/model';
import { chartBox, dataTable, el, fillTable, section, tableBox } from '../dom';
import { formatLoss, formatPercent } from '../selectors';
import type { PanelState } from '../state';
import { Chart, axis, baseOptions, outline, type Palette } from '../theme';

/** Human name of a curve key from the reducer (`heads`, `stage:N`, `final`). */
export function phaseName(key: string): string {
  if (key === 'heads') return 'Head training';
  if (key === 'final') return 'Final fine-tuning';
  return `Stage ${Number(key.slice('stage:'.length)) + 1} fine-tuning`;
}

export class TrainingView {
  readonly root: HTMLElement;
  private readonly heads: Chart<'bar', number[], string>;
  private readonly curve: Chart<'line', Array<number | null>, number>;
  private readonly headTable = dataTable('Accuracy of each head');
  private readonly curveTable = dataTable('Loss and accuracy per epoch');
  private readonly phase: HTMLSelectElement;
  private lastHeads: PanelState['headAccuracies'] | null = null;
  private lastCurve: EpochPoint[] | null = null;
  private lastOrder: string[] | null = null;

  constructor(palette: Palette, private readonly onPhase: (key: string | null) => void) {
    const s = section('training', 'Heads and fine-tuning');
    this.root = s.root;
    const a = chartBox('Bar chart of each head’s accuracy');
    const b = chartBox('Line chart of loss and accuracy per epoch');
    this.phase = el('select', { attrs: { id: 'curve-phase' } });
    this.phase.addEventListener('change', () => this.onPhase(this.phase.value === '' ? null : this.phase.value));
    s.body.append(
      el('h3', { text: 'Heads’ accuracy' }), a.box, tableBox(this.headTable),
      el('div', { class: 'row' }, [el('h3', { text: 'Training curve' }), el('label', { text: 'Phase', attrs: { for: 'curve-phase' } }), this.phase]),
      b.box, tableBox(this.curveTable),
    );
    this.heads = new Chart<'bar', number[], string>(a.canvas, {
      type: 'bar', data: { labels: [], datasets: [{ label: 'accuracy', data: [] }] }, options: baseOptions<'bar'>(palette),
    });
    this.curve = new Chart<'line', Array<number | null>, number>(b.canvas, {
      type: 'line',
      data: { labels: [], datasets: [
        { label: 'loss', data: [], yAxisID: 'y' },
        { label: 'accuracy', data: [], yAxisID: 'acc' },
        { label: 'validation accuracy', data: [], yAxisID: 'acc' },
      ] },
      options: baseOptions<'line'>(palette),
    });
    this.recolor(palette);
  }

  update(s: PanelState, phaseKey: string | null): void {
    if (s.headAccuracies !== this.lastHeads) {
      this.lastHeads = s.headAccuracies;
      const names = s.headAccuracies.map((h) => (h.index < s.heads.length ? `head ${h.index + 1} (after ${h.after})` : `classifier (${h.after})`));
      this.heads.data.labels = names;
      this.heads.data.datasets[0].data = s.headAccuracies.map((h) => h.accuracy * 100);
      this.heads.update();
      // The note column appears only when the engine warned about a head (near chance), so a healthy run stays compact.
      const warned = s.headAccuracies.some((h) => h.warning);
      fillTable(this.headTable, warned ? ['Head', 'Accuracy', 'Note'] : ['Head', 'Accuracy'],
        s.headAccuracies.map((h, i) => warned ? [names[i], formatPercent(h.accuracy), h.warning ?? ''] : [names[i], formatPercent(h.accuracy)]));
    }
    if (s.curveOrder !== this.lastOrder) {
      this.lastOrder = s.curveOrder;
      const options = [el('option', { text: 'Latest phase', attrs: { value: '' } }), ...s.curveOrder.map((k) => el('option', { text: phaseName(k), attrs: { value: k } }))];
      this.phase.replaceChildren(...options);
    }
    this.phase.value = phaseKey !== null && s.curves[phaseKey] ? phaseKey : '';
    const key = phaseKey !== null && s.curves[phaseKey] ? phaseKey : s.curveOrder.at(-1) ?? null;
    const curve = key ? s.curves[key] : [];
    if (curve === this.lastCurve) return;
    this.lastCurve = curve;
    this.curve.data.labels = curve.map((p) => p.epoch);
    this.curve.data.datasets[0].data = curve.map((p) => p.loss);
    this.curve.data.datasets[1].data = curve.map((p) => (p.accuracy === null ? null : p.accuracy * 100));
    this.curve.data.datasets[2].data = curve.map((p) => (p.valAccuracy === null ? null : p.valAccuracy * 100));
    this.curve.update();
    if (this.curveTable.caption) this.curveTable.caption.textContent = `${key ? phaseName(key) : 'Training'}: loss and accuracy per epoch`;
    fillTable(this.curveTable, ['Epoch', 'Loss', 'Accuracy', 'Validation accuracy'], curve.map((p) =>
      [String(p.epoch), formatLoss(p.loss), formatPercent(p.accuracy), formatPercent(p.valAccuracy)]));
  }

  recolor(p: Palette): void {
    Object.assign(this.heads.options, baseOptions(p));
    this.heads.options.scales = { x: axis(p, '', { grid: { display: false } }), y: axis(p, 'accuracy (%)', { min: 0, max: 100 }) };
    this.heads.options.plugins = { ...this.heads.options.plugins, legend: { display: false } };
    Object.assign(this.heads.data.datasets[0], { backgroundColor: p.accuracy }, outline(p));
    Object.assign(this.curve.options, baseOptions(p));
    this.curve.options.scales = {
      x: axis(p, 'epoch'),
      y: axis(p, 'loss', { position: 'left', beginAtZero: true }),
      acc: axis(p, 'accuracy (%)', { position: 'right', min: 0, max: 100, grid: { drawOnChartArea: false } }),
    };
    const colors = [p.lossS, p.accuracy, p.kept];
    this.curve.data.datasets.forEach((d, i) => {
      Object.assign(d, { borderColor: colors[i], backgroundColor: colors[i], pointRadius: 3, borderWidth: 2 });
      d.borderDash = i === 2 ? [4, 3] : [];
    });
    this.heads.update();
    this.curve.update();
  }
}
