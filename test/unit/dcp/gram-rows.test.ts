import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gramLoss, type GramStats } from '../../../server/dcp/select/gram';

/** Seeded statistics of a 1×1 conv over c channels with a bias row: G = XᵀX of random X, B = XᵀY. */
function stats(c: number, n: number): GramStats {
  let s = 7;
  const rand = (): number => { s = (s * 1103515245 + 12345) % 2 ** 31; return s / 2 ** 31 - 0.5; };
  const rows = c + 1;
  const positions = 50;
  const x = Array.from({ length: positions }, () => [...Array.from({ length: c }, rand), 1]);
  const y = Array.from({ length: positions }, () => Array.from({ length: n }, rand));
  const g = new Float64Array(rows * rows);
  const b = new Float64Array(rows * n);
  let yy = 0;
  for (let p = 0; p < positions; p++) {
    for (let r = 0; r < rows; r++) {
      for (let q = 0; q < rows; q++) g[r * rows + q] += x[p][r] * x[p][q];
      for (let j = 0; j < n; j++) b[r * n + j] += x[p][r] * y[p][j];
    }
    for (let j = 0; j < n; j++) yy += y[p][j] ** 2;
  }
  return { rows, taps: c, cols: n, hasBias: true, positions, g, b, yy };
}

test('gramLoss limited to the masked rows: same value and same gradient rows, bit for bit; the others 0', () => {
  const st = stats(6, 3);
  const w = new Float64Array(st.rows * 3);
  // W nonzero on channels 1 and 4 and the bias row; the mask allows channels 1, 2, 4 and the bias.
  for (const r of [1, 4, 6]) for (let j = 0; j < 3; j++) w[r * 3 + j] = 0.1 * (r + 1) - 0.05 * j;
  const full = gramLoss(st, w);
  const rows = [1, 2, 4, 6];
  const part = gramLoss(st, w, rows);
  assert.ok(Object.is(part.value, full.value), `${part.value} vs ${full.value}`);
  for (let r = 0; r < st.rows; r++) {
    for (let j = 0; j < 3; j++) {
      const i = r * 3 + j;
      if (rows.includes(r)) assert.ok(Object.is(part.grad[i], full.grad[i]), `row ${r}`);
      else assert.equal(part.grad[i], 0);
    }
  }
  assert.ok(full.grad[0] !== 0, 'an unmasked row has a gradient in the full computation');
});
