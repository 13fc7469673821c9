/**
 * Runs a method comparison: the same pipeline (data, selection set, heads, fine-tuning) once per job, with only
 * `method` and `seed` changing, and collects the reports. The rows are aggregated by protocol/compare.ts.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunConfig, RunEvent, RunReport } from '../../../protocol/model';
import { compareDocument, runFromReport, type CompareDocument, type CompareRun } from '../../../protocol/compare';
import { resolveRunConfig } from '../../../protocol/settings-validate';
import { runPruning } from '../run/engine';
import type { HeadsCache } from '../run/heads-cache';
import type { CompareJob } from './jobs';

export interface CompareOptions {
  modelPath: string;
  /** Options every run shares; `method` and `seed` are overridden per job. */
  config: Partial<RunConfig>;
  jobs: readonly CompareJob[];
  /**
   * Also run every job once more with no fine-tuning at all (stage fine-tunes off, no final fine-tuning), for the
   * "before any fine-tuning" column: the honest measure of the choice itself. Costs a selection-only run per job.
   */
  untuned?: boolean;
  signal?: AbortSignal;
  /** Called when a run finishes (its numbers) or fails (its message); `index` counts from 1. */
  onRun?: (index: number, total: number, job: CompareJob, run: CompareRun | null, failure: string | null) => void;
  /** Sees every engine event (the CLI draws its live status line from them). */
  onEvent?: (e: RunEvent) => void;
}

export interface CompareResult {
  /** Null when cancelled or when no run finished. */
  doc: CompareDocument | null;
  reports: RunReport[];
  /** With `untuned`: per report, the accuracy of its untuned twin (null when that run failed). */
  untuned: (number | null)[];
  failures: { job: CompareJob; message: string }[];
  cancelled: boolean;
}

/**
 * Runs every job in order (few cores: parallel runs would only slow each other), each into its own temporary
 * output folder deleted as soon as the run ends; only the report is kept, in memory. Stops at the first
 * cancellation. Every job's settings are validated before the first run starts (ConfigError, field names), so a
 * typo does not surface after an hour of runs; after that it never throws for a failed run.
 */
export async function runCompare(o: CompareOptions): Promise<CompareResult> {
  const configOf = (job: CompareJob, untuned: boolean): Partial<RunConfig> => ({
    ...o.config, method: job.method, seed: job.seed, ...(job.choiceSeed !== undefined ? { choiceSeed: job.choiceSeed } : {}),
    ...(untuned ? { stageFinetune: false, finetuneEpochs: 0 } : {}),
  });
  for (const job of o.jobs) resolveRunConfig(configOf(job, false));
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-compare-'));
  const reports: RunReport[] = [];
  const untuned: (number | null)[] = [];
  const failures: CompareResult['failures'] = [];
  let cancelled = false;
  // Every job of a seed trains the same heads on the same split: train them once.
  const headsCache: HeadsCache = new Map();
  /** One engine run into its own folder, deleted right after; the report or the failure. */
  const runOne = async (config: Partial<RunConfig>, outDir: string): Promise<{ report: RunReport | null; failure: string | null }> => {
    let report: RunReport | null = null;
    let failure: string | null = null;
    for await (const e of runPruning(config, { modelPath: o.modelPath, outDir, signal: o.signal, headsCache })) {
      o.onEvent?.(e);
      if (e.type === 'runFinished') report = e.report;
      else if (e.type === 'runFailed') failure = e.message;
      else if (e.type === 'runCancelled') cancelled = true;
    }
    await fs.rm(outDir, { recursive: true, force: true });
    return { report, failure };
  };
  try {
    for (const [i, job] of o.jobs.entries()) {
      if (o.signal?.aborted) { cancelled = true; break; }
      const { report, failure } = await runOne(configOf(job, false), path.join(tmp, `run-${i + 1}`));
      if (cancelled) break;
      let twin: number | null = null;
      if (report && o.untuned) {
        twin = (await runOne(configOf(job, true), path.join(tmp, `run-${i + 1}-untuned`))).report?.afterSelection.accuracy ?? null;
        if (cancelled) break;
      }
      if (report) { reports.push(report); untuned.push(twin); } else failures.push({ job, message: failure ?? 'the run ended without a report' });
      o.onRun?.(i + 1, o.jobs.length, job, report ? runFromReport(report, twin) : null, report ? null : failure);
    }
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  const doc = cancelled || reports.length === 0 ? null : compareDocument(o.modelPath, reports, o.untuned ? untuned : undefined);
  return { doc, reports, untuned, failures, cancelled };
}
