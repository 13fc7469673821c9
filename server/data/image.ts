/**
 * Image decoding (PNG via pngjs, JPEG via jpeg-js) and the pixel transforms every source shares:
 * channel conversion and bilinear resizing into the model's H×W×C.
 */
import { PNG } from 'pngjs';
import * as jpeg from 'jpeg-js';
import { DatasetError, shapeText } from './types';

/** Decoded 8-bit RGBA pixels. */
export interface RgbaImage {
  data: Uint8Array;
  width: number;
  height: number;
}

/** Refuse images whose header claims more pixels than this before the decoder allocates for them. */
const MAX_MEGAPIXELS = 100;

/** Rec. 601 luma, as PIL's `convert('L')`; the weights sum to 1 so a gray RGB image maps back to the same gray. */
const LUMA = [0.299, 0.587, 0.114] as const;

/**
 * A path as it may appear in a message: control characters (a newline, an ESC that would recolour or rewrite the
 * terminal) shown as \u escapes, so a hostile file name cannot forge output lines.
 */
export function printable(p: string): string {
  return p.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** True for the file names the folder reader treats as images. */
export function isImageName(name: string): boolean {
  return /\.(png|jpe?g)$/i.test(name);
}

/** Decodes a PNG or JPEG (chosen by its magic bytes, not its extension). Throws DatasetError naming `file`. */
export function decodeImage(buf: Uint8Array, path: string): RgbaImage {
  const file = printable(path);
  const isPng = buf.length >= 8 && buf[0] === 0x89 && buf[1] === 0x50 && buf[2] === 0x4e && buf[3] === 0x47;
  const isJpeg = buf.length >= 3 && buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff;
  if (!isPng && !isJpeg) throw new DatasetError(path, `${file}: not a PNG or JPEG image (unrecognised file signature)`);
  try {
    if (isPng) {
      // pngjs allocates width·height·4 up front; read IHDR ourselves so a lying header cannot exhaust memory.
      checkPngSize(buf);
      const png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength));
      return { data: png.data, width: png.width, height: png.height };
    }
    checkJpegSize(buf);
    // Strict decoding: a truncated JPEG is an error here, as in PIL, rather than a silently gray image.
    const img = jpeg.decode(buf, {
      useTArray: true, formatAsRGBA: true, tolerantDecoding: false, maxResolutionInMP: MAX_MEGAPIXELS, maxMemoryUsageInMB: 1024,
    });
    return { data: img.data, width: img.width, height: img.height };
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new DatasetError(path, `${file}: cannot decode ${isPng ? 'PNG' : 'JPEG'} image: ${why}`);
  }
}

/** Samples per pixel of each PNG colour type (gray, RGB, palette, gray+alpha, RGBA). */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Deflate cannot expand data more than 1032:1, so compressed IDAT bytes bound the pixel bytes they can hold. */
const DEFLATE_MAX_RATIO = 1032;

/**
 * Refuses a PNG whose header claims a size past the megapixel limit, a zero side, or more pixel bytes than its
 * compressed data could inflate to: pngjs would allocate the claimed frame and grind through it (tens of seconds).
 */
function checkPngSize(buf: Uint8Array): void {
  if (buf.length < 26) return; // too short for IHDR: pngjs says so itself
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const w = view.getUint32(16);
  const h = view.getUint32(20);
  const mp = (w * h) / 1e6;
  if (mp > MAX_MEGAPIXELS) throw new Error(`image claims ${mp.toFixed(0)} megapixels (limit ${MAX_MEGAPIXELS})`);
  if (w === 0 || h === 0) throw new Error(`header claims a ${w}x${h} image`);
  let idat = 0;
  for (let p = 8; p + 8 <= buf.length;) {
    const len = view.getUint32(p);
    const type = String.fromCharCode(buf[p + 4], buf[p + 5], buf[p + 6], buf[p + 7]);
    if (type === 'IDAT') idat += Math.min(len, buf.length - p - 8);
    if (type === 'IEND') break;
    p += 12 + len;
  }
  const bits = (PNG_CHANNELS[buf[25]] ?? 1) * buf[24];
  const pixelBytes = Math.ceil((w * h * bits) / 8);
  if (idat * DEFLATE_MAX_RATIO + 1024 < pixelBytes) {
    throw new Error(`header claims ${w}x${h} pixels (${pixelBytes} bytes), more than its ${idat} bytes of image data can inflate to`);
  }
}

/** Width and height from a JPEG's start-of-frame marker, or null when none comes before the first scan. */
export function jpegSize(buf: Uint8Array): { width: number; height: number } | null {
  let p = 2;
  while (p + 4 <= buf.length) {
    if (buf[p] !== 0xff) return null;
    const marker = buf[p + 1];
    if (marker === 0xff) { p++; continue; }
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd8)) { p += 2; continue; }
    const len = (buf[p + 2] << 8) | buf[p + 3];
    const sof = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
    if (sof) return p + 9 <= buf.length ? { height: (buf[p + 5] << 8) | buf[p + 6], width: (buf[p + 7] << 8) | buf[p + 8] } : null;
    if (marker === 0xda) return null;
    p += 2 + len;
  }
  return null;
}

/**
 * A JPEG header may claim up to the megapixel limit while the file holds a few bytes; jpeg-js then allocates and
 * decodes the whole claimed frame (tens of seconds). Huffman coding spends at least one bit per 8×8 block on its DC
 * coefficient, so a file smaller than blocks/8 bytes cannot hold the image it claims: refused before decoding.
 */
function checkJpegSize(buf: Uint8Array): void {
  const size = jpegSize(buf);
  if (!size) return;
  const blocks = Math.ceil(size.width / 8) * Math.ceil(size.height / 8);
  if (buf.length * 8 < blocks) {
    throw new Error(`header claims ${size.width}x${size.height} pixels, which needs at least ${Math.ceil(blocks / 8)} bytes; the file has ${buf.length}`);
  }
}

/**
 * Converts HWC float pixels from `cIn` to `cOut` channels: RGB(A)→gray by luminance, gray→RGB by repetition,
 * alpha dropped (2 = gray+alpha, 4 = RGBA). Returns null when no sensible conversion exists.
 */
export function convertChannels(src: Float32Array, pixels: number, cIn: number, cOut: number): Float32Array | null {
  if (cIn === cOut) return src;
  const out = new Float32Array(pixels * cOut);
  const gray = cIn === 1 || cIn === 2;
  const rgb = cIn === 3 || cIn === 4;
  if (cOut === 1 && rgb) {
    for (let p = 0, s = 0; p < pixels; p++, s += cIn) out[p] = LUMA[0] * src[s] + LUMA[1] * src[s + 1] + LUMA[2] * src[s + 2];
  } else if (cOut === 1 && gray) {
    for (let p = 0; p < pixels; p++) out[p] = src[p * cIn];
  } else if (cOut === 3 && gray) {
    for (let p = 0, d = 0; p < pixels; p++, d += 3) out[d] = out[d + 1] = out[d + 2] = src[p * cIn];
  } else if (cOut === 3 && cIn === 4) {
    for (let p = 0, d = 0, s = 0; p < pixels; p++, d += 3, s += 4) {
      out[d] = src[s];
      out[d + 1] = src[s + 1];
      out[d + 2] = src[s + 2];
    }
  } else {
    return null;
  }
  return out;
}

/**
 * Bilinear resize of one HWC image into `out` at `offset`, with half-pixel centres (TF2 `tf.image.resize`,
 * `align_corners=false`), so a same-size resize is the identity and downscaling by 2 averages pixel pairs.
 */
export function resizeBilinear(
  src: Float32Array, h: number, w: number, c: number,
  outH: number, outW: number, out: Float32Array, offset: number,
): void {
  if (h === outH && w === outW) {
    out.set(src.subarray(0, h * w * c), offset);
    return;
  }
  const sy = h / outH;
  const sx = w / outW;
  // Horizontal taps are the same for every row: precompute them once.
  const x0s = new Int32Array(outW);
  const x1s = new Int32Array(outW);
  const fxs = new Float32Array(outW);
  for (let x = 0; x < outW; x++) {
    const fx = Math.min(Math.max((x + 0.5) * sx - 0.5, 0), w - 1);
    x0s[x] = Math.floor(fx);
    x1s[x] = Math.min(x0s[x] + 1, w - 1);
    fxs[x] = fx - x0s[x];
  }
  let d = offset;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max((y + 0.5) * sy - 0.5, 0), h - 1);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, h - 1);
    const wy = fy - y0;
    const r0 = y0 * w * c;
    const r1 = y1 * w * c;
    for (let x = 0; x < outW; x++) {
      const a0 = r0 + x0s[x] * c, a1 = r0 + x1s[x] * c, b0 = r1 + x0s[x] * c, b1 = r1 + x1s[x] * c;
      const wx = fxs[x];
      for (let k = 0; k < c; k++, d++) {
        const top = src[a0 + k] + (src[a1 + k] - src[a0 + k]) * wx;
        const bot = src[b0 + k] + (src[b1 + k] - src[b0 + k]) * wx;
        out[d] = top + (bot - top) * wy;
      }
    }
  }
}

/**
 * Writes one HWC float image (any supported channel count) into `out` at sample `index`, converted to `shape`.
 * `what` names the source in the error when the channels cannot be converted.
 */
export function placeImage(
  src: Float32Array, h: number, w: number, c: number,
  shape: readonly [number, number, number], out: Float32Array, index: number, source: string,
): void {
  const what = printable(source);
  const [outH, outW, outC] = shape;
  const conv = convertChannels(src, h * w, c, outC);
  if (conv === null) {
    throw new DatasetError(source, `${what}: cannot convert ${shapeText([h, w, c])} to the model's ${shapeText(shape)} (channels ${c} → ${outC})`);
  }
  resizeBilinear(conv, h, w, outC, outH, outW, out, index * outH * outW * outC);
}

/** RGBA bytes → HWC float RGBA in [0, 1]. */
export function rgbaToFloat(img: RgbaImage): Float32Array {
  const n = img.width * img.height * 4;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = img.data[i] / 255;
  return out;
}
