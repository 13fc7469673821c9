import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig, RunReport } from '../../../protocol/model';
import { initBackend } from '../../../server/tfjs/backend';
import { loadLayersModel, saveLayersModel } from '../../../server/io/model-files';
import { foldBatchNorms } from '../../../server/dcp/surgery/fold';
import { runPruning } from '../../../server/dcp/run/engine';
import { buildMobileNetV2 } from '../../fixtures/models/mobilenet';
import { buildVgg } from '../../fixtures/models/plain';
import { tinyResNet } from '../../fixtures/tiny/tiny-models';
import { loadWithTf } from '../../fixtures/models/tf-load';

let dir = '';
before(async () => {
  await initBackend('wasm');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-fold-'));
});
after(async () => fs.rm(dir, { recursive: true, force: true }));

type T = tf.SymbolicTensor;
const init = (seed: number): ReturnType<typeof tf.initializers.glorotNormal> => tf.initializers.glorotNormal({ seed });

/**
 * Every case the folder must get right, with random BN statistics so a missing or misplaced scale shows:
 * conv → BN → ReLU (all fold), depthwise → BN without centre → ReLU6 (BN folds; ReLU6 stays: tfjs-layers fuses only a
 * plain ReLU, and only into a Conv2D), conv with a bias → BN → LeakyReLU
 * (BN folds, the activation cannot), conv → BN feeding two layers (BN folds, no activation), and a conv whose output
 * feeds two layers (nothing folds: the BN after it is not its sole consumer).
 */
function mixed(): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 3] });
  let x = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false, name: 'c1', kernelInitializer: init(1) }).apply(input) as T;
  x = tf.layers.batchNormalization({ name: 'bn1' }).apply(x) as T;
  x = tf.layers.reLU({ name: 'r1' }).apply(x) as T;
  x = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', useBias: false, name: 'dw', depthwiseInitializer: init(2) }).apply(x) as T;
  x = tf.layers.batchNormalization({ name: 'bn2', center: false }).apply(x) as T;
  x = tf.layers.reLU({ maxValue: 6, name: 'r2' }).apply(x) as T;
  x = tf.layers.conv2d({ filters: 5, kernelSize: 1, name: 'c3', kernelInitializer: init(3), biasInitializer: tf.initializers.randomNormal({ seed: 4 }) }).apply(x) as T;
  x = tf.layers.batchNormalization({ name: 'bn3' }).apply(x) as T;
  x = tf.layers.leakyReLU({ alpha: 0.2, name: 'lr3' }).apply(x) as T;
  const c4 = tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', name: 'c4', kernelInitializer: init(5) }).apply(x) as T;
  const bn4 = tf.layers.batchNormalization({ name: 'bn4' }).apply(c4) as T;
  const twice = tf.layers.add({ name: 'twice' }).apply([tf.layers.reLU({ name: 'r4' }).apply(bn4) as T, bn4]) as T;
  const c5 = tf.layers.conv2d({ filters: 5, kernelSize: 1, name: 'c5', kernelInitializer: init(6) }).apply(twice) as T;
  const shared = tf.layers.add({ name: 'shared' }).apply([tf.layers.batchNormalization({ name: 'bn5' }).apply(c5) as T, c5]) as T;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(shared) as T;
  const out = tf.layers.dense({ units: 4, name: 'fc', kernelInitializer: init(7) }).apply(pooled) as T;
  const m = tf.model({ inputs: input, outputs: out });
  randomBatchNorms(m);
  return m;
}

function randomBatchNorms(m: tf.LayersModel): void {
  for (const [i, l] of m.layers.entries()) {
    if (l.getClassName() !== 'BatchNormalization') continue;
    // gamma/beta anywhere, moving variance positive: every weight of the layer in [0.3, 1.7] is valid for all four.
    l.setWeights(l.getWeights().map((w, j) => tf.randomUniform(w.shape, 0.3, 1.7, 'float32', 100 * i + j)));
  }
}

function maxDiff(a: tf.LayersModel, b: tf.LayersModel, shape: number[]): number {
  return tf.tidy(() => {
    const x = tf.randomNormal([3, ...shape], 0, 1, 'float32', 11);
    return tf.max(tf.abs(tf.sub(a.predict(x) as tf.Tensor, b.predict(x) as tf.Tensor))).dataSync()[0];
  });
}

test('folding keeps the outputs and folds exactly what can be folded', async () => {
  const model = mixed();
  const tensors = tf.memory().numTensors;
  const { model: folded, folded: what } = await foldBatchNorms(model);
  assert.deepEqual(what, [
    { conv: 'c1', batchNorm: 'bn1', activation: 'r1' },
    { conv: 'dw', batchNorm: 'bn2', activation: null },
    { conv: 'c3', batchNorm: 'bn3', activation: null },
    { conv: 'c4', batchNorm: 'bn4', activation: null },
  ]);
  const names = folded.layers.map((l) => l.name);
  for (const gone of ['bn1', 'r1', 'bn2', 'bn3', 'bn4']) assert.ok(!names.includes(gone), `${gone} is folded away`);
  for (const kept of ['r2', 'lr3', 'r4', 'bn5', 'c5']) assert.ok(names.includes(kept), `${kept} stays`);
  assert.equal((folded.getLayer('c1').getConfig() as { activation: string }).activation, 'relu');
  assert.equal((folded.getLayer('dw').getConfig() as { activation: string }).activation, 'linear');
  const diff = maxDiff(model, folded, [9, 9, 3]);
  assert.ok(diff < 1e-4, `max difference ${diff}`);
  folded.dispose();
  assert.equal(tf.memory().numTensors, tensors, 'no leaked tensors');
  model.dispose();
});

test('a fold with a wrong scale would be caught: the equality above can fail', async () => {
  const model = mixed();
  const { model: folded } = await foldBatchNorms(model);
  // Undo the scale of one fold: the outputs must move, or the equality test above proves nothing.
  const c1 = folded.getLayer('c1');
  const [k, b] = c1.getWeights();
  c1.setWeights([tf.mul(k, 1.3), b]);
  assert.ok(maxDiff(model, folded, [9, 9, 3]) > 1e-3);
  folded.dispose();
  model.dispose();
});

test('the folded model saves and loads unchanged in tf.loadLayersModel, and a MobileNetV2 folds exactly', async () => {
  const model = buildMobileNetV2();
  randomBatchNorms(model);
  const { model: folded, folded: what } = await foldBatchNorms(model);
  assert.ok(what.length > 10 && what.every((f) => f.batchNorm !== null));
  assert.equal(folded.layers.filter((l) => l.getClassName() === 'BatchNormalization').length, 0);
  const file = await saveLayersModel(folded, path.join(dir, 'mnv2-folded'));
  const loaded = await loadWithTf(file);
  const shape = model.inputs[0].shape.slice(1) as number[];
  const diff = maxDiff(model, loaded, shape);
  assert.ok(diff < 1e-4, `max difference ${diff}`);
  for (const m of [model, folded, loaded]) m.dispose();
});

test('a BatchNorm and ReLU that end the model fold too: the conv becomes the output', async () => {
  const input = tf.input({ shape: [6, 6, 2] });
  let x = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'head_conv', kernelInitializer: init(8) }).apply(input) as T;
  x = tf.layers.batchNormalization({ name: 'head_bn' }).apply(x) as T;
  const out = tf.layers.reLU({ name: 'head_relu' }).apply(x) as T;
  const model = tf.model({ inputs: input, outputs: out });
  randomBatchNorms(model);
  const { model: folded, folded: what } = await foldBatchNorms(model);
  assert.deepEqual(what, [{ conv: 'head_conv', batchNorm: 'head_bn', activation: 'head_relu' }]);
  assert.deepEqual(folded.outputNames.map((n) => n.split('/')[0]), ['head_conv']);
  const diff = maxDiff(model, folded, [6, 6, 2]);
  assert.ok(diff < 1e-4, `max difference ${diff}`);
  folded.dispose();
  model.dispose();
});

test('a Sequential model comes back unfolded, with nothing reported', async () => {
  const model = buildVgg();
  const { model: copy, folded } = await foldBatchNorms(model);
  assert.deepEqual(folded, []);
  assert.equal(copy.layers.length, model.layers.length);
  copy.dispose();
  model.dispose();
});

test('a run with foldBatchNorm saves the folded model and times the unpruned model folded beside it', async () => {
  const modelPath = await saveLayersModel(tinyResNet(), path.join(dir, 'res'));
  const config: Partial<RunConfig> = { data: 'mnist', maxTrainSamples: 128, selectionSamples: 32, headEpochs: 0, finetuneEpochs: 0, stageFinetune: false, batchSize: 32, backend: 'wasm', foldBatchNorm: true };
  let report: RunReport | null = null;
  const tensors = tf.memory().numTensors;
  for await (const e of runPruning(config, { modelPath, outDir: path.join(dir, 'res-out') })) {
    if (e.type === 'runFailed') assert.fail(e.message);
    if (e.type === 'runFinished') report = e.report;
  }
  assert.equal(tf.memory().numTensors, tensors, 'no leaked tensors');
  assert.ok(report?.folding, 'the report says what was folded');
  assert.ok(report.folding.convs.length > 0);
  assert.ok(report.folding.layers[1] < report.folding.layers[0]);
  assert.ok((report.folding.beforeFoldedLatencyMs1 ?? 0) > 0 && (report.folding.beforeFoldedLatencyMsBatch ?? 0) > 0);
  const saved = await loadLayersModel(report.model.output!);
  assert.equal(saved.layers.filter((l) => l.getClassName() === 'BatchNormalization').length, 0, 'the saved model is the folded one');
  assert.equal(saved.layers.length, report.folding.layers[1]);
  saved.dispose();
});
