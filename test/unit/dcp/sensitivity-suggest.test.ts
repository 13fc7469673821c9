/**
 * Suggested per-layer rates on synthetic curves: the target is met, insensitive layers are pruned first, ties go to
 * the lower joint loss, overlapping savings are re-solved, infeasible targets say why; the recipe is a valid one.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseRecipe } from '../../../protocol/recipe';
import type { SensitivityLayer, SensitivityPoint } from '../../../protocol/sensitivity';
import { suggestRates } from '../../../server/dcp/sensitivity/suggest';

const RATES = [0.25, 0.5, 0.75];

/** A layer of `flops` prunable FLOPs whose accuracy drop at rate r is `slope`·r² and joint loss `joint`·r. */
function curve(layer: string, flops: number, slope: number, joint = 1): SensitivityLayer {
  const points: SensitivityPoint[] = RATES.map((rate) => ({
    layer, rate, keep: 8 - Math.floor(rate * 8), kept: [], jointLoss: joint * rate, reconLoss: joint * rate, discLoss: 0,
    accuracy: 0.9 - slope * rate * rate, accuracyDrop: slope * rate * rate, flopsSaved: flops * rate, exact: true,
  }));
  return { layer, stage: 0, inChannels: 8, points, seconds: 0 };
}

describe('suggested rates', () => {
  test('meets the target and prunes the insensitive layer hardest', () => {
    const layers = [curve('sensitive', 500, 0.4), curve('robust', 500, 0.01)];
    const s = suggestRates({ layers, totalFlops: 1000, target: { flopsReduction: 1.5 } });
    assert.ok(s.feasible, s.message);
    assert.ok(s.flopsAfter <= 1000 / 1.5 + 1e-9, `${s.flopsAfter}`);
    assert.ok(s.reduction >= 1.5);
    // 1000/1.5 → save ≥ 333.3: robust at 0.75 saves 375 alone, at a drop of 0.0056; anything with `sensitive` costs more.
    assert.equal(s.rates.robust, 0.75);
    assert.equal(s.rates.sensitive, 0);
    assert.deepEqual(parseRecipe(s.recipe).layers, { sensitive: { prune: false }, robust: { rate: 0.75 } });
    assert.ok(Math.abs(s.accuracyDrop - 0.01 * 0.75 * 0.75) < 1e-12);
  });

  test('is the exact optimum of the grid (checked against every combination)', () => {
    const layers = [curve('a', 300, 0.2), curve('b', 400, 0.05), curve('c', 200, 0.01), curve('d', 100, 0.3)];
    const target = { flopsReduction: 1.8 };
    const s = suggestRates({ layers, totalFlops: 1000, target });
    assert.ok(s.feasible, s.message);
    let best = Infinity;
    const options = [0, ...RATES];
    for (const ra of options) for (const rb of options) for (const rc of options) for (const rd of options) {
      const rates = [ra, rb, rc, rd];
      const saved = rates.reduce((acc, r, i) => acc + [300, 400, 200, 100][i] * r, 0);
      if (1000 - saved > 1000 / 1.8) continue;
      best = Math.min(best, rates.reduce((acc, r, i) => acc + [0.2, 0.05, 0.01, 0.3][i] * r * r, 0));
    }
    assert.ok(Math.abs(s.accuracyDrop - best) < 1e-9, `${s.accuracyDrop} vs brute force ${best}`);
  });

  test('ties in accuracy drop go to the lower joint loss', () => {
    const layers = [curve('lossy', 500, 0, 5), curve('quiet', 500, 0, 1)];
    const s = suggestRates({ layers, totalFlops: 1000, target: { flopsReduction: 1.3 } });
    assert.ok(s.feasible);
    assert.equal(s.rates.lossy, 0);
    assert.ok(s.rates.quiet > 0);
  });

  test('overlapping savings: the combined count decides, and the target is still met', () => {
    const layers = [curve('a', 500, 0.01), curve('b', 500, 0.02)];
    // Pretend the layers share a producer: pruning both saves 20% less than the sum.
    const combinedFlops = (chosen: ReadonlyMap<string, SensitivityPoint>): number => {
      const saved = [...chosen.values()].reduce((acc, p) => acc + p.flopsSaved, 0);
      return 1000 - (chosen.size === 2 ? 0.8 * saved : saved);
    };
    const s = suggestRates({ layers, totalFlops: 1000, target: { flopsReduction: 2 }, combinedFlops });
    assert.ok(s.feasible, s.message);
    assert.ok(s.flopsAfter <= 500 + 1e-9, `${s.flopsAfter}`);
  });

  test('an infeasible target says so, with what the grid can do', () => {
    const layers = [curve('a', 300, 0.1), curve('b', 300, 0.1)];
    const s = suggestRates({ layers, totalFlops: 1000, target: { flopsReduction: 3 } });
    assert.equal(s.feasible, false);
    assert.match(s.message, /target 3× cannot be met on the measured grid: every layer at its largest rate \(0\.75\) gives 1\.82× fewer FLOPs/);
    assert.deepEqual(s.rates, { a: 0.75, b: 0.75 });
    assert.throws(() => suggestRates({ layers, totalFlops: 1000, target: { flopsReduction: 0.5 } }), /must be a number ≥ 1/);
  });

  test('a target of 1× prunes nothing', () => {
    const s = suggestRates({ layers: [curve('a', 300, 0.1)], totalFlops: 1000, target: { flopsReduction: 1 } });
    assert.ok(s.feasible);
    assert.deepEqual(s.rates, { a: 0 });
  });
});
