/** Number formatting for the panel: short, unit-bearing, and '—' for values that were not measured. */

export const MISSING = '—';

/** 1234 → "1.23 k", 2.5e6 → "2.50 M": parameter and FLOP counts. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return MISSING;
  const abs = Math.abs(n);
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(2)} k`;
  return String(Math.round(n));
}

/** Accuracy in [0, 1] → "91.2 %". */
export function formatPercent(v: number | null | undefined): string {
  return v === null || v === undefined || !Number.isFinite(v) ? MISSING : `${(v * 100).toFixed(1)} %`;
}

export function formatMs(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return MISSING;
  return v >= 100 ? `${Math.round(v)} ms` : `${v.toFixed(v >= 10 ? 1 : 2)} ms`;
}

/** Seconds → "45 s", "3 min 05 s", "1 h 02 min". */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return MISSING;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** Losses span orders of magnitude: 4 significant digits, exponent form when tiny. */
export function formatLoss(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return MISSING;
  return Math.abs(v) !== 0 && Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toPrecision(4);
}

/** "before → after" reduction as a factor, e.g. "1.97×" fewer; null when either side is missing. */
export function formatRatio(before: number | null | undefined, after: number | null | undefined): string {
  if (!before || !after || !Number.isFinite(before) || !Number.isFinite(after)) return MISSING;
  return `${(before / after).toFixed(2)}×`;
}
