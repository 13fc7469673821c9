import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { GraphRunner } from '../../../server/dcp/exec/executor';
import { inputOnlyGradOverrides } from '../../../server/dcp/exec/input-grad';
import { initBackend } from '../../../server/tfjs/backend';
import { RELU_CLIP_GRAD } from '../../../server/tfjs/relu-clip-grad';

before(async () => {
  await initBackend('wasm');
});

/** x → conv (selected) → BN → ReLU6 → conv 1×1 (linear, bias: fused) → BN → conv 3×3 stride 2 (linear, no bias) → pool → dense. */
function model(): tf.LayersModel {
  const input = tf.input({ shape: [9, 9, 4] });
  let h = tf.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', name: 'sel', kernelInitializer: tf.initializers.glorotUniform({ seed: 1 }) }).apply(input) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ name: 'bn1' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.reLU({ maxValue: 6, name: 'r1' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 8, kernelSize: 1, name: 'pw', kernelInitializer: tf.initializers.glorotUniform({ seed: 2 }) }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.batchNormalization({ name: 'bn2' }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, useBias: false, name: 'c3', kernelInitializer: tf.initializers.glorotUniform({ seed: 3 }) }).apply(h) as tf.SymbolicTensor;
  h = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(h) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, name: 'fc', kernelInitializer: tf.initializers.glorotUniform({ seed: 4 }) }).apply(h) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out });
}

test('input-only conv gradients: same values and the same gradient bits, without the rest\'s filter gradients', async () => {
  const m = model();
  const runner = new GraphRunner(m);
  const overrides = inputOnlyGradOverrides(runner);
  assert.deepEqual([...overrides.keys()].sort(), ['c3', 'pw', 'r1', 'sel']);
  // Wide enough that the ReLU 6 sees values below 0, inside (0, 6] and above 6.
  const x = tf.randomNormal([4, 9, 9, 4], 0, 3, 'float32', 5);
  const w = tf.randomNormal([3, 3, 4, 6], 0, 0.3, 'float32', 6);
  const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
  const loss = (wt: tf.Tensor, withOverrides: boolean): tf.Scalar => {
    const raw = tf.conv2d(x as tf.Tensor4D, wt as tf.Tensor4D, 1, 'same');
    const o = runner.run(new Map([['sel', raw]]), ['fc'], { training: false, ...(withOverrides ? { overrides } : {}) });
    return tf.losses.softmaxCrossEntropy(labels, o.get('fc')!) as tf.Scalar;
  };
  const profiled = async (withOverrides: boolean): Promise<{ value: Float32Array; grad: Float32Array; filterGrads: number; clipGrads: number; selects: number }> => {
    let value: Float32Array | null = null;
    let grad: Float32Array | null = null;
    const info = await tf.profile(async () => {
      const g = tf.grad((wt: tf.Tensor) => loss(wt, withOverrides))(w);
      const v = tf.tidy(() => loss(w, withOverrides));
      grad = await g.data() as Float32Array;
      value = await v.data() as Float32Array;
      tf.dispose([g, v]);
      return [];
    });
    const count = (name: string): number => info.kernels.filter((k) => k.name === name).length;
    return { value: value!, grad: grad!, filterGrads: count('Conv2DBackpropFilter'), clipGrads: count(RELU_CLIP_GRAD), selects: count('Select') };
  };
  const before = tf.memory().numTensors;
  const stock = await profiled(false);
  const ours = await profiled(true);
  assert.equal(tf.memory().numTensors, before, 'no tensor leaks');
  assert.deepEqual(Array.from(ours.value), Array.from(stock.value));
  assert.deepEqual(Array.from(ours.grad), Array.from(stock.grad), 'the gradient with respect to the selected conv is the same, bit for bit');
  assert.ok(stock.grad.some((v) => v !== 0));
  // Stock: the selected conv's own filter gradient plus one for each fused conv of the rest (pw, c3); ours: only the first.
  assert.equal(stock.filterGrads, 3);
  assert.equal(ours.filterGrads, 1);
  // The ReLU 6's gradient: clipByValue's Select and friends on stock, one kernel here.
  assert.equal(stock.clipGrads, 0);
  assert.ok(stock.selects >= 1);
  assert.equal(ours.clipGrads, 1);
  assert.equal(ours.selects, 0);
  tf.dispose([x, w, labels]);
  m.dispose();
});

test('the capped-ReLU gradient kernel equals the stock gradient of relu then clipByValue, signed zeros included', () => {
  const xs = [-7, -1, -0, 0, 1e-30, 0.5, 5.999, 6, 6.0001, 9, 3, -3];
  const dys = [1, -2, -3, 4, -5, 6, -7, 8, -9, 10, -11, 12];
  const x = tf.tensor4d(xs, [1, 1, 3, 4]);
  const dy = tf.tensor4d(dys, [1, 1, 3, 4]);
  const stock = tf.tidy(() => tf.grad((t: tf.Tensor) => tf.clipByValue(tf.relu(t), 0, 6))(x, dy));
  const ours = tf.engine().runKernel(RELU_CLIP_GRAD, { dy, x }, { max: 6 }) as tf.Tensor;
  const a = Array.from(stock.dataSync());
  const b = Array.from(ours.dataSync());
  assert.ok(a.every((v, i) => Object.is(v, b[i])), `stock ${a.join(',')} vs ours ${b.join(',')}`);
  assert.ok(b.some((v) => Object.is(v, -0)), 'a negative dy at x ≤ 0 gives -0, as dy·step(x) does');
  tf.dispose([x, dy, stock, ours]);
});
