/**
 * Run controls: the options users change most (DCP-SPEC §2-4), and Start / Cancel / Resume. The form's values are
 * what the user typed (persisted with setState); the server validates ranges and its refusal comes back as a notice.
 */
import type { PruneMethod, RunConfig, StopRule } from '../../protocol/model';
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

const NUMBERS: ReadonlyArray<{ key: NumberField; label: string; min: number; max?: number; step: number; hint: string }> = [
  { key: 'rate', label: 'Pruning rate η', min: 0, max: 0.99, step: 0.05, hint: 'fraction of input channels removed per layer' },
  { key: 'lambda', label: 'λ', min: 0, step: 0.1, hint: 'weight of the discrimination loss L_S' },
  { key: 'epsilon', label: 'ε', min: 0, max: 1, step: 0.001, hint: 'stop when the relative loss change is below ε' },
  { key: 'tau', label: 'τ', min: 0, max: 10, step: 0.01, hint: 'stop when L ≤ (1+τ)·L(all channels)' },
  { key: 'heads', label: 'Heads P', min: 0, max: 64, step: 1, hint: 'auxiliary heads; empty = chosen from depth' },
  { key: 'headEpochs', label: 'Head epochs', min: 0, step: 1, hint: 'head training before selection' },
  { key: 'finetuneEpochs', label: 'Fine-tune epochs', min: 0, step: 1, hint: 'final fine-tuning; 0 skips it' },
  { key: 'kernelRate', label: 'Kernel rate', min: 0, max: 0.99, step: 0.05, hint: 'DKP: fraction of kernels removed' },
];
const METHODS: readonly PruneMethod[] = ['dcp', 'dkp', 'random', 'l1', 'recon', 'disc'];
const STOPS: readonly StopRule[] = ['rate', 'epsilon', 'adaptive'];

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

  constructor(private readonly actions: ControlActions) {
    const s = section('controls', 'Run');
    this.root = s.root;
    this.form = el('form', { class: 'controls', attrs: { novalidate: '' } });
    this.method = select('method', METHODS);
    this.stop = select('stop', STOPS);
    this.data = el('input', { attrs: { id: 'f-data', type: 'text', spellcheck: 'false', placeholder: 'mnist, folder:PATH, npz:PATH' } });
    this.form.append(field('Method', this.method, 'dcp / dkp, or a baseline'), field('Stopping rule', this.stop, 'when a layer stops adding channels'));
    for (const f of NUMBERS) {
      const input = el('input', { attrs: { id: `f-${f.key}`, type: 'number', min: String(f.min), step: String(f.step), ...(f.max !== undefined ? { max: String(f.max) } : {}) } });
      this.inputs.set(f.key, input);
      this.form.append(field(f.label, input, f.hint));
    }
    this.form.append(field('Data', this.data, 'dataset spec'));
    this.form.addEventListener('input', () => { this.syncVisibility(); this.actions.edit(this.read()); });
    this.form.addEventListener('submit', (e) => { e.preventDefault(); this.actions.start(this.read()); });
    this.startBtn = el('button', { text: 'Start', class: 'primary', attrs: { type: 'submit' } });
    this.cancelBtn = button('Cancel', () => this.actions.cancel(), { class: 'secondary' });
    this.resumeBtn = button('Resume', () => this.actions.resume(), { class: 'secondary' });
    this.modelLine = el('p', { class: 'hint' });
    this.form.append(el('div', { class: 'row buttons' }, [this.startBtn, this.cancelBtn, this.resumeBtn]));
    s.body.append(this.modelLine, this.form);
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

  private read(): Partial<RunConfig> {
    const out: Partial<RunConfig> = { method: this.method.value as PruneMethod, stop: this.stop.value as StopRule, data: this.data.value.trim() };
    for (const [key, input] of this.inputs) {
      const raw = input.value.trim();
      const n = Number(raw);
      input.setAttribute('aria-invalid', String(raw !== '' && !Number.isFinite(n)));
      if (key === 'heads') out.heads = raw === '' ? null : n;
      else if (raw !== '' && Number.isFinite(n)) out[key] = n;
    }
    return out;
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

function select(id: string, values: readonly string[]): HTMLSelectElement {
  return el('select', { attrs: { id: `f-${id}` } }, values.map((v) => el('option', { text: v, attrs: { value: v } })));
}

function field(label: string, control: HTMLElement, hint: string): HTMLElement {
  const hintId = `${control.id}-hint`;
  control.setAttribute('aria-describedby', hintId);
  return el('div', { class: 'field' }, [
    el('label', { text: label, attrs: { for: control.id } }), control, el('span', { class: 'hint', text: hint, attrs: { id: hintId } }),
  ]);
}
