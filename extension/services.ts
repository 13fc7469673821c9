/**
 * What command handlers may use. A plain bag of the long-lived objects `activate` created, so each command
 * module is a set of small functions over it and can be read (and replaced) on its own.
 */
import type * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import type { ReadOnlyDocs } from './documents';
import type { ErrorReporter } from './errors';
import type { RunTracker } from './runs';
import type { SensitivityEventParams } from '../protocol/lsp';
import type { SensitivityEvent } from '../protocol/sensitivity';

/** The panel as the commands see it; the webview panel host (extension/panel) implements it. */
export interface PanelPort {
  /** Opens (or reveals) the panel showing `runId`, or the newest run when omitted. */
  show(runId?: string): Promise<void>;
  /** The panel shows this analysis of `model` from now on (its earlier one is cleared); Apply writes `model`'s recipe. */
  startSensitivity(analysisId: string, model: vscode.Uri): void;
  /** A `dcp/sensitivityEvent` notification from the server. */
  sensitivityEvent(p: SensitivityEventParams): void;
  /** Calls `listener` with each event of `analysisId` until disposed. */
  onSensitivityEvent(analysisId: string, listener: (e: SensitivityEvent) => void): vscode.Disposable;
}

export interface Services {
  readonly context: vscode.ExtensionContext;
  readonly client: LanguageClient;
  readonly runs: RunTracker;
  readonly log: vscode.LogOutputChannel;
  readonly errors: ErrorReporter;
  readonly panel: PanelPort;
  readonly docs: ReadOnlyDocs;
}
