/**
 * The extension's recipe writer (extension/recipe-file.ts) on a real folder through a fake `vscode`: budgets are
 * added, changed and removed one layer at a time, the file stays a valid recipe the engine reads, no temporary file is
 * left behind, and a broken recipe is refused rather than overwritten.
 */
import { fakeVscode } from './fake-vscode';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Uri } from 'vscode';
import { readRecipeFile, writeLayerBudget } from '../../../extension/recipe-file';
import { parseRecipe } from '../../../protocol/recipe';

const dir = mkdtempSync(join(tmpdir(), 'dcp-recipe-file-'));
const model = fakeVscode.Uri.file(join(dir, 'model.json')) as unknown as Uri;
const file = join(dir, 'model.dcp-recipe.json');

test('writes, changes and removes layer budgets next to the model', async () => {
  assert.equal(await readRecipeFile(model), null);
  await writeLayerBudget(model, 'c2', { rate: 0.3 });
  await writeLayerBudget(model, 'c3', { prune: false });
  assert.deepEqual(parseRecipe(JSON.parse(readFileSync(file, 'utf8'))).layers, { c2: { rate: 0.3 }, c3: { prune: false } });
  const written = await writeLayerBudget(model, 'c2', null);
  assert.deepEqual(written.layers, { c3: { prune: false } });
  assert.deepEqual((await readRecipeFile(model))?.layers, { c3: { prune: false } });
  assert.deepEqual(readdirSync(dir).sort(), ['model.dcp-recipe.json'], 'no temporary file left');
});

test('refuses to edit over a broken recipe', async () => {
  writeFileSync(file, '{"version": 1, "layers": {"c2": {"rate": 3}}}');
  await assert.rejects(writeLayerBudget(model, 'c3', { rate: 0.1 }), /layer "c2": "rate" must be a number in \[0, 1\)/);
  assert.equal(readFileSync(file, 'utf8'), '{"version": 1, "layers": {"c2": {"rate": 3}}}');
});
