/**
 * The model families of issue 12 end to end, on the built-in builders at tiny widths and 28×28×1 inputs: each is
 * pruned by the engine on a few MNIST digits and the result loads in TF.js's own loader with the same output shape.
 * Also: a depth multiplier above 1 is refused with the reason, an Inception branch is never emptied even at a rate
 * that would leave fewer channels than branches, `roundTo` rounds kept counts, and `quantize` re-quantises shards.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig, RunReport } from '../../../protocol/model';
import { initBackend } from '../../../server/tfjs/backend';
import { saveLayersModel } from '../../../server/io/model-files';
import { runPruning } from '../../../server/dcp/run/engine';
import { analyzeGraph } from '../../../server/dcp/graph/graph';
import { buildInceptionLike, buildMobileNetV1Like, buildMobileNetV2Like } from '../../fixtures/models/build';
import { loadWithTf } from '../../fixtures/models/tf-load';

const TINY: Partial<RunConfig> = {
  data: 'mnist', maxTrainSamples: 96, selectionSamples: 16, headEpochs: 1, finetuneEpochs: 0, stageFinetune: false, batchSize: 32, backend: 'wasm',
};

let dir = '';
before(async () => {
  await initBackend('wasm');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-families-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

async function prune(model: tf.LayersModel, name: string, config: Partial<RunConfig>): Promise<RunReport> {
  const modelPath = await saveLayersModel(model, path.join(dir, name));
  model.dispose();
  let failure = '';
  for await (const e of runPruning({ ...TINY, ...config }, { modelPath, outDir: path.join(dir, `${name}-out`) })) {
    if (e.type === 'runFinished') return e.report;
    if (e.type === 'runFailed') failure = e.message;
  }
  throw new Error(`run of ${name} did not finish: ${failure}`);
}

async function checkLoads(report: RunReport): Promise<tf.LayersModel> {
  const m = await loadWithTf(report.model.output!);
  const y = tf.tidy(() => m.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor);
  assert.deepEqual(y.shape, [2, 10], 'output shape unchanged');
  assert.ok((await y.data()).every(Number.isFinite));
  y.dispose();
  assert.equal(m.countParams(), report.after.params);
  assert.ok(report.after.params < report.before.params, `${report.after.params} < ${report.before.params}`);
  return m;
}

test('MobileNetV2-like: each projection conv is pruned with its depthwise conv, expansion conv and BNs', async () => {
  const tensors = tf.memory().numTensors;
  const report = await prune(buildMobileNetV2Like({ alpha: 0.25 }), 'v2', { rate: 0.5 });
  const b3 = report.layers.find((l) => l.layer === 'block_3_project')!;
  assert.deepEqual(b3.removedWith, ['block_3_expand', 'block_3_expand_BN', 'block_3_depthwise', 'block_3_depthwise_BN']);
  const m = await checkLoads(report);
  const c = b3.kept.length;
  assert.equal(m.getLayer('block_3_expand').outputShape.at(-1), c);
  assert.deepEqual((m.getLayer('block_3_depthwise').getWeights()[0]).shape, [3, 3, c, 1]);
  m.dispose();
  assert.equal(tf.memory().numTensors, tensors, 'no leaked tensors');
});

test('MobileNetV1-like with depth multiplier 2: that pointwise conv is refused with the reason, the others pruned', async () => {
  const g = analyzeGraph(buildMobileNetV1Like({ alpha: 0.25, depthMultiplier: 2 }));
  const why = g.notPrunable.find((n) => n.layer === 'conv_pw_2')?.reason ?? '';
  assert.match(why, /'conv_dw_2' \(DepthwiseConv2D\) has depth multiplier 2/);
  const report = await prune(buildMobileNetV1Like({ alpha: 0.25, depthMultiplier: 2 }), 'v1m2', { rate: 0.5, roundTo: 4 });
  assert.deepEqual(report.layers.map((l) => l.layer).sort(), ['conv_pw_1', 'conv_pw_3', 'conv_pw_4']);
  // α 0.25: conv_pw_1 reads 8 channels (keeps 4), conv_pw_3 and _4 read 32 (16 is already a multiple of 4).
  for (const l of report.layers) assert.equal(l.kept.length % 4, 0, `${l.layer} kept ${l.kept.length}`);
  (await checkLoads(report)).dispose();
});

test('Inception-like at rate 0.95: every concatenated branch keeps a channel, and the model loads', async () => {
  const report = await prune(buildInceptionLike({ alpha: 0.25 }), 'inc', { rate: 0.95, quantize: 'uint8' });
  const mix = report.layers.find((l) => l.layer === 'mixed0_mix')!;
  // mixed0 at α 0.25 (w = 2): branches of 4 | 4 | 4 | 2 channels; 14 − ⌊0.95·14⌋ = 1 would empty three.
  assert.equal(mix.inChannels, 14);
  assert.equal(mix.kept.length, 4);
  for (const [lo, hi] of [[0, 4], [4, 8], [8, 12], [12, 14]]) assert.ok(mix.kept.some((k) => k >= lo && k < hi), `branch ${lo}-${hi - 1}: kept ${mix.kept}`);
  const m = await checkLoads(report);
  for (const b of ['mixed0_b1', 'mixed0_b2b', 'mixed0_b3c', 'mixed0_b4']) assert.equal(m.getLayer(b).outputShape.at(-1), 1, b);
  m.dispose();
  const json = JSON.parse(await fs.readFile(report.model.output!, 'utf8')) as tf.io.ModelJSON;
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  assert.ok(specs.length > 0 && specs.every((s) => s.quantization?.dtype === 'uint8'), 'every float32 weight stored as uint8');
});

test('layerLatency times every conv before and after', async () => {
  const tensors = tf.memory().numTensors;
  const report = await prune(buildMobileNetV1Like({ alpha: 0.25 }), 'v1lat', { rate: 0.5, layerLatency: true });
  assert.equal(tf.memory().numTensors, tensors, 'no leaked tensors');
  const rows = report.layerLatency ?? [];
  // conv1, four depthwise and four pointwise convs.
  assert.equal(rows.length, 9);
  const pw2 = rows.find((r) => r.layer === 'conv_pw_2')!;
  assert.deepEqual(pw2.inputShape, [[14, 14, 16], [14, 14, 8]]);
  for (const r of rows) for (const v of [...r.before, ...r.after]) assert.ok(Number.isFinite(v) && v > 0, `${r.layer}: ${v}`);
});
