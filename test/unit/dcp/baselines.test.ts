/**
 * The comparison methods on hand-built layers: `l1` keeps the producer filters of largest L1 norm, `random` a
 * seeded uniform subset, and both then fit only those channels; the `adaptive` stopping rule on constructed loss
 * curves and inside greedy selection.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { resolveConfig } from '../../../server/dcp/run/config';
import { analyzeGraph } from '../../../server/dcp/graph/graph';
import { makePlan, type ConvPlan } from '../../../server/dcp/graph/plan';
import { GraphRunner } from '../../../server/dcp/exec/executor';
import { fixedChoice, l1Scores } from '../../../server/dcp/select/select-layer';
import { greedySelect, type SelectionProblem } from '../../../server/dcp/select/selection';
import { drain } from './drain';
import { keepCount, shouldStop } from '../../../server/dcp/select/stopping';
import type { ConvSpec } from '../../../server/dcp/exec/layers';

before(async () => {
  await tf.setBackend('cpu');
});

/** Producer filter j of `c1` has L1 norm PRODUCER_L1[j]; the consumer `c2`'s input slices rank the other way. */
const PRODUCER_L1 = [0.5, 3, 1, 2.5, 2];
const CONSUMER_SLICE = [4, -0.1, 3, 0.2, -2];

/** image → c1 (3×3, 5 filters) → bn → relu → c2 (3×3, 3 filters) → gap → dense. Only c2 is prunable. */
function handBuilt(): { model: tf.LayersModel; plan: ConvPlan; runner: GraphRunner; consumer: tf.Tensor4D } {
  const input = tf.input({ shape: [8, 8, 1] });
  let x = tf.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', useBias: false, name: 'c1' }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.reLU({ name: 'r1' }).apply(tf.layers.batchNormalization({ name: 'bn1' }).apply(x)) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 3, kernelSize: 3, padding: 'same', useBias: false, name: 'c2' }).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, activation: 'softmax', name: 'fc' }).apply(tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(x)) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: out });
  // Filter j: nine taps of ±L1_j/9 with alternating signs, so only the absolute values add up to the norm.
  const producer = tf.tensor4d(Array.from({ length: 9 }, (_, t) => PRODUCER_L1.map((v) => ((t % 2 === 0 ? 1 : -1) * v) / 9)).flat(), [3, 3, 1, 5]);
  const consumer = tf.tensor4d(Array.from({ length: 9 }, () => CONSUMER_SLICE.flatMap((u) => [u, u, u])).flat(), [3, 3, 5, 3]);
  model.getLayer('c1').setWeights([producer]);
  model.getLayer('c2').setWeights([consumer]);
  producer.dispose();
  const plan = makePlan(analyzeGraph(model), 0).convs.find((c) => c.conv === 'c2')!;
  return { model, plan, runner: new GraphRunner(model), consumer };
}

test('l1 scores are the producer filters\' L1 norms and keep the largest c − ⌊η·c⌋', async () => {
  const { model, plan, runner, consumer } = handBuilt();
  assert.deepEqual(plan.producers.map((p) => p.kind), ['conv-filters', 'batchnorm'], 'c1 filters and bn1 go with c2\'s inputs');
  const scores = await l1Scores(plan, runner, consumer);
  scores.forEach((s, j) => assert.ok(Math.abs(s - PRODUCER_L1[j]) < 1e-5, `filter ${j}: ${s}`));
  const keep = keepCount(5, 0.4);
  assert.equal(keep, 3);
  assert.deepEqual(await fixedChoice(resolveConfig({ method: 'l1', rate: 0.4 }), plan, runner, consumer, keep), [1, 3, 4]);
  // With no producing conv the criterion falls back to the consumer's own input slices: Σ |W[:,:,k,:]| = 27·|u_k|.
  const orphan: ConvPlan = { ...plan, producers: [] };
  const own = await l1Scores(orphan, runner, consumer);
  own.forEach((s, k) => assert.ok(Math.abs(s - 27 * Math.abs(CONSUMER_SLICE[k])) < 1e-4, `slice ${k}: ${s}`));
  assert.deepEqual(await fixedChoice(resolveConfig({ method: 'l1' }), orphan, runner, consumer, 3), [0, 2, 4]);
  consumer.dispose();
  model.dispose();
});

test('random keeps a seeded, reproducible, uniform subset that changes with the seed and the layer', async () => {
  const { model, plan, runner, consumer } = handBuilt();
  const pick = (seed: number, p: ConvPlan = plan): Promise<number[]> => fixedChoice(resolveConfig({ method: 'random', seed }), p, runner, consumer, 3);
  const first = await pick(7);
  assert.equal(first.length, 3);
  assert.equal(new Set(first).size, 3);
  assert.deepEqual(first, [...first].sort((a, b) => a - b));
  assert.ok(first.every((k) => Number.isInteger(k) && k >= 0 && k < 5));
  assert.deepEqual(await pick(7), first, 'same seed, same channels');
  const bySeed = await Promise.all(Array.from({ length: 10 }, (_, s) => pick(s + 1)));
  assert.ok(new Set(bySeed.map((c) => c.join())).size >= 3, `seeds 1..10 give different subsets: ${bySeed.map((c) => c.join()).join(' | ')}`);
  const otherLayer = await Promise.all(Array.from({ length: 10 }, (_, s) => pick(s + 1, { ...plan, index: plan.index + 1 })));
  assert.ok(otherLayer.some((c, i) => c.join() !== bySeed[i].join()), 'each layer draws its own subset');
  // Uniform: over many seeds every channel is kept 3/5 of the time (binomial sd ≈ 0.009 at 3000 draws).
  const counts = new Array<number>(5).fill(0);
  for (let s = 0; s < 3000; s++) for (const k of await pick(s)) counts[k]++;
  for (const c of counts) assert.ok(Math.abs(c / 3000 - 0.6) < 0.04, `frequencies ${counts.map((n) => (n / 3000).toFixed(3))}`);
  consumer.dispose();
  model.dispose();
});

/** A layer whose target uses channels 1, 4 and 6 of 8 (like test/unit/dcp/selection.test.ts). */
function problem(extra: Partial<SelectionProblem>): { p: SelectionProblem; dispose: () => void } {
  const c = 8;
  const ref = tf.tidy(() => tf.mul(tf.randomNormal([3, 3, c, 4], 0, 1, 'float32', 3), tf.tensor4d([0, 1, 0, 0, 1, 0, 1, 0], [1, 1, c, 1])) as tf.Tensor4D);
  const batches = [0, 1].map((i) => {
    const x = tf.randomNormal([16, 6, 6, c], 0, 1, 'float32', 10 + i) as tf.Tensor4D;
    return { n: 16, x, target: tf.conv2d(x, ref, 1, 'same') as tf.Tensor4D, labels: tf.zeros([16], 'int32') as tf.Tensor1D, cut: new Map<string, tf.Tensor>() };
  });
  const noisy = tf.tidy(() => tf.add(ref, tf.randomNormal(ref.shape, 0, 0.05, 'float32', 5)) as tf.Tensor4D);
  const spec = { name: 'c', kernel: null, bias: null, strides: [1, 1], padding: 'same', dilation: [1, 1], activation: (t: tf.Tensor) => t } as unknown as ConvSpec;
  const p: SelectionProblem = {
    spec, reference: noisy, bias: null, batches, rest: null, weights: { m: 1, s: 0 }, granularity: 'channel',
    candidates: Array.from({ length: c }, (_, k) => k), keep: 3, stop: 'rate', epsilon: 0.001, tau: 0.05,
    score: 'official', learningRate: 0.01, unitsPerStep: 1, ...extra,
  };
  return { p, dispose: () => tf.dispose([ref, noisy, ...batches.flatMap((b) => [b.x, b.target, b.labels])]) };
}


test('a fixed choice is fitted with the same greedy sub-problem, restricted to the chosen channels', async () => {
  // random/l1 pass their choice as the only candidates: even uninformative channels are kept, and nothing else.
  const { p, dispose } = problem({ candidates: [0, 3, 6], keep: 3 });
  const { its, out } = await drain(greedySelect(p));
  assert.deepEqual(out.kept, [0, 3, 6]);
  assert.equal(its.length, 3);
  const w = await out.weights.array();
  for (const row of w) for (const col of row) for (const k of [1, 2, 4, 5, 7]) assert.ok(col[k].every((v) => v === 0), `channel ${k} stays zero`);
  tf.dispose([out.weights, out.mask]);
  dispose();
});

test('adaptive stops at the first t with L(W_t) ≤ (1+τ)·L(Ŵ) on a constructed loss curve', () => {
  const firstStop = (curve: number[], full: number | null, rule: 'adaptive' | 'epsilon' | 'rate' = 'adaptive', eps = 0.001, tau = 0.05): number | null => {
    for (let t = 1; t < curve.length; t++) if (shouldStop(rule, curve.slice(0, t + 1), curve[0], full, eps, tau)) return t;
    return null;
  };
  // L(W⁰) = 10, L(Ŵ) = 1: 1.06 > 1.05 is not close enough, 1.04 is; big steps keep the ε rule quiet.
  const curve = [10, 6, 3, 1.06, 1.04, 1.0];
  assert.equal(firstStop(curve, 1), 4);
  assert.equal(firstStop(curve, 1, 'adaptive', 0.001, 0.1), 3, 'a looser τ stops one step earlier');
  assert.equal(firstStop([10, 5, 2, 1.05], 1), 3, 'the bound is inclusive');
  // A plateau above (1+τ)·L(Ŵ): the ε part fires when |ΔL| / L(W⁰) ≤ ε (here 0.0005 ≤ 0.001 at t = 3).
  const plateau = [10, 5, 4, 3.995, 3.99];
  assert.equal(firstStop(plateau, 1), 3);
  assert.equal(firstStop(plateau, 1, 'epsilon'), 3, 'the same step as the ε rule alone');
  assert.equal(firstStop(curve, 1, 'epsilon'), null, 'the ε rule alone ignores L(Ŵ)');
  assert.equal(firstStop(curve, null), null, 'without L(Ŵ) only the ε part applies');
  assert.equal(firstStop(plateau, 1, 'rate'), null, 'rate never stops here (the caller counts units)');
  assert.equal(shouldStop('adaptive', [0.5], 0.5, 1, 0.001, 0.05), false, 'no decision before the first added unit');
});

test('adaptive selection keeps exactly as many channels as the rule says, checked against L(Ŵ) computed here', async () => {
  const { p, dispose } = problem({ stop: 'adaptive', tau: 0.5, epsilon: 0, keep: 8 });
  const { its, out } = await drain(greedySelect(p));
  // L(Ŵ): the loss of the full noisy kernel, plain mean squared error against the target (λ·L_S is off here).
  const full = tf.tidy(() => p.batches.reduce((a, b) => a + (tf.mean(tf.squaredDifference(tf.conv2d(b.x, p.reference, 1, 'same'), b.target)).dataSync()[0] * b.n) / 32, 0));
  const losses = its.map((i) => i.loss);
  const t = losses.findIndex((l) => l <= 1.5 * full) + 1;
  assert.ok(t > 0, `some step reaches (1+τ)·L(Ŵ) = ${1.5 * full}: ${losses.join(', ')}`);
  assert.equal(out.kept.length, t, `losses ${losses.map((l) => l.toFixed(4)).join(', ')}, bound ${(1.5 * full).toFixed(4)}`);
  assert.ok(out.kept.length < 8, 'stopped before taking every channel');
  tf.dispose([out.weights, out.mask]);
  dispose();
});

test('the choice seed draws the random choice apart from the split seed; unset, it follows the seed', async () => {
  const { model, plan, runner, consumer } = handBuilt();
  const pick = (seed: number, choiceSeed: number | null): Promise<number[]> =>
    fixedChoice(resolveConfig({ method: 'random', seed, choiceSeed }), plan, runner, consumer, 3);
  assert.deepEqual(await pick(1, null), await pick(1, 1), 'null = the seed');
  assert.deepEqual(await pick(1, 5), await pick(2, 5), 'the split seed no longer moves the choice');
  const byChoice = await Promise.all(Array.from({ length: 10 }, (_, s) => pick(1, s + 1)));
  assert.ok(new Set(byChoice.map((c) => c.join())).size >= 3, `choice seeds 1..10 on one split: ${byChoice.map((c) => c.join()).join(' | ')}`);
  consumer.dispose();
  model.dispose();
});
