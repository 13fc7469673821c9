/**
 * Layer-sensitivity analyses in worker threads, like runs (worker-host.ts): one worker per analysis, so TF.js memory
 * goes with the thread and a crash ends only that analysis. Whatever happens — events, a clean end, a thrown error,
 * a crash, a hung cancel — the listener sees the events in order and exactly one end event.
 */
import { randomUUID } from 'node:crypto';
import { dirname, join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { DcpErrorCodes, type StartSensitivityResult } from '../../protocol/lsp';
import type { RunConfig } from '../../protocol/model';
import { isSensitivityEnd, type SensitivityEvent } from '../../protocol/sensitivity';
import { RunRequestError } from './errors';
import { CANCEL_GRACE_MS, spawnWorker } from './worker-host';
import { isWorkerToHost, type HostToWorker } from './worker-messages';

export interface SensitivitySink {
  event(analysisId: string, event: SensitivityEvent): void;
  log(message: string): void;
}

interface Analysis {
  worker: Worker;
  ended: boolean;
  cancelRequested: boolean;
  done: Promise<void>;
}

/** The analyses this server runs; at most one at a time (each trains heads and selects every layer: heavy). */
export class SensitivityHost {
  private readonly analyses = new Map<string, Analysis>();

  constructor(private readonly workerScript: string, private readonly sink: SensitivitySink, private readonly cancelGraceMs = CANCEL_GRACE_MS) {}

  /** Starts an analysis of `modelPath`; `config` is already validated. The result goes next to the model. */
  start(modelPath: string, config: RunConfig, rates: number[], targetFlops: number | null): StartSensitivityResult {
    if ([...this.analyses.values()].some((a) => !a.ended)) {
      throw new RunRequestError(DcpErrorCodes.RunState, 'a sensitivity analysis is already running; cancel it or wait for it to end');
    }
    const analysisId = randomUUID();
    const outFile = join(dirname(modelPath), 'sensitivity.json');
    const worker = spawnWorker(this.workerScript);
    const a: Analysis = { worker, ended: false, cancelRequested: false, done: Promise.resolve() };
    this.analyses.set(analysisId, a);
    const deliver = (event: SensitivityEvent): void => {
      if (a.ended) return;
      if (isSensitivityEnd(event)) a.ended = true;
      this.sink.event(analysisId, event);
    };
    const fail = (message: string): void => deliver({ type: 'sensitivityFailed', message, time: Date.now() });
    for (const stream of [worker.stdout, worker.stderr]) {
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => { for (const line of chunk.split('\n')) if (line.trim() !== '') this.sink.log(line); });
    }
    let crash: string | undefined;
    a.done = new Promise((resolve) => {
      worker.on('message', (m: unknown) => {
        if (!isWorkerToHost(m)) fail('The sensitivity worker sent a message the server does not understand');
        else if (m.kind === 'sensitivityEvent') deliver(m.event);
        else if (m.kind === 'error') fail(m.message);
        else if (m.kind === 'done') {
          if (!a.ended) fail('The engine stopped without a final event');
          void worker.terminate();
        } else fail('The sensitivity worker sent a run event');
      });
      worker.on('error', (e: Error) => { crash ??= `The sensitivity worker crashed: ${e.message}`; });
      worker.on('exit', (code) => {
        if (a.cancelRequested) deliver({ type: 'sensitivityCancelled', time: Date.now() });
        else fail(crash ?? `The sensitivity worker stopped unexpectedly (exit code ${code}) — possibly out of memory`);
        resolve();
      });
    });
    const message: HostToWorker = { kind: 'sensitivity', config, options: { modelPath, rates, targetFlops, outFile } };
    worker.postMessage(message);
    return { analysisId, outFile };
  }

  /** Asks the analysis to stop at its next step; the thread is terminated if it does not within the grace period. */
  cancel(analysisId: string): boolean {
    const a = this.analyses.get(analysisId);
    if (!a) throw new RunRequestError(DcpErrorCodes.RunNotFound, `no sensitivity analysis ${analysisId}`);
    if (a.ended || a.cancelRequested) return false;
    a.cancelRequested = true;
    a.worker.postMessage({ kind: 'cancel' } satisfies HostToWorker);
    setTimeout(() => void a.worker.terminate(), this.cancelGraceMs).unref();
    return true;
  }

  /** Stops every analysis at once (server shutdown). */
  async dispose(): Promise<void> {
    for (const a of this.analyses.values()) {
      a.cancelRequested = true;
      await a.worker.terminate();
      await a.done;
    }
    this.analyses.clear();
  }
}
