import * as tf from '@tensorflow/tfjs';
import type { EpochPoint, HeadAccuracy, LayerResult, ModelStats, RunConfig, RunEvent, RunReport } from '../../../protocol/model';
import { loadDataset, type Dataset } from '../../data/dataset';
import { loadLayersModel } from '../../io/model-files';
import { initBackend } from '../../tfjs/backend';
import { checkCancelled } from './cancel';
import type { RunOptions } from './engine';
import { GraphRunner } from '../exec/executor';
import { analyzeGraph, summarizeModel } from '../graph/graph';
import { createHeads, disposeHeads } from '../train/heads';
import { logitsOf } from '../exec/layers';
import { makePlan, cutsFor, type PrunePlan } from '../graph/plan';
import { selectLayer } from '../select/select-layer';
import { measureModel, plainNetwork, LATENCY_BATCH, LATENCY_REPEATS } from '../measure/stats';
import { compareLatency } from '../measure/latency';
import { cloneModel, pruneModel } from '../surgery/surgery';
import { train, headAccuracies, type Network } from '../train/train';
import { selectionCost, measurePath, type PassCount } from '../measure/cost';
import { kernelSparseSummary, kernelMasksAfterSurgery } from '../measure/kernel-stats';
import { writeOutputs } from './outputs';
import { readCheckpoint, restoreCheckpoint, saveCheckpoint, type CheckpointState } from './checkpoint';

/** A finished layer's mask as selection left it: channels [1,1,c,1], or kernels [1,1,c,n] for DKP. */
function maskOf(r: LayerResult): tf.Tensor {
  if (r.kernelMask) return tf.tensor4d(r.kernelMask.flat(), [1, 1, r.kernelMask.length, r.kernelMask[0]?.length ?? 0]);
  const v = new Float32Array(r.inChannels);
  for (const k of r.kept) v[k] = 1;
  return tf.tensor4d(v, [1, 1, r.inChannels, 1]);
}

/** The whole DCP pipeline (DCP-SPEC §2) as events; throws on failure (the caller turns errors into events). */
export async function* runPipeline(cfg: RunConfig, opts: RunOptions): AsyncGenerator<RunEvent> {
  const started = Date.now();
  const signal = opts.signal;
  const backend = await initBackend(cfg.backend, { threads: cfg.threads });
  const model = await loadLayersModel(opts.modelPath);
  let baseline: tf.LayersModel | null = null;
  let pruned: tf.LayersModel | null = null;
  let net: Network | null = null;
  try {
    const graph = analyzeGraph(model);
    const summary = summarizeModel(model, graph, model.name);
    if (graph.prunable.length === 0) {
      const why = graph.notPrunable.map((n) => `${n.layer}: ${n.reason}`).join('; ');
      throw new Error(`nothing to prune in ${opts.modelPath}: no convolution has selectable input channels (${why || 'the model has no convolutions'})`);
    }
    const plan = makePlan(graph, cfg.heads);
    const inputShape = summary.inputShape as [number, number, number];
    if (inputShape.length !== 3) throw new Error(`the model's input must be an image (H, W, C); it is [${summary.inputShape.join(', ')}]`);
    checkCancelled(signal);
    const data = await loadData(cfg, model, inputShape, summary.numClasses);
    checkCancelled(signal);
    const resumeFrom = opts.resume ? await readCheckpoint(opts.checkpointDir ?? '', opts.modelPath, cfg) : null;
    if (opts.resume && !resumeFrom) throw new Error(`nothing to resume: no checkpoint in ${opts.checkpointDir ?? '(no checkpoint folder given)'}`);

    const before = resumeFrom?.before ?? await measureModel(model, summary, data.validation, inputShape, { batchSize: cfg.batchSize, signal });
    const featureChannels = plan.heads.map((h) => graph.layers[h.after].outputShape.at(-1)!);
    const heads = createHeads(plan.heads, featureChannels, summary.numClasses, cfg.seed, cfg.headWeighting, plan.blocks, plan.layersPerBlock);
    const runner = new GraphRunner(model);
    net = { runner, logits: logitsOf(runner), heads, masks: new Map(), inputShape };
    yield {
      type: 'runStarted', config: cfg, model: summary, before, time: Date.now(),
      heads: heads.map((h) => ({ index: h.index, after: h.after, weight: h.weight })), stages: plan.stages,
    };

    let headsTrained: HeadAccuracy[];
    const results: LayerResult[] = [];
    const counts: CheckpointState['passes'] = [];
    const stagesTuned: number[] = [];
    if (resumeFrom) {
      // Resume: the network, heads and baseline as they were after the last finished step; replay its results.
      baseline = await restoreCheckpoint(opts.checkpointDir!, resumeFrom, model, heads);
      headsTrained = resumeFrom.heads;
      yield { type: 'headsTrained', heads: headsTrained, time: Date.now() };
      for (const r of resumeFrom.layers) {
        results.push(r);
        net.masks.set(r.layer, maskOf(r));
        yield { type: 'layerDone', result: r, time: Date.now() };
      }
      counts.push(...resumeFrom.passes);
      stagesTuned.push(...resumeFrom.stagesTuned);
    } else {
      // Heads first (on the frozen network by default; jointly with it for the authors' v2 pipeline): the result is the baseline M_b.
      const joint = cfg.headTraining === 'joint';
      yield* train(net, data.train, {
        phase: 'heads', stage: null, epochs: cfg.headEpochs, learningRate: joint ? cfg.learningRate : cfg.headLearningRate,
        batchSize: cfg.batchSize, seed: cfg.seed, withHeads: true, trainNetwork: joint, validation: null, signal,
      });
      const accs = await headAccuracies(net, data.validation, cfg.batchSize, heads, signal);
      headsTrained = [
        ...heads.map((h, i) => ({ index: h.index, after: h.after, accuracy: accs.heads[i] })),
        { index: heads.length, after: runner.outputName, accuracy: accs.final },
      ];
      yield { type: 'headsTrained', heads: headsTrained, time: Date.now() };
      baseline = await cloneModel(model);
    }
    const baseRunner = new GraphRunner(baseline);
    let ckpt = resumeFrom;
    const checkpoint = async (): Promise<void> => {
      if (!opts.checkpointDir) return;
      const state = { config: cfg, modelPath: opts.modelPath, before, heads: headsTrained, layers: results, passes: counts, stagesTuned, step: (ckpt?.step ?? -1) + 1 };
      ckpt = await saveCheckpoint(opts.checkpointDir, state, { network: model, baseline: baseline!, heads }, ckpt);
    };
    if (!resumeFrom) await checkpoint();

    for (const stage of plan.stages) {
      const todo = plan.convs.filter((c) => c.stage === stage.index && !results.some((r) => r.layer === c.conv));
      const tune = cfg.stageFinetune && stage.index < heads.length && !stagesTuned.includes(stage.index);
      if (stage.layers.length === 0 || (todo.length === 0 && !tune)) continue;
      checkCancelled(signal);
      yield { type: 'stageStarted', stage: stage.index, layers: stage.layers, time: Date.now() };
      for (const conv of todo) {
        checkCancelled(signal);
        const head = stage.index < heads.length ? heads[stage.index] : null;
        const out = yield* selectLayer({ net, baseline: baseRunner, config: cfg, selection: data.selection, signal }, conv, head);
        results.push(out.result);
        counts.push({ layer: conv.conv, gradientPasses: out.gradientPasses, forwardPasses: out.forwardPasses });
        await checkpoint();
      }
      if (tune) {
        yield* train(net, data.train, { phase: 'stage', stage: stage.index, epochs: 1, learningRate: cfg.learningRate, batchSize: cfg.batchSize, seed: cfg.seed + 31 * (stage.index + 1), withHeads: true, validation: null, signal });
        stagesTuned.push(stage.index);
        await checkpoint();
      }
    }
    checkCancelled(signal);
    const passes: PassCount[] = counts.map((c) => {
      const conv = plan.convs.find((p) => p.conv === c.layer)!;
      const head = conv.stage < heads.length ? heads[conv.stage].after : net!.logits.target;
      const kept = results.find((r) => r.layer === c.layer)!.kept.length;
      return measurePath({ plan: conv, head, gradientPasses: c.gradientPasses, forwardPasses: c.forwardPasses, kept }, runner, summary);
    });

    // Surgery: slice the kept channels out physically; the heads are not part of the model and are dropped.
    const cuts = results.flatMap((r) => cutsFor(plan.convs.find((c) => c.conv === r.layer)!, r.kept));
    pruned = await pruneModel(model, cuts);
    const prunedSummary = kernelSparseSummary(summarizeModel(pruned, analyzeGraph(pruned), model.name), results, cuts);
    const afterSelection = await measureModel(pruned, prunedSummary, data.validation, inputShape, { batchSize: cfg.batchSize, signal });
    yield { type: 'surgeryDone', afterSelection, time: Date.now() };

    const finalNet = plainNetwork(pruned, inputShape);
    kernelMasksAfterSurgery(finalNet, results, cuts);
    const finetune: EpochPoint[] = yield* train(finalNet, data.train, { phase: 'final', stage: null, epochs: cfg.finetuneEpochs, learningRate: cfg.learningRate, batchSize: cfg.batchSize, seed: cfg.seed + 7, withHeads: false, stepSchedule: true, validation: data.validation, signal });
    tf.dispose([...finalNet.masks.values()]);
    const after: ModelStats = cfg.finetuneEpochs > 0
      ? await measureModel(pruned, prunedSummary, data.validation, inputShape, { batchSize: cfg.batchSize, signal })
      : { ...afterSelection };
    // Latency depends only on the architecture: the unpruned and the pruned model are timed interleaved, at the end.
    const lat = await compareLatency(model, pruned, inputShape, LATENCY_BATCH, LATENCY_REPEATS, signal);
    [before.latencyMs1, before.latencyMsBatch] = lat.a;
    for (const s of [afterSelection, after]) [s.latencyMs1, s.latencyMsBatch] = lat.b;
    checkCancelled(signal);

    const report: RunReport = {
      schema: 'dcp-report/1', config: cfg,
      model: { name: model.name, input: opts.modelPath, output: null },
      layers: results, heads: headsTrained, before, afterSelection, after, finetune,
      selectionCost: selectionCost(plan, passes, summary, data),
      seconds: (Date.now() - started) / 1000, backend,
    };
    report.model.output = await writeOutputs(pruned, report, opts.outDir, opts.modelPath);
    yield { type: 'runFinished', report, time: Date.now() };
  } finally {
    if (net) {
      tf.dispose([...net.masks.values()]);
      disposeHeads(net.heads);
    }
    model.dispose();
    baseline?.dispose();
    pruned?.dispose();
  }
}

/** Loads the run's data for this model; with teacher labels, the unpruned model labels it. */
async function loadData(cfg: RunConfig, model: tf.LayersModel, inputShape: [number, number, number], numClasses: number): Promise<Dataset> {
  const teacher = async (x: Float32Array, n: number): Promise<Int32Array> => {
    const t = tf.tidy(() => tf.argMax(model.predict(tf.tensor4d(x, [n, ...inputShape])) as tf.Tensor, -1));
    const out = new Int32Array(await t.data());
    t.dispose();
    return out;
  };
  return loadDataset(cfg.data, {
    inputShape, numClasses, seed: cfg.seed, selectionSamples: cfg.selectionSamples,
    maxTrainSamples: cfg.maxTrainSamples, labels: cfg.labels, teacher: cfg.labels === 'teacher' ? teacher : undefined,
  });
}

export type { PrunePlan };
