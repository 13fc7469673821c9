/**
 * The InceptionV3 builder (test/fixtures/models/inception-v3.ts) at full width has InceptionV3's size, and at 1/16
 * width on 75×75 inputs (the smallest InceptionV3 takes) the engine prunes it end to end: factorised 1×7 / 7×1 and
 * 1×3 / 3×1 kernels, concats inside concats, and the result loads in TF.js with the same output shape.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { RunReport } from '../../../protocol/model';
import { initBackend } from '../../../server/tfjs/backend';
import { loadLayersModel, saveLayersModel } from '../../../server/io/model-files';
import { runPruning } from '../../../server/dcp/run/engine';
import { analyzeGraph, summarizeModel } from '../../../server/dcp/graph/graph';
import { buildInceptionV3Like } from '../../fixtures/models/inception-v3';
import { writeNoiseNpy } from '../../../bench/real-models-data';

let dir = '';
before(async () => {
  await initBackend('wasm');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-inception-v3-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('at full width it has InceptionV3\'s parameters, multiply-adds and 94 convs', () => {
  const m = buildInceptionV3Like({});
  try {
    const summary = summarizeModel(m, analyzeGraph(m), m.name);
    // keras.applications.InceptionV3: 23,851,784 params with BN scale off; ours learns the BN scales too (+17,216).
    assert.equal(m.countParams(), 23_851_784 + 17_216);
    assert.ok(Math.abs(summary.totalFlops / 1e9 - 5.71) < 0.01, String(summary.totalFlops));
    assert.equal(m.layers.filter((l) => l.getClassName() === 'Conv2D').length, 94);
  } finally {
    m.dispose();
  }
});

test('at 1/16 width on 75×75 it prunes end to end and loads with the same output shape', async () => {
  const tensors = tf.memory().numTensors;
  const model = buildInceptionV3Like({ alpha: 1 / 16, input: [75, 75, 3], classes: 10 });
  const modelPath = await saveLayersModel(model, path.join(dir, 'model'));
  model.dispose();
  const data = path.join(dir, 'x.npy');
  await writeNoiseNpy(data, 48, 75);
  let report: RunReport | null = null;
  let failure = '';
  const cfg = { data, labels: 'teacher' as const, rate: 0.5, selectionSamples: 16, headEpochs: 1, finetuneEpochs: 0, stageFinetune: false, batchSize: 16, backend: 'wasm' as const };
  for await (const e of runPruning(cfg, { modelPath, outDir: path.join(dir, 'out') })) {
    if (e.type === 'runFinished') report = e.report;
    if (e.type === 'runFailed') failure = e.message;
  }
  assert.ok(report, `the run finished: ${failure}`);
  assert.equal(tf.memory().numTensors, tensors, 'no leaked tensors');
  assert.ok(report.after.params < report.before.params && report.after.flops < report.before.flops);
  // Inside the branches: a 7×1 conv (its 1×7 producer loses filters), the 8×8 blocks' 3×3 before the 1×3 | 3×1 split.
  // Convs reading a block's concat (or the stem's pool) share it with three other branches: not prunable, said why.
  for (const name of ['mixed4_7x7c', 'mixed4_dbl_e', 'mixed10_dbl_b']) assert.ok(report.layers.some((l) => l.layer === name), `${name} was pruned`);
  assert.ok(!report.layers.some((l) => l.layer === 'mixed10_1x1'));
  const pruned = await loadLayersModel(report.model.output!);
  try {
    const y = tf.tidy(() => pruned.predict(tf.zeros([2, 75, 75, 3])) as tf.Tensor);
    assert.deepEqual(y.shape, [2, 10]);
    y.dispose();
    for (const name of ['mixed9_3x3b1', 'mixed9_3x3b2', 'mixed9_dbl_c1', 'mixed9_dbl_c2', 'mixed9_poolproj', 'mixed4_7x7c']) {
      assert.ok((pruned.getLayer(name).outputShape.at(-1) as number) >= 1, name);
    }
  } finally {
    pruned.dispose();
  }
});
