/**
 * How fast this machine trains and infers on the run's backend, for the forecast (forecast.ts). A fixed, seeded
 * MNIST-sized conv net (3 convs, 1.5 M multiply-adds per sample) is timed at two batch sizes, for training steps
 * (forward, backward, SGD update) and for inference; a line through the two medians gives a per-step overhead and a
 * multiply-add rate. About a second on the wasm backend. The result is cached per machine (CPU model and count,
 * backend, threads, TF.js version) in a JSON file, for 30 days: every later run forecasts without measuring.
 * Cache file: `$DCP_SPEED_CACHE`, else `$XDG_CACHE_HOME/dcp-pruner/machine-speed.json` (default `~/.cache/…`);
 * `DCP_SPEED_CACHE=none` measures every time and writes nothing.
 * No forecast on the `cpu` backend (plain JS, for tests and as a last resort): its backprop kernels are so slow that
 * the calibration alone took 189 s on a loaded 2-core machine. On any backend, a warm-up training step slower than
 * WARMUP_LIMIT_S ends the calibration without a result: a forecast must not cost more than a small share of a run.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { cpus, homedir } from 'node:os';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { MachineSpeed } from '../../../protocol/forecast';
import { writeJsonAtomic } from '../../io/atomic';
import { analyzeGraph, summarizeModel } from '../graph/graph';

const SMALL = 4;
const LARGE = 32;
const REPEATS = 3;
const MAX_AGE_MS = 30 * 24 * 3600 * 1000;
const WARMUP_LIMIT_S = 2;
/** Backends that are never calibrated (see above). */
export const UNCALIBRATED_BACKENDS: readonly string[] = ['cpu'];

export function defaultSpeedCacheFile(): string | null {
  const env = process.env.DCP_SPEED_CACHE;
  if (env === 'none') return null;
  if (env) return env;
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'dcp-pruner', 'machine-speed.json');
}

/** What makes two measurements comparable: the same CPU, backend, thread count and TF.js. */
export function machineKey(backend: string, threads: number | null): string {
  const c = cpus();
  return `${c[0]?.model ?? 'cpu'} ×${c.length} | ${backend} | threads ${threads ?? 'auto'} | tfjs ${tf.version_core}`;
}

function buildNet(): tf.LayersModel {
  const init = (seed: number) => tf.initializers.glorotUniform({ seed });
  const input = tf.input({ shape: [28, 28, 1] });
  let x = tf.layers.conv2d({ filters: 16, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: init(1) }).apply(input) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(2) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: init(3) }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 10, kernelInitializer: init(4) }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'dcp_calibration' });
}

const median = (v: number[]): number => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** Seconds of one call of `fn`. */
async function once(fn: () => Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

/** Median seconds of `fn` over REPEATS calls, after one warm-up call (kernel compilation, allocation). */
async function timeIt(fn: () => Promise<void>): Promise<number> {
  await fn();
  const t: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const t0 = performance.now();
    await fn();
    t.push((performance.now() - t0) / 1000);
  }
  return median(t);
}

/** Overhead and rate from times at SMALL and LARGE samples of `macs` each; a noisy pair falls back to rate only. */
function fit(tSmall: number, tLarge: number, macs: number): { step: number; rate: number } {
  const rate = ((LARGE - SMALL) * macs) / (tLarge - tSmall);
  if (!(tLarge > tSmall) || !Number.isFinite(rate) || rate <= 0) return { step: 0, rate: (LARGE * macs) / Math.max(1e-6, tLarge) };
  return { step: Math.max(0, tSmall - (SMALL * macs) / rate), rate };
}

/** Measures the current backend now (no cache); null when it is too slow to measure quickly. Leaves no tensors behind. */
export async function measureSpeed(): Promise<MachineSpeed | null> {
  const model = buildNet();
  const lr = tf.scalar(0.01);
  try {
    const macs = summarizeModel(model, analyzeGraph(model), model.name).totalFlops;
    const weights = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const batches = [SMALL, LARGE].map((b) => ({ x: tf.randomUniform([b, 28, 28, 1], 0, 1, 'float32', 5), y: tf.tidy(() => tf.oneHot(tf.tensor1d(Array.from({ length: b }, (_, i) => i % 10), 'int32'), 10)) }));
    try {
      const trainStep = (i: number) => async (): Promise<void> => {
        const { x, y } = batches[i];
        const loss = tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, weights);
          for (const w of weights) w.assign(tf.sub(w, tf.mul(lr, grads[w.name])));
          return value;
        });
        await loss.data();
        loss.dispose();
      };
      const inferStep = (i: number) => async (): Promise<void> => {
        const y = tf.tidy(() => model.predict(batches[i].x) as tf.Tensor);
        await y.data();
        y.dispose();
      };
      if ((await once(trainStep(0))) > WARMUP_LIMIT_S) return null;
      const train = fit(await timeIt(trainStep(0)), await timeIt(trainStep(1)), macs);
      const infer = fit(await timeIt(inferStep(0)), await timeIt(inferStep(1)), macs);
      return {
        backend: tf.getBackend(), trainStepSeconds: train.step, trainMacsPerSecond: train.rate, inferStepSeconds: infer.step, inferMacsPerSecond: infer.rate,
        measuredAt: Date.now(), cached: false,
      };
    } finally {
      for (const b of batches) tf.dispose([b.x, b.y]);
    }
  } finally {
    lr.dispose();
    model.dispose();
  }
}

type CacheFile = { version: 1; machines: Record<string, MachineSpeed> };

const isSpeed = (v: unknown): v is MachineSpeed => {
  const s = v as Partial<MachineSpeed> | null;
  return typeof s === 'object' && s !== null && [s.trainStepSeconds, s.trainMacsPerSecond, s.inferStepSeconds, s.inferMacsPerSecond, s.measuredAt]
    .every((n) => typeof n === 'number' && Number.isFinite(n) && n >= 0) && (s.trainMacsPerSecond ?? 0) > 0 && (s.inferMacsPerSecond ?? 0) > 0;
};

async function readCache(file: string): Promise<CacheFile> {
  try {
    const v = JSON.parse(await readFile(file, 'utf8')) as Partial<CacheFile>;
    if (v.version === 1 && typeof v.machines === 'object' && v.machines !== null) return { version: 1, machines: v.machines };
  } catch {
    // Missing or unreadable: measure and write a fresh one.
  }
  return { version: 1, machines: {} };
}

/** This process measured these already (tests and the server run many runs); null = too slow to calibrate. */
const memo = new Map<string, MachineSpeed | null>();

/**
 * The machine's speed on the current backend: from this process, else the cache file, else measured (and cached);
 * null when the backend is not calibrated (then the run has no forecast).
 * A cache that cannot be written is not an error: the forecast only loses its head start next time.
 */
export async function machineSpeed(threads: number | null, cacheFile: string | null = defaultSpeedCacheFile()): Promise<MachineSpeed | null> {
  if (UNCALIBRATED_BACKENDS.includes(tf.getBackend())) return null;
  const key = machineKey(tf.getBackend(), threads);
  const known = memo.get(key);
  if (known !== undefined) return known && { ...known, cached: true };
  const cache = cacheFile ? await readCache(cacheFile) : null;
  const hit = cache?.machines[key];
  if (isSpeed(hit) && Date.now() - hit.measuredAt < MAX_AGE_MS) {
    memo.set(key, hit);
    return { ...hit, cached: true };
  }
  const measured = await measureSpeed();
  memo.set(key, measured);
  if (measured && cache && cacheFile) {
    cache.machines[key] = measured;
    await mkdir(dirname(cacheFile), { recursive: true }).then(() => writeJsonAtomic(cacheFile, cache)).catch(() => undefined);
  }
  return measured;
}
