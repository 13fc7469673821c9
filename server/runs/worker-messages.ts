/**
 * Messages between the server's main thread (the worker host) and the pruning worker (server/worker.ts).
 * Internal to the server, but typed like the LSP protocol: both sides import these unions.
 */
import type { RunConfig, RunEvent } from '../../protocol/model';

/** What the worker needs to call the engine's runPruning; everything is plain data (postMessage clones it). */
export interface WorkerRunOptions {
  modelPath: string;
  outDir: string;
  checkpointDir: string;
  resume: boolean;
}

/** Sent from the host to the worker. */
export type HostToWorker =
  | { kind: 'start'; config: RunConfig; options: WorkerRunOptions }
  | { kind: 'cancel' };

/** Sent from the worker to the host. */
export type WorkerToHost =
  | { kind: 'event'; event: RunEvent }
  /** The engine's generator returned; its last event was runFinished, runFailed or runCancelled. */
  | { kind: 'done' }
  /** The engine threw instead of yielding runFailed (a bug or an import failure); the host turns it into runFailed. */
  | { kind: 'error'; message: string };

/** Narrows an incoming worker message; anything else is a protocol bug and is reported as a failure. */
export function isWorkerToHost(m: unknown): m is WorkerToHost {
  if (typeof m !== 'object' || m === null) return false;
  const kind = (m as { kind?: unknown }).kind;
  return kind === 'event' || kind === 'done' || kind === 'error';
}

export function isHostToWorker(m: unknown): m is HostToWorker {
  if (typeof m !== 'object' || m === null) return false;
  const kind = (m as { kind?: unknown }).kind;
  return kind === 'start' || kind === 'cancel';
}

/** Events after which a run is over. */
export function isTerminal(e: RunEvent): e is Extract<RunEvent, { type: 'runFinished' | 'runFailed' | 'runCancelled' }> {
  return e.type === 'runFinished' || e.type === 'runFailed' || e.type === 'runCancelled';
}
