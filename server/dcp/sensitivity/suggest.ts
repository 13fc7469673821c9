/**
 * Suggested per-layer rates from measured sensitivity curves (docs/sensitivity.md "The suggestion"): one rate per
 * layer from the measured grid (or 0, unpruned) so that the FLOPs reduction meets the target with the least summed
 * accuracy drop, ties broken by the summed joint loss. It is a multiple-choice knapsack, solved exactly by a DP over
 * the FLOPs to save in SAVE_UNITS steps; each option's saving is rounded down, so a DP-feasible choice really saves
 * what it claims. Savings of two layers sharing a conv overlap (one prunes its inputs, the other its filters), so the
 * choice is checked with the combined count and, when short, solved again asking for the shortfall more.
 * Pure: no TF.js, so it runs anywhere and is tested on synthetic curves.
 */
import type { SensitivityLayer, SensitivityPoint, SensitivitySuggestion, SensitivityTarget } from '../../../protocol/sensitivity';
import type { Recipe } from '../../../protocol/recipe';

/** Resolution of the DP: the FLOPs to save in this many steps (the rounding loses under 1/SAVE_UNITS of the target per layer). */
const SAVE_UNITS = 2000;
/** Re-solves allowed when the combined count falls short of the additive one. */
const MAX_ROUNDS = 8;

export interface SuggestInput {
  layers: readonly SensitivityLayer[];
  totalFlops: number;
  target: SensitivityTarget;
  /** FLOPs with the chosen points applied together; default: totalFlops − Σ flopsSaved (no overlap). */
  combinedFlops?: (chosen: ReadonlyMap<string, SensitivityPoint>) => number;
}

type Cost = { drop: number; joint: number };
const better = (a: Cost, b: Cost): boolean => a.drop < b.drop - 1e-12 || (Math.abs(a.drop - b.drop) <= 1e-12 && a.joint < b.joint);

/** The cheapest choice saving at least `required` FLOPs additively, or null when no choice on the grid does. */
function solve(layers: readonly SensitivityLayer[], required: number): Map<string, SensitivityPoint> | null {
  const chosen = new Map<string, SensitivityPoint>();
  if (required <= 0) return chosen;
  const unit = required / SAVE_UNITS;
  let dp: (Cost | null)[] = new Array<Cost | null>(SAVE_UNITS + 1).fill(null);
  dp[0] = { drop: 0, joint: 0 };
  // back[i][j] = [point index or -1 for unpruned, previous j] for layer i reaching j.
  const back: Int32Array[] = [];
  for (const layer of layers) {
    const next: (Cost | null)[] = new Array<Cost | null>(SAVE_UNITS + 1).fill(null);
    const from = new Int32Array((SAVE_UNITS + 1) * 2).fill(-2);
    for (let j = 0; j <= SAVE_UNITS; j++) {
      const here = dp[j];
      if (!here) continue;
      const options: [number, number, Cost][] = [[-1, j, here]];
      layer.points.forEach((p, pi) => {
        const to = Math.min(SAVE_UNITS, j + Math.floor(p.flopsSaved / unit));
        options.push([pi, to, { drop: here.drop + p.accuracyDrop, joint: here.joint + p.jointLoss }]);
      });
      for (const [pi, to, cost] of options) {
        const cur = next[to];
        if (cur === null || better(cost, cur)) {
          next[to] = cost;
          from[to * 2] = pi;
          from[to * 2 + 1] = j;
        }
      }
    }
    back.push(from);
    dp = next;
  }
  if (!dp[SAVE_UNITS]) return null;
  let j = SAVE_UNITS;
  for (let i = layers.length - 1; i >= 0; i--) {
    const pi = back[i][j * 2];
    const prev = back[i][j * 2 + 1];
    if (pi >= 0) chosen.set(layers[i].layer, layers[i].points[pi]);
    j = prev;
  }
  return chosen;
}

/** The recipe of a choice: chosen layers at their rate, the rest of the analysed layers `prune: false`. */
export function recipeOf(layers: readonly SensitivityLayer[], chosen: ReadonlyMap<string, SensitivityPoint>): Recipe {
  const out: Recipe['layers'] = {};
  for (const l of layers) {
    const p = chosen.get(l.layer);
    out[l.layer] = p ? { rate: p.rate } : { prune: false };
  }
  return { version: 1, layers: out };
}

/** Per-layer rates meeting `target` with the least summed accuracy drop; infeasible targets say why. */
export function suggestRates(input: SuggestInput): SensitivitySuggestion {
  const { layers, totalFlops, target } = input;
  if (!(target.flopsReduction >= 1) || !Number.isFinite(target.flopsReduction)) {
    throw new Error(`target FLOPs reduction must be a number ≥ 1 (got ${target.flopsReduction})`);
  }
  const combined = input.combinedFlops ?? ((c) => totalFlops - [...c.values()].reduce((a, p) => a + p.flopsSaved, 0));
  const allowed = totalFlops / target.flopsReduction;
  const make = (chosen: ReadonlyMap<string, SensitivityPoint>, feasible: boolean, message: string): SensitivitySuggestion => {
    const flopsAfter = combined(chosen);
    const rates: Record<string, number> = {};
    for (const l of layers) rates[l.layer] = chosen.get(l.layer)?.rate ?? 0;
    return {
      target, feasible, message, rates, flopsBefore: totalFlops, flopsAfter,
      reduction: flopsAfter > 0 ? totalFlops / flopsAfter : Infinity,
      accuracyDrop: [...chosen.values()].reduce((a, p) => a + p.accuracyDrop, 0),
      recipe: recipeOf(layers, chosen),
    };
  };
  let required = totalFlops - allowed;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const chosen = solve(layers, required);
    if (!chosen) break;
    const after = combined(chosen);
    if (after <= allowed * (1 + 1e-9)) {
      const n = [...chosen.keys()].length;
      return make(chosen, true, `${n} of ${layers.length} layers pruned; ${(totalFlops / Math.max(1, after)).toFixed(2)}× fewer FLOPs (target ${target.flopsReduction}×)`);
    }
    // Overlapping savings: ask for the shortfall on top and solve again.
    required += after - allowed;
  }
  // The most the grid can save: every layer at its largest measured rate.
  const most = new Map<string, SensitivityPoint>();
  for (const l of layers) {
    const p = l.points.reduce<SensitivityPoint | null>((a, q) => (a === null || q.flopsSaved > a.flopsSaved ? q : a), null);
    if (p) most.set(l.layer, p);
  }
  const best = combined(most);
  const largest = Math.max(0, ...layers.flatMap((l) => l.points.map((p) => p.rate)));
  return make(most, false,
    `the target ${target.flopsReduction}× cannot be met on the measured grid: every layer at its largest rate (${largest}) gives ${(totalFlops / Math.max(1, best)).toFixed(2)}× fewer FLOPs; measure larger rates or lower the target`);
}
