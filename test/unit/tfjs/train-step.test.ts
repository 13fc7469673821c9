/**
 * End to end on a tiny conv net (conv + BN + relu, strided conv, depthwise conv, dense): one optimizer step on
 * wasm (our kernels) gives the same weights as on `cpu`; repeated steps and gradients leak neither tensors nor
 * wasm buffers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { type HostTensor, randomHost, relErr, use } from './helpers';

function tinyNet(): tf.LayersModel {
  const input = tf.input({ shape: [10, 10, 2] });
  let h = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU().apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'valid', useBias: false }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization().apply(h) as tf.SymbolicTensor;
  h = tf.layers.flatten().apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 5, activation: 'softmax' }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

const BATCH = 8;
const xHost = randomHost([BATCH, 10, 10, 2], 1);
const labels = Array.from({ length: BATCH }, (_, i) => (i * 3) % 5);

/** Builds the net on the current backend with the given weights, takes `steps` SGD steps, returns the weights. */
async function train(weights: HostTensor[] | null, steps: number): Promise<{ initial: HostTensor[]; final: Float32Array[] }> {
  const model = tinyNet();
  if (weights) {
    const ts = weights.map((w) => tf.tensor(w.data, w.shape));
    model.setWeights(ts);
    tf.dispose(ts);
  }
  const initial = await Promise.all(model.getWeights().map(async (w) => ({ data: (await w.data()) as Float32Array, shape: w.shape })));
  model.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: 'categoricalCrossentropy' });
  const x = tf.tensor(xHost.data, xHost.shape);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 5);
  for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
  const final = await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
  tf.dispose([x, y]);
  model.optimizer.dispose();
  model.dispose();
  return { initial, final };
}

test('two trainOnBatch steps on wasm match cpu to 1e-4 in every weight', async () => {
  await use('wasm');
  const wasm = await train(null, 2);
  await use('cpu');
  const cpu = await train(wasm.initial, 2);
  assert.equal(cpu.final.length, wasm.final.length);
  let moved = 0;
  cpu.final.forEach((w, i) => {
    assert.ok(relErr(wasm.final[i], w) < 1e-4, `weight ${i} rel err ${relErr(wasm.final[i], w)}`);
    moved = Math.max(moved, relErr(w, wasm.initial[i].data));
  });
  assert.ok(moved > 1e-3, 'the step must actually change the weights');
});

test('training steps and gradients leak no tensors and no wasm buffers', async () => {
  await use('wasm');
  const backend = tf.backend();
  const model = tinyNet();
  model.compile({ optimizer: tf.train.momentum(0.05, 0.9), loss: 'categoricalCrossentropy' });
  const x = tf.tensor(xHost.data, xHost.shape);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 5);
  await model.trainOnBatch(x, y); // creates the optimizer's slots
  const tensors = tf.memory().numTensors;
  const buffers = backend.numDataIds();
  await model.trainOnBatch(x, y);
  await model.trainOnBatch(x, y);
  tf.tidy(() => {
    const w = tf.randomNormal([3, 3, 4, 2]);
    const dw = tf.randomNormal([3, 3, 2, 2]);
    tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.depthwiseConv2d(
      tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'), c as tf.Tensor4D, 2, 'valid'))([tf.randomNormal([2, 9, 9, 4]), w, dw]);
  });
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(backend.numDataIds(), buffers);
  tf.dispose([x, y]);
  model.optimizer.dispose();
  model.dispose();
});
