import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apportion, balancedQuotas, splitSamples } from '../../../server/data/split';
import type { Split } from '../../../server/data/types';

/** n samples of one value = their index, labels from `label(i)`. */
function data(n: number, label: (i: number) => number) {
  return { x: Float32Array.from({ length: n }, (_, i) => i), y: Int32Array.from({ length: n }, (_, i) => label(i)) };
}
const ids = (s: Split): number[] => Array.from(s.x);
const perClass = (s: Split, k: number): number[] => {
  const c = new Array<number>(k).fill(0);
  for (const v of s.y) c[v]++;
  return c;
};

test('apportion: largest remainder sums exactly', () => {
  assert.deepEqual(apportion(10, [1, 1, 1]), [4, 3, 3]);
  assert.deepEqual(apportion(2000, [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]).reduce((a, b) => a + b), 2000);
  assert.deepEqual(apportion(5, [0, 0]), [0, 0]);
});

test('balancedQuotas: equal shares, capped classes give their surplus to others', () => {
  assert.deepEqual(balancedQuotas(30, [100, 100, 100]), [10, 10, 10]);
  assert.deepEqual(balancedQuotas(31, [100, 100, 100]), [11, 10, 10]);
  assert.deepEqual(balancedQuotas(30, [2, 100, 100]), [2, 14, 14]);
  assert.deepEqual(balancedQuotas(500, [2, 3, 4]), [2, 3, 4]);
  assert.deepEqual(balancedQuotas(0, [5, 5]), [0, 0]);
});

test('splits are disjoint, cover the data, and selection ⊂ train is balanced', () => {
  const { x, y } = data(1000, (i) => i % 4);
  const s = splitSamples(x, y, 1000, 1, 4, { seed: 3, validationCount: 100, maxTrainSamples: 0, selectionSamples: 40 }, 't');
  assert.equal(s.validation.count, 100);
  assert.equal(s.train.count, 900);
  const train = new Set(ids(s.train));
  assert.ok(ids(s.validation).every((v) => !train.has(v)), 'validation ∩ train = ∅');
  assert.equal(new Set([...ids(s.train), ...ids(s.validation)]).size, 1000);
  assert.ok(ids(s.selection).every((v) => train.has(v)), 'selection ⊂ train');
  assert.deepEqual(perClass(s.selection, 4), [10, 10, 10, 10]);
  assert.deepEqual(perClass(s.validation, 4), [25, 25, 25, 25]);
  // Labels still match their samples after gathering.
  for (const sp of [s.train, s.validation, s.selection]) sp.y.forEach((c, i) => assert.equal(c, sp.x[i] % 4));
});

test('deterministic by seed', () => {
  const { x, y } = data(500, (i) => i % 5);
  const plan = { seed: 11, validationCount: 50, maxTrainSamples: 0, selectionSamples: 25 };
  const a = splitSamples(x, y, 500, 1, 5, plan, 't');
  const b = splitSamples(x, y, 500, 1, 5, plan, 't');
  const c = splitSamples(x, y, 500, 1, 5, { ...plan, seed: 12 }, 't');
  for (const k of ['train', 'validation', 'selection'] as const) assert.deepEqual(ids(a[k]), ids(b[k]));
  assert.notDeepEqual(ids(a.validation), ids(c.validation));
  assert.notDeepEqual(ids(a.selection), ids(c.selection));
});

test('imbalanced classes: selection takes all of a small class and balances the rest', () => {
  const { x, y } = data(300, (i) => (i < 5 ? 0 : i < 150 ? 1 : 2));
  const s = splitSamples(x, y, 300, 1, 3, { seed: 1, validationCount: 0, maxTrainSamples: 0, selectionSamples: 30 }, 't');
  assert.deepEqual(perClass(s.selection, 3), [5, 13, 12]);
});

test('maxTrainSamples caps train proportionally; selection clamps to train', () => {
  const { x, y } = data(1000, (i) => (i < 800 ? 0 : 1));
  const s = splitSamples(x, y, 1000, 1, 2, { seed: 2, validationCount: 100, maxTrainSamples: 90, selectionSamples: 500 }, 't');
  assert.equal(s.train.count, 90);
  assert.deepEqual(perClass(s.train, 2), [72, 18]);
  assert.equal(s.selection.count, 90);
  assert.equal(s.validation.count, 100);
});

test('validation never takes the last sample of a class', () => {
  const { x, y } = data(11, (i) => (i === 0 ? 1 : 0));
  const s = splitSamples(x, y, 11, 1, 2, { seed: 4, validationCount: 5, maxTrainSamples: 0, selectionSamples: 2 }, 't');
  assert.deepEqual(perClass(s.train, 2)[1], 1);
  assert.deepEqual(perClass(s.selection, 2), [1, 1]);
});
