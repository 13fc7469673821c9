import type { RunConfig, RunEvent } from '../../../../protocol/model';
import { GraphRunner } from '../../exec/executor';
import { measurePath, type PassCount } from '../../measure/cost';
import { selectLayer } from '../../select/select-layer';
import { train } from '../../train/train';
import { checkCancelled } from '../cancel';
import { saveCheckpoint, type CheckpointState } from '../checkpoint';
import type { RunOptions } from '../engine';
import type { Progress, SelectionNetwork } from './heads';
import type { RunInputs } from './load';
import { StepPlanner } from '../step-plan';

/**
 * Stage by stage (DCP-SPEC §2): selects each conv's channels against the baseline, then fine-tunes the stage with
 * its head; checkpoints after every step. Adds to `progress` and returns every layer's pass counts for the cost
 * report. Resumed runs skip what the checkpoint already holds.
 */
export async function* selectPhase(
  cfg: RunConfig, opts: RunOptions, inputs: RunInputs, s: SelectionNetwork, progress: Progress, steps: StepPlanner = new StepPlanner(cfg, null),
): AsyncGenerator<RunEvent, PassCount[]> {
  const { net } = s;
  const { plan, data } = inputs;
  const signal = opts.signal;
  const heads = net.heads;
  const baseRunner = new GraphRunner(s.baseline!);
  const checkpoint = checkpointer(cfg, opts, inputs, s, progress);
  if (!inputs.resumeFrom) await checkpoint();

  for (const stage of plan.stages) {
    const todo = plan.convs.filter((c) => c.stage === stage.index && !progress.layers.some((r) => r.layer === c.conv));
    const tune = cfg.stageFinetune && stage.index < heads.length && !progress.stagesTuned.includes(stage.index);
    if (stage.layers.length === 0 || (todo.length === 0 && !tune)) continue;
    checkCancelled(signal);
    yield { type: 'stageStarted', stage: stage.index, layers: stage.layers, time: Date.now() };
    for (const conv of todo) {
      checkCancelled(signal);
      const head = stage.index < heads.length ? heads[stage.index] : null;
      // A recipe budget replaces the run's rate for this conv only (run/recipe.ts).
      const config = conv.rate === undefined ? cfg : { ...cfg, rate: conv.rate };
      const out = yield* selectLayer({ net, baseline: baseRunner, config, selection: data.selection, signal, memory: inputs.memory.layers, channelsPerStep: steps.perStep(conv.conv) }, conv, head);
      steps.layerDone(conv.conv, out.result.seconds);
      progress.layers.push(out.result);
      progress.passes.push({ layer: conv.conv, gradientPasses: out.gradientPasses, forwardPasses: out.forwardPasses });
      await checkpoint();
    }
    if (tune) {
      yield* train(net, data.train, {
        phase: 'stage', stage: stage.index, epochs: 1, learningRate: cfg.learningRate, batchSize: cfg.batchSize,
        seed: cfg.seed + 31 * (stage.index + 1), withHeads: true, validation: null, signal, microBatch: inputs.memory.microBatch,
      });
      progress.stagesTuned.push(stage.index);
      await checkpoint();
    }
  }
  checkCancelled(signal);
  return progress.passes.map((c) => {
    const conv = plan.convs.find((p) => p.conv === c.layer)!;
    const head = conv.stage < heads.length ? heads[conv.stage].after : net.logits.target;
    const kept = progress.layers.find((r) => r.layer === c.layer)!.kept.length;
    return measurePath({ plan: conv, head, gradientPasses: c.gradientPasses, forwardPasses: c.forwardPasses, kept }, net.runner, inputs.summary);
  });
}

/** Saves the run's state after each step when the run has a checkpoint folder; each save follows the last. */
function checkpointer(cfg: RunConfig, opts: RunOptions, inputs: RunInputs, s: SelectionNetwork, progress: Progress): () => Promise<void> {
  let last: CheckpointState | null = inputs.resumeFrom;
  return async () => {
    if (!opts.checkpointDir) return;
    const state = {
      config: cfg, modelPath: opts.modelPath, before: inputs.before, heads: progress.heads, layers: progress.layers,
      passes: progress.passes, stagesTuned: progress.stagesTuned, step: (last?.step ?? -1) + 1,
    };
    last = await saveCheckpoint(opts.checkpointDir, state, { network: s.net.runner.model, baseline: s.baseline!, heads: s.net.heads }, last);
  };
}
