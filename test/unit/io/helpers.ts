/**
 * Shared pieces of the model-file tests: temp folders that clean up after themselves, hand-built model folders,
 * file hashes, tensor-leak checks and small Sequential/functional models.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, promises as fs, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';

/** A fresh folder under the OS temp dir; removed by `cleanup`. */
export function tempDir(prefix = 'dcp-io-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Writes a model.json (object or raw text) and shard files into `dir`; returns the model.json path. */
export async function writeModelFolder(dir: string, json: object | string, shards: Record<string, Uint8Array> = {}): Promise<string> {
  await fs.mkdir(dir, { recursive: true });
  const file = path.join(dir, 'model.json');
  await fs.writeFile(file, typeof json === 'string' ? json : JSON.stringify(json, null, 1));
  for (const [name, bytes] of Object.entries(shards)) await fs.writeFile(path.join(dir, name), bytes);
  return file;
}

/** Every entry below `dir` (hidden ones included), relative, sorted: what a leftover temp file would show up in. */
export async function listTree(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true });
  return entries.map(String).sort();
}

/** sha256 of every file below `dir`, keyed by relative path. */
export async function hashTree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const rel of await listTree(dir)) {
    const p = path.join(dir, rel);
    if ((await fs.stat(p)).isFile()) out[rel] = createHash('sha256').update(await fs.readFile(p)).digest('hex');
  }
  return out;
}

/** Runs `fn` and asserts that it leaves the number of tensors and variables as it found them. */
export async function withoutLeaks<T>(fn: () => Promise<T>): Promise<T> {
  const tensors = tf.memory().numTensors;
  const variables = Object.keys(tf.engine().registeredVariables).length;
  const result = await fn();
  const leakedTensors = tf.memory().numTensors - tensors;
  const leakedVariables = Object.keys(tf.engine().registeredVariables).length - variables;
  if (leakedTensors !== 0 || leakedVariables !== 0) {
    throw new Error(`leaked ${leakedTensors} tensors and ${leakedVariables} variables`);
  }
  return result;
}

export async function useCpu(): Promise<void> {
  await tf.setBackend('cpu');
  await tf.ready();
}

/** Conv → BN → ReLU → pool → flatten → dense: the classic small Sequential conv net. */
export function smallSequential(): tf.Sequential {
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [8, 8, 3], filters: 6, kernelSize: 3, padding: 'same', name: 'conv1' }),
      tf.layers.batchNormalization({ name: 'bn1' }),
      tf.layers.reLU({ name: 'relu1' }),
      tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }),
      tf.layers.conv2d({ filters: 4, kernelSize: 3, activation: 'relu', name: 'conv2' }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dropout({ rate: 0.3, name: 'drop' }),
      tf.layers.dense({ units: 5, activation: 'softmax', name: 'fc' }),
    ],
  });
}

/** A functional net with BN, a residual Add, a Concatenate and a DepthwiseConv2D. */
export function smallFunctional(): tf.LayersModel {
  const input = tf.input({ shape: [8, 8, 3], name: 'image' });
  const stem = tf.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false, name: 'stem' }).apply(input) as tf.SymbolicTensor;
  const bn = tf.layers.batchNormalization({ name: 'stem_bn' }).apply(stem) as tf.SymbolicTensor;
  const act = tf.layers.reLU({ maxValue: 6, name: 'stem_relu' }).apply(bn) as tf.SymbolicTensor;
  const dw = tf.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same', name: 'dw' }).apply(act) as tf.SymbolicTensor;
  const dwBn = tf.layers.batchNormalization({ name: 'dw_bn' }).apply(dw) as tf.SymbolicTensor;
  const sum = tf.layers.add({ name: 'residual' }).apply([act, dwBn]) as tf.SymbolicTensor;
  const side = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'side' }).apply(act) as tf.SymbolicTensor;
  const cat = tf.layers.concatenate({ name: 'cat' }).apply([sum, side]) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({ name: 'gap' }).apply(cat) as tf.SymbolicTensor;
  const out = tf.layers.dense({ units: 3, name: 'logits' }).apply(pooled) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: out, name: 'small_functional' });
}

/** Gives every weight (BN moving statistics included) non-default values, so a lost weight changes predictions. */
export function randomiseWeights(model: tf.LayersModel, seed = 7): void {
  const values = model.weights.map((w, i) => {
    const shape = w.shape as number[];
    return w.name.includes('variance') ? tf.randomUniform(shape, 0.5, 1.5, 'float32', seed + i) : tf.randomNormal(shape, 0, 0.5, 'float32', seed + i);
  });
  model.setWeights(values);
  tf.dispose(values);
}

/** Predictions of a model on a fixed batch, as plain numbers. */
export function predictFixed(model: tf.LayersModel, seed = 3): Float32Array {
  return tf.tidy(() => {
    const x = tf.randomUniform([4, 8, 8, 3], -1, 1, 'float32', seed);
    return (model.predict(x) as tf.Tensor).dataSync() as Float32Array;
  });
}

/** Float32 → IEEE binary16 bits, round to nearest even: how the fixtures write float16 weights. */
export function toFloat16Bits(value: number): number {
  const u32 = new Uint32Array(new Float32Array([value]).buffer)[0];
  const sign = (u32 >>> 16) & 0x8000;
  const exp = (u32 >>> 23) & 0xff;
  const mant = u32 & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 112;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const full = mant | 0x800000;
    const shift = 14 - e;
    const half = full >> shift;
    const rest = full & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (rest > mid || (rest === mid && half & 1) ? half + 1 : half);
  }
  const half = (e << 10) | (mant >> 13);
  const rest = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, which is exactly the right rounding (up to Infinity).
  return sign | (rest > 0x1000 || (rest === 0x1000 && half & 1) ? half + 1 : half);
}
