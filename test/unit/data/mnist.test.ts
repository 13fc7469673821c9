import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDataset, MNIST_VALIDATION_SAMPLES } from '../../../server/data/dataset';
import { loadMnist } from '../../../server/data/mnist';
import { DatasetError, type Split } from '../../../server/data/types';

const base = { inputShape: [28, 28, 1] as [number, number, number], numClasses: 10, seed: 1, selectionSamples: 200 };

/** A content key per sample, so splits can be compared as multisets without knowing original indices. */
function keys(s: Split): string[] {
  const len = s.x.length / s.count;
  const bytes = new Uint32Array(s.x.buffer, s.x.byteOffset, s.x.length);
  const out: string[] = [];
  for (let i = 0; i < s.count; i++) {
    let h1 = 0x811c9dc5, h2 = 17;
    for (let j = i * len; j < (i + 1) * len; j++) {
      h1 = Math.imul(h1 ^ bytes[j], 0x01000193);
      h2 = (Math.imul(h2, 31) + bytes[j]) | 0;
    }
    out.push(`${h1 >>> 0}:${h2}:${s.y[i]}`);
  }
  return out;
}

const countBy = (ks: string[]): Map<string, number> => ks.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<string, number>());

test('raw mnist: 10,000 digits, 28×28, values in [0, 1], classes as shipped, fast', () => {
  const t0 = performance.now();
  const raw = loadMnist([28, 28, 1]);
  const ms = performance.now() - t0;
  assert.equal(raw.count, 10000);
  assert.equal(raw.x.length, 10000 * 784);
  let min = Infinity, max = -Infinity;
  for (const v of raw.x) { if (v < min) min = v; if (v > max) max = v; }
  assert.equal(min, 0);
  assert.equal(max, 1);
  const perClass = new Array<number>(10).fill(0);
  for (const c of raw.y!) perClass[c]++;
  assert.deepEqual(perClass, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]);
  assert.ok(ms < 2000, `loading took ${ms.toFixed(0)} ms`);
});

test('loadDataset(mnist): default 2000 validation, disjoint splits, balanced selection ⊂ train', async () => {
  const t0 = performance.now();
  const d = await loadDataset('mnist', base);
  const ms = performance.now() - t0;
  assert.ok(ms < 2000, `loadDataset took ${ms.toFixed(0)} ms`);
  assert.equal(d.name, 'mnist');
  assert.deepEqual(d.inputShape, [28, 28, 1]);
  assert.equal(d.numClasses, 10);
  assert.deepEqual(d.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.equal(d.validation.count, MNIST_VALIDATION_SAMPLES);
  assert.equal(d.train.count, 8000);
  assert.equal(d.train.x.length, 8000 * 784);
  const perClass = new Array<number>(10).fill(0);
  for (const c of d.selection.y) perClass[c]++;
  assert.deepEqual(perClass, new Array(10).fill(20));

  // Multiset algebra: train + validation = all digits; selection ⊂ train.
  const all = countBy(keys({ x: loadMnist([28, 28, 1]).x, y: loadMnist([28, 28, 1]).y!, count: 10000 }));
  const train = countBy(keys(d.train));
  const both = countBy([...keys(d.train), ...keys(d.validation)]);
  assert.deepEqual(both, all);
  for (const [k, n] of countBy(keys(d.selection))) assert.ok((train.get(k) ?? 0) >= n, 'selection sample not in train');
});

test('mnist splits are deterministic by seed', async () => {
  const a = await loadDataset('mnist', { ...base, selectionSamples: 50 });
  const b = await loadDataset('mnist', { ...base, selectionSamples: 50 });
  const c = await loadDataset('mnist', { ...base, selectionSamples: 50, seed: 2 });
  assert.deepEqual(a.validation.y, b.validation.y);
  assert.deepEqual(keys(a.selection), keys(b.selection));
  assert.deepEqual(keys(a.train).slice(0, 100), keys(b.train).slice(0, 100));
  assert.notDeepEqual(keys(a.selection), keys(c.selection));
  assert.notDeepEqual(keys(a.validation), keys(c.validation));
});

test('mnist options: validationFraction, maxTrainSamples', async () => {
  const d = await loadDataset('mnist', { ...base, validationFraction: 0.1, maxTrainSamples: 1000 });
  assert.equal(d.validation.count, 1000);
  assert.equal(d.train.count, 1000);
  assert.equal(d.selection.count, 200);
});

test('mnist resized and converted for a 32×32×3 model: gray repeated, still in [0, 1]', async () => {
  const d = await loadDataset('mnist', { ...base, inputShape: [32, 32, 3], maxTrainSamples: 100, selectionSamples: 10 });
  assert.equal(d.train.x.length, 100 * 32 * 32 * 3);
  for (let p = 0; p < d.train.x.length; p += 3) {
    assert.equal(d.train.x[p], d.train.x[p + 1]);
    assert.equal(d.train.x[p], d.train.x[p + 2]);
  }
  assert.ok(d.train.x.every((v) => v >= 0 && v <= 1 + 1e-6));
  assert.ok(d.train.x.some((v) => v > 0.5));
});

test('mnist with a model of another class count → DatasetError (unless teacher labels)', async () => {
  await assert.rejects(loadDataset('mnist', { ...base, numClasses: 5 }), (e: unknown) =>
    e instanceof DatasetError && e.source === 'mnist' && /found 10 classes .* model outputs 5/.test(e.message));
  const d = await loadDataset('mnist', {
    ...base, numClasses: 2, labels: 'teacher', selectionSamples: 10, maxTrainSamples: 100,
    teacher: async (_x, n) => Int32Array.from({ length: n }, (_, i) => i % 2),
  });
  assert.deepEqual(d.classNames, ['0', '1']);
  assert.ok(d.train.y.every((c) => c === 0 || c === 1));
});
