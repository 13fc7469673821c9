/**
 * Sum and Mean over leading axes (server/tfjs/reduce.ts) on blocks wider than one XNNPACK pooling may be: past about
 * 16,300 channels its multipass average pooling overflowed the wasm stack into the heap, and a later `free` trapped
 * with "memory access out of bounds" (an InceptionV3 kernel gradient of 552,960 columns did, mid-run). The values
 * must match `cpu` and the heap must still work after many such reductions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { MAX_POOL_CHANNELS, poolLayout } from '../../../server/tfjs/reduce';
import { randomHost, relErr, use } from './helpers';

test('wide blocks are pooled in pieces of at most MAX_POOL_CHANNELS channels; a prime width keeps the stock kernel', () => {
  assert.deepEqual(poolLayout(100), [1, 100]);
  assert.deepEqual(poolLayout(MAX_POOL_CHANNELS), [1, MAX_POOL_CHANNELS]);
  assert.deepEqual(poolLayout(20_480), [4, 5_120]);
  const [w, c] = poolLayout(3 * 3 * 192 * 320)!;
  assert.equal(w * c, 552_960);
  assert.ok(c <= MAX_POOL_CHANNELS);
  assert.equal(poolLayout(16_411), null, '16,411 is prime');
});

async function reduceOn(name: 'cpu' | 'wasm', shape: number[], axis: number[], op: 'sum' | 'mean'): Promise<Float32Array> {
  await use(name);
  const h = randomHost(shape, shape.length * 7 + shape[1]);
  return tf.tidy(() => {
    const x = tf.tensor(h.data, h.shape);
    return (op === 'sum' ? tf.sum(x, axis) : tf.mean(x, axis)).dataSync() as Float32Array;
  });
}

const cases: Array<{ shape: number[]; axis: number[] }> = [
  { shape: [9, 20_480], axis: [0] },
  { shape: [3, 3, 192, 320], axis: [0, 1] },
  { shape: [12, 16_411], axis: [0] },
  { shape: [64, 1, 1, 17_000], axis: [0, 1, 2] },
];

for (const { shape, axis } of cases) {
  for (const op of ['sum', 'mean'] as const) {
    test(`${op} over axes ${axis.join(',')} of ${shape.join('×')} matches cpu and leaves the wasm heap intact`, async () => {
      const ref = await reduceOn('cpu', shape, axis, op);
      await use('wasm');
      const before = tf.memory().numTensors;
      let ours: Float32Array = new Float32Array(0);
      // Repeated: one overflow may land on free space and show only later.
      for (let i = 0; i < 5; i++) ours = await reduceOn('wasm', shape, axis, op);
      assert.ok(relErr(ours, ref) < 1e-5, `rel err ${relErr(ours, ref)}`);
      // A heap the overflow had damaged traps on the next allocations and frees.
      tf.tidy(() => {
        for (let i = 0; i < 20; i++) tf.add(tf.ones([1 << (i % 12)]), 1).dataSync();
      });
      assert.equal(tf.memory().numTensors, before);
    });
  }
}
