/**
 * `dcp sensitivity` end to end in a child process on a tiny model: the table, the suggestion, sensitivity.json and
 * the recipe it writes, which `dcp prune --recipe` then accepts; usage errors exit 2 before any work.
 */
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import { saveLayersModel } from '../../../server/io/model-files';
import { parseRecipe, recipePathFor } from '../../../protocol/recipe';
import { parseSensitivityResult } from '../../../protocol/sensitivity';
import { tinyPlain } from '../../fixtures/tiny/tiny-models';

const ROOT = path.resolve(__dirname, '../../..');
const TINY = ['--data', 'mnist', '--max-train-samples', '128', '--selection-samples', '32', '--head-epochs', '1', '--batch-size', '32', '--backend', 'wasm'];
let dir = '';
let modelPath = '';

before(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-cli-sens-'));
  const m = tinyPlain(5);
  modelPath = await saveLayersModel(m, path.join(dir, 'model'));
  m.dispose();
});

function dcp(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'server/cli.ts'), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 150_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('dcp sensitivity prints the table and the suggestion, writes the result and a recipe prune accepts', async () => {
  const out = path.join(dir, 'sens.json');
  const r = dcp(['sensitivity', modelPath, '--rates', '0.25,0.5,0.75', '--target-flops', '1.2', '--write-recipe', '--out', out, ...TINY]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  assert.match(r.stdout, /accuracy drop \(points\) \/ joint loss/);
  assert.match(r.stdout, /layer\s+channels\s+η=0\.25\s+η=0\.5\s+η=0\.75/);
  const result = parseSensitivityResult(JSON.parse(await fs.readFile(out, 'utf8')));
  for (const l of result.layers) assert.match(r.stdout, new RegExp(`^${l.layer}\\s+${l.inChannels}\\s+-?[\\d.]+ / `, 'm'));
  assert.match(r.stdout, /suggestion for 1\.2× fewer FLOPs/);
  assert.ok(result.suggestion?.feasible, result.suggestion?.message);
  const recipe = parseRecipe(JSON.parse(await fs.readFile(recipePathFor(modelPath), 'utf8')));
  assert.deepEqual(recipe, result.suggestion.recipe);
  assert.match(r.stdout, new RegExp(`FLOPs .* \\(${result.suggestion.reduction.toFixed(2)}×\\)`));

  // The recipe drives a real prune: each layer keeps what the suggestion's rate says.
  const report = path.join(dir, 'report.json');
  const p = dcp(['prune', modelPath, '--recipe', recipePathFor(modelPath), '--finetune-epochs', '0', '--no-stage-finetune', '--out', path.join(dir, 'pruned'), '--report', report, ...TINY]);
  assert.equal(p.code, 0, p.stderr + p.stdout);
  const layers = (JSON.parse(await fs.readFile(report, 'utf8')) as { layers: { layer: string; kept: number[]; inChannels: number }[] }).layers;
  for (const l of result.layers) {
    const rate: number = result.suggestion.rates[l.layer];
    const got = layers.find((x) => x.layer === l.layer);
    if (rate === 0) assert.equal(got, undefined, `${l.layer} is left unpruned`);
    else assert.equal(got?.kept.length, l.inChannels - Math.floor(rate * l.inChannels), l.layer);
  }
});

test('usage errors exit 2 before any work', () => {
  const bad = dcp(['sensitivity', modelPath, '--rates', '0.5,1.2']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /rates: "1\.2" is not a rate in \(0, 1\)/);
  const noTarget = dcp(['sensitivity', modelPath, '--write-recipe']);
  assert.equal(noTarget.code, 2);
  assert.match(noTarget.stderr, /--write-recipe needs --target-flops/);
  const rate = dcp(['sensitivity', modelPath, '--rate', '0.5']);
  assert.equal(rate.code, 2, 'no --rate: every rate comes from --rates');
});
