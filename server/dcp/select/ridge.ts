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
    const l = choleskyJittered(a, s, stats.layer);
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
 * Diagonal jitters tried, as fractions of A's mean diagonal, when A (G_RR + α·I) does not factorise as it is.
 * G is positive semi-definite to rounding (gram.ts), so a failure means rounding left some direction's pivot at or a
 * hair below zero: nearly collinear inputs (dead or saturated units, duplicated channels). A jitter this small
 * changes the fit by no more than that direction's own share, which the data cannot pin down anyway.
 */
const JITTERS = [1e-10, 1e-8, 1e-6, 1e-4];

/**
 * A pivot below this fraction of the mean diagonal counts as zero: it is Float64 rounding of a direction the data
 * does not span, and dividing by it would give huge, meaningless weights instead of a failure the jitter can fix.
 */
const MIN_PIVOT = 1e-13;

/** A could not be factorised: names the layer, the row and the pivot, and whether the values are finite. */
export class GramFactorError extends Error {}

/**
 * L with A = L·Lᵀ for the symmetric A, retried with a growing diagonal jitter (JITTERS) when a pivot comes out
 * non-positive; an A holding NaN or ±∞ fails at once, with a message that says so.
 */
export function choleskyJittered(a: Float64Array, s: number, layer?: string, jitters: readonly number[] = JITTERS): Float64Array {
  const where = `exact solver${layer ? `, layer ${layer}` : ''}`;
  let trace = 0;
  for (let i = 0; i < s * s; i++) {
    if (!Number.isFinite(a[i])) {
      throw new GramFactorError(`${where}: the Gram matrix holds a non-finite value at row ${Math.floor(i / s)} (${a[i]}): the layer's input on the selection set overflowed float32`);
    }
  }
  for (let i = 0; i < s; i++) trace += a[i * s + i];
  const mean = trace / Math.max(1, s);
  const first = tryCholesky(a, s, 0, MIN_PIVOT * mean);
  if (first.l) return first.l;
  for (const f of jitters) {
    const r = tryCholesky(a, s, f * mean, MIN_PIVOT * mean);
    if (r.l) return r.l;
  }
  throw new GramFactorError(`${where}: the Gram matrix (${s} rows) is not positive definite, even with a diagonal jitter of ` +
    `${jitters.at(-1) ?? 0} × its mean diagonal (${mean.toPrecision(4)}); without jitter the pivot at row ${first.row} was ${first.pivot.toPrecision(6)}. ` +
    'Its values are finite: the selection set\'s inputs to this layer are so collinear or so badly scaled that the exact solve is ' +
    'meaningless; try --solver sgd, or more selection samples (--selection-samples)');
}

/** Cholesky of A + jitter·I; on a pivot ≤ minPivot, its row and value instead of L. */
function tryCholesky(a: Float64Array, s: number, jitter: number, minPivot: number): { l: Float64Array | null; row: number; pivot: number } {
  const l = new Float64Array(s * s);
  for (let i = 0; i < s; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = a[i * s + j] + (i === j ? jitter : 0);
      for (let k = 0; k < j; k++) sum -= l[i * s + k] * l[j * s + k];
      if (i === j) {
        if (!(sum > minPivot)) return { l: null, row: i, pivot: sum };
        l[i * s + i] = Math.sqrt(sum);
      } else {
        l[i * s + j] = sum / l[j * s + j];
      }
    }
  }
  return { l, row: -1, pivot: 0 };
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
