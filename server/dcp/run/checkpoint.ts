import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { HeadAccuracy, LayerResult, ModelStats, RunConfig } from '../../../protocol/model';
import { loadLayersModel, saveLayersModel } from '../../io/model-files';
import { type Head, headWeightsData, setHeadWeights } from '../train/heads';
import { writeJsonAtomic } from './outputs';

/**
 * A run's state after its last finished step, enough to continue it: the pruned-so-far network, the
 * baseline M_b, the heads, and what was selected. `state.json` is replaced atomically last, so a crash
 * while saving leaves the previous checkpoint intact.
 */
export interface CheckpointState {
  schema: 'dcp-checkpoint/1';
  config: RunConfig;
  modelPath: string;
  before: ModelStats;
  heads: HeadAccuracy[];
  layers: LayerResult[];
  /** Pass counts per finished layer, for the cost report. */
  passes: { layer: string; gradientPasses: number; forwardPasses: number }[];
  /** Stages whose post-stage fine-tune has run. */
  stagesTuned: number[];
  /** Folder names (inside the checkpoint dir) of the network and the baseline. */
  network: string;
  baseline: string;
  step: number;
}

const STATE = 'state.json';

export interface SavedPieces {
  network: tf.LayersModel;
  baseline: tf.LayersModel;
  heads: Head[];
}

/** Writes a checkpoint; each step gets fresh model folders (the saver never writes over a model it read). */
export async function saveCheckpoint(dir: string, state: Omit<CheckpointState, 'schema' | 'network' | 'baseline'>, pieces: SavedPieces, previous: CheckpointState | null): Promise<CheckpointState> {
  await fs.mkdir(dir, { recursive: true });
  const network = `network-${state.step}`;
  await saveLayersModel(pieces.network, path.join(dir, network));
  // The baseline never changes after head training: save it once.
  const baseline = previous?.baseline ?? `baseline-${state.step}`;
  if (!previous) await saveLayersModel(pieces.baseline, path.join(dir, baseline));
  await writeJsonAtomic(path.join(dir, 'heads.json'), await headWeightsData(pieces.heads));
  const full: CheckpointState = { schema: 'dcp-checkpoint/1', ...state, network, baseline };
  await writeJsonAtomic(path.join(dir, STATE), full);
  if (previous && previous.network !== network) await fs.rm(path.join(dir, previous.network), { recursive: true, force: true });
  return full;
}

/** Reads a checkpoint's state, or null when the folder has none. Refuses one made for another model or config. */
export async function readCheckpoint(dir: string, modelPath: string, config: RunConfig): Promise<CheckpointState | null> {
  const text = await fs.readFile(path.join(dir, STATE), 'utf8').catch(() => null);
  if (text === null) return null;
  const state = JSON.parse(text) as CheckpointState;
  if (state.schema !== 'dcp-checkpoint/1') throw new Error(`${path.join(dir, STATE)}: not a DCP checkpoint`);
  if (path.resolve(state.modelPath) !== path.resolve(modelPath)) {
    throw new Error(`the checkpoint in ${dir} was made for ${state.modelPath}, not ${modelPath}`);
  }
  const differs = (Object.keys(config) as (keyof RunConfig)[]).filter((k) => JSON.stringify(config[k]) !== JSON.stringify(state.config[k]));
  if (differs.length) throw new Error(`cannot resume with different options (${differs.join(', ')}); resume uses the run's own config`);
  return state;
}

/** Restores weights into the live network and heads, and loads the baseline. */
export async function restoreCheckpoint(dir: string, state: CheckpointState, network: tf.LayersModel, heads: Head[]): Promise<tf.LayersModel> {
  const saved = await loadLayersModel(path.join(dir, state.network, 'model.json'));
  try {
    network.setWeights(saved.getWeights());
  } finally {
    saved.dispose();
  }
  const data = JSON.parse(await fs.readFile(path.join(dir, 'heads.json'), 'utf8')) as { shape: number[]; values: number[] }[][];
  setHeadWeights(heads, data);
  return loadLayersModel(path.join(dir, state.baseline, 'model.json'));
}
