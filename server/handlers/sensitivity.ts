/**
 * The `dcp/startSensitivity` and `dcp/cancelSensitivity` requests and the `dcp/sensitivityEvent` notifications:
 * params validated at the edge (the model loads, the rates and target are in range, the config is the settings
 * table's), then the analysis runs in a worker (runs/sensitivity-host.ts) and streams its events to the client.
 */
import { ErrorCodes, ResponseError, type Connection } from 'vscode-languageserver';
import { CancelSensitivityRequest, SensitivityEventNotification, StartSensitivityRequest, type StartSensitivityParams } from '../../protocol/lsp';
import { RunRequestError } from '../runs/errors';
import { SensitivityHost } from '../runs/sensitivity-host';
import type { ModelInspector } from './inspect';
import { modelRef, parseConfig } from './params';

const MAX_RATES = 64;

function invalid(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.InvalidParams, message);
}

/** The request's rates (ascending, distinct, in (0, 1)) and target (≥ 1 or null); InvalidParams otherwise. */
export function parseSensitivityParams(params: unknown): { rates: number[]; targetFlops: number | null } {
  const what = StartSensitivityRequest.method;
  const p = (typeof params === 'object' && params !== null ? params : {}) as Partial<Record<keyof StartSensitivityParams, unknown>>;
  const rates = p.rates;
  if (!Array.isArray(rates) || rates.length === 0 || rates.length > MAX_RATES || !rates.every((r) => typeof r === 'number' && r > 0 && r < 1)) {
    throw invalid(`${what}: "rates" must be 1-${MAX_RATES} numbers in (0, 1)`);
  }
  const t = p.targetFlops;
  if (t !== null && !(typeof t === 'number' && Number.isFinite(t) && t >= 1)) throw invalid(`${what}: "targetFlops" must be a number ≥ 1 or null`);
  return { rates: [...new Set(rates as number[])].sort((a, b) => a - b), targetFlops: t };
}

/** Registers the requests; returns the host so the server can stop its workers on shutdown. */
export function registerSensitivity(connection: Connection, inspector: ModelInspector, workerScript: string): SensitivityHost {
  const host = new SensitivityHost(workerScript, {
    event: (analysisId, event) => void connection.sendNotification(SensitivityEventNotification, { analysisId, event }),
    log: (message) => connection.console.log(message),
  });
  connection.onRequest(StartSensitivityRequest, async (params) => {
    const what = StartSensitivityRequest.method;
    if (typeof params !== 'object' || params === null) throw invalid(`${what}: params must be an object`);
    const model = modelRef(params.uri, what);
    const { rates, targetFlops } = parseSensitivityParams(params);
    const config = parseConfig(params.config ?? {}, what);
    // Loading the model first turns a missing or malformed file into an error response instead of a failed analysis.
    await inspector.inspect(model);
    return refusals(() => host.start(model.path, config, rates, targetFlops));
  });
  connection.onRequest(CancelSensitivityRequest, (params) => {
    const id = (params as { analysisId?: unknown } | null)?.analysisId;
    if (typeof id !== 'string' || id === '') throw invalid(`${CancelSensitivityRequest.method}: "analysisId" must be a non-empty string`);
    return { cancelled: refusals(() => host.cancel(id)) };
  });
  return host;
}

function refusals<T>(call: () => T): T {
  try {
    return call();
  } catch (e) {
    throw e instanceof RunRequestError ? new ResponseError(e.code, e.message) : e;
  }
}
