/**
 * The fused training-mode batch norm (our DcpBatchNormTrain kernel and gradient on wasm, and the BatchNormalization
 * layer routed through it) against tfjs's own composition (tf.moments + tf.batchNorm) differentiated on `cpu`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gradsOn, type HostTensor, randomHost, relErr, use } from './helpers';
import { batchNormTraining } from '../../../server/tfjs/batchnorm-train';
import { batchNormalizationPatched } from '../../../server/tfjs/layers-batchnorm';

const EPS = 1e-3;

/** Shifted inputs (mean ≈ 3, std ≈ 0.6): the variance must not lose digits to the mean. */
function shifted(h: HostTensor): HostTensor {
  return { data: h.data.map((v) => 3 + v), shape: h.shape };
}

const reference = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => {
  const { mean, variance } = tf.moments(x, x.shape.slice(0, -1).map((_, i) => i));
  return [tf.batchNorm(x, mean, variance, beta, gamma, EPS), mean, variance];
};
const fused = (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor) => batchNormTraining(x, gamma, beta, EPS);

/** A scalar that depends on all three outputs, so the statistics' own gradients are exercised too. */
const loss = (f: typeof fused, withStats: boolean) => (x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, dy: tf.Tensor) => {
  const [y, mean, variance] = f(x, gamma, beta);
  const main = tf.sum(tf.mul(y, dy));
  return withStats ? tf.add(main, tf.add(tf.sum(tf.mul(mean, tf.range(1, mean.size + 1))), tf.sum(tf.square(variance)))) : main;
};

for (const shape of [[6, 5, 4, 3], [16, 7]]) {
  for (const withStats of [false, true]) {
    test(`fused training batch norm: outputs and gradients match tf.moments + tf.batchNorm on cpu, x ${shape.join('×')}${withStats ? ', through the statistics too' : ''}`, async () => {
      const c = shape[shape.length - 1];
      const inputs = [shifted(randomHost(shape, 1)), randomHost([c], 2), randomHost([c], 3), randomHost(shape, 4)];
      const one: HostTensor = { data: new Float32Array([1]), shape: [] };
      const wrap = (f: typeof fused) => (...xs: tf.Tensor[]) => loss(f, withStats)(xs[0], xs[1], xs[2], xs[3]);
      const ref = await gradsOn('cpu', wrap(reference as typeof fused), inputs, one);
      const ours = await gradsOn('wasm', wrap(fused), inputs, one);
      for (let i = 0; i < 3; i++) assert.ok(relErr(ours[i], ref[i]) < 1e-4, `input ${i}: rel err ${relErr(ours[i], ref[i])}`);
      await use('wasm');
      const before = tf.memory().numTensors;
      const outs = tf.tidy(() => fused(...(inputs.slice(0, 3).map((h) => tf.tensor(h.data, h.shape)) as [tf.Tensor, tf.Tensor, tf.Tensor])));
      const oursOut = await Promise.all(outs.map((t) => t.data()));
      tf.dispose(outs);
      assert.equal(tf.memory().numTensors, before);
      await use('cpu');
      const refs = tf.tidy(() => reference(...(inputs.slice(0, 3).map((h) => tf.tensor(h.data, h.shape)) as [tf.Tensor, tf.Tensor, tf.Tensor])));
      const refOut = await Promise.all(refs.map((t) => t.data()));
      tf.dispose(refs);
      refOut.forEach((r, i) => assert.ok(relErr(oursOut[i], r) < 1e-5, `output ${i}: rel err ${relErr(oursOut[i], r)}`));
    });
  }
}

test('a BatchNormalization layer in training takes the fused path on wasm and updates its moving statistics as on cpu', async () => {
  const shape = [8, 4, 4, 5];
  const x = shifted(randomHost(shape, 9));
  const run = async () => {
    const layer = tf.layers.batchNormalization({ momentum: 0.9 });
    layer.build(shape);
    const xt = tf.tensor(x.data, x.shape);
    const y = layer.apply(xt, { training: true }) as tf.Tensor;
    const data = [await y.data(), ...(await Promise.all(layer.getWeights().map((w) => w.data())))];
    tf.dispose([xt, y]);
    for (const w of layer.weights) w.dispose();
    return data;
  };
  await use('cpu');
  const ref = await run();
  await use('wasm');
  assert.ok(batchNormalizationPatched());
  const kernels: string[] = [];
  const prof = await tf.profile(async () => {
    const ours = await run();
    ref.forEach((r, i) => assert.ok(relErr(ours[i], r) < 1e-5, `output ${i}: rel err ${relErr(ours[i], r)}`));
  });
  for (const k of prof.kernels) kernels.push(k.name);
  assert.ok(kernels.includes('DcpBatchNormTrain'), kernels.join());
  assert.ok(ref[3].some((v) => v !== 0), 'the moving mean must have moved');
});
