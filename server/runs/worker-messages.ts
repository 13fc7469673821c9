/**
 * Messages between the server's main thread (the worker host) and the pruning worker (server/worker.ts).
 * Internal to the server, but typed like the LSP protocol: both sides import these unions.
 */
import type { WorkerMemory } from '../../protocol/lsp';
import type { RunConfig, RunEvent } from '../../protocol/model';
import type { SensitivityEvent } from '../../protocol/sensitivity';
import { resolveRunConfig } from '../../protocol/settings-validate';

/** What the worker needs to call the engine's runPruning; everything is plain data (postMessage clones it). */
export interface WorkerRunOptions {
  modelPath: string;
  outDir: string;
  checkpointDir: string;
  resume: boolean;
}

/** What the worker needs to call the engine's runSensitivity (server/dcp/sensitivity/engine.ts). */
export interface WorkerSensitivityOptions {
  modelPath: string;
  rates: number[];
  targetFlops: number | null;
  outFile: string;
}

/** Sent from the host to the worker: one job per worker, a pruning run or a sensitivity analysis. */
export type HostToWorker =
  | { kind: 'start'; config: RunConfig; options: WorkerRunOptions }
  | { kind: 'sensitivity'; config: RunConfig; options: WorkerSensitivityOptions }
  | { kind: 'cancel' };

/** Sent from the worker to the host. */
export type WorkerToHost =
  | { kind: 'event'; event: RunEvent }
  /** A sensitivity analysis's event; the last one is sensitivityDone, -Failed or -Cancelled. */
  | { kind: 'sensitivityEvent'; event: SensitivityEvent }
  /**
   * The engine's generator returned; its last event was runFinished, runFailed or runCancelled. `memory`: tf.memory()
   * at that moment, after every phase freed what it allocated (null when TF.js cannot say).
   */
  | { kind: 'done'; memory?: WorkerMemory | null }
  /** The engine threw instead of yielding runFailed (a bug or an import failure); the host turns it into runFailed. */
  | { kind: 'error'; message: string };

/** Narrows an incoming worker message; anything else is a protocol bug and is reported as a failure. */
export function isWorkerToHost(m: unknown): m is WorkerToHost {
  if (typeof m !== 'object' || m === null) return false;
  const kind = (m as { kind?: unknown }).kind;
  return kind === 'event' || kind === 'sensitivityEvent' || kind === 'done' || kind === 'error';
}

export function isHostToWorker(m: unknown): m is HostToWorker {
  if (typeof m !== 'object' || m === null) return false;
  const kind = (m as { kind?: unknown }).kind;
  return kind === 'start' || kind === 'sensitivity' || kind === 'cancel';
}

/**
 * The worker's check of a start message before it touches TF.js: the config against the settings table (the same
 * validator as the server's edge), the options for their types. A string = what is wrong, for a runFailed event.
 */
export function readStart(m: Extract<HostToWorker, { kind: 'start' }>): { config: RunConfig; options: WorkerRunOptions } | string {
  let config: RunConfig;
  try {
    config = resolveRunConfig(m.config, 'field');
  } catch (e) {
    return `The pruning worker received an invalid run config: ${(e as Error).message}`;
  }
  const o = (typeof m.options === 'object' && m.options !== null ? m.options : {}) as Partial<Record<keyof WorkerRunOptions, unknown>>;
  const paths = (['modelPath', 'outDir', 'checkpointDir'] as const).filter((k) => typeof o[k] !== 'string' || o[k] === '');
  if (paths.length > 0 || typeof o.resume !== 'boolean') {
    return `The pruning worker received invalid run options (${[...paths, ...(typeof o.resume !== 'boolean' ? ['resume'] : [])].join(', ')})`;
  }
  return { config, options: o as WorkerRunOptions };
}

/** Events after which a run is over. */
export function isTerminal(e: RunEvent): e is Extract<RunEvent, { type: 'runFinished' | 'runFailed' | 'runCancelled' }> {
  return e.type === 'runFinished' || e.type === 'runFailed' || e.type === 'runCancelled';
}
