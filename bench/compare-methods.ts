/**
 * Method comparison on the example models (issue 4's targets): the `dcp compare` logic on the example ResNet at
 * η = 0.5 and the example VGG at η = 0.3 with dcp, recon and random on seeds 1..K and dkp on seed 1, then the
 * margins the targets are about, seed by seed:
 *   - DCP's accuracy after selection (before fine-tuning) minus recon's, and minus the mean of random's;
 *   - DKP vs DCP: FLOPs, and accuracy after fine-tuning (target: fewer FLOPs at ≤ 0.5 point lower accuracy).
 *
 *   npm run bench:compare                                   both models, 1 fine-tuning epoch, seeds 1-3
 *   npm run bench:compare -- --model vgg --finetune-epochs 2 --seeds 5 --json-dir /tmp/cmp
 *   npm run bench:compare -- --methods dcp,dkp --finetune-epochs 3     any --methods list (dcp compare syntax)
 *
 * Each run is a full pipeline (head training, selection, stage fine-tunes, surgery, fine-tuning); expect
 * 1-3 minutes of CPU per run. Results go to stdout: one line per run, the table, the margins and a Markdown copy.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import type { RunConfig } from '../protocol/model';
import { initBackend } from '../server/tfjs/backend';
import { SPREAD_LEGEND, compareCells, countText as fmtCount, paired, type CompareDocument } from '../protocol/compare';
import { parseMethods } from '../server/dcp/compare/jobs';
import { runCompare } from '../server/dcp/compare/run-compare';
import { compareTable, runLine } from '../server/cli/compare-table';
import { writeJsonAtomic } from '../server/dcp/run/outputs';

const CASES = [
  { name: 'resnet', rate: 0.5 },
  { name: 'vgg', rate: 0.3 },
] as const;

const { values } = parseArgs({
  options: {
    model: { type: 'string' }, 'finetune-epochs': { type: 'string', default: '1' }, seeds: { type: 'string', default: '3' },
    'json-dir': { type: 'string' }, methods: { type: 'string' }, seed: { type: 'string', default: '1' }, backend: { type: 'string', default: 'auto' }, 'max-train-samples': { type: 'string', default: '0' },
  },
});

const signed = (v: number | null): string => (v === null ? '-' : `${v >= 0 ? '+' : ''}${v.toFixed(2)} pt`);
const verdict = (ok: boolean | null): string => (ok === null ? '(not measured)' : ok ? 'target met' : 'target NOT met');

const list = (xs: number[]): string => xs.map((d) => `${d >= 0 ? '+' : ''}${d.toFixed(2)}`).join(', ');

/**
 * The lines about issue 4's targets, seed by seed (a seed draws the data split, so only same-seed runs share their
 * validation digits): DCP − recon and DCP − random after selection, and DKP vs DCP on the seeds DKP ran.
 */
function targetLines(doc: CompareDocument): string[] {
  const lines: string[] = [];
  for (const base of ['recon', 'random'] as const) {
    const d = paired(doc.runs, 'dcp', base, 'accuracyAfterSelection');
    const wins = d.diffs.filter((x) => x > 0).length;
    lines.push(`DCP - ${base}, accuracy after selection, seeds ${d.seeds.join(',')}: mean ${signed(d.mean)} (per seed ${list(d.diffs)}; DCP ahead on ${wins} of ${d.diffs.length}) ` +
      verdict(d.mean === null ? null : d.mean > 0));
  }
  const flops = paired(doc.runs, 'dkp', 'dcp', 'flops');
  const acc = paired(doc.runs, 'dkp', 'dcp', 'accuracyAfterFinetune');
  const dcpFlops = doc.rows.find((r) => r.method === 'dcp')?.flops.mean;
  if (flops.mean !== null && dcpFlops) {
    lines.push(`DKP - DCP, seeds ${flops.seeds.join(',')}: FLOPs ${((flops.mean / dcpFlops) * 100).toFixed(1)}% (${flops.mean < 0 ? '−' : '+'}${fmtCount(Math.abs(Math.round(flops.mean)))} of DCP's ${fmtCount(Math.round(dcpFlops))}), ` +
      `accuracy after fine-tune ${signed(acc.mean)} (per seed ${list(acc.diffs)}) ` + verdict(acc.mean === null ? null : flops.mean < 0 && acc.mean >= -0.5));
  }
  return lines;
}

/** The same table as Markdown, for docs/compare.md. */
function markdownTable(doc: CompareDocument): string {
  const [header, ...rows] = compareCells(doc);
  return [
    `| ${header.join(' | ')} |`,
    `| --- | ${header.slice(1).map(() => '---:').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ].join('\n');
}

/** Seed × method accuracies (after selection / after fine-tune), the paired view behind the margins. */
function perSeedMarkdown(doc: CompareDocument): string {
  const methods = doc.rows.map((r) => r.method);
  const seeds = [...new Set(doc.runs.map((r) => r.seed))].sort((x, y) => x - y);
  const acc = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : (v * 100).toFixed(2));
  const lines = [
    `| seed | unpruned | ${methods.map((m) => `${m} sel. / ft.`).join(' | ')} |`,
    `| ---: | ---: | ${methods.map(() => '---:').join(' | ')} |`,
    ...seeds.map((seed) => {
      const mine = doc.runs.filter((r) => r.seed === seed);
      const cells = methods.map((m) => {
        const r = mine.find((x) => x.method === m);
        return r ? `${acc(r.accuracyAfterSelection)} / ${acc(r.accuracyAfterFinetune)}` : '';
      });
      return `| ${seed} | ${acc(mine[0]?.before.accuracy)} | ${cells.join(' | ')} |`;
    }),
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const backend = await initBackend(values.backend as RunConfig['backend']);
  const finetuneEpochs = Number(values['finetune-epochs']);
  // DCP, recon and random on the same K seeds (paired by split); DKP, the slowest, on the first seed only.
  const seeds = Number(values.seeds);
  const methods = values.methods ?? `dcp:${seeds},recon:${seeds},random:${seeds},dkp:1`;
  const firstSeed = Number(values.seed);
  const cases = CASES.filter((c) => values.model === undefined || c.name === values.model);
  if (cases.length === 0) throw new Error(`--model must be resnet or vgg (got ${values.model})`);
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const started = Date.now();
  console.log(`bench:compare on ${backend}, ${cpus().length} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  for (const c of cases) {
    const modelPath = path.join(__dirname, '..', 'examples', c.name, 'model.json');
    const config: Partial<RunConfig> = {
      rate: c.rate, data: 'mnist', finetuneEpochs, backend: values.backend as RunConfig['backend'],
      maxTrainSamples: Number(values['max-train-samples']),
    };
    const jobs = parseMethods(methods, 1, firstSeed);
    console.log(`\n${c.name} at rate ${c.rate}: ${jobs.length} runs (${methods}), ${finetuneEpochs} fine-tuning epoch(s), other options at their defaults`);
    const result = await runCompare({
      modelPath, config, jobs, signal: controller.signal,
      onRun: (i, n, job, run, failure) => console.log(run ? runLine(i, n, run) : `[${i}/${n}] ${job.method} seed ${job.seed} FAILED: ${failure}`),
    });
    if (result.cancelled || !result.doc) {
      console.log(result.cancelled ? 'cancelled' : 'no run finished');
      process.exitCode = 1;
      return;
    }
    if (values['json-dir']) {
      await fs.mkdir(path.resolve(values['json-dir']), { recursive: true });
      await writeJsonAtomic(path.resolve(values['json-dir'], `compare-${c.name}-s${firstSeed}.json`), result.doc);
      // The full reports too (per-layer choices and losses), to look into a surprising row later.
      await writeJsonAtomic(path.resolve(values['json-dir'], `reports-${c.name}-s${firstSeed}.json`), result.reports);
    }
    console.log('\n' + compareTable(result.doc));
    console.log(`${SPREAD_LEGEND}\n`);
    for (const line of targetLines(result.doc)) console.log(line);
    console.log('\n' + markdownTable(result.doc));
    console.log('\n' + perSeedMarkdown(result.doc));
    console.log(`\nshared options: ${JSON.stringify(result.doc.shared)}`);
  }
  console.log(`\ntotal ${((Date.now() - started) / 60000).toFixed(1)} min wall; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

void main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exitCode = 1;
});
