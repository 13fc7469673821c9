import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig, RunEvent } from '../../../protocol/model';
import { initBackend } from '../../../server/tfjs/backend';
import { saveLayersModel } from '../../../server/io/model-files';
import { runPruning } from '../../../server/dcp/run/engine';
import { nearChanceWarning } from '../../../server/dcp/run/phases/heads';
import { tinyResNet } from '../../fixtures/tiny/tiny-models';

const TINY: Partial<RunConfig> = { heads: 1, data: 'mnist', maxTrainSamples: 128, selectionSamples: 32, finetuneEpochs: 0, stageFinetune: false, batchSize: 32, backend: 'wasm' };

let modelPath = '';
let dir = '';
before(async () => {
  await initBackend('wasm');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-heads-'));
  const model = tinyResNet();
  modelPath = await saveLayersModel(model, path.join(dir, 'model'));
  model.dispose();
});

/** The heads phase's epochs and the headsTrained event, cancelling the run right after it. */
async function headsOf(config: Partial<RunConfig>): Promise<{ epochs: number[]; trained: Extract<RunEvent, { type: 'headsTrained' }> }> {
  const ac = new AbortController();
  const epochs: number[] = [];
  let trained: Extract<RunEvent, { type: 'headsTrained' }> | null = null;
  for await (const e of runPruning({ ...TINY, ...config }, { modelPath, outDir: path.join(dir, 'out'), signal: ac.signal })) {
    if (e.type === 'epochDone' && e.phase === 'heads') epochs.push(e.point.epoch);
    if (e.type === 'headsTrained') { trained = e; ac.abort(); }
  }
  assert.ok(trained, 'the run reached headsTrained');
  return { epochs, trained };
}

test('head training stops on a plateau, and runs every epoch with the rule off', async () => {
  const tensors = tf.memory().numTensors;
  // No head gains 100 points in an epoch: the rule fires after the first comparison, epoch 2.
  assert.deepEqual((await headsOf({ headEpochs: 4, headPlateau: 100 })).epochs, [1, 2]);
  const all = await headsOf({ headEpochs: 3, headPlateau: 0 });
  assert.deepEqual(all.epochs, [1, 2, 3]);
  // The classifier entry closes the list; every accuracy is a fraction of the validation split.
  assert.ok(all.trained.heads.length >= 2);
  for (const h of all.trained.heads) assert.ok(h.accuracy >= 0 && h.accuracy <= 1);
  assert.equal(tf.memory().numTensors, tensors, 'no tensors leak from a run cancelled after head training');
});

test('a head within 5 points of chance gets a warning naming both figures', () => {
  assert.equal(nearChanceWarning(0.15, 10), undefined);
  assert.equal(nearChanceWarning(0.9, 10), undefined);
  assert.match(nearChanceWarning(0.149, 10) ?? '', /^near chance: 14\.9% against 10\.0% for 10 classes/);
  assert.match(nearChanceWarning(0.52, 2) ?? '', /52\.0% against 50\.0% for 2 classes/);
  assert.equal(nearChanceWarning(0.56, 2), undefined);
});

test('with no auxiliary head (--heads 0) frozen head training has nothing to train and the run goes on', async () => {
  const tensors = tf.memory().numTensors;
  // TF.js refuses to minimise over no trainable variables; this used to fail the run before selection.
  const { epochs, trained } = await headsOf({ heads: 0, headEpochs: 2 });
  assert.deepEqual(epochs, []);
  assert.equal(trained.heads.length, 1, 'only the classifier');
  assert.ok(trained.heads[0].accuracy >= 0 && trained.heads[0].accuracy <= 1);
  assert.equal(tf.memory().numTensors, tensors);
});
