import * as tf from '@tensorflow/tfjs';
import { rawConv } from '../exec/layers';
import { checkCancelled, yieldToLoop } from '../run/cancel';
import { exactReconstruction } from './exact';
import type { GramStats } from './gram';
import { WEIGHT_DECAY, weightedDiscrimination } from './passes';
import type { SelectionBatch, SelectionProblem } from './selection';

/**
 * The exact solver's λ·L_S steps, safeguarded (issue 11). They start at the least-squares minimiser of m·L_M, where
 * the only gradient left is λ·∂L_S; with heads trained to a plateau that gradient is steep (channel scores of 60-90
 * against L_M's 1-3 on the example ResNet), and four plain Nesterov steps at the sub-problem's lr 0.01 overshot:
 * both L_M and L_S rose (the first layer's L_S went from 2.3 to 15.5) and the pruned network fell to chance.
 * So each step here is a masked gradient step on one batch's joint loss F = m·L_M + (wd/2)·‖W‖² + λ·L_S with a
 * backtracking (Armijo) line search: a step is taken only if it lowers F on that batch, the step size halves until
 * it does, and grows again after a success. L_M is the exact whole-set value from the Gram statistics; L_S is the
 * batch's. No momentum: a fresh optimiser per added channel restarts it every few steps anyway.
 */

const ARMIJO = 1e-4;
const MAX_HALVINGS = 12;

interface Point { w: tf.Tensor4D; b: tf.Tensor1D | null; value: number; gw: tf.Tensor4D; gb: tf.Tensor1D | null }

/** λ·L_S of one batch at (W, b), with its gradients when asked. Reads the batch only inside a tidy (spilled batches). */
function discrimination(p: SelectionProblem, batch: SelectionBatch, w: tf.Tensor4D, b: tf.Tensor1D | null, withGrad: boolean):
  { value: tf.Scalar; gw: tf.Tensor4D | null; gb: tf.Tensor1D | null } {
  const f = (wt: tf.Tensor, bt: tf.Tensor | null): tf.Scalar => tf.tidy(() => weightedDiscrimination(p, batch, rawConv(batch.x, wt, bt, p.spec)));
  if (!withGrad) return { value: f(w, b), gw: null, gb: null };
  const out = tf.tidy(() => {
    const xs = b ? [w, b] : [w];
    const { value, grads } = tf.valueAndGrads((...args: tf.Tensor[]) => f(args[0], args[1] ?? null))(xs);
    return [value, ...grads];
  });
  return { value: out[0] as tf.Scalar, gw: out[1] as tf.Tensor4D, gb: b ? (out[2] as tf.Tensor1D) : null };
}

/** F's whole-set part, m·L_M + (wd/2)·‖(W, b)‖², with its gradient (m·∂L_M + wd·W). */
async function smoothPart(p: SelectionProblem, gram: GramStats, w: tf.Tensor4D, b: tf.Tensor1D | null, rows?: readonly number[]):
  Promise<{ value: number; gw: tf.Tensor4D; gb: tf.Tensor1D | null }> {
  const rec = await exactReconstruction(p, gram, w, b, rows);
  const norms = tf.tidy(() => tf.add(tf.sum(tf.square(w)), b ? tf.sum(tf.square(b)) : tf.scalar(0)));
  const sq = (await norms.data())[0];
  norms.dispose();
  const gw = tf.tidy(() => tf.add(rec.gw, tf.mul(WEIGHT_DECAY, w)) as tf.Tensor4D);
  const gb = rec.gb && b ? tf.tidy(() => tf.add(rec.gb!, tf.mul(WEIGHT_DECAY, b)) as tf.Tensor1D) : null;
  tf.dispose([rec.gw, ...(rec.gb ? [rec.gb] : [])]);
  return { value: p.weights.m * rec.value + 0.5 * WEIGHT_DECAY * sq, gw, gb };
}

async function scalar(t: tf.Scalar): Promise<number> {
  const v = (await t.data())[0];
  t.dispose();
  return v;
}

/**
 * `steps` safeguarded steps from (W, b), one batch each from `firstBatch` on; gradients masked so unselected units
 * stay exactly zero (pitfall 3). Returns new tensors; the inputs are disposed. A step no halving can make descend
 * leaves the point where it is (the least-squares solution, at worst). Counts the batches it differentiated and the
 * line search's forward-only batches, for the cost report. `rows` (the Gram rows the mask allows, which hold every
 * nonzero of W) limits the JS work of m·∂L_M to the rows the masked step uses.
 */
export async function safeguardedSteps(
  p: SelectionProblem, gram: GramStats, w0: tf.Tensor4D, b0: tf.Tensor1D | null, mask: tf.Tensor, steps: number, firstBatch: number,
  rows?: readonly number[],
): Promise<{ w: tf.Tensor4D; b: tf.Tensor1D | null; batchGradients: number; batchForwards: number }> {
  let w = w0;
  let batchGradients = 0;
  let batchForwards = 0;
  let b = b0;
  let rate = p.learningRate;
  let smooth = await smoothPart(p, gram, w, b, rows);
  try {
    for (let step = 0; step < steps; step++) {
      checkCancelled(p.signal);
      const batch = p.batches[(firstBatch + step) % p.batches.length];
      const disc = discrimination(p, batch, w, b, true);
      batchGradients++;
      const here: Point = {
        w, b, value: smooth.value + (await scalar(disc.value)),
        gw: tf.tidy(() => tf.mul(tf.add(smooth.gw, disc.gw!), mask) as tf.Tensor4D),
        gb: b && disc.gb ? tf.tidy(() => tf.add(smooth.gb ?? tf.zerosLike(b!), disc.gb!) as tf.Tensor1D) : null,
      };
      tf.dispose([disc.gw!, ...(disc.gb ? [disc.gb] : [])]);
      const sqNorm = await scalar(tf.tidy(() => tf.add(tf.sum(tf.square(here.gw)), here.gb ? tf.sum(tf.square(here.gb)) : tf.scalar(0)) as tf.Scalar));
      let accepted = false;
      for (let h = 0; h < MAX_HALVINGS && sqNorm > 0; h++) {
        const wNext = tf.tidy(() => tf.sub(w, tf.mul(rate, here.gw)) as tf.Tensor4D);
        const bNext = b && here.gb ? tf.tidy(() => tf.sub(b!, tf.mul(rate, here.gb!)) as tf.Tensor1D) : b;
        const nextSmooth = await smoothPart(p, gram, wNext, bNext, rows);
        const value = nextSmooth.value + (await scalar(discrimination(p, batch, wNext, bNext, false).value));
        batchForwards++;
        if (Number.isFinite(value) && value <= here.value - ARMIJO * rate * sqNorm) {
          tf.dispose([w, ...(b && bNext !== b ? [b] : []), smooth.gw, ...(smooth.gb ? [smooth.gb] : [])]);
          w = wNext;
          b = bNext;
          smooth = nextSmooth;
          rate *= 2;
          accepted = true;
          break;
        }
        tf.dispose([wNext, ...(bNext && bNext !== b ? [bNext] : []), nextSmooth.gw, ...(nextSmooth.gb ? [nextSmooth.gb] : [])]);
        rate /= 2;
      }
      tf.dispose([here.gw, ...(here.gb ? [here.gb] : [])]);
      await yieldToLoop();
      if (!accepted) break;
    }
  } catch (e) {
    tf.dispose([w, ...(b ? [b] : [])]);
    throw e;
  } finally {
    tf.dispose([smooth.gw, ...(smooth.gb ? [smooth.gb] : [])]);
  }
  return { w, b, batchGradients, batchForwards };
}
