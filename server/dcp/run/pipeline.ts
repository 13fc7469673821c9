import type * as tf from '@tensorflow/tfjs';
import { PhaseClock } from '../../../protocol/forecast';
import type { RunConfig, RunEvent } from '../../../protocol/model';
import { loadLayersModel } from '../../io/model-files';
import { initBackend } from '../../tfjs/backend';
import type { PassCount } from '../measure/cost';
import { machineSpeed } from '../measure/calibrate';
import { estimateRun, type ForecastInput } from '../../../protocol/forecast-estimate';
import type { RunOptions } from './engine';
import { finetunePhase } from './phases/finetune';
import { createSelectionNetwork, disposeSelectionNetwork, headsPhase, type Progress } from './phases/heads';
import { loadInputs, type RunInputs } from './phases/load';
import { measurePhase, type DeployedModel } from './phases/measure';
import { foldBatchNorms } from '../surgery/fold';
import { isOnnxPath } from '../../onnx/files';
import { saveReport } from './phases/report';
import { selectPhase } from './phases/select';
import { surgeryPhase } from './phases/surgery';
import { forecastInputOf, StepPlanner, stepPlanInfo } from './step-plan';

/**
 * The whole DCP pipeline (DCP-SPEC §2) as events; throws on failure (the caller turns errors into events). Each
 * resource is freed by the scope that made it, so a run that fails or is cancelled at any point leaves no tensors.
 */
export async function* runPipeline(cfg: RunConfig, opts: RunOptions): AsyncGenerator<RunEvent> {
  const started = Date.now();
  const signal = opts.signal;
  const clock = new PhaseClock();
  const backend = await initBackend(cfg.backend, { threads: cfg.threads });
  const model = await loadLayersModel(opts.modelPath);
  try {
    const inputs = await loadInputs(cfg, opts, model);
    const forecastInput = await runForecastInput(cfg, inputs, opts.speedCacheFile);
    const planner = new StepPlanner(cfg, forecastInput);
    const stepPlan = stepPlanInfo(planner.initial);
    // A resumed run skips finished layers; a forecast of the whole run would mislead, so it has none.
    const forecast = forecastInput && !inputs.resumeFrom ? estimateRun({ ...forecastInput, channelsPerStep: planner.initial.perStep }) : undefined;

    // Selection prunes `model` in place, with auxiliary heads and against the baseline M_b; all freed after it.
    const selection = createSelectionNetwork(model, inputs, cfg);
    let progress: Progress;
    let passes: PassCount[];
    try {
      const heads = selection.net.heads.map((h) => ({ index: h.index, after: h.after, weight: h.weight }));
      yield clock.seen({
        type: 'runStarted', config: cfg, model: inputs.summary, before: inputs.before, time: Date.now(), heads, stages: inputs.plan.stages, memory: inputs.memory,
        ...(forecast ? { forecast } : {}), ...(stepPlan ? { stepPlan } : {}),
      });
      progress = yield* tracked(clock, headsPhase(cfg, opts, inputs, selection));
      passes = yield* tracked(clock, selectPhase(cfg, opts, inputs, selection, progress, planner));
    } finally {
      disposeSelectionNetwork(selection);
    }

    const cut = await surgeryPhase(model, inputs, progress.layers, cfg, signal);
    try {
      yield clock.seen({ type: 'surgeryDone', afterSelection: cut.afterSelection, time: Date.now() });
      const finetune = yield* tracked(clock, finetunePhase(cut, progress.layers, inputs, cfg, signal));
      const deployment = await deployedModel(cut.pruned, cfg, opts.modelPath);
      try {
        const { after, ...measured } = await measurePhase(model, cut, inputs, cfg, signal, deployment.deployed);
        // The measure phase runs until the report is written; its drift pass is part of saving the report.
        const report = await saveReport({
          cfg, opts, model, inputs, progress, passes, cut, after, finetune, started, backend, ...measured, clock, forecast,
          saved: deployment.deployed?.model, ...(deployment.note ? { foldingNote: deployment.note } : {}),
        });
        yield { type: 'runFinished', report, time: Date.now() };
      } finally {
        deployment.deployed?.model.dispose();
      }
    } finally {
      cut.pruned.dispose();
    }
  } finally {
    model.dispose();
  }
}

/**
 * The model to save when `foldBatchNorm` is on: the pruned one folded (surgery/fold.ts). An ONNX output is written
 * from the pruned Layers graph node by node, so it is not folded (onnxruntime folds BatchNorm on load); a model
 * with nothing to fold is saved as it is. Either way the report says why.
 */
async function deployedModel(pruned: tf.LayersModel, cfg: RunConfig, modelPath: string): Promise<{ deployed?: DeployedModel; note?: string }> {
  if (!cfg.foldBatchNorm) return {};
  if (isOnnxPath(modelPath)) return { note: 'not folded: an ONNX output keeps the input\'s graph (onnxruntime folds BatchNormalization itself when it loads the model)' };
  const { model, folded } = await foldBatchNorms(pruned);
  if (folded.length > 0) return { deployed: { model, folded, layersBefore: pruned.layers.length } };
  model.dispose();
  return { note: 'nothing to fold: no BatchNormalization or ReLU directly after a conv with a single consumer (or a Sequential model)' };
}

/**
 * Re-yields a phase's events, letting the clock see each one; returns the phase's result. Like `yield*`, closing
 * this generator early (a consumer that stops reading) closes the phase too, so its finally blocks free its tensors.
 */
async function* tracked<R>(clock: PhaseClock, phase: AsyncGenerator<RunEvent, R>): AsyncGenerator<RunEvent, R> {
  let done = false;
  try {
    for (;;) {
      const next = await phase.next();
      if (next.done) {
        done = true;
        return next.value;
      }
      yield clock.seen(next.value);
    }
  } finally {
    if (!done) await phase.return(undefined as never);
  }
}

/**
 * What the forecast needs: the plan's convs at their planned keep, this machine's (cached) speed, the memory plan.
 * Null when the backend is not calibrated (measure/calibrate.ts: the cpu backend, or one too slow to measure).
 */
async function runForecastInput(cfg: RunConfig, inputs: RunInputs, cacheFile: string | null | undefined): Promise<ForecastInput | null> {
  const speed = await machineSpeed(cfg.threads, cacheFile);
  if (!speed) return null;
  const { data } = inputs;
  return forecastInputOf(cfg, inputs.summary, inputs.plan, inputs.memory, speed,
    { train: data.train.count, validation: data.validation.count, selection: data.selection.count });
}
