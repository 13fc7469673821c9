/**
 * Runs one pruning run in its own worker thread and turns everything that can happen to it — events, a clean end,
 * a thrown error, a crash, a hung cancel — into a stream of RunEvents that always ends with exactly one terminal
 * event. One worker per run: TF.js memory is released with the thread, and a crash takes down only that run.
 */
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { WorkerMemory } from '../../protocol/lsp';
import type { RunConfig, RunEvent } from '../../protocol/model';
import { isTerminal, isWorkerToHost, type HostToWorker, type WorkerRunOptions } from './worker-messages';

/** How long a cancelled run may take to reach its next step before the thread is terminated. */
export const CANCEL_GRACE_MS = 10_000;

/** How long after its terminal event a worker may take to say `done` (with its memory) before it is terminated. */
export const DONE_GRACE_MS = 2_000;

/**
 * The worker entry next to this module: `worker.ts` when the server runs from sources under tsx,
 * `dist/worker.js` when it runs from the bundle (dist/server.js).
 */
export function defaultWorkerScript(): string {
  return extname(__filename) === '.ts' ? join(dirname(__dirname), 'worker.ts') : join(__dirname, 'worker.js');
}

/** A worker thread running `script`, which may be a .ts file when the caller runs under tsx (tests, the fuzzer). */
export function spawnWorker(script: string, extra: WorkerOptions = {}): Worker {
  const options = { stdout: true, stderr: true, ...extra };
  if (extname(script) !== '.ts') return new Worker(script, options);
  // Node cannot start a worker from a .ts file, even under `--import tsx` (loader hooks do not reach the thread):
  // register tsx's CommonJS and ESM hooks in the thread first, so `require` and dynamic `import()` both load .ts.
  const resolve = createRequire(__filename).resolve;
  const [cjs, esm] = [resolve('tsx/cjs/api'), resolve('tsx/esm/api')].map((p) => JSON.stringify(p));
  return new Worker(`require(${cjs}).register(); require(${esm}).register(); require(${JSON.stringify(script)});`, { ...options, eval: true });
}

export interface WorkerRunListener {
  /** Every event, in order; the last one is terminal. */
  onEvent(event: RunEvent): void;
  /** Lines the worker wrote to stdout/stderr (TF.js banners, warnings); never mixed into the stdio JSON-RPC stream. */
  onLog(line: string): void;
}

/** A run in a worker thread. `done` resolves after the terminal event has been delivered and the thread is gone. */
export class WorkerRun {
  readonly done: Promise<void>;
  /**
   * Resolves with the worker's TF.js memory from its `done` message, or null once the thread is gone without one;
   * either way within DONE_GRACE_MS of the terminal event.
   */
  readonly finished: Promise<WorkerMemory | null>;
  private resolveFinished: (m: WorkerMemory | null) => void = () => undefined;
  private doneTimer: NodeJS.Timeout | undefined;
  private readonly worker: Worker;
  private terminal: RunEvent | undefined;
  private cancelRequested = false;
  private crash: string | undefined;
  private cancelTimer: NodeJS.Timeout | undefined;

  constructor(
    script: string,
    config: RunConfig,
    options: WorkerRunOptions,
    private readonly listener: WorkerRunListener,
    private readonly cancelGraceMs = CANCEL_GRACE_MS,
  ) {
    this.worker = spawnWorker(script);
    for (const stream of [this.worker.stdout, this.worker.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.trim() !== '') listener.onLog(line);
      });
    }
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.done = new Promise((resolve) => {
      this.worker.on('message', (m: unknown) => this.onMessage(m));
      // The crash is reported at 'exit': events the worker posted before it crashed can still be in flight.
      this.worker.on('error', (e: Error) => { this.crash ??= `The pruning worker crashed: ${e.message}`; });
      this.worker.on('messageerror', (e: Error) => this.fail(`The pruning worker sent an unreadable message: ${e.message}`));
      this.worker.on('exit', (code) => {
        clearTimeout(this.cancelTimer);
        clearTimeout(this.doneTimer);
        this.resolveFinished(null);
        if (this.cancelRequested) this.deliver({ type: 'runCancelled', time: Date.now() });
        else this.fail(this.crash ?? `The pruning worker stopped unexpectedly (exit code ${code}) — possibly out of memory`);
        resolve();
      });
    });
    this.post({ kind: 'start', config, options });
  }

  get ended(): boolean {
    return this.terminal !== undefined;
  }

  /** Asks the engine to stop at its next step; if it does not within the grace period, the thread is terminated. */
  cancel(): void {
    if (this.terminal || this.cancelRequested) return;
    this.cancelRequested = true;
    this.post({ kind: 'cancel' });
    this.cancelTimer = setTimeout(() => void this.worker.terminate(), this.cancelGraceMs);
    this.cancelTimer.unref();
  }

  /** Stops the thread at once (server shutdown). */
  async terminate(): Promise<void> {
    this.cancelRequested = true;
    await this.worker.terminate();
    await this.done;
  }

  private post(message: HostToWorker): void {
    this.worker.postMessage(message);
  }

  private onMessage(m: unknown): void {
    if (!isWorkerToHost(m)) this.fail('The pruning worker sent a message the server does not understand');
    else if (m.kind === 'event') this.deliver(m.event);
    else if (m.kind === 'error') this.fail(m.message);
    else if (m.kind === 'sensitivityEvent') this.fail('The pruning worker sent a sensitivity event during a run');
    else {
      if (!this.terminal) this.fail('The engine stopped without a final event');
      this.resolveFinished(m.memory ?? null);
    }
    if (!this.terminal) return;
    // The run is over: free the thread (TF.js may keep handles alive) once the engine said done, or after a grace.
    if (isWorkerToHost(m) && m.kind === 'event') {
      this.doneTimer ??= setTimeout(() => void this.worker.terminate(), DONE_GRACE_MS);
    } else {
      void this.worker.terminate();
    }
  }

  private fail(message: string): void {
    this.deliver({ type: 'runFailed', message, time: Date.now() });
  }

  /** Delivers an event unless the run already ended: later events (e.g. the exit after a failure) are dropped. */
  private deliver(event: RunEvent): void {
    if (this.terminal) return;
    if (isTerminal(event)) this.terminal = event;
    this.listener.onEvent(event);
  }
}
