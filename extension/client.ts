/**
 * Owns the language client: starts the DCP server (dist/server.js) over IPC, restarts it once if it crashes,
 * and tells the rest of the extension when the connection was lost so in-flight runs can be marked interrupted.
 */
import * as vscode from 'vscode';
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type ServerOptions,
} from 'vscode-languageclient/node';
import type { DcpInitializationOptions } from '../protocol/lsp';

export interface ServerClientOptions {
  /** Absolute path of the bundled server (dist/server.js). */
  serverModule: string;
  /** Extra Node flags for the server process (the memory cap). */
  execArgv: string[];
  initializationOptions: DcpInitializationOptions;
  log: vscode.LogOutputChannel;
}

/** Why the connection ended; `restarted` = the client is bringing the server back up by itself. */
export interface ConnectionLost {
  restarted: boolean;
}

export class ServerClient implements vscode.Disposable {
  readonly client: LanguageClient;
  private crashes = 0;
  private stopping = false;
  private readonly lost = new vscode.EventEmitter<ConnectionLost>();
  /** Recipe files, forwarded to the server as workspace/didChangeWatchedFiles: it refreshes the budget CodeLenses. */
  private readonly recipes = vscode.workspace.createFileSystemWatcher('**/*.dcp-recipe.json');
  /** Fires when the server process went away unexpectedly. */
  readonly onConnectionLost = this.lost.event;

  constructor(options: ServerClientOptions) {
    const run = { module: options.serverModule, transport: TransportKind.ipc, options: { execArgv: options.execArgv } };
    const serverOptions: ServerOptions = {
      run,
      // "Attach to Server" in .vscode/launch.json connects to this port.
      debug: { ...run, options: { execArgv: [...options.execArgv, '--nolazy', '--inspect=6009'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: [{ language: 'json', pattern: '**/model.json' }],
      initializationOptions: options.initializationOptions,
      outputChannel: options.log,
      synchronize: { fileEvents: this.recipes },
      // The output channel is ours; the client must not pop it open on every server log line.
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      errorHandler: {
        error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue, handled: true }),
        closed: (): CloseHandlerResult => this.onClosed(),
      },
    };
    this.client = new LanguageClient('dcp', 'DCP Pruning Server', serverOptions, clientOptions);
  }

  start(): Promise<void> {
    return this.client.start();
  }

  /**
   * One crash is usually a run that blew the heap or a bad native backend: restart and let the user resume.
   * A second crash is a pattern; restarting again would just loop, so stop and say how to get it back.
   */
  private onClosed(): CloseHandlerResult {
    if (this.stopping) return { action: CloseAction.DoNotRestart, handled: true };
    this.crashes += 1;
    const restarted = this.crashes === 1;
    this.lost.fire({ restarted });
    return { action: restarted ? CloseAction.Restart : CloseAction.DoNotRestart, handled: true };
  }

  async dispose(): Promise<void> {
    this.stopping = true;
    this.lost.dispose();
    this.recipes.dispose();
    if (this.client.isRunning()) await this.client.stop(2000).catch(() => undefined);
  }
}
