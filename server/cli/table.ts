/** Plain-text tables and number formats for terminal output. */

/**
 * Aligns columns with two spaces between them; `right[i]` right-aligns column i (numbers). The last column is not
 * padded, so long text there (reasons) does not widen the table.
 */
export function formatTable(header: string[], rows: string[][], right: boolean[] = []): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]): string => r
    .map((cell, i) => {
      if (i === r.length - 1) return right[i] ? cell.padStart(widths[i]) : cell;
      return right[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i]);
    })
    .join('  ')
    .trimEnd();
  // The rule under the last column spans its header only: that column holds free text.
  const rule = widths.map((w, i) => '-'.repeat(i === widths.length - 1 ? header[i].length : w));
  return [line(header), line(rule), ...rows.map(line)];
}

/** 1234567 → "1,234,567". */
export function grouped(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** 1234567 → "1.23 M": for totals, next to the exact figure. */
export function human(n: number): string {
  const units: [number, string][] = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'K']];
  for (const [size, unit] of units) if (Math.abs(n) >= size) return `${(n / size).toPrecision(3)} ${unit}`;
  return String(n);
}

/** [16, 16, 3] → "16x16x3"; unknown sizes (-1) print as "?". */
export function shapeText(shape: readonly number[]): string {
  return shape.length === 0 ? '-' : shape.map((d) => (d < 0 ? '?' : String(d))).join('x');
}
