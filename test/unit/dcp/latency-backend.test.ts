/**
 * `latencyBackend`: latency timed on another backend than the run's. A run on wasm with `latencyBackend: 'cpu'`
 * reports cpu, has every latency figure, leaks no tensor on either backend, is back on wasm afterwards, and the
 * steps after measuring (drift, the saved model) still work. `tensorflow` without tfjs-node falls back to the
 * run's backend with a note. onLatencyBackend on its own: the run's models are not moved off their backend.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig, RunReport } from '../../../protocol/model';
import { activateBackend, initBackend } from '../../../server/tfjs/backend';
import { findTfjsNode } from '../../../server/tfjs/node-backend';
import { loadLayersModel, saveLayersModel } from '../../../server/io/model-files';
import { runPruning } from '../../../server/dcp/run/engine';
import { onLatencyBackend } from '../../../server/dcp/measure/latency-backend';
import { buildMobileNetV1Like } from '../../fixtures/models/build';

const TINY: Partial<RunConfig> = {
  data: 'mnist', maxTrainSamples: 96, selectionSamples: 16, headEpochs: 1, finetuneEpochs: 1, stageFinetune: false, batchSize: 32, backend: 'wasm', rate: 0.5,
};

let dir = '';
before(async () => {
  await initBackend('wasm');
  // The cpu backend exists from here on, so its data count can be compared before and after.
  await activateBackend('cpu');
  await tf.setBackend('wasm');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-latency-backend-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** Data buffers each backend holds: a tensor left behind on either shows here, whatever tf.memory() counts. */
function buffers(): { wasm: number; cpu: number } {
  const registry = tf.engine().registry;
  return { wasm: registry.wasm.numDataIds(), cpu: registry.cpu.numDataIds() };
}

async function prune(name: string, config: Partial<RunConfig>): Promise<RunReport> {
  const model = buildMobileNetV1Like({ alpha: 0.25 });
  const modelPath = await saveLayersModel(model, path.join(dir, name));
  model.dispose();
  let failure = '';
  for await (const e of runPruning({ ...TINY, ...config }, { modelPath, outDir: path.join(dir, `${name}-out`) })) {
    if (e.type === 'runFinished') return e.report;
    if (e.type === 'runFailed') failure = e.message;
  }
  throw new Error(`run of ${name} did not finish: ${failure}`);
}

test('a wasm run timed on cpu reports cpu, every figure, no leak, and finishes on wasm', async () => {
  const tensors = tf.memory().numTensors;
  const held = buffers();
  const report = await prune('cpu', { latencyBackend: 'cpu', layerLatency: true });
  assert.equal(tf.memory().numTensors, tensors, 'no leaked tensors');
  assert.deepEqual(buffers(), held, 'no data left on either backend');
  assert.equal(tf.getBackend(), 'wasm', 'the run\'s backend is active again');
  assert.equal(report.backend, 'wasm');
  assert.equal(report.latencyBackend, 'cpu');
  assert.equal(report.latencyBackendNote, undefined);
  for (const s of [report.before, report.afterSelection, report.after]) {
    for (const v of [s.latencyMs1, s.latencyMsBatch]) assert.ok(v !== null && Number.isFinite(v) && v > 0, `latency ${v}`);
  }
  assert.equal(report.afterSelection.latencyMs1, report.after.latencyMs1, 'one pruned architecture, one figure');
  const rows = report.layerLatency ?? [];
  assert.equal(rows.length, 9, 'conv1, four depthwise and four pointwise convs');
  for (const r of rows) for (const v of [...r.before, ...r.after]) assert.ok(Number.isFinite(v) && v > 0, `${r.layer}: ${v}`);
  // The steps after measuring ran on the run's models: drift per pruned layer, a model that loads and predicts.
  assert.ok((report.layerDiff ?? []).some((d) => d.drift !== undefined && Number.isFinite(d.drift)), 'drift measured after latency');
  assert.ok(report.after.accuracy !== null && report.after.accuracy >= 0);
  const m = await loadLayersModel(report.model.output!);
  const y = tf.tidy(() => m.predict(tf.ones([2, 28, 28, 1])) as tf.Tensor);
  assert.deepEqual(y.shape, [2, 10]);
  assert.ok((await y.data()).every(Number.isFinite));
  y.dispose();
  m.dispose();
});

test('latencyBackend "tensorflow" without tfjs-node times on the run\'s backend and says why', async (t) => {
  if (findTfjsNode() !== null) {
    t.skip('tfjs-node is installed here: the fallback cannot be exercised');
    return;
  }
  const tensors = tf.memory().numTensors;
  const report = await prune('tf', { latencyBackend: 'tensorflow' });
  assert.equal(tf.memory().numTensors, tensors, 'no leaked tensors');
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(report.latencyBackend, 'wasm');
  assert.match(report.latencyBackendNote ?? '', /latency backend "tensorflow" not available \(@tensorflow\/tfjs-node is not installed.*timed on the run's backend, wasm/);
  assert.ok(report.after.latencyMs1 !== null && report.after.latencyMs1 > 0);
});

test('onLatencyBackend times copies: the run\'s models stay on their backend and give the same outputs', async () => {
  const model = buildMobileNetV1Like({ alpha: 0.25 });
  // Inputs as plain arrays: a wasm tensor used on cpu would itself move (what the copies avoid for the weights).
  const x = Array.from({ length: 28 * 28 }, (_, i) => (i % 17) / 17);
  const ref = tf.tidy(() => (model.predict(tf.tensor4d(x, [1, 28, 28, 1])) as tf.Tensor).dataSync());
  const held = buffers();
  const tensors = tf.memory().numTensors;
  const seen = await onLatencyBackend('cpu', [model], async ([copy]) => {
    assert.equal(tf.getBackend(), 'cpu');
    assert.notEqual(copy, model);
    const y = tf.tidy(() => (copy.predict(tf.tensor4d(x, [1, 28, 28, 1])) as tf.Tensor).dataSync());
    return Math.max(...Array.from(y, (v, i) => Math.abs(v - ref[i])));
  });
  assert.equal(seen.backend, 'cpu');
  assert.ok(seen.result < 1e-4, `the copy computes what the model does (max |Δ| ${seen.result})`);
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(tf.memory().numTensors, tensors, 'copies disposed');
  assert.deepEqual(buffers(), held, 'nothing moved between backends');
  // `run`, or the active backend by name, times the models themselves.
  const same = await onLatencyBackend('wasm', [model], async ([m]) => m === model);
  assert.deepEqual(same, { result: true, backend: 'wasm' });
  model.dispose();
});

test('a measurement that fails (or is cancelled) on the other backend still restores the run\'s backend and frees the copies', async () => {
  const model = buildMobileNetV1Like({ alpha: 0.25 });
  const held = buffers();
  const tensors = tf.memory().numTensors;
  await assert.rejects(onLatencyBackend('cpu', [model], async () => {
    assert.equal(tf.getBackend(), 'cpu');
    throw new Error('cancelled');
  }), /cancelled/);
  assert.equal(tf.getBackend(), 'wasm');
  assert.equal(tf.memory().numTensors, tensors);
  assert.deepEqual(buffers(), held);
  model.dispose();
});
