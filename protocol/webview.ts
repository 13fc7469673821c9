/**
 * Every message between the extension host and the pruning panel's webview, declared once.
 * The host side is extension/panel/pruningPanel.ts, the webview side webview/main.ts.
 *
 * Handshake: the webview posts `ready` once its script runs; the host posts nothing before that, then sends
 * `setup` and `showRun` (the full event log of the shown run), then `events` as the run streams.
 * A webview is untrusted input to the host: the host passes everything it receives through `isWebviewToHost`.
 */
import type { RunConfig, RunEvent } from './model';
import { isRecipe, recipeLayerProblem, type Recipe, type RecipeLayer } from './recipe';
import type { SensitivityEvent } from './sensitivity';
import { isRunConfigPatch } from './settings-validate';

/** Run settings from the webview are checked against the settings table: types and ranges, unknown keys refused. */
export { isRunConfigPatch };

// ---- host → webview --------------------------------------------------------------------------------------------

/** Sent from the host to the webview after `ready` and whenever the open model or the default options change. */
export interface SetupMessage {
  type: 'setup';
  /** Values the run controls start from (the user's settings over the engine's defaults). */
  defaults: RunConfig;
  /** Display name of the model a new run would prune; null = no model chosen, the Start button is disabled. */
  modelName: string | null;
  /**
   * That model's recipe (`<model>.dcp-recipe.json`), which the next run uses: null = none yet; absent = the host
   * cannot edit one (no model), so the panel's budget controls are disabled.
   */
  recipe?: Recipe | null;
}

/** Sent from the host to the webview to replace what it shows with one run's events so far (null = no run). */
export interface ShowRunMessage {
  type: 'showRun';
  runId: string | null;
  events: RunEvent[];
}

/** Sent from the host to the webview with further events of the shown run, in order, batched. */
export interface EventsMessage {
  type: 'events';
  runId: string;
  events: RunEvent[];
}

/** Sent from the host to the webview when an action failed (e.g. the server refused a config), to show in the panel. */
export interface NoticeMessage {
  type: 'notice';
  level: 'info' | 'error';
  message: string;
}

/** Sent from the host to the webview with a layer-sensitivity analysis's events, in order (`reset` = a new analysis). */
export interface SensitivityMessage {
  type: 'sensitivity';
  reset: boolean;
  events: SensitivityEvent[];
}

export type HostToWebview = SetupMessage | ShowRunMessage | EventsMessage | NoticeMessage | SensitivityMessage;

// ---- webview → host --------------------------------------------------------------------------------------------

/** Sent from the webview to the host once its script has loaded and can receive messages. */
export interface ReadyMessage {
  type: 'ready';
}

/** Sent from the webview to the host to start a run on the set-up model with these options (server validates ranges). */
export interface StartMessage {
  type: 'start';
  config: Partial<RunConfig>;
}

/** Sent from the webview to the host to cancel a running run. */
export interface CancelMessage {
  type: 'cancel';
  runId: string;
}

/** Sent from the webview to the host to resume a cancelled, failed or interrupted run. */
export interface ResumeMessage {
  type: 'resume';
  runId: string;
}

/** Sent from the webview to the host when the user selects a layer (null = follow the layer being selected). */
export interface SelectLayerMessage {
  type: 'selectLayer';
  runId: string | null;
  layer: string | null;
}

/**
 * Sent from the webview to the host when the user sets a layer's budget in the graph view: the host writes it into
 * the set-up model's recipe file (`budget` null = remove the layer's entry) and sends `setup` with the new recipe.
 */
export interface SetLayerBudgetMessage {
  type: 'setLayerBudget';
  layer: string;
  budget: RecipeLayer | null;
}

/** Sent from the webview to the host to start a layer-sensitivity analysis of the set-up model (run settings: the form's). */
export interface StartSensitivityMessage {
  type: 'startSensitivity';
  rates: number[];
  /** Suggest per-layer rates for this FLOPs reduction (≥ 1); null = no suggestion. */
  targetFlops: number | null;
  config: Partial<RunConfig>;
}

/** Sent from the webview to the host to save a whole recipe (the sensitivity suggestion) as the set-up model's recipe. */
export interface ApplyRecipeMessage {
  type: 'applyRecipe';
  recipe: Recipe;
}

export type WebviewToHost =
  | ReadyMessage | StartMessage | CancelMessage | ResumeMessage | SelectLayerMessage | SetLayerBudgetMessage | StartSensitivityMessage | ApplyRecipeMessage;

/** What the webview keeps with `setState`; the host reads `runId` from it when VS Code revives the panel. */
export interface PersistedPanelState {
  version: 1;
  runId: string | null;
  selectedLayer: string | null;
  /** 0-based greedy iteration shown for the selected layer; null = the latest. */
  iteration: number | null;
  showTables: boolean;
  /** Key of the training phase whose curve is shown (`heads`, `stage:N`, `final`); null = the latest. */
  curvePhase: string | null;
  /** What the user typed into the run controls, so a reload does not lose it. */
  form: Partial<RunConfig>;
  /** What the sensitivity chart plots; absent = accuracy drop (states saved before the chart existed). */
  sensitivityMetric?: 'accuracyDrop' | 'jointLoss';
}

// ---- validation ------------------------------------------------------------------------------------------------

/** Identifiers and layer names are short in practice; the limits stop a hostile webview from sending megabytes. */
const MAX_ID = 256;
const MAX_TEXT = 4096;

type FieldCheck = (v: unknown) => boolean;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (max: number): FieldCheck => (v) => typeof v === 'string' && v.length <= max;
const finite: FieldCheck = (v) => typeof v === 'number' && Number.isFinite(v);
const bool: FieldCheck = (v) => typeof v === 'boolean';
const oneOf = (...allowed: string[]): FieldCheck => (v) => typeof v === 'string' && allowed.includes(v);

/** Validates a message received from the webview; anything else is dropped by the host. */
export function isWebviewToHost(v: unknown): v is WebviewToHost {
  if (!isObject(v)) return false;
  switch (v.type) {
    case 'ready':
      return true;
    case 'start':
      return isRunConfigPatch(v.config);
    case 'cancel':
    case 'resume':
      return str(MAX_ID)(v.runId);
    case 'selectLayer':
      return (v.runId === null || str(MAX_ID)(v.runId)) && (v.layer === null || str(MAX_TEXT)(v.layer));
    case 'setLayerBudget':
      return str(MAX_TEXT)(v.layer) && v.layer !== '' && (v.budget === null || recipeLayerProblem(v.budget) === null);
    case 'startSensitivity':
      return Array.isArray(v.rates) && v.rates.length > 0 && v.rates.length <= 64 && v.rates.every((r) => finite(r) && (r as number) > 0 && (r as number) < 1)
        && (v.targetFlops === null || (finite(v.targetFlops) && (v.targetFlops as number) >= 1)) && isRunConfigPatch(v.config);
    case 'applyRecipe':
      return isRecipe(v.recipe);
    default:
      return false;
  }
}

/** A RunEvent's outer shape (an object with a string `type` and a numeric `time`); the reducer ignores unknown types. */
function isEventLike(v: unknown): v is RunEvent {
  return isObject(v) && typeof v.type === 'string' && typeof v.time === 'number';
}

/** Validates a message received from the host (the webview also receives messages from other sources). */
export function isHostToWebview(v: unknown): v is HostToWebview {
  if (!isObject(v)) return false;
  switch (v.type) {
    case 'setup':
      return isObject(v.defaults) && (v.modelName === null || typeof v.modelName === 'string')
        && (v.recipe === undefined || v.recipe === null || isRecipe(v.recipe));
    case 'showRun':
      return (v.runId === null || typeof v.runId === 'string') && Array.isArray(v.events) && v.events.every(isEventLike);
    case 'events':
      return typeof v.runId === 'string' && Array.isArray(v.events) && v.events.every(isEventLike);
    case 'notice':
      return oneOf('info', 'error')(v.level) && typeof v.message === 'string';
    case 'sensitivity':
      return bool(v.reset) && Array.isArray(v.events) && v.events.every(isEventLike);
    default:
      return false;
  }
}

/** Validates what `getState` returns (or VS Code hands a serializer): it may come from an older panel version. */
export function isPersistedPanelState(v: unknown): v is PersistedPanelState {
  return isObject(v) && v.version === 1 && (v.runId === null || str(MAX_ID)(v.runId))
    && (v.selectedLayer === null || str(MAX_TEXT)(v.selectedLayer)) && (v.iteration === null || finite(v.iteration))
    && bool(v.showTables) && (v.curvePhase === null || str(MAX_ID)(v.curvePhase)) && isRunConfigPatch(v.form)
    && (v.sensitivityMetric === undefined || oneOf('accuracyDrop', 'jointLoss')(v.sensitivityMetric));
}

/** The run id a revived panel showed (null when absent or malformed). */
export function persistedRunId(state: unknown): string | null {
  return isPersistedPanelState(state) ? state.runId : null;
}
