import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batches } from '../../../server/data/batches';
import { DatasetError } from '../../../server/data/types';

/** 103 samples of 2 values each; x encodes the sample index so batches can be traced back. */
function split(count = 103) {
  const x = new Float32Array(count * 2);
  for (let i = 0; i < count; i++) { x[2 * i] = i; x[2 * i + 1] = -i; }
  return { x, y: Int32Array.from({ length: count }, (_, i) => i % 10), count };
}

function indices(list: Iterable<{ x: Float32Array; y: Int32Array; n: number }>): number[] {
  const seen: number[] = [];
  for (const b of list) {
    assert.equal(b.x.length, b.n * 2);
    assert.equal(b.y.length, b.n);
    for (let i = 0; i < b.n; i++) {
      const s = b.x[2 * i];
      assert.equal(b.x[2 * i + 1], -s, 'sample values stay together');
      assert.equal(b.y[i], s % 10, 'label travels with its sample');
      seen.push(s);
    }
  }
  return seen;
}

test('every sample exactly once per epoch, last batch partial', () => {
  const s = split();
  const sizes = [...batches(s, 25, 1)].map((b) => b.n);
  assert.deepEqual(sizes, [25, 25, 25, 25, 3]);
  const seen = indices(batches(s, 25, 1));
  assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: 103 }, (_, i) => i));
});

test('same seed → same batches; other seed → other order; null → stored order', () => {
  const s = split();
  assert.deepEqual(indices(batches(s, 16, 9)), indices(batches(s, 16, 9)));
  assert.notDeepEqual(indices(batches(s, 16, 9)), indices(batches(s, 16, 10)));
  assert.deepEqual(indices(batches(s, 16, null)), Array.from({ length: 103 }, (_, i) => i));
});

test('batches are copies: mutating one does not touch the split', () => {
  const s = split();
  const [first] = batches(s, 8, null);
  first.x.fill(999);
  assert.equal(s.x[0], 0);
  assert.equal(first.x.buffer === s.x.buffer, false);
});

test('empty split yields nothing; bad batch size is refused at the call', () => {
  assert.equal([...batches({ x: new Float32Array(0), y: new Int32Array(0), count: 0 }, 4, 1)].length, 0);
  assert.throws(() => batches(split(), 0, 1), DatasetError);
  assert.throws(() => batches(split(), 2.5, null), DatasetError);
});
