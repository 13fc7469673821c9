/**
 * Owns the runs of one server: starts each in a worker, records its events in the run folder, forwards them to the
 * client, and answers history questions. Knows nothing about LSP beyond the plain protocol types: the handlers
 * translate requests into calls here and its RunRequestErrors into error responses, and `RunSink` is how events leave.
 */
import { rm } from 'node:fs/promises';
import { basename, isAbsolute, join, relative } from 'node:path';
import { DcpErrorCodes, type DeleteRunResult, type RunEndedParams, type RunEventParams, type RunHistoryEntry, type StartRunResult } from '../../protocol/lsp';
import type { RunConfig, RunEvent, RunReport } from '../../protocol/model';
import type { ModelRef } from '../handlers/params';
import {
  checkpointDir, createRunFolder, defaultOutDir, EventLog, newRunId, outcomeOf, readEvents, readReport, readRun, runsRoot,
  scanRuns, toEntry, writeRecord, writeReport, type RunRecord, type StoredRun,
} from './history';
import { RunRequestError } from './errors';
import { isTerminal } from './worker-messages';
import { WorkerRun } from './worker-host';

/** Where a run's events and end go (the LSP connection in the server, an array in tests). */
export interface RunSink {
  event(params: RunEventParams): void;
  ended(params: RunEndedParams): void;
  log(message: string): void;
}

export interface RunManagerOptions {
  /** Configured history folder; unset = `.dcp-runs` next to each model. */
  runsDir: string | undefined;
  workerScript: string;
  sink: RunSink;
}

/** A run of this server session: live while `worker` has not ended. */
interface SessionRun extends StoredRun {
  events: RunEvent[];
  worker: WorkerRun | undefined;
  log: EventLog | undefined;
  /** run.json writes, chained so a late progress write never overwrites the final status. */
  saving: Promise<void>;
  /** Set at the terminal event: resolves once the folder is sealed and runEnded is sent. */
  closing: Promise<void> | undefined;
}

export class RunManager {
  /** Runs started or resumed in this session, by id (kept after they end, for replay). */
  private readonly runs = new Map<string, SessionRun>();
  /**
   * History folders listed in this session. A client that listed a model's runs may then name one by id alone
   * (the pruning panel replaying an earlier session's run), so lookups search these too.
   */
  private readonly seenRoots = new Set<string>();

  constructor(private readonly options: RunManagerOptions) {}

  async start(model: ModelRef, config: RunConfig, outDir: string | undefined): Promise<StartRunResult> {
    const busy = [...this.runs.values()].find((r) => r.worker && !r.worker.ended && r.record.modelPath === model.path);
    if (busy) throw new RunRequestError(DcpErrorCodes.RunState, `Run ${busy.record.runId} is already pruning this model; cancel it first`);
    const runId = newRunId();
    const runDir = join(runsRoot(model.path, this.options.runsDir), runId);
    const record: RunRecord = {
      schema: 'dcp-run/1', runId, modelUri: model.uri, modelPath: model.path, outDir: outDir ?? defaultOutDir(runDir),
      status: 'running', startedAt: Date.now(), endedAt: null, layersDone: 0, outcome: null, message: null,
    };
    await createRunFolder(runDir, record, config);
    const run: SessionRun = { runDir, record, config, events: [], worker: undefined, log: undefined, saving: Promise.resolve(), closing: undefined };
    this.runs.set(runId, run);
    this.launch(run, config, false);
    return { runId, runDir, outDir: record.outDir };
  }

  async resume(runId: string, model: ModelRef | undefined): Promise<StartRunResult> {
    const found = await this.find(runId, model);
    // A run that just ended is still sealing its folder; its final writes must land before the resumed ones.
    await found.closing;
    if (found.worker && !found.worker.ended) throw new RunRequestError(DcpErrorCodes.RunState, `Run ${runId} is still running`);
    const config = found.config;
    if (!config) throw new RunRequestError(DcpErrorCodes.RunState, `Run ${runId} cannot be resumed: ${found.configProblem ?? 'config.json is unreadable'}`);
    const entry = toEntry(found, false);
    if (!entry.resumable) throw new RunRequestError(DcpErrorCodes.RunState, `Run ${runId} is ${entry.status}; only cancelled, failed or interrupted runs can be resumed`);
    const fromCheckpoint = await hasCheckpoint(found, config);
    const run: SessionRun = { ...found, worker: undefined, log: undefined, closing: undefined };
    run.record = { ...run.record, status: 'running', endedAt: null, message: null };
    this.runs.set(runId, run);
    await this.save(run);
    this.launch(run, config, fromCheckpoint);
    return { runId, runDir: run.runDir, outDir: run.record.outDir };
  }

  /** Idempotent: `cancelled` is false when the run had already ended. */
  async cancel(runId: string, model: ModelRef | undefined): Promise<boolean> {
    const run = await this.find(runId, model);
    if (!run.worker || run.worker.ended) return false;
    run.worker.cancel();
    return true;
  }

  /**
   * Removes a run's history folder (config, events, checkpoints, report, and the output when it lives inside).
   * A running run is refused rather than cancelled: deleting is never a side effect of a misclick on the wrong run.
   */
  async delete(runId: string, model: ModelRef | undefined): Promise<DeleteRunResult> {
    const run = await this.find(runId, model);
    await run.closing;
    if (this.isLive(runId)) throw new RunRequestError(DcpErrorCodes.RunState, `Run ${runId} is running; cancel it before deleting it`);
    // find() only returns folders holding this run's run.json; the name check guards against a hand-edited record.
    if (basename(run.runDir) !== runId) throw new RunRequestError(DcpErrorCodes.RunState, `Run ${runId} lives in ${run.runDir}, which is not named after it; delete it by hand`);
    await run.saving;
    await rm(run.runDir, { recursive: true, force: true });
    this.runs.delete(runId);
    const inside = relative(run.runDir, run.record.outDir);
    const outside = inside.startsWith('..') || isAbsolute(inside);
    return { runDir: run.runDir, keptOutDir: outside ? run.record.outDir : null };
  }

  /** Newest first. With a model: its runs only. Without: this session's runs plus the configured runsDir. */
  async list(model: ModelRef | undefined): Promise<RunHistoryEntry[]> {
    const stored = new Map<string, StoredRun>();
    const roots = new Set<string>();
    if (this.options.runsDir) roots.add(this.options.runsDir);
    if (model) roots.add(runsRoot(model.path, this.options.runsDir));
    for (const root of roots) {
      this.seenRoots.add(root);
      for (const r of await scanRuns(root)) stored.set(r.record.runId, r);
    }
    for (const [id, r] of this.runs) stored.set(id, r);
    return [...stored.values()]
      .filter((r) => !model || r.record.modelPath === model.path)
      .map((r) => toEntry(r, this.isLive(r.record.runId)))
      .sort((a, b) => b.startedAt - a.startedAt);
  }

  async events(runId: string, model: ModelRef | undefined): Promise<RunEventParams[]> {
    const run = await this.find(runId, model);
    return run.events.map((event, seq) => ({ runId, seq, event }));
  }

  /** The model's newest finished run with its report, for hovers ("last run's kept channels"). */
  async lastRunOf(model: ModelRef): Promise<{ runId: string; report: RunReport } | undefined> {
    const last = (await this.list(model)).find((e) => e.status === 'finished');
    const report = last && (await readReport(last.runDir));
    return last && report ? { runId: last.runId, report } : undefined;
  }

  /** How many runs of this session have a live worker. */
  liveRuns(): number {
    return [...this.runs.keys()].filter((id) => this.isLive(id)).length;
  }

  /** Terminates every live worker (server shutdown); their folders stay `running` and list as interrupted later. */
  async dispose(): Promise<void> {
    await Promise.all([...this.runs.values()].map((r) => r.worker?.terminate()));
  }

  private isLive(runId: string): boolean {
    const w = this.runs.get(runId)?.worker;
    return w !== undefined && !w.ended;
  }

  /** A run of this session, or one on disk under the configured root or next to the given model. */
  private async find(runId: string, model: ModelRef | undefined): Promise<SessionRun> {
    const session = this.runs.get(runId);
    if (session) return session;
    const named = [this.options.runsDir, model && runsRoot(model.path, this.options.runsDir)].filter((r): r is string => !!r);
    for (const root of new Set([...named, ...this.seenRoots])) {
      const stored = await readRun(join(root, runId));
      if (stored) return { ...stored, events: await readEvents(stored.runDir), worker: undefined, log: undefined, saving: Promise.resolve(), closing: undefined };
    }
    const hint = model ? '' : ' (pass the model uri to find runs of earlier sessions)';
    throw new RunRequestError(DcpErrorCodes.RunNotFound, `No run ${runId}${hint}`);
  }

  /** Queues a write of the run's current record after the previous ones. */
  private save(run: SessionRun): Promise<void> {
    const record = run.record;
    run.saving = run.saving
      .then(() => writeRecord(run.runDir, record))
      .catch((e: Error) => this.options.sink.log(`Could not write run.json of ${record.runId}: ${e.message}`));
    return run.saving;
  }

  private launch(run: SessionRun, config: RunConfig, resume: boolean): void {
    const { sink } = this.options;
    const runId = run.record.runId;
    run.log = new EventLog(run.runDir);
    const options = { modelPath: run.record.modelPath, outDir: run.record.outDir, checkpointDir: checkpointDir(run.runDir), resume };
    run.worker = new WorkerRun(this.options.workerScript, config, options, {
      onLog: (line) => sink.log(`[run ${runId}] ${line}`),
      onEvent: (event) => {
        const seq = run.events.push(event) - 1;
        run.log?.append(event);
        if (event.type === 'layerDone') {
          run.record = { ...run.record, layersDone: layersDone(run.events) };
          void this.save(run);
        }
        sink.event({ runId, seq, event });
        if (isTerminal(event)) run.closing = this.end(run, event);
      },
    });
  }

  /** Seals the folder (log, report, record), then tells the client: files are complete when runEnded arrives. */
  private async end(run: SessionRun, event: Extract<RunEvent, { type: 'runFinished' | 'runFailed' | 'runCancelled' }>): Promise<void> {
    const report = event.type === 'runFinished' ? event.report : null;
    const status = event.type === 'runFinished' ? 'finished' : event.type === 'runFailed' ? 'failed' : 'cancelled';
    const message = event.type === 'runFailed' ? event.message : null;
    run.record = { ...run.record, status, endedAt: Date.now(), message, outcome: report ? outcomeOf(report) : null };
    try {
      await run.log?.close();
      if (report) await writeReport(run.runDir, report);
    } catch (e) {
      this.options.sink.log(`Could not record the end of run ${run.record.runId}: ${(e as Error).message}`);
    }
    await this.save(run);
    // The worker reports its TF.js memory once the engine has returned (bounded wait: see WorkerRun.finished).
    const workerMemory = (await run.worker?.finished) ?? null;
    this.options.sink.ended({ runId: run.record.runId, status, report, message, runDir: run.runDir, outDir: run.record.outDir, workerMemory });
  }
}

/**
 * Whether the engine left a checkpoint to continue from. None (stopped before its first checkpoint) means the run
 * restarts from the beginning; one the engine refuses (another model or config) is an error response now rather
 * than a failed run later.
 */
async function hasCheckpoint(run: StoredRun, config: RunConfig): Promise<boolean> {
  const { readCheckpoint } = await import('../dcp/run/checkpoint');
  try {
    return (await readCheckpoint(checkpointDir(run.runDir), run.record.modelPath, config)) !== null;
  } catch (e) {
    throw new RunRequestError(DcpErrorCodes.RunState, `Run ${run.record.runId} cannot be resumed: ${(e as Error).message}`);
  }
}

/** Distinct layers finished over all attempts: a resumed run that redoes a layer does not count it twice. */
function layersDone(events: readonly RunEvent[]): number {
  return new Set(events.flatMap((e) => (e.type === 'layerDone' ? [e.result.layer] : []))).size;
}
