/**
 * Mini-batch iteration over a Split. Plain arrays out; the engine makes tensors.
 */
import { mulberry32, permutation } from './random';
import { DatasetError, type Split } from './types';

export interface Batch {
  /** `n · H · W · C` values, a fresh copy (safe to keep or transfer to a worker). */
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/**
 * Iterates `split` in mini-batches; every sample appears exactly once per pass, the last batch may be smaller.
 * `shuffleSeed` null = stored order; otherwise a seeded permutation, so the same seed gives the same batches.
 * Pass a different seed each epoch for a fresh order, e.g. `mixSeed(config.seed, epoch)` from ./random.
 */
export function batches(split: Split, batchSize: number, shuffleSeed: number | null): IterableIterator<Batch> {
  // Validate here, not inside the generator, so a bad call fails where it is made rather than at the first next().
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new DatasetError('batches', `batches: batch size must be a positive integer (got ${batchSize})`);
  if (split.count > 0 && split.x.length % split.count !== 0) {
    throw new DatasetError('batches', `batches: x holds ${split.x.length} values, not a multiple of count ${split.count}`);
  }
  return iterate(split, batchSize, shuffleSeed);
}

function* iterate(split: Split, batchSize: number, shuffleSeed: number | null): Generator<Batch, void, undefined> {
  const { count } = split;
  if (count === 0) return;
  const sampleLen = split.x.length / count;
  const order = shuffleSeed === null ? null : permutation(count, mulberry32(shuffleSeed));
  for (let start = 0; start < count; start += batchSize) {
    const n = Math.min(batchSize, count - start);
    if (order === null) {
      // Contiguous: slice copies in one memcpy.
      yield { x: split.x.slice(start * sampleLen, (start + n) * sampleLen), y: split.y.slice(start, start + n), n };
      continue;
    }
    const x = new Float32Array(n * sampleLen);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const s = order[start + i];
      x.set(split.x.subarray(s * sampleLen, (s + 1) * sampleLen), i * sampleLen);
      y[i] = split.y[s];
    }
    yield { x, y, n };
  }
}
