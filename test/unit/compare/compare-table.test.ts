import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ModelStats, PruneMethod, RunReport } from '../../../protocol/model';
import { resolveRunConfig, ConfigError } from '../../../protocol/settings-validate';
import { PRUNE_METHODS } from '../../../protocol/settings';
import { UNTUNED_COLUMN, aggregate, binomialSE, compareCells, compareDocument, marginPoints, noiseText, paired, rankAmongRandom, rankLine, runFromReport, stat, unprunedOf, type CompareRun } from '../../../protocol/compare';
import { compareTable, runLine } from '../../../server/cli/compare-table';
import { parseMethods, randomChoiceJobs } from '../../../server/dcp/compare/jobs';

const stats = (params: number, flops: number, accuracy: number | null): ModelStats => ({ params, flops, accuracy, latencyMs1: null, latencyMsBatch: null, latencyBatch: 32 });

function run(method: PruneMethod, seed: number, sel: number | null, ft: number | null, extra: Partial<CompareRun> = {}): CompareRun {
  return { method, seed, choiceSeed: null, accuracyBeforeFinetune: null, validationSamples: null, headAccuracies: [], params: 500, flops: 2000, accuracyAfterSelection: sel, accuracyAfterFinetune: ft, seconds: 10, before: stats(1000, 4000, 0.99 - seed / 100), ...extra };
}

function close(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-12, `${what}: ${actual} vs ${expected}`);
}

test('stat gives the mean, the sample standard deviation (n − 1), min and max', () => {
  const s = stat([0.9, 0.8, 0.7])!;
  close(s.mean, 0.8, 'mean');
  close(s.std, 0.1, 'std: √((0.01 + 0 + 0.01) / 2)');
  assert.deepEqual([s.min, s.max, s.n], [0.7, 0.9, 3]);
  assert.deepEqual(stat([5]), { mean: 5, std: 0, min: 5, max: 5, n: 1 }, 'one seed: no spread');
  assert.equal(stat([]), null);
});

test('aggregate groups runs by method in first-seen order and averages over seeds', () => {
  const rows = aggregate([
    run('dcp', 1, 0.9, 0.95), run('random', 1, 0.5, 0.9), run('random', 2, 0.7, 0.92), run('random', 3, 0.6, 0.94, { seconds: 40 }),
  ]);
  assert.deepEqual(rows.map((r) => [r.method, r.seeds]), [['dcp', [1]], ['random', [1, 2, 3]]]);
  const random = rows[1];
  close(random.accuracyAfterSelection!.mean, 0.6, 'random mean after selection');
  close(random.accuracyAfterSelection!.std, 0.1, 'random std after selection');
  close(random.accuracyAfterFinetune!.mean, 0.92, 'random mean after fine-tune');
  close(random.seconds.mean, 20, 'time');
  assert.deepEqual([random.params.mean, random.params.std], [500, 0]);
  close(marginPoints(rows[0].accuracyAfterSelection, random.accuracyAfterSelection)!, 30, 'DCP − mean(random) in points');
  assert.equal(marginPoints(rows[0].accuracyAfterSelection, null), null);
});

test('a skipped fine-tuning is null in the rows and "-" in the table, not a copy of the accuracy after selection', () => {
  const cfg = resolveRunConfig({ method: 'l1', finetuneEpochs: 0, seed: 4 });
  const afterSelection = stats(600, 3000, 0.8);
  const report = {
    schema: 'dcp-report/1', config: cfg, before: stats(1000, 4000, 0.99), afterSelection, after: { ...afterSelection }, seconds: 12.5,
  } as unknown as RunReport;
  const r = runFromReport(report);
  assert.deepEqual([r.method, r.seed, r.params, r.flops, r.accuracyAfterSelection, r.accuracyAfterFinetune, r.seconds], ['l1', 4, 600, 3000, 0.8, null, 12.5]);
  const rows = aggregate([r]);
  assert.equal(rows[0].accuracyAfterFinetune, null);
  const table = compareTable({ unpruned: unprunedOf([r]), rows }).split('\n');
  assert.match(table[0], /acc\. after selection\s+acc\. after fine-tune/);
  assert.match(table.find((l) => l.startsWith('l1'))!, /80\.00%\s+-\s+13 s$/);
  assert.match(runLine(1, 2, r), /^\[1\/2\] l1 seed 4: 600 params, 3\.0 k FLOPs, after selection 80\.00%, no fine-tuning/);
  // With fine-tuning the after-fine-tune accuracy is the report's `after`.
  const tuned = runFromReport({ ...report, config: { ...cfg, finetuneEpochs: 2 }, after: stats(600, 3000, 0.97) });
  assert.equal(tuned.accuracyAfterFinetune, 0.97);
});

test('the table shows mean ± std where seeds disagree and a plain value where they agree', () => {
  const runs = [run('dcp', 1, 0.9, 0.95), run('random', 1, 0.5, 0.9), run('random', 2, 0.7, 0.9)];
  const lines = compareTable({ unpruned: unprunedOf(runs), rows: aggregate(runs) }).split('\n');
  assert.equal(lines.length, 5, 'header, rule, unpruned, dcp, random');
  const random = lines.find((l) => l.startsWith('random'))!;
  assert.match(random, /60\.00% ± 14\.14/, 'after selection: mean ± sample std in points');
  assert.match(random, /90\.00%\s+10 s$/, 'equal fine-tune accuracies and times: no ±');
  assert.ok(!/500 ±/.test(random), 'equal params: no ±');
  assert.match(lines.find((l) => l.startsWith('(unpruned)'))!, /1\.0 k\s+4\.0 k\s+97\.50% ± 0\.71/);
});

test('unprunedOf counts each seed once, since all methods of a seed share its validation split', () => {
  const u = unprunedOf([run('dcp', 1, 0.9, null), run('recon', 1, 0.8, null), run('dcp', 2, 0.9, null)]);
  assert.equal(u.accuracy!.n, 2);
  close(u.accuracy!.mean, (0.98 + 0.97) / 2, 'mean of the two seeds');
  assert.deepEqual([u.params, u.flops], [1000, 4000]);
});

test('--methods: a list, each with the common seed count or its own :K', () => {
  assert.deepEqual(parseMethods('dcp, random:3 ,l1', 1, 1), [
    { method: 'dcp', seed: 1 }, { method: 'random', seed: 1 }, { method: 'random', seed: 2 }, { method: 'random', seed: 3 }, { method: 'l1', seed: 1 },
  ]);
  assert.deepEqual(parseMethods('recon,dkp', 2, 5).map((j) => `${j.method}/${j.seed}`), ['recon/5', 'recon/6', 'dkp/5', 'dkp/6']);
  assert.throws(() => parseMethods('dcp,magnitude', 1, 1), (e: unknown) => e instanceof ConfigError && e.key === 'methods' && /unknown method 'magnitude'/.test(e.message));
  assert.throws(() => parseMethods('dcp,dcp', 1, 1), /listed twice/);
  assert.throws(() => parseMethods('random:0', 1, 1), /at least one seed/);
  assert.throws(() => parseMethods(' , ', 1, 1), /list is empty/);
  // Every method of the settings table is accepted, and the error lists exactly those.
  assert.deepEqual(parseMethods(PRUNE_METHODS.values.join(','), 1, 1).map((j) => j.method), [...PRUNE_METHODS.values]);
  assert.throws(() => parseMethods('thinet', 1, 1), new RegExp(`list of ${PRUNE_METHODS.values.join(', ')},`));
});

test('compareDocument takes the shared settings from the reports and aggregates their rows', () => {
  const report = (method: PruneMethod, seed: number, acc: number): RunReport => ({
    schema: 'dcp-report/1', config: resolveRunConfig({ method, seed, rate: 0.3 }), before: stats(1000, 4000, 0.99 - seed / 100),
    afterSelection: stats(600, 3000, acc), after: stats(600, 3000, acc + 0.05), seconds: 10,
  }) as unknown as RunReport;
  const doc = compareDocument('m.json', [report('dcp', 1, 0.9), report('random', 1, 0.7), report('random', 2, 0.8)]);
  assert.equal(doc.schema, 'dcp-compare/1');
  assert.equal(doc.shared.rate, 0.3);
  assert.ok(!('method' in doc.shared) && !('seed' in doc.shared), 'method and seed are per row');
  assert.deepEqual(doc.rows.map((r) => [r.method, r.seeds]), [['dcp', [1]], ['random', [1, 2]]]);
  close(doc.rows[1].accuracyAfterFinetune!.mean, 0.8, 'after fine-tune = report.after');
  assert.equal(doc.unpruned.accuracy!.n, 2, 'one unpruned accuracy per seed');
  assert.throws(() => compareDocument('m.json', []), /at least one finished run/);
});

test('paired differences use only the seeds both methods ran', () => {
  const runs = [
    run('dcp', 1, 0.95, 0.97), run('random', 1, 0.955, 0.96), run('random', 2, 0.92, 0.98), run('random', 3, 0.957, 0.95),
    run('dkp', 1, 0.95, 0.965, { flops: 1500 }), run('dcp', 3, 0.9475, null),
  ];
  const r = paired(runs, 'dcp', 'random', 'accuracyAfterSelection');
  assert.deepEqual(r.seeds, [1, 3]);
  close(r.diffs[0], -0.5, 'seed 1 in points');
  close(r.diffs[1], -0.95, 'seed 3 in points');
  close(r.mean!, -0.725, 'mean of the paired differences');
  assert.deepEqual(paired(runs, 'dcp', 'random', 'accuracyAfterFinetune').seeds, [1], 'a run without fine-tuning is left out');
  assert.deepEqual(paired(runs, 'dkp', 'dcp', 'flops'), { seeds: [1], diffs: [-500], mean: -500 });
  assert.deepEqual(paired(runs, 'recon', 'dcp', 'flops'), { seeds: [], diffs: [], mean: null });
});

test('DCP ranked among random choices of its own split: percentile with ties as halves, paired differences', () => {
  const rnd = (seed: number, choice: number, sel: number): CompareRun => run('random', seed, sel, null, { choiceSeed: choice });
  const runs = [
    run('dcp', 1, 0.90, null), rnd(1, 2, 0.91), rnd(1, 1, 0.85), rnd(1, 3, 0.90), rnd(1, 4, 0.80),
    run('dcp', 2, 0.70, null), rnd(2, 1, 0.60),
  ];
  const ranks = rankAmongRandom(runs, 'accuracyAfterSelection');
  assert.equal(ranks.length, 1, 'seed 2 has a single random choice: no rank');
  const r = ranks[0];
  assert.deepEqual(r.random, [0.85, 0.91, 0.90, 0.80], 'in choice-seed order');
  assert.equal(r.beaten, 2);
  assert.equal(r.ties, 1);
  close(r.percentile, 62.5, '(2 + 1/2) / 4');
  // Differences in points: +5, −1, 0, +10 → mean 3.5; squared deviations 2.25 + 20.25 + 12.25 + 42.25 = 77,
  // sample variance 77/3, SE = √(77/3) / √4 ≈ 2.53.
  close(r.meanDiff, 3.5, 'mean difference');
  close(r.meanDiffSE, Math.sqrt(77 / 3) / 2, 'standard error of the mean difference');
  assert.match(rankLine(r), /^seed 1, after selection: DCP 90\.00% beats 2 of 4 random choices, ties 1 \(percentile 63\); DCP − random \+3\.50 ± 2\.53 pt/);
  assert.deepEqual(rankAmongRandom(runs, 'accuracyAfterFinetune'), [], 'no fine-tuned accuracies, no rank');
});

test('binomial noise of an accuracy, and the noise sentence of a document', () => {
  close(binomialSE(0.9, 2000), Math.sqrt(0.09 / 2000), 'p = 0.9, n = 2000');
  close(binomialSE(0.5, 100), 0.05, 'p = 0.5, n = 100');
  assert.throws(() => binomialSE(0.5, 0), RangeError);
  const rows = aggregate([run('dcp', 1, 0.9, 0.95), run('recon', 1, 0.5, 0.94)]);
  assert.match(noiseText(rows, 2000) ?? '', /^noise: 2000 validation samples; .* is 0\.49-1\.12 pt here/);
  assert.equal(noiseText(rows, null), null);
});

test('--random-choices adds K random jobs per split seed; the untuned column appears only with untuned numbers', () => {
  const jobs = randomChoiceJobs(parseMethods('dcp,recon', 2, 1), 3);
  assert.deepEqual(jobs.filter((j) => j.method === 'random').map((j) => `${j.seed}~${j.choiceSeed}`), ['1~1', '1~2', '1~3', '2~1', '2~2', '2~3']);
  assert.throws(() => randomChoiceJobs(parseMethods('dcp,random', 1, 1), 2), /leave it out of --methods/);
  assert.throws(() => randomChoiceJobs([], 0), /positive integer/);
  const plain = compareCells({ unpruned: unprunedOf([run('dcp', 1, 0.9, null)]), rows: aggregate([run('dcp', 1, 0.9, null)]) });
  assert.ok(!plain[0].includes(UNTUNED_COLUMN));
  const withTwin = [run('dcp', 1, 0.9, null, { accuracyBeforeFinetune: 0.8 })];
  const cells = compareCells({ unpruned: unprunedOf(withTwin), rows: aggregate(withTwin) });
  assert.equal(cells[0][4], UNTUNED_COLUMN);
  assert.deepEqual(cells[2].slice(4, 6), ['80.00%', '90.00%']);
  assert.equal(cells[1].length, cells[0].length, 'the unpruned line has a cell per column');
});
