/**
 * IDX files (the format of MNIST and Fashion-MNIST: `train-images-idx3-ubyte[.gz]` and friends), read directly.
 * Layout: two zero bytes, a type byte (0x08 = unsigned byte, the only type image datasets use), the number of
 * dimensions, then each dimension as a big-endian uint32, then the values in row-major order. gzip is detected by its
 * magic bytes, not the file name.
 *
 * Specs: `fashion-mnist` (Debian's dataset-fashion-mnist under /usr/share/datasets/fashion-mnist),
 * `fashion-mnist:DIR`, `idx:DIR` (every `*-images-idx3-ubyte` with its `*-labels-idx1-ubyte`) or `idx:FILE` (one
 * images file, labels beside it).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { placeImage } from './image';
import { DatasetError, sampleSize, type RawData } from './types';

export const FASHION_MNIST_DIR = '/usr/share/datasets/fashion-mnist';
export const FASHION_MNIST_CLASSES = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

/** Files above this are refused before decompression grows them further (70,000 28×28 images are 55 MB). */
const MAX_BYTES = 2 ** 31 - 1;

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/** Parses one IDX file's bytes (already decompressed). */
export function parseIdx(bytes: Uint8Array, file: string): IdxArray {
  const fail = (why: string): never => { throw new DatasetError(file, `${file}: ${why}`); };
  if (bytes.length < 4) fail(`not an IDX file (${bytes.length} bytes, shorter than the 4-byte magic)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) fail('not an IDX file (the magic number must start with two zero bytes)');
  if (bytes[2] !== 0x08) fail(`IDX value type 0x${bytes[2].toString(16).padStart(2, '0')} is not supported (only 0x08, unsigned bytes)`);
  const rank = bytes[3];
  if (rank < 1) fail('IDX file declares 0 dimensions');
  const headerLen = 4 + 4 * rank;
  if (bytes.length < headerLen) fail(`truncated: the header of ${rank} dimensions needs ${headerLen} bytes, file has ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (count > MAX_BYTES) fail(`dimensions ${dims.join('×')} need more than ${MAX_BYTES} bytes; refusing`);
  if (bytes.length - headerLen < count) fail(`truncated: dimensions ${dims.join('×')} need ${count} data bytes, file has ${bytes.length - headerLen}`);
  return { dims, data: bytes.subarray(headerLen, headerLen + count) };
}

/** Reads an IDX file, gunzipping it when it starts with the gzip magic. */
export function readIdx(file: string): IdxArray {
  let raw: Buffer;
  try {
    if (statSync(file).size > MAX_BYTES) throw new DatasetError(file, `${file}: larger than ${MAX_BYTES} bytes; refusing`);
    raw = readFileSync(file);
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(file, `${file}: cannot read (${e instanceof Error ? e.message : String(e)})`);
  }
  let bytes: Uint8Array = raw;
  if (raw.length >= 2 && raw[0] === 0x1f && raw[1] === 0x8b) {
    try {
      bytes = gunzipSync(raw, { maxOutputLength: MAX_BYTES });
    } catch (e) {
      throw new DatasetError(file, `${file}: corrupt gzip data (${e instanceof Error ? e.message : String(e)})`);
    }
  }
  return parseIdx(bytes, file);
}

/** The labels file that goes with an images file: `…-images-idx3-ubyte[.gz]` → `…-labels-idx1-ubyte[.gz]`. */
export function labelsFileFor(images: string): string {
  const name = basename(images);
  if (!/images-idx3/.test(name)) throw new DatasetError(images, `${images}: an IDX images file name contains 'images-idx3' (its labels are found by replacing it with 'labels-idx1')`);
  const base = name.replace('images-idx3', 'labels-idx1');
  const candidates = [base, base.replace(/\.gz$/, ''), base.endsWith('.gz') ? base : `${base}.gz`].map((n) => join(dirname(images), n));
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new DatasetError(images, `${images}: no labels file beside it (looked for ${candidates.map((c) => basename(c)).join(', ')})`);
  return found;
}

/** Every images file of a folder, sorted (`t10k-…` before `train-…`), so the sample order is fixed. */
export function imageFilesIn(dir: string): string[] {
  const files = readdirSync(dir).filter((n) => /images-idx3-ubyte(\.gz)?$/.test(n)).sort();
  // The same data gzipped and not: read one copy only.
  const unique = files.filter((n) => !(n.endsWith('.gz') && files.includes(n.slice(0, -3))));
  if (unique.length === 0) throw new DatasetError(dir, `${dir}: no IDX images files (*-images-idx3-ubyte or *.gz) in this folder`);
  return unique.map((n) => join(dir, n));
}

/** Loads IDX images (N×H×W bytes, or N×H×W×C) and their labels into the model's input shape, values in [0, 1]. */
export function loadIdx(path: string, shape: readonly [number, number, number], name: string, classNames: string[] | null): RawData {
  const files = statSync(path).isDirectory() ? imageFilesIn(path) : [path];
  const parts = files.map((f) => {
    const images = readIdx(f);
    const labelFile = labelsFileFor(f);
    const labels = readIdx(labelFile);
    if (images.dims.length !== 3 && images.dims.length !== 4) throw new DatasetError(f, `${f}: images must be N×H×W or N×H×W×C, got ${images.dims.join('×')}`);
    if (labels.dims.length !== 1) throw new DatasetError(labelFile, `${labelFile}: labels must be one dimension, got ${labels.dims.join('×')}`);
    if (labels.dims[0] !== images.dims[0]) throw new DatasetError(labelFile, `${labelFile}: ${labels.dims[0]} labels for ${images.dims[0]} images in ${f}`);
    return { file: f, labelFile, images, labels };
  });
  const [h, w, c] = [parts[0].images.dims[1], parts[0].images.dims[2], parts[0].images.dims[3] ?? 1];
  for (const p of parts) {
    const [ph, pw, pc] = [p.images.dims[1], p.images.dims[2], p.images.dims[3] ?? 1];
    if (ph !== h || pw !== w || pc !== c) throw new DatasetError(p.file, `${p.file}: images are ${ph}×${pw}×${pc}, ${parts[0].file}'s ${h}×${w}×${c}`);
  }
  const count = parts.reduce((a, p) => a + p.images.dims[0], 0);
  const len = sampleSize(shape);
  const same = shape[0] === h && shape[1] === w && shape[2] === c;
  const x = new Float32Array(count * len);
  const y = new Int32Array(count);
  const pixels = h * w * c;
  const scratch = new Float32Array(pixels);
  let i = 0;
  for (const p of parts) {
    const n = p.images.dims[0];
    for (let k = 0; k < n; k++, i++) {
      y[i] = p.labels.data[k];
      const src = p.images.data.subarray(k * pixels, (k + 1) * pixels);
      const dst = same ? x.subarray(i * len, (i + 1) * len) : scratch;
      for (let j = 0; j < pixels; j++) dst[j] = src[j] / 255;
      if (!same) placeImage(scratch, h, w, c, shape, x, i, p.file);
    }
  }
  return { name, x, y, count, classNames, labelSource: parts.map((p) => p.labelFile).join(', ') };
}
