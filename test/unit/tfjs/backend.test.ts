/** initBackend: backend choice, fallback when tfjs-node is missing, wasm file discovery, idempotent kernels. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { findWasmDir, initBackend, wasmThreadCount } from '../../../server/tfjs/backend';
import { fastKernelNames, registerFastKernels } from '../../../server/tfjs/register';

function nodeBackendInstalled(): boolean {
  try {
    require.resolve('@tensorflow/tfjs-node');
    return true;
  } catch {
    return false;
  }
}

test('wasm binaries are found', () => {
  const dir = findWasmDir();
  assert.ok(dir !== null);
  assert.ok(existsSync(join(dir, 'tfjs-backend-wasm.wasm')));
  assert.ok(existsSync(join(dir, 'tfjs-backend-wasm-simd.wasm')));
});

test('"auto" falls back to wasm when tfjs-node is not installed', { skip: nodeBackendInstalled() }, async () => {
  assert.equal(await initBackend('auto'), 'wasm');
  assert.equal(wasmThreadCount(), 1);
});

test('"node" fails with an actionable message when tfjs-node is not installed', { skip: nodeBackendInstalled() }, async () => {
  await assert.rejects(initBackend('node'), /tfjs-node/);
  assert.equal(tf.getBackend(), 'wasm', 'a failed switch leaves the previous backend active');
});

test('switching between cpu and wasm keeps our kernels registered exactly once', async () => {
  assert.equal(await initBackend('cpu'), 'cpu');
  assert.equal(await initBackend('wasm'), 'wasm');
  registerFastKernels();
  registerFastKernels();
  const names = fastKernelNames();
  assert.equal(new Set(names).size, names.length);
  assert.ok(names.includes('Conv2DBackpropFilter') && names.includes('MaxPoolGrad'), names.join());
  const y = tf.tidy(() => tf.sum(tf.conv2d(tf.ones([1, 4, 4, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, 'valid')));
  assert.equal((await y.data())[0], 36);
  y.dispose();
});

test('wasm clone shares the buffer but keeps value semantics', async () => {
  assert.equal(await initBackend('wasm'), 'wasm');
  const backend = tf.backend();
  const buffers = backend.numDataIds();
  const a = tf.tensor([1, 2, 3]);
  const b = tf.clone(a);
  assert.equal(backend.numDataIds(), buffers + 1, 'clone allocates no second buffer');
  a.dispose();
  assert.deepEqual(Array.from(await b.data()), [1, 2, 3], 'the clone outlives the original');
  const v = tf.variable(b);
  const kept = tf.clone(v);
  const next = tf.tensor([7, 8, 9]);
  v.assign(next);
  assert.deepEqual(Array.from(await kept.data()), [1, 2, 3], 'assigning the variable does not change the clone');
  assert.deepEqual(Array.from(await v.data()), [7, 8, 9]);
  tf.dispose([b, v, kept, next]);
  assert.equal(backend.numDataIds(), buffers);
});
