/**
 * The FusedBatchNorm gradient (ours, registered for every backend) against an independent reference: the same
 * formula written with elementary ops, differentiated by tfjs on `cpu`. The FusedBatchNorm forward, Sum/Mean and
 * BatchMatMul with transposes on wasm (ours) against `cpu`; Sum/Mean gradients against their definition.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gradsOn, type HostTensor, randomHost, relErr, use } from './helpers';
import { fusedBatchNormGradConfig } from '../../../server/tfjs/batchnorm';

const TOL = 1e-4;
const EPS = 1e-3;

/** Positive variances in [0.5, 1.5]. */
function positive(h: HostTensor): HostTensor {
  return { data: h.data.map((v) => 1 + 0.5 * v), shape: h.shape };
}

const composite = (withScale: boolean) => (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset: tf.Tensor, scale?: tf.Tensor) => {
  const normed = tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, EPS)));
  return tf.add(withScale && scale ? tf.mul(normed, scale) : normed, offset);
};

const fused = (x: tf.Tensor, mean: tf.Tensor, variance: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor) =>
  tf.batchNorm(x, mean, variance, offset, scale, EPS);

for (const shape of [[4, 5, 6, 3], [8, 7]]) {
  test(`batchNorm gradient (all five inputs) matches the composite formula: x ${shape.join('×')}`, async () => {
    const c = shape[shape.length - 1];
    const inputs = [randomHost(shape, 1), randomHost([c], 2), positive(randomHost([c], 3)), randomHost([c], 4), randomHost([c], 5)];
    const dy = randomHost(shape, 6);
    const ref = await gradsOn('cpu', composite(true) as (...xs: tf.Tensor[]) => tf.Tensor, inputs, dy);
    const ours = await gradsOn('wasm', fused as (...xs: tf.Tensor[]) => tf.Tensor, inputs, dy);
    assert.equal(ours.length, 5);
    ref.forEach((g, i) => assert.ok(relErr(ours[i], g) < TOL, `input ${i}: rel err ${relErr(ours[i], g)}`));
  });
}

test('batchNorm gradient without scale (gradFunc called directly) matches the composite formula', async () => {
  // tfjs cannot record FusedBatchNorm without a scale on the tape (the engine clones the missing input, with the
  // stock gradient too), so the scale-less branch of our gradient is exercised by calling it directly.
  const shape = [3, 4, 4, 6];
  const inputs = [randomHost(shape, 51), randomHost([6], 52), positive(randomHost([6], 53)), randomHost([6], 54)];
  const dy = randomHost(shape, 55);
  const ref = await gradsOn('cpu', composite(false) as (...xs: tf.Tensor[]) => tf.Tensor, inputs, dy);
  await use('wasm');
  const before = tf.memory().numTensors;
  const ours = tf.tidy(() => {
    const [x, mean, variance] = inputs.map((h) => tf.tensor(h.data, h.shape));
    const thunks = fusedBatchNormGradConfig.gradFunc(tf.tensor(dy.data, dy.shape), [x, mean, variance], { varianceEpsilon: EPS });
    return [thunks.x(), thunks.mean(), thunks.variance(), thunks.offset()];
  });
  const data = await Promise.all(ours.map((t) => t.data()));
  tf.dispose(ours);
  assert.equal(tf.memory().numTensors, before);
  ref.forEach((g, i) => assert.ok(relErr(data[i], g) < TOL, `input ${i}: rel err ${relErr(data[i], g)}`));
});

test('batchNorm in training mode (mean/variance from moments, as layers does) matches the composite', async () => {
  const shape = [6, 4, 4, 5];
  const inputs = [randomHost(shape, 11), randomHost([5], 12), randomHost([5], 13)];
  const dy = randomHost(shape, 14);
  const train = (useFused: boolean) => (x: tf.Tensor, offset: tf.Tensor, scale: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    return useFused ? fused(x, mean, variance, offset, scale) : composite(true)(x, mean, variance, offset, scale);
  };
  const ref = await gradsOn('cpu', train(false) as (...xs: tf.Tensor[]) => tf.Tensor, inputs, dy);
  const ours = await gradsOn('wasm', train(true) as (...xs: tf.Tensor[]) => tf.Tensor, inputs, dy);
  ref.forEach((g, i) => assert.ok(relErr(ours[i], g) < TOL, `input ${i}: rel err ${relErr(ours[i], g)}`));
});

/** tf.batchNorm forward on `name`, optional scale/offset, as host data. */
async function batchNormOn(name: 'wasm' | 'cpu', ins: HostTensor[], withScale: boolean, withOffset: boolean): Promise<Float32Array> {
  await use(name);
  const [x, mean, variance, offset, scale] = ins.map((h) => tf.tensor(h.data, h.shape));
  const y = tf.batchNorm(x, mean, variance, withOffset ? offset : undefined, withScale ? scale : undefined, EPS);
  const data = (await y.data()) as Float32Array;
  tf.dispose([x, mean, variance, offset, scale, y]);
  return data;
}

for (const shape of [[4, 5, 6, 3], [8, 7]]) {
  for (const [withScale, withOffset] of [[true, true], [false, true], [true, false], [false, false]]) {
    test(`batchNorm forward (ours on wasm) matches cpu: x ${shape.join('×')}, scale ${withScale}, offset ${withOffset}`, async () => {
      const c = shape[shape.length - 1];
      const ins = [randomHost(shape, 61), randomHost([c], 62), positive(randomHost([c], 63)), randomHost([c], 64), randomHost([c], 65)];
      const cpu = await batchNormOn('cpu', ins, withScale, withOffset);
      const wasm = await batchNormOn('wasm', ins, withScale, withOffset);
      assert.ok(relErr(wasm, cpu) < TOL, `rel err ${relErr(wasm, cpu)}`);
    });
  }
}

test('batchNorm forward stays accurate when |mean| is 100× the std', async () => {
  const shape = [16, 4, 4, 8];
  const x = randomHost(shape, 71);
  const ins = [{ data: x.data.map((v) => 100 + v), shape }, { data: new Float32Array(8).fill(100), shape: [8] },
    { data: new Float32Array(8).fill(0.33), shape: [8] }, randomHost([8], 74), randomHost([8], 75)];
  const cpu = await batchNormOn('cpu', ins, true, true);
  const wasm = await batchNormOn('wasm', ins, true, true);
  assert.ok(relErr(wasm, cpu) < TOL, `rel err ${relErr(wasm, cpu)}`);
});

for (const [ta, tb] of [[false, false], [true, false], [false, true], [true, true]]) {
  for (const batch of [0, 3]) {
    test(`matMul transposeA=${ta} transposeB=${tb} ${batch ? `batch ${batch}` : '2-D'} matches cpu`, async () => {
      const lead = batch ? [batch] : [];
      const aShape = [...lead, ...(ta ? [7, 5] : [5, 7])];
      const bShape = [...lead, ...(tb ? [4, 7] : [7, 4])];
      const a = randomHost(aShape, 20 + batch);
      const b = randomHost(bShape, 30 + batch);
      const f = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x, y, ta, tb);
      const dy = randomHost([...lead, 5, 4], 40);
      const cpu = await gradsOn('cpu', f as (...xs: tf.Tensor[]) => tf.Tensor, [a, b], dy);
      const wasm = await gradsOn('wasm', f as (...xs: tf.Tensor[]) => tf.Tensor, [a, b], dy);
      cpu.forEach((g, i) => assert.ok(relErr(wasm[i], g) < TOL, `grad ${i}: rel err ${relErr(wasm[i], g)}`));
      // Forward values too (the gradients above only exercise the two transposed variants of each product).
      await use('wasm');
      const fw = tf.tidy(() => f(tf.tensor(a.data, a.shape), tf.tensor(b.data, b.shape)));
      const fwData = await fw.data();
      fw.dispose();
      await use('cpu');
      const fc = tf.tidy(() => f(tf.tensor(a.data, a.shape), tf.tensor(b.data, b.shape)));
      const fcData = await fc.data();
      fc.dispose();
      assert.ok(relErr(fwData, fcData) < TOL);
    });
  }
}

const reduceCases: [number[], number | number[], boolean][] = [
  [[4, 5, 6, 3], [0, 1, 2], false], [[4, 5, 6, 3], [0, 1, 2], true], [[4, 5, 6, 3], [0], false], [[4, 5, 6, 3], [1, 0], true],
  [[4, 5, 6, 3], [1, 2], false], [[4, 5, 6, 3], -1, false], [[4, 5, 6, 3], [0, 1, 2, 3], false], [[64, 10], 0, false],
  [[1, 7, 3], [0], false], [[300, 2], [0], true],
];
for (const [shape, axis, keepDims] of reduceCases) {
  test(`sum and mean over ${JSON.stringify(axis)} of ${shape.join('×')} (keepDims ${keepDims}) match cpu`, async () => {
    const x = randomHost(shape, 90);
    const run = async (name: 'wasm' | 'cpu') => {
      await use(name);
      const t = tf.tensor(x.data, x.shape);
      const s = tf.sum(t, axis, keepDims);
      const m = tf.mean(t, axis, keepDims);
      const out = { s: await s.data(), m: await m.data(), shape: s.shape, mShape: m.shape };
      tf.dispose([t, s, m]);
      return out;
    };
    const cpu = await run('cpu');
    const wasm = await run('wasm');
    assert.deepEqual(wasm.shape, cpu.shape);
    assert.deepEqual(wasm.mShape, cpu.mShape);
    assert.ok(relErr(wasm.s, cpu.s) < TOL, `sum rel err ${relErr(wasm.s, cpu.s)}`);
    assert.ok(relErr(wasm.m, cpu.m) < TOL, `mean rel err ${relErr(wasm.m, cpu.m)}`);
  });
}

test('int32 sums stay exact on wasm (16777223 is not a float32)', async () => {
  await use('wasm');
  const t = tf.tensor2d([[1, 2], [3, 4], [5, 16777217]], [3, 2], 'int32');
  const s = tf.sum(t, 0);
  assert.equal(s.dtype, 'int32');
  assert.deepEqual(Array.from(await s.data()), [9, 16777223]);
  tf.dispose([t, s]);
});

/** dx of sum/mean over `axes` for upstream dy: dy broadcast back over the reduced axes (÷ count for mean). */
function broadcastBack(shape: number[], axes: number[], dy: Float32Array, mean: boolean): Float32Array {
  const size = shape.reduce((p, q) => p * q, 1);
  const keptShape = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const count = axes.reduce((p, a) => p * shape[a], 1);
  const out = new Float32Array(size);
  for (let flat = 0; flat < size; flat++) {
    let rest = flat;
    let kept = 0;
    for (let i = shape.length - 1, stride = 1; i >= 0; i--) {
      const idx = rest % shape[i];
      rest = Math.floor(rest / shape[i]);
      if (!axes.includes(i)) kept += idx * stride;
      stride *= keptShape[i];
    }
    out[flat] = mean ? dy[kept] / count : dy[kept];
  }
  return out;
}

for (const [shape, axes] of [[[3, 4, 5], [0, 2]], [[4, 5, 6, 3], [0, 1, 2]], [[6, 7], [1]]] as [number[], number[]][]) {
  test(`sum and mean gradients over ${JSON.stringify(axes)} of ${shape.join('×')} broadcast dy back`, async () => {
    const x = randomHost(shape, 95);
    const outShape = shape.filter((_, i) => !axes.includes(i));
    const dy = randomHost(outShape, 96);
    for (const name of ['wasm', 'cpu'] as const) {
      const [ds] = await gradsOn(name, ((t: tf.Tensor) => tf.sum(t, axes)) as (...xs: tf.Tensor[]) => tf.Tensor, [x], dy);
      const [dm] = await gradsOn(name, ((t: tf.Tensor) => tf.mean(t, axes)) as (...xs: tf.Tensor[]) => tf.Tensor, [x], dy);
      assert.ok(relErr(ds, broadcastBack(shape, axes, dy.data, false)) < TOL, `${name} sum grad`);
      assert.ok(relErr(dm, broadcastBack(shape, axes, dy.data, true)) < TOL, `${name} mean grad`);
    }
  });
}
