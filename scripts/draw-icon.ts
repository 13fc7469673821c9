/**
 * Draws the extension icon, media/icon.png (128×128): three layers of channels, all kept in the first, fewer in
 * each pruned layer, with the connections between the kept ones. Run `npx tsx scripts/draw-icon.ts` after changing it.
 *
 * Drawn from geometry rather than kept as a binary from an editor, so the picture can be changed in a review.
 * Every pixel averages SS×SS samples, which anti-aliases the edges.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';

const SIZE = 128;
const SS = 4;

type Rgba = [number, number, number, number];
/** Colour of a shape at a point, or null where the shape does not cover it. */
type Shape = (x: number, y: number) => Rgba | null;

const hex = (h: string, a = 1): Rgba => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16), a];

/** Signed distance to a rounded rectangle (negative inside). */
function roundedRectDistance(x: number, y: number, x0: number, y0: number, w: number, h: number, r: number): number {
  const cx = x0 + w / 2;
  const cy = y0 + h / 2;
  const qx = Math.abs(x - cx) - (w / 2 - r);
  const qy = Math.abs(y - cy) - (h / 2 - r);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

function segmentDistance(x: number, y: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(x - (ax + t * dx), y - (ay + t * dy));
}

const background: Shape = (x, y) => {
  if (roundedRectDistance(x, y, 0, 0, SIZE, SIZE, 24) > 0) return null;
  const t = y / SIZE;
  const top = hex('#27407a');
  const bottom = hex('#121d3b');
  return [top[0] + (bottom[0] - top[0]) * t, top[1] + (bottom[1] - top[1]) * t, top[2] + (bottom[2] - top[2]) * t, 1];
};

const CELL = 14;
const GAP = 6;
const COLUMNS = [20, 57, 94];
const ROW0 = 17;
/** Which channels each layer keeps (5 channels a layer). */
const KEPT = [[0, 1, 2, 3, 4], [0, 2, 3], [1, 3]];
const cellY = (i: number): number => ROW0 + i * (CELL + GAP);

const keptCell = (x0: number, y0: number): Shape => (x, y) => (roundedRectDistance(x, y, x0, y0, CELL, CELL, 3.5) <= 0 ? hex('#5eead4') : null);
const prunedCell = (x0: number, y0: number): Shape => (x, y) => (Math.abs(roundedRectDistance(x, y, x0, y0, CELL, CELL, 3.5) + 0.9) <= 0.9 ? hex('#6c84b8', 0.75) : null);
const link = (ax: number, ay: number, bx: number, by: number): Shape => (x, y) => (segmentDistance(x, y, ax, ay, bx, by) <= 0.9 ? hex('#c7f9f1', 0.45) : null);

function shapes(): Shape[] {
  const out: Shape[] = [background];
  for (let c = 0; c + 1 < COLUMNS.length; c++) {
    for (const a of KEPT[c]) for (const b of KEPT[c + 1]) out.push(link(COLUMNS[c] + CELL, cellY(a) + CELL / 2, COLUMNS[c + 1], cellY(b) + CELL / 2));
  }
  COLUMNS.forEach((x0, c) => {
    for (let i = 0; i < 5; i++) out.push(KEPT[c].includes(i) ? keptCell(x0, cellY(i)) : prunedCell(x0, cellY(i)));
  });
  return out;
}

/** Source-over compositing of the shapes at one sample point, on a transparent canvas. */
function sample(all: Shape[], x: number, y: number): Rgba {
  let [r, g, b, a] = [0, 0, 0, 0];
  for (const shape of all) {
    const c = shape(x, y);
    if (!c) continue;
    const outA = c[3] + a * (1 - c[3]);
    if (outA === 0) continue;
    r = (c[0] * c[3] + r * a * (1 - c[3])) / outA;
    g = (c[1] * c[3] + g * a * (1 - c[3])) / outA;
    b = (c[2] * c[3] + b * a * (1 - c[3])) / outA;
    a = outA;
  }
  return [r, g, b, a];
}

function draw(): PNG {
  const png = new PNG({ width: SIZE, height: SIZE });
  const all = shapes();
  for (let py = 0; py < SIZE; py++) {
    for (let px = 0; px < SIZE; px++) {
      // Premultiplied accumulation, so transparent samples at the rounded corners do not darken the edge.
      let [r, g, b, a] = [0, 0, 0, 0];
      for (let sy = 0; sy < SS; sy++) {
        for (let sx = 0; sx < SS; sx++) {
          const c = sample(all, px + (sx + 0.5) / SS, py + (sy + 0.5) / SS);
          r += c[0] * c[3];
          g += c[1] * c[3];
          b += c[2] * c[3];
          a += c[3];
        }
      }
      const i = (py * SIZE + px) * 4;
      png.data[i] = a > 0 ? Math.round(r / a) : 0;
      png.data[i + 1] = a > 0 ? Math.round(g / a) : 0;
      png.data[i + 2] = a > 0 ? Math.round(b / a) : 0;
      png.data[i + 3] = Math.round((a / (SS * SS)) * 255);
    }
  }
  return png;
}

const file = join(__dirname, '..', 'media', 'icon.png');
writeFileSync(file, PNG.sync.write(draw()));
console.log(`draw-icon: ${file}`);
