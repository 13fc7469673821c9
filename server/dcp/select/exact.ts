import * as tf from '@tensorflow/tfjs';
import { flatWeights, gramLoss, type GramStats } from './gram';
import { pass, WEIGHT_DECAY, type PassResult } from './passes';
import { safeguardedSteps } from './descent';
import { solveMaskedRidge } from './ridge';
import type { SelectionProblem } from './selection';

/**
 * The exact solver (issue 11): L_M's value and gradient from the layer's Gram statistics, its part of the
 * sub-problem solved as a ridge least-squares problem; λ·L_S keeps its passes through the rest of the stage.
 */

/** Whether the loss has an L_S term, i.e. whether the exact path still needs passes over the data. */
export function hasDiscrimination(p: SelectionProblem): boolean {
  return p.rest !== null && p.weights.s > 0;
}

async function flat(p: SelectionProblem, gram: GramStats, w: tf.Tensor4D, b: tf.Tensor1D | null): Promise<Float64Array> {
  return flatWeights(await w.data(), b && p.bias ? await b.data() : null, gram);
}

/**
 * m·L_M and m·∂L_M/∂W (and ∂/∂bias) from the statistics alone, as tensors shaped like W and the bias; `rows` limits
 * the gradient to those Gram rows (gramLoss), for callers that mask it.
 */
export async function exactReconstruction(
  p: SelectionProblem, gram: GramStats, w: tf.Tensor4D, b: tf.Tensor1D | null, rows?: readonly number[],
): Promise<{ value: number; gw: tf.Tensor4D; gb: tf.Tensor1D | null }> {
  const { value, grad } = gramLoss(gram, await flat(p, gram, w, b), rows);
  const m = p.weights.m;
  const kernelPart = new Float32Array(gram.taps * gram.cols);
  for (let i = 0; i < kernelPart.length; i++) kernelPart[i] = m * grad[i];
  const gw = tf.tensor4d(kernelPart, w.shape);
  let gb: tf.Tensor1D | null = null;
  if (b) {
    const biasPart = new Float32Array(gram.cols);
    if (gram.hasBias) for (let j = 0; j < gram.cols; j++) biasPart[j] = m * grad[gram.taps * gram.cols + j];
    gb = tf.tensor1d(biasPart);
  }
  return { value, gw, gb };
}

/**
 * The joint loss and, if asked, its gradient at (W, b): one pass over the data when there is an L_S term (whose
 * L_M value is the direct mean, as on the SGD path), none otherwise. `passes` tells the cost report which it was.
 */
export async function exactEvaluate(
  p: SelectionProblem, gram: GramStats, w: tf.Tensor4D, b: tf.Tensor1D | null, withGrad: boolean,
): Promise<PassResult & { dataPass: boolean }> {
  const rec = withGrad || !hasDiscrimination(p) ? await exactReconstruction(p, gram, w, b) : null;
  try {
    if (!hasDiscrimination(p)) {
      const lossM = rec!.value;
      const grad = withGrad ? rec!.gw : null;
      if (!withGrad) rec!.gw.dispose();
      rec!.gb?.dispose();
      return { lossM, lossS: 0, loss: p.weights.m * lossM, grad, dataPass: false };
    }
    const r = await pass(p, w, b, withGrad);
    if (r.grad && rec) {
      const sum = tf.add(r.grad, rec.gw) as tf.Tensor4D;
      r.grad.dispose();
      r.grad = sum;
    }
    tf.dispose([...(rec ? [rec.gw] : []), ...(rec?.gb ? [rec.gb] : [])]);
    return { ...r, dataPass: true };
  } catch (e) {
    if (rec) tf.dispose([rec.gw, ...(rec.gb ? [rec.gb] : [])]);
    throw e;
  }
}

/**
 * The sub-problem after adding units: W over the selected units (and the bias) set to the minimiser of
 * m·L_M + weight decay, then `solverSgdSteps` safeguarded steps on the joint loss from there (descent.ts), each with
 * the exact m·∂L_M plus one batch's λ·∂L_S, from batch `firstBatch` on (the caller rotates it, so a large selection set
 * is not reduced to its first few batches). Returns new tensors; the inputs are disposed.
 */
export async function exactSubProblem(
  p: SelectionProblem, gram: GramStats, w: tf.Tensor4D, b: tf.Tensor1D | null, maskValues: Float32Array, mask: tf.Tensor, firstBatch: number,
): Promise<{ w: tf.Tensor4D; b: tf.Tensor1D | null; gradientPasses: number; forwardPasses: number }> {
  const [kh, kw, c, n] = w.shape;
  const perTap = p.granularity === 'channel'
    ? (r: number) => maskValues[r % c] === 1
    : (r: number, j: number) => maskValues[(r % c) * n + j] === 1;
  const allowed = (r: number, j: number): boolean => (r >= gram.taps ? true : perTap(r, j));
  const solved = solveMaskedRidge(gram, allowed, WEIGHT_DECAY, p.weights.m);
  const kernel = new Float32Array(kh * kw * c * n);
  for (let i = 0; i < kernel.length; i++) kernel[i] = solved[i];
  const nextW = tf.tensor4d(kernel, w.shape);
  let nextB: tf.Tensor1D | null = b;
  if (b && gram.hasBias) {
    nextB = tf.tensor1d(Float32Array.from(solved.subarray(gram.taps * n, gram.taps * n + n)));
    b.dispose();
  }
  w.dispose();
  const steps = hasDiscrimination(p) ? (p.solverSgdSteps ?? 0) : 0;
  if (steps === 0) return { w: nextW, b: nextB, gradientPasses: 0, forwardPasses: 0 };
  // The steps mask W's gradient, so only the allowed rows of m·∂L_M matter; W is zero elsewhere.
  const masked: number[] = [];
  for (let r = 0; r < gram.rows; r++) {
    for (let j = 0; j < n; j++) if (allowed(r, j)) { masked.push(r); break; }
  }
  const r = await safeguardedSteps(p, gram, nextW, nextB, mask, steps, firstBatch, masked);
  return { w: r.w, b: r.b, gradientPasses: r.batchGradients / p.batches.length, forwardPasses: r.batchForwards / p.batches.length };
}
