/**
 * Fuzz cases for the readers of images, image folders and the files the project reads back (checkpoints, reports,
 * run history): each a folder built from a seed alone, holding a valid input with one hostile change.
 */
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { randInt, type Rng } from '../../server/data/random';
import { DEFAULT_RUN_CONFIG } from '../../protocol/settings';
import { jpg, png } from '../fixtures/data/writers';
import { recorded } from '../fixtures/events/recorded';
import type { RunReport } from '../../protocol/model';
import { JSON_OPS, mutateBytes, mutateJson, type Json } from './mutate';

export const FILE_READERS = ['image', 'folder', 'checkpoint', 'report', 'history'] as const;
export type FileReaderName = (typeof FILE_READERS)[number];

export interface FileCase {
  /** The file or folder the reader is given. */
  file: string;
  op: string;
  what: string;
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[randInt(rng, xs.length)];

const pixels = (seed: number) => (x: number, y: number): [number, number, number] => [(x * 37 + seed) % 256, (y * 53) % 256, (x * y) % 256];

/** Sizes a lying header claims: zero, one, past every limit, and just under the decoders' megapixel limit. */
const LIES = [0, 1, 65_535, 2 ** 31 - 1, 2 ** 32 - 1, 30_000, 9_999] as const;

/** Rewrites the PNG IHDR size and its CRC, so the lie passes the chunk check and reaches the decoder. */
export function lyingPng(bytes: Uint8Array, w: number, h: number): Uint8Array {
  const out = Buffer.from(bytes);
  out.writeUInt32BE(w, 16);
  out.writeUInt32BE(h, 20);
  out.writeUInt32BE(zlib.crc32(out.subarray(12, 29)) >>> 0, 29);
  return out;
}

/** Rewrites the size in the JPEG's first start-of-frame marker. */
export function lyingJpeg(bytes: Uint8Array, w: number, h: number): Uint8Array {
  const out = Buffer.from(bytes);
  for (let p = 2; p + 9 < out.length;) {
    if (out[p] !== 0xff) break;
    const marker = out[p + 1];
    if (marker >= 0xc0 && marker <= 0xc3) {
      out.writeUInt16BE(h & 0xffff, p + 5);
      out.writeUInt16BE(w & 0xffff, p + 7);
      break;
    }
    p += 2 + out.readUInt16BE(p + 2);
  }
  return out;
}

function imageBytes(rng: Rng, seed: number): { bytes: Uint8Array; kind: 'png' | 'jpg' } {
  const w = 4 + randInt(rng, 30);
  const h = 4 + randInt(rng, 30);
  return rng() < 0.5 ? { bytes: png(w, h, pixels(seed)), kind: 'png' } : { bytes: jpg(w, h, pixels(seed)), kind: 'jpg' };
}

function imageCase(seed: number, dir: string, rng: Rng): FileCase {
  const { bytes, kind } = imageBytes(rng, seed);
  const file = join(dir, `img.${kind}`);
  if (rng() < 0.4) {
    const w = pick(rng, LIES), h = pick(rng, LIES);
    writeFileSync(file, kind === 'png' ? lyingPng(bytes, w, h) : lyingJpeg(bytes, w, h));
    return { file, op: `${kind}:lie-size`, what: `header claims ${w}x${h}` };
  }
  const op = pick(rng, ['truncate', 'bit-flip', 'garbage'] as const);
  const m = mutateBytes(bytes, op, rng);
  writeFileSync(file, m.bytes);
  return { file, op: `${kind}:${op}`, what: m.what };
}

/** Names no one types but anyone can create: newlines, ESC sequences, BEL, a lone surrogate's UTF-8 look-alike. */
const CONTROL_NAMES = ['a\nb', '\u001b[31mred\u001b[0m', 'bell\u0007', 'tab\tname', 'cr\rname', 'del\u007f', ' lead space', 'x'.repeat(200)];

function folderCase(seed: number, dir: string, rng: Rng): FileCase {
  const root = join(dir, 'data');
  const outside = join(dir, 'outside');
  mkdirSync(outside, { recursive: true });
  writeFileSync(join(outside, 'secret.png'), png(5, 5, pixels(seed)));
  writeFileSync(join(outside, 'passwd.png'), 'root:x:0:0:root:/root:/bin/bash\n');
  for (const c of ['cat', 'dog']) {
    mkdirSync(join(root, c), { recursive: true });
    for (let i = 0; i < 2; i++) writeFileSync(join(root, c, `${i}.png`), png(6, 6, pixels(seed + i)));
  }
  const op = pick(rng, ['link-file-out', 'link-folder-out', 'link-cycle', 'link-dangling', 'link-inside', 'control-class', 'control-file', 'fake-image'] as const);
  const cls = join(root, pick(rng, ['cat', 'dog']));
  switch (op) {
    case 'link-file-out': symlinkSync(join(outside, pick(rng, ['secret.png', 'passwd.png'])), join(cls, 'link.png')); break;
    case 'link-folder-out': symlinkSync(outside, rng() < 0.5 ? join(root, 'bird') : join(cls, 'sub')); break;
    case 'link-cycle': symlinkSync(root, join(cls, 'loop')); break;
    case 'link-dangling': symlinkSync(join(dir, 'nothing.png'), join(cls, 'gone.png')); break;
    case 'link-inside': symlinkSync(join(root, 'cat', '0.png'), join(root, 'dog', 'alias.png')); break;
    case 'control-class': mkdirSync(join(root, pick(rng, CONTROL_NAMES))); break;
    case 'control-file': writeFileSync(join(cls, `${pick(rng, CONTROL_NAMES)}.png`), rng() < 0.5 ? png(3, 3, pixels(seed)) : 'not an image'); break;
    case 'fake-image': writeFileSync(join(cls, 'fake.jpg'), mutateBytes(jpg(8, 8, pixels(seed)), 'truncate', rng).bytes); break;
  }
  return { file: root, op: `folder:${op}`, what: op };
}

/** A report of a real run (the recorded DCP stream's last event), as JSON. */
export function baseReport(): RunReport {
  const end = recorded('dcp').at(-1) as { report: RunReport };
  return structuredClone(end.report);
}

/** The shapes checkpoint cases give their heads.json (two heads: BatchNorm's four vectors, then dense kernel + bias). */
export const HEAD_SHAPES = [[[4], [4], [4], [4], [4, 10], [10]], [[6], [6], [6], [6], [6, 10], [10]]];
export const CHECKPOINT_MODEL = '/models/fuzz/model.json';

function mutateFile(rng: Rng, file: string, value: Json): string {
  if (rng() < 0.75) {
    const op = pick(rng, JSON_OPS);
    const n = 1 + randInt(rng, 3);
    const what: string[] = [];
    for (let i = 0; i < n; i++) what.push(mutateJson(value, op, rng));
    writeFileSync(file, JSON.stringify(value));
    return `json:${op} ${what.join('; ')}`;
  }
  const op = pick(rng, ['truncate', 'bit-flip', 'garbage'] as const);
  const m = mutateBytes(new TextEncoder().encode(JSON.stringify(value, null, 2)), op, rng);
  writeFileSync(file, m.bytes);
  return `text:${op} ${m.what}`;
}

function checkpointCase(dir: string, rng: Rng): FileCase {
  const r = baseReport();
  const state = {
    schema: 'dcp-checkpoint/2', config: r.config, modelPath: CHECKPOINT_MODEL, before: r.before, heads: r.heads, layers: r.layers.slice(0, 2),
    passes: r.layers.slice(0, 2).map((l) => ({ layer: l.layer, gradientPasses: 3, forwardPasses: 2 })), stagesTuned: [0], network: 'step-2-0a1b2c3d',
    baseline: 'baseline-0a1b2c3d', step: 2,
  };
  const heads = HEAD_SHAPES.map((rows) => rows.map((shape) => ({ shape, values: Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => i / 10) })));
  mkdirSync(join(dir, state.network), { recursive: true });
  const inHeads = rng() < 0.3;
  writeFileSync(join(dir, 'state.json'), JSON.stringify(state));
  writeFileSync(join(dir, state.network, 'heads.json'), JSON.stringify(heads));
  const what = inHeads
    ? mutateFile(rng, join(dir, state.network, 'heads.json'), heads as unknown as Json)
    : mutateFile(rng, join(dir, 'state.json'), state as unknown as Json);
  return { file: dir, op: inHeads ? 'checkpoint:heads.json' : 'checkpoint:state.json', what };
}

function reportCase(dir: string, rng: Rng): FileCase {
  const file = join(dir, 'report.json');
  return { file, op: 'report', what: mutateFile(rng, file, baseReport() as unknown as Json) };
}

function historyCase(dir: string, rng: Rng): FileCase {
  const runDir = join(dir, '20250101-120000-ab12');
  mkdirSync(runDir, { recursive: true });
  const r = baseReport();
  const record = {
    schema: 'dcp-run/1', runId: '20250101-120000-ab12', modelUri: 'file:///m/model.json', modelPath: '/m/model.json', outDir: join(runDir, 'output'),
    status: 'finished', startedAt: 1735732800000, endedAt: 1735732900000, layersDone: r.layers.length,
    outcome: { paramsBefore: r.before.params, paramsAfter: r.after.params, flopsBefore: r.before.flops, flopsAfter: r.after.flops, accuracyBefore: r.before.accuracy, accuracyAfter: r.after.accuracy, seconds: r.seconds },
    message: null,
  };
  const files: Record<string, Json> = { 'run.json': record as unknown as Json, 'config.json': { ...DEFAULT_RUN_CONFIG } as unknown as Json, 'report.json': r as unknown as Json };
  for (const [name, v] of Object.entries(files)) writeFileSync(join(runDir, name), JSON.stringify(v));
  writeFileSync(join(runDir, 'events.jsonl'), recorded('dcp').slice(0, 12).map((e) => JSON.stringify(e)).join('\n') + '\n');
  const target = pick(rng, ['run.json', 'run.json', 'config.json', 'report.json', 'events.jsonl'] as const);
  if (target === 'events.jsonl') {
    const op = pick(rng, ['truncate', 'bit-flip', 'garbage'] as const);
    const m = mutateBytes(new TextEncoder().encode(recorded('dcp').slice(0, 12).map((e) => JSON.stringify(e)).join('\n')), op, rng);
    writeFileSync(join(runDir, target), m.bytes);
    return { file: dir, op: `history:${target}`, what: m.what };
  }
  return { file: dir, op: `history:${target}`, what: mutateFile(rng, join(runDir, target), structuredClone(files[target])) };
}

/** Builds case `seed` of a file reader under `dir` (created). */
export function buildFileCase(reader: FileReaderName, seed: number, dir: string, rng: Rng): FileCase {
  mkdirSync(dir, { recursive: true });
  switch (reader) {
    case 'image': return imageCase(seed, dir, rng);
    case 'folder': return folderCase(seed, dir, rng);
    case 'checkpoint': return checkpointCase(dir, rng);
    case 'report': return reportCase(dir, rng);
    case 'history': return historyCase(dir, rng);
  }
}
