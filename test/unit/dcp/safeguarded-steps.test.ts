import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { ConvSpec } from '../../../server/dcp/exec/layers';
import { accumulateGram } from '../../../server/dcp/select/gram';
import { exactEvaluate, exactSubProblem } from '../../../server/dcp/select/exact';
import type { SelectionBatch, SelectionProblem } from '../../../server/dcp/select/selection';
import { initBackend } from '../../../server/tfjs/backend';

// The exact solver's λ·L_S steps start at the least-squares point. On the example ResNet, with heads trained to a
// plateau, plain Nesterov steps there overshot (L_S 2.3 -> 9.8 on the first layer, the pruned net at chance); the
// safeguard makes every step descend on its batch, which with one batch means on the whole joint loss.

before(async () => {
  await initBackend('wasm');
  await tf.setBackend('cpu');
});

const C = 4;
const N = 3;

function setup(sharpness: number): { p: SelectionProblem; head: tf.Tensor2D } {
  const s: ConvSpec = { name: 'c', kernel: null as unknown as tf.LayerVariable, bias: null, strides: [1, 1], padding: 'same', dilation: [1, 1], activation: (x) => tf.relu(x) };
  const base = tf.randomNormal([3, 3, C, N], 0, 0.5, 'float32', 3) as tf.Tensor4D;
  const x = tf.randomNormal([16, 6, 6, C], 0, 1, 'float32', 4) as tf.Tensor4D;
  const target = tf.conv2d(x, base, 1, 'same') as tf.Tensor4D;
  const labels = tf.tensor1d(Array.from({ length: 16 }, (_, k) => k % 3), 'int32');
  // An over-confident head: global average pool, then a dense layer with large weights.
  const head = tf.tidy(() => tf.mul(sharpness, tf.randomNormal([N, 3], 0, 1, 'float32', 5)) as tf.Tensor2D);
  const batch: SelectionBatch = { n: 16, x, target, labels, cut: new Map() };
  base.dispose();
  const p: SelectionProblem = {
    spec: s, reference: tf.randomNormal([3, 3, C, N], 0, 0.5, 'float32', 3) as tf.Tensor4D, bias: null, batches: [batch],
    rest: (activated) => tf.matMul(tf.mean(activated, [1, 2]) as tf.Tensor2D, head),
    weights: { m: 1, s: 1 }, granularity: 'channel', candidates: [0, 1, 2, 3], keep: 2, stop: 'rate', epsilon: 0.001, tau: 0.05,
    score: 'official', learningRate: 0.01, unitsPerStep: 1,
  };
  return { p, head };
}

function release(p: SelectionProblem, head: tf.Tensor2D): void {
  for (const b of p.batches) tf.dispose([b.x, b.target, b.labels]);
  tf.dispose([p.reference, head]);
}

async function jointLoss(p: SelectionProblem, w: tf.Tensor4D): Promise<number> {
  const r = await exactEvaluate(p, p.gram!, w, null, false);
  return r.loss;
}

for (const lr of [0.01, 5]) test(`from the least-squares point, the safeguarded λ·L_S steps lower the joint loss with a sharp head and keep unselected channels zero (lr ${lr})`, async () => {
  const before = tf.memory().numTensors;
  const { p, head } = setup(40);
  // lr 5 would throw plain gradient steps far past the minimum; the line search must halve it back.
  p.learningRate = lr;
  p.gram = await accumulateGram(p.batches, p.spec, p.reference.shape, false);
  const maskValues = new Float32Array([1, 0, 1, 0]);
  const mask = tf.tensor4d(maskValues, [1, 1, C, 1]);
  const solve = async (steps: number): Promise<tf.Tensor4D> =>
    (await exactSubProblem({ ...p, solverSgdSteps: steps }, p.gram!, p.reference.clone(), null, maskValues, mask, 0)).w;
  const ls = await solve(0);
  const lsLoss = await jointLoss(p, ls);
  let previous = lsLoss;
  for (const steps of [1, 2, 8]) {
    const safe = await solve(steps);
    const loss = await jointLoss(p, safe);
    // One batch: each accepted step lowered this very loss, so more steps can only go lower.
    assert.ok(loss < previous, `${steps} steps: ${loss} should be below ${previous}`);
    previous = loss;
    const v = await safe.data();
    for (let i = 0; i < v.length; i++) if (maskValues[Math.floor(i / N) % C] === 0) assert.equal(v[i], 0, `unselected weight ${i}`);
    safe.dispose();
  }
  assert.ok(previous < 0.9 * lsLoss, `8 steps should gain more than 10% over the least-squares point (${previous} vs ${lsLoss})`);
  tf.dispose([ls, mask]);
  release(p, head);
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
});

test('with a gentle head the safeguarded steps still descend and leak nothing', async () => {
  const before = tf.memory().numTensors;
  const { p, head } = setup(0.5);
  p.gram = await accumulateGram(p.batches, p.spec, p.reference.shape, false);
  const maskValues = new Float32Array([0, 1, 1, 1]);
  const mask = tf.tensor4d(maskValues, [1, 1, C, 1]);
  const ls = (await exactSubProblem({ ...p, solverSgdSteps: 0 }, p.gram, p.reference.clone(), null, maskValues, mask, 0)).w;
  const safe = (await exactSubProblem({ ...p, solverSgdSteps: 4 }, p.gram, p.reference.clone(), null, maskValues, mask, 0)).w;
  assert.ok(await jointLoss(p, safe) <= await jointLoss(p, ls));
  tf.dispose([ls, safe, mask]);
  release(p, head);
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
});
