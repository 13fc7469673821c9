import assert from 'node:assert/strict';
import { promises as fs, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { loadLayersModel, ModelFileError, readModelArtifacts, saveLayersModel } from '../../../server/io/model-files';
import { hashTree, listTree, predictFixed, randomiseWeights, smallFunctional, smallSequential, tempDir, useCpu, withoutLeaks } from './helpers';

const tmp = tempDir();
before(useCpu);
after(tmp.cleanup);

/** Saves, reloads with our reader and with tf.loadLayersModel(fromMemory), and compares predictions. */
async function roundTrip(model: tf.LayersModel, dir: string, shardBytes?: number): Promise<string> {
  randomiseWeights(model);
  const expected = predictFixed(model);
  const file = await saveLayersModel(model, dir, shardBytes ? { shardBytes } : {});
  model.dispose();
  const ours = await loadLayersModel(file);
  const viaTf = await tf.loadLayersModel(tf.io.fromMemory(await readModelArtifacts(file)));
  const viaTfJson = await tf.loadLayersModel(tf.io.fromMemory(await artifactsTheTfWay(file)));
  for (const m of [ours, viaTf, viaTfJson]) {
    const got = predictFixed(m);
    assert.equal(got.length, expected.length);
    got.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) <= 1e-6 * (1 + Math.abs(expected[i])), `prediction ${i}: ${v} vs ${expected[i]}`));
    m.dispose();
  }
  return file;
}

/** model.json interpreted by TF.js's own code (getModelArtifactsForJSON), shards concatenated as its loaders do. */
async function artifactsTheTfWay(file: string): Promise<tf.io.ModelArtifacts> {
  const json = JSON.parse(await fs.readFile(file, 'utf8')) as tf.io.ModelJSON;
  return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
    const buffers = await Promise.all(manifest.flatMap((g) => g.paths).map((p) => fs.readFile(path.join(path.dirname(file), p))));
    const data = new Uint8Array(Buffer.concat(buffers));
    return [manifest.flatMap((g) => g.weights), data.buffer];
  });
}

describe('saveLayersModel + loadLayersModel round trip', () => {
  it('keeps a Sequential conv net exactly, in one TF.js-named shard', async () => {
    await withoutLeaks(async () => {
      const dir = path.join(tmp.dir, 'seq');
      const file = await roundTrip(smallSequential(), dir);
      assert.equal(file, path.join(dir, 'model.json'));
      assert.deepEqual(await listTree(dir), ['group1-shard1of1.bin', 'model.json']);
      const json = JSON.parse(await fs.readFile(file, 'utf8'));
      assert.equal(json.format, 'layers-model');
      assert.deepEqual(json.weightsManifest[0].paths, ['group1-shard1of1.bin']);
    });
  });

  it('keeps a functional net with BN, Add, Concatenate and DepthwiseConv2D', async () => {
    await withoutLeaks(() => roundTrip(smallFunctional(), path.join(tmp.dir, 'func')));
  });

  it('splits weights across shards of at most shardBytes, in order', async () => {
    await withoutLeaks(async () => {
      const dir = path.join(tmp.dir, 'sharded');
      const file = await roundTrip(smallFunctional(), dir, 300);
      const json = JSON.parse(await fs.readFile(file, 'utf8'));
      const paths: string[] = json.weightsManifest[0].paths;
      assert.ok(paths.length > 2, `expected several shards, got ${paths.length}`);
      paths.forEach((p, i) => assert.equal(p, `group1-shard${i + 1}of${paths.length}.bin`));
      const sizes = await Promise.all(paths.map(async (p) => (await fs.stat(path.join(dir, p))).size));
      sizes.slice(0, -1).forEach((s) => assert.equal(s, 300));
      assert.ok(sizes[sizes.length - 1] <= 300);
    });
  });

  it('stores extra metadata where tf.LayersModel.getUserDefinedMetadata finds it', async () => {
    await withoutLeaks(async () => {
      const model = smallSequential();
      const file = await saveLayersModel(model, path.join(tmp.dir, 'meta'), { extra: { dcp: { rate: 0.5, kept: [1, 2] } } });
      model.dispose();
      const loaded = await loadLayersModel(file);
      assert.deepEqual(loaded.getUserDefinedMetadata(), { dcp: { rate: 0.5, kept: [1, 2] } });
      loaded.dispose();
    });
  });

  it('replaces an earlier save in the same folder and removes its now unused shards', async () => {
    await withoutLeaks(async () => {
      const dir = path.join(tmp.dir, 'resave');
      let model = smallFunctional();
      assert.ok((await listTree(path.dirname(await saveLayersModel(model, dir, { shardBytes: 300 })))).length > 3);
      model.dispose();
      model = smallSequential();
      await roundTrip(model, dir);
      assert.deepEqual(await listTree(dir), ['group1-shard1of1.bin', 'model.json']);
    });
  });
});

describe('the input model is never modified', () => {
  it('leaves the input files byte-identical when saving elsewhere', async () => {
    const input = path.join(tmp.dir, 'input-a');
    const seed = smallSequential();
    await saveLayersModel(seed, input, { shardBytes: 2000 });
    seed.dispose();
    const hashes = await hashTree(input);
    const model = await loadLayersModel(input);
    await saveLayersModel(model, path.join(tmp.dir, 'output-a'));
    model.dispose();
    assert.deepEqual(await hashTree(input), hashes);
  });

  it('refuses to save into the folder a model was read from, directly or through a symlink', async () => {
    const input = path.join(tmp.dir, 'input-b');
    const seed = smallSequential();
    await saveLayersModel(seed, input);
    seed.dispose();
    const hashes = await hashTree(input);
    const model = await loadLayersModel(path.join(input, 'model.json'));
    const alias = path.join(tmp.dir, 'alias-b');
    symlinkSync(input, alias);
    // A model built afresh (as surgery does) is refused too: the guard is about the folder, not the object.
    const other = smallSequential();
    for (const [m, target] of [[model, input], [model, alias], [other, input]] as const) {
      await assert.rejects(saveLayersModel(m, target), (e: unknown) => {
        assert.ok(e instanceof ModelFileError);
        assert.match(e.message, /input-b|alias-b/);
        assert.match(e.message, /refusing to save over the input model/);
        return true;
      });
    }
    model.dispose();
    other.dispose();
    assert.deepEqual(await hashTree(input), hashes);
    assert.deepEqual(await listTree(input), ['group1-shard1of1.bin', 'model.json']);
  });

  it('leaves no temp files next to or inside a fresh output folder', async () => {
    const parent = path.join(tmp.dir, 'parent');
    await fs.mkdir(parent);
    const model = smallSequential();
    await saveLayersModel(model, path.join(parent, 'out'));
    model.dispose();
    assert.deepEqual(await listTree(parent), ['out', 'out/group1-shard1of1.bin', 'out/model.json']);
  });

  it('refuses a target that is a file or a .json path', async () => {
    const model = smallSequential();
    const file = path.join(tmp.dir, 'not-a-dir');
    await fs.writeFile(file, 'x');
    await assert.rejects(saveLayersModel(model, file), (e: unknown) => e instanceof ModelFileError && e.message.includes('not-a-dir'));
    await assert.rejects(saveLayersModel(model, path.join(tmp.dir, 'model.json')), ModelFileError);
    await assert.rejects(saveLayersModel(model, path.join(tmp.dir, 'x'), { shardBytes: 0 }), ModelFileError);
    model.dispose();
    assert.equal((await listTree(tmp.dir)).some((n) => n.includes('model-save')), false);
  });

  it('replaces its own earlier save as a whole, dropping the shards the new model does not use', async () => {
    const dir = path.join(tmp.dir, 'resaved');
    const model = smallSequential();
    await saveLayersModel(model, dir, { shardBytes: 300 });
    assert.ok((await listTree(dir)).length > 3);
    await saveLayersModel(model, dir, { files: [{ name: 'report.json', data: '{}' }] });
    assert.deepEqual(await listTree(dir), ['group1-shard1of1.bin', 'model.json', 'report.json']);
    const back = await loadLayersModel(dir);
    assert.equal(back.countParams(), model.countParams());
    back.dispose();
    model.dispose();
    assert.deepEqual((await listTree(tmp.dir)).filter((n) => n.includes('.resaved.')), [], 'no temp or old folders beside it');
  });

  it('refuses to replace a folder that also holds other files, leaving it as it was', async () => {
    const dir = path.join(tmp.dir, 'shared');
    const model = smallSequential();
    await saveLayersModel(model, dir);
    await fs.writeFile(path.join(dir, 'notes.txt'), 'mine');
    const hashes = await hashTree(dir);
    await assert.rejects(saveLayersModel(model, dir, { shardBytes: 1000 }), (e: unknown) => {
      assert.ok(e instanceof ModelFileError);
      assert.match(e.message, /shared.*notes\.txt; choose a new or empty folder/);
      return true;
    });
    model.dispose();
    assert.deepEqual(await hashTree(dir), hashes);
    assert.deepEqual((await listTree(tmp.dir)).filter((n) => n.includes('.shared.')), []);
  });
});
