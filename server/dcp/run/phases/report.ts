import type * as tf from '@tensorflow/tfjs';
import type { EpochPoint, LayerLatency, ModelStats, RunConfig, RunReport } from '../../../../protocol/model';
import { selectionCost, type PassCount } from '../../measure/cost';
import type { RunOptions } from '../engine';
import { writeOutputs } from '../outputs';
import type { Progress } from './heads';
import type { RunInputs } from './load';
import type { PrunedModel } from './surgery';

/** Everything the report is made of, gathered over the phases. */
export interface ReportParts {
  cfg: RunConfig;
  opts: RunOptions;
  model: tf.LayersModel;
  inputs: RunInputs;
  progress: Progress;
  passes: PassCount[];
  cut: PrunedModel;
  after: ModelStats;
  finetune: EpochPoint[];
  /** When the run started (ms since the epoch) and the backend it ran on. */
  started: number;
  backend: RunReport['backend'];
  layerLatency?: LayerLatency[];
}

/** The run's report, with the model and report.json written to the output folder (one atomic folder write). */
export async function saveReport(p: ReportParts): Promise<RunReport> {
  const report: RunReport = {
    schema: 'dcp-report/1', config: p.cfg,
    model: { name: p.model.name, input: p.opts.modelPath, output: null },
    layers: p.progress.layers, heads: p.progress.heads,
    before: p.inputs.before, afterSelection: p.cut.afterSelection, after: p.after, finetune: p.finetune,
    selectionCost: selectionCost(p.inputs.plan, p.passes, p.inputs.summary, p.inputs.data),
    seconds: (Date.now() - p.started) / 1000, backend: p.backend,
    ...(p.layerLatency ? { layerLatency: p.layerLatency } : {}),
  };
  report.model.output = await writeOutputs(p.cut.pruned, report, p.opts.outDir, p.opts.modelPath);
  return report;
}
