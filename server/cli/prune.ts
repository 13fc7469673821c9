/** `dcp prune`: runs the engine from the command line with progress, Ctrl-C cancellation and a report. */
import * as path from 'node:path';
import type { Command } from 'commander';
import type { RunConfig, RunReport } from '../../protocol/model';
import { EXIT, UsageError, action, type CliContext, type CliIO } from './command';
import { memoryPlanLines } from './memory-plan';
import { formatSeconds } from '../../protocol/forecast';
import { ProgressPrinter, stepPlanLine } from './progress';
import { summaryLines } from './report-table';
import { addRunOptions, runConfigFromOptions } from './run-options';

/**
 * Runs one pruning job to completion, printing progress; SIGINT cancels it cleanly (nothing is written).
 * Returns the report, or null when the run failed or was cancelled (the reason was printed).
 */
export async function runWithProgress(config: Partial<RunConfig>, modelPath: string, outDir: string, io: CliIO): Promise<RunReport | null> {
  const { runPruning } = await import('../dcp/run/engine');
  const controller = new AbortController();
  const onSigint = (): void => {
    io.err('\ncancelling (Ctrl-C again to force quit)…');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  const printer = new ProgressPrinter((l) => io.out(l), process.stderr.isTTY ? process.stderr : null);
  let report: RunReport | null = null;
  try {
    for await (const e of runPruning(config, { modelPath, outDir, signal: controller.signal })) {
      printer.onEvent(e);
      if (e.type === 'runFinished') report = e.report;
    }
  } finally {
    printer.clear();
    process.removeListener('SIGINT', onSigint);
  }
  return report;
}

/** A file option that was given but is blank (`--report ""`) is a usage error, not "no file". */
export function nonBlank(flag: string, value: string | undefined): string | undefined {
  if (value !== undefined && value.trim() === '') throw new UsageError(`${flag} needs a file name`);
  return value;
}

interface PruneOptions { out?: string; report?: string; dryRun?: boolean }

/** `--dry-run`: the run's layout and memory plan, from the model's shapes; nothing is read besides the model. */
async function printDryRun(config: Partial<RunConfig>, modelPath: string, io: CliIO): Promise<number> {
  const { dryRun } = await import('../dcp/run/dry-run');
  const { errorMessage } = await import('../dcp/run/engine');
  const { stepPlanInfo } = await import('../dcp/run/step-plan');
  try {
    const plan = await dryRun(config, modelPath);
    const layers = plan.stages.reduce((a, s) => a + s.layers.length, 0);
    io.out(`dry run: ${plan.model.name}, ${layers} prunable convs in ${plan.stages.length} stage${plan.stages.length === 1 ? '' : 's'}, ${plan.config.method} at rate ${plan.config.rate}, backend ${plan.backend}`);
    for (const line of memoryPlanLines(plan.memory)) io.out(line);
    if (plan.selection) {
      const { seconds, plan: steps } = plan.selection;
      io.out(`channel selection: about ${formatSeconds(seconds)} with ${plan.config.selectionSamples} selection images on this machine (head training and fine-tuning depend on the data: not forecast here)`);
      const info = stepPlanInfo(steps);
      if (info) io.out(stepPlanLine(info));
    }
    return EXIT.ok;
  } catch (e) {
    io.err(`dry run: the run would fail before any work: ${errorMessage(e)}`);
    return EXIT.failure;
  }
}

export function addPruneCommand(program: Command, ctx: CliContext): Command {
  const cmd = program.command('prune')
    .summary('prune a model with DCP/DKP and write the smaller model and a JSON report')
    .description([
      `Prunes the model's convolutions with discrimination-aware channel pruning, fine-tunes it, and writes the pruned model.json + shards and report.json into --out (default: <model folder>-pruned next to it).`,
      'The input model is never modified.',
      'Ctrl-C cancels and leaves no partial output.',
    ].join(' '))
    .argument('<model.json>', 'the TensorFlow.js Layers model (or .onnx conv net, NCHW) to prune')
    .option('--out <DIR>', 'folder for the pruned model and report.json')
    .option('--report <FILE>', 'also write the JSON report here (schema: docs/report.md)')
    .option('--dry-run', 'print the plan (stages, estimated memory per phase, micro-batches, spilled caches) and exit without training');
  addRunOptions(cmd);
  return cmd.action(action(ctx, async (model: string, values: PruneOptions, self: Command) => {
    const config = runConfigFromOptions(self);
    const reportFile = nonBlank('--report', values.report);
    const modelPath = path.resolve(model);
    if (values.dryRun) return printDryRun(config, modelPath, ctx.io);
    const outDir = path.resolve(values.out ?? `${path.dirname(modelPath)}-pruned`);
    const report = await runWithProgress(config, modelPath, outDir, ctx.io);
    if (!report) return EXIT.failure;
    for (const line of summaryLines(report)) ctx.io.out(line);
    if (reportFile) {
      const { writeJsonAtomic } = await import('../dcp/run/outputs');
      await writeJsonAtomic(path.resolve(reportFile), report);
      ctx.io.out(`report: ${path.resolve(reportFile)}`);
    }
    return EXIT.ok;
  }));
}
