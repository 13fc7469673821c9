import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadDataset } from '../../../server/data/dataset';
import { DatasetError, type DatasetOptions } from '../../../server/data/types';
import { put, tempDir } from '../../fixtures/data/writers';

/** Bytes of an IDX file of unsigned bytes, written by the format's definition (magic, big-endian dims, data). */
function idx(dims: number[], values: ArrayLike<number>, type = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + values.length);
  out.set([0, 0, type, dims.length]);
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(Array.from(values), 4 + 4 * dims.length);
  return out;
}

const opts: DatasetOptions = { inputShape: [2, 2, 1], numClasses: 3, seed: 1, selectionSamples: 3, validationFraction: 0 };

async function fails(spec: string, why: RegExp, o: DatasetOptions = opts): Promise<void> {
  await assert.rejects(loadDataset(spec, o), (e: unknown) => {
    assert.ok(e instanceof DatasetError, `expected DatasetError, got ${String(e)}`);
    assert.match(e.message, why);
    return true;
  });
}

/** Sample i of the fixture has every pixel equal to 10·i + its label, so each sample can be recognised. */
function pixelsOf(labels: number[], offset: number): number[] {
  return labels.flatMap((l, i) => [0, 1, 2, 3].map(() => 10 * (i + offset) + l));
}

test('an IDX folder (plain and gzipped files) loads every image with its label, scaled to [0, 1]', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const trainY = [0, 1, 2, 0];
    const testY = [2, 1];
    put(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idx([4, 2, 2], pixelsOf(trainY, 0))));
    put(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idx([4], trainY)));
    put(join(dir, 't10k-images-idx3-ubyte'), idx([2, 2, 2], pixelsOf(testY, 4)));
    put(join(dir, 't10k-labels-idx1-ubyte'), idx([2], testY));
    const d = await loadDataset(`idx:${dir}`, opts);
    assert.equal(d.train.count, 6);
    const seen = new Map<number, number>();
    for (let i = 0; i < d.train.count; i++) {
      const v = Math.round(d.train.x[i * 4] * 255);
      assert.equal(d.train.x[i * 4 + 3], d.train.x[i * 4], 'all four pixels of a sample are equal');
      seen.set(v, d.train.y[i]);
    }
    // Values 10·i + label: the label travels with its image, whichever order the split puts them in.
    for (const [v, label] of seen) assert.equal(v % 10, label);
    assert.equal(seen.size, 6);
    assert.deepEqual([...seen.keys()].sort((a, b) => a - b), [0, 11, 22, 30, 42, 51]);
  } finally { cleanup(); }
});

test('idx:FILE finds the labels beside it; fashion-mnist:DIR names the ten classes', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const y = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const images = put(join(dir, 'train-images-idx3-ubyte'), idx([10, 2, 2], pixelsOf(y, 0)));
    put(join(dir, 'train-labels-idx1-ubyte'), idx([10], y));
    const one = await loadDataset(`idx:${images}`, { ...opts, numClasses: 10 });
    assert.equal(one.train.count, 10);
    assert.deepEqual(one.classNames, y.map(String));
    const f = await loadDataset(`fashion-mnist:${dir}`, { ...opts, numClasses: 10, inputShape: [4, 4, 3] });
    assert.equal(f.name, 'fashion-mnist');
    assert.equal(f.classNames[0], 'T-shirt/top');
    assert.equal(f.classNames[9], 'Ankle boot');
    // Resized 2×2 → 4×4 and gray → RGB: a constant image stays constant in every channel.
    assert.equal(f.train.x.length, 10 * 48);
    const first = f.train.x.subarray(0, 48);
    assert.ok(first.every((v) => Math.abs(v - first[0]) < 1e-6));
    await fails(`fashion-mnist:${dir}`, /found 10 classes .* but the model outputs 3/);
  } finally { cleanup(); }
});

test('bad IDX files are refused with the file and the reason', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const sub = (name: string): string => join(dir, name);
    put(sub('a/x-images-idx3-ubyte'), idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8], 0x0d));
    put(sub('a/x-labels-idx1-ubyte'), idx([2], [0, 1]));
    await fails(`idx:${sub('a')}`, /x-images-idx3-ubyte: IDX value type 0x0d is not supported/);
    put(sub('b/x-images-idx3-ubyte'), idx([3, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
    put(sub('b/x-labels-idx1-ubyte'), idx([3], [0, 1, 2]));
    await fails(`idx:${sub('b')}`, /truncated: dimensions 3×2×2 need 12 data bytes, file has 8/);
    put(sub('c/x-images-idx3-ubyte'), idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
    put(sub('c/x-labels-idx1-ubyte'), idx([3], [0, 1, 2]));
    await fails(`idx:${sub('c')}`, /3 labels for 2 images/);
    put(sub('d/x-images-idx3-ubyte'), idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
    await fails(`idx:${sub('d')}`, /no labels file beside it/);
    put(sub('e/x-images-idx3-ubyte'), 'PK not idx');
    put(sub('e/x-labels-idx1-ubyte'), idx([1], [0]));
    await fails(`idx:${sub('e')}`, /not an IDX file/);
    put(sub('f/x-images-idx3-ubyte.gz'), new Uint8Array([0x1f, 0x8b, 8, 0, 1, 2, 3]));
    await fails(`idx:${sub('f')}`, /corrupt gzip data/);
    put(sub('g/readme.txt'), 'nothing here');
    await fails(`idx:${sub('g')}`, /no IDX images files/);
    put(sub('h/x-images-idx3-ubyte'), idx([2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
    put(sub('h/x-labels-idx1-ubyte'), idx([2], [0, 7]));
    await fails(`idx:${sub('h')}`, /label 7 at sample 1 is outside the model's 3 classes/);
    await fails('idx:', /idx needs a path/);
    await fails(`fashion-mnist:${sub('missing')}`, /no such file or folder/);
  } finally { cleanup(); }
});

test('validationSamples holds out exactly that many samples, and refuses to leave none for training', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const y = [0, 1, 2, 0, 1, 2];
    put(join(dir, 'train-images-idx3-ubyte'), idx([6, 2, 2], pixelsOf(y, 0)));
    put(join(dir, 'train-labels-idx1-ubyte'), idx([6], y));
    const d = await loadDataset(`idx:${dir}`, { ...opts, validationFraction: undefined, validationSamples: 2 });
    assert.deepEqual([d.validation.count, d.train.count], [2, 4]);
    await fails(`idx:${dir}`, /6 validation samples leave none of its 6 samples for training/, { ...opts, validationSamples: 6 });
    await fails(`idx:${dir}`, /validationSamples must be an integer ≥ 1/, { ...opts, validationSamples: 0 });
  } finally { cleanup(); }
});
