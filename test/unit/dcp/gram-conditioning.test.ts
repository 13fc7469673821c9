import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import type { ConvSpec } from '../../../server/dcp/exec/layers';
import { accumulateGram, NonFiniteStatsError, type GramStats } from '../../../server/dcp/select/gram';
import { choleskyJittered, choleskySolve, GramFactorError, solveMaskedRidge } from '../../../server/dcp/select/ridge';
import { WEIGHT_DECAY } from '../../../server/dcp/select/passes';
import { initBackend } from '../../../server/tfjs/backend';

/**
 * The exact solver on badly conditioned statistics (issue 12: a 224×224 MobileNetV2 run failed with "the Gram
 * matrix is not positive definite"): the Gram must stay positive semi-definite to rounding, a nearly singular one
 * must still solve to the least-squares answer, and statistics that cannot be finite must say where and why.
 */

before(async () => {
  await initBackend('wasm');
});

const spec: ConvSpec = {
  name: 'block_9_project', kernel: null as unknown as tf.LayerVariable, bias: null, strides: [1, 1], padding: 'same', dilation: [1, 1], activation: (x) => x,
};

/** Seeded uniform values in [0, 1), Float64 in JS so the reference statistics are exact sums of the same numbers. */
function uniform(count: number, seed: number): Float32Array {
  let s = seed;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) { s = (s * 1103515245 + 12345) % 2 ** 31; out[i] = s / 2 ** 31; }
  return out;
}

/** G = XᵀX and B = XᵀY summed in Float64 over the float32 values of x ([positions, c]) and y ([positions, n]). */
function reference(x: Float32Array, y: Float32Array, c: number, n: number): { g: Float64Array; b: Float64Array } {
  const positions = x.length / c;
  const g = new Float64Array(c * c);
  const b = new Float64Array(c * n);
  for (let p = 0; p < positions; p++) {
    for (let r = 0; r < c; r++) {
      const xr = x[p * c + r];
      for (let q = 0; q < c; q++) g[r * c + q] += xr * x[p * c + q];
      for (let j = 0; j < n; j++) b[r * n + j] += xr * y[p * n + j];
    }
  }
  return { g, b };
}

test('activations with a large common offset: the Gram stays positive definite and the ridge solve equals a Float64 one', async () => {
  const before = tf.memory().numTensors;
  // 16 samples of 28×28 positions, 24 channels all near 100 (varying by 0.01): one huge direction, 23 tiny ones. Summed
  // in one float32 product, XᵀX's rounding (~1e-7 of 1.25e8 per entry) far exceeds the ridge α = 1.9 and the
  // Cholesky pivot went negative (before the fix: "not positive definite at row 2 (pivot -325.3)").
  const [samples, h, c, n] = [16, 28, 24, 3];
  const positions = samples * h * h;
  const x = uniform(positions * c, 11).map((u) => 100 + 0.01 * u);
  const y = uniform(positions * n, 12).map((u) => u - 0.5);
  const batch = { x: tf.tensor4d(x, [samples, h, h, c]), target: tf.tensor4d(y, [samples, h, h, n]) };
  const stats = await accumulateGram([batch], spec, [1, 1, c, n], false);
  tf.dispose([batch.x, batch.target]);
  assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  assert.equal(stats.positions, positions);
  const exact = reference(x, y, c, n);
  const largest = Math.max(...exact.g);
  for (let i = 0; i < c * c; i++) assert.ok(Math.abs(stats.g[i] - exact.g[i]) <= 1e-9 * largest, `G[${i}]: ${stats.g[i]} vs ${exact.g[i]}`);
  const w = solveMaskedRidge(stats, () => true, WEIGHT_DECAY, 1);
  // The same ridge system solved from the exact Float64 statistics.
  const alpha = (WEIGHT_DECAY * positions * n) / 2;
  const a = Float64Array.from(exact.g);
  for (let u = 0; u < c; u++) a[u * c + u] += alpha;
  const l = choleskyJittered(a, c);
  for (let j = 0; j < n; j++) {
    const want = choleskySolve(l, c, Float64Array.from({ length: c }, (_, r) => exact.b[r * n + j]));
    const norm = Math.hypot(...want);
    for (let r = 0; r < c; r++) assert.ok(Math.abs(w[r * n + j] - want[r]) <= 1e-3 * norm, `W[${r}][${j}]: ${w[r * n + j]} vs ${want[r]}`);
  }
});

test('exactly collinear channels and no ridge: the factorisation retries with a jitter and gives a least-squares fit', () => {
  // x0 = x1 (a duplicated channel), y = 2·x0 + x2: any w0 + w1 = 2, w2 = 1 fits exactly; the Gram is singular.
  const positions = 200;
  const u = uniform(2 * positions, 5);
  const x = new Float32Array(3 * positions);
  const y = new Float32Array(positions);
  for (let p = 0; p < positions; p++) {
    x[3 * p] = x[3 * p + 1] = u[2 * p];
    x[3 * p + 2] = u[2 * p + 1];
    y[p] = 2 * x[3 * p] + x[3 * p + 2];
  }
  const { g, b } = reference(x, y, 3, 1);
  const stats: GramStats = { rows: 3, taps: 3, cols: 1, hasBias: false, positions, g, b, yy: 0, layer: 'dup' };
  assert.throws(() => choleskyJittered(g, 3, 'dup', []), GramFactorError, 'without a jitter the singular Gram does not factorise');
  const w = solveMaskedRidge(stats, () => true, 0, 1);
  assert.ok(Math.abs(w[0] + w[1] - 2) < 1e-4, `w0 + w1 = ${w[0] + w[1]}`);
  assert.ok(Math.abs(w[0] - w[1]) < 1e-4, `the jitter's minimum-norm split: ${w[0]} vs ${w[1]}`);
  assert.ok(Math.abs(w[2] - 1) < 1e-4, `w2 = ${w[2]}`);
});

test('a finite Gram that no jitter makes positive definite fails saying its values are finite, naming the layer and row', () => {
  // Not a Gram of any data (eigenvalues 3 and −1): only a bug could make one, and the message must not blame NaN.
  const g = Float64Array.from([1, 2, 2, 1]);
  assert.throws(() => choleskyJittered(g, 2, 'block_4_project'), (e: Error) => {
    assert.ok(e instanceof GramFactorError);
    assert.match(e.message, /layer block_4_project/);
    assert.match(e.message, /pivot at row 1 was -3/);
    assert.match(e.message, /values are finite/);
    assert.doesNotMatch(e.message, /NaN|non-finite/);
    return true;
  });
});

for (const [what, value, where, tensor] of [
  ['NaN in the input', NaN, 'x', /input on the selection set \(the pruned network's activations\) holds NaN or ±∞/],
  ['∞ in the input', Infinity, 'x', /holds NaN or ±∞/],
  ['input values whose squares overflow float32', 3e19, 'x', /so large that their products overflow float32/],
  ['NaN in the target', NaN, 'target', /original network's output of this conv on the selection set \(the target\)/],
] as const) {
  test(`${what}: the Gram accumulation fails naming the layer, the tensor and what to try`, async () => {
    const before = tf.memory().numTensors;
    const values = uniform(2 * 4 * 4 * 3, 9);
    values[17] = value;
    const clean = uniform(2 * 4 * 4 * 3, 10);
    const batch = {
      x: tf.tensor4d(where === 'x' ? values : clean, [2, 4, 4, 3]),
      target: tf.tensor4d(where === 'target' ? values : clean, [2, 4, 4, 3]),
    };
    await assert.rejects(accumulateGram([batch], spec, [1, 1, 3, 3], true), (e: Error) => {
      assert.ok(e instanceof NonFiniteStatsError, `${e.name}: ${e.message}`);
      assert.match(e.message, /layer block_9_project/);
      assert.match(e.message, tensor);
      if (where === 'x') assert.match(e.message, /activations overflowed float32.*fine-tune diverged \(lower --lr/);
      return true;
    });
    tf.dispose([batch.x, batch.target]);
    assert.equal(tf.memory().numTensors, before, 'no leaked tensors');
  });
}
