import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { measureOnnxLatency } from '../../../server/onnx/latency';

const RESNET = new Uint8Array(readFileSync(join(__dirname, '../../fixtures/onnx/tiny_resnet.onnx')));

test('two .onnx models are timed interleaved at each batch size', async () => {
  const m = await measureOnnxLatency(RESNET, RESNET, [1, 4], 3);
  assert.ok(typeof m !== 'string', String(m));
  assert.deepEqual(m.batches, [1, 4]);
  assert.equal(m.before.length, 2);
  assert.ok([...m.before, ...m.after].every((ms) => ms > 0));
  assert.ok(m.before[1] > m.before[0] * 0.5, 'batch 4 is not faster than batch 1 by much');
});

test('a file onnxruntime cannot load gives the reason instead of a report field', async () => {
  const m = await measureOnnxLatency(RESNET, new Uint8Array([1, 2, 3, 4]), [1], 1);
  assert.equal(typeof m, 'string');
  assert.match(m as string, /onnxruntime could not time the models/);
});

test('a cancelled run stops timing', async () => {
  const c = new AbortController();
  c.abort(new Error('stop'));
  await assert.rejects(measureOnnxLatency(RESNET, RESNET, [1], 5, c.signal), /stop/);
});
