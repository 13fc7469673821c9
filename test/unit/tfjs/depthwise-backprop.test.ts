/**
 * DepthwiseConv2dNativeBackpropFilter / -Input on wasm (our kernels): against `cpu` through tf.grads, and, for
 * dilated convolutions (the cpu kernels ignore dilation and tf.grads refuses it), against a direct loop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { gradsOn, type HostTensor, kernelOn, outShape, randomHost, relErr, use } from './helpers';

const TOL = 1e-4;

interface DwCase { k: number; s: number; pad: 'same' | 'valid'; m: number }
const cases: DwCase[] = [];
for (const k of [1, 3, 5]) for (const s of [1, 2]) for (const pad of ['same', 'valid'] as const) for (const m of [1, 2]) {
  if (k === 1 && m === 2 && pad === 'valid') continue;
  cases.push({ k, s, pad, m });
}

for (const [i, c] of cases.entries()) {
  test(`depthwise gradients match cpu: ${c.k}x${c.k} stride ${c.s} ${c.pad} multiplier ${c.m}`, async () => {
    const x = randomHost([2, 9, 8, 3], 400 + i);
    const w = randomHost([c.k, c.k, 3, c.m], 500 + i);
    const f = (xx: tf.Tensor, ww: tf.Tensor) => tf.depthwiseConv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, c.s, c.pad);
    await use('cpu');
    const dy = randomHost(outShape(f as (...xs: tf.Tensor[]) => tf.Tensor, [x, w]), 600 + i);
    const [dxC, dwC] = await gradsOn('cpu', f as (...xs: tf.Tensor[]) => tf.Tensor, [x, w], dy);
    const [dxW, dwW] = await gradsOn('wasm', f as (...xs: tf.Tensor[]) => tf.Tensor, [x, w], dy);
    assert.ok(relErr(dxW, dxC) < TOL, `dx rel err ${relErr(dxW, dxC)}`);
    assert.ok(relErr(dwW, dwC) < TOL, `dW rel err ${relErr(dwW, dwC)}`);
  });
}

/** Direct-loop dW and dx of a depthwise conv (any stride, dilation, padding), the definition itself. */
function depthwiseReference(
  x: HostTensor, w: HostTensor, dy: HostTensor, s: number, d: number, top: number, left: number,
): { dw: Float32Array; dx: Float32Array } {
  const [n, h, wd, c] = x.shape;
  const [kh, kw, , m] = w.shape;
  const [, ho, wo] = dy.shape;
  const dw = new Float32Array(w.data.length);
  const dx = new Float32Array(x.data.length);
  for (let b = 0; b < n; b++) for (let i = 0; i < ho; i++) for (let j = 0; j < wo; j++) {
    for (let a = 0; a < kh; a++) for (let e = 0; e < kw; e++) {
      const r = i * s + a * d - top;
      const q = j * s + e * d - left;
      if (r < 0 || r >= h || q < 0 || q >= wd) continue;
      for (let ch = 0; ch < c; ch++) for (let mm = 0; mm < m; mm++) {
        const g = dy.data[((b * ho + i) * wo + j) * c * m + ch * m + mm];
        const xi = ((b * h + r) * wd + q) * c + ch;
        const wi = ((a * kw + e) * c + ch) * m + mm;
        dw[wi] += x.data[xi] * g;
        dx[xi] += w.data[wi] * g;
      }
    }
  }
  return { dw, dx };
}

for (const m of [1, 2]) {
  for (const pad of ['same', 'valid'] as const) {
    test(`dilated depthwise kernels match a direct loop: 3x3 dilation 2 ${pad} multiplier ${m}`, async () => {
      const x = randomHost([2, 10, 9, 3], 700 + m);
      const w = randomHost([3, 3, 3, m], 710 + m);
      const info = tf.backend_util.computeConv2DInfo([2, 10, 9, 3], [3, 3, 3, m], 1, 2, pad, undefined, true);
      const dy = randomHost(info.outShape, 720 + m);
      const ref = depthwiseReference(x, w, dy, 1, 2, info.padInfo.top, info.padInfo.left);
      const common = { strides: [1, 1], dilations: [2, 2], pad };
      const dw = await kernelOn('wasm', tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { ...common, filterShape: w.shape });
      const dx = await kernelOn('wasm', tf.DepthwiseConv2dNativeBackpropInput, { dy, filter: w }, { ...common, inputShape: x.shape });
      assert.ok(relErr(dw, ref.dw) < TOL, `dW rel err ${relErr(dw, ref.dw)}`);
      assert.ok(relErr(dx, ref.dx) < TOL, `dx rel err ${relErr(dx, ref.dx)}`);
    });
  }
}

test('the direct loop itself agrees with cpu on an undilated strided case', async () => {
  const x = randomHost([1, 7, 7, 2], 800);
  const w = randomHost([3, 3, 2, 2], 801);
  const info = tf.backend_util.computeConv2DInfo([1, 7, 7, 2], [3, 3, 2, 2], 2, 1, 'same', undefined, true);
  const dy = randomHost(info.outShape, 802);
  const ref = depthwiseReference(x, w, dy, 2, 1, info.padInfo.top, info.padInfo.left);
  const f = (xx: tf.Tensor, ww: tf.Tensor) => tf.depthwiseConv2d(xx as tf.Tensor4D, ww as tf.Tensor4D, 2, 'same');
  const [dxC, dwC] = await gradsOn('cpu', f as (...xs: tf.Tensor[]) => tf.Tensor, [x, w], dy);
  assert.ok(relErr(ref.dx, dxC) < TOL && relErr(ref.dw, dwC) < TOL);
  await use('wasm');
});
