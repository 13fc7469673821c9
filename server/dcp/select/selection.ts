import * as tf from '@tensorflow/tfjs';
import type { ScoreRule, StopRule } from '../../../protocol/model';
import type { ConvSpec } from '../exec/layers';
import { checkCancelled } from '../run/cancel';
import { exactEvaluate, exactSubProblem } from './exact';
import type { GramStats } from './gram';
import { pass, sgdSteps, type PassResult } from './passes';
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
  /** Units added per greedy step (DCP: `channelsPerStep`, 1 in the paper; DKP: a batch of kernels). */
  unitsPerStep: number;
  /** Groups of units that must each keep at least one (the branches of a Concatenate: keep.ts); none by default. */
  groups?: number[][];
  /** Under `epsilon`/`adaptive`, units keep being added after the rule fires until their count is a multiple of this. */
  roundTo?: number;
  /**
   * The exact solver's statistics (issue 11): when set, L_M's value and gradient come from them and its part of each
   * sub-problem is solved exactly; null = the SGD path (DCP-SPEC §3 step 4).
   */
  gram?: GramStats | null;
  /** Exact solver: SGD steps on the joint loss after each least-squares solve (only with an L_S term). */
  solverSgdSteps?: number;
  /** SGD path: passes over the selection set per added unit (1 in the reference; tests run it to convergence). */
  sgdEpochs?: number;
  signal?: AbortSignal;
  /**
   * Kept counts at which to keep a copy of (W, b) and the losses (layer sensitivity): greedy only adds units, so a
   * run to a larger count passes through what a run stopping at each smaller count would have returned.
   */
  snapshotAt?: ReadonlySet<number>;
}

/** (W, b) and the losses when `kept.length` units were kept; the tensors belong to whoever receives them. */
export interface Snapshot {
  kept: number[];
  weights: tf.Tensor4D;
  bias: tf.Tensor1D | null;
  lossM: number;
  lossS: number;
  loss: number;
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
  /** The copies `snapshotAt` asked for, in the order they were taken (fewest units first). */
  snapshots: Snapshot[];
}

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
  const snapshots: Snapshot[] = [];
  const candidate = new Set(p.candidates);
  let current: PassResult | null = null;
  // A `finally`, not a `catch`: a consumer that stops iterating (`break` in for-await) returns from the generator at
  // its `yield` without any error, and the weights would leak.
  let returned = false;
  try {
    let fullLoss: number | null = null;
    if (p.stop === 'adaptive') {
      const full = await evaluate(p, p.reference, p.bias, false);
      fullLoss = full.loss;
      forwardPasses += full.passes;
    }
    const first = await evaluate(p, w, b, true);
    current = first;
    gradientPasses += first.passes;
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
    let nextBatch = 0;
    for (;;) {
      checkCancelled(p.signal);
      const scores = await unitScores(current.grad!, p.granularity, p.score);
      current.grad!.dispose();
      current.grad = null;
      const count = p.unitsPerStep;
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
        if (p.gram) {
          const solved = await exactSubProblem(p, p.gram, w, b, maskValues, mask, nextBatch);
          w = solved.w;
          b = solved.b;
          gradientPasses += solved.gradientPasses;
          forwardPasses += solved.forwardPasses;
          nextBatch = (nextBatch + (p.solverSgdSteps ?? 0)) % p.batches.length;
        } else {
          const epochs = p.sgdEpochs ?? 1;
          [w, b] = await sgdSteps(p, w, b, mask, epochs * p.batches.length, null);
          gradientPasses += epochs;
        }
      } finally {
        mask.dispose();
      }
      iteration++;
      const exhausted = kept.length >= candidate.size;
      const rateDone = kept.length >= target;
      const needGrad = !(exhausted || rateDone);
      const evaluated = await evaluate(p, w, b, needGrad);
      current = evaluated;
      if (needGrad) gradientPasses += evaluated.passes; else forwardPasses += evaluated.passes;
      history.push(current.loss);
      if (p.snapshotAt?.has(kept.length)) {
        snapshots.push({ kept: kept.slice().sort((x, y) => x - y), weights: w.clone(), bias: b?.clone() ?? null, lossM: current.lossM, lossS: current.lossS, loss: current.loss });
      }
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
    returned = true;
    return {
      kept: kept.slice().sort((x, y) => x - y), weights: w, bias: b, mask,
      lossM: current.lossM, lossS: current.lossS, iterations: iteration, gradientPasses, forwardPasses, snapshots,
    };
  } finally {
    if (!returned) {
      for (const s of snapshots) tf.dispose([s.weights, ...(s.bias ? [s.bias] : [])]);
      w.dispose();
      b?.dispose();
      current?.grad?.dispose();
    }
  }
}

/** The joint loss (and gradient) at (W, b) on either path, with the passes over the data it took (0 or 1). */
async function evaluate(p: SelectionProblem, w: tf.Tensor4D, b: tf.Tensor1D | null, withGrad: boolean): Promise<PassResult & { passes: number }> {
  if (!p.gram) return { ...(await pass(p, w, b, withGrad)), passes: 1 };
  const r = await exactEvaluate(p, p.gram, w, b, withGrad);
  return { lossM: r.lossM, lossS: r.lossS, loss: r.loss, grad: r.grad, passes: r.dataPass ? 1 : 0 };
}

function maskFromUnits(added: number[], units: number, shape: [number, number, number, number]): tf.Tensor4D {
  const v = new Float32Array(units);
  for (const u of added) v[u] = 1;
  return tf.tensor4d(v, shape);
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
 * The best `count` (at most `limit`) candidates not yet selected, in score order, skipping any unit that would leave
 * more groups empty (`open`) than units still to add after it: every group ends with one (the never-empty-branch
 * rule), also when several units are added per step. With one unit per step this is topUnits until the units left
 * are as few as the empty groups, then the best unit of an empty group.
 */
export function coveringUnits(
  scores: number[], candidates: ReadonlySet<number>, selected: Float32Array, count: number, limit: number, open: readonly number[][],
): number[] {
  if (open.length === 0) return topUnits(scores, candidates, selected, count, limit);
  const groupOf = new Map<number, number>();
  open.forEach((g, i) => { for (const u of g) groupOf.set(u, i); });
  const free = [...candidates].filter((u) => selected[u] === 0).sort((a, b) => scores[b] - scores[a] || a - b);
  const want = Math.max(1, Math.min(count, limit, free.length));
  const covered = new Set<number>();
  const out: number[] = [];
  for (const u of free) {
    if (out.length >= want) break;
    const g = groupOf.get(u);
    const covers = g !== undefined && !covered.has(g);
    // Units this step and later steps may still add after u, against the groups still empty after u.
    if (open.length - covered.size - (covers ? 1 : 0) > Math.max(0, limit - out.length - 1)) continue;
    out.push(u);
    if (covers) covered.add(g);
  }
  if (out.length > 0) return out;
  // Fewer units left than empty groups (a plan that cannot cover them all): the best unit of each, best first.
  const best = open.map((grp) => free.find((u) => grp.includes(u))).filter((u) => u !== undefined);
  best.sort((a, b) => scores[b] - scores[a] || a - b);
  return best.slice(0, want);
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
