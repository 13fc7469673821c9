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
  /** The conv the statistics belong to, for error messages. */
  layer?: string;
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
 * Rows each float32 product sums before its result joins the Float64 totals. `tf.matMul` sums its inner dimension
 * in float32, so a product's rounding error grows with the rows it covers; centring (below) removes most of it, and
 * this caps the rest. Smaller costs more: each product is a separate wasm call (measured on 64×56×56×144 inputs,
 * 2.2-2.3 s CPU uncentred in one product per chunk; centred, 2.7-2.8 s at 16,384 rows and 9.2-9.6 s at 1,024).
 */
const PRODUCT_ROWS = 16384;

/** The selection set could not give finite statistics: the network's activations overflowed float32. */
export class NonFiniteStatsError extends Error {}

/**
 * One pass over the cached batches: the im2col of each batch is a convolution of its input with a one-hot kernel
 * (same stride, padding and dilation as the layer, so the positions match the layer's own output exactly).
 * G stays positive semi-definite to rounding: the rows of each chunk are centred on their float32 column mean μ, and
 * each block X of ≤ PRODUCT_ROWS of them adds XᵀX = CᵀC + μsᵀ + sμᵀ + kμμᵀ (C = X − 1μᵀ, s = Cᵀ1, k rows; exact for
 * any μ) in Float64. Only CᵀC and s come from float32 sums, and their terms are small: activations with a large
 * common offset (ReLU 6 units saturated at 6, as after a stage fine-tune of issue 12's MobileNetV2) no longer lose
 * their small variations to the float32 rounding of the large ones.
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
  const stats: GramStats = {
    rows: taps + (hasBias ? 1 : 0), taps, cols: n, hasBias, positions: 0, layer: spec.name,
    g: new Float64Array((taps + (hasBias ? 1 : 0)) ** 2), b: new Float64Array((taps + (hasBias ? 1 : 0)) * n), yy: 0,
  };
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
        const [centred, mu, y] = tf.tidy(() => {
          const x = batch.x.slice([start, 0, 0, 0], [size, -1, -1, -1]);
          const patches = tf.reshape(tf.conv2d(x, unfold, spec.strides, spec.padding, 'NHWC', spec.dilation), [-1, taps]);
          const mean = tf.mean(patches, 0);
          return [tf.sub(patches, mean) as tf.Tensor2D, mean, tf.reshape(batch.target.slice([start, 0, 0, 0], [size, -1, -1, -1]), [-1, n]) as tf.Tensor2D];
        });
        try {
          const muValues = (await mu.data()) as Float32Array;
          const total = size * perSample;
          for (let row = 0; row < total; row += PRODUCT_ROWS) {
            const k = Math.min(PRODUCT_ROWS, total - row);
            const parts = tf.tidy(() => {
              const [c, yc] = k === total ? [centred, y] : [centred.slice([row, 0], [k, -1]), y.slice([row, 0], [k, -1])];
              return [tf.matMul(c, c, true, false), tf.matMul(c, yc, true, false), tf.sum(c, 0), tf.sum(yc, 0), tf.sum(tf.square(yc))];
            });
            const [cc, cy, sc, ys, y2] = (await Promise.all(parts.map((t) => t.data()))) as Float32Array[];
            tf.dispose(parts);
            addBlock(stats, k, [cc, cy, muValues, sc, ys, y2]);
            await yieldToLoop();
          }
        } finally {
          tf.dispose([centred, mu, y]);
        }
      }
    }
  } finally {
    unfold.dispose();
  }
  return stats;
}

/** Adds one block's float32 products to the Float64 totals (the identity above), after checking they are finite. */
function addBlock(stats: GramStats, k: number, [cc, cy, mu, s, ys, y2]: Float32Array[]): void {
  const { taps, rows, cols: n, g, b } = stats;
  checkFinite(stats.layer, mu, cc, cy, ys, y2);
  for (let r = 0; r < taps; r++) {
    const [mr, sr] = [mu[r], s[r]];
    for (let q = 0; q < taps; q++) g[r * rows + q] += cc[r * taps + q] + mr * s[q] + sr * mu[q] + k * mr * mu[q];
    for (let j = 0; j < n; j++) b[r * n + j] += cy[r * n + j] + mr * ys[j];
  }
  if (stats.hasBias) {
    const last = taps;
    for (let r = 0; r < taps; r++) {
      const sum = s[r] + k * mu[r];
      g[r * rows + last] += sum;
      g[last * rows + r] += sum;
    }
    g[last * rows + last] += k;
    for (let j = 0; j < n; j++) b[last * n + j] += ys[j];
  }
  stats.yy += y2[0];
  stats.positions += k;
}

const allFinite = (v: Float32Array): boolean => v.every((e) => Number.isFinite(e));

/** Names the tensor that is not finite, and what to try: the solver cannot fit anything to such statistics. */
function checkFinite(layer: string | undefined, mu: Float32Array, cc: Float32Array, cy: Float32Array, ys: Float32Array, y2: Float32Array): void {
  const where = `exact solver, layer ${layer ?? '?'}`;
  const advice = 'the network\'s activations overflowed float32. This happens when a fine-tune diverged (lower --lr, ' +
    'or run with --no-stage-finetune) or when the data is not scaled as the model expects (check the model\'s own ' +
    'outputs on it)';
  if (!allFinite(mu)) throw new NonFiniteStatsError(`${where}: the conv's input on the selection set (the pruned network's activations) holds NaN or ±∞ (or values near float32's limit): ${advice}`);
  if (!allFinite(cc)) throw new NonFiniteStatsError(`${where}: the conv's input on the selection set (the pruned network's activations) holds values so large that their products overflow float32: ${advice}`);
  if (!allFinite(ys) || !allFinite(y2)) throw new NonFiniteStatsError(`${where}: the original network's output of this conv on the selection set (the target) holds NaN, ±∞ or values whose squares overflow float32: the original model's activations overflow on this data (check that the data is scaled as the model expects)`);
  if (!allFinite(cy)) throw new NonFiniteStatsError(`${where}: the products of the conv's input with its target overflow float32: ${advice}`);
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
