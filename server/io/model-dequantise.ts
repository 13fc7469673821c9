/**
 * Turning stored weight bytes into float32/int32 values, our own implementation of what TF.js's decodeWeights does:
 * the engine wants plain float32 specs (no quantisation) so its surgery can slice weights without caring how they
 * were stored.
 */
import { elementCount } from './model-types';
import type { WeightSpec } from './model-types';

let halfTable: Float32Array | undefined;

/** IEEE 754 binary16 bits → the number it denotes (subnormals, ±0, ±Infinity and NaN included). */
export function float16ToNumber(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** All 65 536 halves precomputed once (256 KiB): a table lookup per weight beats bit twiddling per weight. */
function float16Table(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = float16ToNumber(h);
  }
  return halfTable;
}

/**
 * Decodes one weight stored at `src` (exactly `storedBytes(spec)` bytes) into `out` at byte `outOffset`
 * (a multiple of 4) as `spec.dtype`. Multi-byte values are little-endian, as TF.js writes them on every platform
 * it runs on.
 */
export function dequantiseInto(spec: WeightSpec, src: Uint8Array, out: ArrayBuffer, outOffset: number): void {
  const n = elementCount(spec.shape);
  const q = spec.quantization;
  if (!q) {
    new Uint8Array(out, outOffset, n * 4).set(src.subarray(0, n * 4));
    return;
  }
  const view = new DataView(src.buffer, src.byteOffset, src.byteLength);
  const dst = spec.dtype === 'int32' ? new Int32Array(out, outOffset, n) : new Float32Array(out, outOffset, n);
  if (q.dtype === 'float16') {
    const table = float16Table();
    for (let i = 0; i < n; i++) dst[i] = table[view.getUint16(2 * i, true)];
    return;
  }
  // Validation guarantees scale and min for uint8/uint16; same affine formula and rounding as tf.io.decodeWeights.
  const scale = q.scale ?? 1;
  const min = q.min ?? 0;
  const round = spec.dtype === 'int32';
  for (let i = 0; i < n; i++) {
    const v = q.dtype === 'uint8' ? src[i] : view.getUint16(2 * i, true);
    dst[i] = round ? Math.round(v * scale + min) : v * scale + min;
  }
}
