import type { MemoryPlan, ModelSummary, RunConfig, StageInfo } from '../../../protocol/model';
import { loadLayersModel } from '../../io/model-files';
import { initBackend } from '../../tfjs/backend';
import { analyzeGraph, summarizeModel } from '../graph/graph';
import { makePlan } from '../graph/plan';
import { processHeapCapMB } from '../measure/memory';
import { resolveConfig } from './config';
import { estimateRun } from '../../../protocol/forecast-estimate';
import { defaultSpeedCacheFile, machineSpeed } from '../measure/calibrate';
import { forecastInputOf, planChannelsPerStep, type StepPlan } from './step-plan';
import { planRunMemory } from './phases/load';

/** What a run would do, without doing it: its layout and memory plan. */
export interface DryRun {
  config: RunConfig;
  backend: string;
  model: ModelSummary;
  stages: StageInfo[];
  memory: MemoryPlan;
  /**
   * Channel selection's forecast and auto channels-per-step's plan, with `selectionSamples` images (the data is not
   * read, so head training and fine-tuning are not forecast); null without a calibrated speed (the cpu backend).
   */
  selection: { seconds: number; plan: StepPlan } | null;
}

/**
 * Plans a run (`dcp prune --dry-run`): reads the model, lays out heads and stages, plans memory from the shapes and
 * forecasts channel selection (this machine's cached calibration), without reading data or training. Throws what the run would fail with before any work (bad config, nothing to
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
    const speed = await machineSpeed(cfg.threads, defaultSpeedCacheFile());
    let selection: DryRun['selection'] = null;
    if (speed) {
      const input = forecastInputOf(cfg, summary, plan, memory, speed, { train: 0, validation: 0, selection: cfg.selectionSamples });
      const steps = planChannelsPerStep(cfg, input);
      const forecast = estimateRun({ ...input, channelsPerStep: steps.perStep });
      selection = { seconds: forecast.phases.find((p) => p.phase === 'selection')?.seconds ?? 0, plan: steps };
    }
    return { config: cfg, backend, model: summary, stages: plan.stages, memory, selection };
  } finally {
    model.dispose();
  }
}
