import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { AtomicWriteError, writeFileAtomic, writeFolderAtomic, writeJsonAtomic, writeSynced } from '../../../server/io/atomic';
import { loadLayersModel, saveLayersModel } from '../../../server/io/model-files';
import { hashTree, listTree, smallSequential, tempDir } from './helpers';

const tmp = tempDir('dcp-atomic-');
after(tmp.cleanup);

/** Entries beside `name` in its parent that the writers would have created: temp files and temp/old folders. */
async function leftovers(parent: string, name: string): Promise<string[]> {
  return (await fs.readdir(parent)).filter((n) => n !== name && n.includes(name));
}

describe('writeFileAtomic', () => {
  it('replaces a file with the new contents and leaves nothing beside it', async () => {
    const dir = path.join(tmp.dir, 'file-ok');
    await fs.mkdir(dir);
    const file = path.join(dir, 'state.json');
    await writeJsonAtomic(file, { step: 1 });
    await writeJsonAtomic(file, { step: 2 });
    assert.deepEqual(JSON.parse(await fs.readFile(file, 'utf8')), { step: 2 });
    await writeFileAtomic(path.join(dir, 'bytes.bin'), new Uint8Array([1, 2, 3]));
    assert.deepEqual([...(await fs.readFile(path.join(dir, 'bytes.bin')))], [1, 2, 3]);
    assert.deepEqual(await fs.readdir(dir), ['bytes.bin', 'state.json']);
  });

  it('a write that fails after its temp file is written leaves the target as it was and no temp file', async () => {
    const dir = path.join(tmp.dir, 'file-fail');
    // The target is a folder with a file in it: the temp file is written and fsynced, then the rename fails.
    const target = path.join(dir, 'report.json');
    await fs.mkdir(target, { recursive: true });
    await fs.writeFile(path.join(target, 'old'), 'old');
    await assert.rejects(writeJsonAtomic(target, { new: true }), /EISDIR|ENOTEMPTY|EEXIST|EPERM/);
    assert.deepEqual(await fs.readdir(dir), ['report.json']);
    assert.equal(await fs.readFile(path.join(target, 'old'), 'utf8'), 'old');
  });

  it('fails with the OS error when the parent is a file, creating nothing', async () => {
    const parent = path.join(tmp.dir, 'a-file');
    await fs.writeFile(parent, 'x');
    await assert.rejects(writeJsonAtomic(path.join(parent, 'x.json'), {}), /ENOTDIR/);
    assert.equal(await fs.readFile(parent, 'utf8'), 'x');
    assert.deepEqual(await leftovers(tmp.dir, 'a-file'), []);
  });

  it('refuses to write over a file this process read a model from', async () => {
    const dir = path.join(tmp.dir, 'input');
    const seed = smallSequential();
    await saveLayersModel(seed, dir);
    seed.dispose();
    const hashes = await hashTree(dir);
    const model = await loadLayersModel(dir);
    model.dispose();
    await assert.rejects(writeJsonAtomic(path.join(dir, 'model.json'), {}), (e: unknown) => e instanceof AtomicWriteError && /read as a model input/.test(e.message));
    await assert.rejects(writeFolderAtomic(dir, [{ name: 'model.json', data: '{}' }], { replaces: ['group1-shard1of1.bin'] }), AtomicWriteError);
    assert.deepEqual(await hashTree(dir), hashes);
  });
});

describe('writeFolderAtomic', () => {
  it('creates a folder holding exactly the entries, with no temp folder left beside it', async () => {
    const parent = path.join(tmp.dir, 'fresh');
    await writeFolderAtomic(path.join(parent, 'out'), [{ name: 'a.bin', data: new Uint8Array([7]) }, { name: 'b.json', data: '{"b":1}' }]);
    assert.deepEqual(await listTree(parent), ['out', 'out/a.bin', 'out/b.json']);
    assert.equal(await fs.readFile(path.join(parent, 'out', 'b.json'), 'utf8'), '{"b":1}');
  });

  it('replaces an existing folder as a whole, dropping the names it replaces', async () => {
    const parent = path.join(tmp.dir, 'replace');
    const dir = path.join(parent, 'out');
    await writeFolderAtomic(dir, [{ name: 'old-1.bin', data: 'x' }, { name: 'm.json', data: 'old' }]);
    await writeFolderAtomic(dir, [{ name: 'm.json', data: 'new' }], { replaces: ['old-1.bin'] });
    assert.deepEqual(await listTree(parent), ['out', 'out/m.json']);
    assert.equal(await fs.readFile(path.join(dir, 'm.json'), 'utf8'), 'new');
  });

  it('a write that fails half-way leaves the old folder byte-identical and no temp entries', async () => {
    const parent = path.join(tmp.dir, 'half');
    const dir = path.join(parent, 'model');
    await writeFolderAtomic(dir, [{ name: 'shard.bin', data: 'old shard' }, { name: 'model.json', data: 'old json' }]);
    const hashes = await hashTree(dir);
    let writes = 0;
    const failing = async (file: string, data: Uint8Array): Promise<void> => {
      // The first file lands on disk; the second fails as a full disk would.
      if (++writes === 2) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      await writeSynced(file, data);
    };
    await assert.rejects(writeFolderAtomic(dir, [{ name: 'shard.bin', data: 'new shard' }, { name: 'model.json', data: 'new json' }], { writeFile: failing }), /ENOSPC/);
    assert.equal(writes, 2);
    assert.deepEqual(await hashTree(dir), hashes);
    assert.deepEqual(await listTree(parent), ['model', 'model/model.json', 'model/shard.bin']);
  });

  it('refuses bad names and folders holding files it was not told it may drop', async () => {
    const dir = path.join(tmp.dir, 'refuse');
    await assert.rejects(writeFolderAtomic(dir, [{ name: '../escape', data: '' }]), /not a plain file name/);
    await assert.rejects(writeFolderAtomic(dir, [{ name: 'a', data: '' }, { name: 'a', data: '' }]), /listed twice/);
    await writeFolderAtomic(dir, [{ name: 'a', data: 'first' }]);
    await fs.writeFile(path.join(dir, 'keep.txt'), 'user file');
    await assert.rejects(writeFolderAtomic(dir, [{ name: 'a', data: 'second' }]), /also holds keep\.txt/);
    assert.equal(await fs.readFile(path.join(dir, 'a'), 'utf8'), 'first');
    assert.equal(await fs.readFile(path.join(dir, 'keep.txt'), 'utf8'), 'user file');
    const file = path.join(tmp.dir, 'refuse-file');
    await fs.writeFile(file, 'x');
    await assert.rejects(writeFolderAtomic(file, []), /exists and is not a folder/);
    assert.deepEqual(await leftovers(tmp.dir, 'refuse'), ['refuse-file']);
  });
});
