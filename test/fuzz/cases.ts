/**
 * Fuzz cases: each one a folder holding a mutated copy of a valid input, built from a seed alone. Readers:
 * `model` (model.json + shards, loaded as `dcp inspect` and a run load them), `model-text` (the language server's
 * check of an open model.json document), `numpy` (`.npz`/`.npy` datasets), and the file readers of cases-files.ts
 * (images, image folders, checkpoints, reports, run history).
 */
import { copyFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mixSeed, mulberry32, randInt, type Rng } from '../../server/data/random';
import { npy, zip } from '../fixtures/data/writers';
import { BYTE_OPS, JSON_OPS, mutateBytes, mutateJson, type Json } from './mutate';
import { buildFileCase, FILE_READERS, type FileReaderName } from './cases-files';

export const READERS = ['model', 'model-text', 'numpy', ...FILE_READERS] as const;
export type ReaderName = (typeof READERS)[number];

export interface FuzzCase {
  reader: ReaderName;
  seed: number;
  /** The file the reader is given. */
  file: string;
  /** Which mutation was applied, for the report. */
  op: string;
  what: string;
}

const BASE_MODELS = ['examples/resnet', 'examples/vgg'];

/** Builds case `seed` for `reader` under `dir` (created). */
export function buildCase(reader: ReaderName, seed: number, dir: string): FuzzCase {
  const rng = mulberry32(mixSeed(seed, READERS.indexOf(reader) + 1));
  mkdirSync(dir, { recursive: true });
  if (reader === 'numpy') return numpyCase(seed, dir, rng);
  if ((FILE_READERS as readonly string[]).includes(reader)) return { reader, seed, ...buildFileCase(reader as FileReaderName, seed, dir, rng) };
  const base = BASE_MODELS[randInt(rng, BASE_MODELS.length)];
  for (const f of readdirSync(base)) if (f.endsWith('.bin')) copyFileSync(join(base, f), join(dir, f));
  const text = readFileSync(join(base, 'model.json'), 'utf8');
  const file = join(dir, 'model.json');
  const roll = rng();
  if (roll < 0.6 || reader === 'model-text' && roll < 0.8) {
    const json = JSON.parse(text) as Json;
    const op = JSON_OPS[randInt(rng, JSON_OPS.length)];
    const n = 1 + randInt(rng, 3);
    const what: string[] = [];
    for (let i = 0; i < n; i++) what.push(mutateJson(json, op, rng));
    writeFileSync(file, JSON.stringify(json));
    return { reader, seed, file, op: `json:${op}`, what: what.join('; ') };
  }
  if (roll < 0.8 || reader === 'model-text') {
    const op = BYTE_OPS[randInt(rng, BYTE_OPS.length - 1)];
    const m = mutateBytes(new TextEncoder().encode(text), op, rng);
    writeFileSync(file, m.bytes);
    return { reader, seed, file, op: `text:${op}`, what: m.what };
  }
  writeFileSync(file, text);
  const op = pick(rng, ['truncate', 'bit-flip', 'garbage', 'non-finite'] as const);
  const shard = readdirSync(dir).find((f) => f.endsWith('.bin'))!;
  const m = mutateBytes(readFileSync(join(dir, shard)), op, rng);
  writeFileSync(join(dir, shard), m.bytes);
  return { reader, seed, file, op: `shard:${op}`, what: m.what };
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[randInt(rng, xs.length)];

function numpyCase(seed: number, dir: string, rng: Rng): FuzzCase {
  const n = 8;
  const x = npy('<f4', [n, 28, 28, 1], Float32Array.from({ length: n * 784 }, (_, i) => (i % 255) / 255));
  const y = npy('|u1', [n], Uint8Array.from({ length: n }, (_, i) => i % 10));
  const asZip = rng() < 0.7;
  const bytes = asZip ? zip({ 'x.npy': x, 'y.npy': y }, rng() < 0.5 ? 'stored' : 'deflate') : x;
  const op = pick(rng, ['truncate', 'bit-flip', 'garbage'] as const);
  const m = mutateBytes(bytes, op, rng);
  const file = join(dir, asZip ? 'data.npz' : 'x.npy');
  writeFileSync(file, m.bytes);
  if (!asZip) writeFileSync(join(dir, 'y.npy'), y);
  return { reader: 'numpy', seed, file, op: `${asZip ? 'npz' : 'npy'}:${op}`, what: m.what };
}
