import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { promises as fs } from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig } from '../../../protocol/model';
import { initBackend } from '../../../server/tfjs/backend';
import { saveLayersModel } from '../../../server/io/model-files';
import { runCli } from '../../../server/cli/main';
import { runCompare } from '../../../server/dcp/compare/run-compare';
import type { CompareDocument } from '../../../protocol/compare';
import { ConfigError } from '../../../protocol/settings-validate';
import { capture } from '../cli/capture';
import { tinyPlain } from '../../fixtures/tiny/tiny-models';

/** A few seconds per run on the tiny plain net (see test/unit/dcp/engine.test.ts). */
const TINY = ['--heads', '1', '--data', 'mnist', '--max-train-samples', '128', '--selection-samples', '32', '--head-epochs', '1', '--batch-size', '32', '--backend', 'wasm'];
const TINY_CONFIG: Partial<RunConfig> = { heads: 1, data: 'mnist', maxTrainSamples: 128, selectionSamples: 32, headEpochs: 1, finetuneEpochs: 1, batchSize: 32, backend: 'wasm' };

let dir = '';
let modelPath = '';
before(async () => {
  await initBackend('wasm');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-compare-test-'));
  const model = tinyPlain();
  modelPath = await saveLayersModel(model, path.join(dir, 'tiny'));
  model.dispose();
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});


/** The temporary run folders `dcp compare` makes (dcp-compare-XXXXXX, not this test's dcp-compare-test-…). */
async function runFolders(): Promise<string[]> {
  return (await fs.readdir(os.tmpdir())).filter((f) => /^dcp-compare-[^-]{6}$/.test(f));
}

test('dcp compare with two methods prints a line per run and one table, and --json holds the same rows', async () => {
  const foldersBefore = await runFolders();
  const io = capture();
  const json = path.join(dir, 'rows.json');
  const code = await runCli(['compare', modelPath, '--methods', 'dcp,random', '--rate', '0.5', '--finetune-epochs', '1', '--json', json, ...TINY], io);
  assert.equal(code, 0, io.errors.join('\n'));
  assert.equal(io.lines.filter((l) => /^\[\d\/2\] /.test(l)).length, 2, 'one progress line per finished run');
  const header = io.lines.findIndex((l) => l.startsWith('method'));
  assert.ok(header > 0, io.lines.join('\n'));
  const table = io.lines.slice(header, header + 5);
  assert.match(table[2], /^\(unpruned\)/);
  assert.match(table[3], /^dcp\s+1\s/);
  assert.match(table[4], /^random\s+1\s/);

  const doc = JSON.parse(await fs.readFile(json, 'utf8')) as CompareDocument;
  assert.equal(doc.schema, 'dcp-compare/1');
  assert.deepEqual(doc.rows.map((r) => r.method), ['dcp', 'random']);
  assert.deepEqual(doc.runs.map((r) => [r.method, r.seed]), [['dcp', 1], ['random', 1]]);
  assert.equal(doc.shared.rate, 0.5);
  assert.equal(doc.shared.finetuneEpochs, 1);
  for (const r of doc.rows) {
    assert.ok(r.params.mean < doc.unpruned.params, `${r.method} is smaller than the unpruned model`);
    assert.ok(r.accuracyAfterSelection !== null && r.accuracyAfterFinetune !== null);
  }
  // Same rate, same pipeline: the two methods end with the same architecture.
  assert.equal(doc.rows[0].params.mean, doc.rows[1].params.mean);
  assert.ok(!(await fs.readdir(dir)).some((f) => f.endsWith('.tmp')), 'the JSON was renamed into place');
  assert.deepEqual(await runFolders(), foldersBefore, 'temporary run folders removed');
});

test('--finetune-epochs 0 leaves the after-fine-tune column empty and --seeds 2 runs both seeds', async () => {
  const io = capture();
  const json = path.join(dir, 'no-ft.json');
  const code = await runCli(['compare', modelPath, '--methods', 'l1', '--seeds', '2', '--finetune-epochs', '0', '--json', json, ...TINY], io);
  assert.equal(code, 0, io.errors.join('\n'));
  const doc = JSON.parse(await fs.readFile(json, 'utf8')) as CompareDocument;
  assert.deepEqual(doc.runs.map((r) => r.seed), [1, 2]);
  assert.equal(doc.rows[0].accuracyAfterFinetune, null);
  assert.equal(doc.rows[0].accuracyAfterSelection!.n, 2);
  assert.ok(doc.runs.every((r) => r.accuracyAfterFinetune === null));
  assert.ok(io.lines.some((l) => /fine-tuning skipped/.test(l)));
  assert.match(io.lines.find((l) => l.startsWith('l1'))!, /%(?: ± [\d.]+)?\s+-\s+\d+ s/);
});

test('bad options are usage errors before any run starts', async () => {
  for (const [args, message] of [
    [['--method', 'dcp'], /unknown option '--method'[\s\S]*--methods/],
    [['--methods', 'dcp,thinet'], /--methods: unknown method 'thinet'/],
    [['--seeds', '0'], /--seeds must be a positive integer/],
    [['--rate', '1.5'], /--rate must be a number in \[0, 1\) \(got 1.5\)/],
    [['--methods', 'disc', '--lambda', '0'], /--method disc uses only the discrimination loss: --lambda must be > 0/],
    [['--json', ' '], /--json needs a file name/],
  ] as const) {
    const io = capture();
    const code = await runCli(['compare', modelPath, ...args, ...TINY], io);
    assert.equal(code, 2, `${args.join(' ')}: ${io.errors.join(' ')}`);
    assert.match(io.errors.join('\n'), message);
    assert.equal(io.lines.length, 0, 'nothing ran');
  }
});

test('runCompare refuses bad shared settings before the first run, naming the field', async () => {
  const foldersBefore = await runFolders();
  await assert.rejects(
    runCompare({ modelPath, config: { ...TINY_CONFIG, lambda: 0 }, jobs: [{ method: 'dcp', seed: 1 }, { method: 'disc', seed: 1 }] }),
    (e: unknown) => e instanceof ConfigError && e.key === 'lambda' && /method disc .*lambda must be > 0/.test(e.message),
  );
  assert.deepEqual(await runFolders(), foldersBefore, 'no run folder was made');
});

test('cancelling stops the comparison, leaves no table, no temporary folder and no tensors', async () => {
  const foldersBefore = await runFolders();
  const tensors = tf.memory().numTensors;
  const controller = new AbortController();
  const finished: string[] = [];
  const result = await runCompare({
    modelPath, config: TINY_CONFIG, jobs: [{ method: 'dcp', seed: 1 }, { method: 'recon', seed: 1 }], signal: controller.signal,
    onEvent: (e) => { if (e.type === 'selectionIteration') controller.abort(); },
    onRun: (_i, _n, job) => finished.push(job.method),
  });
  assert.equal(result.cancelled, true);
  assert.equal(result.doc, null);
  assert.deepEqual(finished, [], 'the cancelled run is not reported as finished, and the next never starts');
  assert.deepEqual(await runFolders(), foldersBefore);
  assert.equal(tf.memory().numTensors, tensors);
});

test('--random-choices 2 --untuned: random choices on one split, DCP ranked among them, a before-any-fine-tune column', async () => {
  const io = capture();
  const json = path.join(dir, 'choices.json');
  const code = await runCli(['compare', modelPath, '--methods', 'dcp', '--random-choices', '2', '--untuned', '--finetune-epochs', '0', '--json', json, ...TINY], io);
  assert.equal(code, 0, io.errors.join('\n'));
  const doc = JSON.parse(await fs.readFile(json, 'utf8')) as CompareDocument;
  assert.deepEqual(doc.runs.map((r) => [r.method, r.seed, r.choiceSeed]), [['dcp', 1, null], ['random', 1, 1], ['random', 1, 2]]);
  // Every run has its untuned twin's accuracy, and one validation split of mnist's 2,000 held-out digits.
  assert.ok(doc.runs.every((r) => r.accuracyBeforeFinetune !== null && r.accuracyBeforeFinetune >= 0 && r.accuracyBeforeFinetune <= 1));
  assert.equal(doc.validationSamples, 2000);
  // tinyPlain gets its default auxiliary heads; each reports an accuracy, and the run line shows them.
  assert.ok(doc.runs.every((r) => r.headAccuracies.length > 0 && r.headAccuracies.every((a) => a >= 0 && a <= 1)));
  assert.ok(io.lines.some((l) => /^\[1\/3\] dcp seed 1: .* heads [\d.]+%/.test(l)), io.lines.join('\n'));
  assert.match(doc.noise ?? '', /^noise: 2000 validation samples; one accuracy's binomial standard error/);
  assert.deepEqual(doc.ranks.map((r) => r.key), ['accuracyBeforeFinetune', 'accuracyAfterSelection']);
  for (const r of doc.ranks) {
    const dcp = doc.runs[0][r.key]!;
    assert.equal(r.dcp, dcp);
    assert.deepEqual(r.random, doc.runs.slice(1).map((x) => x[r.key]));
    assert.equal(r.beaten, r.random.filter((v) => dcp > v).length);
  }
  const header = io.lines.find((l) => l.startsWith('method'))!;
  assert.match(header, /acc\. before any fine-tune\s+acc\. after selection/);
  assert.equal(io.lines.filter((l) => /^seed 1, .*: DCP [\d.]+% beats \d of 2 random choices/.test(l)).length, 2);

  const bad = capture();
  assert.equal(await runCli(['compare', modelPath, '--methods', 'dcp,random', '--random-choices', '2', ...TINY], bad), 2);
  assert.match(bad.errors.join(' '), /random is drawn by --random-choices/);
});
