import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type * as tf from '@tensorflow/tfjs';
import type { RunReport } from '../../../protocol/model';
import { saveLayersModel } from '../../io/model-files';

/**
 * Writes the pruned model and report.json into `outDir`, each atomically (temp + rename), and returns the
 * model.json path. The input model's folder is refused as a target: the input is never modified.
 */
export async function writeOutputs(model: tf.LayersModel, report: RunReport, outDir: string, inputModel: string): Promise<string> {
  const out = path.resolve(outDir);
  if (out === path.dirname(path.resolve(inputModel))) {
    throw new Error(`refusing to write into the input model's folder ${out}: choose another --out`);
  }
  const modelPath = await saveLayersModel(model, out, { extra: { dcp: { schema: report.schema, method: report.config.method, rate: report.config.rate, source: report.model.input } } });
  await writeJsonAtomic(path.join(out, 'report.json'), { ...report, model: { ...report.model, output: modelPath } });
  return modelPath;
}

/** JSON written to a temp file beside the target, then renamed over it. */
export async function writeJsonAtomic(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, JSON.stringify(value, null, 2) + '\n', 'utf8');
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw e;
  }
}
