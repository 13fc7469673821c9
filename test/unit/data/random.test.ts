import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mixSeed, mulberry32, permutation, shuffleInPlace } from '../../../server/data/random';

test('mulberry32 is reproducible, in [0, 1), and seed-dependent', () => {
  const a = mulberry32(42), b = mulberry32(42), c = mulberry32(43);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(Array.from({ length: 1000 }, () => b()), xs);
  assert.notDeepEqual(Array.from({ length: 1000 }, () => c()), xs);
  assert.ok(xs.every((v) => v >= 0 && v < 1));
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05, `mean ${mean}`);
});

test('mulberry32 treats seeds modulo 2^32 (seed 0 works)', () => {
  assert.equal(mulberry32(0)(), mulberry32(2 ** 32)());
  assert.ok(mulberry32(0)() >= 0);
});

test('permutation holds each index once; shuffle keeps the multiset', () => {
  const p = permutation(500, mulberry32(7));
  assert.deepEqual([...p].sort((x, y) => x - y), Array.from({ length: 500 }, (_, i) => i));
  assert.notDeepEqual([...p], Array.from({ length: 500 }, (_, i) => i));
  const arr = ['a', 'b', 'c', 'd', 'e'];
  assert.deepEqual([...shuffleInPlace(arr.slice(), mulberry32(1))].sort(), arr);
});

test('mixSeed gives distinct, reproducible seeds per stream', () => {
  const seeds = new Set(Array.from({ length: 100 }, (_, e) => mixSeed(5, e)));
  assert.equal(seeds.size, 100);
  assert.equal(mixSeed(5, 3), mixSeed(5, 3));
  assert.notEqual(mixSeed(5, 3), mixSeed(6, 3));
  for (const s of seeds) assert.ok(Number.isInteger(s) && s >= 0 && s < 2 ** 32);
});
