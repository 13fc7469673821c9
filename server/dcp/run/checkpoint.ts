import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import type { HeadAccuracy, LayerResult, ModelStats, RunConfig } from '../../../protocol/model';
import { writeFolderAtomic, writeJsonAtomic, type FolderEntry } from '../../io/atomic';
import { loadLayersModel } from '../../io/model-files';
import { modelFolderEntries } from '../../io/model-save';
import { type Head, headWeightsData, setHeadWeights } from '../train/heads';
import { checkHeadWeights, parseCheckpointState } from './checkpoint-schema';

/**
 * A run's state after its last finished step, enough to continue it: the pruned-so-far network, the baseline M_b,
 * the heads, and what was selected. On disk (DCP-SPEC §2's pipeline, made resumable):
 *   state.json          this object: the commit, naming the step and baseline folders below
 *   step-<n>-<id>/      the network (model.json + shards) and heads.json of step n, written as one folder
 *   baseline-<id>/      M_b, written once before the first state.json
 * A step's folder is complete before state.json names it, and state.json is replaced atomically, so a crash at any
 * point resumes from one consistent step: the new one or the previous one, never one's heads with the other's network.
 */
export interface CheckpointState {
  /** Version 1 (read only) kept heads.json beside state.json instead of in the step's folder. */
  schema: 'dcp-checkpoint/2' | typeof V1;
  config: RunConfig;
  modelPath: string;
  before: ModelStats;
  heads: HeadAccuracy[];
  layers: LayerResult[];
  /** Pass counts per finished layer, for the cost report. */
  passes: { layer: string; gradientPasses: number; forwardPasses: number }[];
  /** Stages whose post-stage fine-tune has run. */
  stagesTuned: number[];
  /** Folder names (inside the checkpoint dir) of this step (network + heads.json) and of the baseline. */
  network: string;
  baseline: string;
  step: number;
}

const V1 = 'dcp-checkpoint/1';
const STATE = 'state.json';
const HEADS = 'heads.json';
/**
 * Entries a checkpoint folder's saves create; anything else in the folder is left alone. `state.json.<n>` is the
 * temp file of a state.json write whose process was killed before its rename.
 */
const OWN_ENTRY = /^\.?(step|baseline|network)-|^heads\.json$|^state\.json\.\d+$/;

export interface SavedPieces {
  network: tf.LayersModel;
  baseline: tf.LayersModel;
  heads: Head[];
}

/** How a checkpoint reaches the disk; tests inject writers that fail part-way to play a crash. */
export interface CheckpointWriters {
  folder(dir: string, entries: readonly FolderEntry[]): Promise<void>;
  json(file: string, value: unknown): Promise<void>;
}

const atomicWriters: CheckpointWriters = { folder: (dir, entries) => writeFolderAtomic(dir, entries), json: writeJsonAtomic };

/** Writes a checkpoint as one commit (the state.json rename), then drops the folders no checkpoint names any more. */
export async function saveCheckpoint(
  dir: string, state: Omit<CheckpointState, 'schema' | 'network' | 'baseline'>, pieces: SavedPieces, previous: CheckpointState | null,
  writers: CheckpointWriters = atomicWriters,
): Promise<CheckpointState> {
  await fs.mkdir(dir, { recursive: true });
  // Fresh names each time: a crashed save's folder is never reused, only cleaned up.
  const id = randomBytes(4).toString('hex');
  const network = `step-${state.step}-${id}`;
  const heads: FolderEntry = { name: HEADS, data: JSON.stringify(await headWeightsData(pieces.heads)) };
  await writers.folder(path.join(dir, network), [...(await modelFolderEntries(pieces.network, path.join(dir, network))), heads]);
  // The baseline never changes after head training: save it once.
  const baseline = previous?.baseline ?? `baseline-${id}`;
  if (!previous) await writers.folder(path.join(dir, baseline), await modelFolderEntries(pieces.baseline, path.join(dir, baseline)));
  const full: CheckpointState = { schema: 'dcp-checkpoint/2', ...state, network, baseline };
  await writers.json(path.join(dir, STATE), full);
  await removeUnnamed(dir, new Set([network, baseline]));
  return full;
}

/** Reads a checkpoint's state, or null when the folder has none. Refuses one made for another model or config. */
export async function readCheckpoint(dir: string, modelPath: string, config: RunConfig): Promise<CheckpointState | null> {
  const file = path.join(dir, STATE);
  const text = await fs.readFile(file, 'utf8').catch(() => null);
  if (text === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new Error(`${file}: not readable as JSON (${(e as Error).message}); start the run afresh`);
  }
  const schema = (value as { schema?: unknown } | null)?.schema;
  if (schema !== 'dcp-checkpoint/2' && schema !== V1) throw new Error(`${file}: not a DCP checkpoint`);
  const parsed = parseCheckpointState(value);
  if ('problem' in parsed) throw new Error(`${file}: a damaged checkpoint (${parsed.problem}); start the run afresh`);
  const state = parsed.state;
  if (path.resolve(state.modelPath) !== path.resolve(modelPath)) {
    throw new Error(`the checkpoint in ${dir} was made for ${state.modelPath}, not ${modelPath}`);
  }
  const differs = (Object.keys(config) as (keyof RunConfig)[]).filter((k) => JSON.stringify(config[k]) !== JSON.stringify(state.config[k]));
  if (differs.length) throw new Error(`cannot resume with different options (${differs.join(', ')}); resume uses the run's own config`);
  return state;
}

/** Restores the step's weights into the live network and heads, and loads the baseline (the caller owns it). */
export async function restoreCheckpoint(dir: string, state: CheckpointState, network: tf.LayersModel, heads: Head[]): Promise<tf.LayersModel> {
  // heads.json first: a damaged one is refused before any weights change or any tensor is made.
  const headsFile = state.schema === V1 ? path.join(dir, HEADS) : path.join(dir, state.network, HEADS);
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(headsFile, 'utf8'));
  } catch (e) {
    throw new Error(`${headsFile}: not readable (${(e as Error).message}); start the run afresh`);
  }
  const headWeights = checkHeadWeights(raw, heads.map((h) => [...h.bn.weights, ...h.dense.weights].map((w) => w.shape as number[])), headsFile);
  const saved = await loadLayersModel(path.join(dir, state.network, 'model.json'));
  try {
    network.setWeights(saved.getWeights());
  } finally {
    saved.dispose();
  }
  setHeadWeights(heads, headWeights);
  return loadLayersModel(path.join(dir, state.baseline, 'model.json'));
}

/** Earlier steps, and leftovers of saves that crashed before their commit. */
async function removeUnnamed(dir: string, keep: Set<string>): Promise<void> {
  for (const name of await fs.readdir(dir)) {
    if (!keep.has(name) && OWN_ENTRY.test(name)) await fs.rm(path.join(dir, name), { recursive: true, force: true });
  }
}
