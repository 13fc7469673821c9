import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { RunReport } from '../../../protocol/model';
import { saveLayersModel } from '../../io/model-files';

// The engine's callers (CLI, bench) write their JSON files through the engine; the helper itself lives in server/io.
export { writeJsonAtomic } from '../../io/atomic';

/**
 * Writes the pruned model and report.json into `outDir` as one atomic folder write, and returns the model.json path.
 * The input model's folder is refused as a target: the input is never modified.
 */
export async function writeOutputs(model: tf.LayersModel, report: RunReport, outDir: string, inputModel: string): Promise<string> {
  const out = path.resolve(outDir);
  if (out === path.dirname(path.resolve(inputModel))) {
    throw new Error(`refusing to write into the input model's folder ${out}: choose another --out`);
  }
  const modelPath = path.join(out, 'model.json');
  const reportJson = `${JSON.stringify({ ...report, model: { ...report.model, output: modelPath } }, null, 2)}\n`;
  const extra = { dcp: { schema: report.schema, method: report.config.method, rate: report.config.rate, source: report.model.input } };
  const quantize = report.config.quantize;
  return saveLayersModel(model, out, { extra, quantize, files: [{ name: 'report.json', data: reportJson }] });
}
