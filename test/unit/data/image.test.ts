import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertChannels, decodeImage, resizeBilinear } from '../../../server/data/image';
import { DatasetError } from '../../../server/data/types';

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-6): void => {
  assert.equal(a.length, b.length);
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(a[i] - b[i]) <= tol, `index ${i}: ${a[i]} vs ${b[i]}`);
};

test('resize to the same size is the identity', () => {
  const src = Float32Array.from({ length: 3 * 5 * 2 }, (_, i) => i / 30);
  const out = new Float32Array(src.length);
  resizeBilinear(src, 3, 5, 2, 3, 5, out, 0);
  assert.deepEqual(out, src);
});

test('downscale by 2 averages 2×2 blocks (half-pixel centres)', () => {
  const src = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]); // 4×4×1
  const out = new Float32Array(4);
  resizeBilinear(src, 4, 4, 1, 2, 2, out, 0);
  close(out, [2.5, 4.5, 10.5, 12.5]);
});

test('upscale interpolates between pixels and clamps at the border', () => {
  const src = Float32Array.from([0, 1]); // 1×2×1
  const out = new Float32Array(4);
  resizeBilinear(src, 1, 2, 1, 1, 4, out, 0);
  close(out, [0, 0.25, 0.75, 1]);
});

test('resize writes at the given sample offset and leaves the rest alone', () => {
  const out = new Float32Array(8).fill(-1);
  resizeBilinear(Float32Array.from([1, 1, 1, 1]), 2, 2, 1, 2, 2, out, 4);
  assert.deepEqual([...out], [-1, -1, -1, -1, 1, 1, 1, 1]);
});

test('channel conversion: luminance, repetition, alpha dropped', () => {
  close(convertChannels(Float32Array.from([1, 0, 0, 0.5, 0.5, 0.5]), 2, 3, 1)!, [0.299, 0.5]);
  close(convertChannels(Float32Array.from([1, 0, 0, 0.2]), 1, 4, 1)!, [0.299]);
  close(convertChannels(Float32Array.from([0.25, 0.75]), 2, 1, 3)!, [0.25, 0.25, 0.25, 0.75, 0.75, 0.75]);
  close(convertChannels(Float32Array.from([0.1, 0.2, 0.3, 0.4]), 1, 4, 3)!, [0.1, 0.2, 0.3]);
  close(convertChannels(Float32Array.from([0.6, 0.1]), 1, 2, 1)!, [0.6]);
  assert.equal(convertChannels(new Float32Array(5), 1, 5, 3), null);
});

test('decodeImage refuses non-images and corrupt data, naming the file', () => {
  assert.throws(() => decodeImage(Buffer.from('hello world'), '/d/a.png'), (e: unknown) =>
    e instanceof DatasetError && e.source === '/d/a.png' && /not a PNG or JPEG/.test(e.message));
  const fakePng = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
  assert.throws(() => decodeImage(fakePng, '/d/b.png'), (e: unknown) => e instanceof DatasetError && /\/d\/b\.png: cannot decode PNG/.test(e.message));
  const fakeJpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]);
  assert.throws(() => decodeImage(fakeJpeg, '/d/c.jpg'), (e: unknown) => e instanceof DatasetError && /\/d\/c\.jpg: cannot decode JPEG/.test(e.message));
});

test('a PNG header claiming a gigantic size is refused before decoding', () => {
  const buf = Buffer.alloc(33);
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]).copy(buf);
  buf.writeUInt32BE(13, 8);
  buf.write('IHDR', 12, 'latin1');
  buf.writeUInt32BE(100000, 16);
  buf.writeUInt32BE(100000, 20);
  assert.throws(() => decodeImage(buf, 'big.png'), /big\.png: .*megapixels/);
});
