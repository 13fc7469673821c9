import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { LayerResult, RunConfig, RunEvent } from '../../../protocol/model';
import { initBackend } from '../../../server/tfjs/backend';
import { saveLayersModel } from '../../../server/io/model-files';
import { runPruning } from '../../../server/dcp/run/engine';
import { tinyResNet } from '../../fixtures/tiny/tiny-models';

const TINY: Partial<RunConfig> = { data: 'mnist', maxTrainSamples: 128, selectionSamples: 32, headEpochs: 1, finetuneEpochs: 0, stageFinetune: false, batchSize: 32, backend: 'wasm' };

let modelPath = '';
let dir = '';
before(async () => {
  await initBackend('wasm');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-solver-'));
  const model = tinyResNet();
  modelPath = await saveLayersModel(model, path.join(dir, 'res'));
  model.dispose();
});

async function layers(config: Partial<RunConfig>, out: string): Promise<{ results: LayerResult[]; last: RunEvent }> {
  const events: RunEvent[] = [];
  for await (const e of runPruning(config, { modelPath, outDir: path.join(dir, out) })) events.push(e);
  const results = events.flatMap((e) => (e.type === 'layerDone' ? [e.result] : []));
  return { results, last: events.at(-1)! };
}

test('by default every layer runs the exact solver, and a run leaks no tensors', async () => {
  const tensors = tf.memory().numTensors;
  const { results, last } = await layers(TINY, 'exact-out');
  assert.equal(last.type, 'runFinished', JSON.stringify(last));
  assert.equal(results.length, 2);
  for (const r of results) {
    assert.equal(r.solver, 'exact');
    assert.equal(r.solverNote, undefined);
    assert.equal(r.kept.length, 3);
  }
  assert.equal(tf.memory().numTensors, tensors, 'no leaked tensors');
});

test('over the Gram memory budget a layer falls back to SGD and its layerDone says why', async () => {
  const { results, last } = await layers({ ...TINY, solverMemoryMB: 0.001 }, 'fallback-out');
  assert.equal(last.type, 'runFinished', JSON.stringify(last));
  for (const r of results) {
    assert.equal(r.solver, 'sgd');
    assert.match(r.solverNote ?? '', /Gram statistics need .* MB, over dcp\.solverMemoryMB = 0\.001 MB; SGD ran instead/);
  }
});

test('the disc ablation has no L_M, so it runs SGD and says so', async () => {
  const { results } = await layers({ ...TINY, method: 'disc' }, 'disc-out');
  for (const r of results) {
    assert.equal(r.solver, 'sgd');
    assert.match(r.solverNote ?? '', /needs the reconstruction term/);
  }
});
