/**
 * The run history on disk. Each run owns one folder, `<root>/<runId>/`:
 *   run.json      RunRecord: status, times, where the model and output are (rewritten atomically while the run lives)
 *   config.json   the resolved RunConfig (written once)
 *   events.jsonl  every RunEvent, one JSON object a line, in order
 *   report.json   the RunReport (finished runs only)
 *   checkpoints/  the engine's per-layer state, for resume
 *   output/       the pruned model (default outDir; written by the engine only when the run finishes)
 * A finished run's folder is never written again.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeJsonAtomic } from '../io/atomic';
import type { RunHistoryEntry, RunOutcome, RunStatus } from '../../protocol/lsp';
import type { RunConfig, RunEvent, RunReport } from '../../protocol/model';
import { parseRunEvent } from '../../protocol/event-schema';
import { parseRunReport } from '../../protocol/report-schema';
import { resolveRunConfig } from '../../protocol/settings-validate';
import { parseRunRecord } from './record-schema';

export const RUNS_FOLDER = '.dcp-runs';

/** The contents of run.json. */
export interface RunRecord {
  schema: 'dcp-run/1';
  runId: string;
  modelUri: string;
  modelPath: string;
  outDir: string;
  status: RunStatus;
  startedAt: number;
  endedAt: number | null;
  layersDone: number;
  outcome: RunOutcome | null;
  message: string | null;
}

/** A run folder read back from disk. */
export interface StoredRun {
  runDir: string;
  record: RunRecord;
  /** null when config.json is missing or fails validation; `configProblem` says why. The run is listed, not resumable. */
  config: RunConfig | null;
  configProblem?: string;
}

/** Sortable, readable, unique enough: `20250101-120000-ab12`. */
export function newRunId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${stamp}-${randomBytes(2).toString('hex')}`;
}

/** The folder that holds a model's runs: the configured runsDir, or `.dcp-runs` next to the model. */
export function runsRoot(modelPath: string, runsDir: string | undefined): string {
  return runsDir ?? join(dirname(modelPath), RUNS_FOLDER);
}

export const checkpointDir = (runDir: string): string => join(runDir, 'checkpoints');
export const defaultOutDir = (runDir: string): string => join(runDir, 'output');

export async function createRunFolder(runDir: string, record: RunRecord, config: RunConfig): Promise<void> {
  await mkdir(checkpointDir(runDir), { recursive: true });
  await writeJsonAtomic(join(runDir, 'config.json'), config);
  await writeJsonAtomic(join(runDir, 'run.json'), record);
}

export const writeRecord = (runDir: string, record: RunRecord): Promise<void> => writeJsonAtomic(join(runDir, 'run.json'), record);
export const writeReport = (runDir: string, report: RunReport): Promise<void> => writeJsonAtomic(join(runDir, 'report.json'), report);

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * config.json is checked with the same validator as a start request, so a hand-edited or corrupt file gives that
 * run a clear message instead of a crash later (settings missing from an older file take today's defaults).
 */
async function readConfig(runDir: string): Promise<{ config: RunConfig } | { problem: string }> {
  const path = join(runDir, 'config.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    return { problem: `config.json cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})` };
  }
  try {
    return { config: resolveRunConfig(JSON.parse(text), 'field') };
  } catch (e) {
    return { problem: `config.json is broken: ${(e as Error).message}` };
  }
}

/**
 * A run folder, or undefined when run.json is not ours or fails its schema (foreign, torn or hand-broken folders are
 * skipped: a record with a wrong path or status in it must not steer a resume or a delete).
 */
export async function readRun(runDir: string): Promise<StoredRun | undefined> {
  const parsed = parseRunRecord(await readJson(join(runDir, 'run.json')));
  if (!('record' in parsed)) return undefined;
  const record = parsed.record;
  const read = await readConfig(runDir);
  return 'config' in read ? { runDir, record, config: read.config } : { runDir, record, config: null, configProblem: read.problem };
}

/** The run's report.json, validated; undefined when it is missing, not JSON or not a RunReport. */
export async function readReport(runDir: string): Promise<RunReport | undefined> {
  const file = join(runDir, 'report.json');
  const value = await readJson(file);
  if (value === undefined) return undefined;
  try {
    return parseRunReport(value, file);
  } catch {
    return undefined;
  }
}

/**
 * The events log, up to its first line that is not a RunEvent: a torn last line (the server died mid-write) or a
 * damaged one; what follows a damaged line is not trusted either.
 */
export async function readEvents(runDir: string): Promise<RunEvent[]> {
  let text: string;
  try {
    text = await readFile(join(runDir, 'events.jsonl'), 'utf8');
  } catch {
    return [];
  }
  const events: RunEvent[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let event: RunEvent | null;
    try {
      event = parseRunEvent(JSON.parse(line));
    } catch {
      break;
    }
    if (event === null) break;
    events.push(event);
  }
  return events;
}

/** Every run folder under a root, unordered; unreadable folders are skipped. */
export async function scanRuns(root: string): Promise<StoredRun[]> {
  let names: string[];
  try {
    names = await readdir(root);
  } catch {
    return [];
  }
  const runs = await Promise.all(names.map((n) => readRun(join(root, n))));
  return runs.filter((r): r is StoredRun => r !== undefined);
}

/** Appends events to events.jsonl in order; `close` resolves once everything is on disk. */
export class EventLog {
  private readonly stream: WriteStream;
  constructor(runDir: string) {
    this.stream = createWriteStream(join(runDir, 'events.jsonl'), { flags: 'a' });
    // A failed append (disk full) must not crash the server; the in-memory events still reach the client.
    this.stream.on('error', () => undefined);
  }
  append(event: RunEvent): void {
    this.stream.write(`${JSON.stringify(event)}\n`);
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}

/** The list-view numbers of a report. */
export function outcomeOf(report: RunReport): RunOutcome {
  return {
    paramsBefore: report.before.params,
    paramsAfter: report.after.params,
    flopsBefore: report.before.flops,
    flopsAfter: report.after.flops,
    accuracyBefore: report.before.accuracy,
    accuracyAfter: report.after.accuracy,
    seconds: report.seconds,
  };
}

/** A stored run as the protocol lists it. `live` = running in this server; a stale `running` means interrupted. */
export function toEntry(run: StoredRun, live: boolean): RunHistoryEntry {
  const r = run.record;
  const status: RunStatus = r.status === 'running' && !live ? 'interrupted' : r.status;
  return {
    runId: r.runId,
    modelUri: r.modelUri,
    runDir: run.runDir,
    outDir: r.outDir,
    status,
    config: run.config,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    resumable: run.config !== null && (status === 'cancelled' || status === 'failed' || status === 'interrupted'),
    layersDone: r.layersDone,
    outcome: r.outcome,
    message: run.configProblem ? [run.configProblem, r.message].filter(Boolean).join('; ') : r.message,
  };
}
