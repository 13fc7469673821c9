/**
 * `dcp compare`'s rows: one run's numbers taken from its RunReport, the per-method aggregate over seeds, the
 * terminal table and the JSON document. Pure functions (no TF.js, no I/O) so they are unit-tested directly.
 */
import type { ModelStats, PruneMethod, RunConfig, RunReport } from '../../protocol/model';
import { fmtCount, formatTable } from './report-table';

/** One finished run, reduced to what the comparison shows. Accuracies are in [0, 1]. */
export interface CompareRun {
  method: PruneMethod;
  seed: number;
  params: number;
  flops: number;
  /** Validation accuracy right after selection and surgery, before any final fine-tuning. */
  accuracyAfterSelection: number | null;
  /** After final fine-tuning; null when fine-tuning was skipped (`--finetune-epochs 0`), never a copy of the above. */
  accuracyAfterFinetune: number | null;
  seconds: number;
  /** The unpruned model on this seed's validation split (the split depends on the seed). */
  before: ModelStats;
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
  accuracyAfterSelection: Stat | null;
  /** Null when fine-tuning was skipped or not measured. */
  accuracyAfterFinetune: Stat | null;
  seconds: Stat;
}

/** What `dcp compare --json` writes. */
export interface CompareDocument {
  schema: 'dcp-compare/1';
  model: string;
  /** The options every run shared; `method` and `seed` are per row. */
  shared: Omit<RunConfig, 'method' | 'seed'>;
  spread: 'sample standard deviation over seeds (n - 1); min and max are given too';
  unpruned: { params: number; flops: number; accuracy: Stat | null };
  rows: CompareRow[];
  runs: CompareRun[];
}

/** The numbers of one finished run. */
export function runFromReport(r: RunReport): CompareRun {
  return {
    method: r.config.method, seed: r.config.seed, params: r.after.params, flops: r.after.flops,
    accuracyAfterSelection: r.afterSelection.accuracy,
    accuracyAfterFinetune: r.config.finetuneEpochs > 0 ? r.after.accuracy : null,
    seconds: r.seconds, before: r.before,
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

/** One row per method, in the order methods first appear in `runs`. */
export function aggregate(runs: readonly CompareRun[]): CompareRow[] {
  const methods = [...new Set(runs.map((r) => r.method))];
  return methods.map((method) => {
    const mine = runs.filter((r) => r.method === method);
    return {
      method,
      seeds: mine.map((r) => r.seed),
      params: stat(mine.map((r) => r.params))!,
      flops: stat(mine.map((r) => r.flops))!,
      accuracyAfterSelection: stat(present(mine.map((r) => r.accuracyAfterSelection))),
      accuracyAfterFinetune: stat(present(mine.map((r) => r.accuracyAfterFinetune))),
      seconds: stat(mine.map((r) => r.seconds))!,
    };
  });
}

/** The unpruned model, once per seed (every method of one seed sees the same split). */
export function unprunedOf(runs: readonly CompareRun[]): CompareDocument['unpruned'] {
  const bySeed = new Map(runs.map((r) => [r.seed, r.before]));
  const first = [...bySeed.values()][0];
  return {
    params: first?.params ?? 0, flops: first?.flops ?? 0,
    accuracy: stat(present([...bySeed.values()].map((b) => b.accuracy))),
  };
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

function withSpread(s: Stat | null, format: (v: number) => string, spread: (v: number) => string = format): string {
  if (!s) return '-';
  return s.n > 1 && s.max > s.min ? `${format(s.mean)} ± ${spread(s.std)}` : format(s.mean);
}

const pct = (v: number): string => `${(v * 100).toFixed(2)}%`;
const pts = (v: number): string => (v * 100).toFixed(2);
const secs = (v: number): string => `${v.toFixed(0)} s`;
const count = (v: number): string => fmtCount(Math.round(v));

/**
 * The terminal table: an unpruned line, then one line per method; `a ± s` = mean ± sample std over the seeds
 * (left out when every seed gave the same value, as params and FLOPs do under the rate rule).
 */
export function compareTable(doc: Pick<CompareDocument, 'unpruned' | 'rows'>): string {
  const header = ['method', 'seeds', 'params', 'FLOPs', 'acc. after selection', 'acc. after fine-tune', 'time'];
  const u = doc.unpruned;
  const rows = [
    header,
    ['(unpruned)', '', count(u.params), count(u.flops), withSpread(u.accuracy, pct, pts), '', ''],
    ...doc.rows.map((r) => [
      r.method, String(r.seeds.length), withSpread(r.params, count), withSpread(r.flops, count),
      withSpread(r.accuracyAfterSelection, pct, pts), withSpread(r.accuracyAfterFinetune, pct, pts), withSpread(r.seconds, secs),
    ]),
  ];
  return formatTable(rows);
}

/** The progress line printed when one run finishes. */
export function runLine(index: number, total: number, r: CompareRun): string {
  const ft = r.accuracyAfterFinetune === null ? 'no fine-tuning' : `after fine-tune ${pct(r.accuracyAfterFinetune)}`;
  const sel = r.accuracyAfterSelection === null ? '-' : pct(r.accuracyAfterSelection);
  return `[${index}/${total}] ${r.method} seed ${r.seed}: ${count(r.params)} params, ${count(r.flops)} FLOPs, after selection ${sel}, ${ft} (${r.seconds.toFixed(0)} s)`;
}
