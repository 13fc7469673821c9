/**
 * Validation of request params at the server's edge. The client is typed, but the wire is not: every request's
 * params are checked here and turned into an InvalidParams (or ConfigInvalid) error response a person can act on,
 * so one bad request never reaches the engine or kills the server.
 */
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCodes, ResponseError } from 'vscode-languageserver';
import { DcpErrorCodes, ListRunsRequest, StartRunRequest, type ListRunsParams, type RunParams, type StartRunParams } from '../../protocol/lsp';
import type { RunConfig } from '../../protocol/model';
import { ConfigError, isUnknownSetting, resolveRunConfig } from '../../protocol/settings-validate';

/** A model reference after validation: the URI as sent and the file system path it names. */
export interface ModelRef {
  uri: string;
  path: string;
}

export interface ValidStartRun {
  model: ModelRef;
  config: RunConfig;
  outDir: string | undefined;
}

export interface ValidRunRef {
  runId: string;
  model: ModelRef | undefined;
}

/** Run ids become folder names: a strict pattern keeps `..` and separators out of the file system. */
const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

function invalid(message: string): ResponseError<void> {
  return new ResponseError(ErrorCodes.InvalidParams, message);
}

function record(params: unknown, what: string): Record<string, unknown> {
  if (typeof params !== 'object' || params === null || Array.isArray(params)) throw invalid(`${what}: params must be an object`);
  return params as Record<string, unknown>;
}

/** Converts a `file:` URI string to a path; rejects other schemes (the engine reads local files only). */
export function modelRef(uri: unknown, what: string): ModelRef {
  if (typeof uri !== 'string' || uri === '') throw invalid(`${what}: "uri" must be a non-empty string`);
  if (!uri.startsWith('file:')) throw invalid(`${what}: "uri" must be a file: URI (got ${JSON.stringify(uri.slice(0, 80))})`);
  try {
    return { uri, path: fileURLToPath(uri) };
  } catch (e) {
    throw invalid(`${what}: "uri" is not a valid file URI: ${(e as Error).message}`);
  }
}

export function parseModelParams(params: unknown, what: string): ModelRef {
  return modelRef(record(params, what).uri, what);
}

/** Validates a start request, including the run config (defaults filled, ranges checked). */
export function parseStartRunParams(params: unknown): ValidStartRun {
  const what = StartRunRequest.method;
  const p = record(params, what) as Partial<Record<keyof StartRunParams, unknown>>;
  const model = modelRef(p.uri, what);
  if (p.outDir !== undefined && (typeof p.outDir !== 'string' || !isAbsolute(p.outDir))) {
    throw invalid(`${what}: "outDir" must be an absolute path`);
  }
  return { model, config: parseConfig(p.config, what), outDir: p.outDir as string | undefined };
}

/**
 * Partial config → full RunConfig, checked against the one settings table without coercion (the string "false" is
 * not a boolean). Unknown keys are InvalidParams so a typo is not silently ignored; bad values are ConfigInvalid.
 */
export function parseConfig(config: unknown, what: string): RunConfig {
  try {
    return resolveRunConfig(config, 'field');
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    if (isUnknownSetting(e)) throw invalid(`${what}: ${e.message}`);
    throw new ResponseError(DcpErrorCodes.ConfigInvalid, `${what}: ${e.message}`, undefined);
  }
}

export function parseRunParams(params: unknown, what: string): ValidRunRef {
  const p = record(params, what) as Partial<Record<keyof RunParams, unknown>>;
  if (typeof p.runId !== 'string' || !RUN_ID.test(p.runId)) {
    throw invalid(`${what}: "runId" must be a run id like 20250101-120000-ab12 (got ${JSON.stringify(p.runId)})`);
  }
  return { runId: p.runId, model: p.uri === undefined ? undefined : modelRef(p.uri, what) };
}

export function parseListRunsParams(params: unknown): ModelRef | undefined {
  const what = ListRunsRequest.method;
  if (params === undefined || params === null) return undefined;
  const p = record(params, what) as Partial<Record<keyof ListRunsParams, unknown>>;
  return p.uri === undefined ? undefined : modelRef(p.uri, what);
}

/** Whether a string is a well-formed run id (also used to skip foreign folders when scanning run history). */
export function isRunId(s: string): boolean {
  return RUN_ID.test(s);
}
