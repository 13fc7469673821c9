import * as tf from '@tensorflow/tfjs';
import { rawConv, crossEntropy } from '../exec/layers';
import { checkCancelled, yieldToLoop } from '../run/cancel';
import type { SelectionBatch, SelectionProblem } from './selection';

export const MOMENTUM = 0.9;
export const WEIGHT_DECAY = 1e-4;

export interface PassResult { lossM: number; lossS: number; loss: number; grad: tf.Tensor4D | null }

/** λ·L_S of one batch from the conv's raw output: through the rest of the stage and its head (needs `p.rest`). */
export function weightedDiscrimination(p: SelectionProblem, batch: SelectionBatch, raw: tf.Tensor): tf.Scalar {
  return tf.mul(p.weights.s, crossEntropy(batch.labels, p.rest!(p.spec.activation(raw), batch.cut))) as tf.Scalar;
}

/**
 * The joint loss of one batch and its two parts (L_M, weighted L_S). `total` is what gets differentiated: with the
 * exact solver L_M's gradient comes from the Gram statistics, so `total` is then λ·L_S alone.
 */
function batchLoss(p: SelectionProblem, batch: SelectionBatch, w: tf.Tensor, b: tf.Tensor | null): { total: tf.Scalar; m: tf.Scalar; s: tf.Scalar } {
  const raw = rawConv(batch.x, w, b, p.spec);
  const m = tf.mean(tf.squaredDifference(raw, batch.target)) as tf.Scalar;
  const s = p.rest && p.weights.s > 0 ? weightedDiscrimination(p, batch, raw) : tf.scalar(0);
  const total = (p.weights.m > 0 && !p.gram ? tf.add(tf.mul(p.weights.m, m), s) : s) as tf.Scalar;
  return { total, m, s };
}

/**
 * One pass over the selection set: mean losses and, if asked, the mean gradient of the batch losses' `total`.
 * `loss` is m·L_M + λ·L_S whichever part the gradient covers.
 */
export async function pass(p: SelectionProblem, w: tf.Tensor4D, b: tf.Tensor1D | null, withGrad: boolean): Promise<PassResult> {
  const total = p.batches.reduce((a, x) => a + x.n, 0);
  let grad: tf.Tensor4D | null = withGrad ? tf.zerosLike(w) : null;
  const sums = [0, 0];
  try {
    for (const batch of p.batches) {
      checkCancelled(p.signal);
      const frac = batch.n / total;
      const parts = tf.tidy(() => {
        if (!withGrad) {
          const l = batchLoss(p, batch, w, b);
          return [l.m, l.s];
        }
        let kept: tf.Scalar[] = [];
        const g = tf.grad((wt: tf.Tensor) => {
          const l = batchLoss(p, batch, wt, b);
          kept = [tf.keep(l.m), tf.keep(l.s)];
          return l.total;
        })(w);
        const next = tf.add(grad!, tf.mul(g, frac));
        grad!.dispose();
        grad = tf.keep(next) as tf.Tensor4D;
        return kept;
      });
      const values = await Promise.all(parts.map((t) => t.data()));
      values.forEach((v, i) => { sums[i] += v[0] * frac; });
      tf.dispose(parts);
      await yieldToLoop();
    }
  } catch (e) {
    grad?.dispose();
    throw e;
  }
  return { loss: p.weights.m * sums[0] + sums[1], lossM: sums[0], lossS: sums[1], grad };
}

/** Adds to the batch gradients a term that holds for the whole selection set (the exact m·∂L_M). */
export type ExtraGradient = (w: tf.Tensor4D, b: tf.Tensor1D | null) => Promise<[tf.Tensor4D, tf.Tensor1D | null]>;

/**
 * `steps` Nesterov-SGD steps (momentum 0.9, weight decay 1e-4) on W and the bias with a fresh optimiser state,
 * cycling over the cached batches from `firstBatch`. Gradient and decay are multiplied by the mask, so unselected units stay exactly
 * zero (pitfall 3). `extra`, when given, is added to every step's batch gradient.
 */
export async function sgdSteps(
  p: SelectionProblem, w0: tf.Tensor4D, b0: tf.Tensor1D | null, mask: tf.Tensor, steps: number, extra: ExtraGradient | null, firstBatch = 0,
): Promise<[tf.Tensor4D, tf.Tensor1D | null]> {
  let w = w0;
  let b = b0;
  let vw: tf.Tensor4D = tf.zerosLike(w);
  let vb: tf.Tensor1D | null = b ? tf.zerosLike(b) : null;
  const lr = p.learningRate;
  try {
    for (let step = 0; step < steps; step++) {
      checkCancelled(p.signal);
      const batch = p.batches[(firstBatch + step) % p.batches.length];
      const [ew, eb] = extra ? await extra(w, b) : [null, null];
      const next = tf.tidy(() => {
        const xs = b ? [w, b] : [w];
        const grads = tf.grads((...args: tf.Tensor[]) => batchLoss(p, batch, args[0], args[1] ?? null).total)(xs);
        const dw = ew ? tf.add(grads[0], ew) : grads[0];
        const gw = tf.mul(tf.add(dw, tf.mul(WEIGHT_DECAY, w)), mask);
        const vwNext = tf.add(tf.mul(MOMENTUM, vw), gw);
        const wNext = tf.sub(w, tf.mul(lr, tf.add(gw, tf.mul(MOMENTUM, vwNext))));
        if (!b || !vb) return [wNext, vwNext];
        const db = eb ? tf.add(grads[1], eb) : grads[1];
        const gb = tf.add(db, tf.mul(WEIGHT_DECAY, b));
        const vbNext = tf.add(tf.mul(MOMENTUM, vb), gb);
        const bNext = tf.sub(b, tf.mul(lr, tf.add(gb, tf.mul(MOMENTUM, vbNext))));
        return [wNext, vwNext, bNext, vbNext];
      });
      tf.dispose([...(ew ? [ew] : []), ...(eb ? [eb] : [])]);
      tf.dispose([w, vw]);
      if (b) b.dispose();
      if (vb) vb.dispose();
      w = next[0] as tf.Tensor4D;
      vw = next[1] as tf.Tensor4D;
      b = (next[2] as tf.Tensor1D | undefined) ?? null;
      vb = (next[3] as tf.Tensor1D | undefined) ?? null;
      await yieldToLoop();
    }
  } catch (e) {
    tf.dispose([w, ...(b ? [b] : [])]);
    throw e;
  } finally {
    tf.dispose([vw, ...(vb ? [vb] : [])]);
  }
  return [w, b];
}
