import * as tf from '@tensorflow/tfjs';
import type { ConvSpec } from '../exec/layers';
import { checkCancelled, yieldToLoop } from '../run/cancel';

/**
 * L_M is quadratic in the layer's weights (issue 11): with X the unfolded input (one row per output position, one
 * column per kernel tap (i, j, k), plus a ones column when the conv has a bias) and Y the baseline's raw output,
 * L_M(W) = ‖XW − Y‖² / (P·n) = (tr(WᵀGW) − 2·tr(WᵀB) + ‖Y‖²) / (P·n) with G = XᵀX and B = XᵀY.
 * The divisor P·n (positions × filters) is the plain mean the SGD path takes (DCP-SPEC §3), so both paths agree.
 * Row r of W is tap (i, j, k) at r = (i·kw + j)·c + k, the row-major order of a [kh, kw, c, n] kernel; the bias is
 * the last row. Sums are kept in Float64: the value subtracts large, nearly equal terms.
 */
export interface GramStats {
  /** Rows of W: kh·kw·c taps, plus one for the bias. */
  rows: number;
  taps: number;
  /** Output filters n. */
  cols: number;
  hasBias: boolean;
  /** Output positions summed over the selection set (samples × height × width). */
  positions: number;
  /** rows × rows, row-major. */
  g: Float64Array;
  /** rows × cols, row-major. */
  b: Float64Array;
  /** ‖Y‖². */
  yy: number;
}

/** Bytes the Gram statistics of a [kh, kw, c, n] kernel occupy (Float64), the number the memory bound checks. */
export function gramBytes(kernelShape: readonly number[], hasBias: boolean): number {
  const [kh, kw, c, n] = kernelShape;
  const rows = kh * kw * c + (hasBias ? 1 : 0);
  return 8 * rows * (rows + n);
}

/** Rows of unfolded input materialised at once, so the im2col tensor stays near 32 MB whatever the batch size. */
const PATCH_FLOATS = 8 * 1024 * 1024;

/**
 * One pass over the cached batches: the im2col of each batch is a convolution of its input with a one-hot kernel
 * (same stride, padding and dilation as the layer, so the positions match the layer's own output exactly).
 */
export async function accumulateGram(
  batches: readonly { x: tf.Tensor4D; target: tf.Tensor4D }[],
  spec: ConvSpec,
  kernelShape: readonly number[],
  hasBias: boolean,
  signal?: AbortSignal,
): Promise<GramStats> {
  const [kh, kw, c, n] = kernelShape;
  const taps = kh * kw * c;
  const rows = taps + (hasBias ? 1 : 0);
  const g = new Float64Array(rows * rows);
  const b = new Float64Array(rows * n);
  let yy = 0;
  let positions = 0;
  // Built in JS: tf.oneHot(…, 'float32') on the wasm backend yields int32 bits read as floats (all ~0).
  const eye = new Float32Array(taps * taps);
  for (let t = 0; t < taps; t++) eye[t * taps + t] = 1;
  const unfold = tf.tensor4d(eye, [kh, kw, c, taps]);
  try {
    for (const batch of batches) {
      // A spilled cache's batch makes fresh tensors on every read (select/spill.ts): read it only inside a tidy.
      const { samples, perSample } = tf.tidy(() => {
        const [x, t] = [batch.x, batch.target];
        return { samples: x.shape[0], perSample: t.shape[1] * t.shape[2] };
      });
      const chunk = Math.max(1, Math.floor(PATCH_FLOATS / Math.max(1, perSample * taps)));
      for (let start = 0; start < samples; start += chunk) {
        checkCancelled(signal);
        const size = Math.min(chunk, samples - start);
        const parts = tf.tidy(() => {
          const x = batch.x.slice([start, 0, 0, 0], [size, -1, -1, -1]);
          const y = tf.reshape(batch.target.slice([start, 0, 0, 0], [size, -1, -1, -1]), [-1, n]) as tf.Tensor2D;
          const patches = tf.reshape(tf.conv2d(x, unfold, spec.strides, spec.padding, 'NHWC', spec.dilation), [-1, taps]) as tf.Tensor2D;
          return [tf.matMul(patches, patches, true, false), tf.matMul(patches, y, true, false), tf.sum(patches, 0), tf.sum(y, 0), tf.sum(tf.square(y))];
        });
        const [gg, xy, xs, ys, y2] = await Promise.all(parts.map((t) => t.data()));
        tf.dispose(parts);
        for (let r = 0; r < taps; r++) {
          for (let q = 0; q < taps; q++) g[r * rows + q] += gg[r * taps + q];
          for (let j = 0; j < n; j++) b[r * n + j] += xy[r * n + j];
        }
        if (hasBias) {
          const last = taps;
          for (let r = 0; r < taps; r++) { g[r * rows + last] += xs[r]; g[last * rows + r] += xs[r]; }
          g[last * rows + last] += size * perSample;
          for (let j = 0; j < n; j++) b[last * n + j] += ys[j];
        }
        yy += y2[0];
        positions += size * perSample;
        await yieldToLoop();
      }
    }
  } finally {
    unfold.dispose();
  }
  return { rows, taps, cols: n, hasBias, positions, g, b, yy };
}

/** W as the Gram rows: the kernel's values in row-major order, then the bias (or nothing). */
export function flatWeights(kernel: ArrayLike<number>, bias: ArrayLike<number> | null, stats: GramStats): Float64Array {
  const w = new Float64Array(stats.rows * stats.cols);
  for (let i = 0; i < stats.taps * stats.cols; i++) w[i] = kernel[i];
  if (stats.hasBias && bias) for (let j = 0; j < stats.cols; j++) w[stats.taps * stats.cols + j] = bias[j];
  return w;
}

/**
 * L_M's value and gradient ∂L_M/∂W = 2(GW − B)/(P·n), with no pass over the data. `rows`, when given (ascending),
 * limits the gradient to those rows (the others are left 0): a masked SGD step multiplies every other row by zero
 * anyway, and GW's rows are the cost (rows × live × n multiply-adds in JS; a 960-channel 1×1 conv makes that
 * ~2·10⁸ per call). They must include every row where W is nonzero, so the value is the same to the bit.
 */
export function gramLoss(stats: GramStats, w: Float64Array, rows?: readonly number[]): { value: number; grad: Float64Array } {
  const { rows: all, cols: n, g, b } = stats;
  const gw = new Float64Array(all * n);
  // W is zero outside the selected channels: only its nonzero rows contribute to GW.
  const live: number[] = [];
  for (let q = 0; q < all; q++) {
    for (let j = 0; j < n; j++) if (w[q * n + j] !== 0) { live.push(q); break; }
  }
  const wanted = rows ?? Array.from({ length: all }, (_, r) => r);
  for (const r of wanted) {
    const gRow = r * all;
    for (const q of live) {
      const v = g[gRow + q];
      if (v === 0) continue;
      const wRow = q * n;
      for (let j = 0; j < n; j++) gw[r * n + j] += v * w[wRow + j];
    }
  }
  let quad = 0;
  let lin = 0;
  for (let i = 0; i < all * n; i++) { quad += w[i] * gw[i]; lin += w[i] * b[i]; }
  const scale = 1 / (stats.positions * n);
  const grad = new Float64Array(all * n);
  for (const r of wanted) for (let i = r * n; i < (r + 1) * n; i++) grad[i] = 2 * scale * (gw[i] - b[i]);
  // Rounding can take an exact fit a hair below zero; a squared error cannot be negative.
  return { value: Math.max(0, (quad - 2 * lin + stats.yy) * scale), grad };
}
