/**
 * The `dcp/…` requests: validate params → call the inspector or the run manager → answer. Errors are thrown as
 * ResponseError and reach the client as error responses; nothing here can take the server down.
 */
import { ResponseError, type Connection } from 'vscode-languageserver';
import {
  CancelRunRequest, DeleteRunRequest, GetRunEventsRequest, InspectModelRequest, ListRunsRequest, ResumeRunRequest, RunEndedNotification,
  RunEventNotification, ServerMemoryRequest, StartRunRequest, type ServerMemory,
} from '../../protocol/lsp';
import { RunRequestError } from '../runs/errors';
import type { RunManager, RunSink } from '../runs/manager';
import type { ModelInspector } from './inspect';
import { parseListRunsParams, parseModelParams, parseRunParams, parseStartRunParams } from './params';

export function registerRequests(connection: Connection, inspector: ModelInspector, runs: () => RunManager): void {
  connection.onRequest(InspectModelRequest, (params) => inspector.inspect(parseModelParams(params, InspectModelRequest.method)));

  connection.onRequest(StartRunRequest, async (params) => {
    const { model, config, outDir } = parseStartRunParams(params);
    // Loading the model first turns a missing or malformed file into an error response instead of a failed run.
    await inspector.inspect(model);
    return answer(() => runs().start(model, config, outDir));
  });

  connection.onRequest(CancelRunRequest, async (params) => {
    const { runId, model } = parseRunParams(params, CancelRunRequest.method);
    return { cancelled: await answer(() => runs().cancel(runId, model)) };
  });

  connection.onRequest(ResumeRunRequest, async (params) => {
    const { runId, model } = parseRunParams(params, ResumeRunRequest.method);
    return answer(() => runs().resume(runId, model));
  });

  connection.onRequest(DeleteRunRequest, async (params) => {
    const { runId, model } = parseRunParams(params, DeleteRunRequest.method);
    return answer(() => runs().delete(runId, model));
  });

  connection.onRequest(ListRunsRequest, (params) => answer(() => runs().list(parseListRunsParams(params))));

  connection.onRequest(GetRunEventsRequest, (params) => {
    const { runId, model } = parseRunParams(params, GetRunEventsRequest.method);
    return answer(() => runs().events(runId, model));
  });

  connection.onRequest(ServerMemoryRequest, () => serverMemory(runs().liveRuns()));
}

/** The server's memory, after a full GC when the process allows one (`--expose-gc`), so a leak is not hidden in garbage. */
function serverMemory(liveRuns: number): ServerMemory {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, heapTotal: m.heapTotal, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers, collected: gc !== undefined, liveRuns };
}

/** Runs a run-manager call, turning its refusals into error responses with their protocol code. */
async function answer<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    throw e instanceof RunRequestError ? new ResponseError(e.code, e.message) : e;
  }
}

/** Where the run manager's events go: LSP notifications, and the worker's log lines to the client's output. */
export function connectionSink(connection: Connection): RunSink {
  return {
    event: (params) => void connection.sendNotification(RunEventNotification, params),
    ended: (params) => void connection.sendNotification(RunEndedNotification, params),
    log: (message) => connection.console.log(message),
  };
}
