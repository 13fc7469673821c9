/**
 * `dcp compare`: the engine's method comparison (server/dcp/compare) from the command line: the same pipeline
 * once per method and seed, a line per finished run, one table, and optionally its JSON document.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import type { RunConfig } from '../../protocol/model';
import { DEFAULT_COMPARE_METHODS, SPREAD_LEGEND, hasSpread, rankLine } from '../../protocol/compare';
import { ConfigError, resolveRunConfig } from '../../protocol/settings-validate';
import type { CompareJob } from '../dcp/compare/jobs';
import type { CompareResult } from '../dcp/compare/run-compare';
import { EXIT, UsageError, action, type CliContext, type CliIO } from './command';
import { compareTable, runLine } from './compare-table';
import { nonBlank } from './prune';
import { ProgressPrinter } from './progress';
import { addRunOptions, runConfigFromOptions, type RunOptionsSpec } from './run-options';

/** Compare runs several methods: --methods replaces --method. */
const OPTIONS: RunOptionsSpec = { omit: ['method'] };

interface CompareOptions { methods?: string; seeds?: string; json?: string; randomChoices?: string; untuned?: boolean }

export function addCompareCommand(program: Command, ctx: CliContext): Command {
  const cmd = program.command('compare')
    .summary('run several methods (dcp, recon, random, l1, disc, dkp) in the same pipeline and tabulate them')
    .description([
      'Prunes the model once per method (and seed) in the same pipeline: same data, same selection subset, same head training and fine-tuning; only the method changes.',
      'Prints one table: params, FLOPs, validation accuracy right after selection (before fine-tuning, where the methods differ most) and after fine-tuning, and time.',
      'Each run writes into a temporary folder that is deleted; nothing is kept but the table (and --json).',
      `With --finetune-epochs 0 fine-tuning is skipped and the after-fine-tune column shows '-' (null in the JSON).`,
      'Ctrl-C cancels cleanly.',
    ].join(' '))
    .argument('<model.json>', 'the TensorFlow.js Layers model (or .onnx conv net, NCHW) to prune')
    .option('--methods <LIST>', `comma-separated methods; 'random:3' gives one method its own number of seeds (default ${DEFAULT_COMPARE_METHODS})`)
    .option('--seeds <K>', 'run each method with seeds S … S+K−1, S = --seed; with K > 1 the table shows mean ± sample standard ' +
      'deviation over the seeds. The seed also draws the data split, so compare methods within a seed (default 1)')
    .option('--random-choices <K>', 'also draw K random channel choices (choice seeds 1 … K) on each seed\'s split and rank DCP among them: ' +
      'percentile and paired differences per seed (replaces random in --methods)')
    .option('--untuned', 'run every job once more with no fine-tuning at all (stage fine-tunes off, no final fine-tuning) for a ' +
      '"before any fine-tune" column: the choice itself, before training hides it')
    .option('--json <FILE>', 'also write the rows as JSON (schema dcp-compare/1, see docs/compare.md), atomically')
    .addHelpText('after', `
Example:
  dcp compare examples/resnet/model.json --rate 0.5 --methods dcp,recon,random:3,l1 --finetune-epochs 1`);
  addRunOptions(cmd, OPTIONS);
  return cmd.action(action(ctx, async (model: string, values: CompareOptions, self: Command) => {
    const config = runConfigFromOptions(self, OPTIONS);
    const seeds = values.seeds === undefined ? 1 : Number(values.seeds);
    if (!Number.isInteger(seeds) || seeds < 1) throw new UsageError(`--seeds must be a positive integer (got '${values.seeds}')`);
    const json = nonBlank('--json', values.json);
    const { parseMethods, randomChoiceJobs } = await import('../dcp/compare/jobs');
    let jobs: CompareJob[];
    try {
      jobs = parseMethods(values.methods ?? DEFAULT_COMPARE_METHODS, seeds, config.seed ?? 1);
    } catch (e) {
      throw e instanceof ConfigError ? new UsageError(`--methods: ${e.message}`) : e;
    }
    if (values.randomChoices !== undefined) {
      const k = Number(values.randomChoices);
      try {
        jobs = randomChoiceJobs(jobs, k);
      } catch (e) {
        throw e instanceof ConfigError ? new UsageError(e.message) : e;
      }
    }
    // Every method with the shared options, now: a bad combination should not surface after an hour of runs.
    for (const method of new Set(jobs.map((j) => j.method))) resolveRunConfig({ ...config, method }, 'flag');
    return compareCli(path.resolve(model), config, jobs, json, values.untuned === true, ctx.io);
  }));
}

/** The command's body: progress lines, Ctrl-C, the table and the JSON file. */
async function compareCli(modelPath: string, config: Partial<RunConfig>, jobs: CompareJob[], json: string | undefined, untuned: boolean, io: CliIO): Promise<number> {
  const { runCompare } = await import('../dcp/compare/run-compare');
  const controller = new AbortController();
  const onSigint = (): void => {
    io.err('\ncancelling (Ctrl-C again to force quit)…');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  const name = (j: CompareJob): string => `${j.method}/${j.seed}${j.choiceSeed !== undefined ? `~${j.choiceSeed}` : ''}`;
  io.out(`comparing ${jobs.length} run${jobs.length === 1 ? '' : 's'}${untuned ? ' (each twice: also untuned)' : ''} on ${modelPath}: ${jobs.map(name).join(', ')}`);
  // Only a redrawn status line on a TTY; plain logs get one line per finished run.
  const status = new ProgressPrinter(() => undefined, process.stderr.isTTY ? process.stderr : null);
  let result: CompareResult;
  try {
    result = await runCompare({
      modelPath, config, jobs, untuned, signal: controller.signal, onEvent: (e) => status.onEvent(e),
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
  if (hasSpread(result.doc)) io.out(SPREAD_LEGEND);
  for (const r of result.doc.ranks) io.out(rankLine(r));
  if (result.doc.noise) io.out(result.doc.noise);
  if (result.doc.shared.finetuneEpochs === 0) io.out("fine-tuning skipped (--finetune-epochs 0): the after-fine-tune column is '-'");
  if (json) {
    const { writeJsonAtomic } = await import('../dcp/run/outputs');
    await writeJsonAtomic(path.resolve(json), result.doc);
    io.out(`rows: ${path.resolve(json)}`);
  }
  return result.failures.length > 0 ? EXIT.failure : EXIT.ok;
}
