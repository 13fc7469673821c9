import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadDataset } from '../../../server/data/dataset';
import { DatasetError, type DatasetOptions } from '../../../server/data/types';
import { npy, put, tempDir, zip } from '../../fixtures/data/writers';

const opts: DatasetOptions = { inputShape: [2, 2, 1], numClasses: 3, seed: 1, selectionSamples: 3, validationFraction: 0 };
const X = Array.from({ length: 24 }, (_, k) => k);
const Y = [0, 1, 2, 0, 1, 2];

/** Asserts a DatasetError whose source is `file` and whose message names the file and matches `why`. */
async function fails(spec: string, why: RegExp, file: string, o: DatasetOptions = opts): Promise<void> {
  await assert.rejects(loadDataset(spec, o), (e: unknown) => {
    assert.ok(e instanceof DatasetError, `expected DatasetError, got ${String(e)}`);
    assert.equal(e.source.startsWith(file), true, `source ${e.source} should name ${file}`);
    assert.ok(e.message.includes(file), `message should name the file: ${e.message}`);
    assert.match(e.message, why);
    return true;
  });
}

/** Writes x.npy / y.npy into a stored npz and returns its path. */
function npz(dir: string, name: string, x: Uint8Array, y?: Uint8Array, method: 'stored' | 'deflate' = 'stored'): string {
  return put(join(dir, name), zip(y ? { 'x.npy': x, 'y.npy': y } : { 'x.npy': x }, method));
}

test('bad npy headers and dtypes are refused with the reason', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const y = npy('<i8', [6], Y);
    await fails(npz(dir, 'f.npz', npy('<f4', [6, 2, 2], X, { fortran: true }), y), /fortran_order=True .* not supported/, join(dir, 'f.npz'));
    await fails(npz(dir, 'be.npz', npy('>f4', [6, 2, 2], X), y), /big-endian dtype '>f4'/, join(dir, 'be.npz'));
    await fails(npz(dir, 'u2.npz', npy('<u2', [6, 2, 2], X), y), /unsupported dtype '<u2'/, join(dir, 'u2.npz'));
    const rec = npy('<f4', [6], [], { header: "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (6,), }" });
    await fails(npz(dir, 'rec.npz', rec, y), /structured/, join(dir, 'rec.npz'));
    await fails(npz(dir, 'nos.npz', npy('<f4', [6], [], { header: "{'descr': '<f4', 'fortran_order': False}" }), y), /no 'shape'/, join(dir, 'nos.npz'));
  } finally { cleanup(); }
});

test('hostile sizes are refused before allocating; truncated data is named', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const huge = npy('<f4', [1e12, 1e12, 1e12], [], {});
    await fails(put(join(dir, 'huge.npy'), huge), /needs more than .* bytes; refusing/, join(dir, 'huge.npy'));
    const big = npy('<f4', [6, 2, 2], X);
    new DataView(big.buffer).setUint16(8, 0xffff, true); // header length beyond the file
    await fails(put(join(dir, 'hdr.npy'), big), /truncated: header needs/, join(dir, 'hdr.npy'));
    const v2 = npy('<f4', [6, 2, 2], X);
    v2[6] = 2; // version 2 reads a 4-byte length: make it enormous
    new DataView(v2.buffer).setUint32(8, 0x7fffffff, true);
    await fails(put(join(dir, 'v2.npy'), v2), /header of \d+ bytes is larger than/, join(dir, 'v2.npy'));
    const full = npy('|u1', [6, 2, 2], X);
    put(join(dir, 't_labels.npy'), npy('<i8', [6], Y));
    await fails(put(join(dir, 't.npy'), full.subarray(0, full.length - 5)), /truncated: shape \(6, 2, 2\) of \|u1 needs 24 data bytes, file has 19/, join(dir, 't.npy'));
    await fails(put(join(dir, 'magic.npy'), 'not numpy at all'), /neither a \.npz \(zip\) nor a \.npy/, join(dir, 'magic.npy'));
  } finally { cleanup(); }
});

test('corrupt or truncated zips are named', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const good = zip({ 'x.npy': npy('|u1', [6, 2, 2], X), 'y.npy': npy('<i8', [6], Y) }, 'deflate');
    await fails(put(join(dir, 'half.npz'), good.subarray(0, Math.floor(good.length / 2))), /truncated or not a zip/, join(dir, 'half.npz'));
    const flipped = good.slice();
    flipped[40] ^= 0xff; // inside the first entry's deflate stream
    await fails(put(join(dir, 'crc.npz'), flipped), /entry x\.npy.*(CRC mismatch|cannot inflate|size mismatch)/, join(dir, 'crc.npz'));
    const bzip = good.slice();
    const cd = Buffer.from(bzip).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    bzip[cd + 10] = 12; // bzip2
    await fails(put(join(dir, 'bz.npz'), bzip), /compression method 12 is not supported/, join(dir, 'bz.npz'));
    // A zip bomb in miniature: the directory claims 10 bytes, the stream inflates to 1 MB.
    const fake = Buffer.from(zip({ 'x.npy': new Uint8Array(1 << 20) }, 'deflate'));
    const cd2 = fake.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    fake.writeUInt32LE(10, cd2 + 24);
    await fails(put(join(dir, 'bomb.npz'), fake), /x\.npy.*cannot inflate/, join(dir, 'bomb.npz'));
  } finally { cleanup(); }
});

test('content errors: missing arrays, x/y mismatch, wrong H×W, labels out of range, bad values', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const x = npy('|u1', [6, 2, 2], X);
    await fails(put(join(dir, 'names.npz'), zip({ 'images.npy': x, 'labels.npy': npy('<i8', [6], Y) }, 'stored')),
      /no array named 'x' .* holds 'images', 'labels'/, join(dir, 'names.npz'));
    await fails(npz(dir, 'nolab.npz', x), /has 'x' but no labels array 'y'/, join(dir, 'nolab.npz'));
    await fails(npz(dir, 'len.npz', x, npy('<i8', [5], Y.slice(0, 5))), /x has 6 samples but y has 5 labels/, join(dir, 'len.npz'));
    await fails(npz(dir, 'hw.npz', npy('|u1', [6, 3, 3], new Array(54).fill(0)), npy('<i8', [6], Y)),
      /samples are 3×3×1 but the model expects 2×2×1/, join(dir, 'hw.npz'));
    await fails(npz(dir, 'ch.npz', npy('|u1', [6, 2, 2, 5], new Array(120).fill(0)), npy('<i8', [6], Y)),
      /cannot convert 2×2×5 to the model's 2×2×3/, join(dir, 'ch.npz'), { ...opts, inputShape: [2, 2, 3] });
    await fails(npz(dir, 'range.npz', x, npy('<i8', [6], [0, 1, 2, 3, 1, 2])), /label 3 at sample 3 is outside the model's 3 classes/, join(dir, 'range.npz'));
    await fails(npz(dir, 'neg.npz', x, npy('<i4', [6], [0, -1, 2, 0, 1, 2])), /label -1 at sample 1/, join(dir, 'neg.npz'));
    await fails(npz(dir, 'frac.npz', x, npy('<f4', [6], [0, 1.5, 2, 0, 1, 2])), /label 1\.5 at index 1 is not an integer/, join(dir, 'frac.npz'));
    await fails(npz(dir, 'px.npz', npy('<i4', [6, 2, 2], X.map((v) => v * 20)), npy('<i8', [6], Y)), /integer pixel 260 outside 0\.\.255 at sample 3/, join(dir, 'px.npz'));
    await fails(npz(dir, 'nan.npz', npy('<f4', [6, 2, 2], X.map((v) => (v === 9 ? NaN : v))), npy('<i8', [6], Y)), /non-finite value NaN at sample 2/, join(dir, 'nan.npz'));
    await fails(npz(dir, 'rank.npz', npy('|u1', [24], X), npy('<i8', [6], Y)), /x must be \(N, H, W\) or \(N, H, W, C\)/, join(dir, 'rank.npz'));
    await fails(npz(dir, 'empty.npz', npy('|u1', [0, 2, 2], []), npy('<i8', [0], [])), /no samples/, join(dir, 'empty.npz'));
  } finally { cleanup(); }
});

test('spec errors: missing path, unknown file type, folder given as npz', async () => {
  const { dir, cleanup } = tempDir();
  try {
    await fails(join(dir, 'missing.npz'), /no such file or folder/, join(dir, 'missing.npz'));
    await fails(put(join(dir, 'data.csv'), '1,2,3'), /unknown dataset file type/, join(dir, 'data.csv'));
    await fails(`npz:${dir}`, /is a folder, not a \.npz\/\.npy file/, dir);
  } finally { cleanup(); }
});

test('teacher labels: used as given; wrong count, out of range, or missing function are errors', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const f = npz(dir, 'ok.npz', npy('|u1', [6, 2, 2], X), npy('<i8', [6], Y));
    const d = await loadDataset(f, { ...opts, numClasses: 4, labels: 'teacher', teacher: async (x, n) => Int32Array.from({ length: n }, (_, i) => Math.round(x[i * 4] * 255) % 4) });
    d.train.y.forEach((c, i) => assert.equal(c, Math.round(d.train.x[i * 4] * 255) % 4));
    const teacherFail = (teacher: DatasetOptions['teacher'], why: RegExp) =>
      assert.rejects(loadDataset(f, { ...opts, labels: 'teacher', teacher }), (e: unknown) => e instanceof DatasetError && e.source === 'teacher' && why.test(e.message));
    await teacherFail(async (_x, n) => new Int32Array(n - 1), /returned 5 labels for a batch of 6/);
    await teacherFail(async (_x, n) => new Int32Array(n).fill(7), /label 7 at sample 0 is outside/);
    await assert.rejects(loadDataset(f, { ...opts, labels: 'teacher' }), (e: unknown) => e instanceof DatasetError && e.source === 'options' && /teacher function/.test(e.message));
  } finally { cleanup(); }
});

test('options are validated before any file is touched', async () => {
  const bad: Partial<DatasetOptions>[] = [
    { inputShape: [28, 28] as unknown as [number, number, number] }, { numClasses: 0 }, { selectionSamples: -1 },
    { validationFraction: 1 }, { maxTrainSamples: 1.5 }, { seed: 0.5 },
  ];
  for (const b of bad) {
    await assert.rejects(loadDataset('/does/not/exist', { ...opts, ...b }), (e: unknown) => e instanceof DatasetError && e.source === 'options');
  }
});
