/**
 * `dcp compare`: the same pipeline (data, selection set, heads, fine-tuning) run once per method and seed, with
 * only `method` (and `seed`) changing, summarised in one table. The rows are built in compare-table.ts.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { PruneMethod, RunConfig, RunEvent, RunReport } from '../../protocol/model';
import { EXIT, UsageError, type CliIO, type Command } from './command';
import { parseCommandArgs, positionals } from './args';
import { RUN_OPTIONS, RUN_OPTIONS_HELP, configFromOptions } from './prune';
import { ProgressPrinter } from './progress';
import { aggregate, compareTable, runFromReport, runLine, unprunedOf, type CompareDocument, type CompareRun } from './compare-table';

const ALL_METHODS: readonly PruneMethod[] = ['dcp', 'dkp', 'random', 'l1', 'recon', 'disc'];
const DEFAULT_METHODS = 'dcp,recon,random,l1';

/** One run of the comparison. */
export interface CompareJob {
  method: PruneMethod;
  seed: number;
}

/**
 * `dcp,random:3` → jobs. A method's seeds are `firstSeed … firstSeed + K − 1`, K from `:K` or else `seeds`;
 * `:K` lets a benchmark give the noisy baseline (random) more seeds than the deterministic ones.
 */
export function parseMethods(spec: string, seeds: number, firstSeed: number): CompareJob[] {
  const jobs: CompareJob[] = [];
  const seen = new Set<string>();
  for (const part of spec.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const m = /^([a-z0-9]+)(?::(\d+))?$/.exec(part);
    const method = ALL_METHODS.find((x) => x === m?.[1]);
    if (!m || !method) throw new UsageError(`unknown method '${part}' in --methods (expected a comma-separated list of ${ALL_METHODS.join(', ')}, each optionally with :K seeds)`);
    if (seen.has(method)) throw new UsageError(`method '${method}' is listed twice in --methods`);
    seen.add(method);
    const k = m[2] === undefined ? seeds : Number(m[2]);
    if (k < 1) throw new UsageError(`${part}: a method needs at least one seed`);
    for (let i = 0; i < k; i++) jobs.push({ method, seed: firstSeed + i });
  }
  if (jobs.length === 0) throw new UsageError('--methods lists no method');
  return jobs;
}

export interface CompareOptions {
  modelPath: string;
  /** Options every run shares; `method` and `seed` are overridden per job. */
  config: Partial<RunConfig>;
  jobs: CompareJob[];
  signal?: AbortSignal;
  /** Called when a run finishes (its line) or fails (its message). */
  onRun?: (index: number, total: number, job: CompareJob, run: CompareRun | null, failure: string | null) => void;
  /** Sees every engine event (the CLI draws its live status line from them). */
  onEvent?: (e: RunEvent) => void;
}

export interface CompareResult {
  doc: CompareDocument | null;
  reports: RunReport[];
  failures: { job: CompareJob; message: string }[];
  cancelled: boolean;
}

/**
 * Runs every job in order, each into its own temporary output folder that is deleted as soon as the run ends
 * (only the report is kept, in memory). Stops at the first cancellation. Never throws for a failed run.
 */
export async function runCompare(o: CompareOptions): Promise<CompareResult> {
  const { runPruning } = await import('../dcp/run/engine');
  const tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-compare-'));
  const runs: CompareRun[] = [];
  const reports: RunReport[] = [];
  const failures: CompareResult['failures'] = [];
  let cancelled = false;
  try {
    for (const [i, job] of o.jobs.entries()) {
      if (o.signal?.aborted) { cancelled = true; break; }
      const outDir = path.join(tmp, `run-${i + 1}`);
      let report: RunReport | null = null;
      let failure: string | null = null;
      for await (const e of runPruning({ ...o.config, method: job.method, seed: job.seed }, { modelPath: o.modelPath, outDir, signal: o.signal })) {
        o.onEvent?.(e);
        if (e.type === 'runFinished') report = e.report;
        else if (e.type === 'runFailed') failure = e.message;
        else if (e.type === 'runCancelled') cancelled = true;
      }
      await fs.rm(outDir, { recursive: true, force: true });
      if (cancelled) break;
      const run = report ? runFromReport(report) : null;
      if (report && run) { reports.push(report); runs.push(run); }
      else failures.push({ job, message: failure ?? 'the run ended without a report' });
      o.onRun?.(i + 1, o.jobs.length, job, run, run ? null : failure);
    }
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  if (cancelled || runs.length === 0) return { doc: null, reports, failures, cancelled };
  const { method: _m, seed: _s, ...shared } = reports[0].config;
  const doc: CompareDocument = {
    schema: 'dcp-compare/1', model: o.modelPath, shared,
    spread: 'sample standard deviation over seeds (n - 1); min and max are given too',
    unpruned: unprunedOf(runs), rows: aggregate(runs), runs,
  };
  return { doc, reports, failures, cancelled };
}

const USAGE = `Usage: dcp compare <model.json> [--methods LIST] [--seeds K] [--json FILE] [options]

Prunes the model once per method (and seed) in the same pipeline: same data, same selection subset, same head
training and fine-tuning; only the method changes. Prints one table: params, FLOPs, validation accuracy right
after selection (before fine-tuning, where the methods differ most) and after fine-tuning, and time.
Each run writes into a temporary folder that is deleted; nothing is kept but the table (and --json).
With --finetune-epochs 0 fine-tuning is skipped and the after-fine-tune column shows '-' (null in the JSON).
Ctrl-C cancels cleanly.

Options:
  --methods LIST            comma-separated methods (default ${DEFAULT_METHODS}); 'random:3' gives one method its
                            own number of seeds
  --seeds K                 run each method with seeds S … S+K−1, S = --seed (default 1); with K > 1 the table
                            shows mean ± sample standard deviation over the seeds (the JSON also has min and max).
                            The seed also draws the train/validation/selection split: a model trained on seed 1's
                            split (the examples) is validated on digits it was trained on under other seeds, so
                            compare methods within a seed rather than across seeds
  --json FILE               also write the rows as JSON (schema dcp-compare/1, see docs/compare.md), atomically
${RUN_OPTIONS_HELP.replace(/^Options:\n/, '').replace(/\n\s+--method M[^\n]*/, '')}

Example:
  dcp compare examples/resnet/model.json --rate 0.5 --methods dcp,recon,random:3,l1 --finetune-epochs 1`;

export const compareCommand: Command = {
  name: 'compare',
  summary: 'run several methods (dcp, recon, random, l1, disc, dkp) in the same pipeline and tabulate them',
  usage: USAGE,
  async run(args, io) {
    const { values, positionals: pos } = parseCommandArgs({
      args, options: { ...RUN_OPTIONS, methods: { type: 'string' }, seeds: { type: 'string' }, json: { type: 'string' } },
    });
    const [model] = positionals(pos, ['model.json']);
    if (values.method !== undefined) throw new UsageError('compare runs several methods: use --methods (e.g. --methods dcp,recon,random)');
    const seeds = values.seeds === undefined ? 1 : Number(values.seeds);
    if (!Number.isInteger(seeds) || seeds < 1) throw new UsageError(`--seeds must be a positive integer (got '${values.seeds}')`);
    if (values.json !== undefined && values.json.trim() === '') throw new UsageError('--json needs a file name');
    const config = configFromOptions(values);
    const jobs = parseMethods(values.methods ?? DEFAULT_METHODS, seeds, config.seed ?? 1);
    // Validate the shared options now: a typo should not surface after the first half-hour of runs.
    const { resolveConfig } = await import('../dcp/run/config');
    for (const method of new Set(jobs.map((j) => j.method))) {
      try { resolveConfig({ ...config, method }); } catch (e) { throw new UsageError(e instanceof Error ? e.message : String(e)); }
    }
    return compareCli(path.resolve(model), config, jobs, values.json, io);
  },
};

/** The command's body: progress lines, Ctrl-C, the table and the JSON file. */
async function compareCli(modelPath: string, config: Partial<RunConfig>, jobs: CompareJob[], json: string | undefined, io: CliIO): Promise<number> {
  const controller = new AbortController();
  const onSigint = (): void => {
    io.err('\ncancelling (Ctrl-C again to force quit)…');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  io.out(`comparing ${jobs.length} run${jobs.length === 1 ? '' : 's'} on ${modelPath}: ${jobs.map((j) => `${j.method}/${j.seed}`).join(', ')}`);
  // Only a redrawn status line on a TTY; plain logs get one line per finished run.
  const status = new ProgressPrinter(() => undefined, process.stderr.isTTY ? process.stderr : null);
  let result: CompareResult;
  try {
    result = await runCompare({
      modelPath, config, jobs, signal: controller.signal, onEvent: (e) => status.onEvent(e),
      onRun: (i, n, job, run, failure) => {
        status.clear();
        if (run) io.out(runLine(i, n, run));
        else io.err(`[${i}/${n}] ${job.method} seed ${job.seed} failed: ${failure}`);
      },
    });
  } finally {
    status.clear();
    process.removeListener('SIGINT', onSigint);
  }
  if (result.cancelled) {
    io.err(`cancelled after ${result.reports.length + result.failures.length} of ${jobs.length} runs; no table, nothing written`);
    return EXIT.failure;
  }
  if (!result.doc) return EXIT.failure;
  io.out('');
  io.out(compareTable(result.doc));
  const n = Math.max(...result.doc.rows.map((r) => r.seeds.length));
  if (n > 1) io.out('a ± s: mean ± sample standard deviation over the seeds (accuracy spread in points)');
  if (result.doc.shared.finetuneEpochs === 0) io.out("fine-tuning skipped (--finetune-epochs 0): the after-fine-tune column is '-'");
  if (json) {
    const { writeJsonAtomic } = await import('../dcp/run/outputs');
    await writeJsonAtomic(path.resolve(json), result.doc);
    io.out(`rows: ${path.resolve(json)}`);
  }
  return result.failures.length > 0 ? EXIT.failure : EXIT.ok;
}
