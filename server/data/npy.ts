/**
 * NumPy `.npy` reader (format versions 1–3). The header is a Python dict literal; we parse only the three keys
 * the format defines and check every size against the bytes actually present before allocating anything.
 */
import { DatasetError } from './types';

export type NpyKind = 'f' | 'u' | 'i';

/** A parsed array: its shape and little-endian data bytes, not yet converted. */
export interface NpyArray {
  file: string;
  descr: string;
  kind: NpyKind;
  itemSize: number;
  shape: number[];
  /** Product of `shape`. */
  size: number;
  /** Exactly `size · itemSize` bytes. */
  bytes: Uint8Array;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy itself refuses headers over 10,000 bytes by default; leave room for long shapes. */
const MAX_HEADER = 65536;
/** Typed arrays in V8 top out near 2^32 bytes; refuse anything bigger before trying to allocate it. */
export const MAX_ARRAY_BYTES = 2 ** 31;
const SUPPORTED: Record<string, { kind: NpyKind; itemSize: number }> = {
  f4: { kind: 'f', itemSize: 4 }, f8: { kind: 'f', itemSize: 8 },
  u1: { kind: 'u', itemSize: 1 }, i4: { kind: 'i', itemSize: 4 }, i8: { kind: 'i', itemSize: 8 },
};

/** True when `buf` starts with the .npy magic string. */
export function isNpy(buf: Uint8Array): boolean {
  return buf.length >= MAGIC.length && MAGIC.every((b, i) => buf[i] === b);
}

/** Parses a whole .npy file held in memory. Throws DatasetError naming `file` and the problem. */
export function parseNpy(buf: Uint8Array, file: string): NpyArray {
  const fail = (why: string): never => { throw new DatasetError(file, `${file}: ${why}`); };
  if (!isNpy(buf)) fail('not a .npy file (missing \\x93NUMPY magic)');
  if (buf.length < 10) fail('truncated .npy header');
  const major = buf[6];
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let headerLen: number, headerStart: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (buf.length < 12) fail('truncated .npy header');
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  } else {
    return fail(`unsupported .npy format version ${major}.${buf[7]}`);
  }
  if (headerLen > MAX_HEADER) fail(`.npy header of ${headerLen} bytes is larger than the ${MAX_HEADER}-byte limit`);
  if (headerStart + headerLen > buf.length) fail(`truncated: header needs ${headerLen} bytes, file has ${buf.length - headerStart}`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(buf.subarray(headerStart, headerStart + headerLen));

  const descrM = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(header);
  if (!descrM) {
    return fail(/['"]descr['"]\s*:\s*\[/.test(header) ? 'structured (record) dtypes are not supported' : `header has no 'descr': ${header.trim()}`);
  }
  const descr = descrM[2];
  const fortM = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header);
  if (!fortM) fail(`header has no 'fortran_order': ${header.trim()}`);
  if (fortM?.[1] === 'True') fail('fortran_order=True arrays are not supported; save with np.ascontiguousarray(a) first');
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!shapeM) return fail(`header has no 'shape': ${header.trim()}`);

  const order = descr[0];
  const code = descr.slice(1);
  const dt = SUPPORTED[code];
  if (!dt || !['<', '|', '=', '>'].includes(order)) {
    return fail(`unsupported dtype '${descr}' (supported: '<f4', '<f8', '|u1', '<i4', '<i8')`);
  }
  if (order === '>' && dt.itemSize > 1) fail(`big-endian dtype '${descr}' is not supported; save with a.astype('<${code}')`);

  const shape: number[] = [];
  for (const part of shapeM[1].split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (!/^\d{1,15}L?$/.test(part)) fail(`bad shape entry '${part}' in header`);
    shape.push(Number.parseInt(part, 10));
  }
  // Multiply with a running cap so a hostile shape like (1e15, 1e15) is refused instead of overflowing.
  let size = 1;
  for (const d of shape) {
    size *= d;
    if (size * dt.itemSize > MAX_ARRAY_BYTES) fail(`shape (${shape.join(', ')}) needs more than ${MAX_ARRAY_BYTES} bytes; refusing`);
  }
  const dataStart = headerStart + headerLen;
  const need = size * dt.itemSize;
  const have = buf.length - dataStart;
  if (have < need) fail(`truncated: shape (${shape.join(', ')}) of ${descr} needs ${need} data bytes, file has ${have}`);
  return { file, descr, kind: dt.kind, itemSize: dt.itemSize, shape, size, bytes: buf.subarray(dataStart, dataStart + need) };
}

/** The data as an ArrayBuffer + offset a typed array can use: copied when not on an element boundary (common in zips). */
function aligned(a: NpyArray): { buffer: ArrayBuffer; offset: number } {
  const { bytes } = a;
  if (bytes.byteOffset % a.itemSize === 0 && bytes.buffer instanceof ArrayBuffer) return { buffer: bytes.buffer, offset: bytes.byteOffset };
  // new Uint8Array(view) copies; Buffer#slice would not (it aliases, like subarray).
  return { buffer: new Uint8Array(bytes).buffer, offset: 0 };
}

/** The array's elements as numbers (int64 converted exactly up to 2^53; beyond that precision is moot for labels). */
export function npyValues(a: NpyArray): Float32Array | Float64Array | Uint8Array | Int32Array {
  const { buffer: buf, offset: off } = aligned(a);
  switch (a.descr.slice(1)) {
    case 'f4': return new Float32Array(buf, off, a.size);
    case 'f8': return new Float64Array(buf, off, a.size);
    case 'u1': return new Uint8Array(buf, off, a.size);
    case 'i4': return new Int32Array(buf, off, a.size);
    default: {
      const big = new BigInt64Array(buf, off, a.size);
      const out = new Float64Array(a.size);
      for (let i = 0; i < a.size; i++) out[i] = Number(big[i]);
      return out;
    }
  }
}
