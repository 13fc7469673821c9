import * as tf from '@tensorflow/tfjs';
import type { ScoreRule, StopRule } from '../../../protocol/model';
import { type ConvSpec, rawConv, crossEntropy } from '../exec/layers';
import { checkCancelled, yieldToLoop } from '../run/cancel';
import { shouldStop } from './stopping';

/** One cached mini-batch of the selection set for one layer (DCP-SPEC §3 "Selection set"). */
export interface SelectionBatch {
  n: number;
  /** The pruned network's input to this conv. */
  x: tf.Tensor4D;
  /** The baseline's raw conv output, computed from the baseline's own input. */
  target: tf.Tensor4D;
  labels: tf.Tensor1D;
  /** Other tensors the rest of the stage needs (e.g. the shortcut of a residual block). */
  cut: Map<string, tf.Tensor>;
}

/** What is selected: input channels (DCP) or single kernels W[:,:,k,j] (DKP). */
export type Granularity = 'channel' | 'kernel';

export interface SelectionProblem {
  spec: ConvSpec;
  /** Ŵ, a frozen copy of the layer's current kernel [kh, kw, c, n]; warm starts copy from it. */
  reference: tf.Tensor4D;
  /** The layer's bias (trained along with W), or null. */
  bias: tf.Tensor1D | null;
  batches: SelectionBatch[];
  /** Head logits from this conv's activated output and the cut; null when the loss has no L_S term. */
  rest: ((activated: tf.Tensor, cut: Map<string, tf.Tensor>) => tf.Tensor) | null;
  /** L = m·L_M + s·L_S: DCP (1, λ), reconstruction only (1, 0), discrimination only (0, λ). */
  weights: { m: number; s: number };
  granularity: Granularity;
  /** Unit indices that may be added (channel k, or kernel k·n + j); others stay zero. */
  candidates: number[];
  /** Units to keep under the `rate` rule. */
  keep: number;
  stop: StopRule;
  epsilon: number;
  tau: number;
  score: ScoreRule;
  learningRate: number;
  /** Units added per greedy step (1 for DCP; a batch of kernels for DKP). */
  unitsPerStep: number;
  /** Groups of units that must each keep at least one (the branches of a Concatenate: keep.ts); none by default. */
  groups?: number[][];
  /** Under `epsilon`/`adaptive`, units keep being added after the rule fires until their count is a multiple of this. */
  roundTo?: number;
  signal?: AbortSignal;
}

/** One greedy step, as the engine reports it. Losses are means over the selection set after the step. */
export interface Iteration {
  iteration: number;
  added: number[];
  /** Scores of every unit that chose `added` (channels: length c; kernels: c·n). */
  scores: number[];
  lossM: number;
  lossS: number;
  loss: number;
}

export interface SelectionOutcome {
  kept: number[];
  /** Final kernel: zero outside the kept units. */
  weights: tf.Tensor4D;
  bias: tf.Tensor1D | null;
  mask: tf.Tensor4D;
  lossM: number;
  lossS: number;
  iterations: number;
  /** Gradient passes and forward-only passes over the selection set (for the cost report). */
  gradientPasses: number;
  forwardPasses: number;
}

const MOMENTUM = 0.9;
const WEIGHT_DECAY = 1e-4;

interface PassResult { lossM: number; lossS: number; loss: number; grad: tf.Tensor4D | null }

/**
 * Greedy selection (Algorithm 2): start from W = 0, repeatedly add the unit with the largest gradient
 * score, warm-start it from Ŵ, then run one masked SGD pass with a fresh optimiser.
 */
export async function* greedySelect(p: SelectionProblem): AsyncGenerator<Iteration, SelectionOutcome> {
  const [kh, kw, c, n] = p.reference.shape;
  const units = p.granularity === 'channel' ? c : c * n;
  const maskValues = new Float32Array(units);
  const maskShape: [number, number, number, number] = p.granularity === 'channel' ? [1, 1, c, 1] : [1, 1, c, n];
  let w: tf.Tensor4D = tf.zeros([kh, kw, c, n]);
  let b: tf.Tensor1D | null = p.bias ? p.bias.clone() : null;
  let gradientPasses = 0;
  let forwardPasses = 0;
  const kept: number[] = [];
  const candidate = new Set(p.candidates);
  let current: PassResult | null = null;
  try {
    let fullLoss: number | null = null;
    if (p.stop === 'adaptive') {
      fullLoss = (await pass(p, p.reference, p.bias, false)).loss;
      forwardPasses++;
    }
    current = await pass(p, w, b, true);
    gradientPasses++;
    const initialLoss = current.loss;
    const history: number[] = [current.loss];
    let iteration = 0;
    // Units to reach: the rate rule's count, or (other rules) unbounded until the rule fires, then what it still owes.
    let target = p.stop === 'rate' ? p.keep : Infinity;
    // Only candidates count; a group with none could never be covered (and would stall the loop).
    const groups = (p.groups ?? []).map((g) => g.filter((u) => candidate.has(u))).filter((g) => g.length > 0);
    const groupOf = new Map<number, number>();
    groups.forEach((g, i) => { for (const u of g) groupOf.set(u, i); });
    const covered = new Set<number>();
    const open = (): number[][] => groups.filter((_, i) => !covered.has(i));
    for (;;) {
      checkCancelled(p.signal);
      const scores = await unitScores(current.grad!, p.granularity, p.score);
      current.grad!.dispose();
      current.grad = null;
      const count = p.granularity === 'channel' ? 1 : p.unitsPerStep;
      const added = coveringUnits(scores, candidate, maskValues, count, target - kept.length, open());
      for (const u of added) {
        maskValues[u] = 1;
        kept.push(u);
        const g = groupOf.get(u);
        if (g !== undefined) covered.add(g);
      }
      const mask = tf.tensor4d(maskValues, maskShape);
      // Warm start: the added units take their weights from Ŵ; everything else keeps its trained value.
      const next = tf.tidy(() => tf.add(w, tf.mul(maskFromUnits(added, units, maskShape), tf.sub(p.reference, w))) as tf.Tensor4D);
      w.dispose();
      w = next;
      try {
        [w, b] = await sgdPass(p, w, b, mask);
      } finally {
        mask.dispose();
      }
      gradientPasses++;
      iteration++;
      const exhausted = kept.length >= candidate.size;
      const rateDone = kept.length >= target;
      const needGrad = !(exhausted || rateDone);
      current = await pass(p, w, b, needGrad);
      if (needGrad) gradientPasses++; else forwardPasses++;
      history.push(current.loss);
      yield { iteration, added, scores, lossM: current.lossM, lossS: current.lossS, loss: current.loss };
      if (exhausted || rateDone) break;
      if (target === Infinity && shouldStop(p.stop, history, initialLoss, fullLoss, p.epsilon, p.tau)) {
        target = owedCount(kept.length, candidate.size, open().length, p.roundTo ?? 1);
        if (target <= kept.length) {
          current.grad?.dispose();
          current.grad = null;
          break;
        }
      }
    }
    const mask = tf.tensor4d(maskValues, maskShape);
    return {
      kept: kept.slice().sort((x, y) => x - y), weights: w, bias: b, mask,
      lossM: current.lossM, lossS: current.lossS, iterations: iteration, gradientPasses, forwardPasses,
    };
  } catch (e) {
    w.dispose();
    b?.dispose();
    current?.grad?.dispose();
    throw e;
  }
}

function maskFromUnits(added: number[], units: number, shape: [number, number, number, number]): tf.Tensor4D {
  const v = new Float32Array(units);
  for (const u of added) v[u] = 1;
  return tf.tensor4d(v, shape);
}

/** The joint loss of one batch and its two parts (L_M, weighted L_S). */
function batchLoss(p: SelectionProblem, batch: SelectionBatch, w: tf.Tensor, b: tf.Tensor | null): { total: tf.Scalar; m: tf.Scalar; s: tf.Scalar } {
  const raw = rawConv(batch.x, w, b, p.spec);
  const m = tf.mean(tf.squaredDifference(raw, batch.target)) as tf.Scalar;
  let s = tf.scalar(0);
  if (p.rest && p.weights.s > 0) s = tf.mul(p.weights.s, crossEntropy(batch.labels, p.rest(p.spec.activation(raw), batch.cut))) as tf.Scalar;
  const total = (p.weights.m > 0 ? tf.add(tf.mul(p.weights.m, m), s) : s) as tf.Scalar;
  return { total, m, s };
}

/** One pass over the selection set: mean losses and, if asked, the mean gradient ∂L/∂W. */
async function pass(p: SelectionProblem, w: tf.Tensor4D, b: tf.Tensor1D | null, withGrad: boolean): Promise<PassResult> {
  const total = p.batches.reduce((a, x) => a + x.n, 0);
  let grad: tf.Tensor4D | null = withGrad ? tf.zerosLike(w) : null;
  const sums = [0, 0, 0];
  try {
    for (const batch of p.batches) {
      checkCancelled(p.signal);
      const frac = batch.n / total;
      const parts = tf.tidy(() => {
        if (!withGrad) {
          const l = batchLoss(p, batch, w, b);
          return [l.total, l.m, l.s];
        }
        let kept: tf.Scalar[] = [];
        const g = tf.grad((wt: tf.Tensor) => {
          const l = batchLoss(p, batch, wt, b);
          kept = [tf.keep(l.total), tf.keep(l.m), tf.keep(l.s)];
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
  return { loss: sums[0], lossM: sums[1], lossS: sums[2], grad };
}

/**
 * One epoch of SGD (Nesterov 0.9, weight decay 1e-4) on W and the bias with a fresh optimiser state.
 * Gradient and decay are multiplied by the mask, so unselected units stay exactly zero (pitfall 3).
 */
async function sgdPass(p: SelectionProblem, w0: tf.Tensor4D, b0: tf.Tensor1D | null, mask: tf.Tensor): Promise<[tf.Tensor4D, tf.Tensor1D | null]> {
  let w = w0;
  let b = b0;
  let vw: tf.Tensor4D = tf.zerosLike(w);
  let vb: tf.Tensor1D | null = b ? tf.zerosLike(b) : null;
  const lr = p.learningRate;
  try {
    for (const batch of p.batches) {
      checkCancelled(p.signal);
      const next = tf.tidy(() => {
        const xs = b ? [w, b] : [w];
        const grads = tf.grads((...args: tf.Tensor[]) => batchLoss(p, batch, args[0], args[1] ?? null).total)(xs);
        const gw = tf.mul(tf.add(grads[0], tf.mul(WEIGHT_DECAY, w)), mask);
        const vwNext = tf.add(tf.mul(MOMENTUM, vw), gw);
        const wNext = tf.sub(w, tf.mul(lr, tf.add(gw, tf.mul(MOMENTUM, vwNext))));
        if (!b || !vb) return [wNext, vwNext];
        const gb = tf.add(grads[1], tf.mul(WEIGHT_DECAY, b));
        const vbNext = tf.add(tf.mul(MOMENTUM, vb), gb);
        const bNext = tf.sub(b, tf.mul(lr, tf.add(gb, tf.mul(MOMENTUM, vbNext))));
        return [wNext, vwNext, bNext, vbNext];
      });
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

/** Per-unit scores from the gradient: channel `official` = Σ_j ‖G[:,:,k,j]‖_F, `paper` = ‖G[:,:,k,:]‖_F; kernel = ‖G[:,:,k,j]‖_F. */
export async function unitScores(grad: tf.Tensor4D, granularity: Granularity, rule: ScoreRule): Promise<number[]> {
  const s = tf.tidy(() => {
    const sq = tf.square(grad);
    if (granularity === 'kernel') return tf.sqrt(tf.sum(sq, [0, 1])).reshape([-1]);
    if (rule === 'paper') return tf.sqrt(tf.sum(sq, [0, 1, 3]));
    return tf.sum(tf.sqrt(tf.sum(sq, [0, 1])), 1);
  });
  const out = Array.from(await s.data());
  s.dispose();
  return out;
}

/**
 * Like topUnits, but when the units still to add (`limit`) are no more than the groups left empty (`open`), only the
 * best unit of each empty group may be added, so every group ends with one (the never-empty-branch rule).
 */
export function coveringUnits(
  scores: number[], candidates: ReadonlySet<number>, selected: Float32Array, count: number, limit: number, open: readonly number[][],
): number[] {
  if (open.length === 0 || limit > open.length) return topUnits(scores, candidates, selected, count, limit);
  const best = open.map((g) => topUnits(scores, new Set(g.filter((u) => candidates.has(u))), selected, 1, 1)[0]).filter((u) => u !== undefined);
  best.sort((a, b) => scores[b] - scores[a] || a - b);
  return best.slice(0, Math.max(1, Math.min(count, limit)));
}

/** What a non-rate rule still owes when it fires at `kept` units: one per empty group, then up to a multiple of `roundTo`. */
function owedCount(kept: number, units: number, openGroups: number, roundTo: number): number {
  const need = kept + openGroups;
  return Math.min(units, roundTo > 1 ? Math.ceil(need / roundTo) * roundTo : need);
}

/** The best `count` candidates not yet selected (selected units are excluded: pitfall 7), at most `limit`. */
export function topUnits(scores: number[], candidates: ReadonlySet<number>, selected: Float32Array, count: number, limit: number): number[] {
  const free = [...candidates].filter((u) => selected[u] === 0);
  free.sort((a, b) => scores[b] - scores[a] || a - b);
  return free.slice(0, Math.max(1, Math.min(count, limit, free.length)));
}
