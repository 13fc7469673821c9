import type { MemoryPlan, ModelSummary, RunConfig, StageInfo } from '../../../protocol/model';
import { loadLayersModel } from '../../io/model-files';
import { initBackend } from '../../tfjs/backend';
import { analyzeGraph, summarizeModel } from '../graph/graph';
import { makePlan } from '../graph/plan';
import { processHeapCapMB } from '../measure/memory';
import { resolveConfig } from './config';
import { planRunMemory } from './phases/load';

/** What a run would do, without doing it: its layout and memory plan. */
export interface DryRun {
  config: RunConfig;
  backend: string;
  model: ModelSummary;
  stages: StageInfo[];
  memory: MemoryPlan;
}

/**
 * Plans a run (`dcp prune --dry-run`): reads the model, lays out heads and stages, and plans memory from the shapes,
 * without reading data or training. Throws what the run would fail with before any work (bad config, nothing to
 * prune, MemoryPlanError).
 */
export async function dryRun(config: Partial<RunConfig>, modelPath: string, memoryCapMB?: number | null): Promise<DryRun> {
  const cfg = resolveConfig(config);
  const backend = await initBackend(cfg.backend, { threads: cfg.threads });
  const model = await loadLayersModel(modelPath);
  try {
    const graph = analyzeGraph(model);
    const summary = summarizeModel(model, graph, model.name);
    if (graph.prunable.length === 0) throw new Error(`nothing to prune in ${modelPath}: no convolution has selectable input channels`);
    const plan = makePlan(graph, cfg.heads);
    const memory = planRunMemory(cfg, graph, summary, plan, backend, memoryCapMB ?? processHeapCapMB());
    return { config: cfg, backend, model: summary, stages: plan.stages, memory };
  } finally {
    model.dispose();
  }
}
