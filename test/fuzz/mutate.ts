/**
 * Seeded mutations for the reader fuzzer: on parsed JSON (wrong types, deleted keys, huge or negative dimensions,
 * dangling references, deep nesting), on raw bytes (truncation, bit flips, inserted garbage) and on float32 weight
 * data (NaN/Inf). Every mutation is a pure function of the RNG, so a case is reproduced from its seed alone.
 */
import { randInt, type Rng } from '../../server/data/random';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Slot {
  parent: Json[] | { [k: string]: Json };
  key: string | number;
  value: Json;
}

/** Every (parent, key) in the tree, root excluded. */
function slots(root: Json): Slot[] {
  const out: Slot[] = [];
  const stack: Json[] = [root];
  while (stack.length > 0) {
    const v = stack.pop()!;
    if (Array.isArray(v)) v.forEach((c, i) => { out.push({ parent: v, key: i, value: c }); stack.push(c); });
    else if (v !== null && typeof v === 'object') for (const [k, c] of Object.entries(v)) { out.push({ parent: v, key: k, value: c }); stack.push(c); }
  }
  return out;
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[randInt(rng, xs.length)];

function set(s: Slot, v: Json | undefined): void {
  if (Array.isArray(s.parent)) {
    if (v === undefined) s.parent.splice(s.key as number, 1);
    else s.parent[s.key as number] = v;
  } else if (v === undefined) delete s.parent[s.key as string];
  else s.parent[s.key as string] = v;
}

function nest(v: Json, depth: number): Json {
  let out = v;
  for (let i = 0; i < depth; i++) out = i % 2 === 0 ? [out] : { x: out };
  return out;
}

/** Values that break readers in known ways: wrong types, numbers past every limit, strings that look like paths. */
const NASTY: readonly Json[] = [
  null, true, -1, 0, 1.5, 2 ** 31, 2 ** 53, 1e308, -1e308, '', 'x', '../../../etc/passwd', '/etc/passwd', [], {}, [[]], [1e9, 1e9, 1e9],
  { class_name: 'Nope', config: {} }, 'float64', ['not', 'a', 'ref'],
];

/** The JSON operations, named so that the fuzzer can count outcomes per operation. */
export const JSON_OPS = ['wrong-type', 'delete', 'huge-dim', 'dangling-ref', 'rename', 'deep-nesting', 'duplicate'] as const;
export type JsonOp = (typeof JSON_OPS)[number];

/** Applies one named mutation somewhere in `root` (mutated in place; returns a short description). */
export function mutateJson(root: Json, op: JsonOp, rng: Rng): string {
  const all = slots(root);
  if (all.length === 0) return 'empty';
  const numbers = all.filter((s) => typeof s.value === 'number');
  const strings = all.filter((s) => typeof s.value === 'string');
  switch (op) {
    case 'wrong-type': {
      const s = pick(rng, all);
      const v = pick(rng, NASTY);
      set(s, v);
      return `${String(s.key)} := ${JSON.stringify(v).slice(0, 40)}`;
    }
    case 'delete': {
      const s = pick(rng, all);
      set(s, undefined);
      return `delete ${String(s.key)}`;
    }
    case 'huge-dim': {
      const s = numbers.length > 0 ? pick(rng, numbers) : pick(rng, all);
      const v = pick(rng, [2 ** 31 - 1, 2 ** 40, -7, 0, 1e9]);
      set(s, v);
      return `${String(s.key)} := ${v}`;
    }
    case 'dangling-ref':
    case 'rename': {
      const s = strings.length > 0 ? pick(rng, strings) : pick(rng, all);
      const v = op === 'rename' ? pick(rng, ['', 'conv', 'stem_conv', 'a/b', 'x'.repeat(5000)]) : `missing_${randInt(rng, 1000)}`;
      set(s, v);
      return `${String(s.key)} := ${v.slice(0, 20)}`;
    }
    case 'deep-nesting': {
      const s = pick(rng, all);
      const depth = pick(rng, [50, 300, 800]);
      set(s, nest(s.value, depth));
      return `${String(s.key)} nested ${depth} deep`;
    }
    case 'duplicate': {
      const arrays = all.filter((s) => Array.isArray(s.value) && s.value.length > 0);
      if (arrays.length === 0) return 'no array';
      const s = pick(rng, arrays);
      const a = s.value as Json[];
      a.push(structuredClone(a[randInt(rng, a.length)]));
      return `${String(s.key)} element duplicated`;
    }
  }
}

export const BYTE_OPS = ['truncate', 'bit-flip', 'garbage', 'deep-brackets', 'non-finite'] as const;
export type ByteOp = (typeof BYTE_OPS)[number];

/** A mutated copy of `bytes`. `non-finite` writes NaN/±Inf float32 values at 4-byte-aligned offsets. */
export function mutateBytes(bytes: Uint8Array, op: ByteOp, rng: Rng): { bytes: Uint8Array; what: string } {
  const out = new Uint8Array(bytes);
  switch (op) {
    case 'truncate': {
      const at = randInt(rng, Math.max(1, bytes.length));
      return { bytes: out.subarray(0, at), what: `cut at ${at} of ${bytes.length}` };
    }
    case 'bit-flip': {
      const n = 1 + randInt(rng, 8);
      for (let i = 0; i < n; i++) out[randInt(rng, out.length)] ^= 1 << randInt(rng, 8);
      return { bytes: out, what: `${n} bits flipped` };
    }
    case 'garbage': {
      const at = randInt(rng, out.length + 1);
      const junk = Uint8Array.from({ length: 1 + randInt(rng, 64) }, () => randInt(rng, 256));
      const joined = new Uint8Array(out.length + junk.length);
      joined.set(out.subarray(0, at));
      joined.set(junk, at);
      joined.set(out.subarray(at), at + junk.length);
      return { bytes: joined, what: `${junk.length} bytes inserted at ${at}` };
    }
    case 'deep-brackets': {
      // Far deeper than any tree mutation: a recursive parser overflows its stack here.
      const at = randInt(rng, out.length + 1);
      const depth = pick(rng, [10_000, 100_000]);
      const deep = new TextEncoder().encode('['.repeat(depth) + ']'.repeat(depth));
      const joined = new Uint8Array(out.length + deep.length);
      joined.set(out.subarray(0, at));
      joined.set(deep, at);
      joined.set(out.subarray(at), at + deep.length);
      return { bytes: joined, what: `${depth} nested brackets at ${at}` };
    }
    case 'non-finite': {
      const view = new DataView(out.buffer, out.byteOffset, out.byteLength - (out.byteLength % 4));
      const bits = pick(rng, [0x7fc00000, 0x7f800000, 0xff800000]);
      const at = 4 * randInt(rng, Math.max(1, view.byteLength / 4));
      if (view.byteLength >= 4) view.setUint32(at, bits, true);
      return { bytes: out, what: `float32 0x${bits.toString(16)} at byte ${at}` };
    }
  }
}
