import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { ConvSpec } from '../../../server/dcp/exec/layers';
import { accumulateGram, flatWeights, gramBytes, gramLoss } from '../../../server/dcp/select/gram';
import { exactEvaluate } from '../../../server/dcp/select/exact';
import { pass } from '../../../server/dcp/select/passes';
import { greedySelect, type SelectionBatch, type SelectionProblem } from '../../../server/dcp/select/selection';
import { drain } from './drain';
import { chooseSolver } from '../../../server/dcp/select/select-layer';
import { DEFAULT_RUN_CONFIG } from '../../../protocol/settings';
import { initBackend } from '../../../server/tfjs/backend';

before(async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
});

function spec(strides: [number, number], padding: 'same' | 'valid'): ConvSpec {
  return { name: 'c', kernel: null as unknown as tf.LayerVariable, bias: null, strides, padding, dilation: [1, 1], activation: (x) => tf.relu(x) };
}

function batchesFor(c: number, n: number, count: number, size: number, s: ConvSpec, seed: number): SelectionBatch[] {
  // The target comes from another kernel (the "baseline"), so the residual is not zero at any W tried here.
  const base = tf.randomNormal([3, 3, c, n], 0, 0.5, 'float32', seed) as tf.Tensor4D;
  const out = Array.from({ length: count }, (_, i) => {
    const x = tf.randomNormal([size, 7, 7, c], 0, 1, 'float32', seed + 1 + i) as tf.Tensor4D;
    const target = tf.conv2d(x, base, s.strides, s.padding) as tf.Tensor4D;
    const labels = tf.tensor1d(Array.from({ length: size }, (_, k) => (k + i) % 3), 'int32');
    return { n: size, x, target, labels, cut: new Map<string, tf.Tensor>() };
  });
  base.dispose();
  return out;
}

function dispose(batches: SelectionBatch[]): void {
  for (const b of batches) tf.dispose([b.x, b.target, b.labels]);
}

function close(actual: number, expected: number, rel: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.max(Math.abs(expected), 1e-6), `${what}: ${actual} vs ${expected}`);
}

function problem(s: ConvSpec, batches: SelectionBatch[], reference: tf.Tensor4D, bias: tf.Tensor1D | null, extra: Partial<SelectionProblem>): SelectionProblem {
  const c = reference.shape[2];
  return {
    spec: s, reference, bias, batches, rest: null, weights: { m: 1, s: 0 }, granularity: 'channel',
    candidates: Array.from({ length: c }, (_, k) => k), keep: 3, stop: 'rate', epsilon: 0.001, tau: 0.05,
    score: 'official', learningRate: 0.01, unitsPerStep: 1, ...extra,
  };
}

// Both backends: an im2col built with tf.oneHot once gave all-zero patches on wasm alone.
for (const [backend, strides, padding] of [['cpu', [1, 1], 'same'], ['cpu', [2, 2], 'same'], ['cpu', [2, 1], 'valid'], ['wasm', [2, 2], 'same']] as const) {
  test(`Gram value and gradient of L_M equal the direct ones (${backend}, stride ${strides}, ${padding}, with bias)`, async () => {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const s = spec([strides[0], strides[1]], padding);
    const batches = batchesFor(3, 4, 2, 5, s, 7);
    const w = tf.randomNormal([3, 3, 3, 4], 0, 0.3, 'float32', 21) as tf.Tensor4D;
    const b = tf.tensor1d([0.3, -0.2, 0.1, 0.5]);
    const gram = await accumulateGram(batches, s, w.shape, true);
    const { value, grad } = gramLoss(gram, flatWeights(await w.data(), await b.data(), gram));
    const p = problem(s, batches, w, b, {});
    const direct = await pass(p, w, b, true);
    close(value, direct.lossM, 1e-4, 'L_M');
    const gw = await direct.grad!.data();
    const norm = Math.hypot(...gw);
    for (let i = 0; i < gw.length; i++) assert.ok(Math.abs(grad[i] - gw[i]) <= 1e-4 * norm, `∂W[${i}]: ${grad[i]} vs ${gw[i]}`);
    // The bias gradient, against autodiff of the same mean.
    const biasGrads = batches.map((bt) => tf.tidy(() => tf.grad((v: tf.Tensor) => tf.mean(tf.squaredDifference(tf.add(tf.conv2d(bt.x, w, s.strides, s.padding), v), bt.target)))(b)));
    const [gb, gb2] = await Promise.all(biasGrads.map((t) => t.data()));
    tf.dispose(biasGrads);
    for (let j = 0; j < 4; j++) close(grad[gram.taps * 4 + j], (gb[j] + gb2[j]) / 2, 1e-4, `∂b[${j}]`);
    tf.dispose([w, b, direct.grad!]);
    dispose(batches);
    assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
    await tf.setBackend('cpu');
  });
}

test('with an L_S term the exact evaluation gives the same joint loss and gradient as autodiff', async () => {
  const s = spec([1, 1], 'same');
  const batches = batchesFor(4, 3, 2, 6, s, 40);
  const dense = tf.randomNormal([3, 3], 0, 1, 'float32', 41) as tf.Tensor2D;
  const rest = (a: tf.Tensor): tf.Tensor => tf.matMul(tf.mean(a, [1, 2]) as tf.Tensor2D, dense);
  const w = tf.randomNormal([3, 3, 4, 3], 0, 0.3, 'float32', 42) as tf.Tensor4D;
  const base = problem(s, batches, w, null, { rest, weights: { m: 1, s: 0.7 } });
  const before = tf.memory().numTensors;
  const gram = await accumulateGram(batches, s, w.shape, false);
  const exact = await exactEvaluate({ ...base, gram }, gram, w, null, true);
  const direct = await pass(base, w, null, true);
  close(exact.loss, direct.loss, 1e-4, 'joint loss');
  close(exact.lossS, direct.lossS, 1e-6, 'λ·L_S');
  const [ge, gd] = [await exact.grad!.data(), await direct.grad!.data()];
  const norm = Math.hypot(...gd);
  for (let i = 0; i < gd.length; i++) assert.ok(Math.abs(ge[i] - gd[i]) <= 1e-4 * norm, `∂W[${i}]`);
  tf.dispose([exact.grad!, direct.grad!]);
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  tf.dispose([w, dense]);
  dispose(batches);
});


test('exact and SGD run to convergence select the same channels in the same order, with the same weights', async () => {
  const before = tf.memory().numTensors;
  const s = spec([1, 1], 'same');
  // One batch: full-batch SGD converges to the optimum of the whole selection set, which the exact solver computes.
  const batches = batchesFor(6, 3, 1, 8, s, 60);
  const reference = tf.randomNormal([3, 3, 6, 3], 0, 0.5, 'float32', 61) as tf.Tensor4D;
  const bias = tf.tensor1d([0.1, 0, -0.1]);
  const sgdP = problem(s, batches, reference, bias, { keep: 4, sgdEpochs: 150 });
  const gram = await accumulateGram(batches, s, reference.shape, true);
  const exactP = problem(s, batches, reference, bias, { keep: 4, gram });
  const sgd = await drain(greedySelect(sgdP));
  const exact = await drain(greedySelect(exactP));
  assert.deepEqual(exact.its.map((i) => i.added), sgd.its.map((i) => i.added));
  assert.equal(new Set(exact.out.kept).size, 4);
  for (let t = 0; t < exact.its.length; t++) close(exact.its[t].lossM, sgd.its[t].lossM, 1e-3, `L_M after step ${t + 1}`);
  // The first step's scores come from the same gradient at W = 0.
  exact.its[0].scores.forEach((v, k) => close(v, sgd.its[0].scores[k], 1e-4, `score ${k}`));
  const [we, ws] = [await exact.out.weights.data(), await sgd.out.weights.data()];
  for (let i = 0; i < we.length; i++) assert.ok(Math.abs(we[i] - ws[i]) < 2e-3, `W[${i}]: ${we[i]} vs ${ws[i]}`);
  // Exact is optimal: one SGD pass per channel (the reference budget) ends with a larger L_M.
  const short = await drain(greedySelect(problem(s, batches, reference, bias, { keep: 4 })));
  assert.ok(exact.out.lossM < short.out.lossM, `${exact.out.lossM} < ${short.out.lossM}`);
  for (const o of [sgd.out, exact.out, short.out]) tf.dispose([o.weights, o.mask, o.bias!]);
  tf.dispose([reference, bias]);
  dispose(batches);
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
});

test('the exact solver falls back to SGD, saying why, when the Gram statistics exceed the budget or L_M is absent', () => {
  const shape = [3, 3, 64, 64];
  const bytes = gramBytes(shape, true);
  assert.equal(bytes, 8 * 577 * (577 + 64));
  const fits = chooseSolver({ ...DEFAULT_RUN_CONFIG, solverMemoryMB: 3 }, { m: 1 }, shape, true);
  assert.deepEqual(fits, { solver: 'exact', note: null });
  const over = chooseSolver({ ...DEFAULT_RUN_CONFIG, solverMemoryMB: 2 }, { m: 1 }, shape, true);
  assert.equal(over.solver, 'sgd');
  assert.match(over.note!, /2\.8 MB, over dcp\.solverMemoryMB = 2 MB/);
  assert.equal(chooseSolver({ ...DEFAULT_RUN_CONFIG }, { m: 0 }, shape, true).solver, 'sgd');
  assert.deepEqual(chooseSolver({ ...DEFAULT_RUN_CONFIG, solver: 'sgd' }, { m: 1 }, shape, true), { solver: 'sgd', note: null });
});

test('kernel granularity (DKP): the exact solve keeps every unselected kernel exactly zero and fits better than one SGD pass', async () => {
  const before = tf.memory().numTensors;
  const s = spec([1, 1], 'same');
  const batches = batchesFor(4, 3, 2, 6, s, 80);
  const reference = tf.randomNormal([3, 3, 4, 3], 0, 0.5, 'float32', 81) as tf.Tensor4D;
  const gram = await accumulateGram(batches, s, reference.shape, false);
  const kernels = { granularity: 'kernel' as const, candidates: Array.from({ length: 12 }, (_, u) => u), keep: 5, unitsPerStep: 2 };
  const exact = await drain(greedySelect(problem(s, batches, reference, null, { ...kernels, gram })));
  const sgd = await drain(greedySelect(problem(s, batches, reference, null, kernels)));
  assert.equal(exact.out.kept.length, 5);
  const w = await exact.out.weights.array();
  for (let k = 0; k < 4; k++) {
    for (let j = 0; j < 3; j++) {
      const kept = exact.out.kept.includes(k * 3 + j);
      const values = w.flatMap((row) => row.map((col) => col[k][j]));
      if (!kept) assert.ok(values.every((v) => v === 0), `kernel ${k},${j} is zero`);
      else assert.ok(values.some((v) => v !== 0), `kernel ${k},${j} is fitted`);
    }
  }
  assert.ok(exact.out.lossM < sgd.out.lossM, `${exact.out.lossM} < ${sgd.out.lossM}`);
  for (const o of [exact.out, sgd.out]) tf.dispose([o.weights, o.mask]);
  tf.dispose(reference);
  dispose(batches);
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
});
