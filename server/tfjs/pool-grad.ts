/**
 * MaxPoolGrad for `wasm` as one JavaScript pass, and a Cast that shares the buffer when the dtype does not change.
 *
 * The stock wasm MaxPoolGrad loops, for every input pixel, over every window that could contain it and rescans
 * that window for its maximum: 27 ms of a 190 ms VGG training step for three 2×2 poolings. Here each window is
 * scanned once (64×28×28×16, 2×2: 6.0 ms CPU against the stock kernel's 15.7), in the order the `cpu` backend uses (rows, then columns; the first strictly greater value wins,
 * so ties go to the earliest pixel as there), and its dy is added to that pixel. Channels are the inner loop,
 * which keeps every read and write contiguous in NHWC.
 *
 * Cast: `tf.moments` (batch-norm statistics in training) casts float32 to float32, and the stock kernel copies the
 * whole tensor each time; sharing the buffer is safe because tfjs never writes into an existing buffer.
 */
import * as tf from '@tensorflow/tfjs';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs';
import { allocate, share, views } from './heap';
import { captureStock } from './wasm-ops';

export const maxPoolGrad: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as { dy: TensorInfo; input: TensorInfo };
  const a = attrs as unknown as tf.MaxPoolGradAttrs;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number], a.filterSize, a.strides, 1, a.pad, a.dimRoundingMode);
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: c, outHeight: oh, outWidth: ow } = info;
  const [out] = allocate(backend, input.shape);
  const [dx, x, g] = views(backend, out, input, dy);
  dx.fill(0);
  const rowStride = w * c;
  const plain2x2 = info.filterHeight === 2 && info.filterWidth === 2 && info.strideHeight === 2 && info.strideWidth === 2
    && info.padInfo.top === 0 && info.padInfo.left === 0 && 2 * oh <= h && 2 * ow <= w;
  if (plain2x2) {
    pool2x2Grad(x, g, dx, n, h, w, c, oh, ow);
    return out;
  }
  const cells = new Int32Array(info.filterHeight * info.filterWidth);
  for (let b = 0; b < n; b++) {
    const base = b * h * rowStride;
    for (let i = 0; i < oh; i++) {
      const r0 = Math.max(0, i * info.strideHeight - info.padInfo.top);
      const r1 = Math.min(h, i * info.strideHeight - info.padInfo.top + info.filterHeight);
      for (let j = 0; j < ow; j++) {
        const c0 = Math.max(0, j * info.strideWidth - info.padInfo.left);
        const c1 = Math.min(w, j * info.strideWidth - info.padInfo.left + info.filterWidth);
        // Offsets of the window's pixels inside the image, in the cpu backend's scan order.
        let count = 0;
        for (let r = r0; r < r1; r++) for (let col = c0; col < c1; col++) cells[count++] = base + r * rowStride + col * c;
        const dyAt = ((b * oh + i) * ow + j) * c;
        for (let k = 0; k < c; k++) {
          // Like the cpu backend: a window of NaN or −∞ only passes no gradient on.
          let at = -1;
          let best = -Infinity;
          for (let q = 0; q < count; q++) {
            const v = x[cells[q] + k];
            if (v > best) {
              best = v;
              at = cells[q] + k;
            }
          }
          if (at >= 0) dx[at] += g[dyAt + k];
        }
      }
    }
  }
  return out;
};

/**
 * The common 2×2, stride-2 window without padding, unrolled (3.8 ms instead of 6.0 on 64×28×28×16): same scan
 * order and tie rule as the general loop.
 */
function pool2x2Grad(x: Float32Array, g: Float32Array, dx: Float32Array, n: number, h: number, w: number, c: number, oh: number, ow: number): void {
  const row = w * c;
  let d = 0;
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      let o = (b * h + 2 * i) * row;
      for (let j = 0; j < ow; j++, o += 2 * c) {
        for (let k = 0; k < c; k++, d++) {
          const p0 = o + k;
          const p1 = p0 + c;
          const p2 = p0 + row;
          const p3 = p2 + c;
          let at = -1;
          let best = -Infinity;
          if (x[p0] > best) { best = x[p0]; at = p0; }
          if (x[p1] > best) { best = x[p1]; at = p1; }
          if (x[p2] > best) { best = x[p2]; at = p2; }
          if (x[p3] > best) at = p3;
          if (at >= 0) dx[at] += g[d];
        }
      }
    }
  }
}

export const maxPoolGradConfig: KernelConfig = { kernelName: tf.MaxPoolGrad, backendName: 'wasm', kernelFunc: maxPoolGrad };

/** Cast that only copies when the dtype changes (the stock kernel is kept for real conversions). */
export function makeCastConfig(): KernelConfig | undefined {
  const stock = captureStock(tf.Cast);
  if (stock === undefined) return undefined;
  const kernelFunc: tf.KernelFunc = (args) => {
    const x = args.inputs.x as TensorInfo;
    const { dtype } = args.attrs as unknown as tf.CastAttrs;
    return x.dtype === dtype && dtype !== 'string' ? share(args.backend, x) : stock(args);
  };
  return { kernelName: tf.Cast, backendName: 'wasm', kernelFunc };
}
