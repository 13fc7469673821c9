/**
 * Model files on disk: the one entry point the engine, CLI and language server use to read and write TF.js layers
 * models. tfjs-node's file:// handler is not available, so reading, validating, dequantising and writing are ours.
 * Every problem with a file becomes one ModelFileError that names the file and says what is wrong.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { isOnnxPath, loadOnnxLayersModel } from '../onnx/files';
import { buildLayersModel } from './model-build';
import { rememberModelInputs } from './model-inputs';
import { parseModelJson } from './model-json';
import { MAX_MODEL_JSON_BYTES, ModelFileError } from './model-types';
import type { JsonObject, JsonValue, ModelJson } from './model-types';
import { checkFiniteWeights, readWeights } from './model-weights';
import type { DecodedWeights } from './model-weights';

export { ModelFileError, MAX_MODEL_JSON_BYTES, MAX_WEIGHT_BYTES } from './model-types';
export type { JsonObject, JsonValue, ModelJson, ModelJsonProblem, WeightGroup, WeightQuantization, WeightSpec } from './model-types';
export { checkModelJsonText, parseModelJson, validateModelJsonText } from './model-json';
export { saveLayersModel } from './model-save';
export type { SaveModelOptions } from './model-save';

/**
 * Reads model.json and all its shards, validates them, and dequantises uint8/uint16/float16 weights, so the
 * returned `weightSpecs` are plain float32/int32 (no `quantization`) over one `weightData` ArrayBuffer.
 * `modelJsonPath` may also be the model's folder. The files read are remembered as inputs: saveLayersModel will
 * refuse to write over them.
 */
export async function readModelArtifacts(modelJsonPath: string): Promise<tf.io.ModelArtifacts> {
  return (await readModel(modelJsonPath)).artifacts;
}

/**
 * readModelArtifacts, then the model built from them with its weights loaded (as tf.loadLayersModel with
 * tf.io.fromMemory would). Optimizer state is not restored. A model that TF.js cannot build (unknown layer class,
 * weight shape mismatch, missing or extra weights) becomes a ModelFileError and leaves no tensors behind.
 * A path ending in `.onnx` is read as an ONNX conv net instead (errors are OnnxImportErrors naming the node).
 */
export async function loadLayersModel(modelJsonPath: string): Promise<tf.LayersModel> {
  // An .onnx file is imported into an equivalent Layers model (NHWC input): server/onnx/import.ts.
  if (isOnnxPath(modelJsonPath)) return loadOnnxLayersModel(modelJsonPath);
  const { file, artifacts } = await readModel(modelJsonPath);
  if (artifacts.weightSpecs && artifacts.weightData instanceof ArrayBuffer) checkFiniteWeights(file, artifacts.weightSpecs, artifacts.weightData);
  return buildLayersModel(file, artifacts);
}

async function readModel(modelJsonPath: string): Promise<{ file: string; artifacts: tf.io.ModelArtifacts }> {
  const file = await modelJsonFile(modelJsonPath);
  let json: ModelJson;
  let weights: DecodedWeights;
  try {
    json = parseModelJson(await fs.readFile(file, 'utf8'), file);
    weights = await readWeights(file, json);
  } catch (e) {
    // Permission errors and the like still name the model and say what failed.
    throw e instanceof ModelFileError ? e : new ModelFileError(file, `cannot read the model: ${(e as Error).message}`);
  }
  await rememberModelInputs([path.dirname(file), file, ...weights.shardFiles]);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology,
    format: json.format ?? 'layers-model',
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? null,
    weightSpecs: weights.specs,
    weightData: weights.data,
  };
  if (json.userDefinedMetadata) {
    // ModelArtifacts types metadata values as non-null; a null entry carries nothing anyway.
    const entries = Object.entries(json.userDefinedMetadata).filter((e): e is [string, NonNullable<JsonValue>] => e[1] !== null);
    artifacts.userDefinedMetadata = Object.fromEntries(entries);
  }
  if (json.trainingConfig && isTrainingConfig(json.trainingConfig)) artifacts.trainingConfig = json.trainingConfig;
  return { file, artifacts };
}

/** Resolves a model.json path (or its folder) and checks it is a file of sane size before reading it. */
async function modelJsonFile(p: string): Promise<string> {
  let file = path.resolve(p);
  let st = await statOrNull(file);
  if (st?.isDirectory()) {
    file = path.join(file, 'model.json');
    st = await statOrNull(file);
  }
  if (!st) throw new ModelFileError(file, 'model file does not exist');
  if (!st.isFile()) throw new ModelFileError(file, 'model path is not a regular file');
  if (st.size > MAX_MODEL_JSON_BYTES) {
    throw new ModelFileError(file, `model.json is ${st.size} bytes; refusing more than ${MAX_MODEL_JSON_BYTES} (a model.json holds only topology and manifest)`);
  }
  return file;
}

async function statOrNull(p: string): Promise<import('node:fs').Stats | null> {
  try {
    return await fs.stat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new ModelFileError(p, `cannot read model file: ${(e as Error).message}`);
  }
}

/** tfjs compiles from `trainingConfig`; it needs at least a loss and an optimizer config to try. */
function isTrainingConfig(c: JsonObject): c is JsonObject & tf.io.TrainingConfig {
  const opt = c['optimizer_config'];
  return c['loss'] !== undefined && typeof opt === 'object' && opt !== null && !Array.isArray(opt);
}
