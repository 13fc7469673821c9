/**
 * A bounded slice of the fault matrix (matrix.ts; the whole matrix, every fault at every phase, is `npm run faults`
 * and docs/reliability.md has its table): the uninterrupted run's writes, then one cell of each kind of fault.
 */
import assert from 'node:assert/strict';
import { sep } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FaultMatrix, keptOf, problemsOf, type Fault } from './matrix';
import type { FaultPhase } from './phases';

describe('faults mid-run', { timeout: 600_000 }, () => {
  let matrix: FaultMatrix;
  let cleanKept: Record<string, number[]>;

  before(async () => {
    matrix = await FaultMatrix.create();
  });
  after(() => matrix?.cleanup());

  it('an uninterrupted run writes only checkpoints (after head training and after each layer) and, last, its output folder', async () => {
    const { ended, writes } = await matrix.clean();
    assert.equal(ended.status, 'finished', ended.message ?? '');
    cleanKept = keptOf(ended);
    assert.ok(Object.keys(cleanKept).length >= 2, 'at least two layers selected, so select has a mid-phase checkpoint');
    const where = (w: { file: string }) => (w.file.includes(`${sep}checkpoints${sep}`) ? 'checkpoint' : w.file.includes(`${sep}.output.tmp-`) ? 'output' : 'other');
    assert.deepEqual(writes.filter((w) => where(w) === 'other'), [], 'the engine writes nowhere else');
    for (const w of writes.filter((x) => where(x) === 'checkpoint')) assert.match(w.after, /^(headsTrained|layerDone)$/, w.file);
    const outputs = writes.filter((w) => where(w) === 'output');
    assert.deepEqual(outputs.map((w) => w.file.split(sep).at(-1)).sort(), ['group1-shard1of1.bin', 'model.json', 'report.json']);
    assert.ok(outputs.every((w) => w.after === 'epochDone'), 'the output is written after the final fine-tune, before runFinished');
    const lastCheckpoint = writes.map(where).lastIndexOf('checkpoint');
    assert.ok(lastCheckpoint >= 0 && writes.indexOf(outputs[0]) > lastCheckpoint, 'and after every checkpoint');
  });

  const cells: [Fault, FaultPhase][] = [['cancel', 'select'], ['enospc', 'select'], ['kill', 'save'], ['server-kill', 'select']];
  for (const [fault, phase] of cells) {
    it(`${fault} during ${phase}: input unchanged, no output taken for a result, resume reaches the uninterrupted result`, async () => {
      assert.ok(cleanKept, 'the uninterrupted run ran first');
      const r = await matrix.cell(fault, phase);
      assert.deepEqual(problemsOf(r, cleanKept), [], JSON.stringify(r));
      assert.notEqual(r.status, 'finished', 'the fault landed before the run finished');
    });
  }
});
