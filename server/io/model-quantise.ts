/**
 * Re-quantising float32 weights for the shards, in the manifest form the TF.js converter writes and
 * tf.io.decodeWeights reads: `quantization: {dtype: 'uint8'|'uint16', scale, min}` (value = q·scale + min) or
 * `{dtype: 'float16'}`. Our own implementation (the inverse of model-dequantise.ts).
 *
 * The affine range is widened to include 0 and nudged so that 0 is exactly a level: a pruned or DKP-masked
 * kernel holds exact zeros, and they must stay zeros after a round trip.
 */

/** A storage dtype for float32 weights. */
export type QuantiseDtype = 'uint8' | 'uint16' | 'float16';

/** The weight specs TF.js's saver produces and its loader accepts. */
export interface SavedWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: QuantiseDtype; scale?: number; min?: number };
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE 754 binary16 bits, rounding to nearest even; overflow gives ±Infinity, underflow ±0. */
export function numberToFloat16(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal half: value / 2^-24 of the 24-bit significand, which is (1.mant · 2^23) · 2^(exp − 150).
    const m = mant | 0x800000;
    const shift = 14 - e;
    const h = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    return sign | (rem > half || (rem === half && (h & 1) === 1) ? h + 1 : h);
  }
  const h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // A carry out of the mantissa bumps the exponent, which is the right rounding (up to Infinity at the top).
  return sign | (rem > 0x1000 || (rem === 0x1000 && (h & 1) === 1) ? h + 1 : h);
}

/** scale and min of the affine code for `values`, with 0 exactly representable. */
export function affineParams(values: Float32Array, levels: number): { scale: number; min: number } {
  let lo = 0;
  let hi = 0;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (hi === lo) return { scale: 1, min: 0 };
  const scale = (hi - lo) / levels;
  const zero = Math.round(-lo / scale);
  return { scale, min: -zero * scale };
}

/**
 * The weights of `specs` (laid out back to back in `data`) with every float32 weight stored as `dtype`; other
 * dtypes (int32, bool) are copied unchanged. Returns new specs and a new buffer.
 */
export function quantiseWeights(specs: readonly SavedWeightSpec[], data: ArrayBuffer, dtype: QuantiseDtype): { specs: SavedWeightSpec[]; data: ArrayBuffer } {
  const parts: Uint8Array[] = [];
  const out: SavedWeightSpec[] = [];
  let offset = 0;
  for (const spec of specs) {
    if (spec.quantization) throw new Error(`weight '${spec.name}' is already quantised; save float32 weights`);
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const bytes = n * (spec.dtype === 'bool' ? 1 : 4);
    const raw = new Uint8Array(data, offset, bytes);
    offset += bytes;
    if (spec.dtype !== 'float32') {
      parts.push(raw.slice());
      out.push({ ...spec });
      continue;
    }
    const values = new Float32Array(raw.slice().buffer);
    if (dtype === 'float16') {
      const h = new Uint16Array(n);
      for (let i = 0; i < n; i++) h[i] = numberToFloat16(values[i]);
      parts.push(new Uint8Array(h.buffer));
      out.push({ ...spec, quantization: { dtype } });
      continue;
    }
    const levels = dtype === 'uint8' ? 255 : 65535;
    const { scale, min } = affineParams(values, levels);
    const q = dtype === 'uint8' ? new Uint8Array(n) : new Uint16Array(n);
    for (let i = 0; i < n; i++) q[i] = Math.min(levels, Math.max(0, Math.round((values[i] - min) / scale)));
    parts.push(new Uint8Array(q.buffer));
    out.push({ ...spec, quantization: { dtype, scale, min } });
  }
  if (offset !== data.byteLength) throw new Error(`weight specs cover ${offset} bytes of ${data.byteLength}`);
  const total = parts.reduce((a, p) => a + p.byteLength, 0);
  const buf = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    buf.set(p, at);
    at += p.byteLength;
  }
  return { specs: out, data: buf.buffer };
}
