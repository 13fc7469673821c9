/**
 * Run controls: the options users change most (DCP-SPEC §2-4), and Start / Cancel / Resume. Choices, ranges and the
 * check of what was typed come from the settings table (protocol/settings.ts), the same one the host and the server
 * apply: a value out of range is marked here and never sent (the host would drop the message).
 */
import type { PruneMethod, RunConfig, StopRule } from '../../protocol/model';
import { PRUNE_METHODS, RUN_SETTINGS, STOP_RULES, type RunSettingKey } from '../../protocol/settings';
import { collectRunConfigPatch, expectation, settingJsonSchema } from '../../protocol/settings-validate';
import { button, el, section } from '../dom';
import type { RunStatus } from '../state';

export interface ControlActions {
  start(config: Partial<RunConfig>): void;
  cancel(): void;
  resume(): void;
  /** The form changed: persist it. */
  edit(form: Partial<RunConfig>): void;
}

type NumberField = 'rate' | 'lambda' | 'epsilon' | 'tau' | 'heads' | 'headEpochs' | 'finetuneEpochs' | 'kernelRate';

/** Which numbers the panel offers, how they are labelled and how far a spinner click moves; ranges are the table's. */
const NUMBERS: ReadonlyArray<{ key: NumberField; label: string; step: number; hint: string }> = [
  { key: 'rate', label: 'Pruning rate η', step: 0.05, hint: 'fraction of input channels removed per layer' },
  { key: 'lambda', label: 'λ', step: 0.1, hint: 'weight of the discrimination loss L_S' },
  { key: 'epsilon', label: 'ε', step: 0.001, hint: 'stop when the relative loss change is below ε' },
  { key: 'tau', label: 'τ', step: 0.01, hint: 'stop when L ≤ (1+τ)·L(all channels)' },
  { key: 'heads', label: 'Heads P', step: 1, hint: 'auxiliary heads; empty = chosen from depth' },
  { key: 'headEpochs', label: 'Head epochs', step: 1, hint: 'most epochs of head training (stops on a plateau)' },
  { key: 'finetuneEpochs', label: 'Fine-tune epochs', step: 1, hint: 'final fine-tuning; 0 skips it' },
  { key: 'kernelRate', label: 'Kernel rate', step: 0.05, hint: 'DKP: fraction of kernels removed' },
];
const LABELS: Partial<Record<RunSettingKey, string>> = { method: 'Method', stop: 'Stopping rule', data: 'Data', ...Object.fromEntries(NUMBERS.map((f) => [f.key, f.label])) };

/** HTML min/max of a numeric setting. An exclusive maximum (rate < 1) cannot be said in HTML: the spinner stops a step short. */
function rangeAttrs(key: NumberField, step: number): Record<string, string> {
  const { base } = settingJsonSchema(RUN_SETTINGS[key]);
  const attrs: Record<string, string> = {};
  if (base.minimum !== undefined) attrs.min = String(base.minimum);
  if (base.maximum !== undefined) attrs.max = String(base.maximum);
  else if (base.exclusiveMaximum !== undefined) attrs.max = String(Math.round((base.exclusiveMaximum - step) * 1e6) / 1e6);
  return attrs;
}

export class ControlsView {
  readonly root: HTMLElement;
  private readonly form: HTMLFormElement;
  private readonly inputs = new Map<NumberField, HTMLInputElement>();
  private readonly method: HTMLSelectElement;
  private readonly stop: HTMLSelectElement;
  private readonly data: HTMLInputElement;
  private readonly startBtn: HTMLButtonElement;
  private readonly cancelBtn: HTMLButtonElement;
  private readonly resumeBtn: HTMLButtonElement;
  private readonly modelLine: HTMLParagraphElement;
  private readonly problems: HTMLParagraphElement;
  private readonly body: HTMLDivElement;

  constructor(private readonly actions: ControlActions) {
    const s = section('controls', 'Run');
    this.root = s.root;
    this.form = el('form', { class: 'controls', attrs: { novalidate: '' } });
    this.method = select('method', PRUNE_METHODS);
    this.stop = select('stop', STOP_RULES);
    this.data = el('input', { attrs: { id: 'f-data', type: 'text', spellcheck: 'false', placeholder: 'mnist, fashion-mnist, folder:PATH, npz:PATH, idx:PATH' } });
    this.form.append(field('Method', this.method, 'dcp / dkp, or a baseline'), field('Stopping rule', this.stop, 'when a layer stops adding channels'));
    for (const f of NUMBERS) {
      const input = el('input', { attrs: { id: `f-${f.key}`, type: 'number', step: String(f.step), ...rangeAttrs(f.key, f.step) } });
      this.inputs.set(f.key, input);
      this.form.append(field(f.label, input, f.hint));
    }
    this.form.append(field('Data', this.data, 'dataset spec'));
    // While typing, the valid part is persisted, so a reload restores it (an invalid value would void the saved state).
    this.form.addEventListener('input', () => { this.syncVisibility(); this.actions.edit(this.check().patch); });
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.submit(); });
    this.startBtn = el('button', { text: 'Start', class: 'primary', attrs: { type: 'submit' } });
    this.cancelBtn = button('Cancel', () => this.actions.cancel(), { class: 'secondary' });
    this.resumeBtn = button('Resume', () => this.actions.resume(), { class: 'secondary' });
    this.modelLine = el('p', { class: 'hint' });
    this.problems = el('p', { class: 'hint problems', attrs: { id: 'f-problems', role: 'alert' } });
    this.problems.hidden = true;
    this.form.append(this.problems, el('div', { class: 'row buttons' }, [this.startBtn, this.cancelBtn, this.resumeBtn]));
    s.body.append(this.modelLine, this.form);
    this.body = s.body;
  }

  /** Places a view under the form (the forecast, webview/views/forecast.ts). */
  attach(node: HTMLElement): void {
    this.body.append(node);
  }

  /** Fills the form: saved user input over the host's defaults. */
  setValues(defaults: RunConfig, form: Partial<RunConfig>): void {
    const v = { ...defaults, ...form };
    this.method.value = v.method;
    this.stop.value = v.stop;
    this.data.value = v.data;
    for (const [key, input] of this.inputs) {
      const value = v[key];
      input.value = value === null ? '' : String(value);
    }
    this.syncVisibility();
  }

  /** Enables what makes sense for the shown run: one run at a time, resume only what stopped early. */
  setStatus(status: RunStatus, modelName: string | null, hasRun: boolean): void {
    const running = status === 'running';
    this.startBtn.disabled = running || modelName === null;
    this.cancelBtn.disabled = !running;
    this.resumeBtn.disabled = !hasRun || !(status === 'cancelled' || status === 'failed');
    this.modelLine.textContent = modelName === null ? 'Open a TF.js model (model.json) to start a run.' : `Model: ${modelName}`;
  }

  private read(): Record<string, unknown> {
    const out: Record<string, unknown> = { method: this.method.value as PruneMethod, stop: this.stop.value as StopRule, data: this.data.value.trim() };
    for (const [key, input] of this.inputs) {
      const raw = input.value.trim();
      if (key === 'heads' && raw === '') out.heads = null;
      // Text that is no number stays text, so the table's check names it rather than the form dropping it.
      else if (raw !== '') out[key] = Number.isFinite(Number(raw)) ? Number(raw) : raw;
    }
    return out;
  }

  /** The form checked against the table: its valid values, and every invalid field marked (aria-invalid). */
  private check(): { patch: Partial<RunConfig>; errors: ReadonlyArray<{ key: string }> } {
    const { patch, errors } = collectRunConfigPatch(this.read(), 'field');
    const bad = new Set(errors.map((e) => e.key));
    for (const [key, input] of this.inputs) input.setAttribute('aria-invalid', String(bad.has(key)));
    this.data.setAttribute('aria-invalid', String(bad.has('data')));
    return { patch, errors };
  }

  /** Start sends only a form the host will accept; otherwise it says, per field, what a valid value is. */
  private submit(): void {
    const { patch, errors } = this.check();
    const lines = errors.map((e) => `${LABELS[e.key as RunSettingKey] ?? e.key} must be ${expectation(RUN_SETTINGS[e.key as RunSettingKey])}.`);
    this.problems.textContent = lines.join(' ');
    this.problems.hidden = lines.length === 0;
    if (errors.length === 0) this.actions.start(patch);
  }

  /** ε matters only for the epsilon and adaptive rules, τ only for adaptive, the kernel rate only for DKP. */
  private syncVisibility(): void {
    const show = (key: NumberField, on: boolean): void => {
      const wrap = this.inputs.get(key)?.closest('.field');
      if (wrap instanceof HTMLElement) wrap.hidden = !on;
    };
    show('epsilon', this.stop.value !== 'rate');
    show('tau', this.stop.value === 'adaptive');
    show('kernelRate', this.method.value === 'dkp');
  }
}

/** A dropdown of a choice list from the table; each option's title is its description. */
function select(id: string, list: { values: readonly string[]; descriptions: readonly string[] }): HTMLSelectElement {
  return el('select', { attrs: { id: `f-${id}` } }, list.values.map((v, i) => el('option', { text: v, attrs: { value: v, title: list.descriptions[i] } })));
}

function field(label: string, control: HTMLElement, hint: string): HTMLElement {
  const hintId = `${control.id}-hint`;
  control.setAttribute('aria-describedby', hintId);
  return el('div', { class: 'field' }, [
    el('label', { text: label, attrs: { for: control.id } }), control, el('span', { class: 'hint', text: hint, attrs: { id: hintId } }),
  ]);
}
