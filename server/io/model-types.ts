/**
 * Types of a TF.js layers-model `model.json` as this project reads and writes it, the error every model-file
 * problem becomes, and the size rules shared by the validator and the shard reader.
 */
import type { JsonObject } from './json-tree';

export type { JsonObject, JsonValue } from './json-tree';

/** Raised for any unusable model file; `message` starts with the file's path and says what is wrong. */
export class ModelFileError extends Error {
  /** What is wrong, without the file prefix. */
  readonly reason: string;
  constructor(
    readonly file: string,
    message: string,
    /** Code-unit offset in model.json when the problem has a position there. */
    readonly offset?: number,
  ) {
    super(message.includes(file) ? message : `${file}: ${message}`);
    this.name = 'ModelFileError';
    this.reason = message;
  }
}

/** dtypes a layers model stores; graph-model-only dtypes (string, bool, complex64) are refused. */
export type WeightDtype = 'float32' | 'int32';

/** TF.js post-training quantisation: `value = q·scale + min` for uint8/uint16, IEEE half precision for float16. */
export interface WeightQuantization {
  dtype: 'uint8' | 'uint16' | 'float16';
  scale?: number;
  min?: number;
}

/** One entry of a `weightsManifest` group; `dtype` is the dtype after dequantisation. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: WeightDtype;
  /** `optimizer` marks optimizer state, which we skip on load. */
  group?: string;
  quantization?: WeightQuantization;
}

/** Weights stored back to back, then cut into the shard files `paths` (relative to model.json's folder). */
export interface WeightGroup {
  paths: string[];
  weights: WeightSpec[];
}

export interface ModelJson {
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  /** Either `{class_name, config}` or, from the Keras converter, `{model_config, keras_version, backend, …}`. */
  modelTopology: JsonObject;
  weightsManifest: WeightGroup[];
  trainingConfig?: JsonObject;
  userDefinedMetadata?: JsonObject;
}

/** A problem in model.json text, positioned for editor diagnostics. */
export interface ModelJsonProblem {
  message: string;
  /** UTF-16 code-unit offset and length of the offending text. */
  offset: number;
  length: number;
  severity: 'error' | 'warning';
}

/** Upper bound on the dequantised weights of one model (1 GiB): far above any conv net pruned in an editor. */
export const MAX_WEIGHT_BYTES = 2 ** 30;
/** model.json holds topology and manifest only; megabytes at most for real models. */
export const MAX_MODEL_JSON_BYTES = 64 * 2 ** 20;

const STORED_BYTES: Record<WeightQuantization['dtype'], number> = { uint8: 1, uint16: 2, float16: 2 };

/** Elements of a validated shape (a scalar `[]` has one). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((n, d) => n * d, 1);
}

/** Bytes the weight occupies in its shard. */
export function storedBytes(spec: WeightSpec): number {
  return elementCount(spec.shape) * (spec.quantization ? STORED_BYTES[spec.quantization.dtype] : 4);
}

/** Bytes after dequantisation: both allowed dtypes are 4 bytes wide. */
export function decodedBytes(spec: WeightSpec): number {
  return elementCount(spec.shape) * 4;
}
