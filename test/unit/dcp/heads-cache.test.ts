import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig, RunEvent, RunReport } from '../../../protocol/model';
import { resolveRunConfig } from '../../../protocol/settings-validate';
import { initBackend } from '../../../server/tfjs/backend';
import { saveLayersModel } from '../../../server/io/model-files';
import { runPruning } from '../../../server/dcp/run/engine';
import { headsCacheKey, type HeadsCache } from '../../../server/dcp/run/heads-cache';
import { tinyResNet } from '../../fixtures/tiny/tiny-models';

const TINY: Partial<RunConfig> = { heads: 1, data: 'mnist', maxTrainSamples: 128, selectionSamples: 32, headEpochs: 2, headPlateau: 0, finetuneEpochs: 0, stageFinetune: false, batchSize: 32, backend: 'wasm' };

let modelPath = '';
let dir = '';
before(async () => {
  await initBackend('wasm');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-heads-cache-'));
  const model = tinyResNet();
  modelPath = await saveLayersModel(model, path.join(dir, 'res'));
  model.dispose();
});

async function run(config: Partial<RunConfig>, out: string, headsCache?: HeadsCache): Promise<{ events: RunEvent[]; report: RunReport }> {
  const events: RunEvent[] = [];
  for await (const e of runPruning(config, { modelPath, outDir: path.join(dir, out), headsCache })) events.push(e);
  const last = events.at(-1)!;
  assert.equal(last.type, 'runFinished', JSON.stringify(last));
  return { events, report: (last as Extract<RunEvent, { type: 'runFinished' }>).report };
}

const headSteps = (events: RunEvent[]): number => events.filter((e) => e.type === 'trainProgress' && e.phase === 'heads').length;

test('a run that finds its heads in the cache skips head training and ends exactly as one that trains them', async () => {
  const tensors = tf.memory().numTensors;
  const cache: HeadsCache = new Map();
  const first = await run({ ...TINY, method: 'dcp' }, 'a', cache);
  assert.ok(headSteps(first.events) > 0, 'the first run trains the heads');
  assert.equal(cache.size, 1);
  const cached = await run({ ...TINY, method: 'random', choiceSeed: 3 }, 'b', cache);
  assert.equal(headSteps(cached.events), 0, 'the second run reuses them');
  const fresh = await run({ ...TINY, method: 'random', choiceSeed: 3 }, 'c');
  assert.ok(headSteps(fresh.events) > 0);
  assert.deepEqual(cached.report.heads, fresh.report.heads);
  assert.deepEqual(cached.report.layers.map((l) => l.kept), fresh.report.layers.map((l) => l.kept));
  assert.equal(cached.report.afterSelection.accuracy, fresh.report.afterSelection.accuracy);
  assert.deepEqual(cached.report.layers.map((l) => l.lossS), fresh.report.layers.map((l) => l.lossS));
  assert.equal(tf.memory().numTensors, tensors, 'no leaked tensors');
});

test('the key ignores what acts after head training and changes with what acts on it', () => {
  const base = resolveRunConfig(TINY);
  const key = headsCacheKey(base, '/m/model.json');
  for (const change of [{ method: 'recon' }, { rate: 0.3 }, { choiceSeed: 7 }, { finetuneEpochs: 3 }, { solverSgdSteps: 9 }] as Partial<RunConfig>[]) {
    assert.equal(headsCacheKey({ ...base, ...change }, '/m/model.json'), key, JSON.stringify(change));
  }
  for (const change of [{ seed: 2 }, { headEpochs: 3 }, { headLearningRate: 0.2 }, { heads: 0 }, { selectionSamples: 64 }, { data: 'fashion-mnist' }] as Partial<RunConfig>[]) {
    assert.notEqual(headsCacheKey({ ...base, ...change }, '/m/model.json'), key, JSON.stringify(change));
  }
  assert.notEqual(headsCacheKey(base, '/other/model.json'), key);
});
