/**
 * How far a comparison's differences can be trusted: the binomial noise of one accuracy, and DCP's rank among K
 * random channel choices drawn on the same split (`dcp compare --random-choices K`). Pure, like protocol/compare.ts.
 */
import type { CompareRun } from './compare';

/** Binomial standard error of an accuracy p measured on n samples: √(p(1−p)/n), as a fraction. */
export function binomialSE(p: number, n: number): number {
  if (!(n > 0) || !(p >= 0 && p <= 1)) throw new RangeError(`binomialSE needs p in [0, 1] and n > 0 (got p = ${p}, n = ${n})`);
  return Math.sqrt((p * (1 - p)) / n);
}

type RankedKey = 'accuracyBeforeFinetune' | 'accuracyAfterSelection' | 'accuracyAfterFinetune';

/** DCP against the random choices of one split, for one accuracy column. Differences are in points. */
export interface RandomRank {
  seed: number;
  key: RankedKey;
  dcp: number;
  /** The random choices' accuracies, in choice-seed order. */
  random: number[];
  /** Random choices DCP beats, and ties (each counted as half a win in the percentile). */
  beaten: number;
  ties: number;
  /** 100·(beaten + ties/2)/K: 100 = better than every random choice, 50 = in the middle. */
  percentile: number;
  /** DCP − each random choice, in points; their mean and its standard error over the choices. */
  diffs: number[];
  meanDiff: number;
  meanDiffSE: number;
}

/**
 * For every seed with a DCP run and at least two random runs with a value in `key`, DCP's rank among them. Only runs
 * of the same seed share a split, so ranks are never pooled across seeds.
 */
export function rankAmongRandom(runs: readonly CompareRun[], key: RankedKey): RandomRank[] {
  const out: RandomRank[] = [];
  for (const d of runs.filter((r) => r.method === 'dcp')) {
    const dcp = d[key];
    if (dcp === null) continue;
    const mine = runs.filter((r) => r.method === 'random' && r.seed === d.seed && r[key] !== null);
    mine.sort((a, b) => (a.choiceSeed ?? a.seed) - (b.choiceSeed ?? b.seed));
    const random = mine.map((r) => r[key] as number);
    if (random.length < 2) continue;
    const beaten = random.filter((v) => dcp > v).length;
    const ties = random.filter((v) => v === dcp).length;
    const diffs = random.map((v) => (dcp - v) * 100);
    const k = diffs.length;
    const meanDiff = diffs.reduce((a, b) => a + b, 0) / k;
    const variance = diffs.reduce((a, v) => a + (v - meanDiff) ** 2, 0) / (k - 1);
    out.push({
      seed: d.seed, key, dcp, random, beaten, ties, percentile: (100 * (beaten + ties / 2)) / k,
      diffs, meanDiff, meanDiffSE: Math.sqrt(variance / k),
    });
  }
  return out;
}

const COLUMN: Record<RankedKey, string> = {
  accuracyBeforeFinetune: 'before any fine-tune', accuracyAfterSelection: 'after selection', accuracyAfterFinetune: 'after fine-tune',
};

/** `seed 1, after selection: DCP 84.10% beats 7 of 10 random choices (70th percentile); DCP − random +0.42 ± 0.15 pt`. */
export function rankLine(r: RandomRank): string {
  const sign = (v: number): string => `${v >= 0 ? '+' : ''}${v.toFixed(2)}`;
  const ties = r.ties > 0 ? `, ties ${r.ties}` : '';
  const se = ` ± ${r.meanDiffSE.toFixed(2)}`;
  return `seed ${r.seed}, ${COLUMN[r.key]}: DCP ${(r.dcp * 100).toFixed(2)}% beats ${r.beaten} of ${r.random.length} random choices${ties} ` +
    `(percentile ${r.percentile.toFixed(0)}); DCP − random ${sign(r.meanDiff)}${se} pt (mean ± standard error over the choices)`;
}
