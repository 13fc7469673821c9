/**
 * Reading the shard files of a validated manifest into one float32/int32 buffer. Every check that can fail runs
 * before the big allocation: paths are resolved and confined to the model's folder (symlinks included), and shard
 * sizes are compared with what the manifest needs, so a short, long or hostile file costs nothing but an error.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { dequantiseInto } from './model-dequantise';
import { decodedBytes, ModelFileError, storedBytes } from './model-types';
import type { ModelJson } from './model-types';

/** Dequantised weights: specs without quantisation, in manifest order, over one buffer. */
export interface DecodedWeights {
  specs: tf.io.WeightsManifestEntry[];
  data: ArrayBuffer;
  /** Resolved shard paths, in manifest order. */
  shardFiles: string[];
}

interface Shard {
  file: string;
  real: string;
  size: number;
}

/** Reads and dequantises all weights of `json`, whose shard paths are relative to `modelJsonPath`'s folder. */
export async function readWeights(modelJsonPath: string, json: ModelJson): Promise<DecodedWeights> {
  const dir = path.dirname(modelJsonPath);
  const realDir = await fs.realpath(dir);
  const plans: { shards: Shard[]; need: number }[] = [];
  for (const [gi, group] of json.weightsManifest.entries()) {
    const shards: Shard[] = [];
    for (const [pi, p] of group.paths.entries()) shards.push(await locateShard(dir, realDir, p, `weightsManifest[${gi}].paths[${pi}]`));
    const need = group.weights.reduce((n, w) => n + storedBytes(w), 0);
    checkGroupSize(shards, need, gi, modelJsonPath);
    plans.push({ shards, need });
  }
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const data = new ArrayBuffer(specs.reduce((n, w) => n + decodedBytes(w), 0));
  let outOffset = 0;
  for (const [gi, plan] of plans.entries()) {
    const bytes = await readShards(plan.shards, plan.need);
    let inOffset = 0;
    for (const spec of json.weightsManifest[gi].weights) {
      const n = storedBytes(spec);
      dequantiseInto(spec, bytes.subarray(inOffset, inOffset + n), data, outOffset);
      inOffset += n;
      outOffset += decodedBytes(spec);
    }
  }
  return {
    specs: specs.map((w) => (w.group === undefined ? { name: w.name, shape: w.shape, dtype: w.dtype } : { name: w.name, shape: w.shape, dtype: w.dtype, group: w.group as tf.io.WeightGroup })),
    data,
    shardFiles: plans.flatMap((p) => p.shards.map((s) => s.file)),
  };
}

/** Resolves a manifest path and proves that its real location (after symlinks) is inside the model's folder. */
async function locateShard(dir: string, realDir: string, rel: string, where: string): Promise<Shard> {
  const file = path.resolve(dir, rel);
  let real: string;
  try {
    real = await fs.realpath(file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const what = code === 'ENOENT' ? 'does not exist' : `cannot be opened (${code ?? String(e)})`;
    throw new ModelFileError(file, `missing shard file: ${where} "${rel}" ${what}`);
  }
  const inside = path.relative(realDir, real);
  if (inside.startsWith('..') || path.isAbsolute(inside)) {
    throw new ModelFileError(file, `${where} "${rel}" leads outside the model's folder (to ${real}) through a symlink; refusing to read it`);
  }
  const st = await fs.stat(real);
  if (!st.isFile()) throw new ModelFileError(file, `${where} "${rel}" is not a regular file`);
  return { file, real, size: st.size };
}

/** The shards of a group hold the group's weights back to back with nothing before, between or after them. */
function checkGroupSize(shards: Shard[], need: number, gi: number, modelJsonPath: string): void {
  const have = shards.reduce((n, s) => n + s.size, 0);
  if (have === need) return;
  const names = shards.map((s) => path.basename(s.file)).join(', ');
  const file = shards.at(-1)?.file ?? modelJsonPath;
  const diff = have < need ? `${need - have} bytes short` : `${have - need} bytes too long`;
  throw new ModelFileError(file, `shard ${diff}: weightsManifest[${gi}] needs ${need} bytes but its shard files (${names}) hold ${have}; the shard is truncated or does not belong to this model.json`);
}

/** Reads a group's shards into one buffer of exactly `need` bytes, failing if a file changed size since it was checked. */
async function readShards(shards: Shard[], need: number): Promise<Uint8Array> {
  const out = new Uint8Array(need);
  let offset = 0;
  for (const s of shards) {
    const fh = await fs.open(s.real, 'r');
    try {
      let got = 0;
      while (got < s.size) {
        const { bytesRead } = await fh.read(out, offset + got, s.size - got, got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      const { bytesRead: extra } = await fh.read(new Uint8Array(1), 0, 1, got);
      if (got !== s.size || extra !== 0) throw new ModelFileError(s.file, 'shard file changed size while it was being read');
    } finally {
      await fh.close();
    }
    offset += s.size;
  }
  return out;
}

/**
 * NaN or ±Inf in a weight poisons every loss of a run hours later: refuse such a model before building it, naming
 * the weight. (Reading alone stays exact for every bit pattern, so a file can still be inspected byte for byte.)
 */
export function checkFiniteWeights(file: string, specs: readonly tf.io.WeightsManifestEntry[], data: ArrayBuffer): void {
  let offset = 0;
  for (const spec of specs) {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype === 'float32' && spec.group !== 'optimizer') {
      const values = new Float32Array(data, offset, count);
      let bad = 0;
      let first = -1;
      for (let i = 0; i < values.length; i++) {
        if (!Number.isFinite(values[i])) {
          if (first < 0) first = i;
          bad++;
        }
      }
      if (bad > 0) throw new ModelFileError(file, `weight "${spec.name}" has ${bad} non-finite value${bad > 1 ? 's' : ''} (NaN or ±Infinity), the first at flat index ${first}: the file is corrupt or the model diverged`);
    }
    offset += count * 4;
  }
}
