/**
 * Layer sensitivity (issue 16): one curve per prunable layer, x = pruning rate, y = accuracy drop on the selection
 * set (or the layer's joint loss), each layer pruned alone. The suggested per-layer rates are drawn as large marks
 * on their curves and listed; "Apply suggestion" hands the suggestion's recipe to the host, which writes the model's
 * recipe file as the graph view's budget edits do. The data table is the chart's text alternative.
 */
import type { Recipe } from '../../protocol/recipe';
import { parseRates } from '../../protocol/sensitivity';
import { button, chartBox, dataTable, el, fillTable, section, setText, tableBox } from '../dom';
import { sensitivityStatusText, suggestionOf, type SensitivityState } from '../sensitivity-state';
import { Chart, axis, baseOptions, type Palette } from '../theme';

export type SensitivityMetric = 'accuracyDrop' | 'jointLoss';

export interface SensitivityActions {
  start(rates: number[], targetFlops: number | null): void;
  apply(recipe: Recipe): void;
  metric(m: SensitivityMetric): void;
}

const AXIS: Record<SensitivityMetric, string> = { accuracyDrop: 'accuracy drop (points)', jointLoss: 'joint loss L_M + λ·L_S' };
/** VS Code's chart colours, in the order curves take them; past six, the dash pattern tells curves apart. */
const SERIES_VARS = ['charts-blue', 'charts-orange', 'charts-green', 'charts-purple', 'charts-red', 'charts-yellow'];
const SERIES_FALLBACK = ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'];
const DASHES: number[][] = [[], [6, 3], [2, 2], [8, 3, 2, 3]];

type Line = Chart<'line', { x: number; y: number }[], number>;

export class SensitivityView {
  readonly root: HTMLElement;
  private readonly chart: Line;
  private readonly table = dataTable('Accuracy drop (points) / joint loss per layer and rate; the suggested rate is marked');
  private readonly status: HTMLParagraphElement;
  private readonly suggestion: HTMLParagraphElement;
  private readonly ratesInput: HTMLInputElement;
  private readonly targetInput: HTMLInputElement;
  private readonly problem: HTMLParagraphElement;
  private readonly startBtn: HTMLButtonElement;
  private readonly applyBtn: HTMLButtonElement;
  private readonly toggles: Record<SensitivityMetric, HTMLButtonElement>;
  /** Chart, suggestion and table: in the section only once there is something to show (no empty chart or table). */
  private readonly results: HTMLDivElement;
  private readonly body: HTMLDivElement;
  private palette: Palette;
  private colors: string[] = SERIES_FALLBACK;
  private last: { s: SensitivityState; metric: SensitivityMetric } | null = null;

  constructor(palette: Palette, private readonly actions: SensitivityActions) {
    this.palette = palette;
    const s = section('sensitivity', 'Layer sensitivity');
    this.root = s.root;
    this.ratesInput = el('input', { attrs: { type: 'text', value: '0.1,0.3,0.5,0.7', 'aria-label': 'Rates to measure', size: '16' } });
    this.targetInput = el('input', { attrs: { type: 'number', value: '2', min: '1', step: '0.1', 'aria-label': 'Target FLOPs reduction', class: 'target-input' } });
    this.problem = el('p', { class: 'problems', attrs: { role: 'alert' } });
    this.startBtn = button('Analyse sensitivity', () => this.start());
    this.applyBtn = button('Apply suggestion', () => {
      const sug = this.last ? suggestionOf(this.last.s) : null;
      if (sug?.feasible) this.actions.apply(sug.recipe);
    }, { class: 'apply-suggestion' });
    this.toggles = {
      accuracyDrop: button('Accuracy drop', () => this.actions.metric('accuracyDrop'), { class: 'secondary', attrs: { 'aria-pressed': 'true' } }),
      jointLoss: button('Joint loss', () => this.actions.metric('jointLoss'), { class: 'secondary', attrs: { 'aria-pressed': 'false' } }),
    };
    this.status = el('p', { class: 'hint sensitivity-status', attrs: { 'aria-live': 'polite' } });
    this.suggestion = el('p', { class: 'detail sensitivity-suggestion' });
    const c = chartBox('Line chart: accuracy drop or joint loss per pruning rate, one curve per layer', 'chart-tall');
    s.body.append(
      el('div', { class: 'row' }, [
        el('label', { text: 'Rates ' }, [this.ratesInput]), el('label', { text: 'Target FLOPs reduction × ' }, [this.targetInput]), this.startBtn,
        el('span', { class: 'spacer' }), el('span', { attrs: { role: 'group', 'aria-label': 'Plotted value' } }, [this.toggles.accuracyDrop, this.toggles.jointLoss]),
      ]),
      this.problem, this.status,
    );
    this.body = s.body;
    this.results = el('div', { class: 'sensitivity-results' }, [c.box, el('div', { class: 'row' }, [this.suggestion, this.applyBtn]), tableBox(this.table)]);
    this.chart = new Chart(c.canvas, { type: 'line', data: { datasets: [] }, options: baseOptions<'line'>(palette) }) as Line;
    this.recolor(palette);
  }

  /** `canEdit`: the host has a model whose recipe it can write (the graph view's budget controls use the same flag). */
  update(s: SensitivityState, metric: SensitivityMetric, canEdit: boolean): void {
    setText(this.status, sensitivityStatusText(s));
    this.startBtn.disabled = s.status === 'running';
    const sug = suggestionOf(s);
    this.applyBtn.disabled = !(sug?.feasible && canEdit);
    this.applyBtn.title = !sug ? 'Analyse with a target to get a suggestion' : !sug.feasible ? sug.message : canEdit ? 'Save as the model\'s recipe' : 'Open a model to save its recipe';
    setText(this.suggestion, sug
      ? `Suggestion for ${sug.target.flopsReduction}× fewer FLOPs: ${sug.feasible ? `${sug.reduction.toFixed(2)}× with a summed accuracy drop of ${(sug.accuracyDrop * 100).toFixed(1)} points (before fine-tuning).` : sug.message}`
      : '');
    for (const m of ['accuracyDrop', 'jointLoss'] as const) this.toggles[m].setAttribute('aria-pressed', String(m === metric));
    const any = s.order.length > 0;
    if (any && !this.results.isConnected) {
      this.body.append(this.results);
      this.chart.resize();
    } else if (!any && this.results.isConnected) {
      this.results.remove();
    }
    if (this.last && this.last.s === s && this.last.metric === metric) return;
    this.last = { s, metric };
    const value = (p: { accuracyDrop: number; jointLoss: number }): number => (metric === 'accuracyDrop' ? p.accuracyDrop * 100 : p.jointLoss);
    this.chart.data.datasets = s.order.filter((l) => (s.points[l]?.length ?? 0) > 0).map((layer, i) => {
      const pts = s.points[layer] ?? [];
      const chosen = sug?.feasible ? sug.rates[layer] : undefined;
      const color = this.colors[i % this.colors.length];
      return {
        label: layer, data: pts.map((p) => ({ x: p.rate, y: value(p) })),
        borderColor: color, backgroundColor: color, borderWidth: 2, borderDash: DASHES[Math.floor(i / this.colors.length) % DASHES.length],
        pointRadius: pts.map((p) => (p.rate === chosen ? 8 : 3)),
        pointStyle: pts.map((p) => (p.rate === chosen ? 'rectRot' : 'circle')),
        pointBorderColor: pts.map((p) => (p.rate === chosen ? this.palette.foreground : color)),
        pointBorderWidth: pts.map((p) => (p.rate === chosen ? 2 : 1)),
      };
    });
    this.chart.options.scales = {
      // Up to a step past the largest rate measured: the curves use the width, and 0 anchors the unpruned end.
      x: axis(this.palette, 'pruning rate η', { type: 'linear', min: 0, max: Math.min(1, Math.ceil((Math.max(0, ...s.rates) + 0.1) * 10) / 10) }) as never,
      y: axis(this.palette, AXIS[metric], { beginAtZero: metric === 'jointLoss' }) as never,
    };
    this.chart.update();
    fillTable(this.table, ['Layer', ...s.rates.map((r) => `η=${r}`), 'Suggested'], s.order.map((layer) => {
      const pts = s.points[layer] ?? [];
      const chosen = sug?.feasible ? sug.rates[layer] : undefined;
      return [layer, ...s.rates.map((r) => {
        const p = pts.find((q) => q.rate === r);
        return p ? `${(p.accuracyDrop * 100).toFixed(1)} / ${p.jointLoss.toPrecision(3)}${p.rate === chosen ? ' ◆' : ''}` : '…';
      }), chosen === undefined ? '' : chosen === 0 ? 'unpruned' : String(chosen)];
    }));
  }

  recolor(p: Palette): void {
    this.palette = p;
    const style = getComputedStyle(document.body);
    this.colors = SERIES_VARS.map((v, i) => style.getPropertyValue(`--vscode-${v}`).trim() || SERIES_FALLBACK[i]);
    Object.assign(this.chart.options, baseOptions<'line'>(p));
    this.last = null;
  }

  private start(): void {
    let rates: number[];
    try {
      rates = parseRates(this.ratesInput.value);
    } catch (e) {
      setText(this.problem, (e as Error).message);
      return;
    }
    const text = this.targetInput.value.trim();
    const target = text === '' ? null : Number(text);
    if (target !== null && !(Number.isFinite(target) && target >= 1)) {
      setText(this.problem, 'The target FLOPs reduction must be a number ≥ 1, or empty for no suggestion.');
      return;
    }
    setText(this.problem, '');
    this.actions.start(rates, target);
  }
}
