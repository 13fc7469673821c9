/**
 * Plain data types of the dataset layer. No tensors here: the engine turns these arrays into tensors itself,
 * so the same code serves the worker, the CLI and the tests.
 */

/** Plain samples, channels-last (NHWC flattened), float32 in [0,1] (or the model's expected range), one-hot NOT applied. */
export interface Split {
  /** `count · H · W · C` values, sample-major. */
  x: Float32Array;
  /** `count` class indices in `[0, numClasses)`. */
  y: Int32Array;
  count: number;
}

export interface Dataset {
  /** e.g. `mnist`, `folder:/abs/path`, `npz:/abs/path`. */
  name: string;
  /** H, W, C of every sample (always the model's input shape). */
  inputShape: [number, number, number];
  numClasses: number;
  classNames: string[];
  train: Split;
  validation: Split;
  /** Fixed, class-balanced, non-augmented subset of train used for channel selection (DCP-SPEC §3). */
  selection: Split;
}

/** Predicts class indices for `n` samples packed in `x` (NHWC, the model's input shape). */
export type TeacherFn = (x: Float32Array, n: number) => Promise<Int32Array>;

export interface DatasetOptions {
  /** The model's input (H, W, C): images are resized / channel-converted to it. */
  inputShape: [number, number, number];
  /** The model's output classes; labels out of range → error. */
  numClasses: number;
  seed: number;
  /** Size of the selection subset; clamped to the train split's size. */
  selectionSamples: number;
  /** Fraction of all samples held out for validation. Default 0.1; for `mnist` the default is 2000 samples (0.2). */
  validationFraction?: number;
  /** Samples held out for validation; overrides `validationFraction`. At least one sample per class stays for training. */
  validationSamples?: number;
  /** Cap on the train split after the validation hold-out (class-proportional subsample); 0 = all. */
  maxTrainSamples?: number;
  labels?: 'dataset' | 'teacher';
  /** For labels:'teacher' — predicts class indices for a batch (x: Float32Array of n samples). */
  teacher?: TeacherFn;
}

/** Bad input data. `source` is the file or folder at fault; the message names it and says what is wrong. */
export class DatasetError extends Error {
  constructor(readonly source: string, message: string) {
    super(message);
    this.name = 'DatasetError';
  }
}

/**
 * All samples of a source before splitting, already in the model's input shape.
 * `y` is null when the source has no labels (only allowed with teacher labels).
 */
export interface RawData {
  name: string;
  x: Float32Array;
  y: Int32Array | null;
  count: number;
  /** Class names the source itself defines (folder names), or null when it only has integer labels. */
  classNames: string[] | null;
  /** File the labels came from, for error messages. */
  labelSource: string;
}

/** Values per sample for an H×W×C shape. */
export function sampleSize(shape: readonly [number, number, number]): number {
  return shape[0] * shape[1] * shape[2];
}

/** `28×28×1` — how shapes appear in messages. */
export function shapeText(shape: readonly number[]): string {
  return shape.join('×');
}
