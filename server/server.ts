/**
 * The DCP language server: LSP wiring only. The extension starts it over IPC (vscode-languageclient,
 * TransportKind.ipc); `npm run serve` starts it on stdio for debugging. The transport is chosen from argv
 * (--node-ipc, --stdio, --socket=N) by vscode-languageserver.
 *
 *   handlers/requests.ts   dcp/* requests (protocol/lsp.ts) → inspector and run manager
 *   handlers/language.ts   hover, CodeLens, document symbols on model.json
 *   handlers/documents.ts  diagnostics on model.json
 *   handlers/lens-refresh.ts  budget CodeLenses re-requested when a recipe file changes
 *   runs/                  run history folders and the worker threads that run the engine
 */
import { isAbsolute } from 'node:path';
import { createConnection, ProposedFeatures, TextDocuments, TextDocumentSyncKind, type InitializeResult } from 'vscode-languageserver/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { DcpInitializationOptions } from '../protocol/lsp';
import { registerDiagnostics } from './handlers/documents';
import { ModelInspector } from './handlers/inspect';
import { registerLanguageFeatures } from './handlers/language';
import { canRefreshLenses, registerLensRefresh } from './handlers/lens-refresh';
import { connectionSink, registerRequests } from './handlers/requests';
import { registerSensitivity } from './handlers/sensitivity';
import { RunManager } from './runs/manager';
import { defaultWorkerScript } from './runs/worker-host';

const connection = createConnection(ProposedFeatures.all);
const documents = new TextDocuments(TextDocument);
const inspector = new ModelInspector();
let manager: RunManager | undefined;
let lensRefresh = false;

/** The run manager exists from `initialize` on, when the runs folder is known; requests only arrive after it. */
function runs(): RunManager {
  if (!manager) throw new Error('The server has not been initialized');
  return manager;
}

/** Reads our part of initializationOptions; a bad value is reported and ignored rather than refusing to start. */
function readOptions(raw: unknown): DcpInitializationOptions {
  const runsDir = (raw as DcpInitializationOptions | null | undefined)?.runsDir;
  if (runsDir === undefined || runsDir === null || runsDir === '') return {};
  if (typeof runsDir === 'string' && isAbsolute(runsDir)) return { runsDir };
  connection.console.warn(`initializationOptions.runsDir must be an absolute path; keeping runs next to each model (got ${JSON.stringify(runsDir)})`);
  return {};
}

connection.onInitialize((params): InitializeResult => {
  const options = readOptions(params.initializationOptions);
  lensRefresh = canRefreshLenses(params.capabilities);
  manager = new RunManager({ runsDir: options.runsDir, workerScript: defaultWorkerScript(), sink: connectionSink(connection) });
  return {
    capabilities: {
      textDocumentSync: TextDocumentSyncKind.Incremental,
      hoverProvider: true,
      codeLensProvider: { resolveProvider: false },
      documentSymbolProvider: true,
    },
    serverInfo: { name: 'dcp-language-server', version: '0.1.0' },
  };
});

// Import TF.js once the client is up, so the first inspect (maybe during a run) does not pay for it.
connection.onInitialized(() => inspector.warmUp());

const sensitivity = registerSensitivity(connection, inspector, defaultWorkerScript());

connection.onShutdown(async () => {
  await manager?.dispose();
  await sensitivity.dispose();
});

registerRequests(connection, inspector, runs);
registerLanguageFeatures(connection, documents, inspector, runs);
registerDiagnostics(connection, documents);
registerLensRefresh(connection, () => lensRefresh);

// Request handlers' errors become error responses; this net catches stray promise rejections, which would
// otherwise end the process (Node's default) and with it every run.
process.on('unhandledRejection', (reason) => {
  connection.console.error(`Unhandled rejection: ${reason instanceof Error ? reason.stack : String(reason)}`);
});

documents.listen(connection);
connection.listen();
