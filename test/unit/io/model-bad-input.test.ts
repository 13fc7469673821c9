import assert from 'node:assert/strict';
import { promises as fs, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadLayersModel, ModelFileError } from '../../../server/io/model-files';
import { listTree, tempDir, useCpu, withoutLeaks, writeModelFolder } from './helpers';

const tmp = tempDir();
before(useCpu);
after(tmp.cleanup);

type Json = Record<string, unknown>;

const dense = (name: string, units: number, extra: Json = {}): Json => ({ class_name: 'Dense', config: { name, units, use_bias: true, ...extra } });

/** A valid Dense(5→3) model; each case breaks one thing of it. */
function validModel(): { json: Json & { weightsManifest: { paths: string[]; weights: Json[] }[] }; shard: Uint8Array } {
  return {
    json: {
      format: 'layers-model',
      modelTopology: { class_name: 'Sequential', config: { name: 'm', layers: [dense('fc', 3, { batch_input_shape: [null, 5] })] } },
      weightsManifest: [
        {
          paths: ['group1-shard1of1.bin'],
          weights: [
            { name: 'fc/kernel', shape: [5, 3], dtype: 'float32' },
            { name: 'fc/bias', shape: [3], dtype: 'float32' },
          ],
        },
      ],
    },
    shard: new Uint8Array(72).fill(1),
  };
}

let caseNo = 0;

/**
 * Writes a broken model, loads it and checks: one ModelFileError whose message names `file` and matches `what`,
 * no tensor or variable left behind, and the folder exactly as it was (no temp files).
 */
async function expectFailure(
  what: RegExp,
  file: string,
  setup: (dir: string, m: ReturnType<typeof validModel>) => Promise<unknown> | unknown,
): Promise<void> {
  const dir = path.join(tmp.dir, `case${++caseNo}`);
  const m = validModel();
  const custom = await setup(dir, m);
  if (typeof custom !== 'string') await writeModelFolder(dir, m.json, { 'group1-shard1of1.bin': m.shard });
  const before = await listTree(dir);
  await withoutLeaks(() =>
    assert.rejects(loadLayersModel(path.join(dir, 'model.json')), (e: unknown) => {
      assert.ok(e instanceof ModelFileError, `expected ModelFileError, got ${String(e)}`);
      assert.ok(e.message.includes(file), `"${e.message}" should name ${file}`);
      assert.equal(path.basename(e.file), file);
      assert.match(e.message, what);
      return true;
    }),
  );
  assert.deepEqual(await listTree(dir), before);
}

describe('bad model files become one clear ModelFileError', () => {
  it('malformed JSON, with its line and column', () =>
    expectFailure(/malformed JSON at line 3, column 2: expected ',' or '}'/, 'model.json', (dir) => writeModelFolder(dir, '{\n "format": "layers-model"\n "modelTopology": {}}')));

  it('a graph model, by format or by GraphDef topology', async () => {
    await expectFailure(/graph model/, 'model.json', (_d, m) => {
      m.json.format = 'graph-model';
    });
    await expectFailure(/graph model/, 'model.json', (_d, m) => {
      delete m.json.format;
      m.json.modelTopology = { node: [{ name: 'x', op: 'Placeholder' }], versions: { producer: 1 } };
    });
  });

  it('missing modelTopology or weightsManifest, or a non-object file', async () => {
    await expectFailure(/missing modelTopology/, 'model.json', (_d, m) => delete m.json.modelTopology);
    await expectFailure(/missing weightsManifest/, 'model.json', (_d, m) => {
      delete (m.json as Json).weightsManifest;
    });
    await expectFailure(/must be a JSON object/, 'model.json', (dir) => writeModelFolder(dir, '[1, 2]'));
    await expectFailure(/not a layers model/, 'model.json', (_d, m) => {
      m.json.modelTopology = dense('fc', 3);
    });
  });

  it('a model.json too large to be one, refused before reading it', () =>
    expectFailure(/refusing more than/, 'model.json', async (dir) => {
      await writeModelFolder(dir, '{}');
      await fs.truncate(path.join(dir, 'model.json'), 65 * 2 ** 20);
      return 'skip';
    }));

  it('a model.json that does not exist', () => expectFailure(/does not exist/, 'model.json', (dir) => fs.mkdir(dir).then(() => 'skip')));

  it('a missing, short or long shard', async () => {
    await expectFailure(/missing shard file.*"nope.bin" does not exist/, 'nope.bin', (_d, m) => {
      m.json.weightsManifest[0].paths = ['nope.bin'];
    });
    await expectFailure(/2 bytes short.*needs 72 bytes/, 'group1-shard1of1.bin', (_d, m) => {
      m.shard = m.shard.subarray(0, 70);
    });
    await expectFailure(/8 bytes too long/, 'group1-shard1of1.bin', (_d, m) => {
      m.shard = new Uint8Array(80);
    });
  });

  it('weights that do not fit the layers', async () => {
    await expectFailure(/shape mismatch.*"fc\/kernel" shape \[3, 5\].*needs \[5, 3\]/, 'model.json', (_d, m) => {
      m.json.weightsManifest[0].weights[0].shape = [3, 5];
    });
    await expectFailure(/lacks 1 of the model's 2 weights: fc\/bias/, 'model.json', (_d, m) => {
      m.json.weightsManifest[0].weights.pop();
      m.shard = m.shard.subarray(0, 60);
    });
    await expectFailure(/"ghost\/w" that no layer of modelTopology owns/, 'model.json', (_d, m) => {
      m.json.weightsManifest[0].weights.push({ name: 'ghost/w', shape: [2], dtype: 'float32' });
      m.shard = new Uint8Array(80);
    });
    await expectFailure(/listed twice/, 'model.json', (_d, m) => {
      m.json.weightsManifest[0].weights[1].name = 'fc/kernel';
    });
  });

  it('unknown layer classes, at any depth', async () => {
    await expectFailure(/unknown layer class "FancyConv"/, 'model.json', (_d, m) => {
      m.json.modelTopology = { class_name: 'Sequential', config: { layers: [{ class_name: 'FancyConv', config: { name: 'fc' } }] } };
    });
    await expectFailure(/layers\[0\]\.config\.layer: unknown layer class "Nope"/, 'model.json', (_d, m) => {
      const inner = { class_name: 'Nope', config: {} };
      m.json.modelTopology = { class_name: 'Sequential', config: { layers: [{ class_name: 'TimeDistributed', config: { name: 't', layer: inner } }] } };
    });
  });

  it('a topology TF.js cannot build, without leaking the layers it built first', () =>
    expectFailure(/cannot build the model/, 'model.json', (_d, m) => {
      const conv = (name: string, filters: number): Json => ({
        class_name: 'Conv2D',
        name,
        config: { name, filters, kernel_size: [1, 1] },
        inbound_nodes: [[['in', 0, 0, {}]]],
      });
      const layers = [
        { class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_input_shape: [null, 4, 4, 2] }, inbound_nodes: [] },
        conv('a', 8),
        conv('b', 4),
        { class_name: 'Add', name: 'sum', config: { name: 'sum' }, inbound_nodes: [[['a', 0, 0, {}], ['b', 0, 0, {}]]] },
      ];
      m.json.modelTopology = { class_name: 'Model', config: { name: 'f', layers, input_layers: [['in', 0, 0]], output_layers: [['sum', 0, 0]] } };
      m.json.weightsManifest[0] = { paths: [], weights: [] };
    }));

  it('shard paths that leave the model folder: absolute, "..", URL, symlink', async () => {
    const outside = path.join(tmp.dir, 'outside.bin');
    await fs.writeFile(outside, new Uint8Array(72));
    await expectFailure(/is absolute/, 'model.json', (_d, m) => {
      m.json.weightsManifest[0].paths = [outside];
    });
    await expectFailure(/climbs out with "\.\."/, 'model.json', (_d, m) => {
      m.json.weightsManifest[0].paths = ['../outside.bin'];
    });
    await expectFailure(/climbs out/, 'model.json', (_d, m) => {
      m.json.weightsManifest[0].paths = ['sub\\..\\..\\outside.bin'];
    });
    await expectFailure(/is a URL/, 'model.json', (_d, m) => {
      m.json.weightsManifest[0].paths = ['https://example.com/w.bin'];
    });
    await expectFailure(/outside the model's folder.*symlink/, 'link.bin', async (dir, m) => {
      await fs.mkdir(dir);
      symlinkSync(outside, path.join(dir, 'link.bin'));
      m.json.weightsManifest[0].paths = ['link.bin'];
    });
    await expectFailure(/outside the model's folder.*symlink/, 'w.bin', async (dir, m) => {
      await fs.mkdir(dir);
      symlinkSync(tmp.dir, path.join(dir, 'sub'));
      await fs.writeFile(path.join(tmp.dir, 'w.bin'), new Uint8Array(72));
      m.json.weightsManifest[0].paths = ['sub/w.bin'];
    });
  });

  it('hostile sizes, refused before anything is allocated', async () => {
    await expectFailure(/\[100000, 100000, 100\] needs .*GiB; refusing models above 1\.0 GiB/, 'model.json', (_d, m) => {
      m.json.weightsManifest[0].weights[0].shape = [100000, 100000, 100];
    });
    await expectFailure(/every dimension must be an integer/, 'model.json', (_d, m) => {
      m.json.weightsManifest[0].weights[0].shape = [5, -3];
    });
    await expectFailure(/the weights up to here need/, 'model.json', (_d, m) => {
      const many = Array.from({ length: 40 }, (_, i) => ({ name: `w${i}`, shape: [1024, 1024, 8], dtype: 'float32' }));
      m.json.weightsManifest[0].weights = many;
    });
  });

  it('unsupported dtypes and incomplete quantisation', async () => {
    await expectFailure(/dtype "string" of weight "fc\/bias" is not supported/, 'model.json', (_d, m) => {
      m.json.weightsManifest[0].weights[1].dtype = 'string';
    });
    await expectFailure(/quantization\.scale must be a finite number/, 'model.json', (_d, m) => {
      m.json.weightsManifest[0].weights[0].quantization = { dtype: 'uint8', min: 0 };
    });
    await expectFailure(/quantization\.dtype must be/, 'model.json', (_d, m) => {
      m.json.weightsManifest[0].weights[0].quantization = { dtype: 'int4' };
    });
  });
});
