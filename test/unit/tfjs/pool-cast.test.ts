/**
 * MaxPoolGrad (ours, a JS pass over the wasm heap) against `cpu`, including ties (which pixel gets dy), padding,
 * overlapping windows and strides; the buffer-sharing Cast returns equal values and frees correctly.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gradsOn, type HostTensor, outShape, randomHost, relErr, use } from './helpers';

const cases: Array<{ shape: number[]; k: [number, number]; s: [number, number]; pad: 'same' | 'valid' }> = [
  { shape: [3, 8, 8, 5], k: [2, 2], s: [2, 2], pad: 'valid' },
  { shape: [2, 7, 9, 3], k: [2, 2], s: [2, 2], pad: 'valid' },
  { shape: [2, 7, 6, 3], k: [2, 2], s: [2, 2], pad: 'same' },
  { shape: [2, 7, 9, 3], k: [3, 3], s: [2, 2], pad: 'same' },
  { shape: [2, 6, 6, 4], k: [3, 2], s: [1, 1], pad: 'same' },
  { shape: [1, 9, 7, 2], k: [2, 3], s: [3, 2], pad: 'valid' },
];

/** Values on a coarse grid (many exact ties), the case where tie-breaking decides which pixel gets dy. */
function coarse(h: HostTensor): HostTensor {
  return { data: h.data.map((v) => Math.round(v * 2) / 2), shape: h.shape };
}

for (const { shape, k, s, pad } of cases) {
  for (const ties of [false, true]) {
    test(`maxPool gradient matches cpu: x ${shape.join('×')} window ${k.join('×')} stride ${s.join('×')} ${pad}${ties ? ', with ties' : ''}`, async () => {
      const f = (x: tf.Tensor) => tf.maxPool(x as tf.Tensor4D, k, s, pad);
      const x = ties ? coarse(randomHost(shape, 3)) : randomHost(shape, 3);
      await use('cpu');
      const dy = randomHost(outShape(f, [x]), 4);
      const [ref] = await gradsOn('cpu', f, [x], dy);
      const [ours] = await gradsOn('wasm', f, [x], dy);
      assert.ok(ref.some((v) => v !== 0));
      assert.ok(relErr(ours, ref) < 1e-6, `rel err ${relErr(ours, ref)}`);
    });
  }
}

test('float32→float32 cast shares the buffer without leaking; int cast still converts', async () => {
  await use('wasm');
  const before = tf.memory().numTensors;
  const buffers = tf.backend().numDataIds();
  const x = tf.tensor([1.5, -2.25, 3]);
  const same = tf.cast(x, 'float32');
  const asInt = tf.cast(x, 'int32');
  x.dispose();
  assert.deepEqual(Array.from(await same.data()), [1.5, -2.25, 3]);
  assert.deepEqual(Array.from(await asInt.data()), [1, -2, 3]);
  tf.dispose([same, asInt]);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(tf.backend().numDataIds(), buffers);
});
