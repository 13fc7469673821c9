import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { RunReport } from '../../../protocol/model';
import { writeFolderAtomic, type FolderEntry } from '../../io/atomic';
import { saveLayersModel } from '../../io/model-files';
import { modelFolderEntries } from '../../io/model-save';
import { isOnnxPath, prunedOnnxBytes } from '../../onnx/files';

// The engine's callers (CLI, bench) write their JSON files through the engine; the helper itself lives in server/io.
export { writeJsonAtomic } from '../../io/atomic';

export interface OutputOptions {
  /** ONNX inputs: also write model.json + shards beside model.onnx. */
  onnxModelJson?: boolean;
}

/**
 * Writes the pruned model and report.json into `outDir` as one atomic folder write, and returns the model's path:
 * model.json for a TF.js input, model.onnx (same opset, names and NCHW layout as the input) for an ONNX one.
 * The input model's folder is refused as a target: the input is never modified.
 */
export async function writeOutputs(model: tf.LayersModel, report: RunReport, outDir: string, inputModel: string, opts: OutputOptions = {}): Promise<string> {
  const out = path.resolve(outDir);
  if (out === path.dirname(path.resolve(inputModel))) {
    throw new Error(`refusing to write into the input model's folder ${out}: choose another --out`);
  }
  const onnx = isOnnxPath(inputModel);
  const modelPath = path.join(out, onnx ? 'model.onnx' : 'model.json');
  const reportJson = `${JSON.stringify({ ...report, model: { ...report.model, output: modelPath } }, null, 2)}\n`;
  const extra = { dcp: { schema: report.schema, method: report.config.method, rate: report.config.rate, source: report.model.input } };
  const quantize = report.config.quantize;
  if (!onnx) return saveLayersModel(model, out, { extra, quantize, files: [{ name: 'report.json', data: reportJson }] });
  const files: FolderEntry[] = [{ name: 'model.onnx', data: await prunedOnnxBytes(model, inputModel) }, { name: 'report.json', data: reportJson }];
  if (opts.onnxModelJson) files.push(...(await modelFolderEntries(model, out, { extra, quantize })));
  await writeFolderAtomic(out, files);
  return modelPath;
}
