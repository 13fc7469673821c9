import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../../../server/tfjs/backend';
import { GraphRunner } from '../../../server/dcp/exec/executor';
import { convSpec } from '../../../server/dcp/exec/layers';
import { plainNetwork } from '../../../server/dcp/measure/stats';
import { buildSelectionBatches, disposeBatches, stageRest } from '../../../server/dcp/select/layer-cache';
import { greedySelect, type SelectionOutcome, type SelectionProblem } from '../../../server/dcp/select/selection';
import { spillStoreOf } from '../../../server/dcp/select/spill';
import { train } from '../../../server/dcp/train/train';
import { tinyPlain } from '../../fixtures/tiny/tiny-models';

before(async () => {
  await initBackend('wasm');
});

/** conv → ReLU → conv → ReLU → GAP → dense: no BatchNorm, so micro-batching must not change a step at all. */
function noBn(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 2], name: 'x' });
  let x = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 3 }), name: 'a' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: tf.initializers.glorotNormal({ seed: 4 }), name: 'b' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: tf.initializers.glorotNormal({ seed: 5 }), name: 'fc' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

function split(count: number, sampleLen: number, classes: number): { x: Float32Array; y: Int32Array; count: number } {
  return {
    x: Float32Array.from({ length: count * sampleLen }, (_, i) => Math.sin(i * 0.37) + 0.3 * Math.cos(i * 1.3)),
    y: Int32Array.from({ length: count }, (_, i) => (i * 7) % classes),
    count,
  };
}

async function weightsAfterTraining(microBatch: number | undefined): Promise<{ weights: Float32Array[]; losses: number[] }> {
  const model = noBn();
  const net = plainNetwork(model, [8, 8, 2]);
  const losses: number[] = [];
  // Two epochs of 3 batches (12, 12, 6 samples): momentum carries across steps, so every step must match.
  for await (const e of train(net, split(30, 128, 3), { phase: 'final', stage: null, epochs: 2, learningRate: 0.1, batchSize: 12, seed: 2, withHeads: false, validation: null, microBatch })) {
    if (e.type === 'trainProgress') losses.push(e.loss);
  }
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  model.dispose();
  return { weights, losses };
}

test('accumulated micro-batches make the same optimiser steps as the full batch (no BatchNorm)', async () => {
  const tensors = tf.memory().numTensors;
  const full = await weightsAfterTraining(undefined);
  const micro = await weightsAfterTraining(5);
  assert.equal(micro.losses.length, 6);
  for (let i = 0; i < full.losses.length; i++) assert.ok(Math.abs(full.losses[i] - micro.losses[i]) < 1e-5, `loss of step ${i + 1}`);
  let maxDiff = 0;
  let moved = 0;
  const start = noBn();
  const initial = start.getWeights().map((w) => w.dataSync() as Float32Array);
  start.dispose();
  full.weights.forEach((w, i) => w.forEach((v, j) => {
    maxDiff = Math.max(maxDiff, Math.abs(v - micro.weights[i][j]));
    moved = Math.max(moved, Math.abs(v - initial[i][j]));
  }));
  assert.ok(moved > 1e-2, 'training moved the weights (the comparison is not vacuous)');
  assert.ok(maxDiff < 1e-4, `max weight difference ${maxDiff}`);
  assert.equal(tf.memory().numTensors, tensors, 'no leaked tensors');
});

async function select(spill: boolean): Promise<{ out: SelectionOutcome; spilled: boolean; dirGone: boolean }> {
  const model = tinyPlain();
  const net = plainNetwork(model, [28, 28, 1]);
  const baseline = new GraphRunner(model);
  const data = split(20, 28 * 28, 10);
  const batches = await buildSelectionBatches(net, baseline, 'c3', net.logits.target, data, 8, undefined, spill ? { spillBytes: 1, buildBatch: 3 } : {});
  const store = spillStoreOf(batches[0]);
  const spec = convSpec(net.runner.layer('c3'));
  const reference = spec.kernel.read().clone() as tf.Tensor4D;
  const problem: SelectionProblem = {
    spec, reference, bias: null, batches, rest: stageRest(net, 'c3', null), weights: { m: 1, s: 1 }, granularity: 'channel',
    candidates: [0, 1, 2, 3, 4, 5], keep: 3, stop: 'rate', epsilon: 0, tau: 0, score: 'official', learningRate: 0.01, unitsPerStep: 1,
  };
  const gen = greedySelect(problem);
  let r = await gen.next();
  while (!r.done) r = await gen.next();
  disposeBatches(batches);
  reference.dispose();
  const out = r.value;
  const copy = { ...out, weights: out.weights };
  model.dispose();
  return { out: copy, spilled: store !== undefined, dirGone: store ? !existsSync(store.dir) : true };
}

test('a spilled selection cache selects exactly what the in-memory cache selects, and leaves no files or tensors', async () => {
  const tensors = tf.memory().numTensors;
  const before = readdirSync(tmpdir()).filter((f) => f.startsWith('dcp-spill-')).length;
  const mem = await select(false);
  const disk = await select(true);
  assert.equal(mem.spilled, false);
  assert.equal(disk.spilled, true);
  assert.deepEqual(disk.out.kept, mem.out.kept);
  assert.ok(Math.abs(disk.out.lossM - mem.out.lossM) < 1e-6 && Math.abs(disk.out.lossS - mem.out.lossS) < 1e-6);
  const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(disk.out.weights, mem.out.weights))).dataSync()[0]);
  assert.ok(diff < 1e-6, `weights differ by ${diff}`);
  for (const o of [mem.out, disk.out]) tf.dispose([o.weights, o.mask, ...(o.bias ? [o.bias] : [])]);
  assert.ok(disk.dirGone, 'the spill folder is removed with the batches');
  assert.equal(readdirSync(tmpdir()).filter((f) => f.startsWith('dcp-spill-')).length, before);
  assert.equal(tf.memory().numTensors, tensors, 'no leaked tensors');
});
