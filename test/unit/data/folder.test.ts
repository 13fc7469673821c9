import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { loadDataset } from '../../../server/data/dataset';
import { DatasetError } from '../../../server/data/types';
import { jpg, png, put, solid, tempDir } from '../../fixtures/data/writers';

const opts = (h: number, w: number, c: number, numClasses = 2) => ({ inputShape: [h, w, c] as [number, number, number], numClasses, seed: 1, selectionSamples: 2, validationFraction: 0 });
const isError = (source: RegExp, message: RegExp) => (e: unknown): boolean => {
  assert.ok(e instanceof DatasetError, `not a DatasetError: ${String(e)}`);
  assert.match(e.source, source);
  assert.match(e.message, message);
  return true;
};

/** root/red/*.png (solid red), root/blue/*.jpg (solid blue), root/gray/*.png (left half black, right half white). */
function colorFolder(dir: string): void {
  for (let i = 0; i < 3; i++) put(join(dir, 'red', `r${i}.png`), png(8, 6, solid(255, 0, 0)));
  for (let i = 0; i < 2; i++) put(join(dir, 'blue', `b${i}.JPG`), jpg(16, 16, solid(0, 0, 255)));
  put(join(dir, 'gray', 'g.png'), png(4, 4, (x) => (x < 2 ? [0, 0, 0] : [255, 255, 255])));
  put(join(dir, 'gray', 'notes.txt'), 'ignored');
  put(join(dir, '.hidden', 'x.png'), png(2, 2, solid(1, 2, 3)));
}

test('folder: classes sorted, PNG + JPEG decoded, resized, kept as RGB', async () => {
  const { dir, cleanup } = tempDir();
  try {
    colorFolder(dir);
    const d = await loadDataset(`folder:${dir}`, { ...opts(4, 4, 3, 3), selectionSamples: 3 });
    assert.equal(d.name, `folder:${dir}`);
    assert.deepEqual(d.classNames, ['blue', 'gray', 'red']);
    assert.equal(d.train.count, 6);
    assert.equal(d.train.x.length, 6 * 4 * 4 * 3);
    for (let i = 0; i < d.train.count; i++) {
      const px = d.train.x.subarray(i * 48, (i + 1) * 48);
      const c = d.train.y[i];
      if (c === 2) assert.deepEqual([px[0], px[1], px[2]], [1, 0, 0]);
      if (c === 0) {
        // JPEG is lossy even at quality 100: compare with a tolerance.
        assert.ok(px[0] < 0.05 && px[1] < 0.05 && px[2] > 0.95, `blue pixel ${px[0]},${px[1]},${px[2]}`);
      }
      if (c === 1) {
        // Same size: columns 0-1 black, 2-3 white, every channel.
        assert.deepEqual([px[0], px[3], px[6], px[9]], [0, 0, 1, 1]);
      }
    }
    const sel = new Array<number>(3).fill(0);
    for (const c of d.selection.y) sel[c]++;
    assert.deepEqual(sel, [1, 1, 1]);
  } finally { cleanup(); }
});

test('folder: RGB → gray by luminance, bilinear downscale, plain directory path accepted', async () => {
  const { dir, cleanup } = tempDir();
  try {
    // 4×4 with a vertical edge: downscaled to 2×2 each output pixel averages a 2×2 block.
    put(join(dir, 'a', 'edge.png'), png(4, 4, (x) => (x === 0 ? [255, 255, 255] : x === 1 ? [0, 0, 0] : [255, 0, 0])));
    put(join(dir, 'b', 'green.jpeg'), jpg(8, 8, solid(0, 255, 0)));
    const d = await loadDataset(dir, opts(2, 2, 1));
    const a = d.train.y[0] === 0 ? 0 : 1;
    const edge = d.train.x.subarray(a * 4, a * 4 + 4);
    const close = (v: number, want: number) => assert.ok(Math.abs(v - want) < 1e-5, `${v} vs ${want}`);
    close(edge[0], 0.5);
    close(edge[1], 0.299);
    close(edge[2], 0.5);
    const g = d.train.x[(1 - a) * 4];
    assert.ok(Math.abs(g - 0.587) < 0.02, `green luminance ${g}`);
  } finally { cleanup(); }
});

test('folder: a gray model input with gray PNGs round-trips exactly; alpha is dropped', async () => {
  const { dir, cleanup } = tempDir();
  try {
    put(join(dir, 'x', 'half.png'), png(2, 2, solid(128, 128, 128), 10));
    put(join(dir, 'y', 'white.png'), png(2, 2, solid(255, 255, 255), 0));
    const d = await loadDataset(`folder:${dir}`, opts(2, 2, 1));
    const vals = [...d.train.x].map((v) => Math.round(v * 255));
    assert.deepEqual(vals.sort((p, q) => p - q), [128, 128, 128, 128, 255, 255, 255, 255]);
  } finally { cleanup(); }
});

test('folder errors name the file or folder', async () => {
  const { dir, cleanup } = tempDir();
  try {
    put(join(dir, 'bad', 'a', 'ok.png'), png(2, 2, solid(0, 0, 0)));
    put(join(dir, 'bad', 'b', 'broken.png'), 'this is not a png');
    await assert.rejects(loadDataset(join(dir, 'bad'), opts(2, 2, 1)), isError(/broken\.png$/, /broken\.png: not a PNG or JPEG/));

    put(join(dir, 'trunc', 'a', 'ok.png'), png(2, 2, solid(0, 0, 0)));
    put(join(dir, 'trunc', 'b', 'cut.jpg'), jpg(16, 16, solid(9, 9, 9)).subarray(0, 200));
    await assert.rejects(loadDataset(join(dir, 'trunc'), opts(2, 2, 1)), isError(/cut\.jpg$/, /cut\.jpg: cannot decode JPEG/));

    put(join(dir, 'empty', 'a', 'ok.png'), png(2, 2, solid(0, 0, 0)));
    mkdirSync(join(dir, 'empty', 'b'));
    put(join(dir, 'empty', 'b', 'readme.md'), 'no images');
    await assert.rejects(loadDataset(join(dir, 'empty'), opts(2, 2, 1)), isError(/empty[/\\]b$/, /class folder 'b' has no .*images/));

    put(join(dir, 'flat', 'one.png'), png(2, 2, solid(0, 0, 0)));
    await assert.rejects(loadDataset(join(dir, 'flat'), opts(2, 2, 1)), isError(/flat$/, /no class subfolders/));
    mkdirSync(join(dir, 'void'));
    await assert.rejects(loadDataset(`folder:${join(dir, 'void')}`, opts(2, 2, 1)), isError(/void$/, /no class subfolders and no images/));

    await assert.rejects(loadDataset(join(dir, 'bad'), opts(2, 2, 1, 3)), isError(/bad$/, /found 2 classes \(a, b\) but the model outputs 3/));
    await assert.rejects(loadDataset(join(dir, 'bad'), opts(2, 2, 2)), isError(/ok\.png$/, /cannot convert 2×2×4 to the model's 2×2×2/));
    await assert.rejects(loadDataset(`folder:${join(dir, 'nope')}`, opts(2, 2, 1)), isError(/nope$/, /no such file or folder/));
    await assert.rejects(loadDataset(`folder:${join(dir, 'flat', 'one.png')}`, opts(2, 2, 1)), isError(/one\.png$/, /not a folder/));
  } finally { cleanup(); }
});

test('folder with teacher labels: flat folder allowed, labels come from the teacher', async () => {
  const { dir, cleanup } = tempDir();
  try {
    for (let i = 0; i < 10; i++) put(join(dir, `img${i}.png`), png(3, 3, solid(i * 20, i * 20, i * 20)));
    let calls = 0;
    // Teacher: class 1 for bright images, 0 for dark, judged from the pixels it is given.
    const teacher = async (x: Float32Array, n: number): Promise<Int32Array> => {
      calls++;
      assert.equal(x.length, n * 9);
      return Int32Array.from({ length: n }, (_, i) => (x[i * 9] > 0.3 ? 1 : 0));
    };
    const d = await loadDataset(dir, { ...opts(3, 3, 1), labels: 'teacher', teacher });
    assert.equal(calls, 1);
    assert.equal(d.train.count, 10);
    d.train.y.forEach((c, i) => assert.equal(c, d.train.x[i * 9] > 0.3 ? 1 : 0));
    assert.deepEqual(d.classNames, ['0', '1']);
  } finally { cleanup(); }
});
