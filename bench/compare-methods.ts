/**
 * Method comparison on the example models (issue 4's targets): the `dcp compare` logic on the example ResNet at
 * η = 0.5 and the example VGG at η = 0.3 with dcp, recon, random (several seeds) and dkp, then the margins the
 * targets are about:
 *   - DCP's accuracy after selection (before fine-tuning) minus recon's, and minus the mean of random's;
 *   - DKP vs DCP: FLOPs, and accuracy after fine-tuning (target: fewer FLOPs at ≤ 0.5 point lower accuracy).
 *
 *   npm run bench:compare                                   both models, 1 fine-tuning epoch, 3 random seeds
 *   npm run bench:compare -- --model vgg --finetune-epochs 2 --random-seeds 5 --json-dir /tmp/cmp
 *   npm run bench:compare -- --methods dcp:2,recon:2 --seed 2      more seeds of other methods (seeds 2 and 3)
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
import { runCompare, parseMethods } from '../server/cli/compare';
import { compareTable, marginPoints, runLine, type CompareDocument, type CompareRow, type Stat } from '../server/cli/compare-table';
import { writeJsonAtomic } from '../server/dcp/outputs';
import { fmtCount } from '../server/cli/report-table';

const CASES = [
  { name: 'resnet', rate: 0.5 },
  { name: 'vgg', rate: 0.3 },
] as const;

const { values } = parseArgs({
  options: {
    model: { type: 'string' }, 'finetune-epochs': { type: 'string', default: '1' }, 'random-seeds': { type: 'string', default: '3' },
    'json-dir': { type: 'string' }, methods: { type: 'string' }, seed: { type: 'string', default: '1' }, backend: { type: 'string', default: 'auto' }, 'max-train-samples': { type: 'string', default: '0' },
  },
});

const pct = (s: Stat | null | undefined): string => (s ? `${(s.mean * 100).toFixed(2)}%${s.n > 1 ? ` ± ${(s.std * 100).toFixed(2)}` : ''}` : '-');
const signed = (v: number | null): string => (v === null ? '-' : `${v >= 0 ? '+' : ''}${v.toFixed(2)} pt`);
const verdict = (ok: boolean | null): string => (ok === null ? '(not measured)' : ok ? 'target met' : 'target NOT met');

/** The lines about issue 4's targets, from the aggregated rows. */
function targetLines(rows: CompareRow[]): string[] {
  const row = (m: string): CompareRow | undefined => rows.find((r) => r.method === m);
  const [dcp, recon, random, dkp] = ['dcp', 'recon', 'random', 'dkp'].map(row);
  const overRecon = marginPoints(dcp?.accuracyAfterSelection ?? null, recon?.accuracyAfterSelection ?? null);
  const overRandom = marginPoints(dcp?.accuracyAfterSelection ?? null, random?.accuracyAfterSelection ?? null);
  const lines = [
    `DCP - recon, accuracy after selection: ${signed(overRecon)} ${verdict(overRecon === null ? null : overRecon > 0)}`,
    `DCP - mean(random, ${random?.seeds.length ?? 0} seeds), accuracy after selection: ${signed(overRandom)} ${verdict(overRandom === null ? null : overRandom > 0)}` +
      (random?.accuracyAfterSelection ? ` (random min ${(random.accuracyAfterSelection.min * 100).toFixed(2)}%, max ${(random.accuracyAfterSelection.max * 100).toFixed(2)}%)` : ''),
  ];
  if (dcp && dkp) {
    const drop = marginPoints(dkp.accuracyAfterFinetune, dcp.accuracyAfterFinetune);
    const fewer = dkp.flops.mean < dcp.flops.mean;
    lines.push(
      `DKP vs DCP: FLOPs ${fmtCount(Math.round(dkp.flops.mean))} vs ${fmtCount(Math.round(dcp.flops.mean))} (${(dkp.flops.mean / dcp.flops.mean).toFixed(3)}x), ` +
      `accuracy after fine-tune ${pct(dkp.accuracyAfterFinetune)} vs ${pct(dcp.accuracyAfterFinetune)} (${signed(drop)}) ` +
      verdict(drop === null ? null : fewer && drop >= -0.5),
    );
  }
  return lines;
}

/** The same table as Markdown, for docs/compare.md. */
function markdownTable(doc: CompareDocument): string {
  const cell = (s: Stat | null): string => pct(s);
  const lines = [
    '| method | seeds | params | FLOPs | acc. after selection | acc. after fine-tune | time |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| (unpruned) | | ${fmtCount(doc.unpruned.params)} | ${fmtCount(doc.unpruned.flops)} | ${cell(doc.unpruned.accuracy)} | | |`,
    ...doc.rows.map((r) => `| ${r.method} | ${r.seeds.length} | ${fmtCount(Math.round(r.params.mean))} | ${fmtCount(Math.round(r.flops.mean))} | ` +
      `${cell(r.accuracyAfterSelection)} | ${cell(r.accuracyAfterFinetune)} | ${r.seconds.mean.toFixed(0)} s |`),
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const backend = await initBackend(values.backend as RunConfig['backend']);
  const finetuneEpochs = Number(values['finetune-epochs']);
  const randomSeeds = Number(values['random-seeds']);
  const methods = values.methods ?? `dcp,recon,random:${randomSeeds},dkp`;
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
    console.log('\n' + compareTable(result.doc));
    console.log('a ± s: mean ± sample standard deviation over the seeds (accuracy spread in points)\n');
    for (const line of targetLines(result.doc.rows)) console.log(line);
    console.log('\n' + markdownTable(result.doc));
    if (values['json-dir']) {
      await fs.mkdir(path.resolve(values['json-dir']), { recursive: true });
      await writeJsonAtomic(path.resolve(values['json-dir'], `compare-${c.name}-s${firstSeed}.json`), result.doc);
      // The full reports too (per-layer choices and losses), to look into a surprising row later.
      await writeJsonAtomic(path.resolve(values['json-dir'], `reports-${c.name}-s${firstSeed}.json`), result.reports);
    }
  }
  console.log(`\ntotal ${((Date.now() - started) / 60000).toFixed(1)} min wall; load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
}

void main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : String(e));
  process.exitCode = 1;
});
