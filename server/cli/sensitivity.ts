/**
 * `dcp sensitivity`: each prunable layer pruned alone at each rate (server/dcp/sensitivity/), printed as a table
 * (layer × rate: accuracy drop / joint loss), with the suggested per-layer rates for a FLOPs target, optionally
 * saved as the model's recipe. Ctrl-C cancels; nothing is written then.
 */
import * as path from 'node:path';
import type { Command } from 'commander';
import type { RunSettingKey } from '../../protocol/settings';
import { recipePathFor } from '../../protocol/recipe';
import { parseRates, type SensitivityResult } from '../../protocol/sensitivity';
import { EXIT, UsageError, action, type CliContext } from './command';
import { nonBlank } from './prune';
import { addRunOptions, runConfigFromOptions, type RunOptionsSpec } from './run-options';
import { formatTable, human } from './table';

/** Settings with no meaning here: every layer is measured at every rate, by the rate rule, without fine-tuning. */
const OMIT: readonly RunSettingKey[] = ['rate', 'recipe', 'stop', 'epsilon', 'tau', 'kernelRate', 'kernelsPerStep', 'stageFinetune', 'finetuneEpochs', 'learningRate', 'quantize', 'foldBatchNorm', 'layerLatency', 'latencyBackend', 'onnxModelJson', 'choiceSeed'];
const SPEC: RunOptionsSpec = { omit: OMIT };

interface SensitivityFlags { rates: string; targetFlops?: string; writeRecipe?: boolean; out?: string }

const pct = (v: number): string => `${(v * 100).toFixed(1)}`;

/** The table: one row per layer, one column per rate, each cell `drop% / joint loss`. */
export function sensitivityLines(r: SensitivityResult): string[] {
  const header = ['layer', 'channels', ...r.rates.map((x) => `η=${x}`)];
  const rows = r.layers.map((l) => [
    l.layer, String(l.inChannels),
    ...r.rates.map((x) => {
      const p = l.points.find((q) => q.rate === x);
      return p ? `${pct(p.accuracyDrop)} / ${p.jointLoss.toPrecision(3)}${p.exact ? '' : '*'}` : '-';
    }),
  ]);
  const lines = [
    `sensitivity of ${r.modelName}: accuracy drop (points) / joint loss L_M + λ·L_S per layer pruned alone, on ${r.selectionSamples} selection samples (unpruned ${pct(r.baseAccuracy)}%)`,
    ...formatTable(header, rows, header.map((_, i) => i > 0)),
  ];
  if (r.layers.some((l) => l.points.some((p) => !p.exact))) lines.push('* a concatenated branch was left empty: a run at that rate keeps other channels (docs/sensitivity.md)');
  const s = r.suggestion;
  if (s) {
    lines.push('', `suggestion for ${s.target.flopsReduction}× fewer FLOPs: ${s.message}`);
    if (s.feasible) {
      lines.push(...formatTable(['layer', 'rate'], r.layers.map((l) => [l.layer, s.rates[l.layer] ? String(s.rates[l.layer]) : 'unpruned']), [false, true]));
      lines.push(`FLOPs ${human(s.flopsBefore)} → ${human(s.flopsAfter)} (${s.reduction.toFixed(2)}×); summed accuracy drop ${pct(s.accuracyDrop)} points (before fine-tuning, layers measured one at a time)`);
    }
  }
  return lines;
}

export function addSensitivityCommand(program: Command, ctx: CliContext): Command {
  const cmd = program.command('sensitivity')
    .summary('measure how much each layer suffers when pruned alone, and suggest per-layer rates')
    .description([
      'Prunes each prunable convolution alone at each rate with DCP (heads trained once, every other layer unpruned) and measures, on the selection set,',
      "the layer's joint loss and the network's accuracy drop; prints a table and, with --target-flops, per-layer rates meeting the FLOPs target",
      'with the least summed accuracy drop. Writes sensitivity.json (--out); the model is never modified. See docs/sensitivity.md.',
    ].join(' '))
    .argument('<model.json>', 'the TensorFlow.js Layers model (or .onnx conv net) to analyse')
    .option('--rates <LIST>', 'comma-separated pruning rates in (0, 1)', '0.1,0.3,0.5,0.7')
    .option('--target-flops <X>', 'suggest per-layer rates for X× fewer FLOPs (e.g. 2)')
    .option('--write-recipe', "save the suggestion as the model's recipe, <model>.dcp-recipe.json (for dcp prune --recipe)")
    .option('--out <FILE>', 'where to write the result (default: sensitivity.json next to the model)');
  addRunOptions(cmd, SPEC);
  return cmd.action(action(ctx, async (model: string, flags: SensitivityFlags, self: Command) => {
    const config = runConfigFromOptions(self, SPEC);
    let rates: number[];
    try {
      rates = parseRates(flags.rates);
    } catch (e) {
      throw new UsageError((e as Error).message);
    }
    const target = flags.targetFlops === undefined ? null : Number(flags.targetFlops);
    if (target !== null && !(Number.isFinite(target) && target >= 1)) throw new UsageError(`--target-flops must be a number ≥ 1 (got ${JSON.stringify(flags.targetFlops)})`);
    if (flags.writeRecipe && target === null) throw new UsageError('--write-recipe needs --target-flops (the suggestion is what it writes)');
    const modelPath = path.resolve(model);
    const outFile = path.resolve(nonBlank('--out', flags.out) ?? path.join(path.dirname(modelPath), 'sensitivity.json'));
    if (outFile === modelPath) throw new UsageError('--out must not be the model file');
    const result = await runWithProgress(config, modelPath, rates, target, outFile, ctx);
    if (!result) return EXIT.failure;
    for (const line of sensitivityLines(result)) ctx.io.out(line);
    ctx.io.out(`result: ${outFile}`);
    if (flags.writeRecipe && result.suggestion) {
      if (!result.suggestion.feasible) {
        ctx.io.err('no recipe written: the target cannot be met on the measured grid');
        return EXIT.failure;
      }
      const { writeJsonAtomic } = await import('../io/atomic');
      const file = recipePathFor(modelPath);
      await writeJsonAtomic(file, result.suggestion.recipe);
      ctx.io.out(`recipe: ${file} (dcp prune ${path.relative(process.cwd(), modelPath) || modelPath} --recipe ${path.relative(process.cwd(), file) || file})`);
    }
    return EXIT.ok;
  }));
}

/** Runs the analysis with a line per layer; SIGINT cancels it. Returns the result, or null (the reason printed). */
async function runWithProgress(
  config: Parameters<typeof import('../dcp/sensitivity/engine').runSensitivity>[0], modelPath: string, rates: number[], target: number | null, outFile: string, ctx: CliContext,
): Promise<SensitivityResult | null> {
  const { runSensitivity } = await import('../dcp/sensitivity/engine');
  const controller = new AbortController();
  const onSigint = (): void => {
    ctx.io.err('\ncancelling (Ctrl-C again to force quit)…');
    controller.abort();
    process.once('SIGINT', () => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  try {
    const opts = { modelPath, rates, target: target === null ? null : { flopsReduction: target }, outFile, signal: controller.signal };
    for await (const e of runSensitivity(config, opts)) {
      if (e.type === 'sensitivityStarted') ctx.io.out(`training heads, then ${e.layers.length} layers × ${e.rates.length} rates`);
      else if (e.type === 'sensitivityLayerDone') ctx.io.out(`  ${e.layer} (${e.seconds.toFixed(1)} s)`);
      else if (e.type === 'sensitivityFailed') ctx.io.err(`sensitivity failed: ${e.message}`);
      else if (e.type === 'sensitivityCancelled') ctx.io.err('sensitivity cancelled; nothing written');
      else if (e.type === 'sensitivityDone') return e.result;
    }
    return null;
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}
