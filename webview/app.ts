/**
 * The panel: owns the run state (from the reducer), the UI state (selection, shown iteration and phase, tables
 * toggle, form) and the views, and renders them all at once when main.ts asks (once per animation frame).
 */
import type { RunEvent } from '../protocol/model';
import type { SensitivityEvent } from '../protocol/sensitivity';
import type { PersistedPanelState, SetupMessage, WebviewToHost } from '../protocol/webview';
import { el } from './dom';
import { followedLayer, type HostNotice } from './selectors';
import { initialSensitivity, reduceSensitivity, type SensitivityState } from './sensitivity-state';
import { initialState, reduce, type PanelState } from './state';
import { Chart, applyChartDefaults, readPalette, watchTheme, type Palette } from './theme';
import { ControlsView } from './views/controls';
import { ForecastView } from './views/forecast';
import { DiffView } from './views/diff';
import { GraphView } from './views/graph';
import { HeaderView, SummaryView } from './views/status';
import { LayerView } from './views/layer';
import { LayerLatencyView } from './views/layer-latency';
import { LossView } from './views/losses';
import { OverviewView } from './views/overview';
import { SensitivityView } from './views/sensitivity';
import { TrainingView } from './views/training';

export interface AppHost {
  post(message: WebviewToHost): void;
  persist(state: PersistedPanelState): void;
}

export class App {
  private state: PanelState;
  private ui: PersistedPanelState;
  private setupMsg: SetupMessage | null = null;
  private hostNotice: HostNotice | null = null;
  private palette: Palette;
  private readonly header: HeaderView;
  private readonly controls: ControlsView;
  private readonly forecast = new ForecastView();
  private readonly summary = new SummaryView();
  private readonly overview: OverviewView;
  private readonly losses: LossView;
  private readonly layer: LayerView;
  private readonly training: TrainingView;
  private readonly graph: GraphView;
  private readonly diff = new DiffView();
  private readonly layerLatency: LayerLatencyView;
  private readonly sensitivity: SensitivityView;
  private sens: SensitivityState = initialSensitivity;

  constructor(root: HTMLElement, private readonly host: AppHost, saved: PersistedPanelState | null) {
    this.ui = saved ?? { version: 1, runId: null, selectedLayer: null, iteration: null, showTables: false, curvePhase: null, form: {} };
    this.state = initialState(this.ui.runId);
    this.palette = readPalette();
    applyChartDefaults(this.palette);
    this.header = new HeaderView(() => this.updateUi({ showTables: !this.ui.showTables }));
    this.controls = new ControlsView({
      start: (config) => { this.hostNotice = null; host.post({ type: 'start', config }); this.render(); },
      cancel: () => { if (this.state.runId) host.post({ type: 'cancel', runId: this.state.runId }); },
      resume: () => { if (this.state.runId) host.post({ type: 'resume', runId: this.state.runId }); },
      edit: (form) => this.updateUi({ form }),
    });
    this.controls.attach(this.forecast.root);
    this.overview = new OverviewView(this.palette, (layer) => this.select(layer));
    this.losses = new LossView(this.palette);
    this.layerLatency = new LayerLatencyView(this.palette);
    this.layer = new LayerView(this.palette, {
      step: (delta) => this.step(delta),
      iteration: (index) => this.updateUi({ iteration: index }),
      follow: () => this.select(null),
    });
    this.training = new TrainingView(this.palette, (key) => this.updateUi({ curvePhase: key }));
    this.graph = new GraphView({
      select: (layer) => this.select(layer),
      budget: (layer, budget) => host.post({ type: 'setLayerBudget', layer, budget }),
    });
    this.sensitivity = new SensitivityView(this.palette, {
      start: (rates, targetFlops) => host.post({ type: 'startSensitivity', rates, targetFlops, config: this.ui.form }),
      apply: (recipe) => host.post({ type: 'applyRecipe', recipe }),
      metric: (m) => this.updateUi({ sensitivityMetric: m }),
    });
    const main = el('main', { class: 'grid' }, [
      this.controls.root, this.summary.root, this.overview.root, this.graph.root, this.layer.root, this.losses.root,
      this.training.root, this.diff.root, this.layerLatency.root, this.sensitivity.root,
    ]);
    root.replaceChildren(this.header.root, main);
    // The charts were created off-document; size them now rather than on Chart.js's next resize-observer frame, so
    // the first clicks already map to the right bars.
    for (const chart of Object.values(Chart.instances)) chart.resize();
    watchTheme(() => this.recolor());
    this.render();
  }

  setup(message: SetupMessage): void {
    this.setupMsg = message;
    this.controls.setValues(message.defaults, this.ui.form);
    this.render();
  }

  /** Starts showing another run (or the same one from scratch: a replay after the panel was re-created). */
  reset(runId: string | null): void {
    this.state = initialState(runId);
    if (runId !== this.ui.runId) this.updateUi({ runId, selectedLayer: null, iteration: null, curvePhase: null });
  }

  /** Folds events of `runId` into the state; events of another run (a stale message) are ignored. */
  apply(runId: string, events: readonly RunEvent[], from: number, to: number): void {
    if (runId !== this.state.runId) return;
    let s = this.state;
    for (let i = from; i < to; i++) s = reduce(s, events[i]);
    this.state = s;
  }

  /** Folds a sensitivity analysis's events; `reset` starts from nothing (a new analysis, or a replay). */
  applySensitivity(reset: boolean, events: readonly SensitivityEvent[]): void {
    let s = reset ? initialSensitivity : this.sens;
    for (const e of events) s = reduceSensitivity(s, e);
    this.sens = s;
  }

  get sensitivityEventCount(): number {
    return this.sens.eventCount;
  }

  notice(level: 'info' | 'error', message: string): void {
    this.hostNotice = { level, message, runId: this.state.runId, attempt: this.state.attempt };
  }

  get eventCount(): number {
    return this.state.eventCount;
  }

  render(): void {
    const s = this.state;
    const selected = this.selectedLayer();
    const layer = selected ? s.layers[selected] ?? null : null;
    document.body.classList.toggle('show-tables', this.ui.showTables);
    this.header.setTablesShown(this.ui.showTables);
    this.header.update(s, this.hostNotice);
    this.controls.setStatus(s.status, this.setupMsg?.modelName ?? null, s.runId !== null);
    const next = this.setupMsg?.modelName ? { ...this.setupMsg.defaults, ...this.ui.form } : null;
    this.forecast.update(s, next, this.setupMsg?.recipe);
    this.summary.update(s);
    this.overview.update(s, selected);
    this.layer.update(s, layer, this.ui.iteration, selected !== this.ui.selectedLayer);
    this.losses.update(s, layer);
    this.training.update(s, this.ui.curvePhase);
    const rate = this.ui.form.rate ?? this.setupMsg?.defaults.rate ?? s.config?.rate ?? null;
    this.graph.update(s, selected, this.setupMsg?.modelName ? this.setupMsg.recipe : undefined, rate);
    this.diff.update(s);
    this.layerLatency.update(s);
    const canEdit = Boolean(this.setupMsg?.modelName) && this.setupMsg?.recipe !== undefined;
    this.sensitivity.update(this.sens, this.ui.sensitivityMetric ?? 'accuracyDrop', canEdit);
  }

  /** How long the graph view's last layout + first render took, ms (read by the browser tests). */
  get graphBuildMs(): number {
    return this.graph.lastBuildMs;
  }

  /** The user's pick while it exists in the run, else the layer being selected right now. */
  private selectedLayer(): string | null {
    const picked = this.ui.selectedLayer;
    return picked !== null && Object.hasOwn(this.state.layers, picked) ? picked : followedLayer(this.state);
  }

  private select(layer: string | null): void {
    this.updateUi({ selectedLayer: layer, iteration: null });
    this.host.post({ type: 'selectLayer', runId: this.state.runId, layer });
  }

  private step(delta: number): void {
    const order = this.state.layerOrder;
    if (order.length === 0) return;
    const i = order.indexOf(this.selectedLayer() ?? '');
    this.select(order[Math.max(0, Math.min(order.length - 1, (i < 0 ? 0 : i) + delta))]);
  }

  private updateUi(patch: Partial<PersistedPanelState>): void {
    this.ui = { ...this.ui, ...patch };
    this.host.persist(this.ui);
    this.render();
  }

  private recolor(): void {
    this.palette = readPalette();
    applyChartDefaults(this.palette);
    this.overview.recolor(this.palette);
    this.losses.recolor(this.palette);
    this.layer.recolor(this.palette);
    this.training.recolor(this.palette);
    this.layerLatency.recolor(this.palette);
    this.sensitivity.recolor(this.palette);
    this.render();
  }
}

