/**
 * Writing a tf.LayersModel as model.json + `groupN-shardIofK.bin`, the layout tf.loadLayersModel reads.
 * Files are written and fsynced in a temporary folder first and renamed into place with model.json last, so a
 * crash or error never leaves a model.json that points at missing or half-written shards, and a model this process
 * read is never written over.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { modelInputAt } from './model-inputs';
import { ModelFileError } from './model-types';

export interface SaveModelOptions {
  /** Maximum bytes per shard file; TF.js's default is 4 MiB. */
  shardBytes?: number;
  /** JSON-safe data merged into the model's userDefinedMetadata (tf.LayersModel.getUserDefinedMetadata on load). */
  extra?: Record<string, unknown>;
}

export const DEFAULT_SHARD_BYTES = 4 * 1024 * 1024;
const MODEL_JSON = 'model.json';
const SHARD_NAME = /^group\d+-shard\d+of\d+\.bin$/;

/**
 * Saves `model` into folder `dir` (created if needed) and returns the model.json path. Refuses, leaving the disk
 * untouched, when `dir` or a file that would be replaced is a model this process read.
 */
export async function saveLayersModel(model: tf.LayersModel, dir: string, opts: SaveModelOptions = {}): Promise<string> {
  const target = path.resolve(dir);
  const shardBytes = opts.shardBytes ?? DEFAULT_SHARD_BYTES;
  if (!Number.isSafeInteger(shardBytes) || shardBytes <= 0) throw new ModelFileError(target, `shardBytes must be a positive integer, got ${shardBytes}`);
  const existing = await fs.stat(target).catch(() => null);
  if (existing && !existing.isDirectory()) throw new ModelFileError(target, 'save target exists and is not a folder; pass the folder that should hold model.json');
  if (!existing && target.endsWith('.json')) throw new ModelFileError(target, 'save target must be a folder, not a .json file path');

  const artifacts = await captureArtifacts(model);
  const data = new tf.io.CompositeArrayBuffer(artifacts.weightData);
  const count = Math.max(1, Math.ceil(data.byteLength / shardBytes));
  const shards = Array.from({ length: count }, (_, i) => ({
    name: `group1-shard${i + 1}of${count}.bin`,
    bytes: new Uint8Array(data.slice(i * shardBytes, Math.min(data.byteLength, (i + 1) * shardBytes))),
  }));
  const modelJson = JSON.stringify(modelJsonFor(artifacts, shards.map((s) => s.name), opts.extra, target));

  await refuseInputs(target, [MODEL_JSON, ...shards.map((s) => s.name)]);
  const stale = existing ? await staleShards(target, new Set(shards.map((s) => s.name))) : [];
  const tmp = existing
    ? path.join(target, `.model-save-${randomBytes(6).toString('hex')}`)
    : path.join(path.dirname(target), `.${path.basename(target)}.model-save-${randomBytes(6).toString('hex')}`);
  try {
    await fs.mkdir(path.dirname(tmp), { recursive: true });
    await fs.mkdir(tmp);
    for (const s of shards) await writeSynced(path.join(tmp, s.name), s.bytes);
    await writeSynced(path.join(tmp, MODEL_JSON), Buffer.from(modelJson, 'utf8'));
    if (!existing) {
      // A fresh folder appears complete or not at all.
      await fs.rename(tmp, target);
    } else {
      for (const s of shards) await fs.rename(path.join(tmp, s.name), path.join(target, s.name));
      await fs.rename(path.join(tmp, MODEL_JSON), path.join(target, MODEL_JSON));
      for (const name of stale) await fs.rm(path.join(target, name), { force: true });
    }
  } catch (e) {
    throw e instanceof ModelFileError ? e : new ModelFileError(target, `cannot save the model: ${(e as Error).message}`);
  } finally {
    await fs.rm(tmp, { recursive: true, force: true });
  }
  return path.join(target, MODEL_JSON);
}

async function captureArtifacts(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
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

/** Shards the folder's current model.json uses that the new one will not: removed after the switch. */
async function staleShards(target: string, keep: Set<string>): Promise<string[]> {
  try {
    const old: unknown = JSON.parse(await fs.readFile(path.join(target, MODEL_JSON), 'utf8'));
    const manifest = (old as { weightsManifest?: { paths?: unknown }[] }).weightsManifest;
    if (!Array.isArray(manifest)) return [];
    const paths = manifest.flatMap((g) => (Array.isArray(g?.paths) ? g.paths : []));
    return paths.filter((p): p is string => typeof p === 'string' && SHARD_NAME.test(p) && !keep.has(p));
  } catch {
    // No previous model (or not one we understand): nothing to clean up.
    return [];
  }
}

async function writeSynced(file: string, bytes: Uint8Array): Promise<void> {
  const fh = await fs.open(file, 'wx');
  try {
    await fh.writeFile(bytes);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
