/** The real-size benches' input data: seeded noise images (the code-built models are untrained, so nothing real to classify). */
import { promises as fs } from 'node:fs';
import { mulberry32 } from '../server/data/random';

/** A `|u1` .npy of n seeded noise images (numpy format 1.0: magic, header length, dict padded to 64 bytes). */
export async function writeNoiseNpy(file: string, n: number, size: number): Promise<void> {
  const dict = `{'descr': '|u1', 'fortran_order': False, 'shape': (${n}, ${size}, ${size}, 3), }`;
  const pad = 64 - ((10 + dict.length + 1) % 64);
  const header = Buffer.from(`${dict}${' '.repeat(pad % 64)}\n`, 'latin1');
  const pre = Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  const body = new Uint8Array(n * size * size * 3);
  const rand = mulberry32(5);
  for (let i = 0; i < body.length; i++) body[i] = Math.floor(rand() * 256);
  await fs.writeFile(file, Buffer.concat([pre, header, body]));
}
