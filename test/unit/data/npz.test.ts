import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadDataset } from '../../../server/data/dataset';
import { DatasetError } from '../../../server/data/types';
import { npy, put, tempDir, zip } from '../../fixtures/data/writers';

const FIXTURES = join(__dirname, '..', '..', 'fixtures', 'data');
const opts = (h: number, w: number, c: number, numClasses = 3) => ({ inputShape: [h, w, c] as [number, number, number], numClasses, seed: 1, selectionSamples: 3, validationFraction: 0 });

/** 6 samples of 2×2×1; sample i has pixels i*10 .. i*10+3 (uint8), label i % 3. */
const X = Array.from({ length: 24 }, (_, k) => Math.floor(k / 4) * 10 + (k % 4));
const Y = [0, 1, 2, 0, 1, 2];

/** Checks every sample is intact: label and pixels still belong together after the split. */
function assertSamples(train: { x: Float32Array; y: Int32Array; count: number }, scale = 255): void {
  assert.equal(train.count, 6);
  const seen = new Set<number>();
  for (let i = 0; i < 6; i++) {
    const s = Math.round((train.x[i * 4] * scale) / 10);
    seen.add(s);
    assert.equal(train.y[i], s % 3);
    for (let k = 0; k < 4; k++) assert.ok(Math.abs(train.x[i * 4 + k] - (s * 10 + k) / scale) < 1e-6);
  }
  assert.equal(seen.size, 6);
}

test('npz, stored and deflated, uint8 x scaled by 1/255, int64 y', async () => {
  const { dir, cleanup } = tempDir();
  try {
    for (const method of ['stored', 'deflate'] as const) {
      const f = put(join(dir, `${method}.npz`), zip({ 'x.npy': npy('|u1', [6, 2, 2], X), 'y.npy': npy('<i8', [6], Y) }, method));
      const d = await loadDataset(`npz:${f}`, opts(2, 2, 1));
      assert.equal(d.name, `npz:${f}`);
      assert.deepEqual(d.classNames, ['0', '1', '2']);
      assertSamples(d.train);
      const bare = await loadDataset(f, opts(2, 2, 1));
      assert.deepEqual(bare.train.x, d.train.x);
    }
  } finally { cleanup(); }
});

test('npz float32 x (N,H,W,C) used as is; float64 x, int32 and one-hot y; x_train/y_train names', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const xf = X.map((v) => v / 255);
    const oneHot = Y.flatMap((c) => [0, 1, 2].map((k) => (k === c ? 1 : 0)));
    const cases: Record<string, Uint8Array>[] = [
      { 'x.npy': npy('<f4', [6, 2, 2, 1], xf), 'y.npy': npy('<i4', [6], Y) },
      { 'x.npy': npy('<f8', [6, 2, 2], xf), 'y.npy': npy('<f4', [6, 3], oneHot) },
      { 'x_train.npy': npy('<f4', [6, 2, 2], xf), 'y_train.npy': npy('|u1', [6, 1], Y), 'x_test.npy': npy('<f4', [1, 2, 2], [0, 0, 0, 0]) },
    ];
    for (const [i, entries] of cases.entries()) {
      const f = put(join(dir, `c${i}.npz`), zip(entries, i % 2 ? 'deflate' : 'stored'));
      assertSamples((await loadDataset(f, opts(2, 2, 1))).train);
    }
  } finally { cleanup(); }
});

test('npz files written by numpy (np.savez zip64 entries, np.savez_compressed)', async () => {
  for (const name of ['numpy-savez.npz', 'numpy-savez-compressed.npz']) {
    const d = await loadDataset(join(FIXTURES, name), { ...opts(4, 4, 1), selectionSamples: 6 });
    assert.equal(d.train.count, 6);
    // x = (arange(96) * 5 % 256) / 255 reshaped (6, 4, 4); y = [0, 1, 2, 0, 1, 2].
    for (let i = 0; i < 6; i++) {
      const first = Math.round(d.train.x[i * 16] * 255);
      const s = [0, 1, 2, 3, 4, 5].find((k) => (k * 80) % 256 === first);
      assert.ok(s !== undefined, `${name}: sample start ${first}`);
      assert.equal(d.train.y[i], s % 3);
      for (let k = 0; k < 16; k++) assert.ok(Math.abs(d.train.x[i * 16 + k] - (((s * 16 + k) * 5) % 256) / 255) < 1e-6);
    }
  }
});

test('npz channel conversion: gray arrays for an RGB model, RGB arrays for a gray model', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const gray = put(join(dir, 'g.npz'), zip({ 'x.npy': npy('|u1', [6, 2, 2], X), 'y.npy': npy('<i8', [6], Y) }, 'stored'));
    const rgb = (await loadDataset(gray, opts(2, 2, 3))).train.x;
    for (let p = 0; p < rgb.length; p += 3) assert.ok(rgb[p] === rgb[p + 1] && rgb[p] === rgb[p + 2]);
    const colour = put(join(dir, 'c.npz'), zip({ 'x.npy': npy('<f4', [6, 2, 2, 3], X.flatMap((v) => [v / 255, 0, 0])), 'y.npy': npy('<i8', [6], Y) }, 'stored'));
    const lum = (await loadDataset(colour, opts(2, 2, 1))).train.x;
    assertSamples({ x: lum.map((v) => v / 0.299), y: (await loadDataset(colour, opts(2, 2, 1))).train.y, count: 6 });
  } finally { cleanup(); }
});

test('single .npy: labels from NAME_labels.npy, else y.npy; missing labels named; teacher needs none', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const a = put(join(dir, 'a', 'images.npy'), npy('|u1', [6, 2, 2], X));
    put(join(dir, 'a', 'images_labels.npy'), npy('<i8', [6], Y));
    put(join(dir, 'a', 'y.npy'), npy('<i8', [6], [9, 9, 9, 9, 9, 9])); // must lose to images_labels.npy
    assertSamples((await loadDataset(a, opts(2, 2, 1))).train);
    const b = put(join(dir, 'b', 'x.npy'), npy('|u1', [6, 2, 2], X));
    put(join(dir, 'b', 'y.npy'), npy('<i4', [6], Y));
    assertSamples((await loadDataset(`npz:${b}`, opts(2, 2, 1))).train);
    const c = put(join(dir, 'c', 'x.npy'), npy('|u1', [6, 2, 2], X));
    await assert.rejects(loadDataset(c, opts(2, 2, 1)), (e: unknown) =>
      e instanceof DatasetError && e.source === c && /no labels found; put them in .*x_labels\.npy or .*y\.npy/.test(e.message));
    const d = await loadDataset(c, { ...opts(2, 2, 1), labels: 'teacher', teacher: async (_x, n) => new Int32Array(n).fill(2) });
    assert.ok(d.train.y.every((v) => v === 2));
  } finally { cleanup(); }
});
