/**
 * Locators inside the pruning panel's webview (webview/main.ts renders it). Kept in one place so a change of
 * the panel's markup is one edit here, not a hunt through the scenarios.
 */
import type { Locator, Page } from 'playwright-core';
import { panelFrame } from './workbench';

export interface PanelLocators {
  /** One row per prunable layer in the overview. */
  layerRows: Locator;
  /** The end-of-run summary (params/FLOPs/accuracy before → after). */
  summary: Locator;
  /** What the panel shows when a run was cancelled. */
  cancelled: Locator;
}

export function PANEL(page: Page): PanelLocators {
  const frame = panelFrame(page);
  return {
    layerRows: frame.locator('[data-layer]'),
    summary: frame.locator('#summary'),
    cancelled: frame.getByText(/cancelled/i).first(),
  };
}

export async function panelText(l: Locator): Promise<string> {
  return ((await l.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}
