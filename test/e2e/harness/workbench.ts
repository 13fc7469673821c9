/**
 * Drives the VS Code workbench in headless Debian chromium through playwright-core (no browser download).
 * Every helper waits on a selector or a condition, never on a fixed delay.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';
import type { CodeServer } from './code-server';
import { REPO } from './code-server';
import { requireBrowser } from '../../../scripts/find-browser';

export const SCREENSHOTS = join(REPO, 'test-results', 'e2e');

export interface Workbench {
  page: Page;
  context: BrowserContext;
  close(): Promise<void>;
}

export async function openWorkbench(server: CodeServer, folder: string): Promise<Workbench> {
  const context = await chromium.launchPersistentContext(server.dirs.profile, {
    executablePath: requireBrowser().path,
    headless: true,
    timeout: 60_000,
    env: server.env,
    viewport: { width: 1600, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(`${server.url}/?folder=${encodeURIComponent(folder)}`, { timeout: 60_000 });
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  return { page, context, close: () => context.close() };
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file });
  return file;
}

/** A row of the explorer tree, e.g. a folder or file name. */
export function explorerRow(page: Page, name: string): Locator {
  return page.locator(`.explorer-folders-view .monaco-list-row[aria-label="${name}"]`);
}

/**
 * Runs a command from the palette (F1, type, click the entry). On a cold start the palette can open before
 * the extension registered its commands and never refreshes, so a missing entry means Escape and try again.
 */
export async function runCommand(page: Page, id: string, title: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget input.input');
  const entry = page.locator(`.quick-input-list-entry[data-quick-input-id="${id}"]`);
  for (;;) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${title}`);
    try {
      await entry.first().waitFor({ state: 'visible', timeout: 3000 });
      await entry.first().click();
      return;
    } catch (e) {
      await page.keyboard.press('Escape');
      if (Date.now() > deadline) throw new Error(`command ${id} never appeared in the palette: ${String(e)}`);
    }
  }
}

/**
 * The pruning panel's document: the webview's outer iframe, then its active content frame. Other webviews (the
 * Markdown preview) may be open too; the outer iframe's URL names the extension that owns it.
 */
export function panelFrame(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready[src*="extensionId=dcp-team.dcp-pruner"]').frameLocator('#active-frame');
}

/** Toasts currently on screen. */
export function toasts(page: Page): Locator {
  return page.locator('.notifications-toasts .notification-list-item-message');
}

/** Waits until a toast whose text matches `pattern` is shown; returns its text. */
export async function waitForToast(page: Page, pattern: RegExp, timeoutMs: number): Promise<string> {
  const toast = toasts(page).filter({ hasText: pattern }).first();
  await toast.waitFor({ state: 'visible', timeout: timeoutMs });
  return (await toast.textContent()) ?? '';
}

/** Our status-bar item (id `dcp.run`), whose text shows the current run and its percentage. */
export function statusItem(page: Page): Locator {
  return page.locator('.statusbar-item[id="dcp-team.dcp-pruner.dcp.run"], .statusbar-item[id$="dcp.run"]').first();
}

/**
 * Right-clicks an explorer row and picks a context-menu entry by its label. The menu ignores a click that comes
 * too soon after it opened (so the right-click's own mouse-up cannot pick an entry), so hover the entry until the
 * menu marks it focused and press Enter, which it always honours.
 */
export async function explorerContextCommand(page: Page, row: Locator, label: string): Promise<void> {
  const menu = page.locator('.monaco-menu');
  const item = menu.locator('.action-item', { has: page.locator('.action-label', { hasText: label }) }).first();
  // The menu is built from the explorer's context keys (resourceExtname, …), which follow the focused row
  // asynchronously: right after another row was clicked (a folder expanded), the menu can be built for that row and
  // lack our entries (seen once in CI). Close it and right-click again; the row is focused by then.
  for (let attempt = 1; ; attempt++) {
    await row.click({ button: 'right' });
    try {
      await item.waitFor({ state: 'visible', timeout: attempt < 3 ? 4_000 : 10_000 });
      break;
    } catch (e) {
      if (attempt >= 3) throw e;
      await page.keyboard.press('Escape');
      await menu.waitFor({ state: 'hidden', timeout: 5_000 }).catch(() => undefined);
      await page.waitForTimeout(500);
    }
  }
  await item.hover();
  await menu.locator('.action-item.focused', { hasText: label }).waitFor({ timeout: 10_000 });
  await page.keyboard.press('Enter');
  await menu.waitFor({ state: 'hidden', timeout: 10_000 });
}

/** Runs a scenario; on failure saves `<name>-failure.png` (what the screen showed is the best clue) and rethrows. */
export async function withFailureShot(page: Page, name: string, scenario: () => Promise<void>): Promise<void> {
  try {
    await scenario();
  } catch (e) {
    await screenshot(page, `${name}-failure`).catch(() => undefined);
    throw e;
  }
}

/**
 * Waits until some frame of the page (a webview such as the Markdown preview) shows text matching `pattern`;
 * returns that frame's text. Webviews nest frames, so this looks at all of them rather than at one locator.
 */
export async function waitForFrameText(page: Page, pattern: RegExp, timeoutMs: number): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const frame of page.frames()) {
      const text = await frame.locator('body').innerText({ timeout: 1000 }).catch(() => '');
      if (pattern.test(text)) return text;
    }
    if (Date.now() > deadline) throw new Error(`no frame showed ${pattern} within ${timeoutMs} ms`);
    await page.waitForTimeout(250);
  }
}

/** The ids of the palette entries matching `query` (F1, type, read, Escape); retries until `expected` is among them. */
export async function paletteCommandIds(page: Page, query: string, expected: string, timeoutMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const input = page.locator('.quick-input-widget input.input');
  for (;;) {
    await page.keyboard.press('F1');
    await input.waitFor({ state: 'visible' });
    await input.fill(`>${query}`);
    const entry = page.locator(`.quick-input-list-entry[data-quick-input-id="${expected}"]`);
    const found = await entry.first().waitFor({ state: 'visible', timeout: 3000 }).then(() => true, () => false);
    const ids = found ? await page.locator('.quick-input-list-entry').evaluateAll((els) => els.map((e) => e.getAttribute('data-quick-input-id') ?? '')) : [];
    await page.keyboard.press('Escape');
    if (found) return ids;
    if (Date.now() > deadline) throw new Error(`${expected} never appeared in the palette for "${query}"`);
  }
}
