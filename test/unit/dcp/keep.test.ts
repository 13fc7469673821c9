/**
 * Keep counts decided from the plan (rate, never-empty branches, round-to) and their enforcement in greedy
 * selection and the fixed choices, on a real Inception-style plan and on a constructed selection problem.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { analyzeGraph } from '../../../server/dcp/graph/graph';
import { makePlan } from '../../../server/dcp/graph/plan';
import { branchGroups, branchSlices, coveringPrefix, plannedKeep, roundKeep } from '../../../server/dcp/select/keep';
import { greedySelect, type Iteration, type SelectionOutcome, type SelectionProblem } from '../../../server/dcp/select/selection';
import type { ConvSpec } from '../../../server/dcp/exec/layers';
import { buildInception } from '../../fixtures/models/inception';

before(async () => {
  await tf.setBackend('cpu');
});

test('round-to: the nearest multiple, at least one multiple, never more than the layer has', () => {
  assert.equal(roundKeep(10, 32, 8), 8);
  assert.equal(roundKeep(12, 32, 8), 16, 'ties round up');
  assert.equal(roundKeep(3, 32, 8), 8, 'never zero');
  assert.equal(roundKeep(19, 20, 8), 16);
  assert.equal(roundKeep(23, 20, 8), 20, 'capped at c');
  assert.equal(roundKeep(2, 4, 8), 4, 'a layer narrower than N keeps all its channels');
  assert.equal(roundKeep(7, 32, 1), 7, 'N = 1 is off');
});

test('a conv reading a Concatenate keeps at least one channel per branch, before any selection', () => {
  const model = buildInception();
  const after0 = makePlan(analyzeGraph(model), 0).convs.find((c) => c.conv === 'after0')!;
  // mixed0 = [b1 (4) | b2b (6) | b3b (4) | b4 (2)].
  assert.deepEqual(branchSlices(after0).map((s) => `${s.layer}@${s.offset}+${s.channels}`), ['b1@0+4', 'b2b@4+6', 'b3b@10+4', 'b4@14+2']);
  assert.equal(plannedKeep(after0, 0.5, 1), 8);
  // 16 − ⌊0.95·16⌋ = 1 channel would leave three branches with no filters: four instead.
  assert.equal(plannedKeep(after0, 0.95, 1), 4);
  assert.equal(plannedKeep(after0, 0.95, 8), 8);
  assert.equal(plannedKeep(after0, 0.5, 3), 9);
  const b2b = makePlan(analyzeGraph(model), 0).convs.find((c) => c.conv === 'b2b')!;
  assert.deepEqual(branchSlices(b2b), [], 'a conv reading one tensor has no branches');
  assert.equal(plannedKeep(b2b, 0.95, 1), 1);
  model.dispose();
});

test('a fixed choice (random, l1) skips preferred channels when the slots left are owed to empty branches', () => {
  const groups = [[0, 1, 2, 3], [4, 5], [6, 7]];
  assert.deepEqual(coveringPrefix([0, 1, 2, 3, 4, 5, 6, 7], 3, groups), [0, 4, 6]);
  assert.deepEqual(coveringPrefix([0, 1, 2, 3, 4, 5, 6, 7], 4, groups), [0, 1, 4, 6]);
  assert.deepEqual(coveringPrefix([7, 6, 1, 0, 4], 3, groups), [7, 1, 4]);
  assert.deepEqual(coveringPrefix([3, 1, 2], 2, []), [3, 1], 'no groups: the plain prefix');
});

function spec(): ConvSpec {
  return { name: 'c', kernel: null as unknown as tf.LayerVariable, bias: null, strides: [1, 1], padding: 'same', dilation: [1, 1], activation: (x) => x };
}

/** A 3×3 conv over 8 input channels whose target depends on `informative` only. */
function problem(informative: number[], extra: Partial<SelectionProblem>): { p: SelectionProblem; dispose: () => void } {
  const c = 8, n = 4;
  const ref = tf.tidy(() => {
    const m = tf.tensor4d(Array.from({ length: c }, (_, k) => (informative.includes(k) ? 1 : 0)), [1, 1, c, 1]);
    return tf.mul(tf.randomNormal([3, 3, c, n], 0, 1, 'float32', 3), m) as tf.Tensor4D;
  });
  const batches = [0, 1].map((i) => {
    const x = tf.randomNormal([16, 6, 6, c], 0, 1, 'float32', 10 + i) as tf.Tensor4D;
    return { n: 16, x, target: tf.conv2d(x, ref, 1, 'same') as tf.Tensor4D, labels: tf.zeros([16], 'int32') as tf.Tensor1D, cut: new Map<string, tf.Tensor>() };
  });
  const p: SelectionProblem = {
    spec: spec(), reference: ref, bias: null, batches, rest: null, weights: { m: 1, s: 0 }, granularity: 'channel',
    candidates: Array.from({ length: c }, (_, k) => k), keep: 3, stop: 'rate', epsilon: 0.001, tau: 0.05,
    score: 'official', learningRate: 0.01, unitsPerStep: 1, ...extra,
  };
  return { p, dispose: () => { tf.dispose([ref, ...batches.flatMap((b) => [b.x, b.target, b.labels])]); } };
}

async function drain(gen: AsyncGenerator<Iteration, SelectionOutcome>): Promise<SelectionOutcome> {
  for (;;) {
    const r = await gen.next();
    if (r.done) return r.value;
  }
}

test('greedy selection fills an empty branch with its last slots instead of the best-scoring channels', async () => {
  const before = tf.memory().numTensors;
  // Everything informative sits in branch 0: unconstrained, greedy keeps [1, 2, 3] and branches 1 and 2 lose all.
  const free = problem([1, 2, 3], { keep: 3 });
  const a = await drain(greedySelect(free.p));
  assert.deepEqual(a.kept, [1, 2, 3]);
  const groups = [[0, 1, 2, 3], [4, 5], [6, 7]];
  const tied = problem([1, 2, 3], { keep: 3, groups });
  const b = await drain(greedySelect(tied.p));
  assert.equal(b.kept.length, 3);
  for (const g of groups) assert.ok(g.some((u) => b.kept.includes(u)), `branch ${g} kept one of ${b.kept}`);
  assert.ok(b.kept.some((u) => [1, 2, 3].includes(u)), 'the first pick is still the best channel');
  tf.dispose([a.weights, a.mask, b.weights, b.mask]);
  free.dispose();
  tied.dispose();
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
});

test('under epsilon, selection goes on after the rule fires until empty branches have one and the count is a multiple', async () => {
  const base = problem([2, 5], { stop: 'epsilon', epsilon: 0.01, keep: 8 });
  const plain = await drain(greedySelect(base.p));
  assert.ok(plain.kept.length < 8 && plain.kept.length % 4 !== 0, `plain epsilon keeps ${plain.kept.length}`);
  const rounded = problem([2, 5], { stop: 'epsilon', epsilon: 0.01, keep: 8, roundTo: 4, groups: branchGroups({ producers: [] }) });
  const r = await drain(greedySelect(rounded.p));
  assert.equal(r.kept.length % 4, 0, `kept ${r.kept}`);
  assert.ok(r.kept.includes(2) && r.kept.includes(5));
  const grouped = problem([2, 5], { stop: 'epsilon', epsilon: 0.01, keep: 8, groups: [[0, 1, 2, 3, 4, 5], [6], [7]] });
  const g = await drain(greedySelect(grouped.p));
  assert.ok(g.kept.includes(6) && g.kept.includes(7), `kept ${g.kept}`);
  tf.dispose([plain.weights, plain.mask, r.weights, r.mask, g.weights, g.mask]);
  for (const x of [base, rounded, grouped]) x.dispose();
});

test('channelsPerStep: K channels per greedy step, ⌈keep/K⌉ iterations, still one per branch', async () => {
  const before = tf.memory().numTensors;
  const one = problem([1, 2, 3, 5], { keep: 4 });
  const a = await drain(greedySelect(one.p));
  const two = problem([1, 2, 3, 5], { keep: 4, unitsPerStep: 2 });
  const b = await drain(greedySelect(two.p));
  assert.equal(a.iterations, 4);
  assert.equal(b.iterations, 2);
  assert.deepEqual(b.kept, [1, 2, 3, 5], 'the informative channels are found two at a time too');
  // Three per step with three branches and 4 slots: the first step may take only one unit outside the empty branches.
  const groups = [[0, 1, 2, 3], [4, 5], [6, 7]];
  const tied = problem([1, 2, 3], { keep: 4, unitsPerStep: 3, groups });
  const c = await drain(greedySelect(tied.p));
  assert.equal(c.kept.length, 4);
  for (const g of groups) assert.ok(g.some((u) => c.kept.includes(u)), `branch ${g} kept one of ${c.kept}`);
  tf.dispose([a.weights, a.mask, b.weights, b.mask, c.weights, c.mask]);
  for (const x of [one, two, tied]) x.dispose();
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
});
