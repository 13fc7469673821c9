/**
 * Per-layer budgets from a recipe file: validation with clear errors, and a real tiny run that honours one layer's
 * own rate and another's "prune": false, reports the recipe and a per-layer before → after diff, and leaks no tensors.
 */
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { before, describe, test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import type { RunConfig, RunEvent, RunReport } from '../../../protocol/model';
import { parseRecipe, recipePathFor, withLayerBudget } from '../../../protocol/recipe';
import { summarizeModel } from '../../../server/dcp/graph/graph';
import { runPruning } from '../../../server/dcp/run/engine';
import { saveLayersModel } from '../../../server/io/model-files';
import { initBackend } from '../../../server/tfjs/backend';
import { tinyPlain } from '../../fixtures/tiny/tiny-models';

const TINY: Partial<RunConfig> = { data: 'mnist', maxTrainSamples: 128, selectionSamples: 32, headEpochs: 1, finetuneEpochs: 0, stageFinetune: false, batchSize: 32, backend: 'wasm' };

let dir = '';
before(async () => {
  await initBackend('wasm');
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'dcp-recipe-'));
});

async function run(config: Partial<RunConfig>, modelPath: string, out: string): Promise<RunEvent[]> {
  const events: RunEvent[] = [];
  for await (const e of runPruning(config, { modelPath, outDir: out })) events.push(e);
  return events;
}

describe('recipe validation', () => {
  test('accepts rates and prune: false, refuses anything else with the layer named', () => {
    const r = parseRecipe({ version: 1, layers: { a: { rate: 0.25 }, b: { prune: false } } });
    assert.deepEqual(r.layers, { a: { rate: 0.25 }, b: { prune: false } });
    assert.throws(() => parseRecipe({ version: 1, layers: { a: { rate: 1 } } }), /layer "a": "rate" must be a number in \[0, 1\)/);
    assert.throws(() => parseRecipe({ version: 1, layers: { a: { prune: true } } }), /"prune" may only be false/);
    assert.throws(() => parseRecipe({ version: 2, layers: {} }), /"version" must be 1/);
    assert.throws(() => parseRecipe({ version: 1, layers: {}, rates: {} }), /unknown field "rates"/);
    assert.throws(() => parseRecipe({ version: 1, layers: { a: { rate: 0.2, prune: false } } }), /must be \{"rate": η\} or \{"prune": false\}/);
  });

  test('edits do not modify the original; the file sits next to the model', () => {
    const r = parseRecipe({ version: 1, layers: { a: { rate: 0.25 } } });
    const next = withLayerBudget(r, 'b', { prune: false });
    assert.deepEqual(Object.keys(r.layers), ['a']);
    assert.deepEqual(withLayerBudget(next, 'a', null).layers, { b: { prune: false } });
    assert.equal(recipePathFor('/m/vgg/model.json'), '/m/vgg/model.dcp-recipe.json');
  });
});

describe('a run with a recipe', () => {
  test('honours a layer rate and prune: false, and reports both with the per-layer diff', async () => {
    const model = tinyPlain();
    const summary = summarizeModel(model);
    const modelPath = await saveLayersModel(model, path.join(dir, 'plain'));
    model.dispose();
    const names = summary.prunable;
    assert.ok(names.length >= 2, `tinyPlain has ${names.length} prunable convs`);
    const [ratedName, frozenName] = names;
    const c = summary.layers.find((l) => l.name === ratedName)!.inChannels!;
    const recipeFile = recipePathFor(modelPath);
    await fs.writeFile(recipeFile, JSON.stringify({ version: 1, layers: { [ratedName]: { rate: 0.25 }, [frozenName]: { prune: false } } }));

    const tensors = tf.memory().numTensors;
    const events = await run({ ...TINY, rate: 0.5, recipe: recipeFile }, modelPath, path.join(dir, 'out'));
    const end = events.at(-1)!;
    assert.equal(end.type, 'runFinished', JSON.stringify(end));
    const report = (end as { report: RunReport }).report;
    const rated = report.layers.find((l) => l.layer === ratedName);
    assert.ok(rated);
    assert.equal(rated.kept.length, c - Math.floor(0.25 * c), 'the recipe rate, not the run rate 0.5');
    assert.ok(!report.layers.some((l) => l.layer === frozenName), 'a prune: false layer is never selected');
    assert.deepEqual(report.recipe?.layers[frozenName], { prune: false });
    const diff = new Map((report.layerDiff ?? []).map((d) => [d.layer, d]));
    assert.equal(diff.get(frozenName)?.inAfter, diff.get(frozenName)?.inBefore);
    assert.equal(diff.get(ratedName)?.inAfter, rated.kept.length);
    assert.ok(diff.get(ratedName)!.flopsAfter < diff.get(ratedName)!.flopsBefore);
    assert.equal([...diff.values()].reduce((s, d) => s + d.paramsAfter, 0), report.after.params);
    // Output drift: without any fine-tuning the stem's kept channels are the unpruned ones exactly (the heads train
    // on the frozen network), while the re-fitted conv's output moves.
    const stem = summary.layers[0].name;
    assert.ok(diff.get(stem)!.outAfter < diff.get(stem)!.outBefore, 'the stem lost filters: drift compares its kept channels');
    assert.ok(diff.get(stem)!.drift! < 1e-5, `stem drift ${diff.get(stem)?.drift}`);
    assert.ok(diff.get(ratedName)!.drift! > 1e-4, `${ratedName} drift ${diff.get(ratedName)?.drift}`);
    for (const d of diff.values()) assert.ok(d.drift === undefined || (Number.isFinite(d.drift) && d.drift >= 0), d.layer);
    assert.equal(tf.memory().numTensors, tensors, 'tensors leaked');
  });

  test('a recipe naming a layer the model cannot prune fails before any work, saying why', async () => {
    const model = tinyPlain();
    const modelPath = await saveLayersModel(model, path.join(dir, 'plain-bad'));
    model.dispose();
    const recipeFile = path.join(dir, 'bad.dcp-recipe.json');
    await fs.writeFile(recipeFile, JSON.stringify({ version: 1, layers: { no_such_conv: { rate: 0.1 } } }));
    const events = await run({ ...TINY, recipe: recipeFile }, modelPath, path.join(dir, 'bad-out'));
    const end = events.at(-1)!;
    assert.equal(end.type, 'runFailed');
    assert.match((end as { message: string }).message, /recipe: the model has no prunable convolution 'no_such_conv'/);
    await fs.writeFile(recipeFile, '{ "version": 1, ');
    const again = (await run({ ...TINY, recipe: recipeFile }, modelPath, path.join(dir, 'bad-out2'))).at(-1)!;
    assert.match((again as { message: string }).message, /is not valid JSON/);
  });
});
