/**
 * Writing a tf.LayersModel as model.json + `groupN-shardIofK.bin`, the layout tf.loadLayersModel reads.
 * The folder is written with writeFolderAtomic (a temp folder, fsynced, renamed into place), so a crash or error
 * never leaves a model.json that points at missing or half-written shards, and a model this process read is never
 * written over.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { writeFolderAtomic, type FolderEntry } from './atomic';
import { modelInputAt } from './model-inputs';
import { quantiseWeights, type QuantiseDtype, type SavedWeightSpec } from './model-quantise';
import { ModelFileError } from './model-types';

export interface SaveModelOptions {
  /** Other files committed in the same folder write as the model (e.g. report.json); model.json is written last. */
  files?: readonly FolderEntry[];
  /** Maximum bytes per shard file; TF.js's default is 4 MiB. */
  shardBytes?: number;
  /** JSON-safe data merged into the model's userDefinedMetadata (tf.LayersModel.getUserDefinedMetadata on load). */
  extra?: Record<string, unknown>;
  /** Store float32 weights as uint8/uint16 (affine) or float16, like the TF.js converter's --quantize_* options. */
  quantize?: QuantiseDtype | 'none';
}

export const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;
const MODEL_JSON = 'model.json';
const SHARD_NAME = /^group\d+-shard\d+of\d+\.bin$/;

/**
 * Saves `model` into folder `dir` (created if needed) and returns the model.json path. Refuses, leaving the disk
 * untouched, when `dir` or a file that would be replaced is a model this process read. An existing folder is
 * replaced as a whole, so it may hold only an earlier saved model (and the names of `opts.files`).
 */
export async function saveLayersModel(model: tf.LayersModel, dir: string, opts: SaveModelOptions = {}): Promise<string> {
  const target = path.resolve(dir);
  const existing = await fs.stat(target).catch(() => null);
  if (existing && !existing.isDirectory()) throw new ModelFileError(target, 'save target exists and is not a folder; pass the folder that should hold model.json');
  if (!existing && target.endsWith('.json')) throw new ModelFileError(target, 'save target must be a folder, not a .json file path');
  const entries = [...(opts.files ?? []), ...(await modelFolderEntries(model, target, opts))];
  await refuseInputs(target, entries.map((e) => e.name));
  const replaces = existing ? [MODEL_JSON, ...(await savedShards(target))] : [];
  try {
    await writeFolderAtomic(target, entries, { replaces });
  } catch (e) {
    throw e instanceof ModelFileError ? e : new ModelFileError(target, `cannot save the model: ${(e as Error).message}`);
  }
  return path.join(target, MODEL_JSON);
}

/**
 * The files of a saved model: the shards, then model.json. For writers that put a model into a folder of their
 * own with other files (checkpoints); `target` only names the model in errors.
 */
export async function modelFolderEntries(model: tf.LayersModel, target: string, opts: SaveModelOptions = {}): Promise<FolderEntry[]> {
  const shardBytes = opts.shardBytes ?? DEFAULT_SHARD_BYTES;
  if (!Number.isSafeInteger(shardBytes) || shardBytes <= 0) throw new ModelFileError(target, `shardBytes must be a positive integer, got ${shardBytes}`);
  const artifacts = await captureArtifacts(model);
  let data = new tf.io.CompositeArrayBuffer(artifacts.weightData);
  if (opts.quantize && opts.quantize !== 'none') {
    const q = quantiseWeights((artifacts.weightSpecs ?? []) as SavedWeightSpec[], data.slice(), opts.quantize);
    artifacts.weightSpecs = q.specs as tf.io.WeightsManifestEntry[];
    data = new tf.io.CompositeArrayBuffer(q.data);
  }
  const count = Math.max(1, Math.ceil(data.byteLength / shardBytes));
  const shards = Array.from({ length: count }, (_, i) => ({
    name: `group1-shard${i + 1}of${count}.bin`,
    data: new Uint8Array(data.slice(i * shardBytes, Math.min(data.byteLength, (i + 1) * shardBytes))),
  }));
  const modelJson = JSON.stringify(modelJsonFor(artifacts, shards.map((s) => s.name), opts.extra, target));
  return [...shards, { name: MODEL_JSON, data: modelJson }];
}

/** The model's topology and weights in memory, as `model.save` hands them to a save handler. */
export async function captureArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  if (!captured || captured.modelTopology instanceof ArrayBuffer || !captured.modelTopology) {
    throw new Error('tf.LayersModel.save produced no JSON topology');
  }
  return captured;
}

/** The model.json object in TF.js's key order, so diffs against TF.js-written files stay small. */
function modelJsonFor(artifacts: tf.io.ModelArtifacts, paths: string[], extra: Record<string, unknown> | undefined, target: string): object {
  const json: Record<string, unknown> = {
    modelTopology: artifacts.modelTopology,
    format: 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths, weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
  const meta = { ...(artifacts.userDefinedMetadata ?? {}), ...(extra ?? {}) };
  if (Object.keys(meta).length > 0) {
    let plain: unknown;
    try {
      plain = JSON.parse(JSON.stringify(meta));
    } catch (e) {
      throw new ModelFileError(target, `extra metadata is not JSON-safe: ${(e as Error).message}`);
    }
    json.userDefinedMetadata = plain;
  }
  return json;
}

async function refuseInputs(target: string, names: string[]): Promise<void> {
  for (const p of [target, ...names.map((n) => path.join(target, n))]) {
    const input = await modelInputAt(p);
    if (input !== undefined) {
      throw new ModelFileError(target, `refusing to save over the input model: ${p} is ${input}, which was read as a model; save into another folder`);
    }
  }
}

/** Shards the folder's current model.json uses: the new model replaces them. */
async function savedShards(target: string): Promise<string[]> {
  try {
    const old: unknown = JSON.parse(await fs.readFile(path.join(target, MODEL_JSON), 'utf8'));
    const manifest = (old as { weightsManifest?: { paths?: unknown }[] }).weightsManifest;
    if (!Array.isArray(manifest)) return [];
    const paths = manifest.flatMap((g) => (Array.isArray(g?.paths) ? g.paths : []));
    return paths.filter((p): p is string => typeof p === 'string' && SHARD_NAME.test(p));
  } catch {
    // No previous model (or not one we understand): nothing it may drop.
    return [];
  }
}
