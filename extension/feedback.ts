/**
 * What a user sees of a run outside the panel: a cancellable progress notification per run, one status-bar
 * item for the current run (click = open the panel), and a closing notification with next steps.
 * Everything here listens to the RunTracker; nothing here talks to the server except through `cancel`.
 */
import * as vscode from 'vscode';
import type { RunEndedParams } from '../protocol/lsp';
import type { RunTracker, TrackedRun } from './runs';
import { statusText } from './run-progress';

export interface FeedbackActions {
  cancel(runId: string): Promise<void>;
  showLog(): void;
}

/** Percent with one significant digit of change, so a long run does not flood the notification with updates. */
const STEP = 1;

export class RunFeedback implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly runs: RunTracker, private readonly actions: FeedbackActions) {
    this.item = vscode.window.createStatusBarItem('dcp.run', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'DCP Pruning Run';
    this.item.command = { title: 'Open Pruning Panel', command: 'dcp.openPanel' };
    this.disposables.push(
      this.item,
      runs.onDidStart((run) => this.showProgress(run)),
      runs.onDidChange(() => this.updateStatus()),
      runs.onDidEnd(({ run, params }) => {
        this.updateStatus();
        void this.announceEnd(run, params);
      }),
    );
  }

  /** A notification that lives as long as the run; its Cancel button cancels the run on the server. */
  private showProgress(run: TrackedRun): void {
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `DCP: pruning ${run.label}`, cancellable: true },
      (progress, token) =>
        new Promise<void>((resolve) => {
          let shown = 0;
          const sub = token.onCancellationRequested(() => void this.actions.cancel(run.runId));
          const update = this.runs.onDidChange((changed) => {
            if (changed.runId !== run.runId) return;
            const percent = Math.floor(changed.progress.fraction * 100);
            const increment = percent - shown >= STEP ? percent - shown : 0;
            shown += increment;
            progress.report({ message: `${percent}% · ${changed.progress.message}`, increment });
          });
          const end = this.runs.onDidEnd(({ run: ended }) => {
            if (ended.runId !== run.runId) return;
            sub.dispose();
            update.dispose();
            end.dispose();
            resolve();
          });
        }),
    );
    this.updateStatus();
  }

  private updateStatus(): void {
    const run = this.runs.current();
    if (!run) {
      this.item.hide();
      return;
    }
    const running = run.status === 'running';
    const icon = running ? '$(sync~spin)' : run.status === 'finished' ? '$(check)' : run.status === 'cancelled' ? '$(circle-slash)' : '$(error)';
    this.item.text = running ? `${icon} DCP ${statusText(run.label, run.progress)}` : `${icon} DCP ${run.label}: ${run.status}`;
    this.item.tooltip = new vscode.MarkdownString(`**DCP run ${run.runId}** · ${run.status}\n\n${run.progress.message}\n\nClick to open the pruning panel.`);
    this.item.command = { title: 'Open Pruning Panel', command: 'dcp.openPanel', arguments: [run.runId] };
    this.item.show();
  }

  /** The closing word of a run, with the next useful step as buttons. */
  private async announceEnd(run: TrackedRun, params: RunEndedParams): Promise<void> {
    if (params.status === 'finished' && params.report) {
      const r = params.report;
      const pct = (a: number, b: number): string => `${Math.round((1 - b / Math.max(1, a)) * 100)}%`;
      const acc = r.after.accuracy === null ? '' : `, accuracy ${(r.after.accuracy * 100).toFixed(1)}%`;
      const picked = await vscode.window.showInformationMessage(
        `DCP: ${run.label} pruned: −${pct(r.before.params, r.after.params)} params, −${pct(r.before.flops, r.after.flops)} FLOPs${acc}.`,
        'Open Pruned Model', 'Show Report',
      );
      if (picked === 'Open Pruned Model') await vscode.commands.executeCommand('dcp.openPrunedModel', run.runId);
      if (picked === 'Show Report') await vscode.commands.executeCommand('dcp.showRunReport', run.runId);
    } else if (params.status === 'cancelled') {
      const picked = await vscode.window.showInformationMessage(`DCP: run on ${run.label} cancelled; no model was written.`, 'Resume Run');
      if (picked === 'Resume Run') await vscode.commands.executeCommand('dcp.resumeRun', run.runId);
    } else if (params.status === 'failed') {
      const picked = await vscode.window.showErrorMessage(`DCP: run on ${run.label} failed. ${params.message ?? ''}`, 'Show log', 'Open model');
      if (picked === 'Show log') this.actions.showLog();
      if (picked === 'Open model') await vscode.window.showTextDocument(vscode.Uri.parse(run.modelUri));
    }
    // `interrupted` is announced once for all runs by the crash handler, not per run.
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
