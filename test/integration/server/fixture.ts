/**
 * A tiny conv net and dataset for the server tests, built in a temp folder: 8×8×1 input, three 3×3 convs of 4-8
 * channels, global pooling and a 3-class softmax, saved with the io module; 48 seeded samples in an .npz. Small
 * enough that a whole DCP run takes seconds on one core.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { saveLayersModel } from '../../../server/io/model-files';
import { npy, zip } from '../../fixtures/data/writers';
import type { RunConfig } from '../../../protocol/model';

export interface TinyFixture {
  dir: string;
  modelPath: string;
  dataPath: string;
  cleanup(): void;
}

const SAMPLES = 48;
const CLASSES = 3;

function buildModel(): tf.LayersModel {
  const seeded = (seed: number) => tf.initializers.glorotUniform({ seed });
  const conv = (filters: number, name: string, seed: number) =>
    tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: seeded(seed), name });
  const input = tf.input({ shape: [8, 8, 1], name: 'input' });
  let x = conv(4, 'conv1', 1).apply(input) as tf.SymbolicTensor;
  x = conv(8, 'conv2', 2).apply(x) as tf.SymbolicTensor;
  x = conv(8, 'conv3', 3).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'pool' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: seeded(4), name: 'logits' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'tiny' });
}

/** Class k lights up row band k of the image, plus deterministic noise: learnable in a step or two. */
function dataset(): Uint8Array {
  const x = new Float32Array(SAMPLES * 64);
  const y = new Int32Array(SAMPLES);
  let s = 7;
  const noise = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 0.2;
  for (let i = 0; i < SAMPLES; i++) {
    y[i] = i % CLASSES;
    for (let p = 0; p < 64; p++) x[i * 64 + p] = (Math.floor(p / 8 / 3) === y[i] ? 0.8 : 0) + noise();
  }
  return zip({ 'x.npy': npy('<f4', [SAMPLES, 8, 8, 1], x), 'y.npy': npy('<i4', [SAMPLES], y) }, 'stored');
}

/** Writes the model and the data into a fresh temp folder. */
export async function makeTinyFixture(): Promise<TinyFixture> {
  const dir = mkdtempSync(join(tmpdir(), 'dcp-server-'));
  const model = buildModel();
  try {
    await saveLayersModel(model, join(dir, 'tiny'));
  } finally {
    model.dispose();
  }
  const dataPath = join(dir, 'data.npz');
  writeFileSync(dataPath, dataset());
  return { dir, modelPath: join(dir, 'tiny', 'model.json'), dataPath, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A run config that finishes in seconds: every phase runs, each on a handful of samples. */
export function quickConfig(fixture: TinyFixture, overrides: Partial<RunConfig> = {}): Partial<RunConfig> {
  return {
    data: `npz:${fixture.dataPath}`, selectionSamples: 24, headEpochs: 1, finetuneEpochs: 1, stageFinetune: false,
    batchSize: 16, rate: 0.5, backend: 'cpu', seed: 3, ...overrides,
  };
}
