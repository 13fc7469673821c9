/**
 * ONNX files where the rest of the project meets them: recognising the path, loading one as a Layers model (the
 * file remembered as an input, so no output is written over it) and the pruned model's bytes for the output.
 */
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { rememberModelInputs } from '../io/model-inputs';
import { exportOnnx } from './export';
import { importOnnx, readOnnxFile } from './import';
import { encodeModel } from './proto-encode';

export function isOnnxPath(p: string): boolean {
  return path.extname(p).toLowerCase() === '.onnx';
}

export async function loadOnnxLayersModel(file: string): Promise<tf.LayersModel> {
  const abs = path.resolve(file);
  const m = await readOnnxFile(abs);
  await rememberModelInputs([abs]);
  return importOnnx(m, abs);
}

/** The pruned network as ONNX, laid out like `sourceFile` (the .onnx it was imported from, re-read for its names). */
export async function prunedOnnxBytes(model: tf.LayersModel, sourceFile: string): Promise<Uint8Array> {
  return encodeModel(exportOnnx(model, await readOnnxFile(path.resolve(sourceFile))));
}
