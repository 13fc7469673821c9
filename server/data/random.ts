/**
 * Small seeded PRNG and helpers. Everything that must be reproducible from `RunConfig.seed` (splits, batch order,
 * random baselines) draws from here, never from Math.random.
 */

/** A generator of uniform floats in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: 32-bit state, full period 2^32, passes the usual statistical batteries well enough for shuffling.
 * Chosen because it is tiny and its output is identical on every JS engine.
 */
export function mulberry32(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Derives an independent seed from a seed and a stream index (e.g. the epoch), so `batches(split, b, mixSeed(seed, epoch))`
 * gives a different but reproducible order every epoch. Adjacent inputs give unrelated outputs (murmur3 finaliser).
 */
export function mixSeed(seed: number, stream: number): number {
  let h = (seed >>> 0) ^ Math.imul((stream >>> 0) + 0x9e3779b9, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Uniform integer in [0, n). */
export function randInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** Fisher–Yates shuffle in place; returns the same array. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(arr: T, rng: Rng): T {
  for (let i = arr.length - 1; i > 0; i--) {
    const j = randInt(rng, i + 1);
    const t = arr[i];
    arr[i] = arr[j];
    arr[j] = t;
  }
  return arr;
}

/** A seeded permutation of 0..n-1. */
export function permutation(n: number, rng: Rng): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  return shuffleInPlace(p, rng);
}
