import type { GramStats } from './gram';

/**
 * The reconstruction part of the per-channel sub-problem solved to convergence: minimise
 * m·L_M(W) + (wd/2)·‖W‖² over the rows of W that the mask allows, all other rows held at zero.
 * Setting the gradient 2m(GW − B)/(P·n) + wd·W to zero gives (G_RR + α·I)·W_R = B_R with α = wd·P·n/(2m):
 * the SGD path's weight decay becomes the ridge, so the two paths minimise the same objective.
 * Columns (output filters) that allow the same rows share one Cholesky factorisation; with channel granularity
 * that is all of them. Sizes are (kh·kw·|A| + 1)², small enough for plain Float64 JavaScript.
 */
export function solveMaskedRidge(
  stats: GramStats,
  allowed: (row: number, col: number) => boolean,
  weightDecay: number,
  m: number,
): Float64Array {
  const { rows, cols: n } = stats;
  const alpha = (weightDecay * stats.positions * n) / (2 * m);
  const out = new Float64Array(rows * n);
  const groups = new Map<string, { rowIdx: number[]; cols: number[] }>();
  for (let j = 0; j < n; j++) {
    const rowIdx: number[] = [];
    for (let r = 0; r < rows; r++) if (allowed(r, j)) rowIdx.push(r);
    if (rowIdx.length === 0) continue;
    const key = rowIdx.join(',');
    const group = groups.get(key);
    if (group) group.cols.push(j); else groups.set(key, { rowIdx, cols: [j] });
  }
  for (const { rowIdx, cols } of groups.values()) {
    const s = rowIdx.length;
    const a = new Float64Array(s * s);
    for (let u = 0; u < s; u++) {
      for (let v = 0; v < s; v++) a[u * s + v] = stats.g[rowIdx[u] * rows + rowIdx[v]];
      a[u * s + u] += alpha;
    }
    const l = cholesky(a, s);
    for (const j of cols) {
      const rhs = new Float64Array(s);
      for (let u = 0; u < s; u++) rhs[u] = stats.b[rowIdx[u] * n + j];
      const x = choleskySolve(l, s, rhs);
      for (let u = 0; u < s; u++) out[rowIdx[u] * n + j] = x[u];
    }
  }
  return out;
}

/**
 * Lower-triangular L with A = L·Lᵀ, for a symmetric positive-definite A (α > 0 makes it so even when a channel is
 * dead, e.g. all zero after a ReLU). A pivot that still comes out non-positive means the statistics hold NaN or ∞.
 */
export function cholesky(a: Float64Array, s: number): Float64Array {
  const l = new Float64Array(s * s);
  for (let i = 0; i < s; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * s + j];
      for (let k = 0; k < j; k++) sum -= l[i * s + k] * l[j * s + k];
      if (i === j) {
        if (!(sum > 0)) throw new Error(`exact solver: the Gram matrix is not positive definite at row ${i} (pivot ${sum}); the selection set holds non-finite values`);
        l[i * s + i] = Math.sqrt(sum);
      } else {
        l[i * s + j] = sum / l[j * s + j];
      }
    }
  }
  return l;
}

/** Solves L·Lᵀ·x = rhs by forward then backward substitution. */
export function choleskySolve(l: Float64Array, s: number, rhs: Float64Array): Float64Array {
  const y = new Float64Array(s);
  for (let i = 0; i < s; i++) {
    let sum = rhs[i];
    for (let k = 0; k < i; k++) sum -= l[i * s + k] * y[k];
    y[i] = sum / l[i * s + i];
  }
  const x = new Float64Array(s);
  for (let i = s - 1; i >= 0; i--) {
    let sum = y[i];
    for (let k = i + 1; k < s; k++) sum -= l[k * s + i] * x[k];
    x[i] = sum / l[i * s + i];
  }
  return x;
}
