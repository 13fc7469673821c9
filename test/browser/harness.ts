/**
 * Runs the pruning panel in a real Chromium without VS Code: builds dist/webview.js, serves the same HTML the
 * extension produces (extension/panel/html.ts, same CSP) on 127.0.0.1, and stands in for VS Code with a fake
 * `acquireVsCodeApi` that records what the panel posts and persists `setState` across reloads (sessionStorage, as
 * VS Code keeps it across webview re-creation). Tests push HostToWebview messages and wait on `data-events`.
 */
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before } from 'node:test';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { HostToWebview, WebviewToHost } from '../../protocol/webview';
import { buildPanelHtml, makeNonce } from '../../extension/panel/html';
import { THEMES, type ThemeName } from './themes';
import { requireBrowser } from '../../scripts/find-browser';

const ROOT = join(__dirname, '..', '..');
const DIST = join(ROOT, 'dist');

/** Bundles the webview exactly as esbuild.mjs does (only that entry, so tests do not wait for the other bundles). */
export async function buildWebview(): Promise<void> {
  await esbuild.build({
    entryPoints: [join(ROOT, 'webview/main.ts')], outfile: join(DIST, 'webview.js'), bundle: true, platform: 'browser',
    target: 'es2022', format: 'iife', sourcemap: true, logLevel: 'error',
  });
}

/** The fake VS Code side of the webview, run (with the page's nonce) before the bundle. Plain JS: it runs in the page. */
function fakeVsCode(theme: ThemeName): string {
  return `(() => {
  const themes = ${JSON.stringify(THEMES)};
  const sent = [];
  const KEY = 'fake-vscode-state';
  const setTheme = (name) => {
    const root = document.documentElement;
    for (const prop of Array.from(root.style)) if (prop.startsWith('--vscode-')) root.style.removeProperty(prop);
    for (const [k, v] of Object.entries(themes[name].vars)) root.style.setProperty(k, v);
    document.body.classList.remove('vscode-light', 'vscode-dark', 'vscode-high-contrast');
    document.body.classList.add(themes[name].bodyClass);
  };
  const ink = (c, rgb) => {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] === 0) continue;
      if (!rgb || (Math.abs(d[i] - rgb[0]) < 8 && Math.abs(d[i + 1] - rgb[1]) < 8 && Math.abs(d[i + 2] - rgb[2]) < 8)) n++;
    }
    return n;
  };
  window.__dcpTest = {
    sent, setTheme, dialogs: [],
    deliver: (msg) => window.postMessage(msg, '*'),
    canvases: (rgb) => Array.from(document.querySelectorAll('canvas')).map((c) => ({
      label: c.getAttribute('aria-label') || '', section: c.closest('section')?.id || '', width: c.width, height: c.height,
      visible: c.getBoundingClientRect().width > 0, ink: ink(c, rgb) })),
  };
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => sent.push(JSON.parse(JSON.stringify(m))),
    getState: () => JSON.parse(sessionStorage.getItem(KEY) || 'null'),
    setState: (s) => sessionStorage.setItem(KEY, JSON.stringify(s)),
  });
  setTheme(${JSON.stringify(theme)});
})();`;
}

export interface Harness {
  url(theme: ThemeName): string;
  close(): Promise<void>;
}

/** Serves the panel page at `/?theme=…` and the bundle at `/dist/…`. */
export async function startHarness(): Promise<Harness> {
  let origin = '';
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === '/') {
      const theme = (url.searchParams.get('theme') ?? 'dark') as ThemeName;
      const nonce = makeNonce();
      const html = buildPanelHtml({ cspSource: origin, nonce, scriptUri: `${origin}/dist/webview.js`, styleUri: `${origin}/dist/webview.css` });
      // The fake API must exist before the bundle runs: insert it right before the bundle's script tag.
      const page = html.replace('<script nonce=', `<script nonce="${nonce}">${fakeVsCode(theme)}</script>\n<script nonce=`);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page);
      return;
    }
    if (url.pathname === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    const file = /^\/dist\/(webview\.(?:js|css)(?:\.map)?)$/.exec(url.pathname)?.[1];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    readFile(join(DIST, file)).then(
      (body) => res.writeHead(200, { 'content-type': file.endsWith('.css') ? 'text/css' : 'text/javascript' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (theme) => `${origin}/?theme=${theme}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Bounds every browser wait, so a page that never gets there fails the test instead of holding it. */
export const WAIT_MS = 60_000;

/** The browser from scripts/find-browser.ts (CHROME_PATH, system Chromium/Chrome, playwright's cache). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: requireBrowser().path,
    timeout: WAIT_MS,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

/**
 * What a test file needs, started together. If one part fails, the parts that did start are closed: a listening
 * server left behind would keep the test file's process alive after its tests have failed.
 */
export async function startBrowserAndHarness(): Promise<{ browser: Browser; harness: Harness }> {
  const [browser, harness, built] = await Promise.allSettled([launchBrowser(), startHarness(), buildWebview()]);
  if (browser.status === 'fulfilled' && harness.status === 'fulfilled' && built.status === 'fulfilled') {
    return { browser: browser.value, harness: harness.value };
  }
  if (browser.status === 'fulfilled') await browser.value.close();
  if (harness.status === 'fulfilled') await harness.value.close();
  throw [browser, harness, built].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []))[0];
}

/** Where browser tests write their screenshots. */
export const RESULTS = join(__dirname, '..', '..', 'test-results');

/**
 * Registers a test file's hooks: before its tests, the results folder, one browser and one harness server; after
 * them, both closed. The returned object is filled in by the time the tests run.
 */
export function useBrowserAndHarness(): { browser: Browser; harness: Harness } {
  const env = {} as { browser: Browser; harness: Harness };
  before(async () => {
    mkdirSync(RESULTS, { recursive: true });
    Object.assign(env, await startBrowserAndHarness());
  });
  after(async () => {
    await env.browser?.close();
    await env.harness?.close();
  });
  return env;
}

/** The few page globals tests read, typed here because the test project has no DOM lib. */
interface PageGlobals {
  document: { body: { dataset: Record<string, string | undefined> } };
  requestAnimationFrame(cb: () => void): number;
  __dcpTest: { canvases(rgb: readonly number[] | null): CanvasInfo[]; deliver(m: unknown): void };
}

/** A canvas as the page reports it: `ink` = painted pixels (of one colour when asked). */
export interface CanvasInfo {
  label: string;
  section: string;
  width: number;
  height: number;
  visible: boolean;
  ink: number;
}

/** One open panel page and what it did: messages it posted, page errors, CSP violations and dialogs. */
export class PanelPage {
  readonly errors: string[] = [];
  readonly dialogs: string[] = [];

  private constructor(readonly page: Page) {
    page.on('pageerror', (e) => this.errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') this.errors.push(m.text()); });
    page.on('dialog', (d) => { this.dialogs.push(d.message()); void d.dismiss(); });
  }

  static async open(browser: Browser, harness: Harness, theme: ThemeName = 'dark'): Promise<PanelPage> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    page.setDefaultTimeout(WAIT_MS);
    const panel = new PanelPage(page);
    await page.goto(harness.url(theme));
    await panel.waitForSent((m) => m.type === 'ready');
    return panel;
  }

  sent(): Promise<WebviewToHost[]> {
    return this.page.evaluate<WebviewToHost[]>('window.__dcpTest.sent');
  }

  async waitForSent(match: (m: WebviewToHost) => boolean, ms = WAIT_MS): Promise<WebviewToHost> {
    const deadline = Date.now() + ms;
    for (;;) {
      const sent = await this.sent();
      const found = sent.find(match);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`the panel did not post the awaited message within ${ms} ms; it posted ${JSON.stringify(sent.map((m) => m.type))}`);
      await this.page.waitForTimeout(20);
    }
  }

  /** Posts a message as the host would. */
  deliver(message: HostToWebview): Promise<void> {
    return this.page.evaluate(([m]) => {
      // Runs in the page; the harness script defines __dcpTest.
      (globalThis as unknown as PageGlobals).__dcpTest.deliver(m);
    }, [message] as const);
  }

  /**
   * Waits until the panel has folded `count` events and rendered with nothing left in its queue, then two more
   * frames: Chart.js sizes a chart created off-document on the frame after it is attached.
   * (Function predicates, not strings: the page's CSP forbids eval, which string predicates need.)
   */
  async waitForEvents(count: number): Promise<void> {
    await this.page.waitForFunction((n) => {
      const ds = (globalThis as unknown as PageGlobals).document.body.dataset;
      return ds.events === String(n) && ds.pending === '0';
    }, count);
    await this.page.evaluate(() => new Promise<void>((resolve) => {
      const raf = (globalThis as unknown as PageGlobals).requestAnimationFrame;
      raf(() => raf(() => resolve()));
    }));
  }

  /** Waits until `canvas` (by section id) shows at least `min` pixels of colour `rgb`. */
  async waitForInk(section: string, color: [number, number, number], min: number): Promise<void> {
    await this.page.waitForFunction(([sec, c, m]) => (globalThis as unknown as PageGlobals).__dcpTest.canvases(c)
      .some((x) => x.section === sec && x.ink >= m), [section, color, min] as const);
  }

  setTheme(theme: ThemeName): Promise<void> {
    return this.page.evaluate(`window.__dcpTest.setTheme(${JSON.stringify(theme)})`);
  }

  canvases(rgb?: [number, number, number]): Promise<CanvasInfo[]> {
    return this.page.evaluate<CanvasInfo[]>(`window.__dcpTest.canvases(${JSON.stringify(rgb ?? null)})`);
  }

  /** Text of the selected layer's heading (rendered with textContent, read back the same way). */
  selectedLayer(): Promise<string> {
    return this.page.locator('#layer .layer-name').innerText();
  }
}
