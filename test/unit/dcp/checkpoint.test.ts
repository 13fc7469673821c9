import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { ModelStats } from '../../../protocol/model';
import { initBackend } from '../../../server/tfjs/backend';
import { writeFolderAtomic, writeJsonAtomic, writeSynced } from '../../../server/io/atomic';
import { resolveConfig } from '../../../server/dcp/run/config';
import { readCheckpoint, restoreCheckpoint, saveCheckpoint, type CheckpointState, type CheckpointWriters } from '../../../server/dcp/run/checkpoint';
import { analyzeGraph } from '../../../server/dcp/graph/graph';
import { makePlan } from '../../../server/dcp/graph/plan';
import { cloneModel } from '../../../server/dcp/surgery/surgery';
import { createHeads, disposeHeads, headWeightsData, type Head } from '../../../server/dcp/train/heads';
import { tinyPlain } from '../../fixtures/tiny/tiny-models';

const config = resolveConfig({ data: 'mnist', backend: 'wasm' });
const modelPath = '/models/tiny/model.json';
const stats: ModelStats = { params: 1, flops: 1, accuracy: null, latencyMs1: null, latencyMsBatch: null, latencyBatch: 64 };

let dir = '';
before(async () => {
  await initBackend('wasm');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-ckpt-'));
});
after(() => fs.rm(dir, { recursive: true, force: true }));

/** A network with its heads, as a run holds them; `seed` makes each one's weights different. */
function pieces(seed: number): { network: tf.LayersModel; heads: Head[] } {
  const network = tinyPlain(seed);
  const graph = analyzeGraph(network);
  const plan = makePlan(graph, 1);
  const channels = plan.heads.map((h) => graph.layers[h.after].outputShape.at(-1)!);
  return { network, heads: createHeads(plan.heads, channels, 10, seed, config.headWeighting, plan.layersPerBlock) };
}

const stateAt = (step: number): Omit<CheckpointState, 'schema' | 'network' | 'baseline'> => ({
  config, modelPath, before: stats, heads: [], layers: [], passes: [], stagesTuned: [step], step,
});

async function weightsOf(model: tf.LayersModel): Promise<number[][]> {
  return Promise.all(model.getWeights().map(async (w) => Array.from(await w.data())));
}

/** Restores `dir`'s checkpoint into fresh pieces; returns its step and what the network and heads hold. */
async function resume(ckpt: string): Promise<{ step: number; network: number[][]; heads: unknown }> {
  const state = await readCheckpoint(ckpt, modelPath, config);
  assert.ok(state, 'a checkpoint to resume from');
  const fresh = pieces(99);
  const baseline = await restoreCheckpoint(ckpt, state, fresh.network, fresh.heads);
  try {
    return { step: state.step, network: await weightsOf(fresh.network), heads: await headWeightsData(fresh.heads) };
  } finally {
    baseline.dispose();
    fresh.network.dispose();
    disposeHeads(fresh.heads);
  }
}

const atomic: CheckpointWriters = { folder: (d, entries) => writeFolderAtomic(d, entries), json: writeJsonAtomic };

for (const [crash, writers] of [
  // The step's folder is complete, then the process dies before state.json names it.
  ['before the commit', { ...atomic, json: () => Promise.reject(new Error('crash before state.json')) }],
  // The process dies half-way through writing the step's folder.
  ['inside the step folder', {
    ...atomic,
    folder: (d: string, entries: Parameters<CheckpointWriters['folder']>[1]) => {
      let n = 0;
      return writeFolderAtomic(d, entries, { writeFile: (f, data) => (++n === 2 ? Promise.reject(new Error('crash mid-folder')) : writeSynced(f, data)) });
    },
  }],
] as const) {
  test(`a crash ${crash} resumes from the previous step: its network with its own heads`, async () => {
    const tensorsBefore = tf.memory().numTensors;
    const ckpt = path.join(dir, crash.replace(/ /g, '-'));
    const first = pieces(1);
    const baseline = await cloneModel(first.network);
    const step0 = await saveCheckpoint(ckpt, stateAt(0), { ...first, baseline }, null);
    const saved = { network: await weightsOf(first.network), heads: await headWeightsData(first.heads) };

    // The next step changed both the network and the heads; saving it fails part-way.
    const second = pieces(2);
    assert.notDeepEqual(await headWeightsData(second.heads), saved.heads);
    await assert.rejects(saveCheckpoint(ckpt, stateAt(1), { ...second, baseline }, step0, writers), /crash/);

    const back = await resume(ckpt);
    assert.equal(back.step, 0);
    assert.deepEqual(back.network, saved.network, 'the network of step 0');
    assert.deepEqual(back.heads, saved.heads, 'the heads of step 0, not those of the failed step');

    // The next successful save commits and clears what the crashed one left behind.
    const step1 = await saveCheckpoint(ckpt, stateAt(1), { ...second, baseline }, step0);
    assert.deepEqual((await fs.readdir(ckpt)).sort(), [step1.baseline, step1.network, 'state.json'].sort());
    assert.deepEqual((await resume(ckpt)).heads, await headWeightsData(second.heads));
    assert.deepEqual((await fs.readdir(dir)).filter((n) => n.startsWith('.')), [], 'no temp folders beside the checkpoint');

    for (const p of [first, second]) {
      p.network.dispose();
      disposeHeads(p.heads);
    }
    baseline.dispose();
    assert.equal(tf.memory().numTensors, tensorsBefore, 'no leaked tensors');
  });
}

test('a checkpoint is refused for another model or other options, and a torn state.json is named', async () => {
  const ckpt = path.join(dir, 'refuse');
  const p = pieces(3);
  const baseline = await cloneModel(p.network);
  await saveCheckpoint(ckpt, stateAt(0), { ...p, baseline }, null);
  await assert.rejects(readCheckpoint(ckpt, '/models/other/model.json', config), /was made for \/models\/tiny\/model\.json/);
  await assert.rejects(readCheckpoint(ckpt, modelPath, { ...config, rate: 0.3 }), /different options \(rate\)/);
  await fs.writeFile(path.join(ckpt, 'state.json'), '{"schema": "dcp-check');
  await assert.rejects(readCheckpoint(ckpt, modelPath, config), /state\.json: not readable as JSON/);
  assert.equal(await readCheckpoint(path.join(dir, 'none'), modelPath, config), null);
  p.network.dispose();
  disposeHeads(p.heads);
  baseline.dispose();
});
