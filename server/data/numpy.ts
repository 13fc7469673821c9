/**
 * Datasets stored as NumPy arrays: a `.npz` holding `x` and `y` (or Keras-style `x_train` / `y_train`), or a single
 * `.npy` of images whose labels sit next to it.
 *
 * Rules (documented in server/data/README.md):
 * - x is (N, H, W) or (N, H, W, C); H and W must equal the model's (no resizing of arrays), channels are converted
 *   like images (1→3 repeat, 3/4→1 luminance, 4→3 drop alpha).
 * - uint8 / int x are 8-bit pixels: divided by 255 (ints outside 0..255 → error); float x is used as is.
 * - y is (N,), (N, 1) or one-hot (N, K); integer dtypes, or floats holding whole numbers.
 * - For `DIR/NAME.npy` the labels are `DIR/NAME_labels.npy`, else `DIR/y.npy`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { placeImage } from './image';
import { isNpy, MAX_ARRAY_BYTES, npyValues, parseNpy, type NpyArray } from './npy';
import { DatasetError, sampleSize, shapeText, type RawData } from './types';
import { extractZip, isZip, listZip } from './zip';

/** Reads a file whole, refusing ones too large to hold in a typed array. */
export function readWhole(file: string): Buffer {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new DatasetError(file, `${file}: not a file`);
    size = st.size;
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(file, `${file}: cannot read: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (size > MAX_ARRAY_BYTES) throw new DatasetError(file, `${file}: ${size} bytes is larger than the ${MAX_ARRAY_BYTES}-byte limit`);
  return readFileSync(file);
}

/** The candidate label files for a single .npy, in the order they are tried. */
export function labelCandidates(npyPath: string): string[] {
  const stem = basename(npyPath).replace(/\.npy$/i, '');
  return [join(dirname(npyPath), `${stem}_labels.npy`), join(dirname(npyPath), 'y.npy')].filter((p) => p !== npyPath);
}

/** Loads x (and y unless `needLabels` is false and none exist) from a .npz or .npy file. */
export function loadNumpy(path: string, shape: readonly [number, number, number], needLabels: boolean): RawData {
  const buf = readWhole(path);
  let x: NpyArray;
  let y: NpyArray | null = null;
  if (isZip(buf)) {
    const entries = listZip(buf, path);
    const byName = new Map(entries.map((e) => [e.name.replace(/\.npy$/, ''), e]));
    const pair = [['x', 'y'], ['x_train', 'y_train']].find(([xn]) => byName.has(xn));
    if (!pair) {
      throw new DatasetError(path, `${path}: no array named 'x' (or 'x_train'); it holds ${[...byName.keys()].map((k) => `'${k}'`).join(', ') || 'nothing'}`);
    }
    const read = (n: string): NpyArray => parseNpy(extractZip(buf, path, byName.get(n)!), `${path}:${n}.npy`);
    x = read(pair[0]);
    if (byName.has(pair[1])) y = read(pair[1]);
    else if (needLabels) throw new DatasetError(path, `${path}: has '${pair[0]}' but no labels array '${pair[1]}'`);
  } else if (isNpy(buf)) {
    x = parseNpy(buf, path);
    const found = labelCandidates(path).find((p) => existsSync(p));
    if (found) y = parseNpy(readWhole(found), found);
    else if (needLabels) {
      throw new DatasetError(path, `${path}: no labels found; put them in ${labelCandidates(path).join(' or ')}, or use teacher labels`);
    }
  } else {
    throw new DatasetError(path, `${path}: neither a .npz (zip) nor a .npy file`);
  }
  const count = x.shape[0] ?? 0;
  return { name: `npz:${path}`, x: imagesFrom(x, shape), y: y ? labelsFrom(y, count) : null, count, classNames: null, labelSource: y?.file ?? path };
}

/** Converts x to float32 samples in the model's shape; H, W must match, channels are converted. */
function imagesFrom(a: NpyArray, shape: readonly [number, number, number]): Float32Array {
  if (a.shape.length !== 3 && a.shape.length !== 4) {
    throw new DatasetError(a.file, `${a.file}: x must be (N, H, W) or (N, H, W, C), got shape (${a.shape.join(', ')})`);
  }
  const [n, h, w] = a.shape;
  const c = a.shape.length === 4 ? a.shape[3] : 1;
  if (h !== shape[0] || w !== shape[1]) {
    throw new DatasetError(a.file, `${a.file}: samples are ${shapeText([h, w, c])} but the model expects ${shapeText(shape)}; arrays are not resized`);
  }
  const values = npyValues(a);
  const scaled = new Float32Array(values.length);
  const pixels = a.kind !== 'f';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (pixels ? !(v >= 0 && v <= 255) : !Number.isFinite(v)) {
      const why = pixels ? `integer pixel ${v} outside 0..255` : `non-finite value ${v}`;
      throw new DatasetError(a.file, `${a.file}: ${why} at sample ${Math.floor(i / (h * w * c))}`);
    }
    scaled[i] = pixels ? v / 255 : v;
  }
  if (c === shape[2]) return scaled;
  const per = h * w * c;
  const out = new Float32Array(n * sampleSize(shape));
  for (let i = 0; i < n; i++) placeImage(scaled.subarray(i * per, (i + 1) * per), h, w, c, shape, out, i, a.file);
  return out;
}

/** Integer class indices from (N,), (N, 1) or one-hot (N, K) labels. Range is checked by the caller. */
function labelsFrom(a: NpyArray, count: number): Int32Array {
  const rows = a.shape[0] ?? 0;
  if (a.shape.length < 1 || a.shape.length > 2) {
    throw new DatasetError(a.file, `${a.file}: y must be (N,), (N, 1) or one-hot (N, K), got shape (${a.shape.join(', ')})`);
  }
  if (rows !== count) throw new DatasetError(a.file, `${a.file}: x has ${count} samples but y has ${rows} labels`);
  const values = npyValues(a);
  const k = a.shape.length === 2 ? a.shape[1] : 1;
  const out = new Int32Array(rows);
  for (let i = 0; i < rows; i++) {
    let v: number;
    if (k === 1) {
      v = values[i];
    } else {
      v = 0; // one-hot or scores: the arg-max column
      for (let j = 1; j < k; j++) if (values[i * k + j] > values[i * k + v]) v = j;
    }
    if (!Number.isInteger(v) || Math.abs(v) > 2 ** 31) throw new DatasetError(a.file, `${a.file}: label ${v} at index ${i} is not an integer class index`);
    out[i] = v;
  }
  return out;
}
