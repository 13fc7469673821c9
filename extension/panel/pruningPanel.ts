/**
 * The pruning panel on the VS Code side. One long-lived object per window: it keeps every run's events (RunStore)
 * whether or not the webview is open, creates or adopts the WebviewPanel on demand, and turns the webview's
 * validated messages into typed `onAction` events for the extension to forward to the language server.
 *
 * Usage (extension.ts):
 *   const panel = new PruningPanel({ extensionUri: context.extensionUri, defaults });
 *   context.subscriptions.push(panel, registerPruningPanelSerializer(panel), panel.onAction((a) => …));
 *   client.onNotification(RunEventNotification, (p) => panel.post(p.runId, p.event));
 */
import * as vscode from 'vscode';
import type { Recipe, RunConfig, RunEvent } from '../../protocol/model';
import { persistedRunId } from '../../protocol/webview';
import type { SensitivityEvent } from '../../protocol/sensitivity';
import { PanelBridge, RunStore, type PanelAction } from './bridge';
import { buildPanelHtml, makeNonce } from './html';

export type { PanelAction } from './bridge';

export interface PruningPanelOptions {
  extensionUri: vscode.Uri;
  /** The run controls' initial values (the user's settings over the engine's defaults). */
  defaults: RunConfig;
  /** Fetches the log of a run this window has not seen (e.g. `dcp/getRunEvents` after a reload). */
  loadEvents?: (runId: string) => Promise<readonly RunEvent[] | undefined>;
  /** How many runs' events to keep in memory. */
  maxRuns?: number;
}

export class PruningPanel implements vscode.Disposable {
  static readonly viewType = 'dcp.pruningPanel';

  private panel: vscode.WebviewPanel | undefined;
  private panelDisposables: vscode.Disposable[] = [];
  private readonly bridge: PanelBridge;
  private readonly actions = new vscode.EventEmitter<PanelAction>();
  private defaults: RunConfig;
  private modelName: string | null = null;
  private recipe: Recipe | null | undefined;

  /** What the user did in the panel: start (with options), cancel, resume, select a layer. Already validated. */
  readonly onAction: vscode.Event<PanelAction> = this.actions.event;

  constructor(private readonly options: PruningPanelOptions) {
    this.defaults = options.defaults;
    this.bridge = new PanelBridge(new RunStore(options.maxRuns), {
      onAction: (a) => this.actions.fire(a),
      loadEvents: options.loadEvents,
    });
    this.bridge.setup(this.defaults, this.modelName);
  }

  /** Whether the webview panel exists (it may be in a background tab). */
  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** The run the panel shows, or null. */
  get shownRun(): string | null {
    return this.bridge.shownRun;
  }

  /** Creates the panel, or reveals it if it exists. */
  open(column: vscode.ViewColumn = vscode.ViewColumn.Beside): void {
    if (this.panel) {
      this.panel.reveal(column);
      return;
    }
    const panel = vscode.window.createWebviewPanel(PruningPanel.viewType, 'DCP Pruning', column, {
      ...this.webviewOptions(),
      // The state lives host-side and is replayed on `ready`; keeping a hidden webview alive would cost memory for nothing.
      retainContextWhenHidden: false,
    });
    this.adopt(panel);
  }

  /** Takes over a panel VS Code revived after a reload (see registerPruningPanelSerializer). */
  async attach(panel: vscode.WebviewPanel, state: unknown): Promise<void> {
    this.panel?.dispose();
    const runId = persistedRunId(state);
    if (runId !== null && this.bridge.shownRun === null) this.bridge.show(runId);
    this.adopt(panel);
  }

  /** An event of a run, as the engine yields it; kept for replay and forwarded (batched) when the run is shown. */
  post(runId: string, event: RunEvent): void {
    this.bridge.post(runId, event);
  }

  /** Replaces a run's events (e.g. fetched from the server) and shows that run. */
  replay(runId: string, events: readonly RunEvent[]): void {
    this.bridge.replay(runId, events);
  }

  /** Shows another run already posted or replayed. */
  showRun(runId: string | null): void {
    this.bridge.show(runId);
  }

  /** The model a Start in the panel would prune (null disables Start), and optionally new control defaults. */
  setModel(modelName: string | null, defaults?: RunConfig): void {
    this.modelName = modelName;
    if (defaults) this.defaults = defaults;
    this.bridge.setup(this.defaults, this.modelName, this.recipe);
  }

  /** The set-up model's recipe, which the panel's budget controls edit (undefined = none can be edited). */
  setRecipe(recipe: Recipe | null | undefined): void {
    this.recipe = recipe;
    this.bridge.setup(this.defaults, this.modelName, this.recipe);
  }

  /** Events of the shown sensitivity analysis (`reset`: a new one). */
  sensitivity(events: readonly SensitivityEvent[], reset: boolean): void {
    this.bridge.sensitivity(events, reset);
  }

  /** Shows a message in the panel, e.g. why the server refused to start a run. */
  notify(level: 'info' | 'error', message: string): void {
    this.bridge.notice(level, message);
  }

  dispose(): void {
    this.panel?.dispose();
    this.disposePanel();
    this.bridge.dispose();
    this.actions.dispose();
  }

  private webviewOptions(): vscode.WebviewOptions {
    return { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(this.options.extensionUri, 'dist')] };
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.disposePanel();
    this.panel = panel;
    const webview = panel.webview;
    webview.options = this.webviewOptions();
    const dist = vscode.Uri.joinPath(this.options.extensionUri, 'dist');
    webview.html = buildPanelHtml({
      cspSource: webview.cspSource,
      nonce: makeNonce(),
      scriptUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.js')).toString(),
      styleUri: webview.asWebviewUri(vscode.Uri.joinPath(dist, 'webview.css')).toString(),
    });
    this.bridge.connect({ post: (m) => void webview.postMessage(m) });
    this.panelDisposables.push(
      webview.onDidReceiveMessage((m: unknown) => this.bridge.receive(m)),
      panel.onDidChangeViewState(() => {
        // A hidden webview is destroyed (retainContextWhenHidden is off); when shown again it reloads and says `ready`.
        if (!panel.visible) this.bridge.connect({ post: (m) => void webview.postMessage(m) });
      }),
      panel.onDidDispose(() => {
        if (this.panel !== panel) return;
        this.disposePanel();
        this.panel = undefined;
        this.bridge.disconnect();
      }),
    );
  }

  private disposePanel(): void {
    for (const d of this.panelDisposables) d.dispose();
    this.panelDisposables = [];
  }
}

/** Lets VS Code restore the panel after a reload; needs `onWebviewPanel:dcp.pruningPanel` in activationEvents. */
export function registerPruningPanelSerializer(panel: PruningPanel): vscode.Disposable {
  return vscode.window.registerWebviewPanelSerializer(PruningPanel.viewType, {
    deserializeWebviewPanel: (webviewPanel: vscode.WebviewPanel, state: unknown) => panel.attach(webviewPanel, state),
  });
}
