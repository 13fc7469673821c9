import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../server/tfjs/backend';
import { guardWasmHeap, WasmHeapExhaustedError } from '../../../server/tfjs/heap-guard';
import { buildMobileNetV2Like } from '../../fixtures/models/build';
import { errorMessage } from '../../../server/dcp/run/engine';

/**
 * Issue 12: a 224×224 MobileNetV2 run on wasm failed with a bare "divide by zero" (elsewhere "memory access out of
 * bounds" in free, or "Aborted()"). The heap was full: emscripten's malloc returned 0, tfjs-backend-wasm wrote the
 * tensor at address 0 over the module's static data, and a later wasm call trapped. Now the allocation throws.
 */

interface Module { _malloc(bytes: number): number; _free(p: number): void; HEAPU8: Uint8Array }

before(async () => {
  await initBackend('wasm');
});

test('a tensor that does not fit the full wasm heap throws a clear error, and the backend still computes the same', async () => {
  const wasm = (tf.backend() as unknown as { wasm: Module }).wasm;
  const model = buildMobileNetV2Like({ input: [16, 16, 3], classes: 4 });
  const x = tf.randomUniform([2, 16, 16, 3], 0, 1, 'float32', 3);
  const run = async (): Promise<Float32Array> => {
    const y = model.predict(x) as tf.Tensor;
    const v = (await y.data()) as Float32Array;
    y.dispose();
    return v;
  };
  const expected = await run();
  // Take the heap to its 4 GiB ceiling with raw blocks (untouched pages: address space, not resident memory).
  const blocks: number[] = [];
  for (let size = 512 * 2 ** 20; size >= 2 ** 20; size /= 2) {
    for (;;) {
      let p = 0;
      try { p = wasm._malloc(size); } catch (e) { assert.ok(e instanceof WasmHeapExhaustedError); }
      if (p === 0) break;
      blocks.push(p);
    }
  }
  try {
    const numTensors = tf.memory().numTensors;
    // Before the guard this "succeeded": a 64 MiB tensor of zeros written at address 0.
    assert.throws(() => tf.zeros([16 * 2 ** 20]), (e: Error) => {
      assert.ok(e instanceof WasmHeapExhaustedError, `${e.name}: ${e.message}`);
      assert.match(e.message, /ran out of memory: a 64 MiB tensor did not fit in its heap \(\d+ MiB, at most 4 GiB; live tensors hold \d+ MiB/);
      assert.match(e.message, /Lower --batch-size or --selection-samples/);
      return true;
    });
    assert.equal(tf.memory().numTensors, numTensors, 'the failed tensor is not left registered');
  } finally {
    for (const p of blocks) wasm._free(p);
  }
  const after = await run();
  assert.deepEqual(Array.from(after), Array.from(expected), 'the heap is intact: the model computes the same outputs');
  x.dispose();
  model.dispose();
});

test('the guard wraps a module once and passes successful allocations through', () => {
  const calls: number[] = [];
  let next = 64;
  const fake = { wasm: { _malloc: (n: number): number => { calls.push(n); return n === 0 || n > 100 ? 0 : (next += n); }, HEAPU8: new Uint8Array(8) } };
  guardWasmHeap(fake);
  const wrapped = fake.wasm._malloc;
  guardWasmHeap(fake);
  assert.equal(fake.wasm._malloc, wrapped, 'a second call does not wrap again');
  assert.equal(fake.wasm._malloc(10), 74);
  assert.equal(fake.wasm._malloc(0), 0, 'a zero-byte request may return 0');
  assert.throws(() => fake.wasm._malloc(2 ** 21), WasmHeapExhaustedError);
  assert.deepEqual(calls, [10, 0, 2 ** 21]);
});

test('a WebAssembly trap reaching the engine is reported as a crash of the backend, not as its bare text', () => {
  const wasmApi = (globalThis as unknown as { WebAssembly: { RuntimeError: new (m: string) => Error } }).WebAssembly;
  const message = errorMessage(new wasmApi.RuntimeError('divide by zero'));
  assert.notEqual(message, 'divide by zero');
  assert.match(message, /^the WASM backend crashed \(WebAssembly trap: divide by zero\); its memory can no longer be trusted/);
  assert.equal(errorMessage(new Error('divide by zero')), 'divide by zero', 'an ordinary error keeps its text');
  // A full heap fails at its allocation (the guard above), so an out-of-bounds access is a faulty kernel, not memory.
  const oob = errorMessage(new wasmApi.RuntimeError('memory access out of bounds'));
  assert.match(oob, /^the WASM backend crashed \(WebAssembly trap: memory access out of bounds\)/);
  assert.doesNotMatch(oob, /ran out of memory/);
});
