/**
 * The graph's focused layer in words (a live region, so keyboard users hear where they are), and for a prunable
 * conv its budget control: the run's rate, its own rate, or never prune, saved to the model's recipe by the host.
 */
import type { RecipeLayer } from '../../protocol/recipe';
import { button, el, setText } from '../dom';
import { budgetText, couplingText, flopsText, type GraphNodeInfo } from '../graph-model';
import { formatCount } from '../selectors';

type BudgetChoice = 'run' | 'rate' | 'never';

export class GraphDetail {
  readonly root: HTMLElement;
  private readonly title: HTMLHeadingElement;
  private readonly facts: HTMLParagraphElement;
  private readonly coupling: HTMLParagraphElement;
  private readonly budget: HTMLFieldSetElement;
  private readonly choice: HTMLSelectElement;
  private readonly rate: HTMLInputElement;
  private readonly save: HTMLButtonElement;
  private readonly status: HTMLParagraphElement;
  private node: GraphNodeInfo | null = null;
  private shownBudget: string | null = null;

  constructor(private readonly onBudget: (layer: string, budget: RecipeLayer | null) => void) {
    this.title = el('h3', { class: 'layer-name', text: 'No layer focused' });
    this.facts = el('p', { class: 'detail' });
    this.coupling = el('p', { class: 'detail' });
    this.choice = el('select', { attrs: { id: 'budget-choice' } }, [
      el('option', { text: 'Run rate', attrs: { value: 'run' } }),
      el('option', { text: 'Own rate', attrs: { value: 'rate' } }),
      el('option', { text: 'Never prune', attrs: { value: 'never' } }),
    ]);
    this.rate = el('input', { attrs: { id: 'budget-rate', type: 'number', min: '0', max: '0.99', step: '0.05', value: '0.5', 'aria-label': 'Own pruning rate' } });
    this.choice.addEventListener('change', () => this.syncInputs());
    this.rate.addEventListener('input', () => this.validate());
    this.save = button('Save to recipe', () => this.submit(), { class: 'primary' });
    this.status = el('p', { class: 'hint', attrs: { 'aria-live': 'polite' } });
    this.budget = el('fieldset', { class: 'budget' }, [
      el('legend', { text: 'Budget for the next run' }),
      el('div', { class: 'row' }, [el('label', { text: 'Budget', attrs: { for: 'budget-choice' } }), this.choice, this.rate, this.save]),
      this.status,
    ]);
    this.root = el('div', { class: 'graph-detail', attrs: { 'aria-live': 'polite' } }, [this.title, this.facts, this.coupling, this.budget]);
  }

  /** `editable` = the host has a model whose recipe it can write. */
  update(n: GraphNodeInfo | null, editable: boolean): void {
    this.node = n;
    if (!n) {
      setText(this.title, 'No layer focused');
      setText(this.facts, 'Click a layer, or focus the graph and use the arrow keys.');
      setText(this.coupling, '');
      this.budget.hidden = true;
      return;
    }
    const i = n.info;
    setText(this.title, i.name);
    const channels = n.kept !== null && n.total !== null ? ` · ${n.kept} of ${n.total} channels kept` : '';
    const verdict = i.prunable ? ' · prunable' : i.reason ? ` · not prunable: ${i.reason}` : '';
    setText(this.facts, `${i.className} · output [${i.outputShape.join(', ')}] · ${formatCount(i.params)} params · FLOPs ${flopsText(n)}${channels}${verdict}`);
    setText(this.coupling, i.coupling ? `Coupling: ${couplingText(i)}` : '');
    this.budget.hidden = !i.prunable;
    const key = `${i.name}|${String(n.budget)}`;
    if (key !== this.shownBudget) {
      // Only when the layer or its saved budget changed: a re-render must not overwrite what the user is typing.
      this.shownBudget = key;
      this.choice.value = n.budget === null ? 'run' : n.budget === 'never' ? 'never' : 'rate';
      if (typeof n.budget === 'number') this.rate.value = String(n.budget);
      setText(this.status, `Saved: ${budgetText(n.budget)}.`);
    }
    this.choice.disabled = !editable;
    this.syncInputs(editable);
    if (!editable) setText(this.status, 'Open a model (or start a run on one) to edit its recipe.');
  }

  private syncInputs(editable = !this.choice.disabled): void {
    this.rate.hidden = (this.choice.value as BudgetChoice) !== 'rate';
    this.rate.disabled = !editable;
    this.validate(editable);
  }

  private validate(editable = !this.choice.disabled): boolean {
    const ok = (this.choice.value as BudgetChoice) !== 'rate' || this.rateValue() !== null;
    this.rate.setAttribute('aria-invalid', String(!ok));
    this.save.disabled = !editable || !ok;
    return ok;
  }

  private rateValue(): number | null {
    const v = this.rate.valueAsNumber;
    return Number.isFinite(v) && v >= 0 && v < 1 ? v : null;
  }

  private submit(): void {
    if (!this.node || !this.validate()) return;
    const c = this.choice.value as BudgetChoice;
    const budget: RecipeLayer | null = c === 'run' ? null : c === 'never' ? { prune: false } : { rate: this.rateValue()! };
    setText(this.status, 'Saving…');
    this.onBudget(this.node.info.name, budget);
  }
}
