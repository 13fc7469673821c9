/**
 * Conv2DBackpropFilter / Conv2DBackpropInput on wasm (our kernels) against the `cpu` backend, through tf.grads
 * of tf.conv2d with a random upstream gradient.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gradsOn, outShape, randomHost, relErr, use } from './helpers';
import { fastKernelNames } from '../../../server/tfjs/register';

const TOL = 1e-4;

interface ConvCase {
  name: string;
  x: [number, number, number, number];
  k: [number, number];
  cout: number;
  strides: [number, number] | number;
  pad: 'same' | 'valid' | [[0, 0], [number, number], [number, number], [0, 0]];
}

const cases: ConvCase[] = [];
for (const k of [1, 3, 5]) {
  for (const s of [1, 2]) {
    for (const pad of ['same', 'valid'] as const) {
      cases.push({ name: `${k}x${k} stride ${s} ${pad}`, x: [2, 9, 8, 3], k: [k, k], cout: 4, strides: s, pad });
    }
  }
}
cases.push(
  { name: '3x3 stride 3 same, odd size', x: [2, 11, 10, 3], k: [3, 3], cout: 5, strides: 3, pad: 'same' },
  { name: '3x2 strides [2,1] valid', x: [1, 9, 7, 2], k: [3, 2], cout: 3, strides: [2, 1], pad: 'valid' },
  { name: '2x3 strides [1,2] same', x: [1, 8, 9, 2], k: [2, 3], cout: 3, strides: [1, 2], pad: 'same' },
  { name: '3x3 stride 2 explicit pads', x: [2, 8, 8, 3], k: [3, 3], cout: 4, strides: 2, pad: [[0, 0], [2, 0], [1, 3], [0, 0]] },
  { name: '1x1 stride 2 same, 16→32 (ResNet shortcut)', x: [2, 14, 14, 16], k: [1, 1], cout: 32, strides: 2, pad: 'same' },
);

test('fast kernels are registered on wasm', async () => {
  await use('wasm');
  assert.deepEqual(fastKernelNames().sort(), [
    'BatchMatMul', 'Cast', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'DcpBatchNormTrain', 'DcpBatchNormTrainGrad', 'DcpReluClipGrad',
    'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'FusedBatchNorm', 'Identity', 'MaxPoolGrad',
    'Mean', 'Sum',
  ]);
});

for (const [i, c] of cases.entries()) {
  test(`conv2d gradients match cpu: ${c.name}`, async () => {
    const x = randomHost(c.x, 100 + i);
    const w = randomHost([c.k[0], c.k[1], c.x[3], c.cout], 200 + i);
    const f = (xx: tf.Tensor, ww: tf.Tensor) => tf.conv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.strides, c.pad);
    await use('cpu');
    const dy = randomHost(outShape(f as (...xs: tf.Tensor[]) => tf.Tensor, [x, w]), 300 + i);
    const [dxC, dwC] = await gradsOn('cpu', f as (...xs: tf.Tensor[]) => tf.Tensor, [x, w], dy);
    const [dxW, dwW] = await gradsOn('wasm', f as (...xs: tf.Tensor[]) => tf.Tensor, [x, w], dy);
    assert.ok(relErr(dxW, dxC) < TOL, `dx rel err ${relErr(dxW, dxC)}`);
    assert.ok(relErr(dwW, dwC) < TOL, `dW rel err ${relErr(dwW, dwC)}`);
  });
}

test('fused conv2d (the layers path) with bias and relu matches cpu', async () => {
  const x = randomHost([2, 10, 10, 4], 7);
  const w = randomHost([3, 3, 4, 6], 8);
  const b = randomHost([6], 9);
  const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor) => tf.fused.conv2d({
    x: xx as tf.Tensor4D, filter: ww as tf.Tensor4D, strides: 2, pad: 'same', bias: bb, activation: 'relu',
  });
  await use('cpu');
  const dy = randomHost(outShape(f as (...xs: tf.Tensor[]) => tf.Tensor, [x, w, b]), 10);
  const cpu = await gradsOn('cpu', f as (...xs: tf.Tensor[]) => tf.Tensor, [x, w, b], dy);
  const wasm = await gradsOn('wasm', f as (...xs: tf.Tensor[]) => tf.Tensor, [x, w, b], dy);
  cpu.forEach((g, j) => assert.ok(relErr(wasm[j], g) < TOL, `grad ${j} rel err ${relErr(wasm[j], g)}`));
});
