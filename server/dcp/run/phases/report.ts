import type * as tf from '@tensorflow/tfjs';
import type { PhaseClock, RunForecast } from '../../../../protocol/forecast';
import type { EpochPoint, FoldingReport, LayerLatency, ModelStats, RunConfig, RunReport } from '../../../../protocol/model';
import { selectionCost, type PassCount } from '../../measure/cost';
import { driftBatch, layerDrift } from '../../measure/drift';
import { layerDiff } from '../../measure/layer-diff';
import { loadLayersModel } from '../../../io/model-files';
import type { RunOptions } from '../engine';
import { writeOutputs } from '../outputs';
import { isOnnxPath, prunedOnnxBytes } from '../../../onnx/files';
import { measureOnnxLatency } from '../../../onnx/latency';
import { promises as fs } from 'node:fs';
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
  /** The backend latency was timed on, and why it is not the chosen `latencyBackend` when it is not (phases/measure.ts). */
  latencyBackend?: string;
  latencyBackendNote?: string;
  /** With `foldBatchNorm`: the folded model, saved instead of `cut.pruned`; what was folded, or why nothing was. */
  saved?: tf.LayersModel;
  folding?: FoldingReport;
  foldingNote?: string;
  /** Times the phases from the events; with the run's forecast (absent e.g. when resumed) it fills `phases`. */
  clock?: PhaseClock;
  forecast?: RunForecast;
}

/** The per-layer diff with each layer's output drift against the unpruned model, re-read from its file. */
async function diffWithDrift(p: ReportParts): Promise<NonNullable<RunReport['layerDiff']>> {
  const diff = layerDiff(p.inputs.summary, p.cut.summary);
  const original = await loadLayersModel(p.opts.modelPath);
  try {
    const drift = await layerDrift(original, p.cut.pruned, p.inputs.data.selection, p.inputs.inputShape, p.cut.cuts, p.opts.signal, driftBatch(p.inputs.memory.inferenceBatch));
    return diff.map((d) => (drift.has(d.layer) ? { ...d, drift: drift.get(d.layer)! } : d));
  } finally {
    original.dispose();
  }
}

/** The run's report, with the model and report.json written to the output folder (one atomic folder write). */
export async function saveReport(p: ReportParts): Promise<RunReport> {
  const report: RunReport = {
    schema: 'dcp-report/1', config: p.cfg,
    model: { name: p.model.name, input: p.opts.modelPath, output: null },
    layers: p.progress.layers, heads: p.progress.heads,
    before: p.inputs.before, afterSelection: p.cut.afterSelection, after: p.after, finetune: p.finetune,
    selectionCost: selectionCost(p.inputs.plan, p.passes, p.inputs.summary, p.inputs.data),
    seconds: (Date.now() - p.started) / 1000, backend: p.backend, validationSamples: p.inputs.data.validation.count,
    layerDiff: await diffWithDrift(p),
    ...(p.layerLatency ? { layerLatency: p.layerLatency } : {}),
    ...(p.latencyBackend ? { latencyBackend: p.latencyBackend } : {}),
    ...(p.latencyBackendNote ? { latencyBackendNote: p.latencyBackendNote } : {}),
    ...(p.folding ? { folding: p.folding } : {}), ...(p.foldingNote ? { foldingNote: p.foldingNote } : {}),
  };
  if (p.inputs.recipe) report.recipe = p.inputs.recipe;
  if (p.clock && p.forecast) {
    p.clock.close('measure', Date.now());
    report.phases = p.clock.compare(p.forecast);
  }
  if (isOnnxPath(p.opts.modelPath)) {
    const [original, pruned] = [new Uint8Array(await fs.readFile(p.opts.modelPath)), await prunedOnnxBytes(p.cut.pruned, p.opts.modelPath)];
    const measured = await measureOnnxLatency(original, pruned, [1, p.after.latencyBatch], 20, p.opts.signal);
    if (typeof measured === 'string') report.onnxLatencyNote = measured;
    else report.onnxLatency = measured;
  }
  report.model.output = await writeOutputs(p.saved ?? p.cut.pruned, report, p.opts.outDir, p.opts.modelPath, { onnxModelJson: p.cfg.onnxModelJson });
  return report;
}
