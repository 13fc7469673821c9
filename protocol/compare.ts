/**
 * A comparison of pruning methods, reduced from the RunReports of runs that differ only in `method` and `seed`:
 * one run's numbers, the mean ± spread over seeds, paired per-seed differences, the unpruned row, and the cells
 * of the one table the CLI, the benchmarks and the VS Code document all show. Pure functions over protocol data,
 * so the engine, the CLI, bench/ and the extension share them without the extension importing server code.
 */
import type { ModelStats, PruneMethod, RunConfig, RunReport } from './model';
import { binomialSE, rankAmongRandom, type RandomRank } from './compare-rank';

export { binomialSE, rankAmongRandom, rankLine, type RandomRank } from './compare-rank';

/** What a comparison runs when no list is given: the method, its ablation and the two baselines. */
export const DEFAULT_COMPARE_METHODS = 'dcp,recon,random,l1';

/** One finished run, reduced to what the comparison shows. Accuracies are in [0, 1]. */
export interface CompareRun {
  method: PruneMethod;
  seed: number;
  /** The random baseline's choice seed (`choiceSeed`); null = the split seed. */
  choiceSeed: number | null;
  params: number;
  flops: number;
  /**
   * Accuracy after selection with no fine-tuning of any kind (stage fine-tunes off, no final fine-tuning): the same
   * job run once more that way (`dcp compare --untuned`); null when not run.
   */
  accuracyBeforeFinetune: number | null;
  /** Validation accuracy right after selection and surgery (and the stage fine-tunes, when on), before final fine-tuning. */
  accuracyAfterSelection: number | null;
  /** After final fine-tuning; null when fine-tuning was skipped (`finetuneEpochs` 0), never a copy of the above. */
  accuracyAfterFinetune: number | null;
  seconds: number;
  /** The unpruned model on this seed's validation split (the split depends on the seed). */
  before: ModelStats;
  /** Size of that validation split; null in reports that do not say. */
  validationSamples: number | null;
  /** Validation accuracy of each auxiliary head after head training (the classifier's is `before.accuracy`). */
  headAccuracies: number[];
  /** The run's channel-selection cost in training-epoch equivalents (report.selectionCost); null in older reports. */
  selectionEpochs?: number | null;
}

/** Mean and spread of one quantity over a method's seeds. `std` is the sample standard deviation (n − 1); 0 when n = 1. */
export interface Stat {
  mean: number;
  std: number;
  min: number;
  max: number;
  n: number;
}

/** One line of the comparison: a method aggregated over its seeds. */
export interface CompareRow {
  method: PruneMethod;
  seeds: number[];
  params: Stat;
  flops: Stat;
  accuracyBeforeFinetune: Stat | null;
  accuracyAfterSelection: Stat | null;
  /** Null when fine-tuning was skipped or not measured. */
  accuracyAfterFinetune: Stat | null;
  seconds: Stat;
}

export interface UnprunedRow {
  params: number;
  flops: number;
  accuracy: Stat | null;
}

/** What `dcp compare --json` writes (docs/compare.md). */
export interface CompareDocument {
  schema: 'dcp-compare/1';
  model: string;
  /** The options every run shared; `method` and `seed` are per row. */
  shared: Omit<RunConfig, 'method' | 'seed'>;
  spread: 'sample standard deviation over seeds (n - 1); min and max are given too';
  unpruned: UnprunedRow;
  rows: CompareRow[];
  runs: CompareRun[];
  /** The smallest validation split of the runs (null when no report says), and what noise that means. */
  validationSamples: number | null;
  noise: string | null;
  /** DCP's rank among the random choices drawn on the same split (`--random-choices`), per seed and column. */
  ranks: RandomRank[];
}

/** The numbers of one finished run; `untuned` is the accuracy of its twin run without any fine-tuning, if run. */
export function runFromReport(r: RunReport, untuned: number | null = null): CompareRun {
  return {
    method: r.config.method, seed: r.config.seed, choiceSeed: r.config.choiceSeed ?? null, params: r.after.params, flops: r.after.flops,
    accuracyBeforeFinetune: untuned,
    accuracyAfterSelection: r.afterSelection.accuracy,
    accuracyAfterFinetune: r.config.finetuneEpochs > 0 ? r.after.accuracy : null,
    seconds: r.seconds, before: r.before, validationSamples: r.validationSamples ?? null,
    // The last entry of report.heads is the network's own classifier.
    headAccuracies: (r.heads ?? []).slice(0, -1).map((h) => h.accuracy),
    selectionEpochs: r.selectionCost?.epochEquivalents ?? null,
  };
}

/** Mean, sample std, min and max; null for no values (e.g. accuracy not measured in any run). */
export function stat(values: readonly number[]): Stat | null {
  const n = values.length;
  if (n === 0) return null;
  const mean = values.reduce((a, v) => a + v, 0) / n;
  const variance = n > 1 ? values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, std: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values), n };
}

const present = (xs: readonly (number | null)[]): number[] => xs.filter((x): x is number => x !== null);

/** Stat of a list known to be non-empty. */
function statOf(values: readonly number[]): Stat {
  return stat(values) ?? { mean: 0, std: 0, min: 0, max: 0, n: 0 };
}

/** One row per method, in the order methods first appear in `runs`. */
export function aggregate(runs: readonly CompareRun[]): CompareRow[] {
  const methods = [...new Set(runs.map((r) => r.method))];
  return methods.map((method) => {
    const mine = runs.filter((r) => r.method === method);
    return {
      method,
      seeds: mine.map((r) => r.seed),
      params: statOf(mine.map((r) => r.params)),
      flops: statOf(mine.map((r) => r.flops)),
      accuracyBeforeFinetune: stat(present(mine.map((r) => r.accuracyBeforeFinetune))),
      accuracyAfterSelection: stat(present(mine.map((r) => r.accuracyAfterSelection))),
      accuracyAfterFinetune: stat(present(mine.map((r) => r.accuracyAfterFinetune))),
      seconds: statOf(mine.map((r) => r.seconds)),
    };
  });
}

/** The unpruned model, once per seed (every method of one seed sees the same split). */
export function unprunedOf(runs: readonly CompareRun[]): UnprunedRow {
  const bySeed = new Map(runs.map((r) => [r.seed, r.before]));
  const first = [...bySeed.values()][0];
  return {
    params: first?.params ?? 0, flops: first?.flops ?? 0,
    accuracy: stat(present([...bySeed.values()].map((b) => b.accuracy))),
  };
}

/**
 * The document of a comparison of finished runs (at least one); `shared` is taken from the first report (its
 * `choiceSeed` too, though random choices may vary it per run). `untuned[i]` is report i's twin without fine-tuning.
 */
export function compareDocument(model: string, reports: readonly RunReport[], untuned?: readonly (number | null)[]): CompareDocument {
  if (reports.length === 0) throw new Error('a comparison needs at least one finished run');
  const runs = reports.map((r, i) => runFromReport(r, untuned?.[i] ?? null));
  const { method: _m, seed: _s, ...shared } = reports[0].config;
  const sizes = present(runs.map((r) => r.validationSamples));
  const validationSamples = sizes.length > 0 ? Math.min(...sizes) : null;
  const rows = aggregate(runs);
  return {
    schema: 'dcp-compare/1', model, shared,
    spread: 'sample standard deviation over seeds (n - 1); min and max are given too',
    unpruned: unprunedOf(runs), rows, runs,
    validationSamples, noise: noiseText(rows, validationSamples),
    ranks: RANKED.flatMap((key) => rankAmongRandom(runs, key)),
  };
}

const RANKED = ['accuracyBeforeFinetune', 'accuracyAfterSelection', 'accuracyAfterFinetune'] as const;

/**
 * One sentence on the measurement noise: the binomial standard error √(p(1−p)/n) of one accuracy on n validation
 * samples, at the lowest and highest pruned accuracy of the table (it is largest near 50%).
 */
export function noiseText(rows: readonly CompareRow[], n: number | null): string | null {
  if (n === null || n <= 0) return null;
  const ps = rows.flatMap((r) => [r.accuracyBeforeFinetune, r.accuracyAfterSelection, r.accuracyAfterFinetune]).filter((s): s is Stat => s !== null).map((s) => s.mean);
  if (ps.length === 0) return null;
  const se = ps.map((p) => binomialSE(p, n) * 100);
  const lo = Math.min(...se).toFixed(2);
  const hi = Math.max(...se).toFixed(2);
  return `noise: ${n} validation samples; one accuracy's binomial standard error √(p(1−p)/n) is ${lo === hi ? lo : `${lo}-${hi}`} pt ` +
    'here; differences within about twice that are not resolved (paired runs on one split share samples, which helps)';
}

/** Difference of means in accuracy points (a − b), or null when either side is missing. */
export function marginPoints(a: Stat | null, b: Stat | null): number | null {
  return a && b ? (a.mean - b.mean) * 100 : null;
}

/** Per-seed differences a − b on the seeds both methods ran, in points (accuracies) or raw units (counts). */
export interface Paired {
  seeds: number[];
  diffs: number[];
  /** Mean of the per-seed differences = difference of the means over the common seeds; null without a common seed. */
  mean: number | null;
}

/**
 * Method `a` minus method `b` seed by seed. A seed draws the data split too, so only runs of the same seed see the
 * same validation digits; this is the fair way to compare a method with one seed against one with several.
 */
export function paired(runs: readonly CompareRun[], a: PruneMethod, b: PruneMethod, key: 'accuracyAfterSelection' | 'accuracyAfterFinetune' | 'flops'): Paired {
  const scale = key === 'flops' ? 1 : 100;
  const seeds: number[] = [];
  const diffs: number[] = [];
  for (const ra of runs.filter((r) => r.method === a)) {
    const rb = runs.find((r) => r.method === b && r.seed === ra.seed);
    const va = ra[key];
    const vb = rb?.[key];
    if (va === null || vb === null || vb === undefined) continue;
    seeds.push(ra.seed);
    diffs.push((va - vb) * scale);
  }
  return { seeds, diffs, mean: diffs.length ? diffs.reduce((x, y) => x + y, 0) / diffs.length : null };
}

/** 1234567 → "1.23 M": the count format of every comparison table. */
export function countText(n: number): string {
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

/** `mean ± std`, the ± left out when every seed gave the same value (params and FLOPs under the rate rule). */
function withSpread(s: Stat | null, format: (v: number) => string, spread: (v: number) => string = format): string {
  if (!s) return '-';
  return s.n > 1 && s.max > s.min ? `${format(s.mean)} ± ${spread(s.std)}` : format(s.mean);
}

const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
const pts = (v: number): string => (v * 100).toFixed(2);
const secs = (v: number): string => `${v.toFixed(0)} s`;
const count = (v: number): string => countText(Math.round(v));

export const COMPARE_COLUMNS = ['method', 'seeds', 'params', 'FLOPs', 'acc. after selection', 'acc. after fine-tune', 'time'] as const;

/**
 * The comparison as text cells: the header, an unpruned line, then one line per method; `a ± s` = mean ± sample
 * std over the seeds (accuracy spread in points). The terminal table and the Markdown document lay out these cells.
 */
export function compareCells(doc: Pick<CompareDocument, 'unpruned' | 'rows'>): string[][] {
  const u = doc.unpruned;
  // The before-any-fine-tuning column exists only when the comparison ran the untuned twins (--untuned).
  const untuned = doc.rows.some((r) => r.accuracyBeforeFinetune !== null);
  const before = (cells: string[]): string[] => (untuned ? cells : []);
  const [m, s, p, f, ...rest] = COMPARE_COLUMNS;
  return [
    [m, s, p, f, ...before([UNTUNED_COLUMN]), ...rest],
    ['(unpruned)', '', count(u.params), count(u.flops), ...before(['']), withSpread(u.accuracy, pct, pts), '', ''],
    ...doc.rows.map((r) => [
      r.method, String(r.seeds.length), withSpread(r.params, count), withSpread(r.flops, count),
      ...before([withSpread(r.accuracyBeforeFinetune, pct, pts)]),
      withSpread(r.accuracyAfterSelection, pct, pts), withSpread(r.accuracyAfterFinetune, pct, pts), withSpread(r.seconds, secs),
    ]),
  ];
}

export const UNTUNED_COLUMN = 'acc. before any fine-tune';

/** True when some method ran on more than one seed, i.e. when the table's ± needs its legend. */
export function hasSpread(doc: Pick<CompareDocument, 'rows'>): boolean {
  return doc.rows.some((r) => r.seeds.length > 1);
}

export const SPREAD_LEGEND = 'a ± s: mean ± sample standard deviation over the seeds (accuracy spread in points)';
