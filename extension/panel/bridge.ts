/**
 * The host half of the panel protocol, free of `vscode` so it is unit-tested with a fake webview:
 * - nothing is posted before the webview says `ready`; then it gets `setup` and the shown run's whole log;
 * - live events of the shown run are batched (one `events` message per flush interval);
 * - a webview that goes away (hidden: retainContextWhenHidden is off; or disposed) loses nothing: the RunStore
 *   keeps every event and the next `ready` replays them;
 * - messages from the webview are validated before anything acts on them.
 */
import type { Recipe, RunConfig, RunEvent } from '../../protocol/model';
import type { SensitivityEvent } from '../../protocol/sensitivity';
import { isWebviewToHost, type HostToWebview, type WebviewToHost } from '../../protocol/webview';

/** What the user asked for in the panel; the extension forwards these to the language server. */
export type PanelAction = Exclude<WebviewToHost, { type: 'ready' }>;

/** A live webview: the bridge only needs to post to it. */
export interface WebviewPort {
  post(message: HostToWebview): void;
}

export interface BridgeOptions {
  onAction(action: PanelAction): void;
  /** Fetches a run's log the store lacks (after a reload the server still has it on disk). */
  loadEvents?: (runId: string) => Promise<readonly RunEvent[] | undefined>;
  /** Batching interval for live events, ms. */
  flushMs?: number;
  /** Events per replay message. */
  replayChunk?: number;
}

export class PanelBridge {
  private port: WebviewPort | null = null;
  private ready = false;
  private shown: string | null = null;
  private pending: RunEvent[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private setupMsg: HostToWebview | null = null;
  /** The shown sensitivity analysis's events so far, replayed to a new webview (a few dozen: one per layer and rate). */
  private sensitivityLog: SensitivityEvent[] = [];
  /** Messages dropped because they failed validation; a number tests and logs can check. */
  rejected = 0;

  constructor(private readonly store: RunStore, private readonly options: BridgeOptions) {}

  get shownRun(): string | null {
    return this.shown;
  }

  /** A new webview document was created; it is not ready until it says so. */
  connect(port: WebviewPort): void {
    this.port = port;
    this.ready = false;
  }

  /** The webview document is gone (hidden or disposed). */
  disconnect(): void {
    this.port = null;
    this.ready = false;
    this.pending = [];
  }

  /** A message from the webview: validated, then either the handshake or a user action. */
  receive(raw: unknown): void {
    if (!isWebviewToHost(raw)) {
      this.rejected++;
      return;
    }
    if (raw.type === 'ready') {
      this.ready = true;
      if (this.setupMsg) this.send(this.setupMsg);
      this.sendShown();
      if (this.sensitivityLog.length > 0) this.send({ type: 'sensitivity', reset: true, events: this.sensitivityLog });
      return;
    }
    this.options.onAction(raw);
  }

  /** Records an event of any run; forwards it when that run is shown. A new run's start switches the panel to it. */
  post(runId: string, event: RunEvent): void {
    this.store.append(runId, event);
    if (event.type === 'runStarted' && runId !== this.shown) {
      this.show(runId);
      return;
    }
    if (runId !== this.shown || !this.ready) return;
    this.pending.push(event);
    if (this.timer === null) this.timer = setTimeout(() => this.flush(), this.options.flushMs ?? 50);
  }

  /** Replaces a run's log (e.g. fetched from the server) and shows it. */
  replay(runId: string, events: readonly RunEvent[]): void {
    this.store.set(runId, events);
    this.show(runId);
  }

  /** Shows another run (null = none); the webview gets its whole log. */
  show(runId: string | null): void {
    this.shown = runId;
    this.pending = [];
    this.sendShown();
  }

  /** `recipe`: the model's recipe (null = none yet), undefined when there is no model whose recipe could be edited. */
  setup(defaults: RunConfig, modelName: string | null, recipe?: Recipe | null): void {
    this.setupMsg = { type: 'setup', defaults, modelName, ...(recipe !== undefined ? { recipe } : {}) };
    this.send(this.setupMsg);
  }

  /** Events of the shown sensitivity analysis; `reset` = a new analysis replaces the old one. */
  sensitivity(events: readonly SensitivityEvent[], reset: boolean): void {
    this.sensitivityLog = reset ? [...events] : [...this.sensitivityLog, ...events];
    this.send({ type: 'sensitivity', reset, events: [...events] });
  }

  notice(level: 'info' | 'error', message: string): void {
    this.send({ type: 'notice', level, message });
  }

  /** Posts the batched live events now. */
  flush(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0 || this.shown === null) return;
    const events = this.pending;
    this.pending = [];
    this.send({ type: 'events', runId: this.shown, events });
  }

  dispose(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.disconnect();
  }

  private sendShown(): void {
    if (!this.ready) return;
    const runId = this.shown;
    if (runId !== null && !this.store.has(runId) && this.options.loadEvents) {
      void this.options.loadEvents(runId).then((events) => {
        // Only if nothing else was shown meanwhile and the run did not start streaming in the meantime.
        if (events && this.shown === runId && !this.store.has(runId)) this.replay(runId, events);
      }, () => undefined);
    }
    const log = runId === null ? [] : this.store.events(runId) ?? [];
    const [first = [], ...rest] = chunk(log, this.options.replayChunk ?? 2000);
    this.send({ type: 'showRun', runId, events: first });
    for (const events of rest) if (runId !== null) this.send({ type: 'events', runId, events });
  }

  private send(message: HostToWebview): void {
    if (this.port && this.ready) this.port.post(message);
  }
}

/**
 * Host-side memory of runs: every event of the last few runs, in order, so a panel that is opened, re-shown
 * (its webview is destroyed while hidden) or revived can be replayed to the exact state.
 */
export class RunStore {
  /** Insertion order = recency: the oldest run is evicted first. */
  private readonly runs = new Map<string, RunEvent[]>();

  /** Keeps at most `maxRuns` runs: a run of a ResNet-56 is a few thousand events and a few MB. */
  constructor(private readonly maxRuns = 8) {}

  append(runId: string, event: RunEvent): void {
    const log = this.runs.get(runId);
    if (log) log.push(event);
    else this.put(runId, [event]);
  }

  /** Replaces a run's log, e.g. with the server's copy (`dcp/getRunEvents`) after VS Code restarted. */
  set(runId: string, events: readonly RunEvent[]): void {
    this.runs.delete(runId);
    this.put(runId, [...events]);
  }

  events(runId: string): readonly RunEvent[] | undefined {
    return this.runs.get(runId);
  }

  has(runId: string): boolean {
    return this.runs.has(runId);
  }

  /** The most recently added run, or null. */
  latest(): string | null {
    let last: string | null = null;
    for (const id of this.runs.keys()) last = id;
    return last;
  }

  delete(runId: string): void {
    this.runs.delete(runId);
  }

  private put(runId: string, events: RunEvent[]): void {
    this.runs.set(runId, events);
    while (this.runs.size > this.maxRuns) {
      const oldest = this.runs.keys().next().value;
      if (oldest === undefined || oldest === runId) break;
      this.runs.delete(oldest);
    }
  }
}

/** Splits a log into messages of at most `size` events: one huge postMessage would stall both processes. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
