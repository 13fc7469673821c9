/**
 * Minimal zip reader for .npz files: central directory (with zip64, which numpy always writes for its entries),
 * stored and deflated entries, CRC check. No streaming: .npz files are read whole, like np.load does.
 */
import * as zlib from 'node:zlib';
import { MAX_ARRAY_BYTES } from './npy';
import { DatasetError } from './types';

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_EOCD64 = 0x06064b50;
const SIG_LOC64 = 0x07064b50;
const SIG_CEN = 0x02014b50;
const SIG_LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;

/** True when `buf` starts like a zip file. */
export function isZip(buf: Uint8Array): boolean {
  return buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;
}

/** Bounds-checked little-endian reads: every overrun becomes a "truncated" DatasetError naming the file. */
class Reader {
  private readonly view: DataView;
  constructor(readonly buf: Uint8Array, readonly file: string) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  fail(why: string): never {
    throw new DatasetError(this.file, `${this.file}: ${why}`);
  }
  check(pos: number, len: number, what: string): void {
    if (pos < 0 || pos + len > this.buf.length) this.fail(`truncated or corrupt zip (${what} at byte ${pos} is past the end)`);
  }
  u16(pos: number, what: string): number { this.check(pos, 2, what); return this.view.getUint16(pos, true); }
  u32(pos: number, what: string): number { this.check(pos, 4, what); return this.view.getUint32(pos, true); }
  u64(pos: number, what: string): number {
    this.check(pos, 8, what);
    const v = this.view.getBigUint64(pos, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} is too large`);
    return Number(v);
  }
}

/** Lists the entries from the central directory. */
export function listZip(buf: Uint8Array, file: string): ZipEntry[] {
  const r = new Reader(buf, file);
  // The end record sits in the last 22 + 65535 (max comment) bytes; scan backwards for its signature.
  let eocd = -1;
  for (let p = buf.length - 22; p >= Math.max(0, buf.length - 22 - 65535); p--) {
    if (r.u32(p, 'end record') === SIG_EOCD) { eocd = p; break; }
  }
  if (eocd < 0) r.fail('truncated or not a zip file (no end-of-central-directory record)');
  let total = r.u16(eocd + 10, 'entry count');
  let cdSize = r.u32(eocd + 12, 'directory size');
  let cdOffset = r.u32(eocd + 16, 'directory offset');
  if (total === 0xffff || cdSize === U32_MAX || cdOffset === U32_MAX) {
    const loc = eocd - 20;
    if (r.u32(loc, 'zip64 locator') !== SIG_LOC64) r.fail('zip64 archive without a zip64 locator');
    const e64 = r.u64(loc + 8, 'zip64 end record offset');
    if (r.u32(e64, 'zip64 end record') !== SIG_EOCD64) r.fail('bad zip64 end record');
    total = r.u64(e64 + 32, 'entry count');
    cdSize = r.u64(e64 + 40, 'directory size');
    cdOffset = r.u64(e64 + 48, 'directory offset');
  }
  r.check(cdOffset, cdSize, 'central directory');
  const entries: ZipEntry[] = [];
  let p = cdOffset;
  for (let i = 0; i < total; i++) {
    if (r.u32(p, 'directory entry') !== SIG_CEN) r.fail(`corrupt central directory (entry ${i})`);
    const nameLen = r.u16(p + 28, 'name length');
    const extraLen = r.u16(p + 30, 'extra length');
    const commentLen = r.u16(p + 32, 'comment length');
    r.check(p + 46, nameLen + extraLen, 'entry name');
    const e: ZipEntry = {
      name: new TextDecoder().decode(buf.subarray(p + 46, p + 46 + nameLen)),
      flags: r.u16(p + 8, 'flags'), method: r.u16(p + 10, 'method'), crc: r.u32(p + 16, 'crc'),
      compressedSize: r.u32(p + 20, 'size'), size: r.u32(p + 24, 'size'), localOffset: r.u32(p + 42, 'offset'),
    };
    readZip64Extra(r, e, p + 46 + nameLen, extraLen);
    entries.push(e);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

/** The zip64 extra field holds, in this order, whichever of the three 32-bit fields were saturated. */
function readZip64Extra(r: Reader, e: ZipEntry, start: number, len: number): void {
  for (let q = start; q + 4 <= start + len;) {
    const id = r.u16(q, 'extra id');
    const size = r.u16(q + 2, 'extra size');
    if (id === 0x0001) {
      let f = q + 4;
      if (e.size === U32_MAX) { e.size = r.u64(f, 'zip64 size'); f += 8; }
      if (e.compressedSize === U32_MAX) { e.compressedSize = r.u64(f, 'zip64 size'); f += 8; }
      if (e.localOffset === U32_MAX) { e.localOffset = r.u64(f, 'zip64 offset'); }
    }
    q += 4 + size;
  }
}

/** Extracts one entry, refusing oversized or encrypted entries and checking size and CRC. */
export function extractZip(buf: Uint8Array, file: string, e: ZipEntry): Uint8Array {
  const r = new Reader(buf, file);
  const where = `${file} (entry ${e.name})`;
  const fail = (why: string): never => { throw new DatasetError(file, `${where}: ${why}`); };
  if (e.flags & 1) fail('encrypted entries are not supported');
  if (e.size > MAX_ARRAY_BYTES) fail(`uncompressed size ${e.size} bytes exceeds the ${MAX_ARRAY_BYTES}-byte limit`);
  if (r.u32(e.localOffset, 'local header') !== SIG_LOCAL) fail('corrupt zip (bad local header)');
  const start = e.localOffset + 30 + r.u16(e.localOffset + 26, 'name length') + r.u16(e.localOffset + 28, 'extra length');
  if (start + e.compressedSize > buf.length) fail(`truncated: entry data needs ${e.compressedSize} bytes, ${Math.max(0, buf.length - start)} present`);
  const raw = buf.subarray(start, start + e.compressedSize);
  let out: Uint8Array;
  if (e.method === 0) {
    out = raw;
  } else if (e.method === 8) {
    try {
      // maxOutputLength stops a zip bomb at the declared size instead of inflating until memory runs out.
      out = zlib.inflateRawSync(raw, { maxOutputLength: Math.max(1, e.size) });
    } catch (err) {
      return fail(`cannot inflate: ${err instanceof Error ? err.message : String(err)}`);
    }
  } else {
    return fail(`compression method ${e.method} is not supported (only stored and deflate)`);
  }
  if (out.length !== e.size) fail(`size mismatch: directory says ${e.size} bytes, got ${out.length}`);
  // zlib.crc32 arrived in Node 20.15; older hosts skip the check rather than fail.
  const crc32 = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  if (typeof crc32 === 'function' && crc32(out) >>> 0 !== e.crc >>> 0) fail('CRC mismatch (corrupt or truncated data)');
  return out;
}
