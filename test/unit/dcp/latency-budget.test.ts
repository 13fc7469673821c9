/**
 * compareLatency's time budget: a model too slow for `repeats` rounds within the budget is timed over MIN_ROUNDS
 * rounds (a 224×224 model at batch 64 takes seconds a round); a fast one gets every round; nothing leaks. And the
 * batch latency is timed at when memory is short.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { compareLatency, MIN_ROUNDS } from '../../../server/dcp/measure/latency';
import { latencyBatch } from '../../../server/dcp/measure/stats';
import { initBackend } from '../../../server/tfjs/backend';

function tinyNet(filters: number): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 2] });
  const x = tf.layers.conv2d({ filters, kernelSize: 3, padding: 'same', kernelInitializer: tf.initializers.glorotUniform({ seed: filters }) }).apply(input) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3 }).apply(tf.layers.flatten().apply(x) as tf.SymbolicTensor) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

test('rounds: all of them within the budget, MIN_ROUNDS when the budget is spent', async () => {
  await initBackend('wasm');
  const [a, b] = [tinyNet(4), tinyNet(2)];
  try {
    const before = tf.memory().numTensors;
    const full = await compareLatency(a, b, [8, 8, 2], 4, 9, undefined, 1000);
    assert.deepEqual(full.rounds, [9, 9]);
    const spent = await compareLatency(a, b, [8, 8, 2], 4, 9, undefined, 0);
    assert.deepEqual(spent.rounds, [MIN_ROUNDS, MIN_ROUNDS]);
    for (const v of [...spent.a, ...spent.b]) assert.ok(Number.isFinite(v) && v > 0, String(v));
    assert.equal(tf.memory().numTensors, before);
  } finally {
    a.dispose();
    b.dispose();
  }
});

test('latency batch: 64 unless the memory plan had to cut inference below the run\'s batch size', () => {
  assert.equal(latencyBatch({ inferenceBatch: 64, batchSize: 64 }), 64);
  assert.equal(latencyBatch({ inferenceBatch: 32, batchSize: 32 }), 64, 'a small --batch-size is not a memory limit');
  assert.equal(latencyBatch({ inferenceBatch: 21, batchSize: 64 }), 21, 'the 224×224 MobileNetV2 plan');
  assert.equal(latencyBatch({ inferenceBatch: 100, batchSize: 128 }), 64);
});
