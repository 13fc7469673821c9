/**
 * The extension's view of the runs it has started in this window: it folds the server's `dcp/runEvent` and
 * `dcp/runEnded` notifications into per-run state and re-publishes them as VS Code events, so the progress
 * notification, the status bar and the panel never talk to the language client themselves.
 */
import * as vscode from 'vscode';
import type { RunEndedParams, RunEventParams, RunStatus, StartRunResult } from '../protocol/lsp';
import type { RunEvent, RunReport } from '../protocol/model';
import { advance, INITIAL_PROGRESS, type RunProgress } from './run-progress';

export interface TrackedRun {
  runId: string;
  /** `file:` URI string of the pruned model.json's source. */
  modelUri: string;
  /** Short name for notifications and the status bar (the model's folder name). */
  label: string;
  runDir: string;
  outDir: string;
  status: RunStatus;
  progress: RunProgress;
  report: RunReport | null;
  message: string | null;
}

/** Receives every event of every run, in order; the panel implements it. */
export interface RunEventSink {
  post(runId: string, event: RunEvent): void;
}

export class RunTracker implements vscode.Disposable {
  private readonly runs = new Map<string, TrackedRun>();
  /** Events that arrived before the start request answered (the server may stream at once). */
  private readonly early = new Map<string, RunEventParams[]>();
  private readonly waiters = new Map<string, Array<(ended: RunEndedParams) => void>>();
  private readonly started = new vscode.EventEmitter<TrackedRun>();
  private readonly changed = new vscode.EventEmitter<TrackedRun>();
  private readonly ended = new vscode.EventEmitter<{ run: TrackedRun; params: RunEndedParams }>();
  readonly onDidStart = this.started.event;
  readonly onDidChange = this.changed.event;
  readonly onDidEnd = this.ended.event;
  private sinks: RunEventSink[] = [];

  /** Adds a receiver of raw events (the panel); returns a disposable that removes it. */
  addSink(sink: RunEventSink): vscode.Disposable {
    this.sinks.push(sink);
    return new vscode.Disposable(() => (this.sinks = this.sinks.filter((s) => s !== sink)));
  }

  /** Records a run the server just accepted, then replays anything it already streamed. */
  register(result: StartRunResult, modelUri: string, label: string): TrackedRun {
    const run: TrackedRun = {
      runId: result.runId, modelUri, label, runDir: result.runDir, outDir: result.outDir,
      status: 'running', progress: INITIAL_PROGRESS, report: null, message: null,
    };
    this.runs.set(run.runId, run);
    this.started.fire(run);
    void vscode.commands.executeCommand('setContext', 'dcp.runActive', true);
    void vscode.commands.executeCommand('setContext', 'dcp.hasRuns', true);
    for (const e of this.early.get(run.runId) ?? []) this.onEvent(e);
    this.early.delete(run.runId);
    return run;
  }

  onEvent(params: RunEventParams): void {
    const run = this.runs.get(params.runId);
    if (!run) {
      const buffered = this.early.get(params.runId) ?? [];
      buffered.push(params);
      this.early.set(params.runId, buffered);
      return;
    }
    run.progress = advance(run.progress, params.event);
    for (const sink of this.sinks) sink.post(run.runId, params.event);
    this.changed.fire(run);
  }

  onEnded(params: RunEndedParams): void {
    const run = this.runs.get(params.runId);
    if (!run) return;
    run.status = params.status;
    run.report = params.report;
    run.message = params.message;
    run.outDir = params.outDir;
    this.finish(run, params);
  }

  /** The server went away: every running run is over for this window, resumable later. */
  interruptAll(reason: string): TrackedRun[] {
    const hit = this.active();
    for (const run of hit) {
      run.status = 'interrupted';
      run.message = reason;
      // The engine died with the server, so no terminal event will come: tell the panel in its own terms, which
      // also enables its Resume button. A resumed run starts over with its own `runStarted`.
      const failed: RunEvent = { type: 'runFailed', message: `${reason} Resume Run continues from the last finished layer.`, time: Date.now() };
      for (const sink of this.sinks) sink.post(run.runId, failed);
      this.finish(run, { runId: run.runId, status: 'interrupted', report: null, message: reason, runDir: run.runDir, outDir: run.outDir });
    }
    return hit;
  }

  private finish(run: TrackedRun, params: RunEndedParams): void {
    this.ended.fire({ run, params });
    for (const resolve of this.waiters.get(run.runId) ?? []) resolve(params);
    this.waiters.delete(run.runId);
    void vscode.commands.executeCommand('setContext', 'dcp.runActive', this.active().length > 0);
  }

  /** Resolves when the run ends, however it ends. */
  whenEnded(runId: string): Promise<RunEndedParams> {
    const run = this.runs.get(runId);
    if (run && run.status !== 'running') {
      return Promise.resolve({ runId, status: run.status, report: run.report, message: run.message, runDir: run.runDir, outDir: run.outDir });
    }
    return new Promise((resolve) => this.waiters.set(runId, [...(this.waiters.get(runId) ?? []), resolve]));
  }

  get(runId: string): TrackedRun | undefined {
    return this.runs.get(runId);
  }

  active(): TrackedRun[] {
    return [...this.runs.values()].filter((r) => r.status === 'running');
  }

  /** The run the status bar and "Open Pruning Panel" default to: the newest running one, else the newest. */
  current(): TrackedRun | undefined {
    const newestFirst = [...this.runs.values()].reverse();
    return newestFirst.find((r) => r.status === 'running') ?? newestFirst[0];
  }

  dispose(): void {
    this.started.dispose();
    this.changed.dispose();
    this.ended.dispose();
  }
}
