import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as zlib from 'node:zlib';
import { extractZip, listZip } from '../../../server/data/zip';
import { DatasetError } from '../../../server/data/types';
import { npy, zip } from '../../fixtures/data/writers';

/** `mib` MiB of zeros deflated by streaming (the test never holds the inflated bytes itself). */
async function deflatedZeros(mib: number): Promise<Buffer> {
  const d = zlib.createDeflateRaw({ level: 9 });
  const parts: Buffer[] = [];
  d.on('data', (b: Buffer) => parts.push(b));
  const chunk = Buffer.alloc(1 << 20);
  for (let i = 0; i < mib; i++) if (!d.write(chunk)) await new Promise((r) => d.once('drain', r));
  await new Promise<void>((resolve) => d.end(resolve));
  return Buffer.concat(parts);
}

/** A one-entry zip whose directory declares `size` bytes for the deflated `body`. */
function zipWith(body: Buffer, size: number, crc = 0): Uint8Array {
  const name = Buffer.from('x.npy');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(8, 8);
  local.writeUInt16LE(name.length, 26);
  const cen = Buffer.alloc(46);
  cen.writeUInt32LE(0x02014b50, 0);
  cen.writeUInt16LE(8, 10);
  cen.writeUInt32LE(crc, 16);
  cen.writeUInt32LE(body.length, 20);
  cen.writeUInt32LE(size, 24);
  cen.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(46 + name.length, 12);
  end.writeUInt32LE(30 + name.length + body.length, 16);
  return Buffer.concat([local, name, body, cen, name, end]);
}

test('a deflate bomb (512 KiB inflating to 512 MiB, declared 1 KiB) is refused without inflating it', async () => {
  const body = await deflatedZeros(512);
  assert.ok(body.length < 1 << 20, `the bomb is small on disk (${body.length} bytes)`);
  const archive = zipWith(body, 1024);
  const [entry] = listZip(archive, 'bomb.npz');
  // Peak resident memory of this process: inflating the bomb would raise it by ~512 MiB.
  const peakBefore = process.resourceUsage().maxRSS;
  assert.throws(() => extractZip(archive, 'bomb.npz', entry), (e: Error) => e instanceof DatasetError && /bomb\.npz \(entry x\.npy\): cannot inflate/.test(e.message));
  const grewMiB = (process.resourceUsage().maxRSS - peakBefore) / 1024;
  assert.ok(grewMiB < 64, `peak memory grew by ${grewMiB.toFixed(0)} MiB while refusing the bomb`);
});

test('an entry declaring more than the array limit is refused before inflating, in plain and zip64 form', () => {
  const body = zlib.deflateRawSync(Buffer.alloc(10));
  const archive = zipWith(body, 0xfffffffe);
  assert.throws(() => extractZip(archive, 'big.npz', listZip(archive, 'big.npz')[0]), /uncompressed size 4294967294 bytes exceeds the 2147483648-byte limit/);
  // zip64: the 32-bit size saturated, the real one in the extra field.
  const z64 = Buffer.from(zipWith(body, 0xffffffff));
  const cenAt = z64.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  const extra = Buffer.alloc(12);
  extra.writeUInt16LE(1, 0);
  extra.writeUInt16LE(8, 2);
  extra.writeBigUInt64LE(2n ** 40n, 4);
  z64.writeUInt16LE(extra.length, cenAt + 30);
  const name = z64.subarray(cenAt + 46, cenAt + 51);
  const rebuilt = Buffer.concat([z64.subarray(0, cenAt + 46), name, extra, z64.subarray(cenAt + 51)]);
  // The directory grew by the extra field: fix the end record's size.
  const endAt = rebuilt.length - 22;
  rebuilt.writeUInt32LE(46 + 5 + extra.length, endAt + 12);
  const [e] = listZip(rebuilt, 'z64.npz');
  assert.equal(e.size, 2 ** 40);
  assert.throws(() => extractZip(rebuilt, 'z64.npz', e), /uncompressed size 1099511627776 bytes exceeds/);
});

test('a wrong CRC or a size that does not match the data is refused, a right one loads', () => {
  const data = npy('<f4', [2], [1, 2]);
  const good = zip({ 'x.npy': data }, 'deflate');
  assert.deepEqual(new Uint8Array(extractZip(good, 'g.npz', listZip(good, 'g.npz')[0])), data);
  const body = zlib.deflateRawSync(data);
  const badCrc = zipWith(body, data.length, (zlib.crc32(data) ^ 1) >>> 0);
  assert.throws(() => extractZip(badCrc, 'c.npz', listZip(badCrc, 'c.npz')[0]), /c\.npz \(entry x\.npy\): CRC mismatch/);
  const short = zipWith(body, data.length + 8, zlib.crc32(data) >>> 0);
  assert.throws(() => extractZip(short, 's.npz', listZip(short, 's.npz')[0]), /size mismatch: directory says \d+ bytes, got \d+/);
});
