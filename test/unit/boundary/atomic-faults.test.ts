import { test } from 'node:test';
import assert from 'node:assert/strict';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { enospc, setWriteFault, writeFolderAtomic, writeJsonAtomic } from '../../../server/io/atomic';
import { listTree, tempDir } from '../io/helpers';

test('a folder write removes the temp folders that killed writes of the same target left behind, and only those', async () => {
  const t = tempDir('dcp-stale-');
  try {
    // What a worker killed half-way through writing `out` leaves: a hidden temp folder with some of the files.
    const stale = path.join(t.dir, '.out.tmp-0123456789ab');
    await fs.mkdir(stale);
    await fs.writeFile(path.join(stale, 'model.json'), '{');
    // Not ours to remove: another target's temp, and a name that only looks similar.
    await fs.mkdir(path.join(t.dir, '.other.tmp-0123456789ab'));
    await fs.mkdir(path.join(t.dir, '.out.tmp-notours'));
    await writeFolderAtomic(path.join(t.dir, 'out'), [{ name: 'a.txt', data: 'new' }]);
    assert.deepEqual(await listTree(t.dir), ['.other.tmp-0123456789ab', '.out.tmp-notours', 'out', path.join('out', 'a.txt')]);
  } finally {
    t.cleanup();
  }
});

test('the write fault hook fails file and folder writes as a full disk does, leaving the targets untouched', async () => {
  const t = tempDir('dcp-enospc-');
  const seen: string[] = [];
  try {
    await writeJsonAtomic(path.join(t.dir, 'state.json'), { step: 1 });
    await writeFolderAtomic(path.join(t.dir, 'step'), [{ name: 'a', data: 'old' }]);
    setWriteFault((file) => {
      seen.push(path.basename(file));
      throw enospc(file);
    });
    await assert.rejects(writeJsonAtomic(path.join(t.dir, 'state.json'), { step: 2 }), (e: NodeJS.ErrnoException) => e.code === 'ENOSPC' && /no space left on device/.test(e.message));
    await assert.rejects(writeFolderAtomic(path.join(t.dir, 'step'), [{ name: 'a', data: 'new' }]), { code: 'ENOSPC' });
    setWriteFault(null);
    assert.deepEqual(seen, ['state.json', 'a']);
    assert.deepEqual(JSON.parse(await fs.readFile(path.join(t.dir, 'state.json'), 'utf8')), { step: 1 });
    assert.equal(await fs.readFile(path.join(t.dir, 'step', 'a'), 'utf8'), 'old');
    assert.deepEqual(await listTree(t.dir), ['state.json', 'step', path.join('step', 'a')], 'no temp entries left');
  } finally {
    setWriteFault(null);
    t.cleanup();
  }
});
