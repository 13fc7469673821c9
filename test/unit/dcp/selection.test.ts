import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { greedySelect, topUnits, unitScores, type SelectionProblem } from '../../../server/dcp/select/selection';
import { drain } from './drain';
import type { ConvSpec } from '../../../server/dcp/exec/layers';

before(async () => {
  await tf.setBackend('cpu');
});

function spec(): ConvSpec {
  // Only geometry and activation are read by selection; kernel/bias handles are unused here.
  return { name: 'c', kernel: null as unknown as tf.LayerVariable, bias: null, strides: [1, 1], padding: 'same', dilation: [1, 1], activation: (x) => x };
}

/** A 3x3 conv over 8 channels whose target uses only channels 1, 4 and 6. */
function problem(informative: number[], extra: Partial<SelectionProblem> = {}): { p: SelectionProblem; dispose: () => void } {
  const c = 8, n = 4;
  const ref = tf.tidy(() => {
    const w = tf.randomNormal([3, 3, c, n], 0, 1, 'float32', 3);
    const m = tf.tensor4d(Array.from({ length: c }, (_, k) => (informative.includes(k) ? 1 : 0)), [1, 1, c, 1]);
    return tf.mul(w, m) as tf.Tensor4D;
  });
  const batches = [0, 1].map((i) => {
    const x = tf.randomNormal([16, 6, 6, c], 0, 1, 'float32', 10 + i) as tf.Tensor4D;
    const target = tf.conv2d(x, ref, 1, 'same') as tf.Tensor4D;
    return { n: 16, x, target, labels: tf.zeros([16], 'int32') as tf.Tensor1D, cut: new Map<string, tf.Tensor>() };
  });
  // Ŵ given to selection is a noisy full kernel: the noise channels look plausible by weight but do not help.
  const noisy = tf.tidy(() => tf.add(ref, tf.randomNormal(ref.shape, 0, 0.05, 'float32', 5)) as tf.Tensor4D);
  const p: SelectionProblem = {
    spec: spec(), reference: noisy, bias: null, batches, rest: null, weights: { m: 1, s: 0 }, granularity: 'channel',
    candidates: Array.from({ length: c }, (_, k) => k), keep: informative.length, stop: 'rate', epsilon: 0.001, tau: 0.05,
    score: 'official', learningRate: 0.01, unitsPerStep: 1, ...extra,
  };
  return { p, dispose: () => { tf.dispose([ref, noisy, ...batches.flatMap((b) => [b.x, b.target, b.labels])]); } };
}


test('greedy selection finds the channels the target depends on', async () => {
  const before = tf.memory().numTensors;
  const { p, dispose } = problem([1, 4, 6]);
  const { its, out } = await drain(greedySelect(p));
  assert.deepEqual(out.kept, [1, 4, 6]);
  assert.equal(its.length, 3);
  // Unselected channels are exactly zero in the result.
  const w = await out.weights.array();
  for (const k of [0, 2, 3, 5, 7]) for (const row of w) for (const col of row) assert.ok(col[k].every((v) => v === 0));
  // The loss falls as channels are added.
  assert.ok(its[2].loss < its[0].loss);
  tf.dispose([out.weights, out.mask]);
  dispose();
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
});

test('epsilon rule stops once adding channels no longer lowers the loss', async () => {
  const { p, dispose } = problem([2, 5], { stop: 'epsilon', epsilon: 0.01, keep: 8 });
  const { its, out } = await drain(greedySelect(p));
  assert.ok(out.kept.includes(2) && out.kept.includes(5), `kept ${out.kept}`);
  assert.ok(out.kept.length < 8, `stopped early, kept ${out.kept.length}`);
  assert.equal(its.length, out.kept.length);
  tf.dispose([out.weights, out.mask]);
  dispose();
});

test('kernel granularity adds several kernels per step within its candidates', async () => {
  const { p, dispose } = problem([1, 4, 6], { granularity: 'kernel', candidates: [1, 4, 6].flatMap((k) => [0, 1, 2, 3].map((j) => k * 4 + j)), keep: 6, unitsPerStep: 4 });
  const { its, out } = await drain(greedySelect(p));
  assert.equal(out.kept.length, 6);
  assert.equal(its[0].added.length, 4);
  assert.equal(its[1].added.length, 2, 'the last step is capped by the budget');
  for (const u of out.kept) assert.ok([1, 4, 6].includes(Math.floor(u / 4)));
  tf.dispose([out.weights, out.mask]);
  dispose();
});

test('already-selected units are never re-selected', () => {
  const sel = new Float32Array([0, 1, 0, 0]);
  assert.deepEqual(topUnits([1, 100, 3, 2], new Set([0, 1, 2, 3]), sel, 1, 10), [2]);
  assert.deepEqual(topUnits([5, 5, 5, 5], new Set([0, 2, 3]), new Float32Array(4), 2, 10), [0, 2], 'ties break by index');
});

test('official and paper channel scores differ as defined', async () => {
  // Channel 0: one output with gradient 3 and one with 4; channel 1: one output with 4.5.
  const g = tf.tensor4d([3, 4, 4.5, 0], [1, 1, 2, 2]);
  const official = await unitScores(g, 'channel', 'official');
  const paper = await unitScores(g, 'channel', 'paper');
  assert.deepEqual(official, [7, 4.5]);
  assert.ok(Math.abs(paper[0] - 5) < 1e-6 && Math.abs(paper[1] - 4.5) < 1e-6);
  g.dispose();
});
