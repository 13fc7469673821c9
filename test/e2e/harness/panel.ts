/**
 * Locators inside the pruning panel's webview (webview/app.ts and webview/views/*). Kept in one place so a
 * change of the panel's markup is one edit here, not a hunt through the scenarios.
 */
import type { Locator, Page } from 'playwright-core';
import { panelFrame } from './workbench';

export interface PanelLocators {
  /** The header's status badge once it reports `status` (idle, running, finished, failed, cancelled). */
  badge(status: string): Locator;
  /** One row per prunable layer in the overview's table alternative (present even while the table is collapsed). */
  layerRows: Locator;
  /** The before/after table's body rows (Parameters, FLOPs, Accuracy, latencies). */
  summaryRows: Locator;
  /** The overview's bar chart canvas. */
  overviewCanvas: Locator;
}

export function PANEL(page: Page): PanelLocators {
  const frame = panelFrame(page);
  return {
    badge: (status) => frame.locator(`header .badge[data-status="${status}"]`),
    layerRows: frame.locator('#overview table.data-table tbody tr'),
    summaryRows: frame.locator('#summary table tbody tr'),
    overviewCanvas: frame.locator('#overview canvas').first(),
  };
}

/** The cells of the summary row whose label matches, e.g. "Parameters" → [before, after selection, after, change]. */
export async function summaryRow(panel: PanelLocators, label: string): Promise<string[]> {
  const row = panel.summaryRows.filter({ hasText: label }).first();
  return (await row.locator('td').allTextContents()).map((t) => t.trim());
}

/** The part of a canvas element the pixel count needs (this tsconfig has no DOM lib: the code runs in the page). */
interface Canvas2D {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> } } | null;
}

/** How many pixels of a canvas are not fully transparent: a drawn chart has many, an empty one none. */
export async function paintedPixels(canvas: Locator): Promise<number> {
  return canvas.evaluate((node) => {
    const c = node as unknown as Canvas2D;
    const ctx = c.getContext('2d');
    if (!ctx || c.width === 0 || c.height === 0) return 0;
    const data = ctx.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) n++;
    return n;
  });
}
