import * as tf from '@tensorflow/tfjs';
import type { HeadAccuracy, LayerResult, RunConfig, RunEvent } from '../../../../protocol/model';
import { headsPhaseTrains } from '../../../../protocol/forecast-estimate';
import { GraphRunner } from '../../exec/executor';
import { logitsOf } from '../../exec/layers';
import { cloneModel } from '../../surgery/surgery';
import { createHeads, disposeHeads, headWeightsData, setHeadWeights } from '../../train/heads';
import { headsCacheKey } from '../heads-cache';
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
  const heads = createHeads(plan.heads, featureChannels, summary.numClasses, cfg.seed, cfg.headWeighting, plan.layersPerBlock);
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
  const { summary } = inputs;
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
  const cacheKey = opts.headsCache && !joint ? headsCacheKey(cfg, opts.modelPath) : null;
  const cached = cacheKey ? opts.headsCache!.get(cacheKey) : undefined;
  if (cached) {
    // The same frozen network, seed and data: training again would give these very weights.
    setHeadWeights(net.heads, cached.weights);
    yield { type: 'headsTrained', heads: cached.heads, time: Date.now() };
    s.baseline = await cloneModel(net.runner.model);
    return { heads: cached.heads, layers: [], passes: [], stagesTuned: [] };
  }
  const measure = (): Promise<Accuracies> => headAccuracies(net, inputs.data.validation, inputs.memory.inferenceBatch, net.heads, opts.signal);
  let last: Accuracies | null = null;
  let stopped = false;
  // Frozen with no auxiliary head there is nothing to train (and TF.js refuses to minimise over no variables).
  if (headsPhaseTrains(cfg.headTraining, net.heads.length)) yield* train(net, inputs.data.train, {
    phase: 'heads', stage: null, epochs: cfg.headEpochs, learningRate: joint ? cfg.learningRate : cfg.headLearningRate,
    batchSize: cfg.batchSize, seed: cfg.seed, withHeads: true, trainNetwork: joint, validation: null, signal: opts.signal,
    microBatch: inputs.memory.microBatch,
    // Measured on the validation split the report quotes: it only decides when to stop, it picks no weights.
    stopAfter: cfg.headPlateau > 0 ? async () => {
      const now = await measure();
      stopped = last !== null && largestGain(last, now, joint) < cfg.headPlateau / 100;
      last = now;
      return stopped;
    } : undefined,
  });
  const accs = stopped && last ? last : await measure();
  const heads: HeadAccuracy[] = [
    ...net.heads.map((h, i) => withWarning({ index: h.index, after: h.after, accuracy: accs.heads[i] }, summary.numClasses)),
    withWarning({ index: net.heads.length, after: net.runner.outputName, accuracy: accs.final }, summary.numClasses),
  ];
  if (cacheKey) opts.headsCache!.set(cacheKey, { weights: await headWeightsData(net.heads), heads });
  yield { type: 'headsTrained', heads, time: Date.now() };
  s.baseline = await cloneModel(net.runner.model);
  return { heads, layers: [], passes: [], stagesTuned: [] };
}

type Accuracies = { final: number; heads: number[] };

/** The most any head gained over an epoch (fractions); the classifier counts too when the network trains. */
function largestGain(before: Accuracies, after: Accuracies, withFinal: boolean): number {
  const gains = after.heads.map((a, i) => a - before.heads[i]);
  if (withFinal) gains.push(after.final - before.final);
  return gains.length > 0 ? Math.max(...gains) : -Infinity;
}

/**
 * A head this close to chance steers selection with noise: L_S^p then rewards nothing the classes share. 5 points
 * above 1/K is where we start saying so [ours].
 */
export const NEAR_CHANCE_POINTS = 5;

/** The warning a head gets at `accuracy` with `numClasses` classes, or undefined when it is clear of chance. */
export function nearChanceWarning(accuracy: number, numClasses: number): string | undefined {
  const chance = 1 / numClasses;
  // The 1e-9 keeps 15% clear of a 10-class chance + 5 points despite 0.1 + 0.05 > 0.15 in floating point.
  if (accuracy >= chance + NEAR_CHANCE_POINTS / 100 - 1e-9) return undefined;
  const pct = (v: number): string => `${(v * 100).toFixed(1)}%`;
  return `near chance: ${pct(accuracy)} against ${pct(chance)} for ${numClasses} classes; its loss gives selection little to go on (train the heads longer: head epochs, head learning rate)`;
}

function withWarning(h: HeadAccuracy, numClasses: number): HeadAccuracy {
  const warning = nearChanceWarning(h.accuracy, numClasses);
  return warning === undefined ? h : { ...h, warning };
}

/** A finished layer's mask as selection left it: channels [1,1,c,1], or kernels [1,1,c,n] for DKP. */
function maskOf(r: LayerResult): tf.Tensor {
  if (r.kernelMask) return tf.tensor4d(r.kernelMask.flat(), [1, 1, r.kernelMask.length, r.kernelMask[0]?.length ?? 0]);
  const v = new Float32Array(r.inChannels);
  for (const k of r.kept) v[k] = 1;
  return tf.tensor4d(v, [1, 1, r.inChannels, 1]);
}
