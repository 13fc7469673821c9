import type { RunConfig, RunEvent } from '../../../protocol/model';
import { loadLayersModel } from '../../io/model-files';
import { initBackend } from '../../tfjs/backend';
import type { PassCount } from '../measure/cost';
import type { RunOptions } from './engine';
import { finetunePhase } from './phases/finetune';
import { createSelectionNetwork, disposeSelectionNetwork, headsPhase, type Progress } from './phases/heads';
import { loadInputs } from './phases/load';
import { measurePhase } from './phases/measure';
import { saveReport } from './phases/report';
import { selectPhase } from './phases/select';
import { surgeryPhase } from './phases/surgery';

/**
 * The whole DCP pipeline (DCP-SPEC §2) as events; throws on failure (the caller turns errors into events). Each
 * resource is freed by the scope that made it, so a run that fails or is cancelled at any point leaves no tensors.
 */
export async function* runPipeline(cfg: RunConfig, opts: RunOptions): AsyncGenerator<RunEvent> {
  const started = Date.now();
  const signal = opts.signal;
  const backend = await initBackend(cfg.backend, { threads: cfg.threads });
  const model = await loadLayersModel(opts.modelPath);
  try {
    const inputs = await loadInputs(cfg, opts, model);

    // Selection prunes `model` in place, with auxiliary heads and against the baseline M_b; all freed after it.
    const selection = createSelectionNetwork(model, inputs, cfg);
    let progress: Progress;
    let passes: PassCount[];
    try {
      const heads = selection.net.heads.map((h) => ({ index: h.index, after: h.after, weight: h.weight }));
      yield { type: 'runStarted', config: cfg, model: inputs.summary, before: inputs.before, time: Date.now(), heads, stages: inputs.plan.stages, memory: inputs.memory };
      progress = yield* headsPhase(cfg, opts, inputs, selection);
      passes = yield* selectPhase(cfg, opts, inputs, selection, progress);
    } finally {
      disposeSelectionNetwork(selection);
    }

    const cut = await surgeryPhase(model, inputs, progress.layers, cfg, signal);
    try {
      yield { type: 'surgeryDone', afterSelection: cut.afterSelection, time: Date.now() };
      const finetune = yield* finetunePhase(cut, progress.layers, inputs, cfg, signal);
      const { after, layerLatency } = await measurePhase(model, cut, inputs, cfg, signal);
      const report = await saveReport({ cfg, opts, model, inputs, progress, passes, cut, after, finetune, started, backend, layerLatency });
      yield { type: 'runFinished', report, time: Date.now() };
    } finally {
      cut.pruned.dispose();
    }
  } finally {
    model.dispose();
  }
}
