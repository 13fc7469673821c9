import * as tf from '@tensorflow/tfjs';
import type { HeadAccuracy, LayerResult, RunConfig, RunEvent } from '../../../../protocol/model';
import { GraphRunner } from '../../exec/executor';
import { logitsOf } from '../../exec/layers';
import { cloneModel } from '../../surgery/surgery';
import { createHeads, disposeHeads } from '../../train/heads';
import { headAccuracies, train, type Network } from '../../train/train';
import { restoreCheckpoint, type CheckpointState } from '../checkpoint';
import type { RunOptions } from '../engine';
import type { RunInputs } from './load';

/**
 * What channel selection works on: the network being pruned in place (the loaded model, with its auxiliary heads
 * and the masks selection imposes) and the baseline M_b it is compared with. Released by disposeSelectionNetwork.
 */
export interface SelectionNetwork {
  net: Network;
  /** Set by the heads phase (a copy after head training, or the checkpoint's); null before. */
  baseline: tf.LayersModel | null;
}

/** A run's results so far: after the heads phase, and after each selected layer or stage fine-tune. */
export interface Progress {
  heads: HeadAccuracy[];
  layers: LayerResult[];
  passes: CheckpointState['passes'];
  stagesTuned: number[];
}

export function createSelectionNetwork(model: tf.LayersModel, inputs: RunInputs, cfg: RunConfig): SelectionNetwork {
  const { plan, graph, summary } = inputs;
  const featureChannels = plan.heads.map((h) => graph.layers[h.after].outputShape.at(-1)!);
  const heads = createHeads(plan.heads, featureChannels, summary.numClasses, cfg.seed, cfg.headWeighting, plan.blocks, plan.layersPerBlock);
  const runner = new GraphRunner(model);
  return { net: { runner, logits: logitsOf(runner), heads, masks: new Map(), inputShape: inputs.inputShape }, baseline: null };
}

/** Frees the heads, the masks and the baseline; the network's own model belongs to the caller. */
export function disposeSelectionNetwork(s: SelectionNetwork): void {
  tf.dispose([...s.net.masks.values()]);
  s.net.masks.clear();
  disposeHeads(s.net.heads);
  s.baseline?.dispose();
  s.baseline = null;
}

/**
 * Trains the heads (on the frozen network by default; jointly with it for the authors' v2 pipeline) and keeps the
 * result as the baseline M_b; or, resuming, restores network, heads and baseline from the checkpoint and replays
 * its finished layers.
 */
export async function* headsPhase(cfg: RunConfig, opts: RunOptions, inputs: RunInputs, s: SelectionNetwork): AsyncGenerator<RunEvent, Progress> {
  const { net } = s;
  const resumeFrom = inputs.resumeFrom;
  if (resumeFrom) {
    s.baseline = await restoreCheckpoint(opts.checkpointDir!, resumeFrom, net.runner.model, net.heads);
    yield { type: 'headsTrained', heads: resumeFrom.heads, time: Date.now() };
    const layers: LayerResult[] = [];
    for (const r of resumeFrom.layers) {
      layers.push(r);
      net.masks.set(r.layer, maskOf(r));
      yield { type: 'layerDone', result: r, time: Date.now() };
    }
    return { heads: resumeFrom.heads, layers, passes: [...resumeFrom.passes], stagesTuned: [...resumeFrom.stagesTuned] };
  }
  const joint = cfg.headTraining === 'joint';
  yield* train(net, inputs.data.train, {
    phase: 'heads', stage: null, epochs: cfg.headEpochs, learningRate: joint ? cfg.learningRate : cfg.headLearningRate,
    batchSize: cfg.batchSize, seed: cfg.seed, withHeads: true, trainNetwork: joint, validation: null, signal: opts.signal,
    microBatch: inputs.memory.microBatch,
  });
  const accs = await headAccuracies(net, inputs.data.validation, inputs.memory.inferenceBatch, net.heads, opts.signal);
  const heads: HeadAccuracy[] = [
    ...net.heads.map((h, i) => ({ index: h.index, after: h.after, accuracy: accs.heads[i] })),
    { index: net.heads.length, after: net.runner.outputName, accuracy: accs.final },
  ];
  yield { type: 'headsTrained', heads, time: Date.now() };
  s.baseline = await cloneModel(net.runner.model);
  return { heads, layers: [], passes: [], stagesTuned: [] };
}

/** A finished layer's mask as selection left it: channels [1,1,c,1], or kernels [1,1,c,n] for DKP. */
function maskOf(r: LayerResult): tf.Tensor {
  if (r.kernelMask) return tf.tensor4d(r.kernelMask.flat(), [1, 1, r.kernelMask.length, r.kernelMask[0]?.length ?? 0]);
  const v = new Float32Array(r.inChannels);
  for (const k of r.kept) v[k] = 1;
  return tf.tensor4d(v, [1, 1, r.inChannels, 1]);
}
