/**
 * wasm with 2 XNNPACK threads (its own process: the thread count is fixed when wasm is first initialised).
 * Threads must not change results: gradients match `cpu`, and the process must still be able to exit.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend, wasmThreadCount } from '../../../server/tfjs/backend';
import { gradsOn, outShape, randomHost, relErr } from './helpers';

test('wasm starts with 2 threads when asked', async () => {
  assert.equal(await initBackend('wasm', { threads: 2 }), 'wasm');
  assert.equal(wasmThreadCount(), 2);
});

for (const [s, k, pad] of [[1, 3, 'same'], [2, 3, 'same'], [2, 1, 'valid']] as const) {
  test(`2 threads: conv gradients match cpu (${k}x${k} stride ${s} ${pad})`, async () => {
    const x = randomHost([4, 12, 12, 16], 1 + s + k);
    const w = randomHost([k, k, 16, 32], 2 + s + k);
    const f = (xx: tf.Tensor, ww: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, s, pad);
    await initBackend('cpu');
    const dy = randomHost(outShape(f as (...xs: tf.Tensor[]) => tf.Tensor, [x, w]), 3);
    const cpu = await gradsOn('cpu', f as (...xs: tf.Tensor[]) => tf.Tensor, [x, w], dy);
    const wasm = await gradsOn('wasm', f as (...xs: tf.Tensor[]) => tf.Tensor, [x, w], dy);
    assert.equal(wasmThreadCount(), 2);
    cpu.forEach((g, i) => assert.ok(relErr(wasm[i], g) < 1e-4, `grad ${i}: rel err ${relErr(wasm[i], g)}`));
  });
}

test('2 threads: dense-layer matmul gradients match cpu', async () => {
  const a = randomHost([64, 200], 5);
  const b = randomHost([200, 50], 6);
  const dy = randomHost([64, 50], 7);
  const f = (p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q);
  const cpu = await gradsOn('cpu', f as (...xs: tf.Tensor[]) => tf.Tensor, [a, b], dy);
  const wasm = await gradsOn('wasm', f as (...xs: tf.Tensor[]) => tf.Tensor, [a, b], dy);
  cpu.forEach((g, i) => assert.ok(relErr(wasm[i], g) < 1e-4, `grad ${i}: rel err ${relErr(wasm[i], g)}`));
});
