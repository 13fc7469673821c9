/**
 * The extension's context object: creates the long-lived pieces in order, wires them together and registers
 * every command. `activate` only constructs it; everything it creates is pushed into `context.subscriptions`,
 * so VS Code disposes all of it (and stops the server) on deactivation.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ListRunsRequest, RunEndedNotification, RunEventNotification, SensitivityEventNotification } from '../protocol/lsp';
import { ServerClient } from './client';
import { compareMethods, pruneModel } from './commands/prune';
import { inspectModel, selectDataset } from './commands/inspect';
import { setLayerBudget } from './commands/budget';
import { layerSensitivity } from './commands/sensitivity';
import { cancelRun, deleteRun, openPanel, openPrunedModel, resumeRun, showRunReport } from './commands/runs';
import { readerFor } from './commands/start';
import { DOC_SCHEME, ReadOnlyDocs } from './documents';
import { ErrorReporter } from './errors';
import { RunFeedback } from './feedback';
import { createPanelPort } from './panel-port';
import { RunTracker } from './runs';
import { RUNS_VIEW, RunsView } from './runs-view';
import type { Services } from './services';
import { runsDirFromSettings, serverExecArgv } from './settings';

/** Command id → handler. The ids are declared in package.json (`contributes.commands`). */
const COMMANDS: ReadonlyArray<[string, (s: Services, arg: unknown) => Promise<unknown>]> = [
  ['dcp.pruneModel', pruneModel],
  ['dcp.inspectModel', inspectModel],
  ['dcp.compareMethods', compareMethods],
  ['dcp.cancelRun', cancelRun],
  ['dcp.resumeRun', resumeRun],
  ['dcp.deleteRun', deleteRun],
  ['dcp.openPrunedModel', openPrunedModel],
  ['dcp.showRunReport', showRunReport],
  ['dcp.openPanel', openPanel],
  ['dcp.selectDataset', () => selectDataset()],
  ['dcp.setLayerBudget', setLayerBudget],
  ['dcp.layerSensitivity', layerSensitivity],
];

export class DcpContext {
  private readonly services: Services;
  private readonly server: ServerClient;

  constructor(private readonly context: vscode.ExtensionContext) {
    const subs = context.subscriptions;
    const log = vscode.window.createOutputChannel('DCP Pruning', { log: true });
    subs.push(log);
    const errors = new ErrorReporter(log);
    const folder = vscode.workspace.workspaceFolders?.[0];
    const settings = readerFor(folder?.uri);
    this.server = new ServerClient({
      serverModule: context.asAbsolutePath(path.join('dist', 'server.js')),
      execArgv: serverExecArgv(settings),
      initializationOptions: { runsDir: runsDirFromSettings(settings, folder?.uri.fsPath) },
      log,
    });
    subs.push(this.server);
    const runs = new RunTracker();
    subs.push(runs);
    const docs = new ReadOnlyDocs();
    subs.push(docs, vscode.workspace.registerTextDocumentContentProvider(DOC_SCHEME, docs));

    const client = this.server.client;
    const partial = { context, client, runs, log, errors, docs };
    const panel = createPanelPort(partial, subs);
    this.services = { ...partial, panel };

    subs.push(
      client.onNotification(RunEventNotification, (p) => runs.onEvent(p)),
      client.onNotification(RunEndedNotification, (p) => runs.onEnded(p)),
      client.onNotification(SensitivityEventNotification, (p) => this.services.panel.sensitivityEvent(p)),
      new RunsView(this.services),
      new RunFeedback(runs, { cancel: (id) => cancelRun(this.services, id), showLog: () => log.show(true) }),
      this.server.onConnectionLost(({ restarted }) => void this.onCrash(restarted)),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('dcp.memoryCapMB') || e.affectsConfiguration('dcp.runsFolder')) void this.offerReload();
      }),
    );
    for (const [id, handler] of COMMANDS) {
      subs.push(vscode.commands.registerCommand(id, (arg: unknown) => handler(this.services, arg)));
    }
  }

  /** Starts the server; shows a failure with its log and rethrows, so VS Code marks the activation failed. */
  async start(): Promise<void> {
    try {
      await this.server.start();
    } catch (e) {
      void this.services.errors.show('The pruning server did not start', e);
      throw e;
    }
    this.services.log.info(`DCP server started (${this.context.extensionMode === vscode.ExtensionMode.Production ? 'production' : 'development'})`);
    // Lights up Resume/Report/Open Pruned in the palette when earlier sessions left runs behind.
    const runs = await this.services.client.sendRequest(ListRunsRequest, {}).catch(() => []);
    if (runs.length > 0) await vscode.commands.executeCommand('setContext', 'dcp.hasRuns', true);
  }

  private async onCrash(restarted: boolean): Promise<void> {
    const { runs, log } = this.services;
    const lost = runs.interruptAll('The pruning server stopped unexpectedly.');
    const what = lost.length > 0 ? ` ${lost.length} run(s) were interrupted; they can be resumed.` : '';
    log.error(`The DCP server stopped unexpectedly${restarted ? '; restarting it once' : ' again; not restarting'}.`);
    // Several lost runs: the Runs view lists each with its own Resume, instead of a quick pick.
    const resume = lost.length > 1 ? 'Show Runs' : 'Resume Run';
    const actions = restarted ? (lost.length > 0 ? [resume, 'Show log'] : ['Show log']) : ['Reload Window', 'Show log'];
    const message = restarted
      ? `DCP: the pruning server crashed and was restarted.${what}`
      : `DCP: the pruning server crashed again and was not restarted.${what} Reload the window to start it.`;
    const picked = await (restarted ? vscode.window.showWarningMessage(message, ...actions) : vscode.window.showErrorMessage(message, ...actions));
    if (picked === 'Show log') log.show(true);
    if (picked === 'Resume Run') await vscode.commands.executeCommand('dcp.resumeRun', lost[0]?.runId);
    if (picked === 'Show Runs') await vscode.commands.executeCommand(`${RUNS_VIEW}.focus`);
    if (picked === 'Reload Window') await vscode.commands.executeCommand('workbench.action.reloadWindow');
  }

  /** The server's process flags and initialization options are fixed when it starts. */
  private async offerReload(): Promise<void> {
    const picked = await vscode.window.showInformationMessage('DCP: this setting applies after the window reloads.', 'Reload Window');
    if (picked === 'Reload Window') await vscode.commands.executeCommand('workbench.action.reloadWindow');
  }
}
