/**
 * The drift pass's batch follows memory (every layer's output of both networks is alive at once: a quarter of the
 * plan's inference batch), and the drift it reports does not depend on the batch.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { driftBatch, layerDrift } from '../../../server/dcp/measure/drift';
import { initBackend } from '../../../server/tfjs/backend';

function net(seed: number): tf.LayersModel {
  const input = tf.input({ shape: [6, 6, 2], name: 'x' });
  const c = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'c1', kernelInitializer: tf.initializers.glorotUniform({ seed }) }).apply(input) as tf.SymbolicTensor;
  const r = tf.layers.reLU({ name: 'r1' }).apply(c) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 2, name: 'd', kernelInitializer: tf.initializers.glorotUniform({ seed: seed + 1 }) }).apply(tf.layers.flatten({ name: 'f' }).apply(r) as tf.SymbolicTensor) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

test('driftBatch: a quarter of the inference batch, at most 32, at least 1', () => {
  assert.deepEqual([driftBatch(64), driftBatch(21), driftBatch(1), driftBatch(200)], [16, 5, 1, 32]);
});

test('layerDrift is the same at any batch, and leaves no tensors', async () => {
  await initBackend('wasm');
  const [a, b] = [net(1), net(7)];
  try {
    const count = 9;
    const x = Float32Array.from({ length: count * 72 }, (_, i) => Math.sin(i));
    const data = { x, y: new Int32Array(count), count };
    const before = tf.memory().numTensors;
    const whole = await layerDrift(a, b, data, [6, 6, 2], [], undefined, 32);
    const small = await layerDrift(a, b, data, [6, 6, 2], [], undefined, 2);
    assert.equal(tf.memory().numTensors, before);
    assert.ok(whole.size >= 3, String([...whole.keys()]));
    for (const [layer, v] of whole) {
      assert.ok(v > 0, `${layer} drifted`);
      assert.ok(Math.abs(v - small.get(layer)!) < 1e-5 * Math.max(1, v), `${layer}: ${v} vs ${small.get(layer)}`);
    }
  } finally {
    a.dispose();
    b.dispose();
  }
});
