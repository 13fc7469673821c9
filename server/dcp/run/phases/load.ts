import * as tf from '@tensorflow/tfjs';
import type { MemoryPlan, ModelStats, ModelSummary, RunConfig } from '../../../../protocol/model';
import { loadDataset, type Dataset } from '../../../data/dataset';
import { analyzeGraph, summarizeModel, type ModelGraph } from '../../graph/graph';
import { makePlan, type PrunePlan } from '../../graph/plan';
import { memoryBudget, planMemory, processHeapCapMB } from '../../measure/memory';
import { memoryModelOf } from '../../measure/memory-shapes';
import { measureModel } from '../../measure/stats';
import { checkCancelled } from '../cancel';
import { readCheckpoint, type CheckpointState } from '../checkpoint';
import { applyRecipe, readRecipe } from '../recipe';
import type { Recipe } from '../../../../protocol/recipe';
import type { RunOptions } from '../engine';

/** What a run works from, before any training: the model's structure, the plan, the data and (on resume) the checkpoint. */
export interface RunInputs {
  graph: ModelGraph;
  summary: ModelSummary;
  plan: PrunePlan;
  inputShape: [number, number, number];
  data: Dataset;
  /** The checkpoint to continue from, when resuming. */
  resumeFrom: CheckpointState | null;
  /** The unpruned model's stats; its latency is filled in by the measure phase at the end. */
  before: ModelStats;
  /** The per-layer budgets the plan applies (`config.recipe`), null = none. */
  recipe: Recipe | null;
  /** Micro-batch, inference batch and spilled caches that keep every phase inside the memory budget. */
  memory: MemoryPlan;
}

/**
 * Analyses the model, plans the pruning, loads and splits the data, reads the checkpoint to resume from, and
 * measures the unpruned model. Holds no tensors once it returns; refuses models and data it cannot prune.
 */
export async function loadInputs(cfg: RunConfig, opts: RunOptions, model: tf.LayersModel): Promise<RunInputs> {
  const signal = opts.signal;
  const graph = analyzeGraph(model);
  const summary = summarizeModel(model, graph, model.name);
  if (graph.prunable.length === 0) {
    const why = graph.notPrunable.map((n) => `${n.layer}: ${n.reason}`).join('; ');
    throw new Error(
      `nothing to prune in ${opts.modelPath}: no convolution has selectable input channels (${why || 'the model has no convolutions'})`,
    );
  }
  const recipe = await readRecipe(cfg.recipe);
  const plan = applyRecipe(makePlan(graph, cfg.heads), graph, recipe);
  const inputShape = summary.inputShape as [number, number, number];
  if (inputShape.length !== 3) throw new Error(`the model's input must be an image (H, W, C); it is [${summary.inputShape.join(', ')}]`);
  // Before any work: a run that cannot fit fails here, with the phase, the estimate and the budget.
  const memory = planRunMemory(cfg, graph, summary, plan, tf.getBackend(), opts.memoryCapMB ?? processHeapCapMB());
  checkCancelled(signal);
  const data = await loadData(cfg, model, inputShape, summary.numClasses, memory.inferenceBatch);
  checkCancelled(signal);
  const resumeFrom = opts.resume ? await readCheckpoint(opts.checkpointDir ?? '', opts.modelPath, cfg) : null;
  if (opts.resume && !resumeFrom) throw new Error(`nothing to resume: no checkpoint in ${opts.checkpointDir ?? '(no checkpoint folder given)'}`);
  const before = resumeFrom?.before ?? (await measureModel(model, summary, data.validation, inputShape, { batchSize: memory.inferenceBatch, signal }));
  return { graph, summary, plan, inputShape, data, resumeFrom, before, recipe, memory };
}

/** The memory plan of a run on `backend` (the name tfjs reports) with the process's heap cap `capMB`. */
export function planRunMemory(cfg: RunConfig, graph: ModelGraph, summary: ModelSummary, plan: PrunePlan, backend: string, capMB: number | null): MemoryPlan {
  return planMemory(memoryModelOf(graph, summary, plan), {
    batchSize: cfg.batchSize, selectionSamples: cfg.selectionSamples, budget: memoryBudget(backend, capMB),
  });
}

/** Loads the run's data for this model; with teacher labels, the unpruned model labels it. */
async function loadData(cfg: RunConfig, model: tf.LayersModel, inputShape: [number, number, number], numClasses: number, batch: number): Promise<Dataset> {
  const sampleLen = inputShape[0] * inputShape[1] * inputShape[2];
  const teacher = async (x: Float32Array, n: number): Promise<Int32Array> => {
    const labels = new Int32Array(n);
    // The data layer hands over large chunks; the plan's inference batch bounds what one predict holds.
    for (let start = 0; start < n; start += batch) {
      const m = Math.min(batch, n - start);
      const t = tf.tidy(() => tf.argMax(model.predict(tf.tensor4d(x.subarray(start * sampleLen, (start + m) * sampleLen), [m, ...inputShape])) as tf.Tensor, -1));
      try {
        labels.set(await t.data(), start);
      } finally {
        t.dispose();
      }
    }
    return labels;
  };
  return loadDataset(cfg.data, {
    inputShape, numClasses, seed: cfg.seed, selectionSamples: cfg.selectionSamples,
    maxTrainSamples: cfg.maxTrainSamples, validationSamples: cfg.validationSamples ?? undefined, labels: cfg.labels, teacher: cfg.labels === 'teacher' ? teacher : undefined,
  });
}
