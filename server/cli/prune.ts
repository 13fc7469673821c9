/** `dcp prune`: runs the engine from the command line with progress, Ctrl-C cancellation and a report. */
import * as path from 'node:path';
import type { RunConfig, RunReport } from '../../protocol/model';
import { EXIT, UsageError, type CliIO, type Command } from './command';
import { parseCommandArgs, positionals } from './args';
import { ProgressPrinter } from './progress';
import { summaryLines } from './report-table';

/** The run options every pruning command accepts, as parseArgs declarations. */
export const RUN_OPTIONS = {
  data: { type: 'string' }, method: { type: 'string' }, rate: { type: 'string' }, lambda: { type: 'string' },
  stop: { type: 'string' }, epsilon: { type: 'string' }, tau: { type: 'string' }, score: { type: 'string' },
  heads: { type: 'string' }, 'head-weighting': { type: 'string' }, 'selection-samples': { type: 'string' },
  'head-epochs': { type: 'string' }, 'head-training': { type: 'string' }, 'head-lr': { type: 'string' }, 'finetune-epochs': { type: 'string' }, 'no-stage-finetune': { type: 'boolean' },
  lr: { type: 'string' }, 'selection-lr': { type: 'string' }, 'batch-size': { type: 'string' },
  'kernel-rate': { type: 'string' }, 'kernels-per-step': { type: 'string' }, labels: { type: 'string' },
  'max-train-samples': { type: 'string' }, seed: { type: 'string' }, backend: { type: 'string' }, threads: { type: 'string' },
} as const;

export const RUN_OPTIONS_HELP = `Options:
  --data SPEC               mnist (default), a folder root/<class>/*.png|jpg, or a .npz/.npy file
  --labels dataset|teacher  teacher = label the data with the model's own predictions
  --method M                dcp (default), dkp, random, l1, recon (λ = 0), disc (L_S only)
  --rate η                  pruning rate in [0, 1): a layer with c input channels keeps c − ⌊η·c⌋ (default 0.5)
  --lambda λ                weight of the discrimination loss (default 1)
  --stop rate|epsilon|adaptive   stopping rule of greedy selection (default rate)
  --epsilon ε, --tau τ      thresholds of the epsilon and adaptive rules (0.001, 0.05)
  --score official|paper    channel score: Σ_j‖G[:,:,k,j]‖_F (default) or ‖G[:,:,k,:]‖_F
  --heads P                 auxiliary heads (default: 2 for shallow nets, 3 for deep residual nets)
  --head-weighting v2|sum   head loss weights during head training (default v2)
  --selection-samples N     size of the class-balanced selection subset (default 256)
  --head-epochs E           epochs of head training before selection (default 1)
  --head-training frozen|joint   train only the heads (default) or heads and network together (authors' v2)
  --head-lr LR              learning rate of frozen-network head training (default 0.1)
  --no-stage-finetune       skip the one-epoch fine-tune after each stage
  --finetune-epochs E       epochs of final fine-tuning, 0 skips it (default 2)
  --lr, --selection-lr      learning rates of fine-tuning (0.01) and of the per-channel sub-problem (0.01)
  --batch-size B            mini-batch size (default 64)
  --kernel-rate, --kernels-per-step   DKP: fraction of kernels removed (0.3) and kernels added per step (4)
  --max-train-samples N     use at most N training samples (0 = all)
  --seed S                  seed of splits, shuffles and initialisers (default 1)
  --backend auto|node|wasm|cpu   compute backend (default auto: tfjs-node if installed, else wasm)
  --threads N               wasm threads (default 1; 2 speeds convolutions up ~1.4-1.7x, whole steps less)`;

type RunValues = { [K in keyof typeof RUN_OPTIONS]?: (typeof RUN_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** Maps parsed options to a partial RunConfig; the engine validates ranges before any work. */
export function configFromOptions(v: RunValues): Partial<RunConfig> {
  const num = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));
  return {
    data: v.data, method: v.method as RunConfig['method'], rate: num(v.rate), lambda: num(v.lambda),
    stop: v.stop as RunConfig['stop'], epsilon: num(v.epsilon), tau: num(v.tau), score: v.score as RunConfig['score'],
    heads: v.heads === undefined ? undefined : num(v.heads), headWeighting: v['head-weighting'] as RunConfig['headWeighting'],
    selectionSamples: num(v['selection-samples']), headEpochs: num(v['head-epochs']),
    headTraining: v['head-training'] as RunConfig['headTraining'], headLearningRate: num(v['head-lr']), finetuneEpochs: num(v['finetune-epochs']),
    stageFinetune: v['no-stage-finetune'] ? false : undefined, learningRate: num(v.lr), selectionLearningRate: num(v['selection-lr']),
    batchSize: num(v['batch-size']), kernelRate: num(v['kernel-rate']), kernelsPerStep: num(v['kernels-per-step']),
    labels: v.labels as RunConfig['labels'], maxTrainSamples: num(v['max-train-samples']), seed: num(v.seed),
    backend: v.backend as RunConfig['backend'], threads: num(v.threads),
  };
}

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

export const pruneCommand: Command = {
  name: 'prune',
  summary: 'prune a model with DCP/DKP and write the smaller model and a JSON report',
  usage: `Usage: dcp prune <model.json> [--out DIR] [--report FILE] [options]

Prunes the model's convolutions with discrimination-aware channel pruning, fine-tunes it, and writes
the pruned model.json + shards and report.json into --out (default: <model folder>-pruned next to it).
The input model is never modified. Ctrl-C cancels and leaves no partial output.

  --out DIR                 folder for the pruned model and report.json
  --report FILE             also write the JSON report here (schema: docs/report.md)
${RUN_OPTIONS_HELP}`,
  async run(args, io) {
    const { values, positionals: pos } = parseCommandArgs({ args, options: { ...RUN_OPTIONS, out: { type: 'string' }, report: { type: 'string' } } });
    const [model] = positionals(pos, ['model.json']);
    const modelPath = path.resolve(model);
    const outDir = path.resolve(values.out ?? `${path.dirname(modelPath)}-pruned`);
    if (values.report !== undefined && values.report.trim() === '') throw new UsageError('--report needs a file name');
    const report = await runWithProgress(configFromOptions(values), modelPath, outDir, io);
    if (!report) return EXIT.failure;
    for (const line of summaryLines(report)) io.out(line);
    if (values.report) {
      const { writeJsonAtomic } = await import('../dcp/run/outputs');
      await writeJsonAtomic(path.resolve(values.report), report);
      io.out(`report: ${path.resolve(values.report)}`);
    }
    return EXIT.ok;
  },
};
