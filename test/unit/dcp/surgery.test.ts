import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { pruneModel, cloneModel } from '../../../server/dcp/surgery/surgery';

before(async () => {
  await tf.setBackend('cpu');
});

/** conv1(6) → BN → ReLU → conv2(5) → BN → ReLU → GAP → Dense(3), with non-trivial BN statistics. */
function tiny(): tf.LayersModel {
  const input = tf.input({ shape: [7, 7, 2] });
  let x = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'conv1', kernelInitializer: tf.initializers.glorotNormal({ seed: 1 }), biasInitializer: tf.initializers.randomNormal({ seed: 2 }) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'valid', name: 'conv2', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ name: 'bn2' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, name: 'fc', kernelInitializer: tf.initializers.glorotNormal({ seed: 4 }) }).apply(x) as tf.SymbolicTensor;
  const m = tf.model({ inputs: input, outputs: out });
  // Random BN statistics so slicing the wrong entries would show.
  const bn1 = m.getLayer('bn1');
  bn1.setWeights(bn1.getWeights().map((w, i) => tf.randomUniform(w.shape, 0.5, 1.5, 'float32', 10 + i)));
  return m;
}

test('removing channels whose consumer weights are zero leaves the outputs unchanged', async () => {
  const model = tiny();
  const keep = [0, 2, 5];
  const conv2 = model.getLayer('conv2');
  const [k, b] = conv2.getWeights();
  const mask = tf.tensor4d([1, 0, 1, 0, 0, 1], [1, 1, 6, 1]);
  conv2.setWeights([tf.mul(k, mask), b]);
  const before = tf.memory().numTensors;
  const pruned = await pruneModel(model, [
    { layer: 'conv2', role: 'inputs', keep },
    { layer: 'conv1', role: 'filters', keep },
    { layer: 'bn1', role: 'batchnorm', keep },
  ]);
  assert.deepEqual(pruned.getLayer('conv1').getWeights()[0].shape, [3, 3, 2, 3]);
  assert.deepEqual(pruned.getLayer('conv2').getWeights()[0].shape, [3, 3, 3, 5]);
  assert.equal(pruned.getLayer('bn1').getWeights()[2].shape[0], 3);
  const x = tf.randomNormal([4, 7, 7, 2], 0, 1, 'float32', 9);
  const y0 = model.predict(x) as tf.Tensor;
  const y1 = pruned.predict(x) as tf.Tensor;
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(y0, y1))).dataSync()[0]);
  assert.ok(diff < 1e-5, `max difference ${diff}`);
  assert.ok(pruned.countParams() < model.countParams());
  tf.dispose([x, y0, y1]);
  pruned.dispose();
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  model.dispose();
});

test('surgery on nonzero consumer weights changes outputs (the test above can fail)', async () => {
  const model = tiny();
  const pruned = await pruneModel(model, [
    { layer: 'conv2', role: 'inputs', keep: [0, 2, 5] },
    { layer: 'conv1', role: 'filters', keep: [0, 2, 5] },
    { layer: 'bn1', role: 'batchnorm', keep: [0, 2, 5] },
  ]);
  const x = tf.randomNormal([4, 7, 7, 2], 0, 1, 'float32', 9);
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(model.predict(x) as tf.Tensor, pruned.predict(x) as tf.Tensor))).dataSync()[0]);
  assert.ok(diff > 1e-3);
  x.dispose();
});

test('cloneModel copies weights into independent variables', async () => {
  const model = tiny();
  const copy = await cloneModel(model);
  const conv = copy.getLayer('conv1');
  conv.setWeights(conv.getWeights().map((w) => tf.zerosLike(w)));
  const orig = model.getLayer('conv1').getWeights()[0];
  assert.ok(tf.sum(tf.abs(orig)).dataSync()[0] > 0, 'original untouched');
});
