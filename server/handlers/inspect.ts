/**
 * `dcp/inspectModel`: load a model.json on the server's main thread (small and quick: topology and weights only, no
 * training) and summarise it with the engine's graph analysis. Summaries are cached per file version, so hovers can
 * ask for them on every mouse move.
 */
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { ResponseError } from 'vscode-languageserver';
import { DcpErrorCodes } from '../../protocol/lsp';
import type { ModelSummary } from '../../protocol/model';
import type { ModelRef } from './params';

interface CacheEntry {
  /** mtime and size of model.json when the summary was made; a change of either means a new file. */
  version: string;
  summary: Promise<ModelSummary>;
}

let cpuReady: Promise<unknown> | undefined;

/**
 * The main thread only deserialises models (inspect, diagnostics): TF.js's pure-JS cpu backend, selected before the
 * first op, so that a faster backend registered by some import (wasm needs an async init) is never picked half-ready.
 */
export function mainThreadTf(): Promise<unknown> {
  // initBackend('cpu') also keeps TF.js's "you are running in Node.js" banner out of the server's log.
  cpuReady ??= import('../tfjs/backend').then(({ initBackend }) => initBackend('cpu'));
  return cpuReady;
}

/** TF.js and the graph analysis are imported on first use, so starting the server stays instant. */
async function loadSummary(path: string): Promise<ModelSummary> {
  await mainThreadTf();
  const [{ loadLayersModel }, { analyzeGraph, summarizeModel }] = await Promise.all([import('../io/model-files'), import('../dcp/graph/graph')]);
  const model = await loadLayersModel(path);
  try {
    return summarizeModel(model, analyzeGraph(model), modelName(path));
  } finally {
    model.dispose();
  }
}

/** `…/mnist-cnn/model.json` → `mnist-cnn`; a model file with its own name keeps it. */
export function modelName(path: string): string {
  const file = basename(path);
  return file === 'model.json' ? basename(dirname(path)) : file.replace(/\.(json|onnx)$/i, '');
}

export class ModelInspector {
  private readonly cache = new Map<string, CacheEntry>();

  /** Loads the modules in the background so the first inspect during a run does not pay for importing TF.js. */
  warmUp(): void {
    void Promise.all([mainThreadTf(), import('../io/model-files'), import('../dcp/graph/graph')]).catch(() => undefined);
  }

  /** The model's summary, or an error response: ModelNotFound for a missing file, ModelInvalid for a bad one. */
  async inspect(ref: ModelRef): Promise<ModelSummary> {
    const version = await fileVersion(ref.path);
    const cached = this.cache.get(ref.path);
    if (cached?.version === version) return cached.summary;
    const summary = loadSummary(ref.path).catch((e: unknown) => {
      this.cache.delete(ref.path);
      throw toResponseError(ref.path, e);
    });
    this.cache.set(ref.path, { version, summary });
    return summary;
  }
}

async function fileVersion(path: string): Promise<string> {
  try {
    const s = await stat(path);
    if (!s.isFile()) throw new ResponseError(DcpErrorCodes.ModelNotFound, `${path} is not a file`);
    return `${s.mtimeMs}:${s.size}`;
  } catch (e) {
    if (e instanceof ResponseError) throw e;
    throw new ResponseError(DcpErrorCodes.ModelNotFound, `Model file not found: ${path}`);
  }
}

/** Any load failure becomes ModelInvalid with the loader's message (it names the file and the place). */
function toResponseError(path: string, e: unknown): ResponseError<void> {
  if (e instanceof ResponseError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new ResponseError(DcpErrorCodes.ModelInvalid, message.includes(path) ? message : `${path}: ${message}`);
}
